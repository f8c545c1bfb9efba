"""Drawing the computational graph, and stepping through backpropagation one node at a time.

Every :class:`~autograd.Value` is drawn as a record ``label | data | grad``; every op as a small
node of its own between its operands and its result, so ``n = w·x + b; o = tanh(n)`` reads
left to right the way the forward pass ran. Backpropagation runs the other way: each frame of
:func:`backprop_frames` shows one node pushing its gradient to its parents by the chain rule,
``parent.grad += (∂node/∂parent) · node.grad``.

Nothing here changes a Value: frames are computed in a dictionary, never in ``.grad``.

The ``graphviz`` Python package is imported inside these functions only, so the engine works
without it (``pip install "valuegrad[viz]"`` installs it). Building a drawing needs only that
package; turning it into SVG or PNG also needs Graphviz's ``dot`` program.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .engine import Value, op_of
from .graph import postorder, topological_order
from .ops import OPS

__all__ = [
    "draw_dot",
    "backprop_steps",
    "backprop_frames",
    "BackpropStep",
    "draw_backprop",
    "backprop_html",
    "show_backprop",
    "backprop_widget",
    "BACKPROP_MAX_NODES",
    "render_svg",
    "save_graph",
]

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
#: The player draws the whole graph once per step, so its size grows as steps × Values: a
#: 100-Value graph already makes a 25 MB page. Past this many Values, backprop_* refuse.
BACKPROP_MAX_NODES = 80
_FORMATS = ("svg", "png", "pdf", "dot")


def _graphviz() -> Any:
    """The graphviz module, or an ImportError saying how to install it."""
    try:
        import graphviz
    except ImportError as err:
        raise ImportError(_NO_GRAPHVIZ_PACKAGE) from err
    return graphviz


# --- numbers and names ------------------------------------------------------------------------


def _fmt(x: float) -> str:
    """4 significant digits: 2.0 -> '2', -0.70710678 -> '-0.7071', inf -> 'inf', nan -> 'nan'."""
    return f"{x:.4g}"


_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def _record_text(text: str) -> str:
    """``text`` made safe inside one field of a Graphviz record label."""
    text = " ".join(text.split())
    if len(text) > 40:
        text = text[:39] + "…"
    return _RECORD_SPECIAL.sub(r"\\\1", text)


# --- which Values to draw ---------------------------------------------------------------------


class _Layout:
    """The Values of one drawing in a stable order, with the ids and names derived from it.

    ``values`` lists every drawn Value after all of its drawn operands (a depth-first walk
    over :attr:`Value.operands`, as :func:`autograd.graph.topological_order` walks parents,
    plus the constant Values that are operands but not parents). Ids come from positions in
    that list, never from ``id()``, so the same graph always gives the same DOT text.
    """

    def __init__(self, start: Value, depth: int | None) -> None:
        self.start = start
        limit = _distances(start, depth) if depth is not None else None
        self.values = _walk(start, limit, depth)
        self.ids = {v: f"v{i}" for i, v in enumerate(self.values)}
        self.names = {v: v.label or f"#{i}" for i, v in enumerate(self.values)}
        self.expanded = {v for v in self.values if limit is None or limit[v] < (depth or 0)}

    def name(self, x: Value | float) -> str:
        return self.names[x] if isinstance(x, Value) else _fmt(x)


def _distances(start: Value, depth: int) -> dict[Value, int]:
    """How many ops separate each Value from ``start`` (breadth first), up to ``depth``."""
    dist = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        d = dist[node]
        if d >= depth:
            continue
        for x in node.operands:
            if isinstance(x, Value) and x not in dist:
                dist[x] = d + 1
                queue.append(x)
    return dist


def _walk(start: Value, dist: dict[Value, int] | None, depth: int | None) -> list[Value]:
    """Every Value that ``start`` was computed from (within ``depth`` ops), operands first."""

    def operand_values(node: Value) -> list[Value]:
        if dist is not None and dist[node] >= (depth or 0):
            return []
        return [x for x in node.operands if isinstance(x, Value)]

    return postorder(start, operand_values)


def _reaches(root: Value, target: Value) -> bool:
    """Whether ``target`` is among the Values ``root`` was computed from (or is ``root``)."""
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        if node is target:
            return True
        for x in node.operands:
            if isinstance(x, Value) and x not in seen:
                seen.add(x)
                stack.append(x)
    return False


def _check_size(layout: _Layout, max_nodes: int, what: str) -> None:
    count = len(layout.values)
    if count <= max_nodes:
        return
    if what == "draw_dot":
        options = (
            "pass depth=N to draw the root and only the N ops below it, or pass focus=value to draw only the "
            "subgraph that leads to that Value"
        )
    else:
        options = (
            "step through a part of the graph instead: the backward pass of a Value inside it "
            "(every frame draws the whole graph, so the output grows as steps × Values)"
        )
    raise ValueError(
        f"{what}: the graph has {count} Values, more than max_nodes={max_nodes}. "
        f"Raise max_nodes (e.g. max_nodes={count}), or {options}"
    )


def _check_int(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


# --- building a Digraph -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Overlay:
    """What one backprop frame adds to the plain drawing."""

    grads: Mapping[Value, float]  # the gradients known so far (absent: not computed yet)
    current: Value  # the node whose gradient is being pushed (the root, in frame 0)
    pushing: bool  # False in frame 0, where the root is only seeded


def _op_symbol(node: Value) -> str:
    op = _op_table_entry(node)
    symbol = op.symbol if op is not None and op.symbol else node.op
    if node.op in ("dot", "affine") and len(node.operands) % 2 == 0:
        symbol = symbol.replace("+b", "")  # no bias
    return symbol


def _build(layout: _Layout, rankdir: str, show_grad: bool, overlay: _Overlay | None, title: str) -> Any:
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
            grad_text = "grad ?"
            attrs.update(color=PENDING_COLOR, fontcolor=PENDING_COLOR)
        else:
            grad_text = f"grad {_fmt(overlay.grads[v] if overlay is not None else v.grad)}"
        if show_grad or overlay is not None:
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
        g.node(vid, gv.nohtml("{ " + body + " }" if horizontal else body), **attrs)

        if v not in layout.expanded or not v.operands:
            continue
        op_id = f"{vid}_op"
        op_attrs = {"shape": "ellipse", "style": "filled", "fillcolor": OP_FILL, "margin": "0.05,0.02"}
        pushing_here = overlay is not None and overlay.pushing and v is overlay.current
        if pushing_here:
            op_attrs.update(color=CURRENT_FILL, penwidth="2.5")
        g.node(op_id, gv.nohtml(_op_symbol(v)), **op_attrs)
        g.edge(op_id, vid)
        local = v.local_grads
        parent_of = {j: i for i, j in enumerate(_parent_positions(v))} if pushing_here else {}
        ordered = len(v.operands) == 2 and v.op in ("sub", "div", "pow")
        for j, x in enumerate(v.operands):
            edge: dict[str, str] = {}
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

    _legend(g, overlay is not None, truncated)
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


def _parent_positions(node: Value) -> list[int]:
    """The operand number of each of ``node.parents``, in order.

    The engine stores the operands that need a gradient first (``2 - x`` stores ``x``
    first), in the order of their natural positions, so matching parents to operands by
    identity from left to right recovers the positions, duplicates (``a * a``) included.
    """
    operands = node.operands
    positions: list[int] = []
    j = 0
    for p in node.parents:
        while j < len(operands) and operands[j] is not p:
            j += 1
        if j == len(operands):  # an unknown layout: assume parents come first
            return list(range(len(node.parents)))
        positions.append(j)
        j += 1
    return positions


def _op_table_entry(node: Value) -> Any:
    """The Op that made ``node``: from the op table, or (a user-defined op) the node's own."""
    op = OPS.get(node.op)
    return op if op is not None else op_of(node)


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
    shows ``#k``, its position in the drawing). Each op is a small node of its own, with
    edges from its operands to it and from it to its result; a fused neuron ``dot`` is one
    op node ``w·x+b`` with all of its inputs. Number operands are drawn as small constant
    boxes. Colours (see the legend): the output is green, leaves that require grad are blue,
    constants are lilac. For ``-``, ``/`` and ``**`` the edges say which operand is ``a``
    and which is ``b`` in ``a - b``.

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


