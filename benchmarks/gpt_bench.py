"""Workload (f): one training step of the tiny GPT of :mod:`gpt` (forward, backward, Adam) on each engine.

Every engine starts from the same weights and trains on the same sequences, one per step; the
first step's loss is compared across engines. Each timed run is a few steps in a row (one for
the slow engines), each on the next sequence, so a recorded tape is replayed on tokens it has
not seen. Times are per 1,000 steps.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from typing import Any

from compiled import compiler_missing, empty_cache
from gpt import (
    BASELINE_OPS,
    BETAS,
    EPS,
    FULL,
    LR,
    QUICK,
    Ops,
    Scalar,
    Sizes,
    adam_step,
    init,
    loss,
    one_hot,
    scalar_ops,
    sequences,
)
from harness import Budget, fmt_ratio, fmt_seconds, measure, say, table
from peers import Task
from torch_peers import torch_or_none

from autograd import Value, dot, logsumexp, matvec, record, sum_values

STEPS = 1000


def _cycler(count: int) -> Callable[[], int]:
    """The index of the next sequence, cycling: each call is one more step."""
    state = {"i": -1}

    def advance() -> int:
        state["i"] = (state["i"] + 1) % count
        return state["i"]

    return advance


def _steps(run: Callable[[], float], reps: int) -> Callable[[], float]:
    """``reps`` steps in a row; the first one's loss."""

    def steps() -> float:
        first = run()
        for _ in range(reps - 1):
            run()
        return first

    return steps


def _matrices(weights: dict[str, list[list[float]]], make: Callable[[float], Any]) -> tuple[dict[str, list[list[Any]]], list[Any]]:
    p = {name: [[make(w) for w in row] for row in rows] for name, rows in weights.items()}
    return p, [x for rows in p.values() for row in rows for x in row]


class Baseline:
    name = "tiny engine (baseline)"

    def missing(self) -> str | None:
        return None

    def task(self, sizes: Sizes, weights: dict[str, list[list[float]]], seqs: list[list[int]]) -> Task:
        p, params = _matrices(weights, Scalar)
        m, v = [0.0] * len(params), [0.0] * len(params)
        t = [0]
        nxt = _cycler(len(seqs))

        def step() -> float:
            seq = seqs[nxt()]
            out = loss(sizes, BASELINE_OPS, p, seq[:-1], seq[1:], by_index=True)
            for q in params:
                q.grad = 0.0
            out.backward()
            t[0] += 1
            adam_step(params, m, v, t[0])
            return float(out.data)

        return Task(step, lambda: None)


VALUEGRAD_OPS = Ops(dot, matvec, sum_values, logsumexp, Value.relu)


class ValuegradGPT:
    name = "valuegrad"
    backend = ""

    def missing(self) -> str | None:
        return None

    def setup(self, sizes: Sizes, weights: dict[str, list[list[float]]]) -> tuple[dict[str, list[list[Any]]], list[Any], Any]:
        from nn import Adam

        p, params = _matrices(weights, Value)
        return p, params, Adam(params, lr=LR, betas=BETAS, eps=EPS)

    def task(self, sizes: Sizes, weights: dict[str, list[list[float]]], seqs: list[list[int]]) -> Task:
        p, params, optimizer = self.setup(sizes, weights)
        nxt = _cycler(len(seqs))

        def step() -> float:
            seq = seqs[nxt()]
            out = loss(sizes, VALUEGRAD_OPS, p, seq[:-1], seq[1:], by_index=True)
            optimizer.zero_grad()
            out.backward()
            optimizer.step()
            return out.data

        return Task(step, lambda: None)


class ValuegradGPTReplay(ValuegradGPT):
    name = "valuegrad replay"
    backend = "python"

    def recorded(self, sizes: Sizes, weights: dict[str, list[list[float]]], seqs: list[list[int]]) -> tuple[Any, Any, Any, float]:
        p, params, optimizer = self.setup(sizes, weights)
        first = seqs[0]
        start = time.perf_counter()
        tape = record(
            lambda tokens, targets: loss(sizes, VALUEGRAD_OPS, p, tokens, targets, by_index=False),
            one_hot(sizes, first[:-1]), one_hot(sizes, first[1:]), backend=self.backend,
        )  # fmt: skip
        return tape, params, optimizer, time.perf_counter() - start

    def task(self, sizes: Sizes, weights: dict[str, list[list[float]]], seqs: list[list[int]]) -> Task:
        tape, _, optimizer, recording = self.recorded(sizes, weights, seqs)
        hot = [(one_hot(sizes, s[:-1]), one_hot(sizes, s[1:])) for s in seqs]
        nxt = _cycler(len(seqs))

        def step() -> float:
            tokens, targets = hot[nxt()]
            optimizer.zero_grad()
            out: float = tape(tokens, targets)
            optimizer.step()
            return out

        return Task(step, lambda: None, recording)


