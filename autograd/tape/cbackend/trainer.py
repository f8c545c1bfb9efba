"""Training with the parameters kept in C: :class:`Trainer`, which applies an update rule it is given.

A replay in C takes microseconds; copying thousands of parameters' ``.data`` and ``.grad``
between Values and C, and updating them in Python, takes longer. A :class:`Trainer` copies the
parameters into C once, then runs compiled tapes and updates the parameters there, step after
step, and writes them back into the Values when asked (:meth:`Trainer.sync`).

The Trainer knows no optimizer: an update rule is any object with ``check(n)`` (raise unless its
state fits ``n`` parameters, before any C runs) and ``apply(data, grads, n)`` (one step on the ``n``
parameters whose numbers and gradients are at these addresses). ``nn``'s optimizers are such rules
(:mod:`nn.update_rules`: the arithmetic of ``nn.optim``, in C), so a Trainer with them computes the
same parameters as a Python loop of ``tape(...)`` and ``optimizer.step()``, to the bit.

>>> from autograd import Value, record
>>> from autograd.tape.cbackend import Trainer
>>> from nn.update_rules import SGDRule
>>> w = Value(0.0)
>>> tape = record(lambda x, y: (w * x - y) ** 2, 1.0, 2.0, backend="c")      # doctest: +SKIP
>>> trainer = Trainer([w], SGDRule(lr=0.1))                                 # doctest: +SKIP
>>> for _ in range(50):                                                     # doctest: +SKIP
...     trainer.step(tape, [(1.0, 2.0), (2.0, 4.0)], scale=0.5)
>>> trainer.sync(); round(w.data, 6)                                        # doctest: +SKIP
2.0
"""

from __future__ import annotations

import ctypes
from array import array
from collections.abc import Sequence
from typing import Any, Protocol

from ...coerce import as_float
from ...engine import Value
from .ctape import CTape, address_of, zeros


class UpdateRule(Protocol):
    """What a :class:`Trainer` asks of an update rule (``nn.update_rules.SGDRule``, say)."""

    def check(self, n: int) -> None: ...

    def apply(self, data: int, grads: int, n: int) -> None: ...


