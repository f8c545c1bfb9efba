"""Checks for notebook 03 (neurons to an MLP): the best line, a bias-free boundary, ReLU pieces, matrix backprop."""

from __future__ import annotations

import math
import random

from nn import MLP, mse_loss

from . import Wrong, as_function, as_number, as_sequence, close, exercise, present


def sine_training_points() -> tuple[list[float], list[float]]:
    """The 32 training points of notebook 03's sine fit."""
    xs = [-math.pi + 2 * math.pi * i / 31 for i in range(32)]
    return xs, [math.sin(x) for x in xs]


@exercise(
    "03.1",
    "the least-squares line",
    "With means x̄ and ȳ: a = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)², then c = ȳ − a·x̄. Use the 32 training points "
    "x = −π + 2πi/31, i = 0 … 31.",
)
def _(answer):
    a, c = as_sequence(answer, 2, "your (a, c)")
    xs, ys = sine_training_points()
    # the least squares line, from the normal equations: minimise Σ (a x + c − y)² over a and c
    n = len(xs)
    sx, sy = sum(xs), sum(ys)
    sxx, sxy = sum(x * x for x in xs), sum(x * y for x, y in zip(xs, ys))
    want_a = (n * sxy - sx * sy) / (n * sxx - sx * sx)
    want_c = (sy - want_a * sx) / n
    close(a, want_a, "the slope a", rel=1e-9)
    close(c, want_c, "the intercept c", rel=1e-9, abs_=1e-9)
    sse = sum((want_a * x + want_c - y) ** 2 for x, y in zip(xs, ys)) / n
    return f"Its mean squared error on the training points is {sse:.4f}: no linear network can do better."


def grid_points() -> tuple[list[tuple[float, float]], list[int]]:
    points = [(i / 4, j / 4) for i in range(9) for j in range(9)]
    return points, [1 if round(4 * (x1 + x2)) > 8 else 0 for x1, x2 in points]


def best_bias_free_accuracy() -> float:
    """The best accuracy of 1[w·x > 0] on the grid, over every direction w: the predictions change only where
    w is perpendicular to a grid point, so one direction between each pair of neighbouring critical angles,
    and each critical angle itself, cover every case."""
    points, labels = grid_points()
    critical = sorted({(math.atan2(y, x) + s * math.pi / 2) % (2 * math.pi) for x, y in points if (x, y) != (0, 0)
                       for s in (-1, 1)})
    angles = critical + [(a + b) / 2 for a, b in zip(critical, critical[1:] + [critical[0] + 2 * math.pi])]
    best = 0.0
    for angle in angles:
        w1, w2 = math.cos(angle), math.sin(angle)
        for snap in (0.0, 1e-12, -1e-12):  # at a critical angle the points on the line may go either way
            hits = sum((w1 * x + w2 * y > snap) == bool(t) for (x, y), t in zip(points, labels))
            best = max(best, hits / len(points))
    return best


@exercise(
    "03.2",
    "the best a bias-free boundary can do",
    "Every point has x₁, x₂ ≥ 0. A line through the origin either puts (almost) all of them on one side, or cuts "
    "the grid along a ray from the origin; count the labels on each side for the best cut.",
)
def _(answer):
    want = best_bias_free_accuracy()
    close(answer, want, "your best accuracy", rel=0.0, abs_=0.5 / 81)
    return f"That is {round(want * 81)} of the 81 points, against 81 with a bias."


@exercise(
    "03.3",
    "pieces of a ReLU network",
    "Unit j bends where its input w_j x + b_j crosses 0: one kink per unit at most. How many pieces do k cuts make "
    "of a line?",
)
def _(answer):
    fn = as_function(answer, "max_pieces")
    for k in range(1, 21):
        got = as_number(fn(k), f"max_pieces({k})")
        if got != k + 1:
            raise Wrong(f"max_pieces({k}) is {got:g}, which is not right")


def _as_array(got, shape, what):
    present(got, what)
    try:
        rows = got.tolist() if hasattr(got, "tolist") else got
    except Exception:  # anything that cannot become a list is reported below
        rows = got
    if len(shape) == 1:
        values = as_sequence(rows, shape[0], what)
        return [as_number(v, what) for v in values]
    matrix = rows if isinstance(rows, list) else list(rows)
    if len(matrix) != shape[0] or any(len(r) != shape[1] for r in matrix):
        got_shape = getattr(got, "shape", None)
        raise Wrong(f"{what} has shape {got_shape if got_shape is not None else '?'}, but it should be {shape}, "
                    "the shape of the parameter it is the gradient of")
    return [[as_number(v, what) for v in r] for r in matrix]


@exercise(
    "03.4",
    "backpropagation in matrix form",
    "δ2 = 2(y − t); dW2 = outer(δ2, h); δ1 = (W2ᵀδ2)·(1 − h²) entry by entry; dW1 = outer(δ1, x). "
    "A gradient has the shape of its parameter: W1 is k × m.",
)
def _(answer):
    import numpy as np

    fn = as_function(answer, "layer_grads")
    rng = random.Random(3)
    for m, k, n in ((3, 4, 2), (2, 5, 1), (4, 3, 3)):
        model = MLP(m, [k, n], activation="tanh", seed=m * 10 + k)
        for p in model.parameters():
            p.data = rng.uniform(-1, 1)
        x = [rng.uniform(-2, 2) for _ in range(m)]
        t = [rng.uniform(-1, 1) for _ in range(n)]
        out = model(x)
        outs = out if isinstance(out, list) else [out]
        mse_loss(outs, t, reduction="sum").backward()
        layers = model.layers
        arrays = [np.array([[w.data for w in u.w] for u in layer.neurons]) for layer in layers]
        biases = [np.array([u.b.data for u in layer.neurons]) for layer in layers]
        got = as_sequence(fn(arrays[0], biases[0], arrays[1], biases[1], np.array(x), np.array(t)), 4,
                          f"layer_grads for m, k, n = {m}, {k}, {n}")
        names = ("dW1", "db1", "dW2", "db2")
        shapes = ((k, m), (k,), (n, k), (n,))
        wants = (
            [[w.grad for w in u.w] for u in layers[0].neurons], [u.b.grad for u in layers[0].neurons],
            [[w.grad for w in u.w] for u in layers[1].neurons], [u.b.grad for u in layers[1].neurons],
        )
        for name, shape, value, want in zip(names, shapes, got, wants):
            mine = _as_array(value, shape, f"{name} (m, k, n = {m}, {k}, {n})")
            flat_mine = [v for r in mine for v in r] if len(shape) == 2 else mine
            flat_want = [v for r in want for v in r] if len(shape) == 2 else want
            for a, b in zip(flat_mine, flat_want):
                if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
                    raise Wrong(f"{name} for m, k, n = {m}, {k}, {n} differs from backward(): {a:.6g} against {b:.6g}")
