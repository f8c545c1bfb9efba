"""``compiled(fn)``: a training step that records itself, keeps its tapes, and records again when
the numbers take another branch.

:func:`~autograd.record` makes one tape for one structure of arguments and one set of decisions.
Real programs vary both: documents have different lengths, and a Python ``if`` on a Value may go
either way. :func:`compiled` wraps ``fn`` in a :class:`Compiled` step that

* records ``fn`` the first time it sees a structure of arguments (their nesting and lengths);
* replays the tape of that structure afterwards, when its guards hold (:mod:`autograd.guard`);
* records again when a guard fails, and keeps the new tape beside the old ones: a structure
  has one tape per set of branches taken;
* keeps at most ``max_tapes`` tapes, the least recently used going first;
* runs ``fn`` on the normal path (``fn(*args)``, then ``backward()``), with one warning, when
  ``fn`` cannot be recorded for those arguments (arguments that are not numbers, say);
* given the parameters and an update rule (``params=``, ``rule=``), also steps them
  (:meth:`Compiled.update`), keeping them in C between calls with ``backend="c"``;
* runs a minibatch through one tape (:meth:`Compiled.batch`): how ``nn.fit``'s replayed steps
  and ``nn.gpt``'s ``Training`` train, the one mechanism of both.

A tape is found by the arguments' lengths, a cheap key; the tape's own check of its arguments
then sees any deeper difference (a list where a number was recorded), and the cache looks
again by the exact structure.

Every call gives the loss, and adds the gradients into ``.grad``, exactly as ``fn(*args)``
followed by ``backward()`` would, bit for bit: a tape replays only numbers whose decisions are
those of its recording, and each new recording is checked against the engine.

>>> from autograd import Value, compiled
>>> w = Value(2.0)
>>> @compiled
... def step(xs):
...     return sum((w * x - 1.0) ** 2 for x in xs) if w > 0 else w * 0.0
>>> step([1.0, 0.5]), step([1.0, 0.5, 0.25]), step([2.0, 1.0])     # two lengths: two tapes
(1.0, 1.25, 10.0)
>>> len(step.tapes), step.recordings
(2, 2)
"""

from __future__ import annotations

import warnings
from array import array
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from ..coerce import as_float
from ..engine import Value
from ..guard import GuardError
from ..mode import is_anomaly_enabled, is_grad_enabled
from .cbackend import CTape, Trainer, UpdateRule, address_of
from .check import check_backend, check_compile_options
from .keys import Key, call_key, exact_key, runs_by_key
from .record import record
from .replay import Tape

__all__ = ["compiled", "Compiled", "CompileWarning"]


class CompileWarning(RuntimeWarning):
    """``compiled(fn)`` could not record ``fn`` and runs it on the normal path, or records too often."""


