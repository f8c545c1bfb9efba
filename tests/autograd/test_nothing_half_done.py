"""Nothing lost, nothing half-done: interrupts, copies, dropped tapes, and the gradients torch gives.

Each test here failed on the code before its fix.
"""

from __future__ import annotations

import copy
import gc
import math
import pickle
import sys
import weakref
from pathlib import Path

import pytest
from helpers import TORCH_ATOL, TORCH_RTOL, close, require

import autograd
from autograd import Value, apply, no_grad, record
from autograd.ops import Op
from nn import MLP, SGD, mse_loss

AUTOGRAD_DIR = str(Path(autograd.__file__).resolve().parent)


# --- 1. an interrupt anywhere in backward() leaves a graph that backpropagates right ----------


def _small_graph() -> tuple[Value, list[Value]]:
    a, b = Value(0.3, label="a"), Value(-1.2, label="b")
    h = (a * b).tanh()
    out = h * a + (h + b).exp() * 1e-6 + abs(a - b)
    return out, [a, b]


def _reference_grads() -> list[float]:
    out, leaves = _small_graph()
    out.backward()
    return [x.grad for x in leaves]


class _Interrupt:
    """A tracer that raises KeyboardInterrupt at the n-th line the engine executes."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen = 0
        self.fired = False

    def __call__(self, frame, event, arg):  # noqa: ANN001, ANN204
        if not frame.f_code.co_filename.startswith(AUTOGRAD_DIR):
            return None
        if event == "line" and not self.fired:
            self.seen += 1
            if self.seen == self.n:
                self.fired = True
                raise KeyboardInterrupt(f"injected at line event {self.n}")
        return self


def test_an_interrupt_at_any_line_of_backward_leaves_the_graph_right() -> None:
    expected = _reference_grads()
    n = 0
    while True:
        n += 1
        out, leaves = _small_graph()
        tracer = _Interrupt(n)
        sys.settrace(tracer)
        try:
            out.backward()
        except KeyboardInterrupt:
            pass
        finally:
            sys.settrace(None)
        nodes = autograd.graph.topological_order(out)
        assert all(type(node.grad) is float for node in nodes), f"a mark left in .grad after interrupt {n}"
        for x in leaves:
            x.grad = 0.0  # an interrupted backward may have added part of its gradients: zero_grad
        out.backward()
        assert [x.grad for x in leaves] == expected, f"wrong gradients after an interrupt at line event {n}"
        if not tracer.fired:  # backward ran to the end: every line has been tried
            break
    assert n > 20  # the backward of this graph runs dozens of lines: each was interrupted once


# --- 5. copies and pickles are faithful, and training a copy never touches the original ------


def test_copies_keep_what_a_value_is() -> None:
    frozen = Value(1.5, label="w", requires_grad=False)
    leaf = Value(-2.0, label="x")
    for how in (copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))):
        for v in (frozen, leaf):
            c = how(v)
            assert c is not v and c.data == v.data and c.label == v.label
            assert c.is_leaf and c.requires_grad == v.requires_grad


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_training_a_copy_matches_the_original_and_leaves_it_alone(how: str) -> None:
    model = MLP(2, [5, 1], seed=3)
    model.layers[0].neurons[0].w[0].requires_grad = False  # a frozen weight stays frozen
    clone = copy.deepcopy(model) if how == "deepcopy" else pickle.loads(pickle.dumps(model))
    before = [p.data for p in model.parameters()]
    xs, ys = [[0.5, -1.0], [1.5, 0.25]], [0.3, -0.7]

    def loss_of(m: MLP) -> Value:
        return mse_loss([m(x) for x in xs], ys)

    loss_of(model).backward()
    loss_of(clone).backward()
    assert [p.grad for p in clone.parameters()] == [p.grad for p in model.parameters()]
    assert [p.requires_grad for p in clone.parameters()] == [p.requires_grad for p in model.parameters()]
    SGD(clone.parameters(), lr=0.1).step()
    assert [p.data for p in model.parameters()] == before  # the original is untouched
    tape = record(lambda x: clone(x) ** 2, [0.5, -1.0])  # recording a copy works
    assert tape([0.5, -1.0]) == (clone([0.5, -1.0]) ** 2).data


# --- 6. a dropped tape is freed by reference counting, like a graph -------------------------------


def test_a_dropped_tape_is_freed_without_the_cycle_collector() -> None:
    w = Value(0.5)
    gc.collect()
    gc.disable()
    try:
        tape = record(lambda x: (w * x).tanh(), 2.0)
        refs = [weakref.ref(tape), weakref.ref(tape._code)]
        del tape
        assert [r() for r in refs] == [None, None]
    finally:
        gc.enable()


def test_an_op_name_with_a_newline_records_and_replays() -> None:
    double = Op("two\nlines", "2×", lambda M, a: (a * 2.0, (2.0,)), 1)
    w = Value(0.5)
    tape = record(lambda x: apply(double, w * x), 1.0)
    assert tape(3.0) == 3.0 and w.grad == 6.0


# --- 7. through an inactive ReLU, the gradient is 0 as torch's (which selects, not multiplies) ---

RELU_CASES = {
    "sqrt(relu(x))": (lambda x: x.relu() ** 0.5, lambda t, x: t.relu(x) ** 0.5),
    "1/relu(x)": (lambda x: 1.0 / x.relu(), lambda t, x: 1.0 / t.relu(x)),
    "log(relu(x))": (lambda x: x.relu().log(), lambda t, x: t.log(t.relu(x))),
    "relu(x)*inf": (lambda x: x.relu() * math.inf, lambda t, x: t.relu(x) * math.inf),
    "relu(x)**-2": (lambda x: x.relu() ** -2.0, lambda t, x: t.relu(x) ** -2.0),
}


@pytest.mark.parametrize("name", sorted(RELU_CASES))
@pytest.mark.parametrize("x", [-1.0, 0.0, 2.0])
def test_gradients_through_relu_match_torch(name: str, x: float) -> None:
    torch = require("torch")
    ours, theirs = RELU_CASES[name]
    v = Value(x)
    ours(v).backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    theirs(torch, t).backward()
    assert close(v.grad, t.grad.item(), TORCH_RTOL, TORCH_ATOL), (name, x, v.grad, t.grad.item())


def test_relu_selects_in_second_derivatives_and_replays_too() -> None:
    w = Value(1.0)
    tape = record(lambda x: (w * x).relu() ** 0.5, -1.0)
    assert tape(-1.0) == 0.0 and w.grad == 0.0
    (g,) = autograd.grad((w * -1.0).relu() ** 0.5, w, create_graph=True)
    assert g.data == 0.0


# --- 11. smaller ones of the same kind ---------------------------------------------------------


def test_no_grad_on_a_generator_function_records_nothing_inside_it() -> None:
    x = Value(2.0)

    @no_grad()
    def squares(n: int):  # noqa: ANN202
        for _ in range(n):
            yield x * x

    @no_grad
    def cubes(n: int):  # noqa: ANN202
        for _ in range(n):
            yield x * x * x

    values = list(squares(3)) + list(cubes(2))
    assert [v.requires_grad for v in values] == [False] * 5
    assert autograd.is_grad_enabled()
    gen = squares(2)
    next(gen)
    assert autograd.is_grad_enabled()  # between steps, the caller's mode
    assert (x * x).requires_grad


def test_no_grad_on_a_generator_passes_send_and_throw_through() -> None:
    @no_grad()
    def echo():  # noqa: ANN202
        got = yield "ready"
        while True:
            try:
                got = yield (got, autograd.is_grad_enabled())
            except ValueError as e:
                got = f"caught {e}"

    gen = echo()
    assert next(gen) == "ready"
    assert gen.send(5) == (5, False)
    assert gen.throw(ValueError("x")) == ("caught x", False)
    gen.close()


def test_softplus_far_below_zero_is_tiny_not_zero_as_torch() -> None:
    torch = require("torch")
    for x in (-37.0, -40.0, -100.0, -700.0):
        ours = Value(x).softplus().data
        theirs = torch.nn.functional.softplus(torch.tensor(x, dtype=torch.float64)).item()
        assert ours > 0.0 and close(ours, theirs, TORCH_RTOL, 0.0), (x, ours, theirs)
