"""A quick layered layout for drawings too big for Graphviz's ``dot`` to lay out in seconds.

``dot`` draws a graph in four phases: it puts the nodes in ranks, orders each rank to cross
few edges, settles their positions, and routes the edges. On a drawing of 2,000 Values (about
4,000 nodes with the op nodes) the ordering and the positions take 6 to 13 s on this project's
2-core machine, whatever its settings (``benchmarks/viz.py`` has the figures). This module does
the same four phases in a few linear passes, the way Sugiyama's method describes them:

1. **Ranks.** A node's rank is one more than its highest operand's; a node with no operand
   (a parameter, an input, a constant, the copy of a far-used Value) sits in the rank just
   before its first use, not at the far left, so its edge stays short.
2. **Order.** Each rank is sorted by the mean position of the nodes it is joined to (the
   *barycenter* heuristic), sweeping forward and back a few times.
3. **Positions.** Each node is pulled towards the mean position of its neighbours, keeping its
   rank's order and a gap between nodes: the closest such positions are found exactly, in one
   pass per rank (pool-adjacent-violators, the algorithm of isotonic regression).
4. **Edges** are straight lines, which Graphviz draws.

The result is a Graphviz drawing all the same: every node carries its position
(``pos="x,y!"``) and the graph asks for Graphviz's ``nop2`` layout, which keeps the given
positions and only routes the edges and draws the shapes. Laying out such a drawing takes well
under a second, so :func:`autograd.viz.draw_dot` uses it where ``dot`` would take more than a
few seconds (:func:`wants_quick`). It is less tidy than ``dot``'s (it crosses more edges and does not straighten long
ones), which is why small drawings keep ``dot``.

Node sizes are estimated here from the label's characters (widths measured once with
Graphviz's DejaVu Sans, the font "Helvetica" resolves to on Debian), since building a drawing
never runs Graphviz. A wider font leaves nodes a little closer, never on top of each other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "QUICK_RECORDS",
    "DOT_WORK_MAX",
    "Drawing",
    "dot_work",
    "fit",
    "node_size",
    "place",
    "read",
    "read_attrs",
    "text_width",
    "wants_quick",
]

#: Drawings of more Values than this, or with more nodes and virtual nodes than ``DOT_WORK_MAX``
#: (:func:`dot_work`), are laid out here: ``dot`` would take more than a few seconds.
QUICK_RECORDS = 1000
DOT_WORK_MAX = 3000

RANKSEP = 36.0  # points between ranks (dot's default ranksep, 0.5 inch)
NODESEP = 14.0  # points between neighbours in a rank (a little under dot's 0.25 inch)
LEAF_PULL = 0.05  # how much a leaf operand pulls its user towards itself (a Value's operands pull 1)
SWEEPS = 4  # forward-and-back passes of the ordering, and of the positions

# Advance widths of the printable ASCII characters (space to ~) in DejaVu Sans, in ems, as
# Graphviz measures them; any other character counts as one em.
_ASCII_EM = (
    "0.345,0.414,0.482,0.823,0.618,0.959,0.755,0.277,0.414,0.414,0.482,0.823,0.345,0.345,0.345,0.345,"
    "0.618,0.618,0.618,0.618,0.618,0.618,0.618,0.618,0.618,0.618,0.345,0.345,0.823,0.823,0.823,0.550,"
    "1.027,0.686,0.686,0.686,0.755,0.618,0.550,0.755,0.755,0.277,0.277,0.686,0.550,0.891,0.755,0.823,"
    "0.618,0.823,0.686,0.618,0.618,0.755,0.686,1.027,0.686,0.618,0.686,0.414,0.345,0.414,0.823,0.482,"
    "0.482,0.618,0.618,0.550,0.618,0.618,0.345,0.618,0.618,0.277,0.277,0.550,0.277,0.959,0.618,0.618,"
    "0.618,0.618,0.414,0.550,0.414,0.618,0.618,0.823,0.618,0.618,0.550,0.618,0.345,0.618,0.823"
)
_EM = tuple(float(w) for w in _ASCII_EM.split(","))


def text_width(text: str, fontsize: float = 11.0) -> float:
    """The width in points of ``text`` set in DejaVu Sans at ``fontsize`` points (an estimate)."""
    em = sum(_EM[ord(ch) - 32] if 32 <= ord(ch) < 127 else 1.0 for ch in text)
    return em * fontsize


# --- reading the DOT statements of a graphviz.Digraph ------------------------------------------

_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_NODE = re.compile(r"^\s*(\w+) \[(.*)\]\s*$")
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?\s*$")
_KEYWORDS = {"graph", "node", "edge"}


def read_attrs(text: str) -> dict[str, str]:
    """The attributes of one DOT statement's ``[...]`` list, quoted values unquoted."""
    out = {}
    for key, value in _ATTR.findall(text):
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        out[key] = value
    return out


