"""The computational graph: walking it, and **the chain rule**, written once as the textbook does.

:func:`chain_rule` is the readable reference of backpropagation. The backprop player's
frames, ``detect_anomaly()``'s checked backward and ``grad(..., create_graph=True)`` all run
it; ``Value.backward`` holds the one other, tuned copy, and a test checks on random graphs
that the two give the same gradients, bit for bit.

A node's *parents* are the operands that receive its gradient (``node.parents``), with its
local partial derivatives in ``node.local_grads``: that is all this module reads of a node, so
nothing here knows how the engine stores one, and nothing here imports the engine. (The tuned
walk of ``Value.backward``, which does read the storage, is ``autograd.engine.backward_order``.)

No function here recurses, so a chain of a million ops is as easy as a chain of ten.
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
    :func:`topological_order` to walk parents; the engine's ``backward_order`` is the same
    walk, written out for speed.
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
    gradient ``backward`` recomputes: the engine's ``backward_order`` is this walk, written for
    speed);
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
