"""What the backprop player plays: the graph drawn ONCE, and each step as a small change set.

A page that held a whole drawing per step would grow as steps × Values (a 100-Value graph made
25 MB). Instead the graph is laid out and rendered once, as one SVG in which every Value's
record, every op node and every operand edge has a stable element id (``v3``, ``v3_op``,
``v3_e0``: see :func:`autograd.viz.draw._build`). Each step is then a few facts that the page's
script (``player.js``) applies to that drawing:

* ``node``: the index of the Value whose gradient is passed on (``v<node>``, orange);
* ``set``: ``[index, before, after]`` for each grad field it changes (``before`` null: the
  gradient was not computed yet, and the Value is drawn greyed until it is);
* ``edges``: ``[operand position, local derivative]`` for each edge the gradient flows back along;
* ``caption``, and the quiz's ``question`` with its ``answers``: who receives, how much (a
  number, or ``"Infinity"``, ``"-Infinity"``, ``"NaN"``, which JSON lacks), and that written.

So the page grows as Values + steps: a 1,000-Value layer of neurons is about 1 MB. Every text
comes from :mod:`autograd.viz.steps` (the op table's words); every colour from
:mod:`autograd.viz.draw`'s constants, handed to ``player.css`` as CSS variables.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, NamedTuple

from ..engine import Value
from .draw import CURRENT_FILL, PENDING_COLOR, RECEIVING_FILL, _build, render_svg
from .layout import _fmt, _grad_field
from .steps import _question, _watch

__all__ = ["player_content", "Content", "compact_svg", "QUIZ_RTOL", "QUIZ_ATOL", "COLOURS"]

#: A quiz answer counts as right when it is within this fraction of the true gradient (the
#: drawing shows 4 significant digits, and a learner computes from those).
QUIZ_RTOL = 0.005
#: ...or within this of it, for a true gradient of 0.
QUIZ_ATOL = 1e-9

#: The colours the page's CSS reads, from the drawing's own constants.
COLOURS = {"--vg-current": CURRENT_FILL, "--vg-receiving": RECEIVING_FILL, "--vg-pending": PENDING_COLOR}


def _number(x: float) -> float | str:
    """``x`` for JSON, which has no inf or nan: those become the strings JavaScript's Number() reads."""
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


class Content(NamedTuple):
    """What a player shows: the drawing (one compact SVG), the steps (JSON text, safe inside a
    ``<script>``), how many steps there are (``n_steps``), and the first step's caption."""

    svg: str
    steps: str
    n_steps: int
    first_caption: str


def player_content(root: Value, max_nodes: int, who: str, rankdir: str = "LR") -> Content:
    """The drawing and the steps of ``root``'s backward pass, for the player.

    ``who`` is the public function asking, named in its errors. Needs Graphviz's ``dot``.
    """
    watched = _watch(root, max_nodes, who, rankdir)
    layout = watched.layout
    index = {v: i for i, v in enumerate(layout.values)}
    widest = {v: _grad_field(None) for v in layout.values if v.requires_grad}
    steps: list[dict[str, Any]] = []
    for k, (step, caption) in enumerate(zip(watched.steps, watched.captions)):
        record: dict[str, Any] = {"node": index[step.node], "caption": caption}
        if k == 0:
            record["set"] = [[index[step.node], None, _grad_field(step.grad)]]
            record["edges"] = []
        else:
            record["set"] = [
                [index[p.parent], None if p.before is None else _grad_field(p.before), _grad_field(p.after)]
                for p in step.pushes
            ]
            record["edges"] = [[p.position, _fmt(p.local)] for p in step.pushes]
            prompt, answers = _question(step, layout)
            record["question"] = prompt
            record["answers"] = [[label, _number(want), _fmt(want)] for label, want in answers]
        for i, _, text in record["set"]:
            v = layout.values[i]
            if len(text) > len(widest[v]):
                widest[v] = text
        steps.append(record)
    graph = _build(layout, rankdir, True, None, "", element_ids=True, grad_texts=widest)
    data = {
        "steps": steps,
        "grads": [index[v] for v in widest],  # every grad field the steps fill in
        "unknown": _grad_field(None),
        "rtol": QUIZ_RTOL,
        "atol": QUIZ_ATOL,
    }
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    # inside <script> the browser ends the element at "</script" and reads "<!--" as a comment
    svg = compact_svg(render_svg(graph))
    return Content(svg, text.replace("<", "\\u003c"), len(steps), watched.captions[0])


_TEXT_DEFAULTS = ' text-anchor="middle" font-family="Helvetica,sans-Serif" font-size="11.00"'
_DEFAULT_TEXT = re.compile(r' (?:text-anchor="middle"|font-family="Helvetica,sans-Serif"|font-size="11\.00")')
_GEOMETRY = re.compile(r'\b(points|d|x|y|cx|cy|rx|ry)="([^"]*)"')
_DECIMALS = re.compile(r"(\.\d)\d+")


def compact_svg(svg: str) -> str:
    """Graphviz's SVG with what the page does not need taken out, about a third smaller.

    Gone: the ``<title>`` of every element (the DOT names, shown as tooltips); the text
    attributes that nearly every ``<text>`` repeats, given once to the outer group instead,
    whose children inherit them; the entity Graphviz writes for ``-``; and digits of
    coordinates past a tenth of a point. What is drawn does not change.
    """
    svg = re.sub(r"<title>[^<]*</title>\n?", "", svg)
    svg = _DEFAULT_TEXT.sub("", svg)
    svg = svg.replace('class="graph"', 'class="graph"' + _TEXT_DEFAULTS, 1)
    svg = svg.replace("&#45;", "-")
    return _GEOMETRY.sub(_tenths, svg)


def _tenths(attribute: re.Match[str]) -> str:
    numbers = _DECIMALS.sub(r"\1", attribute[2])
    return f'{attribute[1]}="{numbers}"'