# --- backpropagation, one step at a time ----------------------------------------------------------


@dataclass(frozen=True)
class BackpropStep:
    """One step of a backward pass: what happened, and the gradients known after it.

    ``index`` 0 is the seed (``root.grad = 1``); step ``k > 0`` is the ``k``-th node of the
    backward pass pushing its gradient to its parents. ``node`` is that node (the root for
    step 0). ``grads`` maps every Value whose gradient has been computed (or started) so
    far to its value; Values not in it are drawn greyed. ``frame`` is the step's drawing.
    """

    index: int
    node: Value
    caption: str
    grads: Mapping[Value, float]
    frame: Any


def _partial_formula(node: Value, j: int, names: _Layout) -> str | None:
    """∂node/∂(operand j) as a formula over the operands' names, e.g. '1 − tanh²(n)'."""
    ops = node.operands
    op = node.op
    a = names.name(ops[0]) if ops else ""
    b = names.name(ops[1]) if len(ops) > 1 else ""
    binary = {
        "add": ("1", "1"),
        "sub": ("1", "-1"),
        "mul": (b, a),
        "div": (f"1/{b}", f"−{a}/{b}²"),
        "pow": (f"{b}·{a}^({b} − 1)", f"{a}^{b}·ln {a}"),
    }
    unary = {
        "neg": "-1",
        "abs": f"sign({a})",
        "exp": f"exp({a})",
        "log": f"1/{a}",
        "tanh": f"1 − tanh²({a})",
        "sigmoid": f"σ({a})·(1 − σ({a}))",
        "relu": f"(1 if {a} > 0 else 0)",
        "softplus": f"σ({a})",
    }
    if op in binary and len(ops) == 2:
        return binary[op][j]
    if op in unary:
        return unary[op]
    if op == "sum":
        return "1"
    if op == "logsumexp":  # e^(xⱼ − out): the softmax, read off the result
        return f"exp({names.name(ops[j])} − {names.name(node)})"
    n = len(ops) // 2
    if op == "dot":  # operands (w1..wn, x1..xn[, b])
        if j < n:
            return names.name(ops[n + j])
        if j < 2 * n:
            return names.name(ops[j - n])
        return "1"
    if op == "affine":  # operands (w1..wn[, b], c1..cn)
        has_bias = len(ops) % 2
        return names.name(ops[n + has_bias + j]) if j < n else "1"
    return None  # a user-defined op: only its number is known


