"""What a node is: the read-only views of a Value's storage, as the base class of :class:`Value`.

``parents``, ``operands``, ``local_grads``, ``label``, ``is_leaf``, ``requires_grad``, and
micrograd's ``_prev`` and ``_op``; copies; comparisons. The storage itself (the slots ``_entry``,
``_a``, ``_da``, ``_b``, ``_db``) is declared here, in :class:`NodeView`'s ``__slots__``, and
filled by :mod:`autograd.engine`, whose module docstring says how a node keeps its operands:
this module and :func:`stored_operands` are its one reader for everything outside the engine's
hot loops.
"""

from __future__ import annotations

import weakref
from typing import Any

from .coerce import as_float
from .guard import note, note_integer, note_round, recording
from .ops import CONST, LEAF, Op

__all__ = ["NodeView", "stored_operands", "op_of"]

#: Each labelled Value's label (a side table: most nodes have none, and a slot would cost every node).
_LABELS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def stored_operands(node: Any) -> tuple[Any, ...]:
    """``node``'s operands in the order ``op_of(node).fn`` takes them: its parents first (one
    per local partial), then its constant operands (floats, or Values that need no gradient).

    This is the one place outside the hot loops that knows how a node stores its operands;
    tools that walk the graph (replay, higher-order gradients, drawing) go through it.
    """
    a = node._a
    if a is None or a.__class__ is tuple:
        return a or ()
    b = node._b
    return (a,) if b is None else (a, b)


def op_of(node: Any) -> Op:
    """The op table entry that made ``node`` (a permuted variant for ``2 - x``; LEAF or CONST
    for a leaf). Its ``fn`` takes :func:`stored_operands` and gives ``node``'s value and partials."""
    return node._entry


def _compare(other: Any) -> float:
    if isinstance(other, NodeView):
        return other.data
    try:
        return as_float(other, "comparison")
    except TypeError:
        raise TypeError(f"cannot compare Value with {type(other).__name__}") from None


def _operand(other: Any) -> Any:
    """The other side of a comparison, as a decision keeps it: a Value, or a float."""
    return other if isinstance(other, NodeView) else as_float(other, "comparison")


class NodeView:
    """A node's storage (the slots) and its views, which :class:`~autograd.Value` inherits."""

    __slots__ = ("data", "grad", "_entry", "_a", "_da", "_b", "_db", "__weakref__")

    data: float
    grad: float
    _entry: Op
    _a: Any
    _da: Any
    _b: Any
    _db: Any

    # --- copies: copy.copy, copy.deepcopy and pickle keep everything a Value is ---

    def __getstate__(self) -> tuple[Any, ...]:
        return (self.data, self.grad, self._entry, self._a, self._da, self._b, self._db, self.label)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        self.data, self.grad, self._entry, self._a, self._da, self._b, self._db, label = state
        if label:
            _LABELS[self] = label

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
        return self._entry.name

    @property
    def _op(self) -> str:
        """micrograd's ``_op``: its op string (``'+'``, ``'*'``, ``'ReLU'``, ``'**2'``), ``''`` for a leaf.

        Read-only, for code written for micrograd, such as its ``draw_dot`` helper.
        """
        return self._entry.micrograd_op(self.operands) if self._a is not None else ""

    @property
    def _prev(self) -> set[Any]:
        """micrograd's ``_prev``: the set of this node's Value operands (valuegrad's :attr:`operands`
        that are Values; its :attr:`parents` are those that receive a gradient). Read-only."""
        return {x for x in stored_operands(self) if isinstance(x, NodeView)}

    @property
    def parents(self) -> tuple[Any, ...]:
        """The Values this one was computed from that receive its gradient, in operand order.

        Duplicates are kept: ``a + a`` has parents ``(a, a)``. Constant operands (numbers,
        and Values with ``requires_grad=False``) are in :attr:`operands` but not here.
        """
        return stored_operands(self)[: len(self.local_grads)]

    @property
    def operands(self) -> tuple[Any, ...]:
        """Every operand of the op that made this Value, in the order the op reads them.

        For ``2 - x`` that is ``(2.0, x)``. Fused ops list theirs as :func:`dot` documents.
        """
        order = self._entry.order
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
        return self._entry is LEAF or self._entry is CONST

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow into this Value. Only a leaf's can be changed."""
        return self._entry is not CONST

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if not self.is_leaf:
            raise ValueError("requires_grad can only be changed on a leaf; use .detach() for a node made by an op")
        self._entry = LEAF if flag else CONST

    def detach(self) -> Any:
        """A new constant Value with the same data, cut off from the graph."""
        make: Any = type(self)
        return make(self.data, self.label, requires_grad=False)

    def item(self) -> float:
        """The data as a Python float, as in PyTorch."""
        return self.data

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # --- decisions on the number: each is noted while a tape records (autograd.guard) ---

    def __format__(self, spec: str) -> str:
        if recording() is not None:
            note("same", self, self.data, True, f"format(x, {spec!r})")
        return format(self.data, spec) if spec else repr(self)

    def __bool__(self) -> bool:
        """True when the number is not 0, as for a float (nan is True)."""
        result = self.data != 0.0
        if recording() is not None:
            note("!=", self, 0.0, result, "bool(x)")
        return result

    def __float__(self) -> float:
        """The number, as a float (a constant: no gradient flows through it)."""
        if recording() is not None:
            note("same", self, self.data, True, "float(x)")
        return self.data

    def __int__(self) -> int:
        """The number truncated towards 0, as ``int(float)``."""
        n = int(self.data)
        if recording() is not None:
            note_integer(self, n, "int(x)")
        return n

    def __index__(self) -> int:
        """The number as an index (``xs[i]``, ``range(i)``): it must hold an integer."""
        x = self.data
        if not (x == x and abs(x) != float("inf") and x == int(x)):
            raise TypeError(f"a Value used as an index must hold an integer, got {x!r}")
        n = int(x)
        if recording() is not None:
            note("==", self, x, True, "x used as an index")
        return n

    def __round__(self, ndigits: int | None = None) -> Any:
        """``round()`` of the number: an int (half to even), or with ``ndigits`` a float."""
        if ndigits is None:
            n = round(self.data)
            if recording() is not None:
                note_round(self, n, "round(x)")
            return n
        if recording() is not None:
            note("same", self, self.data, True, f"round(x, {ndigits!r})")
        return round(self.data, ndigits)

    # --- comparisons compare the numbers; == stays identity ---

    def __lt__(self, other: Any) -> bool:
        result = self.data < _compare(other)
        if recording() is not None:
            note("<", self, _operand(other), result, "x < y")
        return result

    def __le__(self, other: Any) -> bool:
        result = self.data <= _compare(other)
        if recording() is not None:
            note("<=", self, _operand(other), result, "x <= y")
        return result

    def __gt__(self, other: Any) -> bool:
        result = self.data > _compare(other)
        if recording() is not None:
            note(">", self, _operand(other), result, "x > y")
        return result

    def __ge__(self, other: Any) -> bool:
        result = self.data >= _compare(other)
        if recording() is not None:
            note(">=", self, _operand(other), result, "x >= y")
        return result

    __hash__ = object.__hash__
