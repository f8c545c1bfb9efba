"""A GPT trained on scalars, in the style of Karpathy's microgpt: documents of varying length, one
at a time, token lookups, its own Adam. Written for valuegrad (not a copy), to show that such a
program runs eagerly and, changing five lines, from tapes that :func:`autograd.compiled` records
and replays (in C with ``backend="c"``, where the parameters and Adam's state also stay), with
the same losses.

    python benchmarks/microgpt_style.py [--steps N] [--backend eager|python|c]

The documents are the words of the Zen of Python (``import this``), lower-cased: 1 to 14
letters, each framed by a boundary token. The model is one transformer block (RMSNorm,
causal multi-head attention, a ReLU MLP, residuals) over 16-number embeddings.

What makes it recordable, as ``train``'s comments point out:

* the lookups by a token are ``take(wte, token)`` and ``take(logits, target)``, ops whose index
  a tape reads on every replay (a plain ``wte[token]`` would be a guarded decision: one tape
  per token);
* softmax's max shift is inside ``logsumexp`` (read off ``.data`` it would be a constant of the
  tape, and guarded as ``max`` of Values it would change tapes with the data);
* a document of another length is another structure of arguments: ``compiled`` keeps one tape
  per length.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from autograd import Value, compiled, logsumexp, take
from nn.text import zen_of_python
from nn.update_rules import AdamRule

LR, BETA1, BETA2, EPS = 0.01, 0.85, 0.99, 1e-8


def documents(longest: int = 14) -> tuple[list[str], list[str]]:
    """The words of the Zen of Python, lower-cased, up to ``longest`` letters, in a fixed shuffled
    order; and the letters."""
    words = ["".join(ch for ch in w.lower() if ch.isalpha()) for w in zen_of_python().split()]
    docs = [w for w in words if 0 < len(w) <= longest]
    random.Random(42).shuffle(docs)
    return docs, sorted(set("".join(docs)))


class Model:
    """The parameters, as lists of rows of Values, drawn from one seed."""

    def __init__(self, vocab: int, n_embd: int = 16, n_head: int = 4, block: int = 16, seed: int = 0) -> None:
        rng = random.Random(seed)
        self.n_head, self.head_dim, self.block = n_head, n_embd // n_head, block
        N_EMBD, BLOCK = n_embd, block

        def matrix(rows: int, cols: int, std: float = 0.08) -> list[list[Value]]:
            return [[Value(rng.gauss(0.0, std)) for _ in range(cols)] for _ in range(rows)]

        self.wte, self.wpe = matrix(vocab, N_EMBD), matrix(BLOCK, N_EMBD)
        self.wq, self.wk, self.wv, self.wo = (matrix(N_EMBD, N_EMBD) for _ in range(4))
        self.fc1, self.fc2 = matrix(4 * N_EMBD, N_EMBD), matrix(N_EMBD, 4 * N_EMBD)
        self.head = matrix(vocab, N_EMBD)
        self.params = [
            p for m in (self.wte, self.wpe, self.wq, self.wk, self.wv, self.wo, self.fc1, self.fc2, self.head)
            for row in m for p in row
        ]  # fmt: skip


def linear(x: list[Any], w: list[list[Value]]) -> list[Any]:
    return [sum(wi * xi for wi, xi in zip(row, x)) for row in w]


def rmsnorm(x: list[Any]) -> list[Any]:
    scale = (sum(xi * xi for xi in x) / len(x) + 1e-5) ** -0.5
    return [xi * scale for xi in x]


def softmax(scores: list[Any]) -> list[Any]:
    total = logsumexp(scores)  # the max shift inside an op: right on every replay
    return [(s - total).exp() for s in scores]


def doc_loss(model: Model, tokens: list[Any]) -> Value:
    """The mean next-token loss over one document, ``tokens`` framed by the boundary token."""
    keys: list[list[Any]] = []
    values: list[list[Any]] = []
    losses = []
    n = min(model.block, len(tokens) - 1)
    hd = model.head_dim
    for pos in range(n):
        x = [t + p for t, p in zip(take(model.wte, tokens[pos]), model.wpe[pos])]
        x = rmsnorm(x)
        h = rmsnorm(x)
        q, k, v = linear(h, model.wq), linear(h, model.wk), linear(h, model.wv)
        keys.append(k)
        values.append(v)
        attended: list[Any] = []
        for head in range(model.n_head):
            lo, hi = head * hd, (head + 1) * hd
            scores = [sum(a * b for a, b in zip(q[lo:hi], kt[lo:hi])) * hd**-0.5 for kt in keys]
            weights = softmax(scores)
            attended += [sum(w * vt[j] for w, vt in zip(weights, values)) for j in range(lo, hi)]
        x = [a + b for a, b in zip(x, linear(attended, model.wo))]
        h = [u.relu() for u in linear(rmsnorm(x), model.fc1)]
        x = [a + b for a, b in zip(x, linear(h, model.fc2))]
        logits = linear(x, model.head)
        losses.append(logsumexp(logits) - take(logits, tokens[pos + 1]))
    return sum(losses) * (1.0 / n)


def adam(params: list[Value], m: list[float], v: list[float], lr: float, t: int) -> None:
    """The program's own Adam, step ``t`` (from 1), with bias correction; then the gradients are
    cleared. Written as PyTorch writes it (the step size and ``√(1 − β₂ᵗ)`` taken out of the loop),
    so that ``nn.update_rules.AdamRule``, the same arithmetic in C, gives the same bits."""
    step_size = lr / (1.0 - BETA1**t)
    sqrt_bias2 = math.sqrt(1.0 - BETA2**t)
    for i, p in enumerate(params):
        g = p.grad
        m[i] = BETA1 * m[i] + (1.0 - BETA1) * g
        v[i] = BETA2 * v[i] + (1.0 - BETA2) * g * g
        p.data = p.data - step_size * m[i] / (math.sqrt(v[i]) / sqrt_bias2 + EPS)
        p.grad = 0.0


def train(
    steps: int, backend: str = "eager", sizes: tuple[int, int, int, int] = (16, 4, 16, 14), seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train for ``steps`` documents; ``backend`` is ``"eager"`` (the normal engine) or the back end
    of :func:`autograd.compiled` (``"python"`` or ``"c"``); ``sizes`` are the embedding's width, the
    heads, the context and the longest word. Returns the losses, the timings (``first``: the first
    step, which records; ``recording``: all steps that recorded; ``per_step``: the mean of the
    others; ``times``, ``cpu_times`` and ``recorded``: each step's time and processor time, and
    whether it recorded) and the
    parameters' final numbers (``final``).

    The lines marked (1) to (5) are the whole change from eager to compiled: the step is wrapped
    once, with the parameters and Adam given to it (with ``backend="c"`` both stay in C between
    documents: Adam's arithmetic is ``nn.update_rules.AdamRule``, the same as :func:`adam`'s to the
    bit), and read back at the end.
    """
    n_embd, n_head, block, longest = sizes
    docs, letters = documents(longest)
    boundary = len(letters)
    model = Model(len(letters) + 1, n_embd, n_head, block, seed)
    m = [0.0] * len(model.params)
    v = [0.0] * len(model.params)
    losses: list[float] = []
    step_fn = None
    if backend != "eager":  # (1) the step, compiled, with the parameters and Adam beside it
        step_fn = compiled(lambda t: doc_loss(model, t), backend=backend, max_tapes=32, params=model.params, rule=AdamRule(LR, (BETA1, BETA2), EPS))  # fmt: skip
    started = time.perf_counter()
    replays: list[float] = []  # the steps that did not record: what a tape costs once it exists
    recording: list[float] = []
    times: list[float] = []  # every step's (and its processor time), and whether it recorded
    cpu_times: list[float] = []
    recorded: list[bool] = []
    for step in range(steps):
        began, cpu, before = time.perf_counter(), time.process_time(), 0 if step_fn is None else step_fn.recordings
        doc = docs[step % len(docs)]
        tokens = [boundary] + [letters.index(ch) for ch in doc] + [boundary]
        lr = LR * (1.0 - step / steps)
        if step_fn is None:  # eagerly: the graph is built, backpropagated, and Adam steps
            loss = doc_loss(model, tokens)
            loss.backward()
            losses.append(loss.data)
            adam(model.params, m, v, lr, step + 1)
        else:
            losses.append(step_fn(tokens))  # (2) forward and backward, from a tape
            step_fn.update(lr)  # (3) Adam (in C with backend="c")
            step_fn.zero_grad()  # (4)
        times.append(time.perf_counter() - began)
        cpu_times.append(time.process_time() - cpu)
        recorded.append(step_fn is not None and step_fn.recordings != before)
        (recording if recorded[-1] else replays).append(times[-1])
        if log is not None and (step + 1) % max(1, steps // 10) == 0:
            log(f"step {step + 1:5} / {steps}: loss {losses[-1]:.4f}")
    if step_fn is not None:
        step_fn.sync()  # (5) the parameters' numbers back into the Values
    seconds = time.perf_counter() - started
    recordings = 0 if step_fn is None else step_fn.recordings
    per_step = sum(replays) / len(replays) if replays else math.nan
    return {
        "losses": losses, "seconds": seconds, "recordings": recordings, "params": len(model.params),
        "per_step": per_step, "first": (recording or replays)[0] if steps else math.nan,
        "recording": sum(recording), "final": [p.data for p in model.params], "times": times, "cpu_times": cpu_times, "recorded": recorded,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--backend", choices=["eager", "python", "c"], default="c")
    parser.add_argument("--sizes", default="16,4,16,14", help="width,heads,context,longest word (default 16,4,16,14)")
    args = parser.parse_args(argv)
    sizes = tuple(int(x) for x in args.sizes.split(","))
    if len(sizes) != 4:
        parser.error(f"--sizes expects four integers, got {args.sizes!r}")
    result = train(args.steps, args.backend, sizes, log=print)  # type: ignore[arg-type]
    print(
        f"{args.backend}: {args.steps} documents in {result['seconds']:.2f} s "
        f"({result['recordings']} tapes recorded), {result['params']} parameters; "
        f"a step without recording: {result['per_step'] * 1e3:.3f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
