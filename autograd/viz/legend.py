"""The legend of every drawing, and the colours it explains: one meaning each.

:func:`autograd.viz.draw.build_graph` adds the legend last, listing only the colours and line
styles that the drawing uses (the player's colours, copies of far-used Values, Values whose
inputs were cut off).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "add_legend", "LEAF_FILL", "CONST_FILL", "ROOT_FILL", "OP_FILL", "CURRENT_FILL", "RECEIVING_FILL", "PENDING_COLOR",
]  # fmt: skip

# --- colours: one meaning each, also listed in every drawing's legend ------------------------

LEAF_FILL = "#cfe3ff"  # a leaf that requires grad: a parameter, or an input we differentiate by
CONST_FILL = "#ece4f7"  # a Value with requires_grad=False, and plain number operands
ROOT_FILL = "#c9efc4"  # the output that is drawn (or backpropagated)
OP_FILL = "#f2f2f2"
CURRENT_FILL = "#ffb74d"  # the frame's node pushing its gradient to its parents
RECEIVING_FILL = "#fff3b0"  # its parents, receiving a contribution in this frame
PENDING_COLOR = "#b5b5b5"  # a gradient not computed yet


def add_legend(g: Any, frames: bool, truncated: bool, copies: bool = False, below: str | None = None) -> None:
    """The legend, one entry per colour and line style used. ``below`` (for a top-to-bottom
    drawing, whose ranks are rows) is the node to put it under, its entries one under the
    other, as a left-to-right drawing does by itself: in one row beside the graph, it would
    make the drawing wider, and its text smaller on the page."""
    entries = [
        ("legend_root", "output", ROOT_FILL, "black"),
        ("legend_leaf", "leaf that requires grad", LEAF_FILL, "black"),
        ("legend_const", "constant (no grad)", CONST_FILL, "black"),
        ("legend_op", "op", OP_FILL, "black"),
    ]
    if frames:
        entries += [
            ("legend_current", "pushing its grad now", CURRENT_FILL, "black"),
            ("legend_receiving", "receiving grad now", RECEIVING_FILL, "black"),
            ("legend_pending", "grad not computed yet", "white", PENDING_COLOR),
        ]
    with g.subgraph(name="cluster_legend") as c:
        c.attr(label="legend", fontsize="11", color="#999999", style="rounded")
        for key, text, fill, color in entries:
            c.node(
                key, text, shape="box", style="filled,rounded", fillcolor=fill, color=color, fontcolor=color,
                fontsize="11", height="0.25", margin="0.06,0.02",
            )
        if copies:
            c.node(
                "legend_copy", "(same): a Value used far apart, drawn again", shape="box", style="filled,dotted",
                fillcolor="white", fontsize="11", height="0.25", margin="0.06,0.02", penwidth="1.6",
            )
        if truncated:
            c.node(
                "legend_truncated", "inputs cut off (depth)", shape="box", style="filled,dashed",
                fillcolor="white", fontsize="11", height="0.25", margin="0.06,0.02",
            )
        if below is not None:
            keys = [key for key, *_ in entries] + ["legend_copy"] * copies + ["legend_truncated"] * truncated
            for upper, lower in zip(keys, keys[1:]):
                c.edge(upper, lower, style="invis")
    if below is not None:  # outside the cluster: inside, the edge would pull that node into the legend
        g.edge(below, entries[0][0], style="invis")
