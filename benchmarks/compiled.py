"""valuegrad's tape compiled to C (``record(..., backend="c")``) as a peer of the benchmarks.

The step is recorded and compiled once, untimed, into an empty cache (its cost is reported
apart, as for the replayed tape). Each timed step runs in C from end to end: the tape's forward and backward
passes, and the optimizer's update by :class:`autograd.tape.cbackend.Trainer`, which keeps the
parameters in C (its rule is nn.optim's arithmetic; the tests check they agree to the bit).
The numbers are the Python replay's, to the bit, so the first losses printed are the same.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sysconfig
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fixtures import Weights, batches
from peers import ALPHA, DIGITS_LR, LR, Task, resetter, valuegrad_mlp

from autograd import dot, record
from autograd.tape.cbackend import Trainer
from nn.update_rules import SGDRule


@contextmanager
def empty_cache() -> Iterator[None]:
    """Compile into an empty, temporary cache: the compiler really runs, and is timed."""
    saved = os.environ.get("XDG_CACHE_HOME")
    with tempfile.TemporaryDirectory() as cache:
        os.environ["XDG_CACHE_HOME"] = cache
        try:
            yield
        finally:
            if saved is None:
                del os.environ["XDG_CACHE_HOME"]
            else:
                os.environ["XDG_CACHE_HOME"] = saved


def compiler_missing() -> str | None:
    """Why the C back end cannot run here, or None."""
    text = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    program = (shlex.split(text) or [text])[0]
    return None if shutil.which(program) else f"no C compiler ({program!r} not found): the C tape falls back to Python"


class _Held:
    """A trainer whose parameters every reset sets back to the starting weights (Trainer.reload), so
    each timed run starts from the same weights; the trainer itself stays, as PyTorch's optimizer
    does across load_state_dict (plain SGD has no state to reset)."""

    def __init__(self, params: list[Any], weights: Weights, lr: float) -> None:
        self.params, self.lr = params, lr
        self.to_start = resetter(params, weights)
        self.trainer = Trainer(params, SGDRule(lr=lr))

    def reset(self) -> None:
        self.to_start()
        self.trainer.reload()


def one_hot_rows(xs: list[list[float]], ys: list[int], classes: int) -> array[float]:
    """Every sample's inputs and one-hot target, one sample after the other: a tape's inputs, flat."""
    flat = array("d")
    for x, y in zip(xs, ys):
        flat.extend(x)
        flat.extend([float(j == y) for j in range(classes)])
    return flat


class ValuegradC:
    """valuegrad with the step recorded once and compiled to C; the parameters stay in C."""

    name = "valuegrad C tape"

    def missing(self) -> str | None:
        return compiler_missing()

    def hinge_step(self, weights: Weights, xs: list[list[float]], ys: list[float]) -> Task:
        from nn import hinge_loss

        model = valuegrad_mlp(weights)
        params = model.parameters()

        def loss_fn(points: list[list[Any]], labels: list[Any]) -> Any:
            return hinge_loss([model(x) for x in points], labels) + ALPHA * dot(params, params)

        start = time.perf_counter()
        with empty_cache():  # the compiler really runs, and is part of the recording's time
            tape = record(loss_fn, xs, ys, backend="c")
        recording = time.perf_counter() - start
        held = _Held(params, weights, LR)
        # the whole batch is one sample of this tape, its numbers flattened once, untimed, as
        # PyTorch vectorised makes its tensors once
        flat = array("d", [x for point in xs for x in point] + list(ys))

        def step() -> float:
            # zero_grad, forward, backward, SGD update
            loss: float = held.trainer.step_flat(tape, flat, 1)[0]
            return loss

        return Task(step, held.reset, recording)

    def digits_epoch(self, weights: Weights, xs: list[list[float]], ys: list[int], batch: int) -> Task:
        task, _ = epoch_of_one_sample_tape(weights, xs, ys, batch, DIGITS_LR)
        return task


def epoch_of_one_sample_tape(
    weights: Weights, xs: list[list[float]], ys: list[int], batch: int, lr: float, flat: array[float] | None = None
) -> tuple[Task, Callable[[], Any]]:
    """An epoch of minibatch SGD with cross-entropy on a tape recorded on ONE sample and run over
    each batch in C (each sample's gradient scaled by 1/n): the numbers of the tape of the whole
    batch, to the bit, with code that does not grow with the batch. Returns the task and the tape."""
    from nn import cross_entropy

    model = valuegrad_mlp(weights)
    params = model.parameters()
    classes = len(weights[-1])
    if flat is None:
        flat = one_hot_rows(xs, ys, classes)
    view = memoryview(flat)

    def loss_fn(x: list[Any], target: list[Any]) -> Any:
        return cross_entropy([model(x)], [target])

    start = time.perf_counter()
    with empty_cache():  # the compiler really runs, and is part of the recording's time
        tape = record(loss_fn, list(xs[0]), [float(j == ys[0]) for j in range(classes)], backend="c")
    recording = time.perf_counter() - start
    held = _Held(params, weights, lr)
    chosen = [(rows.start, len(rows)) for rows in batches(len(xs), batch)]

    def epoch() -> float:
        trainer = held.trainer
        # for each minibatch: zero_grad, the batch in C (each gradient scaled by 1/n), SGD in C
        losses = trainer.epoch_flat(tape, view, len(xs), batch)
        total = 0.0
        for first, n in chosen:
            total += sum(losses[first : first + n]) * (1.0 / n) * n
        trainer.sync()  # the model's Values get the epoch's parameters
        return total / len(xs)

    return Task(epoch, held.reset, recording), lambda: tape
