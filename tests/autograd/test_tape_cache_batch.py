"""compiled(fn).batch(samples, scale): a batch through the compile cache. The references are the
tape's own batch (record(fn).batch, bit for bit) and the engine doing the same loop
(fn(*sample).backward(scale) sample after sample, bit for bit): losses and every gradient, with a
guard failing inside a batch, samples of several structures, eviction, and in C with the
parameters kept in a Trainer."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import pytest

from autograd import Value, compiled, detect_anomaly, no_grad, record
from autograd.tape.cache import CompileWarning
from autograd.tape.cbackend import CTape


def bits(x: float) -> tuple[bool, float, float]:
    return (x != x, 0.0 if x != x else x, math.copysign(1.0, x))


def weights() -> list[Value]:
    return [Value(0.5, label="w0"), Value(-0.25, label="w1"), Value(0.75, label="w2")]


def branchy(w: list[Value]) -> Callable[[list[float], float], Value]:
    """A loss with a Python branch on a Value (a guard): which side depends on the sample."""

    def loss(xs: list[float], y: float) -> Value:
        h = w[0] * xs[0] + w[1] * xs[1] + w[2]
        if h > 0:
            h = h.tanh() * 2.0
        return (h - y) ** 2

    return loss


def engine(fn: Callable[..., Value], params: list[Value], samples: list[tuple[Any, ...]], scale: float) -> tuple[list[float], list[float]]:
    """The normal path's losses and the gradients it adds, from the parameters' current grads (restored)."""
    start = [p.grad for p in params]
    losses = []
    for sample in samples:
        out = fn(*sample)
        out.backward(scale)
        losses.append(out.data)
    grads = [p.grad for p in params]
    for p, g in zip(params, start):
        p.grad = g
    return losses, grads


def assert_as_engine(step: Any, params: list[Value], samples: list[tuple[Any, ...]], scale: float) -> list[float]:
    want, grads = engine(step.fn, params, samples, scale)
    got = step.batch(samples, scale)
    assert [bits(x) for x in got] == [bits(x) for x in want]
    assert [bits(p.grad) for p in params] == [bits(g) for g in grads]
    return got


POSITIVE = [([1.0, 0.5], 0.3), ([0.2, -1.0], -0.4), ([2.0, 1.0], 1.5), ([0.9, 0.1], 0.0)]  # h > 0 for each
NEGATIVE = [([-3.0, 2.0], 0.3), ([-2.0, 4.0], -1.0)]  # h < 0: the other branch


def test_a_batch_is_the_tapes_batch_to_the_bit(backend: str) -> None:
    w = weights()
    fn = branchy(w)
    tape = record(fn, *POSITIVE[0], backend=backend)
    want = tape.batch(POSITIVE, 0.25)
    want_grads = [p.grad for p in w]
    for p in w:
        p.grad = 0.0
    step = compiled(fn, backend=backend)
    got = step.batch(POSITIVE, scale=0.25)
    assert [bits(x) for x in got] == [bits(x) for x in want]
    assert [bits(p.grad) for p in w] == [bits(g) for g in want_grads]
    assert step.recordings == 1 and isinstance(step.tapes[0], CTape) == (backend == "c")
    assert_as_engine(step, w, POSITIVE[::-1], 0.5)  # the gradients add up, as the engine's do
    assert step.recordings == 1
    assert step.batch([]) == []


def test_a_guard_failing_inside_a_batch_records_again_and_never_gives_a_wrong_number(backend: str) -> None:
    w = weights()
    step = compiled(branchy(w), backend=backend)
    mixed = [POSITIVE[0], POSITIVE[1], NEGATIVE[0], POSITIVE[2], NEGATIVE[1], NEGATIVE[0], POSITIVE[3]]
    assert_as_engine(step, w, mixed, 1.0 / len(mixed))
    assert step.recordings == 2 and len(step.tapes) == 2  # one tape per branch
    assert_as_engine(step, w, mixed[::-1], 0.3)
    assert step.recordings == 2  # both branches now have their tape
    assert step.fallbacks == 0


def test_samples_of_several_lengths_run_in_order_each_on_its_tape(backend: str) -> None:
    w = weights()

    def doc(xs: list[float]) -> Value:
        h = Value(0.0, requires_grad=False)
        for x in xs:
            h = (w[0] * h + w[1] * x + w[2]).tanh()
        return h * h

    step = compiled(doc, backend=backend)
    samples: list[tuple[Any, ...]] = [([1.0, 2.0],), ([0.5, -1.0],), ([1.0, 2.0, 3.0],), ([0.1, 0.2],), ([3.0],)]
    assert_as_engine(step, w, samples, 0.2)
    assert step.recordings == 3 and sorted(len(t.plan.values) for t in step.tapes) == sorted({len(t.plan.values) for t in step.tapes})


def test_least_recently_used_tapes_are_evicted_inside_a_batch(backend: str) -> None:
    w = weights()
    step = compiled(branchy(w), backend=backend, max_tapes=1)
    mixed = [POSITIVE[0], NEGATIVE[0], POSITIVE[1], NEGATIVE[1]]  # the branch changes at every sample
    with pytest.warns(CompileWarning, match="more than max_tapes=1"):
        assert_as_engine(step, w, mixed, 0.25)
    assert step.recordings == 4 and len(step.tapes) == 1  # each change of branch recorded again; one kept


def test_a_batch_with_params_and_a_rule_trains_as_the_engine_and_nn_sgd(backend: str) -> None:
    # in C the parameters stay in a Trainer between batches; a guard failing inside a batch there
    # gives back no gradient (the C code restores them), and the samples before it run again
    from nn.optim import SGD
    from nn.update_rules import SGDRule

    w, ref = weights(), weights()
    step = compiled(branchy(w), backend=backend, params=w, rule=SGDRule(lr=0.1, momentum=0.9))
    sgd = SGD(ref, lr=0.1, momentum=0.9)
    batches = [POSITIVE, [POSITIVE[0], NEGATIVE[0], POSITIVE[1]], NEGATIVE + POSITIVE, POSITIVE[1:]]
    for samples in batches:
        want = []
        for sample in samples:
            out = branchy(ref)(*sample)
            out.backward(1.0 / len(samples))
            want.append(out.data)
        sgd.step()
        sgd.zero_grad()
        got = step.batch(samples, 1.0 / len(samples))
        step.update()
        step.zero_grad()
        assert [bits(x) for x in got] == [bits(x) for x in want]
    step.sync()
    assert [bits(p.data) for p in w] == [bits(q.data) for q in ref]


def test_anomaly_mode_and_arguments_that_are_not_numbers_run_on_the_normal_path() -> None:
    w = weights()
    step = compiled(branchy(w))
    with detect_anomaly():
        assert_as_engine(step, w, POSITIVE[:2], 0.5)
    assert step.recordings == 0 and step.fallbacks == 2

    def by_name(name: str, x: float) -> Value:
        return w[0] * x if name == "a" else w[1] * x

    loose = compiled(by_name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert_as_engine(loose, w, [("a", 1.0), ("b", 2.0)], 0.5)
    assert [c.category for c in caught] == [CompileWarning] and loose.fallbacks == 2
    with pytest.raises(TypeError, match=r"compiled\(by_name\): cannot record it for arguments that are not numbers"):
        compiled(by_name, fallback=False).batch([("a", 1.0)])


def test_a_batch_checks_its_arguments() -> None:
    w = weights()
    step = compiled(branchy(w))
    with pytest.raises(TypeError, match=r"compiled\(loss\).batch: samples expects a list of samples \(tuples of fn's arguments\), got str"):
        step.batch("ab")
    with pytest.raises(TypeError, match=r"compiled\(loss\).batch: samples\[1\] expects a tuple of fn's arguments, got float"):
        step.batch([POSITIVE[0], 1.0])
    with pytest.raises(TypeError, match=r"compiled\(loss\).batch: scale"):
        step.batch(POSITIVE, scale="half")
    with no_grad(), pytest.raises(RuntimeError, match=r"compiled\(loss\).batch\(...\) computes gradients, but gradients are off"):
        step.batch(POSITIVE)
    assert step.recordings == 0 and [p.grad for p in w] == [0.0, 0.0, 0.0]  # nothing ran
