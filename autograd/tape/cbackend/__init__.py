"""The C back end of a tape: ``record(fn, *args, backend="c")`` compiles the tape to C.

The Python tape already replays a training step without building a graph, but each node is
still a line of Python. Compiled to C, the same tape runs one to three orders of magnitude
faster, and computes the very same numbers: every replay gives the Python replay's loss and
gradients to the bit.

>>> from autograd import Value, record
>>> w = Value(0.5)
>>> tape = record(lambda x: (w * x - 1.0).tanh() ** 2, 2.0, backend="c")   # doctest: +SKIP
>>> tape(3.0)                                                               # doctest: +SKIP
0.1699...

How the code is made (see :mod:`.emit` and :mod:`.schedule`):

* each op's C formula is in its entry of the op table (``Op.c``), next to its Python formula,
  and has to give the same numbers, special values included (``1/0 = inf``, ``log 0 = -inf``,
  ``relu(nan) = nan``, PyTorch's conventions for ``pow``, softplus's two branches, the max
  shift of logsumexp, ...);
* the nodes are put in *levels* of independent nodes, in an order that keeps every number's
  gradient contributions in backward()'s order; each level is computed in *groups* of the same
  kind, each group by one loop over a table of positions. The fused ``dot``/``affine`` nodes
  that share a vector (a layer's rows) are one loop over a matrix. So the code grows with the
  number of groups, not with the number of nodes or weights;
* micrograd's chains of ``+`` (``sum(w*x for ...)``) are fused into one step at record time,
  in both back ends (:mod:`autograd.tape.plan`);
* compiled with ``sysconfig``'s ``CC`` (or ``$CC``), no ``-ffast-math``, ``-ffp-contract=off``,
  loaded with ctypes, cached by content in a private directory (:mod:`.build`).

Checked: when compiled, the C and the Python tapes are run on the recorded inputs and on fresh
ones, and must agree on every number (any nan counts as equal to any nan, as in the tests);
otherwise :class:`ExactnessError` names the first op that differs. A compiler error raises
:class:`CompileError` with the generated file's path. With no compiler (``CC`` names a missing
program), ``record`` warns once and returns the Python tape. A cache that cannot be trusted (a
symbolic link, another user's folder) or created raises :class:`CacheError`; a library in it is
loaded only once it has been checked (see :mod:`.build`).

What it adds to a Tape: :meth:`CTape.batch` runs a tape recorded on ONE sample over a whole
batch inside C (4 samples at a time in SIMD lanes when no parameter is pushed twice per sample,
on a second thread when it pays: :mod:`.lanes`, same numbers to the bit), and :class:`Trainer` keeps the parameters in C between steps and updates them
there with an update rule it is given (``nn.update_rules``: SGD or Adam, the arithmetic of
``nn.optim``, in C beside it), so that neither the batch size nor the
number of parameters turns into Python work.
"""

from __future__ import annotations

import warnings

from ..replay import Tape
from .build import CacheError, CompileError, CompilerNotFound, Library
from .build import build as build_library
from .ctape import CTape, ExactnessError, address_of, compile_tape, zeros
from .kernels import MissingFormula
from .trainer import Trainer, UpdateRule

__all__ = [
    "CTape",
    "compile_tape",
    "compile_or_fall_back",
    "CacheError",
    "CompileError",
    "CompilerNotFound",
    "CompilerWarning",
    "ExactnessError",
    "MissingFormula",
    "Trainer",
    "UpdateRule",
    "build_library",
    "Library",
    "address_of",
    "zeros",
]


class CompilerWarning(RuntimeWarning):
    """There is no C compiler, so a tape asked for in C replays in Python."""


def compile_or_fall_back(tape: Tape) -> Tape:
    """``tape`` compiled to C, or, when there is no C compiler, ``tape`` itself with a warning."""
    try:
        return compile_tape(tape)
    except CompilerNotFound as e:
        warnings.warn(f"record(backend='c'): {e}; the tape replays in Python instead", CompilerWarning, stacklevel=3)
        return tape
