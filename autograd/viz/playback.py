"""What the backprop player plays: the graph drawn once per view, and each step as a small change set.

A page that held a whole drawing per step would grow as steps × Values (a 100-Value graph made
25 MB). Instead the graph is laid out and rendered once, as one SVG in which every Value's
record, every op node and every operand edge has a stable element id (``v3``, ``v3_op``,
``v3_e0``: see :func:`autograd.viz.draw.build_graph`). Each step is then a few facts that the page's
script (``player.js``) applies to that drawing:

* ``node``: the index of the Value whose gradient is passed on (``v<node>``, orange);
* ``set``: ``[index, before, after]`` for each grad field it changes (``before`` null: the
  gradient was not computed yet, and the Value is drawn greyed until it is);
* ``edges``: ``[operand position, local derivative]`` for each edge the gradient flows back along;
* ``caption``, and the quiz's ``question`` with its ``answers``: who receives, how much (a
  number, or ``"Infinity"``, ``"-Infinity"``, ``"NaN"``, which JSON lacks), and that written.

The steps are stored by columns (a list per field), each change as ``[index, after]`` (the page
works out ``before``), and each caption as its first line and the formula of each push, from
which the page writes the push's line as :func:`autograd.viz.steps._caption` does. A graph with
groups adds its ``groups`` and its ``views`` (:mod:`autograd.viz.views`): for each, the groups
open, the group opened last, what each Value is drawn as (run-length encoded) and, for all but
the first, whose SVG is the page's, the DOT text the page lays out. Past a megabyte the data is
gzipped and base64-encoded.

So the page grows as Values + steps: a 1,000-Value layer of neurons is about 1 MB, a GPT step
of 11,600 Values 4.7 MB. Every text comes from :mod:`autograd.viz.steps` (the op table's words);
every colour from :mod:`autograd.viz.draw`'s constants, handed to ``player.css`` as CSS variables.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from typing import Any, NamedTuple

from ..engine import Value
from .collapse import parse_expand
from .draw import render_svg
from .layout import fmt, grad_field
from .legend import CURRENT_FILL, PENDING_COLOR, RECEIVING_FILL
from .steps import NO_INPUTS, caption_parts, quiz_question, watch_pass
from .views import player_views

__all__ = ["player_content", "Content", "compact_svg", "QUIZ_RTOL", "QUIZ_ATOL", "COLOURS"]

#: A quiz answer counts as right when it is within this fraction of the true gradient (the
#: drawing shows 4 significant digits, and a learner computes from those).
QUIZ_RTOL = 0.005
#: ...or within this of it, for a true gradient of 0.
QUIZ_ATOL = 1e-9

#: Past this many characters the page's data is gzipped (and base64-encoded): a big graph's
#: steps and drawings shrink about tenfold, and the page stays a few megabytes.
GZIP_ABOVE = 1_000_000

#: The pushes a caption of the player spells out; the rest are counted (a neuron of a wide layer
#: has dozens, which nobody reads in a caption: the drawing shows each input's new gradient).
CAPTION_PUSHES = 7

#: The colours the page's CSS reads, from the drawing's own constants.
COLOURS = {"--vg-current": CURRENT_FILL, "--vg-receiving": RECEIVING_FILL, "--vg-pending": PENDING_COLOR}


def _number(x: float) -> float | str:
    """``x`` for JSON to 6 significant digits (the quiz's tolerance is 0.5%, 10³ times coarser,
    and a page of a GPT step holds 30,000 of them), and inf or nan, which JSON lacks, as the
    strings JavaScript's Number() reads."""
    if math.isfinite(x):
        return float(f"{x:.6g}")
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


class Content(NamedTuple):
    """What a player shows: the first drawing (one compact SVG), the steps and the other views
    (JSON text, safe inside a ``<script>``), how many steps there are (``n_steps``), the first
    step's caption, and how many views there are (past one, the page needs its layout engine)."""

    svg: str
    steps: str
    n_steps: int
    first_caption: str
    n_views: int = 1


