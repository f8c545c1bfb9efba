"""The checks of the data set functions' arguments: counts, real numbers in a range, seeds; and a
seeded shuffle. Each error names the argument, what it got and what it wanted."""

from __future__ import annotations

import math
import random
from typing import Any

Features = list[list[float]]


def check_count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} expects an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_real(name: str, value: Any, low: float = 0.0, high: float = math.inf, inclusive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} expects a real number, got {type(value).__name__}")
    try:
        x = float(value)
        shown = repr(value)
    except OverflowError:  # an int beyond the largest float (too long to print, perhaps)
        x, shown = math.inf, f"an int of {int(value).bit_length()} bits"
    ok = (low <= x <= high) if inclusive else (low < x < high)
    if not ok or math.isnan(x) or math.isinf(x):
        lo, hi = ("[", "]") if inclusive else ("(", ")")
        raise ValueError(f"{name} must be a finite number in {lo}{low:g}, {high:g}{hi}, got {shown}")
    return x


def check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed expects an int or None, got {type(seed).__name__}")
    return seed


def shuffled(X: Features, y: list[Any], rng: random.Random) -> tuple[Features, list[Any]]:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]
