"""autograd.tape: a recorded function replayed must give exactly the normal path's numbers.

The reference is always the engine itself: the same function run on Values, then
``backward()``. Replay promises the same float operations in the same order, so every
comparison here is exact: ``same()`` is ``==`` where nan equals nan and 0.0 differs from -0.0.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_random_graphs import Ours, programs, run

import autograd.tape.codegen as tape_module
from autograd import (
    AnomalyError,
    GuardError,
    Tape,
    Value,
    apply,
    detect_anomaly,
    dot,
    logsumexp,
    no_grad,
    record,
    sum_values,
)
from autograd.graph import topological_order
from autograd.nary import V
from autograd.ops import OPS, Op
from nn import MLP, binary_cross_entropy, cross_entropy
from nn.data import make_moons

INF, NAN = math.inf, math.nan


def same(a: float, b: float) -> bool:
    """Equal as floats, where nan equals nan and 0.0 differs from -0.0."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def as_values(x: Any) -> Any:
    """The argument ``x`` with every number made an input Value, as record() does."""
    if isinstance(x, (list, tuple)):
        return type(x)(as_values(item) for item in x)
    return Value(x)


def engine(fn: Callable[..., Value], params: Sequence[Value], args: Sequence[Any]) -> tuple[float, list[float]]:
    """The normal path: ``fn`` on input Values, then backward(); the loss and the parameters' grads.

    The parameters' grads are put back as they were, so the replay can start from the same ones.
    """
    before = [p.grad for p in params]
    out = fn(*as_values(list(args)))
    out.backward()
    grads = [p.grad for p in params]
    for p, g in zip(params, before):
        p.grad = g
    return out.data, grads


def assert_replay_is_exact(tape: Tape, fn: Callable[..., Value], params: Sequence[Value], *args: Any) -> float:
    """Replay ``tape`` on ``args`` and compare the loss and every parameter's grad with the engine's."""
    loss, grads = engine(fn, params, args)
    replayed = tape(*args)
    for i, (p, g) in enumerate(zip(params, grads)):
        assert same(p.grad, g), f"parameter {i}: replay {p.grad!r}, engine {g!r} (args {args})"
    assert same(replayed, loss), (replayed, loss, args)
    assert same(tape.forward(*args), loss)
    return replayed


# --- micrograd's demo: five SGD steps, new data every step ------------------------------------


def micrograd_demo_loss(model: MLP, alpha: float = 1e-4) -> Callable[[Any, Any], Value]:
    """The loss of micrograd's demo.ipynb, line for line (its Python sum() chains of + included)."""

    def loss(xb: Any, yb: Any) -> Value:
        scores = list(map(model, xb))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = alpha * sum(p * p for p in model.parameters())
        return data_loss + reg_loss

    return loss


def moons_batch(seed: int) -> tuple[list[list[float]], list[float]]:
    xs, ys = make_moons(64, noise=0.1, seed=seed)
    return xs, [2.0 * y - 1.0 for y in ys]


def test_micrograds_demo_step_replays_exactly_over_five_sgd_steps_with_new_data() -> None:
    normal_model = MLP(2, [16, 16, 1], seed=3)
    replay_model = MLP(2, [16, 16, 1], seed=3)
    normal_loss = micrograd_demo_loss(normal_model)
    tape = record(micrograd_demo_loss(replay_model), *moons_batch(0))
    assert set(tape.parameters) == set(replay_model.parameters()) and len(tape.parameters) == 337
    for step in range(5):
        xs, ys = moons_batch(step + 1)
        # the normal path as the demo writes it: raw floats, no input Values at all
        total = normal_loss(xs, ys)
        normal_model.zero_grad()
        total.backward()
        replay_model.zero_grad()
        loss = tape(xs, ys)
        assert loss == total.data
        for p, q in zip(normal_model.parameters(), replay_model.parameters()):
            assert same(q.grad, p.grad)
        lr = 1.0 - 0.9 * step / 100
        for model in (normal_model, replay_model):
            for p in model.parameters():
                p.data -= lr * p.grad
    assert [p.data for p in normal_model.parameters()] == [p.data for p in replay_model.parameters()]