def player_content(
    root: Value, max_nodes: int, who: str, rankdir: str = "LR", expand: Any = None
) -> Content:
    """The drawings and the steps of ``root``'s backward pass, for the player.

    ``who`` is the public function asking, named in its errors; ``expand`` the groups open in
    the first drawing (see :func:`autograd.viz.views.player_views`). Needs Graphviz's ``dot``.
    """
    paths = None if expand is None else parse_expand(expand, f"{who}: expand")
    watched = watch_pass(root, max_nodes, who, rankdir, whole=False)
    layout = watched.layout
    index = {v: i for i, v in enumerate(layout.values)}
    widest = {v: grad_field(None) for v in layout.values if v.requires_grad}
    steps: list[dict[str, Any]] = []
    total = len(watched.steps) - 1
    for k, step in enumerate(watched.steps):
        header, formulas = caption_parts(k, total, step, layout)
        record: dict[str, Any] = {"node": index[step.node], "grad": fmt(step.grad), "caption": header}
        if formulas:  # the lines the caption spells out (all of them, or CAPTION_PUSHES and a count)
            record["formulas"] = formulas if len(formulas) <= CAPTION_PUSHES + 1 else formulas[:CAPTION_PUSHES]
        if k == 0:
            record["set"] = [[index[step.node], grad_field(step.grad)]]
            record["edges"] = []
        else:
            record["set"] = [[index[p.parent], grad_field(p.after)] for p in step.pushes]
            record["edges"] = [[p.position, fmt(p.local)] for p in step.pushes]
            prompt, answers = quiz_question(step, layout)
            record["question"] = prompt
            record["answers"] = [[label, _number(want), fmt(want)] for label, want in answers]
        for i, text in record["set"]:
            v = layout.values[i]
            if len(text) > len(widest[v]):
                widest[v] = text
        steps.append(record)
    views = player_views(layout, paths, max_nodes, rankdir, widest, who)
    first = compact_svg(render_svg(views.drawings[0]))
    data = {
        # by columns, each a list with one entry per step: gzip finds more to share in like with like
        "steps": {key: [record.get(key) for record in steps] for key in _COLUMNS},
        "names": [layout.names[v] for v in layout.values],
        "grads": [index[v] for v in widest],  # every grad field the steps fill in
        "groups": views.groups,
        # the first view is the SVG in the page; the others are laid out there when first opened
        "views": [
            {"open": opened, "focus": focus, "items": runs_of(items), "dot": None if j == 0 else graph.source}
            for j, (opened, focus, items, graph) in enumerate(
                zip(views.opened, views.focus, views.items, views.drawings)
            )
        ],
        "unknown": grad_field(None),
        "captions": {"pushes": CAPTION_PUSHES, "none": NO_INPUTS},
        "rtol": QUIZ_RTOL,
        "atol": QUIZ_ATOL,
    }
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if len(text) > GZIP_ABOVE:  # the browser unpacks it with its own DecompressionStream
        # level 6: a GPT step's 16 MB in 0.5 s, 3% more bytes than level 9's 1.9 s
        packed = base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")
        text = json.dumps({"gzip": packed})
    # inside <script> the browser ends the element at "</script" and reads "<!--" as a comment
    return Content(first, text.replace("<", "\\u003c"), len(steps), watched.captions[0], len(views.opened))


_COLUMNS = ("node", "grad", "caption", "formulas", "set", "edges", "question", "answers")


def runs_of(items: list[str]) -> list[list[Any]]:
    """``items`` run-length encoded, ``[[item, count], ...]``, with ``"v"`` for a Value's own
    record: a group's Values are made together, so a view's 11,000 items are a few hundred runs."""
    runs: list[list[Any]] = []
    for item in items:
        item = "v" if item[0] == "v" else item  # each Value's own record: "v" + its index
        if runs and runs[-1][0] == item:
            runs[-1][1] += 1
        else:
            runs.append([item, 1])
    return runs


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
