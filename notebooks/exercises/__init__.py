"""Checked exercises for the notebooks: ``check(id, answer)`` says right or not yet, with a hint.

Every exercise in ``notebooks/NN_name.py`` ends with a cell such as::

    from exercises import check, hint, solution

    def d_gauss(x):
        return ...               # the blank: the learner replaces the ... with an answer
    check("00.2", d_gauss)       # "00.2 not answered yet", then "00.2 right: ..." or "00.2 not yet: ... Hint: ..."

An exercise is a *checker*: a function that receives the learner's answer and raises
:class:`Wrong` with a short reason when it is not right. Checkers compare the answer with a
reference computed another way (valuegrad's ``backward()``, ``gradcheck``, enumeration, a
closed form), so they do not contain the worked solution. The worked solutions live in
``exercises/solutions/`` (one module per notebook); ``solution(id)`` prints one for a learner
who wants to compare, and the test suite runs every solution, and a typical wrong answer,
through its check.

The checkers live here, beside the notebooks, rather than in ``nn``: they change whenever a
notebook's exercises change, they test learners and not the library, and nothing in the
library should depend on them. A notebook's kernel runs in ``notebooks/``, so
``from exercises import check`` works there without installing anything.
"""

from __future__ import annotations

import importlib
import inspect
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["check", "hint", "solution", "verdict", "exercises", "Exercise", "Verdict", "Wrong", "NotAnswered",
           "NOTEBOOKS", "WORKED"]

#: The notebooks that have exercises, by number: the module ``exercises.nbNN`` holds their checkers.
NOTEBOOKS = ("00", "01", "02", "02b", "03", "04", "05", "06", "07", "08", "09", "10")
#: Notebooks saved with the learner's cells filled in by a worked answer (so that the cells after them can run):
#: their checks print "right" in the saved outputs, and the learner overwrites the cells with their own code.
WORKED = ("02b",)
EXERCISE_ID = re.compile(r"\d\d[a-z]?\.\d+")


class Wrong(Exception):
    """Raised by a checker: the answer is not right yet; the message says what is off."""


class NotAnswered(Wrong):
    """Raised when the answer (or what the learner's function returned) is still the blank ``...``."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id (``"02.3"``), a title, a hint, and the checker of an answer."""

    id: str
    title: str
    hint: str
    checker: Callable[[Any], str | None]

    @property
    def notebook(self) -> str:
        return self.id.split(".")[0]


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one answer: ``ok`` and the message shown to the learner."""

    id: str
    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok


_REGISTRY: dict[str, Exercise] = {}
_loaded: set[str] = set()


def exercise(id: str, title: str, hint: str) -> Callable[[Callable[[Any], str | None]], Callable[[Any], str | None]]:
    """Register the decorated function as the checker of exercise ``id``.

    The checker takes the answer and returns None (or a remark to show with "right") when it
    is right, or raises :class:`Wrong` with the reason.
    """
    if not EXERCISE_ID.fullmatch(id):
        raise ValueError(f"an exercise id looks like '02.3' (or '02b.3'), got {id!r}")

    def register(checker: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
        if id in _REGISTRY:
            raise ValueError(f"exercise {id} is registered twice")
        _REGISTRY[id] = Exercise(id, title, hint, checker)
        return checker

    return register


def _load(number: str) -> None:
    """Import the checks of notebook ``number`` (once), which registers its exercises."""
    if number not in _loaded:
        importlib.import_module(f"{__name__}.nb{number}")
        _loaded.add(number)


def exercises() -> dict[str, Exercise]:
    """Every exercise of every notebook, by id, in order."""
    for number in NOTEBOOKS:
        _load(number)
    return dict(sorted(_REGISTRY.items(), key=lambda item: _order(item[0])))


def _order(id: str) -> tuple[str, int]:
    """Sort key of an exercise id: its notebook ("02" before "02b" before "03"), then its number."""
    notebook, number = id.split(".")
    return (notebook, int(number))


def _get(id: str) -> Exercise:
    number = id.split(".")[0] if isinstance(id, str) else ""
    if number in NOTEBOOKS:
        _load(number)
    if id not in _REGISTRY:
        raise KeyError(f"no exercise {id!r}; the exercises are {', '.join(exercises())}")
    return _REGISTRY[id]


def verdict(id: str, answer: Any) -> Verdict:
    """Check ``answer`` for exercise ``id`` without printing; the learner's errors are reported, not raised."""
    ex = _get(id)
    blank = f"{id} not answered yet: replace the ... with your answer, then run the cell again."
    if answer is Ellipsis:
        return Verdict(id, False, blank)
    try:
        remark = ex.checker(answer)
    except NotAnswered:
        return Verdict(id, False, blank)
    except Wrong as wrong:
        return Verdict(id, False, f"{id} not yet: {wrong}\nHint: {ex.hint}")
    except Exception as error:  # the learner's code raised: say so, with the hint
        return Verdict(id, False, f"{id} not yet: your answer raised {type(error).__name__}: {error}\nHint: {ex.hint}")
    return Verdict(id, True, f"{id} right: {ex.title}." + (f" {remark}" if remark else ""))


def check(id: str, answer: Any) -> None:
    """Check ``answer`` for exercise ``id`` and print whether it is right, with a hint when it is not."""
    print(verdict(id, answer).message)


def hint(id: str) -> None:
    """Print the hint of exercise ``id``."""
    print(f"{id}: {_get(id).hint}")


def solution(id: str) -> None:
    """Print the worked solution of exercise ``id`` (try first: the hint is in ``hint(id)``)."""
    ex = _get(id)
    module = importlib.import_module(f"{__name__}.solutions.nb{ex.notebook}")
    print(inspect.getsource(module.SOLUTIONS[id]))


# --- helpers the checkers share -------------------------------------------------------------


def close(got: Any, want: float, what: str, rel: float = 1e-6, abs_: float = 1e-9) -> None:
    """Raise Wrong unless ``got`` is a number within ``abs_ + rel·|want|`` of ``want``."""
    number = as_number(got, what)
    if not (abs(number - want) <= abs_ + rel * abs(want) or (math.isnan(want) and math.isnan(number))):
        raise Wrong(f"{what} is {number:.10g}, which is not right")


def present(got: Any, what: str) -> None:
    """Raise NotAnswered for the blank ``...``, and Wrong for None (a function with no return)."""
    if got is Ellipsis:
        raise NotAnswered(what)
    if got is None:
        raise Wrong(f"{what} is None: does your code return (or assign) its result?")


def as_number(got: Any, what: str) -> float:
    """``got`` as a float (a Value gives its ``.data``), or Wrong saying what it was."""
    present(got, what)
    if hasattr(got, "data") and not isinstance(got, (int, float)):
        got = got.data
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        raise Wrong(f"{what} should be a number, got {type(got).__name__}")
    return float(got)


def as_sequence(got: Any, length: int, what: str) -> list[Any]:
    """``got`` as a list of ``length`` items, or Wrong."""
    present(got, what)
    if isinstance(got, (str, bytes)) or not isinstance(got, Sequence):
        raise Wrong(f"{what} should be a list or tuple of {length} items, got {type(got).__name__}")
    if len(got) != length:
        raise Wrong(f"{what} should have {length} items, got {len(got)}")
    return list(got)


def as_function(got: Any, what: str) -> Callable[..., Any]:
    """``got`` if it can be called, or Wrong."""
    present(got, what)
    if not callable(got):
        raise Wrong(f"{what} should be a function, got {type(got).__name__}")
    return got
