"""Float math with IEEE 754 special values instead of Python exceptions.

Python's :mod:`math` raises where IEEE 754 (and PyTorch float64) give a special value:
``math.log(0)`` raises ``ValueError`` where the answer is ``-inf``, ``math.exp(1000)`` raises
``OverflowError`` where it is ``inf``, ``1 / 0`` raises ``ZeroDivisionError`` where it is
``inf``. The functions here give the IEEE answer instead, so that a formula of the op table
(:mod:`autograd.ops`) never raises on a number: ``1/0 = inf``, ``0/0 = nan``,
``log(0) = -inf``, ``exp(1000) = inf``, ``sin(inf) = nan``.

Each takes and returns plain floats. They are the float implementations that the op table
puts behind the names of its float namespace :data:`autograd.ops.F`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

INF = math.inf
NAN = math.nan


def div(a: float, b: float) -> float:
    """a / b, with x/±0 = ±inf and 0/0 = nan as in IEEE 754."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def exp(x: float) -> float:
    """e**x, which is inf past about 709.78."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural log: log(0) = -inf, log(x < 0) = nan."""
    if x > 0:
        return math.log(x)
    if x == 0:
        return -INF
    return NAN


def log1p(x: float) -> float:
    """ln(1 + x), exact for tiny x: log1p(-1) = -inf, log1p(x < -1) = nan."""
    if x > -1:
        return math.log1p(x)
    if x == -1:
        return -INF
    return NAN


def relu(x: float) -> float:
    """max(0, x), which passes nan through as PyTorch does."""
    return x if x > 0 or x != x else 0.0


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), computed so that no exp() can overflow."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # also reached by nan, which stays nan
    return e / (1.0 + e)


def pow(a: float, b: float) -> float:
    """a**b as C's pow (and PyTorch) define it: 0**0 = 1, (-8)**(1/3) = nan, 0**-1 = inf."""
    try:
        return math.pow(a, b)
    except ValueError:  # 0 to a negative power, or a negative base to a non-integer power
        if a == 0:
            return math.copysign(INF, a) if _is_odd_integer(b) else INF
        return NAN
    except OverflowError:
        return -INF if a < 0 and _is_odd_integer(b) else INF


def _is_odd_integer(x: float) -> bool:
    return math.isfinite(x) and x == int(x) and int(x) % 2 == 1


def total(f: Callable[[float], float]) -> Callable[[float], float]:
    """``f`` made total: where :mod:`math` raises ``ValueError`` (``sin(inf)``), the result is nan.

    For a one-argument function of :mod:`math` that is defined, and finite, wherever it does not
    raise, such as ``math.sin`` or ``math.cos``: their value at ±inf is nan in IEEE 754.

    >>> import math
    >>> total(math.sin)(math.inf)
    nan
    """

    def f_total(x: float) -> float:
        try:
            return f(x)
        except ValueError:
            return NAN

    f_total.__name__ = getattr(f, "__name__", "f")
    f_total.__doc__ = f"{f_total.__name__}(x), nan where math.{f_total.__name__} raises ValueError (at ±inf)."
    return f_total


class Selector(float):
    """A local derivative of 0 that *selects* rather than multiplies: times anything, even ±inf or
    nan, it is 0.

    PyTorch's ReLU passes a gradient through where its input is positive and puts 0 elsewhere:
    it selects, it does not multiply by 0, so an infinite gradient arriving at an inactive ReLU
    (``sqrt(relu(x))`` at x = −1, where d/dy √y is inf at y = 0) gives 0, not inf · 0 = nan.
    This float is that 0: the chain rule's product ``local · grad`` with it is 0 for any grad.

    >>> SELECT_ZERO * math.inf
    0.0
    >>> SELECT_ZERO == 0.0
    True
    """

    __slots__ = ()

    def __mul__(self, other: object) -> float:
        return 0.0

    __rmul__ = __mul__

    def __repr__(self) -> str:
        return "0.0"


#: The selecting zero: see :class:`Selector`.
SELECT_ZERO = Selector(0.0)
