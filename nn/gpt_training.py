"""Training the tiny GPT of :mod:`nn.gpt` on a recorded tape: :class:`Training` (Adam, in steps that
continue from one call to the next) and :func:`mean_loss` (a replayed forward pass over sequences).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from autograd import Tape

from .gpt import GPT, Sizes, as_tokens, check_count_of, one_hot

__all__ = ["Training", "mean_loss"]


def _one_hot_samples(sizes: Sizes, sequences: Sequence[Sequence[int]], who: str) -> list[tuple[list[list[float]], list[list[float]]]]:
    """Each sequence of block + 1 tokens as a tape's arguments: (one-hot inputs, one-hot targets)."""
    rows = one_hot(sizes, list(range(sizes.vocab)))  # one row per token, shared by every sample (only read)
    samples = []
    for i, seq in enumerate(sequences):
        tokens = as_tokens(seq, sizes, f"{who}: sequences[{i}]")
        if len(tokens) != sizes.block + 1:
            raise ValueError(f"{who}: sequences[{i}] expects block + 1 = {sizes.block + 1} tokens, got {len(tokens)}")
        samples.append(([rows[t] for t in tokens[:-1]], [rows[t] for t in tokens[1:]]))
    return samples


class Training:
    """Adam on a GPT's recorded loss, in steps that continue from one :meth:`run` to the next.

    Each step draws ``batch_size`` different sequences (of block + 1 tokens) with
    ``random.Random(seed)``, replays the tape (from :meth:`GPT.record`) on each with its
    gradient scaled by 1/batch_size (the gradient of the batch's mean loss), and takes one Adam
    step. With a tape compiled to C the parameters stay in C during a run
    (:class:`autograd.tape.cbackend.Trainer`, whose Adam is ``nn.Adam``'s arithmetic) and are
    written back into the model when it ends; with a Python tape it is ``tape.batch`` and
    :class:`nn.Adam`. Both give the same numbers, to the bit. Between runs the model's numbers
    may be read (to evaluate or sample), but not changed.
    """

    def __init__(self, model: GPT, tape: Tape, lr: float = 0.01, seed: int = 0) -> None:
        from autograd.tape.cbackend import CTape, Trainer

        from .optim import Adam
        from .update_rules import AdamRule

        if not isinstance(model, GPT):
            raise TypeError(f"Training: model expects a GPT, got {type(model).__name__}")
        if not isinstance(tape, Tape):
            raise TypeError(f"Training: tape expects a tape from model.record(), got {type(tape).__name__}")
        self.model, self.tape, self.steps = model, tape, 0
        self._rng = random.Random(seed)
        params = model.parameters()
        if isinstance(tape, CTape):
            trainer = Trainer(params, AdamRule(lr=lr))
            self._step: Callable[[list[Any], float], list[float]] = lambda batch, scale: trainer.step(tape, batch, scale)
            self._finish: Callable[[], None] = trainer.sync
        else:
            optimizer = Adam(params, lr=lr)

            def step(batch: list[Any], scale: float) -> list[float]:
                optimizer.zero_grad()
                losses: list[float] = tape.batch(batch, scale)
                optimizer.step()
                return losses

            self._step, self._finish = step, lambda: None

    def run(self, sequences: Sequence[Sequence[int]], steps: int, batch_size: int = 8) -> list[float]:
        """``steps`` more steps on minibatches of ``sequences``; returns each step's mean loss."""
        samples = _one_hot_samples(self.model.sizes, sequences, "Training.run")
        check_count_of(steps, "Training.run: steps")
        check_count_of(batch_size, "Training.run: batch_size")
        if batch_size > len(samples):
            raise ValueError(f"Training.run: batch_size expects at most the {len(samples)} sequences given, got {batch_size}")
        rng, scale = self._rng, 1.0 / batch_size
        history = []
        for _ in range(steps):
            losses = self._step(rng.sample(samples, batch_size), scale)
            history.append(sum(losses) / batch_size)
        self._finish()
        self.steps += steps
        return history


def mean_loss(model: GPT, tape: Tape, sequences: Sequence[Sequence[int]]) -> float:
    """The mean loss of ``model`` over ``sequences`` (each of block + 1 tokens), replayed forward
    only on ``tape`` (from :meth:`GPT.record`) with the parameters' current numbers."""
    samples = _one_hot_samples(model.sizes, sequences, "mean_loss")
    if not samples:
        raise ValueError("mean_loss: sequences expects at least one sequence, got none")
    return sum(tape.forward(*sample) for sample in samples) / len(samples)
