"""THE op table: everything valuegrad knows about each primitive op, in one entry per op.

An entry (an :class:`Op`) holds the op's formula, ``fn(M, *operands) -> (out, partials)``:
its value and one local partial derivative ``∂out/∂operandᵢ`` per operand, written with the
functions of a math namespace ``M``. The same formula serves twice:

* with :data:`F` (plain floats) it runs on every forward pass, and the engine stores the
  float partials on the node for ``backward()``;
* with the Value namespace (``autograd.engine.V``) it builds the partials as Values, which is
  how ``grad(..., create_graph=True)`` gives derivatives that can be differentiated again.

Both namespaces are built from this table: ``M.exp`` is the ``exp`` op, on floats or on
Values. Everything else that needs to know about an op reads it here too: the ``V``
namespace, the ``draw`` command's functions (:mod:`autograd.expr`), the captions of the
backprop player (:mod:`autograd.viz`), the code of a recorded tape (:mod:`autograd.tape`),
micrograd's ``_op`` strings, and the tests, which are parametrised over :data:`OPS`
(finite differences, special values, PyTorch float64, replay). Adding an op is one entry
here, plus one line in :class:`~autograd.engine.Value` if it should be a method.

The chain rule is not here: it is written once, readably, in :func:`autograd.graph.chain_rule`
(and once more, tuned, in ``Value.backward``).
"""

from __future__ import annotations

import copyreg
import math
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

from . import ieee
from .primitive import Formula, Linear, Op, ones, total, weighted_total

__all__ = ["Op", "OPS", "SWAPPED", "LEAF", "CONST", "TAKE", "CHOOSE", "F", "ones", "total", "weighted_total"]

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
    # PyTorch puts a 0 gradient where a <= 0 (a selection: even an inf gradient gives 0, hence the
    # selecting zero), and at nan (where relu gives nan) it passes the gradient through
    out = M.relu(a)
    return out, (ieee.SELECT_ZERO if out <= 0 else 1.0,)