# --- cross-entropy and softmax ------------------------------------------------------------------


def onehot(labels: Sequence[int], k: int) -> list[list[float]]:
    return [[float(j == y) for j in range(k)] for y in labels]


def digits_like_batch(rng: random.Random, n: int = 6) -> tuple[list[list[float]], list[list[float]]]:
    return [[rng.uniform(-2, 2) for _ in range(4)] for _ in range(n)], onehot([rng.randrange(3) for _ in range(n)], 3)


def test_cross_entropy_from_one_hot_targets_replays_exactly() -> None:
    model = MLP(4, [8, 3], seed=1)
    params = model.parameters()

    def loss_fn(rows: Any, targets: Any) -> Value:
        # -log softmax(z)_t = log Σ e^zⱼ − Σ tⱼzⱼ for one-hot t; no number read off the data
        terms = [sum_values([zj.exp() for zj in model(x)]).log() - dot(model(x), t) for x, t in zip(rows, targets)]
        return sum_values(terms) * (1.0 / len(terms))

    rng = random.Random(0)
    tape = record(loss_fn, *digits_like_batch(rng))
    for _ in range(3):
        assert_replay_is_exact(tape, loss_fn, params, *digits_like_batch(rng))


def test_softmax_probabilities_and_their_log_replay_exactly() -> None:
    model = MLP(4, [5, 3], activation="tanh", seed=2)
    params = model.parameters()

    def loss_fn(rows: Any, targets: Any) -> Value:
        terms = []
        for x, t in zip(rows, targets):
            exps = [z.exp() for z in model(x)]
            total = sum_values(exps)
            probs = [e / total for e in exps]
            terms.append(-sum_values([tj * pj.log() for tj, pj in zip(t, probs)]))
        return sum_values(terms) * (1.0 / len(terms))

    rng = random.Random(1)
    tape = record(loss_fn, *digits_like_batch(rng))
    for _ in range(3):
        assert_replay_is_exact(tape, loss_fn, params, *digits_like_batch(rng))


def test_nn_binary_cross_entropy_replays_exactly_for_logits_of_either_sign() -> None:
    # its softplus chooses its overflow-free form inside the op, so the choice is made again on replay
    w = Value(1.0)

    def loss_fn(x: Any, t: Any) -> Value:
        return binary_cross_entropy([w * x], [t])

    tape = record(loss_fn, 2.0, 1.0)  # a logit >= 0
    for x, t in ((-800.0, 1.0), (-3.0, 0.0), (0.0, 1.0), (750.0, 0.0), (2.5, 0.25)):
        loss = assert_replay_is_exact(tape, loss_fn, [w], x, t)
        assert math.isfinite(loss)


def test_nn_cross_entropy_with_one_hot_targets_replays_exactly_far_from_the_recording() -> None:
    # nn.cross_entropy's max shift is inside the logsumexp op, so a replay picks each new batch's max
    model = MLP(4, [8, 3], seed=1)
    params = model.parameters()

    def loss_fn(X: Any, T: Any) -> Value:
        return cross_entropy([model(x) for x in X], T)

    def far_batch(rng: random.Random, scale: float) -> tuple[list[list[float]], list[int]]:
        return [[rng.uniform(-scale, scale) for _ in range(4)] for _ in range(6)], [rng.randrange(3) for _ in range(6)]

    rng = random.Random(5)
    X, labels = far_batch(rng, 1.0)
    tape = record(loss_fn, X, onehot(labels, 3))
    for scale in (1.0, 300.0, 600.0):
        X, labels = far_batch(rng, scale)
        T = onehot(labels, 3)
        with no_grad():
            largest = max(abs(z.data) for x in X for z in model(x))
        if scale == 600.0:  # logits of several hundred: e^z alone overflows, e^(z − recorded max) would too
            assert 709.8 < largest < 5000.0, largest
        loss = assert_replay_is_exact(tape, loss_fn, params, X, T)
        assert math.isfinite(loss)
        # and the normal path as a user writes it, with raw float inputs and class indices: the same
        # loss to the last bit; the gradients to rounding, because that graph has another shape, so
        # backward() adds the samples' contributions into the shared weights in another order
        for p in params:
            p.grad = 0.0
        normal = cross_entropy([model(x) for x in X], labels)
        normal.backward()
        expected = [p.grad for p in params]
        for p in params:
            p.grad = 0.0
        assert tape(X, T) == normal.data
        for p, g in zip(params, expected):
            assert math.isclose(p.grad, g, rel_tol=1e-12, abs_tol=1e-15), (p.grad, g)


