"""Loss functions: one number that says how wrong the predictions are, as a Value to backpropagate.

Each takes predictions (Values) and targets (numbers) and returns ONE Value. Averages over
a batch are built with :func:`autograd.sum_values`, one node however large the batch.
Every loss here matches PyTorch (float64) in value and in gradient.

Inside an active :func:`autograd.group`, each loss makes its nodes in a group named after it:
``"mse loss"``, ``"hinge loss"``, ``"binary cross-entropy loss"``, ``"cross-entropy loss"``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any, Union

from autograd import Value, dot, logsumexp, sum_values
from autograd.groups import grouped

from .functional import as_values

__all__ = ["mse_loss", "hinge_loss", "binary_cross_entropy", "cross_entropy"]

Scalar = Union[Value, float, int]
REDUCTIONS = ("mean", "sum")


def _as_list(x: Any, name: str, where: str) -> list[Any]:
    """``x`` as a list: a single Value or number becomes a list of one."""
    if isinstance(x, (Value, numbers.Number)):
        return [x]
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{where}: {name} expects a sequence of Values or numbers, got {type(x).__name__}")
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{where}: {name} expects a sequence of Values or numbers, got {type(x).__name__}") from None


def _pair(preds: Any, targets: Any, pname: str, tname: str, where: str) -> tuple[list[Any], list[Any]]:
    """Predictions and targets as two lists of the same, non-zero length."""
    ps = _as_list(preds, pname, where)
    ts = _as_list(targets, tname, where)
    if len(ps) != len(ts):
        raise ValueError(f"{where}: {pname} and {tname} must have the same length, got {len(ps)} and {len(ts)}")
    if not ps:
        raise ValueError(f"{where}: {pname} must not be empty")
    for name, items in ((pname, ps), (tname, ts)):
        for i, x in enumerate(items):
            if not isinstance(x, Value) and (isinstance(x, bool) or not isinstance(x, numbers.Real)):
                raise TypeError(f"{where}: {name}[{i}] expects a Value or a real number, got {type(x).__name__}")
    return ps, ts


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _mean(terms: list[Any]) -> Value:
    total = sum_values(terms)
    return total * (1.0 / len(terms)) if len(terms) > 1 else total


@grouped("mse loss")
def mse_loss(preds: Sequence[Scalar] | Scalar, targets: Sequence[Scalar] | Scalar, reduction: str = "mean") -> Value:
    """Squared error between predictions ŷ and targets y.

    * ``reduction="mean"``: the mean squared error, MSE = (1/n) Σ (yᵢ − ŷᵢ)².
    * ``reduction="sum"``: the sum of squared errors, SSE = Σ (yᵢ − ŷᵢ)². (Some texts write this
      sum and call it MSE; it is not a mean, and its size grows with n.)

    d/dŷᵢ = 2(ŷᵢ − yᵢ), divided by n for the mean. A single Value and number are accepted too.

    >>> mse_loss([Value(1.0), Value(2.0)], [0.0, 4.0]).data           # (1 + 4) / 2
    2.5
    >>> mse_loss([Value(1.0), Value(2.0)], [0.0, 4.0], reduction="sum").data
    5.0
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"mse_loss: reduction expects 'mean' or 'sum', got {reduction!r}")
    ps, ts = _pair(preds, targets, "preds", "targets", "mse_loss")
    squares = []
    for p, t in zip(ps, ts):
        d = p - t
        if not isinstance(d, Value):  # both plain numbers
            d = Value(d, requires_grad=False)
        squares.append(d * d)
    return _mean(squares) if reduction == "mean" else sum_values(squares)


