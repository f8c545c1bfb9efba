"""``Value``: one number, the op that made it, and enough to run the chain rule backwards.

A Value records, for every op, its operands and the local partial derivative of the result
with respect to each of them (computed on the forward pass, from the op table in
:mod:`autograd.ops`). ``backward()`` then visits the graph from the result back to the
leaves, and at each node applies the chain rule, once, for every parent ``p``::

    p.grad += (∂node/∂p) · node.grad

How a node stores them (this is what makes a node cost about 120 bytes, not 200):

* an op of one or two operands (``+``, ``*``, ``tanh``, ...) keeps them in the slots ``_a``
  and ``_b``, and their partials in ``_da`` and ``_db``. An operand that is a constant (a
  number, or a Value that needs no gradient) has no partial: its ``_d`` slot is None.
  Parents come first, so a constant is only ever in ``_b``;
* an n-ary op (``sum_values``, ``dot``) keeps the tuple of its operands in ``_a`` and the
  tuple of its parents' partials in ``_da``: the first ``len(_da)`` operands are its
  parents, and constants follow them;
* a leaf has None in all four.

Labels live in a side table, because most nodes never get one.

Nodes hold numbers and references to their operands, never closures, so nothing refers back
to its own node: a graph is freed by reference counting the moment its last reference goes.
"""

from __future__ import annotations

import contextvars
import math
import numbers
import os
import sys
import weakref
from operator import mul
from typing import Any, Iterable, Union

from . import ops as _ops
from .graph import backward_order
from .ops import (
    ABS,
    ADD,
    AFFINE,
    CONST,
    DIV,
    DOT,
    EXP,
    LEAF,
    LOG,
    MUL,
    NEG,
    POW,
    RELU,
    SIGMOID,
    SOFTPLUS,
    SUB,
    SUM,
    SWAPPED,
    TANH,
    F,
    Op,
)

Number = Union[int, float]
Operand = Union["Value", int, float]

__all__ = ["Value", "dot", "matvec", "sum_values", "apply", "AnomalyError"]


# --- grad mode and anomaly mode -------------------------------------------------------------


class _Mode:
    """What ops do right now: record a graph or not, check for nan or not."""

    __slots__ = ("grad_enabled", "anomaly")

    def __init__(self, grad_enabled: bool, anomaly: bool) -> None:
        self.grad_enabled = grad_enabled
        self.anomaly = anomaly


_MODES = {(g, a): _Mode(g, a) for g in (True, False) for a in (True, False)}
_NORMAL = _MODES[(True, False)]
#: The current mode. A ContextVar, so each thread and each asyncio task has its own.
_MODE: contextvars.ContextVar[_Mode] = contextvars.ContextVar("valuegrad_mode", default=_NORMAL)


def _set_mode(grad_enabled: bool | None = None, anomaly: bool | None = None) -> contextvars.Token:
    now = _MODE.get()
    g = now.grad_enabled if grad_enabled is None else grad_enabled
    a = now.anomaly if anomaly is None else anomaly
    return _MODE.set(_MODES[(g, a)])


class AnomalyError(RuntimeError):
    """Raised under ``detect_anomaly()`` when an op's value or gradient becomes nan."""


#: Each labelled Value's label (a side table: most nodes have none, and a slot would cost every node).
_LABELS: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()
#: Where each node made under ``detect_anomaly()`` was created, as "file:line".
_CREATED: weakref.WeakKeyDictionary[Value, str] = weakref.WeakKeyDictionary()
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _user_location() -> str:
    """The file and line of the innermost frame outside this package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_DIR:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


# --- numbers --------------------------------------------------------------------------------


def _as_float(x: Any, what: str) -> float:
    """``x`` as a float, or a TypeError that says what ``x`` was."""
    t = type(x)
    if t is float:
        return x
    if t is int or t is bool or (isinstance(x, numbers.Real) and not isinstance(x, Value)):
        try:
            return float(x)
        except OverflowError:  # an int too large for a float rounds to infinity
            return math.inf if x > 0 else -math.inf
    raise TypeError(f"{what} expects a real number, got {t.__name__}")


def _operand_error(symbol: str, a: Any, b: Any) -> TypeError:
    return TypeError(
        f"unsupported operand for {symbol}: {type(a).__name__} and {type(b).__name__} "
        "(expected a Value or a real number)"
    )


# --- making nodes ---------------------------------------------------------------------------

_new = object.__new__


def _node(data: float, op: Op, a: Any, da: Any, b: Any, db: Any) -> Value:
    """A new node made by ``op``, its operands and partials stored as the module docstring says."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._op = op
    v._a = a
    v._da = da
    v._b = b
    v._db = db
    return v


