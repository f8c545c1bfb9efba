"""Every op in the table, checked against finite differences and PyTorch float64.

The finite-difference tests are parametrised over ``autograd.ops.OPS``: a new op is tested
as soon as it is added to the table (it must declare a ``domain`` of smooth points).
"""

from __future__ import annotations

import math
import operator

import pytest
from helpers import FD_ATOL, FD_RTOL, close, finite_difference, numeric_gradient, require

from autograd import Value, apply, dot, grad, record, sum_values
from autograd.engine import op_of
from autograd.nary import V
from autograd.ops import OPS, F


def numeric_partials(fn, point):
    """Central finite differences of fn(F, *point)'s value with respect to each operand."""
    return numeric_gradient(lambda xs: fn(F, *xs)[0], point)


CASES = [(name, point) for name, op in OPS.items() for point in op.domain]


def test_every_op_declares_a_domain():
    for name, op in OPS.items():
        assert op.domain, f"op {name!r} has no domain: the finite-difference tests cannot cover it"
        for point in op.domain:
            assert op.arity is None or len(point) == op.arity, (name, point)


@pytest.mark.parametrize("name,point", CASES)
def test_partials_match_finite_differences(name, point):
    op = OPS[name]
    _, partials = op.fn(F, *point)
    assert len(partials) == len(point)
    for i, (analytic, numeric) in enumerate(zip(partials, numeric_partials(op.fn, point))):
        assert abs(analytic - numeric) <= FD_ATOL + FD_RTOL * abs(numeric), (name, point, i, analytic, numeric)


@pytest.mark.parametrize("name,point", CASES)
def test_recorded_node_backpropagates_its_partials(name, point):
    """apply() records the op; backward() must give exactly the op's partials to each leaf."""
    op = OPS[name]
    leaves = [Value(x) for x in point]
    out = apply(op, *leaves)
    assert out.op == name
    assert out.parents == tuple(leaves)
    out.backward()
    expected_value, expected = op.fn(F, *point)
    assert out.data == expected_value
    assert [leaf.grad for leaf in leaves] == list(expected)


@pytest.mark.parametrize("name,point", CASES)
def test_symbolic_partials_match_second_finite_differences(name, point):
    """The same formula on Values (for create_graph) gives partials whose own gradients are right."""
    op = OPS[name]
    leaves = [Value(x) for x in point]
    _, symbolic = op.fn(V, *leaves)
    for i, d in enumerate(symbolic):
        value = d.data if isinstance(d, Value) else d
        assert close(value, op.fn(F, *point)[1][i], rtol=1e-12)
        second = grad(d, leaves) if isinstance(d, Value) else [Value(0.0)] * len(leaves)
        for j in range(len(point)):
            numeric = finite_difference(lambda xs, i=i: op.fn(F, *xs)[1][i], point, j)
            assert abs(second[j].data - numeric) <= 1e-5 + 1e-5 * abs(numeric), (name, point, i, j)


@pytest.mark.parametrize("name,point", [(name, point) for name, point in CASES if len(point) >= 2])
def test_constant_operands_get_no_gradient_and_keep_their_place(name, point):
    """With the first operand a constant the op is recorded permuted, and still correct."""
    op = OPS[name]
    const = Value(point[0], requires_grad=False)
    rest = [Value(x) for x in point[1:]]
    out = apply(op, const, *rest)
    out.backward()
    _, expected = op.fn(F, *point)
    assert const.grad == 0.0
    assert [v.grad for v in rest] == list(expected[1:])
    assert out.operands == (const, *rest)
    assert out.parents == tuple(rest)


# --- against PyTorch float64, special values included ---------------------------------------

