"""Record once, replay many times: a training step without building a graph each time.

A training step of a fixed network does the same ops every time; only the numbers change
(the data, and the parameters after each update). Building a fresh graph of thousands of
:class:`~autograd.Value` nodes every step is most of the step's cost. :func:`record` runs
your loss function once on the normal engine, and turns the graph it built into a *tape*:
straight-line Python code that does the same float operations, in the same order, on plain
floats. Replaying the tape gives the loss and accumulates every parameter's gradient exactly
as ``loss.backward()`` would, bit for bit, without creating a single Value. (The same idea as
tinygrad's JIT and HIPS autograd's ``const_graph``.)

>>> from autograd import Value, record
>>> w, b = Value(0.5), Value(0.0)
>>> def loss_fn(x, y):                     # squared error of the line w·x + b
...     err = w * x + b - y
...     return err * err
>>> tape = record(loss_fn, 2.0, 3.0)       # runs loss_fn once; x and y become input leaves
>>> tape(1.0, 1.0)                         # loss at x = 1, y = 1; w.grad and b.grad accumulate
0.25
>>> w.grad, b.grad                         # d/dw (w·x + b − y)² = 2(w·x + b − y)·x = −1
(-1.0, -1.0)

What is replayed, and what is baked in at record time:

* **inputs**: every number in the arguments (nested lists and tuples of numbers) becomes an
  input leaf; replay reads the new arguments, which must have the same structure.
* **parameters**: every leaf the loss depends on that needs a gradient and is not an input
  (:attr:`Tape.parameters`). Replay reads their current ``.data`` (so optimizer updates are
  seen) and adds into their ``.grad``.
* **everything else is a constant of the tape**: numbers in a closure, Values that need no
  gradient, and every decision your Python code took on the numbers. If you change them,
  record again.

That last point is the one to remember: the tape keeps the *ops* the function did on the
recorded numbers, not the Python code. ``relu``, ``abs`` and the other ops replay correctly
for any numbers, because they are ops. But a Python ``if`` on ``.data`` is decided once::

    def loss_fn(x):
        if x > 0:              # compares x.data at record time
            return x * w
        return -x * w

    tape = record(loss_fn, 2.0)   # took the first branch
    tape(-3.0)                    # still computes x * w = -3w: the if is not re-run

Write ``abs(x) * w`` instead: ``abs`` is an op, so the tape is right for every ``x``.
The same goes for a number read off ``.data`` and used as a constant. (This is why the
overflow guard of ``autograd.logsumexp``, subtracting the largest value before taking exps,
is inside that op's formula: a replay picks the new maximum every time, so ``nn.softmax``
and ``nn.cross_entropy`` replay correctly for any logits.)

Integers are numbers like floats: a class label in the arguments becomes an input Value,
which cannot index a list, so recording such a function fails with a TypeError that says
so. Pass one-hot float targets instead, or keep the labels out of the arguments.

How exact is "exact"? Each op node's value and local partials are computed by the op's own
formula, ``op.fn(F, ...)`` (the fused ``sum``, ``dot`` and ``affine`` nodes by the same sum the
engine evaluates), and the chain rule runs in the order of :meth:`Value.backward`: nodes in
reverse topological order, each pushing ``parent.grad += partial * grad`` to its parents in
operand order, skipping a node whose gradient is 0 unless one of its partials is inf or nan.
Float arithmetic is deterministic, so the results are identical, down to the sign of zero.
:func:`record` checks this once on the recorded numbers against the engine and refuses a
function it cannot reproduce (a user-defined op that is not deterministic, say).

What it costs: recording runs the function and ``backward()`` once and compiles the tape's
code, about half a second and 7 MB for micrograd's demo step (64 points, an MLP of 337
parameters, 4,357 op nodes); each replay then takes about a sixth of a normal step, since
no node is allocated. Under ``detect_anomaly()`` a replay runs the normal path instead, so
that the engine checks every op and names the one that made a nan.
"""

from __future__ import annotations

import inspect
import linecache
import math
import numbers
import weakref
from collections.abc import Callable, Iterator
from itertools import count
from operator import mul
from typing import Any, Union

