"""The player's drawings of a grouped graph: one Graphviz layout for each set of open groups.

A big graph is read by its parts (:func:`autograd.group`, and the layers, neurons, heads and
losses :mod:`nn` names). The player draws each closed group as one box, with edges from the
Values and boxes it reads and to those that read it; a click on a box shows the drawing where
that group is open. Each such drawing is a *view*: a set of open groups. Every view's DOT
text is made here, by the same drawing code as every other drawing; the first view is laid
out by Graphviz in Python, and the others by the same Graphviz compiled to WebAssembly, in the
page, the first time a learner opens them (``vendor/viz-global.js``; nothing is loaded from a
network). Laying every view out in Python instead made the page of a 64-point MLP training
step 7.2 MB and took 68 s, for views most learners never open.

Which views are made: the first one, whose open groups are those asked for (``expand``) or,
by default, every group of a small graph and, of a big one, only the groups that hold every
op (a whole step run inside ``with group("step"):`` opens that one); then, for each group
``g``, the first view's groups plus ``g`` and the groups around it. So a learner opens a box,
then a box inside it, and so on down to single nodes; one path of groups is open at a time.
A view that would draw more than ``max_nodes`` Values is not made: its box says so and does
not open.

Where a Value is drawn: an op node in the innermost group that made it
(:func:`autograd.group_of`); a leaf (a parameter, an input), which no group makes, in the
innermost group that holds every op that reads it, so a neuron's weights sit in its box and
the inputs of a layer in the layer's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import Value
from ..groups import SEPARATOR
from .collapse import effective_groups
from .draw import build_graph
from .layout import Layout, check_size, record_text
from .quick import place, wants_quick

__all__ = ["Views", "player_views", "AUTO_COLLAPSE"]

#: Past this many Values, a graph with groups is first drawn with its groups closed.
AUTO_COLLAPSE = 300
#: A group with more leaves than this in sight draws them as one box (a GPT head's 192 weights).
LEAF_BOX = 40
#: A view laid out in the page with more edges than this is not made (Graphviz in WebAssembly
#: would take long): its box says "too big to open here".
MAX_EDGES = 2500

_BOX_FILL = "#e8f0e0"
_BOX_EDGE = "#6b8f4e"


@dataclass(frozen=True)
class Views:
    """What the player needs to draw a grouped graph.

    ``groups`` lists each group as ``(name, parent index or -1, Values in it)``, parents first.
    View ``j`` opens the groups ``opened[j]`` around the group ``focus[j]`` (-1 for the first
    view, which has none), draws each Value as ``items[j][i]`` (see :func:`_items`) and is the
    Digraph ``drawings[j]``.
    """

    groups: list[tuple[str, int, int]]
    opened: list[list[int]]
    focus: list[int]
    items: list[list[str]]
    drawings: list[Any]


def _paths(values: Sequence[Value]) -> list[tuple[str, ...]]:
    """The group path each Value is drawn in (:func:`autograd.viz.collapse.effective_groups`):
    its own for an op node; for a leaf, the innermost group holding the ops that read it."""
    groups = effective_groups(values)
    return [groups.get(v, ()) for v in values]


class _ViewLayout(Layout):
    """A view as the drawing code reads a layout: the Values drawn as records, and the id of
    every Value, a hidden one's being its box's (so an op's edge from it starts at the box)."""


    def __init__(self, full: Layout, items: Sequence[str]) -> None:  # noqa: D107 - no walk: it is given
        self.start = full.start
        self.values = [v for v, item in zip(full.values, items) if item[0] == "v"]
        self.ids = {v: item for v, item in zip(full.values, items)}
        self.names = full.names
        self.expanded = set(self.values)


def _items(
    values: Sequence[Value], home: Sequence[int], parents: Sequence[int], open_: set[int], around: set[int]
) -> list[str]:
    """What each Value is drawn as when the groups ``open_`` are open: ``g<k>``, the box of its
    outermost closed group; ``r<k>``, the box "the rest of group k" for the Values of a group
    ``around`` the one opened last (they are its context, not its inside); ``p<k>``, the box of
    group k's leaves when it has more than :data:`LEAF_BOX` of them in sight (a head's weights);
    or ``v<i>``, its own record."""
    box: list[str | None] = []
    for g, parent in enumerate(parents):
        above = box[parent] if parent >= 0 else None
        box.append(above if above is not None else (None if g in open_ else f"g{g}"))
    items = []
    for i, g in enumerate(home):
        if g >= 0 and box[g] is not None:
            items.append(str(box[g]))
        elif g in around:
            items.append(f"r{g}")
        else:
            items.append(f"v{i}")
    leaves: dict[int, list[int]] = {}
    for i, (v, g) in enumerate(zip(values, home)):
        if g >= 0 and items[i][0] == "v" and not v.operands:
            leaves.setdefault(g, []).append(i)
    for g, members in leaves.items():
        if len(members) > LEAF_BOX:
            for i in members:
                items[i] = f"p{g}"
    return items


def _draw(
    full: Layout, items: list[str], groups: Sequence[tuple[str, int, int]], rankdir: str,
    grad_texts: Mapping[Value, str], opens: set[int], into: Iterable[tuple[str, str]],
) -> Any:
    """One view's Digraph: the plain player's drawing of the Values shown, plus a box for each
    closed group and the edges ``into`` boxes (:func:`_box_edges`)."""
    graph = build_graph(
        _ViewLayout(full, items), rankdir, True, None, "", element_ids=True, grad_texts=grad_texts, copies=False,
        quick=False,
    )
    _bundle(graph)
    sizes: dict[str, int] = {}
    for item in items:
        if item[0] != "v":
            sizes[item] = sizes.get(item, 0) + 1
    for box, size in sizes.items():
        name = record_text(groups[int(box[1:])][0])
        if box[0] == "g":
            hint = "click to open" if int(box[1:]) in opens else "too big to open here"
        else:
            name += " (the rest)" if box[0] == "r" else " (leaves)"
            hint = "open around it"
        fields = [name, f"{size} Values, {hint}", f"grads {size} of {size}"]
        label = "{ " + " | ".join(fields) + " }" if rankdir in ("LR", "RL") else " | ".join(fields)
        graph.node(box, label, shape="record", style="filled,bold", fillcolor=_BOX_FILL, id=box)
    for source, box in into:
        graph.edge(source, box, id=f"{box}_f{source}", style="bold", color=_BOX_EDGE)
    if wants_quick(graph, rankdir):  # laid out once the boxes are in: place() needs every node
        place(graph, rankdir)
    return graph


_FROM_BOX = re.compile(r"^\t([grp]\d+) -> (v\d+)_op \[id=v\d+_e\d+\]$")


def _bundle(graph: Any) -> None:
    """One edge from a box to an op, however many of the op's operands the box holds (a neuron
    reads all of a layer's outputs): its id is ``v7_fg4``, for op node 7 reading box 4."""
    seen: set[tuple[str, str]] = set()
    body = []
    for line in graph.body:
        m = _FROM_BOX.match(line.rstrip("\n"))
        if m is None:
            body.append(line)
        elif (m[1], m[2]) not in seen:
            seen.add((m[1], m[2]))
            body.append(f"\t{m[1]} -> {m[2]}_op [id={m[2]}_f{m[1]}]\n")
    graph.body[:] = body


def player_views(
    full: Layout, expand: Sequence[tuple[str, ...]] | None, max_nodes: int, rankdir: str,
    grad_texts: Mapping[Value, str], who: str,
) -> Views:
    """The groups of ``full`` (the whole graph, every Value in order) and the views the player
    draws them in, each as a Digraph whose elements carry the player's ids."""
    paths = _paths(full.values)
    index: dict[tuple[str, ...], int] = {}
    for p in paths:
        for n in range(1, len(p) + 1):
            index.setdefault(p[:n], len(index))
    parents = [index[p[:-1]] if len(p) > 1 else -1 for p in index]
    home = [index[p] if p else -1 for p in paths]
    sizes = [0] * len(index)
    for g in home:
        while g >= 0:
            sizes[g] += 1
            g = parents[g]
    groups = [(p[-1], parents[index[p]], sizes[index[p]]) for p in index]

    base = _first_open(paths, index, expand, len(full.values), who)
    opened: list[list[int]] = []
    focus: list[int] = []
    item_lists: list[list[str]] = []
    box_edges: list[list[tuple[str, str]]] = []
    operands = [[int(full.ids[x][1:]) if isinstance(x, Value) else -1 for x in v.operands] for v in full.values]
    for g in [-1] + [g for g in range(len(index)) if g not in base]:
        open_ = _with_ancestors(base, g, parents)
        around = open_ - base - {g}
        items = _items(full.values, home, parents, open_, around)
        shown = sum(1 for item in items if item[0] == "v")
        into = _box_edges(operands, items)
        edges = _edge_count(operands, items, into)
        # the first view is laid out by Graphviz in Python; the others in the page, where edges cost more
        if shown > max_nodes or (g >= 0 and edges > MAX_EDGES):
            if g < 0 and not index:  # no groups to close: the whole graph is too big
                check_size(full, max_nodes, who)
            if g < 0:
                raise ValueError(
                    f"{who}: the first drawing would show {shown} Values, more than "
                    f"max_nodes={max_nodes}. Close groups (expand=[] draws every "
                    "group as a box; a graph's ops are grouped with `with autograd.group(name):`), raise "
                    "max_nodes, or step through a Value inside the graph"
                )
            continue
        opened.append(sorted(open_))
        focus.append(g)
        item_lists.append(items)
        box_edges.append(into)
    opens = set(focus)
    drawings = [_draw(full, items, groups, rankdir, grad_texts, opens, into) for items, into in zip(item_lists, box_edges)]
    return Views(groups, opened, focus, item_lists, drawings)


def _box_edges(operands: Sequence[Sequence[int]], items: Sequence[str]) -> list[tuple[str, str]]:
    """The edges into the boxes of a view: one from each item that a box's Values read, in the
    order of the Values and their operands. ``operands`` lists, for each Value, the positions
    of its operands (-1 for a number)."""
    into: dict[tuple[str, str], None] = {}
    for ops, item in zip(operands, items):
        if item[0] == "v":
            continue
        for j in ops:
            if j >= 0 and items[j] != item:
                into[(items[j], item)] = None
    return list(into)


def _edge_count(operands: Sequence[Sequence[int]], items: Sequence[str], into: Sequence[tuple[str, str]]) -> int:
    """How many edges a view draws: an op's, one per operand (one per box it reads from) and
    one to its result; and the edges ``into`` boxes."""
    count = len(into)
    for ops, item in zip(operands, items):
        if not ops or item[0] != "v":
            continue
        sources = [items[j] if j >= 0 else "c" for j in ops]
        count += 1 + sum(1 for s in sources if s[0] not in "grp")
        count += len({s for s in sources if s[0] in "grp"})
    return count


def _with_ancestors(base: set[int], g: int, parents: Sequence[int]) -> set[int]:
    open_ = set(base)
    while g >= 0:
        open_.add(g)
        g = parents[g]
    return open_


def _first_open(
    paths: Sequence[tuple[str, ...]], index: Mapping[tuple[str, ...], int],
    expand: Sequence[tuple[str, ...]] | None, count: int, who: str,
) -> set[int]:
    """The groups open in the first view: those in ``expand`` (and those around them), or by
    default all of a graph of at most :data:`AUTO_COLLAPSE` Values; and always the groups
    that hold every op node, which as boxes would hide the whole graph in one."""
    common: tuple[str, ...] | None = None
    for p in paths:
        if common is None:
            common = p
        else:
            n = 0
            while n < min(len(common), len(p)) and common[n] == p[n]:
                n += 1
            common = common[:n]
    open_ = {index[(common or ())[:n]] for n in range(1, len(common or ()) + 1)}
    if expand is None:
        return set(index.values()) if count <= AUTO_COLLAPSE else open_
    for wanted in expand:  # a group named by the end of its path: "layer 2" is ("step", "layer 2")
        found = [p for p in index if p[-len(wanted):] == wanted]
        if not found:
            known = ", ".join(repr(SEPARATOR.join(p)) for p in list(index)[:8])
            raise ValueError(
                f"{who}: expand names the group {SEPARATOR.join(wanted)!r}, which is not in the graph; "
                f"its groups are {known or 'none'}{', ...' if len(index) > 8 else ''}"
            )
        for path in found:
            for n in range(1, len(path) + 1):
                open_.add(index[path[:n]])
    return open_
