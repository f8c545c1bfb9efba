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
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from compiled import ValuegradC
from fixtures import digits, init_weights, moons
from gpt_bench import workload_f
from harness import (
    Budget,
    fmt_ratio,
    fmt_seconds,
    machine_line,
    malloc_growth,
    measure,
    say,
    table,
    traced_bytes,
)
from microgpt_bench import workload_g
from mlp784 import workload_e
from peers import (
    Micrograd,
    MicrogradBest,
    NotApplicable,
    PlainFloats,
    Valuegrad,
    ValuegradReplay,
)
from torch_peers import TorchScalar, TorchVector, torch_or_none
from torch_threads import best_torch, extra_engines, remember_default, using

from autograd import gc_paused


@dataclass
class Config:
    """The sizes of every workload, for a full run or a quick one."""

    moons: int
    hidden: list[int]
    chain_sizes: list[int]
    once_from: int
    depth_cap: int
    memory_ops: int
    digits: int | None
    digits_hidden: list[int]
    torch_scalar_batches: int
    budget: Budget
    slow_budget: Budget


FULL = Config(
    moons=64,
    hidden=[16, 16],
    chain_sizes=[10**3, 10**4, 10**5, 10**6],
    once_from=10**6,
    depth_cap=10**6,
    memory_ops=10**5,
    digits=None,
    digits_hidden=[32],
    torch_scalar_batches=3,
    budget=Budget(min_runs=5, max_runs=25, seconds=2.0),
    slow_budget=Budget(min_runs=3, max_runs=5, seconds=3.0),
)

QUICK = Config(
    moons=8,
    hidden=[4, 4],
    chain_sizes=[10, 10**2, 10**3],
    once_from=10**3,
    depth_cap=10**4,
    memory_ops=10**3,
    digits=64,
    digits_hidden=[8],
    torch_scalar_batches=1,
    budget=Budget(min_runs=1, max_runs=1, seconds=0.0),
    slow_budget=Budget(min_runs=1, max_runs=1, seconds=0.0),
)

BATCH = 32
#: One run without warm-up, for work that takes seconds.
ONCE = Budget(min_runs=1, max_runs=1, seconds=0.0, warmup=0)


def engines() -> list[Any]:
    return [Valuegrad(), Micrograd(), TorchScalar(), TorchVector(), PlainFloats()]


def training_engines() -> list[Any]:
    """The engines of the training workloads (a) and (d): also valuegrad's recorded-and-replayed step,
    in Python and compiled to C."""
    return [Valuegrad(), ValuegradReplay(), ValuegradC(), *engines()[1:2], MicrogradBest(), *engines()[2:4],
            *extra_engines(), *engines()[4:]]


def _missing(engine: Any) -> str | None:
    """Why ``engine`` cannot run at all here, or None."""
    return engine.missing()  # type: ignore[no-any-return]


def _ratio_row(name: str, t: float | None, base: float | None, extra: Sequence[str], note: str = "") -> list[str]:
    ratio = t / base if t is not None and base else None
    return [name, fmt_seconds(t), fmt_ratio(ratio), *extra, note]


def _setup_note(task: Any) -> str:
    """The note of a row whose task did untimed work up front (recording a tape)."""
    if task.setup_seconds is None:
        return ""
    return f"recorded once, untimed: {fmt_seconds(task.setup_seconds)}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


# --- (a) one training step of micrograd's demo ----------------------------------------------


