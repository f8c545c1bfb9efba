"""Drawing a collapsed graph's boxes (:mod:`autograd.viz.collapse`) into a Graphviz drawing.

:func:`autograd.viz.draw_dot` draws the Values that are shown one by one; this module adds
the rest of the picture:

* each closed group as one box: its name (the last of its path: the frames around it say
  the rest, and its tooltip the whole path), how many Values it holds, and its outputs (the
  Values used outside it), each with its data and gradient, up to ``MAX_PORTS`` of them;
* the edges into each box, one per place the Values come from (a shown Value, or another
  box), labelled ``×k`` when k Values cross;
* each open group as a frame (a Graphviz cluster) around the Values and boxes inside it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from ..engine import Value
from ..groups import SEPARATOR
from .collapse import Box, Collapsed
from .layout import fmt, grad_field

__all__ = ["BOX_FILL", "MAX_PORTS", "box_ids", "listed_outputs", "source_of", "add_boxes", "add_frames"]

#: The fill of a closed group's box.
BOX_FILL = "#fdf1dc"
#: A box lists at most this many of its outputs (each with its data and grad, and its own port).
MAX_PORTS = 6


def box_ids(collapsed: Collapsed) -> dict[Box, str]:
    """Each box's node id in the drawing: ``g0``, ``g1``, ... in the boxes' order."""
    return {b: f"g{i}" for i, b in enumerate(collapsed.boxes)}


def listed_outputs(box: Box, ports: int = MAX_PORTS) -> tuple[Value, ...]:
    """The outputs a box lists (at most ``ports``): results of ops first, then leaves."""
    return tuple([v for v in box.outputs if v.operands] + [v for v in box.outputs if not v.operands])[:ports]


def source_of(collapsed: Collapsed, ids: Mapping[Box, str], x: Value, ports: int = MAX_PORTS) -> str:
    """Where an edge carrying ``x`` (a Value inside a box) starts: its port if listed, else the box."""
    box = collapsed.box_of[x]
    listed = listed_outputs(box, ports)
    for i, out in enumerate(listed):
        if out is x:
            return f"{ids[box]}:o{i}"
    return ids[box]


def natural_key(path: tuple[str, ...]) -> list[tuple[str, int]]:
    """A sort key that puts ``("head 2",)`` before ``("head 10",)``: numbers compared as numbers."""
    return [(part, int(num or -1)) for name in path for part, num in re.findall(r"(\D*)(\d*)", name) if part or num]


def _text(s: str) -> str:
    return html.escape(s if len(s) <= 48 else s[:47] + "…", quote=True)


def add_boxes(
    g: Any, collapsed: Collapsed, ids: Mapping[Box, str], value_ids: Mapping[Value, str],
    names: Mapping[Value, str], show_grad: bool, ports: int = MAX_PORTS,
) -> None:  # fmt: skip
    """Draw every box of ``collapsed`` into the Digraph ``g``, and the edges that enter boxes.

    ``value_ids`` are the node ids of the shown Values, ``names`` what each Value is called
    (its label or ``#k``). An edge enters a box from each distinct place its inputs come from
    (from the port of the one Value, or ``×k`` from a box or a Value). Each box lists up to
    ``ports`` of its outputs.
    """
    for box in sorted(collapsed.boxes, key=lambda b: natural_key(b.path)):  # position 2 before position 10
        bid = ids[box]
        rows = [
            f'<tr><td colspan="3" bgcolor="#f6d9a8"><b>{_text(box.path[-1])}</b></td></tr>',
            f'<tr><td colspan="3"><font point-size="10">{len(box.members)} Values<br/>{len(box.inputs)} in · '
            f"{len(box.outputs)} out</font></td></tr>",
        ]
        for i, v in enumerate(listed_outputs(box, ports)):
            grad = grad_field(v.grad) if v.requires_grad else "no grad"
            cells = [_text(names[v]), f"data {fmt(v.data)}"] + ([grad] if show_grad else [""])
            port = f' port="o{i}"'
            rows.append(f"<tr><td>{cells[0]}</td><td>{cells[1]}</td><td{port}>{cells[2]}</td></tr>")
        hidden = len(box.outputs) - ports
        if hidden > 0 and ports:
            rows.append(f'<tr><td colspan="3"><font point-size="9">… and {hidden} more outputs</font></td></tr>')
        label = '<<table border="0" cellborder="1" cellspacing="0" cellpadding="3">' + "".join(rows) + "</table>>"
        g.node(bid, label, shape="plain", style="filled", fillcolor=BOX_FILL, tooltip=box.name)
    for box in collapsed.boxes:
        crossing: dict[str, list[Value]] = {}
        for x in box.inputs:
            src = ids[collapsed.box_of[x]] if x in collapsed.box_of else value_ids[x]
            crossing.setdefault(src, []).append(x)
        for src, xs in crossing.items():
            if len(xs) == 1 and xs[0] in collapsed.box_of:
                g.edge(source_of(collapsed, ids, xs[0], ports), ids[box])
            else:
                g.edge(
                    src,
                    ids[box],
                    **({"label": f"×{len(xs)}", "penwidth": "1.3", "fontsize": "10"} if len(xs) > 1 else {}),
                )


def add_frames(g: Any, collapsed: Collapsed, members: Mapping[tuple[str, ...], list[str]]) -> None:
    """Draw each open group as a frame around the node ids in ``members`` (by group path),
    nested as the groups are: ``head 2`` inside ``attention`` inside ``block 1``."""
    paths = sorted({p[:i] for p in members for i in range(1, len(p) + 1)})
    children: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
    for p in paths:
        children.setdefault(p[:-1], []).append(p)
    index = {p: i for i, p in enumerate(paths)}

    def frame(parent: Any, path: tuple[str, ...]) -> None:
        with parent.subgraph(name=f"cluster_group{index[path]}") as c:
            c.attr(label=path[-1], tooltip=SEPARATOR.join(path), style="rounded,dashed", color="#c08a2b",
                   fontcolor="#8a5a00", fontsize="12")  # fmt: skip
            for node_id in members.get(path, []):
                c.node(node_id)
            for child in children.get(path, []):
                frame(c, child)

    for top in children.get((), []):
        frame(g, top)
