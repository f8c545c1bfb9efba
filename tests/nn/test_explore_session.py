"""The explorer's session and pictures: it trains the real model, as the engine would, and its
views are the model's numbers."""

from __future__ import annotations

import base64
import math

import pytest
from helpers import close, require, require_program

from autograd import Value, no_grad
from nn import MLP, Adam, binary_cross_entropy, cross_entropy
from nn.data import make_blobs
from nn.explore.config import DATASETS, Config
from nn.explore.pointgraph import point_graph
from nn.explore.session import Diverged, Session, optimizer_state, square_domain
from nn.explore.trace import Trace
from nn.explore.views import GridView, encode_boundary, encode_map, thumbnails


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_dataset_trains_and_the_loss_falls(dataset: str) -> None:
    session = Session(Config(dataset=dataset, samples=60, hidden=(6,), speed=1))
    before = session.evaluate()
    session.train(40)
    after = session.evaluate()
    assert session.step == 40 and after["loss"] < before["loss"]
    assert len(session.curves) == 2 and session.curves.column(0) == [0.0, 40.0]
    assert session.classes == (3 if dataset in ("spirals", "blobs") else 2)
    assert session.model.nouts[-1] == (1 if session.classes == 2 else 3)


@pytest.mark.parametrize("dataset", ["moons", "spirals"])
def test_a_replayed_step_has_the_engines_gradient_of_the_mean_loss(dataset: str) -> None:
    session = Session(Config(dataset=dataset, samples=40, hidden=(5,), optimizer="sgd", lr=0.1, momentum=0.0))
    model = session.model
    outs = [model(x) for x in session.train_x]
    if session.classes == 2:
        loss = binary_cross_entropy(outs, [float(t) for t in session.train_y])
    else:
        loss = cross_entropy(outs, session.train_y)
    model.zero_grad()
    loss.backward()
    expected = [(p.data, p.grad) for p in session.params]
    session.train(1)
    for (data, grad), p in zip(expected, session.params):
        assert close(p.grad, grad, rtol=1e-9, atol=1e-13)
        assert close(p.data, data - 0.1 * grad, rtol=1e-9, atol=1e-13)


def test_adam_state_and_the_parameter_history() -> None:
    session = Session(Config(samples=40, hidden=(3,), optimizer="adam", lr=0.05))
    reference = MLP(2, [3, 1], activation="tanh", init="xavier", seed=0)
    optimizer = Adam(reference.parameters(), lr=0.05)
    session.train(3)
    assert session.state_names == ("m", "v") and optimizer.t == 0
    name = session.names[4]
    view = session.parameter(name)
    assert view["value"] == session.params[4].data and view["grad"] == session.params[4].grad
    assert set(view["state"]) == {"m", "v"} and view["state"]["v"] > 0
    assert view["history"]["step"] == [0.0, 1.0, 2.0, 3.0]
    assert view["history"]["value"][-1] == session.params[4].data
    assert view["history"]["m"][0] == 0.0 and view["history"]["m"][-1] == view["state"]["m"]
    with pytest.raises(ValueError, match="parameter name 'w' is not a parameter of MLP"):
        session.parameter("w")


def test_sgd_velocity_is_shown_as_zero_until_the_first_step() -> None:
    session = Session(Config(samples=40, hidden=(3,), optimizer="sgd", momentum=0.9))
    assert session.optimizer.state() == {"velocity": None}  # not started
    assert optimizer_state(session.optimizer) == {"velocity": [0.0] * len(session.params)}
    session.train(1)
    velocity = optimizer_state(session.optimizer)["velocity"]
    assert velocity == [p.grad for p in session.params]  # v ← g at the first step


