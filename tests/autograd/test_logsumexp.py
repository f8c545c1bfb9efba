"""autograd.logsumexp, the op ``logsumexp`` of the table: one node for log Σ e^xᵢ.

References: PyTorch float64's ``torch.logsumexp`` (value and gradient, special values
included), its Hessian for the second order, and the engine itself for a replayed tape (exact).
The op table's own finite-difference tests (tests/test_ops.py) cover it through its ``domain``.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from helpers import close, require
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import (
    AnomalyError,
    Value,
    detect_anomaly,
    grad,
    gradgradcheck,
    logsumexp,
    no_grad,
    record,
    sum_values,
)
from autograd.ops import LOGSUMEXP, OPS, F
from nn import log_softmax, softmax

INF, NAN = math.inf, math.nan

#: Special values (as PyTorch: all −inf → −inf, any +inf → +inf, nan → nan), logits of ±1000,
#: single operands, and ordinary lists.
CASES = [
    [-INF, -INF],
    [-INF],
    [INF, 1.0],
    [INF, -INF],
    [INF, INF],
    [INF],
    [NAN, 1.0],
    [1.0, NAN],
    [NAN],
    [-INF, 2.0],
    [1000.0, -1000.0],
    [1000.0, 1000.0],
    [-1000.0, -1000.0, -999.0],
    [710.0, 0.0],
    [-745.0, -746.0],
    [1e308, 1e308],
    [-1e308, 1e308],
    [0.0, -0.0],
    [5.0],
    [-0.0],
    [0.3, -1.2, 2.5, 0.0],
]


def torch_logsumexp(xs: list[float], needs_grad: list[bool] | None = None) -> tuple[float, list[float | None]]:
    """torch.logsumexp of xs in float64: its value, and the gradient of each x (None without one)."""
    torch = require("torch")
    needs_grad = needs_grad or [True] * len(xs)
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=g) for x, g in zip(xs, needs_grad)]
    out = torch.logsumexp(torch.stack(ts), 0)
    out.backward()
    return out.item(), [t.grad.item() if g else None for t, g in zip(ts, needs_grad)]


@pytest.mark.parametrize("xs", CASES, ids=repr)
def test_value_and_gradient_match_torch(xs: list[float]) -> None:
    value, grads = torch_logsumexp(xs)
    leaves = [Value(x) for x in xs]
    out = logsumexp(leaves)
    out.backward()
    assert close(out.data, value, rtol=1e-14, atol=0.0), (xs, out.data, value)
    for leaf, g in zip(leaves, grads):
        assert close(leaf.grad, g, rtol=1e-12, atol=1e-300), (xs, leaf.grad, g)  # type: ignore[arg-type]


def test_special_values_exactly() -> None:
    assert logsumexp([Value(-INF), Value(-INF)]).data == -INF
    assert logsumexp([Value(INF), Value(-INF), Value(3.0)]).data == INF
    assert math.isnan(logsumexp([Value(NAN), Value(INF)]).data)
    assert logsumexp([Value(1000.0), Value(1000.0)]).data == 1000.0 + math.log(2.0)
    for x in (0.0, -3.5, 1000.0, -1000.0, 1e308, -1e308):
        v = Value(x)
        out = logsumexp([v])  # one operand: log e^x = x, and the softmax of one is 1
        out.backward()
        assert out.data == x and v.grad == 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1000.0, 1000.0, allow_nan=False), min_size=1, max_size=8))
def test_matches_torch_on_random_lists(xs: list[float]) -> None:
    value, grads = torch_logsumexp(xs)
    leaves = [Value(x) for x in xs]
    out = logsumexp(leaves)
    out.backward()
    # the result is at least max(xs): rounding is relative to it, and to 1 near 0
    assert abs(out.data - value) <= 1e-14 * max(1.0, abs(value)), (out.data, value)
    for leaf, g in zip(leaves, grads):
        assert close(leaf.grad, g, rtol=1e-12, atol=1e-15), (leaf.grad, g)  # type: ignore[arg-type]
    # a softmax sums to 1; each e^(xᵢ − out) carries the rounding of xᵢ − out, relative to |out|
    assert abs(math.fsum(leaf.grad for leaf in leaves) - 1.0) <= 4e-16 * len(xs) * max(1.0, abs(out.data))


def test_one_node_whose_local_grads_are_the_softmax() -> None:
    xs = [Value(0.3), Value(-1.2), Value(2.5)]
    out = logsumexp(xs)
    assert out.op == "logsumexp" and out.parents == tuple(xs) and out.operands == tuple(xs)
    total = sum(math.exp(x.data) for x in xs)
    assert all(close(d, math.exp(x.data) / total, rtol=1e-14) for d, x in zip(out.local_grads, xs))
    assert OPS["logsumexp"] is LOGSUMEXP and LOGSUMEXP.arity is None


def test_numbers_and_constants_are_stored_after_the_terms_that_need_a_gradient() -> None:
    a, b, k = Value(0.5), Value(-2.0), Value(3.0, requires_grad=False)
    out = logsumexp([2.0, a, k, 1, b])
    assert out.parents == (a, b)
    assert out.operands == (a, b, 2.0, k, 1.0)
    # computed in the stored order: the node's operands reproduce its value to the last bit
    assert out.data == LOGSUMEXP.fn(F, 0.5, -2.0, 2.0, 3.0, 1.0)[0]
    out.backward()
    value, grads = torch_logsumexp([2.0, 0.5, 3.0, 1.0, -2.0], [False, True, False, False, True])
    assert close(out.data, value, rtol=1e-14)
    assert close(a.grad, grads[1], rtol=1e-12) and close(b.grad, grads[4], rtol=1e-12)  # type: ignore[arg-type]
    assert k.grad == 0.0


def test_without_a_term_that_needs_a_gradient_the_result_is_a_constant() -> None:
    out = logsumexp([1.0, Value(2.0, requires_grad=False)])
    assert not out.requires_grad and out.is_leaf
    assert close(out.data, math.log(math.e + math.exp(2.0)), rtol=1e-15)
    with no_grad():
        inside = logsumexp([Value(1.0), Value(2.0)])
    assert not inside.requires_grad and inside.data == out.data


def test_second_order_matches_torchs_hessian() -> None:
    """d²/dxᵢdxⱼ logsumexp = sᵢ(δᵢⱼ − sⱼ), through grad(create_graph=True), at ordinary and huge logits."""
    torch = require("torch")
    for point in ([0.5, -1.0, 2.0], [1000.0, 999.0, 998.5], [-1000.0, -1000.0]):
        leaves = [Value(x) for x in point]
        firsts = grad(logsumexp(leaves), leaves, create_graph=True)
        hessian = torch.autograd.functional.hessian(
            lambda t: torch.logsumexp(t, 0), torch.tensor(point, dtype=torch.float64)
        ).tolist()
        for i, first in enumerate(firsts):
            seconds = grad(first, leaves)
            for j, second in enumerate(seconds):
                assert close(second.data, hessian[i][j], rtol=1e-10, atol=1e-15), (point, i, j)
        gradgradcheck(lambda *xs: logsumexp(xs), leaves)


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ([], ValueError, "logsumexp: values expects at least one Value or number, got an empty sequence"),
        ((x for x in ()), ValueError, "got an empty sequence"),
        (Value(1.0), TypeError, "logsumexp: values expects an iterable of Values or numbers, got Value"),
        (3.0, TypeError, "expects an iterable of Values or numbers, got float"),
        ("abc", TypeError, "got str"),
        (None, TypeError, "got NoneType"),
        ([Value(1.0), "2"], TypeError, r"logsumexp: item 1 expects a real number, got str"),
        ([Value(1.0), None], TypeError, r"item 1 expects a real number, got NoneType"),
    ],
)
def test_bad_input_is_refused_with_a_message_naming_it(values: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        logsumexp(values)


def test_detect_anomaly_names_the_op_that_made_a_nan() -> None:
    with detect_anomaly(), pytest.raises(AnomalyError, match="op 'logsumexp' returned nan"):
        logsumexp([Value(1.0), Value(NAN)])


# --- recorded and replayed: the shift is re-chosen on every replay ----------------------------


def same(a: float, b: float) -> bool:
    """Equal as floats, where nan equals nan and 0.0 differs from -0.0."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def test_a_tape_replays_exactly_on_logits_far_from_the_recorded_ones() -> None:
    w = [Value(1.0), Value(-0.5), Value(2.0)]

    def fn(z: Any) -> Value:
        # log-softmax and softmax of scaled logits, weighted: every path through logsumexp
        zs = [wi * zi for wi, zi in zip(w, z)]
        return sum_values(log_softmax(zs)) + 3.0 * softmax(zs)[1] + logsumexp([*zs, 0.25])

    tape = record(fn, [0.1, 0.2, 0.3])
    rng = random.Random(0)
    points = [[rng.uniform(-s, s) for _ in range(3)] for s in (1.0, 400.0, 800.0, 5000.0)]
    points += [[800.0, -800.0, 1.0], [-INF, 0.0, 2.0], [NAN, 1.0, 2.0], [INF, 1.0, 0.0]]
    for point in points:
        before = [p.grad for p in w]
        out = fn([Value(x) for x in point])
        out.backward()
        expected = [p.grad for p in w]
        for p, g in zip(w, before):
            p.grad = g
        assert same(tape(point), out.data), point
        assert all(same(p.grad, e) for p, e in zip(w, expected)), point
        if all(math.isfinite(x) for x in point):
            assert math.isfinite(out.data)  # no overflow, however far from the recording


def test_the_backprop_caption_gives_the_softmax_formula() -> None:
    require("graphviz")
    from autograd import viz

    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    out = logsumexp([a, b, 3.0])
    out.label = "L"
    caption = viz.backprop_steps(out)[-1].caption
    assert "L = logsumexp(a, b, 3)" in caption
    assert f"∂L/∂a = exp(a − L) = {math.exp(1.0 - out.data):.4g}" in caption
    assert "∂L/∂b = exp(b − L)" in caption