def _constant(data: float) -> Value:
    return _node(data, CONST, None, None, None, None)


def _stored(op: Op, out: float, args: tuple[Any, ...], partials: tuple[Any, ...], k: int) -> Value:
    """A node of ``op`` whose first ``k`` operands in ``args`` are parents, with ``partials``
    for (at least) them, stored in the slots or the tuples that fit ``op``."""
    if op.arity is None or op.arity > 2:
        return _node(out, op, args, partials if k == len(partials) else partials[:k], None, None)
    return _node(
        out, op, args[0], partials[0], args[1] if len(args) == 2 else None, partials[1] if k == 2 else None
    )


def _record(op: Op, out: float, args: tuple[Any, ...], partials: tuple[Any, ...], k: int) -> Value:
    """Record ``op``'s result. The first ``k`` operands in ``args`` need a gradient."""
    mode = _MODE.get()
    if mode is _NORMAL and k:  # the common case first
        return _stored(op, out, args, partials, k)
    if k == 0 or not mode.grad_enabled:
        result = _constant(out)
    else:
        result = _stored(op, out, args, partials, k)
    if mode.anomaly:
        where = _user_location()
        if out != out and k:
            inputs = ", ".join(repr(_data(a)) for a in args)
            raise AnomalyError(f"op '{op.name}' returned nan from inputs ({inputs}), at {where}")
        _CREATED[result] = where
    return result


def stored_operands(node: Value) -> tuple[Any, ...]:
    """``node``'s operands in the order ``node._op.fn`` takes them: its parents first (one per
    local partial), then its constant operands (floats, or Values that need no gradient).

    This is the one place outside the hot loops that knows how a node stores its operands;
    tools that walk the graph (replay, higher-order gradients) go through it.
    """
    a = node._a
    if a is None or a.__class__ is tuple:
        return a or ()
    b = node._b
    return (a,) if b is None else (a, b)


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _binary(op: Op, a: Value, b: Any) -> Value:
    """``a ∘ b`` where ``a`` is a Value and ``b`` a Value or a number."""
    if b.__class__ is Value:
        b_data = b.data
        b_grad = b._op is not CONST
    else:
        try:
            b_data = _as_float(b, "")
        except TypeError:
            raise _operand_error(op.symbol, a, b) from None
        b = b_data
        b_grad = False
    out, partials = op.fn(F, a.data, b_data)
    if a._op is not CONST:
        if _MODE.get() is _NORMAL:  # the common case, kept short
            return _node(out, op, a, partials[0], b, partials[1] if b_grad else None)
        return _record(op, out, (a, b), partials, 2 if b_grad else 1)
    if b_grad:  # a constant first operand: store b first, under the swapped op
        return _record(SWAPPED[op], out, (b, a), (partials[1],), 1)
    return _record(op, out, (a, b), partials, 0)


def _reflected(op: Op, a: Any, b: Value) -> Value:
    """``a ∘ b`` where ``a`` is a number and ``b`` a Value: Python's ``__radd__`` and kin."""
    try:
        a_data = _as_float(a, "")
    except TypeError:
        raise _operand_error(op.symbol, a, b) from None
    out, partials = op.fn(F, a_data, b.data)
    return _record(SWAPPED[op], out, (b, a_data), (partials[1],), int(b._op is not CONST))


