"""Checking the data handed to ``nn``: samples and their labels, before any training starts.

:func:`nn.train.fit` and its companions (``predict``, ``accuracy``, ``evaluate``) check their
data here, so that a bad sample is named (``X[7]``) at the call instead of failing somewhere
inside a training step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["check_rows", "check_samples"]


def check_rows(X: Any, name: str) -> list[tuple[Any, ...]]:
    """``X`` (called ``name`` in messages) as a non-empty list of tuples, one per sample."""
    if isinstance(X, (str, bytes)) or not isinstance(X, Sequence):
        raise TypeError(f"{name} expects a sequence of samples, got {type(X).__name__}")
    if len(X) == 0:
        raise ValueError(f"{name} must not be empty")
    rows = []
    for i, row in enumerate(X):
        if isinstance(row, (str, bytes)) or not isinstance(row, Sequence):
            raise TypeError(f"{name}[{i}] expects a sequence of numbers (one sample), got {type(row).__name__}")
        rows.append(tuple(row))  # tuples go through the model's input check without a copy
    return rows


def check_samples(X: Any, y: Any, xname: str, yname: str) -> tuple[list[tuple[Any, ...]], list[Any]]:
    """``X`` as by :func:`check_rows`, and ``y`` as a list of as many labels."""
    if isinstance(y, (str, bytes)) or not isinstance(y, Sequence):
        raise TypeError(f"{yname} expects a sequence of labels, got {type(y).__name__}")
    rows = check_rows(X, xname)
    if len(rows) != len(y):
        raise ValueError(f"{xname} and {yname} must have the same length, got {len(rows)} samples and {len(y)} labels")
    return rows, list(y)
