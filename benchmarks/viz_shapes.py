"""The graphs that benchmarks/viz.py and benchmarks/viz_player.py draw: a layer, a recurrence that
reuses its inputs far apart, an attention head, a random DAG, a whole training step and a GPT step.
Each shape is made in named groups (autograd.group), as a learner's code would be."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from fixtures import moons

from autograd import Value, dot, group, sum_values
from nn import MLP, Layer, hinge_loss
from nn.gpt import GPT, VALUE_OPS, Sizes, attend


def count(root: Value) -> int:
    """How many Values ``root`` was computed from, itself included."""
    seen, stack = {root}, [root]
    while stack:
        for x in stack.pop().operands:
            if isinstance(x, Value) and x not in seen:
                seen.add(x)
                stack.append(x)
    return len(seen)


# --- shapes ----------------------------------------------------------------------------------


def layer(n: int) -> Value:
    nin = max(2, int(math.sqrt(n / 1.2)))
    nout = max(1, (n - nin) // (nin + 3))
    rng = random.Random(0)
    xs = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
    with group("layer"):
        return sum_values(Layer(nin, nout, rng=rng)(xs))


def recurrence(n: int, reused: int = 20) -> Value:
    rng = random.Random(1)
    xs = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(reused)]
    h, i = xs[0], 0
    while 3 * i + reused < n:
        i += 1
        with group(f"iterations {(i - 1) // 10 * 10 + 1}–{(i - 1) // 10 * 10 + 10}"):
            h = (h * xs[i % reused] + xs[(7 * i + 3) % reused]).tanh()
    return h


def attention(n: int, dim: int = 4) -> Value:
    rng = random.Random(2)
    t = 1
    while 3 * t * dim + sum(5 * (s + 1) + dim + 3 for s in range(t + 1)) < n:
        t += 1
    q, k, v = ([[Value(rng.uniform(-1, 1)) for _ in range(dim)] for _ in range(t)] for _ in range(3))
    outs: list[Value] = []
    for s in range(t):
        with group(f"position {s + 1}"):
            outs += attend(VALUE_OPS, q[s], k[: s + 1], v[: s + 1])[0]
    return sum_values(outs)


def random_dag(n: int) -> Value:
    rng = random.Random(3)
    vals = [Value(rng.uniform(0.5, 1.5)) for _ in range(max(4, n // 10))]
    while len(vals) < n - 1 - n // 10:
        a, b = rng.choice(vals), rng.choice(vals)
        op = rng.randrange(3)
        vals.append(a + b if op == 0 else a * b if op == 1 else (a - b).tanh())
    used = {id(x) for v in vals for x in v.operands}
    return sum_values([v for v in vals if id(v) not in used])


def training_step(n: int = 0) -> Value:
    xs, ys = moons(64)
    model = MLP(2, [16, 16, 1], seed=1)
    params = model.parameters()
    with group("step"):
        loss = hinge_loss([model(x) for x in xs], ys) + 1e-4 * dot(params, params)
    loss.backward()
    return loss


def gpt_step(n: int = 0) -> Value:
    model = GPT(Sizes(vocab=32), seed=0)
    tokens = [random.Random(4).randrange(32) for _ in range(17)]
    with group("gpt step"):
        loss = model.loss(tokens[:-1], tokens[1:])
    loss.backward()
    return loss


SHAPES: dict[str, Callable[[int], Value]] = {
    "layer": layer, "recurrence": recurrence, "attention": attention, "random": random_dag,
}  # fmt: skip
WHOLE: dict[str, Callable[[int], Value]] = {"training step": training_step, "gpt step": gpt_step}