def _unary(op: Op, a: Value) -> Value:
    out, partials = op.fn(F, a.data)
    if a._op is not CONST and _MODE.get() is _NORMAL:
        return _node(out, op, a, partials[0], None, None)
    return _record(op, out, (a,), partials, int(a._op is not CONST))


# --- Value ----------------------------------------------------------------------------------


class Value:
    """A scalar that remembers how it was computed, so its gradient can flow back.

    ``Value(data, label="", requires_grad=True)``: ``data`` is stored as a float; ``grad``
    starts at ``0.0`` and is filled in by :meth:`backward`. Leaves with
    ``requires_grad=False`` are constants: they receive no gradient and cut the graph.

    Ops record a node in the graph: ``+ - * / **``, unary ``-``, ``abs()``, and the methods
    :meth:`exp`, :meth:`log`, :meth:`tanh`, :meth:`sigmoid`, :meth:`relu`. Numbers mix in on
    either side and are never wrapped into Values. ``==`` and ``hash`` are by identity (so
    Values can be dict keys); ``< <= > >=`` compare ``.data``.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> y.data, x.grad    # d/dx (x² + 3x) = 2x + 3
    (10.0, 7.0)
    """

    __slots__ = ("data", "grad", "_op", "_a", "_da", "_b", "_db", "__weakref__")

    data: float
    grad: float
    _op: Op
    _a: Any  # see the module docstring for these four
    _da: Any
    _b: Any
    _db: Any

    def __init__(self, data: Number, label: str = "", requires_grad: bool = True) -> None:
        if type(data) is not float:
            if isinstance(data, Value):
                raise TypeError("Value expects a real number, got Value (use .data, or .detach())")
            data = _as_float(data, "Value")
        self.data = data
        self.grad = 0.0
        self._op = LEAF if requires_grad else CONST
        self._a = self._da = self._b = self._db = None
        if label:
            self.label = label
        elif not isinstance(label, str):
            raise TypeError(f"label expects a str, got {type(label).__name__}")

    # --- what a node is ---

    @property
    def label(self) -> str:
        """A name to show when the graph is drawn (``""`` if none). Any Value can be given one."""
        return _LABELS.get(self, "")

    @label.setter
    def label(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"label expects a str, got {type(text).__name__}")
        if text:
            _LABELS[self] = text
        else:
            _LABELS.pop(self, None)

    @property
    def op(self) -> str:
        """The name of the op that made this Value (``"add"``, ``"tanh"``, ...), ``""`` for a leaf."""
        return self._op.name

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this one was computed from that receive its gradient, in operand order.

        Duplicates are kept: ``a + a`` has parents ``(a, a)``. Constant operands (numbers,
        and Values with ``requires_grad=False``) are in :attr:`operands` but not here.
        """
        return stored_operands(self)[: len(self.local_grads)]

    @property
    def operands(self) -> tuple[Value | float, ...]:
        """Every operand of the op that made this Value, in the order the op reads them.

        For ``2 - x`` that is ``(2.0, x)``. Fused ops list theirs as :func:`dot` documents.
        """
        order = self._op.order
        if order is None:
            return stored_operands(self)
        natural: list[Any] = [None] * len(order)
        for stored, position in zip(stored_operands(self), order):
            natural[position] = stored
        return tuple(natural)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """The local partial derivative ∂self/∂p for each of :attr:`parents`, in order."""
        a = self._a
        if a is None:
            return ()
        if a.__class__ is tuple:
            return self._da
        return (self._da,) if self._db is None else (self._da, self._db)

    @property
    def is_leaf(self) -> bool:
        """True for Values made directly (parameters, inputs, constants), not by an op."""
        return self._op is LEAF or self._op is CONST

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow into this Value. Only a leaf's can be changed."""
        return self._op is not CONST

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not self.is_leaf:
            raise ValueError("requires_grad can only be changed on a leaf; use .detach() for a node made by an op")
        self._op = LEAF if flag else CONST

    def detach(self) -> Value:
        """A new constant Value with the same data, cut off from the graph."""
        return Value(self.data, self.label, requires_grad=False)

    def item(self) -> float:
        """The data as a Python float, as in PyTorch."""
        return self.data

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    # --- arithmetic: each is one op from the table ---

    def __add__(self, other: Operand) -> Value:
        return _binary(ADD, self, other)

    def __radd__(self, other: Number) -> Value:
        return _reflected(ADD, other, self)

    def __sub__(self, other: Operand) -> Value:
        return _binary(SUB, self, other)

    def __rsub__(self, other: Number) -> Value:
        return _reflected(SUB, other, self)

    def __mul__(self, other: Operand) -> Value:
        return _binary(MUL, self, other)

    def __rmul__(self, other: Number) -> Value:
        return _reflected(MUL, other, self)

    def __truediv__(self, other: Operand) -> Value:
        return _binary(DIV, self, other)

    def __rtruediv__(self, other: Number) -> Value:
        return _reflected(DIV, other, self)

    def __pow__(self, other: Operand) -> Value:
        return _binary(POW, self, other)

    def __rpow__(self, other: Number) -> Value:
        return _reflected(POW, other, self)

    def __neg__(self) -> Value:
        return _unary(NEG, self)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return _unary(ABS, self)

    def exp(self) -> Value:
        """e^x. Its derivative is itself: d/dx e^x = e^x. ``exp(1000)`` is ``inf``."""
        return _unary(EXP, self)

    def log(self) -> Value:
        """The natural log; d/dx ln x = 1/x. ``log(0) = -inf`` and ``log(-1) = nan``."""
        return _unary(LOG, self)

    def tanh(self) -> Value:
        """tanh x = (e^2x − 1)/(e^2x + 1); d/dx tanh x = 1 − tanh² x."""
        return _unary(TANH, self)

    def sigmoid(self) -> Value:
        """σ(x) = 1/(1 + e^−x); d/dx σ(x) = σ(x)(1 − σ(x)). Finite for any input."""
        return _unary(SIGMOID, self)

    def softplus(self) -> Value:
        """log(1 + e^x), a smooth ReLU; d/dx = σ(x). Computed so that no exp overflows (``softplus(1000)`` is 1000)."""
        return _unary(SOFTPLUS, self)

    def relu(self) -> Value:
        """max(0, x); its derivative is 1 for x > 0 and 0 otherwise (0 at the kink, as PyTorch)."""
        return _unary(RELU, self)

    # --- comparisons compare the numbers; == stays identity ---

    def __lt__(self, other: Operand) -> bool:
        return self.data < _compare(other)

    def __le__(self, other: Operand) -> bool:
        return self.data <= _compare(other)

    def __gt__(self, other: Operand) -> bool:
        return self.data > _compare(other)

    def __ge__(self, other: Operand) -> bool:
        return self.data >= _compare(other)

    __hash__ = object.__hash__

    # --- backpropagation ---

    def backward(self, gradient: Number = 1.0) -> None:
        """Fill in ``.grad`` of every node this Value depends on: ``d self / d node``.

        The graph is walked once in reverse topological order, without recursion, so any
        depth works. Each node pushes its gradient to its parents by the chain rule,
        ``parent.grad += local_grad · node.grad``; the ``+=`` is what makes a Value used
        twice (``a + a``) receive both contributions.

        Semantics, as in PyTorch:

        * the gradients of intermediate nodes are recomputed from zero on every call;
        * the gradients of leaves **accumulate** across calls, so call ``zero_grad()`` (or
          set ``p.grad = 0.0``) between training steps;
        * ``gradient`` seeds ``self.grad`` (default 1.0); a graph can be backpropagated any
          number of times.
        """
        seed = _as_float(gradient, "gradient")
        if self._op is CONST:
            raise ValueError("backward() called on a Value that does not require grad (a constant)")
        if self._a is None:  # a leaf: its gradient with respect to itself is 1
            self.grad += seed
            return
        order = backward_order(self)  # every node in it has grad 0.0
        self.grad = seed
        if _MODE.get().anomaly:
            _backward_checked(order)
            return
        # The chain rule, p.grad += ∂node/∂p · node.grad, for the two ways a node stores its parents.
        for node in reversed(order):
            g = node.grad
            if not g and _all_finite(node.local_grads):
                continue  # nothing flows: every term d · 0 is 0 (a dead ReLU, a point past the margin)
            a = node._a
            if a.__class__ is tuple:
                for p, d in zip(a, node._da):
                    p.grad += d * g
            else:
                a.grad += node._da * g
                db = node._db
                if db is not None:
                    node._b.grad += db * g


