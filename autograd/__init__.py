"""valuegrad's autograd: a scalar reverse-mode automatic differentiation engine.

A :class:`Value` holds one number. Every op on Values records a node of a computational
graph, and :meth:`Value.backward` walks that graph backwards applying the chain rule, so that
every node gets its gradient.

>>> from autograd import Value
>>> a, b = Value(2.0), Value(-3.0)
>>> c = (a * b + 10).tanh()
>>> c.backward()
>>> round(c.data, 6), round(a.grad, 6), round(b.grad, 6)
(0.999329, -0.004023, 0.002682)

autograd's public API is what this package exports (``__all__``), and the names in ``__all__``
of its documented modules: :mod:`autograd.tape` and :mod:`autograd.tape.cbackend` (recording,
replaying, compiling to C, training in C), :mod:`autograd.viz` (drawing and the backprop player),
:mod:`autograd.groups` (which group made a Value), :mod:`autograd.fileio` (atomic writes, guarded
reads) and :mod:`autograd.ops` (the op table). ``nn`` is built on these alone (a test checks it).

The same ``import autograd`` name is used by the unrelated HIPS ``autograd`` package: install
the two in separate environments.
"""

from .engine import Value
from .functional import grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .groups import group, group_of
from .guard import GuardError
from .mode import (
    AnomalyError,
    detect_anomaly,
    enable_grad,
    gc_paused,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
)
from .nary import apply, dot, logsumexp, matvec, sum_values, take
from .tape import Tape, compiled, record

__version__ = "0.1.0"

__all__ = [
    "Value",
    "dot",
    "matvec",
    "sum_values",
    "logsumexp",
    "apply",
    "take",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "is_anomaly_enabled",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "detect_anomaly",
    "gc_paused",
    "AnomalyError",
    "record",
    "Tape",
    "group",
    "group_of",
    "GuardError",
    "compiled",
]
