"""PyTorch's thread count in the benchmarks: 1 as run.py sets it, and PyTorch's own default beside it.

run.py sets ``torch.set_num_threads(1)``: the scalar and small-batch work gains nothing from threads.
A peer is compared at its best, with other settings named beside it, so the vectorised PyTorch rows
are also timed with the number of threads PyTorch chooses by itself (read before run.py changes
it), and the C tape's ratios divide by the faster of the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from torch_peers import TorchVector, torch_or_none

#: PyTorch's own number of threads (its default on this machine), read by :func:`remember_default`
DEFAULT: int | None = None


def remember_default() -> int | None:
    """Read PyTorch's default thread count (before anything sets it); None without PyTorch."""
    global DEFAULT
    torch = torch_or_none()
    if torch is not None and DEFAULT is None:
        DEFAULT = int(torch.get_num_threads())
    return DEFAULT


@contextmanager
def using(engine: Any) -> Iterator[None]:
    """Run PyTorch on ``engine.threads`` threads inside the block (when the engine says a number)."""
    n = getattr(engine, "threads", None)
    torch = torch_or_none()
    if n is None or torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


class TorchVectorDefault(TorchVector):
    """PyTorch vectorised with PyTorch's own default number of threads."""

    def __init__(self) -> None:
        super().__init__()
        self.threads = DEFAULT or 1
        self.name = f"PyTorch vectorised, {self.threads} threads (its default)"


def extra_engines() -> list[Any]:
    """The default-threads row, when PyTorch's default is not the 1 thread run.py sets."""
    return [TorchVectorDefault()] if (DEFAULT or 1) > 1 else []


def best_torch(results: dict[str, Any]) -> tuple[str, float] | None:
    """The faster of the vectorised PyTorch rows in ``results``: (its name, its seconds)."""
    rows = [(name, r["seconds"]) for name, r in results.items() if name.startswith("PyTorch vectorised")
            and isinstance(r, dict) and "seconds" in r]  # fmt: skip
    return min(rows, key=lambda row: row[1]) if rows else None
