"""Checking the data handed to ``nn``: samples and their labels, before any training starts.

:func:`nn.train.fit` and its companions (``predict``, ``accuracy``, ``evaluate``) check their
data here, and the RBM its visible vectors, so that a bad entry is named (``X[7][1]``) at the
call instead of failing somewhere inside a training step, or quietly turning the parameters
into nan.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from autograd import Value

__all__ = ["check_rows", "check_samples", "check_finite"]


def check_rows(X: Any, name: str) -> list[tuple[Any, ...]]:
    """``X`` (called ``name`` in messages) as a non-empty list of tuples, one per sample, every
    feature a finite number (or a Value holding one).

    One nan in the data would make every parameter it reaches nan after a single training
    step, without an error, so data is refused here, before any training: TypeError or
    ValueError naming the entry, as in ``X[7][1] (sample 7, feature 1) is nan``.

    >>> check_rows([[0.5, 1.0], [2.0, float("inf")]], "X")
    Traceback (most recent call last):
    ...
    ValueError: X[1][1] (sample 1, feature 1) is inf: every number of the data must be finite
    """
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(f"{name} expects a sequence of samples, got {type(X).__name__}")
    if len(X) == 0:
        raise ValueError(f"{name} must not be empty")
    rows = []
    isfinite = math.isfinite
    for i, row in enumerate(X):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(f"{name}[{i}] expects a sequence of numbers (one sample), got {type(row).__name__}")
        row = tuple(row)  # tuples go through the model's input check without a copy
        if not all(type(x) is float and isfinite(x) for x in row):  # the common case: no call per feature
            for j, x in enumerate(row):
                check_finite(x, f"{name}[{i}][{j}]", f"sample {i}, feature {j}")
        rows.append(row)
    return rows


def check_finite(x: Any, where: str, what: str) -> None:
    """Raise unless ``x`` is a finite real number, or a Value holding one.

    ``where`` names it (``X[7][1]``) and ``what`` says what it is (``sample 7, feature 1``).
    TypeError for something that is not a number (a bool is not), ValueError for nan, ±inf
    or an int too large for a float.
    """
    number = x.data if isinstance(x, Value) else x
    if type(number) is float:  # the common case, checked without a conversion
        if math.isfinite(number):
            return
    elif isinstance(number, bool) or not isinstance(number, numbers.Real):
        raise TypeError(f"{where} ({what}) expects a number, got {type(x).__name__}")
    else:
        try:
            number = float(number)
        except OverflowError:
            raise ValueError(f"{where} ({what}) is an {type(x).__name__} too large for a float") from None
        if math.isfinite(number):
            return
    raise ValueError(f"{where} ({what}) is {number}: every number of the data must be finite")


def check_samples(X: Any, y: Any, xname: str, yname: str) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """``X`` as by :func:`check_rows`, and ``y`` as a list of as many labels."""
    if isinstance(y, (str, bytes)) or not isinstance(y, Sequence):
        raise TypeError(f"{yname} expects a sequence of labels, got {type(y).__name__}")
    rows = check_rows(X, xname)
    if len(rows) != len(y):
        raise ValueError(f"{xname} and {yname} must have the same length, got {len(rows)} samples and {len(y)} labels")
    return rows, list(y)
