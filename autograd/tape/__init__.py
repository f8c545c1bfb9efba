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
for any numbers, because they are ops. A Python ``if`` is decided once, so the tape
**guards** it (:mod:`autograd.guard`)::

    def loss_fn(x):
        if x > 0:              # noted while recording, with this line
            return x * w
        return -x * w

    tape = record(loss_fn, 2.0)   # took the first branch
    tape(-3.0)                    # GuardError: the decision at ...:2 (x > y) went the other way

Every decision taken on a Value through the Value is guarded: comparisons (and so ``max`` and
``min``), ``bool``, ``int``, ``float``, ``round``, indexing with it, and ``format``. Every replay
checks them, in Python and in C, before it gives a number, and raises :class:`GuardError`
naming the line if one goes the other way (no ``.grad`` changes). :func:`compiled` records again
by itself. **Not guarded**: a number read off ``.data`` is a plain float, out of the tape's
sight, so ``if x.data > 0:`` is baked in silently. Compare the Value, or better write
``abs(x) * w``: ``abs`` is an op, right for every ``x`` with no guard and no second tape. (This
is why the overflow guard of ``autograd.logsumexp``, subtracting the largest value before taking
exps, is inside that op's formula: a replay picks the new maximum every time, so ``nn.softmax``
and ``nn.cross_entropy`` replay correctly for any logits.)

Integers are numbers like floats: a token in the arguments becomes an input Value. Indexing a
list with it is a guarded decision (one tape per token); :func:`autograd.take` makes the
lookup an op whose index the tape reads on every replay, so one tape serves every token.

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

Two back ends write the same plan (:mod:`autograd.tape.plan`: the graph as numbered slots and
steps, with micrograd's chains of ``+`` fused into one step): Python code
(:mod:`autograd.tape.codegen`), and, with ``record(..., backend="c")``, C compiled and loaded
at once (:mod:`autograd.tape.cbackend`), which computes the Python replay's numbers to the bit,
ten to a thousand times faster. :meth:`Tape.batch` runs a tape recorded on one sample over a
whole batch, adding every sample's gradients: the code then does not grow with the batch.
"""

from ..guard import GuardError
from .cache import Compiled, CompileWarning, compiled
from .check import check_backend
from .record import record
from .replay import Tape

__all__ = ["record", "Tape", "compiled", "Compiled", "CompileWarning", "GuardError", "check_backend"]