def test_apply_rebuilds_only_what_a_change_needs() -> None:
    session = Session(Config(samples=40, hidden=(4,)))
    session.train(5)
    model, data, weights = session.model, session.train_x, [p.data for p in session.params]
    session.apply(session.config.replace("lr", 0.5))  # live: same weights, same optimizer, next step
    assert session.model is model and session.optimizer.lr == 0.5 and session.step == 5
    session.apply(session.config.replace("l2", 0.01))
    assert session.optimizer.weight_decay == 0.01
    session.apply(session.config.replace("optimizer", "sgd"))  # a new optimizer, the same weights
    assert session.model is model and type(session.optimizer).__name__ == "SGD"
    assert [p.data for p in session.params] == weights
    session.apply(session.config.replace("activation", "relu"))  # a new model on the same points
    assert session.model is not model and session.train_x is data and session.step == 0
    session.apply(session.config.replace("noise", 0.3))  # new points, and a new model
    assert session.train_x is not data


def test_reset_returns_to_the_same_initial_weights() -> None:
    session = Session(Config(samples=40, hidden=(4,)))
    initial = [p.data for p in session.params]
    session.train(5)
    session.reset()
    assert [p.data for p in session.params] == initial and session.step == 0 and session.epoch == 0


def test_minibatches_and_epochs() -> None:
    session = Session(Config(samples=40, hidden=(3,), batch_size=8, test_size=0.25))
    assert len(session.train_x) == 30
    session.train(4)  # 8 + 8 + 8 + 6: one epoch
    assert session.seen == 30 and session.epoch == 1.0


def test_a_weight_set_by_hand_moves_the_loss() -> None:
    session = Session(Config(samples=40, hidden=(3,)))
    before, version = session.evaluate()["loss"], session.version
    session.set_weight("layers.1.neurons.0.b", 5.0)
    assert session.params[-1].data == 5.0 and session.version == version + 1
    assert session.evaluate()["loss"] != before
    with pytest.raises(ValueError, match=r"weight value expects a number in \[-100, 100\], got 1000"):
        session.set_weight("layers.1.neurons.0.b", 1000)
    with pytest.raises(ValueError, match="weight name 'b' is not a parameter"):
        session.set_weight("b", 1.0)


def test_divergence_stops_before_the_update() -> None:
    session = Session(Config(samples=40, hidden=(3,), optimizer="sgd", lr=10.0, momentum=0.0))
    for p in session.params:
        p.data = 1e308
    weights = [p.data for p in session.params]
    with pytest.raises(Diverged, match="the loss became (nan|inf) at step 1: training diverged"):
        session.train(1)
    assert [p.data for p in session.params] == weights and session.step == 0


def test_make_blobs_centres_counts_and_errors() -> None:
    X, y = make_blobs(n=31, classes=3, noise=0.0, radius=2.0, seed=1)
    assert [y.count(k) for k in range(3)] == [11, 10, 10]
    for (a, b), k in zip(X, y):
        assert close(a, 2.0 * math.cos(2 * math.pi * k / 3)) and close(b, 2.0 * math.sin(2 * math.pi * k / 3))
    assert make_blobs(n=20, seed=3) == make_blobs(n=20, seed=3) != make_blobs(n=20, seed=4)
    with pytest.raises(ValueError, match="n must be at least classes"):
        make_blobs(n=2, classes=3)
    with pytest.raises(ValueError, match="radius must be"):
        make_blobs(radius=-1.0)


def test_the_grid_is_the_model_at_each_cell() -> None:
    session = Session(Config(samples=40, hidden=(3, 2), grid=13))  # 169 cells: the last chunk is padded
    grid = GridView(session, 13)
    maps = grid.layers()
    assert [len(layer) for layer in maps] == [3, 2, 1] and all(len(m) == 169 for m in maps[-1])
    x0, x1, y0, y1 = session.domain
    assert close(grid.points[0][0], x0 + (x1 - x0) / 26) and close(grid.points[0][1], y1 - (y1 - y0) / 26)
    with no_grad():
        for cell in (0, 1, 77, 168):
            a: list[Value] = [Value(v) for v in grid.points[cell]]
            for layer, layer_maps in zip(session.model.layers, maps):
                a = layer(a)
                assert [m[cell] for m in layer_maps] == [v.data for v in a]
    assert grid.layers() is maps  # the same weights: not computed again
    session.train(1)
    assert grid.layers() is not maps