# --- every op of the table, with constants on either side ------------------------------------

#: For each n-ary op of autograd.ops.OPS, an expression of two operands that records it through
#: its public function (whose fast paths make the node); one- and two-operand ops are built from
#: the table below, so a new one is replayed here without anyone writing a test.
FUSED: dict[str, Callable[[Any, Any], Value]] = {
    "sum": lambda a, b: sum_values([a, a, b]),
    "dot": lambda a, b: dot([a, b], [b, a], a),
    "affine": lambda a, b: dot([a, b], [2.0, -3.0], 0.5),
    "logsumexp": lambda a, b: logsumexp([a, b, a]),
}


def _from_table(name: str) -> Callable[[Any, Any], Value]:
    on_values = getattr(V, name)  # records the op (on Values; on numbers it computes a float)
    if OPS[name].arity == 1:
        return lambda a, b: on_values(a) * b
    return on_values  # type: ignore[no-any-return]


BUILD: dict[str, Callable[[Any, Any], Value]] = {
    name: FUSED[name] if op.arity is None else _from_table(name) for name, op in OPS.items() if op.arity or name in FUSED
}
UNARY = {name for name, op in OPS.items() if op.arity == 1}

#: Where the second operand comes from: an input, a number, the number on the left (a swapped
#: op such as 2 - x), a constant Value, or the parameter itself (a duplicate operand).
ARRANGEMENTS = ["param, input", "input, param", "param, number", "number, param", "param, constant", "param, param"]


def arranged(name: str, arrangement: str, p: Value, x: Any) -> Value:
    build = BUILD[name]
    if arrangement == "param, input":
        return build(p, x)
    if arrangement == "input, param":
        return build(x, p)
    if arrangement == "param, number":
        return build(p, 1.5) * x
    if arrangement == "number, param":
        if name in UNARY:  # the number on the left of the product
            return 1.5 * build(p, x)
        # an n-ary op gets its number last (see test_sum_values_with_a_number_before_a_value_is_exact)
        return build(1.5, p) * x if name not in ("sum", "dot", "affine") else build(p, 1.5) * x
    if arrangement == "param, constant":
        return build(p, Value(-0.75, requires_grad=False)) * x
    return build(p, p) + x


SPECIAL = [0.0, -0.0, INF, -INF, NAN, 1e308, -1e-320]


def test_build_covers_every_op_of_the_table() -> None:
    assert set(BUILD) == set(OPS)


@pytest.mark.parametrize("arrangement", ARRANGEMENTS)
@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_replays_exactly_on_ordinary_and_special_numbers(name: str, arrangement: str) -> None:
    p = Value(0.7, label="p")

    def fn(x: Any) -> Value:
        return arranged(name, arrangement, p, x)

    tape = record(fn, -1.3)
    assert tape.parameters == [p]
    points = [v for pair in OPS[name].domain for v in pair] + [2.0, -3.0] + SPECIAL
    for a in points:
        for x in [1.25, *SPECIAL[:5]]:
            p.data = a
            p.grad = 0.5  # the gradient accumulates onto whatever is there
            assert_replay_is_exact(tape, fn, [p], x)


def test_sum_values_with_a_number_before_a_value_is_exact() -> None:
    w = Value(0.1)
    fn = lambda x: sum_values([x, 1e16, w, -1e16])  # noqa: E731
    tape = record(fn, 1.0)
    for x in (2.0, -3.5, 0.25):
        assert_replay_is_exact(tape, fn, [w], x)


