"""Solutions to notebook 07's exercises, and a typical mistake for each."""

import math

from autograd import Value, grad
from autograd.ops import Op


def solve_07_1():
    # (a·sin a)' = sin a + a·cos a, written with M so that it also runs on Values
    return Op("xsin", "x·sin", lambda M, a: (a * M.sin(a), (M.sin(a) + a * M.cos(a),)), 1)


def solve_07_2():
    def d2tanh(x):
        t = math.tanh(x)
        return -2 * t * (1 - t * t)      # d/dx (1 − t²) = −2t·t'

    return d2tanh


def solve_07_3():
    return Op("softplus", "softplus", lambda M, a: (M.log(1 + M.exp(a)), (M.sigmoid(a),)), 1)


def solve_07_4():
    def newton_step_2d(x, y):
        vx, vy = Value(x), Value(y)
        f = (1 - vx) ** 2 + 100 * (vy - vx * vx) ** 2
        gx, gy = grad(f, [vx, vy], create_graph=True)
        (a, b), (_, d) = ([h.data for h in grad(g, [vx, vy])] for g in (gx, gy))
        det = a * d - b * b
        sx = (d * gx.data - b * gy.data) / det       # s = H⁻¹ g, for H = [[a, b], [b, d]]
        sy = (a * gy.data - b * gx.data) / det
        return (x - sx, y - sy)

    return newton_step_2d


SOLUTIONS = {"07.1": solve_07_1, "07.2": solve_07_2, "07.3": solve_07_3, "07.4": solve_07_4}


def _gradient_step_instead():
    def newton_step_2d(x, y):
        vx, vy = Value(x), Value(y)
        gx, gy = grad((1 - vx) ** 2 + 100 * (vy - vx * vx) ** 2, [vx, vy])
        return (x - 1e-3 * gx.data, y - 1e-3 * gy.data)      # a gradient step, not a Newton step

    return newton_step_2d


MISTAKES = {
    "07.1": lambda: Op("xsin", "x·sin", lambda M, a: (a * M.sin(a), (a * M.cos(a),)), 1),   # forgot the sin a term
    "07.2": lambda: (lambda x: 1 - math.tanh(x) ** 2),                                      # the first derivative
    "07.3": lambda: Op("softplus", "softplus", lambda M, a: (M.log(1 + M.exp(a)), (M.sigmoid(M.val(a)),)), 1),
    "07.4": _gradient_step_instead,
}
