"""fit()'s recorded training steps: one tape per minibatch size, replayed in Python or in C.

``fit(..., backend="python")`` records the training step with
:func:`autograd.record` and replays it; ``backend="c"`` compiles the tapes to C
(:mod:`autograd.tape.cbackend`). Both give the same numbers as the normal loop.

With the C back end and ``nn``'s own :class:`~nn.optim.SGD` or :class:`~nn.optim.Adam`, an
epoch keeps the parameters in C: the optimizer's arithmetic runs there too (the same
operations as ``optimizer.step()``), its state is copied in when the epoch starts and back
when it ends, and the parameters' ``.data`` and ``.grad`` are written back then, before the
validation pass and the callback see them. Any other optimizer steps in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from autograd import Tape, Value, record
from autograd.tape.cbackend import CTape, Trainer

from .optim import SGD, Adam
from .update_rules import AdamRule, SGDRule


class _Optimizer(Protocol):
    def zero_grad(self) -> None: ...

    def step(self) -> None: ...


def rule_of(optimizer: Any) -> SGDRule | AdamRule | None:
    """The C update rule that does exactly what ``optimizer.step()`` does, with its state; None
    for an optimizer that is not ``nn``'s own SGD or Adam."""
    if type(optimizer) is SGD:
        velocity = optimizer.state()["velocity"]
        return SGDRule(optimizer.lr, optimizer.momentum, optimizer.weight_decay, optimizer.nesterov, velocity)
    if type(optimizer) is Adam:
        state = optimizer.state()
        return AdamRule(
            optimizer.lr, optimizer.betas, optimizer.eps, optimizer.weight_decay, optimizer.decoupled,
            state["step"], state["m"], state["v"],
        )  # fmt: skip
    return None


def give_back(rule: SGDRule | AdamRule, optimizer: Any) -> None:
    """Copy ``rule``'s state back into ``optimizer``, which continues from there."""
    if isinstance(rule, SGDRule):
        optimizer.load_state({"velocity": None if rule.velocity is None else rule.velocity.tolist()})
    elif rule.m is not None and rule.v is not None:
        optimizer.load_state({"step": rule.t, "m": rule.m.tolist(), "v": rule.v.tolist()})
    else:
        optimizer.load_state({**optimizer.state(), "step": rule.t})


class ReplayedSteps:
    """The training step as recorded tapes, one per minibatch size.

    A tape's arguments are the batch's inputs and targets, so every batch of a size replays
    the same tape. Class-index targets cannot be inputs (an index picks a logit: a decision on
    a number), so for ``"multiclass"`` the loss is given one-hot target vectors instead, which
    ``nn.cross_entropy`` accepts.

    ``step(xb, targets) -> (loss Value, outputs)`` is the function recorded. It must not refer
    to this object (which keeps the tapes, which keep the function): that would be a reference
    cycle, and the tapes and their graphs would outlive fit() until the cyclic collector ran.
    """

    def __init__(
        self,
        step: Callable[[list[Any], list[Any]], tuple[Value, list[Any]]],
        task: str,
        n_outputs: int,
        backend: str,
        optimizer: _Optimizer,
    ) -> None:
        self.task, self.n_outputs, self.backend = task, n_outputs, backend
        self.optimizer = optimizer
        self.tapes: dict[int, Tape] = {}
        self._step = step
        self._trainer: Trainer | None = None
        self._rule: SGDRule | AdamRule | None = None  # the rule of the running epoch's trainer
        self._in_c = backend == "c"  # False once a tape came back in Python (no C compiler)

    def begin_epoch(self) -> None:
        """With the C back end and nn's SGD or Adam: take the parameters and the optimizer's state into C."""
        rule = rule_of(self.optimizer) if self._in_c else None
        if rule is not None:
            self._rule = rule
            self._trainer = Trainer(self.optimizer.params, rule)  # type: ignore[attr-defined]

    def end_epoch(self) -> None:
        """Write the parameters and the optimizer's state back (also when the epoch stopped on an error)."""
        trainer, self._trainer = self._trainer, None
        rule, self._rule = self._rule, None
        if trainer is not None and rule is not None:
            trainer.sync()
            give_back(rule, self.optimizer)

    def zero_grad(self) -> None:
        if self._trainer is not None:
            self._trainer.zero_grad()
        else:
            self.optimizer.zero_grad()

    def __call__(self, xb: list[Any], yb: list[Any]) -> tuple[float, list[Any]]:
        """Replay one step: add the batch's gradients; return the loss and the outputs."""
        targets = yb
        if self.task == "multiclass":
            targets = [[1.0 if k == t else 0.0 for k in range(self.n_outputs)] for t in yb]
        tape = self.tapes.get(len(xb))
        if tape is None:
            try:
                tape = self.tapes[len(xb)] = record(self._step, xb, targets, backend=self.backend)
            except (TypeError, ValueError) as e:
                one_hot = " (for 'multiclass' it is given one-hot target vectors)" if self.task == "multiclass" else ""
                who = f"fit(backend={self.backend!r})"
                raise type(e)(f"{who} could not record the training step{one_hot}: {e}") from e
        if self._trainer is not None and not isinstance(tape, CTape):  # no compiler: Python from now on
            self._in_c = False
            self.end_epoch()
        if self._trainer is not None:
            loss, outputs = self._trainer.run(tape, [(xb, targets)])[0]  # type: ignore[arg-type]
        else:
            loss, outputs = tape(xb, targets)
        return loss, outputs

    def step(self) -> None:
        """The optimizer's step: in C, at the optimizer's current learning rate, or its own."""
        trainer = self._trainer
        if trainer is not None:
            trainer.rule.lr = self.optimizer.lr  # type: ignore[attr-defined]  # a schedule may have moved it
            trainer.update()
        else:
            self.optimizer.step()
