"""The ``backprop-player`` directive: the backprop player itself, live in a page of the site.

It draws the backward pass of an expression of the ``python -m autograd draw`` language, with
its variables bound as ``--at`` binds them, and embeds the player's self-contained page
(:func:`autograd.viz.backprop_html`) in a frame. The player is made at build time from the
library, so the site shows what the library draws today; it loads nothing from the network.

    ```{backprop-player}
    :expression: (tanh(x1*w1 + x2*w2 + b) - 1)**2
    :at: x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432
    :names: p2, p1, s, n, o, e, L
    ```

Every node of the drawing gets a name, so that the captions read like notebook 02's chain rule
("∂L/∂n = ∂L/∂o · ∂o/∂n") rather than naming nodes by number: the variables are named by
``:at:``, and the nodes the expression computes take the names of ``:names:`` in the order they
are computed (operands first, as :func:`autograd.graph.topological_order` lists them). Without
``:names:`` they are called ``n1``, ``n2``, ... and the output ``out``. The drawing is wider than
the page, so ``player_embed.js`` scrolls it to its left end, the inputs, once the frame has
loaded; the player itself opens on the output's seed (step 0) and follows each step from there.
"""

from __future__ import annotations

import html
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


class BackpropPlayer(SphinxDirective):
    """``backprop-player``: ``:expression:`` (required), ``:at:`` (the variables), ``:height:`` (px)."""

    has_content = False
    option_spec = {
        "expression": directives.unchanged_required,
        "at": directives.unchanged,
        "names": directives.unchanged,
        "height": directives.positive_int,
    }

    def run(self) -> list[nodes.Node]:
        from autograd import Value
        from autograd.expr import evaluate, parse_bindings
        from autograd.graph import topological_order
        from autograd.viz import backprop_html

        source = self.options.get("expression")
        if not source:
            raise self.error("backprop-player: the :expression: option is required")
        try:
            variables = {name: Value(x, label=name) for name, x in parse_bindings(self.options.get("at", "")).items()}
            root = evaluate(source, variables)
        except ValueError as e:
            raise self.error(f"backprop-player: {e}") from None
        if not isinstance(root, Value):
            raise self.error("backprop-player: the expression uses no variable, so it has no backward pass")
        unnamed = [v for v in topological_order(root) if not v.label]
        try:
            names = node_names(len(unnamed), self.options.get("names"))
        except ValueError as e:
            raise self.error(f"backprop-player: {e}") from None
        for value, name in zip(unnamed, names):
            value.label = name
        page = backprop_html(root, title=f"Backpropagation of {source}")
        height = self.options.get("height", 640)
        frame = (
            f'<iframe class="vg-backprop-player" title="the backprop player" style="width: 100%; height: {height}px; '
            f'border: 1px solid #ddd" srcdoc="{html.escape(page, quote=True)}"></iframe>'
        )
        return [nodes.raw("", frame, format="html")]


def node_names(count: int, names: str | None) -> list[str]:
    """The names of the ``count`` nodes an expression computes, operands first, the output last.

    ``names`` is the directive's ``:names:`` option, comma-separated, one per node; without it the
    nodes are ``n1``, ``n2``, ... and the output is ``out``.

    >>> node_names(3, None)
    ['n1', 'n2', 'out']
    >>> node_names(2, "s, L")
    ['s', 'L']
    """
    if names is None:
        return [f"n{i}" for i in range(1, count)] + ["out"] if count else []
    given = [n.strip() for n in names.split(",")]
    if any(not n for n in given) or len(set(given)) != len(given):
        raise ValueError(f":names: expects distinct non-empty names separated by commas, got {names!r}")
    if len(given) != count:
        raise ValueError(f":names: gives {len(given)} names, but the expression computes {count} nodes (name each one, "
                         "operands first, the output last)")
    return given


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("backprop-player", BackpropPlayer)
    app.add_js_file("player_embed.js")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