def _label_lines(label: str, shape: str) -> list[str]:
    """The fields of a record label (``{ a | b }``), or the lines of any other label."""
    if shape == "record":
        body = label.strip()
        if body.startswith("{") and body.endswith("}"):
            body = body[1:-1]
        return [f.strip() for f in re.split(r"(?<!\\)\|", body)]
    return label.replace("\\l", "\n").replace("\\n", "\n").split("\n")


def node_size(attrs: dict[str, str], horizontal: bool) -> tuple[float, float]:
    """(width, height) in points of a node as Graphviz will draw it, from its attributes."""
    shape = attrs.get("shape", "ellipse")
    size = float(attrs.get("fontsize", "11"))
    label = attrs.get("label", "")
    lines = _label_lines(label, shape)
    widths = [text_width(line, size) for line in lines]
    margin = attrs.get("margin", "0.11,0.055").split(",")
    mx = float(margin[0]) * 72
    my = float(margin[-1]) * 72
    min_w = float(attrs.get("width", "0.75")) * 72
    min_h = float(attrs.get("height", "0.5")) * 72
    line_h = size * 1.2
    if shape == "record":
        if horizontal:  # fields side by side
            w = sum(x + 16 for x in widths)
            h = line_h + 2 * my
        else:
            w = max(widths, default=0) + 16
            h = len(lines) * (line_h + 2 * my)
        return max(w, min_w), max(h, min_h)
    w = max(widths, default=0) + 2 * mx
    h = len(lines) * line_h + 2 * my
    if shape in ("ellipse", "circle", "oval"):
        w, h = w * 1.42, h * 1.42
    if shape == "plain":
        return w, h
    return max(w, min_w), max(h, min_h)


# --- the layout --------------------------------------------------------------------------------


def _ranks(ids: Sequence[str], preds: dict[str, list[str]], succs: dict[str, list[str]]) -> dict[str, int]:
    """Longest-path ranks, then each source moved to the rank before its first use."""
    indegree = {v: len(preds[v]) for v in ids}
    queue = [v for v in ids if indegree[v] == 0]
    rank = {v: 0 for v in queue}
    head = 0
    while head < len(queue):
        v = queue[head]
        head += 1
        for s in succs[v]:
            rank[s] = max(rank.get(s, 0), rank[v] + 1)
            indegree[s] -= 1
            if indegree[s] == 0:
                queue.append(s)
    last = max(rank.values(), default=0)
    for v in ids:  # a cycle (never made by the engine): its nodes after everything else
        if v not in rank:
            rank[v] = last + 1
    for v in ids:
        if not preds[v] and succs[v]:
            rank[v] = max(0, min(rank[s] for s in succs[v]) - 1)
    return rank


def _order(layers: list[list[str]], preds: dict[str, list[str]], succs: dict[str, list[str]]) -> None:
    """Sort each rank by the barycenters of its neighbours' relative places, sweeping both ways."""
    where: dict[str, float] = {}

    def number(layer: list[str]) -> None:
        n = max(len(layer), 1)
        for i, v in enumerate(layer):
            where[v] = (i + 0.5) / n

    for layer in layers:
        number(layer)
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        sequence = layers[1:] if forward else layers[-2::-1]
        for layer in sequence:
            key = {}
            for v in layer:
                joined = (preds[v] if forward else succs[v]) or succs[v] or preds[v]  # a leaf: by its users
                key[v] = sum(where[u] for u in joined) / len(joined) if joined else where[v]
            layer.sort(key=key.__getitem__)
            number(layer)


