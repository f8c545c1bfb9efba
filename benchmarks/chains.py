"""Workloads (b) and (c) of benchmarks/run.py: a long chain of scalar ops, timed per op with the
deepest chain each engine survives, and the bytes each engine holds per recorded op."""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from typing import Any

from bench_config import ONCE, Config, engines, verdict, why_missing
from harness import fmt_seconds, malloc_growth, measure, say, table, traced_bytes
from peers import NotApplicable, PlainFloats, Valuegrad
from torch_peers import TorchScalar

from autograd import gc_paused

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
        missing = why_missing(engine)
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
                f"{growth_paused:.2f}× that at N = {_power(int(mid))} (target ≤ 1.5×: {verdict(growth_paused <= 1.5)})")
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
        missing = why_missing(engine)
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
    say(f"  valuegrad holds at most {worst:.0f} B per recorded op on these chains (target ≤ 150: {verdict(worst <= 150)})")
    results["valuegrad_worst"] = worst
    return results
