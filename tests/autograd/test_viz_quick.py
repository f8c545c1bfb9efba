"""The quick layout of big drawings (autograd/viz/quick.py): ranks in order, no overlaps, exact placement."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from helpers import require, require_program

from autograd import Value
from autograd.viz import backprop_html, draw_dot, render_svg
from autograd.viz.quick import NODESEP, QUICK_RECORDS, place, read, text_width
from autograd.viz.quick import fit as fit_centres

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import viz_shapes as shapes  # noqa: E402  (benchmarks/viz_shapes.py: the shapes the benchmark measures)


@pytest.fixture(autouse=True)
def _graphviz_package() -> None:
    require("graphviz")


def _plain(source: str) -> tuple[dict[str, tuple[float, float, float, float]], list[tuple[str, str]]]:
    """Graphviz's own account of a drawing (``-Tplain``): each node's centre and size in points, and the edges."""
    out = subprocess.run(["dot", "-Tplain"], input=source.encode(), capture_output=True, check=True).stdout.decode()
    nodes, edges = {}, []
    for line in out.splitlines():
        f = line.split()
        if f[0] == "node":
            x, y, w, h = (float(t) * 72 for t in f[2:6])
            nodes[f[1]] = (x, y, w, h)
        elif f[0] == "edge":
            edges.append((f[1], f[2]))
    return nodes, edges


def _overlaps(nodes: dict[str, tuple[float, float, float, float]]) -> list[tuple[str, str]]:
    boxes = sorted((x - w / 2, x + w / 2, y - h / 2, y + h / 2, name) for name, (x, y, w, h) in nodes.items())
    found = []
    for i, (_, x1, y0, y1, a) in enumerate(boxes):  # sorted by left edge: stop once past the right one
        for u0, _, v0, v1, b in boxes[i + 1 :]:
            if u0 >= x1 - 0.5:
                break
            if v0 < y1 - 0.5 and y0 < v1 - 0.5:
                found.append((a, b))
    return found


@pytest.mark.parametrize("shape", sorted(shapes.SHAPES))
def test_a_big_drawing_is_laid_out_quickly_without_overlaps_and_in_rank_order(shape: str) -> None:
    """Above QUICK_RECORDS Values, every node has a place given here; Graphviz keeps it (nop2), no two
    nodes overlap (sizes are estimated from the labels), and every edge runs left to right."""
    require_program("dot")
    size = int(QUICK_RECORDS * 1.1)
    root = shapes.SHAPES[shape](size)
    while shapes.count(root) <= QUICK_RECORDS:  # the shapes come near the size asked, some below it
        size = int(size * 1.3)
        root = shapes.SHAPES[shape](size)
    graph = draw_dot(root, max_nodes=10_000, collapse=False)
    assert graph.graph_attr["layout"] == "nop2" and graph.source.count("pos=") > QUICK_RECORDS
    nodes, edges = _plain(graph.source)
    assert _overlaps(nodes) == []
    backwards = [(a, b) for a, b in edges if not a.startswith("legend") and nodes[a][0] >= nodes[b][0]]
    assert backwards == []


@pytest.mark.parametrize("rankdir", ["LR", "RL", "TB", "BT"])
def test_every_direction_puts_operands_before_their_ops(rankdir: str) -> None:
    require_program("dot")
    a, b = Value(1.5, label="a"), Value(-2.0, label="b")
    y = ((a * b).tanh() + a * 3.0).exp()
    graph = draw_dot(y, rankdir=rankdir, quick=True)
    nodes, edges = _plain(graph.source)
    axis, sign = {"LR": (0, 1), "RL": (0, -1), "TB": (1, -1), "BT": (1, 1)}[rankdir]  # plain's y grows upwards
    for tail, head in edges:
        if not tail.startswith("legend"):
            assert sign * (nodes[head][axis] - nodes[tail][axis]) > 0, (tail, head)
    assert _overlaps(nodes) == []
    assert render_svg(graph).startswith("<svg")


def test_placement_is_the_closest_one_that_keeps_order_and_gaps() -> None:
    """Hand-derived: three nodes 10 pt tall all wanting 0 sit one gap apart around 0; a leaf
    (weight 0.05) wanting the same place as a chain node gives way almost entirely."""
    step = 10 + NODESEP
    assert fit_centres([0.0, 0.0, 0.0], [10.0, 10.0, 10.0]) == pytest.approx([-step, 0.0, step])
    assert fit_centres([0.0, 100.0], [10.0, 10.0]) == pytest.approx([0.0, 100.0])  # room enough: no move
    leaf_first = fit_centres([0.0, 0.0], [10.0, 10.0], [0.05, 1.0])
    assert leaf_first == pytest.approx([-step / 1.05, step * 0.05 / 1.05])


def test_sizes_are_estimated_close_to_graphvizs() -> None:
    """Within 2 pt of the widths and heights Graphviz gives (a wider font would only leave smaller gaps)."""
    require_program("dot")
    x = Value(-0.0123456, label="a weight")
    y = (x * 2.5).log1p() if x.data > -1 else x
    graph = draw_dot(y, quick=True)
    nodes, _ = _plain(graph.source)
    drawing = read(draw_dot(y, quick=False), "LR")  # the same nodes, read before they are placed
    assert drawing is not None and len(nodes) >= 8 and set(drawing.sizes) == set(nodes)
    for name, (w, h) in drawing.sizes.items():
        assert abs(w - nodes[name][2]) <= 2 and abs(h - nodes[name][3]) <= 2, (name, w, h, nodes[name])
    assert text_width("data 1") == pytest.approx(11 * (0.618 + 0.618 + 0.414 + 0.618 + 0.345 + 0.618))


def test_quick_by_default_when_big_and_quick_false_keeps_dot_with_its_warning() -> None:
    h = Value(0.5)
    for _ in range(2100):  # more than LAYOUT_MAX: dot, when asked for, warns first
        h = h * 1.01
    assert draw_dot(h, max_nodes=10_000).graph_attr.get("layout") == "nop2"
    with pytest.warns(UserWarning, match="Graphviz may take minutes"):
        assert "layout" not in draw_dot(h, max_nodes=10_000, quick=False).graph_attr
    assert "layout" not in draw_dot(Value(1.0) * 2.0).graph_attr  # small: dot, which draws tidier
    with pytest.raises(TypeError, match="quick expects True, False or None"):
        draw_dot(h, max_nodes=10_000, quick="yes")  # type: ignore[arg-type]


def test_a_drawing_with_frames_or_html_boxes_is_left_to_dot() -> None:
    from autograd import group
    from nn import MLP

    with group("step"):
        loss = MLP(2, [3, 1], seed=0)([0.5, -1.0])
    for graph in (draw_dot(loss, expand=["layer 1"]), draw_dot(loss, collapse=True)):  # frames; HTML-like boxes
        before = list(graph.body)
        assert place(graph, "LR") is False and graph.body == before


def test_the_player_lays_out_quickly_what_dot_would_take_long_over(monkeypatch: pytest.MonkeyPatch) -> None:
    """The player draws no copies, so a graph with edges running far (a random DAG of 585 Values:
    5 s in dot) has its view laid out here; the page is made and steps as usual."""
    require_program("dot")
    import autograd.viz.views as views

    placed: list[str] = []

    def spy(graph: object, rankdir: str = "LR") -> bool:
        placed.append(rankdir)
        return place(graph, rankdir)

    monkeypatch.setattr(views, "place", spy)
    root = shapes.random_dag(500)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        page = backprop_html(root, max_nodes=5000)
    assert placed == ["LR"]
    assert page.count('class="node"') > shapes.count(root)


@pytest.mark.parametrize(
    ("tail", "head", "attrs"),
    [
        ("v3", "v7_op", {}),
        ("v3", "v7_op", {"id": "v7_e0"}),
        ("v3", "v7_op", {"label": "a", "id": "v7_e0"}),  # sorted, as graphviz writes them
        ("node", "v7_op", {"id": "v7_e0"}),  # a DOT keyword: quoted
        ("v3", "v7_op", {"color": "#6b8f4e"}),  # not an identifier: quoted
        ("v3", "v7_op", {"label": "×2"}),  # not ASCII: quoted
        ("v3:p0", "v7_op", {}),  # a port
        ("v3", "v7_op", {"label": "a b"}),
    ],
)
def test_edge_to_writes_what_graphviz_writes(tail: str, head: str, attrs: dict[str, str]) -> None:
    """draw.edge_to writes plain edges straight into the body: the same text as Digraph.edge."""
    graphviz = require("graphviz")
    from autograd.viz.draw import edge_to

    ours, theirs = graphviz.Digraph(), graphviz.Digraph()
    edge_to(ours, tail, head, attrs)
    theirs.edge(tail, head, **attrs)
    assert ours.source == theirs.source
