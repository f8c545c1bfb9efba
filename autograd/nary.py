"""The fused n-ary ops (``sum_values``, ``dot``, ``matvec``, ``logsumexp``), ``apply`` for
user-defined ops, and the Value namespace ``V`` that evaluates the op table's formulas on Values.

A fused op records one node however many operands it has: a neuron's ``w·x + b`` is one
``dot`` node with 2n+1 parents instead of 2n nodes, which is much faster to build and to
backpropagate, and gives the same gradients. Their values are added by
:func:`autograd.ops.total` and :func:`autograd.ops.weighted_total`, the same sums that their
formulas in the op table use, so a fused node's value is one number however it was made.

This module is the engine's n-ary half: it makes nodes with the engine's own node makers
and reads their storage (see :mod:`autograd.engine`) on its fast paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .coerce import as_float as _as_float
from .engine import (
    Operand,
    Value,
    binary_op,
    new_node,
    number_of,
    record_node,
    reflected_op,
    stored_operands,
    unary_op,
)
from .guard import note, recording
from .mode import NORMAL, current
from .ops import AFFINE, CHOOSE, CONST, DOT, LEAF, LOGSUMEXP, OPS, SUM, TAKE, F, Op, ones, total, weighted_total

__all__ = ["sum_values", "dot", "matvec", "logsumexp", "apply", "take", "V", "symbolic_partials"]

_PLAIN_NUMBERS = {float, int, bool}


def _grad_values_data(seq: tuple[Any, ...]) -> list[float] | None:
    """The data of ``seq`` if every item is a Value that needs a gradient, else None."""
    if seq and seq[0].__class__ is not Value:  # a layer's raw inputs: numbers fail at the first
        return None
    # one filtered comprehension: measured about 2× faster than checking with map(attrgetter)
    datas = [x.data for x in seq if x.__class__ is Value and x._entry is not CONST]
    return datas if len(datas) == len(seq) else None


def _constants_data(seq: tuple[Any, ...]) -> tuple[float, ...] | None:
    """``seq`` as a tuple of floats if every item is a constant (a plain number, or a Value
    that needs no gradient, such as one made under ``no_grad()``), else None."""
    if len([x for x in seq if x.__class__ is float]) == len(seq):
        return seq
    out = []
    for x in seq:
        if x.__class__ is Value and x._entry is CONST:
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
        out = total(datas)
        if current() is NORMAL:
            return new_node(out, SUM, vals, ones(len(vals)), None, None)
        return record_node(SUM, out, vals, ones(len(vals)), len(vals))
    stored, k = _grads_first(vals, "sum_values")
    # added in the order stored (terms that need a gradient first), so the node's operands
    # reproduce its value to the last bit
    out = total([number_of(x) for x in stored])
    return record_node(SUM, out, stored, ones(k), k)


def _grads_first(vals: tuple[Any, ...], who: str) -> tuple[tuple[Any, ...], int]:
    """The operands of an n-ary op as a node stores them: the Values that need a gradient, in
    order, then the constants (numbers as floats, and Values that need none); and their count."""
    grads: list[Value] = []
    consts: list[Value | float] = []
    for i, v in enumerate(vals):
        if isinstance(v, Value):
            (grads if v._entry is not CONST else consts).append(v)
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
        out, partials = LOGSUMEXP.fn(F, *datas)
        return record_node(LOGSUMEXP, out, vals, partials, len(vals))
    stored, k = _grads_first(vals, "logsumexp")
    out, partials = LOGSUMEXP.fn(F, *[number_of(x) for x in stored])
    return record_node(LOGSUMEXP, out, stored, partials, k)


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
        b_data, b_grad = bias.data, bias._entry is not CONST
    else:
        b_data = _as_float(bias, f"{who}: bias")
        tail, b_grad = (b_data,), False

    wd = _grad_values_data(ws)
    if wd is not None and xd is not None:
        partials = (*xd, *wd, 1.0) if b_grad else (*xd, *wd)
        return record_node(DOT, weighted_total(wd, xd, b_data), ws + xs + tail, partials, len(partials))
    # one side needs gradients, the other is all plain numbers (a first layer's inputs): an
    # affine map of the side that needs gradients, with the numbers stored after it
    if wd is not None:
        grad_side, grad_data, cs = ws, wd, xc
    elif xd is not None:
        grad_side, grad_data, cs = xs, xd, _constants_data(ws)
    else:  # nothing on either side needs a gradient: with a constant bias, so does the result
        cs = _constants_data(ws)
        if cs is not None and xc is not None and not b_grad:
            return record_node(DOT, weighted_total(cs, xc, b_data), (), (), 0)
        cs = None
    if cs is not None:
        partials = cs + (1.0,) if b_grad else cs
        return record_node(AFFINE, weighted_total(grad_data, cs, b_data), grad_side + tail + cs, partials, n + b_grad)
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


def take(rows: Any, i: Any) -> Any:
    """``rows[i]``, as a lookup that a tape keeps with ``i`` as one of its inputs.

    ``rows`` is a list of Values (one is returned) or a table, a list of rows of Values (a row
    is returned, as a list: an embedding's ``wte[token]``). ``i`` is an int, or a Value holding
    one (a token in the arguments of a recorded function); negative indices count from the end.
    An int makes the same nodes as a Value does, so a program computes the same gradients, to
    the bit, run eagerly on ints and replayed from a tape recorded with Values.

    On the engine it is ``rows[i]`` with one ``take`` node in between, whose one parent is the
    chosen Value (its gradient goes there, and nowhere else). Among rows computed by ops (the
    logits, to pick the target's) it is one ``choose`` node whose parents are all the rows, with
    partial 1 for the chosen one and 0 for the others. Recorded, a plain ``rows[i]`` with an
    input ``i`` would be a guarded decision, recorded again for each new ``i``; these nodes
    instead read ``i`` on every replay, so one tape serves every token, in Python and in C.
    That needs ``i`` to be an input (a leaf) or an int, and every row to need a gradient;
    otherwise it is plain (guarded) indexing.

    >>> from autograd import Value, take
    >>> table = [[Value(0.1), Value(0.2)], [Value(0.3), Value(0.4)]]
    >>> [v.data for v in take(table, Value(1.0))]
    [0.3, 0.4]
    """
    if isinstance(rows, (str, bytes)) or not hasattr(rows, "__len__") or not hasattr(rows, "__getitem__"):
        raise TypeError(f"take: rows expects a list of Values or a list of rows of Values, got {type(rows).__name__}")
    if isinstance(i, Value):
        x = i.data
    elif isinstance(i, bool) or not isinstance(i, int):
        raise TypeError(f"take: i expects an int or a Value holding one, got {type(i).__name__}")
    else:
        x = float(i)
    n = len(rows)
    if not (x == x and -n <= x < n and x == int(x)):
        raise IndexError(f"take: i expects an integer in [-{n}, {n}) (the rows), got {x!r}")
    if n and isinstance(rows[0], (list, tuple)):
        width = len(rows[0])
        for r, row in enumerate(rows):
            if not isinstance(row, (list, tuple)) or len(row) != width:
                raise ValueError(f"take: rows[{r}] expects a row of {width} items, as rows[0], got {row!r:.60}")
        return [take([row[c] for row in rows], i) for c in range(width)]
    chosen = rows[int(x)]
    varies = isinstance(i, Value) and i._entry is not CONST
    if (varies and i._entry is not LEAF) or not all(r.__class__ is Value and r._entry is not CONST for r in rows):
        # an index computed by ops, or candidates that need no gradient: plain (guarded) indexing,
        # so that a tape never chooses among numbers it does not have
        return rows[i]
    index: Any = i if varies else x  # the same node for an int: the same graph as a recorded token's
    if varies and recording() is not None:  # a replay checks that its index is one too
        note("index", i, float(n), True, f"take(rows, i): i an integer in [-{n}, {n})")
    if all(r._entry is LEAF for r in rows):  # parameters: a lookup, whose gradient goes to one of them
        return record_node(TAKE, chosen.data, (chosen, index, *rows), (1.0,), 1)
    out, partials = CHOOSE.fn(F, *[r.data for r in rows], x)  # computed rows: all of them parents
    return record_node(CHOOSE, out, (*rows, index), partials, n)


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
            (grad_positions if x._entry is not CONST else const_positions).append(i)
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
    return record_node(op, float(out), tuple(stored), tuple(partials), len(grad_positions))


# --- the Value namespace: the op formulas, evaluated on Values ------------------------------


def _on_values(op: Op) -> Any:
    """``op`` recorded on its operands if any is a Value, else computed on floats by ``F``."""
    on_floats = getattr(F, op.name)
    if op.arity == 1:
        return lambda a: unary_op(op, a) if isinstance(a, Value) else on_floats(a)
    if op.arity == 2:

        def binary(a: Any, b: Any) -> Any:
            if isinstance(a, Value):
                return binary_op(op, a, b)
            return reflected_op(op, a, b) if isinstance(b, Value) else on_floats(a, b)

        return binary
    return lambda *xs: apply(op, *xs) if any(isinstance(x, Value) for x in xs) else on_floats(*xs)


def _val(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


class _Namespace:
    """The math namespace of the op table on Values: ``V.<name>`` records op ``<name>``."""

    def __init__(self) -> None:
        self.val = _val
        for op in OPS.values():
            setattr(self, op.name, _on_values(op))

    def __getattr__(self, name: str) -> Any:  # for mypy: every op of the table is an attribute
        raise AttributeError(f"the op table has no op {name!r}")


#: The math namespace of :mod:`autograd.ops` for Values, built from the table: the formulas,
#: evaluated with it, build the partials as Values, which is how ``grad(..., create_graph=True)``
#: gives derivatives that can be differentiated again.
V = _Namespace()


def symbolic_partials(node: Value) -> tuple[Any, ...]:
    """``node``'s local partials rebuilt as Values (or numbers), differentiable again."""
    _, partials = node._entry.fn(V, *stored_operands(node))
    return tuple(partials[: len(node.local_grads)])
