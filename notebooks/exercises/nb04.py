"""Checks for notebook 04 (training): sum against mean, momentum, minibatches, the stable step, AdamW."""

from __future__ import annotations

import math
import random

from autograd import Value
from nn import SGD, Adam

from . import Wrong, as_function, as_number, as_sequence, close, exercise, present


@exercise(
    "04.1",
    "the learning rate for a summed loss",
    "The sum over n points is n times the mean, so its gradient is n times larger; the step η·gradient must stay "
    "the same.",
)
def _(answer):
    close(answer, 1.0 / 120, "your learning rate", rel=1e-9, abs_=0.0)


def _quadratic_loss(params: list[Value], step: int) -> Value:
    """A loss whose gradients change with the parameters and the step, so that a velocity matters."""
    a, b, c = params
    return (a - 1.5) ** 2 + 3 * (b + 0.5 * a) ** 2 + (c * b - 0.2 * step) ** 2


@exercise(
    "04.2",
    "momentum by hand",
    "Loop over the parameters with their velocities: v = mu·v + p.grad, then p.data -= lr·v; return the list of "
    "the new v.",
)
def _(answer):
    fn = as_function(answer, "momentum_step")
    start = [0.4, -1.0, 0.7]
    mine, ref = [Value(x) for x in start], [Value(x) for x in start]
    opt = SGD(ref, lr=0.05, momentum=0.9)
    velocities = [0.0, 0.0, 0.0]
    expected = [0.0, 0.0, 0.0]   # v = mu·v + g, kept from the reference's gradients
    for step in range(6):
        for params in (mine, ref):
            for p in params:
                p.grad = 0.0
            _quadratic_loss(params, step).backward()
        expected = [0.9 * v + q.grad for v, q in zip(expected, ref)]
        result = fn(mine, list(velocities), 0.05, 0.9)
        present(result, "momentum_step's result")
        velocities = [as_number(v, "each velocity") for v in as_sequence(result, 3, "the velocities momentum_step returns")]
        opt.step()
        for i, (p, q) in enumerate(zip(mine, ref)):
            if not math.isclose(p.data, q.data, rel_tol=1e-12, abs_tol=1e-14):
                raise Wrong(f"after step {step + 1}, parameter {i} is {p.data:.10g}, but SGD(momentum=0.9) gives {q.data:.10g}")
        for i, (v, want) in enumerate(zip(velocities, expected)):
            if not math.isclose(v, want, rel_tol=1e-12, abs_tol=1e-14):
                raise Wrong(f"after step {step + 1} the parameters are right, but the velocity {i} you return is "
                            f"{v:.10g}: return the new velocities, since the next call starts from them")
    # The velocities passed in must be the ones used: start one parameter moving, and see it keep going.
    moving = [Value(0.0)]
    moving[0].grad = 0.0
    result = fn(moving, [2.0], 0.5, 0.9)
    if not math.isclose(moving[0].data, -0.9, rel_tol=1e-12):
        raise Wrong("with a gradient of 0 and a velocity of 2.0 passed in, the parameter should still move (by "
                    f"lr·mu·v); it moved to {moving[0].data:.6g}: use the velocities you are given")


@exercise(
    "04.3",
    "steps per epoch",
    "Minibatches of 32 cover the 120 points in order: how many full batches fit, and what is left for the last one? "
    "The leftover points still make a step of their own.",
)
def _(answer):
    steps, last = as_sequence(answer, 2, "your (steps, last_batch_size)")
    n, size = 120, 32   # the answer (4, 24): two different numbers, so that swapping them is wrong too
    want_steps = -(-n // size)
    want_last = n - size * (want_steps - 1)
    if as_number(steps, "steps") != want_steps:
        raise Wrong(f"{steps} steps per epoch is not right")
    if as_number(last, "last_batch_size") != want_last:
        raise Wrong(f"a last batch of {last} points is not right")


@exercise(
    "04.4",
    "the largest stable learning rate",
    "Gradient descent on a quadratic diverges when η·λ_max > 2, with λ_max the Hessian's largest eigenvalue. For a "
    "symmetric 2×2 matrix the eigenvalues are tr/2 ± √(tr²/4 − det).",
)
def _(answer):
    fn = as_function(answer, "largest_stable_lr")
    rng = random.Random(4)
    for n in (5, 20, 50):
        xs = [rng.uniform(-1.0, 3.0) for _ in range(n)]
        mx, mxx = sum(xs) / n, sum(x * x for x in xs) / n
        hessian = [[2 * mxx, 2 * mx], [2 * mx, 2.0]]
        # the largest eigenvalue by power iteration, a method the learner is not expected to use
        vec = [1.0, 0.3]
        for _ in range(500):
            vec = [hessian[0][0] * vec[0] + hessian[0][1] * vec[1], hessian[1][0] * vec[0] + hessian[1][1] * vec[1]]
            size = math.hypot(*vec)
            vec = [v / size for v in vec]
        lam = vec[0] * (hessian[0][0] * vec[0] + hessian[0][1] * vec[1]) + vec[1] * (hessian[1][0] * vec[0] + hessian[1][1] * vec[1])
        close(fn(xs), 2 / lam, f"largest_stable_lr for {n} inputs", rel=1e-9)


@exercise(
    "04.5",
    "AdamW by hand",
    "First p = p·(1 − lr·wd); then m and v from the plain gradient g, the two bias corrections with t, and the "
    "Adam step p − lr·m̂/(√v̂ + eps). Return all three.",
)
def _(answer):
    fn = as_function(answer, "adamw_step")
    w = Value(0.8)
    opt = Adam([w], lr=0.05, weight_decay=0.1, decoupled=True)
    p, m, v = 0.8, 0.0, 0.0
    for t in range(1, 9):
        w.grad = 0.0
        (w * w * w - 2 * w + (w * 3).sin()).backward()
        result = fn(p, w.grad, m, v, t, 0.05, 0.1)
        present(result, f"adamw_step at step {t}")
        p, m, v = (as_number(x, f"adamw_step's result at step {t}") for x in as_sequence(result, 3, f"adamw_step at step {t}"))
        opt.step()
        if not math.isclose(p, w.data, rel_tol=1e-12, abs_tol=1e-14):
            raise Wrong(f"after step {t} the parameter is {p:.12g}, but nn.Adam(decoupled=True) gives {w.data:.12g}")
