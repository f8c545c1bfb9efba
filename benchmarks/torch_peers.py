"""PyTorch written the same way as the other engines of :mod:`peers` (see its docstring for the
four methods): a scalar graph of 0-d tensors, as valuegrad builds one, and the vectorised
``nn.Sequential`` of ``nn.Linear`` that a user graduates to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fixtures import Weights, batches, flat
from peers import ALPHA, DIGITS_LR, LR, NotApplicable, Task, chain


def torch_or_none() -> Any:
    """The torch module, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    return torch


class TorchEngine:
    """What the PyTorch engines share: the torch module, or the reason it is missing."""

    def __init__(self) -> None:
        self.torch = torch_or_none()

    def missing(self) -> str | None:
        return None if self.torch is not None else "not installed (pip install torch==2.13.0 to compare)"


def sgd_step(t: Any, loss: Any, params: list[Any], lr: float) -> None:
    """Backpropagate ``loss`` into ``params`` (0-d tensors), their grads zeroed first, and step them by ``lr``."""
    for p in params:
        p.grad = None
    loss.backward()
    with t.no_grad():
        for p in params:
            p -= lr * p.grad


def sgd_epoch(model: Any, optimizer: Any, x: Any, y: Any, chosen: list[range]) -> float:
    """One epoch of minibatch SGD with cross-entropy on the tensors ``x``, ``y``, in the
    minibatches ``chosen``; the mean loss."""
    import torch

    total = 0.0
    for rows in chosen:
        loss = torch.nn.functional.cross_entropy(model(x[rows.start : rows.stop]), y[rows.start : rows.stop])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += float(loss.item()) * len(rows)
    return total / len(x)


class TorchScalar(TorchEngine):
    """PyTorch building the same scalar graph as valuegrad, one 0-d float64 tensor per number."""

    name = "PyTorch 0-d tensors"

    def _params(self, weights: Weights) -> list[tuple[list[Any], Any]]:
        t = self.torch
        return [
            [([t.tensor(w, dtype=t.float64, requires_grad=True) for w in ws], t.tensor(b, dtype=t.float64, requires_grad=True)) for ws, b in layer]
            for layer in weights
        ]

    def _resetter(self, params: list[Any], weights: Weights) -> Callable[[], None]:
        start = flat(weights)

        def reset() -> None:
            with self.torch.no_grad():
                for p, v in zip(params, start):
                    p.fill_(v)

        return reset

    @staticmethod
    def _forward(layers: list[Any], x: list[Any]) -> list[Any]:
        last = len(layers) - 1
        for i, layer in enumerate(layers):
            acts = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            x = [a.relu() for a in acts] if i < last else acts
        return x

    def hinge_step(self, weights: Weights, xs: list[list[float]], ys: list[float]) -> Task:
        t = self.torch
        layers = self._params(weights)
        params = [p for layer in layers for ws, b in layer for p in (*ws, b)]

        def step() -> float:
            scores = [self._forward(layers, x)[0] for x in xs]
            losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
            total = sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in params)
            sgd_step(t, total, params, LR)
            return float(total.item())

        return Task(step, self._resetter(params, weights))

    def digits_epoch(
        self, weights: Weights, xs: list[list[float]], ys: list[int], batch: int, max_batches: int | None = None
    ) -> Task:
        t = self.torch
        layers = self._params(weights)
        params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
        chosen = batches(len(xs), batch)[:max_batches]

        def cross_entropy(logits: list[Any], target: int) -> Any:
            m = max(float(z.item()) for z in logits)
            return t.log(sum(t.exp(z - m) for z in logits)) + m - logits[target]

        def epoch() -> float:
            total = 0.0
            count = 0
            for rows in chosen:
                loss = sum(cross_entropy(self._forward(layers, xs[i]), ys[i]) for i in rows) * (1.0 / len(rows))
                sgd_step(t, loss, params, DIGITS_LR)
                total += float(loss.item()) * len(rows)
                count += len(rows)
            return total / count

        return Task(epoch, self._resetter(params, weights))

    def chain(self, n: int) -> float:
        t = self.torch
        a = t.tensor(1.0, dtype=t.float64, requires_grad=True)
        b = t.tensor(0.5, dtype=t.float64, requires_grad=True)
        y = b
        for _ in range(n // 2):
            y = y * a + b
        y.backward()
        return float(a.grad.item())

    def build_chain(self, kind: str, n: int) -> Any:
        t = self.torch
        x = t.tensor(1.0, dtype=t.float64, requires_grad=True)
        y = t.tensor(0.5, dtype=t.float64, requires_grad=True)
        return chain(y, x, kind, n)


class TorchVector(TorchEngine):
    """What a user graduates to: ``nn.Sequential`` of ``nn.Linear`` on whole float64 batches."""

    name = "PyTorch vectorised"

    def _model(self, weights: Weights) -> Any:
        t = self.torch
        modules: list[Any] = []
        for i, layer in enumerate(weights):
            linear = t.nn.Linear(len(layer[0][0]), len(layer), dtype=t.float64)
            with t.no_grad():
                linear.weight.copy_(t.tensor([ws for ws, _ in layer], dtype=t.float64))
                linear.bias.copy_(t.tensor([b for _, b in layer], dtype=t.float64))
            modules.append(linear)
            if i < len(weights) - 1:
                modules.append(t.nn.ReLU())
        return t.nn.Sequential(*modules)

    @staticmethod
    def _resetter(model: Any) -> Callable[[], None]:
        start = {k: v.clone() for k, v in model.state_dict().items()}
        return lambda: model.load_state_dict(start)

    def hinge_step(self, weights: Weights, xs: list[list[float]], ys: list[float]) -> Task:
        t = self.torch
        model = self._model(weights)
        params = list(model.parameters())
        optimizer = t.optim.SGD(params, lr=LR)
        x = t.tensor(xs, dtype=t.float64)
        y = t.tensor(ys, dtype=t.float64)

        def step() -> float:
            scores = model(x).squeeze(1)
            loss = t.relu(1 - y * scores).mean() + ALPHA * sum((p * p).sum() for p in params)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            return float(loss.item())

        return Task(step, self._resetter(model))

    def digits_epoch(self, weights: Weights, xs: list[list[float]], ys: list[int], batch: int) -> Task:
        t = self.torch
        model = self._model(weights)
        optimizer = t.optim.SGD(model.parameters(), lr=DIGITS_LR)
        x = t.tensor(xs, dtype=t.float64)
        y = t.tensor(ys, dtype=t.long)
        chosen = batches(len(xs), batch)

        return Task(lambda: sgd_epoch(model, optimizer, x, y, chosen), self._resetter(model))

    def chain(self, n: int) -> float:
        raise NotApplicable("n/a: a chain of scalar ops has nothing to vectorise")

    def build_chain(self, kind: str, n: int) -> Any:
        raise NotApplicable("n/a: a chain of scalar ops has nothing to vectorise")


# --- plain Python floats ---------------------------------------------------------------------
