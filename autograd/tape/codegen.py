"""The Python back end of a tape: its plan written out as one straight-line Python function.

Each node's forward line calls its op's formula from the op table (``op.fn(F, ...)``); the
fused linear ops (``op.linear`` in the table: ``sum``, ``dot``, ``affine``) are written as
sums, adding in the order their formulas add, and the chains of ``+`` that the plan fused as
one ``a + b + c + ...``. The backward lines are the chain rule in
``Value.backward``'s order, ``g_parent += partial * g_node``, skipping a node whose gradient
is 0 unless one of its partials is inf or nan, as ``backward()`` does.
"""

from __future__ import annotations

import math
from operator import mul
from typing import Any

from ..engine import all_finite
from ..guard import same
from ..ops import OPS, SWAPPED, F, Op
from .guards import failure, python_test
from .plan import Operand, Plan, Step, lookup_rows

#: Ops of the table that the engine records as they are; any other op came from ``apply``,
#: which stores ``float(out)``, so the tape does too.
_BUILTIN_OPS = frozenset([*OPS.values(), *SWAPPED.values()])

#: Python 3.12 made ``sum()`` of floats compensated (Neumaier); before, it added left to right.
#: The engine evaluates its fused nodes with ``sum()``, so the tape must add exactly as ``sum()``
#: does: with a chain of ``+`` where that is the same (and about twice as fast), else with ``sum()``.
SUM_IS_LEFT_TO_RIGHT = sum([1e16, 1.0, -1e16], 0.0) == 0.0

#: Terms per line in a long sum: the compiler recurses on nested ``a + b + ...`` expressions.
_TERMS_PER_LINE = 64


def _literal(x: float, names: dict[str, Any]) -> str:
    """Python source for the float ``x``: a literal, or a name bound to it (inf and nan have none)."""
    if math.isfinite(x):
        text = repr(x)
        return f"({text})" if text.startswith("-") else text
    name = f"k{len(names)}"
    names[name] = x
    return name


def _sum_lines(target: str, start: str, terms: list[str]) -> list[str]:
    """Lines that set ``target`` to ``sum(terms, start)``, adding in the same order as ``sum()``."""
    if not SUM_IS_LEFT_TO_RIGHT:
        return [f"{target} = sum(({', '.join(terms)},), {start})"]
    lines = []
    for i in range(0, max(len(terms), 1), _TERMS_PER_LINE):
        chunk = terms[i : i + _TERMS_PER_LINE]
        lines.append(f"{target} = {' + '.join([start if i == 0 else target, *chunk])}")
    return lines


def _dot_lines(target: str, start: str, left: list[str], right: list[str]) -> list[str]:
    """Lines for the engine's ``sum(map(mul, left, right), start)``."""
    if SUM_IS_LEFT_TO_RIGHT:
        return _sum_lines(target, start, [f"{a} * {b}" for a, b in zip(left, right)])
    return [f"{target} = sum(map(mul, ({', '.join(left)},), ({', '.join(right)},)), {start})"]


