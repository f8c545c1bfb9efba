"""Training with the parameters kept in C: :class:`Trainer`, and the update rules it applies.

A replay in C takes microseconds; copying thousands of parameters' ``.data`` and ``.grad``
between Values and C, and updating them in Python, takes longer. A :class:`Trainer` copies the
parameters into C once, then runs compiled tapes and updates the parameters there, step after
step, and writes them back into the Values when asked (:meth:`Trainer.sync`).

The update rules are the arithmetic of ``torch.optim.SGD`` and ``torch.optim.Adam``/``AdamW``,
written operation for operation as ``nn.optim`` writes them, so a Trainer computes the same
parameters as a Python loop of ``tape(...)`` and ``optimizer.step()``, to the bit.

>>> from autograd import Value, record
>>> from autograd.tape.cbackend import SGDRule, Trainer
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
import math
from array import array
from collections.abc import Iterable, Sequence
from typing import Any, Union

from ...coerce import as_float
from ...engine import Value
from .ctape import CTape, address_of, zeros


def _rate(x: Any, name: str, high: float | None = None) -> float:
    value = as_float(x, name)
    if not value >= 0.0 or (high is not None and not value < high):
        bound = f" and below {high}" if high is not None else ""
        raise ValueError(f"{name} expects a number of at least 0{bound}, got {value}")
    return value


def _state(values: Any, name: str) -> array[float] | None:
    """An optimizer state given by the user (``velocity``, ``m``, ``v``) as an ``array('d')``, each
    number checked; None stays None. Raises TypeError naming ``name``."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} expects a sequence of numbers (one per parameter), got {type(values).__name__}")
    if isinstance(values, array) and values.typecode == "d":
        return array("d", values)
    return array("d", [as_float(x, f"{name}[{i}]") for i, x in enumerate(values)])


def _fits(state: array[float] | None, n: int, name: str) -> array[float] | None:
    """``state``, proven to hold exactly one number per parameter before C writes ``n`` of them.

    C trusts the length it is given: a state shorter than the parameters (resuming with
    another model's state, say) would be written past its end. Raises ValueError naming ``name``.
    """
    if state is None or (type(state) is array and state.typecode == "d" and (len(state) == n or not n)):
        return state  # the path of every step: one test
    if not (isinstance(state, array) and state.typecode == "d"):
        state = _state(state, name)
        assert state is not None
    if n and len(state) != n:
        raise ValueError(f"{name} holds {len(state)} numbers, but there are {n} parameters: one number per parameter is wanted")
    return state


class SGDRule:
    """Stochastic gradient descent, as ``torch.optim.SGD`` (and ``nn.optim.SGD``): ``g ← g + wd·p``;
    with momentum μ, ``vel ← g`` on the first step and ``μ·vel + g`` after, ``g ← vel`` (or
    ``g + μ·vel`` with Nesterov); then ``p ← p − lr·g``. ``velocity`` continues a run's state."""

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        velocity: Sequence[float] | None = None,
    ) -> None:
        self.lr = _rate(lr, "SGDRule: lr")
        self.momentum = _rate(momentum, "SGDRule: momentum")
        self.weight_decay = _rate(weight_decay, "SGDRule: weight_decay")
        self.nesterov = bool(nesterov)
        #: the momentum buffer, None before the first step
        self.velocity: array[float] | None = _state(velocity, "SGDRule: velocity")

    def check(self, n: int) -> None:
        """Raise TypeError or ValueError unless the state fits ``n`` parameters (before any C runs)."""
        self.velocity = _fits(self.velocity, n, "SGDRule: velocity")

    def apply(self, lib: ctypes.CDLL, data: int, grads: int, n: int) -> None:
        """One step on the ``n`` parameters whose numbers and gradients are at these addresses."""
        self.check(n)
        first = self.velocity is None
        if first:
            self.velocity = zeros(n)
        assert self.velocity is not None
        lib.vg_sgd(
            data, grads, address_of(self.velocity), n, self.lr, self.momentum, self.weight_decay,
            int(self.nesterov), int(first),
        )  # fmt: skip
        if self.momentum == 0.0:
            self.velocity = None  # without momentum there is no state


