"""The options of ``python -m nn``: the datasets, their defaults, and how each option is read.

``nn.__main__`` builds the command line from these; a bad value gets argparse's one-line error
(exit status 2), which names the option, what it got and what it wants.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any, NoReturn

DATASETS = ("moons", "circles", "xor", "spirals", "digits")
ACTIVATIONS = ("relu", "tanh", "sigmoid")
OPTIMIZERS = ("sgd", "adam")
LOSSES = ("bce", "hinge", "cross-entropy")

#: What each dataset uses for every option the user leaves out. ``lr`` is per optimizer.
DEFAULTS: dict[str, dict[str, Any]] = {
    "moons": {"samples": 300, "noise": 0.1, "hidden": [16, 16], "epochs": 100, "batch_size": 0,
              "lr": {"adam": 0.05, "sgd": 0.1}},
    "circles": {"samples": 300, "noise": 0.05, "hidden": [16, 16], "epochs": 100, "batch_size": 0,
                "lr": {"adam": 0.05, "sgd": 0.1}},
    "xor": {"samples": 300, "noise": 0.05, "hidden": [16, 16], "epochs": 100, "batch_size": 0,
            "lr": {"adam": 0.05, "sgd": 0.1}},
    "spirals": {"samples": 300, "noise": 0.2, "hidden": [16, 16], "epochs": 150, "batch_size": 0,
                "lr": {"adam": 0.03, "sgd": 0.1}},
    "digits": {"samples": None, "noise": None, "hidden": [32], "epochs": 10, "batch_size": 32,
               "lr": {"adam": 0.01, "sgd": 0.05}},
}


#: The largest sizes the command line accepts. The engine computes with one Python object per
#: number, so a model or data set beyond these would take minutes to build and gigabytes of
#: memory; each is checked before anything is allocated, and refused in one line (exit 2).
MAX_SAMPLES = 1_000_000
MAX_LAYER_SIZE = 100_000
MAX_LAYERS = 100
MAX_PARAMETERS = 1_000_000
MAX_EPOCHS = 1_000_000

#: The defaults of the training options that do not depend on the dataset.
COMMON_DEFAULTS: dict[str, Any] = {"dataset": "moons", "optimizer": "adam", "momentum": 0.9, "weight_decay": 0.0,
                                   "test_size": 0.25, "seed": 0}


class Parser(argparse.ArgumentParser):
    """argparse, with every error in one line, ``PROG: error: MESSAGE``, and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


# --- argument types: each raises ArgumentTypeError, which argparse turns into exit 2 --------