def _all_finite(xs: tuple[float, ...]) -> bool:
    """No ±inf or nan in ``xs`` (then d · 0 is 0 for each; but 0 · inf is nan, which must flow).

    Their sum is finite only then (an overflowing sum just says False, which is safe).
    """
    total = sum(xs)
    return total - total == 0.0


def _compare(other: Any) -> float:
    if isinstance(other, Value):
        return other.data
    try:
        return _as_float(other, "comparison")
    except TypeError:
        raise TypeError(f"cannot compare Value with {type(other).__name__}") from None


def _backward_checked(order: list[Value]) -> None:
    """The backward loop of :meth:`Value.backward`, stopping at the first nan gradient."""
    for node in reversed(order):
        g = node.grad
        where = _CREATED.get(node, "an unknown place (made outside detect_anomaly())")
        inputs = ", ".join(repr(_data(a)) for a in stored_operands(node))
        if g != g:
            raise AnomalyError(f"the gradient flowing into op '{node.op}' ({inputs}) is nan; it was made at {where}")
        for i, (p, d) in enumerate(zip(node.parents, node.local_grads)):
            contribution = d * g
            if contribution != contribution:
                raise AnomalyError(
                    f"the backward of op '{node.op}' at inputs ({inputs}) gave a nan gradient for its "
                    f"input {i} (local gradient {d} × incoming {g}); the op was made at {where}"
                )
            p.grad += contribution