def test_swapped_ops_record_their_permuted_variant_and_replay_exactly() -> None:
    p = Value(0.3)
    fn = lambda x: (2 - p) * (2**p) / (3 / (p + x)) + (5 + p) * (4 * p)  # noqa: E731
    tape = record(fn, 1.0)
    assert {n.op for n in topological_order(tape.output, include_leaves=False)} >= {"sub", "pow", "div", "add", "mul"}
    for a in (0.3, -1.7, 0.0, 4.0):
        p.data = a
        assert_replay_is_exact(tape, fn, [p], 2.5)


# --- duplicates, reuse, parameters that do not matter -----------------------------------------


def test_duplicate_operands_and_a_parameter_used_in_many_places() -> None:
    w, b = Value(0.4), Value(-0.2)

    def fn(x: Any) -> Value:
        h = (w * x[0] + b).tanh()
        return h + h + w * w + dot([w, w, b], [h, w, w], w) + sum_values([w, w, h]) * (x[1] - w)

    tape = record(fn, [1.0, 2.0])
    assert tape.parameters == [w, b] or tape.parameters == [b, w]
    for x in ([0.5, -1.0], [3.0, 0.25], [-2.0, 0.0]):
        assert_replay_is_exact(tape, fn, [w, b], x)


def test_inputs_reused_many_times() -> None:
    w = Value(1.1)

    def fn(x: Any, y: Any) -> Value:
        return (x * x + x * w + x / (y * y + 1.0) - y).relu() + (x - y) * w

    tape = record(fn, 0.5, 1.5)
    for x, y in ((2.0, -1.0), (-3.0, 0.5), (0.0, 0.0)):
        assert_replay_is_exact(tape, fn, [w], x, y)


def test_a_parameter_the_output_does_not_depend_on_is_not_a_parameter_of_the_tape() -> None:
    used, unused, frozen = Value(2.0), Value(3.0), Value(4.0)
    fn = lambda x: used * x + frozen.detach() * x  # noqa: E731
    tape = record(fn, 1.0)
    assert tape.parameters == [used]
    unused.grad = 0.0
    tape(2.0)
    assert used.grad == 2.0 and unused.grad == 0.0 and frozen.grad == 0.0
    frozen.data = 100.0  # a constant of the tape: baked in at record time
    assert tape.forward(1.0) == 2.0 + 4.0


def test_inputs_the_output_does_not_use_still_have_to_be_passed() -> None:
    w = Value(2.0)
    tape = record(lambda x, y: w * x, 1.0, [5.0, 6.0])
    assert tape.forward(3.0, [0.0, 0.0]) == 6.0
    with pytest.raises(ValueError, match=r"y expects a list/tuple of 2 items, as recorded, got 1 items"):
        tape.forward(3.0, [0.0])


def test_an_output_with_no_parameter_replays_its_value() -> None:
    tape = record(lambda x, y: (x * y).exp(), 1.0, 2.0)
    assert tape.parameters == []
    assert tape(0.5, 4.0) == math.exp(2.0)


def test_a_parameter_returned_as_it_is_gets_a_gradient_of_one() -> None:
    w = Value(3.0)
    tape = record(lambda x: w, 1.0)
    assert len(tape) == 0 and tape.parameters == [w]
    w.grad = 0.25
    assert tape(7.0) == 3.0
    assert w.grad == 1.25  # as w.backward() adds 1 to its own grad


def test_an_input_returned_as_it_is_is_the_loss() -> None:
    tape = record(lambda x: x, 1.0)
    assert (len(tape), tape.parameters, tape(5.0)) == (0, [], 5.0)


# --- special values: inf, nan, signed zeros, and backward's zero-gradient skip ---------------


def test_a_zero_gradient_still_pushes_through_an_infinite_partial_as_nan() -> None:
    w = Value(0.0)
    fn = lambda x: (w**0.5) * x  # noqa: E731  # d/dw √w is inf at 0, and x = 0 gives 0 · inf
    tape = record(fn, 1.0)
    for a, x in ((0.0, 0.0), (0.0, 1.0), (4.0, 0.0), (-0.0, 0.0)):
        w.data, w.grad = a, 0.0
        assert_replay_is_exact(tape, fn, [w], x)
    w.data, w.grad = 0.0, 0.0
    tape(0.0)
    assert math.isnan(w.grad)


