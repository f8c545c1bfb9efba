"""grad (and higher order), gradcheck, gradgradcheck, detect_anomaly, custom ops."""

from __future__ import annotations

import inspect
import math

import pytest

from autograd import AnomalyError, GradcheckError, Value, apply, detect_anomaly, grad, gradcheck, gradgradcheck, no_grad
from autograd.ops import Op


def test_grad_returns_values_and_leaves_dot_grad_untouched():
    x, y = Value(2.0), Value(-1.0)
    z = x * x * y + y.exp()
    dx, dy = grad(z, [x, y])
    assert dx.data == 2 * 2.0 * -1.0
    assert dy.data == pytest.approx(4.0 + math.exp(-1.0), rel=1e-15)
    assert x.grad == 0.0 and y.grad == 0.0 and z.grad == 0.0
    (unused,) = grad(z, Value(1.0))
    assert unused.data == 0.0


def test_second_and_third_derivatives_by_hand():
    x = Value(2.0)
    (d1,) = grad(x**3, x, create_graph=True)
    (d2,) = grad(d1, x, create_graph=True)
    (d3,) = grad(d2, x)
    assert (d1.data, d2.data, d3.data) == (12.0, 12.0, 6.0)  # 3x², 6x, 6
    t = Value(0.3)
    (g1,) = grad(t.tanh(), t, create_graph=True)
    (g2,) = grad(g1, t)
    th = math.tanh(0.3)
    assert g1.data == pytest.approx(1 - th**2, rel=1e-14)
    assert g2.data == pytest.approx(-2 * th * (1 - th**2), rel=1e-12)  # d²/dx² tanh = −2 tanh (1 − tanh²)


def test_mixed_second_derivative_and_newtons_method():
    x, y = Value(1.5), Value(-0.5)
    (dx,) = grad(x * x * y.exp(), x, create_graph=True)
    (dxy,) = grad(dx, y)
    assert dxy.data == pytest.approx(2 * 1.5 * math.exp(-0.5), rel=1e-14)
    # Newton's method on f(x) = x³ − 2x − 5: x ← x − f/f'; converges to 2.0945514815423265
    v = 2.0
    for _ in range(6):
        xv = Value(v)
        fx = xv**3 - 2 * xv - 5
        (dfx,) = grad(fx, xv)
        v -= fx.data / dfx.data
    assert v == pytest.approx(2.0945514815423265, rel=1e-15)


def test_grad_argument_errors():
    with pytest.raises(TypeError, match="output expects a Value, got float"):
        grad(1.0, [Value(1.0)])
    with pytest.raises(TypeError, match=r"inputs\[1\] expects a Value, got int"):
        grad(Value(1.0), [Value(1.0), 2])


def test_gradcheck_passes_on_correct_functions():
    assert gradcheck(lambda a, b: (a * b).tanh() / (a**2 + 1) - 2**b + b.sigmoid() * a.exp().log(), [0.3, -0.7])
    assert gradgradcheck(lambda a, b: (a * b).tanh() / (a**2 + 1) + abs(a) * b.relu() - (3 - a) / b, [0.3, 0.7])


def cube_op(derivative_factor: float) -> Op:
    return Op("cube", "³", lambda M, a: (a * a * a, (derivative_factor * a * a,)), 1)


def test_gradcheck_catches_a_wrong_custom_derivative():
    good, bad = cube_op(3.0), cube_op(2.0)  # d/dx x³ = 3x², not 2x²
    assert gradcheck(lambda x, y: apply(good, x) * y, [1.3, 0.5])
    with pytest.raises(GradcheckError, match=r"input 0 \(at 1.3\): analytic 1.69.* finite differences give 2.53"):
        gradcheck(lambda x, y: apply(bad, x) * y, [1.3, 0.5])


def test_gradgradcheck_catches_a_wrong_second_derivative():
    # The value is x³ and the first derivative 3x² is right on floats, but the partial's own
    # derivative is wrong because the formula hides x from the graph with a constant.
    sneaky = Op("cube", "³", lambda M, a: (a * a * a, (3.0 * M.val(a) * a,)), 1)
    assert gradcheck(lambda x: apply(sneaky, x), [1.3])
    with pytest.raises(GradcheckError, match="gradgradcheck: .* input 0"):
        gradgradcheck(lambda x: apply(sneaky, x), [1.3])


def test_gradcheck_input_errors():
    with pytest.raises(TypeError, match="got a single one"):
        gradcheck(lambda x: x, 1.0)
    with pytest.raises(ValueError, match="must not be empty"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match="fn must return a Value, got float"):
        gradcheck(lambda x: 1.0, [1.0])
    with pytest.raises(TypeError, match=r"inputs\[0\] expects a real number, got str"):
        gradcheck(lambda x: x, ["a"])


def test_apply_errors():
    with pytest.raises(TypeError, match="expects an autograd.ops.Op, got str"):
        apply("cube", Value(1.0))
    with pytest.raises(ValueError, match="takes 1 operands, got 2"):
        apply(cube_op(3.0), Value(1.0), Value(2.0))


def test_detect_anomaly_names_the_op_of_a_nan_result_and_where_it_was_made():
    with detect_anomaly():
        x = Value(-1.0)
        with pytest.raises(AnomalyError, match=r"op 'log' returned nan from inputs \(-1.0\), at .*test_functional.py:\d+"):
            x.log()


def test_detect_anomaly_names_the_op_whose_backward_makes_nan():
    with detect_anomaly():
        x = Value(0.0)
        y = x**0.5
        line = inspect.currentframe().f_lineno - 1  # the line that made y
        z = y * 0.0
        with pytest.raises(AnomalyError) as info:
            z.backward()
    message = str(info.value)
    assert "op 'pow'" in message and "nan gradient for its input 0" in message
    assert f"test_functional.py:{line}" in message
    # outside detect_anomaly the same graph just gives nan, as in PyTorch
    z.backward()
    assert math.isnan(x.grad)


def test_is_anomaly_enabled_follows_detect_anomaly_and_restores() -> None:
    from autograd import is_anomaly_enabled

    assert is_anomaly_enabled() is False
    with detect_anomaly():
        assert is_anomaly_enabled() is True
        with no_grad():
            assert is_anomaly_enabled() is True  # the two modes are independent
    assert is_anomaly_enabled() is False