def test_the_pictures_encode_probabilities_and_neuron_outputs() -> None:
    pixels = base64.b64decode(encode_boundary([[-1000.0, 0.0, 1000.0, float("nan")]]))
    assert list(pixels) == [0, 128, 255, 128]
    pixels = base64.b64decode(encode_boundary([[0.0, 5.0], [1.0, 5.0], [0.0, 5.0]]))
    assert pixels[0] == 1 and pixels[2] == 0 and pixels[3] == round(255 / 3)  # ties go to the first class
    m = encode_map([1.0, -4.0, float("nan"), 2.0], size=2)
    assert m["scale"] == 4.0 and list(base64.b64decode(m["pixels"])) == [159, 0, 127, 191]
    thumbs = thumbnails([[[0.5] * 2500]], 50)
    assert thumbs[0][0]["size"] == 25 and len(base64.b64decode(thumbs[0][0]["pixels"])) == 625


def test_square_domain_and_trace() -> None:
    x0, x1, y0, y1 = square_domain([[0.0, 0.0], [2.0, 1.0]], margin=0.0)
    assert (x1 - x0) == (y1 - y0) == 2.0 and (x0 + x1) / 2 == 1.0 and (y0 + y1) / 2 == 0.5
    trace = Trace(("step", "x"), limit=3)
    for k in range(100):
        trace.add([k, k * k])
    assert len(trace) <= 3 and trace.column(0)[0] == 0 and trace.stride > 1
    assert Trace(("x",)).to_json() == {"x": []}
    trace = Trace(("x",))
    trace.add([float("inf")])
    assert trace.to_json() == {"x": [None]}


def test_a_graph_too_large_to_draw_says_what_to_look_at_instead() -> None:
    session = Session(Config(samples=40, hidden=(16,) * 6))
    view = point_graph(session, "train", 0, "all")
    assert view["svg"] is None and view["error"].startswith("the whole graph has 1624 Values, more than the 1500")
    assert view["loss"] == pytest.approx(session.point_loss(session.train_x[0], session.train_y[0]), rel=1e-12)


@pytest.mark.parametrize("scope", ["top", "all", (0, 1)])
def test_a_points_graph_is_drawn_on_a_copy(scope: object) -> None:
    require("graphviz")
    require_program("dot")
    session = Session(Config(samples=40, hidden=(3,)))
    grads = [p.grad for p in session.params]
    view = point_graph(session, "test", 2, scope)  # type: ignore[arg-type]
    assert [p.grad for p in session.params] == grads  # the session's gradients are untouched
    assert view["x"] == session.test_x[2] and view["label"] == session.test_y[2]
    assert view["loss"] == pytest.approx(session.point_loss(session.test_x[2], session.test_y[2]), rel=1e-12)
    assert view["prediction"] == session.predict(session.outputs(session.test_x[2]))
    svg = view["svg"]
    assert svg.startswith("<svg") and ("x1" in svg) == (scope != "top")
    assert "h1.2" in svg and ("loss" in svg) == ("score" in svg) == (scope != (0, 1))


def test_a_step_abandoned_midway_leaves_no_trace() -> None:
    """``stop()`` abandons a step half-summed: the gradients and the batch are as before, so the
    training that follows is bit for bit the training that would have run without it."""
    config = Config(samples=60, hidden=(4,), batch_size=8)
    interrupted, straight = Session(config), Session(config)
    assert interrupted.train(1) == 1 and straight.train(1) == 1
    grads = [p.grad for p in interrupted.params]
    asked = []
    assert interrupted.train(3, stop=lambda: asked.append(1) or len(asked) > 5) == 0  # stops at the 6th point
    assert [p.grad for p in interrupted.params] == grads and interrupted.step == 1
    assert interrupted.train(4, enough=lambda: interrupted.step == 3) == 2  # enough() ends a run after a step
    straight.train(2)
    assert [p.data for p in interrupted.params] == [p.data for p in straight.params]
    assert [p.grad for p in interrupted.params] == [p.grad for p in straight.params]
