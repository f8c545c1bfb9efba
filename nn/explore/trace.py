"""A bounded record of numbers over time: the explorer's curves and parameter histories.

A long run must not grow without end, yet the picture should still show all of it. So a
:class:`Trace` keeps at most ``limit`` rows: when it fills up it drops every other row and
from then on keeps only every other new one. After 10,000 steps it still holds an evenly
spaced sample of the whole run, about ``limit`` rows long.

>>> trace = Trace(("step", "loss"), limit=4)
>>> for k in range(10):
...     trace.add([k, 1.0 / (k + 1)])
>>> trace.column(0), trace.stride
([0.0, 4.0, 8.0], 4)
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import Any

__all__ = ["Trace"]


class Trace:
    """Rows of numbers, one per moment, thinned to at most ``limit`` rows (see the module docs).

    Each row is stored as an ``array('d')`` (8 bytes a number), so tracing every parameter of
    a model costs little memory.
    """

    def __init__(self, columns: Sequence[str], limit: int = 400) -> None:
        if limit < 2:
            raise ValueError(f"limit expects at least 2 rows, got {limit}")
        self.columns = tuple(columns)
        self.limit = limit
        self.rows: list[array[float]] = []
        self.stride = 1
        self._seen = 0

    def add(self, row: Sequence[float]) -> None:
        """Offer one row; it is kept if it falls on the current stride."""
        if self._seen % self.stride == 0:
            self.rows.append(array("d", row))
            if len(self.rows) > self.limit:
                self.rows = self.rows[::2]
                self.stride *= 2
        self._seen += 1

    def column(self, index: int) -> list[float]:
        """One column over time, as a list."""
        return [row[index] for row in self.rows]

    def to_json(self) -> dict[str, Any]:
        """The columns by name, each a list of numbers over time (nan and inf become None)."""
        return {name: [_finite(x) for x in self.column(i)] for i, name in enumerate(self.columns)}

    def __len__(self) -> int:
        return len(self.rows)


def _finite(x: float) -> float | None:
    """``x``, or None when it is nan or infinite: JSON has no such numbers."""
    return x if x - x == 0.0 else None
