""":class:`CTape`: a recorded tape whose replays run compiled C, checked against the Python replay.

Everything a replay needs lives in four arrays of doubles owned here: ``v`` (every number:
inputs, parameters, constants, nodes), ``d`` (the partials op formulas compute), ``g`` (the
gradients) and scratch space. A replay copies the inputs and the parameters' data and grads
in, calls the library once, and copies the loss and the grads out.
"""

from __future__ import annotations

import ctypes
import random
from array import array
from collections.abc import Sequence
from typing import Any

from ...guard import GuardError
from ..check import same as _same
from ..codegen import SUM_IS_LEFT_TO_RIGHT
from ..guards import guard_error
from ..replay import Tape
from .build import Library, build
from .emit import Layout, emit
from .threads import default_threads, threads_that_pay

_P = ctypes.c_void_p

#: With two threads, how many blocks of samples the forward pass may run ahead (lanes_defer.h: VGL_MAX_SLOTS).
_MAX_SLOTS = 64


class ExactnessError(RuntimeError):
    """The C code of a tape computed another number than the Python replay; the message says where."""


def zeros(n: int) -> array[float]:
    return array("d", bytes(8 * max(n, 1)))


def address_of(a: array[Any]) -> int:
    return int(a.buffer_info()[0])


class _StepArgs(ctypes.Structure):
    """runtime.h's vg_step_args: what a training step in one call needs beside its samples."""

    _fields_ = [
        ("v", _P), ("d", _P), ("g", _P), ("s", _P), ("lanes", _P), ("slots", ctypes.c_int64),
        ("scratch", ctypes.c_int64), ("rule", _P), ("state", _P),
    ]  # fmt: skip