class AdamRule:
    """Adam, as ``torch.optim.Adam`` (``decoupled=True``: ``AdamW``) and ``nn.optim.Adam``: at step
    t, ``m ← β₁m + (1 − β₁)g``, ``v ← β₂v + (1 − β₂)g²``, ``p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + eps)``.
    ``t``, ``m`` and ``v`` continue a run's state."""

    def __init__(
        self,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
        t: int = 0,
        m: Sequence[float] | None = None,
        v: Sequence[float] | None = None,
    ) -> None:
        self.lr = _rate(lr, "AdamRule: lr")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"AdamRule: betas expects a pair of numbers, got {betas!r}")
        self.betas = (_rate(betas[0], "AdamRule: betas[0]", 1.0), _rate(betas[1], "AdamRule: betas[1]", 1.0))
        self.eps = _rate(eps, "AdamRule: eps")
        self.weight_decay = _rate(weight_decay, "AdamRule: weight_decay")
        self.decoupled = bool(decoupled)
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise TypeError(f"AdamRule: t expects an int >= 0 (steps taken), got {t!r}")
        self.t = t
        if (m is None) != (v is None):
            raise ValueError(f"AdamRule: m and v continue a run together: give both or neither, got {'m' if v is None else 'v'} alone")
        self.m: array[float] | None = _state(m, "AdamRule: m")
        self.v: array[float] | None = _state(v, "AdamRule: v")

    def check(self, n: int) -> None:
        """Raise TypeError or ValueError unless the state fits ``n`` parameters (before any C runs)."""
        self.m = _fits(self.m, n, "AdamRule: m")
        self.v = _fits(self.v, n, "AdamRule: v")

    def apply(self, lib: ctypes.CDLL, data: int, grads: int, n: int) -> None:
        """One step on the ``n`` parameters whose numbers and gradients are at these addresses."""
        self.check(n)
        if self.m is None or self.v is None:
            self.m, self.v = zeros(n), zeros(n)
        self.t += 1
        b1, b2 = self.betas
        # as nn.optim.Adam computes them, in Python: the same floats
        bias1 = 1.0 - b1**self.t
        sqrt_bias2 = math.sqrt(1.0 - b2**self.t)
        step_size = self.lr / bias1
        lib.vg_adam(
            data, grads, address_of(self.m), address_of(self.v), n, self.lr, b1, b2, self.eps,
            self.weight_decay, int(self.decoupled), step_size, sqrt_bias2,
        )  # fmt: skip


Rule = Union[SGDRule, AdamRule]


class Trainer:
    """Training steps on compiled tapes, with ``params`` kept in C (see the module docstring).

    The Values are left as they were until :meth:`sync` writes the parameters' numbers and
    their last gradients back. Each tape must have been recorded with (a subset of) ``params``
    as its parameters; several tapes may share them (one per batch size, say). ``threads``: how
    many threads a batch may use (see :attr:`CTape.threads`; None leaves each tape's own).
    """

    def __init__(self, params: Sequence[Value], rule: Rule, threads: int | None = None) -> None:
        if not isinstance(rule, (SGDRule, AdamRule)):
            raise TypeError(f"Trainer: rule expects an SGDRule or an AdamRule, got {type(rule).__name__}")
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
        self._grads = zeros(len(plist))
        self._index: dict[int, array[int]] = {}
        self._lib: ctypes.CDLL | None = None
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
            self._lib = tape.library.lib
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
        return [tape.result_of(loss, e) for loss, e in zip(losses, extras)]

    def update(self) -> None:
        """Apply the rule once to every parameter, from the gradients held here."""
        if self._lib is None:
            raise RuntimeError("Trainer.update: no tape has run yet, so there are no gradients to apply")
        data, grads = self._at()
        self.rule.apply(self._lib, data, grads, len(self.params))

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