# --- fused n-ary ops ------------------------------------------------------------------------

_PLAIN_NUMBERS = {float, int, bool}


def _grad_values_data(seq: tuple[Any, ...]) -> list[float] | None:
    """The data of ``seq`` if every item is a Value that needs a gradient, else None."""
    if seq and seq[0].__class__ is not Value:  # a layer's raw inputs: numbers fail at the first
        return None
    # one filtered comprehension: measured about 2× faster than checking with map(attrgetter)
    datas = [x.data for x in seq if x.__class__ is Value and x._op is not CONST]
    return datas if len(datas) == len(seq) else None


def _constants_data(seq: tuple[Any, ...]) -> tuple[float, ...] | None:
    """``seq`` as a tuple of floats if every item is a constant (a plain number, or a Value
    that needs no gradient, such as one made under ``no_grad()``), else None."""
    if len([x for x in seq if x.__class__ is float]) == len(seq):
        return seq
    out = []
    for x in seq:
        if x.__class__ is Value and x._op is CONST:
            out.append(x.data)
        elif type(x) in _PLAIN_NUMBERS:
            out.append(float(x))
        else:
            return None
    return tuple(out)


def sum_values(values: Iterable[Operand]) -> Value:
    """Σ values, recorded as one node however many there are (∂/∂each = 1).

    Faster than chaining ``+`` and draws as one node; numbers may be mixed in.

    >>> s = sum_values([Value(1.0), Value(2.0), 3])
    >>> s.data
    6.0
    """
    vals = tuple(values)
    datas = _grad_values_data(vals)
    if datas is not None:  # the fast path: every term needs a gradient
        out = sum(datas, 0.0)
        if _MODE.get() is _NORMAL:
            return _node(out, SUM, vals, _ops.ones(len(vals)), None, None)
        return _record(SUM, out, vals, _ops.ones(len(vals)), len(vals))
    stored, k = _grads_first(vals, "sum_values")
    # added in the order stored (terms that need a gradient first), so the node's operands
    # reproduce its value to the last bit
    out = sum([_data(x) for x in stored], 0.0)
    return _record(SUM, out, stored, _ops.ones(k), k)


