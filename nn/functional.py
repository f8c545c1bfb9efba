"""Activations and the softmax family, as functions of Values.

The activations act on one Value; :func:`softmax` and :func:`log_softmax` turn a list of
scores (*logits*) into a probability distribution, or its log.

Both subtract the largest logit first. The softmax does not change when every logit moves
by the same amount, ``softmax(z) = softmax(z − c)``, and with ``c = max z`` every exponent
is at most 0, so ``exp`` can neither overflow (``exp(1000)`` is ``inf``) nor make every term
underflow to 0 at once. The max is subtracted as a plain number, a constant: the gradient
through it would be zero anyway, because the result does not depend on ``c``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, Union

from autograd import Value, sum_values

__all__ = ["relu", "tanh", "sigmoid", "linear", "softmax", "log_softmax", "ACTIVATIONS", "activation_function"]

Scalar = Union[Value, float, int]


def relu(x: Value) -> Value:
    """max(0, x); d/dx = 1 for x > 0, else 0.

    >>> relu(Value(-2.0)).data, relu(Value(3.0)).data
    (0.0, 3.0)
    """
    return x.relu()


def tanh(x: Value) -> Value:
    """tanh x, squashing into (−1, 1); d/dx tanh x = 1 − tanh² x.

    >>> tanh(Value(0.0)).data
    0.0
    """
    return x.tanh()


def sigmoid(x: Value) -> Value:
    """σ(x) = 1/(1 + e^−x), squashing into (0, 1); d/dx σ = σ(1 − σ).

    >>> sigmoid(Value(0.0)).data
    0.5
    """
    return x.sigmoid()


def linear(x: Value) -> Value:
    """The identity, f(x) = x: no activation at all (used on a network's last layer).

    >>> v = Value(1.5)
    >>> linear(v) is v
    True
    """
    return x


#: The activations a layer may use, by name. ``linear`` maps to ``None``: no op at all.
ACTIVATIONS: dict[str, Callable[[Value], Value] | None] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


def activation_function(name: Any) -> Callable[[Value], Value] | None:
    """The activation called ``name`` as an unbound Value method, or ``None`` for ``"linear"``.

    Raises ValueError (TypeError for a non-string) that lists the choices.

    >>> activation_function("tanh") is Value.tanh
    True
    """
    choices = ", ".join(repr(k) for k in ACTIVATIONS)
    if not isinstance(name, str):
        raise TypeError(f"activation expects one of {choices}, got {type(name).__name__}")
    if name not in ACTIVATIONS:
        raise ValueError(f"activation expects one of {choices}, got {name!r}")
    return ACTIVATIONS[name]


def _as_values(logits: Any, where: str) -> list[Value]:
    """``logits`` as a non-empty list of Values; plain numbers become constants."""
    if isinstance(logits, (Value, numbers.Number, str, bytes)):
        raise TypeError(f"{where}: logits expects a sequence of Values or numbers, got {type(logits).__name__}")
    try:
        items = list(logits)
    except TypeError:
        raise TypeError(
            f"{where}: logits expects a sequence of Values or numbers, got {type(logits).__name__}"
        ) from None
    if not items:
        raise ValueError(f"{where}: logits must not be empty")
    out: list[Value] = []
    for i, z in enumerate(items):
        if z.__class__ is Value:
            out.append(z)
        elif isinstance(z, numbers.Real) and not isinstance(z, bool):
            out.append(Value(float(z), requires_grad=False))
        else:
            raise TypeError(f"{where}: logits[{i}] expects a Value or a real number, got {type(z).__name__}")
    return out


def _shifted_exps(zs: list[Value]) -> tuple[float, list[Value]]:
    """The largest logit m, and e^(zᵢ − m) for every logit (each ≤ 1, the largest = 1)."""
    m = max(z.data for z in zs)
    if m != m or m in (float("inf"), float("-inf")):
        m = 0.0  # nothing to gain from shifting by nan or ±inf; let the special values propagate
    return m, [(z - m).exp() for z in zs]


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """softmax(z)ᵢ = e^zᵢ / Σⱼ e^zⱼ: non-negative, summing to 1.

    Computed as e^(zᵢ − m) / Σⱼ e^(zⱼ − m) with m = max z, which is the same number but never
    overflows. The gradient is ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ).

    >>> [round(p.data, 4) for p in softmax([Value(1.0), Value(2.0), Value(3.0)])]
    [0.09, 0.2447, 0.6652]
    >>> [p.data for p in softmax([Value(1000.0), Value(-1000.0)])]
    [1.0, 0.0]
    """
    zs = _as_values(logits, "softmax")
    _, exps = _shifted_exps(zs)
    total = sum_values(exps)
    return [e / total for e in exps]


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """log softmax(z)ᵢ = zᵢ − log Σⱼ e^zⱼ = (zᵢ − m) − log Σⱼ e^(zⱼ − m), with m = max z.

    Taking the log of :func:`softmax` instead would give ``log(0) = -inf`` as soon as one
    probability underflows; this form stays finite. ∂/∂zⱼ = δᵢⱼ − softmax(z)ⱼ.

    >>> [round(p.data, 4) for p in log_softmax([Value(1.0), Value(2.0), Value(3.0)])]
    [-2.4076, -1.4076, -0.4076]
    >>> [p.data for p in log_softmax([Value(1000.0), Value(-1000.0)])]
    [0.0, -2000.0]
    """
    zs = _as_values(logits, "log_softmax")
    m, exps = _shifted_exps(zs)
    log_total = sum_values(exps).log()
    return [(z - m) - log_total for z in zs]
