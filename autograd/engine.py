"""``Value``: one number, the op that made it, and enough to run the chain rule backwards.

A Value records, for every op, its operands and the local partial derivative of the result
with respect to each of them, computed on the forward pass by the op's formula in the op
table (:mod:`autograd.ops`). ``backward()`` then visits the graph from the result back to
the leaves, and at each node applies the chain rule, once, for every parent ``p``::

    p.grad += (∂node/∂p) · node.grad

That loop, in :meth:`Value.backward`, is the tuned copy of the chain rule; the readable one
is :func:`autograd.graph.chain_rule`, and a test checks that the two agree bit for bit.

How a node stores them (this is what makes a node cost about 120 bytes, not 200):

* ``_entry`` is the op table entry that made it (``LEAF`` or ``CONST`` for a leaf);
* an op of one or two operands (``+``, ``*``, ``tanh``, ...) keeps them in the slots ``_a``
  and ``_b``, and their partials in ``_da`` and ``_db``. An operand that is a constant (a
  number, or a Value that needs no gradient) has no partial: its ``_d`` slot is None.
  Parents come first, so a constant is only ever in ``_b``;
* an n-ary op (``sum_values``, ``dot``) keeps the tuple of its operands in ``_a`` and the
  tuple of its parents' partials in ``_da``: the first ``len(_da)`` operands are its
  parents, and constants follow them;
* a leaf has None in all four.

The slots are declared by :class:`autograd.node.NodeView`, Value's base class, which also gives
their read-only views. Only this module (the node makers, ``backward()`` and its walk
:func:`backward_order`), :mod:`autograd.nary` (the fused ops, which make nodes the same way)
and :mod:`autograd.node` read them; everything else goes through :attr:`Value.parents`,
:attr:`Value.local_grads`, :func:`stored_operands` and :func:`op_of`.
Labels and groups (:mod:`autograd.groups`) live in side tables, because most nodes never get one.

Nodes hold numbers and references to their operands, never closures, so nothing refers back
to its own node: a graph is freed by reference counting the moment its last reference goes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Union

from .anomaly import backward_checked
from .coerce import as_float as _as_float
from .coerce import operand_error as _operand_error
from .groups import GROUPS
from .mode import CREATED, NORMAL, AnomalyError, current, user_location
from .node import NodeView, op_of, stored_operands
from .ops import CONST, LEAF, OPS, SWAPPED, F, Op

Number = Union[int, float]
Operand = Union["Value", int, float]

__all__ = ["Value", "AnomalyError", "stored_operands", "op_of", "backward_order"]



# --- numbers ---------------------------------------------------------------------------------


def number_of(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


# --- making nodes ---------------------------------------------------------------------------

_new = object.__new__


def new_node(data: float, op: Op, a: Any, da: Any, b: Any, db: Any) -> Value:
    """A new node made by ``op``, its operands and partials stored as the module docstring says."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v._entry = op
    v._a = a
    v._da = da
    v._b = b
    v._db = db
    return v


def _constant(data: float) -> Value:
    return new_node(data, CONST, None, None, None, None)


def _stored(op: Op, out: float, args: tuple[Any, ...], partials: tuple[Any, ...], k: int) -> Value:
    """A node of ``op`` whose first ``k`` operands in ``args`` are parents, with ``partials``
    for (at least) them, stored in the slots or the tuples that fit ``op``."""
    if op.arity is None or op.arity > 2:
        return new_node(out, op, args, partials if k == len(partials) else partials[:k], None, None)
    return new_node(
        out, op, args[0], partials[0], args[1] if len(args) == 2 else None, partials[1] if k == 2 else None
    )


def record_node(op: Op, out: float, args: tuple[Any, ...], partials: tuple[Any, ...], k: int) -> Value:
    """Record ``op``'s result. The first ``k`` operands in ``args`` need a gradient."""
    mode = current()
    if mode is NORMAL and k:  # the common case first
        return _stored(op, out, args, partials, k)
    if k == 0 or not mode.grad_enabled:
        result = _constant(out)
    else:
        result = _stored(op, out, args, partials, k)
    if mode.anomaly:
        where = user_location()
        if out != out and k:
            inputs = ", ".join(repr(number_of(a)) for a in args)
            raise AnomalyError(f"op '{op.name}' returned nan from inputs ({inputs}), at {where}")
        CREATED[result] = where
    if mode.group:
        GROUPS[result] = mode.group
    return result