class ValuegradGPTC(ValuegradGPTReplay):
    name = "valuegrad C tape"
    backend = "c"

    def missing(self) -> str | None:
        return compiler_missing()

    def task(self, sizes: Sizes, weights: dict[str, list[list[float]]], seqs: list[list[int]]) -> Task:
        from autograd.tape.cbackend import Trainer
        from nn.update_rules import AdamRule

        with empty_cache():  # the compiler really runs, and is part of the recording's time
            tape, params, _, recording = self.recorded(sizes, weights, seqs)
        trainer = Trainer(params, AdamRule(lr=LR, betas=BETAS, eps=EPS))
        flat = array("d")
        for s in seqs:  # every sequence's one-hot inputs and targets, one after the other
            for row in one_hot(sizes, s[:-1]) + one_hot(sizes, s[1:]):
                flat.extend(row)
        width = 2 * sizes.block * sizes.vocab
        view = memoryview(flat)
        nxt = _cycler(len(seqs))

        def step() -> float:
            i = nxt()
            out: float = trainer.step_flat(tape, view[i * width : (i + 1) * width], 1)[0]
            return out

        task = Task(step, lambda: None, recording)
        task.tape = tape  # type: ignore[attr-defined]
        return task


class TorchScalarGPT:
    name = "PyTorch 0-d tensors"

    def missing(self) -> str | None:
        return None if torch_or_none() is not None else "not installed"

    def task(self, sizes: Sizes, weights: dict[str, list[list[float]]], seqs: list[list[int]]) -> Task:
        t = torch_or_none()
        p, params = _matrices(weights, lambda w: t.tensor(w, dtype=t.float64, requires_grad=True))
        ops = scalar_ops(t.relu, t.exp, t.log, lambda x: float(x.item()))
        optimizer = t.optim.Adam(params, lr=LR, betas=BETAS, eps=EPS)
        nxt = _cycler(len(seqs))

        def step() -> float:
            seq = seqs[nxt()]
            out = loss(sizes, ops, p, seq[:-1], seq[1:], by_index=True)
            optimizer.zero_grad()
            out.backward()
            optimizer.step()
            return float(out.item())

        return Task(step, lambda: None)


class TorchVectorGPT:
    name = "PyTorch vectorised"

    def missing(self) -> str | None:
        return None if torch_or_none() is not None else "not installed"

    def task(self, sizes: Sizes, weights: dict[str, list[list[float]]], seqs: list[list[int]]) -> Task:
        t = torch_or_none()
        p = {name: t.tensor(rows, dtype=t.float64, requires_grad=True) for name, rows in weights.items()}
        optimizer = t.optim.Adam(list(p.values()), lr=LR, betas=BETAS, eps=EPS)
        data = t.tensor(seqs, dtype=t.long)
        n, hd, heads = sizes.block, sizes.head_dim, sizes.heads
        mask = t.ones(n, n, dtype=t.bool).tril()
        nxt = _cycler(len(seqs))

        def rmsnorm(x: Any) -> Any:
            return x * ((x * x).mean(-1, keepdim=True) + 1e-5) ** -0.5

        def step() -> float:
            seq = data[nxt()]
            x = p["wte"][seq[:-1]] + p["wpe"]
            h = rmsnorm(x)
            q, k, v = (h @ p[w].T for w in ("wq", "wk", "wv"))
            q, k, v = (z.view(n, heads, hd).transpose(0, 1) for z in (q, k, v))
            att = (q @ k.transpose(1, 2)) * (1.0 / hd**0.5)
            att = att.masked_fill(~mask, float("-inf")).softmax(-1)
            x = x + (att @ v).transpose(0, 1).reshape(n, sizes.dim) @ p["wo"].T
            x = x + t.relu(rmsnorm(x) @ p["w1"].T) @ p["w2"].T
            out = t.nn.functional.cross_entropy(x @ p["lm"].T, seq[1:])
            optimizer.zero_grad()
            out.backward()
            optimizer.step()
            return float(out.item())

        return Task(step, lambda: None)


