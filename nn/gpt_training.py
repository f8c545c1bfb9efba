"""Training the tiny GPT of :mod:`nn.gpt` through the compile cache: :class:`Training` (Adam, in steps that
continue from one call to the next) and :func:`mean_loss` (a replayed forward pass over sequences).

The loss is not recorded here: :func:`autograd.compiled` records it on the first batch and replays
its tape on every batch after (``Compiled.batch``), the one mechanism ``nn.fit`` uses too.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Sequence
from typing import Any

from autograd import Tape, compiled
from autograd.tape import Compiled, check_backend
from autograd.tape.cbackend import CTape

from .gpt import GPT, Sizes, as_tokens, check_count_of, one_hot
from .optim import Adam
from .replayed import leave_c, new_tape_in_python
from .update_rules import AdamRule

__all__ = ["Training", "mean_loss"]


def _samples(sizes: Sizes, sequences: Sequence[Sequence[int]], who: str, hot: bool = False) -> list[tuple[list[Any], list[Any]]]:
    """Each sequence of block + 1 tokens as the loss's arguments: (inputs, targets), as token ids
    (floats: a tape's inputs are numbers) or, with ``hot``, one-hot rows (for a tape from GPT.record)."""
    rows: list[Any] = one_hot(sizes, list(range(sizes.vocab))) if hot else [float(t) for t in range(sizes.vocab)]
    samples = []
    for i, seq in enumerate(sequences):
        tokens = as_tokens(seq, sizes, f"{who}: sequences[{i}]")
        if len(tokens) != sizes.block + 1:
            raise ValueError(f"{who}: sequences[{i}] expects block + 1 = {sizes.block + 1} tokens, got {len(tokens)}")
        samples.append(([rows[t] for t in tokens[:-1]], [rows[t] for t in tokens[1:]]))
    return samples


class Training:
    """Adam on a GPT's loss, replayed from a tape, in steps that continue from one :meth:`run` to the next.

    Each step draws ``batch_size`` different sequences (of block + 1 tokens) with
    ``random.Random(seed)``, replays the model's loss (:meth:`GPT.token_loss`) on each with its
    gradient scaled by 1/batch_size (the gradient of the batch's mean loss), and takes one Adam
    step. The loss goes through :attr:`compiled` (:func:`autograd.compiled`), which records it
    on the first batch and replays that tape on every batch (``compiled.batch``): its lookups by
    a token are :func:`autograd.take` nodes, whose token is an input of the tape, so one tape
    serves every sequence (the numbers of :meth:`GPT.record`'s one-hot tape, to the bit). With ``backend="c"`` the tape is compiled to C and the parameters stay
    in C during a run (a :class:`autograd.tape.cbackend.Trainer`, whose Adam is ``nn.Adam``'s
    arithmetic) and are written back into the model when it ends; with ``"python"`` it is the
    Python tape and :class:`nn.Adam`. Both give the same numbers, to the bit. Between runs the
    model's numbers may be read (to evaluate or sample), but not changed.

    ``backend`` may also be a tape from :meth:`GPT.record` (the older form, deprecated): its back
    end is used, and the tape itself is not needed any more.
    """

    def __init__(self, model: GPT, backend: str | Tape = "python", lr: float = 0.01, seed: int = 0) -> None:
        if not isinstance(model, GPT):
            raise TypeError(f"Training: model expects a GPT, got {type(model).__name__}")
        if isinstance(backend, Tape):
            warnings.warn(
                "Training(model, tape): pass the back end instead, Training(model, 'c') or Training(model, 'python'); "
                "the loss is recorded by autograd.compiled, so the tape is not needed",
                DeprecationWarning,
                stacklevel=2,
            )
            backend = "c" if isinstance(backend, CTape) else "python"
        check_backend(backend, "Training")
        self.model, self.backend, self.steps = model, backend, 0
        self._rng = random.Random(seed)
        self._lr = lr
        params = model.parameters()
        self._adam = Adam(params, lr=lr) if backend == "python" else None
        self._rule = AdamRule(lr=lr) if backend == "c" else None
        #: The model's loss through the compile cache: a tape recorded on the first batch (of the
        #: block's length), replayed on every batch; with ``"c"`` it steps the parameters in C.
        self.compiled: Compiled = compiled(model.token_loss, backend=backend, params=params, rule=self._rule, fallback=False)
        self._checked = 0  # the recordings whose tapes were checked to be in C

    @property
    def tape(self) -> Tape | None:
        """The tape the steps replay (None before the first step)."""
        tapes = self.compiled.tapes
        return tapes[-1] if tapes else None

    def _step(self, batch: list[Any], scale: float) -> list[float]:
        """One Adam step on the mean loss of ``batch`` (whose gradients are scaled by ``scale``)."""
        step = self.compiled
        if self._adam is not None:
            self._adam.zero_grad()
            losses: list[float] = step.batch(batch, scale)
            self._adam.step()
            return losses
        step.zero_grad()
        losses = step.batch(batch, scale)
        self._checked, in_python = new_tape_in_python(step, self._checked)
        if in_python:  # no C compiler: go on with the Python tape and nn.Adam, from the rule's state
            rule, self._rule = self._rule, None
            self._adam = Adam(self.model.parameters(), lr=self._lr)
            leave_c(step, rule, self._adam)
            self._adam.step()
            return losses
        step.update()
        return losses

    def run(self, sequences: Sequence[Sequence[int]], steps: int, batch_size: int = 8) -> list[float]:
        """``steps`` more steps on minibatches of ``sequences``; returns each step's mean loss."""
        samples = _samples(self.model.sizes, sequences, "Training.run")
        check_count_of(steps, "Training.run: steps")
        check_count_of(batch_size, "Training.run: batch_size")
        if batch_size > len(samples):
            raise ValueError(f"Training.run: batch_size expects at most the {len(samples)} sequences given, got {batch_size}")
        rng, scale = self._rng, 1.0 / batch_size
        history = []
        try:
            for _ in range(steps):
                losses = self._step(rng.sample(samples, batch_size), scale)
                history.append(sum(losses) / batch_size)
        finally:
            self.compiled.sync()  # the parameters, kept in C during the run, back into the model
        self.steps += steps
        return history

    def mean_loss(self, sequences: Sequence[Sequence[int]]) -> float:
        """The mean loss of the model over ``sequences`` (each of block + 1 tokens), replayed
        forward only (``compiled.forward``) with the parameters' current numbers."""
        samples = _samples(self.model.sizes, sequences, "mean_loss")
        if not samples:
            raise ValueError("mean_loss: sequences expects at least one sequence, got none")
        forward = self.compiled.forward
        return sum(forward(*sample) for sample in samples) / len(samples)


def mean_loss(model: GPT, training: Training | Tape, sequences: Sequence[Sequence[int]]) -> float:
    """The mean loss of ``model`` over ``sequences`` (each of block + 1 tokens), replayed forward
    only, with the parameters' current numbers, by ``training`` (:meth:`Training.mean_loss`), or by
    a tape from :meth:`GPT.record` (the older form)."""
    if isinstance(training, Training):
        if training.model is not model:
            raise ValueError("mean_loss: training expects the Training of this model, got one of another model")
        return training.mean_loss(sequences)
    if not isinstance(training, Tape):
        raise TypeError(f"mean_loss: training expects a Training (or a tape from model.record()), got {type(training).__name__}")
    samples = _samples(model.sizes, sequences, "mean_loss", hot=True)
    if not samples:
        raise ValueError("mean_loss: sequences expects at least one sequence, got none")
    return sum(training.forward(*sample) for sample in samples) / len(samples)