@grouped("hinge loss")
def hinge_loss(scores: Sequence[Scalar] | Scalar, labels: Sequence[Scalar] | Scalar) -> Value:
    """The SVM max-margin loss of micrograd's demo: mean of max(0, 1 − yᵢ·sᵢ), labels yᵢ = ±1.

    A point costs nothing once its score is on the right side with margin 1 (yᵢsᵢ ≥ 1); inside
    the margin it costs 1 − yᵢsᵢ. d/dsᵢ = −yᵢ/n inside the margin, 0 outside.

    >>> hinge_loss([Value(2.0), Value(0.5), Value(0.5)], [1, 1, -1]).data    # (0 + 0.5 + 1.5) / 3
    0.6666666666666666
    """
    ss, ys = _pair(scores, labels, "scores", "labels", "hinge_loss")
    terms = []
    for i, (s, y) in enumerate(zip(ss, ys)):
        if _data(y) not in (1.0, -1.0):
            raise ValueError(f"hinge_loss: labels must be +1 or -1, got {_data(y)!r} at labels[{i}]")
        margin = 1 - y * s
        if not isinstance(margin, Value):
            margin = Value(margin, requires_grad=False)
        terms.append(margin.relu())
    return _mean(terms)


@grouped("binary cross-entropy loss")
def binary_cross_entropy(logits: Sequence[Scalar] | Scalar, targets: Sequence[Scalar] | Scalar) -> Value:
    """Binary cross-entropy from logits z (scores before the sigmoid), targets y in [0, 1].

    With p = σ(z), the loss −[y log p + (1 − y) log(1 − p)] simplifies to
    log(1 + e^z) − z·y = max(z, 0) − z·y + log(1 + e^−|z|): the mean of that is returned.
    It never takes the log of a probability that has rounded to 0, so it stays finite at
    z = ±1000 where log σ(z) would be −inf. d/dz = σ(z) − y (over n), as in
    ``torch.nn.functional.binary_cross_entropy_with_logits``.

    >>> round(binary_cross_entropy([Value(0.0)], [1.0]).data, 6)     # log 2
    0.693147
    >>> binary_cross_entropy([Value(1000.0), Value(-1000.0)], [1.0, 0.0]).data
    0.0
    """
    zs, ys = _pair(logits, targets, "logits", "targets", "binary_cross_entropy")
    terms = []
    for i, (z, y) in enumerate(zip(zs, ys)):
        yd = _data(y)
        if not 0.0 <= yd <= 1.0:
            raise ValueError(f"binary_cross_entropy: targets must be in [0, 1], got {yd!r} at targets[{i}]")
        if not isinstance(z, Value):
            z = Value(float(z), requires_grad=False)
        terms.append(z.softplus() - z * y)  # one op, so a recorded tape replays it for any z
    return _mean(terms)


def _check_target(target: Any, k: int, where: str) -> int | list[Any]:
    """``target`` for ``k`` logits: an int class index, or ``k`` class probabilities (numbers or
    Values) that are finite, non-negative and sum to 1 within 1e-9."""
    if isinstance(target, numbers.Integral) and not isinstance(target, bool):
        index = int(target)
        if not 0 <= index < k:
            raise ValueError(f"{where} expects a class index in [0, {k - 1}] for {k} logits, got {index}")
        return index
    wanted = f"an int class index, or a sequence of {k} class probabilities"
    if isinstance(target, (Value, numbers.Number, str, bytes)):
        raise TypeError(f"{where} expects {wanted}, got {type(target).__name__} {target!r}")
    try:
        probs = list(target)
    except TypeError:
        raise TypeError(f"{where} expects {wanted}, got {type(target).__name__}") from None
    if len(probs) != k:
        raise ValueError(f"{where} expects {k} class probabilities, one per logit, got {len(probs)}")
    datas = []
    for j, t in enumerate(probs):
        if isinstance(t, bool) or not isinstance(t, (Value, numbers.Real)):
            raise TypeError(f"{where}[{j}] expects a probability (a real number or a Value), got {type(t).__name__}")
        d = _data(t)
        if not (math.isfinite(d) and d >= 0.0):
            raise ValueError(f"{where}[{j}] expects a finite, non-negative probability, got {d!r}")
        datas.append(d)
    total = math.fsum(datas)
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"{where} expects class probabilities that sum to 1 (within 1e-9), got a sum of {total!r}")
    return probs


