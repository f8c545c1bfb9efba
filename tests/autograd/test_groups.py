"""Groups: which group made a Value (autograd.group, autograd.group_of), and the names nn gives its parts."""

from __future__ import annotations

import asyncio
import gc
import threading

import pytest

import autograd
from autograd import Value, detect_anomaly, dot, group, group_of, logsumexp, matvec, no_grad, record, sum_values
from autograd.groups import grouped, in_group, set_group, subgroup
from autograd.mode import NORMAL, current
from nn import MLP, cross_entropy, hinge_loss, mse_loss
from nn.gpt import GPT, Sizes

# --- user groups ---------------------------------------------------------------------------------


def test_every_op_made_inside_a_group_gets_its_path_and_nothing_outside() -> None:
    x, w = Value(2.0), Value(3.0)
    with group("outer") as path:
        assert path == ("outer",)
        a = x * w
        with group("inner"):
            made = [x + 1, 1 - x, -x, x.tanh(), sum_values([x, w]), dot([x], [w], w), logsumexp([x, w]),
                    *matvec([[x, w]], [1.0, 2.0]), x * 2.0]  # fmt: skip
        b = a + 1
    after = a * b
    assert group_of(a) == group_of(b) == ("outer",)
    assert all(group_of(v) == ("outer", "inner") for v in made)
    assert group_of(after) == () and group_of(x) == ()
    assert current() is NORMAL  # the usual mode is back: the fast path is taken again


def test_group_is_a_decorator_and_restores_the_mode_after_an_error() -> None:
    @group("f")
    def f(v: Value) -> Value:
        return v * v

    assert group_of(f(Value(1.0))) == ("f",)
    with pytest.raises(ZeroDivisionError), group("boom"):
        raise ZeroDivisionError
    assert current() is NORMAL and not in_group()


@pytest.mark.parametrize("bad, error", [(3, TypeError), (None, TypeError), ("", ValueError), ("  ", ValueError)])
def test_group_name_is_checked(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="name expects a non-empty str"):
        group(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="group_of: v expects a Value"):
        group_of(1.0)  # type: ignore[arg-type]


def test_groups_compose_with_no_grad_and_anomaly_in_any_order() -> None:
    x = Value(2.0)
    with group("g"):
        with no_grad():
            c = x * x
            assert not autograd.is_grad_enabled()
        with detect_anomaly():
            with group("h"):
                y = x * x
            assert autograd.is_anomaly_enabled()
            with pytest.raises(autograd.AnomalyError):
                Value(-1.0).log() * 0.0 - float("inf") * 0.0 + x * float("nan")
        z = x + 1
    with no_grad(), group("n"):
        d = x * 3
    assert c.parents == () and group_of(c) == ("g",)
    assert group_of(y) == ("g", "h") and group_of(z) == ("g",) and group_of(d) == ("n",)
    assert autograd.is_grad_enabled() and not autograd.is_anomaly_enabled() and current() is NORMAL


def test_groups_are_per_thread_and_per_task() -> None:
    seen: dict[str, tuple[str, ...]] = {}

    def other() -> None:
        seen["thread"] = group_of(Value(1.0) * 2)

    async def task(name: str) -> tuple[str, ...]:
        with group(name):
            await asyncio.sleep(0)
            return group_of(Value(1.0) * 2)

    async def both() -> list[tuple[str, ...]]:
        return list(await asyncio.gather(task("a"), task("b")))

    with group("main"):
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen["thread"] == ()
    assert asyncio.run(both()) == [("a",), ("b",)]


def test_the_side_table_forgets_a_node_with_the_node() -> None:
    from autograd.groups import GROUPS

    before = len(GROUPS)
    with group("tmp"):
        y = Value(1.0) * 2
    assert len(GROUPS) == before + 1
    del y
    gc.collect()
    assert len(GROUPS) == before


