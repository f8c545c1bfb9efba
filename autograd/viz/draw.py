"""Drawing the computational graph with Graphviz, and writing the drawing to a file.

Every :class:`~autograd.Value` is drawn as a record ``label | data | grad``; every op as a small
node of its own between its operands and its result, so ``n = w·x + b; o = tanh(n)`` reads
left to right the way the forward pass ran. What an op node says comes from the op table
(:mod:`autograd.ops`): its ``symbol``, and whether the order of its operands matters.

The backprop frames (:mod:`autograd.viz.steps`) are drawings too: the same graph, with an
overlay that marks the gradients known so far and the node pushing its gradient.

The ``graphviz`` Python package is imported inside these functions only, so the engine works
without it (``pip install "valuegrad[viz]"`` installs it). Building a drawing needs only that
package; turning it into SVG or PNG also needs Graphviz's ``dot`` program.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..engine import Value, op_of
from ..fileio import write_atomic
from ..ops import F
from ..primitive import Op
from .layout import _check_int, _check_size, _fmt, _grad_field, _Layout, _reaches, _record_text

__all__ = ["draw_dot", "render_svg", "save_graph"]

# --- colours: one meaning each, also listed in every drawing's legend ------------------------

LEAF_FILL = "#cfe3ff"  # a leaf that requires grad: a parameter, or an input we differentiate by
CONST_FILL = "#ece4f7"  # a Value with requires_grad=False, and plain number operands
ROOT_FILL = "#c9efc4"  # the output that is drawn (or backpropagated)
OP_FILL = "#f2f2f2"
CURRENT_FILL = "#ffb74d"  # the frame's node pushing its gradient to its parents
RECEIVING_FILL = "#fff3b0"  # its parents, receiving a contribution in this frame
PENDING_COLOR = "#b5b5b5"  # a gradient not computed yet

_NO_GRAPHVIZ_PACKAGE = (
    'drawing needs the graphviz Python package: pip install "valuegrad[viz]" (or pip install graphviz)'
)
_NO_DOT = (
    "rendering needs Graphviz's `dot` program, which was not found on PATH. Install Graphviz: "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), or "
    "`conda install graphviz` (conda); or write the DOT source (`graph.source`) instead"
)
_RANKDIRS = ("LR", "RL", "TB", "BT")
_FORMATS = ("svg", "png", "pdf", "dot")
def _graphviz() -> Any:
    """The graphviz module, or an ImportError saying how to install it."""
    try:
        import graphviz
    except ImportError as err:
        raise ImportError(_NO_GRAPHVIZ_PACKAGE) from err
    return graphviz


# --- what the op table says about an op node -----------------------------------------------------


def _op_symbol(node: Value) -> str:
    """The label of ``node``'s op node: its op's ``symbol`` in the table (``"tanh"``, ``"σ"``),
    or its name when a user-defined op has none. For ``2 - x`` that is the symbol of ``-``: a
    permuted variant is drawn as the op it was made from."""
    return op_of(node).natural.node_symbol(node.operands)


@lru_cache(maxsize=256)
def _order_matters(op: Op) -> bool:
    """Whether swapping the two operands of the binary ``op`` can change its value, so that its
    drawing must say which operand is ``a`` and which is ``b``.

    Read off the op's own formula at the points of its ``domain`` in the table: ``a - b``,
    ``a / b`` and ``a ** b`` change when swapped, ``a + b`` and ``a · b`` do not. An op with
    no domain (a user-defined op) is not tested, and its edges are not labelled.
    """
    for point in op.domain:
        if len(point) != 2:
            continue
        ab = op.fn(F, point[0], point[1])[0]
        ba = op.fn(F, point[1], point[0])[0]
        if ab != ba and not (ab != ab and ba != ba):  # nan on both sides counts as the same
            return True
    return False


def _parent_positions(node: Value) -> list[int]:
    """The position in ``node.operands`` of each of ``node.parents``, in order.

    The engine stores the operands that need a gradient first, in the order of their natural
    positions; for a permuted variant of an op (``2 - x`` stores ``x`` first) the op's
    ``order`` gives the natural position of each stored operand.
    """
    order = op_of(node).order
    count = len(node.local_grads)
    return list(order[:count]) if order is not None else list(range(count))


# --- building a Digraph -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Overlay:
    """What one backprop frame adds to the plain drawing."""

    grads: Mapping[Value, float]  # the gradients known so far (absent: not computed yet)
    current: Value  # the node whose gradient is being pushed (the root, in frame 0)
    pushing: bool  # False in frame 0, where the root is only seeded


def _build(
    layout: _Layout,
    rankdir: str,
    show_grad: bool,
    overlay: _Overlay | None,
    title: str,
    *,
    element_ids: bool = False,
    grad_texts: Mapping[Value, str] | None = None,
) -> Any:
    """The Digraph of ``layout``: a plain drawing, a backprop frame (``overlay``), or the player's one drawing.

    The player draws the graph once and its script restyles it at every step, so it asks for
    ``element_ids`` (each Value's record is the SVG element ``v3``, its op node ``v3_op``, the
    edge of its operand j ``v3_e0``...) and gives ``grad_texts``, the widest text each grad
    field will show, so that every box is laid out wide enough for all of its steps.
    """
    gv = _graphviz()
    g = gv.Digraph(
        "valuegrad",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "label": title, "labelloc": "t"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"},
    )
    horizontal = rankdir in ("LR", "RL")
    receiving = set(overlay.current.parents) if overlay is not None and overlay.pushing else set()
    truncated = False

    for v in layout.values:
        vid = layout.ids[v]
        fields = [_record_text(layout.names[v]), f"data {_fmt(v.data)}"]
        attrs = {"shape": "record", "style": "filled", "fillcolor": "white"}
        if not v.requires_grad:
            attrs["fillcolor"] = CONST_FILL
            grad_text = "no grad"
        elif overlay is not None and v not in overlay.grads:
            grad_text = _grad_field(None)
            attrs.update(color=PENDING_COLOR, fontcolor=PENDING_COLOR)
        else:
            grad_text = _grad_field(overlay.grads[v] if overlay is not None else v.grad)
        if grad_texts is not None and v.requires_grad:
            grad_text = grad_texts.get(v, grad_text)
        if show_grad or overlay is not None or grad_texts is not None:
            fields.append(grad_text)
        if v is layout.start:
            attrs["fillcolor"] = ROOT_FILL
        elif v.is_leaf and v.requires_grad:
            attrs["fillcolor"] = LEAF_FILL
        if overlay is not None and v is overlay.current:
            attrs.update(fillcolor=CURRENT_FILL, penwidth="2.5")
        elif v in receiving:
            attrs.update(fillcolor=RECEIVING_FILL, penwidth="1.5")
        body = " | ".join(fields)
        if v not in layout.expanded and v.operands:
            attrs["style"] = "filled,dashed"
            truncated = True
        if element_ids:
            attrs["id"] = vid
        g.node(vid, gv.nohtml("{ " + body + " }" if horizontal else body), **attrs)

        if v not in layout.expanded or not v.operands:
            continue
        op_id = f"{vid}_op"
        op_attrs = {"shape": "ellipse", "style": "filled", "fillcolor": OP_FILL, "margin": "0.05,0.02"}
        pushing_here = overlay is not None and overlay.pushing and v is overlay.current
        if pushing_here:
            op_attrs.update(color=CURRENT_FILL, penwidth="2.5")
        if element_ids:
            op_attrs["id"] = op_id
        g.node(op_id, gv.nohtml(_op_symbol(v)), **op_attrs)
        g.edge(op_id, vid)
        local = v.local_grads
        parent_of = {j: i for i, j in enumerate(_parent_positions(v))} if pushing_here else {}
        ordered = len(v.operands) == 2 and _order_matters(op_of(v).natural)
        for j, x in enumerate(v.operands):
            edge: dict[str, str] = {"id": f"{vid}_e{j}"} if element_ids else {}
            if ordered:
                edge["label"] = "ab"[j]
            if isinstance(x, Value):
                src = layout.ids[x]
            else:
                src = f"{vid}_c{j}"
                g.node(
                    src, gv.nohtml(_fmt(x)), shape="box", style="filled,rounded", fillcolor=CONST_FILL,
                    fontsize="10", height="0.3", width="0.3", margin="0.04,0.02",
                )
            if pushing_here:
                i = parent_of.get(j)
                if i is not None:
                    edge.update(
                        color=CURRENT_FILL, penwidth="2.5", dir="back", fontcolor="#b35900",
                        label=(edge.get("label", "") + f" ×{_fmt(local[i])}").strip(),
                    )
            g.edge(src, op_id, **edge)

    _legend(g, overlay is not None or grad_texts is not None, truncated)
    return g


def _legend(g: Any, frames: bool, truncated: bool) -> None:
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
        c.attr(label="legend", fontsize="10", color="#999999", style="rounded")
        for key, text, fill, color in entries:
            c.node(
                key, text, shape="box", style="filled,rounded", fillcolor=fill, color=color, fontcolor=color,
                fontsize="9", height="0.25", margin="0.06,0.02",
            )
        if truncated:
            c.node(
                "legend_truncated", "inputs cut off (depth)", shape="box", style="filled,dashed",
                fillcolor="white", fontsize="9", height="0.25", margin="0.06,0.02",
            )


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int = 500,
    depth: int | None = None,
    focus: Value | None = None,
) -> Any:
    """The computational graph that made ``root``, as a ``graphviz.Digraph``.

    Each Value is a record ``label | data | grad`` (4 significant digits; an unlabeled Value
    shows ``#k``, its position in the drawing). Each op is a small node of its own, labelled
    with its symbol from the op table, with edges from its operands to it and from it to its
    result; a fused neuron ``dot`` is one op node ``w·x+b`` with all of its inputs. Number
    operands are drawn as small constant boxes. Colours (see the legend): the output is green,
    leaves that require grad are blue, constants are lilac. For an op whose operands cannot be
    swapped (``-``, ``/``, ``**``) the edges say which operand is ``a`` and which is ``b`` in
    ``a - b``.

    In Jupyter the returned Digraph displays itself; elsewhere use ``.source`` for the DOT
    text, :func:`render_svg`, or :func:`save_graph`. Building it never runs Graphviz's
    ``dot`` program, only rendering does. The DOT text is deterministic: node ids come from
    the drawing order, never from ``id()``.

    Args:
        root: the Value to draw, with everything it was computed from.
        rankdir: "LR" (left to right, the default), "TB", "RL" or "BT".
        show_grad: also show each Value's ``.grad``.
        max_nodes: refuse (ValueError) to draw more Values than this.
        depth: draw only the Values at most ``depth`` ops away from the root (or from
            ``focus``); Values whose ops are cut off have a dashed border.
        focus: draw only the subgraph that leads to this Value (it must be part of ``root``'s
            graph), as if it were the root.

    >>> from autograd import Value
    >>> x = Value(0.5, label="x"); w = Value(2.0, label="w")
    >>> y = (x * w).tanh(); y.label = "y"
    >>> y.backward()   # dy/dx = (1 - tanh²(xw))·w = 0.42 × 2
    >>> g = draw_dot(y)
    >>> "{ x | data 0.5 | grad 0.8399 }" in g.source, '"*"' in g.source, "tanh" in g.source
    (True, True, True)
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    _check_int("draw_dot: max_nodes", max_nodes, 1)
    if depth is not None:
        _check_int("draw_dot: depth", depth, 0)
    start = root
    if focus is not None:
        if not isinstance(focus, Value):
            raise TypeError(f"draw_dot: focus must be a Value, got {type(focus).__name__}")
        if not _reaches(root, focus):
            raise ValueError("draw_dot: focus must be a Value that root was computed from; this one is not in root's graph")
        start = focus
    _graphviz()
    layout = _Layout(start, depth)
    _check_size(layout, max_nodes, "draw_dot")
    return _build(layout, rankdir, show_grad, None, "")


# --- rendering ---------------------------------------------------------------------------------------


def _pipe(graph: Any, fmt: str) -> bytes:
    gv = _graphviz()
    try:
        return graph.pipe(format=fmt)
    except gv.ExecutableNotFound as err:
        raise RuntimeError(_NO_DOT) from err


def render_svg(graph: Any) -> str:
    """``graph`` (a Digraph from :func:`draw_dot`) as SVG text, ready to inline in HTML.

    The XML prolog, DOCTYPE and comments are removed. Needs Graphviz's ``dot`` program:
    without it a RuntimeError says how to install Graphviz.
    """
    svg = _pipe(graph, "svg").decode("utf-8")
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError("Graphviz returned no <svg> element")
    return re.sub(r"<!--.*?-->\s*", "", svg[start:], flags=re.DOTALL).strip()


def save_graph(graph: Any, path: str | os.PathLike[str]) -> None:
    """Write ``graph`` to ``path`` in the format its extension names: .svg, .png, .pdf or .dot.

    ``.dot`` writes the DOT source and needs no Graphviz program; the others run ``dot``.
    The file is written atomically (a temporary file, then ``os.replace``).
    """
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in _FORMATS:
        raise ValueError(f"save_graph: path must end in .svg, .png, .pdf or .dot, got {os.fspath(path)!r}")
    data = graph.source.encode("utf-8") if ext == "dot" else _pipe(graph, ext)
    write_atomic(path, data)