def _simulate(root: Value) -> list[tuple[Value, dict[Value, float], list[tuple[Value, int, float, float]]]]:
    """The backward pass of ``root`` in a dictionary: (node, grads after, [(parent, j, d, new)])."""
    grads: dict[Value, float] = {root: 1.0}
    steps: list[tuple[Value, dict[Value, float], list[tuple[Value, int, float, float]]]] = [(root, dict(grads), [])]
    if root.is_leaf:
        return steps
    for node in reversed(topological_order(root, include_leaves=False)):
        g = grads.get(node, 0.0)
        updates = []
        for i, (p, d) in enumerate(zip(node.parents, node.local_grads)):
            # the chain rule, exactly as Value.backward applies it
            grads[p] = grads.get(p, 0.0) + d * g
            updates.append((p, i, d, grads[p]))
        steps.append((node, dict(grads), updates))
    return steps


def _operand_index(node: Value, i: int) -> int:
    """The operand number of ``node.parents[i]``."""
    return _parent_positions(node)[i]


_INFIX = {"add": "+", "sub": "−", "mul": "·", "div": "/", "pow": "^"}


def _expression(node: Value, lay: _Layout) -> str:
    """How ``node`` was computed, over its operands' names: 'tanh(n)', 'x1·3', 'w1·x1 + w2·x2 + b'."""
    ops = [lay.name(x) for x in node.operands]
    op = node.op
    if op in _INFIX and len(ops) == 2:
        text = f"{ops[0]} {_INFIX[op]} {ops[1]}"
    elif op == "neg":
        text = f"−{ops[0]}"
    elif op == "abs":
        text = f"|{ops[0]}|"
    elif op == "sum":
        text = " + ".join(ops)
    elif op in ("dot", "affine"):
        n = len(ops) // 2
        has_bias = len(ops) % 2
        if op == "dot":
            ws, xs, bias = ops[:n], ops[n : 2 * n], ops[2 * n :]
        else:
            ws, bias, xs = ops[:n], ops[n : n + has_bias], ops[n + has_bias :]
        text = " + ".join([f"{w}·{x}" for w, x in zip(ws, xs)] + bias)
    else:
        text = f"{_op_symbol(node)}({', '.join(ops)})"
    return text if len(text) <= 90 else text[:89] + "…"


