"""Drawing big graphs: every shape lays out, far-used Values are copied, groups collapse with the right gradients."""

from __future__ import annotations

import re
import sys
import warnings
from pathlib import Path

import pytest
from helpers import require, require_program

from autograd import Value, group, sum_values
from autograd.graph import chain_rule, postorder
from autograd.viz import draw_dot, render_svg
from autograd.viz import render as render_module
from autograd.viz.boxes import MAX_PORTS
from autograd.viz.layout import fmt
from nn import MLP, hinge_loss

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import viz_shapes as shapes  # noqa: E402  (benchmarks/viz_shapes.py: the shapes the benchmark measures)


@pytest.fixture(autouse=True)
def _graphviz_package() -> None:
    require("graphviz")


@pytest.mark.parametrize("shape", sorted(shapes.SHAPES))
def test_each_shape_lays_out(shape: str) -> None:
    """A layer, an unrolled loop reusing its inputs far apart, an attention head, a random DAG: each
    finishes (the limit is RENDER_TIMEOUT; the speed is benchmarks/viz.py's business)."""
    require_program("dot")
    root = shapes.SHAPES[shape](500)
    svg = render_svg(draw_dot(root, max_nodes=5000, collapse=False))
    assert svg.startswith("<svg") and svg.count('class="node"') >= 300


def test_the_loop_of_the_issue_lays_out() -> None:
    """100 ops reusing 20 inputs: its drawing took 60 s in dot before inputs were copied beside far uses."""
    require_program("dot")
    xs = [Value(0.1 * i, label=f"x{i}") for i in range(20)]
    h = xs[0]
    for i in range(1, 101):
        h = h * xs[i % 20] + xs[(3 * i) % 20] if i % 2 else h.tanh()
    source = draw_dot(h, max_nodes=1000).source
    assert "x7 (same)" in source and "dotted" in source and "legend_copy" in source
    assert render_svg(draw_dot(h, max_nodes=1000)).startswith("<svg")


def test_uses_at_one_level_keep_their_edges() -> None:
    """A layer's inputs are used by every neuron at the same level: nothing to copy."""
    source = draw_dot(shapes.layer(200), max_nodes=1000, collapse=False).source
    assert "(same)" not in source and "legend_copy" not in source


def _step() -> tuple[Value, list[Value]]:
    model = MLP(2, [3, 3, 1], seed=0)
    with group("step"):
        loss = hinge_loss([model(x) for x in ([0.5, -1.0], [1.5, 0.25], [-0.75, 0.5])], [1.0, -1.0, 1.0])
    values = postorder(loss, lambda v: [x for x in v.operands if isinstance(x, Value)])
    for i, v in enumerate(values):
        v.label = f"n{i}"
    loss.backward()
    return loss, values


def test_the_gradients_of_a_collapsed_drawing_are_those_of_the_full_graph() -> None:
    loss, values = _step()
    reference = chain_rule(loss)  # the readable chain rule on the whole graph
    by_name = {v.label: v for v in values}
    for expand in (None, ["layer 2"], ["layer 2 › neuron 1"]):
        source = draw_dot(loss, collapse=True, expand=expand).source
        rows = re.findall(r"<td>(n\d+)</td><td>data ([^<]+)</td><td port=\"o\d+\">grad ([^<]+)</td>", source)
        assert rows, expand
        for name, data, grad in rows:
            v = by_name[name]
            assert data == fmt(v.data) and grad == fmt(reference[v]), (expand, name)
        shown = re.findall(r"\{ (n\d+) \| data ([^|]+) \| grad ([^ ]+) \}", source)
        for name, _, grad in shown:
            if by_name[name] in reference:
                assert grad == fmt(reference[by_name[name]]), (expand, name)


def test_collapsed_drawing_boxes_edges_and_frames() -> None:
    loss, _ = _step()
    source = draw_dot(loss).source  # 100-odd Values: drawn whole by default
    assert "shape=plain" not in source
    source = draw_dot(loss, collapse=True).source
    assert source.count("shape=plain") == 4  # layer 1, layer 2, layer 3, hinge loss
    assert "cluster_group" in source and "label=step" in source
    assert re.search(r'g0 -> g1 \[label="×9"', source)  # 3 neurons' outputs at 3 points
    opened = draw_dot(loss, expand=["layer 2"], ports=0).source
    assert opened.count("shape=plain") == 6 and "port=" not in opened
    assert f"… and {9 - MAX_PORTS} more outputs" in source


def test_big_graphs_with_groups_collapse_by_default_and_bad_arguments_are_refused() -> None:
    model = MLP(2, [8, 8, 1], seed=0)
    with group("step"):
        loss = sum_values([model([0.1 * i, -0.2 * i]) for i in range(4)])
    assert "shape=plain" in draw_dot(loss).source  # more than COLLAPSE_ABOVE Values
    assert "shape=plain" not in draw_dot(loss, collapse=False).source
    with pytest.raises(ValueError, match="expand opens groups of a collapsed drawing"):
        draw_dot(loss, collapse=False, expand=["layer 1"])
    with pytest.raises(TypeError, match="collapse expects True, False or None"):
        draw_dot(loss, collapse="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ports must be an int >= 0"):
        draw_dot(loss, ports=-1)
    with pytest.raises(ValueError, match=r"draw it collapsed, one box per group \(collapse=True\)"):
        draw_dot(loss, collapse=False, max_nodes=100)


def test_a_drawing_too_big_to_lay_out_quickly_says_so_first() -> None:
    h = Value(0.5)
    for _ in range(2100):
        h = h * 1.01
    with pytest.warns(UserWarning, match=r"2101 nodes to lay out, more than 2000: Graphviz may take minutes"):
        draw_dot(h, max_nodes=10_000, quick=False)  # dot asked for: it says so first
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draw_dot(h, max_nodes=10_000, depth=5)
        draw_dot(h, max_nodes=10_000)  # by default such a drawing is laid out quickly (autograd.viz.quick)


def test_a_layout_that_runs_too_long_is_stopped_with_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    require_program("dot")
    monkeypatch.setattr(render_module, "RENDER_TIMEOUT", 0.001)
    with pytest.raises(RuntimeError, match=r"did not lay the drawing out in 0 s and was stopped.*collapse=True"):
        render_svg(draw_dot(shapes.random_dag(300), max_nodes=1000))