def binary_op(op: Op, a: Value, b: Any) -> Value:
    """``a ∘ b`` where ``a`` is a Value and ``b`` a Value or a number."""
    if b.__class__ is Value:
        b_data = b.data
        b_grad = b._entry is not CONST
    else:
        try:
            b_data = _as_float(b, "")
        except TypeError:
            raise _operand_error(op.symbol, a, b) from None
        b = b_data
        b_grad = False
    out, partials = op.fn(F, a.data, b_data)
    if a._entry is not CONST:
        if current() is NORMAL:  # the common case, kept short
            return new_node(out, op, a, partials[0], b, partials[1] if b_grad else None)
        return record_node(op, out, (a, b), partials, 2 if b_grad else 1)
    if b_grad:  # a constant first operand: store b first, under the swapped op
        return record_node(SWAPPED[op], out, (b, a), (partials[1],), 1)
    return record_node(op, out, (a, b), partials, 0)


def reflected_op(op: Op, a: Any, b: Value) -> Value:
    """``a ∘ b`` where ``a`` is a number and ``b`` a Value: Python's ``__radd__`` and kin."""
    try:
        a_data = _as_float(a, "")
    except TypeError:
        raise _operand_error(op.symbol, a, b) from None
    out, partials = op.fn(F, a_data, b.data)
    return record_node(SWAPPED[op], out, (b, a_data), (partials[1],), int(b._entry is not CONST))


def unary_op(op: Op, a: Value) -> Value:
    out, partials = op.fn(F, a.data)
    if a._entry is not CONST and current() is NORMAL:
        return new_node(out, op, a, partials[0], None, None)
    return record_node(op, out, (a,), partials, int(a._entry is not CONST))


# --- the walk of backward(): the nodes in topological order, without allocating per node ---

# Its marks, kept in each node's grad slot while it runs.
_OPEN: Any = object()  # the node's parents are being walked
_DONE: Any = object()  # the node is listed


def backward_order(root: Value) -> list[Value]:
    """``topological_order(root, include_leaves=False)``, for ``backward``: every listed node's
    ``grad`` is left at 0.0, ready for the chain rule to add into.

    The same depth-first walk, but a node's state is marked in its ``grad`` slot (which
    backward resets to 0.0 anyway) instead of in a set, and the stack holds nodes, not
    iterators: no allocation per node, which makes it about twice as fast on a chain of a
    million ops. A node is pushed once per child that finds it unwalked; the first pop opens
    it (its parents are pushed above it), the second lists it, any later copy is skipped. (A
    parent is never open when it is reached: open nodes are the path being walked, and a
    parent on it would be a cycle.)
    Not for a graph that another thread is backpropagating at the same moment.
    """
    order: list[Value] = []
    stack = [root]
    push = stack.append
    node = root
    try:
        while stack:
            node = stack.pop()
            g = node.grad
            if g is _OPEN:  # its parents are listed
                node.grad = _DONE
                order.append(node)
                continue
            if g is _DONE:  # a second path reached it before it was listed
                continue
            node.grad = _OPEN
            push(node)
            a = node._a
            # parents pushed in operand order, so the last operand's subtree is walked first
            if a.__class__ is tuple:
                stack.extend([p for p in a[: len(node._da)] if p._a is not None and p.grad is not _DONE])
            else:
                if a._a is not None and a.grad is not _DONE:
                    push(a)
                if node._db is not None:
                    b = node._b
                    if b._a is not None and b.grad is not _DONE:
                        push(b)
        for n in order:
            n.grad = 0.0
    except BaseException:  # interrupted, even while resetting: leave no mark behind
        for n in (*order, *stack, node):
            if n.grad is _OPEN or n.grad is _DONE:
                n.grad = 0.0
        raise
    return order


# Value's methods, one line each in the class: an op of the table, documented by its entry.


def _unary_method(op: Op) -> Callable[[Value], Value]:
    def method(self: Value) -> Value:
        return unary_op(op, self)

    method.__doc__ = f"{op.doc}. Records one ``{op.name}`` node."
    return method


def _binary_method(op: Op) -> Callable[[Value, Operand], Value]:
    def method(self: Value, other: Operand) -> Value:
        return binary_op(op, self, other)

    method.__doc__ = f"self {op.infix} other: {op.doc}. Records one ``{op.name}`` node."
    return method


def _reflected_method(op: Op) -> Callable[[Value, Number], Value]:
    def method(self: Value, other: Number) -> Value:
        return reflected_op(op, other, self)

    method.__doc__ = f"other {op.infix} self, for a number on the left: {op.doc}."
    return method


_MICROGRAD_OP = (
    "Value(data, children, op) is micrograd's way to record a custom op; valuegrad records ops from "
    "its op table instead: define an autograd.ops.Op and call autograd.apply(op, *operands)"
)


# --- Value ----------------------------------------------------------------------------------


