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

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..engine import Value, op_of
from ..groups import GROUPS
from ..ops import F
from ..primitive import Op
from .boxes import MAX_PORTS, add_boxes, add_frames, box_ids, source_of
from .collapse import Box, Collapsed
from .collapse import collapse as collapse_graph
from .layout import Layout, check_int, check_size, fmt, grad_field, reaches, record_text
from .legend import CONST_FILL, CURRENT_FILL, LEAF_FILL, OP_FILL, PENDING_COLOR, RECEIVING_FILL, ROOT_FILL, add_legend
from .quick import place, wants_quick
from .render import graphviz_module, render_svg, save_graph

__all__ = ["draw_dot", "render_svg", "save_graph", "COLLAPSE_ABOVE", "LAYOUT_MAX", "LAYOUT_ATTRS", "LARGE_LAYOUT_ATTRS", "LARGE_DRAWING"]


RANKDIRS = ("LR", "RL", "TB", "BT")

#: Above this many Values, a graph with groups is drawn collapsed unless ``collapse=False``.
COLLAPSE_ABOVE = 200
#: Above this many nodes (Values and boxes) a drawing warns that Graphviz may take minutes.
LAYOUT_MAX = 2000

#: Graphviz settings every drawing uses, chosen by measurement (the table is in benchmarks/viz.py):
#: network simplex stops after as many iterations as there are nodes, where it ran for minutes
#: on unrolled loops; small drawings converge well before that, and look the same.
LAYOUT_ATTRS: dict[str, str] = {"nslimit": "1", "nslimit1": "1"}
#: Above ``LARGE_DRAWING`` nodes, fewer passes still: crossings are minimised less hard and the
#: x positions settled sooner, and edges are straight lines (spline routing around thousands of
#: nodes costs as much as the layout).
LARGE_LAYOUT_ATTRS: dict[str, str] = {"nslimit": "0.2", "nslimit1": "1", "mclimit": "0.1", "splines": "line"}
LARGE_DRAWING = 600
load_graphviz = graphviz_module  # the name the other drawing modules import


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


def parent_positions(node: Value) -> list[int]:
    """The position in ``node.operands`` of each of ``node.parents``, in order.

    The engine stores the operands that need a gradient first, in the order of their natural
    positions; for a permuted variant of an op (``2 - x`` stores ``x`` first) the op's
    ``order`` gives the natural position of each stored operand.
    """
    order = op_of(node).order
    count = len(node.local_grads)
    return list(order[:count]) if order is not None else list(range(count))


# --- building a Digraph -------------------------------------------------------------------------


#: Words of DOT that the graphviz package quotes though they are identifiers (see :func:`edge_to`).
_DOT_KEYWORDS = frozenset({"node", "edge", "graph", "digraph", "subgraph", "strict"})


def edge_to(g: Any, tail: str, head: str, attrs: Mapping[str, str]) -> None:
    """``g.edge(tail, head, **attrs)``, written straight into ``g``'s body when every word is a plain
    identifier, which graphviz would not quote (its quoting of a player's 77,000 edges took seconds)."""
    words = (tail, head, *attrs, *attrs.values())
    if all(w.isascii() and w.isidentifier() and w.lower() not in _DOT_KEYWORDS for w in words):
        order = sorted(attrs, key=lambda k: (k != "label", k))  # graphviz writes the label first
        listed = " ".join(f"{k}={attrs[k]}" for k in order)
        g.body.append(f"\t{tail} -> {head} [{listed}]\n" if listed else f"\t{tail} -> {head}\n")
    else:
        g.edge(tail, head, **attrs)


@dataclass(frozen=True)
class Overlay:
    """What one backprop frame adds to the plain drawing."""

    grads: Mapping[Value, float]  # the gradients known so far (absent: not computed yet)
    current: Value  # the node whose gradient is being pushed (the root, in frame 0)
    pushing: bool  # False in frame 0, where the root is only seeded


