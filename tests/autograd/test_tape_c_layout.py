"""Where the C tape keeps its numbers (autograd/tape/cbackend/schedule.py: read_order): the nodes
of an ``ops`` group are laid out in the order the rows of the clusters read them, which must make
the rows of a batch recorded as one tape contiguous and change no bit.

The references: the Python replay of the same recording and the engine's ``backward()`` on a
freshly built graph (loss and every gradient, ``same()``: ``==`` where nan equals nan and 0.0
differs from -0.0), and after one SGD step the parameters of ``nn.optim.SGD`` on that graph.
Speed is not asserted here: benchmarks/run.py measures it.
"""

from __future__ import annotations

import random
from array import array
from typing import Any

import pytest
from test_tape import same
from test_tape_c import compiler  # noqa: F401  (the fixture: needs the C compiler, fails under CI without it)

from autograd import Value, dot, record
from autograd.tape.cbackend import CTape, Trainer, schedule
from autograd.tape.cbackend.schedule import groups, read_order, sides
from nn import MLP, hinge_loss
from nn.optim import SGD
from nn.update_rules import SGDRule

INF, NAN = float("inf"), float("nan")
ALPHA, LR = 1e-4, 0.05


def demo_step(model: MLP, l2: bool) -> Any:
    """micrograd's demo step as one tape: every point through the model, the hinge loss over
    them, and (``l2``) an L2 penalty that reads every parameter a second time."""
    params = model.parameters()

    def loss_fn(points: list[list[Any]], labels: list[Any]) -> Any:
        loss = hinge_loss([model(x) for x in points], labels)
        return loss + ALPHA * dot(params, params) if l2 else loss

    return loss_fn


def points(n: int, seed: int, special: bool = False) -> tuple[list[list[float]], list[float]]:
    rng = random.Random(seed)
    xs = [[rng.gauss(0, 1.5), rng.gauss(0, 1.5)] for _ in range(n)]
    ys = [rng.choice((1.0, -1.0)) for _ in range(n)]
    if special:
        for i, x in enumerate((INF, NAN, -0.0, -INF, 0.0)):
            if i < n:
                xs[i][i % 2] = x
    return xs, ys


def engine_reference(fn: Any, params: list[Value], xs: list[list[float]], ys: list[float]) -> tuple[float, list[float]]:
    for p in params:
        p.grad = 0.0
    loss = fn(xs, ys)
    loss.backward()
    return loss.data, [p.grad for p in params]


def assert_bits(a: tuple[float, list[float]], b: tuple[float, list[float]]) -> None:
    assert same(a[0], b[0]), (a[0], b[0])
    assert len(a[1]) == len(b[1]) and all(map(same, a[1], b[1])), [(x, y) for x, y in zip(a[1], b[1]) if not same(x, y)]


def replayed(tape: Any, params: list[Value], xs: list[list[float]], ys: list[float]) -> tuple[float, list[float]]:
    for p in params:
        p.grad = 0.0
    loss = tape(xs, ys)
    return loss, [p.grad for p in params]


@pytest.mark.parametrize("l2", [True, False], ids=["l2", "no-l2"])
@pytest.mark.parametrize("n", range(1, 18))
def test_the_demo_step_as_one_tape_is_the_engine_s_to_the_bit(n: int, l2: bool) -> None:
    model = MLP(2, [16, 16, 1], seed=n)
    params = model.parameters()
    fn = demo_step(model, l2)
    for special in (False, True):
        xs, ys = points(n, seed=100 + n, special=special)
        ctape = record(fn, xs, ys, backend="c")
        assert isinstance(ctape, CTape)
        tape = record(fn, xs, ys)
        for seed in (1, 2):  # other numbers than the recording's
            xs, ys = points(n, seed=seed * 1000 + n, special=special)
            reference = engine_reference(fn, params, xs, ys)
            assert_bits(replayed(tape, params, xs, ys), reference)
            assert_bits(replayed(ctape, params, xs, ys), reference)


