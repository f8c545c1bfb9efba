"""Random expression graphs of every op in the table (nodes reused), against PyTorch float64 and
finite differences, and the tuned backward against the readable chain rule, bit for bit."""

from __future__ import annotations

import math

from helpers import close, require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograd import Value, apply, grad
from autograd.graph import chain_rule, topological_order
from autograd.ops import OPS, F

# Every op of the table, so that a new op is covered without an edit here.
OP_NAMES = sorted(OPS)
#: How far from one of its op's domain points an operand may stray. The domain points are
#: smooth points at least this far from any kink or pole (checked below), so every op is smooth
#: wherever the programs put it, and finite differences are a fair reference for all of them.
RADIUS = 0.25


def test_every_op_is_smooth_around_its_domain_points():
    """The programs move each operand at most RADIUS from a domain point: the op's value and
    partials must be finite there, on both sides (no kink or pole inside the ball)."""
    for name, op in OPS.items():
        for point in op.domain:
            for i in range(len(point)):
                for shift in (-RADIUS, -RADIUS / 2, RADIUS / 2, RADIUS):
                    moved = list(point)
                    moved[i] += shift
                    out, partials = op.fn(F, *moved)
                    assert math.isfinite(out) and all(math.isfinite(d) for d in partials), (name, point, i, shift)


def run(program, leaves, lib):
    """Interpret ``program`` on ``leaves``; returns the last node.

    A step ``(name, which, picks, raw)`` applies the table's op ``name`` to earlier nodes (any of
    them, so nodes are reused). Unless ``raw``, each operand is first squashed into a ball of
    RADIUS around the op's domain point number ``which``: ``p + RADIUS·tanh(node)``, so the op
    is smooth there. A raw step takes the nodes as they are (kinks, zeros and poles included).
    """
    nodes = list(leaves)
    for name, which, picks, raw in program:
        op = OPS[name]
        point = op.domain[which % len(op.domain)]
        chosen = [nodes[k % len(nodes)] for k in picks[: len(point)]]
        operands = chosen if raw else [lib.tanh(x) * RADIUS + p for x, p in zip(chosen, point)]
        nodes.append(lib.apply(op, operands))
    return nodes[-1]


class Ours:
    tanh = Value.tanh

    @staticmethod
    def apply(op, operands):
        return apply(op, *operands)


def torch_lib(torch):
    class Torch:
        tanh = torch.tanh

        @staticmethod
        def apply(op, operands):
            return op.torch(torch, *operands)

    return Torch


def programs(raw=None):
    raw = st.just(False) if raw is None else raw
    step = st.tuples(
        st.sampled_from(OP_NAMES),
        st.integers(0, 7),
        st.lists(st.integers(0, 50), min_size=5, max_size=5),
        raw,
    )
    return st.lists(step, min_size=1, max_size=12)


leaf_values = st.lists(st.floats(-2, 2, allow_nan=False).map(lambda x: round(x, 3)), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), leaf_values)
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
@given(programs(), leaf_values)
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
@given(programs(st.booleans()), leaf_values, st.sampled_from([1.0, -0.5, 0.0, 3.0]))
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