def build_graph(
    layout: Layout,
    rankdir: str,
    show_grad: bool,
    overlay: Overlay | None,
    title: str,
    *,
    element_ids: bool = False,
    grad_texts: Mapping[Value, str] | None = None,
    copies: bool | None = None,
    collapsed: Collapsed | None = None,
    ports: int = MAX_PORTS,
    quick: bool | None = None,
) -> Any:
    """The Digraph of ``layout``: a plain drawing, a backprop frame (``overlay``), or the player's one drawing.

    The player draws the graph once and its script restyles it at every step, so it asks for
    ``element_ids`` (each Value's record is the SVG element ``v3``, its op node ``v3_op``, the
    edge of its operand j ``v3_e0``...) and gives ``grad_texts``, the widest text each grad
    field will show, so that every box is laid out wide enough for all of its steps.

    ``quick``: lay the drawing out in Python (:mod:`autograd.viz.quick`), Graphviz only drawing
    it; by default when ``dot`` would need more than a few seconds
    (:func:`autograd.viz.quick.wants_quick`).

    ``copies``: draw a Value used far apart again beside each far use
    (:func:`autograd.viz.layout.far_uses`); by default on, except with ``element_ids``,
    where the copy of ``v3`` beside ``v7`` would be the element ``v3_copy7``, of class
    ``copy-of-v3``, which a page restyling ``v3`` must restyle too.
    """
    copies_allowed = not element_ids if copies is None else copies
    boxed: Mapping[Value, Box] = collapsed.box_of if collapsed is not None else {}
    ids_of_boxes = box_ids(collapsed) if collapsed is not None else {}
    gv = load_graphviz()
    drawn = len(layout.values) if collapsed is None else len(collapsed.shown) + len(collapsed.boxes)
    settings = {**LAYOUT_ATTRS, **(LARGE_LAYOUT_ATTRS if drawn > LARGE_DRAWING else {})}
    if (collapsed is not None and collapsed.boxes) or rankdir in ("TB", "BT"):
        settings["nodesep"] = "0.15"  # rows of boxes side by side (a layer's neurons) a little closer, to fit a page
    g = gv.Digraph(
        "valuegrad",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "label": title, "labelloc": "t", **settings},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},  # 11 pt everywhere: 9 px on a page even when shrunk by a third
        edge_attr={"fontname": "Helvetica", "fontsize": "11", "arrowsize": "0.7"},
    )
    horizontal = rankdir in ("LR", "RL")
    receiving = set(overlay.current.parents) if overlay is not None and overlay.pushing else set()
    truncated = False
    far = layout.copies if copies_allowed else {}
    copied = False

    def value_node(v: Value, node_id: str, copy: bool) -> None:
        """The record ``name | data | grad`` of ``v``, under ``node_id`` (a copy: dotted, "same as")."""
        name = layout.names[v]
        fields = [record_text(f"{name} (same)" if copy else name), f"data {fmt(v.data)}"]
        attrs = {"shape": "record", "style": "filled", "fillcolor": "white"}
        if not v.requires_grad:
            attrs["fillcolor"] = CONST_FILL
            grad_text = "no grad"
        elif overlay is not None and v not in overlay.grads:
            grad_text = grad_field(None)
            attrs.update(color=PENDING_COLOR, fontcolor=PENDING_COLOR)
        else:
            grad_text = grad_field(overlay.grads[v] if overlay is not None else v.grad)
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
        if copy:
            attrs["style"] = "filled,dotted"
            attrs["penwidth"] = "1.6"
        elif v not in layout.expanded and v.operands:
            attrs["style"] = "filled,dashed"
        if element_ids:
            attrs["id"] = node_id
            if copy:
                attrs["class"] = f"copy-of-{layout.ids[v]}"
        body = " | ".join(fields)
        g.node(node_id, gv.nohtml("{ " + body + " }"), **attrs)  # a row across the ranks, a column down them

    for v in layout.values:
        if v in boxed:
            continue
        vid = layout.ids[v]
        value_node(v, vid, False)
        if v not in layout.expanded and v.operands:
            truncated = True
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
        edge_to(g, op_id, vid, {})
        local = v.local_grads
        parent_of = {j: i for i, j in enumerate(parent_positions(v))} if pushing_here else {}
        ordered = len(v.operands) == 2 and _order_matters(op_of(v).natural)
        from_boxes: dict[str, int] = {}
        for j, x in enumerate(v.operands):
            edge: dict[str, str] = {"id": f"{vid}_e{j}"} if element_ids else {}
            if ordered:
                edge["label"] = "ab"[j]
            if isinstance(x, Value) and x in boxed and not ordered:  # one edge per box, "×k"
                src = ids_of_boxes[boxed[x]]
                from_boxes[src] = from_boxes.get(src, 0) + 1
                continue
            if isinstance(x, Value) and x in boxed:
                src = source_of(collapsed, ids_of_boxes, x, ports)  # type: ignore[arg-type]
            elif isinstance(x, Value):
                src = layout.ids[x]
                if v in far.get(x, ()):
                    copied = True
                    src = f"{src}_copy{vid[1:]}"
                    if j == 0 or all(x is not y for y in v.operands[:j]):
                        value_node(x, src, True)
            else:
                src = f"{vid}_c{j}"
                g.node(
                    src, gv.nohtml(fmt(x)), shape="box", style="filled,rounded", fillcolor=CONST_FILL,
                    fontsize="11", height="0.3", width="0.3", margin="0.04,0.02",
                )
            if pushing_here:
                i = parent_of.get(j)
                if i is not None:
                    edge.update(
                        color=CURRENT_FILL, penwidth="2.5", dir="back", fontcolor="#b35900",
                        label=(edge.get("label", "") + f" ×{fmt(local[i])}").strip(),
                    )
            edge_to(g, src, op_id, edge)
        for src, k in from_boxes.items():
            g.edge(src, op_id, **({"label": f"×{k}", "penwidth": "1.3", "fontsize": "11"} if k > 1 else {}))

    if collapsed is not None:
        add_boxes(g, collapsed, ids_of_boxes, layout.ids, layout.names, show_grad, ports)
        _frame_groups(g, collapsed, layout, ids_of_boxes)
    if collapsed is None or collapsed.shown:  # a drawing of boxes only needs no legend
        start = layout.start
        anchor = ids_of_boxes[boxed[start]] if start in boxed else layout.ids[start]
        add_legend(g, overlay is not None or grad_texts is not None, truncated, copied, None if horizontal else anchor)
    if quick or (quick is None and wants_quick(g, rankdir)):
        place(g, rankdir)
    return g