def test_a_dead_relu_pushes_nothing_so_a_negative_zero_grad_stays() -> None:
    # backward() skips a node whose gradient is 0 (when its partials are finite): the sign of a
    # -0.0 already in .grad survives; pushing 0 · g would have made it +0.0
    w, b = Value(1.0), Value(-5.0)

    def fn(x: Any) -> Value:
        single = (w * x + b).relu() * 3.0
        fused = sum_values([w, b]).relu() + dot([w, b], [1.0, 2.0]).relu() + dot([w, b], [x, x]).relu()
        return single + fused

    tape = record(fn, 1.0)
    assert {n.op for n in topological_order(tape.output, include_leaves=False)} >= {"sum", "affine", "dot", "mul"}
    for x in (1.0, 2.0, 10.0, NAN, INF):
        w.grad = b.grad = -0.0
        assert_replay_is_exact(tape, fn, [w, b], x)
    w.grad = b.grad = -0.0
    tape(1.0)
    assert math.copysign(1.0, w.grad) == -1.0


def test_partials_whose_sum_overflows_count_as_not_finite_as_in_backward() -> None:
    # backward() tests a zero-gradient node's partials by their sum: here (x, x, w, w), and 2·9e307
    # overflows, so it pushes 9e307 · 0 = +0.0, which turns a -0.0 already in .grad into +0.0
    w = Value(-1.0)
    fn = lambda x: dot([w, w], [x, x]).relu()  # noqa: E731  # relu(-inf): a zero gradient for the dot
    tape = record(fn, 1.0)
    for x in (9e307, 1e308, 1e307, 1.0):
        w.grad = -0.0
        assert_replay_is_exact(tape, fn, [w], x)
    w.grad = -0.0
    tape(9e307)
    assert math.copysign(1.0, w.grad) == 1.0


def test_fused_sums_start_from_positive_zero_as_sum_does() -> None:
    # sum(terms, 0.0) is 0.0 + t₁ + ...: with every term -0.0 the result is +0.0, so 1/result is +inf
    w = Value(-0.0)

    def fn(x: Any) -> Value:
        return 1.0 / sum_values([w, w]) + 1.0 / dot([w], [x]) + 1.0 / dot([w], [2.0]) + 1.0 / dot([w, x], [x, w])

    tape = record(fn, 1.0)
    assert tape.forward(1.0) == INF
    for a, x in ((-0.0, 1.0), (0.0, -1.0), (-0.0, 0.0), (1.0, 2.0)):
        w.data = a
        assert_replay_is_exact(tape, fn, [w], x)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from([0.0, -0.0, 1.0, -2.5, INF, -INF, NAN, 1e300, 5e-324]), min_size=4, max_size=4))
def test_special_values_flow_through_a_small_network_exactly(values: list[float]) -> None:
    w1, w2, b = Value(0.5), Value(-1.5), Value(0.25)

    def fn(x: Any) -> Value:
        h = dot([w1, w2], x[:2], b).tanh() + (w1 * x[2]).relu() - abs(w2 - x[3]) + (w1 * w2).sigmoid()
        return (h * h).log() + sum_values([h, w1, x[3]]) / (b + 1.0)

    tape = record(fn, [0.1, 0.2, 0.3, 0.4])
    w1.data, w2.data = values[0], values[1]
    for p in (w1, w2, b):
        p.grad = -0.0
    assert_replay_is_exact(tape, fn, [w1, w2, b], values[1:] + values[:1])


# --- random graphs ---------------------------------------------------------------------------

leaf_values = st.lists(st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 3)), min_size=2, max_size=5)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(st.booleans()), leaf_values, leaf_values)
def test_random_graphs_replay_exactly(program: Any, first: list[float], second: list[float]) -> None:
    # the first leaves are parameters, the rest are the tape's inputs; nodes are reused at random
    n = len(first) // 2
    params = [Value(v) for v in first[:n]]

    def fn(xs: Any) -> Value:
        return run(program, [*params, *xs], Ours)

    tape = record(fn, first[n:])
    for p, v in zip(params, second):
        p.data = v
    xs = (second[n:] + first)[: len(first) - n]
    assert_replay_is_exact(tape, fn, params, xs)