def _grads_first(vals: tuple[Any, ...], who: str) -> tuple[tuple[Any, ...], int]:
    """The operands of an n-ary op as a node stores them: the Values that need a gradient, in
    order, then the constants (numbers as floats, and Values that need none); and their count."""
    grads: list[Value] = []
    consts: list[Value | float] = []
    for i, v in enumerate(vals):
        if isinstance(v, Value):
            (grads if v._op is not CONST else consts).append(v)
        else:
            consts.append(_as_float(v, f"{who}: item {i}"))
    return (*grads, *consts), len(grads)


def logsumexp(values: Iterable[Operand]) -> Value:
    """log Σᵢ e^xᵢ, recorded as one node (op ``logsumexp``); ∂/∂xᵢ = e^xᵢ / Σⱼ e^xⱼ = softmax(x)ᵢ.

    It is computed as m + log Σᵢ e^(xᵢ − m) with m = max xᵢ, the same number, but no exp
    can overflow: ``logsumexp([1000, 1000])`` is 1000 + log 2, where ``e^1000`` alone is
    inf. The shift is part of the op's formula (:data:`autograd.ops.LOGSUMEXP`), not a
    number your code reads off ``.data``, so a recorded tape picks the largest operand again
    on every replay. Special values are those of PyTorch's ``torch.logsumexp``: all −inf
    gives −inf, any +inf gives +inf, any nan gives nan.

    Numbers (and Values that need no gradient) may be mixed in; as in :func:`sum_values`,
    the node stores them after the terms that need a gradient, and computes in that order.

    >>> xs = [Value(0.0), Value(0.0), Value(1000.0)]
    >>> out = logsumexp(xs)
    >>> out.data
    1000.0
    >>> out.backward()
    >>> [x.grad for x in xs]          # the softmax: all the weight on the largest
    [0.0, 0.0, 1.0]
    >>> round(logsumexp([Value(1.0), 2.0, 3.0]).data, 6)
    3.407606
    """
    wanted = "an iterable of Values or numbers"
    if isinstance(values, (Value, str, bytes)):
        raise TypeError(f"logsumexp: values expects {wanted}, got {type(values).__name__}")
    try:
        vals = tuple(values)
    except TypeError:
        raise TypeError(f"logsumexp: values expects {wanted}, got {type(values).__name__}") from None
    if not vals:
        raise ValueError("logsumexp: values expects at least one Value or number, got an empty sequence")
    datas = _grad_values_data(vals)
    if datas is not None:  # the common case: every term needs a gradient
        out, partials = _ops.LOGSUMEXP.fn(F, *datas)
        return _record(_ops.LOGSUMEXP, out, vals, partials, len(vals))
    stored, k = _grads_first(vals, "logsumexp")
    out, partials = _ops.LOGSUMEXP.fn(F, *[_data(x) for x in stored])
    return _record(_ops.LOGSUMEXP, out, stored, partials, k)


def dot(ws: Iterable[Operand], xs: Iterable[Operand], bias: Operand | None = None) -> Value:
    """Σ wᵢ·xᵢ (+ bias), recorded as a single node: the fused op of a neuron.

    ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂bias = 1. Each ``xᵢ`` (and ``wᵢ``, and the bias) may be a
    Value or a number. One node with 2n+1 parents is much faster to build and to
    backpropagate than the 2n ops of ``w1*x1 + w2*x2 + ...``, and gives the same gradients.

    When every ``wᵢ`` and ``xᵢ`` needs a gradient the node's operands are
    ``(w1..wn, x1..xn, bias)`` (op ``dot``); when one side is all constants (numbers, or
    Values that need no gradient), for instance the raw inputs of a first layer, they are
    ``(w1..wn, bias, c1..cn)`` with the constants as floats (op ``affine``).
    Any other mix is built from ``*`` and :func:`sum_values`, with the same result.

    >>> w = [Value(0.5), Value(-1.0)]
    >>> out = dot(w, [2.0, 3.0], bias=Value(0.25))
    >>> out.data
    -1.75
    """
    ws = tuple(ws)
    xs = tuple(xs)
    if len(xs) != len(ws):
        raise ValueError(f"dot: ws and xs must have the same length, got {len(ws)} and {len(xs)}")
    xd = _grad_values_data(xs)
    return _dot(ws, xs, xd, _constants_data(xs) if xd is None else None, bias, "dot")