@pytest.mark.parametrize("n", [1, 5, 17])
def test_a_trainer_step_on_the_demo_tape_is_nn_sgd_to_the_bit(n: int) -> None:
    model = MLP(2, [16, 16, 1], seed=n)
    params = model.parameters()
    start = [p.data for p in params]
    fn = demo_step(model, l2=True)
    xs, ys = points(n, seed=7 + n, special=True)
    ctape = record(fn, xs, ys, backend="c")
    assert isinstance(ctape, CTape)
    trainer = Trainer(params, SGDRule(lr=LR))
    flat = array("d", [x for p in xs for x in p] + ys)
    losses = [trainer.step_flat(ctape, flat, 1)[0] for _ in range(2)]
    trainer.sync()
    by_c = [p.data for p in params]
    expected = engine_sgd(fn, params, start, xs, ys, [LR, LR])
    assert all(map(same, losses, expected)), (losses, expected)
    assert all(map(same, by_c, [p.data for p in params]))


def engine_sgd(fn: Any, params: list[Value], start: list[float], xs: Any, ys: Any, lrs: list[float],
               weight_decay: float = 0.0) -> list[float]:
    """From the weights ``start``, one step of the engine and nn.SGD per learning rate in ``lrs``
    (the loop a Trainer must match to the bit); the losses. The parameters are left trained."""
    for p, x in zip(params, start):
        p.data, p.grad = x, 0.0
    optimizer = SGD(params, lr=lrs[0], weight_decay=weight_decay)
    losses = []
    for lr in lrs:
        optimizer.lr = lr
        optimizer.zero_grad()
        loss = fn(xs, ys)
        loss.backward()
        optimizer.step()
        losses.append(loss.data)
    return losses


def positions(levels: Any) -> tuple[dict[int, int], dict[int, int]]:
    """Where emit puts each node (one after the other, level after level, group after group),
    and the ``ops`` group (by its number) that makes it."""
    at, where, maker = 0, {}, {}
    for level in levels:
        for group in level:
            for step in group.steps:
                where[step.out] = at
                if group.kind == "ops":
                    maker[step.out] = id(group)
                at += 1
    return where, maker


@pytest.mark.parametrize("n", [17, 20, 33])
def test_each_row_of_a_batch_tape_reads_a_contiguous_run_of_nodes(n: int) -> None:
    # more points than neurons: a second-layer neuron's rows share its weights, and each row's own
    # side is a point's hidden layer, made by one relu group (read in reverse, which read_order follows)
    model = MLP(2, [16, 16, 1], seed=3)
    xs, ys = points(n, seed=5)
    plan = record(demo_step(model, l2=True), xs, ys).plan
    levels = groups(plan, lambda x: 0)  # read_order is applied there
    where, maker = positions(levels)
    checked = 0
    for level in levels:
        for group in level:
            if group.kind != "cluster" or group.shared_side != "w":
                continue
            for step in group.steps:
                own = [x for x in sides(step)[1] if isinstance(x, int)]
                if own and len({maker.get(x) for x in own}) == 1 and own[0] in maker:
                    first = where[own[0]]
                    assert [where[x] for x in own] == list(range(first, first + len(own)))
                    checked += 1
    assert checked == 16 * n  # every row of the second layer


def test_read_order_only_moves_an_ops_group_s_steps_and_settles_at_once(monkeypatch: Any) -> None:
    model = MLP(2, [16, 16, 1], seed=3)
    xs, ys = points(20, seed=5)
    plan = record(demo_step(model, l2=True), xs, ys).plan
    with monkeypatch.context() as m:
        m.setattr(schedule, "read_order", lambda levels: None)
        levels = groups(plan, lambda x: 0)  # as they were made, before read_order
    before = [[sorted(s.out for s in g.steps) for g in level] for level in levels]
    kinds = [[(g.kind, [s.out for s in g.steps]) for g in level if g.kind != "ops"] for level in levels]
    made = [[[s.out for s in g.steps] for g in level] for level in levels]
    read_order(levels)
    ordered = [[[s.out for s in g.steps] for g in level] for level in levels]
    assert ordered != made  # it did move some (the relu nodes the second layer reads)
    assert [[sorted(s.out for s in g.steps) for g in level] for level in levels] == before
    assert [[(g.kind, [s.out for s in g.steps]) for g in level if g.kind != "ops"] for level in levels] == kinds
    read_order(levels)
    assert [[[s.out for s in g.steps] for g in level] for level in levels] == ordered
    assert [[[s.out for s in g.steps] for g in level] for level in groups(plan, lambda x: 0)] == ordered


