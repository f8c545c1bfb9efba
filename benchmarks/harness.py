"""The measuring tools of the benchmarks: the machine, a median timer, memory per op, tables.

Every figure is a median of several runs after a warm-up, timed with ``time.perf_counter``.
A run's garbage is collected before the next run starts, outside the timed region, so one
engine's leftover cycles are never charged to the next measurement.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


def cpu_model() -> str:
    """The CPU's model name, from /proc/cpuinfo on Linux, else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def package_version(name: str) -> str | None:
    """The installed version of the distribution ``name``, or None when it is missing."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def machine_line() -> str:
    """One line that says what ran the benchmark: CPU, cores, Python, and the peers' versions."""
    cores = os.cpu_count() or 1
    python = f"{platform.python_implementation()} {platform.python_version()}"
    peers = [f"{name} {package_version(name) or 'missing'}" for name in ("micrograd", "torch")]
    try:
        load = f"; load average {os.getloadavg()[0]:.2f} at start"
    except OSError:
        load = ""
    return f"machine: {cpu_model()}, {cores} cores, {python} on {platform.system()}; " + ", ".join(peers) + load


@dataclass
class Timing:
    """The median of ``runs`` timed runs, in seconds, and the result of the warm-up run."""

    median: float
    runs: int
    result: Any = None
    times: list[float] = field(default_factory=list)


@dataclass
class Budget:
    """How long to keep measuring one thing: at least ``min_runs``, then until ``seconds`` pass."""

    min_runs: int = 3
    max_runs: int = 15
    seconds: float = 1.0
    warmup: int = 1


def measure(fn: Callable[[], Any], budget: Budget, setup: Callable[[], Any] | None = None) -> Timing:
    """Time ``fn()``: ``budget.warmup`` untimed calls, then the median of the timed calls.

    ``setup()``, when given, runs before every call, untimed (to reset the weights, say). The
    first call's return value is kept in ``Timing.result`` (for checks such as "did every
    engine compute the same loss"). Garbage is collected before each timed call.
    """
    result = None
    for i in range(budget.warmup):
        if setup is not None:
            setup()
        value = fn()
        if i == 0:
            result = value
    times: list[float] = []
    while len(times) < budget.min_runs or (len(times) < budget.max_runs and sum(times) < budget.seconds):
        if setup is not None:
            setup()
        gc.collect()
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
        if not budget.warmup and not times[1:]:
            result = value
        del value
    gc.collect()
    return Timing(statistics.median(times), len(times), result, times)


def measure_loop(fn: Callable[[], Any], budget: Budget, setup: Callable[[], Any] | None = None,
                 run_seconds: float = 0.01) -> Timing:
    """Time ``fn()`` called back to back, as a training loop calls its step.

    After ``budget.warmup`` untimed calls, each timed run is ``setup()`` (untimed) and then
    ``steps`` calls in a row, timed together; ``steps`` is chosen once so that a run lasts about
    ``run_seconds``. The figure is the median, over the runs, of a run's time divided by
    ``steps``. Garbage is collected between runs, never inside one: within a run the collector
    does what it does in a training loop (the engine's own setting). :func:`measure` instead
    collects before every call, which leaves the processor's caches cold for the call it times.
    """
    result = None
    start = time.perf_counter()
    for i in range(max(budget.warmup, 1)):
        if setup is not None:
            setup()
        value = fn()
        if i == 0:
            result = value
    one = (time.perf_counter() - start) / max(budget.warmup, 1)
    steps = max(1, min(10_000, int(run_seconds / max(one, 1e-9))))
    times: list[float] = []
    while len(times) < budget.min_runs or (len(times) < budget.max_runs and sum(times) * steps < budget.seconds):
        if setup is not None:
            setup()
        gc.collect()
        begin = time.perf_counter()
        for _ in range(steps):
            fn()
        times.append((time.perf_counter() - begin) / steps)
    gc.collect()
    return Timing(statistics.median(times), len(times), result, times)


def traced_bytes(build: Callable[[], Any]) -> int:
    """Bytes that Python's allocator still holds for what ``build()`` returns.

    ``tracemalloc`` sees every allocation made through Python's allocators (objects,
    tuples, floats, closures, dicts) but not memory that a C++ library such as PyTorch
    allocates itself.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        kept = build()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del kept
    gc.collect()
    return after - before


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                     "keepcost")
    ]


def malloc_in_use() -> int | None:
    """Bytes that C's malloc has handed out and not had back (glibc's mallinfo2), or None.

    This is where a C++ library such as PyTorch keeps its objects, and what tracemalloc cannot
    see. (Python's own small objects live in arenas that are not counted here.)
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallinfo2 = libc.mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _MallInfo2
    info = mallinfo2()
    return int(info.uordblks + info.hblkhd)


def malloc_growth(build: Callable[[], Any]) -> int | None:
    """How much C's malloc holds for what ``build()`` returns, or None where mallinfo2 is missing."""
    gc.collect()
    before = malloc_in_use()
    kept = build()
    after = malloc_in_use()
    del kept
    gc.collect()
    if before is None or after is None:
        return None
    return after - before


# --- formatting --------------------------------------------------------------------------


def fmt_seconds(t: float | None) -> str:
    """A duration with a unit that keeps three significant digits: 412 µs, 3.07 ms, 1.25 s."""
    if t is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if t >= scale:
            return f"{t / scale:.3g} {unit}"
    return f"{t / 1e-9:.3g} ns"


def fmt_ratio(r: float | None) -> str:
    """A ratio such as 63.2× or 0.45×."""
    if r is None:
        return "-"
    return f"{r:.3g}×" if r < 1000 else f"{r:,.0f}×"


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain-text table: numbers right-aligned; the first column and a "note" column left-aligned."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    left = {0} | {i for i, h in enumerate(headers) if h == "note"}

    def line(cells: Sequence[str]) -> str:
        parts = [str(c).ljust(w) if i in left else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def say(text: str = "") -> None:
    """Print and flush, so a long run shows its progress."""
    print(text)
    sys.stdout.flush()
