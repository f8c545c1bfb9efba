"""A tiny GPT written on scalars: a character-level transformer whose every number is one node.

The model reads up to ``block`` tokens and, at every position, gives a score (a *logit*) to each
token of the vocabulary as the next one. One transformer block sits between the embeddings and
the scores:

1. **embeddings**: each token id picks a row of ``wte`` (what the token is), and each position a
   row of ``wpe`` (where it is); their sum is the token's vector ``x`` of ``dim`` numbers;
2. **attention**: from an rmsnorm of ``x`` each position makes a query, a key and a value (``wq``,
   ``wk``, ``wv``), split into ``heads`` heads. A head at position t scores every position s ≤ t
   by ``q_t · k_s / √head_dim``, turns the scores into weights with a softmax, and outputs the
   weighted average of the values ``v_s``: a *causal* average over the past, never the future.
   The heads' outputs side by side go through ``wo`` and are *added* to ``x`` (a residual);
3. **MLP**: ``x += w2 · relu(w1 · rmsnorm(x))``, a second residual;
4. **the head**: ``logits = lm · x``; the loss is the mean over positions of the cross-entropy
   ``logsumexp(logits) − logits[next token]``.

``rmsnorm(x) = x / √(mean(x²) + 10⁻⁵)`` rescales a vector to a root-mean-square of about 1, so
that the dot products after it stay of a sensible size whatever the residuals have added.

The model is written once over a few operations (:class:`Ops`), so the same code runs on
valuegrad's Values (:data:`VALUE_OPS`, with the fused ``dot``, ``matvec`` and ``logsumexp``), on
plain floats (:data:`FLOAT_OPS`, to sample quickly), and in the benchmarks on other engines.

Tokens come in three forms. Built anew each step, the graph looks an embedding up by index. A
plain index read while recording (:func:`autograd.record`) would be baked into the tape, so
:meth:`GPT.record` takes *one-hot* rows and computes ``wte`` ᵀ· one-hot, which selects the same
numbers (every other term is 0) for any token at replay. :meth:`GPT.token_loss` looks up with
:func:`autograd.take`, an op whose index is one of the tape's inputs: what :class:`nn.gpt_training.Training`
replays through :func:`autograd.compiled`. All three give the same loss.

Inside an active :func:`autograd.group`, the model names its parts as groups, for drawings:
``embedding``; ``block 1 › attention``, which holds ``rmsnorm``, ``output`` (``wo`` and the
residual) and ``head h`` (h from 1), which holds ``queries, keys, values`` (the
head's slices of them at every position) and ``position t`` (t from 1: the head at that
position, its scores, softmax and output); ``block 1 › mlp``; ``lm head`` (the logits);
``cross-entropy loss``.

>>> model = GPT(Sizes(vocab=5, dim=4, heads=2, block=4, hidden=8), seed=0)
>>> len(model.parameters())
184
>>> loss = model.loss([1, 2, 3, 4], [2, 3, 4, 0])
>>> abs(loss.data - math.log(5)) < 0.1        # an untrained model guesses about uniformly
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from autograd import Tape, Value, dot, logsumexp, matvec, record, sum_values, take
from autograd.groups import in_group, subgroup

from .module import Module

__all__ = ["Sizes", "Ops", "VALUE_OPS", "TOKEN_OPS", "FLOAT_OPS", "Weights", "init_weights", "one_hot", "rmsnorm", "attend", "embed",
           "project", "heads_at", "forward", "loss", "GPT"]  # fmt: skip

#: The weight matrices of a model, by name, each a list of rows (of Values, floats, ...).
Weights = dict[str, list[list[Any]]]


def check_count_of(value: Any, name: str, minimum: int = 1) -> int:
    """``value`` if it is an int (not a bool) of at least ``minimum``: else TypeError or ValueError naming ``name``."""
    wanted = "a positive int" if minimum == 1 else f"an int >= {minimum}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} expects {wanted}, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} expects {wanted}, got {value!r}")
    return value


@dataclass(frozen=True)
class Sizes:
    """The model's sizes: the vocabulary, the width of a token's vector, the attention heads (which
    share the width: each has ``dim // heads`` numbers), the tokens per sequence, the MLP's width.

    The defaults make the model of benchmark (f): 4,192 parameters for 27 tokens.

    >>> Sizes().n_params(), Sizes(vocab=32).n_params()
    (4192, 4352)
    """

    vocab: int = 27
    dim: int = 16
    heads: int = 4
    block: int = 16
    hidden: int = 64

    def __post_init__(self) -> None:
        for name in ("vocab", "dim", "heads", "block", "hidden"):
            check_count_of(getattr(self, name), f"Sizes: {name}")
        if self.dim % self.heads:
            raise ValueError(f"Sizes: dim expects a multiple of heads={self.heads}, got dim={self.dim}")

    @property
    def head_dim(self) -> int:
        """The numbers per head: the width split evenly between the heads."""
        return self.dim // self.heads

    def shapes(self) -> dict[str, tuple[int, int]]:
        """The weight matrices, each as (rows, columns), in the order every engine lists them."""
        v, d, t, h = self.vocab, self.dim, self.block, self.hidden
        return {"wte": (v, d), "wpe": (t, d), "wq": (d, d), "wk": (d, d), "wv": (d, d), "wo": (d, d),
                "w1": (h, d), "w2": (d, h), "lm": (v, d)}  # fmt: skip

    def n_params(self) -> int:
        """The number of parameters: 2·vocab·dim + block·dim + 4·dim² + 2·hidden·dim."""
        return sum(r * c for r, c in self.shapes().values())


def _call_exp(x: Any) -> Any:
    return x.exp()


def _index(rows: Sequence[Any], i: Any) -> Any:
    return rows[i]


@dataclass(frozen=True)
class Ops:
    """What the model needs from an engine: ``dot(a, b)`` (Σ aᵢbᵢ), ``matvec(rows, x)`` (one dot
    per row), ``total(xs)`` (Σ xᵢ), ``lse(xs)`` (log Σ e^xᵢ, stable for large xᵢ), ``relu(x)``,
    ``exp(x)`` (by default the number's own ``.exp()``) and ``pick(rows, i)``, a lookup by a
    token (by default ``rows[i]``); the rest is ``+ - * **``."""

    dot: Callable[[Sequence[Any], Sequence[Any]], Any]
    matvec: Callable[[Sequence[Sequence[Any]], Sequence[Any]], list[Any]]
    total: Callable[[Sequence[Any]], Any]
    lse: Callable[[Sequence[Any]], Any]
    relu: Callable[[Any], Any]
    exp: Callable[[Any], Any] = _call_exp
    pick: Callable[[Sequence[Any], Any], Any] = _index


def _float_dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


def _float_lse(xs: Sequence[float]) -> float:
    m = max(xs)
    return m + math.log(sum(math.exp(x - m) for x in xs))


#: valuegrad's engine: every ``dot`` (and each row of a ``matvec``) and ``logsumexp`` is one node.
VALUE_OPS = Ops(dot, matvec, sum_values, logsumexp, Value.relu, Value.exp)
#: The same, with every lookup by a token an :func:`autograd.take` node: the token may then be a
#: tape's input, and one tape serves every token (the nodes and numbers are those of a lookup).
TOKEN_OPS = replace(VALUE_OPS, pick=take)
#: Plain floats: the same model with no graph at all (to sample, or to check a result).
FLOAT_OPS = Ops(
    _float_dot, lambda rows, x: [_float_dot(r, x) for r in rows], sum, _float_lse, lambda x: max(x, 0.0), math.exp
)


def init_weights(sizes: Sizes, seed: int = 0, std: float = 0.08) -> dict[str, list[list[float]]]:
    """Starting weights drawn from a Gaussian of mean 0 and standard deviation ``std``, the same
    for the same ``seed``: small, so the first logits are all near 0 and the first guesses near
    uniform (a loss near log vocab)."""
    rng = random.Random(seed)
    return {name: [[rng.gauss(0.0, std) for _ in range(c)] for _ in range(r)] for name, (r, c) in sizes.shapes().items()}


def as_tokens(tokens: Any, sizes: Sizes, name: str) -> list[int]:
    if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
        raise TypeError(f"{name} expects a list of token ids, got {type(tokens).__name__}")
    for i, t in enumerate(tokens):
        if isinstance(t, bool) or not isinstance(t, int):
            raise TypeError(f"{name}[{i}] expects a token id (an int), got {type(t).__name__} {t!r}")
        if not 0 <= t < sizes.vocab:
            raise ValueError(f"{name}[{i}] expects a token id from 0 to {sizes.vocab - 1}, got {t!r}")
    return list(tokens)


def one_hot(sizes: Sizes, tokens: Sequence[int]) -> list[list[float]]:
    """Each token id as a row of ``sizes.vocab`` numbers: 1.0 at the token, 0.0 elsewhere.

    >>> one_hot(Sizes(vocab=3, dim=2, heads=1), [2, 0])
    [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    return [[float(j == t) for j in range(sizes.vocab)] for t in as_tokens(tokens, sizes, "one_hot: tokens")]


def rmsnorm(ops: Ops, x: Sequence[Any]) -> list[Any]:
    """``x / √(mean(x²) + 10⁻⁵)``: the vector rescaled to a root-mean-square of about 1.

    >>> [round(v, 4) for v in rmsnorm(FLOAT_OPS, [3.0, -4.0])]     # mean(x²) = 12.5
    [0.8485, -1.1314]
    """
    scale = (ops.dot(x, x) * (1.0 / len(x)) + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def attend(ops: Ops, q: Sequence[Any], keys: Sequence[Sequence[Any]], values: Sequence[Sequence[Any]]) -> tuple[list[Any], list[Any]]:
    """One attention head at one position: (its output, the attention weights).

    Each key kₛ gets the score ``q · kₛ / √len(q)``; the weights are the softmax of the scores,
    ``wₛ = exp(scoreₛ − logsumexp(scores))``, which are positive and add up to 1; the output is the
    weighted average ``Σ wₛ vₛ`` of the value vectors. A causal head is given the keys and values
    of the positions up to its own, and no later one.

    >>> out, w = attend(FLOAT_OPS, [1.0, 0.0], [[0.0, 0.0], [0.0, 0.0]], [[2.0, 0.0], [4.0, 1.0]])
    >>> w, out                                    # equal scores: the plain average
    ([0.5, 0.5], [3.0, 0.5])
    """
    scale = 1.0 / math.sqrt(len(q))
    scores = [ops.dot(q, k) * scale for k in keys]
    norm = ops.lse(scores)
    weights = [ops.exp(s - norm) for s in scores]
    out = [ops.dot(weights, [v[j] for v in values]) for j in range(len(values[0]))]
    return out, weights


def embed(sizes: Sizes, ops: Ops, p: Weights, inputs: Sequence[Any], by_index: bool) -> list[list[Any]]:
    """Each position's vector: its token's row of ``wte`` plus the position's row of ``wpe``.
    ``inputs`` are token ids when ``by_index``, else one-hot rows (``wte``'s columns · the row)."""
    if len(inputs) > sizes.block:
        raise ValueError(f"embed: inputs expects at most block={sizes.block} tokens, got {len(inputs)}")
    columns = [] if by_index else [[p["wte"][v][j] for v in range(sizes.vocab)] for j in range(sizes.dim)]
    xs = []
    with subgroup("embedding"):
        for t, token in enumerate(inputs):
            row = ops.pick(p["wte"], token) if by_index else ops.matvec(columns, token)
            xs.append([e + q for e, q in zip(row, p["wpe"][t])])
    return xs


def project(
    ops: Ops, p: Weights, xs: Sequence[Sequence[Any]], heads: int = 1
) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]]]:
    """The queries, keys and values of every position: ``wq``, ``wk`` and ``wv`` times rmsnorm(x).

    Inside an active :func:`autograd.group`, the rows that make head h's slice of them are
    computed in the group ``head h › queries, keys, values`` (the same nodes: row i of a matvec
    is one dot either way).
    """
    qs: list[list[Any]] = []
    ks: list[list[Any]] = []
    vs: list[list[Any]] = []
    for x in xs:
        with subgroup("rmsnorm"):
            h = rmsnorm(ops, x)
        if heads > 1 and in_group():
            for out, name in ((qs, "wq"), (ks, "wk"), (vs, "wv")):
                rows, size = p[name], len(p[name]) // heads
                row: list[Any] = []
                for k in range(heads):
                    with subgroup(f"head {k + 1}"), subgroup("queries, keys, values"):
                        row += ops.matvec(rows[k * size : (k + 1) * size], h)
                out.append(row)
            continue
        qs.append(ops.matvec(p["wq"], h))
        ks.append(ops.matvec(p["wk"], h))
        vs.append(ops.matvec(p["wv"], h))
    return qs, ks, vs


def heads_at(sizes: Sizes, ops: Ops, qs: Sequence[Sequence[Any]], ks: Sequence[Sequence[Any]], vs: Sequence[Sequence[Any]], t: int) -> list[Any]:
    """Every head's output at position ``t``, side by side: head h attends with the h-th slice of
    ``head_dim`` numbers of the queries, keys and values of positions 0..t (:func:`attend`)."""
    hd, out = sizes.head_dim, []
    for h in range(sizes.heads):
        part = slice(h * hd, (h + 1) * hd)
        with subgroup(f"head {h + 1}"), subgroup(f"position {t + 1}"):
            out += attend(ops, qs[t][part], [k[part] for k in ks[: t + 1]], [v[part] for v in vs[: t + 1]])[0]
    return out


def forward(sizes: Sizes, ops: Ops, p: Weights, inputs: Sequence[Any], by_index: bool = True, only_last: bool = False) -> list[list[Any]]:
    """The logits at every position (``only_last``: at the last one only): row t scores each token as
    the one after ``inputs[t]``, having seen ``inputs[0..t]`` only."""
    xs = embed(sizes, ops, p, inputs, by_index)
    with subgroup("block 1"), subgroup("attention"):
        qs, ks, vs = project(ops, p, xs, sizes.heads)
    logits = []
    for t in [len(xs) - 1] if only_last else range(len(xs)):
        with subgroup("block 1"):
            with subgroup("attention"):
                heads = heads_at(sizes, ops, qs, ks, vs, t)
                with subgroup("output"):
                    x = [a + b for a, b in zip(xs[t], ops.matvec(p["wo"], heads))]
            with subgroup("mlp"):
                hidden = [ops.relu(z) for z in ops.matvec(p["w1"], rmsnorm(ops, x))]
                x = [a + b for a, b in zip(x, ops.matvec(p["w2"], hidden))]
        with subgroup("lm head"):
            logits.append(ops.matvec(p["lm"], x))
    return logits


def loss(sizes: Sizes, ops: Ops, p: Weights, inputs: Sequence[Any], targets: Sequence[Any], by_index: bool) -> Any:
    """The mean over positions of the cross-entropy ``logsumexp(logits) − logits[target]``: how
    surprised the model is by each next token, in nats. ``inputs`` and ``targets`` are token ids
    when ``by_index``, else one-hot rows (a recorded tape's inputs)."""
    if not inputs:
        raise ValueError("loss: inputs expects at least one token, got none")
    if len(targets) != len(inputs):
        raise ValueError(f"loss: targets expects one token per input ({len(inputs)}), got {len(targets)}")
    losses = []
    rows = forward(sizes, ops, p, inputs, by_index)
    with subgroup("cross-entropy loss"):
        for row, target in zip(rows, targets):
            picked = ops.pick(row, target) if by_index else ops.dot(row, target)
            losses.append(ops.lse(row) - picked)
        return ops.total(losses) * (1.0 / len(losses))


class GPT(Module):
    """The tiny GPT as a :class:`~nn.Module`: its weights are Values in ``self.weights`` (a dict of
    matrices named as in :meth:`Sizes.shapes`), so ``parameters()``, ``zero_grad()``, ``save()``
    and the optimizers work as for an MLP.

    * :meth:`loss` builds the graph of one sequence's loss (tokens looked up by index);
    * :meth:`record` records that loss as a tape that takes one-hot rows, to replay on any sequence;
    * :meth:`logits` and :meth:`generate` run the model on plain floats, without a graph.
    """

    def __init__(self, sizes: Sizes | None = None, seed: int = 0) -> None:
        sizes = Sizes() if sizes is None else sizes
        if not isinstance(sizes, Sizes):
            raise TypeError(f"GPT: sizes expects a Sizes, got {type(sizes).__name__}")
        self._sizes = sizes
        self.weights = {name: [[Value(w) for w in row] for row in rows] for name, rows in init_weights(sizes, seed).items()}

    @property
    def sizes(self) -> Sizes:
        return self._sizes

    def architecture(self) -> dict[str, Any]:
        return {"type": "GPT", **asdict(self._sizes)}

    def loss(self, inputs: Sequence[int], targets: Sequence[int]) -> Value:
        """The mean next-token cross-entropy of one sequence, as a graph: ``targets[t]`` is the token
        after ``inputs[t]`` (for a text, ``inputs = tokens[:-1]`` and ``targets = tokens[1:]``)."""
        sizes = self._sizes
        ins, outs = as_tokens(inputs, sizes, "GPT.loss: inputs"), as_tokens(targets, sizes, "GPT.loss: targets")
        result: Value = loss(sizes, VALUE_OPS, self.weights, ins, outs, by_index=True)
        return result

    def one_hot_loss(self, inputs: Sequence[Sequence[Any]], targets: Sequence[Sequence[Any]]) -> Value:
        """The same loss with one-hot rows for tokens: the form a recorded tape replays."""
        result: Value = loss(self._sizes, VALUE_OPS, self.weights, inputs, targets, by_index=False)
        return result

    def token_loss(self, inputs: Sequence[Any], targets: Sequence[Any]) -> Value:
        """The same loss with each lookup by a token an :func:`autograd.take` node (:data:`TOKEN_OPS`):
        the tokens may be Values, a tape's inputs, so that one tape of a length replays every
        sequence of that length (``autograd.compiled(model.token_loss)`` keeps one tape per length).
        The same numbers as :meth:`loss` and :meth:`one_hot_loss`, to the bit."""
        result: Value = loss(self._sizes, TOKEN_OPS, self.weights, inputs, targets, by_index=True)
        return result

    def record(self, backend: str = "python") -> Tape:
        """:meth:`one_hot_loss` on ``block`` tokens, recorded once: ``tape(one_hot(inputs),
        one_hot(targets))`` then replays any sequence of that length, forward and backward, and
        ``tape.batch`` a list of them. ``backend="c"`` compiles it (see :func:`autograd.record`)."""
        zeros = one_hot(self._sizes, [0] * self._sizes.block)
        return record(self.one_hot_loss, zeros, zeros, backend=backend)

    def float_weights(self) -> dict[str, list[list[float]]]:
        """The weights' current numbers, as plain floats."""
        return {name: [[w.data for w in row] for row in rows] for name, rows in self.weights.items()}

    def logits(self, tokens: Sequence[int], weights: dict[str, list[list[float]]] | None = None) -> list[list[float]]:
        """The logits at every position of ``tokens`` (at most ``block`` of them), on plain floats."""
        sizes = self._sizes
        p = self.float_weights() if weights is None else weights
        return forward(sizes, FLOAT_OPS, p, as_tokens(tokens, sizes, "GPT.logits: tokens"))

    def generate(self, prompt: Sequence[int], length: int, seed: int = 0, temperature: float = 1.0) -> list[int]:
        """``length`` new tokens after ``prompt``, each drawn from the model's next-token
        probabilities ``softmax(logits / temperature)`` given the last ``block`` tokens.

        The draws come from ``random.Random(seed)``, so a seed always gives the same text. A
        temperature below 1 sharpens the distribution towards the likeliest tokens; above 1 it
        flattens it towards uniform.
        """
        sizes = self._sizes
        tokens = as_tokens(prompt, sizes, "GPT.generate: prompt")
        if not tokens:
            raise ValueError("GPT.generate: prompt expects at least one token, got none")
        check_count_of(length, "GPT.generate: length", 0)
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)):
            raise TypeError(f"GPT.generate: temperature expects a number > 0, got {type(temperature).__name__}")
        if not temperature > 0:
            raise ValueError(f"GPT.generate: temperature expects a number > 0, got {temperature!r}")
        rng = random.Random(seed)
        weights = self.float_weights()
        for _ in range(length):
            (last,) = forward(sizes, FLOAT_OPS, weights, tokens[-sizes.block :], only_last=True)
            top = max(last)
            probs = [math.exp((z - top) / temperature) for z in last]
            tokens.append(rng.choices(range(sizes.vocab), weights=probs)[0])
        return tokens[len(prompt) :]
