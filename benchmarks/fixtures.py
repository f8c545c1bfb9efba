"""The benchmarks' data and starting weights, identical for every engine.

Every engine starts from the same weights and sees the same points in the same order, so
each one computes the same losses: the benchmark checks that before it trusts a timing.
"""

from __future__ import annotations

import math
import random

#: One layer's weights: for each neuron, its input weights and its bias.
Layer = list[tuple[list[float], float]]
Weights = list[Layer]


def moons(n: int) -> tuple[list[list[float]], list[float]]:
    """``n`` points of ``nn.data.make_moons`` (noise 0.1, seed 0), labels mapped to -1 and +1 for the hinge loss."""
    from nn.data import make_moons

    xs, ys = make_moons(n, noise=0.1, seed=0)
    return xs, [2.0 * y - 1.0 for y in ys]


def digits(limit: int | None = None) -> tuple[list[list[float]], list[int]]:
    """The 8×8 digits of ``nn.data.load_digits`` (scikit-learn's, pixels scaled to [0, 1]), maybe the first ``limit``."""
    from nn.data import load_digits

    xs, ys = load_digits()
    return xs[:limit], ys[:limit]


def init_weights(sizes: list[int], seed: int = 1) -> Weights:
    """Weights uniform in ±1/√fan_in and zero biases, for an MLP with layer sizes ``sizes``."""
    rng = random.Random(seed)
    weights: Weights = []
    for nin, nout in zip(sizes, sizes[1:]):
        bound = 1.0 / math.sqrt(nin)
        weights.append([([rng.uniform(-bound, bound) for _ in range(nin)], 0.0) for _ in range(nout)])
    return weights


def flat(weights: Weights) -> list[float]:
    """All parameters in the order every engine here lists them: per neuron, weights then bias."""
    return [p for layer in weights for w, b in layer for p in (*w, b)]


def batches(n: int, size: int) -> list[range]:
    """The index ranges of consecutive minibatches of ``size`` over ``n`` samples."""
    return [range(start, min(start + size, n)) for start in range(0, n, size)]
