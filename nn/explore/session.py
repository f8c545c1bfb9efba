"""One explorer's training: the points, the MLP, the optimizer and the clock, in plain Python.

A :class:`Session` is what the page looks at. It trains the real model with valuegrad: no
numbers are faked for the picture. Each training step is the loop of :func:`nn.fit`, one
minibatch at a time (forward, mean loss, ``zero_grad``, backward, ``optimizer.step()``), but
replayed from a tape (:func:`autograd.record`):

* the loss of ONE point, ``scale · loss(model(x), target)``, is recorded once per model, with
  the point's coordinates, its target and the scale as the tape's inputs;
* a step replays that tape on each point of the batch with ``scale = 1 / batch size``. The
  gradients add up in ``.grad``, as for the batch's mean loss, and no graph is built.

Recording one point takes milliseconds, so a new model, a new dataset or a new batch size
costs nothing to wait for, and a step of 150 points takes a few milliseconds.

>>> from nn.explore.config import Config
>>> session = Session(Config(samples=60, hidden=(4,)))
>>> before = session.evaluate()["loss"]
>>> session.train(30)
30
>>> session.step, session.evaluate()["loss"] < before
(30, True)
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator
from typing import Any

from autograd import Tape, Value, record

from .. import data
from ..layers import MLP
from ..losses import binary_cross_entropy, cross_entropy
from ..optim import SGD, Adam
from .config import SETTINGS, Config
from .trace import Trace

__all__ = ["Session", "Diverged", "make_points", "optimizer_state"]

Point = list[float]
Target = Any  # a float (two classes) or a one-hot list of floats
_REBUILDS = {s.key: s.rebuilds for s in SETTINGS}
#: How large a weight may be set by hand: far beyond anything training makes.
WEIGHT_LIMIT = 100.0


class Diverged(FloatingPointError):
    """The loss became nan or infinite: training stops before the update that would spread it."""


def make_points(config: Config) -> tuple[list[Point], list[int]]:
    """The configured dataset's points and labels, from :mod:`nn.data`."""
    n, noise, seed = config.samples, config.noise, config.seed
    if config.dataset == "moons":
        return data.make_moons(n, noise, seed=seed)
    if config.dataset == "circles":
        return data.make_circles(n, noise, factor=0.5, seed=seed)
    if config.dataset == "xor":
        return data.make_xor(n, noise, seed=seed)
    if config.dataset == "spirals":
        return data.make_spirals(n, config.classes, noise, seed=seed)
    return data.make_blobs(n, config.classes, noise, seed=seed)


