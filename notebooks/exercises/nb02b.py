"""Checks for notebook 02b (write your own engine): a node, + and *, the topological order, backward(), tanh
and a neuron, and a tiny MLP trained on the learner's engine.

Each check builds the same expressions twice, once with the learner's class and once with valuegrad's
``Value``, and compares. The expressions are chosen to catch the usual mistakes: a gradient assigned
instead of added (a node used twice), a wrong visiting order (a node that feeds two others), a node listed
twice, a recursive walk on a deep graph, a local derivative taken at the wrong point.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from autograd import Value, grad

from . import Wrong, as_function, as_number, as_sequence, close, exercise, present

#: A chain this long defeats a recursive walk (Python's default recursion limit is 1,000 frames).
DEEP = 3000


def _engine(answer: Any, what: str = "your class") -> type:
    present(answer, what)
    if not isinstance(answer, type):
        raise Wrong(f"pass the class itself (MyValue, without brackets), got {type(answer).__name__}")
    return answer


def _node(cls: type, result: Any, what: str) -> Any:
    present(result, what)
    if not isinstance(result, cls):
        raise Wrong(f"{what} should be a {cls.__name__}, got {type(result).__name__}")
    return result


@exercise(
    "02b.1",
    "a node",
    "__init__(self, data, parents=(), local_grads=()) stores float(data), the two tuples as they are (tuple(...) "
    "keeps their order and their repeats), and grad = 0.0, a float.",
)
def _(answer: Any) -> None:
    cls = _engine(answer)
    a = cls(2)
    if not isinstance(a.data, float) or a.data != 2.0:
        raise Wrong(f"MyValue(2).data is {a.data!r}: store the number as a float")
    if not isinstance(a.grad, float) or a.grad != 0.0:
        raise Wrong(f"a new node's grad is {a.grad!r}: it should start at 0.0, a float (micrograd starts at the "
                    "integer 0, which turns into a float only after the first +=)")
    if tuple(a.parents) != () or tuple(a.local_grads) != ():
        raise Wrong("a node made from a number alone (a leaf) should have no parents and no local gradients")
    b = cls(3.0)
    c = cls(6.0, (a, a), (3.0, 3.0))     # a·a: the same parent twice
    if not isinstance(c.parents, tuple) or len(c.parents) != 2 or c.parents[0] is not a or c.parents[1] is not a:
        raise Wrong("a node whose two parents are the same node (as in a·a) should keep both, in a tuple: a set "
                    "keeps one, and then one of the two contributions to a's gradient is lost")
    d = cls(5.0, (b, a), (1.0, 1.0))
    if tuple(d.parents) != (b, a) or tuple(d.local_grads) != (1.0, 1.0):
        raise Wrong("the parents and the local gradients should be stored in the order they are given, so that "
                    "parents[i] goes with local_grads[i]")


def _pairs(node: Any) -> list[tuple[Any, float]]:
    return list(zip(node.parents, node.local_grads))


def _local_of(node: Any, parent: Any, what: str) -> float:
    """The sum of the local gradients that ``node`` records for ``parent`` (a parent listed twice counts twice)."""
    found = [float(g) for p, g in _pairs(node) if p is parent]
    if not found:
        raise Wrong(f"{what} does not list its operand among its parents")
    return sum(found)


@exercise(
    "02b.2",
    "+ and * with their local derivatives",
    "a + b has the local derivatives (1, 1); a · b has (b.data, a.data): each operand gets the other's value. "
    "Turn a plain number into a node first (a leaf), and let __radd__ and __rmul__ call __add__ and __mul__.",
)
def _(answer: Any) -> None:
    cls = _engine(answer)
    a, b = cls(2.0), cls(-3.0)
    for text, make, value, la, lb in (
        ("a + b", lambda: a + b, -1.0, 1.0, 1.0),
        ("a * b", lambda: a * b, -6.0, -3.0, 2.0),
    ):
        out = _node(cls, make(), text)
        close(out.data, value, f"the value of {text}")
        if len(out.parents) != 2 or out.parents[0] is not a or out.parents[1] is not b:
            raise Wrong(f"{text} should have the parents (a, b), in that order")
        close(_local_of(out, a, text), la, f"the local derivative of {text} with respect to a")
        close(_local_of(out, b, text), lb, f"the local derivative of {text} with respect to b")
    square = _node(cls, a * a, "a * a")
    close(square.data, 4.0, "the value of a * a")
    if len(square.parents) != 2:
        raise Wrong("a * a should list a twice among its parents, once per factor")
    close(_local_of(square, a, "a * a"), 4.0, "the sum of a * a's two local derivatives with respect to a")
    for text, make, value, local in (
        ("a + 5", lambda: a + 5, 7.0, 1.0),
        ("5 + a", lambda: 5 + a, 7.0, 1.0),
        ("a * 5", lambda: a * 5, 10.0, 5.0),
        ("5 * a", lambda: 5 * a, 10.0, 5.0),
    ):
        out = _node(cls, make(), text)
        close(out.data, value, f"the value of {text}")
        close(_local_of(out, a, text), local, f"the local derivative of {text} with respect to a")


def _graphs(cls: type) -> list[tuple[str, Any]]:
    """(name, root) for the graphs the order is tested on."""
    a, b = cls(2.0), cls(-3.0)
    s = a + b
    chain = cls(0.5)
    for _ in range(DEEP):
        chain = chain + 1.0
    return [("a * a", a * a), ("the diamond (s·a)·(s + b) with s = a + b", (s * a) * (s + b)),
            ("a · (a + b)", a * (a + b)),   # a is a parent of the root and, one level deeper, of a + b
            (f"a chain of {DEEP} additions", chain)]


def _reachable(root: Any) -> list[Any]:
    """Every node that ``root`` depends on, found with an explicit stack (the checker's own walk)."""
    seen: dict[int, Any] = {}
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.parents)
    return list(seen.values())


