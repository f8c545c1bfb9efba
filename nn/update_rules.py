"""nn's optimizers as update rules in C, for training with the parameters kept in C.

:class:`SGDRule` and :class:`AdamRule` are :class:`nn.optim.SGD` and :class:`nn.optim.Adam` for a
:class:`autograd.tape.cbackend.Trainer`: the same arithmetic, operation for operation, written in C
in ``update_rules.c`` beside this file, so that a Trainer computes the same parameters as a Python
loop of ``tape(...)`` and ``optimizer.step()``, to the bit. The Trainer itself knows no optimizer:
it calls a rule's ``check(n)`` once and its ``apply(data, grads, n)`` after each step, with the
addresses of the parameters' numbers and gradients.

The C is compiled once per process (and cached across processes) by the C back end's cache,
:func:`autograd.tape.cbackend.build_library`, which checks what it loads as it does for tapes.

See :mod:`autograd.tape.cbackend.trainer` for a Trainer stepping with an :class:`SGDRule`.
"""

from __future__ import annotations

import ctypes
import math
import numbers
from array import array
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

from autograd.tape.cbackend import address_of, build_library, zeros

__all__ = ["SGDRule", "AdamRule"]

_LIBRARY: list[ctypes.CDLL] = []
_RULE: list[int] = []  # the address of vg_sgd_rule, once the library is loaded


def _library() -> ctypes.CDLL:
    """The compiled rules, built (or taken from the cache) on first use."""
    if not _LIBRARY:
        source = resources.files(__package__).joinpath("update_rules.c").read_text(encoding="utf-8")
        lib = build_library(source, exports=("vg_sgd", "vg_adam", "vg_sgd_rule")).lib
        P, i, i64, f = ctypes.c_void_p, ctypes.c_int, ctypes.c_int64, ctypes.c_double
        lib.vg_sgd.argtypes = [P, P, P, i64, f, f, f, i, i]
        lib.vg_adam.argtypes = [P, P, P, P, i64, f, f, f, f, f, i, f, f]
        lib.vg_sgd.restype = lib.vg_adam.restype = ctypes.c_int
        _LIBRARY.append(lib)
    return _LIBRARY[0]


def _rule_address() -> int:
    """The address of ``vg_sgd_rule`` (SGDRule.c_rule)."""
    if not _RULE:
        _RULE.append(int(ctypes.cast(_library().vg_sgd_rule, ctypes.c_void_p).value or 0))
    return _RULE[0]


def _as_float(x: Any, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} expects a real number, got {type(x).__name__}")
    return float(x)


def _rate(x: Any, name: str, high: float | None = None) -> float:
    value = _as_float(x, name)
    if not value >= 0.0 or (high is not None and not value < high):
        bound = f" and below {high}" if high is not None else ""
        raise ValueError(f"{name} expects a number of at least 0{bound}, got {value}")
    return value


def _state(values: Any, name: str) -> array[float] | None:
    """An optimizer state given by the user (``velocity``, ``m``, ``v``) as an ``array('d')``, each
    number checked; None stays None. Raises TypeError naming ``name``."""
    if values is None:
        return None
    if isinstance(values, (str, bytes, bytearray)) or not isinstance(values, Iterable):
        raise TypeError(f"{name} expects a sequence of numbers (one per parameter), got {type(values).__name__}")
    if isinstance(values, array) and values.typecode == "d":
        return array("d", values)
    return array("d", [_as_float(x, f"{name}[{i}]") for i, x in enumerate(values)])


def _fits(state: array[float] | None, n: int, name: str) -> array[float] | None:
    """``state``, proven to hold exactly one number per parameter before C writes ``n`` of them.

    C trusts the length it is given: a state shorter than the parameters (resuming with
    another model's state, say) would be written past its end. Raises ValueError naming ``name``.
    """
    if state is None or (type(state) is array and state.typecode == "d" and (len(state) == n or not n)):
        return state  # the path of every step: one test
    if not (isinstance(state, array) and state.typecode == "d"):
        state = _state(state, name)
        assert state is not None
    if n and len(state) != n:
        raise ValueError(f"{name} holds {len(state)} numbers, but there are {n} parameters: one number per parameter is wanted")
    return state