def _one_cross_entropy(logits: Any, target: Any, where: str) -> Value:
    zs = as_values(logits, where)
    t = _check_target(target, len(zs), f"{where}: target")
    # −Σₖ tₖ log softmax(z)ₖ = −Σₖ tₖ (zₖ − logsumexp(z)) = logsumexp(z)·Σₖ tₖ − Σₖ tₖzₖ. For a class
    # index the sum is the one logit z_t. The log-sum-exp op shifts by the largest logit inside its
    # own formula, so no number is read off .data here.
    lse = logsumexp(zs)
    if isinstance(t, int):
        return lse - zs[t]
    # Σₖ tₖ is 1 (within 1e-9; exactly 1.0 for one-hot, so this is lse − Σₖ tₖzₖ to the last bit),
    # but kept as a factor: it makes ∂/∂tₖ = logsumexp(z) − zₖ, PyTorch's gradient for targets
    # that are themselves Values (a teacher's softmax, say).
    return lse * sum_values(t) - dot(zs, t)


@grouped("cross-entropy loss")
def cross_entropy(logits: Sequence[Any], target: int | Sequence[Any]) -> Value:
    """Cross-entropy of class scores (logits) against the true class, or a distribution over classes.

    For one sample with logits z and a class index t: −log softmax(z)_t = log Σⱼ e^zⱼ − z_t,
    the negative log-probability the model gives to the right class. The target may instead be
    a probability vector t of K numbers (one per logit: finite, ≥ 0, summing to 1 within 1e-9),
    for instance one-hot ``[0.0, 0.0, 1.0]``; then the loss is
    −Σₖ tₖ log softmax(z)ₖ = log Σⱼ e^zⱼ − Σₖ tₖzₖ (as Σₖ tₖ = 1), as PyTorch computes it for
    probability targets. d/dzⱼ = softmax(z)ⱼ − tⱼ (for an index, tⱼ = [j = t]).

    For a batch (a list of logit lists, and a list with one target per sample, each an index or a
    probability vector) the mean over the samples. The log Σ e^z is :func:`autograd.logsumexp`,
    one node that subtracts the largest logit inside its op: logits of ±1000 give finite losses
    and gradients, and with probability targets the whole loss can be recorded with
    :func:`autograd.record` and replayed on any new data (a class index cannot be an input of a
    tape; a one-hot vector can).

    >>> round(cross_entropy([Value(1.0), Value(2.0), Value(3.0)], 2).data, 4)
    0.4076
    >>> round(cross_entropy([Value(1.0), Value(2.0), Value(3.0)], [0.0, 0.0, 1.0]).data, 4)
    0.4076
    >>> cross_entropy([[Value(1000.0), Value(-1000.0)], [Value(0.0), Value(0.0)]], [0, 1]).data == 0.5 * 0.6931471805599453
    True
    """
    if isinstance(logits, (Value, numbers.Number, str, bytes)):
        raise TypeError(f"cross_entropy: logits expects a sequence of Values, got {type(logits).__name__}")
    rows = list(logits)
    if not rows:
        raise ValueError("cross_entropy: logits must not be empty")
    if isinstance(rows[0], (Value, numbers.Number)):  # one sample
        return _one_cross_entropy(rows, target, "cross_entropy")
    if isinstance(target, (Value, numbers.Number, str, bytes)):
        raise TypeError(
            f"cross_entropy: for a batch of {len(rows)} samples, target expects a sequence of targets (class "
            f"indices or probability vectors), got {type(target).__name__}"
        )
    targets = list(target)  # type: ignore[arg-type]  # a number was rejected just above
    if len(targets) != len(rows):
        raise ValueError(
            f"cross_entropy: logits and target must have the same length, got {len(rows)} samples and "
            f"{len(targets)} targets"
        )
    losses = [_one_cross_entropy(row, t, f"cross_entropy: sample {i}") for i, (row, t) in enumerate(zip(rows, targets))]
    return _mean(losses)
