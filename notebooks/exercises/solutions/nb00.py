"""Solutions to notebook 00's exercises, and a typical mistake for each."""

import math


def solve_00_1():
    # (x² sin x)' = 2x·sin x + x²·cos x, at x = 1
    x = 1.0
    return 2 * x * math.sin(x) + x**2 * math.cos(x)


def solve_00_2():
    def d_gauss(x):
        # e^u with u = −x²: e^u · du/dx = e^(−x²) · (−2x)
        return -2 * x * math.exp(-x * x)

    return d_gauss


def solve_00_3():
    # g = x³y + y²: ∂g/∂x = 3x²y, ∂g/∂y = x³ + 2y, at (2, −1)
    x, y = 2.0, -1.0
    return (3 * x**2 * y, x**3 + 2 * y)


def solve_00_4():
    return {"digits": "supervised", "rbm": "unsupervised", "next_word": "self-supervised", "sine_fit": "supervised"}


SOLUTIONS = {"00.1": solve_00_1, "00.2": solve_00_2, "00.3": solve_00_3, "00.4": solve_00_4}

MISTAKES = {
    "00.1": lambda: 2 * 1.0 * math.cos(1.0),  # multiplied the two derivatives: (fg)' ≠ f'g'
    "00.2": lambda: (lambda x: math.exp(-x * x)),  # forgot the inner derivative −2x
    "00.3": lambda: (3 * 2.0**2, 2 * -1.0),  # dropped the other variable instead of keeping it as a constant
    "00.4": lambda: {"digits": "supervised", "rbm": "unsupervised", "next_word": "unsupervised", "sine_fit": "supervised"},
}