# Every op of the table, by arity: (valuegrad, recording it on Values through the table's V
# namespace; torch, the function its table entry names). A new op is compared with torch here
# without anyone writing a test.
UNARY = {name: (getattr(V, name), op.torch) for name, op in OPS.items() if op.arity == 1}
BINARY = {name: (getattr(V, name), op.torch) for name, op in OPS.items() if op.arity == 2}
UNARY_POINTS = [0.0, -0.0, 1.0, -1.0, 2.5, -3.7, 20.0, -20.0, 1000.0, -1000.0, 710.0, 1e-300, math.inf, -math.inf, math.nan]
BINARY_POINTS = [
    (1.0, 0.0), (-1.0, 0.0), (0.0, 0.0), (1.0, -0.0), (2.0, 3.0), (-8.0, 1 / 3), (0.0, 0.5), (0.0, 2.0),
    (0.0, -1.0), (-0.0, -1.0), (-2.0, 3.0), (-2.0, 2.0), (10.0, 400.0), (-10.0, 401.0), (1.5, -2.5), (0.0, 0.0),
    (math.inf, 2.0), (math.nan, 0.0), (1.0, math.nan), (2.0, -1075.0),
]


def torch_value_and_grads(torch, fn, *xs):
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out = fn(torch, *ts)
    out.backward()
    return out.item(), [t.grad.item() for t in ts]


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", UNARY_POINTS)
def test_unary_ops_match_torch(name, x):
    torch = require("torch")
    ours_fn, torch_fn = UNARY[name]
    a = Value(x)
    out = ours_fn(a)
    out.backward()
    value, (g,) = torch_value_and_grads(torch, torch_fn, x)
    assert close(out.data, value, rtol=1e-14), (name, x, out.data, value)
    assert close(a.grad, g, rtol=1e-12), (name, x, a.grad, g)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("x,y", BINARY_POINTS)
def test_binary_ops_match_torch(name, x, y):
    torch = require("torch")
    ours_fn, torch_fn = BINARY[name]
    a, b = Value(x), Value(y)
    out = ours_fn(a, b)
    out.backward()
    value, (ga, gb) = torch_value_and_grads(torch, torch_fn, x, y)
    assert close(out.data, value, rtol=1e-14), (name, x, y, out.data, value)
    assert close(a.grad, ga, rtol=1e-12), (name, x, y, "d/da", a.grad, ga)
    assert close(b.grad, gb, rtol=1e-12), (name, x, y, "d/db", b.grad, gb)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("x,y", BINARY_POINTS)
def test_number_on_either_side_matches_torch(name, x, y):
    """`Value ∘ number` and `number ∘ Value` against torch with the number as a constant."""
    torch = require("torch")
    ours_fn, torch_fn = BINARY[name]
    a = Value(x)
    left = ours_fn(a, y)
    left.backward()
    value, (ga,) = torch_value_and_grads(torch, lambda t, u: torch_fn(t, u, torch.tensor(y, dtype=torch.float64)), x)
    assert close(left.data, value, rtol=1e-14) and close(a.grad, ga, rtol=1e-12), (name, x, y)
    b = Value(y)
    right = ours_fn(x, b)
    right.backward()
    value, (gb,) = torch_value_and_grads(torch, lambda t, u: torch_fn(t, torch.tensor(x, dtype=torch.float64), u), y)
    assert close(right.data, value, rtol=1e-14) and close(b.grad, gb, rtol=1e-12), (name, x, y)


def test_fused_ops_match_torch():
    torch = require("torch")
    ws, xs, b = [0.5, -1.25, 2.0], [1.5, 0.25, -0.75], 0.125
    wv, xv, bv = [Value(w) for w in ws], [Value(x) for x in xs], Value(b)
    out = (dot(wv, xv, bv) * sum_values(xv + [3.0])).tanh()
    out.backward()
    wt = torch.tensor(ws, dtype=torch.float64, requires_grad=True)
    xt = torch.tensor(xs, dtype=torch.float64, requires_grad=True)
    bt = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    ref = ((wt @ xt + bt) * (xt.sum() + 3.0)).tanh()
    ref.backward()
    assert close(out.data, ref.item(), rtol=1e-13)
    for ours, theirs in zip(wv + xv + [bv], wt.grad.tolist() + xt.grad.tolist() + [bt.grad.item()]):
        assert close(ours.grad, theirs, rtol=1e-12)


