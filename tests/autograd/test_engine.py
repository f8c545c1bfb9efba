"""Value's semantics: construction, errors, backward, memory, grad modes."""

from __future__ import annotations

import asyncio
import gc
import math
import random
import sys
import threading
import weakref
from fractions import Fraction

import pytest

from autograd import Value, dot, enable_grad, is_grad_enabled, matvec, no_grad, sum_values
from autograd.engine import number_of, stored_operands
from autograd.graph import topological_order

# --- construction and errors -----------------------------------------------------------------


def test_data_is_stored_as_float_and_grad_starts_as_float_zero():
    for raw in (3, True, 2.5, Fraction(1, 4)):
        v = Value(raw)
        assert type(v.data) is float and v.data == float(raw)
        assert type(v.grad) is float and v.grad == 0.0
    assert Value(1).op == "" and Value(1).parents == () and Value(1).is_leaf


@pytest.mark.parametrize("bad", ["1.0", None, 1j, [1.0], (1.0,), {"a": 1}, object()])
def test_non_real_data_is_a_type_error_naming_the_type(bad):
    with pytest.raises(TypeError, match=f"Value expects a real number, got {type(bad).__name__}"):
        Value(bad)


def test_value_of_a_value_says_what_to_do():
    with pytest.raises(TypeError, match="got Value"):
        Value(Value(1.0))


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label expects a str, got int"):
        Value(1.0, label=3)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**"])
@pytest.mark.parametrize("bad", ["a", [1], None, 1j])
def test_mixing_in_a_non_number_is_a_type_error(op, bad):
    namespace = {"v": Value(1.0), "bad": bad}
    with pytest.raises(TypeError, match=rf"unsupported operand for .*{type(bad).__name__}"):
        eval(f"v {op} bad", namespace)
    with pytest.raises(TypeError):
        eval(f"bad {op} v", namespace)


def test_repr_equality_hash_and_ordering():
    a, b = Value(1.0), Value(1.0)
    assert repr(a) == "Value(data=1.0, grad=0.0)"
    assert a != b and a == a  # identity
    assert len({a: 1, b: 2}) == 2
    assert (a < 2) is True and (a <= b) is True and (a > b) is False and (Value(3) >= 3) is True
    assert f"{Value(0.123456):.3f}" == "0.123"
    with pytest.raises(TypeError, match="cannot compare Value with str"):
        _ = a < "x"


def test_parents_are_an_ordered_tuple_keeping_duplicates():
    a, b = Value(1.0), Value(2.0)
    assert (a + a).parents == (a, a)
    assert (b * a).parents == (b, a)
    assert (a - 3).parents == (a,) and (a - 3).operands == (a, 3.0)
    assert (3 - a).operands == (3.0, a) and (3 - a).op == "sub"
    assert (a + a).local_grads == (1.0, 1.0)


# --- backward ----------------------------------------------------------------------------------


def test_reused_node_accumulates():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0 and c.grad == 1.0


def test_backward_of_a_neuron_by_hand():
    x1, x2, w1, w2, b = Value(2.0), Value(0.0), Value(-3.0), Value(1.0), Value(6.8813735870195432)
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    n = x1.data * w1.data + x2.data * w2.data + b.data
    local = 1 - math.tanh(n) ** 2  # d tanh / dn
    assert math.isclose(x1.grad, local * w1.data, rel_tol=1e-12)
    assert math.isclose(w1.grad, local * x1.data, rel_tol=1e-12)
    assert math.isclose(w2.grad, local * x2.data, abs_tol=1e-15)
    assert math.isclose(b.grad, local, rel_tol=1e-12)


def test_backward_twice_accumulates_leaves_and_recomputes_intermediates():
    x = Value(2.0)
    y = x * x  # intermediate
    z = y * 3.0
    z.backward()
    assert (x.grad, y.grad, z.grad) == (12.0, 3.0, 1.0)
    z.backward()
    assert x.grad == 24.0  # leaves accumulate, as in PyTorch
    assert y.grad == 3.0  # intermediates are recomputed from zero
    x.grad = 0.0
    z.backward(gradient=0.5)
    assert x.grad == 6.0 and z.grad == 0.5


def test_backward_on_a_leaf_and_on_a_constant():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0
    with pytest.raises(ValueError, match="does not require grad"):
        Value(1.0, requires_grad=False).backward()
    with pytest.raises(TypeError, match="gradient expects a real number"):
        (x * 2).backward(gradient="1")


def test_a_million_op_chain_backpropagates_under_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0
    assert math.isclose(y.data, 2.0, rel_tol=1e-9)