def square_domain(points: list[Point], margin: float = 0.15) -> tuple[float, float, float, float]:
    """``(x0, x1, y0, y1)``: a square around every point with ``margin`` to spare on each side,
    so the picture has the same scale on both axes."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half = max(max(xs) - min(xs), max(ys) - min(ys), 1e-3) / 2 * (1 + 2 * margin)
    return (cx - half, cx + half, cy - half, cy + half)


def optimizer_state(optimizer: SGD | Adam) -> dict[str, list[float]]:
    """The optimizer's per-parameter state by name, as the explorer shows it: SGD's
    ``velocity``, Adam's ``m`` and ``v`` (:meth:`nn.optim.Optimizer.state`). A buffer that has
    not started yet (SGD's velocity before its first step) is shown as zeros."""
    n = len(optimizer.params)
    return {name: [0.0] * n if value is None else value for name, value in optimizer.state().items() if name != "step"}


class Session:
    """The data, the model and its training, as set by a :class:`~nn.explore.config.Config`.

    ``train(n)`` runs n steps; :meth:`evaluate` measures the loss and accuracy on the training
    and test points; :meth:`apply` takes a new configuration and rebuilds only what it must
    (new data, a new model, a new optimizer, or nothing: the learning rate, say, changes at the
    next step); :meth:`reset` starts the model again from its initial weights. ``version``
    grows whenever a weight changes, so views know when to redraw.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.version = 0
        self._new_data()

    # --- building --------------------------------------------------------------------------

    def _new_data(self) -> None:
        c = self.config
        X, y = make_points(c)
        self.train_x, self.test_x, self.train_y, self.test_y = data.train_test_split(
            X, y, test_size=c.test_size, seed=c.seed, stratify=True
        )
        self.classes = c.classes_used
        self.domain = square_domain(X)
        self._new_model()

    def target(self, label: int) -> Target:
        """The loss's target for a label: the label as a float (two classes), else a one-hot list."""
        if self.classes == 2:
            return float(label)
        return [1.0 if k == label else 0.0 for k in range(self.classes)]

    def _new_model(self) -> None:
        c = self.config
        outputs = 1 if self.classes == 2 else self.classes
        self.model = MLP(2, [*c.hidden, outputs], activation=c.activation, init=c.init, seed=c.seed)
        named = self.model.named_parameters()
        self.names = [name for name, _ in named]
        self.params = [p for _, p in named]
        self._index = {name: i for i, name in enumerate(self.names)}
        self._train_t = [self.target(label) for label in self.train_y]
        self._test_t = [self.target(label) for label in self.test_y]
        self.tape = self.record_step()
        self.step = 0
        self.seen = 0
        self._rng = random.Random(c.seed)
        self._batches: Iterator[tuple[list[Point], list[Target]]] = iter(())
        self.curves = Trace(("step", "loss", "test_loss", "accuracy", "test_accuracy"))
        self._measured: tuple[int, dict[str, float]] | None = None
        self.version += 1
        self._new_optimizer()

    def record_step(self) -> Tape:
        """The tape of one point's scaled loss, whose outputs come back with it."""
        model, two = self.model, self.classes == 2

        def point_loss(x: list[Value], target: Any, scale: Value) -> tuple[Value, Any]:
            out: Any = model(x)  # one score (a Value) for two classes, else a list of them
            loss = binary_cross_entropy(out, target) if two else cross_entropy(out, target)
            return loss * scale, out

        return record(point_loss, self.train_x[0], self._train_t[0], 1.0)

    def _new_optimizer(self) -> None:
        c = self.config
        self.optimizer: SGD | Adam
        if c.optimizer == "adam":
            self.optimizer = Adam(self.params, lr=c.lr, weight_decay=c.l2)
        else:
            self.optimizer = SGD(self.params, lr=c.lr, momentum=c.momentum, weight_decay=c.l2)
        self.state_names = tuple(optimizer_state(self.optimizer))
        kinds = ("value", "grad", *self.state_names)
        self.history = Trace(["step", *(f"{kind} {name}" for kind in kinds for name in self.names)], limit=300)
        self._trace_params()

    # --- changing it ---------------------------------------------------------------------------

    def apply(self, config: Config) -> None:
        """Take a new configuration, rebuilding what the changed settings need."""
        old, self.config = self.config, config
        changed = {k for k, v in config.to_json().items() if old.to_json()[k] != v}
        needs = {_REBUILDS.get(k, "none") for k in changed}
        if "data" in needs:
            self._new_data()
        elif "model" in needs:
            self._new_model()
        elif "optimizer" in needs:
            self._new_optimizer()
        else:
            opt = self.optimizer
            opt.lr = config.lr
            opt.weight_decay = config.l2
            if isinstance(opt, SGD):
                opt.momentum = config.momentum
            if "batch_size" in changed:
                self._batches = iter(())  # the next step starts a new epoch with the new size

    def reset(self) -> None:
        """Back to step 0: the initial weights (the same seed gives the same ones), a fresh optimizer."""
        self._new_model()

    def set_weight(self, name: str, value: float) -> None:
        """Set one parameter by hand (manual mode); the next evaluation sees it."""
        if name not in self._index:
            raise ValueError(f"weight name {name!r} is not a parameter of {self.model}; e.g. {self.names[0]!r}")
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)) or not abs(value) <= WEIGHT_LIMIT:
            raise ValueError(f"weight value expects a number in [-{WEIGHT_LIMIT:g}, {WEIGHT_LIMIT:g}], got {value!r}")
        self.params[self._index[name]].data = float(value)
        self.version += 1

    # --- training and measuring ----------------------------------------------------------------

    def _next_batch(self) -> tuple[list[Point], list[Target]]:
        batch = next(self._batches, None)
        if batch is None:
            seed = self._rng.getrandbits(32)
            self._batches = data.batches(self.train_x, self._train_t, self.config.batch_size, shuffle=True, seed=seed)
            batch = next(self._batches)
        return batch

    def train(
        self, steps: int, stop: Callable[[], bool] | None = None, enough: Callable[[], bool] | None = None
    ) -> int:
        """Run ``steps`` minibatch steps and return how many ran. Raises :class:`Diverged` (and
        leaves the weights as they were before that step) if the batch's loss is not finite.

        ``stop()``, asked before each point, abandons the step under way when it says yes: the
        gradients go back to those of the last finished step and its batch comes first next
        time, so the session is as if the step had not begun. ``enough()``, asked after each
        step, ends the run early. The explorer's runner uses them to pause within a frame.
        """
        tape, optimizer, params = self.tape, self.optimizer, self.params
        for done in range(steps):
            xb, tb = self._next_batch()
            before = [p.grad for p in params] if stop is not None else []
            scale = 1.0 / len(xb)
            optimizer.zero_grad()
            total = 0.0
            for x, t in zip(xb, tb):
                if stop is not None and stop():
                    for p, g in zip(params, before):
                        p.grad = g
                    self._batches = itertools.chain([(xb, tb)], self._batches)
                    return done
                total += tape(x, t, scale)[0]
            if not math.isfinite(total):
                raise Diverged(
                    f"the loss became {total} at step {self.step + 1}: training diverged; lower the learning rate "
                    "and reset"
                )
            optimizer.step()
            self.step += 1
            self.seen += len(xb)
            self.version += 1
            self._trace_params()
            if enough is not None and enough():
                return done + 1
        return steps

    @property
    def epoch(self) -> float:
        """How many passes over the training points the steps made so far."""
        return self.seen / len(self.train_x)

    def outputs(self, x: Point) -> list[float]:
        """The model's scores at ``x``: one for two classes, one per class otherwise (no graph built)."""
        out = self.tape.forward(x, self._train_t[0], 1.0)[1]
        return [out] if isinstance(out, float) else list(out)

    def predict(self, scores: list[float]) -> int:
        """The class the scores pick: 1 for a positive score (two classes), else the largest score's."""
        if len(scores) == 1:
            return int(scores[0] > 0.0)
        return max(range(len(scores)), key=scores.__getitem__)

    def point_loss(self, x: Point, label: int) -> float:
        """The loss of one point at the current weights."""
        return float(self.tape.forward(x, self.target(label), 1.0)[0])

    def evaluate(self) -> dict[str, float]:
        """Mean loss and accuracy on the training and the test points, at the current weights.

        Measured once per weight version; a new training step also adds a point to :attr:`curves`.
        """
        if self._measured is not None and self._measured[0] == self.version:
            return self._measured[1]
        forward = self.tape.forward
        figures: dict[str, float] = {}
        for prefix, xs, ts, labels in (("", self.train_x, self._train_t, self.train_y),
                                       ("test_", self.test_x, self._test_t, self.test_y)):
            total, right = 0.0, 0
            for x, t, label in zip(xs, ts, labels):
                loss, out = forward(x, t, 1.0)
                total += loss
                right += self.predict([out] if isinstance(out, float) else list(out)) == label
            figures[prefix + "loss"] = total / len(xs)
            figures[prefix + "accuracy"] = right / len(xs)
        self._measured = (self.version, figures)
        if not len(self.curves) or self.curves.rows[-1][0] < self.step:
            self.curves.add([self.step, figures["loss"], figures["test_loss"], figures["accuracy"],
                             figures["test_accuracy"]])
        return figures

    # --- parameters over time ------------------------------------------------------------------

    def _trace_params(self) -> None:
        row = [float(self.step)]
        row += [p.data for p in self.params]
        row += [p.grad for p in self.params]
        for values in optimizer_state(self.optimizer).values():
            row += values
        self.history.add(row)

    def parameter(self, name: str) -> dict[str, Any]:
        """One parameter now and over time: value, gradient and optimizer state (JSON-ready)."""
        if name not in self._index:
            raise ValueError(f"parameter name {name!r} is not a parameter of {self.model}; e.g. {self.names[0]!r}")
        i, n = self._index[name], len(self.params)
        p = self.params[i]
        state = optimizer_state(self.optimizer)
        series = {"step": self.history.column(0), "value": self.history.column(1 + i),
                  "grad": self.history.column(1 + n + i)}
        for k, key in enumerate(self.state_names):
            series[key] = self.history.column(1 + (2 + k) * n + i)
        return {
            "name": name,
            "value": p.data,
            "grad": p.grad,
            "state": {key: values[i] for key, values in state.items()},
            "optimizer": self.config.optimizer,
            "history": series,
        }
