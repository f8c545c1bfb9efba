"""The ``backprop-player`` directive: the backprop player itself, live in a page of the site.

It draws the backward pass of an expression of the ``python -m autograd draw`` language, with
its variables bound as ``--at`` binds them, and embeds the player's self-contained page
(:func:`autograd.viz.backprop_html`) in a frame. The player is made at build time from the
library, so the site shows what the library draws today; it loads nothing from the network.

    ```{backprop-player}
    :expression: (tanh(x1*w1 + x2*w2 + b) - 1)**2
    :at: x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432
    ```
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
    option_spec = {"expression": directives.unchanged_required, "at": directives.unchanged, "height": directives.positive_int}

    def run(self) -> list[nodes.Node]:
        from autograd import Value
        from autograd.expr import evaluate, parse_bindings
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
        root.label = "out"
        page = backprop_html(root, title=f"Backpropagation of {source}")
        height = self.options.get("height", 640)
        frame = (
            f'<iframe class="vg-backprop-player" title="the backprop player" style="width: 100%; height: {height}px; '
            f'border: 1px solid #ddd" srcdoc="{html.escape(page, quote=True)}"></iframe>'
        )
        return [nodes.raw("", frame, format="html")]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("backprop-player", BackpropPlayer)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
