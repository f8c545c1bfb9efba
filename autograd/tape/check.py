"""The checks a tape passes before it is trusted, and the names of its back ends.

:func:`check_against_engine` replays a freshly recorded tape on the recorded numbers and compares
its loss, gradients and extras with the engine's, float for float (:func:`same`: nan equals nan,
0.0 differs from -0.0). The C back end is checked against the Python replay the same way.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

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
