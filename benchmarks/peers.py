"""The same work written for each engine: valuegrad, micrograd and plain floats here, PyTorch (two ways) in
:mod:`torch_peers`.

Each engine is a class with the same four methods, one per workload:

* ``hinge_step(weights, xs, ys)`` -> a function doing one training step of micrograd's demo
  (forward, hinge loss + L2, backward, SGD update) that returns the loss;
* ``digits_epoch(weights, xs, ys, batch)`` -> a function doing one epoch of minibatch SGD
  with cross-entropy that returns the mean loss;
* ``chain(n)`` builds ``y ← y·a + b`` for ``n`` ops, backpropagates, and returns dy/da;
* ``build_chain(kind, n)`` builds ``n`` ops of one kind and returns the graph, kept alive.

An engine that cannot do a workload raises :class:`NotApplicable` with the reason, which
becomes the text of its row in the table.
"""

from __future__ import annotations

import gc
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from operator import mul
from typing import Any

from fixtures import Weights, batches, flat

from autograd import Value, dot, record

#: The L2 penalty and the learning rate of the hinge-loss step, as in micrograd's demo.
ALPHA = 1e-4
LR = 0.05
#: The learning rate of the digits epoch.
DIGITS_LR = 0.1


@dataclass
class Task:
    """Work to time: ``run()`` does it once and returns its loss; ``reset()`` (untimed) puts the
    starting weights back, so that every timed run does exactly the same work."""

    run: Callable[[], float]
    reset: Callable[[], None]
    #: Seconds of untimed work done once before the runs (recording a tape), if any.
    setup_seconds: float | None = None


def chain(y: Any, x: Any, kind: str, n: int) -> Any:
    """Record n ops on any engine's scalars: ``y ← y + x``, ``y ← y · x`` or ``y ← tanh y``."""
    if kind == "add":
        for _ in range(n):
            y = y + x
    elif kind == "mul":
        for _ in range(n):
            y = y * x
    elif kind == "tanh":
        for _ in range(n):
            y = y.tanh()
    else:
        raise ValueError(f"build_chain: kind must be add, mul or tanh, got {kind!r}")
    return y


def _no_reset() -> None:
    return None


def resetter(params: list[Any], weights: Weights) -> Callable[[], None]:
    """Set each of ``params`` (objects with a ``.data`` float) back to its starting value."""
    start = flat(weights)

    def reset() -> None:
        for p, v in zip(params, start):
            p.data = v

    return reset


class NotApplicable(Exception):
    """This engine cannot do this workload; the message says why."""


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


# --- valuegrad -------------------------------------------------------------------------------


def valuegrad_mlp(weights: Weights) -> Any:
    """``nn.MLP`` (fused ``dot`` neurons, ReLU hidden layers, a linear last layer) set to ``weights``."""
    from nn import MLP

    model = MLP(len(weights[0][0][0]), [len(layer) for layer in weights])
    for p, v in zip(model.parameters(), flat(weights)):
        p.data = v
    return model