@exercise(
    "02b.3",
    "the topological order",
    "Keep a stack of (node, parents_done) pairs and a set of visited nodes. Pop a pair: if its parents are done, "
    "append the node to the order; otherwise, if the node is new, mark it visited, push it back as done and then "
    "push each parent as not done. Never recurse: a deep graph would hit Python's recursion limit.",
)
def _(answer: Any) -> None:
    cls, fn = as_sequence(answer, 2, "your (MyValue, topological_order)")
    cls = _engine(cls, "MyValue")
    fn = as_function(fn, "topological_order")
    for name, root in _graphs(cls):
        order = fn(root)
        present(order, f"topological_order of {name}")
        order = list(order)
        ids = [id(node) for node in order]
        if len(set(ids)) != len(ids):
            raise Wrong(f"in the order of {name}, a node appears more than once: remember which nodes you have "
                        "visited")
        want = {id(node) for node in _reachable(root)}
        if set(ids) != want:
            raise Wrong(f"the order of {name} has {len(ids)} nodes, but the graph has {len(want)}")
        if not order or order[-1] is not root:
            raise Wrong(f"the order of {name} should end with the root, the node you started from")
        position = {node_id: i for i, node_id in enumerate(ids)}
        for node in order:
            for parent in node.parents:
                if position[id(parent)] > position[id(node)]:
                    raise Wrong(f"in the order of {name}, a node comes before one of its parents: every node "
                                "must come after all the nodes it was made from")


_CASES: list[tuple[str, Callable[[Any, Any, Any], Any]]] = [
    ("a·a", lambda a, b, c: a * a),
    ("a·b + a", lambda a, b, c: a * b + a),
    ("(a + b)·(a + b)·c", lambda a, b, c: (a + b) * (a + b) * c),
    ("((a·b)·(a + c) + b)·a", lambda a, b, c: ((a * b) * (a + c) + b) * a),
    ("3·a + b·b·b + (−1)·c", lambda a, b, c: 3 * a + b * b * b + -1 * c),
]
_POINT = (1.5, -0.5, 2.0)


def _compare_grads(cls: type, cases: list[tuple[str, Callable[..., Any]]], points: list[tuple[float, ...]]) -> None:
    for text, fn in cases:
        for point in points:
            mine = [cls(x) for x in point]
            out = _node(cls, fn(*mine), text)
            out.backward()
            ref = [Value(x) for x in point]
            want = grad(fn(*ref), ref)
            for name, node, g in zip("abc", mine, want):
                got = as_number(node.grad, f"{name}.grad after ({text}).backward()")
                if not math.isclose(got, g.data, rel_tol=1e-12, abs_tol=1e-12):
                    used = "uses it more than once, so " if len(re.findall(rf"\b{name}\b", text)) > 1 else ""
                    raise Wrong(f"after ({text}).backward() at {dict(zip('abc', point))}, {name}.grad is {got:.10g}, "
                                f"which is not right; this expression {used}every path from it to the output must "
                                "add its share")


@exercise(
    "02b.4",
    "backward()",
    "Seed self.grad = 1.0, then go through the topological order from the end (reversed) and, for each node, add "
    "local · node.grad to each parent's grad, with +=. Going backwards means a node's gradient is complete before "
    "it passes it on.",
)
def _(answer: Any) -> None:
    cls = _engine(answer)
    if not callable(getattr(cls, "backward", None)):
        raise Wrong("MyValue has no backward method yet: write backward(self) and attach it, MyValue.backward = "
                    "backward")
    _compare_grads(cls, _CASES, [_POINT, (-0.7, 1.3, 0.25)])
    start = cls(0.5)
    chain = start
    for _ in range(DEEP):
        chain = chain * 1.0 + 0.0
    chain.backward()
    close(start.grad, 1.0, f"the gradient at the start of a chain of {2 * DEEP} ops")