def workload_a(cfg: Config) -> dict[str, Any]:
    xs, ys = moons(cfg.moons)
    sizes = [2, *cfg.hidden, 1]
    say(f"(a) one training step: {cfg.moons} moons points, MLP(2, {[*cfg.hidden, 1]}), hinge loss + 1e-4 L2, "
        "backward, SGD update")
    results: dict[str, Any] = {}
    rows: list[list[str]] = []
    base: float | None = None
    for engine in training_engines():
        missing = _missing(engine)
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
                          f"{_verdict(speedup >= 50)}; stretch ≥ 100×: {_verdict(speedup >= 100)})")
            results[key + "speedup_vs_micrograd"] = speedup
        floor = results.get("plain floats, forward only", {}).get("seconds")
        if floor:
            over = vg / floor
            checks.append(f"{name}'s whole step takes {over:.2f}× the plain-float forward pass (target ≤ 8×: "
                          f"{_verdict(over <= 8)}; stretch ≤ 4×: {_verdict(over <= 4)})")
            results[key + "times_plain_forward"] = over
    c_tape = results.get(ValuegradC.name, {}).get("seconds")
    if c_tape:
        mg = results.get("micrograd 0.1.0", {}).get("seconds")
        if mg:
            results["c_speedup_vs_micrograd"] = speedup = mg / c_tape
            checks.append(f"valuegrad C tape is {speedup:,.0f}× faster than micrograd as users run it, collector on "
                          f"(target ≥ 1,000×: {_verdict(speedup >= 1000)})")
        best = results.get(MicrogradBest.name, {}).get("seconds")
        if best:
            results["c_speedup_vs_micrograd_best"] = speedup = best / c_tape
            checks.append(f"valuegrad C tape is {speedup:,.0f}× faster than micrograd at its best, collector off "
                          f"during its step (target ≥ 2,000×: {_verdict(speedup >= 2000)})")
        best_torch_row = best_torch(results)
        if best_torch_row:
            torch_name, torch_vec = best_torch_row
            results["c_speedup_vs_torch_vectorised"] = speedup = torch_vec / c_tape
            results["torch_vectorised_best"] = torch_name
            checks.append(f"valuegrad C tape is {speedup:.1f}× faster than PyTorch vectorised at its best ({torch_name}) "
                          f"(target ≥ 20×: {_verdict(speedup >= 20)})")
        if results.get("valuegrad", {}).get("first_loss") == results[ValuegradC.name]["first_loss"]:
            checks.append("valuegrad C tape computed valuegrad's first loss to the last bit")
    losses = [r["first_loss"] for r in results.values() if isinstance(r, dict) and "first_loss" in r]
    spread = max(losses) - min(losses)
    checks.append(f"every engine computed the same first loss, within {spread:.1e}")
    results["loss_spread"] = spread
    for line in checks:
        say("  " + line)
    return results


# --- (b) a chain of N ops -------------------------------------------------------------------


def _survives(chain: Callable[[int], float], n: int) -> bool:
    try:
        chain(n)
    except RecursionError:
        return False
    return True


def deepest(chain: Callable[[int], float], ok: int | None, failed: int) -> int:
    """The longest chain (an even number of ops) that ``chain`` survives, between ``ok`` and ``failed``."""
    low = ok or 0
    if low == 0 and _survives(chain, 2):
        low = 2
    high = failed
    while high - low > 2:
        mid = (low + high) // 4 * 2
        if _survives(chain, mid):
            low = mid
        else:
            high = mid
    return low


class ValuegradGcPaused(Valuegrad):
    """valuegrad with CPython's cyclic garbage collector paused while a chain is built and
    backpropagated. valuegrad's nodes cannot form reference cycles, so the collector finds
    nothing in them; this row shows how much of the time per op is its scanning."""

    name = "valuegrad, gc paused"

    def chain(self, n: int) -> float:
        with gc_paused():
            return super().chain(n)


def workload_b(cfg: Config) -> dict[str, Any]:
    say("(b) a chain of N ops, y ← y·a + b (N/2 multiplications and N/2 additions), forward and backward: "
        "time per op")
    results: dict[str, Any] = {}
    rows: list[list[str]] = []
    for engine in [*engines()[:1], ValuegradGcPaused(), *engines()[1:]]:
        missing = _missing(engine)
        if missing:
            rows.append([engine.name, *["-"] * len(cfg.chain_sizes), "-", missing])
            results[engine.name] = {"error": missing}
            continue
        per_op: dict[int, float | None] = {}
        cells: list[str] = []
        note = ""
        survived: int | None = None
        failed: int | None = None
        try:
            for n in cfg.chain_sizes:
                if failed is not None:
                    cells.append("-")
                    continue
                budget = cfg.slow_budget if n >= 10**5 else cfg.budget
                if isinstance(engine, TorchScalar) and n >= cfg.once_from:
                    budget = ONCE  # about 10 s a run
                    note = f"N = {_power(n)}: one run, no warm-up"
                try:
                    timing = measure(lambda n=n, engine=engine: engine.chain(n), budget)
                except RecursionError:
                    failed = n
                    cells.append("RecursionError")
                    per_op[n] = None
                    continue
                survived = n
                per_op[n] = timing.median / n
                cells.append(fmt_seconds(timing.median / n))
        except NotApplicable as e:
            rows.append([engine.name, *["-"] * len(cfg.chain_sizes), "-", str(e)])
            results[engine.name] = {"error": str(e)}
            continue
        if failed is not None:
            depth = deepest(engine.chain, survived, failed)
            depth_text = f"{depth:,}"
            note = f"RecursionError at {depth + 2:,} ops (recursive topological sort)"
        else:
            depth = survived or 0
            depth_text = f"≥ {depth:,} (cap)"
        if isinstance(engine, PlainFloats):
            note = "forward pass only, no graph"
        elif isinstance(engine, ValuegradGcPaused):
            note = "autograd.gc_paused() around each run"
        rows.append([engine.name, *cells, depth_text, note])
        results[engine.name] = {"seconds_per_op": {str(n): t for n, t in per_op.items()}, "deepest": depth,
                                "deepest_is_cap": failed is None}
    headers = ["engine", *(f"N = {_power(n)}" for n in cfg.chain_sizes), "deepest survived", "note"]
    say(table(headers, rows))
    vg = results["valuegrad"]["seconds_per_op"]
    sizes = [str(n) for n in cfg.chain_sizes]
    if len(sizes) >= 3:
        mid, top = sizes[-3], sizes[-1]
        growth = vg[top] / vg[mid]
        results["valuegrad_growth"] = growth
        paused = results.get(ValuegradGcPaused.name, {}).get("seconds_per_op", {})
        if paused.get(top) and paused.get(mid):
            growth_paused = paused[top] / paused[mid]
            results["valuegrad_growth_gc_paused"] = growth_paused
            say(f"  valuegrad backpropagates N = {_power(int(top))}; under gc_paused() its time per op there is "
                f"{growth_paused:.2f}× that at N = {_power(int(mid))} (target ≤ 1.5×: {_verdict(growth_paused <= 1.5)})")
        say(f"  with CPython's default collector running it is {growth:.2f}× (the difference is the collector "
            "scanning the growing graph)")
        engine = engines()[0]
        for n in (int(mid), int(top)):
            full, gc_seconds = collector_cost(lambda n=n: engine.chain(n))
            results.setdefault("valuegrad_collector", {})[str(n)] = {"full_collections": full,
                                                                     "seconds_per_op": gc_seconds / n}
            say(f"  one valuegrad run at N = {_power(n)}: CPython ran {full} full collection(s); all its "
                f"collections took {fmt_seconds(gc_seconds / n)} per op")
    return results