def matvec(rows: Iterable[Iterable[Operand]], xs: Iterable[Operand], biases: Iterable[Operand] | None = None) -> list[Value]:
    """``[dot(row, xs, b) for row, b in zip(rows, biases)]``: a matrix times a vector, plus a bias.

    Each entry is one fused :func:`dot` node, exactly as ``dot`` would record it; the
    checks on ``xs``, which every row shares, are done once. This is a layer of neurons
    before its activation: row i holds the weights of neuron i.

    >>> W = [[Value(1.0), Value(2.0)], [Value(-1.0), Value(0.5)]]
    >>> [v.data for v in matvec(W, [3.0, 4.0], [Value(0.5), Value(0.0)])]
    [11.5, -1.0]
    """
    xs = tuple(xs)
    xd = _grad_values_data(xs)
    xc = _constants_data(xs) if xd is None else None
    matrix = [tuple(row) for row in rows]
    bs: list[Any] = [None] * len(matrix) if biases is None else list(biases)
    if len(bs) != len(matrix):
        raise ValueError(f"matvec: rows and biases must have the same length, got {len(matrix)} and {len(bs)}")
    out = []
    for i, (ws, b) in enumerate(zip(matrix, bs)):
        if len(ws) != len(xs):
            raise ValueError(f"matvec: every row must have len(xs) = {len(xs)} entries, got {len(ws)} in row {i}")
        out.append(_dot(ws, xs, xd, xc, b, "matvec"))
    return out


def _dot(
    ws: tuple[Any, ...], xs: tuple[Any, ...], xd: list[float] | None, xc: tuple[float, ...] | None, bias: Any, who: str
) -> Value:
    """:func:`dot` once ``xs`` is checked: ``xd`` is its data if every item needs a gradient
    (else None), and ``xc`` its floats if every item is a constant (else None)."""
    n = len(ws)
    if bias is None:
        tail: tuple[Any, ...] = ()
        b_data, b_grad = 0.0, False
    elif bias.__class__ is Value:
        tail = (bias,)
        b_data, b_grad = bias.data, bias._op is not CONST
    else:
        b_data = _as_float(bias, f"{who}: bias")
        tail, b_grad = (b_data,), False

    wd = _grad_values_data(ws)
    if wd is not None and xd is not None:
        partials = (*xd, *wd, 1.0) if b_grad else (*xd, *wd)
        return _record(DOT, sum(map(mul, wd, xd), b_data), ws + xs + tail, partials, len(partials))
    # one side needs gradients, the other is all plain numbers (a first layer's inputs): an
    # affine map of the side that needs gradients, with the numbers stored after it
    if wd is not None:
        grad_side, grad_data, cs = ws, wd, xc
    elif xd is not None:
        grad_side, grad_data, cs = xs, xd, _constants_data(ws)
    else:  # nothing on either side needs a gradient: with a constant bias, so does the result
        cs = _constants_data(ws)
        if cs is not None and xc is not None and not b_grad:
            return _record(DOT, sum(map(mul, cs, xc), b_data), (), (), 0)
        cs = None
    if cs is not None:
        partials = cs + (1.0,) if b_grad else cs
        return _record(AFFINE, sum(map(mul, grad_data, cs), b_data), grad_side + tail + cs, partials, n + b_grad)
    # any other mix: the same sum, built from single ops
    terms: list[Operand] = []
    for i, (w, x) in enumerate(zip(ws, xs)):
        if not isinstance(w, Value):
            w = _as_float(w, f"{who}: ws[{i}]")
        if not isinstance(x, Value):
            x = _as_float(x, f"{who}: xs[{i}]")
        terms.append(w * x)
    if bias is not None:
        terms.append(bias)
    return sum_values(terms)


