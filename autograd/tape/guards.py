"""A tape's guards: the decisions its recording took on Values' numbers (:mod:`autograd.guard`),
which every replay checks before it trusts its numbers.

Three jobs: which numbers the decisions read (:func:`guarded_values`: a decision may read a
Value the loss does not depend on, which the tape must then compute too); the Python test a
replay runs (:func:`python_test`); and the error when a decision goes the other way
(:func:`failure`, shared by both back ends).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NoReturn

from ..engine import Value
from ..graph import topological_order
from ..guard import Decision, GuardError, evaluate
from .plan import Guard, Operand

__all__ = ["guarded_values", "python_test", "failure", "guard_error", "first_failing"]


def guarded_values(
    decisions: Sequence[Decision], graph: set[Value], inputs: Sequence[Value]
) -> tuple[list[Value], list[Value]]:
    """What the tape must compute beyond the loss's graph for ``decisions``: the nodes (in
    topological order) that only decisions read, and the leaves that need a gradient, are not
    inputs, and only decisions read (a replay reads their data, as a parameter's)."""
    nodes: list[Value] = []
    leaves: list[Value] = []
    known = set(graph) | set(inputs)
    for d in decisions:
        for x in (d.left, d.right):
            if not isinstance(x, Value) or x in known or not x.requires_grad:
                continue
            for v in topological_order(x):
                if v in known:
                    continue
                known.add(v)
                if v.is_leaf:
                    if v.requires_grad:
                        leaves.append(v)
                else:
                    nodes.append(v)
    return nodes, leaves


def python_test(guards: Sequence[Guard], operand: Callable[[Operand], str]) -> list[str]:
    """Lines that check ``guards`` in a replay's Python code and call ``fail`` with their numbers
    when one goes the other way (one test for all of them: the usual case costs one ``if``)."""
    if not guards:
        return []
    tests = []
    numbers = []
    for g in guards:
        a, b = operand(g.left), operand(g.right)
        if g.op == "same":
            test = f"same({a}, {b})"
        elif g.op == "index":
            test = f"-{b} <= {a} < {b} and {a} == int({a})"
        else:
            test = f"{a} {g.op} {b}"
        tests.append(f"({test})" if g.outcome else f"not ({test})")
        numbers += [a, b]
    return [f"if not ({' and '.join(tests)}):", f"    fail(({', '.join(numbers)},))"]


def guard_error(who: str, guard: Guard, a: float, b: float, sample: int | None = None) -> GuardError:
    """The error for ``guard`` going the other way on the numbers ``a`` and ``b``."""
    d = guard.decision
    recorded_a, recorded_b = d.numbers
    in_sample = "" if sample is None else f" (sample {sample} of the batch)"
    if d.op == "index":
        return GuardError(
            f"{who}: the index of the lookup at {d.where} ({d.what}) is {a!r} in this replay{in_sample}: "
            f"it expects an integer in [-{b:g}, {b:g}), so the tape gives no number",
            d,
            sample,
        )
    return GuardError(
        f"{who}: the decision taken at {d.where} ({d.what}) went the other way on this replay's numbers{in_sample}: "
        f"recorded {recorded_a!r} {d.op} {recorded_b!r} was {d.outcome}, now {a!r} {d.op} {b!r} is {not d.outcome}. "
        "The tape kept only the branch taken while recording, so it gives no number: record again for these "
        "numbers (autograd.compiled does it by itself), or decide with an op that runs on every replay "
        "(abs, relu, max via logsumexp, autograd.take)",
        d,
        sample,
    )


def failure(guards: Sequence[Guard], who: str) -> Callable[[tuple[float, ...]], NoReturn]:
    """The ``fail(numbers)`` a replay's Python code calls: raises the GuardError of the first guard
    that goes the other way on ``numbers`` (two per guard, in order)."""

    def fail(numbers: tuple[float, ...], sample: int | None = None) -> NoReturn:
        for i, g in enumerate(guards):
            a, b = numbers[2 * i], numbers[2 * i + 1]
            if evaluate(g.op, a, b) != g.outcome:
                raise guard_error(who, g, a, b, sample)
        raise GuardError(f"{who}: a guard failed, but none does when checked one by one")  # not reached

    return fail


def first_failing(guards: Sequence[Guard], value: Callable[[Operand], float]) -> tuple[int, float, float] | None:
    """The index of the first guard that goes the other way, with its two numbers, or None."""
    for i, g in enumerate(guards):
        a, b = value(g.left), value(g.right)
        if evaluate(g.op, a, b) != g.outcome:
            return i, a, b
    return None
