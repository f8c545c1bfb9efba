"""Guards: every decision a recorded function takes on a Value's number is checked by every replay,
in Python and in C; a decision that goes the other way raises GuardError and gives no number.

The reference is the engine itself: on numbers where the decisions hold, a replay must give the
normal path's loss and gradients to the bit; where one does not, the replay must raise, leave
every ``.grad`` as it was, and name the line that took the decision.
"""

from __future__ import annotations

import math
import os
import shlex
import sysconfig
from collections.abc import Callable

import pytest
from helpers import (
    require_program,
)

from autograd import GuardError, Tape, Value, record
from autograd.guard import recording_decisions
from autograd.tape.cbackend import CTape, Trainer
from nn.update_rules import SGDRule

W = Value(0.75, label="w")


def engine(fn: Callable[[Value], Value], x: float) -> tuple[float, float]:
    """The normal path's loss and dloss/dW at x."""
    saved = W.grad
    W.grad = 0.0
    out = fn(Value(x))
    out.backward()
    loss, g = out.data, W.grad
    W.grad = saved
    return loss, g


# Each case: a function whose branch depends on its input through one kind of decision, a point to
# record at, points where the decision comes out the same (the replay must equal the engine) and
# points where it does not (the replay must refuse).
CASES: dict[str, tuple[Callable[[Value], Value], float, list[float], list[float]]] = {
    "<": (lambda x: x * W if x < 1.0 else x * x, 0.5, [0.0, -3.0, 0.999], [1.0, 2.0, math.nan]),
    "<=": (lambda x: x * W if x <= 1.0 else x * x, 0.5, [1.0, -2.0], [1.5, math.inf]),
    ">": (lambda x: x * W if x > 0.0 else -x, 2.0, [1e-300, 5.0], [0.0, -1.0, -0.0]),
    ">= (a number on the left)": (lambda x: x * W if 0.0 <= x else -x, 2.0, [0.0, -0.0, 3.0], [-1.0, math.nan]),
    "a comparison of two Values": (lambda x: x * W if x * W > x * x else x, 0.5, [0.25, 0.7], [0.8, 2.0]),
    "max": (lambda x: max(x * W, x * x + 0.0), 0.5, [0.1, 0.6], [0.9, 3.0]),
    "min": (lambda x: min(x, W), 0.5, [0.1, -4.0], [0.9, 3.0]),
    "bool": (lambda x: x * W if x else W * 2.0, 0.5, [3.0, -1.0, math.nan], [0.0, -0.0]),
    "int": (lambda x: x * W * int(x), 2.5, [2.0, 2.999], [1.999, 3.0, -2.5]),
    "int of a negative number": (lambda x: x * W * int(x), -2.5, [-2.0, -2.999], [-3.0, -1.5, 0.5]),
    "int near 0": (lambda x: x * W + int(x), 0.5, [-0.999, 0.999, 0.0], [1.0, -1.0]),
    "float": (lambda x: x * math.exp(float(x)) * W, 0.5, [0.5], [0.25, -0.5]),
    "round": (lambda x: x * W * round(x), 2.4, [1.5, 2.5, 2.0], [1.4999, 2.5000001, 3.0]),
    "round of an odd number": (lambda x: x * W * round(x), 3.2, [3.4, 2.6], [2.5, 3.5, 4.0]),
    "round with digits": (lambda x: x * W * round(x, 1), 0.26, [0.26], [0.27]),
    "index": (lambda x: x * W * [1.0, 2.0, 3.0][x], 1.0, [1.0], [0.0, 2.0]),
    "format": (lambda x: x * W * len(f"{x:.2f}"), 1.0, [1.0], [10.0]),
    "a decision on a parameter": (lambda x: x * 2.0 if W > 0.5 else x * 3.0, 1.0, [4.0], []),
}


def same(a: float, b: float) -> bool:
    return (a != a and b != b) or (a == b and math.copysign(1.0, a) == math.copysign(1.0, b))


@pytest.mark.parametrize("kind", list(CASES))
def test_every_kind_of_decision_is_guarded(kind: str, backend: str) -> None:
    fn, at, agree, differ = CASES[kind]
    tape = record(fn, at, backend=backend)
    assert isinstance(tape, CTape) == (backend == "c")
    assert tape.plan.guards, "no guard recorded"
    for x in [at, *agree]:
        W.grad = 0.5
        loss = tape(x)
        expected_loss, expected_grad = engine(fn, x)
        assert same(loss, expected_loss), (x, loss, expected_loss)
        assert same(W.grad, 0.5 + expected_grad), (x, W.grad, expected_grad)
    for x in differ:
        W.grad = 0.5
        with pytest.raises(GuardError, match=r"test_tape_guards\.py:\d+") as info:
            tape(x)
        assert W.grad == 0.5  # nothing half done
        assert info.value.decision is not None and info.value.sample is None
        with pytest.raises(GuardError):
            tape.forward(x)
        with pytest.raises(GuardError) as batch:
            tape.batch([(at,), (x,), (at,)], scale=0.5)
        assert batch.value.sample == 1
        assert W.grad == 0.5  # the first sample's gradients were taken back out


