"""Command line: ``python -m autograd demo`` (a neuron, backpropagated, gradients printed)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .engine import Value, dot


def demo(args: argparse.Namespace) -> int:
    """Build one tanh neuron, backpropagate, and print every gradient."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = dot([w1, w2], [x1, x2], b)
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    print("o = tanh(w1·x1 + w2·x2 + b)")
    print(f"o = {o.data:.4f}   do/dn = 1 - o² = {n.grad:.4f}")
    for v in (x1, w1, x2, w2, b):
        print(f"  d o / d {v.label:<2} = {v.grad:+.4f}   ({v.label} = {v.data:g})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograd", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="backpropagate through one neuron and print the gradients")
    p.add_argument("--out", default=None, help="a folder for the demo's drawings (when drawing is available)")
    p.set_defaults(func=demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