def test_special_values_exactly():
    """The IEEE cases the issue names, as exact values: no exception escapes an op."""
    assert (Value(1.0) / 0).data == math.inf
    assert math.isnan((Value(0.0) / 0).data)
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)
    assert Value(1000.0).exp().data == math.inf
    assert (Value(0.0) ** 0).data == 1.0
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    for x in (-1e6, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e6):
        assert -1.0 <= Value(x).tanh().data <= 1.0
        s = Value(x).sigmoid()
        assert 0.0 <= s.data <= 1.0 and math.isfinite(s.data)
    for make in (Value.relu, abs):
        x = Value(0.0)
        make(x).backward()
        assert x.grad == 0.0
    assert (Value(10**400) + 0).data == math.inf  # a huge int becomes inf, not OverflowError
    assert (2 ** Value(1e6)).data == math.inf
    assert ((-2) ** Value(1e6 + 1)).data == -math.inf


# --- the table's other facts, checked for every op --------------------------------------------

INFIX = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_its_facts(name):
    op = OPS[name]
    assert op.doc and op.symbol and op.torch is not None and op.domain
    point = op.domain[0]
    names = [f"x{i}" for i in range(len(point))]
    texts = op.partial_texts(names, "y")
    assert texts is not None and len(texts) == len(point), "a caption text for each partial"
    assert op.write(names, "y")
    mg = op.micrograd_op(list(point))
    assert mg and "{" not in mg and "}" not in mg, f"micrograd's _op string {mg!r} is empty or left a field unfilled"


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.method or op.infix))
def test_the_method_or_operator_records_the_op(name):
    """``x.tanh()``, ``abs(x)``, ``a + b``, ``-a``: each spelling the table gives records its op."""
    op = OPS[name]
    xs = [Value(x) for x in op.domain[0]]
    if op.method:
        out = abs(xs[0]) if op.method == "abs" else getattr(xs[0], op.method)()
    elif op.arity == 1:
        out = -xs[0]
    else:
        out = INFIX[op.infix](*xs)
    assert op_of(out) is op
    assert out.data == op.fn(F, *op.domain[0])[0]


@pytest.mark.parametrize("name,point", CASES)
def test_a_tape_replays_every_op_exactly(name, point):
    """Recorded once, replayed at another point: the value and gradients equal the engine's, to the bit."""
    op = OPS[name]
    params = [Value(x) for x in point]
    tape = record(lambda s: apply(op, *[p * s for p in params]), 1.0)
    loss = tape(0.97)
    fresh = [Value(x) for x in point]
    out = apply(op, *[p * 0.97 for p in fresh])
    out.backward()
    assert loss == out.data
    assert [p.grad for p in params] == [p.grad for p in fresh]


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.arity == 1 and op.method))
def test_the_draw_command_knows_every_function(name):
    from autograd.expr import FUNCTIONS, evaluate

    op = OPS[name]
    assert op.method in FUNCTIONS
    x = Value(op.domain[0][0])
    assert evaluate(f"{op.method}(x)", {"x": x}).data == op.fn(F, x.data)[0]


# --- the fused ops compute their values in one place ------------------------------------------

SIGNED = [-0.0, 0.0, -1e-320, 1e16, 1.0, -1e16, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("terms", [[-0.0, -0.0], [1e16, 1.0, -1e16], [-0.0], [2.5, -0.0, math.inf], SIGNED])
def test_sum_values_and_the_sum_entry_give_the_same_number(terms):
    """sum_values' fast path and the table's formula (apply, the tape) add alike, down to the sign of zero."""
    by_function = sum_values([Value(t) for t in terms]).data
    by_table = apply(OPS["sum"], *[Value(t) for t in terms]).data
    assert repr(by_function) == repr(by_table) == repr(OPS["sum"].fn(F, *terms)[0])


@pytest.mark.parametrize("ws,xs", [([-0.0, 0.0], [1.0, -1.0]), ([1e16, 1.0], [1.0, 1.0]), ([2.0, -0.0], [-0.0, 3.0])])
@pytest.mark.parametrize("bias", [None, -0.0, 0.5])
def test_dot_and_the_dot_entry_give_the_same_number(ws, xs, bias):
    w, x = [Value(v) for v in ws], [Value(v) for v in xs]
    tail = [] if bias is None else [Value(bias)]
    by_function = dot(w, x, tail[0] if tail else None).data
    by_table = apply(OPS["dot"], *w, *x, *tail).data
    assert repr(by_function) == repr(by_table)
