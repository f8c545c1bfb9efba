"""``grad``: derivatives as values, without touching any ``.grad``; and higher order with
``create_graph=True``. Both run the readable chain rule, :func:`autograd.graph.chain_rule`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from .engine import Value
from .graph import NO_NODE_ZERO, chain_rule
from .nary import symbolic_partials

__all__ = ["grad"]


Inputs = Union[Value, Sequence[Value]]


def grad(output: Value, inputs: Inputs, create_graph: bool = False) -> tuple[Value, ...]:
    """The derivatives d output / d input for each input, as a tuple of Values.

    Unlike :meth:`Value.backward` it leaves every ``.grad`` untouched. An input that
    ``output`` does not depend on gets 0. With ``create_graph=True`` the results are
    themselves graph nodes, so they can be differentiated again: second and higher
    derivatives, Newton's method, gradient penalties.

    >>> from autograd import Value, grad
    >>> x = Value(2.0)
    >>> (dy,) = grad(x**3, x, create_graph=True)     # 3x² = 12
    >>> (d2y,) = grad(dy, x)                          # 6x  = 12
    >>> dy.data, d2y.data
    (12.0, 12.0)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output expects a Value, got {type(output).__name__}")
    xs = (inputs,) if isinstance(inputs, Value) else tuple(inputs)
    for i, x in enumerate(xs):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] expects a Value, got {type(x).__name__}")
    if create_graph:  # the partials as Values, from the op table's formulas: differentiable again
        grads = chain_rule(output, Value(1.0, requires_grad=False), symbolic_partials, NO_NODE_ZERO)
    else:
        grads = chain_rule(output)
    result = []
    for x in xs:
        g = grads.get(x, 0.0)
        result.append(g if isinstance(g, Value) else Value(g, requires_grad=False))
    return tuple(result)
