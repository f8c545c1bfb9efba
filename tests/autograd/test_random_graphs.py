"""Random expression graphs (nodes reused) against PyTorch float64 and finite differences."""

from __future__ import annotations

import math

from helpers import close, require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, dot, grad, sum_values
from autograd.graph import chain_rule, topological_order

# Each step combines earlier nodes (any of them, so nodes are reused). The guards keep every
# step smooth and finite, so finite differences are a fair reference; kinks (relu, abs) are
# compared with torch only.
SMOOTH = ["add", "sub", "mul", "div", "tanh", "sigmoid", "exp", "log", "pow", "rsub", "dot", "sum"]
KINKED = ["relu", "abs"]


def run(program, leaves, lib):
    """Interpret ``program`` on ``leaves`` with ``lib``'s functions; returns the last node."""
    nodes = list(leaves)
    for op, i, j, k, c in program:
        a, b, d = nodes[i % len(nodes)], nodes[j % len(nodes)], nodes[k % len(nodes)]
        if op == "add":
            out = a + b
        elif op == "sub":
            out = a - b * c
        elif op == "mul":
            out = a * b
        elif op == "div":
            out = a / (b * b + 1.0)
        elif op == "tanh":
            out = lib.tanh(a)
        elif op == "sigmoid":
            out = lib.sigmoid(a)
        elif op == "exp":
            out = lib.exp(lib.tanh(a))
        elif op == "log":
            out = lib.log(a * a + 0.5)
        elif op == "pow":
            out = (a * a + 0.5) ** lib.tanh(b)
        elif op == "rsub":
            out = c - a / 2
        elif op == "dot":
            out = lib.dot([a, b, d], [b, d, a], c)
        elif op == "sum":
            out = lib.sum([a, b, d, c])
        elif op == "relu":
            out = lib.relu(a - c)
        else:
            out = abs(a - c)
        nodes.append(out)
    return nodes[-1]


class Ours:
    tanh, sigmoid, exp, log, relu = Value.tanh, Value.sigmoid, Value.exp, Value.log, Value.relu
    dot = staticmethod(dot)
    sum = staticmethod(sum_values)


def torch_lib(torch):
    class Torch:
        tanh, sigmoid, exp, log, relu = torch.tanh, torch.sigmoid, torch.exp, torch.log, torch.relu

        @staticmethod
        def dot(ws, xs, b):
            return sum(w * x for w, x in zip(ws, xs)) + b

        @staticmethod
        def sum(xs):
            return sum(xs[1:], xs[0])

    return Torch


def programs(ops):
    step = st.tuples(
        st.sampled_from(ops),
        st.integers(0, 50),
        st.integers(0, 50),
        st.integers(0, 50),
        st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 3)),
    )
    return st.lists(step, min_size=1, max_size=12)


leaf_values = st.lists(st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 3)), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(SMOOTH + KINKED), leaf_values)
def test_random_graphs_match_torch(program, xs):
    torch = require("torch")
    leaves = [Value(x) for x in xs]
    out = run(program, leaves, Ours)
    out.backward()
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    ref = run(program, ts, torch_lib(torch))
    if not ref.requires_grad:  # the program never touched a leaf
        return
    ref.backward()
    assert close(out.data, ref.item(), rtol=1e-10, atol=1e-12)
    for leaf, t in zip(leaves, ts):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert close(leaf.grad, expected, rtol=1e-8, atol=1e-10), (leaf.grad, expected)


@settings(max_examples=60, deadline=None)
@given(programs(SMOOTH), leaf_values)
def test_random_smooth_graphs_match_finite_differences(program, xs):
    leaves = [Value(x) for x in xs]
    out = run(program, leaves, Ours)
    analytic = grad(out, leaves)
    h = 1e-6
    for i in range(len(xs)):
        up = run(program, [Value(x + h * (n == i)) for n, x in enumerate(xs)], Ours).data
        down = run(program, [Value(x - h * (n == i)) for n, x in enumerate(xs)], Ours).data
        numeric = (up - down) / (2 * h)
        # truncation error is O(h²); round-off in the quotient is about ε·|f|/h, so allow both
        round_off = 1e-15 * (1 + abs(out.data)) / h
        assert abs(analytic[i].data - numeric) <= 1e-5 * (1 + abs(numeric)) + round_off
        assert math.isfinite(analytic[i].data)


def _bits(x: float) -> tuple[bool, float, float]:
    """A float as its bits would compare: nan equals nan, and 0.0 differs from -0.0."""
    if x != x:
        return (True, 0.0, 1.0)
    return (False, x, math.copysign(1.0, x))


@settings(max_examples=80, deadline=None)
@given(programs(SMOOTH + KINKED), leaf_values, st.sampled_from([1.0, -0.5, 0.0, 3.0]))
def test_backward_and_the_readable_chain_rule_agree_bit_for_bit(program, xs, seed):
    """Value.backward's tuned loop and graph.chain_rule give the same gradient to every node."""
    leaves = [Value(x) for x in xs]
    out = run(program, leaves, Ours)
    if not out.requires_grad:
        return
    reference = chain_rule(out, seed)
    out.backward(seed)
    for node in topological_order(out):
        assert _bits(node.grad) == _bits(reference.get(node, 0.0)), (node, node.grad, reference.get(node))


def test_the_bit_for_bit_check_can_fail():
    """The comparison above tells 0.0 from -0.0 and a last-bit difference (it is not ==)."""
    assert _bits(0.0) != _bits(-0.0)
    assert _bits(0.1 + 0.2) != _bits(0.3)
    assert _bits(math.nan) == _bits(-math.nan)