def hidden_sizes(text: str) -> list[int]:
    """``"16,16"`` → [16, 16]: comma-separated layer sizes, each in [1, MAX_LAYER_SIZE], at most
    MAX_LAYERS of them (the total number of parameters is checked once the data set is known)."""
    shown = _short(text)
    parts = [p.strip() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise argparse.ArgumentTypeError(f"expected comma-separated layer sizes such as 16,16, got {shown}")
    if len(parts) > MAX_LAYERS:
        raise argparse.ArgumentTypeError(f"at most {MAX_LAYERS} hidden layers, got {len(parts)}")
    sizes = []
    for p in parts:
        if len(p) > 12 or not p.lstrip("+-").isdecimal():  # int() of thousands of digits is slow, or refused
            raise argparse.ArgumentTypeError(f"layer sizes must be whole numbers up to {MAX_LAYER_SIZE:,}, got {_short(p)} in {shown}")
        n = int(p)
        if n < 1:
            raise argparse.ArgumentTypeError(f"layer sizes must be >= 1, got {n} in {shown}")
        if n > MAX_LAYER_SIZE:
            raise argparse.ArgumentTypeError(f"layer sizes must be at most {MAX_LAYER_SIZE:,}, got {n:,} in {shown}")
        sizes.append(n)
    return sizes


def _short(text: str, limit: int = 40) -> str:
    """``repr(text)``, cut in the middle when long, so that an error stays one readable line."""
    return repr(text) if len(text) <= limit else f"{text[:20]!r}...{text[-10:]!r} ({len(text):,} characters)"


def parameter_count(nin: int, sizes: list[int]) -> int:
    """How many parameters ``MLP(nin, sizes)`` has: (nin + 1)·n₁ + (n₁ + 1)·n₂ + …"""
    dims = [nin, *sizes]
    return sum((dims[i] + 1) * dims[i + 1] for i in range(len(sizes)))


def number_type(kind: Callable[[str], Any], low: float, low_open: bool, high: float = math.inf, high_open: bool = True) -> Callable[[str], Any]:
    """An argparse type: ``kind(text)`` within the given interval."""
    def bound(x: float) -> str:
        return f"{x:,}" if kind is int and math.isfinite(x) and abs(x) >= 1_000_000 else f"{x:g}"

    interval = f"{'(' if low_open else '['}{bound(low)}, {bound(high)}{')' if high_open else ']'}"
    name = "an integer" if kind is int else "a number"

    def parse(text: str) -> Any:
        try:
            if len(text) > 40:  # int() of thousands of digits is slow, or refused
                raise ValueError(text)
            x = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {name} in {interval}, got {_short(text)}") from None
        if x != x or (x <= low if low_open else x < low) or (x >= high if high_open else x > high):
            raise argparse.ArgumentTypeError(f"expected {name} in {interval}, got {_short(text)}")
        return x

    parse.__name__ = name  # argparse names the type in some messages
    return parse


def add_training_options(p: argparse.ArgumentParser, export: bool) -> None:
    """The options that say what to train on and how, shared by ``train`` and ``export --train``.

    For ``export`` every default is None, so that an option given without ``--train`` is seen
    (and refused); :func:`export_command` fills in the same defaults as ``train`` afterwards.
    """

    def default(key: str) -> Any:
        return None if export else COMMON_DEFAULTS[key]

    p.add_argument("--dataset", choices=DATASETS, default=default("dataset"), help="what to learn (default: moons)")
    p.add_argument("--loss", choices=LOSSES, default=None,
                   help="bce or hinge for the two-class sets (default bce), cross-entropy for spirals and digits")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=default("optimizer"), help="default: adam")
    p.add_argument("--lr", type=number_type(float, 0.0, True), default=None,
                   help="learning rate > 0 (default: adam 0.05 for the 2-D sets, 0.03 spirals, 0.01 digits)")
    p.add_argument("--momentum", type=number_type(float, 0.0, False, 1.0, True), default=default("momentum"),
                   help="SGD momentum in [0, 1) (default: 0.9)")
    p.add_argument("--weight-decay", type=number_type(float, 0.0, False), default=default("weight_decay"), metavar="L2",
                   help="L2 penalty λ added to the gradients as λ·p (default: 0)")
    p.add_argument("--epochs", type=number_type(int, 1, False, MAX_EPOCHS, False), default=None,
                   help="passes over the training set (default: 100 for the 2-D sets, 150 spirals, 10 digits)")
    p.add_argument("--batch-size", type=number_type(int, 0, False, MAX_SAMPLES, False), default=None, metavar="N",
                   help="samples per update; 0 means the whole training set (default: 0; digits 32)")
    p.add_argument("--samples", type=number_type(int, 4, False, MAX_SAMPLES, False), default=None, metavar="N",
                   help="how many points to generate for the 2-D sets (default: 300)")
    p.add_argument("--noise", type=number_type(float, 0.0, False), default=None,
                   help="noise of the 2-D sets (default: moons 0.1, circles 0.05, xor 0.05, spirals 0.2)")
    p.add_argument("--test-size", type=number_type(float, 0.0, True, 1.0, True), default=default("test_size"),
                   metavar="FRACTION", help="the fraction held out for testing, in (0, 1) (default: 0.25)")
    p.add_argument("--seed", type=number_type(int, -(2**63), False, 2**63, True), default=default("seed"),
                   help="seeds the data, the split, the weights and the shuffling (default: 0)")
