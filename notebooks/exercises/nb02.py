"""Checks for notebook 02 (values and backprop): gradients by hand, their flow, the order, your own engine."""

from __future__ import annotations

from autograd import Value, grad
from autograd.graph import topological_order

from . import Wrong, as_sequence, close, exercise, present


@exercise(
    "02.1",
    "a sigmoid neuron by hand",
    "Name the pieces z = wx + b, s = σ(z), f = s·x, and go backwards from f. x reaches f along two paths (as the "
    "factor x, and inside z): add the two contributions.",
)
def _(answer):
    dw, db, dx = as_sequence(answer, 3, "your (∂f/∂w, ∂f/∂b, ∂f/∂x)")
    x, w, b = Value(1.5), Value(-0.5), Value(0.25)
    gw, gb, gx = grad((w * x + b).sigmoid() * x, [w, b, x])
    close(dw, gw.data, "∂f/∂w")
    close(db, gb.data, "∂f/∂b")
    close(dx, gx.data, "∂f/∂x")


@exercise(
    "02.2",
    "reading the flow of a gradient",
    "f = m·c + (a + c) with m = max(a, b): the sum hands 1 to m·c and to a + c; the product swaps (m gets c, c gets "
    "m); the max routes m's gradient to the larger of a and b; add what reaches each input along every path.",
)
def _(answer):
    da, db, dc = as_sequence(answer, 3, "your (∂f/∂a, ∂f/∂b, ∂f/∂c)")
    a, b, c = Value(2.0), Value(-1.0), Value(3.0)
    ga, gb, gc = grad((b + (a - b).relu()) * c + (a + c), [a, b, c])
    close(da, ga.data, "∂f/∂a")
    close(db, gb.data, "∂f/∂b")
    close(dc, gc.data, "∂f/∂c")


def _neuron_loss():
    x1, x2, w1, w2, b = (Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
    names = {}
    p1, p2 = x1 * w1, x2 * w2
    s = p1 + p2
    n = s + b
    o = n.tanh()
    e = o - 1.0
    L = e**2
    for node, name in [(p1, "p1"), (p2, "p2"), (s, "s"), (n, "n"), (o, "o"), (e, "e"), (L, "L")]:
        names[node] = name
    for leaf, name in [(x1, "x1"), (x2, "x2"), (w1, "w1"), (w2, "w2"), (b, "b")]:
        names[leaf] = name
    return L, names


@exercise(
    "02.3",
    "what a forward order does to backprop",
    "Walk the forward order yourself, keeping a table of gradients that starts with L's seed of 1. A node is "
    "visited before the nodes that use it: what is in its table entry at the moment it passes gradients on to its "
    "parents? And which node's push comes last?",
)
def _(answer):
    present(answer, "your set of labels")
    if isinstance(answer, str) or not hasattr(answer, "__iter__"):
        raise Wrong(f"the answer should be a set of labels such as {{'p1', 's'}}, got {type(answer).__name__}")
    given = {str(label) for label in answer}
    L, names = _neuron_loss()
    grads = {L: 1.0}
    for node in topological_order(L, include_leaves=False):  # forward, on purpose
        g = grads.get(node, 0.0)
        for parent, local in zip(node.parents, node.local_grads):
            grads[parent] = grads.get(parent, 0.0) + local * g
    want = {names[node] for node, g in grads.items() if g != 0.0 and node is not L}
    if given - set(names.values()):
        raise Wrong("some of your labels are not nodes of the neuron's graph (the labels are L, e, o, n, s, b, p1, p2, "
                    "w1, w2, x1, x2)")
    if given != want:
        # Say which way the answer is off, never which labels: naming them would give the answer away.
        parts = ["some of the nodes you list end at zero" if given - want else "",
                 "some nodes with a non-zero gradient are missing" if want - given else ""]
        raise Wrong("; ".join(p for p in parts if p))


@exercise(
    "02.4",
    "three more ops for MiniValue",
    "Each op returns MiniValue(value, parents, local_grads, op): exp has the local derivative e^a (its own value), "
    "a ** n has n·a^(n−1) (the exponent is a plain number, so there is one parent), and a − b has (1, −1).",
)
def _(cls):
    if not isinstance(cls, type):
        raise Wrong(f"pass the class MiniValue itself, got {type(cls).__name__}")
    probe = cls(0.5)
    for name, result in (("exp()", probe.exp()), ("** 3", probe**3), ("- b", probe - cls(0.25))):
        present(result, f"a {name}")
        if not isinstance(result, cls):
            raise Wrong(f"a {name} should return a {cls.__name__}, got {type(result).__name__}")
    cases = {
        "e^(ab) + a³ − b": lambda a, b: (a * b).exp() + a**3 - b,
        "(a − b)² · exp(a)": lambda a, b: (a - b) ** 2 * a.exp(),
        "a^0.5 − tanh(b)": lambda a, b: a**0.5 - b.tanh(),
    }
    for text, fn in cases.items():
        for pa, pb in ((0.7, -1.2), (1.3, 0.4)):
            a, b = cls(pa), cls(pb)
            out = fn(a, b)
            out.backward()
            va, vb = Value(pa), Value(pb)
            ref = fn(va, vb)
            ga, gb = grad(ref, [va, vb])
            close(out.data, ref.data, f"the value of {text} at a = {pa}, b = {pb}", rel=1e-12)
            close(a.grad, ga.data, f"∂/∂a of {text} at a = {pa}, b = {pb}", rel=1e-12, abs_=1e-12)
            close(b.grad, gb.data, f"∂/∂b of {text} at a = {pa}, b = {pb}", rel=1e-12, abs_=1e-12)


@exercise(
    "02.5",
    "gradients accumulate",
    "Without zeroing, the second backward() adds its gradient to what the first one left in w.grad.",
)
def _(answer):
    w = Value(0.8)
    (total,) = grad((2 * w - 1) ** 2 + 3 * w.tanh(), [w])
    close(answer, total.data, "your w.grad", rel=1e-9)
    return "Both losses' gradients, as if you had called backward() once on L1 + L2."
