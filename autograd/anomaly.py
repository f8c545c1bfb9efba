"""``backward()`` under ``detect_anomaly()``: the readable chain rule, checking every gradient.

The nodes' own checks (an op that returns nan) are made where nodes are recorded; this is
the backward half. It runs :func:`autograd.graph.chain_rule` with a watch that stops at the
first nan, and writes no ``.grad`` until every gradient is known good.
"""

from __future__ import annotations

from typing import Any

from .graph import chain_rule, topological_order
from .mode import CREATED, AnomalyError

__all__ = ["backward_checked"]


def _number(x: Any) -> float:
    return getattr(x, "data", x)


def backward_checked(root: Any, seed: float) -> None:
    """:meth:`Value.backward` under ``detect_anomaly()``: the readable chain rule, checking every
    gradient it pushes; no ``.grad`` changes unless every one of them is free of nan."""
    order = topological_order(root)
    grads = {n: n.grad for n in order if n.is_leaf}  # leaves accumulate, as in backward()

    def check(node: Any, g: float, pushes: list[tuple[Any, float, float]]) -> None:
        where = CREATED.get(node, "an unknown place (made outside detect_anomaly())")
        inputs = ", ".join(repr(_number(a)) for a in node.operands)
        if g != g:
            raise AnomalyError(f"the gradient flowing into op '{node.op}' ({inputs}) is nan; it was made at {where}")
        for i, (_, d, _) in enumerate(pushes):
            if d * g != d * g:
                raise AnomalyError(
                    f"the backward of op '{node.op}' at inputs ({inputs}) gave a nan gradient for its "
                    f"input {i} (local gradient {d} × incoming {g}); the op was made at {where}"
                )

    chain_rule(root, seed, watch=check, grads=grads)
    for node in order:
        node.grad = grads.get(node, 0.0)
