"""Optimizers: they move each parameter against its gradient, and a learning-rate schedule.

After ``loss.backward()`` every parameter p has ``p.grad = ∂loss/∂p``; a small step
``p ← p − lr · ∂loss/∂p`` lowers the loss. The optimizers change ``p.data`` directly, as plain
floats, so an update records no graph. Their arithmetic follows ``torch.optim.SGD``,
``Adam`` and ``AdamW`` exactly, so both give the same numbers step by step.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from typing import Any

from autograd import Value

from .module import Module

__all__ = ["Optimizer", "SGD", "Adam", "LinearDecay"]


def _number(x: Any, name: str, low: float = 0.0, high: float | None = None, high_open: bool = False) -> float:
    """``x`` as a float in [low, high] (or [low, high)), or an error naming ``name``."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} expects a real number, got {type(x).__name__}")
    x = float(x)
    too_high = high is not None and (x >= high if high_open else x > high)
    if not x >= low or too_high or math.isnan(x):
        bound = "" if high is None else (f", below {high}" if high_open else f", at most {high}")
        raise ValueError(f"{name} expects a number of at least {low}{bound}, got {x}")
    return x


def _buffer(value: Any, name: str, n: int) -> list[float]:
    """``value`` as a new list of ``n`` floats, or an error naming ``name``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"load_state: {name} expects a list of {n} numbers, got {type(value).__name__}")
    numbers_ = list(value)
    if len(numbers_) != n:
        raise ValueError(f"load_state: {name} expects {n} numbers (one per parameter), got {len(numbers_)}")
    for i, x in enumerate(numbers_):
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"load_state: {name}[{i}] expects a real number, got {type(x).__name__}")
    return [float(x) for x in numbers_]


class Optimizer:
    """What SGD and Adam share: the parameter list, a mutable ``lr``, and ``zero_grad()``.

    ``params`` is an iterable of Values (for instance ``model.parameters()``) or a Module.
    """

    def __init__(self, params: Iterable[Value] | Module, lr: float) -> None:
        if isinstance(params, Module):
            params = params.parameters()
        if isinstance(params, Value):
            raise TypeError("params expects an iterable of Values, got a single Value (wrap it in a list)")
        try:
            plist = list(params)
        except TypeError:
            raise TypeError(f"params expects an iterable of Values, got {type(params).__name__}") from None
        if not plist:
            raise ValueError("params is empty: the optimizer has nothing to optimize")
        seen: set[int] = set()
        for i, p in enumerate(plist):
            if not isinstance(p, Value):
                raise TypeError(f"params[{i}] expects a Value, got {type(p).__name__}")
            if id(p) in seen:
                raise ValueError(f"params[{i}] appears twice in params: it would be updated twice per step")
            seen.add(id(p))
        self.params: list[Value] = plist
        self.lr = _number(lr, "lr")

    def zero_grad(self) -> None:
        """Set every parameter's ``.grad`` to 0.0 (leaf gradients accumulate across backward calls)."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter once from its current ``.grad``."""
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def state(self) -> dict[str, Any]:
        """A copy of the optimizer's state, by name: per-parameter lists in the order of
        ``params`` (SGD's ``velocity``, Adam's ``m`` and ``v``) and counters (Adam's ``step``).
        An optimizer that keeps none gives ``{}``. Like PyTorch's ``state_dict()``, it tells an
        optimizer that has not started (SGD's ``velocity`` is None before its first step) from
        one that has; :meth:`load_state` takes it back."""
        return {}

    def load_state(self, state: Mapping[str, Any]) -> None:
        """Continue from ``state``, as :meth:`state` gives it (for instance saved from another
        run of the same model), like PyTorch's ``load_state_dict()``: the numbers are copied,
        never shared, and everything is checked before anything changes. A state with other
        names, a list of another length than ``params``, or an entry that is not a real number
        raises TypeError or ValueError naming it, and the optimizer is left as it was.
        The hyperparameters (``lr`` and the rest) are the optimizer's own and are not changed.

        >>> w = Value(1.0)
        >>> a = SGD([w], lr=0.1, momentum=0.9)
        >>> (w * w).backward(); a.step()
        >>> b = SGD([w], lr=0.1, momentum=0.9)
        >>> b.load_state(a.state())
        >>> b.state() == a.state()
        True
        """
        self._set_state(self._checked_state(state))

    def _checked_state(self, state: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state: state expects a mapping like state() gives, got {type(state).__name__}")
        want = self.state()
        if set(state) != set(want):
            raise ValueError(
                f"load_state: state has the names {sorted(map(str, state))}, "
                f"{type(self).__name__} keeps {sorted(want)}"
            )
        checked: dict[str, Any] = {}
        for name, value in state.items():
            if name == "step":
                if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                    raise ValueError(f"load_state: state['step'] expects a whole number >= 0, got {value!r}")
                checked[name] = int(value)
            elif value is None and name in self._may_be_unstarted():
                checked[name] = None
            else:
                checked[name] = _buffer(value, f"state[{name!r}]", len(self.params))
        return checked

    def _may_be_unstarted(self) -> tuple[str, ...]:
        """The per-parameter buffers that are None until the first step."""
        return ()

    def _set_state(self, state: dict[str, Any]) -> None:
        """Take a state that :meth:`_checked_state` passed (subclasses that keep one)."""


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum and L2 weight decay.

    For each parameter p with gradient g, as ``torch.optim.SGD`` (dampening 0):

    * ``g ← g + weight_decay · p`` (L2 penalty ½·wd·p² added to the loss);
    * with momentum μ > 0: ``v ← g`` on the first step, then ``v ← μ·v + g``; and ``g ← v``
      (or ``g ← g + μ·v`` with ``nesterov=True``);
    * ``p ← p − lr · g``.

    >>> w = Value(1.0)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).backward()            # d/dw w² = 2w = 2
    >>> opt.step()
    >>> round(w.data, 10)             # 1 − 0.1 · 2
    0.8
    """

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(params, lr)
        self.momentum = _number(momentum, "momentum")
        self.weight_decay = _number(weight_decay, "weight_decay")
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)
        self._velocity: list[float] | None = None

    def step(self) -> None:
        lr, mu, wd = self.lr, self.momentum, self.weight_decay
        if mu == 0:
            if wd == 0:
                for p in self.params:
                    p.data -= lr * p.grad
            else:
                for p in self.params:
                    p.data -= lr * (p.grad + wd * p.data)
            return
        params = self.params
        grads = [p.grad + wd * p.data if wd else p.grad for p in params]
        if self._velocity is None:
            velocity = grads
        else:
            velocity = [mu * v + g for v, g in zip(self._velocity, grads)]
        self._velocity = velocity
        if self.nesterov:
            for p, g, v in zip(params, grads, velocity):
                p.data -= lr * (g + mu * v)
        else:
            for p, v in zip(params, velocity):
                p.data -= lr * v

    def state(self) -> dict[str, Any]:
        """``{"velocity": [...]}``: the momentum buffer of each parameter, or ``{"velocity":
        None}`` before the first step with momentum (the first step sets ``v ← g``)."""
        velocity = self._velocity
        return {"velocity": None if velocity is None else list(velocity)}

    def _may_be_unstarted(self) -> tuple[str, ...]:
        return ("velocity",)

    def _set_state(self, state: dict[str, Any]) -> None:
        self._velocity = state["velocity"]


class Adam(Optimizer):
    """Adam: a per-parameter step size from running averages of the gradient and its square.

    For each parameter p with gradient g, at step t = 1, 2, ...  (as ``torch.optim.Adam``, or
    ``torch.optim.AdamW`` with ``decoupled=True``):

    * L2 (``decoupled=False``): ``g ← g + weight_decay · p``;
      decoupled (AdamW): ``p ← p · (1 − lr · weight_decay)`` instead;
    * ``m ← β₁ m + (1 − β₁) g``, ``v ← β₂ v + (1 − β₂) g²`` (m and v start at 0);
    * ``m̂ = m / (1 − β₁ᵗ)``, ``v̂ = v / (1 − β₂ᵗ)`` correct the bias of starting at 0;
    * ``p ← p − lr · m̂ / (√v̂ + eps)``.

    Each step moves a parameter by about ``lr`` at most, whatever the gradient's scale.

    >>> w = Value(1.0)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).backward()
    >>> opt.step()
    >>> round(w.data, 6)              # the first step is lr · g/|g| = 0.1
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
    ) -> None:
        super().__init__(params, lr)
        try:
            b1, b2 = betas
        except (TypeError, ValueError):
            raise TypeError(f"betas expects a pair of numbers (beta1, beta2), got {betas!r}") from None
        self.betas = (_number(b1, "betas[0]", 0.0, 1.0, True), _number(b2, "betas[1]", 0.0, 1.0, True))
        self.eps = _number(eps, "eps")
        self.weight_decay = _number(weight_decay, "weight_decay")
        self.decoupled = bool(decoupled)
        self.t = 0
        self._m = [0.0] * len(self.params)
        self._v = [0.0] * len(self.params)

    def step(self) -> None:
        self.t += 1
        lr, eps, wd = self.lr, self.eps, self.weight_decay
        b1, b2 = self.betas
        bias1 = 1.0 - b1**self.t
        sqrt_bias2 = math.sqrt(1.0 - b2**self.t)
        step_size = lr / bias1
        m, v = self._m, self._v
        for i, p in enumerate(self.params):
            g = p.grad
            if wd:
                if self.decoupled:
                    p.data *= 1.0 - lr * wd
                else:
                    g = g + wd * p.data
            m[i] = mi = b1 * m[i] + (1.0 - b1) * g
            v[i] = vi = b2 * v[i] + (1.0 - b2) * g * g
            p.data -= step_size * mi / (math.sqrt(vi) / sqrt_bias2 + eps)

    def state(self) -> dict[str, Any]:
        """``{"step": t, "m": [...], "v": [...]}``: the number of steps taken, and the running
        means of each gradient and of its square (zeros before the first step, where they are
        the same as not started)."""
        return {"step": self.t, "m": list(self._m), "v": list(self._v)}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.t, self._m, self._v = state["step"], state["m"], state["v"]