@exercise(
    "02b.5",
    "tanh, then a neuron",
    "tanh's local derivative is 1 − t², where t = tanh(x) is the output's value (use math.tanh for t). The "
    "neuron is tanh(Σ wᵢ·xᵢ + b): start from b and add each wᵢ·xᵢ with your + and *.",
)
def _(answer: Any) -> None:
    cls, neuron = as_sequence(answer, 2, "your (MyValue, neuron)")
    cls = _engine(cls, "MyValue")
    neuron = as_function(neuron, "neuron")
    if not callable(getattr(cls, "tanh", None)):
        raise Wrong("MyValue has no tanh method yet: write tanh(self) and attach it, MyValue.tanh = tanh")
    _compare_grads(cls, [("tanh(a)", lambda a, b, c: a.tanh()), ("tanh(a·b + c)", lambda a, b, c: (a * b + c).tanh()),
                         ("tanh(a)·tanh(a)", lambda a, b, c: a.tanh() * a.tanh())], [(0.4, -1.2, 0.3), (-2.0, 0.5, 1.0)])
    ws, xs, b = [0.5, -1.0, 0.25], [1.5, 0.2, -2.0], 0.1
    mine_w, mine_x, mine_b = [cls(w) for w in ws], [cls(x) for x in xs], cls(b)
    out = _node(cls, neuron(mine_w, mine_b, mine_x), "neuron(ws, b, xs)")
    out.backward()
    ref_w, ref_x, ref_b = [Value(w) for w in ws], [Value(x) for x in xs], Value(b)
    want = grad(sum((w * x for w, x in zip(ref_w, ref_x)), ref_b).tanh(), [*ref_w, ref_b, *ref_x])
    close(out.data, math.tanh(sum(w * x for w, x in zip(ws, xs)) + b), "the neuron's output", rel=1e-12)
    for what, node, g in zip([f"w{i}" for i in range(3)] + ["b"] + [f"x{i}" for i in range(3)],
                             [*mine_w, mine_b, *mine_x], want):
        close(node.grad, g.data, f"the neuron's ∂out/∂{what}", rel=1e-12, abs_=1e-12)


def valuegrad_curve(weights: list[list[tuple[list[float], float]]], X: list[list[float]], Y: list[float],
                    steps: int, lr: float) -> list[float]:
    """The loss curve of valuegrad on the task of exercise 02b.6: an MLP with tanh hidden layers and a linear
    output, started from ``weights`` (per layer, per neuron: (w list, b)), the mean squared error over all of
    X, plain gradient descent with learning rate ``lr``, ``steps`` steps; the loss before each step."""
    from nn import MLP

    model = MLP(len(X[0]), [len(layer) for layer in weights], activation="tanh")
    for layer, neurons in zip(model.layers, weights):
        for neuron, (w, b) in zip(layer.neurons, neurons):
            for p, v in zip(neuron.w, w):
                p.data = v
            neuron.b.data = b
    curve = []
    for _ in range(steps):
        loss = sum(((model(x) - y) ** 2 for x, y in zip(X, Y)), Value(0.0)) * (1.0 / len(X))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        curve.append(loss.data)
    return curve


def task() -> tuple[list[list[tuple[list[float], float]]], list[list[float]], list[float]]:
    """The start and the data of exercise 02b.6: MLP(2, [4, 4, 1]) with tanh, seed 2, and 6 points."""
    from nn import MLP

    model = MLP(2, [4, 4, 1], activation="tanh", seed=2)
    weights = [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]
    X = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0], [-1.0, 0.5], [0.0, -2.0]]
    Y = [1.0, -1.0, -1.0, 1.0, 0.5, -0.5]
    return weights, X, Y


@exercise(
    "02b.6",
    "a tiny MLP trained on your own engine",
    "Make a MyValue for every weight and bias from `weights`. Each step: the forward pass (tanh on hidden layers, "
    "no activation on the last), the mean of the squared errors, every parameter's grad set back to 0.0, "
    "loss.backward(), then p.data -= lr · p.grad; record loss.data before the update.",
)
def _(answer: Any) -> str:
    fn = as_function(answer, "train_mine")
    weights, X, Y = task()
    steps, lr = 25, 0.1
    got = as_sequence(fn(weights, X, Y, steps, lr), steps, f"train_mine(weights, X, Y, {steps}, {lr})")
    want = valuegrad_curve(weights, X, Y, steps, lr)
    for step, (g, w) in enumerate(zip(got, want)):
        number = as_number(g, f"your loss at step {step}")
        if not abs(number - w) <= 1e-12:
            raise Wrong(f"your loss at step {step} is {number:.15g}, {abs(number - w):.1e} away from valuegrad's")
    return f"{steps} losses equal to valuegrad's within 1e-12: your engine trains a network."
