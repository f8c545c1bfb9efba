"""How :func:`~autograd.compiled` finds a tape for a call: the key of its arguments.

A tape fits arguments of one structure (the nesting and lengths of lists and tuples of
numbers). Working that structure out in full for every call would cost as much as a small
replay, so the cache first looks by :func:`call_key`, which reads only the lengths, cheaply;
the tape's own check of its arguments then sees any deeper difference, and the cache looks
again by :func:`exact_key`.

>>> call_key((1.0, [1.0, 2.0], [[1.0], [2.0, 3.0]]))
(None, (<class 'list'>, 2), (<class 'list'>, <class 'list'>, (1, 2)))
>>> call_key(("text",)) is None                   # not made of numbers: no tape fits
True
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

from .args import structure_of

__all__ = ["Key", "shape_key", "call_key", "exact_key", "runs_by_key"]

#: A call's key: a shape per argument, or None for arguments that no tape can take.
Key = tuple[Hashable, ...] | None


def shape_key(x: Any) -> Hashable:
    """The lengths in ``x``, cheaply: a number, a list of numbers (told by its first item), a
    list of lists (their lengths); anything else by its exact structure. Two arguments of one
    shape may still differ deeper (a list inside a row, say): the tape's own check of its
    arguments finds that, and the cache then looks again by :func:`exact_key`. Raises TypeError
    when ``x`` is not made of numbers."""
    t = x.__class__
    if t is float or t is int:
        return None
    if (t is list or t is tuple) and x:
        first = x[0].__class__
        if first is float or first is int:
            return (t, len(x))
        if first is list or first is tuple:
            try:
                return (t, first, tuple(map(len, x)))
            except TypeError:  # an item without a length: see the exact structure
                pass
    return ("exact", structure_of(x))  # raises TypeError when x is not made of numbers


def call_key(args: tuple[Any, ...]) -> Key:
    """The shape of ``args`` (:func:`shape_key` of each), or None when an argument is not made of
    numbers (then ``fn`` cannot be recorded for it)."""
    try:
        return tuple(map(shape_key, args))
    except TypeError:
        return None


def exact_key(args: tuple[Any, ...]) -> Key:
    """The exact structure of ``args`` (nesting and lengths of lists and tuples of numbers, as
    a tape keeps it), or None when an argument is not made of numbers."""
    try:
        return tuple(("exact", structure_of(x)) for x in args)
    except TypeError:
        return None


def runs_by_key(
    rows: Sequence[tuple[Any, ...]], key_of: Callable[[tuple[Any, ...]], Key]
) -> list[tuple[int, int, Key]]:
    """``rows`` cut into runs of neighbours with the same key: ``(start, end, key)`` for each, in
    order (a batch replays each run on one tape, keeping the samples' order).

    >>> runs_by_key([(1.0,), (2.0,), ([1.0],), (3.0,)], call_key)
    [(0, 2, (None,)), (2, 3, ((<class 'list'>, 1),)), (3, 4, (None,))]
    """
    runs: list[tuple[int, int, Key]] = []
    for i, args in enumerate(rows):
        key = key_of(args)
        if runs and runs[-1][2] == key:
            runs[-1] = (runs[-1][0], i + 1, key)
        else:
            runs.append((i, i + 1, key))
    return runs
