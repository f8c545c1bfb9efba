"""How the C back end orders a tape: in levels of independent nodes, each level in groups that
one loop computes, so that the code grows with the number of groups, not of nodes.

The Python tape runs the steps in the engine's topological order and backpropagates in the
reverse order. Another order gives the very same numbers when two things hold:

* every node comes after its operands (forward), so its gradient is complete before it is
  pushed on (backward, in reverse);
* every number that receives gradients (a parameter, a node that leads to one) receives them
  from its consumers in the same order, since float additions round differently in another
  order.

So each step gets a *level*: one more than the level of each step that makes one of its
operands, and one more than the level of the step before it that pushed into one of the same
gradients. Steps of one level are independent: each level is computed in groups of the same
kind (all its ``tanh`` nodes, say), each group by one loop, and backpropagated in reverse.

One exception makes matrices: the rows of a layer, fused ``dot`` nodes that read the same vector,
all push into that vector's gradients, so each row would get a level of its own. Rows with the
same shared vector only need to keep their order among themselves, so a row only has to be at
the level of the row before it, not one more; the rows of one level then form a *cluster*,
computed by one loop over a matrix in their order.

Inside a group that is not a cluster, the order of the steps is free: they are independent
(forward) and no two of them push into the same gradient (backward: that would have put them at
different levels). :func:`read_order` uses that freedom to lay the nodes out in the order the rows
of the clusters read them, so that each row reads a contiguous run of numbers (one loop over
``v[ref + k]``) instead of gathering them through a list of positions. Nothing computed changes,
only where it is kept.

A layer of an MLP recorded on a whole batch is one cluster per neuron, each at a level of its own
(they all push into the points' gradients). Their forward passes depend on nothing the levels
between them compute, so :func:`matrices` names the clusters whose forward passes one loop
computes at the first one's level, a vector of clusters at a time (backward stays level by level).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from ..plan import Operand, Plan, Step, lookup_rows


@dataclass
class Group:
    """Steps computed by one loop: ``kind`` is ``"ops"`` (an op of fixed arity), ``"nary"`` (an
    n-ary op such as logsumexp), ``"sums"`` (sum_values nodes), ``"chains"`` (fused chains of +),
    ``"lookups"`` (take) or ``"cluster"`` (dot/affine rows that share one side)."""

    kind: str
    key: Hashable
    steps: list[Step] = field(default_factory=list)
    #: for a cluster: "w" when the rows share their weights (the operands before the inputs), else "x"
    shared_side: str = "x"
    #: whether the steps' values lead to a parameter (else backward skips them)
    needs_grad: bool = True


def sides(step: Step) -> tuple[list[Operand], list[Operand], Operand | None]:
    """A dot or affine step's weights, inputs (constants for affine) and bias, from ``op.linear``."""
    assert step.op is not None and step.op.linear is not None
    ws, xs, bias, _ = step.op.linear(step.operands)
    return list(ws or ()), list(xs), bias


def _is_row(step: Step) -> bool:
    return step.kind == "linear" and step.op is not None and step.op.linear is not None and step.op.name != "sum"


def pushes(step: Step) -> list[int]:
    """The slots a step pushes gradients into, in backward's order (for a lookup, every slot it
    may push into: the one it does depends on the index)."""
    if step.kind == "chain":
        return list(step.pushes)
    if step.kind == "lookup":
        return [r for r in lookup_rows(step) if isinstance(r, int)]
    return [p for p in step.operands[: step.k] if isinstance(p, int)]


def groups(plan: Plan, const_key: Callable[[float], int]) -> list[list[Group]]:
    """The levels of the plan's steps, each a list of groups (see the module docstring).

    ``const_key(x)`` names a constant as the position it will get, so that two rows sharing the
    same numbers share a side. The steps of each ``ops`` group come in the order of
    :func:`read_order`.
    """
    steps = plan.steps
    needs = plan.needs_grad
    keyof = _row_keys(steps, needs, const_key)
    producer: dict[int, int] = {}
    last_push: dict[int, int] = {}
    level = [0] * len(steps)
    for i, step in enumerate(steps):
        at = 0
        operands = step.operands
        for x in operands:
            if isinstance(x, int):
                p = producer.get(x)
                if p is not None and level[p] + 1 > at:
                    at = level[p] + 1
        mine = keyof.get(i)
        for t in pushes(step):
            if not needs[t]:
                continue
            c = last_push.get(t)
            if c is not None:
                soft = mine is not None and keyof.get(c) == mine
                at = max(at, level[c] + (0 if soft else 1))
            last_push[t] = i
        level[i] = at
        producer[step.out] = i

    levels: list[dict[Hashable, Group]] = [{} for _ in range(max(level, default=-1) + 1)]
    for i, step in enumerate(steps):
        kind, key, side = _kind(step, keyof.get(i), needs[step.out])
        group = levels[level[i]].get(key)
        if group is None:
            group = levels[level[i]][key] = Group(kind, key, shared_side=side, needs_grad=needs[step.out])
        group.steps.append(step)
    ordered = [list(groups.values()) for groups in levels]
    read_order(ordered)
    return ordered


