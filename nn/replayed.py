"""fit()'s recorded training steps: one tape per minibatch size, replayed in Python or in C.

``fit(..., backend="python")`` wraps the training step in :func:`autograd.compiled`, which
records it for each minibatch size and replays it; ``backend="c"`` compiles the tapes to C
(:mod:`autograd.tape.cbackend`). Both give the same numbers as the normal loop. (``nn.gpt``'s
``Training`` goes through ``compiled`` too, with ``Compiled.batch``: one mechanism for both.)

With the C back end and ``nn``'s own :class:`~nn.optim.SGD` or :class:`~nn.optim.Adam`, an
epoch keeps the parameters in C: the optimizer's arithmetic runs there too (the same
operations as ``optimizer.step()``), its state is copied in when the epoch starts and back
when it ends, and the parameters' ``.data`` and ``.grad`` are written back then, before the
validation pass and the callback see them. Any other optimizer steps in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from autograd import Tape, Value, compiled
from autograd.tape import Compiled
from autograd.tape.cbackend import CTape

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


def new_tape_in_python(compiled: Compiled, checked: int) -> tuple[int, bool]:
    """Whether a tape that ``compiled`` recorded after its first ``checked`` recordings replays in
    Python (there is no C compiler: the update rule cannot run in C), and how many recordings it has
    made now (what to pass as ``checked`` next time)."""
    if compiled.recordings == checked:
        return checked, False
    return compiled.recordings, not all(isinstance(t, CTape) for t in compiled.tapes)


def leave_c(compiled: Compiled, rule: SGDRule | AdamRule | None, optimizer: Any) -> None:
    """Write the parameters that ``compiled`` kept in C back into the Values, and ``rule``'s state
    into ``optimizer``, which steps them from now on."""
    compiled.sync()
    compiled.rule = None
    if rule is not None:
        give_back(rule, optimizer)


class ReplayedSteps:
    """The training step as recorded tapes, one per minibatch size, kept by :func:`autograd.compiled`.

    A tape's arguments are the batch's inputs and targets, so every batch of a size replays
    the same tape (a guard that fails records again, as ``compiled`` does). Class-index targets
    cannot be inputs (an index picks a logit: a decision on a number), so for ``"multiclass"`` the
    loss is given one-hot target vectors instead, which ``nn.cross_entropy`` accepts.

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
        in_c = backend == "c" and rule_of(optimizer) is not None
        params = self.optimizer.params if in_c else None  # type: ignore[attr-defined]
        # every batch size gets its tape, and a few more for guards that go another way
        self.compiled: Compiled = compiled(step, backend=backend, max_tapes=64, params=params, fallback=False)
        self._in_c = in_c  # False once a tape came back in Python (no C compiler)
        self._rule: SGDRule | AdamRule | None = None  # the rule of the running epoch, in C
        self._checked = 0  # the recordings whose tapes were checked to be in C

    @property
    def tapes(self) -> list[Tape]:
        """The tapes recorded so far."""
        return self.compiled.tapes

    def begin_epoch(self) -> None:
        """With the C back end and nn's SGD or Adam: the parameters and the optimizer's state go into C
        (at the epoch's first replay)."""
        rule = rule_of(self.optimizer) if self._in_c else None
        self._rule = self.compiled.rule = rule

    def end_epoch(self) -> None:
        """Write the parameters and the optimizer's state back (also when the epoch stopped on an error)."""
        rule, self._rule = self._rule, None
        leave_c(self.compiled, rule, self.optimizer)

    def zero_grad(self) -> None:
        if self._rule is not None:
            self.compiled.zero_grad()
        else:
            self.optimizer.zero_grad()

    def __call__(self, xb: list[Any], yb: list[Any]) -> tuple[float, list[Any]]:
        """Replay one step: add the batch's gradients; return the loss and the outputs."""
        targets = yb
        if self.task == "multiclass":
            targets = [[1.0 if k == t else 0.0 for k in range(self.n_outputs)] for t in yb]
        try:
            loss, outputs = self.compiled(xb, targets)
        except (TypeError, ValueError) as e:  # from record(): compiled(..., fallback=False) raises them
            one_hot = " (for 'multiclass' it is given one-hot target vectors)" if self.task == "multiclass" else ""
            who = f"fit(backend={self.backend!r})"
            raise type(e)(f"{who} could not record the training step{one_hot}: {e}") from e
        if self._rule is not None:
            self._checked, in_python = new_tape_in_python(self.compiled, self._checked)
            if in_python:  # no compiler: the tape replayed in Python, and the optimizer steps there from now on
                self._in_c = False
                self.end_epoch()
        return loss, outputs

    def step(self) -> None:
        """The optimizer's step: in C, at the optimizer's current learning rate, or its own."""
        if self._rule is not None:
            self.compiled.update(self.optimizer.lr)  # type: ignore[attr-defined]  # a schedule may have moved it
        else:
            self.optimizer.step()