def fit(desired: list[float], sizes: list[float], weights: list[float] | None = None) -> list[float]:
    """Centres closest to ``desired`` (least squares, each node's miss counted ``weights`` times)
    that keep the order and a gap between nodes."""
    offsets = [0.0]
    for a, b in zip(sizes, sizes[1:]):
        offsets.append(offsets[-1] + (a + b) / 2 + NODESEP)
    blocks: list[list[float]] = []  # [weighted mean, weight, count] of runs pooled together
    for d, off, w in zip(desired, offsets, weights or [1.0] * len(sizes)):
        blocks.append([d - off, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, n2 = blocks.pop()
            m1, w1, n1 = blocks[-1]
            blocks[-1] = [(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, n1 + n2]
    out = []
    for mean, _, count in blocks:
        out.extend([mean] * int(count))
    return [z + off for z, off in zip(out, offsets)]


def _positions(
    layers: list[list[str]], cross: dict[str, float], preds: dict[str, list[str]], succs: dict[str, list[str]]
) -> dict[str, float]:
    """Each node's place across the ranks: stacked, then pulled towards its neighbours."""
    at: dict[str, float] = {}
    for layer in layers:  # stacked in order, centred on 0
        edge = -(sum(cross[v] for v in layer) + NODESEP * (len(layer) - 1)) / 2
        for v in layer:
            at[v] = edge + cross[v] / 2
            edge += cross[v] + NODESEP
    for sweep in range(SWEEPS - 1):
        forward = sweep % 2 == 0
        for layer in layers[1:] if forward else layers[-2::-1]:
            desired = []
            for v in layer:
                joined = preds[v] if forward else succs[v]
                if not joined:
                    desired.append(at[v])
                    continue
                # forward, an operand that is itself a leaf (a weight, a constant, a copy) pulls
                # lightly: a chain then runs straight, and its leaves come to sit beside it
                weights = [1.0 if preds[u] or not forward else LEAF_PULL for u in joined]
                desired.append(sum(w * at[u] for w, u in zip(weights, joined)) / sum(weights))
            weights = [1.0 if preds[v] else LEAF_PULL for v in layer]  # leaves give way to chains
            for v, c in zip(layer, fit(desired, [cross[v] for v in layer], weights)):
                at[v] = c
    return at


@dataclass
class Drawing:
    """A drawing as this layout reads it: each node's size and line in the DOT body, its edges."""

    sizes: dict[str, tuple[float, float]]
    line_of: dict[str, int]
    legend: list[str]
    placed: list[str]
    preds: dict[str, list[str]]
    succs: dict[str, list[str]]
    records: int  # how many of the nodes are records: Values, and boxes of groups


def read(graph: Any, rankdir: str = "LR", measure: bool = True) -> Drawing | None:
    """``graph``'s nodes and edges, or None when it has something this layout does not place
    (group frames, HTML-like labels, a statement it cannot read, an edge to a node never declared).
    ``measure=False`` leaves every size 0: enough to count the work (:func:`dot_work`), at a
    third of the cost."""
    horizontal = rankdir in ("LR", "RL")
    sizes: dict[str, tuple[float, float]] = {}
    line_of: dict[str, int] = {}
    legend: list[str] = []
    edges: list[tuple[str, str]] = []
    records = 0
    inside = False
    for i, line in enumerate(graph.body):
        stripped = line.strip()
        if stripped.startswith("subgraph "):
            if inside or stripped != "subgraph cluster_legend {":
                return None  # group frames: dot draws those
            inside = True
            continue
        if stripped == "}":
            inside = False
            continue
        edge = _EDGE.match(line)
        if edge:
            edges.append((edge.group(1), edge.group(2)))
            continue
        node = _NODE.match(line)
        if node and node.group(1) in _KEYWORDS:
            continue  # default attributes: graph [...], node [...], edge [...]
        if node:
            name, text = node.group(1), node.group(2)
            if text.startswith("label=<") or " label=<" in text:
                return None  # an HTML-like table (a box of draw_dot's collapsed drawings): dot sizes it
            sizes[name] = node_size(read_attrs(text), horizontal) if measure else (0.0, 0.0)
            records += "shape=record" in text
            line_of[name] = i
            if inside:
                legend.append(name)
            continue
        if inside and "=" in stripped and not stripped.startswith(("node ", "edge ", "graph ")):
            continue  # the legend's own attributes
        return None
    in_legend = set(legend)
    placed = [v for v in sizes if v not in in_legend]
    preds: dict[str, list[str]] = {v: [] for v in placed}
    succs: dict[str, list[str]] = {v: [] for v in placed}
    for a, b in edges:
        if a not in sizes or b not in sizes:
            return None  # a node made by an edge alone: no size to place it by
        if a in preds and b in preds:
            preds[b].append(a)
            succs[a].append(b)
    return Drawing(sizes, line_of, legend, placed, preds, succs, records)


def dot_work(drawing: Drawing) -> int:
    """How much ``dot`` would have to lay out: the nodes, plus one *virtual node* for every rank
    an edge crosses (``dot`` routes a long edge through a chain of them, and orders and places
    them like nodes). On the shapes of ``benchmarks/viz.py`` its time grows with this figure,
    not with the number of Values: a random DAG of 585 Values, with edges across 40 ranks, took
    it 4.9 s of CPU, one of 1,150 Values 2.7 s."""
    rank = _ranks(drawing.placed, drawing.preds, drawing.succs)
    crossed = sum(max(0, rank[b] - rank[a] - 1) for b in drawing.placed for a in drawing.preds[b])
    return len(drawing.placed) + crossed


def wants_quick(graph: Any, rankdir: str = "LR") -> bool:
    """True when ``graph`` is one ``dot`` needs more than a few seconds for and this layout can
    place it: more than ``QUICK_RECORDS`` Values, or ``dot_work`` over ``DOT_WORK_MAX``.

    Both limits come from ``benchmarks/viz.py`` on this project's 2-core machine: ``dot`` took
    1.3 to 2.9 s of CPU on each shape at about 1,000 Values, and 6 to 13 s at 2,000.
    """
    drawing = read(graph, rankdir, measure=False)
    return drawing is not None and (drawing.records > QUICK_RECORDS or dot_work(drawing) > DOT_WORK_MAX)


def place(graph: Any, rankdir: str = "LR") -> bool:
    """Lay ``graph`` (a ``graphviz.Digraph`` of this package's drawings) out here: give each node
    a fixed position and ask Graphviz only to draw it (``layout=nop2``, straight edges).

    The legend (the subgraph ``cluster_legend``) goes in a column of its own after the last
    rank. Returns False, leaving ``graph`` as it was, when the drawing has something this
    layout does not place (see :func:`read`): ``dot`` lays those out.
    """
    drawing = read(graph, rankdir)
    if drawing is None:
        return False
    horizontal = rankdir in ("LR", "RL")
    sizes, line_of, legend, placed = drawing.sizes, drawing.line_of, drawing.legend, drawing.placed
    preds, succs = drawing.preds, drawing.succs
    rank = _ranks(placed, preds, succs)
    layers: list[list[str]] = [[] for _ in range(1 + max(rank.values(), default=0))]
    for v in placed:
        layers[rank[v]].append(v)
    _order(layers, preds, succs)
    along = {v: sizes[v][0] if horizontal else sizes[v][1] for v in sizes}
    cross = {v: sizes[v][1] if horizontal else sizes[v][0] for v in sizes}
    at = _positions(layers, cross, preds, succs)
    depth, ranks_at = 0.0, []
    for layer in layers:
        extent = max((along[v] for v in layer), default=0.0)
        ranks_at.append(depth + extent / 2)
        depth += extent + RANKSEP
    legend_at = min((at[v] - cross[v] / 2 for v in placed), default=0.0)  # from the top of the drawing
    in_legend = set(legend)
    for v in legend:
        at[v] = legend_at + cross[v] / 2
        legend_at += cross[v] + NODESEP / 2
    legend_depth = depth + RANKSEP + max((along[v] for v in legend), default=0.0) / 2
    flip_along = rankdir in ("RL", "TB")  # Graphviz's y grows upwards: TB's first rank is on top
    flip_cross = rankdir in ("LR", "RL")  # the first in order is on top (LR) or on the left (TB)
    for v in sizes:
        deep = legend_depth if v in in_legend else ranks_at[rank[v]]
        deep = -deep if flip_along else deep
        across = -at[v] if flip_cross else at[v]
        x, y = (deep, across) if horizontal else (across, deep)
        i = line_of[v]
        line = graph.body[i]
        graph.body[i] = line[: line.rstrip().rfind("]")] + f' pos="{x:.1f},{y:.1f}!"]' + "\n"
    for i, line in enumerate(graph.body):
        if line.strip() == "subgraph cluster_legend {":
            graph.body[i] = line.replace("cluster_legend", "legend")
    graph.graph_attr.update(layout="nop2", splines="line")
    return True