def _softplus(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    # log(1 + e^a) with no exp that can overflow: for a >= 0 it is a + log(1 + e^-a). The choice is
    # made inside the op, so a recorded tape makes it again for every new number. log1p keeps the
    # tiny values far below 0 (e^-40 ≈ 4.2e-18, where log(1 + e^-40) would round to 0).
    if M.val(a) >= 0:
        out = a + M.log1p(M.exp(-a))
    else:
        out = M.log1p(M.exp(a))
    return out, (M.sigmoid(a),)


def _log1p(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    return M.log1p(a), (M.div(1.0, 1.0 + a),)


def _sin(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    return M.sin(a), (M.cos(a),)


def _cos(M: Any, a: Any) -> tuple[Any, tuple[Any, ...]]:
    return M.cos(a), (-M.sin(a),)


def _sum_parts(xs: Sequence[Any]) -> Linear:
    return None, xs, None, ones(len(xs))


def _dot_parts(xs: Sequence[Any]) -> Linear:
    # operands (w1..wn, x1..xn[, b]): every wᵢ and xᵢ needs a gradient; ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ
    n = len(xs) // 2
    ws, vs = xs[:n], xs[n : 2 * n]
    if len(xs) % 2:
        return ws, vs, xs[2 * n], (*vs, *ws, 1.0)
    return ws, vs, None, (*vs, *ws)


def _affine_parts(xs: Sequence[Any]) -> Linear:
    # operands (w1..wn[, b], c1..cn): Σ wᵢcᵢ + b where the coefficients cᵢ are constants; the
    # cᵢ are constants in the graph, but the table still gives their partials, ∂/∂cᵢ = wᵢ
    n = len(xs) // 2
    has_bias = len(xs) % 2
    ws, cs = xs[:n], xs[n + has_bias :]
    if has_bias:
        return ws, cs, xs[n], (*cs, 1.0, *ws)
    return ws, cs, None, (*cs, *ws)


def _linear_formula(parts: Callable[[Sequence[Any]], Linear]) -> Formula:
    def fn(M: Any, *xs: Any) -> tuple[Any, tuple[Any, ...]]:
        ws, inputs, bias, partials = parts(xs)
        start = 0.0 if bias is None else bias
        return (total(inputs, start) if ws is None else weighted_total(ws, inputs, start)), partials

    return fn


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


#: logsumexp in C, step for step as :func:`_logsumexp` (the largest operand, the first one among equals,
#: found by the same comparisons as Python's ``max``; the exps added as ``sum()`` adds them).
_LOGSUMEXP_C = """
double m = X(0);
for (int i = 1; i < N; i++)
    if (X(i) > m) m = X(i);
if (m - m != 0.0) m = 0.0;
vg_sum s;
SUM_START(s, exp(X(0) - m));
for (int i = 1; i < N; i++) SUM_ADD(s, exp(X(i) - m));
OUT = log(SUM_RESULT(s)) + m;
for (int i = 0; i < N; i++) D(i) = exp(X(i) - OUT);
"""

# --- the table ----------------------------------------------------------------------------
# One entry per op: its name, symbol, formula and arity, then one field per line, grouped as
# the math (domain, value, linear, selects), the spelling (infix, method, unbiased_symbol,
# micrograd), the words (doc, expression, partials_text) and the back ends (torch, c).

_SMOOTH_PAIRS = ((0.7, -1.3), (2.5, 0.4), (-1.1, 3.2))
_POSITIVE = ((0.3,), (1.7,), (4.2,))
_ANY = ((-2.1,), (-0.4,), (0.6,), (3.3,))
_LINEAR_POINTS = ((0.5, -1.0, 2.0, 0.3, 0.1), (1.5, -0.2, 0.9, 2.0))


def _joined(separator: str) -> Callable[[Sequence[str], str], str]:
    return lambda names, out: separator.join(names)


ADD = Op(
    "add", "+", _add, 2,
    domain=_SMOOTH_PAIRS,
    infix="+",
    micrograd="+",
    doc="a + b; ∂/∂a = 1, ∂/∂b = 1",
    expression="{a} + {b}",
    partials_text=("1", "1"),
    torch=lambda t, a, b: a + b,
    c="OUT = A + B; D(0) = 1.0; D(1) = 1.0;",
)
SUB = Op(
    "sub", "-", _sub, 2,
    domain=_SMOOTH_PAIRS,
    infix="-",
    micrograd="-",
    doc="a - b; ∂/∂a = 1, ∂/∂b = -1",
    expression="{a} − {b}",
    partials_text=("1", "-1"),
    torch=lambda t, a, b: a - b,
    c="OUT = A - B; D(0) = 1.0; D(1) = -1.0;",
)
MUL = Op(
    "mul", "*", _mul, 2,
    domain=_SMOOTH_PAIRS,
    infix="*",
    micrograd="*",
    doc="a · b; ∂/∂a = b, ∂/∂b = a",
    expression="{a}·{b}",
    partials_text=("{b}", "{a}"),
    torch=lambda t, a, b: a * b,
    c="OUT = A * B; D(0) = B; D(1) = A;",
)
DIV = Op(
    "div", "/", _div, 2,
    domain=_SMOOTH_PAIRS,
    value=ieee.div,
    infix="/",
    micrograd="/",
    doc="a / b; ∂/∂a = 1/b, ∂/∂b = -a/b²",
    expression="{a} / {b}",
    partials_text=("1/{b}", "−{a}/{b}²"),
    torch=lambda t, a, b: a / b,
    c="OUT = A / B; D(0) = 1.0 / B; D(1) = -OUT / B;",
)
POW = Op(
    "pow", "**", _pow, 2,
    domain=((0.7, 1.3), (2.5, -0.4), (1.5, 3.0)),
    value=ieee.pow,
    infix="**",
    micrograd="**{b}",
    doc="a^b; ∂/∂a = b·a^(b-1), ∂/∂b = a^b · ln a",
    expression="{a} ^ {b}",
    partials_text=("{b}·{a}^({b} − 1)", "{a}^{b}·ln {a}"),
    torch=lambda t, a, b: t.pow(a, b),
    c="OUT = pow(A, B); D(0) = B == 0.0 ? 0.0 : B * pow(A, B - 1.0); D(1) = A == 0.0 && B >= 0.0 ? 0.0 : OUT * log(A);",
)
NEG = Op(
    "neg", "-", _neg, 1,
    domain=_ANY,
    infix="-",
    micrograd="neg",
    doc="-a; ∂/∂a = -1",
    expression="−{a}",
    partials_text=("-1",),
    torch=lambda t, a: -a,
    c="OUT = -A; D(0) = -1.0;",
)
ABS = Op(
    "abs", "abs", _abs, 1,
    domain=((-2.1,), (-0.4,), (0.6,)),
    value=abs,
    method="abs",
    doc="|a|; ∂/∂a = sign(a); sign(0) = 0",
    expression="|{a}|",
    partials_text=("sign({a})",),
    torch=lambda t, a: t.abs(a),
    c="OUT = fabs(A); D(0) = A > 0.0 ? 1.0 : A < 0.0 ? -1.0 : 0.0;",
)
EXP = Op(
    "exp", "exp", _exp, 1,
    domain=_ANY,
    value=ieee.exp,
    method="exp",
    doc="e^a; ∂/∂a = e^a",
    partials_text=("exp({a})",),
    torch=lambda t, a: t.exp(a),
    c="OUT = exp(A); D(0) = OUT;",
)
LOG = Op(
    "log", "log", _log, 1,
    domain=_POSITIVE,
    value=ieee.log,
    method="log",
    doc="ln a; ∂/∂a = 1/a",
    partials_text=("1/{a}",),
    torch=lambda t, a: t.log(a),
    c="OUT = log(A); D(0) = 1.0 / A;",
)
TANH = Op(
    "tanh", "tanh", _tanh, 1,
    domain=_ANY,
    value=math.tanh,
    method="tanh",
    doc="tanh a; ∂/∂a = 1 - tanh² a",
    partials_text=("1 − tanh²({a})",),
    torch=lambda t, a: t.tanh(a),
    c="OUT = tanh(A); D(0) = 1.0 - OUT * OUT;",
)
SIGMOID = Op(
    "sigmoid", "σ", _sigmoid, 1,
    domain=_ANY,
    value=ieee.sigmoid,
    method="sigmoid",
    micrograd="sigmoid",
    doc="σ(a) = 1/(1+e^-a); ∂/∂a = σ(a)(1 - σ(a))",
    partials_text=("σ({a})·(1 − σ({a}))",),
    torch=lambda t, a: t.sigmoid(a),
    c="OUT = A >= 0.0 ? 1.0 / (1.0 + exp(-A)) : exp(A) / (1.0 + exp(A)); D(0) = OUT * (1.0 - OUT);",
)
RELU = Op(
    "relu", "relu", _relu, 1,
    domain=((-2.1,), (-0.4,), (0.6,), (3.3,)),
    value=ieee.relu,
    selects=True,
    method="relu",
    micrograd="ReLU",
    doc="max(0, a); ∂/∂a = 1 if a > 0 else 0",
    partials_text=("(1 if {a} > 0 else 0)",),
    torch=lambda t, a: t.relu(a),
    c="OUT = A > 0.0 || A != A ? A : 0.0; D(0) = OUT <= 0.0 ? 0.0 : 1.0;",
)
SOFTPLUS = Op(
    "softplus", "softplus", _softplus, 1,
    domain=_ANY,
    method="softplus",
    doc="log(1 + e^a); ∂/∂a = σ(a)",
    partials_text=("σ({a})",),
    torch=lambda t, a: t.nn.functional.softplus(a),
    c="OUT = A >= 0.0 ? A + log1p(exp(-A)) : log1p(exp(A)); "
          "D(0) = A >= 0.0 ? 1.0 / (1.0 + exp(-A)) : exp(A) / (1.0 + exp(A));",
)
LOG1P = Op(
    "log1p", "log1p", _log1p, 1,
    domain=((0.3,), (-0.5,), (2.2,)),
    value=ieee.log1p,
    method="log1p",
    doc="ln(1 + a); ∂/∂a = 1/(1 + a)",
    partials_text=("1/(1 + {a})",),
    torch=lambda t, a: t.log1p(a),
    c="OUT = log1p(A); D(0) = 1.0 / (1.0 + A);",
)
SIN = Op(
    "sin", "sin", _sin, 1,
    domain=_ANY,
    value=ieee.total(math.sin),
    method="sin",
    doc="sin a; ∂/∂a = cos a",
    partials_text=("cos({a})",),
    torch=lambda t, a: t.sin(a),
    c="OUT = sin(A); D(0) = cos(A);",
)
COS = Op(
    "cos", "cos", _cos, 1,
    domain=_ANY,
    value=ieee.total(math.cos),
    method="cos",
    doc="cos a; ∂/∂a = −sin a",
    partials_text=("−sin({a})",),
    torch=lambda t, a: t.cos(a),
    c="OUT = cos(A); D(0) = -sin(A);",
)
SUM = Op(
    "sum", "Σ", _linear_formula(_sum_parts), None,
    domain=((0.5, -1.0, 2.0), (3.0,)),
    linear=_sum_parts,
    micrograd="+",
    doc="a₁ + … + aₙ; every ∂/∂aᵢ = 1",
    torch=lambda t, *xs: t.stack(xs).sum(),
)
DOT = Op(
    "dot", "w·x+b", _linear_formula(_dot_parts), None,
    domain=_LINEAR_POINTS,
    linear=_dot_parts,
    unbiased_symbol="w·x",
    micrograd="dot",
    doc="Σ wᵢxᵢ (+ b); ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1",
    torch=lambda t, *xs: _torch_linear(t, _dot_parts(xs)),
)
AFFINE = Op(
    "affine", "w·x+b", _linear_formula(_affine_parts), None,
    domain=_LINEAR_POINTS,
    linear=_affine_parts,
    unbiased_symbol="w·x",
    micrograd="dot",
    doc="Σ wᵢcᵢ (+ b) with constant cᵢ; ∂/∂wᵢ = cᵢ, ∂/∂b = 1",
    torch=lambda t, *xs: _torch_linear(t, _affine_parts(xs)),
)
LOGSUMEXP = Op(
    "logsumexp", "logsumexp", _logsumexp, None,
    domain=((0.5, -1.0, 2.0), (3.0,), (-0.3, -0.3), (1.2, 4.0, -2.5, 0.0)),
    doc="log Σ e^aᵢ = m + log Σ e^(aᵢ − m), m = max aᵢ; ∂/∂aᵢ = e^(aᵢ − out) = softmax(a)ᵢ",
    partials_text=lambda names, out: [f"exp({x} − {out})" for x in names],
    torch=lambda t, *xs: t.logsumexp(t.stack(xs), 0),
    c=_LOGSUMEXP_C,
)


def _take(M: Any, chosen: Any, index: Any, *candidates: Any) -> tuple[Any, tuple[Any, ...]]:
    # The value is the candidate at the index; the engine stores the one chosen first, its parent.
    return chosen, (1.0,)


#: ``take(rows, i)``: the candidate at an integer index, as one node (see :func:`autograd.take`).
#: Not in :data:`OPS`: its index is an integer, not a differentiable operand, so the tests that run
#: over every op (finite differences, PyTorch) do not apply; ``tests/autograd/test_take.py`` has its own.
TAKE = Op(
    "take", "take", _take, None,
    lookup=True,
    micrograd="take",
    doc="rows[i] for an integer i; ∂/∂rows[i] = 1 (the other rows get nothing, the index no gradient)",
)


def _choose(M: Any, *xs: Any) -> tuple[Any, tuple[Any, ...]]:
    # rows[index] among computed rows, the index last; an index that is not one chooses row 0 (a
    # replay's guard on the index refuses it before any number is given)
    n = len(xs) - 1
    x = M.val(xs[n])
    j = int(x) if -n <= x < n else 0
    j = j + n if j < 0 else j
    return xs[j], tuple([1.0 if i == j else 0.0 for i in range(n)]) + (0.0,)


_CHOOSE_C = """
const int rows = N - 1;
const double x = X(rows);
int64_t j = (x >= -(double)rows && x < (double)rows) ? (int64_t)x : 0;
if (j < 0) j += rows;
OUT = X(j);
for (int i = 0; i < N; i++) D(i) = 0.0;
D(j) = 1.0;
"""

#: ``take(rows, i)`` among rows computed by ops (logits, say): an n-ary node whose parents are all
#: the rows, with partial 1 for the one at the index (its last operand, read on every replay) and
#: 0 for the others. Not in :data:`OPS`, as :data:`TAKE`.
CHOOSE = Op(
    "choose", "choose", _choose, None,
    micrograd="take",
    doc="rows[i] for an integer i (the last operand); ∂/∂rows[i] = 1, ∂/∂rows[j] = 0 for j ≠ i",
    c=_CHOOSE_C,
)


def _torch_linear(t: Any, parts: Linear) -> Any:
    ws, xs, bias, _ = parts
    out = (t.stack(ws) * t.stack(xs)).sum()
    return out if bias is None else out + bias


#: Every primitive by name: the table itself. Everything per-op is read from here.
OPS: dict[str, Op] = {
    op.name: op
    for op in (
        ADD, SUB, MUL, DIV, POW, NEG, ABS, EXP, LOG, TANH, SIGMOID, RELU, SOFTPLUS, LOG1P, SIN, COS,
        SUM, DOT, AFFINE, LOGSUMEXP,
    )
}

#: The variants recorded for ``number ∘ Value``, e.g. ``2 - x`` or ``2 ** x``.
SWAPPED: dict[Op, Op] = {op: op.permuted((1, 0)) for op in OPS.values() if op.arity == 2}

#: The ops of leaves: parameters and inputs that need a gradient, and constants that do not.
LEAF = Op("", "", _linear_formula(_sum_parts), 0)
CONST = Op("", "", _linear_formula(_sum_parts), 0)


def _val(x: Any) -> Any:
    return x


def _from_formula(op: Op) -> Callable[..., Any]:
    formula = op.fn
    return lambda *xs: formula(F, *xs)[0]


#: The float namespace: ``F.<name>`` is each op of the table on plain floats (its ``value``
#: function, or its formula's value), following IEEE 754 and PyTorch float64; ``F.val`` reads a
#: number (the identity here; the Value namespace reads ``.data``), so formulas can branch on it.
F: Any = SimpleNamespace(val=_val)
for _op in OPS.values():
    setattr(F, _op.name, _op.value if _op.value is not None else _from_formula(_op))


# --- pickling: an entry of the table is pickled as a reference to it ----------------------------
# so that an unpickled node's op *is* the table's (the engine tells leaves, constants and its
# own ops apart by identity). A user-defined op is pickled as usual.

_SPECIAL = {"<leaf>": LEAF, "<constant>": CONST}


def table_entry(name: str, order: tuple[int, ...] | None = None) -> Op:
    """The table's op ``name`` (``"<leaf>"``, ``"<constant>"`` for the leaves' ops), or its
    variant with operands stored in ``order``."""
    op = _SPECIAL.get(name) or OPS[name]
    return op if order is None else op.permuted(order)


def _reduce(op: Op) -> Any:
    for key, special in _SPECIAL.items():
        if op is special:
            return table_entry, (key,)
    natural = op.natural
    if OPS.get(natural.name) is natural and (op is natural or natural.permuted(op.order or ()) is op):
        return table_entry, (natural.name, op.order)
    return object.__reduce_ex__(op, 4)


copyreg.pickle(Op, _reduce)
