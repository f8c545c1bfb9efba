"""Solutions to notebook 03's exercises, and a typical mistake for each."""

import math

import numpy as np


def solve_03_1():
    xs = [-math.pi + 2 * math.pi * i / 31 for i in range(32)]
    ys = [math.sin(x) for x in xs]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    a = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return (a, my - a * mx)


def solve_03_2():
    points = [(i, j) for i in range(9) for j in range(9)]
    labels = [1 if i + j > 8 else 0 for i, j in points]
    best = 0
    # a boundary through the origin predicts 1 on one side of a line of angle θ; try θ in tiny steps
    for step in range(3600):
        angle = 2 * math.pi * (step + 0.5) / 3600
        w1, w2 = math.cos(angle), math.sin(angle)
        hits = sum((w1 * i + w2 * j > 0) == bool(t) for (i, j), t in zip(points, labels))
        best = max(best, hits)
    return best / len(points)


def solve_03_3():
    def max_pieces(k):
        return k + 1        # each unit adds at most one kink, where w·x + b = 0; k kinks cut the line in k + 1 pieces

    return max_pieces


def solve_03_4():
    def layer_grads(W1, b1, W2, b2, x, t):
        h = np.tanh(W1 @ x + b1)
        y = W2 @ h + b2
        delta2 = 2 * (y - t)
        delta1 = (W2.T @ delta2) * (1 - h**2)
        return np.outer(delta1, x), delta1, np.outer(delta2, h), delta2

    return layer_grads


SOLUTIONS = {"03.1": solve_03_1, "03.2": solve_03_2, "03.3": solve_03_3, "03.4": solve_03_4}


def _transposed_weights():
    def layer_grads(W1, b1, W2, b2, x, t):
        h = np.tanh(W1 @ x + b1)
        delta2 = 2 * (W2 @ h + b2 - t)
        delta1 = (W2.T @ delta2) * (1 - h**2)
        return np.outer(x, delta1), delta1, np.outer(h, delta2), delta2    # x δᵀ: the transpose

    return layer_grads


MISTAKES = {
    "03.1": lambda: (2 / math.pi, 0.0),        # the line through (−π/2, −1) and (π/2, 1)
    "03.2": lambda: 45 / 81,                   # "all class 0": not the best a line through the origin can do
    "03.3": lambda: (lambda k: k),             # counted the kinks, not the pieces
    "03.4": _transposed_weights,
}
