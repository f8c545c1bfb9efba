"""Backpropagation, one step at a time: the frames and captions of the backprop player.

A step is one node of the backward pass pushing its gradient to its parents by the chain rule,
``grad[parent] += (∂node/∂parent) · grad[node]``. The steps are not computed here: they are
what :func:`autograd.graph.chain_rule`, the one readable chain rule, does, seen through its
``watch`` hook. Each step is drawn (a frame of :mod:`autograd.viz.draw`) and explained in a
caption whose words come from the op table (:mod:`autograd.ops`): ``op.write`` says how the
node was computed, ``op.partial_texts`` gives each partial as a formula, and ``op.doc`` the
rule. An op the table does not describe (a user-defined op without ``partials_text``) gets
its partials' numbers only.

Nothing here changes a Value: the gradients live in a dictionary, never in ``.grad``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import Value, op_of
from ..graph import chain_rule
from .draw import _RANKDIRS, _build, _graphviz, _Overlay, _parent_positions
from .layout import _check_int, _check_size, _fmt, _Layout

__all__ = ["backprop_steps", "backprop_frames", "BackpropStep", "BACKPROP_MAX_NODES"]

#: The player draws the whole graph once per step, so its size grows as steps × Values: a
#: 100-Value graph already makes a 25 MB page. Past this many Values, backprop_* refuse.
BACKPROP_MAX_NODES = 80
_MAX_EXPRESSION = 90  # characters of "how the node was computed" in a caption


@dataclass(frozen=True)
class BackpropStep:
    """One step of a backward pass: what happened, and the gradients known after it.

    ``index`` 0 is the seed (``root.grad = 1``); step ``k > 0`` is the ``k``-th node of the
    backward pass pushing its gradient to its parents. ``node`` is that node (the root for
    step 0). ``grads`` maps every Value whose gradient has been computed (or started) so
    far to its value; Values not in it are drawn greyed. ``frame`` is the step's drawing.
    """

    index: int
    node: Value
    caption: str
    grads: Mapping[Value, float]
    frame: Any


@dataclass(frozen=True)
class _Push:
    """One use of the chain rule: ``parent``'s gradient goes from ``before`` to ``after``
    by ``local · grad[node]``, where ``local`` = ∂node/∂(operand ``position``)."""

    parent: Value
    position: int  # the parent's place in node.operands (the op's natural order)
    local: float
    before: float
    after: float


@dataclass(frozen=True)
class _Watched:
    """What the chain rule did at one node: its gradient, its pushes, and every gradient after them."""

    node: Value
    grad: float
    pushes: list[_Push]
    grads: dict[Value, float]


def _watched_pass(root: Value) -> list[_Watched]:
    """``root``'s backward pass as :func:`~autograd.graph.chain_rule` runs it, one entry per step.

    Step 0 is the seed, ``grad[root] = 1``; then one step per op node, in the order the chain
    rule visits them (``backward()``'s order).
    """
    grads: dict[Value, float] = {}
    steps = [_Watched(root, 1.0, [], {root: 1.0})]

    def watch(node: Value, grad: float, pushes: list[tuple[Value, float, float]]) -> None:
        if node.is_leaf:  # a leaf root: it pushes nothing, and the seed was its only step
            return
        previous = steps[-1].grads  # the gradients before this node's pushes
        pushed: dict[Value, float] = {}  # a parent used twice (a·a) adds its second push to its first
        positions = _parent_positions(node)
        done = []
        for i, (parent, local, after) in enumerate(pushes):
            done.append(_Push(parent, positions[i], local, pushed.get(parent, previous.get(parent, 0.0)), after))
            pushed[parent] = after
        steps.append(_Watched(node, grad, done, dict(grads)))

    chain_rule(root, seed=1.0, watch=watch, grads=grads)
    return steps


def _caption(k: int, total: int, node: Value, grad: float, pushes: Sequence[_Push], layout: _Layout) -> str:
    """What step ``k`` did, in words and numbers, with the formulas the op table gives."""
    name = layout.names[node]
    if k == 0:
        return (
            f"Step 0 of {total}: start at the output: ∂{name}/∂{name} = 1, so {name}.grad = 1. "
            "Every other gradient is not computed yet."
        )
    op = op_of(node).natural  # for 2 - x, the op of a - b: node.operands is in its order
    names = [layout.name(x) for x in node.operands]
    expression = op.write(names, name)
    if len(expression) > _MAX_EXPRESSION:
        expression = expression[: _MAX_EXPRESSION - 1] + "…"
    rule = op.doc or f"the op {op.name!r}"
    partials = op.partial_texts(names, name)
    lines = [
        f"Step {k} of {total}: {name} = {expression} sends its gradient {name}.grad = {_fmt(grad)} "
        f"back to its inputs (rule: {rule})."
    ]
    for push in pushes:
        pname = layout.names[push.parent]
        if partials is not None:
            formula = partials[push.position]
        else:  # an op the table does not describe: only its number is known
            formula = f"∂{op.name}/∂(operand {push.position + 1})"
        d = push.local
        value = "" if formula == _fmt(d) else f" = {_fmt(d)}"
        if push.before == 0:
            result = _fmt(push.after)
        else:
            result = f"{_fmt(push.before)} + {_fmt(d * grad)} = {_fmt(push.after)}"
        lines.append(f"∂{name}/∂{pname} = {formula}{value};  {pname}.grad += {_fmt(d)} × {_fmt(grad)}  →  {result}")
    if not pushes:
        lines.append("It has no inputs that need a gradient.")
    return "\n".join(lines)


def backprop_steps(root: Value, rankdir: str = "LR", max_nodes: int = BACKPROP_MAX_NODES) -> list[BackpropStep]:
    """The backward pass of ``root``, one :class:`BackpropStep` (frame and caption) per step.

    Step 0 seeds ``root.grad = 1``. Then, in the order ``backward()`` uses (the reverse of
    :func:`autograd.graph.topological_order`), each op node pushes its gradient to each
    parent ``p`` by the chain rule ``grad[p] += (∂node/∂p) · grad[node]``. So there are
    ``1 + (number of op nodes)`` steps. They are the steps of
    :func:`autograd.graph.chain_rule`, watched as it runs.

    The gradients are those of ONE fresh backward pass, as if every ``.grad`` started at
    zero: the last step's ``grads`` equal what ``root.backward()`` gives on a freshly built
    graph. They are computed in a dictionary: no ``.grad`` is read or changed, so this works
    before or after ``backward()`` and leaves accumulated leaf gradients alone.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a"); b = a * a; b.label = "b"
    >>> steps = backprop_steps(b)
    >>> len(steps), steps[-1].grads[a], a.grad
    (2, 6.0, 0.0)
    >>> print(steps[-1].caption.splitlines()[1])
    ∂b/∂a = a = 3;  a.grad += 3 × 1  →  3
    >>> print(steps[-1].caption.splitlines()[2])
    ∂b/∂a = a = 3;  a.grad += 3 × 1  →  3 + 3 = 6
    """
    if not isinstance(root, Value):
        raise TypeError(f"backprop_steps: root must be a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise ValueError("backprop_steps: root does not require grad (a constant), so there is nothing to backpropagate")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"backprop_steps: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    _check_int("backprop_steps: max_nodes", max_nodes, 1)
    _graphviz()
    layout = _Layout(root, None)
    _check_size(layout, max_nodes, "backprop_steps")
    watched = _watched_pass(root)
    total = len(watched) - 1
    steps = []
    for k, w in enumerate(watched):
        caption = _caption(k, total, w.node, w.grad, w.pushes, layout)
        frame = _build(layout, rankdir, True, _Overlay(w.grads, w.node, k > 0), f"step {k} of {total}")
        steps.append(BackpropStep(k, w.node, caption, w.grads, frame))
    return steps


def backprop_frames(root: Value, rankdir: str = "LR", max_nodes: int = BACKPROP_MAX_NODES) -> list[Any]:
    """One ``graphviz.Digraph`` per step of ``root``'s backward pass (see :func:`backprop_steps`).

    Frame 0 shows ``root.grad = 1`` with every other gradient greyed out as not computed yet.
    Each later frame highlights (orange) the node pushing its gradient, and (yellow) the
    parents receiving ``local gradient × its gradient`` along the highlighted edges, which
    are labelled with the local gradient. The last frame shows every gradient as a fresh
    ``backward()`` leaves it. No ``.grad`` is touched.

    >>> from autograd import Value
    >>> x = Value(0.5, label="x")
    >>> len(backprop_frames(x.tanh().exp()))  # the seed, then the exp node, then the tanh node
    3
    """
    return [s.frame for s in backprop_steps(root, rankdir=rankdir, max_nodes=max_nodes)]
