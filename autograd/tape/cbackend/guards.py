"""The guards of a tape in C: one generated function that checks the recording's decisions.

::

    static long vg_guards(const double *v, long stride);

returns the index of the first guard (in :attr:`Plan.guards` order) that goes the other way on
the numbers in ``v``, or -1 when all hold. Constants are written in the code as exact literals;
the number at position ``k`` (an input, a parameter, a node) is read at ``v[k * stride]``: a
stride of 1 for one sample's array, another for numbers laid out sample by sample in lanes (the
caller offsets ``v`` to its sample). The drivers of ``runtime.h`` call it after the forward pass
and before anything is backpropagated or returned: a replay whose guards fail gives no number.

Each guard is one comparison of two doubles, as Python compares floats (IEEE: any comparison
with nan is false but ``!=``); ``same`` is the very same float, any nan equal to any nan and
0.0 unequal to -0.0, as :func:`autograd.guard.same`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ..plan import Guard, Operand

__all__ = ["guard_source", "scratch_needed"]

_C_OPS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}


def _test(g: Guard, read: Callable[[Operand], str]) -> str:
    a, b = read(g.left), read(g.right)
    if g.op == "same":
        test = f"vg_same({a}, {b})"
    elif g.op == "index":
        test = f"({a} >= -{b} && {a} < {b} && {a} == trunc({a}))"
    else:
        test = f"({a} {_C_OPS[g.op]} {b})"
    return test if g.outcome else f"!{test}"


def guard_source(guards: Sequence[Guard], position: Callable[[int], int]) -> str:
    """The C source of ``vg_guards`` for ``guards``; ``position(slot)`` is where the C code keeps
    a slot's number."""

    def read(x: Operand) -> str:
        if isinstance(x, int):
            return f"v[(long){position(x)} * stride]"
        return _literal(x)

    lines = [
        "/* The decisions the recording took on its numbers: the index of the first that goes the other way, or -1. */",
        "static long vg_guards(const double *v, long stride) {",
        "    (void)v; (void)stride;",
    ]
    for i, g in enumerate(guards):
        lines.append(f"    if (!{_test(g, read)}) return {i};  /* {_where(g)} */")
    lines += ["    return -1;", "}", ""]
    return "\n".join(lines)


def _literal(x: float) -> str:
    """``x`` as an exact C literal (hexadecimal: no rounding on the way)."""
    if x != x:
        return "NAN"
    if x in (float("inf"), float("-inf")):
        return "INFINITY" if x > 0 else "(-INFINITY)"
    return f"({x.hex()})"


def scratch_needed(n_guards: int, n_params: int) -> int:
    """The doubles of scratch space the drivers need for guards: the parameters' gradients saved
    before a batch (restored if a sample's guards fail) and two for the failing guard and sample."""
    return n_params + 2 if n_guards else 0


def _where(g: Guard) -> str:
    text = f"{g.decision.what} at {g.decision.where}"
    return "".join(ch if ch.isprintable() else "?" for ch in text).replace("*/", "* /")
