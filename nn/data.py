"""Small datasets to train on, a train/test split, and a minibatch iterator.

Every generator here is pure Python and deterministic: it draws from its own
``random.Random(seed)``, so the same seed gives the same points on every machine, and a
different seed gives different ones. Each returns ``(X, y)`` as plain lists: ``X`` is a list
of feature lists (one list of floats per sample) and ``y`` a list of labels.

========================  ========================  ==============================================
generator                 labels                    what it is
========================  ========================  ==============================================
:func:`make_moons`        0 / 1                     two interleaving half circles
:func:`make_circles`      0 / 1                     a small circle inside a big one
:func:`make_xor`          0 / 1                     the four quadrants, labelled by XOR of signs
:func:`make_spirals`      0 … classes − 1           arms of a spiral, one per class
:func:`make_sine`         floats (regression)       y = sin x + noise on [−π, π]
:func:`load_digits`       0 … 9                     8×8 handwritten digits (scikit-learn's copy)
:func:`bars_and_stripes`  none (unsupervised)       binary images for the RBM
========================  ========================  ==============================================

None of the 2-D sets but the blobs is linearly separable: a classifier needs a hidden layer,
which is the point of them. The blobs are the contrast: a model with no hidden layer at all
separates them.

>>> X, y = make_moons(n=4, noise=0.0, seed=0)
>>> len(X), len(X[0]), sorted(y)
(4, 2, [0, 0, 1, 1])
"""

from __future__ import annotations

import math
import random
from typing import TypeVar

from .argchecks import check_count, check_real, check_seed, shuffled
from .split import batches, train_test_split

__all__ = [
    "make_moons",
    "make_circles",
    "make_xor",
    "make_spirals",
    "make_blobs",
    "make_sine",
    "load_digits",
    "bars_and_stripes",
    "train_test_split",
    "batches",
]

Features = list[list[float]]
Label = TypeVar("Label")


# --- 2-D classification sets ----------------------------------------------------------------


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[Features, list[int]]:
    """Two interleaving half circles in the plane, labels 0 and 1.

    Class 0 lies on the upper arc (cos t, sin t), class 1 on the lower arc
    (1 − cos t, ½ − sin t), for t evenly spaced in [0, π]; ``noise`` is the standard deviation
    of Gaussian jitter added to both coordinates. Class 0 gets ⌈n/2⌉ points, class 1 the
    rest; the samples come out shuffled.

    >>> X, y = make_moons(n=100, noise=0.1, seed=0)
    >>> len(X), sum(y)
    (100, 50)
    >>> make_moons(n=10, seed=3) == make_moons(n=10, seed=3)
    True
    """
    n = check_count("n", n)
    noise = check_real("noise", noise)
    rng = random.Random(check_seed(seed))
    n0 = (n + 1) // 2
    n1 = n - n0
    X: Features = []
    y: list[int] = []
    for i in range(n0):
        t = math.pi * i / max(n0 - 1, 1)
        X.append([math.cos(t), math.sin(t)])
        y.append(0)
    for i in range(n1):
        t = math.pi * i / max(n1 - 1, 1)
        X.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        y.append(1)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X] if noise else X
    return shuffled(X, y, rng)


def make_circles(n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> tuple[Features, list[int]]:
    """A circle of radius ``factor`` (label 1) inside the unit circle (label 0).

    Angles are evenly spaced around each circle and ``noise`` is the standard deviation of
    Gaussian jitter on both coordinates. ``factor`` must be in (0, 1).

    >>> X, y = make_circles(n=8, noise=0.0, factor=0.5, seed=0)
    >>> sorted(round(math.hypot(*p), 6) for p in X)
    [0.5, 0.5, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    """
    n = check_count("n", n)
    noise = check_real("noise", noise)
    factor = check_real("factor", factor, 0.0, 1.0, inclusive=False)
    rng = random.Random(check_seed(seed))
    n_outer = (n + 1) // 2
    n_inner = n - n_outer
    X: Features = []
    y: list[int] = []
    for count, radius, label in ((n_outer, 1.0, 0), (n_inner, factor, 1)):
        for i in range(count):
            t = 2.0 * math.pi * i / count
            X.append([radius * math.cos(t) + rng.gauss(0.0, noise), radius * math.sin(t) + rng.gauss(0.0, noise)])
            y.append(label)
    return shuffled(X, y, rng)


def make_xor(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[Features, list[int]]:
    """Points uniform in the square [−1, 1]², labelled 1 where x₁ and x₂ have opposite signs.

    The label is the exclusive or of (x₁ > 0) and (x₂ > 0), the classic problem that a
    single neuron cannot solve. Gaussian jitter of standard deviation ``noise`` is added to
    the points *after* labelling, so noise blurs the boundary along the axes.

    >>> X, y = make_xor(n=200, noise=0.0, seed=1)
    >>> all(yi == int((a > 0) != (b > 0)) for (a, b), yi in zip(X, y))
    True
    """
    n = check_count("n", n)
    noise = check_real("noise", noise)
    rng = random.Random(check_seed(seed))
    X: Features = []
    y: list[int] = []
    for _ in range(n):
        a, b = rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)
        y.append(int((a > 0) != (b > 0)))
        if noise:
            a, b = a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)
        X.append([a, b])
    return X, y


