"""Solutions to notebook 01's exercises, and a typical mistake for each."""

import math


def solve_01_1():
    def q(x):
        return math.sqrt(x) * math.exp(-x)

    h = 1e-5  # a central difference: the error is about h², far below 1e-6
    return (q(2 + h) - q(2 - h)) / (2 * h)


def solve_01_2():
    def dp(x):
        # p = 4x⁵ − 3x² + 7x − 2, term by term with the power rule
        return 20 * x**4 - 6 * x + 7

    return dp


def solve_01_3():
    def grad_r(x, y):
        # r = x²y + 3y³ − x
        return (2 * x * y - 1, x**2 + 9 * y**2)

    return grad_r


def solve_01_4():
    eps = 2.0**-52

    def best_central_step(f3, f0):
        # dE/dh = h·f3/3 − eps·f0/h² = 0  ⇒  h³ = 3·eps·f0/f3
        return (3 * eps * f0 / f3) ** (1 / 3)

    return best_central_step


def solve_01_5():
    def complex_step(fn, x, h):
        return fn(complex(x, h)).imag / h

    return complex_step


SOLUTIONS = {"01.1": solve_01_1, "01.2": solve_01_2, "01.3": solve_01_3, "01.4": solve_01_4, "01.5": solve_01_5}


def _forward_difference_with_a_big_step():
    def q(x):
        return math.sqrt(x) * math.exp(-x)

    return (q(2.1) - q(2.0)) / 0.1


MISTAKES = {
    "01.1": _forward_difference_with_a_big_step,
    "01.2": lambda: (lambda x: 20 * x**4 - 6 * x),  # dropped the 7 of 7x
    "01.3": lambda: (lambda x, y: (2 * x * y, x**2 + 9 * y**2)),  # forgot the −x term
    "01.4": lambda: (lambda f3, f0: (2.0**-52 * f0 / f3) ** 0.5),  # the forward difference's √ε rule
    "01.5": lambda: (lambda fn, x, h: (fn(complex(x, h)) - fn(x)) / h),  # a complex forward difference
}


def solve_01_6():
    def hessian_evaluations(n):
        # f(x) once; 2 per diagonal entry; 4 per pair i < j, of which there are n(n − 1)/2
        return 1 + 2 * n + 4 * (n * (n - 1) // 2)

    return hessian_evaluations


SOLUTIONS["01.6"] = solve_01_6
MISTAKES["01.6"] = lambda: (lambda n: 4 * n * n)        # the 4-point formula for every entry, symmetry ignored
