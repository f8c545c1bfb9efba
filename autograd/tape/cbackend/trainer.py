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

When the rule can also run in C (``c_rule``: SGD without momentum) and the tape holds every
parameter, a training step (:meth:`Trainer.step_flat`, and each batch of :meth:`Trainer.epoch_flat`)
is one C call (:meth:`CTape.train_step`) instead of three: the same numbers, without two crossings
between Python and C (a few microseconds, a fifth of micrograd's demo step in C).

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
    """What a :class:`Trainer` asks of an update rule (``nn.update_rules.SGDRule``, say). A rule may
    also have ``c_rule(n)``: the addresses of a C function ``int rule(void *state, double *data,
    double *grads, int64_t n)`` and of its state, doing what ``apply`` does, or None; with it, a
    training step on a tape that holds every parameter is one C call (:meth:`CTape.train_step`)."""

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
        self._zero = array("d", bytes(8 * len(plist)))  # what zero_grad copies over the gradients
        self._out: dict[int, tuple[array[float], array[float]]] = {}  # losses and extras, by batch size
        self._index: dict[int, array[int]] = {}
        self._in_order: dict[int, bool] = {}
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
        """Bring the parameters back into the trainer's own arrays (in the trainer's order)."""
        home = self._home
        if home is not None:
            data, grads = self._at()
            index = self._indices(home)
            if self._same_order(home):
                n = 8 * len(self.params)
                ctypes.memmove(address_of(self._data), data, n)
                ctypes.memmove(address_of(self._grads), grads, n)
            else:
                lib, n = home.library.lib, len(self.params)
                lib.vg_scatter(address_of(self._data), data, address_of(index), n)
                lib.vg_scatter(address_of(self._grads), grads, address_of(index), n)
            self._home = None

    def _order_free(self) -> bool:
        """Whether the rule may be applied to the parameters in another order than the trainer's:
        it says so (``rule.order_free``: each parameter updated alone, no state kept by position,
        as plain SGD), at the time of asking."""
        return getattr(self.rule, "order_free", False) is True

    def _keeps(self, tape: CTape) -> bool:
        """Whether ``tape`` holds the parameters between its runs (see :meth:`_exchange`)."""
        return tape.param_end - tape.param_start == len(self.params) and (
            self._home is tape or self._order_free() or self._same_order(tape)
        )

    def _one_call(self, tape: CTape) -> tuple[int, int] | None:
        """The rule as a C function (its ``c_rule``), when a whole training step on ``tape`` may be
        one C call: the tape holds every parameter, and the rule may see them in the tape's order."""
        c_rule = getattr(self.rule, "c_rule", None)
        n = len(self.params)
        if c_rule is None or not n or tape.param_end - tape.param_start != n:
            return None
        if not (self._same_order(tape) or self._order_free()):
            return None
        rule: tuple[int, int] | None = c_rule(n)
        return rule

    def _exchange(self, tape: CTape, into_tape: bool) -> None:
        """Copy the parameters' numbers and gradients into the tape's arrays, or its gradients back."""
        n = tape.param_end - tape.param_start
        if not n:
            return
        index = self._indices(tape)
        if self._keeps(tape):
            # the tape holds every parameter: it keeps them between runs. In another order than the
            # trainer's only while the rule does not care about the order (update() checks it again)
            if into_tape and self._home is not tape:  # the tape takes the parameters over
                self._go_home()
                lib = tape.library.lib
                lib.vg_gather(address_of(tape.values) + 8 * tape.param_start, address_of(self._data), address_of(index), n)
                lib.vg_gather(address_of(tape.grads) + 8 * tape.param_start, address_of(self._grads), address_of(index), n)
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

    def _same_order(self, tape: CTape) -> bool:
        """Whether ``tape`` holds exactly the trainer's parameters, in the trainer's order."""
        same = self._in_order.get(id(tape))
        if same is None:
            index = self._indices(tape)
            same = self._in_order[id(tape)] = tape.param_end - tape.param_start == len(self.params) and index == array(
                "i", range(len(self.params))
            )
        return same

    def zero_grad(self) -> None:
        """Set every gradient held here to 0.0 (gradients add up across runs until then)."""
        home = self._home
        if home is None:
            self._grads[: len(self.params)] = self._zero
        else:  # the tape holds exactly our parameters (see _exchange)
            home.grads[home.param_start : home.param_end] = self._zero

    def run(self, tape: CTape, samples: Sequence[Sequence[Any]], scale: float = 1.0) -> list[Any]:
        """Run ``tape`` on each sample in turn (as :meth:`CTape.batch`), adding the gradients here."""
        rows = [tape.inputs_of(tuple(s), f"Trainer.run: samples[{i}]") for i, s in enumerate(samples)]
        flat = array("d", [x for row in rows for x in row])
        return self.run_flat(tape, flat, len(rows), scale)

    @staticmethod
    def _samples(tape: CTape, flat: Any, count: int, who: str) -> memoryview:
        """``flat`` as a memoryview, checked to hold ``count`` samples of the tape's inputs."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise TypeError(f"{who}: count expects an int >= 0 (how many samples), got {count!r}")
        try:
            view = memoryview(flat)
        except TypeError:
            raise TypeError(f"{who}: flat expects a buffer of doubles (array('d')), got {type(flat).__name__}") from None
        if view.format not in ("d", "@d", "=d") or view.itemsize != 8 or not view.c_contiguous or view.readonly:
            raise TypeError(
                f"{who}: flat expects a writable, contiguous buffer of doubles (array('d')), got format "
                f"{view.format!r}{' (read-only)' if view.readonly else ''}"
            )
        if count * tape.plan.n_inputs > view.nbytes // 8:
            raise ValueError(f"{who}: flat holds fewer than count={count} samples of {tape.plan.n_inputs} numbers")
        return view

    def run_flat(self, tape: CTape, flat: Any, count: int, scale: float = 1.0) -> list[Any]:
        """:meth:`run` on ``count`` samples whose input numbers follow one another in the buffer of
        doubles ``flat`` (an ``array('d')`` or a writable memoryview of one): the way to feed
        large data without making a Python float per number."""
        self._indices(tape)
        view = self._samples(tape, flat, count, "Trainer.run_flat")
        return self._batch(tape, flat, view, count, as_float(scale, "Trainer.run_flat: scale"), None)

    def _batch(
        self, tape: CTape, flat: Any, view: memoryview, count: int, seed: float, rule: tuple[int, int] | None
    ) -> list[Any]:
        """The checked batch of :meth:`run_flat` (``view``: :meth:`_samples`), run; with ``rule`` (see
        :meth:`_one_call`), the whole training step in one C call (:meth:`CTape.train_step`), the
        tape keeping the parameters."""
        self._exchange(tape, into_tape=True)
        if self.threads is not None:
            tape.threads = self.threads
        losses, extras = self._outputs(tape, count)
        where = self._samples_at(tape, flat, view, count)
        at_losses, at_extras, threads = address_of(losses), address_of(extras), tape.threads_for(count)
        if rule is None:
            tape.run_batch(where, count, True, seed, at_losses, at_extras, threads)
            self._exchange(tape, into_tape=False)
        else:
            tape.train_step(where, count, seed, at_losses, at_extras, threads, rule)
        self._ran = True
        return self._results(tape, losses, extras, count)

    def _outputs(self, tape: CTape, count: int) -> tuple[array[float], array[float]]:
        """Room for the losses and the extras of a batch of ``count`` samples (kept by batch size)."""
        ne = len(tape.plan.extras)
        out = self._out.get(count)
        if out is None or len(out[1]) < count * ne:
            out = self._out[count] = (zeros(count), zeros(count * ne))
        return out

    @staticmethod
    def _samples_at(tape: CTape, flat: Any, view: memoryview, count: int) -> int | None:
        """The address of the samples in ``flat`` (``view``: its memoryview, which the caller holds
        during the C call, so that the buffer cannot be resized or freed meanwhile)."""
        if not count or not tape.plan.n_inputs:
            return None
        if type(flat) is array:
            return address_of(flat)
        source = (ctypes.c_double * 0).from_buffer(view)
        return ctypes.addressof(source)

    @staticmethod
    def _results(tape: CTape, losses: array[float], extras: array[float], count: int) -> list[Any]:
        """Each sample's result (its loss, with its extras), as :meth:`CTape.batch` gives them."""
        ne = len(tape.plan.extras)
        if tape.extras is None:  # the losses alone (result_of(x, ()) is x)
            return losses.tolist()[:count]
        if not ne:
            return [tape.result_of(x, ()) for x in losses.tolist()[:count]]
        return [tape.result_of(losses[i], tuple(extras[i * ne : (i + 1) * ne])) for i in range(count)]

    def epoch_flat(self, tape: CTape, flat: Any, count: int, batch: int) -> list[Any]:
        """Minibatch training on ``count`` samples whose numbers follow one another in ``flat`` (as
        :meth:`run_flat` takes them): for each ``batch`` samples in turn (the last batch may hold
        fewer, n), one :meth:`step_flat` with each sample's gradient scaled by 1/n (the mean loss of
        the batch). The same numbers as that loop of step_flat calls, to the bit, with the per-batch
        work of Python (checks, buffers, thread decision) done once. Returns every sample's loss
        (with its extras, as :meth:`run` does). When a sample fails a guard, the batches before it
        have been applied and GuardError is raised, as that loop would.

        >>> trainer.epoch_flat(tape, flat, 60_000, 32)   # doctest: +SKIP
        """
        self._indices(tape)
        if isinstance(batch, bool) or not isinstance(batch, int) or batch < 1:
            raise TypeError(f"Trainer.epoch_flat: batch expects an int >= 1 (samples per step), got {batch!r}")
        view = self._samples(tape, flat, count, "Trainer.epoch_flat")
        width = tape.plan.n_inputs
        start = self._samples_at(tape, flat, view, count)
        losses = zeros(count)
        ne = len(tape.plan.extras)
        extras = zeros(count * ne)
        at_losses, at_extras = address_of(losses), address_of(extras)
        if self.threads is not None:
            tape.threads = self.threads
        threads = tape.threads_for(batch)
        rule = self._one_call(tape)
        for first in range(0, count, batch):
            n = min(batch, count - first)
            where = None if start is None else start + 8 * width * first
            if rule is not None:  # zero_grad, the batch and the update in one C call
                self._exchange(tape, into_tape=True)
                tape.train_step(where, n, 1.0 / n, at_losses + 8 * first, at_extras + 8 * ne * first, threads, rule)
                self._ran = True
                continue
            self.zero_grad()
            self._exchange(tape, into_tape=True)
            tape.run_batch(where, n, True, 1.0 / n, at_losses + 8 * first, at_extras + 8 * ne * first, threads)
            self._exchange(tape, into_tape=False)
            self._ran = True
            self.update()
        return self._results(tape, losses, extras, count)

    def update(self) -> None:
        """Apply the rule once to every parameter, from the gradients held here."""
        if not self._ran:
            raise RuntimeError("Trainer.update: no tape has run yet, so there are no gradients to apply")
        home = self._home
        if home is not None and not self._order_free() and not self._same_order(home):
            self._go_home()  # a rule with state by position sees the parameters in the trainer's order
        data, grads = self._at()
        self.rule.apply(data, grads, len(self.params))

    def step(self, tape: CTape, samples: Sequence[Sequence[Any]], scale: float = 1.0) -> list[Any]:
        """One training step: :meth:`zero_grad`, :meth:`run` and :meth:`update`; returns the losses."""
        self._indices(tape)
        rows = [tape.inputs_of(tuple(s), f"Trainer.step: samples[{i}]") for i, s in enumerate(samples)]
        return self.step_flat(tape, array("d", [x for row in rows for x in row]), len(rows), scale)

    def step_flat(self, tape: CTape, flat: Any, count: int, scale: float = 1.0) -> list[Any]:
        """:meth:`step` with the samples' numbers in a buffer, as :meth:`run_flat` takes them.

        When the tape holds every parameter and the rule can run in C (``rule.c_rule``: SGD
        without momentum), the whole step is one C call (:meth:`CTape.train_step`): the same
        numbers, without the crossings between Python and C of three calls."""
        self._indices(tape)
        rule = self._one_call(tape)
        if rule is not None:
            view = self._samples(tape, flat, count, "Trainer.step_flat")
            return self._batch(tape, flat, view, count, as_float(scale, "Trainer.step_flat: scale"), rule)
        self.zero_grad()
        results = self.run_flat(tape, flat, count, scale)
        self.update()
        return results

    def reload(self) -> None:
        """Read the parameters' numbers and gradients from the Values again (the other way from
        :meth:`sync`), after they were changed outside the trainer: to start again from saved
        weights, say. The rule keeps its state, as an optimizer does across ``load_state_dict``.
        The numbers go where the parameters are kept now (a tape's arrays), so that the next step
        copies nothing."""
        data = array("d", [p.data for p in self.params])
        grads = array("d", [p.grad for p in self.params]) if self.params else zeros(0)
        home = self._home
        if home is None:
            self._data, self._grads = data, grads
            return
        index, (at_data, at_grads) = self._indices(home), self._at()
        home.library.lib.vg_gather(at_data, address_of(data), address_of(index), len(self.params))
        home.library.lib.vg_gather(at_grads, address_of(grads), address_of(index), len(self.params))

    def sync(self) -> None:
        """Write the parameters' numbers and gradients held here into the Values."""
        self._go_home()
        for p, x, g in zip(self.params, self._data, self._grads):
            p.data = x
            p.grad = g
