"""The loops of the fused linear nodes in C (autograd/tape/cbackend/clusters.h), in every shape a
layer gives them: rows of 1 to 17 numbers (the vector loop of backward, ``vg_back_small``, takes
rows of up to 16 numbers at consecutive positions, four or two at a time, the rest one by one;
longer rows take the one-number loop), with the rows' own side pushed (a hidden layer) or not (the
inputs), and special numbers in some points only.

The reference is the engine's ``backward()`` on a freshly built graph: the loss and every gradient
must be equal to the bit (``same()``: ``==`` where nan equals nan and 0.0 differs from -0.0).
Speed is not asserted here: benchmarks/run.py measures it.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_tape import same
from test_tape_c import compiler  # noqa: F401  (the fixture: needs the C compiler, fails under CI without it)
from test_tape_c_layout import assert_bits, engine_reference, replayed

import autograd.tape.cbackend.emit as emit_module
from autograd import Value, dot, record, sum_values
from autograd.tape.cbackend import CTape
from autograd.tape.cbackend.build import build
from nn import MLP, hinge_loss

INF, NAN = float("inf"), float("nan")


def batch_loss(model: MLP) -> Any:
    """The hinge loss of a batch of points, recorded as one tape: each hidden layer's neuron is a
    cluster of rows (one per point) that share its weights."""

    def loss_fn(points: list[list[Any]], labels: list[Any]) -> Any:
        return hinge_loss([model(x) for x in points], labels)

    return loss_fn


def batch(n: int, width: int, seed: int, special: bool) -> tuple[list[list[float]], list[float]]:
    rng = random.Random(seed)
    xs = [[rng.gauss(0, 1.5) for _ in range(width)] for _ in range(n)]
    ys = [rng.choice((1.0, -1.0)) for _ in range(n)]
    if special:  # one special number in each of the first points
        for i, x in enumerate((INF, NAN, -0.0, -INF, 0.0, 1e308)):
            if i < n:
                xs[i][i % width] = x
    return xs, ys


@pytest.mark.parametrize("hidden", [1, 3, 4, 5, 8, 15, 16, 17])
@pytest.mark.parametrize("width", [1, 2, 5])
def test_every_row_length_backpropagates_as_the_engine_to_the_bit(width: int, hidden: int) -> None:
    # the second layer's rows hold `hidden` numbers and push into the first layer's nodes; the
    # first layer's rows hold `width` inputs, which take no gradient
    model = MLP(width, [hidden, hidden, 1], seed=hidden * 10 + width)
    params = model.parameters()
    fn = batch_loss(model)
    xs, ys = batch(9, width, seed=1, special=False)
    tape = record(fn, xs, ys, backend="c")
    assert isinstance(tape, CTape)
    for seed in (2, 3):
        for special in (False, True):
            xs, ys = batch(9, width, seed=seed, special=special)
            assert_bits(replayed(tape, params, xs, ys), engine_reference(fn, params, xs, ys))


def test_gradients_that_start_at_minus_zero_or_nan_receive_the_same_pushes() -> None:
    # tape(...) adds into .grad as backward() does: start from -0.0, and from nan, in both
    model = MLP(3, [6, 6, 1], seed=4)
    params = model.parameters()
    fn = batch_loss(model)
    xs, ys = batch(7, 3, seed=5, special=True)
    tape = record(fn, xs, ys, backend="c")
    assert isinstance(tape, CTape)
    for start in (-0.0, NAN):
        for p in params:
            p.grad = start
        fn(xs, ys).backward()
        want = [p.grad for p in params]
        for p in params:
            p.grad = start
        tape(xs, ys)
        assert all(map(same, [p.grad for p in params], want))


# --- a layer's clusters in one call (clusters.h: vg_matrix) ------------------------------------------


def matrix_calls(tape: CTape) -> int:
    return tape.c_source.count("vg_matrix(v, s, I + ")


@pytest.mark.parametrize(
    ("width", "hidden", "points", "calls"),
    [(3, [3, 3], 9, 2), (3, [5, 5], 9, 2), (3, [16, 16], 17, 2), (2, [17, 17], 19, 2), (3, [9, 9], 4, 0), (1, [66], 67, 2)],
)
def test_a_layer_s_clusters_computed_in_one_call_give_the_engine_s_bits(
    width: int, hidden: list[int], points: int, calls: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # with more points than neurons, each hidden layer is one cluster per neuron over the points'
    # rows, and one vg_matrix call computes its clusters (66 neurons: 64, then 2): groups of lanes
    # whole or not, an odd number of rows. With more neurons than points the clusters are the
    # points' (they share the inputs' side), and stay one call each.
    model = MLP(width, [*hidden, 1], seed=len(hidden) * 100 + hidden[0])
    params = model.parameters()
    fn = batch_loss(model)
    xs, ys = batch(points, width, seed=1, special=False)
    tape = record(fn, xs, ys, backend="c")
    assert isinstance(tape, CTape) and matrix_calls(tape) == calls
    monkeypatch.setattr(emit_module, "_MATRIX", 1)  # no set of clusters merged: vg_cluster for each
    alone = record(fn, xs, ys, backend="c")
    assert isinstance(alone, CTape) and matrix_calls(alone) == 0
    for seed in (2, 3):
        for special in (False, True):
            xs, ys = batch(points, width, seed=seed, special=special)
            reference = engine_reference(fn, params, xs, ys)
            assert_bits(replayed(tape, params, xs, ys), reference)
            assert_bits(replayed(alone, params, xs, ys), reference)


def test_clusters_are_merged_only_when_their_numbers_are_ready_and_their_rows_the_same() -> None:
    # weights computed by the tape (w * 2.0), or a bias per row (each point's own), keep one
    # vg_cluster call per cluster, and the numbers stay the engine's
    rng = random.Random(3)
    ws = [[Value(rng.gauss(0, 1)) for _ in range(3)] for _ in range(4)]
    params = [w for row in ws for w in row]

    def computed(points: list[list[Any]], labels: list[Any]) -> Any:
        return sum_values([dot([w * 2.0 for w in row], x) * y for row in ws for x, y in zip(points, labels)])

    def own_bias(points: list[list[Any]], labels: list[Any]) -> Any:
        return sum_values([dot(row, x, y) for row in ws for x, y in zip(points, labels)])

    for fn in (computed, own_bias):
        xs, ys = batch(6, 3, seed=4, special=False)
        tape = record(fn, xs, ys, backend="c")
        assert isinstance(tape, CTape) and matrix_calls(tape) == 0 and "vg_cluster(v, s, I + " in tape.c_source
        xs, ys = batch(6, 3, seed=5, special=True)
        assert_bits(replayed(tape, params, xs, ys), engine_reference(fn, params, xs, ys))


def test_one_call_for_a_layer_follows_python_3_12s_compensated_sums(monkeypatch: pytest.MonkeyPatch) -> None:
    # rows whose terms cancel: Neumaier's sum keeps what adding left to right loses, in every lane
    neurons = [[Value(1e16), Value(float(j)), Value(-1e16)] for j in range(6)]
    params = [w for row in neurons for w in row]

    def fn(points: list[list[Any]], labels: list[Any]) -> Any:
        return sum_values([dot(row, x) * y for row in neurons for x, y in zip(points, labels)])

    xs = [[1.0, float(i), 1.0] for i in range(8)]  # more points than neurons: a cluster per neuron
    ys = [1.0, -1.0, 2.0, 0.5, 3.0, -2.0, 0.25, 1.5]
    tape = record(fn, xs, ys)

    def run(merged: bool) -> list[float]:
        monkeypatch.setattr(emit_module, "_MATRIX", 64 if merged else 1)
        layout = emit_module.emit(tape.plan, compensated=True)
        assert ("vg_matrix(v, s, I + " in layout.source) == merged
        ctape = CTape(tape, layout, build(layout.source))
        values = [p.data for p in params]
        out = []
        others = [[1e100, 1.0, -1e100], [1.0, 2.0, 1.0], [INF, 1.0, 1.0], [1.0, NAN, 1.0], [0.0, -0.0, 0.0]] * 2
        for points in (xs, others[:8]):
            flat = [x for p in points for x in p] + ys
            loss, grads, _ = ctape.run_numbers(flat, values, [0.0] * len(params))
            out += [loss, *grads]
        return out

    merged, alone = run(True), run(False)
    assert all(map(same, merged, alone)), [(a, b) for a, b in zip(merged, alone) if not same(a, b)]
    # row (neuron j, point i) is 1e16 + j*i - 1e16 = j*i with Neumaier's sum, where left to right gives 0
    assert same(merged[0], sum(float(j * i) * y for j in range(6) for i, y in enumerate(ys)))
