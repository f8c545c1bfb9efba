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
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\d\d[a-z]?\.\d+)["']""")


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
    return {p.stem.split("_")[0]: p for p in sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.py"))}


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
    answers are not in the notebooks. The exception is a notebook in ``exercises.WORKED`` (02b, where the
    learner writes an engine that later cells use): it is saved with worked answers, each checked "right"."""
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
            saved = "right" if number in exercises.WORKED else "not answered yet"
            blanks.update(re.findall(rf"^(\d\d[a-z]?\.\d+) {saved}", text, flags=re.M))
        assert sorted(blanks) == ours, f"{source.stem}.ipynb: exercises saved without their blank: {sorted(set(ours) - blanks)}"


# --- wrong answers that older checks accepted, and messages that gave the answer away -----------------------------


def _labels_in(text: str) -> list[str]:
    """The node labels of notebook 02's neuron that ``text`` names as words."""
    return re.findall(r"(?<!['’])\b(?:e|o|n|s|b|p1|p2|w1|w2|x1|x2)\b", text)   # not the s of "L's"


@pytest.mark.parametrize("wrong", [
    {"e", "o", "n", "s", "b", "p1", "p2", "w1", "x1", "w2", "x2"},   # every node, as a backward order gives
    {"o"}, {"e", "o"}, set(), {"w1", "x1"},
])
def test_02_3_rejects_without_naming_the_labels(wrong: set[str]) -> None:
    """02.3's message used to list the labels that end at zero, which gave the answer away; its hint stated it."""
    result = exercises.verdict("02.3", wrong)
    assert not result.ok
    reason = result.message.split("\nHint: ")[0].removeprefix("02.3 not yet: ")
    assert _labels_in(reason) == [], reason
    assert _labels_in(ALL["02.3"].hint) == [] and "only" not in ALL["02.3"].hint


def _momentum_with_its_own_memory():
    """Moves the parameters right by keeping its own velocities, and returns the ones it was given."""
    memory: dict[int, float] = {}

    def momentum_step(params, velocities, lr, mu):
        for p in params:
            memory[id(p)] = mu * memory.get(id(p), 0.0) + p.grad
            p.data -= lr * memory[id(p)]
        return velocities

    return momentum_step


def _momentum_ignoring_the_velocities_given():
    """Returns the right velocities, but computes them from its own memory, not from the list it is given."""
    memory: dict[int, float] = {}

    def momentum_step(params, velocities, lr, mu):
        new = []
        for p in params:
            memory[id(p)] = mu * memory.get(id(p), 0.0) + p.grad
            p.data -= lr * memory[id(p)]
            new.append(memory[id(p)])
        return new

    return momentum_step


@pytest.mark.parametrize("make", [_momentum_with_its_own_memory, _momentum_ignoring_the_velocities_given])
def test_04_2_looks_at_the_velocities(make) -> None:
    result = exercises.verdict("04.2", make())
    assert not result.ok and "velocit" in result.message, result.message


def test_04_3_rejects_the_numbers_swapped() -> None:
    right = solutions_module("04.3").SOLUTIONS["04.3"]()
    assert right[0] != right[1]
    assert exercises.verdict("04.3", right).ok
    result = exercises.verdict("04.3", (right[1], right[0]))
    assert not result.ok
    reason = result.message.split("\nHint: ")[0].removeprefix("04.3 not yet: ")
    assert re.findall(r"\d+", reason) == [str(right[1])], reason      # it names what you gave, not the answer


def _exact_draws():
    """Independent draws from the exact p(s) by enumeration: the right frequencies, and no Gibbs step at all."""
    import itertools
    import math

    def gibbs_states(c, J, T, sweeps, rng):
        states = list(itertools.product([0, 1], repeat=len(c)))
        energy = [-sum(ci * si for ci, si in zip(c, s)) - sum(Jij * s[i] * s[j] for (i, j), Jij in J.items())
                  for s in states]
        weights = [math.exp(-e / T) for e in energy]
        return [rng.choices(states, weights)[0] for _ in range(sweeps)]

    return gibbs_states


def _sweep_in_reverse():
    p_on = load("exercises.solutions.nb06").solve_06_2()

    def gibbs_states(c, J, T, sweeps, rng):
        state, states = [0] * len(c), []
        for _ in range(sweeps):
            for i in reversed(range(len(c))):
                state[i] = 1 if rng.random() < p_on(i, state, c, J, T) else 0
            states.append(tuple(state))
        return states

    return gibbs_states


@pytest.mark.parametrize("make", [_exact_draws, _sweep_in_reverse])
def test_06_3_rejects_samplers_that_are_not_the_gibbs_sweep(make) -> None:
    result = exercises.verdict("06.3", make())
    assert not result.ok and "Gibbs sweep" in result.message, result.message


def _softmax_without_the_shift():
    import math

    def probabilities(logits, temperature):
        exps = [math.exp(z / temperature) for z in logits]
        return [e / sum(exps) for e in exps]

    return probabilities


def test_10_4_rejects_a_softmax_with_no_overflow_guard() -> None:
    result = exercises.verdict("10.4", _softmax_without_the_shift())
    assert not result.ok and "OverflowError" in result.message, result.message


# --- notebook 02b: the learner's engine; each check catches the classic bugs -------------------------------------


def _engine_02b(step: str):
    return load("exercises.solutions.nb02b").SOLUTIONS[step]()


def _with_backward(walk_forwards: bool):
    """The worked engine with backward() replaced by one that walks the order forwards (when asked)."""
    MyValue, topological_order = _engine_02b("02b.3")

    def backward(self):
        order = topological_order(self)
        self.grad = 1.0
        for node in (order if walk_forwards else reversed(order)):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad

    MyValue.backward = backward
    return MyValue


def test_02b_4_rejects_a_backward_that_walks_forwards() -> None:
    assert exercises.verdict("02b.4", _with_backward(walk_forwards=False)).ok
    result = exercises.verdict("02b.4", _with_backward(walk_forwards=True))
    assert not result.ok and "is not right" in result.message, result.message


def test_02b_3_rejects_a_recursive_walk_and_a_wrong_order() -> None:
    MyValue, _ = _engine_02b("02b.3")

    def recursive(root):
        order, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for parent in node.parents:
                    visit(parent)
                order.append(node)

        visit(root)
        return order

    def breadth_first_reversed(root):          # a node can come before a parent reached by a longer path
        order, seen, queue = [], {root}, [root]
        while queue:
            node = queue.pop(0)
            order.append(node)
            for parent in node.parents:
                if parent not in seen:
                    seen.add(parent)
                    queue.append(parent)
        return order[::-1]

    result = exercises.verdict("02b.3", (MyValue, recursive))
    assert not result.ok and "RecursionError" in result.message, result.message
    result = exercises.verdict("02b.3", (MyValue, breadth_first_reversed))
    assert not result.ok and "before one of its parents" in result.message, result.message


def test_02b_1_rejects_an_integer_grad() -> None:
    class MyValue:
        def __init__(self, data, parents=(), local_grads=()):
            self.data, self.grad = float(data), 0
            self.parents, self.local_grads = tuple(parents), tuple(local_grads)

    result = exercises.verdict("02b.1", MyValue)
    assert not result.ok and "0.0" in result.message, result.message