def collector_cost(run: Callable[[], Any]) -> tuple[int, float]:
    """Run ``run()`` once; return how many full (generation 2) collections CPython's cyclic
    collector made meanwhile, and the seconds spent in all of its collections."""
    full = 0
    seconds = 0.0
    started = 0.0

    def hook(phase: str, info: dict[str, int]) -> None:
        nonlocal full, seconds, started
        if phase == "start":
            started = time.perf_counter()
        else:
            seconds += time.perf_counter() - started
            full += info["generation"] == 2

    gc.callbacks.append(hook)
    try:
        run()
    finally:
        gc.callbacks.remove(hook)
    return full, seconds


def _power(n: int) -> str:
    e = round(math.log10(n))
    if 10**e != n:
        return f"{n:,}"
    return "10" + "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(d)] for d in str(e))


# --- (c) bytes per recorded op --------------------------------------------------------------

KINDS = ("add", "mul", "tanh")
KIND_TEXT = {"add": "y = y + x", "mul": "y = y * x", "tanh": "y = y.tanh()"}


def workload_c(cfg: Config) -> dict[str, Any]:
    n = cfg.memory_ops
    say(f"(c) bytes held per recorded op, after building the forward graph of a chain of {n:,} ops (tracemalloc)")
    results: dict[str, Any] = {}
    rows: list[list[str]] = []
    for engine in engines():
        missing = _missing(engine)
        if missing:
            rows.append([engine.name, *["-"] * len(KINDS), missing])
            results[engine.name] = {"error": missing}
            continue
        cells = []
        figures: dict[str, float | None] = {}
        note = ""
        for kind in KINDS:
            try:
                if engine.name.startswith("PyTorch 0-d"):
                    grown = malloc_growth(lambda kind=kind, engine=engine: engine.build_chain(kind, n))
                    per_op = grown / n if grown is not None else None
                    note = "C heap (glibc mallinfo2): tracemalloc cannot see PyTorch's C++ allocations"
                else:
                    per_op = traced_bytes(lambda kind=kind, engine=engine: engine.build_chain(kind, n)) / n
                figures[kind] = per_op
                cells.append("-" if per_op is None else f"{per_op:,.0f}")
            except NotApplicable as e:
                figures[kind] = None
                cells.append("n/a")
                note = note or str(e)
        if all(f is None for f in figures.values()):
            rows.append([engine.name, *["-"] * len(KINDS), note])
        else:
            rows.append([engine.name, *cells, note])
        results[engine.name] = {"bytes_per_op": figures}
    say(table(["engine", *(KIND_TEXT[k] for k in KINDS), "note"], rows))
    vg = results["valuegrad"]["bytes_per_op"]
    worst = max(v for v in vg.values() if v is not None)
    say(f"  valuegrad holds at most {worst:.0f} B per recorded op on these chains (target ≤ 150: {_verdict(worst <= 150)})")
    results["valuegrad_worst"] = worst
    return results


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
        missing = _missing(engine)
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
            f"{1 / ratio:.1f}× faster (target ≥ 6×: {_verdict(ratio <= 1 / 6)})")
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