def make_spirals(n: int = 150, classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[Features, list[int]]:
    """Interleaved spiral arms, one per class, labels 0 … ``classes`` − 1.

    Along arm k the radius grows evenly from 0 to 1 while the angle runs over
    [4k, 4k + 4] radians (plus Gaussian noise of standard deviation ``noise`` on the angle),
    so the point is (r sin θ, r cos θ). The n points are shared out as evenly as possible.
    A classic multi-class test that needs a non-linear model.

    >>> X, y = make_spirals(n=30, classes=3, seed=0)
    >>> len(X), [y.count(k) for k in range(3)]
    (30, [10, 10, 10])
    """
    n = check_count("n", n)
    classes = check_count("classes", classes, minimum=2)
    if n < classes:
        raise ValueError(f"n must be at least classes ({classes}) so that every class has a point, got {n}")
    noise = check_real("noise", noise)
    rng = random.Random(check_seed(seed))
    X: Features = []
    y: list[int] = []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        for i in range(count):
            r = i / max(count - 1, 1)
            theta = 4.0 * k + 4.0 * r + rng.gauss(0.0, noise)
            X.append([r * math.sin(theta), r * math.cos(theta)])
            y.append(k)
    return shuffled(X, y, rng)


def make_blobs(
    n: int = 150, classes: int = 3, noise: float = 0.15, radius: float = 0.7, seed: int = 0
) -> tuple[Features, list[int]]:
    """Round Gaussian clusters, one per class, labels 0 … ``classes`` − 1.

    The centre of class k sits on a circle of ``radius`` around the origin, at the angle
    2πk / ``classes`` (so (r, 0) for class 0), and each point is its centre plus Gaussian
    jitter of standard deviation ``noise`` on both coordinates. The n points are shared out as
    evenly as possible and come out shuffled. With little noise the classes are separated by
    straight lines: a model without a hidden layer learns them.

    >>> X, y = make_blobs(n=30, classes=3, noise=0.0, seed=0)
    >>> len(X), [y.count(k) for k in range(3)]
    (30, [10, 10, 10])
    >>> sorted({(round(a, 6), round(b, 6)) for a, b in X})[-1]   # the centre of class 0
    (0.7, 0.0)
    """
    n = check_count("n", n)
    classes = check_count("classes", classes, minimum=2)
    if n < classes:
        raise ValueError(f"n must be at least classes ({classes}) so that every class has a point, got {n}")
    noise = check_real("noise", noise)
    radius = check_real("radius", radius)
    rng = random.Random(check_seed(seed))
    X: Features = []
    y: list[int] = []
    for k in range(classes):
        angle = 2.0 * math.pi * k / classes
        cx, cy = radius * math.cos(angle), radius * math.sin(angle)
        for _ in range(n // classes + (1 if k < n % classes else 0)):
            X.append([cx + rng.gauss(0.0, noise), cy + rng.gauss(0.0, noise)] if noise else [cx, cy])
            y.append(k)
    return shuffled(X, y, rng)


def make_sine(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[Features, list[float]]:
    """A regression set: x uniform in [−π, π] and y = sin x + Gaussian noise (std ``noise``).

    ``X`` holds one-feature lists ``[x]`` so that it feeds an ``MLP(1, ...)`` directly.

    >>> X, y = make_sine(n=5, noise=0.0, seed=0)
    >>> all(abs(t - math.sin(x)) < 1e-12 for (x,), t in zip(X, y))
    True
    """
    n = check_count("n", n)
    noise = check_real("noise", noise)
    rng = random.Random(check_seed(seed))
    X: Features = []
    y: list[float] = []
    for _ in range(n):
        x = rng.uniform(-math.pi, math.pi)
        X.append([x])
        y.append(math.sin(x) + (rng.gauss(0.0, noise) if noise else 0.0))
    return X, y


# --- real and binary data -------------------------------------------------------------------


def load_digits() -> tuple[Features, list[int]]:
    """The 1,797 8×8 handwritten digits bundled with scikit-learn, features scaled to [0, 1].

    Each sample is 64 pixel intensities (0 … 16 in the original, divided by 16 here) read
    row by row; labels are the ints 0 … 9. The data ships inside scikit-learn, so nothing is
    downloaded. scikit-learn is an optional dependency: install it with
    ``pip install "valuegrad[datasets]"``.

    >>> X, y = load_digits()
    >>> len(X), len(X[0]), min(min(r) for r in X), max(max(r) for r in X), sorted(set(y))[:3]
    (1797, 64, 0.0, 1.0, [0, 1, 2])
    """
    try:
        from sklearn import datasets
    except ImportError as e:
        raise ImportError(
            'load_digits needs scikit-learn, which is not installed: pip install "valuegrad[datasets]"'
        ) from e
    bunch = datasets.load_digits()
    X = [[float(v) / 16.0 for v in row] for row in bunch.data.tolist()]
    y = [int(t) for t in bunch.target.tolist()]
    return X, y


def bars_and_stripes(size: int = 3) -> list[list[float]]:
    """Every ``size``×``size`` binary image made only of full bars or only of full stripes.

    A "stripes" image has each row all 0 or all 1; a "bars" image has each column all 0 or
    all 1. There are 2^size patterns of each kind; the all-0 and the all-1 images are both
    kinds, so there are 2^(size+1) − 2 distinct images. Each comes flattened row by row into a
    list of ``size²`` floats (0.0 or 1.0): the classic toy data for a restricted Boltzmann
    machine, which has to discover that pixels agree along a whole row or a whole column.

    >>> data = bars_and_stripes(2)
    >>> len(data)
    6
    >>> data[1]
    [0.0, 0.0, 1.0, 1.0]
    """
    size = check_count("size", size)
    patterns: list[list[float]] = []
    seen: set[tuple[float, ...]] = set()
    for kind in ("stripes", "bars"):
        for code in range(2**size):
            bits = [float((code >> (size - 1 - i)) & 1) for i in range(size)]
            if kind == "stripes":  # row r takes bit r
                image = [bits[r] for r in range(size) for _ in range(size)]
            else:  # column c takes bit c
                image = [bits[c] for _ in range(size) for c in range(size)]
            key = tuple(image)
            if key not in seen:
                seen.add(key)
                patterns.append(image)
    return patterns
