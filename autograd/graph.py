"""Walking the computational graph, iteratively: shared by ``backward`` and by drawing.

A node's *parents* are the operands that receive its gradient. The engine stores them first
among ``node._args``, one local partial each in ``node._partials``, so ``zip(_args,
_partials)`` visits exactly the parents and stops before any constant operand.

No function here recurses, so a chain of a million ops is as easy as a chain of ten.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from .engine import Value


def parents(node: Value) -> Iterator[Value]:
    """The Values that receive ``node``'s gradient, in operand order, duplicates kept."""
    for p, _ in zip(node._args, node._partials):
        yield p


def topological_order(root: Value, include_leaves: bool = True) -> list[Value]:
    """Every node that ``root``'s gradient reaches, each after all of its parents.

    The order is deterministic: a depth-first walk that takes parents in operand order.
    With ``include_leaves=False`` only nodes made by an op are listed (the ones whose
    gradient ``backward`` recomputes), which is all ``backward`` needs; ``root`` itself is
    always listed, last, even when it is a leaf.

    >>> from autograd import Value
    >>> a = Value(2.0, label="a"); b = a * a; c = b + a
    >>> [n.label or n.op for n in topological_order(c)]
    ['a', 'mul', 'add']
    """
    order: list[Value] = []
    # A node is in `done` once its parents are listed (False while they are being walked).
    done: dict[Value, bool] = {}
    stack = [root]
    push = stack.append
    while stack:
        node = stack[-1]
        state = done.get(node)
        if state is None:
            done[node] = False
            if include_leaves:
                for p, _ in zip(node._args, node._partials):
                    if p not in done:
                        push(p)
            else:  # a leaf's _partials is empty: skip it before the dict lookup (most edges are leaves)
                for p, _ in zip(node._args, node._partials):
                    if p._partials and p not in done:
                        push(p)
        else:
            stack.pop()
            if state is False:
                done[node] = True
                order.append(node)
    return order
