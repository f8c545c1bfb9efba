"""nn.data: the generators are deterministic and correct; split and batches cover every sample once."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from helpers import hide_module, require

from nn import data

GENERATORS = {
    "moons": lambda seed: data.make_moons(n=60, noise=0.1, seed=seed),
    "circles": lambda seed: data.make_circles(n=60, noise=0.05, factor=0.5, seed=seed),
    "xor": lambda seed: data.make_xor(n=60, noise=0.1, seed=seed),
    "spirals": lambda seed: data.make_spirals(n=60, classes=3, noise=0.2, seed=seed),
    "sine": lambda seed: data.make_sine(n=60, noise=0.1, seed=seed),
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_deterministic_under_a_seed_and_differ_across_seeds(name: str) -> None:
    make = GENERATORS[name]
    X1, y1 = make(0)
    X2, y2 = make(0)
    X3, y3 = make(1)
    assert (X1, y1) == (X2, y2)
    assert X1 != X3
    assert len(X1) == len(y1) == 60
    assert all(isinstance(x, float) for row in X1 for x in row)


@pytest.mark.parametrize("name", ["moons", "circles", "xor"])
def test_binary_generators_give_labels_0_and_1(name: str) -> None:
    _, y = GENERATORS[name](0)
    assert set(y) == {0, 1}
    assert all(type(t) is int for t in y)


def test_moons_without_noise_lie_on_the_two_arcs() -> None:
    X, y = data.make_moons(n=50, noise=0.0, seed=0)
    assert Counter(y) == {0: 25, 1: 25}
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:  # (cos t, sin t)
            assert math.hypot(a, b) == pytest.approx(1.0, abs=1e-12) and b >= -1e-12
        else:  # (1 - cos t, 1/2 - sin t)
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0, abs=1e-12) and b <= 0.5 + 1e-12


def test_circles_radii_without_noise() -> None:
    X, y = data.make_circles(n=21, noise=0.0, factor=0.3, seed=0)
    for p, label in zip(X, y, strict=True):
        assert math.hypot(*p) == pytest.approx(0.3 if label == 1 else 1.0, abs=1e-12)
    assert Counter(y) == {0: 11, 1: 10}


def test_xor_labels_are_the_exclusive_or_of_signs_without_noise() -> None:
    X, y = data.make_xor(n=300, noise=0.0, seed=5)
    assert all(label == int((a > 0) != (b > 0)) for (a, b), label in zip(X, y, strict=True))
    assert all(-1.0 <= v <= 1.0 for row in X for v in row)


def test_spirals_share_points_out_evenly_and_stay_in_the_unit_disc_without_noise() -> None:
    X, y = data.make_spirals(n=100, classes=4, noise=0.0, seed=0)
    assert Counter(y) == {0: 25, 1: 25, 2: 25, 3: 25}
    assert max(math.hypot(*p) for p in X) == pytest.approx(1.0, abs=1e-12)


def test_sine_targets_without_noise_are_exactly_sin_x_on_minus_pi_to_pi() -> None:
    X, y = data.make_sine(n=200, noise=0.0, seed=2)
    assert all(len(row) == 1 and -math.pi <= row[0] <= math.pi for row in X)
    assert all(t == math.sin(row[0]) for row, t in zip(X, y, strict=True))


def test_sine_noise_has_about_the_requested_spread() -> None:
    X, y = data.make_sine(n=4000, noise=0.2, seed=0)
    residuals = [t - math.sin(row[0]) for row, t in zip(X, y, strict=True)]
    std = math.sqrt(sum(r * r for r in residuals) / len(residuals))
    assert std == pytest.approx(0.2, rel=0.05)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: data.make_moons(n=0), ValueError, "n must be >= 1"),
        (lambda: data.make_moons(n=2.5), TypeError, "n expects an int"),
        (lambda: data.make_moons(n=True), TypeError, "n expects an int"),
        (lambda: data.make_moons(noise=-0.1), ValueError, "noise must be"),
        (lambda: data.make_xor(noise=float("nan")), ValueError, "noise must be a finite number in .*, got nan"),
        (lambda: data.make_moons(noise=math.inf), ValueError, "noise must be a finite number in .*, got inf"),
        (lambda: data.make_moons(noise=math.nan), ValueError, "noise must be a finite number in .*, got nan"),
        (lambda: data.make_circles(noise=math.inf), ValueError, "noise must be a finite number in .*, got inf"),
        (lambda: data.make_circles(factor=math.nan), ValueError, r"factor must be a finite number in \(0, 1\), got nan"),
        (lambda: data.make_spirals(noise=-math.inf), ValueError, "noise must be a finite number in .*, got -inf"),
        (lambda: data.make_sine(noise=math.inf), ValueError, "noise must be a finite number in .*, got inf"),
        (lambda: data.make_sine(noise=10**400), ValueError, "noise must be a finite number in .*, got an int of 1329 bits"),
        (lambda: data.make_circles(factor=-(10**5000)), ValueError, "factor must be a finite number in .*, got an int of"),
        (lambda: data.make_sine(noise="0.1"), TypeError, "noise expects a real number"),
        (lambda: data.make_circles(factor=1.0), ValueError, "factor must be"),
        (lambda: data.make_spirals(n=2, classes=3), ValueError, "at least classes"),
        (lambda: data.make_spirals(classes=1), ValueError, "classes must be >= 2"),
        (lambda: data.make_moons(seed=1.5), TypeError, "seed expects an int"),
        (lambda: data.bars_and_stripes(0), ValueError, "size must be >= 1"),
    ],
)
def test_generators_reject_bad_arguments_naming_them(call: Callable[[], object], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        call()


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_bars_and_stripes_are_all_the_distinct_patterns(size: int) -> None:
    patterns = data.bars_and_stripes(size)
    assert len(patterns) == 2 ** (size + 1) - 2
    assert len({tuple(p) for p in patterns}) == len(patterns)
    for p in patterns:
        rows = [p[r * size : (r + 1) * size] for r in range(size)]
        cols = [p[c::size] for c in range(size)]
        assert all(len(set(r)) == 1 for r in rows) or all(len(set(c)) == 1 for c in cols)
        assert set(p) <= {0.0, 1.0}


def test_load_digits_matches_sklearn_scaled_to_unit_interval() -> None:
    datasets = require("sklearn.datasets")
    X, y = data.load_digits()
    ref = datasets.load_digits()
    assert len(X) == len(y) == 1797
    assert all(len(row) == 64 for row in X)
    assert min(min(row) for row in X) == 0.0 and max(max(row) for row in X) == 1.0
    assert X[10] == [v / 16.0 for v in ref.data[10].tolist()]
    assert y == [int(t) for t in ref.target]


def test_load_digits_without_sklearn_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    hide_module(monkeypatch, "sklearn")
    with pytest.raises(ImportError, match=r'pip install "valuegrad\[datasets\]"'):
        data.load_digits()


# --- train_test_split ---


def test_split_is_a_partition_and_deterministic() -> None:
    X = [[float(i)] for i in range(40)]
    y = list(range(40))
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.25, seed=3)
    assert len(X_te) == 10 and len(X_tr) == 30
    assert sorted(y_tr + y_te) == y
    assert all(row == [float(label)] for row, label in zip(X_tr + X_te, y_tr + y_te, strict=True))
    assert data.train_test_split(X, y, test_size=0.25, seed=3) == (X_tr, X_te, y_tr, y_te)
    assert data.train_test_split(X, y, test_size=0.25, seed=4)[3] != y_te


def test_split_accepts_a_count_and_rounds_fractions_up() -> None:
    X, y = list(range(10)), list(range(10))
    assert len(data.train_test_split(X, y, test_size=3)[1]) == 3
    assert len(data.train_test_split(X, y, test_size=0.25)[1]) == 3  # ceil(2.5)


def test_stratified_split_keeps_label_proportions() -> None:
    y = [0] * 60 + [1] * 30 + [2] * 10
    X = list(range(100))
    _, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    assert Counter(y_te) == {0: 12, 1: 6, 2: 2}
    assert Counter(y_tr) == {0: 48, 1: 24, 2: 8}
    assert all(y[x] == label for x, label in zip(X_te, y_te, strict=True))


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"test_size": 0.0}, ValueError, "test_size as a fraction must be in"),
        ({"test_size": 1.0}, ValueError, "test_size as a fraction must be in"),
        ({"test_size": 10}, ValueError, r"test_size as a count must be in \[1, 9\]"),
        ({"test_size": "0.2"}, TypeError, "test_size expects"),
    ],
)
def test_split_rejects_bad_test_size(kwargs: dict[str, Any], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        data.train_test_split(list(range(10)), list(range(10)), **kwargs)


def test_split_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="X and y must have the same length, got 3 samples and 2 labels"):
        data.train_test_split([1, 2, 3], [0, 1])


# --- batches ---


def test_batches_cover_every_sample_once_in_order_without_shuffle() -> None:
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    got = list(data.batches(X, y, batch_size=4, shuffle=False))
    assert [yb for _, yb in got] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert all(xb == [[float(t)] for t in yb] for xb, yb in got)


@pytest.mark.parametrize("size", [0, None])
def test_batches_zero_or_none_is_one_full_batch(size: int | None) -> None:
    got = list(data.batches([[1.0], [2.0], [3.0]], [1, 2, 3], batch_size=size, shuffle=False))
    assert got == [([[1.0], [2.0], [3.0]], [1, 2, 3])]


def test_batches_shuffle_is_a_permutation_fixed_by_the_seed() -> None:
    X, y = list(range(50)), list(range(50))
    first = [t for _, yb in data.batches(X, y, 7, seed=1) for t in yb]
    again = [t for _, yb in data.batches(X, y, 7, seed=1) for t in yb]
    other = [t for _, yb in data.batches(X, y, 7, seed=2) for t in yb]
    assert sorted(first) == y and first == again and first != other and first != y


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"batch_size": -1}, ValueError, "batch_size must be >= 0"),
        ({"batch_size": 2.0}, TypeError, "batch_size expects an int"),
        ({"batch_size": 2, "shuffle": 1}, TypeError, "shuffle expects a bool"),
    ],
)
def test_batches_reject_bad_arguments_at_the_call(kwargs: dict[str, Any], error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        data.batches([1, 2, 3], [1, 2, 3], **kwargs)  # raises before any iteration
