"""The computational graph: walking it, and **the chain rule**, written once as the textbook does.

:func:`chain_rule` is the readable reference of backpropagation. The backprop player's
frames, ``detect_anomaly()``'s checked backward and ``grad(..., create_graph=True)`` all run
it; ``Value.backward`` holds the one other, tuned copy, and a test checks on random graphs
that the two give the same gradients, bit for bit.

A node's *parents* are the operands that receive its gradient (``node.parents``), with its
local partial derivatives in ``node.local_grads``. The walk that ``backward`` uses
(:func:`backward_order`) reads the engine's storage directly (see :mod:`autograd.engine`): a
leaf has ``_a is None``, an n-ary node keeps its operands in the tuple ``_a``, and a node of
one or two operands keeps them in ``_a`` and ``_b``.

No function here recurses, so a chain of a million ops is as easy as a chain of ten. Nothing
here imports the engine: a node is anything with ``parents`` and ``local_grads``.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, Iterator, TypeVar

Value = Any  # a Value; the engine imports this module, so this module does not import it


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
        for n in order:
            n.grad = 0.0
    except BaseException:  # interrupted, even while resetting: leave no mark behind
        for n in (*order, *stack, node):
            if n.grad is _OPEN or n.grad is _DONE:
                n.grad = 0.0
        raise
    return order


class _Zero:
    """The zero that a gradient made of Values starts from: adding to it adds no node."""

    def __add__(self, other: Any) -> Any:
        return other

    __radd__ = __add__


#: Where the gradients that ``grad(..., create_graph=True)`` builds as Values start.
NO_NODE_ZERO: Any = _Zero()

Partials = Callable[[Any], Iterable[Any]]
Watch = Callable[[Any, Any, list[tuple[Any, Any, Any]]], None]


def _local_grads(node: Any) -> Iterable[Any]:
    return node.local_grads


def chain_rule(
    root: Value,
    seed: Any = 1.0,
    partials: Partials = _local_grads,
    zero: Any = 0.0,
    watch: Watch | None = None,
    grads: dict[Value, Any] | None = None,
) -> dict[Value, Any]:
    """Backpropagation: ∂root/∂node for every node that ``root`` depends on, in a new dict.

    The chain rule, read off the graph in reverse topological order::

        grad[root] = seed
        for node, from the root back to the leaves:
            for each parent p of node, with local derivative ∂node/∂p:
                grad[p] += ∂node/∂p · grad[node]

    Each node is visited after every node it feeds, so its own gradient is complete when it
    is passed on. ``+=`` is what makes a Value used twice (``a + a``) get both contributions.
    Every gradient starts at ``zero``, or at its value in ``grads`` if that dict is given (it
    is then filled in and returned: ``backward()`` under ``detect_anomaly()`` starts the leaves
    at their ``.grad``, since a leaf's gradient accumulates).

    ``partials(node)`` gives a node's local derivatives (its stored floats by default;
    ``grad(create_graph=True)`` passes the op table's formulas on Values, with ``zero`` an
    additive identity that adds no node). ``watch(node, grad, pushes)``, if given, sees each
    node once its pushes are done, ``pushes`` being ``[(parent, local, new grad[parent])]``:
    the backprop player draws a frame there, and ``detect_anomaly()`` checks for nan.
    Nothing here reads or writes ``.grad``.

    >>> from autograd import Value
    >>> x = Value(3.0); y = x * x + x     # dy/dx = 2x + 1 = 7
    >>> chain_rule(y)[x]
    7.0
    """
    if grads is None:
        grads = {}
    grads[root] = seed
    for node in reversed(topological_order(root, include_leaves=False)):
        g = grads[node]  # complete: every node that feeds it was visited before
        pushes = []
        for p, local in zip(node.parents, partials(node)):
            grads[p] = grads.get(p, zero) + local * g  # the chain rule
            pushes.append((p, local, grads[p]))
        if watch is not None:
            watch(node, g, pushes)
    return grads
