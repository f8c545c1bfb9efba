"""What a model predicts, and how well: ``predict``, ``accuracy``, ``evaluate``, and the task of a model
(binary, multiclass or regression) read off its outputs and labels. :func:`nn.train.fit` measures
its training with these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from autograd import Value, no_grad

from .checks import check_finite, check_rows, check_samples

__all__ = ["predict", "accuracy", "evaluate", "infer_task", "TASKS"]

TASKS = ("binary", "multiclass", "regression")

Output = Any  # a Value, or a list of Values (one per class)
LossFn = Callable[[list[Output], list[Any]], Value]


def check_task(task: Any) -> str | None:
    if task is None:
        return None
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task expects one of {', '.join(map(repr, TASKS))} or None (infer it), got {task!r}")
    return task


def count_outputs(out: Output) -> int:
    if isinstance(out, Value):
        return 1
    if isinstance(out, (list, tuple)) and out and all(isinstance(o, Value) for o in out):
        return len(out)
    raise TypeError(f"the model must return a Value or a list of Values, got {type(out).__name__}")


def infer_task(n_outputs: int, labels: Sequence[Any]) -> str:
    """The task for a model with ``n_outputs`` outputs and these labels (see the module docs).

    >>> infer_task(1, [0, 1, 1]), infer_task(1, [-1, 1]), infer_task(3, [0, 2]), infer_task(1, [0.3, 1.7])
    ('binary', 'binary', 'multiclass', 'regression')
    """
    if n_outputs > 1:
        return "multiclass"
    values = set()
    for t in labels:
        if isinstance(t, bool) or not isinstance(t, (int, float)):
            return "regression"
        values.add(float(t))
    if values <= {0.0, 1.0} or values <= {-1.0, 1.0}:
        return "binary"
    return "regression"


def check_labels(labels: list[Any], task: str, n_outputs: int, name: str) -> None:
    if task == "binary":
        if n_outputs != 1:
            raise ValueError(f"task 'binary' needs a model with one output, this one has {n_outputs}")
        for i, t in enumerate(labels):
            if isinstance(t, bool) or not isinstance(t, (int, float)) or float(t) not in (0.0, 1.0, -1.0):
                raise ValueError(f"task 'binary' expects labels 0/1 or -1/+1, got {t!r} at {name}[{i}]")
    elif task == "multiclass":
        if n_outputs < 2:
            raise ValueError(f"task 'multiclass' needs a model with 2 or more outputs, this one has {n_outputs}")
        for i, t in enumerate(labels):
            if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < n_outputs:
                raise ValueError(
                    f"task 'multiclass' expects int labels in [0, {n_outputs - 1}], got {t!r} at {name}[{i}]"
                )
    else:
        if n_outputs != 1:
            raise ValueError(f"task 'regression' needs a model with one output, this one has {n_outputs}")
        for i, t in enumerate(labels):
            check_finite(t, f"{name}[{i}]", f"the target of sample {i}")


# --- predictions ----------------------------------------------------------------------------


def _number(x: Any) -> float:
    """An output's number: a Value's data, or the float a replayed tape gave."""
    return x.data if isinstance(x, Value) else x


def _predicted(out: Output, task: str) -> float:
    """The predicted label of one output: 1/0 for binary, the argmax for multiclass, the value for regression."""
    if task == "multiclass":
        best, best_score = 0, _number(out[0])
        for k in range(1, len(out)):
            if _number(out[k]) > best_score:
                best, best_score = k, _number(out[k])
        return best
    if task == "binary":
        return 1 if _number(out) > 0.0 else 0
    return float(_number(out))


def count_correct(outputs: list[Output], labels: list[Any], task: str) -> int:
    if task == "binary":  # positive is the label 1 under both conventions
        return sum((_number(out) > 0.0) == (t == 1) for out, t in zip(outputs, labels, strict=True))
    return sum(_predicted(out, task) == t for out, t in zip(outputs, labels, strict=True))


@no_grad()
def predict(model: Callable[[Any], Output], X: Sequence[Sequence[float]], task: str | None = None) -> list[Any]:
    """The model's predictions for every row of ``X``, computed without building a graph.

    Binary: 1 or 0 (score > 0); multiclass: the argmax class index; regression: the output as
    a float. Without ``task``, a list output means multiclass and a single Value means binary;
    pass ``task="regression"`` for the raw values.

    >>> from nn.layers import MLP
    >>> labels = predict(MLP(2, [4, 3], seed=0), [[0.5, -0.5], [1.0, 2.0]])    # 3 classes
    >>> len(labels), all(k in (0, 1, 2) for k in labels)
    (2, True)
    """
    task = check_task(task)
    rows = check_rows(X, "X")
    outputs = [model(x) for x in rows]
    n = count_outputs(outputs[0])
    if task is None:
        task = "multiclass" if n > 1 else "binary"
    elif (task == "multiclass") != (n > 1):
        raise ValueError(f"task {task!r} does not fit a model with {n} output{'s' if n > 1 else ''}")
    return [_predicted(out, task) for out in outputs]


@no_grad()
def accuracy(
    model: Callable[[Any], Output], X: Sequence[Sequence[float]], y: Sequence[Any], task: str | None = None
) -> float:
    """The fraction of samples whose predicted label equals the true one (see the module docs).

    >>> from nn.layers import MLP
    >>> model = MLP(1, [1], seed=0)
    >>> model.layers[0].neurons[0].w[0].data, model.layers[0].neurons[0].b.data = 1.0, 0.0
    >>> accuracy(model, [[-2.0], [-1.0], [1.0], [3.0]], [0, 1, 1, 1])    # the score is x itself
    0.75
    """
    task = check_task(task)
    rows, labels = check_samples(X, y, "X", "y")
    outputs = [model(x) for x in rows]
    n = count_outputs(outputs[0])
    task = task or infer_task(n, labels)
    if task == "regression":
        raise ValueError("accuracy is not defined for regression (real targets): compare losses instead")
    check_labels(labels, task, n, "y")
    return count_correct(outputs, labels, task) / len(rows)


@no_grad()
def evaluate(
    model: Callable[[Any], Output],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: LossFn,
    task: str | None = None,
) -> tuple[float, float | None]:
    """``(loss, accuracy)`` of the model on ``(X, y)``, without a graph; accuracy is None for regression."""
    task = check_task(task)
    rows, labels = check_samples(X, y, "X", "y")
    return evaluate_checked(model, rows, labels, loss, task, "y")


def evaluate_checked(
    model: Callable[[Any], Output], rows: list[tuple[Any, ...]], labels: list[Any], loss: LossFn, task: str | None,
    yname: str,
) -> tuple[float, float | None]:
    """:func:`evaluate` on samples already checked (fit checks its validation set once, not every epoch)."""
    outputs = [model(x) for x in rows]
    n = count_outputs(outputs[0])
    task = task or infer_task(n, labels)
    check_labels(labels, task, n, yname)
    value = loss_value(loss, outputs, labels)
    return value.data, (None if task == "regression" else count_correct(outputs, labels, task) / len(rows))


def loss_value(loss: LossFn, outputs: list[Output], labels: list[Any]) -> Value:
    value = loss(outputs, labels)
    if not isinstance(value, Value):
        raise TypeError(f"loss must return a Value (one number for the batch), got {type(value).__name__}")
    return value


# --- the loop -------------------------------------------------------------------------------