class SGDRule:
    """Stochastic gradient descent, as ``torch.optim.SGD`` (and ``nn.optim.SGD``): ``g ← g + wd·p``;
    with momentum μ, ``vel ← g`` on the first step and ``μ·vel + g`` after, ``g ← vel`` (or
    ``g + μ·vel`` with Nesterov); then ``p ← p − lr·g``. ``velocity`` continues a run's state."""

    def __init__(
        self,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        velocity: Sequence[float] | None = None,
    ) -> None:
        self.lr = _rate(lr, "SGDRule: lr")
        self.momentum = _rate(momentum, "SGDRule: momentum")
        self.weight_decay = _rate(weight_decay, "SGDRule: weight_decay")
        self.nesterov = bool(nesterov)
        #: the momentum buffer, None before the first step
        self.velocity: array[float] | None = _state(velocity, "SGDRule: velocity")
        self._c_args = zeros(2)  # c_rule's arguments: lr, weight_decay
        self._c_rule: tuple[int, int] | None = None  # where vg_sgd_rule and those arguments are

    def check(self, n: int) -> None:
        """Raise TypeError or ValueError unless the state fits ``n`` parameters (before any C runs)."""
        self.velocity = _fits(self.velocity, n, "SGDRule: velocity")

    @property
    def order_free(self) -> bool:
        """Whether :meth:`apply` may be given the parameters in any order: without momentum each one
        is updated alone and no state is kept by position (a Trainer then leaves the parameters in
        the order of the tape that holds them, copying nothing between steps)."""
        return self.momentum == 0.0 and self.velocity is None

    def c_rule(self, n: int) -> tuple[int, int] | None:
        """The rule as a C function, for a Trainer's training step in one C call
        (:meth:`CTape.train_step <autograd.tape.cbackend.CTape.train_step>`): the addresses of
        ``vg_sgd_rule`` and of its arguments, as they are now (lr and weight decay); None with
        momentum, whose state :meth:`apply` keeps. The numbers of :meth:`apply`."""
        if self.momentum != 0.0:
            return None
        if self.velocity is not None:  # as apply: checked, then dropped (no momentum, no state)
            self.check(n)
            self.velocity = None
        args = self._c_args
        args[0] = self.lr
        args[1] = self.weight_decay
        if self._c_rule is None:
            self._c_rule = (_rule_address(), address_of(args))
        return self._c_rule

    def apply(self, data: int, grads: int, n: int) -> None:
        """One step on the ``n`` parameters whose numbers and gradients are at these addresses."""
        self.check(n)
        if self.momentum == 0.0:  # no state: C reads no velocity (given none, NULL), and none is made
            self.velocity = None
            _library().vg_sgd(data, grads, 0, n, self.lr, 0.0, self.weight_decay, int(self.nesterov), 1)
            return
        first = self.velocity is None
        if first:
            self.velocity = zeros(n)
        assert self.velocity is not None
        _library().vg_sgd(
            data, grads, address_of(self.velocity), n, self.lr, self.momentum, self.weight_decay,
            int(self.nesterov), int(first),
        )  # fmt: skip


class AdamRule:
    """Adam, as ``torch.optim.Adam`` (``decoupled=True``: ``AdamW``) and ``nn.optim.Adam``: at step
    t, ``m ← β₁m + (1 − β₁)g``, ``v ← β₂v + (1 − β₂)g²``, ``p ← p − lr/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + eps)``.
    ``t``, ``m`` and ``v`` continue a run's state."""

    def __init__(
        self,
        lr: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
        t: int = 0,
        m: Sequence[float] | None = None,
        v: Sequence[float] | None = None,
    ) -> None:
        self.lr = _rate(lr, "AdamRule: lr")
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"AdamRule: betas expects a pair of numbers, got {betas!r}")
        self.betas = (_rate(betas[0], "AdamRule: betas[0]", 1.0), _rate(betas[1], "AdamRule: betas[1]", 1.0))
        self.eps = _rate(eps, "AdamRule: eps")
        self.weight_decay = _rate(weight_decay, "AdamRule: weight_decay")
        self.decoupled = bool(decoupled)
        if isinstance(t, bool) or not isinstance(t, int) or t < 0:
            raise TypeError(f"AdamRule: t expects an int >= 0 (steps taken), got {t!r}")
        self.t = t
        if (m is None) != (v is None):
            raise ValueError(f"AdamRule: m and v continue a run together: give both or neither, got {'m' if v is None else 'v'} alone")
        self.m: array[float] | None = _state(m, "AdamRule: m")
        self.v: array[float] | None = _state(v, "AdamRule: v")

    def check(self, n: int) -> None:
        """Raise TypeError or ValueError unless the state fits ``n`` parameters (before any C runs)."""
        self.m = _fits(self.m, n, "AdamRule: m")
        self.v = _fits(self.v, n, "AdamRule: v")

    def apply(self, data: int, grads: int, n: int) -> None:
        """One step on the ``n`` parameters whose numbers and gradients are at these addresses."""
        self.check(n)
        if self.m is None or self.v is None:
            self.m, self.v = zeros(n), zeros(n)
        self.t += 1
        b1, b2 = self.betas
        # as nn.optim.Adam computes them, in Python: the same floats
        bias1 = 1.0 - b1**self.t
        sqrt_bias2 = math.sqrt(1.0 - b2**self.t)
        step_size = self.lr / bias1
        _library().vg_adam(
            data, grads, address_of(self.m), address_of(self.v), n, self.lr, b1, b2, self.eps,
            self.weight_decay, int(self.decoupled), step_size, sqrt_bias2,
        )  # fmt: skip


