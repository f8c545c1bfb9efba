"""The plan of a tape: the recorded graph as numbered slots and a list of steps, which both
back ends (Python, :mod:`autograd.tape.codegen`; C, :mod:`autograd.tape.cbackend`) write out.

Slots number every number that changes from one replay to the next: the inputs first, then
the parameters, then one per step, in the engine's topological order. A step reads its
operands, each a slot (an ``int``) or a constant baked into the tape (a ``float``).

Four kinds of step:

* ``"op"``: a node of an op of the table (or a user-defined op), computed by its formula;
* ``"linear"``: a fused linear node (``sum``, ``dot``, ``affine``: ``op.linear`` in the table);
* ``"lookup"``: a lookup by an integer (``take``: ``op.lookup`` in the table), whose index is
  read on every replay; its gradient goes to the candidate at the index;
* ``"chain"``: a chain of ``+`` fused here, at record time. micrograd's ``sum(w*x for ...)``
  makes one ``add`` node per term; the engine adds them one after the other,
  ``((s + t₁) + t₂) + …``, and backpropagates them one after the other. When the chain's
  nodes come one right after the other in the topological order and each partial sum is used
  only by the next ``+``, the step does the same additions in the same order, and pushes the
  same gradient to the same terms in the same order as ``backward()`` would, so the tape stays
  exact: every partial of ``+`` is 1, so each partial sum's gradient is the chain's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

from ..engine import Value, op_of, stored_operands
from ..guard import Decision
from ..ops import OPS, Op

Operand = Union[int, float]  # a slot, or a constant of the tape

_ADD = OPS["add"]


@dataclass
class Step:
    """One node of the tape, computed into slot ``out``.

    ``operands`` are in the order ``op.fn`` takes them (``stored_operands``); the first ``k`` are
    parents, which receive gradients. For a ``"chain"``, ``operands`` are the numbers added, in
    the order they are added, and ``pushes`` the slots that receive the chain's gradient, in the
    order ``backward()`` pushes it.
    """

    kind: str
    out: int
    operands: tuple[Operand, ...]
    k: int
    op: Op | None = None
    pushes: tuple[int, ...] = ()
    #: the recorded node (the last ``+`` of a chain), for messages
    node: Value | None = field(default=None, repr=False)


@dataclass
class Guard:
    """A decision the replay checks before it trusts its numbers: ``left <op> right`` must come
    out ``outcome`` again (``op`` is one of :data:`autograd.guard.COMPARISONS`)."""

    op: str
    left: Operand
    right: Operand
    outcome: bool
    #: the recorded decision: what took it, and where (for the error)
    decision: Decision = field(repr=False)


@dataclass
class Plan:
    """Everything a back end needs to write a tape's code (see the module docstring)."""

    n_inputs: int
    params: list[Value]
    n_slots: int
    steps: list[Step]
    #: whether each slot leads to a parameter: only they need a gradient
    needs_grad: list[bool]
    output: int
    output_is_leaf: bool
    extras: list[int]
    #: the recorded Value of each slot
    values: list[Value]
    #: the decisions to check, in the order they were taken
    guards: list[Guard] = field(default_factory=list)

    @property
    def first_param(self) -> int:
        return self.n_inputs


def _uses(nodes: Sequence[Value], output: Value, extras: Sequence[Value]) -> dict[Value, int]:
    """How many times each node is read: as an operand (each occurrence), as the output, as an extra."""
    uses: dict[Value, int] = {}
    for node in nodes:
        for x in stored_operands(node):
            if isinstance(x, Value):
                uses[x] = uses.get(x, 0) + 1
    for v in (output, *extras):
        uses[v] = uses.get(v, 0) + 1
    return uses


def _is_add(node: Value) -> bool:
    return op_of(node).natural is _ADD


def _chains(nodes: list[Value], uses: dict[Value, int]) -> dict[Value, list[Value]]:
    """The chains of ``+`` to fuse: for the last node of each, its ``+`` nodes in order.

    A ``+`` node joins the chain of the node right before it in ``nodes`` when that node is a
    ``+`` too, is one of its parents, and is read nowhere else.
    """
    chains: dict[Value, list[Value]] = {}
    run: list[Value] = []
    for node in nodes:
        if run and _is_add(node) and uses.get(run[-1], 0) == 1 and run[-1] in node.parents:
            run.append(node)
            continue
        if len(run) > 1:
            chains[run[-1]] = run
        run = [node] if _is_add(node) else []
    if len(run) > 1:
        chains[run[-1]] = run
    return chains


