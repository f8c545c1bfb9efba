"""The notebooks' checked exercises: every worked solution passes its check, a typical wrong answer is
rejected with the exercise's hint, and every exercise is asked (with its blank) in its own notebook.

The checks live in ``notebooks/exercises`` (``nbNN.py``, one module per notebook) and the solutions in
``notebooks/exercises/solutions``; a notebook imports them from its own folder, and so does this test.
"""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\d\d\.\d+)["']""")


def load(name: str) -> ModuleType:
    """Import ``name`` from notebooks/ (where the notebooks import it from)."""
    if str(NOTEBOOKS) not in sys.path:
        sys.path.insert(0, str(NOTEBOOKS))
    return importlib.import_module(name)


exercises = load("exercises")
ALL = exercises.exercises()
IDS = list(ALL)


def solutions_module(exercise_id: str) -> ModuleType:
    return load(f"exercises.solutions.nb{exercise_id.split('.')[0]}")


def sources() -> dict[str, Path]:
    """Each notebook's number and its .py source."""
    return {p.stem[:2]: p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))}


def test_there_are_exercises_in_every_notebook_that_has_checks() -> None:
    assert len(ALL) >= 30
    numbers = {ex.notebook for ex in ALL.values()}
    assert numbers == set(exercises.NOTEBOOKS)
    for number in numbers:
        assert number in sources(), f"exercises for notebook {number}, but no notebook {number}_*.py"


def test_every_exercise_has_a_solution_and_a_typical_mistake() -> None:
    for number in exercises.NOTEBOOKS:
        module = load(f"exercises.solutions.nb{number}")
        ours = {i for i in IDS if i.startswith(number + ".")}
        assert set(module.SOLUTIONS) == ours, f"solutions/nb{number}.py: {sorted(set(module.SOLUTIONS) ^ ours)}"
        assert set(module.MISTAKES) == ours, f"solutions/nb{number}.py mistakes: {sorted(set(module.MISTAKES) ^ ours)}"


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_worked_solution_passes_its_check(exercise_id: str) -> None:
    answer = solutions_module(exercise_id).SOLUTIONS[exercise_id]()
    result = exercises.verdict(exercise_id, answer)
    assert result.ok, result.message
    assert result.message.startswith(f"{exercise_id} right")


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_typical_mistake_is_rejected_with_the_hint(exercise_id: str) -> None:
    answer = solutions_module(exercise_id).MISTAKES[exercise_id]()
    result = exercises.verdict(exercise_id, answer)
    assert not result.ok, f"{exercise_id}: the mistake passed: {result.message}"
    assert result.message.startswith(f"{exercise_id} not yet: ")
    assert result.message.endswith("Hint: " + ALL[exercise_id].hint)


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_blank_is_not_answered_yet(exercise_id: str) -> None:
    result = exercises.verdict(exercise_id, ...)
    assert not result.ok and "not answered yet" in result.message


def test_an_answer_that_raises_is_reported_not_raised() -> None:
    result = exercises.verdict("01.2", lambda x: 1 / 0)
    assert not result.ok and "ZeroDivisionError" in result.message
    result = exercises.verdict("01.2", lambda x: None)
    assert not result.ok and "None" in result.message


def test_check_hint_and_solution_print(capsys: pytest.CaptureFixture[str]) -> None:
    exercises.check("00.1", 0.0)
    exercises.hint("00.1")
    exercises.solution("00.1")
    out = capsys.readouterr().out
    assert out.startswith("00.1 not yet") and out.count(ALL["00.1"].hint) == 2 and "def solve_00_1" in out
    with pytest.raises(KeyError, match="no exercise '99.9'"):
        exercises.check("99.9", 1.0)


def test_each_notebook_asks_each_of_its_exercises_with_a_blank() -> None:
    """Every exercise is checked in its own notebook, and the saved outputs show it unanswered: the
    answers are not in the notebooks."""
    for number, source in sources().items():
        asked = CHECK_CALL.findall(source.read_text(encoding="utf-8"))
        ours = sorted(i for i in IDS if i.startswith(number + "."))
        assert sorted(set(asked)) == ours, f"{source.name} checks {sorted(set(asked))}, registered {ours}"
        nb = json.loads(source.with_suffix(".ipynb").read_text(encoding="utf-8"))
        blanks = set()
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            streams = [out for out in cell.get("outputs", []) if out.get("output_type") == "stream"]
            text = "".join("".join(out["text"]) for out in streams)   # saved as a string or a list of lines
            blanks.update(re.findall(r"^(\d\d\.\d+) not answered yet", text, flags=re.M))
        assert sorted(blanks) == ours, f"{source.stem}.ipynb: exercises saved without their blank: {sorted(set(ours) - blanks)}"