# --- user-defined ops ------------------------------------------------------------------------

FMA = Op("fma", "fma", lambda M, a, b, c: (a * b + c, (b, a, 1.0)), 3)
CUBE = Op("cube", "³", lambda M, a: (a * a * a, (3 * a * a,)), 1)


def test_user_defined_ops_replay_exactly_with_constants_anywhere() -> None:
    w, v = Value(0.5), Value(-2.0)

    def fn(x: Any) -> Value:
        # a number in the middle makes apply() store a permuted variant of fma
        return apply(FMA, w, 3.0, x) + apply(FMA, x, v, w) + apply(CUBE, w * x) + apply(FMA, 2.0, w, 1.0)

    tape = record(fn, 1.0)
    for x in (0.5, -3.0, 0.0, INF):
        assert_replay_is_exact(tape, fn, [w, v], x)


def test_record_refuses_a_function_it_cannot_reproduce() -> None:
    calls = iter(range(10**6))
    flaky = Op("flaky", "?", lambda M, a: (a + next(calls), (1.0,)), 1)
    w = Value(1.0)
    with pytest.raises(RuntimeError, match="cannot be trusted"):
        record(lambda x: apply(flaky, w * x), 1.0)


# --- forward only, attributes ----------------------------------------------------------------


def test_forward_leaves_every_grad_alone_and_the_output_is_the_recorded_graph() -> None:
    w = Value(2.0)
    tape = record(lambda x, y: (w * x - y) ** 2, 3.0, 1.0)
    assert tape.output.data == 25.0 and tape.output.op == "pow"
    assert len(tape) == len(topological_order(tape.output, include_leaves=False)) == 3
    w.grad = 0.125
    assert tape.forward(1.0, 0.0) == 4.0
    assert w.grad == 0.125
    w.data = 3.0  # the parameters' current data is read at every replay
    assert tape.forward(1.0, 0.0) == 9.0
    assert "3 ops" in repr(tape) and "1 parameters" in repr(tape)
    assert "def run(X, P, G):" in tape.source
    tape.parameters.append(Value(5.0))  # a copy: the tape's own list cannot be changed by mistake
    assert tape.parameters == [w] and tape(1.0, 0.0) == 9.0


def test_ints_are_numbers_like_floats() -> None:
    w = Value(0.5)
    tape = record(lambda x, ys: w * x + ys[0] * ys[1], 2, (1, 2))
    assert tape(3, (4, 5)) == tape(3.0, [4.0, 5.0]) == 21.5


def test_the_sum_formula_of_python_3_12_is_exact_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # where sum() of floats is compensated (Python ≥ 3.12) the tape calls sum() as the engine does
    monkeypatch.setattr(tape_module, "SUM_IS_LEFT_TO_RIGHT", False)
    model = MLP(3, [6, 1], seed=4)
    fn = lambda x: (model(x) - x[0]) ** 2 + sum_values(model.parameters())  # noqa: E731
    tape = record(fn, [0.1, 0.2, 0.3])
    assert "sum(map(mul" in tape.source
    assert_replay_is_exact(tape, fn, model.parameters(), [1.0, -2.0, 0.5])


def test_long_chains_and_wide_sums_replay_exactly() -> None:
    a, b = Value(0.999), Value(0.001)

    def fn(x: Any) -> Value:
        y = x
        for _ in range(1500):
            y = y * a + b
        return y + sum_values([a * xi for xi in [x] * 1000])

    tape = record(fn, 1.0)
    assert len(tape) == 3000 + 1000 + 2
    assert_replay_is_exact(tape, fn, [a, b], 0.5)


# --- decisions taken in Python: guarded (tests/autograd/test_tape_guards.py has them all) ------