from .engine import Value, _all_finite, op_of, stored_operands
from .graph import topological_order
from .mode import is_anomaly_enabled, is_grad_enabled
from .ops import AFFINE, DOT, OPS, SUM, SWAPPED, F, Op

__all__ = ["record", "Tape"]

#: Ops of the table that the engine records as they are; any other op came from ``apply``,
#: which stores ``float(out)``, so the tape does too.
_BUILTIN_OPS = frozenset([*OPS.values(), *SWAPPED.values()])

#: Python 3.12 made ``sum()`` of floats compensated (Neumaier); before, it added left to right.
#: The engine evaluates its fused nodes with ``sum()``, so the tape must add exactly as ``sum()``
#: does: with a chain of ``+`` where that is the same (and about twice as fast), else with ``sum()``.
_SUM_IS_LEFT_TO_RIGHT = sum([1e16, 1.0, -1e16], 0.0) == 0.0

#: Terms per line in a long sum: the compiler recurses on nested ``a + b + ...`` expressions.
_TERMS_PER_LINE = 64

_tape_ids = count(1)


# --- the arguments ----------------------------------------------------------------------------
# The structure of one argument: None for a number, else (container type, item structures,
# whether every item is a number).
Spec = Union[None, tuple[type, tuple[Any, ...], bool]]


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, Value))


def _not_a_number(where: str, x: Any) -> TypeError:
    hint = " (pass numbers: its .data, say)" if isinstance(x, Value) else ""
    return TypeError(f"{where} expects a number or a list/tuple of numbers, got {type(x).__name__}{hint}")


def _structure(
    x: Any, where: str, is_item: Callable[[Any], bool], found: list[tuple[str, Any]], error: Callable[[str, Any], Exception]
) -> Spec:
    """The structure of ``x``: an item (``is_item``), or nested lists/tuples of items. Appends
    each item, with its position, to ``found``; anything else raises ``error(position, it)``."""
    if is_item(x):
        found.append((where, x))
        return None
    if not isinstance(x, (list, tuple)):
        raise error(where, x)
    items = tuple(_structure(item, f"{where}[{i}]", is_item, found, error) for i, item in enumerate(x))
    return (type(x), items, all(item is None for item in items))


def _spec_of(x: Any, where: str, paths: list[str]) -> Spec:
    """The structure of the argument ``x``; appends the position of each of its numbers to ``paths``."""
    found: list[tuple[str, Any]] = []
    spec = _structure(x, where, _is_number, found, _not_a_number)
    paths.extend(position for position, _ in found)
    return spec


def _flatten(x: Any, spec: Spec, out: list[Any]) -> bool:
    """Append the numbers of ``x`` to ``out`` if ``x`` has the structure ``spec``: the fast check.

    Only the nesting is checked here (the numbers' types are checked afterwards, all at once);
    on a mismatch it returns False, and :func:`_structure_error` finds where.
    """
    if spec is None:
        out.append(x)
        return True
    if not isinstance(x, (list, tuple)) or len(x) != len(spec[1]):
        return False
    if spec[2]:  # a flat list of numbers
        out.extend(x)
        return True
    return all(_flatten(xi, si, out) for xi, si in zip(x, spec[1]))


def _structure_error(x: Any, spec: Spec, where: str) -> Exception | None:
    """What is wrong with the nesting of ``x`` against ``spec``, named by position, or None."""
    if spec is None:
        if isinstance(x, (list, tuple)):
            return ValueError(f"{where} expects a number, as recorded, got a {type(x).__name__} of {len(x)} items")
        return None
    wanted = f"a list/tuple of {len(spec[1])} items, as recorded"
    if not isinstance(x, (list, tuple)):
        if _is_number(x):
            return ValueError(f"{where} expects {wanted}, got a number")
        return _not_a_number(where, x)
    if len(x) != len(spec[1]):
        return ValueError(f"{where} expects {wanted}, got {len(x)} items")
    for i, (xi, si) in enumerate(zip(x, spec[1])):
        error = _structure_error(xi, si, f"{where}[{i}]")
        if error is not None:
            return error
    return None


