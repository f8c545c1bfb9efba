"""Splitting a data set (``train_test_split``, optionally stratified) and cutting it into minibatches
(``batches``); both re-exported by :mod:`nn.data`."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from .argchecks import check_seed

__all__ = ["train_test_split", "batches"]

Label = TypeVar("Label")


def _check_xy(X: Any, y: Any) -> int:
    for name, seq in (("X", X), ("y", y)):
        if isinstance(seq, (str, bytes)) or not isinstance(seq, Sequence):
            raise TypeError(f"{name} expects a sequence (a list of samples), got {type(seq).__name__}")
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} samples and {len(y)} labels")
    return len(X)


def train_test_split(
    X: Sequence[Any], y: Sequence[Label], test_size: float = 0.25, seed: int = 0, stratify: bool = False
) -> tuple[list[Any], list[Any], list[Label], list[Label]]:
    """Shuffle, then split into ``(X_train, X_test, y_train, y_test)``, as scikit-learn orders them.

    ``test_size`` is a fraction in (0, 1), giving ⌈fraction · n⌉ test samples, or an int
    count in [1, n − 1]. With ``stratify=True`` each label is split on its own, so both parts
    keep the label proportions (up to rounding, at least one test sample per label when the
    label has two or more samples); labels must then be hashable. The same seed gives the same
    split; the inputs are not modified.

    >>> X, y = list(range(10)), [i % 2 for i in range(10)]
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    >>> len(X_tr), len(X_te), sorted(y_te)
    (8, 2, [0, 1])
    >>> sorted(X_tr + X_te) == X
    True
    """
    n = _check_xy(X, y)
    if n < 2:
        raise ValueError(f"train_test_split needs at least 2 samples, got {n}")
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)):
        raise TypeError(f"test_size expects a fraction in (0, 1) or an int count, got {type(test_size).__name__}")
    if isinstance(test_size, int):
        if not 1 <= test_size <= n - 1:
            raise ValueError(f"test_size as a count must be in [1, {n - 1}] for {n} samples, got {test_size}")
        fraction = test_size / n
    else:
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must be in (0, 1), got {test_size!r}")
        fraction = test_size
    rng = random.Random(check_seed(seed))
    if stratify:
        groups: dict[Any, list[int]] = {}
        for i, label in enumerate(y):
            groups.setdefault(label, []).append(i)
        test_idx: list[int] = []
        train_idx: list[int] = []
        for members in groups.values():
            rng.shuffle(members)
            k = round(fraction * len(members)) if len(members) > 1 else 0
            k = min(max(k, 1 if len(members) > 1 else 0), len(members) - 1)
            test_idx += members[:k]
            train_idx += members[k:]
        rng.shuffle(test_idx)
        rng.shuffle(train_idx)
    else:
        order = list(range(n))
        rng.shuffle(order)
        k = test_size if isinstance(test_size, int) else min(max(math.ceil(fraction * n), 1), n - 1)
        test_idx, train_idx = order[:k], order[k:]
    return (
        [X[i] for i in train_idx],
        [X[i] for i in test_idx],
        [y[i] for i in train_idx],
        [y[i] for i in test_idx],
    )


def batches(
    X: Sequence[Any], y: Sequence[Label], batch_size: int | None, shuffle: bool = True, seed: int | None = None
) -> Iterator[tuple[list[Any], list[Label]]]:
    """Yield ``(X_batch, y_batch)`` minibatches that together cover every sample exactly once.

    ``batch_size`` 0 or None means one full batch. The last batch is smaller when the
    size does not divide n. With ``shuffle=True`` the order is a permutation drawn from
    ``random.Random(seed)``: a fixed seed repeats it, ``seed=None`` draws a fresh one each time.
    For a new order every epoch, pass a different seed per epoch (``fit`` does).

    >>> X, y = [[0.0], [1.0], [2.0], [3.0], [4.0]], [0, 1, 2, 3, 4]
    >>> [yb for _, yb in batches(X, y, batch_size=2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    >>> sorted(sum((yb for _, yb in batches(X, y, 2, seed=0)), []))
    [0, 1, 2, 3, 4]
    """
    n = _check_xy(X, y)
    if batch_size is None:
        batch_size = 0
    if isinstance(batch_size, bool) or not isinstance(batch_size, int):
        raise TypeError(f"batch_size expects an int (0 or None for one full batch), got {type(batch_size).__name__}")
    if batch_size < 0:
        raise ValueError(f"batch_size must be >= 0 (0 or None for one full batch), got {batch_size}")
    if not isinstance(shuffle, bool):
        raise TypeError(f"shuffle expects a bool, got {type(shuffle).__name__}")
    seed = check_seed(seed)
    order = list(range(n))
    if shuffle:
        random.Random(seed).shuffle(order)
    # The checks above run at the call; only the slicing below is lazy.
    return _slices(X, y, order, batch_size or max(n, 1))


def _slices(
    X: Sequence[Any], y: Sequence[Label], order: list[int], size: int
) -> Iterator[tuple[list[Any], list[Label]]]:
    for start in range(0, len(order), size):
        idx = order[start : start + size]
        yield [X[i] for i in idx], [y[i] for i in idx]