class Compiled:
    """``fn`` as a step that records and replays itself: see :func:`compiled`.

    ``step(*args)`` returns the loss (a float; ``(loss, extras)`` when ``fn`` returns a pair)
    and adds the gradients into every parameter's ``.grad``; ``step.forward(*args)`` only
    evaluates. Attributes: :attr:`tapes` (the tapes kept, least recently used first),
    :attr:`recordings` (how many times ``fn`` was recorded) and :attr:`fallbacks` (calls that
    ran on the normal path).

    Made with ``params`` and an update ``rule``, it is a whole training step: :meth:`update`
    applies the rule, :meth:`zero_grad` clears the gradients, and with the C back end the
    parameters live in C between calls (a :class:`~autograd.tape.cbackend.Trainer`), so that
    neither the replay nor the optimizer touches a Value; :meth:`sync` brings them back.
    """

    def __init__(
        self, fn: Callable[..., Any], backend: str, max_tapes: int,
        params: Sequence[Value] | None = None, rule: UpdateRule | None = None, fallback: bool = True,
    ) -> None:  # fmt: skip
        self.fn = fn
        #: whether a call that cannot be recorded runs on the normal path (else its error is raised)
        self.fallback = fallback
        self.backend = backend
        self.max_tapes = max_tapes
        #: the parameters :meth:`update` steps (None without a ``rule``)
        self.params = None if params is None else list(params)
        #: the update rule :meth:`update` applies (``nn.update_rules.AdamRule``, say), or None
        self.rule = rule
        self._trainer: Trainer | None = None  # with backend "c" and a rule: the parameters, kept in C
        self._tapes: OrderedDict[int, tuple[tuple[Hashable, ...], Tape]] = OrderedDict()
        self._ids = 0
        self._unrecordable: set[tuple[Hashable, ...] | None] = set()
        self._warned = False
        #: how many times ``fn`` was recorded
        self.recordings = 0
        #: how many calls ran on the normal path, because ``fn`` could not be recorded
        self.fallbacks = 0
        self.__doc__ = getattr(fn, "__doc__", None)
        self.__name__ = getattr(fn, "__name__", "fn")
        self.__wrapped__ = fn

    @property
    def tapes(self) -> list[Tape]:
        """The tapes kept now, least recently used first."""
        return [tape for _, tape in self._tapes.values()]

    def __repr__(self) -> str:
        return f"<compiled {self.__name__}: {len(self._tapes)} tapes, backend {self.backend!r}>"

    def __call__(self, *args: Any) -> Any:
        """Forward and backward: the loss, with every parameter's gradient added into its ``.grad``."""
        return self._step(args, True)

    def forward(self, *args: Any) -> Any:
        """The forward pass only: the loss at ``args`` (recording ``fn`` if no tape fits)."""
        return self._step(args, backward=False)

    def _step(self, args: tuple[Any, ...], backward: bool) -> Any:
        key, exact = call_key(args), False
        while True:
            if self._on_normal_path(key) or key is None:  # (it is True for None: the test tells mypy)
                return self._normal_path(args, backward)
            for handle in reversed(self._tapes):  # the most recently used first
                spec, tape = self._tapes[handle]
                if spec != key:
                    continue
                try:
                    result = self._replay(tape, args, backward)
                except GuardError:
                    continue  # another branch: try the next tape of this structure, or record
                except (TypeError, ValueError):  # the tape's check of its arguments: another nesting (nothing ran)
                    if exact:
                        raise
                    break
                self._tapes.move_to_end(handle)
                return result
            else:
                self.sync()  # recording reads the parameters' numbers off the Values
                recorded = self._record(key, args)
                if recorded is None:
                    return self._normal_path(args, backward)
                return self._replay(recorded, args, backward)
            key, exact = exact_key(args), True  # look again, by the exact structure

    def _trainer_for(self, tape: Tape) -> Trainer | None:
        """The Trainer that keeps the parameters in C, for a tape compiled to C when there is an
        update rule (made on first use); None when the tape replays on the Values."""
        trainer = self._trainer
        if (trainer is not None or self.rule is not None) and isinstance(tape, CTape):
            if trainer is None:
                assert self.params is not None and self.rule is not None
                trainer = self._trainer = Trainer(self.params, self.rule)
            return trainer
        self.sync()  # the Values must hold the parameters' numbers
        return None

    def _on_normal_path(self, key: Key) -> bool:
        """Whether arguments of ``key`` run on the normal path (they cannot be recorded, or anomaly
        mode is on); for arguments not made of numbers, a TypeError without ``fallback``."""
        if key is None:
            message = f"compiled({self.__name__}): cannot record it for arguments that are not numbers or lists/tuples of numbers"
            if not self.fallback:
                raise TypeError(message)
            self._warn(f"{message} (a tape's inputs are numbers); it runs on the normal path")
            return True
        return (bool(self._unrecordable) and key in self._unrecordable) or is_anomaly_enabled()

    def _replay(self, tape: Tape, args: tuple[Any, ...], backward: bool) -> Any:
        """``tape`` forward and backward (or forward only) on ``args``: in the Trainer that keeps
        the parameters in C when there is one for it, else on the Values."""
        if backward:
            trainer = self._trainer_for(tape)
            if trainer is not None and isinstance(tape, CTape):
                return trainer.run(tape, [args])[0]
            return tape(*args)
        self.sync()
        return tape.forward(*args)

    def batch(self, samples: Sequence[Sequence[Any]], scale: float = 1.0) -> list[Any]:
        """Forward and backward on each sample in turn, every sample's gradients added into
        ``.grad`` (or into the Trainer's, in C), as :meth:`Tape.batch <autograd.Tape.batch>` does:
        each sample's backward pass starts from ``scale`` (1/n for the mean loss of n samples).

        A sample is ``fn``'s arguments, as a tuple: ``step.batch([(x1, y1), (x2, y2)], scale=0.5)``.
        Samples of one structure replay one tape, in one call of its batch (in C, one call of the
        C code); a run of samples of another structure gets its own tape. A sample whose guards
        fail on the tape replays the samples before it, then goes on with another tape of its
        structure (recorded if none fits): the gradients are always those of ``fn(*sample)`` and
        ``backward(scale)`` done sample after sample, to the bit. Returns the losses (with
        extras, as a call does).

        >>> from autograd import Value, compiled
        >>> w = Value(2.0)
        >>> step = compiled(lambda x: (w * x - 1.0) ** 2)
        >>> step.batch([(1.0,), (0.5,)], scale=0.5), w.grad
        ([1.0, 0.0], 1.0)
        """
        who = f"compiled({self.__name__}).batch"
        if not is_grad_enabled():
            raise RuntimeError(f"{who}(...) computes gradients, but gradients are off (inside no_grad())")
        seed = as_float(scale, f"{who}: scale")
        if isinstance(samples, (str, bytes)) or not isinstance(samples, Sequence):
            raise TypeError(f"{who}: samples expects a list of samples (tuples of fn's arguments), got {type(samples).__name__}")
        rows = []
        for i, sample in enumerate(samples):
            if not isinstance(sample, (tuple, list)):
                raise TypeError(f"{who}: samples[{i}] expects a tuple of fn's arguments, got {type(sample).__name__}")
            rows.append(tuple(sample))
        return self._runs(rows, call_key, seed)

    def _runs(self, rows: list[tuple[Any, ...]], key_of: Callable[[tuple[Any, ...]], Key], seed: float) -> list[Any]:
        """``rows`` in order, each run of samples with one key through :meth:`_run`."""
        out: list[Any] = []
        for start, end, key in runs_by_key(rows, key_of):
            out += self._run(rows[start:end], key, seed, key_of is exact_key)
        return out

    def _run(self, rows: list[tuple[Any, ...]], key: Key, seed: float, exact: bool) -> list[Any]:
        """Samples of one key through the tapes of that key, as :meth:`_step` does for one."""
        done: list[Any] = []
        while rows:
            if self._on_normal_path(key) or key is None:
                return done + [self._normal_path(args, True, seed) for args in rows]
            for handle in reversed(self._tapes):  # the most recently used first
                spec, tape = self._tapes[handle]
                if spec != key:
                    continue
                try:
                    ran = self._leading(tape, rows, seed, True)
                except (TypeError, ValueError):  # the tape's check of its arguments: another nesting
                    if exact:
                        raise
                    return done + self._runs(rows, exact_key, seed)
                if ran is None:
                    continue  # the first sample takes another branch: the next tape, or record
                self._tapes.move_to_end(handle)
                break
            else:
                self.sync()  # recording reads the parameters' numbers off the Values
                recorded = self._record(key, rows[0])
                if recorded is None:
                    return done + [self._normal_path(args, True, seed) for args in rows]
                ran = self._leading(recorded, rows, seed, False)
            assert ran is not None and ran
            done += ran
            rows = rows[len(ran) :]
        return done

    def _leading(self, tape: Tape, rows: list[tuple[Any, ...]], seed: float, may_fail: bool) -> list[Any] | None:
        """Replay ``tape`` on the samples of ``rows`` up to the first whose guards fail (a batch
        that fails gives no number and changes no gradient, so those before it run again, alone):
        their results. None if the first sample fails (GuardError instead, unless ``may_fail``)."""
        try:
            return self._replay_batch(tape, rows, seed)
        except GuardError as e:
            if not e.sample:
                if may_fail:
                    return None
                raise
            return self._replay_batch(tape, rows[: e.sample], seed)

    def _replay_batch(self, tape: Tape, rows: list[tuple[Any, ...]], seed: float) -> list[Any]:
        trainer = self._trainer_for(tape)
        if trainer is not None and isinstance(tape, CTape):
            return trainer.run(tape, rows, seed)
        return tape.batch(rows, seed)

    def update(self, lr: float | None = None) -> None:
        """One step of the ``rule`` on ``params`` from the gradients added so far (``lr``, if given,
        first becomes the rule's learning rate). With the C back end the parameters and the
        gradients stay in C between calls (:class:`~autograd.tape.cbackend.Trainer`): read them
        after :meth:`sync`. The gradients stay as they were: :meth:`zero_grad` clears them."""
        rule, params, trainer = self.rule, self.params, self._trainer
        if rule is None or params is None:
            raise RuntimeError(f"compiled({self.__name__}).update: there is no update rule; pass params= and rule= to compiled()")
        if lr is not None:
            rule.lr = lr  # type: ignore[attr-defined]
        if trainer is not None:
            trainer.update()
            return
        data = array("d", [p.data for p in params] or [0.0])
        grads = array("d", [p.grad for p in params] or [0.0])
        rule.apply(address_of(data), address_of(grads), len(params))
        for p, x in zip(params, data):
            p.data = x

    def zero_grad(self) -> None:
        """Set the gradients of ``params`` to 0.0 (where they are now: in C, or in the Values)."""
        trainer = self._trainer
        if trainer is not None:
            trainer.zero_grad()
        elif self.params is None:
            raise RuntimeError(f"compiled({self.__name__}).zero_grad: which parameters? pass params= to compiled()")
        else:
            for p in self.params:
                p.grad = 0.0

    def sync(self) -> None:
        """Write the parameters' numbers and gradients, kept in C between calls, into the Values
        (nothing to do without a Trainer). Later calls take them from the Values again."""
        trainer, self._trainer = self._trainer, None
        if trainer is not None:
            trainer.sync()

    def _record(self, key: tuple[Hashable, ...], args: tuple[Any, ...]) -> Tape | None:
        """Record ``fn`` on ``args`` and keep the tape; None (after one warning) if it cannot be."""
        try:
            tape = record(self.fn, *args, backend=self.backend)
        except (TypeError, ValueError) as e:
            if not self.fallback:
                raise
            self._unrecordable.add(key)
            self._warn(f"compiled({self.__name__}): cannot record it ({e}); it runs on the normal path")
            return None
        self.recordings += 1
        if self.params is not None:
            held = set(self.params)
            outside = [p for p in tape.parameters if p not in held]
            if outside:
                raise ValueError(
                    f"compiled({self.__name__}): fn reads {len(outside)} parameter(s) that are not in params "
                    f"(the first: {outside[0]!r}): update() would never move them; pass every parameter fn uses"
                )
        same_structure = sum(1 for spec, _ in self._tapes.values() if spec == key)
        if same_structure >= self.max_tapes:
            self._warn(
                f"compiled({self.__name__}): {same_structure + 1} recordings for one structure of arguments, more than "
                f"max_tapes={self.max_tapes}: a decision on the numbers (a guard) keeps changing, so most calls record "
                "again. Decide with an op (abs, relu, autograd.take) instead, where you can"
            )
        self._ids += 1
        self._tapes[self._ids] = (key, tape)
        while len(self._tapes) > self.max_tapes:
            self._tapes.popitem(last=False)
        return tape

    def _warn(self, message: str) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(message, CompileWarning, stacklevel=4)

    def _normal_path(self, args: tuple[Any, ...], backward: bool, seed: float = 1.0) -> Any:
        """``fn(*args)`` on the engine, then ``backward()``: what the tapes reproduce."""
        self.fallbacks += 1
        self.sync()
        result = self.fn(*args)
        loss = result[0] if isinstance(result, tuple) and len(result) == 2 else result
        if not isinstance(loss, Value):
            raise TypeError(f"compiled({self.__name__}): fn must return a Value (the loss), got {type(loss).__name__}")
        if backward:
            loss.backward(seed)
        if loss is result:
            return loss.data
        return loss.data, _numbers(result[1])


