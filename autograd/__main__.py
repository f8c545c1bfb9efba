"""Command line: ``python -m autograd demo`` and ``python -m autograd draw EXPR --at name=value,...``.

``demo`` backpropagates through one tanh neuron and prints every gradient; with ``--out DIR``
it also writes ``DIR/neuron.svg`` and the step-by-step player ``DIR/backprop.html`` when
Graphviz is installed.

``draw`` evaluates an arithmetic expression on named Values, backpropagates, prints the
result and the gradients, and draws the graph::

    python -m autograd draw "tanh(x1*w1 + x2*w2 + b)" --at x1=2,w1=-3,x2=0,w2=1,b=6.88 -o neuron.svg

(An expression that starts with ``-`` goes after ``--``: ``draw --at x=1 -- "-x**2"``.)

The expression is parsed and checked against a whitelist (see :mod:`autograd.expr`), never
eval'ed. A refused expression or binding exits with status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from .engine import Value
from .expr import FUNCTIONS, OPERATORS
from .nary import dot

_GRAPH_FORMATS = (".svg", ".png", ".pdf", ".dot")

#: The largest --max-nodes: a drawing of more Values would take Graphviz hours, whatever the expression.
MAX_DRAWN = 100_000


def _build_neuron() -> tuple[Value, list[Value]]:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = dot([w1, w2], [x1, x2], b)
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o, [x1, w1, x2, w2, b, n]


def demo(args: argparse.Namespace) -> int:
    """Build one tanh neuron, backpropagate, and print every gradient (and draw it with --out)."""
    o, (x1, w1, x2, w2, b, n) = _build_neuron()
    o.backward()
    print("o = tanh(w1·x1 + w2·x2 + b)")
    print(f"o = {o.data:.4f}   do/dn = 1 - o² = {n.grad:.4f}")
    for v in (x1, w1, x2, w2, b):
        print(f"  d o / d {v.label:<2} = {v.grad:+.4f}   ({v.label} = {v.data:g})")
    if args.out is None:
        return 0
    from . import viz

    os.makedirs(args.out, exist_ok=True)
    svg_path = os.path.join(args.out, "neuron.svg")
    html_path = os.path.join(args.out, "backprop.html")
    try:
        viz.save_graph(viz.draw_dot(o), svg_path)
        viz.draw_backprop(o, html_path)
    except (ImportError, RuntimeError) as err:
        print(f"drawings skipped: {err}")
        return 0
    print(f"wrote {svg_path} (the graph) and {html_path} (backpropagation, step by step: open it in a browser)")
    return 0


def _fail(message: str) -> int:
    print(f"python -m autograd draw: error: {message}", file=sys.stderr)
    return 2


def draw(args: argparse.Namespace) -> int:
    """Evaluate EXPR on the --at Values, backpropagate, print, and draw; 2 for refused input."""
    from .expr import ExpressionError, evaluate, parse_bindings

    if args.output is not None and os.path.splitext(args.output)[1].lower() not in _GRAPH_FORMATS:
        return _fail(f"-o {args.output!r}: the file name must end in .svg, .png, .pdf or .dot")
    if args.backprop is not None and os.path.splitext(args.backprop)[1].lower() not in (".html", ".htm"):
        return _fail(f"--backprop {args.backprop!r}: the file name must end in .html")
    if args.max_nodes is not None and not 1 <= args.max_nodes <= MAX_DRAWN:
        return _fail(f"--max-nodes {args.max_nodes}: must be from 1 to {MAX_DRAWN:,}")
    try:
        bindings = parse_bindings(args.at)
        variables = {name: Value(x, label=name) for name, x in bindings.items()}
        result = evaluate(args.expression, variables)
    except ExpressionError as err:
        return _fail(str(err))
    if not isinstance(result, Value):  # the expression uses no names: a number
        result = Value(result)
    if not result.label:
        result.label = "out" if "out" not in variables else "result"
    result.backward()
    print(f"{result.label} = {result.data:.6g}")
    for name, v in variables.items():
        print(f"  d {result.label} / d {name} = {v.grad:.6g}")
    if args.output is None and args.backprop is None:
        return 0
    from . import viz

    try:
        if args.output is not None:
            limit = {} if args.max_nodes is None else {"max_nodes": args.max_nodes}
            viz.save_graph(viz.draw_dot(result, rankdir=args.rankdir, **limit), args.output)
            print(f"wrote {args.output}")
        if args.backprop is not None:
            limit = {} if args.max_nodes is None else {"max_nodes": args.max_nodes}
            viz.draw_backprop(result, args.backprop, **limit)
            print(f"wrote {args.backprop}")
    except (ImportError, RuntimeError, ValueError, OSError) as err:
        print(f"python -m autograd draw: {err}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .viz.steps import BACKPROP_MAX_NODES  # a number only: drawing itself is imported when used

    parser = argparse.ArgumentParser(
        prog="python -m autograd", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="backpropagate through one neuron and print the gradients")
    p.add_argument("--out", default=None, help="a folder for the demo's drawings (when drawing is available)")
    p.set_defaults(func=demo)

    d = sub.add_parser(
        "draw",
        help="evaluate an expression on named Values, backpropagate, and draw its graph",
        description=(
            f"Evaluate EXPR with {' '.join(OPERATORS)}, parentheses and the functions {' '.join(FUNCTIONS)} on the "
            "Values named in --at, backpropagate, print the gradients, and draw the graph."
        ),
    )
    d.add_argument("expression", metavar="EXPR", help='e.g. "tanh(x1*w1 + x2*w2 + b)"')
    d.add_argument("--at", default="", metavar="NAME=VALUE,...", help="the Values, e.g. x1=2,w1=-3,x2=0,w2=1,b=6.88")
    d.add_argument("-o", "--output", default=None, metavar="OUT", help="the drawing: .svg, .png, .pdf, or .dot (source)")
    d.add_argument("--backprop", default=None, metavar="OUT.html", help="also write the step-by-step backprop player")
    d.add_argument("--rankdir", default="LR", choices=("LR", "TB", "RL", "BT"), help="layout direction (default LR)")
    d.add_argument(
        "--max-nodes", type=int, default=None, metavar="N",
        help=f"refuse to draw more Values than this (default 500 for -o, {BACKPROP_MAX_NODES} for --backprop; "
        f"at most {MAX_DRAWN:,})",
    )
    d.set_defaults(func=draw)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