def _frame_groups(g: Any, collapsed: Collapsed, layout: Layout, ids_of_boxes: Mapping[Box, str]) -> None:
    """Frame each open group around its shown Values (with their op nodes) and its closed subgroups."""
    members: dict[tuple[str, ...], list[str]] = {}
    for v in collapsed.shown:
        path = collapsed.group[v]
        if path:
            vid = layout.ids[v]
            members.setdefault(path, []).extend([vid, f"{vid}_op"] if v.operands and v in layout.expanded else [vid])
    for box in collapsed.boxes:
        if len(box.path) > 1:
            members.setdefault(box.path[:-1], []).append(ids_of_boxes[box])
    add_frames(g, collapsed, members)


def draw_dot(
    root: Value,
    rankdir: str = "LR",
    show_grad: bool = True,
    max_nodes: int = 500,
    depth: int | None = None,
    focus: Value | None = None,
    collapse: bool | None = None,
    expand: Iterable[str | tuple[str, ...]] | str | None = None,
    ports: int = MAX_PORTS,
    quick: bool | None = None,
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
        collapse: draw each group (made with :func:`autograd.group`; :mod:`nn`'s modules
            name theirs) as one box with its outputs' data and grad, and edges from its
            inputs (see :func:`autograd.viz.collapse`). ``None`` (the default) collapses
            when ``expand`` is given, or when the graph has more than ``COLLAPSE_ABOVE``
            Values and some of them are in groups; ``False`` never collapses.
        expand: groups to open, each a path or its end: ``["layer 2"]``,
            ``["block 1 › attention › head 1"]``; opening one opens the groups around it.
        ports: how many of its outputs (with data and grad) each box lists; 0 draws small
            boxes (name and sizes only), for pictures that must fit a page.
        quick: lay the drawing out with :mod:`autograd.viz.quick` (a layered layout computed in
            Python, drawn by Graphviz in well under a second) instead of Graphviz's ``dot``.
            ``None`` (the default) does so when ``dot`` would take more than a few seconds (a
            thousand Values or so, fewer when edges run far: :func:`autograd.viz.quick.dot_work`);
            ``False`` always uses ``dot``, whose layouts are tidier. Drawings with group frames
            (``expand=``) or collapsed boxes are always laid out by ``dot``.

    A Value used by several ops far apart (an input reused all along an unrolled loop) is
    drawn again, dotted and marked ``(same)``, beside each far use, so the layout stays
    quick (:func:`autograd.viz.layout.far_uses`). A drawing of more than ``LAYOUT_MAX``
    nodes laid out by ``dot`` (``quick=False``) warns before it is laid out: Graphviz may
    then take a minute.

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
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_dot: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    check_int("draw_dot: max_nodes", max_nodes, 1)
    check_int("draw_dot: ports", ports, 0)
    if depth is not None:
        check_int("draw_dot: depth", depth, 0)
    start = root
    if focus is not None:
        if not isinstance(focus, Value):
            raise TypeError(f"draw_dot: focus must be a Value, got {type(focus).__name__}")
        if not reaches(root, focus):
            raise ValueError("draw_dot: focus must be a Value that root was computed from; this one is not in root's graph")
        start = focus
    load_graphviz()
    layout = Layout(start, depth)
    if collapse is None:
        collapse = expand is not None or (
            len(layout.values) > COLLAPSE_ABOVE and any(v in GROUPS for v in layout.values)
        )
    elif not isinstance(collapse, bool):
        raise TypeError(f"draw_dot: collapse expects True, False or None, got {type(collapse).__name__}")
    if not collapse and expand is not None:
        raise ValueError("draw_dot: expand opens groups of a collapsed drawing; it cannot go with collapse=False")
    collapsed = collapse_graph(start, expand, values=layout.values) if collapse else None
    drawn = len(layout.values) if collapsed is None else len(collapsed.shown) + len(collapsed.boxes)
    check_size(layout, max_nodes, "draw_dot", drawn)
    if quick is not None and not isinstance(quick, bool):
        raise TypeError(f"draw_dot: quick expects True, False or None, got {type(quick).__name__}")
    if drawn > LAYOUT_MAX and quick is False:
        warnings.warn(
            f"draw_dot: {drawn} nodes to lay out, more than {LAYOUT_MAX}: Graphviz may take minutes. "
            "Make the graph inside `with autograd.group(...)` blocks and draw it collapsed (collapse=True, "
            "opening groups with expand=[...]), or draw a part (depth=, focus=)",
            stacklevel=2,
        )
    return build_graph(layout, rankdir, show_grad, None, "", collapsed=collapsed, ports=ports, quick=quick)