class Writer:
    """Turns a :class:`~autograd.tape.plan.Plan` into the source of one function, ``run(X, P, G)``.

    ``X`` holds the input numbers, ``P`` the parameters' data and ``G`` their grads (None for a
    forward pass only). Every number of the
    graph is a local variable: ``v7`` is the value of slot 7, ``g7`` its gradient, ``d7_0`` its
    first local partial when an op formula computes it at run time.
    """

    def __init__(self, plan: Plan, who: str = "tape") -> None:
        self.plan = plan
        self.names: dict[str, Any] = {"F": F, "fin": all_finite, "mul": mul}
        if plan.guards:
            self.names.update(same=same, fail=failure(plan.guards, who))
        self.op_names: dict[Op, str] = {}

    def operand(self, x: Operand) -> str:
        """An operand in the source: a slot's variable, or a constant baked in."""
        return f"v{x}" if isinstance(x, int) else _literal(x, self.names)

    def op_name(self, op: Op) -> str:
        name = self.op_names.get(op)
        if name is None:
            name = self.op_names[op] = f"op{len(self.op_names)}"
            self.names[name] = op.fn
        return name

    # Each step gives its forward lines, and its backward: the pushes (parent slot, the source of
    # its partial, None for a partial of exactly 1.0), the sources of all its partials (for the
    # "is any of them inf or nan?" test), and whether they are finite whatever the data.

    def step(self, step: Step) -> tuple[list[str], list[tuple[int, str | None]], list[str], bool]:
        """Forward lines, pushes, partials source, and whether the partials are surely finite."""
        out = f"v{step.out}"
        if step.kind == "chain":  # micrograd's chain of +, fused: the same additions in the same order
            return _chain_lines(out, [self.operand(x) for x in step.operands]), [(p, None) for p in step.pushes], [], True
        op, operands, k = step.op, step.operands, step.k
        assert op is not None
        parents = [int(p) for p in operands[:k]]
        if step.kind == "linear":  # a fused linear op (not permuted: the engine stores them in place)
            return self.linear(op, out, operands, k, parents)
        # any other op: its formula from the table, on floats
        partials = [f"d{step.out}_{j}" if j < k else "_" for j in range(len(operands))]
        args = ", ".join(["F", *(self.operand(x) for x in operands)])
        unpacked = f"({', '.join(partials)},)"
        lines = [f"{out}, {unpacked} = {self.op_name(op)}({args})  # {_comment(op.name)}"]
        if op not in _BUILTIN_OPS:
            lines.append(f"{out} = float({out})")  # as apply() stores it
        pushes: list[tuple[int, str | None]] = [(p, partials[j]) for j, p in enumerate(parents)]
        return lines, pushes, partials[:k], False

    def linear(
        self, op: Op, out: str, operands: tuple[Operand, ...], k: int, parents: list[int]
    ) -> tuple[list[str], list[tuple[int, str | None]], list[str], bool]:
        """A fused linear op, laid out by its table entry (``op.linear``): its value is a sum, and
        its partials are operands or constants, so nothing but the value is computed forward."""
        assert op.linear is not None
        ws, xs, bias, partials = op.linear(operands)
        start = "0.0" if bias is None else self.operand(bias)
        terms = [self.operand(x) for x in xs]
        if ws is None:
            lines = _sum_lines(out, start, terms)
        else:
            lines = _dot_lines(out, start, [self.operand(w) for w in ws], terms)
        mine = partials[:k]
        # a partial that is a number (a constant coefficient, or 1) is finite whatever the data
        surely_finite = not any(isinstance(d, int) for d in mine) and all_finite(tuple(mine))
        sources = [self.operand(d) for d in mine]
        pushes = [(p, None if d.__class__ is float and d == 1.0 else src) for p, d, src in zip(parents, mine, sources)]
        return lines, pushes, [] if surely_finite else sources, surely_finite

    def lookup(self, step: Step) -> list[str]:
        """A lookup's forward lines: its index ``j``, read from its operand (any number that is not
        an index reads the first candidate, and the replay's guard on the index then refuses it),
        and the candidate at ``j``."""
        rows = lookup_rows(step)
        n = len(rows)
        index = self.operand(step.operands[1])
        j = f"j{step.out}"
        return [
            f"{j} = int({index}) if -{n} <= {index} < {n} else 0",
            f"v{step.out} = ({', '.join(self.operand(r) for r in rows)},)[{j}]  # take",
        ]

    def lookup_push(self, step: Step) -> list[str]:
        """A lookup's backward: its gradient into the candidate at its index, as ``backward()``
        pushes it into the one parent of its node (partial 1, so a gradient of 0 pushes nothing)."""
        needs = self.plan.needs_grad
        rows = lookup_rows(step)
        targets = list(dict.fromkeys(r for r in rows if isinstance(r, int) and needs[r]))
        g, j = f"g{step.out}", f"j{step.out}"
        grads = ", ".join(f"g{t}" for t in targets)
        if targets == list(rows):  # distinct candidates that all take gradients: the index is theirs
            at = [f"t = [{grads}]", f"t[{j}] += {g}"]
        else:
            where = [targets.index(r) if isinstance(r, int) and r in targets else -1 for r in rows]
            at = [f"m = ({', '.join(map(str, where))},)[{j}]", "if m >= 0:", f"    t = [{grads}]", f"    t[m] += {g}"]
            at += [f"    {grads}, = t"]
            return [f"if {g}:", *("    " + line for line in at)]
        return [f"if {g}:", *("    " + line for line in at), f"    {grads}, = t"]

    def source(self, seeded: bool = False, trace: bool = False) -> str:
        """The whole function. It returns ``(loss, grads or None, extras)``, each extra a value;
        with ``trace``, the dict of all its variables instead (to find where two back ends differ).
        The output's gradient starts at 1.0, or with ``seeded`` at a fourth argument ``S``."""
        plan = self.plan
        first_param = plan.first_param
        params = [f"v{first_param + i}" for i in range(len(plan.params))]
        lines = ["def run(X, P, G, S):" if seeded or trace else "def run(X, P, G):"]
        body: list[str] = []
        if plan.n_inputs:
            body.append(f"{', '.join(f'v{i}' for i in range(plan.n_inputs))}, = X")
        if params:
            body.append(f"{', '.join(params)}, = P")
        backward: list[list[str]] = []  # one block per step, in the order backward visits them
        checked: dict[str, None] = {}  # every partial that a zero-gradient test may read
        longest = 1
        needs = plan.needs_grad
        for step in plan.steps:
            if step.kind == "lookup":
                body.extend(self.lookup(step))
                if needs[step.out]:
                    backward.append(self.lookup_push(step))
                continue
            forward, pushes, partials, surely_finite = self.step(step)
            body.extend(forward)
            wanted = [(p, d) for p, d in pushes if needs[p]]
            if not wanted or not needs[step.out]:  # (a node only a guard reads needs no gradient)
                continue
            g = f"g{step.out}"
            block = [f"g{p} += {g}" if d is None else f"g{p} += {d} * {g}" for p, d in wanted]
            if surely_finite:
                backward.append([f"if {g}:", *("    " + line for line in block)])
            else:  # as Value.backward: a zero gradient pushes nothing, unless a partial is inf or nan
                checked.update(dict.fromkeys(partials))
                longest = max(longest, len(partials))
                test = f"if {g} or not finite and not fin(({', '.join(partials)},)):"
                backward.append([test, *("    " + line for line in block)])
        if not trace:  # the decisions of the recording, checked before any number is given
            body.extend(python_test(plan.guards, self.operand))
        root = f"v{plan.output}"
        reported = "(" + "".join(f"v{e}, " for e in plan.extras) + ")"
        done = "return locals()" if trace else f"return {root}, None, {reported}"
        body += ["if G is None:", f"    {done}"]
        if params:
            body.append(f"{', '.join('g' + p[1:] for p in params)}, = G")
        if needs[plan.output]:
            inner = [f"g{s.out}" for s in plan.steps if needs[s.out] and s.out != plan.output]
            for i in range(0, len(inner), _TERMS_PER_LINE):
                body.append(" = ".join([*inner[i : i + _TERMS_PER_LINE], "0.0"]))
            if checked:
                # One test for the whole tape instead of one per node with a zero gradient: when
                # the |partials| add up to less than 1e300 / (the most partials of one node), no
                # node's partials hold an inf or a nan or can overflow their sum, so fin() would
                # say True for every node, and `finite` spares calling it. Otherwise each node
                # is tested as backward() does it.
                body.append(f"finite = sum(map(abs, ({', '.join(checked)},))) < {1e300 / longest!r}")
            seed = "S" if seeded or trace else "1.0"
            if plan.output_is_leaf:  # a parameter returned as it is: backward() adds the seed to its grad
                body.append(f"g{plan.output} += {seed}")
            else:
                body.append(f"g{plan.output} = {seed}")
            for block in reversed(backward):
                body.extend(block)
        done = "return locals()" if trace else f"return {root}, ({''.join('g' + p[1:] + ', ' for p in params)}), {reported}"
        body.append(done)
        return "\n".join(lines + ["    " + line for line in body]) + "\n"


def _chain_lines(target: str, terms: list[str]) -> list[str]:
    """Lines that set ``target`` to ``terms[0] + terms[1] + ...``, added left to right."""
    lines = []
    for i in range(0, len(terms), _TERMS_PER_LINE):
        chunk = terms[i : i + _TERMS_PER_LINE]
        lines.append(f"{target} = {' + '.join(chunk if i == 0 else [target, *chunk])}")
    return lines


def _comment(text: str) -> str:
    """``text`` safe inside a one-line comment: a user's op name may hold a newline."""
    return text if text.isprintable() else repr(text)[1:-1]