def _caption(k: int, total: int, node: Value, grads: Mapping[Value, float], updates: Sequence[Any], lay: _Layout) -> str:
    name = lay.names[node]
    if k == 0:
        return (
            f"Step 0 of {total}: start at the output: ∂{name}/∂{name} = 1, so {name}.grad = 1. "
            "Every other gradient is not computed yet."
        )
    op = _op_table_entry(node)
    rule = op.doc if op is not None and op.doc else f"the op {node.op!r}"
    g = grads[node]
    lines = [
        f"Step {k} of {total}: {name} = {_expression(node, lay)} sends its gradient {name}.grad = {_fmt(g)} "
        f"back to its inputs (rule: {rule})."
    ]
    for p, i, d, new in updates:
        pname = lay.names[p]
        formula = _partial_formula(node, _operand_index(node, i), lay)
        if formula is None:
            formula = f"∂{node.op}/∂(operand {_operand_index(node, i) + 1})"
        value = "" if formula == _fmt(d) else f" = {_fmt(d)}"
        before = new - d * g
        if before == 0 and new == d * g:
            result = _fmt(new)
        else:
            result = f"{_fmt(before)} + {_fmt(d * g)} = {_fmt(new)}"
        lines.append(f"∂{name}/∂{pname} = {formula}{value};  {pname}.grad += {_fmt(d)} × {_fmt(g)}  →  {result}")
    if not updates:
        lines.append("It has no inputs that need a gradient.")
    return "\n".join(lines)