class LinearDecay:
    """Move ``optimizer.lr`` in a straight line from ``start`` to ``end`` over ``steps`` calls.

    Creating it sets ``lr = start``; the k-th call of :meth:`step` sets
    ``lr = start + (end − start) · min(k, steps) / steps``, then it stays at ``end``. Call it
    after each ``optimizer.step()``. micrograd's demo, ``lr = 1.0 − 0.9·k/100`` at step k, is
    ``LinearDecay(opt, 1.0, 0.1, 100)``.

    >>> opt = SGD([Value(0.0)], lr=1.0)
    >>> schedule = LinearDecay(opt, start=1.0, end=0.1, steps=100)
    >>> for _ in range(50):
    ...     schedule.step()
    >>> round(opt.lr, 10)
    0.55
    """

    def __init__(self, optimizer: Optimizer, start: float, end: float, steps: int) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer expects an SGD or Adam optimizer, got {type(optimizer).__name__}")
        if isinstance(steps, bool) or not isinstance(steps, int):
            raise TypeError(f"steps expects a positive int, got {type(steps).__name__}")
        if steps <= 0:
            raise ValueError(f"steps expects a positive int, got {steps}")
        self.optimizer = optimizer
        self.start = _number(start, "start")
        self.end = _number(end, "end")
        self.steps = steps
        self.k = 0
        optimizer.lr = self.start

    def step(self) -> None:
        """Advance one step and set the optimizer's learning rate."""
        self.k += 1
        fraction = min(self.k, self.steps) / self.steps
        self.optimizer.lr = self.start + (self.end - self.start) * fraction
