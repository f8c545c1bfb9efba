"""The :class:`Tape`: a recorded function, replayed on new numbers (:func:`~autograd.record` makes it).

See :mod:`autograd.tape` for what is replayed and what is baked in at record time.
"""

from __future__ import annotations

import linecache
import weakref
from collections.abc import Callable, Sequence
from itertools import count
from typing import Any

from ..coerce import as_float as _as_float
from ..engine import Value, op_of, stored_operands
from ..graph import topological_order
from ..guard import Decision, GuardError
from ..mode import is_anomaly_enabled, is_grad_enabled
from .args import (
    Spec,
    check_positions,
    flattener,
    is_number,
    not_a_number,
    rebuild,
    structure_error,
    values_in,
)
from .codegen import Writer
from .guards import guarded_values
from .plan import build

__all__ = ["Tape"]

_tape_ids = count(1)



class Tape:
    """A recorded function, replayed on new numbers: made by :func:`record`.

    ``tape(*args)`` replays the forward pass and the backward pass on new arguments (with the
    structure of the recorded ones) and the parameters' current data, adds the gradients into
    every parameter's ``.grad`` exactly as ``loss.backward()`` would, and returns the loss as
    a float. ``tape.forward(*args)`` replays the forward pass only. Neither creates a Value.

    Attributes: :attr:`parameters` (the leaves that receive gradients), :attr:`output` (the
    Value the recording computed: a graph to draw or backpropagate), ``len(tape)`` (the number
    of op nodes), and :attr:`source` (the Python code a replay runs).

    Under ``detect_anomaly()`` a replay runs the normal path instead (the recorded function on
    input Values, then ``backward()``), so that the engine checks every op and names the one
    that made a nan, with the line of your code that created it.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        names: list[str],
        specs: list[Spec],
        inputs: list[Value],
        output: Value,
        extras: tuple[Spec, list[Value]] | None = None,
        compiler: Callable[[Tape], Tape] | None = None,
        decisions: Sequence[Decision] = (),
    ) -> None:
        self._compiler = compiler
        self._fn = fn
        self._names = names
        self._specs = specs
        self._flatteners = [flattener(spec) for spec in specs]
        #: The Value the recording computed, with its graph.
        self.output = output
        self._nodes = [] if output.is_leaf else topological_order(output, include_leaves=False)
        reached = [output] if output.is_leaf else [p for node in self._nodes for p in node.parents]
        is_input = set(inputs)
        self._params = tuple(dict.fromkeys(p for p in reached if p.is_leaf and p.requires_grad and p not in is_input))
        self.extras = extras
        reported = [] if extras is None else extras[1]
        in_graph = {output, *inputs, *self._params, *self._nodes}
        for i, v in enumerate(reported):
            if v not in in_graph:
                raise ValueError(
                    f"record: extra value {i} (data {v.data!r}) is not part of the loss's graph; extras must be "
                    "Values the loss was computed from, such as the model's outputs"
                )
        # what only the decisions read: nodes computed forward only, leaves read as parameters
        guarded, leaves = guarded_values(decisions, in_graph, inputs)
        # and a lookup's candidates: any of them may be chosen on a replay
        candidates = [r for n in self._nodes if op_of(n).lookup for r in stored_operands(n)[2:]]
        seen = {*in_graph, *leaves}
        leaves += [r for r in dict.fromkeys(candidates) if r not in seen]
        self._params += tuple(leaves)
        #: The plan both back ends write out: slots and steps, with micrograd's chains of + fused,
        #: and the guards: the decisions taken on the numbers, checked by every replay.
        self.plan = build(inputs, list(self._params), self._nodes + guarded, output, reported, decisions, guarded)
        self._who = f"tape of {getattr(fn, '__qualname__', type(fn).__name__)}"
        writer = Writer(self.plan, self._who)
        #: The Python source of the function a replay runs: straight-line code, one variable per number.
        self.source = writer.source()
        self._namespace = writer.names
        self._filename = f"<tape {next(_tape_ids)} of {getattr(fn, '__qualname__', type(fn).__name__)}>"
        self._code: Callable[..., Any] | None = None
        self._seeded: Callable[..., Any] | None = None

    def variant(self, seeded: bool = False, trace: bool = False) -> Callable[..., Any]:
        """The tape's Python code as ``run(X, P, G, S)``, whose output's gradient starts at ``S``
        (a batch's samples each start at 1/n, say); with ``trace``, returning the dict of all its
        variables (``v7``, ``g7``, ``d7_0``): what the C back end's numbers are compared with, one
        by one, when they differ."""
        writer = Writer(self.plan, self._who)
        text = writer.source(seeded, trace)
        namespace = dict(writer.names)
        exec(compile(text, self._filename, "exec"), namespace)
        # taken out of its own globals, so that the function and its namespace form no reference
        # cycle: a dropped tape is freed at once by reference counting, like a graph
        return namespace.pop("run")

    def python_replay(self, seeded: bool = False) -> Callable[..., Any]:
        """The compiled Python code (``run(X, P, G)``, or ``run(X, P, G, S)`` if ``seeded``), compiled
        the first time it is needed: a tape compiled to C only ever needs the seeded one."""
        if seeded:
            if self._seeded is None:
                self._seeded = self.variant(seeded=True)
            return self._seeded
        if self._code is None:
            namespace = dict(self._namespace)
            exec(compile(self.source, self._filename, "exec"), namespace)
            self._code = namespace.pop("run")
        return self._code

    def run_numbers(self, xs: list[float], data: list[float], grads: list[float] | None) -> Any:
        try:
            return self.python_replay()(xs, data, grads)
        except BaseException:
            # Give linecache the source, so that the traceback shows the tape's line (an op that
            # raised, say): only now, as its lines take more memory than the tape's code.
            if self._filename not in linecache.cache:
                linecache.cache[self._filename] = (len(self.source), None, self.source.splitlines(True), self._filename)
                weakref.finalize(self, linecache.cache.pop, self._filename, None)
            raise

    @property
    def parameters(self) -> list[Value]:
        """The leaves that receive gradients: every leaf the output depends on that needs a gradient
        and is not an input, in the order the graph reaches them (a new list each time)."""
        return list(self._params)

    def __len__(self) -> int:
        return len(self._nodes)

    def __repr__(self) -> str:
        return f"<Tape of {len(self)} ops, {len(self.parameters)} parameters>"

    def __call__(self, *args: Any) -> Any:
        """Replay forward and backward: returns the loss and adds into each parameter's ``.grad``.

        If the recorded function returned ``(loss, extras)``, this returns ``(loss, extras)`` too,
        with each Value of the extras replaced by its number in this replay.
        """
        if not is_grad_enabled():
            raise RuntimeError(
                "tape(...) computes gradients, but gradients are off (inside no_grad()); "
                "use tape.forward(...) to evaluate"
            )
        xs = self.inputs_of(args, "tape")
        if is_anomaly_enabled():
            return self._normal_path(xs, backward=True)
        params = self._params
        loss, grads, reported = self.run_numbers(xs, [p.data for p in params], [p.grad for p in params])
        for p, g in zip(params, grads):
            p.grad = g
        return self.result_of(loss, reported)

    def forward(self, *args: Any) -> Any:
        """Replay the forward pass only: the loss at ``args`` and the parameters' current data
        (and the extras' numbers, as :meth:`__call__`)."""
        xs = self.inputs_of(args, "tape.forward")
        if is_anomaly_enabled():
            return self._normal_path(xs, backward=False)
        loss, _, reported = self.run_numbers(xs, [p.data for p in self._params], None)
        return self.result_of(loss, reported)

    def compile(self) -> Tape:
        """This tape compiled to C, as ``record(..., backend="c")`` makes it: the same numbers to the
        bit (checked now), much faster. Without a C compiler it warns and returns this tape.

        The compiler is the one :func:`~autograd.record` gave the tape (the C back end is built on
        this module, so this module does not import it)."""
        if self._compiler is None:
            raise RuntimeError("tape.compile(): this tape was not made by autograd.record, which gives it its compiler")
        return self._compiler(self)

    def batch(self, samples: Sequence[Sequence[Any]], scale: float = 1.0) -> list[Any]:
        """Replay the tape on each sample in turn, adding every sample's gradients into ``.grad``.

        A sample is the tape's arguments, as a tuple: ``tape.batch([(x1, y1), (x2, y2)])``. Each
        sample's backward pass starts from ``scale`` instead of 1, as ``loss.backward(scale)``
        would, and they run one after the other, so the parameters' gradients are those of the
        normal path doing the same loop. Returns the losses (with extras, as :meth:`__call__`).

        This is how one tape recorded on a single sample trains on batches of any size, with
        code that does not grow with the batch: for a loss that is a mean over the batch, such
        as every loss of ``nn``, ``scale = 1/n`` and ``sum(losses) * (1/n)`` give the numbers of
        the tape of the whole batch, to the bit (each sample's graph is backpropagated in turn
        there too, the samples in order, when they share only the parameters).

        >>> from autograd import Value, record
        >>> w = Value(2.0)
        >>> tape = record(lambda x: (w * x - 1.0) ** 2, 0.0)
        >>> tape.batch([(1.0,), (0.5,)], scale=0.5)       # the losses; w.grad gets their mean gradient
        [1.0, 0.0]
        >>> w.grad                                       # ½·2(w·1 − 1)·1 + ½·2(w·0.5 − 1)·0.5
        1.0
        """
        if not is_grad_enabled():
            raise RuntimeError("tape.batch(...) computes gradients, but gradients are off (inside no_grad())")
        seed = _as_float(scale, "tape.batch: scale")
        if isinstance(samples, (str, bytes)) or not isinstance(samples, Sequence):
            raise TypeError(f"tape.batch: samples expects a list of samples (tuples of arguments), got {type(samples).__name__}")
        rows = []
        for i, sample in enumerate(samples):
            if not isinstance(sample, (tuple, list)):
                raise TypeError(
                    f"tape.batch: samples[{i}] expects a tuple of the tape's {len(self._specs)} arguments, "
                    f"got {type(sample).__name__}"
                )
            rows.append(self.inputs_of(tuple(sample), f"tape.batch: samples[{i}]"))
        if is_anomaly_enabled():
            return [self._normal_path(xs, backward=True, seed=seed) for xs in rows]
        params = self._params
        losses, grads, reported = self._batch(rows, [p.data for p in params], [p.grad for p in params], seed)
        for p, g in zip(params, grads or ()):
            p.grad = g
        return [self.result_of(loss, r) for loss, r in zip(losses, reported)]

    def _batch(
        self, rows: list[list[float]], data: list[float], grads: list[float] | None, seed: float
    ) -> tuple[list[float], list[float] | None, list[tuple[float, ...]]]:
        """Replay each row of inputs in turn, threading the parameters' gradients through."""
        run = self.python_replay(seeded=True)
        losses, reported = [], []
        g: Any = grads
        for i, xs in enumerate(rows):
            try:
                loss, new, extras = run(xs, data, g, seed)
            except GuardError as e:
                if e.decision is None or e.sample is not None:
                    raise
                raise GuardError(f"{e} (in sample {i} of the batch)", e.decision, i) from None
            if new is not None:
                g = new
            losses.append(loss)
            reported.append(extras)
        return losses, None if g is None else list(g), reported

    def result_of(self, loss: float, reported: tuple[float, ...]) -> Any:
        """The loss, or ``(loss, extras)`` with the extras' numbers in the structure ``fn`` returned."""
        if self.extras is None:
            return loss
        return loss, rebuild(self.extras[0], iter(reported))

    def inputs_of(self, args: tuple[Any, ...], who: str) -> list[float]:
        """The numbers in ``args`` as one list of floats, after checking them against the recording."""
        specs = self._specs
        if len(args) != len(specs):
            raise TypeError(
                f"{who} expects {len(specs)} arguments ({', '.join(self._names)}), as recorded, got {len(args)}"
            )
        flat: list[Any] = []
        if all(f(x, flat) for f, x in zip(self._flatteners, args)):
            kinds = set(map(type, flat))
            if kinds <= {float}:
                return flat
            if kinds <= {float, int}:
                return list(map(float, flat))
        # the slow path: a nesting that is not the recorded one, or items that are not floats
        for x, spec, name in zip(args, specs, self._names):
            error = structure_error(x, spec, f"{who}: {name}")
            if error is not None:
                raise error
        paths: list[str] = []
        for x, name in zip(args, self._names):
            check_positions(x, f"{who}: {name}", paths)
        for x, where in zip(flat, paths):
            if not is_number(x):
                raise not_a_number(where, x)
        return list(map(float, flat))

    def _normal_path(self, xs: list[float], backward: bool, seed: float = 1.0) -> Any:
        """The recorded function on input Values (and ``backward()``), as without a tape.

        It computes the same numbers as a replay as long as the function takes no decision on them.
        """
        leaves = iter([Value(x) for x in xs])
        result = self._fn(*(rebuild(spec, leaves) for spec in self._specs))
        extras = self.extras
        out = result if extras is None else result[0]
        if backward:
            out.backward(seed)
        if extras is None:
            return float(out.data)
        return float(out.data), rebuild(extras[0], iter([v.data for v in values_in(result[1])]))
