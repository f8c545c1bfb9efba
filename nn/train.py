"""The training loop: ``fit`` a model with a loss and an optimizer, and measure it.

One training step, on a minibatch of samples (xᵢ, yᵢ):

1. forward every sample, ``outputs = [model(x) for x in batch]``, all into one graph;
2. reduce them to one number, ``L = loss(outputs, targets)`` (a mean over the batch);
3. ``optimizer.zero_grad()``, because leaf gradients accumulate;
4. ``L.backward()``: every parameter p gets ∂L/∂p;
5. ``optimizer.step()``: for plain SGD, p ← p − lr · ∂L/∂p.

An *epoch* is one pass over the whole training set in minibatches, shuffled anew each epoch.
L2 regularisation is the optimizer's ``weight_decay`` (it adds λp to each gradient), so the
loop does not need to know about it.

Task conventions
----------------
What a prediction is, and so what accuracy means, depends on the task. :func:`fit`,
:func:`predict` and :func:`accuracy` take ``task=`` explicitly, or infer it (:func:`infer_task`):

``"binary"``
    The model has ONE output, a score (a logit for ``binary_cross_entropy``, a margin for
    ``hinge_loss``). The prediction is the positive class when the score is > 0, which is
    σ(score) > ½ for a logit and the sign for a margin. Labels may be 0/1 or −1/+1; in both
    the positive class is 1, and :func:`predict` returns 1 or 0.
``"multiclass"``
    The model has K > 1 outputs, one score per class; the prediction is the argmax (the
    first one on ties) and labels are the ints 0 … K − 1.
``"regression"``
    One real output and real targets. There is no accuracy, only the loss.

Inference: K > 1 outputs means multiclass; one output means binary when every label is in
{0, 1} or in {−1, 1}, and regression otherwise.

>>> from nn.layers import MLP
>>> from nn.losses import hinge_loss
>>> from nn.optim import SGD
>>> X = [[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]
>>> y = [-1, -1, 1, 1]                                  # XOR, with labels ±1
>>> model = MLP(2, [8, 1], seed=1)
>>> history = fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1), epochs=200, progress=False)
>>> history.loss[-1] < history.loss[0], accuracy(model, X, y)
(True, 1.0)
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from autograd import Value, gc_paused, no_grad
from autograd.tape import check_backend

from .checks import check_samples
from .data import batches
from .evaluation import (
    TASKS,
    accuracy,
    check_labels,
    check_task,
    count_correct,
    count_outputs,
    evaluate,
    evaluate_checked,
    infer_task,
    loss_value,
    predict,
)
from .replayed import ReplayedSteps

__all__ = ["History", "fit", "predict", "accuracy", "evaluate", "infer_task", "TASKS"]

#: The task names understood by :func:`fit`, :func:`predict` and :func:`accuracy`.

Output = Any  # a Value, or a list of Values (one per class)
LossFn = Callable[[list[Output], list[Any]], Value]


class _Optimizer(Protocol):
    def zero_grad(self) -> None: ...

    def step(self) -> None: ...


class _Schedule(Protocol):
    def step(self) -> None: ...


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch.

    ``loss`` and ``accuracy`` are the training figures averaged over the epoch's minibatches
    as they were seen (each batch measured just before its update, as Keras reports them).
    ``val_loss`` and ``val_accuracy`` are measured on the validation set after the epoch,
    without a graph. The accuracy lists stay empty for regression, and the val lists stay
    empty without a validation set.
    """

    task: str
    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        """How many epochs ran (fewer than asked when a callback stopped training)."""
        return len(self.loss)


# --- checks ---------------------------------------------------------------------------------


def _step_of(model: Callable[[Any], Output], loss: LossFn) -> Callable[[list[Any], list[Any]], tuple[Value, list[Output]]]:
    """The function a tape records: the batch's outputs and the loss of them (see ReplayedSteps)."""

    def step(xb: list[Any], targets: list[Any]) -> tuple[Value, list[Output]]:
        outputs = [model(x) for x in xb]
        return loss_value(loss, outputs, targets), outputs

    return step


