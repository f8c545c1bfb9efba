"""The checks of ``Neuron``, ``Layer`` and ``MLP``'s arguments, and the weights an ``init`` draws.

Sizes, ``init``, ``rng`` and micrograd's ``nonlin`` flag are checked once, when a module is
made; :func:`prepare_input` checks each call's input (a sequence of ``nin`` numbers or Values)
on the hot path, so its common case (a tuple of floats and Values) costs one set of types.
Each error names the argument, what it got and what it wanted.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from typing import Any, Union

from autograd import Value

__all__ = [
    "INITS", "Input", "Rng", "check_init", "check_rng", "check_size", "check_sizes", "draw_weights",
    "micrograd_nonlin", "prepare_input",
]  # fmt: skip

#: The weight initialisations, by name.
INITS = ("uniform", "xavier", "he")

Input = Union[Value, float, int]
Rng = Union[random.Random, Any]  # a random.Random, or the random module itself

_PLAIN = {float, int, Value}


def check_size(value: Any, name: str) -> int:
    """``value`` as a positive layer size: an int (not a bool), at least 1."""
    if type(value) is bool or not isinstance(value, int):
        raise TypeError(f"{name} expects a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} expects a positive int, got {value}")
    return int(value)


def check_sizes(nin: Any, nouts: Any) -> tuple[int, list[int]]:
    """An MLP's ``nin`` and ``nouts`` checked: a positive int, and a non-empty list of them."""
    nin = check_size(nin, "nin")
    if isinstance(nouts, (str, bytes)) or not isinstance(nouts, Sequence):
        raise TypeError(f"nouts expects a list of layer sizes such as [16, 16, 1], got {type(nouts).__name__}")
    if len(nouts) == 0:
        raise ValueError("nouts expects a list of layer sizes such as [16, 16, 1], got an empty list")
    return nin, [check_size(n, f"nouts[{i}]") for i, n in enumerate(nouts)]


def check_init(init: Any) -> str:
    choices = ", ".join(repr(k) for k in INITS)
    if not isinstance(init, str):
        raise TypeError(f"init expects one of {choices}, got {type(init).__name__}")
    if init not in INITS:
        raise ValueError(f"init expects one of {choices}, got {init!r}")
    return init


def check_rng(rng: Any) -> Rng:
    if rng is None or rng is random:
        return random
    if not isinstance(rng, random.Random):
        raise TypeError(f"rng expects a random.Random (or None), got {type(rng).__name__}")
    return rng


def draw_weights(nin: int, fan_out: int, init: str, rng: Rng) -> list[Value]:
    if init == "uniform":
        return [Value(rng.uniform(-1.0, 1.0)) for _ in range(nin)]
    if init == "xavier":
        a = math.sqrt(6.0 / (nin + fan_out))
        return [Value(rng.uniform(-a, a)) for _ in range(nin)]
    std = math.sqrt(2.0 / nin)  # "he"
    return [Value(rng.gauss(0.0, std)) for _ in range(nin)]


def prepare_input(x: Any, nin: int, who: str) -> tuple[Input, ...]:
    """Check ``x`` once per call: a sequence of ``nin`` numbers or Values, as a tuple."""
    if isinstance(x, (Value, numbers.Real)):
        if nin == 1:
            return (x if isinstance(x, Value) else float(x),)
        raise ValueError(f"{who} expects an input of size {nin}, got a single number (size 1)")
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{who} expects a sequence of {nin} numbers or Values, got {type(x).__name__}")
    if x.__class__ is not tuple:
        try:
            x = tuple(x)
        except TypeError:
            raise TypeError(f"{who} expects a sequence of {nin} numbers or Values, got {type(x).__name__}") from None
    if len(x) != nin:
        raise ValueError(f"{who} expects an input of size {nin}, got size {len(x)}")
    if not set(map(type, x)) <= _PLAIN:  # rare: numpy numbers, bools, or garbage
        items: list[Input] = []
        for i, xi in enumerate(x):
            if isinstance(xi, Value):
                items.append(xi)
            elif isinstance(xi, numbers.Real):
                items.append(float(xi))
            else:
                raise TypeError(f"{who} expects numbers or Values, got {type(xi).__name__} at input[{i}]")
        x = tuple(items)
    return x


def micrograd_nonlin(nonlin: bool | None, activation: str) -> str:
    """The activation that micrograd's ``nonlin=True/False`` asks for (ReLU, or linear)."""
    if nonlin is None:
        return activation
    if not isinstance(nonlin, bool):
        raise TypeError(f"nonlin expects a bool (micrograd's flag: True for ReLU), got {type(nonlin).__name__}")
    wanted = "relu" if nonlin else "linear"
    if activation not in ("relu", wanted):  # "relu" is the default: nonlin then decides
        raise ValueError(f"nonlin={nonlin} asks for {wanted!r}, but activation={activation!r} was given too")
    return wanted