def _numbers(x: Any) -> Any:
    """``x`` (a Value, or lists/tuples of them) with each Value replaced by its number."""
    if isinstance(x, Value):
        return x.data
    return type(x)(_numbers(item) for item in x)


def compiled(
    fn: Callable[..., Any] | None = None, *, backend: str = "python", max_tapes: int = 8,
    params: Sequence[Value] | None = None, rule: UpdateRule | None = None, fallback: bool = True,
) -> Any:  # fmt: skip
    """``fn`` as a :class:`Compiled` step: recorded on its first call, replayed after, recorded
    again for a new structure of arguments or when a decision on the numbers goes another way.

    ``backend`` is ``"python"`` or ``"c"`` (as :func:`~autograd.record`); ``max_tapes`` bounds
    the tapes kept (least recently used first out). Use it as ``compiled(fn)`` or as a decorator,
    ``@compiled`` or ``@compiled(backend="c")``. See :mod:`autograd.tape.cache`.

    ``params`` and ``rule`` (an update rule, as :class:`~autograd.tape.cbackend.Trainer` takes:
    ``nn.update_rules.AdamRule``, say) let :meth:`Compiled.update` step the parameters. With
    ``backend="c"`` the parameters, their gradients and the rule's state then stay in C between
    calls, as a training loop wants; :meth:`Compiled.sync` writes them back into the Values (it
    happens by itself before a recording or a forward pass). ``fallback=False`` raises the
    recording's error instead of running ``fn`` on the normal path.

    >>> from nn.update_rules import SGDRule
    >>> w = Value(0.0)
    >>> step = compiled(lambda x, y: (w * x - y) ** 2, params=[w], rule=SGDRule(lr=0.1))
    >>> for _ in range(100):
    ...     _ = step(1.0, 2.0)
    ...     step.update()
    ...     step.zero_grad()
    >>> step.sync(); round(w.data, 6)
    2.0
    """
    check_backend(backend, "compiled")
    check_compile_options(max_tapes, params, rule)
    if fn is None:
        return lambda f: compiled(f, backend=backend, max_tapes=max_tapes, params=params, rule=rule, fallback=fallback)
    if not callable(fn):
        raise TypeError(f"compiled: fn expects a function, got {type(fn).__name__}")
    return Compiled(fn, backend, max_tapes, params, rule, bool(fallback))