def _positions(x: Any, where: str, paths: list[str]) -> None:
    """Append the position of each leaf of ``x`` (number or not) to ``paths``."""
    if isinstance(x, (list, tuple)):
        for i, item in enumerate(x):
            _positions(item, f"{where}[{i}]", paths)
    else:
        paths.append(where)


def _rebuild(spec: Spec, leaves: Iterator[Any]) -> Any:
    """The argument of structure ``spec``, its numbers taken in order from ``leaves``."""
    if spec is None:
        return next(leaves)
    return spec[0](_rebuild(s, leaves) for s in spec[1])


def _not_a_value(where: str, x: Any) -> TypeError:
    return TypeError(f"record: {where} expects a Value or a list/tuple of Values, got {type(x).__name__}")


def _value_spec(x: Any, where: str, values: list[Value]) -> Spec:
    """The structure of ``x``, a Value or nested lists/tuples of them; appends its Values to ``values``."""
    found: list[tuple[str, Any]] = []
    spec = _structure(x, where, lambda v: isinstance(v, Value), found, _not_a_value)
    values.extend(v for _, v in found)
    return spec


def _values_in(x: Any) -> list[Value]:
    """The Values of ``x`` (a Value or nested lists/tuples of them), in order."""
    found: list[Value] = []
    _value_spec(x, "extras", found)
    return found


def _argument_names(fn: Callable[..., Any], n: int) -> list[str]:
    """Names for ``fn``'s first ``n`` arguments, for messages and labels: its parameters' names
    when its signature says them, else ``args[0]``, ``args[1]``, ..."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(positional) >= n:
        return positional[:n]
    return [f"args[{i}]" for i in range(n)]


# --- writing the code -------------------------------------------------------------------------


def _literal(x: float, names: dict[str, Any]) -> str:
    """Python source for the float ``x``: a literal, or a name bound to it (inf and nan have none)."""
    if math.isfinite(x):
        text = repr(x)
        return f"({text})" if text.startswith("-") else text
    name = f"k{len(names)}"
    names[name] = x
    return name


def _sum_lines(target: str, start: str, terms: list[str]) -> list[str]:
    """Lines that set ``target`` to ``sum(terms, start)``, adding in the same order as ``sum()``."""
    if not _SUM_IS_LEFT_TO_RIGHT:
        return [f"{target} = sum(({', '.join(terms)},), {start})"]
    lines = []
    for i in range(0, max(len(terms), 1), _TERMS_PER_LINE):
        chunk = terms[i : i + _TERMS_PER_LINE]
        lines.append(f"{target} = {' + '.join([start if i == 0 else target, *chunk])}")
    return lines


def _dot_lines(target: str, start: str, left: list[str], right: list[str]) -> list[str]:
    """Lines for the engine's ``sum(map(mul, left, right), start)``."""
    if _SUM_IS_LEFT_TO_RIGHT:
        return _sum_lines(target, start, [f"{a} * {b}" for a, b in zip(left, right)])
    return [f"{target} = sum(map(mul, ({', '.join(left)},), ({', '.join(right)},)), {start})"]


