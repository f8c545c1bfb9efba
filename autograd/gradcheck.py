"""Check gradients against finite differences: ``gradcheck`` and ``gradgradcheck``.

Shipped in the library (as in HIPS autograd and PyTorch) so that you can test your own
functions and your own ops with them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .coerce import as_float as _as_float
from .engine import Value
from .functional import grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


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