def test_deep_graph_topological_order_is_iterative_and_deterministic():
    """The order comes from the graph's structure, never from ids or hashes: two graphs built
    alike, one after the other (other objects, other ids), are walked in the same order."""

    def build() -> tuple[Value, dict[Value, int]]:
        made: dict[Value, int] = {}
        x = Value(0.5)
        made[x] = 0
        y = x
        for _ in range(5_000):
            scaled = y * 0.5
            made[scaled] = len(made)
            y = (scaled + x).tanh()
            made[y.parents[0]] = len(made)
            made[y] = len(made)
        return y, made

    first, first_made = build()
    keep = [Value(float(i)) for i in range(1_000)]  # shifts the second graph's ids and hashes
    second, second_made = build()
    first_order = [first_made[n] for n in topological_order(first)]
    assert first_order == [second_made[n] for n in topological_order(second)]
    assert sorted(first_order) == list(range(len(first_made)))
    del keep
    position = {n: i for i, n in enumerate(topological_order(first))}
    for n in position:
        assert all(position[p] < position[n] for p in n.parents)


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        x = Value(1.5)
        y = x
        for _ in range(1_000):
            y = (y * x + 1.0).tanh() - x / 3.0
        y = dot([y, x], [x, 2.0], Value(0.5)) + sum_values([y, x, 1.0])
        y.backward()
        refs = [weakref.ref(n) for n in topological_order(y)]
        assert len(refs) > 4_000
        del y
        alive = sum(r() is not None for r in refs)
        assert alive == 1  # only the leaf x, which we still hold
        leaf_ref = weakref.ref(x)
        del x
        assert leaf_ref() is None
    finally:
        gc.enable()


def test_nodes_hold_no_closures_and_no_reference_to_themselves():
    a = Value(2.0)
    b = (a * a).tanh()
    for node in topological_order(b):
        held = [x for x in gc.get_referents(node) if x is not Value]  # every slot's content
        assert node not in stored_operands(node)
        assert not any(callable(x) for x in held)
        assert held.count(node) == 0


# --- grad modes and graph cutting ---------------------------------------------------------------


def test_no_grad_records_no_parents_and_restores_the_mode():
    x = Value(3.0)
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        y = x * x + 1
        with enable_grad():
            z = x * 2
    assert is_grad_enabled()
    assert y.parents == () and not y.requires_grad and y.data == 10.0
    assert z.parents == (x,)


def test_no_grad_as_a_decorator():
    @no_grad()
    def evaluate(v: Value) -> Value:
        return v.exp()

    x = Value(0.0)
    assert evaluate(x).parents == ()
    assert (x.exp()).parents == (x,)


def test_no_grad_is_per_thread_and_per_task():
    x = Value(2.0)
    seen = {}
    entered, release = threading.Event(), threading.Event()

    def other_thread() -> None:
        entered.wait()
        seen["thread"] = (x * x).parents  # the main thread is inside no_grad right now
        release.set()

    t = threading.Thread(target=other_thread)
    t.start()
    with no_grad():
        entered.set()
        release.wait(5)
    t.join()
    assert seen["thread"] == (x, x)

    async def inside() -> tuple:
        with no_grad():
            await asyncio.sleep(0.01)
            return (x * x).parents

    async def outside() -> tuple:
        await asyncio.sleep(0.005)
        return (x * x).parents

    async def both() -> list:
        return list(await asyncio.gather(inside(), outside()))

    assert asyncio.run(both()) == [(), (x, x)]


def test_detach_and_requires_grad_false_cut_the_graph():
    x = Value(2.0)
    c = Value(5.0, requires_grad=False)
    y = x * c + x.detach() * x
    y.backward()
    assert c.grad == 0.0  # a constant gets no gradient
    assert x.grad == 5.0 + 2.0  # through x*c and through the second factor only
    d = x.detach()
    assert d.data == 2.0 and not d.requires_grad and d.parents == ()
    assert not (c * c).requires_grad and (c * c).parents == ()
    c.requires_grad = True
    assert (c * c).parents == (c, c)
    with pytest.raises(ValueError, match="only be changed on a leaf"):
        y.requires_grad = False


def test_fused_dot_and_sum_are_single_nodes_with_correct_gradients():
    ws = [Value(w) for w in (0.5, -1.0, 2.0)]
    xs = [Value(x) for x in (1.0, 2.0, -3.0)]
    b = Value(0.25)
    out = dot(ws, xs, b)
    assert out.op == "dot" and out.parents == (*ws, *xs, b)
    first = dot(ws, [1.0, 2.0, -3.0], b)
    assert first.op == "affine" and first.parents == (*ws, b)
    mixed = dot(ws, [xs[0], 2.0, -3.0])
    for node in (out, first, mixed):
        assert node.data == pytest.approx(0.5 * 1 - 1.0 * 2 + 2.0 * -3 + (0.25 if node is not mixed else 0.0))
    total = sum_values([out, first, mixed, 1.0])
    assert total.op == "sum" and total.parents == (out, first, mixed)
    total.backward()
    assert [w.grad for w in ws] == [3.0, 6.0, -9.0]
    assert xs[0].grad == 0.5 + 0.5 and xs[1].grad == -1.0
    assert b.grad == 2.0
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        dot(ws, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"xs\[1\] expects a real number, got str"):
        dot(ws, [xs[0], "a", 1.0])
    assert sum_values([]).data == 0.0