def test_a_python_if_on_a_value_is_guarded_and_an_op_needs_no_guard() -> None:
    w = Value(1.0)

    def fn(x: Any) -> Value:
        return x * w if x > 0 else -x * w

    tape = record(fn, 2.0)
    with pytest.raises(GuardError, match=r"test_tape.py:\d+ \(x > y\)"):
        tape.forward(-3.0)  # the recorded branch would give -3.0, the normal path's 3.0
    assert fn(Value(-3.0)).data == 3.0
    fixed = record(lambda x: abs(x) * w, 2.0)  # an op instead of an if: right for every x, no guard
    assert fixed.plan.guards == []
    assert fixed.forward(-3.0) == 3.0


def test_reading_data_is_not_guarded() -> None:
    """What the docs warn about: a number read off .data is a plain float, out of the tape's sight."""
    w = Value(1.0)
    tape = record(lambda x: x * w if x.data > 0 else -x * w, 2.0)
    assert tape.plan.guards == []
    assert tape.forward(-3.0) == -3.0  # the recorded branch, silently: compare the Value instead


# --- errors ------------------------------------------------------------------------------------


def test_record_refuses_inside_no_grad() -> None:
    with no_grad(), pytest.raises(RuntimeError, match=r"no_grad\(\)"):
        record(lambda x: x * 2, 1.0)


