"""What PyTorch users expect around the engine: ``no_grad``, ``grad``, ``gradcheck``,
``gradgradcheck`` and ``detect_anomaly``; and ``gc_paused`` for building big graphs fast.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Union

from .engine import _MODE, Value, _as_float, _set_mode, symbolic_partials
from .graph import topological_order

__all__ = [
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "detect_anomaly",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
]


@contextmanager
def no_grad() -> Iterator[None]:
    """Inside it, ops record no graph: their results are constants with no parents.

    Use it for evaluation and for optimizer updates. It works as a context manager and, with
    parentheses, as a decorator; its state is a ``contextvars`` variable, so each thread
    and each asyncio task has its own.

    >>> from autograd import Value, no_grad
    >>> x = Value(3.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.requires_grad, y.parents
    (False, ())
    """
    token = _set_mode(grad_enabled=False)
    try:
        yield
    finally:
        _MODE.reset(token)


@contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again, inside a ``no_grad()`` block."""
    token = _set_mode(grad_enabled=True)
    try:
        yield
    finally:
        _MODE.reset(token)


def is_grad_enabled() -> bool:
    """Whether ops record a graph right now (False inside ``no_grad()``)."""
    return _MODE.get().grad_enabled


def is_anomaly_enabled() -> bool:
    """Whether ``detect_anomaly()`` is on right now (in this thread or asyncio task)."""
    return _MODE.get().anomaly


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector inside the block; restore it on the way out.

    Every node is a Python object that the collector tracks, and while a graph grows the
    collector keeps rescanning all of it, to find reference cycles that valuegrad's graphs
    never have (a node refers only to its operands, never back). On a chain of a million ops
    that rescanning is nearly half of the time, and in ``python -m nn train`` about a sixth.
    Reference counting still frees every graph the moment its last reference goes, so
    pausing the collector loses nothing; ``nn.fit`` pauses it during each training step.

    It only ever re-enables a collector that it paused: inside a block where the collector
    is already off (``gc.disable()``, or an outer ``gc_paused()``) it does nothing. The
    collector is one switch for the whole process, so another thread's objects wait too.

    >>> import gc
    >>> from autograd import Value, gc_paused
    >>> with gc_paused():
    ...     y = Value(0.5)
    ...     for _ in range(100_000):
    ...         y = y * 1.0
    ...     y.backward()
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Stop at the first nan, in an op's result or in a gradient, and say where it came from.

    Inside it every op checks its result, and ``backward()`` checks every gradient it
    pushes. The :class:`~autograd.engine.AnomalyError` names the op, its inputs, and the
    file and line of your code that created the node. It is slow: use it to debug.

    >>> from autograd import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     y = Value(0.0) ** 0.5 * 0.0      # d/dx √x is inf at 0, and inf · 0 is nan
    ...     y.backward()                        # doctest: +ELLIPSIS
    Traceback (most recent call last):
    autograd.engine.AnomalyError: the backward of op 'pow' ... nan gradient ...
    """
    token = _set_mode(anomaly=True)
    try:
        yield
    finally:
        _MODE.reset(token)


Inputs = Union[Value, Sequence[Value]]


def grad(output: Value, inputs: Inputs, create_graph: bool = False) -> tuple[Value, ...]:
    """The derivatives d output / d input for each input, as a tuple of Values.

    Unlike :meth:`Value.backward` it leaves every ``.grad`` untouched. An input that
    ``output`` does not depend on gets 0. With ``create_graph=True`` the results are
    themselves graph nodes, so they can be differentiated again: second and higher
    derivatives, Newton's method, gradient penalties.

    >>> from autograd import Value, grad
    >>> x = Value(2.0)
    >>> (dy,) = grad(x**3, x, create_graph=True)     # 3x² = 12
    >>> (d2y,) = grad(dy, x)                          # 6x  = 12
    >>> dy.data, d2y.data
    (12.0, 12.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output expects a Value, got {type(output).__name__}")
    xs = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for i, x in enumerate(xs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] expects a Value, got {type(x).__name__}")
    grads: dict[Value, Any] = {output: Value(1.0, requires_grad=False) if create_graph else 1.0}
    for node in reversed(topological_order(output)):
        g = grads.get(node)
        if g is None or node.is_leaf:
            continue
        partials = symbolic_partials(node) if create_graph else node.local_grads
        for p, d in zip(node.parents, partials):
            contribution = d * g
            previous = grads.get(p)
            grads[p] = contribution if previous is None else previous + contribution
    result = []
    for x in xs:
        g = grads.get(x, 0.0)
        result.append(g if isinstance(g, Value) else Value(g, requires_grad=False))
    return tuple(result)


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when an analytic gradient disagrees with finite differences."""


Function = Callable[..., Value]


def _as_inputs(inputs: Sequence[Any]) -> list[float]:
    if isinstance(inputs, (Value, int, float)):
        raise TypeError("gradcheck: inputs expects a sequence of numbers or Values, got a single one; wrap it in a list")
    out = []
    for i, x in enumerate(inputs):
        out.append(x.data if isinstance(x, Value) else _as_float(x, f"gradcheck: inputs[{i}]"))
    if not out:
        raise ValueError("gradcheck: inputs must not be empty")
    return out


def _evaluate(fn: Function, point: Sequence[float]) -> float:
    result = fn(*[Value(x) for x in point])
    if not isinstance(result, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(result).__name__}")
    return result.data


def _check_close(what: str, analytic: float, numeric: float, atol: float, rtol: float) -> None:
    both_nan = math.isnan(analytic) and math.isnan(numeric)
    if both_nan or abs(analytic - numeric) <= atol + rtol * abs(numeric):
        return
    raise GradcheckError(
        f"{what}: analytic {analytic!r} but finite differences give {numeric!r} "
        f"(|difference| {abs(analytic - numeric):.3g} > atol {atol} + rtol {rtol} · |numeric|)"
    )


def gradcheck(fn: Function, inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check ``fn``'s gradients against central finite differences; return True or raise.

    ``fn`` takes one Value per input and returns a Value. For each input i the analytic
    derivative (from :func:`grad`) is compared with ``(f(x + eps·eᵢ) − f(x − eps·eᵢ)) / 2eps``;
    they must agree within ``atol + rtol·|numeric|``. On a mismatch it raises
    :class:`GradcheckError`, naming the input and both numbers. Use it to test your own
    functions and custom ops.

    >>> from autograd import gradcheck
    >>> gradcheck(lambda x, y: (x * y).tanh(), [0.3, -0.7])
    True
    """
    point = _as_inputs(inputs)
    leaves = [Value(x) for x in point]
    out = fn(*leaves)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: fn must return a Value, got {type(out).__name__}")
    analytic = grad(out, leaves)
    for i in range(len(point)):
        up = point.copy()
        down = point.copy()
        up[i] += eps
        down[i] -= eps
        numeric = (_evaluate(fn, up) - _evaluate(fn, down)) / (2 * eps)
        _check_close(f"gradcheck: input {i} (at {point[i]!r})", analytic[i].data, numeric, atol, rtol)
    return True


def gradgradcheck(
    fn: Function, inputs: Sequence[Any], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Check ``fn``'s second derivatives: ``gradcheck`` applied to each first derivative.

    The first derivatives come from ``grad(..., create_graph=True)``, so this tests that
    every op's derivative can itself be differentiated. Returns True or raises
    :class:`GradcheckError` naming the pair of inputs.
    """
    point = _as_inputs(inputs)
    for i in range(len(point)):

        def first_derivative(*xs: Value, i: int = i) -> Value:
            return grad(fn(*xs), xs[i], create_graph=True)[0]

        try:
            gradcheck(first_derivative, point, eps, atol, rtol)
        except GradcheckError as e:
            raise GradcheckError(f"gradgradcheck: d/dx_j of (d fn / d input {i}): {e}") from None
    return True
