"""What a drawing shows: which Values, in which order, under which names.

A drawing (and every frame of the backprop player) lists the Values that its start was
computed from, each after its operands, and names each one: its label, or ``#k`` for the
k-th Value drawn, so that a caption can say ``∂#3/∂x``. The order and the names come from a
walk of the graph, never from ``id()``, so the same graph always gives the same drawing.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from ..engine import Value
from ..graph import postorder

# --- numbers and names ------------------------------------------------------------------------


def fmt(x: float) -> str:
    """4 significant digits: 2.0 -> '2', -0.70710678 -> '-0.7071', inf -> 'inf', nan -> 'nan'."""
    return f"{x:.4g}"


def grad_field(grad: float | None) -> str:
    """What a Value's grad field reads: ``'grad 0.5'``, or ``'grad ?'`` while it is not computed."""
    return "grad ?" if grad is None else f"grad {fmt(grad)}"


_RECORD_SPECIAL = re.compile(r'([\\{}|<>"])')


def record_text(text: str) -> str:
    """``text`` made safe inside one field of a Graphviz record label, and shown as it is written.

    Control characters (a NUL would end Graphviz's input) are drawn as their Unicode pictures
    (``␀``), other invisible ones as ``U+XXXX``; ``&`` is escaped, since Graphviz would read
    ``&amp;`` in a label as an entity and draw ``&``.
    """
    text = " ".join(text.split())
    if len(text) > 40:
        text = text[:39] + "…"
    text = "".join(_visible(ch) for ch in text).replace("&", "&amp;")
    return _RECORD_SPECIAL.sub(r"\\\1", text)


def _visible(ch: str) -> str:
    if ch.isprintable():
        return ch
    code = ord(ch)
    return chr(0x2400 + code) if code < 0x20 else "␡" if code == 0x7F else f"U+{code:04X}"


# the names the other drawing modules have always imported
format_number, _grad_field, _record_text = fmt, grad_field, record_text


# --- which Values to draw ---------------------------------------------------------------------


class Layout:
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
        self.copies = far_uses(self.values, self.expanded)

    def name(self, x: Value | float) -> str:
        return self.names[x] if isinstance(x, Value) else fmt(x)


#: A Value used by at least this many ops, some of them far from it, is drawn again beside each far use.
COPY_MIN_USES = 2
#: How many levels (ops on the longest path from the leaves) above the lowest use a use keeps its edge.
COPY_NEAR = 2


def far_uses(values: list[Value], expanded: set[Value] | None = None) -> dict[Value, frozenset[Value]]:
    """For each Value used by many ops, some of them far from it: the users drawn with a copy of it.

    ``values`` lists Values operands first. A Value's *level* is the length of the longest
    chain of ops below it (0 for a leaf). An unrolled loop that reuses its inputs (``h = h·x[i
    % 20] + ...``) uses each input at levels 20 apart: drawn with one box per Value, every
    input sends edges across the whole drawing, and Graphviz spends minutes untangling them.
    TensorBoard's answer is the one used here: a Value used by ``COPY_MIN_USES`` ops or more,
    whose uses lie more than ``COPY_NEAR`` levels apart, keeps its edges to the lowest uses
    (within ``COPY_NEAR`` levels of the lowest) and is drawn again, as a copy marked as the
    same Value, beside each use above them. Uses at the same level (a layer's inputs, an
    attention head's keys) are never far apart, so they keep their edges.
    Only ``expanded`` Values' uses count (the others draw no edges).
    """
    level: dict[Value, int] = {}
    users: dict[Value, list[Value]] = {}
    for v in values:
        below = [x for x in v.operands if isinstance(x, Value) and x in level]
        level[v] = 1 + max(level[x] for x in below) if below else 0
        if expanded is not None and v not in expanded:
            continue
        for x in dict.fromkeys(below):
            users.setdefault(x, []).append(v)
    out: dict[Value, frozenset[Value]] = {}
    for x, us in users.items():
        if len(us) < COPY_MIN_USES:
            continue
        nearest = min(level[u] for u in us)
        far = frozenset(u for u in us if level[u] - nearest > COPY_NEAR)
        if far:
            out[x] = far
    return out


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


def reaches(root: Value, target: Value) -> bool:
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


def check_size(layout: Layout, max_nodes: int, what: str, count: int | None = None) -> None:
    count = len(layout.values) if count is None else count
    if count <= max_nodes:
        return
    if what == "draw_dot":
        options = (
            "pass depth=N to draw the root and only the N ops below it, or pass focus=value to draw only the "
            "subgraph that leads to that Value; or make the graph inside `with autograd.group(...)` blocks "
            "(nn's modules then name their parts) and draw it collapsed, one box per group (collapse=True), "
            "opening fewer groups with expand=[...]"
        )
    elif what == "backprop_frames":
        options = (
            "use draw_backprop or show_backprop, which draw the graph once and replay the steps on it "
            "(every frame here draws the whole graph, so the frames grow as steps × Values)"
        )
    else:
        options = (
            "step through a part of the graph instead: the backward pass of a Value inside it "
            "(Graphviz lays the whole graph out, which takes seconds for a thousand Values and grows "
            "faster than the graph)"
        )
    raise ValueError(
        f"{what}: the graph has {count} Values, more than max_nodes={max_nodes}. "
        f"Raise max_nodes (e.g. max_nodes={count}), or {options}"
    )


def check_int(name: str, value: Any, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