def test_a_trainer_step_with_plain_sgd_is_one_c_call_that_follows_the_rule_s_lr(monkeypatch: pytest.MonkeyPatch) -> None:
    # zero_grad, the batch and SGD without momentum in one C call (CTape.train_step, never
    # run_batch); the rule's lr and weight decay are read at each step, as nn.SGD reads them
    model = MLP(2, [5, 1], seed=3)
    params = model.parameters()
    start = [p.data for p in params]
    fn = demo_step(model, l2=True)
    xs, ys = points(6, seed=8, special=True)
    ctape = record(fn, xs, ys, backend="c")
    assert isinstance(ctape, CTape)
    flat = array("d", [x for p in xs for x in p] + ys)
    rule = SGDRule(lr=LR, weight_decay=0.01)
    trainer = Trainer(params, rule)

    def no_batch(*args: Any) -> None:
        raise AssertionError("run_batch called: the step was not one C call")

    monkeypatch.setattr(CTape, "run_batch", no_batch)
    losses = []
    for lr in (LR, 0.2, 0.01):
        rule.lr = lr
        losses.append(trainer.step_flat(ctape, flat, 1)[0])
    trainer.sync()
    by_c = [x for p in params for x in (p.data, p.grad)]
    expected = engine_sgd(fn, params, start, xs, ys, [LR, 0.2, 0.01], weight_decay=0.01)
    assert all(map(same, losses, expected)), (losses, expected)
    assert all(map(same, by_c, [x for p in params for x in (p.data, p.grad)]))


class PythonSideRule:
    """An update rule without c_rule: a Trainer calls its apply() after each batch."""

    def __init__(self) -> None:
        self.rule = SGDRule(lr=LR)
        self.applied = 0

    def check(self, n: int) -> None:
        self.rule.check(n)

    def apply(self, data: int, grads: int, n: int) -> None:
        self.applied += 1
        self.rule.apply(data, grads, n)


def test_a_rule_without_c_or_with_momentum_steps_in_three_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    model = MLP(2, [4, 1], seed=5)
    params = model.parameters()
    start = [p.data for p in params]
    fn = demo_step(model, l2=False)
    xs, ys = points(5, seed=9)
    ctape = record(fn, xs, ys, backend="c")
    assert isinstance(ctape, CTape)
    flat = array("d", [x for p in xs for x in p] + ys)

    def no_step(*args: Any) -> None:
        raise AssertionError("train_step called for a rule that has no C step")

    results = []
    for make in (lambda: SGDRule(lr=LR), PythonSideRule, lambda: SGDRule(lr=LR, momentum=0.9)):
        for p, x in zip(params, start):
            p.data, p.grad = x, 0.0
        rule = make()
        trainer = Trainer(params, rule)
        with monkeypatch.context() as patch:
            if not isinstance(rule, SGDRule) or rule.momentum:
                patch.setattr(CTape, "train_step", no_step)
            trainer.step_flat(ctape, flat, 1)
            trainer.step_flat(ctape, flat, 1)
        trainer.sync()
        results.append([x for p in params for x in (p.data, p.grad)])
        if isinstance(rule, PythonSideRule):
            assert rule.applied == 2
    assert all(map(same, results[0], results[1]))  # the same numbers, by one C call and by three
    assert not all(map(same, results[0], results[2]))  # momentum moved them further