def _kind(step: Step, row_key: Hashable, needs: bool) -> tuple[str, Hashable, str]:
    if step.kind == "chain":
        return "chains", ("chains", needs), "x"
    if step.kind == "lookup":
        return "lookups", ("lookups", needs), "x"
    op = step.op
    assert op is not None
    if step.kind == "linear":
        if op.name == "sum":
            return "sums", ("sums", needs), "x"
        assert row_key is not None
        return "cluster", row_key, row_key[1]  # type: ignore[index]
    if op.arity is None:
        return "nary", ("nary", op, needs), "x"
    return "ops", ("ops", op, len(step.operands), step.k, needs), "x"


def _row_keys(steps: list[Step], needs: list[bool], const_key: Callable[[float], int]) -> dict[int, Hashable]:
    """For each dot/affine step, the key of the cluster it may join: its op, the side it shares
    (the one whose numbers more rows read, the inputs on a tie), those numbers, and its shape."""

    def side_key(xs: list[Operand]) -> tuple[object, ...]:
        # constants by the position they will get, so that equal numbers make equal keys
        return tuple(x if isinstance(x, int) else ("k", const_key(x)) for x in xs)

    rows = {i: s for i, s in enumerate(steps) if _is_row(s)}
    w_count: Counter[tuple[object, ...]] = Counter()
    x_count: Counter[tuple[object, ...]] = Counter()
    parts = {}
    for i, step in rows.items():
        ws, xs, bias = sides(step)
        wk, xk = side_key(ws), side_key(xs)
        parts[i] = (wk, xk, bias)
        w_count[wk] += 1
        x_count[xk] += 1
    keys: dict[int, Hashable] = {}
    for i, step in rows.items():
        wk, xk, bias = parts[i]
        side, shared = ("w", wk) if w_count[wk] > x_count[xk] else ("x", xk)
        assert step.op is not None
        keys[i] = ("cluster", side, shared, step.op.name, len(wk), bias is None, step.k, needs[step.out])
    return keys


def read_order(levels: list[list[Group]]) -> None:
    """Reorder, in place, the steps of each ``ops`` group so that its nodes come in the order in
    which the clusters' rows first read them (the rows' own side, row after row), the nodes no row
    reads after them in their order. An MLP on a batch recorded as one tape then keeps each
    point's hidden layer where its rows of the next layer read it, in their order (see the module
    docstring for why the order of an ``ops`` group's steps changes no number)."""
    home: dict[int, tuple[Group, Step]] = {}
    for level in levels:
        for group in level:
            if group.kind == "ops":
                for step in group.steps:
                    home[step.out] = (group, step)
    if not home:
        return
    first: dict[int, list[Step]] = {}
    seen: set[int] = set()
    for level in levels:
        for group in level:
            if group.kind != "cluster":
                continue
            for step in group.steps:
                ws, xs, _ = sides(step)
                for x in xs if group.shared_side == "w" else ws:
                    if isinstance(x, int) and x in home and x not in seen:
                        seen.add(x)
                        owner, made = home[x]
                        first.setdefault(id(owner), []).append(made)
    for level in levels:
        for group in level:
            placed = first.get(id(group))
            if placed:
                group.steps[:] = placed + [s for s in group.steps if s.out not in seen]


def matrices(levels: list[list[Group]], at: Callable[[Operand], int], first_node: int, most: int) -> dict[int, list[Group]]:
    """The clusters whose forward passes one call computes (clusters.h: vg_matrix), by group id: the
    first of each set maps to the set (at most ``most`` clusters), the others to an empty list.

    They are the clusters of one layer of an MLP recorded on a whole batch: dot clusters that share
    their weights, whose rows are the same vectors at consecutive positions (``at``: an operand's
    position), whose weights and bias are ready before any node is computed (inputs, parameters,
    constants: positions below ``first_node``), each with one bias for all its rows. Computing a
    cluster's forward pass at the level of the first of its set is then safe: it reads nothing a
    later level computes, and nothing reads its numbers before its own level."""
    sets: dict[tuple[object, ...], list[Group]] = {}
    for level in levels:
        for group in level:
            key = _matrix_key(group, at, first_node)
            if key is not None:
                sets.setdefault(key, []).append(group)
    merged: dict[int, list[Group]] = {}
    for found in sets.values():
        for i in range(0, len(found), most):
            part = found[i : i + most]
            if len(part) > 1:
                merged[id(part[0])] = part
                merged.update((id(g), []) for g in part[1:])
    return merged


def _matrix_key(group: Group, at: Callable[[Operand], int], first_node: int) -> tuple[object, ...] | None:
    """What clusters must share to be computed by one vg_matrix call, or None if this one cannot."""
    first = group.steps[0]
    if group.kind != "cluster" or group.shared_side != "w" or first.op is None or first.op.name != "dot":
        return None
    refs, biases = [], set()
    n = len(sides(first)[0])
    for step in group.steps:
        ws, xs, bias = sides(step)
        own = [at(x) for x in xs]
        if not own or own != list(range(own[0], own[0] + n)):
            return None
        if any(at(w) >= first_node for w in ws) or (bias is not None and at(bias) >= first_node):
            return None
        refs.append(own[0])
        biases.add(None if bias is None else at(bias))
    if len(biases) != 1:
        return None
    return (tuple(refs), n, first.k)