class _Writer:
    """Turns the recorded graph into the source of one function, ``run(X, P, G)``.

    ``X`` holds the input numbers, ``P`` the parameters' data and ``G`` their grads (None for a
    forward pass only). Every number of the graph is a local variable: ``v7`` is the value of
    slot 7 (inputs first, then parameters, then op nodes in topological order), ``g7`` its
    gradient, ``d7_0`` its first local partial when an op formula computes it at run time.
    """

    def __init__(self, inputs: list[Value], params: list[Value], nodes: list[Value]) -> None:
        self.slot: dict[Value, int] = {}
        for v in (*inputs, *params, *nodes):
            self.slot.setdefault(v, len(self.slot))
        self.inputs, self.params, self.nodes = inputs, params, nodes
        self.names: dict[str, Any] = {"F": F, "fin": _all_finite, "mul": mul}
        self.op_names: dict[Op, str] = {}
        # Which slots lead to a parameter: only they need a gradient (not inputs, say).
        first_param = len(inputs)
        self.needs_grad = [first_param <= i < first_param + len(params) for i in range(len(self.slot))]
        for node in nodes:
            if any(self.needs_grad[self.slot[p]] for p in node.parents):
                self.needs_grad[self.slot[node]] = True

    def operand(self, x: Any) -> str:
        """An operand in the source: a slot's variable, or a constant baked in."""
        if isinstance(x, Value) and x in self.slot:
            return f"v{self.slot[x]}"
        return _literal(x.data if isinstance(x, Value) else float(x), self.names)

    def op_name(self, op: Op) -> str:
        name = self.op_names.get(op)
        if name is None:
            name = self.op_names[op] = f"op{len(self.op_names)}"
            self.names[name] = op.fn
        return name

    # Each node kind gives its forward lines, and its backward: the pushes (parent slot, the
    # source of its partial, None for a partial of exactly 1.0), the sources of all its partials
    # (for the "is any of them inf or nan?" test), and whether they are finite whatever the data.

    def node(self, node: Value) -> tuple[list[str], list[tuple[int, str | None]], list[str], bool]:
        """Forward lines, pushes, partials source, and whether the partials are surely finite."""
        out = f"v{self.slot[node]}"
        operands = stored_operands(node)
        k = len(node.local_grads)
        parents = [self.slot[p] for p in operands[:k]]
        op = op_of(node)
        if op is DOT or op is AFFINE:
            return self.fused(node, out, operands, k, parents)
        if op is SUM:
            terms = [self.operand(x) for x in operands]
            return _sum_lines(out, "0.0", terms), [(p, None) for p in parents], [], True
        # any other op: its formula from the table, on floats
        slot = self.slot[node]
        partials = [f"d{slot}_{j}" if j < k else "_" for j in range(len(operands))]
        args = ", ".join(["F", *(self.operand(x) for x in operands)])
        unpacked = f"({', '.join(partials)},)"
        lines = [f"{out}, {unpacked} = {self.op_name(op)}({args})  # {op.name}"]
        if op not in _BUILTIN_OPS:
            lines.append(f"{out} = float({out})")  # as apply() stores it
        pushes: list[tuple[int, str | None]] = [(p, partials[j]) for j, p in enumerate(parents)]
        return lines, pushes, partials[:k], False

    def fused(
        self, node: Value, out: str, operands: tuple[Any, ...], k: int, parents: list[int]
    ) -> tuple[list[str], list[tuple[int, str | None]], list[str], bool]:
        """``dot`` (operands w₁..wₙ, x₁..xₙ[, b]) and ``affine`` (w₁..wₙ[, b], c₁..cₙ): their
        partials are their operands, so nothing but the value is computed forward."""
        n = len(operands) // 2
        has_bias = len(operands) % 2 == 1
        names = [self.operand(x) for x in operands]
        if op_of(node) is DOT:
            ws, xs = names[:n], names[n : 2 * n]
            bias = names[2 * n] if has_bias else "0.0"
            partials = [*xs, *ws, "1.0"][:k]  # ∂/∂wᵢ = xᵢ, ∂/∂xᵢ = wᵢ, ∂/∂b = 1
            surely_finite = False
        else:
            ws, xs = names[:n], names[len(operands) - n :]
            bias = names[n] if has_bias else "0.0"
            coefficients = [x.data if isinstance(x, Value) else float(x) for x in operands[len(operands) - n :]]
            partials = [*xs, "1.0"][:k]
            surely_finite = _all_finite((*coefficients, *([1.0] if k > n else [])))
        pushes = [(p, None if d == "1.0" else d) for p, d in zip(parents, partials)]
        return _dot_lines(out, bias, ws, xs), pushes, partials, surely_finite

    def source(self, output: Value, extras: list[Value]) -> str:
        """The whole function. It returns ``(loss, grads or None, extras)``, each extra a value."""
        first_param = len(self.inputs)
        params = [f"v{first_param + i}" for i in range(len(self.params))]
        lines = ["def run(X, P, G):"]
        body: list[str] = []
        if self.inputs:
            body.append(f"{', '.join(f'v{i}' for i in range(len(self.inputs)))}, = X")
        if params:
            body.append(f"{', '.join(params)}, = P")
        backward: list[list[str]] = []  # one block per node, in the order backward visits them
        checked: dict[str, None] = {}  # every partial that a zero-gradient test may read
        longest = 1
        for node in self.nodes:
            forward, pushes, partials, surely_finite = self.node(node)
            body.extend(forward)
            slot = self.slot[node]
            wanted = [(p, d) for p, d in pushes if self.needs_grad[p]]
            if not wanted:
                continue
            g = f"g{slot}"
            block = [f"g{p} += {g}" if d is None else f"g{p} += {d} * {g}" for p, d in wanted]
            if surely_finite:
                backward.append([f"if {g}:", *("    " + line for line in block)])
            else:  # as Value.backward: a zero gradient pushes nothing, unless a partial is inf or nan
                checked.update(dict.fromkeys(partials))
                longest = max(longest, len(partials))
                test = f"if {g} or not finite and not fin(({', '.join(partials)},)):"
                backward.append([test, *("    " + line for line in block)])
        root = f"v{self.slot[output]}"
        reported = "(" + "".join(f"v{self.slot[e]}, " for e in extras) + ")"
        body += ["if G is None:", f"    return {root}, None, {reported}"]
        root_slot = self.slot[output]
        if self.needs_grad[root_slot]:
            if params:
                body.append(f"{', '.join('g' + p[1:] for p in params)}, = G")
            inner = [f"g{self.slot[n]}" for n in self.nodes if self.needs_grad[self.slot[n]] and n is not output]
            for i in range(0, len(inner), _TERMS_PER_LINE):
                body.append(" = ".join([*inner[i : i + _TERMS_PER_LINE], "0.0"]))
            if checked:
                # One test for the whole tape instead of one per node with a zero gradient: when
                # the |partials| add up to less than 1e300 / (the most partials of one node), no
                # node's partials hold an inf or a nan or can overflow their sum, so fin() would
                # say True for every node, and `finite` spares calling it. Otherwise each node
                # is tested as backward() does it.
                body.append(f"finite = sum(map(abs, ({', '.join(checked)},))) < {1e300 / longest!r}")
            if output.is_leaf:  # a parameter returned as it is: backward() adds 1 to its grad
                body.append(f"g{root_slot} += 1.0")
            else:
                body.append(f"g{root_slot} = 1.0")
            for block in reversed(backward):
                body.extend(block)
        body.append(f"return {root}, ({''.join('g' + p[1:] + ', ' for p in params)}), {reported}")
        return "\n".join(lines + ["    " + line for line in body]) + "\n"