class Valuegrad:
    """valuegrad as a user writes it: ``nn.MLP``, ``nn.hinge_loss``/``nn.cross_entropy``, ``nn.SGD``."""

    name = "valuegrad"

    def missing(self) -> str | None:
        return None

    def hinge_step(self, weights: Weights, xs: list[list[float]], ys: list[float]) -> Task:
        from nn import SGD, hinge_loss

        model = valuegrad_mlp(weights)
        params = model.parameters()
        optimizer = SGD(params, lr=LR)

        def step() -> float:
            scores = [model(x) for x in xs]
            # Σ p² as one fused node: dot(params, params)
            total = hinge_loss(scores, ys) + ALPHA * dot(params, params)
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
            return total.data

        return Task(step, resetter(params, weights))

    def digits_epoch(self, weights: Weights, xs: list[list[float]], ys: list[int], batch: int) -> Task:
        from nn import SGD, cross_entropy

        model = valuegrad_mlp(weights)
        params = model.parameters()
        optimizer = SGD(params, lr=DIGITS_LR)

        def epoch() -> float:
            total = 0.0
            for rows in batches(len(xs), batch):
                loss = cross_entropy([model(xs[i]) for i in rows], [ys[i] for i in rows])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.data * len(rows)
            return total / len(xs)

        return Task(epoch, resetter(params, weights))

    def chain(self, n: int) -> float:
        a, b = Value(1.0), Value(0.5)
        y = b
        for _ in range(n // 2):
            y = y * a + b
        y.backward()
        return a.grad

    def build_chain(self, kind: str, n: int) -> Any:
        return chain(Value(0.5), Value(1.0), kind, n)


class ValuegradReplay:
    """valuegrad with the step recorded once (``autograd.record``, untimed) and replayed: no Values built."""

    name = "valuegrad replay"

    def missing(self) -> str | None:
        return None

    def hinge_step(self, weights: Weights, xs: list[list[float]], ys: list[float]) -> Task:
        from nn import SGD, hinge_loss

        model = valuegrad_mlp(weights)
        params = model.parameters()
        optimizer = SGD(params, lr=LR)

        def loss_fn(points: list[list[Any]], labels: list[Any]) -> Any:
            # the valuegrad row's loss, with the data as the tape's inputs
            return hinge_loss([model(x) for x in points], labels) + ALPHA * dot(params, params)

        start = time.perf_counter()
        tape = record(loss_fn, xs, ys)
        recording = time.perf_counter() - start

        def step() -> float:
            optimizer.zero_grad()
            loss = tape(xs, ys)
            optimizer.step()
            return loss

        return Task(step, resetter(params, weights), recording)

    def digits_epoch(self, weights: Weights, xs: list[list[float]], ys: list[int], batch: int) -> Task:
        from nn import SGD, cross_entropy

        model = valuegrad_mlp(weights)
        params = model.parameters()
        optimizer = SGD(params, lr=DIGITS_LR)
        classes = len(weights[-1])
        onehot = [[float(j == y) for j in range(classes)] for y in ys]

        def loss_fn(rows: list[list[Any]], targets: list[list[Any]]) -> Any:
            # the valuegrad row's nn.cross_entropy, with one-hot float targets: a class index cannot be
            # an input of a tape, a probability vector can. Its max shift is inside the logsumexp op,
            # so every replay shifts by its own batch's largest logit.
            return cross_entropy([model(x) for x in rows], targets)

        chosen = batches(len(xs), batch)
        tapes: dict[int, Any] = {}  # one tape per batch size: the last batch may be smaller
        start = time.perf_counter()
        for rows in chosen:
            if len(rows) not in tapes:
                tapes[len(rows)] = record(loss_fn, [xs[i] for i in rows], [onehot[i] for i in rows])
        recording = time.perf_counter() - start

        def epoch() -> float:
            total = 0.0
            for rows in chosen:
                optimizer.zero_grad()
                loss = tapes[len(rows)]([xs[i] for i in rows], [onehot[i] for i in rows])
                optimizer.step()
                total += loss * len(rows)
            return total / len(xs)

        return Task(epoch, resetter(params, weights), recording)


# --- micrograd 0.1.0 -------------------------------------------------------------------------


class Micrograd:
    """Karpathy's micrograd exactly as published: its own Value and MLP, and its demo's loss."""

    name = "micrograd 0.1.0"

    def missing(self) -> str | None:
        try:
            import micrograd  # noqa: F401
        except ImportError:
            return "not installed (pip install micrograd==0.1.0 to compare)"
        return None

    def _model(self, weights: Weights) -> Any:
        from micrograd.nn import MLP

        model = MLP(len(weights[0][0][0]), [len(layer) for layer in weights])
        for p, v in zip(model.parameters(), flat(weights)):
            p.data = v
        return model

    def hinge_step(self, weights: Weights, xs: list[list[float]], ys: list[float]) -> Task:
        from micrograd.engine import Value as MValue

        model = self._model(weights)

        def step() -> float:
            # the loss of micrograd's demo.ipynb, line for line
            inputs = [list(map(MValue, xrow)) for xrow in xs]
            scores = list(map(model, inputs))
            losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(ys, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            reg_loss = ALPHA * sum(p * p for p in model.parameters())
            total_loss = data_loss + reg_loss
            model.zero_grad()
            total_loss.backward()
            for p in model.parameters():
                p.data -= LR * p.grad
            return float(total_loss.data)

        return Task(step, resetter(model.parameters(), weights))

    def digits_epoch(self, weights: Weights, xs: list[list[float]], ys: list[int], batch: int) -> Task:
        raise NotApplicable("n/a: micrograd 0.1.0 has no exp or log, so no cross-entropy")

    def chain(self, n: int) -> float:
        from micrograd.engine import Value as MValue

        a, b = MValue(1.0), MValue(0.5)
        y = b
        for _ in range(n // 2):
            y = y * a + b
        y.backward()
        return float(a.grad)

    def build_chain(self, kind: str, n: int) -> Any:
        from micrograd.engine import Value as MValue

        if kind == "tanh":
            raise NotApplicable("n/a: micrograd 0.1.0 has no tanh")
        return chain(MValue(0.5), MValue(1.0), kind, n)


class MicrogradBest(Micrograd):
    """micrograd at its best: CPython's cyclic collector is off during its step, and the step's
    garbage (every micrograd node is in a reference cycle through its _backward closure) is
    collected afterwards, untimed (measure() collects before each timed run). Plain
    :class:`Micrograd` is micrograd as users run it, the collector on."""

    name = "micrograd 0.1.0, collector off"

    def hinge_step(self, weights: Weights, xs: list[list[float]], ys: list[float]) -> Task:
        task = super().hinge_step(weights, xs, ys)
        inner = task.run

        def step() -> float:
            gc.disable()
            try:
                return inner()
            finally:
                gc.enable()

        return Task(step, task.reset)


def float_forward(weights: Weights, x: list[float]) -> list[float]:
    """The MLP's forward pass on plain floats: Σ wᵢxᵢ + b per neuron, ReLU but on the last layer."""
    last = len(weights) - 1
    for i, layer in enumerate(weights):
        if i < last:
            x = [_relu(sum(map(mul, ws, x), b)) for ws, b in layer]
        else:
            x = [sum(map(mul, ws, x), b) for ws, b in layer]
    return x


class PlainFloats:
    """The forward pass alone on Python floats: no graph, no gradients. The floor for pure Python."""

    name = "plain floats, forward only"

    def missing(self) -> str | None:
        return None

    def hinge_step(self, weights: Weights, xs: list[list[float]], ys: list[float]) -> Task:
        params = flat(weights)

        def step() -> float:
            scores = [float_forward(weights, x)[0] for x in xs]
            data_loss = sum(_relu(1.0 - y * s) for y, s in zip(ys, scores)) / len(xs)
            return data_loss + ALPHA * sum(map(mul, params, params))

        return Task(step, _no_reset)

    def digits_epoch(self, weights: Weights, xs: list[list[float]], ys: list[int], batch: int) -> Task:
        def cross_entropy(logits: list[float], target: int) -> float:
            m = max(logits)
            return math.log(sum(math.exp(z - m) for z in logits)) + m - logits[target]

        def epoch() -> float:
            # forward only: the losses of the starting weights, the forward work of one epoch
            return sum(cross_entropy(float_forward(weights, x), y) for x, y in zip(xs, ys)) / len(xs)

        return Task(epoch, _no_reset)

    def chain(self, n: int) -> float:
        a, b = 1.0, 0.5
        y = b
        for _ in range(n // 2):
            y = y * a + b
        return y

    def build_chain(self, kind: str, n: int) -> Any:
        raise NotApplicable("n/a: keeps no graph")