def workload_f(quick: bool) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    say(f"(f) one training step of a tiny GPT: {sizes.block} tokens, vocabulary {sizes.vocab}, width {sizes.dim}, "
        f"{sizes.heads} heads, MLP {sizes.hidden}, rmsnorm, Adam; {sizes.n_params():,} parameters; time per 1,000 steps")
    weights = init(sizes)
    seqs = sequences(sizes, 64)
    fast = Budget(1, 1, 0.0) if quick else Budget(min_runs=10, max_runs=200, seconds=2.0)
    slow = Budget(1, 1, 0.0) if quick else Budget(min_runs=3, max_runs=3, seconds=0.0)
    results: dict[str, Any] = {}
    rows: list[list[str]] = []
    base: float | None = None
    engines = [Baseline(), ValuegradGPT(), ValuegradGPTReplay(), ValuegradGPTC(), TorchScalarGPT(), TorchVectorGPT()]
    for engine in engines:
        missing = engine.missing()
        if missing:
            rows.append([engine.name, "-", "-", "-", "-", missing])
            results[engine.name] = {"error": missing}
            continue
        task = engine.task(sizes, weights, seqs)
        slow_engine = isinstance(engine, (Baseline, TorchScalarGPT))
        # a timed run is a few steps in a row, as in training (the harness collects garbage before
        # each run, which leaves the caches cold: for a step of a fraction of a millisecond, that
        # would be most of what is measured)
        reps = 1 if slow_engine or quick else (2 if isinstance(engine, ValuegradGPT) and not engine.backend else 20)
        timing = measure(_steps(task.run, reps), slow if slow_engine else fast, setup=task.reset)
        step_seconds = timing.median / reps
        per = step_seconds * STEPS
        if base is None:
            base = step_seconds
        note = ""
        if task.setup_seconds is not None:
            note = f"recorded once, untimed: {fmt_seconds(task.setup_seconds)}"
        if isinstance(engine, ValuegradGPTC):
            tape = task.tape  # type: ignore[attr-defined]
            note += f"; {len(tape)} ops in {tape.layout.groups} loops, compiled in {fmt_seconds(tape.compile_seconds)}; Adam in C"
        elif isinstance(engine, Baseline):
            note = "written here: __slots__, stored local derivatives, iterative sort, no fusion"
        runs = f"{timing.runs}×{reps}" if reps > 1 else str(timing.runs)
        rows.append([engine.name, fmt_seconds(per), fmt_ratio(base / step_seconds), runs, f"{timing.result:.12f}", note])
        results[engine.name] = {"seconds_per_step": step_seconds, "runs": timing.runs, "steps_per_run": reps,
                                "first_loss": timing.result}
    say(table(["engine", "per 1,000 steps", "× baseline", "runs × steps", "loss, step 1", "note"], rows))
    base_entry = results.get(Baseline.name, {})
    if "seconds_per_step" in base_entry:
        for name, target in (("valuegrad", 3), ("valuegrad C tape", 1000)):
            entry = results.get(name, {})
            if "seconds_per_step" in entry:
                speedup = base_entry["seconds_per_step"] / entry["seconds_per_step"]
                results[f"{name} speedup"] = speedup
                say(f"  {name} is {speedup:,.2f}× faster than the baseline engine (target ≥ {target:,}×: "
                    f"{'met' if speedup >= target else 'NOT met'})")
    losses = [r["first_loss"] for r in results.values() if isinstance(r, dict) and "first_loss" in r]
    spread = max(losses) - min(losses)
    results["loss_spread"] = spread
    say(f"  every engine computed the same first loss, within {spread:.1e}")
    if "seconds_per_step" in results.get(ValuegradGPTC.name, {}):
        gap = _steps_gap(sizes, weights, seqs[:4])
        results["c_steps_gap"] = gap
        say(f"  four steps from the same weights, three of them on sequences the tape never saw: the C tape's losses "
            f"are valuegrad's within {gap:.1e} (embeddings looked up by index there, by one-hot dot products here)")
    return results


def _steps_gap(sizes: Sizes, weights: dict[str, list[list[float]]], seqs: list[list[int]]) -> float:
    """The largest difference between valuegrad's losses and the C tape's (recorded on ``seqs[0]``),
    training from ``weights`` on each of ``seqs`` in turn."""
    normal = ValuegradGPT().task(sizes, weights, seqs)
    compiled = ValuegradGPTC().task(sizes, weights, seqs)
    return max(abs(normal.run() - compiled.run()) for _ in seqs)
