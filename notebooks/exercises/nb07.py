"""Checks for notebook 07 (higher order): an op's derivative, tanh'', a softplus op, a Newton step."""

from __future__ import annotations

import math

from autograd import GradcheckError, Value, apply, grad, gradcheck, gradgradcheck
from autograd.ops import F, Op

from . import Wrong, as_function, as_sequence, close, exercise, present


def _check_op(op, points, reference, name):
    """Raise Wrong unless ``op`` is an Op of one operand whose value matches ``reference`` and whose partials
    pass gradcheck and gradgradcheck at ``points``."""
    present(op, name)
    if not isinstance(op, Op):
        raise Wrong(f"{name} should be an autograd.ops.Op, got {type(op).__name__}")
    value, partials = op.fn(F, 0.5)
    for partial in partials:
        present(partial, f"the partial derivative of {name}")
    for x in points:
        got = apply(op, Value(x)).data
        if not math.isclose(got, reference(x), rel_tol=1e-12, abs_tol=1e-12):
            raise Wrong(f"{name} at {x} is {got!r}, but it should be {reference(x)!r}")
        try:
            gradcheck(lambda a: apply(op, a), [x])
        except GradcheckError as error:
            raise Wrong(f"gradcheck fails at {x}: {error}") from None
        try:
            gradgradcheck(lambda a: apply(op, a), [x])
        except GradcheckError as error:
            raise Wrong(f"gradgradcheck fails at {x} (is the partial computed from M.val, a plain number?): {error}") from None


@exercise(
    "07.1",
    "the derivative of an op",
    "a·sin a is a product: its derivative is (d/da a)·sin a + a·(d/da sin a). Write it with M.sin and M.cos.",
)
def _(answer):
    _check_op(answer, (-2.0, -0.3, 0.7, 2.5), lambda x: x * math.sin(x), "the xsin op")


@exercise(
    "07.2",
    "the second derivative of tanh",
    "d/dx (1 − t²) with t = tanh x is −2t · dt/dx, and dt/dx = 1 − t².",
)
def _(answer):
    fn = as_function(answer, "d2tanh")
    for x in (-2.0, -0.4, 0.0, 0.9, 3.0):
        v = Value(x)
        (d1,) = grad(v.tanh(), v, create_graph=True)
        (d2,) = grad(d1, v)
        close(fn(x), d2.data, f"d2tanh({x})", rel=1e-9, abs_=1e-12)


@exercise(
    "07.3",
    "a softplus op",
    "Build it like the cube op of section 7: Op(name, symbol, lambda M, a: (value, (partial,)), 1), with the value "
    "and the partial written with M.log, M.exp and M.sigmoid applied to a itself.",
)
def _(answer):
    _check_op(answer, (-3.0, -0.5, 0.0, 1.2, 4.0), lambda x: Value(x).softplus().data, "softplus_op")


def _rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


@exercise(
    "07.4",
    "a Newton step in two dimensions",
    "With g = ∇f and H the 2×2 Hessian [[a, b], [b, d]], the step s solves H s = g: s = (d·g₀ − b·g₁, a·g₁ − b·g₀) / "
    "(a·d − b²); the new point is (x − s₀, y − s₁).",
)
def _(answer):
    fn = as_function(answer, "newton_step_2d")
    for px, py in ((-1.2, 1.0), (0.5, -0.3), (1.5, 2.0)):
        x, y = Value(px), Value(py)
        g = grad(_rosenbrock(x, y), [x, y], create_graph=True)
        H = [[h.data for h in grad(gi, [x, y])] for gi in g]
        det = H[0][0] * H[1][1] - H[0][1] * H[1][0]
        step = ((H[1][1] * g[0].data - H[0][1] * g[1].data) / det, (H[0][0] * g[1].data - H[1][0] * g[0].data) / det)
        nx, ny = as_sequence(fn(px, py), 2, f"newton_step_2d({px}, {py})")
        close(nx, px - step[0], f"the new x from ({px}, {py})", rel=1e-9, abs_=1e-12)
        close(ny, py - step[1], f"the new y from ({px}, {py})", rel=1e-9, abs_=1e-12)
    newton_steps = _steps_to_one(lambda x, y: tuple(fn(x, y)), 1e-8, 50)
    gd_steps = _steps_to_one(_gradient_step, 1e-4, 100_000)
    return (f"From (−1.2, 1) your Newton step reaches (1, 1) in {newton_steps} steps; gradient descent with "
            f"η = 10⁻³ needs {gd_steps:,} steps to get within 10⁻⁴.")


def _gradient_step(x, y):
    gx, gy = -2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)
    return x - 1e-3 * gx, y - 1e-3 * gy


def _steps_to_one(step, tol, limit):
    x, y = -1.2, 1.0
    for k in range(1, limit + 1):
        x, y = step(x, y)
        if abs(x - 1) < tol and abs(y - 1) < tol:
            return k
    return limit