def backprop_steps(root: Value, rankdir: str = "LR", max_nodes: int = BACKPROP_MAX_NODES) -> list[BackpropStep]:
    """The backward pass of ``root``, one :class:`BackpropStep` (frame and caption) per step.

    Step 0 seeds ``root.grad = 1``. Then, in the order ``backward()`` uses (the reverse of
    :func:`autograd.graph.topological_order`), each op node pushes its gradient to each
    parent ``p`` by the chain rule ``grad[p] += (∂node/∂p) · grad[node]``. So there are
    ``1 + (number of op nodes)`` steps.

    The gradients are those of ONE fresh backward pass, as if every ``.grad`` started at
    zero: the last step's ``grads`` equal what ``root.backward()`` gives on a freshly built
    graph. They are computed in a dictionary: no ``.grad`` is read or changed, so this works
    before or after ``backward()`` and leaves accumulated leaf gradients alone.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a"); b = a * a; b.label = "b"
    >>> steps = backprop_steps(b)
    >>> len(steps), steps[-1].grads[a], a.grad
    (2, 6.0, 0.0)
    >>> print(steps[-1].caption.splitlines()[1])
    ∂b/∂a = a = 3;  a.grad += 3 × 1  →  3
    >>> print(steps[-1].caption.splitlines()[2])
    ∂b/∂a = a = 3;  a.grad += 3 × 1  →  3 + 3 = 6
    """
    if not isinstance(root, Value):
        raise TypeError(f"backprop_steps: root must be a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise ValueError("backprop_steps: root does not require grad (a constant), so there is nothing to backpropagate")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"backprop_steps: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    _check_int("backprop_steps: max_nodes", max_nodes, 1)
    _graphviz()
    layout = _Layout(root, None)
    _check_size(layout, max_nodes, "backprop_steps")
    sim = _simulate(root)
    total = len(sim) - 1
    steps = []
    for k, (node, grads, updates) in enumerate(sim):
        caption = _caption(k, total, node, grads, updates, layout)
        title = f"step {k} of {total}"
        frame = _build(layout, rankdir, True, _Overlay(grads, node, k > 0), title)
        steps.append(BackpropStep(k, node, caption, grads, frame))
    return steps


def backprop_frames(root: Value, rankdir: str = "LR", max_nodes: int = BACKPROP_MAX_NODES) -> list[Any]:
    """One ``graphviz.Digraph`` per step of ``root``'s backward pass (see :func:`backprop_steps`).

    Frame 0 shows ``root.grad = 1`` with every other gradient greyed out as not computed yet.
    Each later frame highlights (orange) the node pushing its gradient, and (yellow) the
    parents receiving ``local gradient × its gradient`` along the highlighted edges, which
    are labelled with the local gradient. The last frame shows every gradient as a fresh
    ``backward()`` leaves it. No ``.grad`` is touched.

    >>> from autograd import Value
    >>> x = Value(0.5, label="x")
    >>> len(backprop_frames(x.tanh().exp()))  # the seed, then the exp node, then the tanh node
    3
    """
    return [s.frame for s in backprop_steps(root, rankdir=rankdir, max_nodes=max_nodes)]


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


def _write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and os.replace."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".valuegrad-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def save_graph(graph: Any, path: str | os.PathLike[str]) -> None:
    """Write ``graph`` to ``path`` in the format its extension names: .svg, .png, .pdf or .dot.

    ``.dot`` writes the DOT source and needs no Graphviz program; the others run ``dot``.
    The file is written atomically (a temporary file, then ``os.replace``).
    """
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in _FORMATS:
        raise ValueError(f"save_graph: path must end in .svg, .png, .pdf or .dot, got {os.fspath(path)!r}")
    data = graph.source.encode("utf-8") if ext == "dot" else _pipe(graph, ext)
    _write_atomic(path, data)


# --- the HTML player ------------------------------------------------------------------------------

_PLAYER_CSS = """
.vg-player { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
  max-width: 100%; }
.vg-player .vg-controls { display: flex; align-items: center; gap: 0.5em; flex-wrap: wrap; margin: 0.5em 0; }
.vg-player button { font-size: 1em; padding: 0.3em 0.9em; cursor: pointer; }
.vg-player .vg-slider { flex: 1 1 12em; min-width: 8em; }
.vg-player .vg-counter { font-variant-numeric: tabular-nums; min-width: 7em; }
.vg-player figure { margin: 0; }
.vg-player figure[hidden] { display: none; }
.vg-player figcaption { white-space: pre-wrap; font-family: ui-monospace, Menlo, Consolas, monospace;
  background: #f7f7f2; border-left: 4px solid #ffb74d; padding: 0.5em 0.8em; margin-bottom: 0.5em;
  font-size: 0.9em; min-height: 3.6em; }
.vg-player svg { max-width: 100%; height: auto; }
"""

_PLAYER_JS = """
(function () {
  var root = document.getElementById("%(uid)s");
  var frames = root.querySelectorAll("figure.vg-frame");
  var slider = root.querySelector(".vg-slider");
  var counter = root.querySelector(".vg-counter");
  var play = root.querySelector(".vg-play");
  var current = 0, timer = null, last = frames.length - 1;
  function show(k) {
    current = Math.max(0, Math.min(last, k));
    for (var i = 0; i < frames.length; i++) { frames[i].hidden = (i !== current); }
    slider.value = String(current);
    counter.textContent = "step " + current + " of " + last;
  }
  function stop() { if (timer !== null) { clearInterval(timer); timer = null; } play.textContent = "Play"; }
  root.querySelector(".vg-prev").addEventListener("click", function () { stop(); show(current - 1); });
  root.querySelector(".vg-next").addEventListener("click", function () { stop(); show(current + 1); });
  slider.addEventListener("input", function () { stop(); show(parseInt(slider.value, 10)); });
  play.addEventListener("click", function () {
    if (timer !== null) { stop(); return; }
    if (current >= last) { show(0); }
    play.textContent = "Pause";
    timer = setInterval(function () { if (current >= last) { stop(); } else { show(current + 1); } }, 1500);
  });
  root.addEventListener("keydown", function (e) {
    if (e.key === "ArrowRight") { stop(); show(current + 1); }
    if (e.key === "ArrowLeft") { stop(); show(current - 1); }
  });
  show(0);
})();
"""


def _player_fragment(svgs: Sequence[str], captions: Sequence[str], uid: str) -> str:
    """The player's markup: controls, then one <figure> per step (caption and inline SVG)."""
    last = len(svgs) - 1
    parts = [
        f'<div class="vg-player" id="{uid}" tabindex="0">',
        "<style>" + _PLAYER_CSS + "</style>",
        '<div class="vg-controls">',
        '<button type="button" class="vg-prev" title="previous step (←)">Prev</button>',
        '<button type="button" class="vg-play" title="play every step">Play</button>',
        '<button type="button" class="vg-next" title="next step (→)">Next</button>',
        f'<input type="range" class="vg-slider" min="0" max="{last}" step="1" value="0" aria-label="step">',
        f'<span class="vg-counter">step 0 of {last}</span>',
        "</div>",
    ]
    for k, (svg, caption) in enumerate(zip(svgs, captions)):
        # each SVG's element ids are made unique on the page, as several frames share it
        svg = re.sub(r'\bid="', f'id="{uid}-f{k}-', svg)
        hidden = "" if k == 0 else " hidden"
        parts.append(
            f'<figure class="vg-frame" data-step="{k}"{hidden}><figcaption>{html.escape(caption)}</figcaption>'
            f"{svg}</figure>"
        )
    parts.append("<script>" + _PLAYER_JS % {"uid": uid} + "</script>")
    parts.append("</div>")
    return "\n".join(parts)


def _player_parts(root: Value, max_nodes: int) -> tuple[list[str], list[str]]:
    steps = backprop_steps(root, max_nodes=max_nodes)
    return [render_svg(s.frame) for s in steps], [s.caption for s in steps]


def backprop_html(
    root: Value, title: str = "Backpropagation, step by step", max_nodes: int = BACKPROP_MAX_NODES
) -> str:
    """A whole self-contained HTML page that plays ``root``'s backward pass (see :func:`draw_backprop`)."""
    svgs, captions = _player_parts(root, max_nodes)
    return _page(svgs, captions, title)


def _page(svgs: Sequence[str], captions: Sequence[str], title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<h1 style=\"font-family: sans-serif; "
        f'font-size: 1.3em\">{html.escape(title)}</h1>\n'
        "<p style=\"font-family: sans-serif\">Prev / Next (or the ← → keys) step through the backward pass; "
        "the slider jumps to any step; Play runs them all. The orange node pushes its gradient to its "
        "inputs (yellow) along the orange edges, labelled with the local gradient.</p>\n"
        + _player_fragment(svgs, captions, "vg-player")
        + "\n</body>\n</html>\n"
    )


def draw_backprop(root: Value, path: str | os.PathLike[str], max_nodes: int = BACKPROP_MAX_NODES) -> None:
    """Write ONE self-contained HTML file that steps through ``root``'s backward pass.

    The page has every frame of :func:`backprop_frames` as inline SVG with its caption,
    Prev / Next / Play buttons and a slider. It references nothing outside itself (no
    scripts, styles or images from the network), so it works offline in any browser. The
    file is written atomically. Needs Graphviz's ``dot`` program to render the frames.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"draw_backprop: path must be a str or os.PathLike, got {type(path).__name__}")
    _write_atomic(path, backprop_html(root, max_nodes=max_nodes).encode("utf-8"))


def backprop_widget(root: Value, max_nodes: int = BACKPROP_MAX_NODES) -> Any:
    """What :func:`show_backprop` displays: an ipywidgets box, or an ``IPython.display.HTML`` player."""
    svgs, captions = _player_parts(root, max_nodes)
    try:
        import ipywidgets as widgets
    except ImportError:
        from IPython.display import HTML  # Jupyter without ipywidgets: the HTML player, inline

        uid = f"vg-player-{os.urandom(4).hex()}"  # unique per output cell: scripts find their own player
        return HTML(_player_fragment(svgs, captions, uid))
    slider = widgets.IntSlider(value=0, min=0, max=len(svgs) - 1, step=1, description="step", continuous_update=True)
    caption = widgets.HTML(f"<pre>{html.escape(captions[0])}</pre>")
    picture = widgets.HTML(svgs[0])

    def on_change(change: dict[str, Any]) -> None:
        k = int(change["new"])
        caption.value = f"<pre>{html.escape(captions[k])}</pre>"
        picture.value = svgs[k]

    slider.observe(on_change, names="value")
    return widgets.VBox([slider, caption, picture])


def show_backprop(root: Value, max_nodes: int = BACKPROP_MAX_NODES) -> None:
    """Step through ``root``'s backward pass in Jupyter, one frame per slider position.

    Uses an ipywidgets ``IntSlider`` when ipywidgets is installed, and otherwise the same
    self-contained HTML player as :func:`draw_backprop`, shown inline.
    """
    try:
        from IPython.display import display
    except ImportError as err:
        raise ImportError(
            "show_backprop needs IPython (Jupyter); outside it, draw_backprop(root, 'backprop.html') writes the player"
        ) from err
    display(backprop_widget(root, max_nodes=max_nodes))
