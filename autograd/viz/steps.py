"""Backpropagation, one step at a time: the steps, captions and quiz questions of the backprop player.

A step is one node of the backward pass pushing its gradient to its parents by the chain rule,
``grad[parent] += (∂node/∂parent) · grad[node]``. The steps are not computed here: they are
what :func:`autograd.graph.chain_rule`, the one readable chain rule, does, seen through its
``watch`` hook. Each step is explained in a caption whose words come from the op table
(:mod:`autograd.ops`): ``op.write`` says how the node was computed, ``op.partial_texts`` gives
each partial as a formula, and ``op.doc`` the rule. An op the table does not describe (a
user-defined op without ``partials_text``) gets its partials' numbers only.

A pass is kept as what changed at each step (which gradients went from what to what), so it
costs memory in proportion to the graph, not to steps × Values: the gradients known after
step k are a view of that history (:class:`_Grads`), and a step's drawing is made only when
it is read. The HTML player (:mod:`autograd.viz.playback`) sends the same changes to the page.

Nothing here changes a Value: the gradients live in a dictionary, never in ``.grad``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..engine import Value, op_of
from ..graph import chain_rule
from .draw import RANKDIRS, Overlay, build_graph, load_graphviz, parent_positions
from .layout import Layout, check_int, check_size, format_number

__all__ = ["backprop_steps", "backprop_frames", "BackpropStep", "BACKPROP_MAX_NODES", "BACKPROP_FRAMES_MAX_NODES"]

#: The player draws the graph once and replays the steps on it, so its page grows as Values + steps
#: (a 1,000-Value layer of neurons makes a page of about 1.7 MB). Graphviz's layout is what limits it:
#: seconds for a thousand Values of a layer of neurons, ten or more for two thousand, and minutes for
#: a few hundred when Values are reused far apart (an unrolled recurrence: every long edge is routed
#: through each rank it crosses). Past this many Values the player and backprop_steps refuse.
BACKPROP_MAX_NODES = 2000
#: backprop_frames draws the whole graph once per step, so its frames grow as steps × Values.
BACKPROP_FRAMES_MAX_NODES = 150
_MAX_EXPRESSION = 90  # characters of "how the node was computed" in a caption
_MAX_GIVEN = 8  # operand values a quiz question lists; the drawing shows the rest


@dataclass(frozen=True)
class _Push:
    """One use of the chain rule: ``parent``'s gradient goes from ``before`` (None: not computed
    yet) to ``after`` by ``local · grad[node]``, where ``local`` = ∂node/∂(operand ``position``)."""

    parent: Value
    position: int  # the parent's place in node.operands (the op's natural order)
    local: float
    before: float | None
    after: float


@dataclass(frozen=True)
class _Step:
    """What the chain rule did at one node: the gradient it passed on, and its pushes."""

    node: Value
    grad: float
    pushes: tuple[_Push, ...]


def _watched_pass(root: Value) -> list[_Step]:
    """``root``'s backward pass as :func:`~autograd.graph.chain_rule` runs it, one entry per step.

    Step 0 is the seed, ``grad[root] = 1``; then one step per op node, in the order the chain
    rule visits them (``backward()``'s order).
    """
    known: dict[Value, float] = {root: 1.0}  # every gradient as the steps so far left it
    steps = [_Step(root, 1.0, ())]

    def watch(node: Value, grad: float, pushes: list[tuple[Value, float, float]]) -> None:
        if node.is_leaf:  # a leaf root: it pushes nothing, and the seed was its only step
            return
        positions = parent_positions(node)
        done = []
        for i, (parent, local, after) in enumerate(pushes):
            done.append(_Push(parent, positions[i], local, known.get(parent), after))
            known[parent] = after  # a parent used twice (a·a) adds its second push to its first
        steps.append(_Step(node, grad, tuple(done)))

    chain_rule(root, seed=1.0, watch=watch)
    return steps


class _History:
    """Every gradient of one pass as it changed: for each Value, the steps that changed it and
    the values it took, so the gradients after any step are looked up, never copied."""

    def __init__(self, steps: Sequence[_Step]) -> None:
        root = steps[0].node
        self.changes: dict[Value, tuple[list[int], list[float]]] = {root: ([0], [1.0])}
        self.order: list[Value] = [root]  # in the order they are first computed
        self.known = [1]  # known[k]: how many gradients are computed after step k
        for k, step in enumerate(steps[1:], 1):
            for push in step.pushes:
                entry = self.changes.get(push.parent)
                if entry is None:
                    self.changes[push.parent] = ([k], [push.after])
                    self.order.append(push.parent)
                elif entry[0][-1] == k:  # its second push in the same step: keep the sum
                    entry[1][-1] = push.after
                else:
                    entry[0].append(k)
                    entry[1].append(push.after)
            self.known.append(len(self.order))


class _Grads(Mapping[Value, float]):
    """The gradients computed after step ``k`` of a pass (a read-only mapping, like a dict)."""

    __slots__ = ("_history", "_k")

    def __init__(self, history: _History, k: int) -> None:
        self._history = history
        self._k = k

    def __getitem__(self, value: Value) -> float:
        steps, values = self._history.changes[value]
        i = bisect_right(steps, self._k) - 1
        if i < 0:
            raise KeyError(value)
        return values[i]

    def __iter__(self) -> Iterator[Value]:
        return iter(self._history.order[: len(self)])

    def __len__(self) -> int:
        return self._history.known[self._k]

    def __repr__(self) -> str:
        return repr(dict(self))


@dataclass(frozen=True)
class BackpropStep:
    """One step of a backward pass: what happened, and the gradients known after it.

    ``index`` 0 is the seed (``root.grad = 1``); step ``k > 0`` is the ``k``-th node of the
    backward pass pushing its gradient to its parents. ``node`` is that node (the root for
    step 0). ``grads`` maps every Value whose gradient has been computed (or started) so
    far to its value, like a read-only dict; Values not in it are drawn greyed. ``frame`` is
    the step's drawing (a ``graphviz.Digraph``), made the first time it is read.
    """

    index: int
    node: Value
    caption: str
    grads: Mapping[Value, float]
    _draw: Callable[[], Any] = field(repr=False, compare=False)

    @cached_property
    def frame(self) -> Any:
        """The step's drawing: the whole graph, this step's node and its parents highlighted."""
        return self._draw()


@dataclass(frozen=True)
class _Pass:
    """One backward pass, watched: the drawing's layout, the steps, and a caption for each."""

    layout: Layout
    steps: list[_Step]
    captions: list[str]


def watch_pass(root: Value, max_nodes: int, who: str, rankdir: str = "LR", whole: bool = True) -> _Pass:
    """``root``'s pass, after checking the arguments of the public function ``who``.

    ``whole``: the whole graph is drawn at once, so it must have at most ``max_nodes`` Values
    (the player, which draws a big graph's groups as boxes, checks each of its drawings instead).
    """
    if not isinstance(root, Value):
        raise TypeError(f"{who}: root must be a Value, got {type(root).__name__}")
    if not root.requires_grad:
        raise ValueError(f"{who}: root does not require grad (a constant), so there is nothing to backpropagate")
    if rankdir not in RANKDIRS:
        raise ValueError(f"{who}: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    check_int(f"{who}: max_nodes", max_nodes, 1)
    load_graphviz()
    layout = Layout(root, None)
    if whole:
        check_size(layout, max_nodes, who)
    steps = _watched_pass(root)
    total = len(steps) - 1
    return _Pass(layout, steps, [_caption(k, total, step, layout) for k, step in enumerate(steps)])


def _written(node: Value, layout: Layout) -> tuple[Any, list[str], str]:
    """``node``'s op (as written, in its natural order), its operands' names, and how it was computed."""
    op = op_of(node).natural  # for 2 - x, the op of a - b: node.operands is in its order
    names = [layout.name(x) for x in node.operands]
    expression = op.write(names, layout.names[node])
    if len(expression) > _MAX_EXPRESSION:
        expression = expression[: _MAX_EXPRESSION - 1] + "…"
    return op, names, expression


def _caption(k: int, total: int, step: _Step, layout: Layout) -> str:
    """What step ``k`` did, in words and numbers, with the formulas the op table gives."""
    header, formulas = caption_parts(k, total, step, layout)
    name, grad = layout.names[step.node], step.grad
    lines = [header]
    for push, formula in zip(step.pushes, formulas):
        pname = layout.names[push.parent]
        d = push.local
        value = "" if formula == format_number(d) else f" = {format_number(d)}"
        if not push.before:  # not computed yet, or 0: the sum is just what arrives
            result = format_number(push.after)
        else:
            result = f"{format_number(push.before)} + {format_number(d * grad)} = {format_number(push.after)}"
        lines.append(f"∂{name}/∂{pname} = {formula}{value};  {pname}.grad += {format_number(d)} × {format_number(grad)}  →  {result}")
    if k > 0 and not step.pushes:
        lines.append(NO_INPUTS)
    return "\n".join(lines)


#: The caption's last line for a node none of whose inputs needs a gradient.
NO_INPUTS = "It has no inputs that need a gradient."


def caption_parts(k: int, total: int, step: _Step, layout: Layout) -> tuple[str, list[str]]:
    """Step ``k``'s caption as its first line and, for each push, the partial derivative as a
    formula (the op table's words): the player's page holds these and writes each push's line
    from them and the step's numbers, as :func:`_caption` does."""
    node, grad = step.node, step.grad
    name = layout.names[node]
    if k == 0:
        return (
            f"Step 0 of {total}: start at the output: ∂{name}/∂{name} = 1, so {name}.grad = 1. "
            "Every other gradient is not computed yet."
        ), []
    op, names, expression = _written(node, layout)
    rule = op.doc or f"the op {op.name!r}"
    partials = op.partial_texts(names, name)
    header = (
        f"Step {k} of {total}: {name} = {expression} sends its gradient {name}.grad = {format_number(grad)} "
        f"back to its inputs (rule: {rule})."
    )
    formulas = []
    for push in step.pushes:
        if partials is not None:
            formulas.append(partials[push.position])
        else:  # an op the table does not describe: only its number is known
            formulas.append(f"∂{op.name}/∂(operand {push.position + 1})")
    return header, formulas


def quiz_question(step: _Step, layout: Layout) -> tuple[str, list[tuple[str, float]]]:
    """The quiz at a step: what the learner is shown, and each answer (who receives, how much).

    The learner sees how the node was computed, the numbers it was computed from, and the
    gradient that arrived at it, and is asked what each input receives: ∂node/∂input × grad.
    """
    node = step.node
    name = layout.names[node]
    _, _, expression = _written(node, layout)
    given = [f"{layout.names[x]} = {format_number(x.data)}" for x in dict.fromkeys(x for x in node.operands if isinstance(x, Value))]
    if len(given) > _MAX_GIVEN:
        given = given[:_MAX_GIVEN] + ["… (the rest are in the drawing)"]
    prompt = (
        f"{name} = {expression} = {format_number(node.data)}" + (f", where {', '.join(given)}" if given else "") + ". "
        f"Its gradient {name}.grad = {format_number(step.grad)} has arrived. "
        f"What does each input receive, ∂{name}/∂input × {name}.grad?"
    )
    parents = [layout.names[p.parent] for p in step.pushes]
    answers = []
    for push, pname in zip(step.pushes, parents):
        label = pname if parents.count(pname) == 1 else f"{pname} (operand {push.position + 1})"
        answers.append((label, push.local * step.grad))
    return prompt, answers


def backprop_steps(root: Value, rankdir: str = "LR", max_nodes: int = BACKPROP_MAX_NODES) -> list[BackpropStep]:
    """The backward pass of ``root``, one :class:`BackpropStep` (caption, gradients, frame) per step.

    Step 0 seeds ``root.grad = 1``. Then, in the order ``backward()`` uses (the reverse of
    :func:`autograd.graph.topological_order`), each op node pushes its gradient to each
    parent ``p`` by the chain rule ``grad[p] += (∂node/∂p) · grad[node]``. So there are
    ``1 + (number of op nodes)`` steps. They are the steps of
    :func:`autograd.graph.chain_rule`, watched as it runs.

    The gradients are those of ONE fresh backward pass, as if every ``.grad`` started at
    zero: the last step's ``grads`` equal what ``root.backward()`` gives on a freshly built
    graph. They are computed in a dictionary: no ``.grad`` is read or changed, so this works
    before or after ``backward()`` and leaves accumulated leaf gradients alone. Each step's
    ``frame`` is drawn when it is first read, so the steps of a big graph cost little.

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
    watched = watch_pass(root, max_nodes, "backprop_steps", rankdir)
    history = _History(watched.steps)
    total = len(watched.steps) - 1
    result = []
    for k, (step, caption) in enumerate(zip(watched.steps, watched.captions)):
        grads = _Grads(history, k)
        draw = _drawer(watched.layout, rankdir, Overlay(grads, step.node, k > 0), f"step {k} of {total}")
        result.append(BackpropStep(k, step.node, caption, grads, draw))
    return result


def _drawer(layout: Layout, rankdir: str, overlay: Overlay, title: str) -> Callable[[], Any]:
    return lambda: build_graph(layout, rankdir, True, overlay, title)


def backprop_frames(root: Value, rankdir: str = "LR", max_nodes: int = BACKPROP_FRAMES_MAX_NODES) -> list[Any]:
    """One ``graphviz.Digraph`` per step of ``root``'s backward pass (see :func:`backprop_steps`).

    Frame 0 shows ``root.grad = 1`` with every other gradient greyed out as not computed yet.
    Each later frame highlights (orange) the node pushing its gradient, and (yellow) the
    parents receiving ``local gradient × its gradient`` along the highlighted edges, which
    are labelled with the local gradient. The last frame shows every gradient as a fresh
    ``backward()`` leaves it. No ``.grad`` is touched. Every frame is the whole graph, so
    this refuses graphs of more than ``max_nodes`` Values; the player
    (:func:`~autograd.viz.draw_backprop`) draws a graph once and scales further.

    >>> from autograd import Value
    >>> x = Value(0.5, label="x")
    >>> len(backprop_frames(x.tanh().exp()))  # the seed, then the exp node, then the tanh node
    3
    """
    if not isinstance(root, Value):
        raise TypeError(f"backprop_frames: root must be a Value, got {type(root).__name__}")
    check_int("backprop_frames: max_nodes", max_nodes, 1)
    check_size(Layout(root, None), max_nodes, "backprop_frames")
    return [s.frame for s in backprop_steps(root, rankdir=rankdir, max_nodes=max_nodes)]
