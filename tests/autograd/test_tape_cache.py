"""compiled(fn): records on the first call, replays by the arguments' structure and the guards'
outcomes, records again when a guard fails, evicts the least recently used tape, falls back to
the normal path with one warning. The reference is the engine: fn(*args) then backward(),
compared bit for bit (losses and every gradient)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from autograd import Value, compiled, dot
from autograd.tape.cache import Compiled, CompileWarning
from autograd.tape.cbackend import CTape

W = [Value(0.5, label="w0"), Value(-0.25, label="w1")]


def bits(x: float) -> tuple[bool, float, float]:
    return (x != x, 0.0 if x != x else x, math.copysign(1.0, x))


def engine(fn: Callable[..., Any], *args: Any) -> tuple[float, list[float]]:
    """fn(*args) and backward() on the normal path, from the parameters' current grads."""
    start = [p.grad for p in W]
    out = fn(*args)
    out.backward()
    grads = [p.grad for p in W]
    for p, g in zip(W, start):
        p.grad = g
    return out.data, grads


def assert_as_engine(step: Compiled, *args: Any) -> None:
    expected, grads = engine(step.fn, *args)
    loss = step(*args)
    assert bits(loss) == bits(expected)
    assert [bits(p.grad) for p in W] == [bits(g) for g in grads]


def loss_of_a_document(xs: list[float]) -> Value:
    """A loss over a sequence of any length, with a decision on a Value on the way."""
    h = Value(0.0, requires_grad=False)
    for x in xs:
        h = (W[0] * h + W[1] * x).tanh()
        if h > 0.1:  # a Python branch: guarded
            h = h * 2.0
    return h * h


def test_one_tape_per_length_and_per_branch_equal_to_the_engine_bit_for_bit(backend: str) -> None:
    step = compiled(loss_of_a_document, backend=backend)
    docs = [[1.0, -2.0], [0.5, 0.25, -1.0], [1.5, -2.5], [-1.0, 3.0], [0.5, 0.25, -1.0], [0.7, -1.9]]
    for doc in docs:
        assert_as_engine(step, doc)
    assert all(isinstance(t, CTape) == (backend == "c") for t in step.tapes)
    # lengths 2 and 3, and the 2-long documents take two sets of branches
    assert step.recordings == len({(len(d), tuple(_branches(d))) for d in docs})
    assert step.fallbacks == 0


def _branches(xs: list[float]) -> list[bool]:
    h, out = 0.0, []
    for x in xs:
        h = math.tanh(W[0].data * h + W[1].data * x)
        out.append(h > 0.1)
        if h > 0.1:
            h *= 2.0
    return out


def test_a_failed_guard_records_again_and_the_old_tape_stays() -> None:
    step = compiled(lambda x: x * W[0] if x > 0 else -x * W[1])
    for x in [1.0, 2.0, -1.0, 3.0, -4.0]:
        assert_as_engine(step, x)
    assert step.recordings == 2 and len(step.tapes) == 2


def test_least_recently_used_tapes_are_evicted() -> None:
    step = compiled(lambda xs: dot(W, xs) if len(xs) == 2 else sum(xs, W[0]), max_tapes=2)
    step([1.0, 2.0])
    step([1.0, 2.0, 3.0])
    step([1.0, 2.0])  # the 2-long tape is now the most recently used
    step([1.0])  # evicts the 3-long one
    assert step.recordings == 3 and len(step.tapes) == 2
    assert [t.plan.n_inputs for t in step.tapes] == [2, 1]  # least recently used first
    step([1.0, 2.0])
    assert step.recordings == 3
    step([1.0, 2.0, 3.0])
    assert step.recordings == 4


def test_too_many_recordings_for_one_structure_warn_once() -> None:
    step = compiled(lambda x: x * W[0] * float(x), max_tapes=2)  # float(x) is a guard on the exact number
    with pytest.warns(CompileWarning, match="keeps changing"):
        for x in [1.0, 2.0, 3.0, 4.0]:
            assert_as_engine(step, x)
    assert step.recordings == 4 and len(step.tapes) == 2


