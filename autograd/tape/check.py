"""The checks a tape passes before it is trusted, and the names of its back ends.

:func:`check_against_engine` replays a freshly recorded tape on the recorded numbers and compares
its loss, gradients and extras with the engine's, float for float (:func:`same`: nan equals nan,
0.0 differs from -0.0). The C back end is checked against the Python replay the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..engine import Value

if TYPE_CHECKING:
    from .replay import Tape

#: The back ends a tape can replay on.
BACKENDS = ("python", "c")


def check_backend(backend: Any, who: str) -> str:
    """``backend`` if it names a back end, else a TypeError or ValueError saying what was wanted."""
    if not isinstance(backend, str):
        raise TypeError(f"{who}: backend expects 'python' or 'c', got {type(backend).__name__}")
    if backend not in BACKENDS:
        raise ValueError(f"{who}: backend expects 'python' or 'c', got {backend!r}")
    return backend


def check_compile_options(max_tapes: Any, params: Any, rule: Any) -> None:
    """The options of :func:`~autograd.compiled`, checked before anything is made: ``max_tapes`` an
    int of at least 1, ``params`` a list of distinct Values, ``rule`` an update rule (``check(n)``
    and ``apply(data, grads, n)``, checked for ``len(params)``) that comes with ``params``."""
    if isinstance(max_tapes, bool) or not isinstance(max_tapes, int) or max_tapes < 1:
        raise ValueError(f"compiled: max_tapes expects an int of at least 1, got {max_tapes!r}")
    if rule is not None:
        if params is None:
            raise ValueError("compiled: rule= updates params=: give both, or neither")
        if not (callable(getattr(rule, "check", None)) and callable(getattr(rule, "apply", None))):
            raise TypeError(
                f"compiled: rule expects an update rule with check(n) and apply(data, grads, n) "
                f"(nn.update_rules.SGDRule or AdamRule), got {type(rule).__name__}"
            )
    if params is not None:
        if isinstance(params, (str, bytes)) or not isinstance(params, Sequence):
            raise TypeError(f"compiled: params expects a list of Values, got {type(params).__name__}")
        for i, p in enumerate(params):
            if not isinstance(p, Value):
                raise TypeError(f"compiled: params[{i}] expects a Value, got {type(p).__name__}")
        if len(set(params)) != len(params):
            raise ValueError("compiled: params holds a Value twice")
        if rule is not None:
            rule.check(len(params))


def same(a: float, b: float) -> bool:
    """Equal as floats, where nan equals nan and 0.0 differs from -0.0."""
    if a != a or b != b:
        return a != a and b != b
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def check_against_engine(tape: Tape, xs: list[float], seeded: bool = False) -> None:
    """Replay on the recorded numbers; the loss and the gradients must be the engine's. ``seeded``
    checks the seeded Python code (the one a C tape is checked against) instead of the plain one."""
    params = tape.parameters
    saved = [p.grad for p in params]
    try:
        for p in params:
            p.grad = 0.0
        tape.output.backward()
        expected = [p.grad for p in params]
    finally:
        for p, g in zip(params, saved):
            p.grad = g
    data, zeros = [p.data for p in params], [0.0] * len(params)
    loss, grads, reported = tape.python_replay(True)(xs, data, zeros, 1.0) if seeded else tape.run_numbers(xs, data, zeros)
    if tape.extras is not None and not all(map(same, reported, [v.data for v in tape.extras[1]])):
        raise RuntimeError("record: replayed on the recorded numbers, the tape's extras differ from the engine's")
    if not same(loss, tape.output.data):
        raise RuntimeError(
            f"record: replayed on the recorded numbers, the tape computes {loss!r} where the engine computed "
            f"{tape.output.data!r}, so it cannot be trusted (a user-defined op that is not deterministic, or a "
            "fused op's node made with apply() instead of sum_values()/dot()?)"
        )
    for i, (p, g, e) in enumerate(zip(params, grads, expected)):
        if not same(g, e):
            raise RuntimeError(
                f"record: replayed on the recorded numbers, the tape gives {g!r} for the gradient of parameter {i} "
                f"({p.label or 'no label'}) where the engine gives {e!r}, so it cannot be trusted (a user-defined "
                "op that is not deterministic?)"
            )