def apply(op: Op, *operands: Operand) -> Value:
    """Record ``op`` on ``operands``: how a user-defined op joins the graph.

    ``op`` is an :class:`autograd.ops.Op` whose ``fn(M, *operands)`` returns the value and
    one local partial per operand, written with ``M``'s functions so that it works on floats
    and on Values. Check a new op with :func:`autograd.gradcheck`.

    >>> from autograd.ops import Op
    >>> cube = Op("cube", "³", lambda M, a: (a * a * a, (3.0 * a * a,)), 1)
    >>> x = Value(2.0)
    >>> y = apply(cube, x)
    >>> y.backward()
    >>> y.data, x.grad
    (8.0, 12.0)
    """
    if not isinstance(op, Op):
        raise TypeError(f"apply: op expects an autograd.ops.Op, got {type(op).__name__}")
    if op.arity is not None and len(operands) != op.arity:
        raise ValueError(f"apply: op '{op.name}' takes {op.arity} operands, got {len(operands)}")
    grad_positions: list[int] = []
    const_positions: list[int] = []
    stored: list[Any] = []
    floats: list[float] = []
    for i, x in enumerate(operands):
        if isinstance(x, Value):
            floats.append(x.data)
            stored.append(x)
            (grad_positions if x._op is not CONST else const_positions).append(i)
        else:
            floats.append(_as_float(x, f"apply: operand {i}"))
            stored.append(floats[-1])
            const_positions.append(i)
    out, partials = op.fn(F, *floats)
    if len(partials) != len(operands):
        raise ValueError(f"apply: op '{op.name}' gave {len(partials)} partials for {len(operands)} operands")
    order = (*grad_positions, *const_positions)
    if order != tuple(range(len(order))):
        op = op.permuted(order)
        stored = [stored[i] for i in order]
        partials = tuple(partials[i] for i in order)
    return _record(op, float(out), tuple(stored), tuple(partials), len(grad_positions))


# --- the Value namespace: the op formulas, evaluated on Values ------------------------------


class V:
    """The math namespace of :mod:`autograd.ops` for Values: used to build partials as Values.

    ``grad(..., create_graph=True)`` evaluates each op's formula with this namespace, so the
    partial derivatives become graph nodes that can be differentiated again.
    """

    @staticmethod
    def val(x: Any) -> float:
        return x.data if isinstance(x, Value) else x

    @staticmethod
    def div(a: Any, b: Any) -> Any:
        return a / b if isinstance(a, Value) or isinstance(b, Value) else F.div(a, b)

    @staticmethod
    def pow(a: Any, b: Any) -> Any:
        return a**b if isinstance(a, Value) or isinstance(b, Value) else F.pow(a, b)

    @staticmethod
    def exp(x: Any) -> Any:
        return x.exp() if isinstance(x, Value) else F.exp(x)

    @staticmethod
    def log(x: Any) -> Any:
        return x.log() if isinstance(x, Value) else F.log(x)

    @staticmethod
    def tanh(x: Any) -> Any:
        return x.tanh() if isinstance(x, Value) else F.tanh(x)

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return x.sigmoid() if isinstance(x, Value) else F.sigmoid(x)

    @staticmethod
    def abs(x: Any) -> Any:
        return abs(x)

    @staticmethod
    def relu(x: Any) -> Any:
        return x.relu() if isinstance(x, Value) else F.relu(x)


def symbolic_partials(node: Value) -> tuple[Any, ...]:
    """``node``'s local partials rebuilt as Values (or numbers), differentiable again."""
    _, partials = node._op.fn(V, *stored_operands(node))
    return tuple(partials[: len(node.local_grads)])