class CTape(Tape):
    """A :class:`~autograd.tape.Tape` whose replays run as compiled C: made by
    ``record(fn, *args, backend="c")``.

    It replays exactly as the Python tape does, to the bit, and does everything a Tape does;
    see :mod:`autograd.tape.cbackend` for what it adds (batches, training with the parameters
    kept in C) and what it costs. Attributes beyond a Tape's: :attr:`c_source` (the generated
    C), :attr:`c_path` (where it was written), :attr:`library_path`, :attr:`cached` (whether
    the library came from the cache) and :attr:`compile_seconds`.

    Its numbers live in arrays of its own, so one CTape replays in one thread at a time (record
    a tape per thread to train in several).
    """

    def compile(self) -> CTape:
        """Already compiled: the tape itself."""
        return self

    def __init__(self, tape: Tape, layout: Layout, library: Library) -> None:
        self.__dict__.update(vars(tape))
        self.layout = layout
        #: The C source of the tape (the runtime, the op kernels, the index table, the two passes).
        self.c_source = layout.source
        self.c_path = library.source_path
        self.library_path = library.path
        self.cached = library.cached
        self.compile_seconds = library.seconds
        self.library = library
        plan = self.plan
        self.values, self.grads = zeros(layout.n_values), zeros(layout.n_values)
        self._d, self._s = zeros(layout.n_partials), zeros(layout.scratch)
        for position, x in layout.constants:
            self.values[position] = x
        self._buffers = tuple(address_of(a) for a in (self.values, self._d, self.grads, self._s))
        lib = library.lib
        i, i64, f = ctypes.c_int, ctypes.c_int64, ctypes.c_double
        for name, argtypes in (
            ("vg_run", [_P, _P, _P, _P, i, f]),
            ("vg_batch", [_P, _P, _P, _P, _P, i64, i, f, _P, _P]),
            ("vg_gather", [_P, _P, _P, i64]),
            ("vg_scatter", [_P, _P, _P, i64]),
        ):
            function = getattr(lib, name)
            function.argtypes = argtypes
            function.restype = ctypes.c_int
        self._c_run = lib.vg_run
        self._c_batch = lib.vg_batch
        lib.vg_step.argtypes = [_P, _P, i64, f, _P, _P, i]
        lib.vg_step.restype = ctypes.c_int
        self._c_step = lib.vg_step
        # the arguments of the last train_step: by (slots, rule), the lane buffers they point into
        self._step_args: tuple[tuple[int, int, int], array[float], int, _StepArgs] | None = None
        #: How many samples a batch runs at once, one per SIMD lane (see :mod:`.lanes`): 4 or 8 when
        #: no parameter of the tape is pushed twice per sample, else 1 (the scalar driver). Setting
        #: it to 1 runs batches in the scalar driver; the numbers are the same to the bit.
        self.lanes = 1
        #: How many threads a batch may use (see :mod:`.lanes`): 1, or 2 when the batch is big
        #: enough for it to pay. With 2, when the layers' weights are the only parameters pushed
        #: into (an MLP), two threads run whole blocks of samples side by side and split the sums
        #: into the weights' gradients by rows; otherwise one runs the forward passes ahead of the
        #: other's backward passes. The numbers are the same to the bit with any number of threads.
        self.threads = default_threads()
        self._slots_buffer = zeros(0)
        if layout.lanes:
            lib.vg_lanes_count.restype = ctypes.c_int
            lib.vg_batch_lanes.argtypes = [_P, _P, _P, i64, i64, _P, i64, i, f, _P, _P, i]
            lib.vg_batch_lanes.restype = ctypes.c_int
            self.lanes = int(lib.vg_lanes_count())
            lib.vg_lanes_buffer.restype = i64
            lib.vg_lanes_buffer.argtypes = [i64]
            self._lane_numbers = int(lib.vg_lanes_buffer(layout.scratch))
            lib.vg_lanes_store.restype = i64
            self._lane_store = int(lib.vg_lanes_store())
            self._c_batch_lanes = lib.vg_batch_lanes
        self.param_start = plan.first_param
        self.param_end = plan.first_param + len(plan.params)
        self._out = layout.position[plan.output]
        self._extra_at = [layout.position[e] for e in plan.extras]

    def _lane_slots(self, slots: int) -> int:
        """The address of room for the store of the deferred gradients and ``slots`` blocks' lane
        buffers (grown when first needed)."""
        if len(self._slots_buffer) < self._lane_store + slots * self._lane_numbers:
            self._slots_buffer = zeros(self._lane_store + slots * self._lane_numbers)
        return address_of(self._slots_buffer)

    def _pays(self, count: int) -> int:
        """The threads a batch of ``count`` samples uses (:func:`.threads.threads_that_pay`)."""
        if self.threads < 2 or count < 2 * self.lanes:
            return 1
        return threads_that_pay(count * (self.layout.n_values + self.layout.n_partials), self.layout.all_deferred)

    def __repr__(self) -> str:
        return f"<CTape of {len(self)} ops, {len(self.parameters)} parameters, {self.layout.groups} loops in C>"

    # --- running the C code -----------------------------------------------------------------

    def _guard_failed(self) -> GuardError:
        """The error of the guard the C code says failed (its index and sample are in scratch)."""
        at = self.layout.guard_at
        k, sample = int(self._s[at]), int(self._s[at + 1])
        guard = self.plan.guards[k]
        position = self.layout.position
        v = self.values

        def value(x: Any) -> float:
            return float(v[position[x]]) if isinstance(x, int) else float(x)

        return guard_error(self._who, guard, value(guard.left), value(guard.right), None if sample < 0 else sample)

    def _load(self, data: Sequence[float], grads: Sequence[float] | None) -> None:
        if self.param_end > self.param_start:
            self.values[self.param_start : self.param_end] = array("d", data)
            if grads is not None:
                self.grads[self.param_start : self.param_end] = array("d", grads)

    def run_numbers(self, xs: list[float], data: list[float], grads: list[float] | None, seed: float = 1.0) -> Any:
        """One replay, as the Python tape's code: ``(loss, grads or None, extras)``."""
        n = self.plan.n_inputs
        if n:
            self.values[0:n] = array("d", xs)
        self._load(data, grads)
        if self._c_run(*self._buffers, grads is not None, seed):
            raise self._guard_failed()
        v = self.values
        new = None if grads is None else self.grads[self.param_start : self.param_end].tolist()
        return v[self._out], new, tuple([v[e] for e in self._extra_at])

    def _batch(self, rows: list[list[float]], data: list[float], grads: list[float] | None, seed: float) -> Any:
        """Replay each row of inputs in turn (see :meth:`Tape.batch`), inside one call of the C code."""
        self._load(data, grads)
        flat = array("d", [x for row in rows for x in row])
        losses, extras = self.batch_flat(flat, len(rows), grads is not None, seed)
        new = None if grads is None else self.grads[self.param_start : self.param_end].tolist()
        return losses, new, extras

    def batch_flat(self, flat: Any, count: int, backward: bool, seed: float) -> tuple[list[float], list[tuple[float, ...]]]:
        """Run ``count`` samples whose inputs follow one another in the doubles of the buffer ``flat``,
        on the parameters' numbers (and gradients) already in the C arrays: the losses and extras."""
        losses = zeros(count)
        ne = len(self._extra_at)
        extras = zeros(count * ne)
        source = (ctypes.c_double * 0).from_buffer(flat) if count and self.plan.n_inputs else None
        where = ctypes.addressof(source) if source is not None else None
        self.run_batch(where, count, backward, seed, address_of(losses), address_of(extras), self.threads_for(count))
        del source
        rows: list[tuple[float, ...]] = [tuple(extras[i * ne : (i + 1) * ne]) for i in range(count)]
        return losses.tolist()[:count], rows

    def threads_for(self, count: int) -> int:
        """How many threads a batch of ``count`` samples would use now (1 or 2; see :attr:`threads`)."""
        if self.lanes > 1 and count > 1 and self.layout.lanes:
            return self._pays(count)
        return 1

    def run_batch(self, where: int | None, count: int, backward: bool, seed: float, losses: int, extras: int, threads: int) -> None:
        """The C call of a batch, for callers that hold their buffers (:meth:`batch_flat`, the
        Trainer's epochs): ``count`` samples' inputs at the address ``where``, their losses and extras
        written at the addresses ``losses`` and ``extras`` (room for ``count`` and ``count`` times
        the extras), on ``threads`` threads (1 or 2, as :meth:`threads_for` says). The addresses are
        trusted: check the sizes first. Raises GuardError when a sample fails a guard (then no
        gradient has changed)."""
        if self.lanes > 1 and count > 1 and self.layout.lanes:  # never for a tape with guards (emit)
            v, _, g, _ = self._buffers
            slots = 1 if threads == 1 else min(_MAX_SLOTS, -(-count // self.lanes))
            self._c_batch_lanes(
                v, g, self._lane_slots(slots), slots, self.layout.scratch, where, count, backward, seed, losses, extras,
                threads,
            )  # fmt: skip
        elif self._c_batch(*self._buffers, where, count, backward, seed, losses, extras):
            raise self._guard_failed()

    def train_step(
        self, where: int | None, count: int, seed: float, losses: int, extras: int, threads: int, rule: tuple[int, int]
    ) -> None:
        """One training step in one C call, as :meth:`run_batch` takes its arguments: the parameters'
        gradients set to 0.0, the batch run (with backward), then ``rule`` applied to the parameters
        in the tape's order. ``rule`` is ``(function, state)``: the addresses of a C function
        ``int rule(void *state, double *data, double *grads, int64_t n)`` and of its arguments (an
        update rule's ``c_rule()``, :mod:`nn.update_rules`). The numbers of zeroing, :meth:`run_batch`
        and the rule one after the other. Raises GuardError when a sample fails a guard (then no
        rule was applied, and the gradients are 0.0), RuntimeError when the rule fails."""
        lanes = self.lanes > 1 and count > 1 and self.layout.lanes
        slots = 0 if not lanes else 1 if threads == 1 else min(_MAX_SLOTS, -(-count // self.lanes))
        key = (slots, rule[0], rule[1])
        held = self._step_args
        if held is None or held[0] != key or held[1] is not self._slots_buffer:
            buffers = self._lane_slots(slots) if slots else None  # (grows the buffer when needed)
            v, d, g, s = self._buffers
            args = _StepArgs(v, d, g, s, buffers, slots, self.layout.scratch, *rule)
            held = self._step_args = (key, self._slots_buffer, ctypes.addressof(args), args)
        failed = self._c_step(held[2], where, count, seed, losses, extras, threads)
        if failed == 1:
            raise self._guard_failed()
        if failed:
            raise RuntimeError("CTape.train_step: the update rule failed")


def compile_tape(tape: Tape) -> CTape:
    """``tape`` compiled to C, checked to compute the Python replay's numbers to the bit (raises
    CompilerNotFound, CompileError, :class:`~autograd.tape.cbackend.kernels.MissingFormula` or
    :class:`ExactnessError`)."""
    layout = emit(tape.plan, compensated=not SUM_IS_LEFT_TO_RIGHT)
    ctape = CTape(tape, layout, build(layout.source))
    check(ctape)
    return ctape


# --- the check: the C numbers must be the Python replay's ------------------------------------


def _fresh(numbers: Sequence[float], rng: random.Random) -> list[float]:
    """New numbers of about the same size as ``numbers``, of either sign."""
    return [rng.gauss(0.0, 1.0) * (abs(x) + 0.5) for x in numbers]


def check(tape: CTape) -> None:
    """Replay ``tape`` in C and in Python on the recorded inputs, then on fresh inputs and
    parameters (and a batch of two); every loss, gradient and extra must be the same float
    (any nan equals any nan). Raises :class:`ExactnessError` naming the first op that differs."""
    plan = tape.plan
    xs = [v.data for v in plan.values[: plan.n_inputs]]
    data = [p.data for p in plan.params]
    rng = random.Random(1)
    trials = [(xs, data, [0.0] * len(data)), (_fresh(xs, rng), data, _fresh(data, rng))]
    trials.append((_fresh(xs, rng), _fresh(data, rng), [0.0] * len(data)))
    seeded = tape.python_replay(seeded=True)
    for inputs, params, grads in trials:
        expected = _or_guard(seeded, inputs, params, list(grads), 1.0)
        got = _or_guard(tape.run_numbers, list(inputs), params, list(grads))
        if isinstance(expected, GuardError) or isinstance(got, GuardError):
            _same_guard(expected, got)
            continue
        if not _agree(expected, got):
            _diagnose(tape, inputs, params, grads)
    if plan.n_inputs:  # a batch of two: the gradients of both, each scaled, added one after the other
        first, second = trials[1][0], trials[2][0]
        if plan.guards:  # the batch runs on the recorded inputs, which pass the guards
            first = second = xs
        got_batch = tape._batch([first, second], data, [0.0] * len(data), 0.5)
        g = [0.0] * len(data)
        losses = []
        for inputs in (first, second):
            loss, g, extras = seeded(inputs, data, g, 0.5)
            losses.append(loss)
        if not (all(map(_same, losses, got_batch[0])) and all(map(_same, g, got_batch[1] or []))):
            raise ExactnessError(
                "record(backend='c'): run over a batch, the C tape's losses or gradients differ from the Python "
                "replay's while single replays agree: the batch driver of runtime.h is wrong"
            )


def _or_guard(run: Any, *args: Any) -> Any:
    """``run(*args)``'s result, or the GuardError it raised."""
    try:
        return run(*args)
    except GuardError as e:
        return e


def _same_guard(expected: Any, got: Any) -> None:
    """Both replays refused, at the same guard; else an ExactnessError."""
    if isinstance(expected, GuardError) and isinstance(got, GuardError) and expected.decision is got.decision:
        return

    def say(r: Any) -> str:
        if isinstance(r, GuardError) and r.decision is not None:
            return f"failed the guard of {r.decision.what} at {r.decision.where}"
        return "passed its guards"

    raise ExactnessError(
        f"record(backend='c'): on the same numbers the Python replay {say(expected)} and the C code {say(got)}: "
        "the C guards (autograd.tape.cbackend.guards) do not compare as Python does"
    )


def _agree(expected: Any, got: Any) -> bool:
    loss, grads, extras = expected
    c_loss, c_grads, c_extras = got
    return (
        _same(loss, c_loss)
        and all(map(_same, grads or (), c_grads or ()))
        and len(grads or ()) == len(c_grads or ())
        and all(map(_same, extras, c_extras))
    )


def _diagnose(tape: CTape, xs: list[float], data: list[float], grads: list[float]) -> None:
    """Raise an ExactnessError naming the first number where C and Python differ."""
    traced = tape.variant(trace=True)(list(xs), list(data), list(grads), 1.0)
    tape.run_numbers(list(xs), data, list(grads))
    layout, plan = tape.layout, tape.plan
    v, d, g = tape.values, tape._d, tape.grads

    def where(step: Any) -> str:
        name = step.op.name if step.op is not None else "a fused chain of +"
        operands = ", ".join(repr(traced[f"v{x}"]) if isinstance(x, int) else repr(x) for x in step.operands[:8])
        return f"op {name!r} (slot {step.out}, operands {operands}{', ...' if len(step.operands) > 8 else ''})"

    def differ(python: float, c: float) -> bool:
        return not _same(python, c)

    for step in plan.steps:
        python = traced.get(f"v{step.out}")
        if python is not None and differ(python, v[layout.position[step.out]]):
            raise ExactnessError(
                f"record(backend='c'): the C code of {where(step)} computes {v[layout.position[step.out]]!r} where the "
                f"Python replay computes {python!r}: its C formula (Op.c) does not match its Python formula"
            )
        at = layout.partials.get(step.out, -1)
        for j in range(step.k if at >= 0 else 0):
            python = traced.get(f"d{step.out}_{j}")
            if python is not None and differ(python, d[at + j]):
                raise ExactnessError(
                    f"record(backend='c'): the C code of {where(step)} computes {d[at + j]!r} for its partial "
                    f"∂/∂operand {j} where the Python replay computes {python!r}: its C formula (Op.c) does not "
                    "match its Python formula"
                )
    for step in reversed(plan.steps):
        python = traced.get(f"g{step.out}")
        if plan.needs_grad[step.out] and python is not None and differ(python, g[layout.position[step.out]]):
            raise ExactnessError(
                f"record(backend='c'): the gradient of {where(step)} is {g[layout.position[step.out]]!r} in C and "
                f"{python!r} in the Python replay: the gradients pushed into it by the nodes that read it differ"
            )
    for i, p in enumerate(plan.params):
        python = traced.get(f"g{plan.first_param + i}")
        c = g[plan.first_param + i]
        if python is not None and differ(python, c):
            raise ExactnessError(
                f"record(backend='c'): the gradient of parameter {i} ({p.label or 'no label'}) is {c!r} in C and "
                f"{python!r} in the Python replay"
            )
    raise ExactnessError("record(backend='c'): the C tape's result differs from the Python replay's")
