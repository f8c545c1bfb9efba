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

from autograd import record
from autograd.tape.cbackend import CTape
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
