"""Workload (e): one epoch of MLP(784, [50, 10]) on 60,000 synthetic 28×28 images, cross-entropy, SGD.

The size of an MNIST epoch, to see what the C back end does with 39,760 parameters: the tape is
recorded on ONE sample (its code does not grow with the batch) and run over each minibatch of
32 in C, the parameters kept in C (SGD in C); beside it the same per-sample tape replayed in
Python (timed on a few batches and scaled) and PyTorch vectorised on whole minibatches. The
recording and the compiling (into an empty cache, so the compiler really runs) are reported
apart from the epoch.

The images are synthetic: ten random prototypes of sparse bright pixels, each image one of them
with noise, clipped to [0, 1]; a pool of distinct images is repeated to make the epoch, which
keeps making them quick. Every engine starts from the same weights and sees the same batches.
"""

from __future__ import annotations

import math
import random
import time
from array import array
from dataclasses import dataclass
from typing import Any

from compiled import ValuegradC, epoch_of_one_sample_tape, one_hot_rows
from fixtures import batches, init_weights
from harness import Budget, fmt_seconds, measure, say, table
from peers import Task, resetter, valuegrad_mlp
from torch_peers import TorchVector, sgd_epoch, torch_or_none
from torch_threads import best_torch, extra_engines, using

#: The learning rate of the epoch.
LR = 0.05
BATCH = 32


@dataclass
class Sizes:
    side: int
    hidden: int
    samples: int
    distinct: int
    replay_batches: int
    budget: Budget


FULL = Sizes(side=28, hidden=50, samples=60_000, distinct=2_000, replay_batches=2, budget=Budget(2, 2, 0.0, warmup=0))
QUICK = Sizes(side=8, hidden=8, samples=128, distinct=64, replay_batches=1, budget=Budget(1, 1, 0.0, warmup=0))


