"""valuegrad beside its peers: the same work timed side by side in one process.

    python benchmarks/run.py                 # everything (a few minutes)
    python benchmarks/run.py --only a,c      # some workloads
    python benchmarks/run.py --quick         # tiny sizes, a few seconds: proves the script runs
    python benchmarks/run.py --json out.json # also write every figure to a JSON file

Engines: valuegrad (building a graph each step, replaying its recorded tape in Python, or
compiled to C); micrograd 0.1.0; PyTorch building the same scalar graph from 0-d
tensors; PyTorch vectorised (``nn.Sequential``); plain Python floats doing the forward pass
only, the floor for any pure-Python engine.

Workloads:
  a  one training step of micrograd's demo: 64 moons points, MLP(2, [16, 16, 1]), hinge loss
     + 1e-4 L2, backward, SGD update
  b  a chain of N ops (y ← y·a + b), forward and backward, N = 10³ … 10⁶: time per op, and
     the deepest chain each engine survives
  c  bytes held per recorded op on a long chain, measured with tracemalloc after the forward
  d  one epoch of MLP(64, [32, 10]) on the 8×8 digits with cross-entropy, minibatches of 32
  e  one epoch of MLP(784, [50, 10]) on 60,000 synthetic 28×28 images, minibatches of 32: the
     C tape's recording and compiling, and its epoch, beside Python and PyTorch vectorised
  f  one training step of a tiny GPT (embeddings, one attention layer, rmsnorm, an MLP, Adam;
     4,192 parameters, 16 tokens): valuegrad, its replay and C tape, a minimal scalar engine
     written here as the baseline, PyTorch 0-d tensors and vectorised; time per 1,000 steps
  g  the microgpt-style program (benchmarks/microgpt_style.py: one document a step, varying
     lengths, lookups by token, Adam): eager, under autograd.compiled with Python and C tapes
     (the cost of recording apart), beside PyTorch vectorised; time per step

Every time is the median of several runs after a warm-up; ratios divide by valuegrad's time.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from bench_config import BATCH, FULL, ONCE, QUICK, Config, engines, verdict, why_missing
from chains import workload_b, workload_c
from compiled import ValuegradC
from fixtures import digits, init_weights, moons
from gpt_bench import workload_f
from harness import (
    fmt_ratio,
    fmt_seconds,
    machine_line,
    measure,
    measure_loop,
    say,
    table,
)
from microgpt_bench import workload_g
from mlp784 import workload_e
from peers import (
    MicrogradBest,
    NotApplicable,
    PlainFloats,
    Valuegrad,
    ValuegradReplay,
)
from torch_peers import TorchScalar, torch_or_none
from torch_threads import best_torch, extra_engines, remember_default, using


def training_engines() -> list[Any]:
    """The engines of the training workloads (a) and (d): also valuegrad's recorded-and-replayed step,
    in Python and compiled to C."""
    return [Valuegrad(), ValuegradReplay(), ValuegradC(), *engines()[1:2], MicrogradBest(), *engines()[2:4],
            *extra_engines(), *engines()[4:]]


def _ratio_row(name: str, t: float | None, base: float | None, extra: Sequence[str], note: str = "") -> list[str]:
    ratio = t / base if t is not None and base else None
    return [name, fmt_seconds(t), fmt_ratio(ratio), *extra, note]


def _setup_note(task: Any) -> str:
    """The note of a row whose task did untimed work up front (recording a tape)."""
    if task.setup_seconds is None:
        return ""
    return f"recorded once, untimed: {fmt_seconds(task.setup_seconds)}"


# --- (a) one training step of micrograd's demo ----------------------------------------------


def workload_a(cfg: Config) -> dict[str, Any]:
    xs, ys = moons(cfg.moons)
    sizes = [2, *cfg.hidden, 1]
    say(f"(a) one training step: {cfg.moons} moons points, MLP(2, {[*cfg.hidden, 1]}), hinge loss + 1e-4 L2, "
        "backward, SGD update")
    results: dict[str, Any] = {}
    rows: list[list[str]] = []
    base: float | None = None
    kept: list[tuple[Any, Any]] = []  # the fast engines, timed again back to back below
    for engine in training_engines():
        missing = why_missing(engine)
        if missing:
            rows.append([engine.name, "-", "-", "-", "-", missing])
            results[engine.name] = {"error": missing}
            continue
        task = engine.hinge_step(init_weights(sizes), xs, ys)
        slow = engine.name in ("micrograd 0.1.0", MicrogradBest.name, "PyTorch 0-d tensors")
        # What each engine set up (its model; a recorded tape and the graph it keeps) is frozen, as
        # the imports are, and stays so for the rest of the run (a few thousand objects):
        # measure() collects before every timed step, and walking thousands of set-up objects
        # there evicts the step's numbers from the caches (the C tape's step took 2-3x longer),
        # which a training loop, collecting only when it allocates, does not do before each step.
        gc.collect()
        gc.freeze()
        with using(engine):
            timing = measure(task.run, cfg.slow_budget if slow else cfg.budget, setup=task.reset)
        if engine.name == "valuegrad":
            base = timing.median
        if engine.name in BACK_TO_BACK:
            kept.append((engine, task))
        note = "forward pass only" if engine.name.startswith("plain") else _setup_note(task)
        if isinstance(engine, ValuegradC):
            note += "; SGD in C, parameters kept in C between steps (Trainer)"
        rows.append(_ratio_row(engine.name, timing.median, base, [str(timing.runs), f"{timing.result:.12f}"], note))
        results[engine.name] = {"seconds": timing.median, "runs": timing.runs, "first_loss": timing.result}
        if task.setup_seconds is not None:
            results[engine.name]["setup_seconds"] = task.setup_seconds
    say(table(["engine", "median", "× valuegrad", "runs", "loss, step 1", "note"], rows))
    checks = []
    for name, key in (("valuegrad", ""), ("valuegrad replay", "replay_")):
        vg = results.get(name, {}).get("seconds")
        if vg is None:
            continue
        mg = results.get("micrograd 0.1.0", {}).get("seconds")
        if mg:
            speedup = mg / vg
            checks.append(f"{name} is {speedup:.1f}× faster than micrograd (target ≥ 50×: "
                          f"{verdict(speedup >= 50)}; stretch ≥ 100×: {verdict(speedup >= 100)})")
            results[key + "speedup_vs_micrograd"] = speedup
        floor = results.get("plain floats, forward only", {}).get("seconds")
        if floor:
            over = vg / floor
            checks.append(f"{name}'s whole step takes {over:.2f}× the plain-float forward pass (target ≤ 8×: "
                          f"{verdict(over <= 8)}; stretch ≤ 4×: {verdict(over <= 4)})")
            results[key + "times_plain_forward"] = over
    c_tape = results.get(ValuegradC.name, {}).get("seconds")
    if c_tape:
        mg = results.get("micrograd 0.1.0", {}).get("seconds")
        if mg:
            results["c_speedup_vs_micrograd"] = speedup = mg / c_tape
            checks.append(f"valuegrad C tape is {speedup:,.0f}× faster than micrograd as users run it, collector on "
                          f"(target ≥ 1,000×: {verdict(speedup >= 1000)})")
        best = results.get(MicrogradBest.name, {}).get("seconds")
        if best:
            results["c_speedup_vs_micrograd_best"] = speedup = best / c_tape
            checks.append(f"valuegrad C tape, each step alone (caches cold), is {speedup:,.0f}× faster than micrograd at its best, collector off "
                          f"during its step (target ≥ 2,000×: {verdict(speedup >= 2000)})")
        best_torch_row = best_torch(results)
        if best_torch_row:
            torch_name, torch_vec = best_torch_row
            results["c_speedup_vs_torch_vectorised"] = speedup = torch_vec / c_tape
            results["torch_vectorised_best"] = torch_name
            checks.append(f"valuegrad C tape, each step alone (caches cold), is {speedup:.1f}× faster than PyTorch vectorised at its best ({torch_name}) "
                          f"(target ≥ 20×: {verdict(speedup >= 20)})")
        if results.get("valuegrad", {}).get("first_loss") == results[ValuegradC.name]["first_loss"]:
            checks.append("valuegrad C tape computed valuegrad's first loss to the last bit")
    losses = [r["first_loss"] for r in results.values() if isinstance(r, dict) and "first_loss" in r]
    spread = max(losses) - min(losses)
    checks.append(f"every engine computed the same first loss, within {spread:.1e}")
    results["loss_spread"] = spread
    for line in checks:
        say("  " + line)
    if kept:
        results["back_to_back"] = back_to_back(kept, results, cfg)
    return results


#: The engines of (a) whose step is short enough for the caches to matter: timed again back to back.
BACK_TO_BACK = ("valuegrad replay", ValuegradC.name, "PyTorch vectorised", "PyTorch vectorised, 2 threads (its default)")


def back_to_back(kept: list[tuple[Any, Any]], results: dict[str, Any], cfg: Config) -> dict[str, Any]:
    """(a)'s fast steps timed as a training loop runs them: many steps in a row, timed together
    (harness.measure_loop), where the table above times each step alone after a reset and a full
    collection, with the processor's caches cold. micrograd at its best stays as above: its step
    needs the collection after it (untimed) to be at its best."""
    say("  back to back (steps in a row, timed together, as a training loop runs them; the table above times each "
        "step alone, after a reset and a full collection):")
    figures: dict[str, Any] = {}
    rows = []
    for engine, task in kept:
        gc.collect()
        with using(engine):
            timing = measure_loop(task.run, cfg.budget, setup=task.reset)
        figures[engine.name] = timing.median
        alone = results.get(engine.name, {}).get("seconds")
        rows.append([engine.name, fmt_seconds(timing.median), fmt_seconds(alone), str(timing.runs)])
    say(table(["engine", "back to back", "alone, caches cold", "runs"], rows))
    c_tape = figures.get(ValuegradC.name)
    best = results.get(MicrogradBest.name, {}).get("seconds")
    torch_rows = [(name, t) for name, t in figures.items() if name.startswith("PyTorch vectorised")]
    if c_tape and best:
        figures["c_speedup_vs_micrograd_best"] = speedup = best / c_tape
        say(f"  valuegrad C tape back to back is {speedup:,.0f}× faster than micrograd at its best, collector off during "
            f"its step (target ≥ 2,000×: {verdict(speedup >= 2000)})")
    if c_tape and torch_rows:
        name, t = min(torch_rows, key=lambda row: row[1])
        figures["c_speedup_vs_torch_vectorised"] = speedup = t / c_tape
        say(f"  valuegrad C tape back to back is {speedup:.1f}× faster than PyTorch vectorised back to back at its best "
            f"({name}) (target ≥ 20×: {verdict(speedup >= 20)})")
    return figures


# --- (d) one epoch on the digits ------------------------------------------------------------


def workload_d(cfg: Config) -> dict[str, Any]:
    xs, ys = digits(cfg.digits)
    sizes = [64, *cfg.digits_hidden, 10]
    nb = math.ceil(len(xs) / BATCH)
    say(f"(d) one epoch: {len(xs):,} 8×8 digits, MLP(64, {[*cfg.digits_hidden, 10]}), cross-entropy, "
        f"SGD on {nb} minibatches of {BATCH}")
    results: dict[str, Any] = {}
    rows: list[list[str]] = []
    base: float | None = None
    for engine in [e for e in training_engines() if not isinstance(e, MicrogradBest)]:  # no exp in micrograd
        missing = why_missing(engine)
        if missing:
            rows.append([engine.name, "-", "-", "-", "-", "-", missing])
            results[engine.name] = {"error": missing}
            continue
        note = ""
        try:
            if isinstance(engine, TorchScalar):
                part = min(cfg.torch_scalar_batches, nb)
                task = engine.digits_epoch(init_weights(sizes), xs, ys, BATCH, max_batches=part)
                timing = measure(task.run, ONCE, setup=task.reset)
                seconds = timing.median * nb / part
                note = f"timed on {part} of {nb} minibatches, scaled to the epoch"
            else:
                task = engine.digits_epoch(init_weights(sizes), xs, ys, BATCH)
                with using(engine):
                    timing = measure(task.run, cfg.slow_budget, setup=task.reset)
                seconds = timing.median
        except NotApplicable as e:
            rows.append([engine.name, "-", "-", "-", "-", "-", str(e)])
            results[engine.name] = {"error": str(e)}
            continue
        if engine.name == "valuegrad":
            base = seconds
        if isinstance(engine, PlainFloats):
            note = "forward pass only"
        elif isinstance(engine, ValuegradReplay):
            note = f"nn.cross_entropy, one-hot targets; {_setup_note(task)} (a tape per batch size)"
        elif isinstance(engine, ValuegradC):
            note = f"a tape of ONE sample run over each batch in C, SGD in C; {_setup_note(task)}"
        per_sample = fmt_seconds(seconds / len(xs))
        loss = f"{timing.result:.12f}"
        rows.append(_ratio_row(engine.name, seconds, base, [per_sample, str(timing.runs), loss], note))
        results[engine.name] = {"seconds": seconds, "runs": timing.runs, "seconds_per_sample": seconds / len(xs),
                                "mean_loss": timing.result}
        if task.setup_seconds is not None:
            results[engine.name]["setup_seconds"] = task.setup_seconds
    say(table(["engine", "epoch", "× valuegrad", "per sample", "runs", "mean loss", "note"], rows))
    vg = results["valuegrad"]
    ref = results.get("PyTorch vectorised", {})
    if "mean_loss" in ref:
        gap = abs(vg["mean_loss"] - ref["mean_loss"])
        say(f"  valuegrad and PyTorch vectorised trained the same epoch: their mean losses differ by {gap:.1e}")
        results["loss_gap_vs_torch"] = gap
    replay = results.get("valuegrad replay", {})
    if "mean_loss" in replay:
        gap = abs(vg["mean_loss"] - replay["mean_loss"])
        say(f"  valuegrad replay trained the same epoch as valuegrad: mean losses differ by {gap:.1e}")
        results["replay_loss_gap"] = gap
    c_tape = results.get(ValuegradC.name, {})
    if "mean_loss" in c_tape and "mean_loss" in replay:
        same = c_tape["mean_loss"] == replay["mean_loss"]
        results["c_same_as_replay"] = same
        gap = abs(c_tape["mean_loss"] - replay["mean_loss"])
        say("  valuegrad C tape trained the same epoch as valuegrad replay: mean losses "
            + ("equal to the last bit" if same else f"differ by {gap:.1e}"))
    best_torch_row = best_torch(results)
    if "seconds" in c_tape and best_torch_row:
        torch_name, torch_seconds = best_torch_row
        ratio = c_tape["seconds"] / torch_seconds
        results["c_over_torch_vectorised"] = ratio
        results["torch_vectorised_best"] = torch_name
        say(f"  valuegrad C tape's epoch takes {ratio:.2f}× the time of PyTorch vectorised at its best ({torch_name}): "
            f"{1 / ratio:.1f}× faster (target ≥ 6×: {verdict(ratio <= 1 / 6)})")
    return results


WORKLOADS: dict[str, Callable[[Config], dict[str, Any]]] = {
    "a": workload_a,
    "b": workload_b,
    "c": workload_c,
    "d": workload_d,
    "e": lambda cfg: workload_e(quick=cfg is QUICK),
    "f": lambda cfg: workload_f(quick=cfg is QUICK),
    "g": lambda cfg: workload_g(quick=cfg is QUICK),
}


def _import_peers() -> None:
    """Import every peer that is installed now, so that importing is never timed."""
    for module in ("micrograd.engine", "micrograd.nn", "sklearn.datasets", "nn"):
        try:
            __import__(module)
        except ImportError:
            pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time valuegrad beside micrograd, PyTorch and plain floats.")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, a few seconds (proves the script works)")
    parser.add_argument("--only", default=",".join(WORKLOADS), help=f"comma-separated workloads to run, from {','.join(WORKLOADS)}")
    parser.add_argument("--json", metavar="PATH", help="also write every figure to this JSON file")
    args = parser.parse_args(argv)
    chosen = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = [w for w in chosen if w not in WORKLOADS]
    if unknown or not chosen:
        parser.error(f"--only expects workloads from {','.join(WORKLOADS)}, got {args.only!r}")
    cfg = QUICK if args.quick else FULL

    torch = torch_or_none()
    default_threads = remember_default()  # PyTorch's own choice, before it is set to 1
    if torch is not None:
        torch.set_num_threads(1)  # the scalar and small-batch work here gains nothing from threads
    _import_peers()
    # The peers' modules hold a few hundred thousand objects. Frozen, they are not rescanned by
    # every collection that the engines' own allocations trigger: each engine pays for its own.
    gc.collect()
    gc.freeze()
    line = machine_line() + (
        f"; torch threads: 1 (set here), and {default_threads} (its default) in the rows that say so"
        if torch is not None else ""
    )  # fmt: skip
    say(line)
    say(f"gc: {gc.get_freeze_count():,} import-time objects frozen (gc.freeze()), so each collection scans only "
        "what the benchmark builds")
    say(f"mode: {'quick (tiny sizes, figures mean nothing)' if args.quick else 'full'}")
    report: dict[str, Any] = {"machine": line, "quick": args.quick}
    for name in chosen:
        say()
        report[name] = WORKLOADS[name](cfg)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, ensure_ascii=False)
        say(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