def test_a_decision_on_a_parameter_fails_after_an_update(backend: str) -> None:
    fn = CASES["a decision on a parameter"][0]
    tape = record(fn, 1.0, backend=backend)
    assert W in tape.parameters  # read by the guard, as a parameter's data is
    saved = W.data
    try:
        W.data = 0.25
        with pytest.raises(GuardError, match="recorded 0.75 > 0.5 was True, now 0.25 > 0.5 is False"):
            tape(1.0)
    finally:
        W.data = saved


def test_a_guard_reads_a_value_the_loss_does_not_depend_on(backend: str) -> None:
    v = Value(2.0, label="v")  # a leaf only the decision reads: its data is read on every replay

    def fn(x: Value) -> Value:
        side = (x * v).tanh()  # computed only for the decision
        return x * W if side > 0.5 else x * x

    tape = record(fn, 1.0, backend=backend)
    assert len(tape) == 1 and v in tape.parameters
    v.grad = W.grad = 0.0
    assert tape(2.0) == 1.5 and W.grad == 2.0 and v.grad == 0.0
    with pytest.raises(GuardError):
        tape(-1.0)
    v.data = -2.0
    try:
        with pytest.raises(GuardError):
            tape(1.0)
    finally:
        v.data = 2.0


def test_the_c_guards_are_one_function_with_a_stride() -> None:
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    require_program(shlex.split(cc)[0])
    tape = record(lambda x: x * W if x > 0.5 else x, 1.0, backend="c")
    assert isinstance(tape, CTape)
    assert "static long vg_guards(const double *v, long stride)" in tape.c_source
    assert "* stride] > (0x1.0000000000000p-1)" in tape.c_source


def test_the_trainer_refuses_a_batch_whose_guard_fails_and_keeps_its_state() -> None:
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    require_program(shlex.split(cc)[0])
    w = Value(1.0)
    tape = record(lambda x: (w * x - 1.0) ** 2 if x > 0 else w * 0.0 - x, 1.0, backend="c")
    assert isinstance(tape, CTape)
    trainer = Trainer([w], SGDRule(lr=0.1))
    trainer.step(tape, [(1.0,), (2.0,)], scale=0.5)
    trainer.sync()
    after_one = w.data
    with pytest.raises(GuardError) as info:
        trainer.step(tape, [(1.0,), (-2.0,)], scale=0.5)
    assert info.value.sample == 1
    trainer.sync()
    assert w.data == after_one  # no update from the refused batch


def test_decisions_are_noted_only_while_recording() -> None:
    x = Value(1.0)
    assert (x > 0) and bool(x) and int(x) == 1  # no recording: nothing noted, nothing raised
    with recording_decisions() as found:
        _ = x > 0.0, bool(x), int(x), float(x), round(x), [0, 1][x], f"{x:.1f}", max(x, Value(0.0))
    kinds = [d.what for d in found]
    assert kinds[:2] == ["x > y", "bool(x)"] and "x used as an index" in kinds and "float(x)" in kinds
    assert all(d.where.endswith(f"test_tape_guards.py:{d.where.rsplit(':', 1)[1]}") for d in found)


def test_values_behave_as_numbers_in_decisions() -> None:
    assert not Value(0.0) and Value(-0.5) and Value(math.nan)
    assert int(Value(-2.7)) == -2 and round(Value(2.5)) == 2 and round(Value(0.123), 2) == 0.12
    assert float(Value(1.5)) == 1.5 and [10, 20][Value(1.0)] == 20
    with pytest.raises(TypeError, match="must hold an integer, got 1.5"):
        [10, 20][Value(1.5)]
    assert f"{Value(1.0):.2f}" == "1.00"


def test_an_unguarded_tape_has_no_guard_code(backend: str) -> None:
    tape: Tape = record(lambda x: abs(x) * W, 1.0, backend=backend)
    assert tape.plan.guards == [] and "fail(" not in tape.source
    if isinstance(tape, CTape):
        assert "#define VG_N_GUARDS 0" in tape.c_source


def test_recorded_decisions_run_again_under_anomaly_mode_without_a_guard_error() -> None:
    from autograd import detect_anomaly

    tape = record(CASES[">"][0], 2.0)
    with detect_anomaly():
        assert tape.forward(-1.0) == 1.0  # the normal path: the if runs again