def _progress_bar(epochs: int, enabled: bool) -> Any:
    """A tqdm bar over the epochs, or None when disabled or when tqdm is not installed."""
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=epochs, desc="training", unit="epoch", dynamic_ncols=True)


def _check_positive_int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} expects an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def fit(
    model: Callable[[Any], Output],
    X: Sequence[Sequence[float]],
    y: Sequence[Any],
    loss: LossFn,
    optimizer: _Optimizer,
    epochs: int,
    batch_size: int | None = 0,
    *,
    X_val: Sequence[Sequence[float]] | None = None,
    y_val: Sequence[Any] | None = None,
    progress: bool = True,
    seed: int = 0,
    callback: Callable[[int, History], bool | None] | None = None,
    schedule: _Schedule | None = None,
    task: str | None = None,
    backend: str | None = None,
) -> History:
    """Train ``model`` on ``(X, y)`` for ``epochs`` epochs; return the :class:`History`.

    ``loss(outputs, targets)`` is called once per minibatch with the list of model outputs and
    the list of labels, exactly as given (``hinge_loss`` wants ±1 labels, ``cross_entropy``
    class indices, ``binary_cross_entropy`` 0/1), and must return one Value.
    ``batch_size`` 0 or None trains on the whole set at once; minibatches are reshuffled every
    epoch from ``random.Random(seed)``, so a run is reproducible. After each
    ``optimizer.step()`` the optional ``schedule`` (for example ``LinearDecay``) is stepped.

    ``task`` fixes how accuracy is measured (see the module docs); None infers it. With
    ``X_val``/``y_val`` the validation loss and accuracy are measured after every epoch.
    ``callback(epoch, history)`` runs after each epoch (epoch counts from 0) and may return
    True to stop early. ``progress=True`` shows a tqdm bar over the epochs with the live
    loss and accuracy (nothing happens if tqdm is not installed).

    Every feature of ``X`` and ``X_val`` (and every regression target) must be a finite
    number: a nan or an infinity raises ValueError naming it (``X[7][1] (sample 7, feature 1)
    is nan``) before anything is trained, since one nan would make every parameter it reaches
    nan. A loss that turns nan or infinite later stops training with a FloatingPointError: the
    learning rate is too high, or the loss is fed the wrong labels.

    Each step (forward, loss, backward, update) runs inside :func:`autograd.gc_paused`: its
    graph is built and freed by reference counting before CPython's cyclic collector could
    scan it, which makes training about a sixth faster. The collector runs as usual between
    steps, in ``callback`` and in the validation pass.

    ``backend`` says how each step runs. ``None`` (the default) builds a graph every step and
    runs ``backward()`` on it. ``"python"`` records the training step once per minibatch size
    with :func:`autograd.record` and replays it, building no graph: the same training, several
    times faster (recording costs about as much as 50 to 100 ordinary steps). ``"c"`` compiles
    those recorded steps to C (:mod:`autograd.tape.cbackend`; the same numbers as ``"python"``
    to the bit, much faster; it needs a C compiler, and falls back to Python with a warning
    without one); with this library's SGD or Adam the parameters then stay in C during an
    epoch, updated there by the same arithmetic as ``optimizer.step()``, and are written back
    into the model (and the optimizer's state into it) at the end of each epoch.

    A replayed step gives the ordinary losses and gradients to the last bit, except that for
    ``"multiclass"`` the loss is given one-hot target vectors (so it must accept them, as
    ``nn.cross_entropy`` does), which changes the rounding slightly. The loss and the model must
    take no decision in Python on the numbers (every loss in ``nn`` qualifies; a decision that
    would is refused by the tape's guards, see :mod:`autograd.tape`).
    """
    rows, labels = check_samples(X, y, "X", "y")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val go together: give both or neither")
    val: tuple[list[tuple[Any, ...]], list[Any]] | None = None
    if X_val is not None:
        val = check_samples(X_val, y_val, "X_val", "y_val")
    epochs = _check_positive_int(epochs, "epochs", 1)
    if batch_size is not None:
        _check_positive_int(batch_size, "batch_size", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed expects an int, got {type(seed).__name__}")
    task = check_task(task)
    if not callable(loss):
        raise TypeError(f"loss expects a function loss(outputs, targets) -> Value, got {type(loss).__name__}")
    for method in ("zero_grad", "step"):
        if not callable(getattr(optimizer, method, None)):
            raise TypeError(f"optimizer expects an object with zero_grad() and step(), got {type(optimizer).__name__}")

    with no_grad():
        n = count_outputs(model(rows[0]))
    task = task or infer_task(n, labels)
    check_labels(labels, task, n, "y")
    if val is not None:
        check_labels(val[1], task, n, "y_val")
    classify = task != "regression"
    if backend is not None:
        check_backend(backend, "fit")
    replayed = None if backend is None else ReplayedSteps(_step_of(model, loss), task, n, backend, optimizer)

    history = History(task=task)
    rng = random.Random(seed)
    bar = _progress_bar(epochs, progress)
    try:
        for epoch in range(epochs):
            total, correct = 0.0, 0
            if replayed is not None:
                replayed.begin_epoch()
            try:
                shuffled = batches(rows, labels, batch_size, shuffle=True, seed=rng.getrandbits(32))
                for step, (xb, yb) in enumerate(shuffled):
                    # The step's graph is built and freed inside, so the collector never scans it.
                    with gc_paused():
                        batch_loss, batch_correct = _train_step(model, loss, optimizer, replayed, xb, yb, task, (epoch, step))
                    if schedule is not None:
                        schedule.step()
                    total += batch_loss * len(xb)
                    correct += batch_correct
            finally:
                if replayed is not None:
                    replayed.end_epoch()  # the model's numbers back from C, before anyone reads them
            history.loss.append(total / len(rows))
            if classify:
                history.accuracy.append(correct / len(rows))
            if val is not None:
                with no_grad():
                    val_loss, val_acc = evaluate_checked(model, val[0], val[1], loss, task, "y_val")
                history.val_loss.append(val_loss)
                if val_acc is not None:
                    history.val_accuracy.append(val_acc)
            if bar is not None:
                bar.set_postfix(_postfix(history), refresh=False)
                bar.update(1)
            if callback is not None and callback(epoch, history):
                break
    finally:
        if bar is not None:
            bar.close()
    return history


def _train_step(
    model: Callable[[Any], Output],
    loss: LossFn,
    optimizer: _Optimizer,
    replayed: ReplayedSteps | None,
    xb: list[Any],
    yb: list[Any],
    task: str,
    position: tuple[int, int],
) -> tuple[float, int]:
    """One minibatch, the ``position = (epoch, step)``-th: forward, loss, backward and the
    optimizer's step. Returns the loss and the number classified correctly (0 for
    regression); the graph is freed when it returns. A loss that is not finite raises
    before any parameter changes."""
    if replayed is None:
        outputs: list[Output] = [model(x) for x in xb]
        graph = loss_value(loss, outputs, yb)
        batch_loss = graph.data
    else:
        replayed.zero_grad()
        batch_loss, outputs = replayed(xb, yb)  # forward and backward at once
    if not math.isfinite(batch_loss):
        epoch, step = position
        raise FloatingPointError(
            f"fit: the loss became {batch_loss} at epoch {epoch + 1}, batch {step + 1}: "
            "training diverged (lower the learning rate?)"
        )
    if replayed is None:
        optimizer.zero_grad()
        graph.backward()
        optimizer.step()
    else:
        replayed.step()
    return batch_loss, 0 if task == "regression" else count_correct(outputs, yb, task)


def _postfix(history: History) -> dict[str, str]:
    shown = {"loss": f"{history.loss[-1]:.4f}"}
    if history.accuracy:
        shown["acc"] = f"{history.accuracy[-1]:.3f}"
    if history.val_loss:
        shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
    if history.val_accuracy:
        shown["val_acc"] = f"{history.val_accuracy[-1]:.3f}"
    return shown
