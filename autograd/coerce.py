"""Python numbers as floats, with errors that say what was given and what was wanted."""

from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["as_float", "operand_error"]


def as_float(x: Any, what: str) -> float:
    """``x`` as a float, or a TypeError that says what ``x`` was.

    ``bool`` and ``int`` (an int too large for a float becomes ±inf, as IEEE 754 rounds it),
    and any other :class:`numbers.Real`, are accepted; nothing else is (a Value is not a number
    here: pass its ``.data``).
    """
    t = type(x)
    if t is float:
        return x
    if t is int or t is bool or isinstance(x, numbers.Real):
        try:
            return float(x)
        except OverflowError:  # an int too large for a float rounds to infinity
            return math.inf if x > 0 else -math.inf
    raise TypeError(f"{what} expects a real number, got {t.__name__}")


def operand_error(symbol: str, a: Any, b: Any) -> TypeError:
    """The error for ``a <symbol> b`` with an operand that is neither a Value nor a real number."""
    return TypeError(
        f"unsupported operand for {symbol}: {type(a).__name__} and {type(b).__name__} "
        "(expected a Value or a real number)"
    )
