"""The sizes of benchmarks/run.py's workloads, for a full run or a quick one, and what its workloads share:
the engines of the scalar workloads, why an engine cannot run, and how a target reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness import Budget
from peers import Micrograd, PlainFloats, Valuegrad
from torch_peers import TorchScalar, TorchVector


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
    # up to 200 runs within 2 s: the median of 25 steps of 30 µs spanned under a millisecond of this
    # shared machine's time, and one slow stretch of it moved (a)'s C step from 29 to 80 µs between
    # two runs a minute apart (benchmarks/README.md)
    budget=Budget(min_runs=5, max_runs=200, seconds=2.0),
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
    """The engines of the scalar workloads: valuegrad, micrograd, PyTorch two ways, plain floats."""
    return [Valuegrad(), Micrograd(), TorchScalar(), TorchVector(), PlainFloats()]


def why_missing(engine: Any) -> str | None:
    """Why ``engine`` cannot run at all here, or None."""
    return engine.missing()  # type: ignore[no-any-return]


def verdict(ok: bool) -> str:
    """How a report says whether a target is met."""
    return "met" if ok else "NOT met"