def build(
    inputs: list[Value],
    params: list[Value],
    nodes: list[Value],
    output: Value,
    extras: list[Value],
    decisions: Sequence[Decision] = (),
    forward_only: Sequence[Value] = (),
) -> Plan:
    """The plan of the graph of ``output``: ``nodes`` in topological order, with its inputs and parameters.

    ``decisions`` become the plan's guards. ``forward_only`` are nodes, after ``output``'s in
    ``nodes``, that only decisions read: computed forward, never backpropagated (their gradient is
    not needed, so they are marked as needing none)."""
    slot: dict[Value, int] = {}
    values: list[Value] = []
    for v in (*inputs, *params):
        if v not in slot:
            slot[v] = len(values)
            values.append(v)
    uses = _uses(nodes, output, extras)
    for d in decisions:  # a number a decision reads needs a slot of its own (never inside a chain)
        for x in (d.left, d.right):
            if isinstance(x, Value):
                uses[x] = uses.get(x, 0) + 1
    chains = _chains(nodes, uses)
    inside = {n for chain in chains.values() for n in chain[:-1]}

    def operand(x: Any) -> Operand:
        if isinstance(x, Value):
            s = slot.get(x)
            return float(x.data) if s is None else s
        return float(x)

    steps: list[Step] = []
    for node in nodes:
        if node in inside:
            continue
        out = len(values)
        if node in chains:
            step = _chain_step(chains[node], out, operand)
        else:
            operands = tuple(operand(x) for x in stored_operands(node))
            op = op_of(node)
            kind = "lookup" if op.lookup else "linear" if op.linear is not None else "op"
            step = Step(kind, out, operands, len(node.local_grads), op, node=node)
        slot[node] = out
        values.append(node)
        step.node = node
        steps.append(step)

    first_param = len(inputs)
    needs = [first_param <= i < first_param + len(params) for i in range(len(values))]
    for step in steps:
        parents = step.pushes if step.kind == "chain" else lookup_rows(step) if step.kind == "lookup" else step.operands[: step.k]
        if any(needs[p] for p in parents if isinstance(p, int)):
            needs[step.out] = True
    for node in forward_only:
        if node in slot:
            needs[slot[node]] = False
    guards = []
    checked: set[tuple[str, Operand, Operand, bool]] = set()
    for d in decisions:
        left, right = operand(d.left), operand(d.right)
        key = (d.op, left, right, d.outcome)
        if key in checked:  # the same test again (a row's lookups check one index)
            continue
        if isinstance(left, int) or isinstance(right, int):  # else it depends on no input: always the same
            checked.add(key)
            guards.append(Guard(d.op, left, right, d.outcome, d))
    return Plan(
        n_inputs=len(inputs),
        params=list(params),
        n_slots=len(values),
        steps=steps,
        needs_grad=needs,
        output=slot[output],
        output_is_leaf=output.is_leaf,
        extras=[slot[e] for e in extras],
        values=values,
        guards=guards,
    )


def lookup_rows(step: Step) -> tuple[Operand, ...]:
    """A ``"lookup"`` step's candidates (its operands are ``(chosen, index, *candidates)``): the
    one at the index is its value, and receives its gradient."""
    return step.operands[2:]


def _chain_step(chain: list[Value], out: int, read: Callable[[Any], Operand]) -> Step:
    """One step for the ``+`` nodes of ``chain`` (in topological order, each feeding the next)."""
    terms = [read(x) for x in chain[0].operands]
    for previous, node in zip(chain, chain[1:]):
        others = list(stored_operands(node))
        others.remove(previous)  # the partial sum; the other operand is the next term
        terms.append(read(others[0]))
    # backward() visits the last + first and pushes to its parents in operand order; the
    # partial sum among them passes the same gradient on to the + before it
    pushes: list[int] = []
    for i in range(len(chain) - 1, -1, -1):
        below: Value | None = chain[i - 1] if i else None
        for p in chain[i].parents:
            if p is below:
                below = None  # the partial sum, once (a term may be the same Value as well)
                continue
            pushes.append(int(read(p)))
    return Step("chain", out, tuple(terms), len(pushes), None, tuple(pushes))
