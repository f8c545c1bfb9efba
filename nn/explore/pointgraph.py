"""One point's forward graph at the current weights, with its data and gradients, as SVG.

When a point is clicked the page shows how the network computed that point's loss: every
Value of the graph with its number and its gradient ∂loss/∂value, drawn by
:func:`autograd.viz.draw_dot`. The graph is built on a *copy* of the model with the same
weights, with readable labels, all counted from 1 (``x1``; ``w1.3.2``: layer 1, neuron 3, from
input 2; ``z1.3`` before the activation, ``h1.3`` after it; ``score`` or, for several classes,
``score0``, ``score1``, ... by class), and backpropagated there, so the session's own
gradients and optimizer are untouched.

A whole network's graph is large (the default model's has about 150 Values), so the view
has a *scope*: ``"top"`` draws the loss and the output layer, its inputs cut off (dashed);
``[layer, neuron]`` draws everything that one neuron's output was computed from; ``"all"``
draws the whole graph.

Drawing needs the ``graphviz`` package and Graphviz's ``dot`` program; without them the
view says how to install them instead of a picture.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Union

from autograd import Value

from ..layers import MLP
from ..losses import binary_cross_entropy, cross_entropy
from .session import Session

__all__ = ["point_graph", "MAX_VALUES", "Scope"]

#: What to draw: "top", "all", or (layer, neuron).
Scope = Union[str, tuple[int, int]]

#: draw_dot refuses graphs with more Values than this; the default model has about 150.
MAX_VALUES = 1500


def _labelled_copy(session: Session) -> MLP:
    """A model with the session's architecture and weights, its parameters named for the picture."""
    model = session.model
    copy = MLP(2, list(model.nouts), activation=model.activation, init=model.init, seed=0)
    copy.load_state_dict(model.state_dict())
    for k, layer in enumerate(copy.layers, start=1):
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w, start=1):
                w.label = f"w{k}.{j + 1}.{i}"
            neuron.b.label = f"b{k}.{j + 1}"
    return copy


def _top_depth(loss: Value, scores: list[Value]) -> int:
    """How many ops from the loss the drawing must reach to show the scores' operands, and no more."""
    dist = {loss: 0}
    queue = deque([loss])
    stop = set(scores)
    while queue:
        node = queue.popleft()
        if node in stop:
            continue
        for x in node.operands:
            if isinstance(x, Value) and x not in dist:
                dist[x] = dist[node] + 1
                queue.append(x)
    return max(dist.values()) + 1


def _count_values(root: Value) -> int:
    """How many Values ``root`` was computed from, itself included (an iterative walk)."""
    seen = {root}
    stack = [root]
    while stack:
        for x in stack.pop().operands:
            if isinstance(x, Value) and x not in seen:
                seen.add(x)
                stack.append(x)
    return len(seen)


def point_graph(session: Session, split: str, index: int, scope: Scope = "top") -> dict[str, Any]:
    """The point ``index`` of ``split`` ("train" or "test"): its numbers, and its graph as SVG.

    Returns ``{"split", "index", "scope", "x", "label", "scores", "prediction", "loss", "step",
    "svg"}``; when the graph cannot be drawn, ``"svg"`` is None and ``"error"`` says why. With
    scope ``"player"`` it gives ``"player"`` instead of ``"svg"``: the backprop player's page
    (:func:`autograd.viz.backprop_html`) stepping through this point's backward pass, from the
    loss back to every weight, at the current weights.
    """
    points, labels = (session.train_x, session.train_y) if split == "train" else (session.test_x, session.test_y)
    x, label = points[index], labels[index]
    copy = _labelled_copy(session)
    a: list[Value] = [Value(x[0], label="x1"), Value(x[1], label="x2")]
    last = len(copy.layers)
    outputs: list[list[Value]] = []
    for k, layer in enumerate(copy.layers, start=1):
        a = layer(a)
        outputs.append(a)
        for j, v in enumerate(a):
            if k == last:
                v.label = "score" if len(a) == 1 else f"score{j}"
            else:
                v.label = f"h{k}.{j + 1}"
                if v.parents and v.parents[0].op:  # the activation's input: the neuron's w·x + b
                    v.parents[0].label = f"z{k}.{j + 1}"
    target = session.target(label)
    loss = binary_cross_entropy(a[0], target) if len(a) == 1 else cross_entropy(a, target)
    loss.label = "loss"
    loss.backward()
    scores = [v.data for v in a]
    result: dict[str, Any] = {
        "split": split,
        "index": index,
        "scope": list(scope) if isinstance(scope, tuple) else scope,
        "x": list(x),
        "label": label,
        "scores": scores,
        "prediction": session.predict(scores),
        "loss": loss.data,
        "step": session.step,
        "svg": None,
    }
    if scope == "player":
        return _with_player(result, loss, split, index)
    if scope == "all" and _count_values(loss) > MAX_VALUES:
        result["error"] = (
            f"the whole graph has {_count_values(loss)} Values, more than the {MAX_VALUES} drawn here: "
            "look at the loss and output layer, or at one neuron's graph (click the neuron first)"
        )
        return result
    try:
        from autograd.viz import draw_dot, render_svg

        if isinstance(scope, tuple):
            graph = draw_dot(loss, focus=outputs[scope[0]][scope[1]], max_nodes=MAX_VALUES)
        elif scope == "top":
            graph = draw_dot(loss, depth=_top_depth(loss, a), max_nodes=MAX_VALUES)
        else:
            graph = draw_dot(loss, max_nodes=MAX_VALUES)
        result["svg"] = render_svg(graph)
    except (ImportError, RuntimeError, ValueError) as e:
        result["error"] = f"the graph cannot be drawn here: {e}"
    return result


def _with_player(result: dict[str, Any], loss: Value, split: str, index: int) -> dict[str, Any]:
    """``result`` with the player's page of ``loss``'s backward pass, or an error saying why not."""
    try:
        from autograd.viz import backprop_html

        result["player"] = backprop_html(loss, title=f"Backprop of {split} point {index}")
    except (ImportError, RuntimeError, ValueError) as e:
        result["error"] = f"the player cannot be drawn here: {e}"
    return result
