"""``record``: run a function once on the engine and keep what it did as a tape, replayed in Python
(:class:`~autograd.tape.replay.Tape`) or compiled to C (:mod:`autograd.tape.cbackend`).

This is the one module that knows both back ends; each of them knows only the tape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..engine import Value
from ..guard import recording_decisions
from ..mode import is_grad_enabled
from .args import Spec, argument_names, flatten, rebuild, spec_of, value_spec
from .cbackend import compile_or_fall_back
from .check import check_against_engine, check_backend
from .replay import Tape

__all__ = ["record"]


def record(fn: Callable[..., Any], *args: Any, backend: str = "python") -> Tape:
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

    ``backend="c"`` compiles the tape to C (:mod:`autograd.tape.cbackend`): the same numbers to
    the bit, checked when it is compiled, many times faster; it needs a C compiler, and without
    one it warns once and returns the Python tape.

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
    check_backend(backend, "record")
    if not is_grad_enabled():
        raise RuntimeError(
            "record: gradients are off (inside no_grad()), so there is no graph to record; call it outside no_grad()"
        )
    names = argument_names(fn, len(args))
    paths: list[str] = []
    specs = [spec_of(x, name, paths) for x, name in zip(args, names)]
    flat: list[Any] = []
    for x, spec in zip(args, specs):
        flatten(x, spec, flat)
    inputs = [Value(float(x), label=where) for x, where in zip(flat, paths)]
    leaves = iter(inputs)
    try:
        with recording_decisions() as decisions:
            output = fn(*(rebuild(spec, leaves) for spec in specs))
    except TypeError as e:
        if "Value" not in str(e):
            raise
        raise TypeError(
            f"record: {getattr(fn, '__name__', 'fn')} raised TypeError: {e}. While recording, every number in "
            "the arguments is an input Value: it indexes a list only when it holds an integer (and the tape then "
            "keeps that index, guarded: autograd.take makes the index an input of the tape), and code that wants "
            "a Python int may refuse it (a class label, say): pass one-hot float targets instead, or keep such "
            "numbers out of the arguments (numbers in a closure are constants of the tape)"
        ) from e
    extras: tuple[Spec, list[Value]] | None = None
    if isinstance(output, tuple) and len(output) == 2 and isinstance(output[0], Value):
        output, reported = output
        values: list[Value] = []
        extras = (value_spec(reported, "extras", values), values)
    if not isinstance(output, Value):
        raise TypeError(f"record: fn must return a Value, or a pair (loss Value, extras), got {type(output).__name__}")
    if not output.requires_grad:
        raise ValueError(
            "record: fn returned a Value that does not require grad (a constant): it depends on no input and "
            "no parameter, so there is nothing to replay"
        )
    tape = Tape(fn, names, specs, inputs, output, extras, compiler=compile_or_fall_back, decisions=decisions)
    check_against_engine(tape, [v.data for v in inputs], seeded=backend == "c")
    if backend == "c":
        return compile_or_fall_back(tape)
    return tape