# --- the tape ---------------------------------------------------------------------------------


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
    ) -> None:
        self._fn = fn
        self._names = names
        self._specs = specs
        #: The Value the recording computed, with its graph.
        self.output = output
        self._nodes = [] if output.is_leaf else topological_order(output, include_leaves=False)
        reached = [output] if output.is_leaf else [p for node in self._nodes for p in node.parents]
        is_input = set(inputs)
        self._params = tuple(dict.fromkeys(p for p in reached if p.is_leaf and p.requires_grad and p not in is_input))
        writer = _Writer(inputs, list(self._params), self._nodes)
        self._extras = extras
        reported = [] if extras is None else extras[1]
        for i, v in enumerate(reported):
            if v not in writer.slot:
                raise ValueError(
                    f"record: extra value {i} (data {v.data!r}) is not part of the loss's graph; extras must be "
                    "Values the loss was computed from, such as the model's outputs"
                )
        #: The Python source of the function a replay runs: straight-line code, one variable per number.
        self.source = writer.source(output, reported)
        self._filename = f"<tape {next(_tape_ids)} of {getattr(fn, '__qualname__', type(fn).__name__)}>"
        namespace = dict(writer.names)
        exec(compile(self.source, self._filename, "exec"), namespace)
        self._code: Callable[..., Any] = namespace["run"]

    def _run(self, xs: list[float], data: list[float], grads: list[float] | None) -> Any:
        try:
            return self._code(xs, data, grads)
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
        xs = self._inputs(args, "tape")
        if is_anomaly_enabled():
            return self._normal_path(xs, backward=True)
        params = self._params
        loss, grads, reported = self._run(xs, [p.data for p in params], [p.grad for p in params])
        for p, g in zip(params, grads):
            p.grad = g
        return self._result(loss, reported)

    def forward(self, *args: Any) -> Any:
        """Replay the forward pass only: the loss at ``args`` and the parameters' current data
        (and the extras' numbers, as :meth:`__call__`)."""
        xs = self._inputs(args, "tape.forward")
        if is_anomaly_enabled():
            return self._normal_path(xs, backward=False)
        loss, _, reported = self._run(xs, [p.data for p in self._params], None)
        return self._result(loss, reported)

    def _result(self, loss: float, reported: tuple[float, ...]) -> Any:
        """The loss, or ``(loss, extras)`` with the extras' numbers in the structure ``fn`` returned."""
        if self._extras is None:
            return loss
        return loss, _rebuild(self._extras[0], iter(reported))

    def _inputs(self, args: tuple[Any, ...], who: str) -> list[float]:
        """The numbers in ``args`` as one list of floats, after checking them against the recording."""
        specs = self._specs
        if len(args) != len(specs):
            raise TypeError(
                f"{who} expects {len(specs)} arguments ({', '.join(self._names)}), as recorded, got {len(args)}"
            )
        flat: list[Any] = []
        if all(_flatten(x, spec, flat) for x, spec in zip(args, specs)):
            kinds = set(map(type, flat))
            if kinds <= {float}:
                return flat
            if kinds <= {float, int}:
                return list(map(float, flat))
        # the slow path: a nesting that is not the recorded one, or items that are not floats
        for x, spec, name in zip(args, specs, self._names):
            error = _structure_error(x, spec, f"{who}: {name}")
            if error is not None:
                raise error
        paths: list[str] = []
        for x, name in zip(args, self._names):
            _positions(x, f"{who}: {name}", paths)
        for x, where in zip(flat, paths):
            if not _is_number(x):
                raise _not_a_number(where, x)
        return list(map(float, flat))

    def _normal_path(self, xs: list[float], backward: bool) -> Any:
        """The recorded function on input Values (and ``backward()``), as without a tape.

        It computes the same numbers as a replay as long as the function takes no decision on them.
        """
        leaves = iter([Value(x) for x in xs])
        result = self._fn(*(_rebuild(spec, leaves) for spec in self._specs))
        extras = self._extras
        out = result if extras is None else result[0]
        if backward:
            out.backward()
        if extras is None:
            return float(out.data)
        return float(out.data), _rebuild(extras[0], iter([v.data for v in _values_in(result[1])]))


