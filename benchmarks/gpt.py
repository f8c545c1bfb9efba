"""A tiny GPT written on scalars, and the minimal scalar engine that is the baseline of workload (f).

The model: token and position embeddings, one transformer block (rmsnorm, causal attention with
a few heads, rmsnorm, an MLP with ReLU, residual connections), a language-model head, and the
mean cross-entropy of predicting each next token. With the sizes below it has 4,192 parameters
and reads sequences of 16 tokens. (:data:`FULL`; ``--quick`` uses the much smaller :data:`QUICK`). It is written once, over a
small set of operations (:class:`Ops`),
so that every scalar engine runs the same code: valuegrad (with its fused ``dot``/``matvec`` and
``logsumexp``), the baseline engine below, and PyTorch with 0-d tensors.

Tokens come in two forms. An engine building its graph anew each step looks embeddings up by
index, as one would write it. A recorded tape cannot: an index read at record time would be baked
in, so the recorded function gets one-hot vectors and takes dot products with them, which select
exactly the same numbers (every other term is 0), so all engines compute the same loss.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sizes:
    """The model's sizes: vocabulary, width, heads, tokens per sequence, MLP width."""

    vocab: int = 27
    dim: int = 16
    heads: int = 4
    block: int = 16
    hidden: int = 64

    @property
    def head_dim(self) -> int:
        return self.dim // self.heads

    def shapes(self) -> dict[str, tuple[int, int]]:
        """The parameter matrices, each (rows, columns), in the order every engine lists them."""
        v, d, t, h = self.vocab, self.dim, self.block, self.hidden
        return {"wte": (v, d), "wpe": (t, d), "wq": (d, d), "wk": (d, d), "wv": (d, d), "wo": (d, d),
                "w1": (h, d), "w2": (d, h), "lm": (v, d)}  # fmt: skip

    def n_params(self) -> int:
        return sum(r * c for r, c in self.shapes().values())


FULL = Sizes()
QUICK = Sizes(vocab=7, dim=4, heads=2, block=4, hidden=8)
#: Adam's settings in every engine.
LR, BETAS, EPS = 0.01, (0.9, 0.999), 1e-8


def init(sizes: Sizes, seed: int = 0) -> dict[str, list[list[float]]]:
    """The starting weights: Gaussian, standard deviation 0.08."""
    rng = random.Random(seed)
    return {name: [[rng.gauss(0.0, 0.08) for _ in range(c)] for _ in range(r)] for name, (r, c) in sizes.shapes().items()}


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


def one_hot(sizes: Sizes, tokens: Sequence[int]) -> list[list[float]]:
    return [[float(j == t) for j in range(sizes.vocab)] for t in tokens]


@dataclass
class Ops:
    """What the model needs from an engine: ``dot(a, b)``, ``matvec(rows, x)``, ``total(xs)``,
    ``lse(xs)`` (log Σ e^x, with the max shift) and ``relu(x)``; the rest is ``+ - * **``."""

    dot: Callable[[Sequence[Any], Sequence[Any]], Any]
    matvec: Callable[[Sequence[Sequence[Any]], Sequence[Any]], list[Any]]
    total: Callable[[Sequence[Any]], Any]
    lse: Callable[[Sequence[Any]], Any]
    relu: Callable[[Any], Any]


def _rmsnorm(ops: Ops, x: list[Any]) -> list[Any]:
    scale = (ops.dot(x, x) * (1.0 / len(x)) + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def loss(sizes: Sizes, ops: Ops, p: dict[str, list[list[Any]]], inputs: Any, targets: Any, by_index: bool) -> Any:
    """The mean next-token cross-entropy of one sequence. ``inputs``/``targets``: token ids when
    ``by_index``, else one-hot rows (a recorded tape's inputs)."""
    hd = sizes.head_dim
    columns = [[p["wte"][v][j] for v in range(sizes.vocab)] for j in range(sizes.dim)]
    xs = []
    for t in range(sizes.block):
        token = p["wte"][inputs[t]] if by_index else ops.matvec(columns, inputs[t])
        xs.append([e + q for e, q in zip(token, p["wpe"][t])])
    qs, ks, vs = [], [], []
    for x in xs:
        h = _rmsnorm(ops, x)
        qs.append(ops.matvec(p["wq"], h))
        ks.append(ops.matvec(p["wk"], h))
        vs.append(ops.matvec(p["wv"], h))
    scale = 1.0 / math.sqrt(hd)
    losses = []
    for t in range(sizes.block):
        heads: list[Any] = []
        for h in range(sizes.heads):
            part = slice(h * hd, (h + 1) * hd)
            scores = [ops.dot(qs[t][part], ks[s][part]) * scale for s in range(t + 1)]
            norm = ops.lse(scores)
            weights = [(sc - norm).exp() for sc in scores]
            heads += [ops.dot(weights, [vs[s][h * hd + j] for s in range(t + 1)]) for j in range(hd)]
        x = [a + b for a, b in zip(xs[t], ops.matvec(p["wo"], heads))]
        hidden = [ops.relu(z) for z in ops.matvec(p["w1"], _rmsnorm(ops, x))]
        x = [a + b for a, b in zip(x, ops.matvec(p["w2"], hidden))]
        logits = ops.matvec(p["lm"], x)
        picked = logits[targets[t]] if by_index else ops.dot(logits, targets[t])
        losses.append(ops.lse(logits) - picked)
    return ops.total(losses) * (1.0 / sizes.block)


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

    return Ops(dot, lambda rows, x: [dot(r, x) for r in rows], total, lse, relu)


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