@pytest.mark.parametrize(
    ("fn", "args", "error", "message"),
    [
        ("not a function", (1.0,), TypeError, "record: fn expects a function, got str"),
        (lambda x: 3.0, (1.0,), TypeError, r"record: fn must return a Value, or a pair \(loss Value, extras\), got float"),
        (lambda x: Value(2.0, requires_grad=False), (1.0,), ValueError, "does not require grad"),
        (lambda x: x, ("abc",), TypeError, r"x expects a number or a list/tuple of numbers, got str"),
        (lambda x: x[0], ([1.0, None],), TypeError, r"x\[1\] expects a number .* got NoneType"),
        (lambda x: x, (True,), TypeError, "got bool"),
        (lambda x: x, (Value(1.0),), TypeError, r"got Value \(pass numbers: its .data"),
    ],
)
def test_record_errors_say_what_and_where(fn: Any, args: tuple[Any, ...], error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        record(fn, *args)


def test_a_class_label_used_as_an_index_is_guarded() -> None:
    table = [1.0, 2.0, 3.0]
    tape = record(lambda i: table[i] * Value(1.0, requires_grad=False) + i, 1)
    assert tape.forward(1) == 3.0
    with pytest.raises(GuardError, match="used as an index"):
        tape.forward(2)
    with pytest.raises(TypeError, match="must hold an integer.*autograd.take"):
        record(lambda i: table[i] * Value(1.0) + i, 1.5)


@pytest.fixture
def two_args_tape() -> Tape:
    w = Value(1.0)
    return record(lambda xs, y: dot([w, w], xs[0]) + xs[1][0] * y, [[1.0, 2.0], (3.0,)], 4.0)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((), TypeError, r"tape expects 2 arguments \(xs, y\), as recorded, got 0"),
        (([[1.0, 2.0], (3.0,)], 4.0, 5.0), TypeError, "got 3"),
        (([[1.0, 2.0, 3.0], (3.0,)], 4.0), ValueError, r"xs\[0\] expects a list/tuple of 2 items, as recorded, got 3"),
        (([[1.0, 2.0]], 4.0), ValueError, r"tape: xs expects a list/tuple of 2 items, as recorded, got 1 items"),
        (([1.0, (3.0,)], 4.0), ValueError, r"xs\[0\] expects a list/tuple of 2 items, as recorded, got a number"),
        (([[1.0, 2.0], (3.0,)], [4.0]), ValueError, r"y expects a number, as recorded, got a list of 1 items"),
        (([[1.0, "2"], (3.0,)], 4.0), TypeError, r"tape: xs\[0\]\[1\] expects a number .* got str"),
        (([[1.0, 2.0], (3.0,)], None), TypeError, r"tape: y expects a number .* got NoneType"),
        (([[1.0, 2.0], (False,)], 4.0), TypeError, r"xs\[1\]\[0\] expects a number .* got bool"),
        (([[1.0, 2.0], (3.0,)], Value(4.0)), TypeError, r"tape: y .* got Value"),
    ],
)
def test_replay_errors_name_the_argument_and_the_position(
    two_args_tape: Tape, args: tuple[Any, ...], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        two_args_tape(*args)
    with pytest.raises(error, match=message.replace("tape", "tape.forward") if message.startswith("tape") else message):
        two_args_tape.forward(*args)


def test_replay_with_gradients_refuses_inside_no_grad_but_forward_works() -> None:
    w = Value(2.0)
    tape = record(lambda x: w * x, 1.0)
    with no_grad():
        with pytest.raises(RuntimeError, match=r"use tape.forward"):
            tape(1.0)
        assert tape.forward(3.0) == 6.0


def test_under_detect_anomaly_a_replay_runs_the_engine_which_names_the_op() -> None:
    w = Value(0.0)
    fn = lambda x: (w**0.5) * x  # noqa: E731
    tape = record(fn, 1.0)
    w.data = 4.0
    with detect_anomaly():
        assert tape(3.0) == 6.0  # no nan: the same result as a replay
        assert w.grad == 0.75
        assert tape.forward(3.0) == 6.0
        w.data = 0.0
        with pytest.raises(AnomalyError, match="the backward of op 'pow'"):
            tape(0.0)


def test_a_traceback_through_a_replay_shows_the_line_of_the_tape() -> None:
    import gc
    import linecache
    import traceback

    def fails(M: Any, a: Any) -> Any:
        if M.val(a) > 1.0:
            raise ArithmeticError("too big")
        return a, (1.0,)

    w = Value(1.0)
    tape = record(lambda x: apply(Op("fails", "!", fails, 1), w * x), 0.5)
    with pytest.raises(ArithmeticError) as info:
        tape(2.0)
    text = "".join(traceback.format_exception(info.value))
    assert "<tape " in text and "# fails" in text  # the generated line, with its op's name
    filename = next(f for f in linecache.cache if f.startswith("<tape ") and "fails" in "".join(linecache.cache[f][2]))
    del tape, info
    gc.collect()
    assert filename not in linecache.cache  # forgotten with the tape


# --- extras: values reported beside the loss ------------------------------------------------------


def test_extras_are_replayed_with_the_loss_in_the_structure_fn_returned() -> None:
    model = MLP(2, [4, 3], seed=2)
    params = model.parameters()

    def step(X: Any, T: Any) -> tuple[Value, list[list[Value]]]:
        outputs = [model(x) for x in X]
        return cross_entropy(outputs, T), outputs

    rng = random.Random(4)

    def batch() -> tuple[list[list[float]], list[list[float]]]:
        return [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(5)], onehot(
            [rng.randrange(3) for _ in range(5)], 3
        )

    tape = record(step, *batch())
    for _ in range(3):
        X, T = batch()
        for p in params:
            p.grad = 0.0
        loss_v, outs_v = step(X, T)
        loss_v.backward()
        expected = [p.grad for p in params]
        for p in params:
            p.grad = 0.0
        loss, outs = tape(X, T)
        assert same(loss, loss_v.data) and all(same(p.grad, e) for p, e in zip(params, expected))
        assert outs == [[o.data for o in row] for row in outs_v]
        assert type(outs) is list and type(outs[0]) is list
        f_loss, f_outs = tape.forward(X, T)
        assert f_loss == loss and f_outs == outs
        with detect_anomaly():  # the normal path gives the same shape
            a_loss, a_outs = tape.forward(X, T)
        assert a_loss == loss and a_outs == outs


def test_extras_must_be_values_of_the_loss_graph() -> None:
    w = Value(1.5)
    other = Value(2.0)
    with pytest.raises(ValueError, match=r"extra value 1 \(data 2.0\) is not part of the loss's graph"):
        record(lambda x: (lambda h: (h.tanh(), (h, other * 1.0)))(w * x), 1.0)  # h is in the graph
    with pytest.raises(TypeError, match=r"record: extras\[0\] expects a Value or a list/tuple of Values, got float"):
        record(lambda x: (w * x, [3.0]), 1.0)
