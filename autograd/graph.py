"""Walking the computational graph, iteratively: shared by ``backward`` and by drawing.

A node's *parents* are the operands that receive its gradient (``node.parents``). The walk
that ``backward`` uses reads the engine's storage directly (see :mod:`autograd.engine`): a
leaf has ``_a is None``, an n-ary node keeps its operands in the tuple ``_a``, and a node of
one or two operands keeps them in ``_a`` and ``_b``.

No function here recurses, so a chain of a million ops is as easy as a chain of ten.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Any, Iterator, TypeVar

if TYPE_CHECKING:
    from .engine import Value


def parents(node: Value) -> Iterator[Value]:
    """The Values that receive ``node``'s gradient, in operand order, duplicates kept."""
    yield from node.parents


N = TypeVar("N", bound=Hashable)


def postorder(start: N, next_nodes: Callable[[N], Iterable[N]]) -> list[N]:
    """Every node reachable from ``start`` through ``next_nodes``, each after those it reaches.

    A depth-first walk with an explicit stack (no recursion), taking ``next_nodes(node)`` in
    order, so the result is deterministic. Drawing uses it to walk operands, and
    :func:`topological_order` to walk parents; :func:`backward_order` is the same walk,
    written out for speed.
    """
    order: list[N] = []
    # A node is in `done` once the nodes it reaches are listed (False while they are walked).
    done: dict[N, bool] = {}
    stack = [start]
    while stack:
        node = stack[-1]
        state = done.get(node)
        if state is None:
            done[node] = False
            stack.extend(n for n in next_nodes(node) if n not in done)
        else:
            stack.pop()
            if state is False:
                done[node] = True
                order.append(node)
    return order


def topological_order(root: Value, include_leaves: bool = True) -> list[Value]:
    """Every node that ``root``'s gradient reaches, each after all of its parents.

    The order is deterministic: a depth-first walk over parents that finishes the last
    operand's subtree first (for `a.tanh() + b.exp()`: b, exp, a, tanh, add).
    With ``include_leaves=False`` only nodes made by an op are listed (the ones whose
    gradient ``backward`` recomputes: :func:`backward_order` is this walk, written for speed);
    ``root`` itself is always listed, last, even when it is a leaf.

    >>> from autograd import Value
    >>> a = Value(2.0, label="a"); b = a * a; c = b + a
    >>> [n.label or n.op for n in topological_order(c)]
    ['a', 'mul', 'add']
    """
    order = postorder(root, parents)
    if include_leaves:
        return order
    return [n for n in order if not n.is_leaf or n is root]


# The marks of backward_order's walk, kept in each node's grad slot while it runs.
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
    except BaseException:  # interrupted: leave no mark behind
        for n in (*order, *stack, node):
            if n.grad is _OPEN or n.grad is _DONE:
                n.grad = 0.0
        raise
    for n in order:
        n.grad = 0.0
    return order