def record(fn: Callable[..., Any], *args: Any) -> Tape:
    """Run ``fn(*args)`` once on the engine and keep what it did as a :class:`Tape` to replay.

    Every number in ``args`` (numbers, or nested lists and tuples of them) is turned into an
    input leaf Value before ``fn`` is called, so ``fn`` sees Values where you passed numbers.
    ``fn`` must return a Value that depends on an input or a parameter (the loss), or a pair
    ``(loss, extras)`` where ``extras`` is a Value, or a list/tuple (nested or not) of Values
    that the loss was computed from, such as the model's outputs: a replay then returns
    ``(loss, extras)`` with numbers in place of those Values. What is replayed and what is
    baked in: see the :mod:`autograd.tape` documentation.

    The tape is checked once, on the recorded numbers: its loss and gradients must equal the
    engine's (``fn``'s result, and its ``backward()``, whose effect on the parameters' ``.grad``
    is undone). A RuntimeError says if they do not, for instance when a user-defined op is not
    deterministic. Recording costs a few times a normal step, plus compiling the tape's code.

    Raises RuntimeError inside ``no_grad()``; TypeError when ``fn`` is not callable, an argument
    is not a number or a list/tuple of them, or ``fn`` does not return a Value; ValueError when
    the result does not require grad.

    >>> from autograd import Value, dot, record
    >>> w, b = [Value(0.5), Value(-1.0)], Value(0.1)
    >>> def loss_fn(x, y):                   # a neuron's squared error
    ...     return (dot(w, x, b).tanh() - y) ** 2
    >>> tape = record(loss_fn, [1.0, 2.0], 0.0)
    >>> len(tape), len(tape.parameters)      # dot, tanh, sub, pow; w₁, w₂, b
    (4, 3)
    >>> loss = tape([0.3, -0.2], 1.0)        # a new point: its loss, and gradients added into .grad
    >>> loss == loss_fn([Value(0.3), Value(-0.2)], 1.0).data
    True
    """
    if not callable(fn):
        raise TypeError(f"record: fn expects a function, got {type(fn).__name__}")
    if not is_grad_enabled():
        raise RuntimeError(
            "record: gradients are off (inside no_grad()), so there is no graph to record; call it outside no_grad()"
        )
    names = _argument_names(fn, len(args))
    paths: list[str] = []
    specs = [_spec_of(x, name, paths) for x, name in zip(args, names)]
    flat: list[Any] = []
    for x, spec in zip(args, specs):
        _flatten(x, spec, flat)
    inputs = [Value(float(x), label=where) for x, where in zip(flat, paths)]
    leaves = iter(inputs)
    try:
        output = fn(*(_rebuild(spec, leaves) for spec in specs))
    except TypeError as e:
        if "Value" not in str(e):
            raise
        raise TypeError(
            f"record: {getattr(fn, '__name__', 'fn')} raised TypeError: {e}. While recording, every number in "
            "the arguments is an input Value, so it cannot index a list or stand for an int (a class label, say): "
            "pass one-hot float targets instead, or keep such numbers out of the arguments (numbers in a closure "
            "are constants of the tape)"
        ) from e
    extras: tuple[Spec, list[Value]] | None = None
    if isinstance(output, tuple) and len(output) == 2 and isinstance(output[0], Value):
        output, reported = output
        values: list[Value] = []
        extras = (_value_spec(reported, "extras", values), values)
    if not isinstance(output, Value):
        raise TypeError(f"record: fn must return a Value, or a pair (loss Value, extras), got {type(output).__name__}")
    if not output.requires_grad:
        raise ValueError(
            "record: fn returned a Value that does not require grad (a constant): it depends on no input and "
            "no parameter, so there is nothing to replay"
        )
    tape = Tape(fn, names, specs, inputs, output, extras)
    _check_against_engine(tape, [v.data for v in inputs])
    return tape


