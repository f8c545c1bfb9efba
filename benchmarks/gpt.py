"""The tiny GPT of workload (f), and the minimal scalar engine that is its baseline.

The model itself is :mod:`nn.gpt` (one definition, shared with notebook 10 and its tests): token
and position embeddings, one transformer block (rmsnorm, causal attention with a few heads,
rmsnorm, an MLP with ReLU, residual connections), a language-model head, and the mean
cross-entropy of predicting each next token. With :data:`FULL` it has 4,192 parameters and reads
sequences of 16 tokens (``--quick`` uses the much smaller :data:`QUICK`). It is written once,
over a small set of operations (:class:`nn.gpt.Ops`), so that every scalar engine runs the same
code: valuegrad (with its fused ``dot``/``matvec`` and ``logsumexp``), the baseline engine
below, and PyTorch with 0-d tensors.

Tokens come in two forms. An engine building its graph anew each step looks embeddings up by
index, as one would write it. A recorded tape cannot: an index read at record time would be baked
in, so the recorded function gets one-hot vectors and takes dot products with them, which select
exactly the same numbers (every other term is 0), so all engines compute the same loss.

The names the benchmarks use are kept here: ``Sizes``, ``Ops``, ``loss`` and ``one_hot`` come
from :mod:`nn.gpt`, and ``init`` is :func:`nn.gpt.init_weights`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from nn.gpt import Ops, Sizes, loss, one_hot
from nn.gpt import init_weights as init

__all__ = ["Sizes", "Ops", "loss", "one_hot", "init", "FULL", "QUICK", "LR", "BETAS", "EPS", "sequences", "Scalar",
           "scalar_ops", "BASELINE_OPS", "adam_step"]  # fmt: skip

FULL = Sizes()
QUICK = Sizes(vocab=7, dim=4, heads=2, block=4, hidden=8)
#: Adam's settings in every engine.
LR, BETAS, EPS = 0.01, (0.9, 0.999), 1e-8


def sequences(sizes: Sizes, count: int, seed: int = 1) -> list[list[int]]:
    """``count`` sequences of block + 1 tokens from a random bigram model: inputs and next tokens."""
    rng = random.Random(seed)
    follow = [[rng.randrange(sizes.vocab) for _ in range(3)] for _ in range(sizes.vocab)]
    out = []
    for _ in range(count):
        seq = [rng.randrange(sizes.vocab)]
        for _ in range(sizes.block):
            seq.append(rng.choice(follow[seq[-1]]) if rng.random() < 0.8 else rng.randrange(sizes.vocab))
        out.append(seq)
    return out


# --- the baseline: a minimal scalar engine -----------------------------------------------------


class Scalar:
    """The smallest reasonable reverse-mode engine: a number, its children and the local
    derivative towards each (stored on the forward pass), an iterative topological sort, and
    no fusion: ``w·x`` over n terms is 2n nodes."""

    __slots__ = ("data", "grad", "children", "local")

    def __init__(self, data: float, children: tuple[Scalar, ...] = (), local: tuple[float, ...] = ()) -> None:
        self.data, self.grad, self.children, self.local = data, 0.0, children, local

    def __add__(self, other: Any) -> Scalar:
        if isinstance(other, Scalar):
            return Scalar(self.data + other.data, (self, other), (1.0, 1.0))
        return Scalar(self.data + other, (self,), (1.0,))

    __radd__ = __add__

    def __mul__(self, other: Any) -> Scalar:
        if isinstance(other, Scalar):
            return Scalar(self.data * other.data, (self, other), (other.data, self.data))
        return Scalar(self.data * other, (self,), (other,))

    __rmul__ = __mul__

    def __neg__(self) -> Scalar:
        return self * -1.0

    def __sub__(self, other: Any) -> Scalar:
        return self + (-other)

    def __pow__(self, k: float) -> Scalar:
        return Scalar(self.data**k, (self,), (k * self.data ** (k - 1),))

    def exp(self) -> Scalar:
        e = math.exp(self.data)
        return Scalar(e, (self,), (e,))

    def log(self) -> Scalar:
        return Scalar(math.log(self.data), (self,), (1.0 / self.data,))

    def relu(self) -> Scalar:
        return Scalar(self.data if self.data > 0 else 0.0, (self,), (1.0 if self.data > 0 else 0.0,))

    def backward(self) -> None:
        order: list[Scalar] = []
        seen: set[int] = set()
        stack: list[tuple[Scalar, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((c, False) for c in node.children if id(c) not in seen)
        self.grad = 1.0
        for node in reversed(order):
            for child, local in zip(node.children, node.local):
                child.grad += local * node.grad


def scalar_ops(relu: Callable[[Any], Any], exp: Callable[[Any], Any], log: Callable[[Any], Any], value: Callable[[Any], float]) -> Ops:
    """The operations written with nothing but single-number ops: an engine with no fusion."""

    def dot(a: Sequence[Any], b: Sequence[Any]) -> Any:
        out = a[0] * b[0]
        for x, y in zip(a[1:], b[1:]):
            out = out + x * y
        return out

    def total(xs: Sequence[Any]) -> Any:
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out

    def lse(xs: Sequence[Any]) -> Any:
        m = max(value(x) for x in xs)  # a number, not a node: the shift against overflow
        return log(total([exp(x - m) for x in xs])) + m

    return Ops(dot, lambda rows, x: [dot(r, x) for r in rows], total, lse, relu, exp)


BASELINE_OPS = scalar_ops(Scalar.relu, Scalar.exp, Scalar.log, lambda x: x.data)


def adam_step(params: list[Any], m: list[float], v: list[float], t: int) -> None:
    """Adam on objects with ``.data`` and ``.grad``, as torch.optim.Adam (no weight decay)."""
    b1, b2 = BETAS
    step_size = LR / (1.0 - b1**t)
    sqrt_bias2 = math.sqrt(1.0 - b2**t)
    for i, p in enumerate(params):
        g = p.grad
        m[i] = b1 * m[i] + (1.0 - b1) * g
        v[i] = b2 * v[i] + (1.0 - b2) * g * g
        p.data -= step_size * m[i] / (math.sqrt(v[i]) / sqrt_bias2 + EPS)
