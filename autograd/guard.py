"""Decisions on a Value's number, noted while a tape records, so that a replay can check them.

A tape keeps the ops a function did, not its Python code. When the code takes a decision on
a Value's number through the Value (``if x > 0:``, ``max(a, b)``, ``bool(x)``, ``int(x)``,
``float(x)``, ``round(x)``, ``xs[i]`` with a Value ``i``, ``f"{x:.3f}"``), the branch it took
is baked into the tape. While :func:`autograd.record` runs the function, each such decision
is noted here as a :class:`Decision`: what was compared, the outcome, and the file and line of
the code that took it. Every replay then checks the decisions first, on its own numbers, and
raises :class:`GuardError` naming that line if one goes the other way: a tape never replays a
branch that the new numbers would not take.

Outside a recording nothing is noted; the only cost is one ``ContextVar.get`` per decision,
and no op of the engine goes through here.

What cannot be noted: a number read off ``.data`` (or ``.item()``, ``repr()``) is a plain
float, and what Python does with it is invisible to the tape. Compare the Values themselves
(``x > 0``, not ``x.data > 0``), or, better, use an op that decides on every replay
(``abs``, ``relu``, ``logsumexp``'s max, ``autograd.take``).
"""

from __future__ import annotations

import contextvars
import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["Decision", "GuardError", "recording_decisions", "recording", "note", "note_integer", "note_round", "evaluate", "where_taken"]

#: The comparisons a decision can be, as the replay evaluates them (``same``: the very same
#: float, nan equal to nan and 0.0 unequal to -0.0: what a number used as a constant needs;
#: ``index``: ``left`` is an integer in [-right, right), the index of a lookup among ``right``).
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=", "same", "index")


@dataclass(frozen=True)
class Decision:
    """One decision: ``left <op> right`` came out ``outcome`` at record time, taken at ``where``.

    ``left`` is a Value; ``right`` a Value or a float. ``what`` says which Python operation took
    it (``"x > y"``, ``"bool(x)"``, ``"int(x)"``, ``"x used as an index"``, ...), for messages.
    """

    op: str
    left: Any
    right: Any
    outcome: bool
    what: str
    where: str
    #: the two numbers compared at record time
    numbers: tuple[float, float] = (0.0, 0.0)


class GuardError(RuntimeError):
    """A replay's numbers take another branch than the recording did: the tape refuses to give
    a number. ``decision`` is the :class:`Decision` that failed; ``sample`` the index of the
    sample in a batch (None for a single replay). Record again, or use ``autograd.compiled``,
    which records again by itself."""

    def __init__(self, message: str, decision: Decision | None = None, sample: int | None = None) -> None:
        super().__init__(message)
        self.decision = decision
        self.sample = sample


_NOTES: contextvars.ContextVar[list[Decision] | None] = contextvars.ContextVar("valuegrad_decisions", default=None)
#: The decisions being noted now, or None when nothing records: the one test each hook makes.
recording = _NOTES.get


@contextmanager
def recording_decisions() -> Iterator[list[Decision]]:
    """Note every decision taken on a Value inside the block into the list it yields."""
    found: list[Decision] = []
    token = _NOTES.set(found)
    try:
        yield found
    finally:
        _NOTES.reset(token)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def where_taken() -> str:
    """``file:line`` of the innermost frame outside :mod:`autograd` (subpackages included)."""
    frame: Any = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR + os.sep):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def note(op: str, left: Any, right: Any, outcome: bool, what: str) -> None:
    """Note one decision, if a recording is on (the caller has checked :func:`recording`)."""
    found = _NOTES.get()
    if found is not None:
        numbers = (left.data, right if right.__class__ is float else right.data)
        found.append(Decision(op, left, right, outcome, what, where_taken(), numbers))


def note_integer(value: Any, n: int, what: str) -> None:
    """Note that ``int(value.data)`` was ``n``: the data lies in the interval that truncates to ``n``.

    Below 2⁵² every float interval between two integers is exact; above, floats are integers, so
    the data must be ``n`` itself.
    """
    if abs(n) >= 2**52:
        note("==", value, float(n), True, what)
    elif n > 0:
        note(">=", value, float(n), True, what)
        note("<", value, float(n + 1), True, what)
    elif n < 0:
        note(">", value, float(n - 1), True, what)
        note("<=", value, float(n), True, what)
    else:
        note(">", value, -1.0, True, what)
        note("<", value, 1.0, True, what)


def note_round(value: Any, n: int, what: str) -> None:
    """Note that ``round(value.data)`` was ``n`` (half to even): ``n − ½ ≤ data ≤ n + ½``, the ends
    included only for an even ``n``."""
    if abs(n) >= 2**52:
        note("==", value, float(n), True, what)
        return
    even = n % 2 == 0
    note(">=" if even else ">", value, n - 0.5, True, what)
    note("<=" if even else "<", value, n + 0.5, True, what)


def same(a: float, b: float) -> bool:
    """The very same float: nan equals nan, 0.0 differs from -0.0 (the ``same`` comparison)."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def evaluate(op: str, a: float, b: float) -> bool:
    """``a <op> b`` for one of :data:`COMPARISONS`, as a replay evaluates it."""
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    if op == ">=":
        return a >= b
    if op == "==":
        return a == b
    if op == "!=":
        return a != b
    if op == "index":
        return -b <= a < b and a == int(a)
    return same(a, b)