def images(sizes: Sizes, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """``sizes.distinct`` synthetic images (pixels in [0, 1]) and their labels 0–9."""
    rng = random.Random(seed)
    pixels = sizes.side * sizes.side
    prototypes = [[1.0 if rng.random() < 0.15 else 0.0 for _ in range(pixels)] for _ in range(10)]
    xs, ys = [], []
    for _ in range(sizes.distinct):
        label = rng.randrange(10)
        xs.append([min(1.0, max(0.0, p + rng.gauss(0.0, 0.25))) for p in prototypes[label]])
        ys.append(label)
    return xs, ys


def _seconds(task: Task, budget: Budget) -> tuple[float, float]:
    timing = measure(task.run, budget, setup=task.reset)
    return timing.median, timing.result


def _torch_epoch(weights: Any, flat: array[float], labels: list[int], n: int, inputs: int) -> Task:
    """PyTorch vectorised: nn.Sequential(Linear, ReLU, Linear) on each minibatch of 32, float64."""
    t = torch_or_none()
    model = TorchVector()._model(weights)
    optimizer = t.optim.SGD(model.parameters(), lr=LR)
    rows = t.frombuffer(flat, dtype=t.float64).view(n, inputs + 10)
    x, y = rows[:, :inputs], t.tensor(labels, dtype=t.long)
    chosen = batches(n, BATCH)
    start = {k: v.clone() for k, v in model.state_dict().items()}

    return Task(lambda: sgd_epoch(model, optimizer, x, y, chosen), lambda: model.load_state_dict(start))


def _replay_part(weights: Any, xs: list[list[float]], ys: list[int], batch_count: int) -> tuple[Task, float]:
    """The same one-sample tape replayed in Python over ``batch_count`` minibatches, nn.SGD: (task, recording s)."""
    from autograd import record
    from nn import SGD, cross_entropy

    model = valuegrad_mlp(weights)
    params = model.parameters()
    optimizer = SGD(params, lr=LR)
    onehot = [[float(j == y) for j in range(10)] for y in ys]
    start = time.perf_counter()
    tape = record(lambda x, target: cross_entropy([model(x)], [target]), xs[0], onehot[0])
    recording = time.perf_counter() - start
    chosen = batches(len(xs), BATCH)[:batch_count]

    def part() -> float:
        total = 0.0
        for r in chosen:
            optimizer.zero_grad()
            losses = tape.batch([(xs[i], onehot[i]) for i in r], scale=1.0 / len(r))
            optimizer.step()
            total += sum(losses) * (1.0 / len(r)) * len(r)
        return total / sum(len(r) for r in chosen)

    return Task(part, resetter(params, weights)), recording


def workload_e(quick: bool) -> dict[str, Any]:
    sizes = QUICK if quick else FULL
    inputs = sizes.side * sizes.side
    nb = math.ceil(sizes.samples / BATCH)
    say(f"(e) one epoch: {sizes.samples:,} synthetic {sizes.side}×{sizes.side} images, MLP({inputs}, [{sizes.hidden}, 10]), "
        f"cross-entropy, SGD on {nb:,} minibatches of {BATCH}")
    xs, ys = images(sizes)
    repeat = sizes.samples // sizes.distinct
    flat = one_hot_rows(xs, ys, 10) * repeat
    labels = ys * repeat
    weights = init_weights([inputs, sizes.hidden, 10], seed=5)
    results: dict[str, Any] = {}
    rows: list[list[str]] = []

    name = ValuegradC.name
    missing = ValuegradC().missing()
    if missing:
        rows.append([name, "-", "-", "-", "-", missing])
        results[name] = {"error": missing}
    else:
        task, tape_of = epoch_of_one_sample_tape(weights, xs * repeat, labels, BATCH, LR, flat)
        tape = tape_of()
        seconds, loss = _seconds(task, sizes.budget)
        setup = task.setup_seconds or 0.0
        results[name] = {"seconds": seconds, "mean_loss": loss, "record_and_compile_seconds": setup,
                         "compile_seconds": tape.compile_seconds, "groups": tape.layout.groups,
                         "threads": tape.threads_for(BATCH), "lanes": tape.lanes}
        rows.append([name, fmt_seconds(setup), fmt_seconds(tape.compile_seconds), fmt_seconds(seconds), f"{loss:.12f}",
                     f"a tape of one sample ({len(tape)} ops, {tape.layout.groups} loops) run over each batch in C, SGD in C"])

    task, recording = _replay_part(weights, xs, ys, sizes.replay_batches)
    part, loss = _seconds(task, Budget(1, 1, 0.0, warmup=0))
    done = min(sizes.samples, sizes.replay_batches * BATCH)
    seconds = part * sizes.samples / done
    results["valuegrad replay"] = {"seconds": seconds, "record_seconds": recording, "mean_loss_of_part": loss}
    rows.append(["valuegrad replay", fmt_seconds(recording), "-", fmt_seconds(seconds), "-",
                 f"the same one-sample tape in Python, nn.SGD: timed on {done} samples, scaled to the epoch"])

    torch = torch_or_none()
    if torch is None:
        rows.append(["PyTorch vectorised", "-", "-", "-", "-", "not installed"])
        results["PyTorch vectorised"] = {"error": "not installed"}
    else:
        for engine in [TorchVector(), *extra_engines()]:
            with using(engine):
                seconds, loss = _seconds(_torch_epoch(weights, flat, labels, sizes.samples, inputs), sizes.budget)
            results[engine.name] = {"seconds": seconds, "mean_loss": loss}
            threads = getattr(engine, "threads", 1)
            rows.append([engine.name, "-", "-", fmt_seconds(seconds), f"{loss:.12f}", f"nn.Sequential, float64, {threads} thread(s)"])
    say(table(["engine", "record + compile", "of which compile", "epoch", "mean loss", "note"], rows))

    c = results.get(name, {})
    if "seconds" in c:
        setup, epoch = c["record_and_compile_seconds"], c["seconds"]
        say(f"  valuegrad C tape: recorded and compiled in {fmt_seconds(setup)} (target ≤ 10 s: {_verdict(setup <= 10)}); "
            f"an epoch in {fmt_seconds(epoch)} (target ≤ 10 s: {_verdict(epoch <= 10)}; stretch ≤ 3 s: {_verdict(epoch <= 3)})")
        ref = results.get("PyTorch vectorised", {})
        if "mean_loss" in ref:
            gap = abs(ref["mean_loss"] - c["mean_loss"])
            results["loss_gap_vs_torch"] = gap
            say(f"  valuegrad C tape and PyTorch vectorised trained the same epoch: mean losses differ by {gap:.1e}")
        best = best_torch(results)
        if best:
            name, seconds = best
            ratio = epoch / seconds
            results["c_over_torch_vectorised"] = ratio
            results["torch_vectorised_best"] = name
            say(f"  valuegrad C tape's epoch takes {ratio:.2f}× the time of PyTorch vectorised at its best ({name}) "
                f"(target ≤ 0.5×: {_verdict(ratio <= 0.5)}); the C tape ran on {c['threads']} thread(s)")
    return results


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"