def test_a_function_that_cannot_be_recorded_runs_on_the_normal_path_with_one_warning() -> None:
    def fn(name: str, x: float) -> Value:
        return W[0] * x * len(name)

    step = compiled(fn)
    with pytest.warns(CompileWarning, match="normal path"):
        assert_as_engine(step, "abc", 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_as_engine(step, "ab", 1.0)
    assert step.recordings == 0 and step.fallbacks == 2


def test_a_function_record_refuses_falls_back_once() -> None:
    table = [W[0], W[1]]
    step = compiled(lambda i: table[i] * 2.0)  # an index that is not an integer cannot be recorded
    with pytest.warns(CompileWarning, match="cannot record"):
        with pytest.raises(TypeError, match="list indices must be integers"):  # and fails as without a tape
            step(0.5)
    assert_as_engine(step, 1)  # the same structure: not recorded again, the normal path at once
    assert step.recordings == 0 and step.fallbacks == 2


def test_extras_forward_and_the_decorator() -> None:
    @compiled(max_tapes=3)
    def fn(xs: list[float]) -> tuple[Value, list[Value]]:
        outs = [W[0] * x for x in xs]
        return sum(outs, Value(0.0, requires_grad=False)), outs

    loss, outs = fn([1.0, 2.0])
    assert (loss, outs) == (1.5, [0.5, 1.0])
    assert fn.forward([2.0, 2.0]) == (2.0, [1.0, 1.0])
    assert isinstance(fn, Compiled) and fn.max_tapes == 3


def test_compile_checks_its_arguments() -> None:
    with pytest.raises(ValueError, match="max_tapes expects an int of at least 1, got 0"):
        compiled(lambda x: x, max_tapes=0)
    with pytest.raises(ValueError, match="backend expects 'python' or 'c'"):
        compiled(lambda x: x, backend="cuda")
    with pytest.raises(TypeError, match="fn expects a function, got int"):
        compiled(3)


# --- params= and rule=: the optimizer beside the tapes (in C with backend="c") ---------------------


def adam_run(params: list[Value], fn: Callable[..., Value], docs: list[list[float]], make_step: Any) -> list[float]:
    """Train ``params`` on ``docs`` with ``make_step(params)``'s step, the learning rate falling; the losses."""
    step = make_step(params)
    return [step(doc, 0.05 / (1 + i)) for i, doc in enumerate(docs)]


def test_params_and_rule_train_as_the_engine_and_nn_adam_bit_for_bit(backend: str) -> None:
    from nn.optim import Adam
    from nn.update_rules import AdamRule

    docs = [[1.0, -2.0], [0.5, 0.25, -1.0], [1.5, -2.5], [-1.0, 3.0], [0.5, 0.25], [0.7, -1.9, 0.1]]
    start = [p.data for p in W]

    def engine_step(params: list[Value]) -> Any:
        opt = Adam(params, lr=0.05)

        def step(doc: list[float], lr: float) -> float:
            loss = loss_of_a_document(doc)
            loss.backward()
            opt.lr = lr
            opt.step()
            opt.zero_grad()
            return loss.data

        return step

    def compiled_step(params: list[Value]) -> Any:
        fn = compiled(loss_of_a_document, backend=backend, params=params, rule=AdamRule(lr=0.05))

        def step(doc: list[float], lr: float) -> float:
            loss: float = fn(doc)
            fn.update(lr)
            if doc == [1.5, -2.5]:  # a forward pass in between reads the parameters off the Values
                assert fn.forward(doc) == loss_of_a_document(doc).data
            fn.zero_grad()
            return loss

        step.fn = fn  # type: ignore[attr-defined]
        return step

    saved = [(p.data, p.grad) for p in W]
    try:
        for p in W:
            p.grad = 0.0
        expected = adam_run(W, loss_of_a_document, docs, engine_step)
        after = [(p.data, p.grad) for p in W]
        for p, x in zip(W, start):
            p.data, p.grad = x, 0.0
        step = compiled_step(W)
        got = [step(doc, 0.05 / (1 + i)) for i, doc in enumerate(docs)]
        step.fn.sync()  # type: ignore[attr-defined]
        assert [bits(x) for x in got] == [bits(x) for x in expected]
        assert [(bits(p.data), bits(p.grad)) for p in W] == [(bits(x), bits(g)) for x, g in after]
        assert step.fn.recordings >= 3  # type: ignore[attr-defined]  # several lengths: recorded between updates
    finally:
        for p, (x, g) in zip(W, saved):
            p.data, p.grad = x, g


def test_params_in_c_take_the_gradients_of_a_normal_path_call_in_between(backend: str) -> None:
    # a step under detect_anomaly() runs on the engine (the Values); the C step before it kept the
    # gradients in C: both must add up, as two engine steps would, before update()
    from autograd import detect_anomaly
    from nn.update_rules import SGDRule

    w = [Value(0.5), Value(-0.25)]
    fn = compiled(lambda x: (w[0] * x + w[1]) ** 2, backend=backend, params=w, rule=SGDRule(lr=0.1))
    fn(2.0)  # in C
    with detect_anomaly():
        fn(1.0)  # the normal path: the parameters come back from C first, gradients included
    fn(3.0)  # in C again, from the Values' gradients
    fn.update()
    fn.sync()
    ref = [Value(0.5), Value(-0.25)]
    for x in (2.0, 1.0, 3.0):
        ((ref[0] * x + ref[1]) ** 2).backward()
    assert [p.grad for p in w] == [p.grad for p in ref]
    assert [p.data for p in w] == [q.data - 0.1 * q.grad for q in ref]


def test_params_and_rule_are_checked() -> None:
    from nn.update_rules import SGDRule

    w = Value(1.0)
    with pytest.raises(ValueError, match="rule= updates params=: give both"):
        compiled(lambda x: w * x, rule=SGDRule(0.1))
    with pytest.raises(TypeError, match="rule expects an update rule with check"):
        compiled(lambda x: w * x, params=[w], rule=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"params\[1\] expects a Value, got float"):
        compiled(lambda x: w * x, params=[w, 1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="params holds a Value twice"):
        compiled(lambda x: w * x, params=[w, w])
    with pytest.raises(RuntimeError, match="there is no update rule"):
        compiled(lambda x: w * x).update()
    other = Value(2.0, label="other")
    fn = compiled(lambda x: w * x * other, params=[w], rule=SGDRule(0.1))
    with pytest.raises(ValueError, match="fn reads 1 parameter.* not in params"):
        fn(1.0)


def test_arguments_of_one_shape_but_another_nesting_get_their_own_tape(backend: str) -> None:
    # the cache finds a tape by the lengths alone; the tape's own check of its arguments sees the
    # list inside a row, and the cache then looks again by the exact structure, and records
    def fn(rows: list[list[Any]]) -> Value:
        total = Value(0.0, requires_grad=False)
        for row in rows:
            for item in row:
                total = total + (W[1] * item[0] if isinstance(item, list) else W[0] * item)
        return total

    step = compiled(fn, backend=backend)
    for rows in ([[1.0, 2.0], [3.0, 4.0]], [[1.0, [2.0]], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]], [[1.0, [5.0]], [3.0, 4.0]]):
        assert_as_engine(step, rows)
    assert step.recordings == 2 and step.fallbacks == 0
    with pytest.warns(CompileWarning, match="not numbers"):  # the same shape, not made of numbers: the normal path
        with pytest.raises(TypeError):
            step([[1.0, "a"], [3.0, 4.0]])
