"""Checks for notebook 01 (derivatives): nudging, the power rule, a gradient, finite differences."""

from __future__ import annotations

import cmath
import math

from autograd import Value, grad

from . import Wrong, as_function, as_number, as_sequence, close, exercise

EPS = 2.0**-52


def _slope(f, x: float) -> float:
    leaf = Value(x)
    (d,) = grad(f(leaf), leaf)
    return d.data


@exercise(
    "01.1",
    "a slope from two nudges",
    "Use the central difference (q(2 + h) − q(2 − h)) / (2h) with h around 1e-5; a forward difference with a large h "
    "is off in the third digit.",
)
def _(answer):
    want = _slope(lambda x: x**0.5 * (-x).exp(), 2.0)
    close(answer, want, "your slope of √x·e^(−x) at x = 2", rel=1e-6, abs_=0.0)


@exercise(
    "01.2",
    "the power rule",
    "Differentiate term by term: d/dx of a·xⁿ is a·n·xⁿ⁻¹, the derivative of 7x is 7 and that of a constant is 0.",
)
def _(answer):
    fn = as_function(answer, "dp")
    for x in (-1.5, -0.2, 0.0, 0.7, 2.0):
        want = _slope(lambda v: 4 * v**5 - 3 * v**2 + 7 * v - 2, x)
        close(fn(x), want, f"dp({x})", rel=1e-12, abs_=1e-12)


@exercise(
    "01.3",
    "a gradient by hand",
    "For ∂r/∂x, y is a constant: x²y gives 2xy, 3y³ gives 0, −x gives −1. For ∂r/∂y, x is the constant.",
)
def _(answer):
    fn = as_function(answer, "grad_r")
    for px, py in ((1.0, 1.0), (-0.5, 2.0), (2.0, -0.3)):
        x, y = Value(px), Value(py)
        gx, gy = grad(x * x * y + 3 * y**3 - x, [x, y])
        dx, dy = as_sequence(fn(px, py), 2, f"grad_r({px}, {py})")
        close(dx, gx.data, f"∂r/∂x at ({px}, {py})", rel=1e-12, abs_=1e-12)
        close(dy, gy.data, f"∂r/∂y at ({px}, {py})", rel=1e-12, abs_=1e-12)


def _minimise(error, low: float = 1e-12, high: float = 1.0) -> float:
    """The h in [low, high] that minimises ``error``, by golden-section search on log h."""
    a, b = math.log(low), math.log(high)
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(200):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if error(math.exp(c)) < error(math.exp(d)):
            b = d
        else:
            a = c
    return math.exp((a + b) / 2)


@exercise(
    "01.4",
    "the best central-difference step",
    "Differentiate E with respect to h, set the derivative to 0 and solve for h³.",
)
def _(answer):
    fn = as_function(answer, "best_central_step")
    for f3, f0 in ((1.0, 1.0), (0.5, 2.0), (30.0, 0.1)):
        want = _minimise(lambda h, f3=f3, f0=f0: h * h / 6 * f3 + EPS * f0 / h)
        close(fn(f3, f0), want, f"best_central_step({f3}, {f0})", rel=1e-6, abs_=0.0)
    return "The formula gives about 9e-6 for |f'''| ≈ |f| ≈ 1, the bottom of the central curve in section 4b."


TESTS = (
    (lambda z: cmath.exp(z) * cmath.sin(z), lambda x: math.exp(x) * (math.sin(x) + math.cos(x)), 0.7),
    (lambda z: cmath.tanh(z) + z**3, lambda x: 1 - math.tanh(x) ** 2 + 3 * x * x, -1.2),
    (lambda z: cmath.log(z) / z, lambda x: (1 - math.log(x)) / (x * x), 2.5),
)


@exercise(
    "01.5",
    "the complex-step derivative",
    "Call fn(complex(x, h)), take the .imag part of the result and divide it by h; return a float, not a complex.",
)
def _(answer):
    fn = as_function(answer, "complex_step")
    for f, df, x in TESTS:
        for h in (1e-20, 1e-200):
            got = fn(f, x, h)
            if isinstance(got, complex):
                raise Wrong(f"complex_step(..., {x}, {h}) returned the complex number {got}; return its real value")
            number = as_number(got, f"complex_step(fn, {x}, {h})")
            if not math.isclose(number, df(x), rel_tol=1e-13, abs_tol=1e-15):
                raise Wrong(f"complex_step(fn, {x}, {h}) is {number!r}, but the derivative there is {df(x)!r}")
    return "No subtraction, so no cancellation: the imaginary part carries h·f'(x) at full precision, for any tiny h."


@exercise(
    "01.6",
    "the cost of a Hessian by finite differences",
    "f(x) is shared by every diagonal entry; each diagonal entry adds f(x ± h·eᵢ) (2 evaluations) and each pair "
    "i < j adds 4 evaluations. How many pairs i < j are there?",
)
def _(answer):
    fn = as_function(answer, "hessian_evaluations")
    for n in (1, 2, 3, 10, 100, 1000):
        got = as_number(fn(n), f"hessian_evaluations({n})")
        if got != 2 * n * n + 1:
            raise Wrong(f"hessian_evaluations({n}) is {got:g}, which is not right")
    return ("For a million parameters that is 2·10¹² evaluations of the loss. Reverse mode gets one row of the Hessian "
            "per backward pass through the gradient's graph (notebook 07): n passes, each a few times one evaluation.")