def _same(a: float, b: float) -> bool:
    """Equal as floats, where nan equals nan and 0.0 differs from -0.0."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _check_against_engine(tape: Tape, xs: list[float]) -> None:
    """Replay on the recorded numbers; the loss and the gradients must be the engine's."""
    params = tape._params
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = 0.0
        tape.output.backward()
        expected = [p.grad for p in params]
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    loss, grads, reported = tape._run(xs, [p.data for p in params], [0.0] * len(params))
    if tape._extras is not None and not all(map(_same, reported, [v.data for v in tape._extras[1]])):
        raise RuntimeError("record: replayed on the recorded numbers, the tape's extras differ from the engine's")
    if not _same(loss, tape.output.data):
        raise RuntimeError(
            f"record: replayed on the recorded numbers, the tape computes {loss!r} where the engine computed "
            f"{tape.output.data!r}, so it cannot be trusted (a user-defined op that is not deterministic, or a "
            "fused op's node made with apply() instead of sum_values()/dot()?)"
        )
    for i, (p, g, e) in enumerate(zip(params, grads, expected)):
        if not _same(g, e):
            raise RuntimeError(
                f"record: replayed on the recorded numbers, the tape gives {g!r} for the gradient of parameter {i} "
                f"({p.label or 'no label'}) where the engine gives {e!r}, so it cannot be trusted (a user-defined "
                "op that is not deterministic?)"
            )