class Value(NodeView):
    """A scalar that remembers how it was computed, so its gradient can flow back.

    ``Value(data, label="", requires_grad=True)``: ``data`` is stored as a float; ``grad``
    starts at ``0.0`` and is filled in by :meth:`backward`. Leaves with
    ``requires_grad=False`` are constants: they receive no gradient and cut the graph.

    Ops record a node in the graph: OPS_SENTENCE (each is one entry of
    :data:`autograd.ops.OPS`). Numbers mix in on either side and are never wrapped into Values. ``==`` and ``hash`` are by identity (so Values can be dict
    keys); ``< <= > >=`` compare ``.data``.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> y.data, x.grad    # d/dx (x² + 3x) = 2x + 3
    (10.0, 7.0)
    """

    __slots__ = ()  # the storage is declared by NodeView

    def __init__(self, data: Number, label: str = "", requires_grad: bool = True) -> None:
        if type(data) is not float:
            if isinstance(data, Value):
                raise TypeError("Value expects a real number, got Value (use .data, or .detach())")
            data = _as_float(data, "Value")
        self.data = data
        self.grad = 0.0
        self._entry = LEAF if requires_grad else CONST
        self._a = self._da = self._b = self._db = None
        if label.__class__ is not str:
            if isinstance(label, (tuple, list, set, frozenset)):  # micrograd's Value(data, _children, _op)
                raise TypeError(f"{_MICROGRAD_OP} (got a {type(label).__name__} of children as label)")
            raise TypeError(f"label expects a str, got {type(label).__name__}")
        if label:
            self.label = label

    # --- arithmetic: each is one op from the table ---

    __add__ = _binary_method(OPS["add"])
    __radd__ = _reflected_method(OPS["add"])
    __sub__ = _binary_method(OPS["sub"])
    __rsub__ = _reflected_method(OPS["sub"])
    __mul__ = _binary_method(OPS["mul"])
    __rmul__ = _reflected_method(OPS["mul"])
    __truediv__ = _binary_method(OPS["div"])
    __rtruediv__ = _reflected_method(OPS["div"])
    __pow__ = _binary_method(OPS["pow"])
    __rpow__ = _reflected_method(OPS["pow"])
    __neg__ = _unary_method(OPS["neg"])
    __abs__ = _unary_method(OPS["abs"])
    exp = _unary_method(OPS["exp"])
    log = _unary_method(OPS["log"])
    tanh = _unary_method(OPS["tanh"])
    sigmoid = _unary_method(OPS["sigmoid"])
    softplus = _unary_method(OPS["softplus"])
    relu = _unary_method(OPS["relu"])
    log1p = _unary_method(OPS["log1p"])
    sin = _unary_method(OPS["sin"])
    cos = _unary_method(OPS["cos"])

    def __pos__(self) -> Value:
        return self

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
        if self._entry is CONST:
            raise ValueError("backward() called on a Value that does not require grad (a constant)")
        if self._a is None:  # a leaf: its gradient with respect to itself is 1
            self.grad += seed
            return
        if current().anomaly:
            backward_checked(self, seed)
            return
        order = backward_order(self)  # every node in it has grad 0.0
        self.grad = seed
        # The chain rule, p.grad += ∂node/∂p · node.grad, for the two ways a node stores its parents.
        for node in reversed(order):
            g = node.grad
            if not g and all_finite(node.local_grads):
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


def _ops_sentence() -> str:
    """How each op of the table is spelled on a Value, for Value's docstring: the operators,
    the built-in functions (``abs()``) and the methods, read off the table."""
    binary = " ".join(op.infix for op in OPS.values() if op.arity == 2 and op.infix)
    unary = ", ".join(f"unary ``{op.infix}``" for op in OPS.values() if op.arity == 1 and op.infix)
    methods = [op.method for op in OPS.values() if op.method]
    builtins = ", ".join(f"``{name}()``" for name in methods if not hasattr(Value, name))
    named = ", ".join(f":meth:`{name}`" for name in methods if hasattr(Value, name))
    return f"``{binary}``, {unary}, {builtins}, and the methods {named}"


Value.__doc__ = (Value.__doc__ or "").replace("OPS_SENTENCE", _ops_sentence())


def all_finite(xs: tuple[float, ...]) -> bool:
    """No ±inf or nan in ``xs`` (then d · 0 is 0 for each; but 0 · inf is nan, which must flow).

    Their sum is finite only then (an overflowing sum just says False, which is safe).
    """
    total = sum(xs)
    return total - total == 0.0


# The one-line methods are named after their attribute, so that tracebacks and pickle find them.
for _name, _method in list(vars(Value).items()):
    if getattr(_method, "__qualname__", "").endswith("_method.<locals>.method"):
        _method.__name__, _method.__qualname__ = _name, f"Value.{_name}"
