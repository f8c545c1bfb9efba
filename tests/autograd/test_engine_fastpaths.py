"""The engine's speed-ups change nothing that can be observed: same order, same gradients, same nans.

``backward()`` walks the graph with its own copy of the depth-first walk (for speed) and skips
nodes whose gradient is zero. Each test here compares with a slow reference written out in
the test: the generic :func:`autograd.graph.postorder` walk, the readable chain rule
(:func:`autograd.graph.chain_rule`, which skips nothing),
and PyTorch float64 for the IEEE special cases.
"""

from __future__ import annotations

import math
import random

import pytest
from helpers import close, require

from autograd import Value, dot, sum_values
from autograd.engine import backward_order
from autograd.graph import chain_rule, parents, postorder, topological_order


def random_graph(seed: int, size: int = 40) -> tuple[list[Value], Value]:
    """A random graph of adds, muls, tanhs, ReLUs (many dead), dots and sums over 4 leaves."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1.0, 1.0)) for _ in range(4)]
    nodes = list(leaves)
    for _ in range(size):
        a, b, c = rng.choice(nodes), rng.choice(nodes), rng.choice(nodes)
        kind = rng.randrange(6)
        if kind == 0:
            nodes.append(a * b)
        elif kind == 1:
            nodes.append(a + b * 0.5)
        elif kind == 2:
            nodes.append(a.tanh())
        elif kind == 3:
            nodes.append((a - 0.3).relu())
        elif kind == 4:
            nodes.append(dot([a, b], [b, c], c))
        else:
            nodes.append(sum_values([a, b, c, 1.0]))
    root = sum_values(nodes[len(leaves) :])
    return leaves, root


def reference_backward(root: Value) -> dict[Value, float]:
    """d root / d node for every node: the readable chain rule, which adds every term (even zeros)."""
    return chain_rule(root)


def test_backwards_walk_of_a_leaf_is_the_leaf() -> None:
    x = Value(1.5)
    assert topological_order(x, include_leaves=False) == [x]


@pytest.mark.parametrize("seed", range(30))
def test_backward_order_is_the_generic_walk_and_leaves_every_listed_grad_at_zero(seed: int) -> None:
    leaves, root = random_graph(seed)
    root.backward()  # every grad nonzero somewhere, so that the zeroing is seen
    expected = [n for n in postorder(root, parents) if not n.is_leaf]  # the generic walk, leaves dropped
    assert topological_order(root, include_leaves=False) == expected
    before = [x.grad for x in leaves]
    assert backward_order(root) == expected
    assert all(n.grad == 0.0 and type(n.grad) is float for n in expected)
    assert [x.grad for x in leaves] == before  # leaves are neither walked nor touched


def test_backward_order_walks_a_node_whose_grad_a_user_set_to_an_int() -> None:
    x = Value(2.0)
    h = x * x
    h.grad = 0  # micrograd-style code writes ints; it must not look like a walk mark
    y = h.tanh() + h
    assert backward_order(y) == [h, y._a, y]


class _Interrupting:
    """An operand that interrupts the walk the moment it is looked at."""

    @property
    def _a(self) -> None:
        raise KeyboardInterrupt


def test_an_interrupted_backward_order_leaves_no_mark_in_any_grad() -> None:
    x = Value(0.5)
    inner = [(x * float(i)).tanh() for i in range(1, 5)]
    node = sum_values(inner)
    node._a = (*node._a, _Interrupting())  # the walk reaches it after the first parent's subtree
    node._da = (*node._da, 1.0)
    root = node * 2.0
    with pytest.raises(KeyboardInterrupt):
        backward_order(root)
    for n in (root, node, *inner, *(t._a for t in inner)):
        assert type(n.grad) is float, n


@pytest.mark.parametrize("seed", range(30))
def test_backward_matches_a_backward_that_skips_nothing(seed: int) -> None:
    leaves, root = random_graph(seed)
    expected = reference_backward(root)
    root.backward()
    for i, x in enumerate(leaves):
        # the same terms added in the same order; skipped terms are all exactly zero
        assert x.grad == expected.get(x, 0.0), f"leaf {i}"


def test_a_graph_with_dead_relus_gets_the_same_gradients_as_the_reference() -> None:
    w = [Value(v) for v in (0.5, -1.0, 0.25)]
    hidden = [dot(w, [x, 1.0, -x], w[0]).relu() for x in (-3.0, -1.0, 0.5, 4.0, 6.0)]
    root = sum_values(hidden) * 2.0
    assert any(h.data == 0.0 for h in hidden) and any(h.data > 0.0 for h in hidden)
    expected = reference_backward(root)
    root.backward()
    assert [p.grad for p in w] == [expected[p] for p in w]


def test_zero_gradient_times_an_infinite_local_gradient_is_nan_as_in_torch() -> None:
    torch = require("torch")
    # d/dx log x = 1/x is inf at 0; relu(-inf) passes back a zero gradient; 0 · inf = nan
    x = Value(0.0)
    x.log().relu().backward()
    tx = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    tx.log().relu().backward()
    assert math.isnan(tx.grad.item())
    assert math.isnan(x.grad)


def test_a_zero_seed_still_propagates_nan_through_infinite_local_gradients() -> None:
    torch = require("torch")
    x = Value(0.0)
    y = x.log() * 3.0
    y.backward(0.0)
    tx = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (tx.log() * 3.0).backward(torch.tensor(0.0, dtype=torch.float64))
    assert math.isnan(tx.grad.item()) and math.isnan(x.grad)


def test_zero_seed_gives_zero_gradients_when_everything_is_finite() -> None:
    a, b = Value(2.0), Value(-3.0)
    ((a * b).tanh() + a).backward(0.0)
    assert a.grad == 0.0 and b.grad == 0.0


def test_dead_units_do_not_change_a_trained_mlps_gradients_against_torch() -> None:
    torch = require("torch")
    rng = random.Random(3)
    w1 = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(8)]
    w2 = [rng.uniform(-1, 1) for _ in range(8)]
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(10)]
    vw1 = [[Value(v) for v in row] for row in w1]
    vw2 = [Value(v) for v in w2]
    out = sum_values([dot(vw2, [dot(row, x).relu() for row in vw1]).tanh() for x in xs])
    out.backward()
    tw1 = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    tw2 = torch.tensor(w2, dtype=torch.float64, requires_grad=True)
    tx = torch.tensor(xs, dtype=torch.float64)
    torch.tanh(torch.relu(tx @ tw1.T) @ tw2).sum().backward()
    dead = sum(1 for x in xs for row in w1 if sum(a * b for a, b in zip(row, x)) <= 0)
    assert dead > 10  # the skip is exercised
    for i in range(8):
        assert close(vw2[i].grad, tw2.grad[i].item())
        for j in range(3):
            assert close(vw1[i][j].grad, tw1.grad[i, j].item())
