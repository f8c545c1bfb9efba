"""Activations and the softmax family, as functions of Values.

The activations act on one Value; :func:`softmax` and :func:`log_softmax` turn a list of
scores (*logits*) into a probability distribution, or its log.

Both are built on the log-sum-exp, ``log Σⱼ e^zⱼ``, which :func:`autograd.logsumexp`
records as one node: ``log softmax(z)ᵢ = zᵢ − logsumexp(z)``. Computed naively, ``e^1000``
is ``inf``; the op subtracts the largest logit first (the result does not change when every
logit moves by the same amount), so nothing overflows. That shift lives inside the op's
formula, not in this module: no number is read off ``.data`` here, so a tape made with
:func:`autograd.record` recomputes it for every new input.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any, Union

from autograd import Value, logsumexp

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


def as_values(logits: Any, where: str) -> list[Value]:
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


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """softmax(z)ᵢ = e^zᵢ / Σⱼ e^zⱼ: non-negative, summing to 1.

    Computed as e^(zᵢ − logsumexp(z)), the same number, which never overflows (the
    log-sum-exp subtracts the largest logit inside its op). The gradient is
    ∂sᵢ/∂zⱼ = sᵢ(δᵢⱼ − sⱼ). Plain numbers among the logits are constants.

    >>> [round(p.data, 4) for p in softmax([Value(1.0), Value(2.0), Value(3.0)])]
    [0.09, 0.2447, 0.6652]
    >>> [p.data for p in softmax([Value(1000.0), Value(-1000.0)])]
    [1.0, 0.0]
    """
    zs = as_values(logits, "softmax")
    lse = logsumexp(zs)
    return [(z - lse).exp() for z in zs]


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """log softmax(z)ᵢ = zᵢ − log Σⱼ e^zⱼ = zᵢ − logsumexp(z).

    Taking the log of :func:`softmax` instead would give ``log(0) = -inf`` as soon as one
    probability underflows; this form stays finite. ∂/∂zⱼ = δᵢⱼ − softmax(z)ⱼ.

    >>> [round(p.data, 4) for p in log_softmax([Value(1.0), Value(2.0), Value(3.0)])]
    [-2.4076, -1.4076, -0.4076]
    >>> [p.data for p in log_softmax([Value(1000.0), Value(-1000.0)])]
    [0.0, -2000.0]
    """
    zs = as_values(logits, "log_softmax")
    lse = logsumexp(zs)
    return [z - lse for z in zs]