def test_dot_with_constant_values_is_one_affine_node_and_constants_get_no_gradient():
    ws = [Value(w) for w in (0.5, -1.0)]
    cs = [Value(2.0, requires_grad=False), 3]  # a constant Value (as no_grad() makes) and an int
    b = Value(0.25)
    out = dot(ws, cs, b)
    assert out.op == "affine" and out.parents == (*ws, b) and out.data == 0.5 * 2 - 3.0 + 0.25
    out.backward()
    assert [w.grad for w in ws] == [2.0, 3.0] and b.grad == 1.0 and cs[0].grad == 0.0
    both_constant = dot(cs, cs, 1.0)
    assert not both_constant.requires_grad and both_constant.data == 4.0 + 9.0 + 1.0
    with no_grad():
        hidden = [Value(1.0) * 2.0, Value(-1.0) * 1.0]  # constants, made under no_grad()
        assert dot(ws, hidden, b).data == 0.5 * 2.0 + 1.0 + 0.25


def test_star_import_shadows_no_builtin():
    import builtins

    import autograd

    shadowed = set(autograd.__all__) & set(dir(builtins))
    assert not shadowed, f"from autograd import * would shadow {shadowed}"
    namespace: dict = {}
    exec("from autograd import *", namespace)
    assert {"Value", "dot", "sum_values", "grad", "no_grad"} <= set(namespace)


def test_postorder_walks_any_graph_without_recursion():
    from autograd.graph import postorder

    # a diamond-rich DAG on integers: node n reaches n-1 and n-2, 100,000 deep
    order = postorder(100_000, lambda n: [n - 1, n - 2] if n >= 2 else [])
    assert order == list(range(100_001))  # each node after every node it reaches


# --- matvec: the rows of a layer, sharing their input -------------------------------------------


@pytest.mark.parametrize("inputs", ["values", "numbers", "mixed"])
def test_matvec_records_exactly_the_dot_nodes_of_each_row(inputs: str) -> None:
    rng = random.Random(3)
    rows = [[Value(rng.uniform(-1, 1)) for _ in range(4)] for _ in range(3)]
    biases = [Value(rng.uniform(-1, 1)), 0.5, None]
    raw = [rng.uniform(-2, 2) for _ in range(4)]
    xs: list = {
        "values": [Value(v) for v in raw],
        "numbers": raw,
        "mixed": [Value(raw[0]), raw[1], Value(raw[2], requires_grad=False), raw[3]],
    }[inputs]
    got = matvec(rows, xs, biases)
    want = [dot(w, xs, b) for w, b in zip(rows, biases)]
    for g, w in zip(got, want):
        assert (g.op, g.data, g.local_grads) == (w.op, w.data, w.local_grads)
        assert [type(x) for x in g.operands] == [type(x) for x in w.operands]
    sum_values(got).backward()
    first = [p.grad for row in rows for p in row]
    for row in rows:
        for p in row:
            p.grad = 0.0
    sum_values(want).backward()
    assert [p.grad for row in rows for p in row] == first


def test_matvec_without_biases_and_its_errors() -> None:
    W = [[Value(1.0), Value(2.0)], [Value(3.0), Value(4.0)]]
    assert [v.data for v in matvec(W, [1.0, -1.0])] == [-1.0, -1.0]
    with pytest.raises(ValueError, match=r"row 1"):
        matvec([[1.0, 2.0], [1.0]], [Value(1.0), Value(2.0)])
    with pytest.raises(ValueError, match=r"rows and biases must have the same length, got 2 and 1"):
        matvec(W, [1.0, 2.0], [Value(0.0)])
    with pytest.raises(TypeError, match=r"matvec: bias expects a real number, got str"):
        matvec(W, [1.0, 2.0], ["b", 0.0])


def test_sum_values_value_is_reproduced_by_its_stored_operands_to_the_last_bit() -> None:
    # numbers are stored after the terms that need a gradient, and are added in that order too
    s = sum_values([Value(1.0), 1e16, Value(1.0), -1e16])
    assert [number_of(x) for x in stored_operands(s)] == [1.0, 1.0, 1e16, -1e16]
    assert s.data == sum([1.0, 1.0, 1e16, -1e16], 0.0)
