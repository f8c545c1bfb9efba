"""The op table: every primitive's forward value and local partial derivatives, defined once.

Each primitive is an :class:`Op` whose function ``fn(M, *operands)`` returns
``(out, partials)``: the op's value, and one local partial derivative ``∂out/∂operandᵢ``
per operand. ``M`` is a small math namespace, so the same formula serves twice:

* with :data:`F` (plain floats) it runs on every forward pass, and the engine stores the
  float partials on the node for ``backward()``;
* with the engine's Value namespace it builds the partials as Values, which is how
  ``grad(..., create_graph=True)`` gives derivatives that can be differentiated again.

:data:`F` follows IEEE 754 and PyTorch float64: ``1/0 = inf``, ``0/0 = nan``,
``log(0) = -inf``, ``exp(1000) = inf``. No ``ZeroDivisionError``, ``OverflowError`` or
``ValueError`` from :mod:`math` escapes it.

The chain rule is not here: it is written once, in ``Value.backward``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

INF = math.inf
NAN = math.nan


class F:
    """Float math with IEEE 754 special values instead of Python exceptions.

    Every function takes and returns plain floats. ``val`` is the identity here; the Value
    namespace overrides it to read ``.data``, so formulas can branch on numbers in both.
    """

    @staticmethod
    def val(x: float) -> float:
        return x

    @staticmethod
    def div(a: float, b: float) -> float:
        """a / b, with x/±0 = ±inf and 0/0 = nan as in IEEE 754."""
        try:
            return a / b
        except ZeroDivisionError:
            if a == 0 or a != a:
                return NAN
            return math.copysign(INF, a) * math.copysign(1.0, b)

    @staticmethod
    def exp(x: float) -> float:
        """e**x, which is inf past about 709.78."""
        try:
            return math.exp(x)
        except OverflowError:
            return INF

    @staticmethod
    def log(x: float) -> float:
        """Natural log: log(0) = -inf, log(x < 0) = nan."""
        if x > 0:
            return math.log(x)
        if x == 0:
            return -INF
        return NAN

    @staticmethod
    def tanh(x: float) -> float:
        return math.tanh(x)

    @staticmethod
    def abs(x: float) -> float:
        return abs(x)

    @staticmethod
    def relu(x: float) -> float:
        """max(0, x), which passes nan through as PyTorch does."""
        return x if x > 0 or x != x else 0.0

    @staticmethod
    def sigmoid(x: float) -> float:
        """1 / (1 + e^-x), computed so that no exp() can overflow."""
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)  # also reached by nan, which stays nan
        return e / (1.0 + e)

    @staticmethod
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


Formula = Callable[..., tuple[Any, tuple[Any, ...]]]


class Op:
    """One primitive: a name, a symbol to draw, and ``fn(M, *operands) -> (out, partials)``.

    ``arity`` is the number of operands, or ``None`` for n-ary ops. ``domain`` gives, for the
    tests, a few operand tuples where the op is smooth (away from kinks and poles), so that
    each op is checked against finite differences without anyone writing a new test.

    The engine keeps the operands that need a gradient first in a node, constants after.
    When an op's operands come in another order (``2 - x``), it records a *permuted* variant
    of the op: ``order[i]`` is the natural position of the i-th stored operand.

    A user-defined op is an ``Op`` recorded with :func:`autograd.apply`.
    """

    __slots__ = ("name", "symbol", "fn", "arity", "domain", "doc", "order", "_variants")

    def __init__(
        self,
        name: str,
        symbol: str,
        fn: Formula,
        arity: int | None,
        domain: tuple[tuple[float, ...], ...] = (),
        doc: str = "",
        order: tuple[int, ...] | None = None,
    ) -> None:
        self.name = name
        self.symbol = symbol
        self.fn = fn
        self.arity = arity
        self.domain = domain
        self.doc = doc
        self.order = order
        self._variants: dict[tuple[int, ...], Op] = {}

    def __repr__(self) -> str:
        return f"<op {self.name}{' permuted ' + str(self.order) if self.order else ''}>"

    def permuted(self, order: tuple[int, ...]) -> Op:
        """This op with its operands stored in another order (cached per order).

        ``order[i]`` is the natural position of stored operand i; the variant's formula
        puts the operands back in place, calls this op's, and reorders the partials.
        """
        variant = self._variants.get(order)
        if variant is None:
            base = self.fn

            def fn(M: Any, *stored: Any) -> tuple[Any, tuple[Any, ...]]:
                natural = [0.0] * len(stored)
                for i, position in enumerate(order):
                    natural[position] = stored[i]
                out, partials = base(M, *natural)
                return out, tuple(partials[position] for position in order)

            variant = self._variants[order] = Op(self.name, self.symbol, fn, self.arity, (), self.doc, order)
        return variant


# --- the formulas -------------------------------------------------------------------------
# Each returns (value, partials). They use only + - * on operands and the functions of M,
# so they run on floats and on Values alike.


def _add(M: Any, a: Any, b: Any) -> tuple[Any, tuple[Any, ...]]:
    return a + b, (1.0, 1.0)


def _sub(M: Any, a: Any, b: Any) -> tuple[Any, tuple[Any, ...]]:
    return a - b, (1.0, -1.0)


def _mul(M: Any, a: Any, b: Any) -> tuple[Any, tuple[Any, ...]]:
    return a * b, (b, a)


def _div(M: Any, a: Any, b: Any) -> tuple[Any, tuple[Any, ...]]:
    out = M.div(a, b)
    # ∂/∂b (a/b) = -a/b², written as -(a/b)/b as PyTorch does, so 0/0 gives nan, not inf
    return out, (M.div(1.0, b), M.div(-out, b))


def _pow(M: Any, a: Any, b: Any) -> tuple[Any, tuple[Any, ...]]:
    out = M.pow(a, b)
    # PyTorch's conventions: ∂/∂a is 0 when b == 0, ∂/∂b is 0 when a == 0 and b >= 0
    da = 0.0 if M.val(b) == 0 else b * M.pow(a, b - 1.0)
    db = 0.0 if M.val(a) == 0 and M.val(b) >= 0 else out * M.log(a)
    return out, (da, db)


def _neg(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    return -a, (-1.0,)


def _abs(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    x = M.val(a)
    sign = 1.0 if x > 0 else -1.0 if x < 0 else 0.0  # 0 at 0, and at nan, as PyTorch
    return M.abs(a), (sign,)


def _exp(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    out = M.exp(a)
    return out, (out,)


def _log(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    return M.log(a), (M.div(1.0, a),)


def _tanh(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    t = M.tanh(a)
    return t, (1.0 - t * t,)


def _sigmoid(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    s = M.sigmoid(a)
    return s, (s * (1.0 - s),)


_ONE = (1.0,)


def _relu(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    if M.val(a) > 0:  # the active side: a passes through, with slope 1
        return a, _ONE
    # PyTorch zeroes the gradient where a <= 0, so at nan (where relu gives nan) it passes through
    out = M.relu(a)
    return out, (0.0 if out <= 0 else 1.0,)


def _softplus(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    # log(1 + e^a) with no exp that can overflow: for a >= 0 it is a + log(1 + e^-a). The choice is
    # made inside the op, so a recorded tape makes it again for every new number.
    if M.val(a) >= 0:
        out = a + M.log(1.0 + M.exp(-a))
    else:
        out = M.log(1.0 + M.exp(a))
    return out, (M.sigmoid(a),)


def _sum(M: Any, *xs: Any) -> tuple[Any, tuple[Any, ...]]:
    out = xs[0] if xs else 0.0
    for x in xs[1:]:
        out = out + x
    return out, ones(len(xs))


def _dot(M: Any, *xs: Any) -> tuple[Any, tuple[Any, ...]]:
    # operands (w1..wn, x1..xn[, b]): every wᵢ and xᵢ needs a gradient
    n = len(xs) // 2
    ws, vs = xs[:n], xs[n : 2 * n]
    out = xs[2 * n] if len(xs) % 2 else 0.0
    for w, v in zip(ws, vs):
        out = out + w * v
    return out, (*vs, *ws) + ((1.0,) if len(xs) % 2 else ())


def _affine(M: Any, *xs: Any) -> tuple[Any, tuple[Any, ...]]:
    # operands (w1..wn[, b], c1..cn): Σ wᵢcᵢ + b where the coefficients cᵢ are constants
    n = len(xs) // 2
    has_bias = len(xs) % 2
    ws, cs = xs[:n], xs[n + has_bias :]
    out = xs[n] if has_bias else 0.0
    for w, c in zip(ws, cs):
        out = out + w * c
    # the cᵢ are constants in the graph, but the table still gives their partials, ∂/∂cᵢ = wᵢ
    return out, (*cs, 1.0, *ws) if has_bias else (*cs, *ws)


def _logsumexp(M: Any, *xs: Any) -> tuple[Any, tuple[Any, ...]]:
    # log Σ e^xᵢ = m + log Σ e^(xᵢ − m) for any number m. With m the largest operand every
    # exponent is at most 0, so no exp overflows and the largest term is exactly 1. m is read
    # off the numbers inside the formula, so a replayed tape picks it again for its own numbers.
    m = M.val(max(xs))  # Values compare by their data, so max() serves both namespaces
    if m - m != 0.0:  # ±inf or nan: shifting gains nothing (inf − inf is nan), so do not, as PyTorch
        m = 0.0
    exp = M.exp
    exps = [exp(x - m) for x in xs]
    out = M.log(sum(exps[1:], exps[0])) + m
    # ∂out/∂xᵢ = e^xᵢ / Σⱼ e^xⱼ = e^(xᵢ − out): the softmax, from the result as PyTorch computes it
    return out, tuple([exp(x - out) for x in xs])


_ONES: dict[int, tuple[float, ...]] = {}


def ones(n: int) -> tuple[float, ...]:
    """A shared tuple of n ones: the partials of a sum, allocated once per length."""
    t = _ONES.get(n)
    if t is None:
        t = _ONES[n] = (1.0,) * n
    return t


# --- the table ----------------------------------------------------------------------------

_SMOOTH_PAIRS = ((0.7, -1.3), (2.5, 0.4), (-1.1, 3.2))
_POSITIVE = ((0.3,), (1.7,), (4.2,))
_ANY = ((-2.1,), (-0.4,), (0.6,), (3.3,))

ADD = Op("add", "+", _add, 2, _SMOOTH_PAIRS, "a + b; ∂/∂a = 1, ∂/∂b = 1")
SUB = Op("sub", "-", _sub, 2, _SMOOTH_PAIRS, "a - b; ∂/∂a = 1, ∂/∂b = -1")
MUL = Op("mul", "*", _mul, 2, _SMOOTH_PAIRS, "a · b; ∂/∂a = b, ∂/∂b = a")
DIV = Op("div", "/", _div, 2, _SMOOTH_PAIRS, "a / b; ∂/∂a = 1/b, ∂/∂b = -a/b²")
POW = Op(
    "pow", "**", _pow, 2, ((0.7, 1.3), (2.5, -0.4), (1.5, 3.0)),
    "a^b; ∂/∂a = b·a^(b-1), ∂/∂b = a^b · ln a",
)
NEG = Op("neg", "-", _neg, 1, _ANY, "-a; ∂/∂a = -1")
ABS = Op("abs", "abs", _abs, 1, ((-2.1,), (-0.4,), (0.6,)), "|a|; ∂/∂a = sign(a), 0 at 0")
EXP = Op("exp", "exp", _exp, 1, _ANY, "e^a; ∂/∂a = e^a")
LOG = Op("log", "log", _log, 1, _POSITIVE, "ln a; ∂/∂a = 1/a")
TANH = Op("tanh", "tanh", _tanh, 1, _ANY, "tanh a; ∂/∂a = 1 - tanh² a")
SIGMOID = Op("sigmoid", "σ", _sigmoid, 1, _ANY, "σ(a) = 1/(1+e^-a); ∂/∂a = σ(a)(1 - σ(a))")
RELU = Op("relu", "relu", _relu, 1, ((-2.1,), (-0.4,), (0.6,), (3.3,)), "max(0, a); ∂/∂a = 1 if a > 0 else 0")
SOFTPLUS = Op("softplus", "softplus", _softplus, 1, _ANY, "log(1 + e^a); ∂/∂a = σ(a)")
SUM = Op("sum", "Σ", _sum, None, ((0.5, -1.0, 2.0), (3.0,)), "a₁ + … + aₙ; every ∂/∂aᵢ = 1")
DOT = Op(
    "dot", "w·x+b", _dot, None, ((0.5, -1.0, 2.0, 0.3, 0.1), (1.5, -0.2, 0.9, 2.0)),
    "Σ wᵢxᵢ (+ b); ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1",
)
AFFINE = Op(
    "affine", "w·x+b", _affine, None, ((0.5, -1.0, 2.0, 0.3, 0.1), (1.5, -0.2, 0.9, 2.0)),
    "Σ wᵢcᵢ (+ b) with constant cᵢ; ∂/∂wᵢ = cᵢ, ∂/∂b = 1",
)
LOGSUMEXP = Op(
    "logsumexp", "logsumexp", _logsumexp, None,
    ((0.5, -1.0, 2.0), (3.0,), (-0.3, -0.3), (1.2, 4.0, -2.5, 0.0)),
    "log Σ e^aᵢ = m + log Σ e^(aᵢ − m), m = max aᵢ; ∂/∂aᵢ = e^(aᵢ − out) = softmax(a)ᵢ",
)

#: Every primitive by name. Tests are parametrised over this table.
OPS: dict[str, Op] = {
    op.name: op
    for op in (ADD, SUB, MUL, DIV, POW, NEG, ABS, EXP, LOG, TANH, SIGMOID, RELU, SOFTPLUS, SUM, DOT, AFFINE, LOGSUMEXP)
}

#: The variants recorded for ``number ∘ Value``, e.g. ``2 - x`` or ``2 ** x``.
SWAPPED: dict[Op, Op] = {op: op.permuted((1, 0)) for op in (ADD, SUB, MUL, DIV, POW)}

#: The ops of leaves: parameters and inputs that need a gradient, and constants that do not.
LEAF = Op("", "", _sum, 0)
CONST = Op("", "", _sum, 0)