def test_subgroup_grouped_and_set_group() -> None:
    @grouped("part")
    def part(v: Value) -> Value:
        return v + 1

    x = Value(1.0)
    with subgroup("nothing"):
        assert group_of(x * 2) == ()
    assert group_of(part(x)) == ()
    with group("top"):
        assert group_of(part(x)) == ("top", "part")
        with subgroup("sub"):
            assert group_of(x * 2) == ("top", "sub")
    y = x * 5
    set_group([y], ("a", "b"))
    assert group_of(y) == ("a", "b")
    with pytest.raises(TypeError, match="set_group: values expects Values"):
        set_group([y, 3.0], ("c",))  # type: ignore[list-item]
    assert group_of(y) == ("a", "b")  # checked before any change
    set_group([y], ())
    assert group_of(y) == ()


def test_the_tape_records_and_replays_with_groups_active() -> None:
    w = [Value(0.5), Value(-1.0)]

    def loss_fn(x: list[Value], t: Value) -> Value:
        return (dot(w, x).tanh() - t) ** 2

    with group("step"):
        tape = record(loss_fn, [1.0, 2.0], 0.5)
        got = tape([0.3, -0.2], 1.0)
    grads = [p.grad for p in w]
    for p in w:
        p.grad = 0.0
    want = loss_fn([Value(0.3), Value(-0.2)], Value(1.0))
    want.backward()
    assert got == want.data and grads == [p.grad for p in w]


# --- nn names its parts --------------------------------------------------------------------------


def test_mlp_names_layers_and_neurons_inside_a_group_only() -> None:
    model = MLP(2, [3, 2, 1], seed=0)
    plain = model([0.5, -1.0])
    assert group_of(plain) == ()
    with group("step"):
        out = model([0.5, -1.0])
        loss = mse_loss(out, 1.0)
    assert out.data == plain.data  # the same numbers, grouped or not
    assert group_of(out) == ("step", "layer 3", "neuron 1")
    assert group_of(loss) == ("step", "mse loss")
    hidden = out.parents  # the last layer is linear: its dot node reads layer 2's ReLUs
    layer2 = [v for v in hidden if group_of(v)[:2] == ("step", "layer 2")]
    assert sorted(group_of(v) for v in layer2) == [("step", "layer 2", "neuron 1"), ("step", "layer 2", "neuron 2")]
    relu = layer2[0]
    assert group_of(relu.parents[0]) == group_of(relu)  # the neuron's dot node and its ReLU


def test_losses_name_their_groups() -> None:
    s, t = [Value(0.5), Value(-1.0)], [1.0, -1.0]
    with group("g"):
        assert group_of(hinge_loss(s, t)) == ("g", "hinge loss")
        assert group_of(cross_entropy(s, 1)) == ("g", "cross-entropy loss")
        assert group_of(autograd.Value(0.2).sigmoid()) == ("g",)


def test_gpt_names_blocks_heads_mlp_and_loss() -> None:
    model = GPT(Sizes(vocab=5, dim=4, heads=2, block=3, hidden=8), seed=0)
    plain = model.loss([1, 2, 3], [2, 3, 4])
    with group("gpt step"):
        loss = model.loss([1, 2, 3], [2, 3, 4])
    assert loss.data == plain.data
    seen = {group_of(v) for v in _walk(loss)}
    top = ("gpt step",)
    attention = ("block 1", "attention")
    head = (*attention, "head 2")
    for path in [("embedding",), (*attention, "rmsnorm"), (*attention, "output"), (*head, "queries, keys, values"),
                 (*head, "position 1"), (*head, "position 3"), ("block 1", "mlp"), ("lm head",),
                 ("cross-entropy loss",)]:  # fmt: skip
        assert top + path in seen, path
    assert () in seen  # the parameters: leaves belong to no group
    assert all(p == () or p[0] == "gpt step" for p in seen)
    assert top + attention not in seen  # every op of the attention is in one of its parts


def _walk(root: Value) -> list[Value]:
    seen, stack, out = {id(root)}, [root], []
    while stack:
        v = stack.pop()
        out.append(v)
        for p in v.parents:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return out