class Trainer:
    """Training steps on compiled tapes, with ``params`` kept in C (see the module docstring).

    The parameters' numbers and gradients are copied in from the Values when it is made; the
    Values are left as they were until :meth:`sync` writes the parameters' numbers and
    their last gradients back. Each tape must have been recorded with (a subset of) ``params``
    as its parameters; several tapes may share them (one per batch size, say). ``threads``: how
    many threads a batch may use (see :attr:`CTape.threads`; None leaves each tape's own).
    """

    def __init__(self, params: Sequence[Value], rule: UpdateRule, threads: int | None = None) -> None:
        if not (callable(getattr(rule, "check", None)) and callable(getattr(rule, "apply", None))):
            raise TypeError(
                f"Trainer: rule expects an update rule with check(n) and apply(data, grads, n) "
                f"(nn.update_rules.SGDRule or AdamRule), got {type(rule).__name__}"
            )
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ValueError(f"Trainer: threads expects a whole number of at least 1, or None, got {threads!r}")
        #: The threads a batch may use (:attr:`CTape.threads`); None: the tape's own (the machine's
        #: processors). 1 is the reference; any number gives the same numbers to the bit.
        self.threads = threads
        plist = list(params)
        rule.check(len(plist))
        where: dict[Value, int] = {}
        for i, p in enumerate(plist):
            if not isinstance(p, Value):
                raise TypeError(f"Trainer: params[{i}] expects a Value, got {type(p).__name__}")
            if p in where:
                raise ValueError(f"Trainer: params[{i}] appears twice in params")
            where[p] = i
        self.params = plist
        self.rule = rule
        self._where = where
        self._data = array("d", [p.data for p in plist])
        # the gradients start as the Values hold them: runs add to them, as replays add into .grad
        self._grads = array("d", [p.grad for p in plist]) if plist else zeros(0)
        self._index: dict[int, array[int]] = {}
        self._ran = False  # whether a tape has run, so that there are gradients to apply
        # Where the parameters are now: our arrays, or the parameter region of the arrays of the
        # tape last run when it has exactly our parameters in our order. Then runs of that tape
        # copy nothing; another tape first takes them over.
        self._home: CTape | None = None

    def _indices(self, tape: CTape) -> array[int]:
        """Where each of ``tape``'s parameters is in the trainer's arrays."""
        index = self._index.get(id(tape))
        if index is None:
            if not isinstance(tape, CTape):
                raise TypeError(f"Trainer: tape expects a tape compiled to C (record(..., backend='c')), got {type(tape).__name__}")
            try:
                positions = [self._where[p] for p in tape.parameters]
            except KeyError:
                raise ValueError("Trainer: the tape has a parameter that is not among the trainer's params") from None
            index = self._index[id(tape)] = array("i", positions or [0])
        return index

    def _at(self) -> tuple[int, int]:
        """The addresses of the parameters' numbers and gradients, wherever they are now."""
        home = self._home
        if home is None:
            return address_of(self._data), address_of(self._grads)
        return address_of(home.values) + 8 * home.param_start, address_of(home.grads) + 8 * home.param_start

    def _go_home(self) -> None:
        """Bring the parameters back into the trainer's own arrays."""
        if self._home is not None:
            data, grads = self._at()
            n = 8 * len(self.params)
            ctypes.memmove(address_of(self._data), data, n)
            ctypes.memmove(address_of(self._grads), grads, n)
            self._home = None

    def _exchange(self, tape: CTape, into_tape: bool) -> None:
        """Copy the parameters' numbers and gradients into the tape's arrays, or its gradients back."""
        n = tape.param_end - tape.param_start
        if not n:
            return
        index = self._indices(tape)
        if n == len(self.params) and index == self._identity():
            if into_tape and self._home is not tape:  # the tape takes the parameters over
                self._go_home()
                ctypes.memmove(address_of(tape.values) + 8 * tape.param_start, address_of(self._data), 8 * n)
                ctypes.memmove(address_of(tape.grads) + 8 * tape.param_start, address_of(self._grads), 8 * n)
                self._home = tape
            return
        self._go_home()
        lib = tape.library.lib
        offset = 8 * tape.param_start
        if into_tape:
            lib.vg_gather(address_of(tape.values) + offset, address_of(self._data), address_of(index), n)
            lib.vg_gather(address_of(tape.grads) + offset, address_of(self._grads), address_of(index), n)
        else:
            lib.vg_scatter(address_of(self._grads), address_of(tape.grads) + offset, address_of(index), n)

    def _identity(self) -> array[int]:
        identity = self._index.get(-1)
        if identity is None:
            identity = self._index[-1] = array("i", range(len(self.params)))
        return identity

    def zero_grad(self) -> None:
        """Set every gradient held here to 0.0 (gradients add up across runs until then)."""
        ctypes.memset(self._at()[1], 0, 8 * len(self.params))

    def run(self, tape: CTape, samples: Sequence[Sequence[Any]], scale: float = 1.0) -> list[Any]:
        """Run ``tape`` on each sample in turn (as :meth:`CTape.batch`), adding the gradients here."""
        rows = [tape.inputs_of(tuple(s), f"Trainer.run: samples[{i}]") for i, s in enumerate(samples)]
        flat = array("d", [x for row in rows for x in row])
        return self.run_flat(tape, flat, len(rows), scale)

    def run_flat(self, tape: CTape, flat: Any, count: int, scale: float = 1.0) -> list[Any]:
        """:meth:`run` on ``count`` samples whose input numbers follow one another in the buffer of
        doubles ``flat`` (an ``array('d')`` or a writable memoryview of one): the way to feed
        large data without making a Python float per number."""
        self._indices(tape)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise TypeError(f"Trainer.run_flat: count expects an int >= 0 (how many samples), got {count!r}")
        try:
            view = memoryview(flat)
        except TypeError:
            raise TypeError(f"Trainer.run_flat: flat expects a buffer of doubles (array('d')), got {type(flat).__name__}") from None
        if view.format not in ("d", "@d", "=d") or view.itemsize != 8 or not view.c_contiguous or view.readonly:
            raise TypeError(
                f"Trainer.run_flat: flat expects a writable, contiguous buffer of doubles (array('d')), got format "
                f"{view.format!r}{' (read-only)' if view.readonly else ''}"
            )
        if count * tape.plan.n_inputs > view.nbytes // 8:
            raise ValueError(f"Trainer.run_flat: flat holds fewer than count={count} samples of {tape.plan.n_inputs} numbers")
        self._exchange(tape, into_tape=True)
        if self.threads is not None:
            tape.threads = self.threads
        losses, extras = tape.batch_flat(flat, count, True, as_float(scale, "Trainer.run: scale"))
        self._exchange(tape, into_tape=False)
        self._ran = True
        return [tape.result_of(loss, e) for loss, e in zip(losses, extras)]

    def update(self) -> None:
        """Apply the rule once to every parameter, from the gradients held here."""
        if not self._ran:
            raise RuntimeError("Trainer.update: no tape has run yet, so there are no gradients to apply")
        data, grads = self._at()
        self.rule.apply(data, grads, len(self.params))

    def step(self, tape: CTape, samples: Sequence[Sequence[Any]], scale: float = 1.0) -> list[Any]:
        """One training step: :meth:`zero_grad`, :meth:`run` and :meth:`update`; returns the losses."""
        self.zero_grad()
        losses = self.run(tape, samples, scale)
        self.update()
        return losses

    def step_flat(self, tape: CTape, flat: Any, count: int, scale: float = 1.0) -> list[Any]:
        """:meth:`step` with the samples' numbers in a buffer, as :meth:`run_flat` takes them."""
        self.zero_grad()
        losses = self.run_flat(tape, flat, count, scale)
        self.update()
        return losses

    def sync(self) -> None:
        """Write the parameters' numbers and gradients held here into the Values."""
        self._go_home()
        for p, x, g in zip(self.params, self._data, self._grads):
            p.data = x
            p.grad = g
