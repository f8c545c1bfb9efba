"""How fast graphs are drawn: Graphviz layout seconds and page bytes, by shape and size.

    python benchmarks/viz.py                 # every shape at 100, 1,000, 2,000 and 10,000 Values
    python benchmarks/viz.py --quick         # small sizes only: proves the script runs
    python benchmarks/viz.py --options       # the Graphviz settings compared (the table below)
    python benchmarks/viz.py --browser       # also open and step each player page in Chromium

Shapes (each built near the size asked, and counted exactly):

* ``layer``: one layer of ReLU neurons on shared inputs (nn.Layer), summed;
* ``recurrence``: an unrolled loop ``h = tanh(h·x[i % 20] + x[(7i + 3) % 20])`` that reuses
  its 20 inputs all along the chain: the pathological case for ``dot``;
* ``attention``: one causal attention head (:func:`nn.gpt.attend`) over T positions;
* ``random``: a random DAG of ``+``, ``·`` and ``tanh(a − b)`` over earlier Values;
* ``training step``: MLP(2, [16, 16, 1]) on 64 points, hinge loss and L2, in ``group("step")``;
* ``gpt step``: notebook 10's GPT (``Sizes(vocab=32)``) on 16 tokens, in ``group("gpt step")``.

The first four are built inside groups of about 10 ops (``iteration``, ``position``, the
layer's ``neuron k``; the random DAG has none), the way a user would name them.

Figures: *Values* in the graph; *drawn* the records and boxes the drawing lays out (Values
shown one by one, copies of far-used Values, boxes of closed groups): graphs of up to 2,000
Values are drawn whole (``collapse=False``), bigger ones as :func:`autograd.viz.draw_dot`
decides by default (collapsed, when they have groups); *layout* who placed the nodes: ``dot``,
or ``quick`` (:mod:`autograd.viz.quick`, which ``draw_dot`` chooses where ``dot`` would take
more than a few seconds; Graphviz then only draws); *build s* the Python side (the graph, and
the quick layout when chosen); *Graphviz CPU s* the processor time of ``dot -Tsvg`` on the
source (user + system), which load on a shared machine does not change much, and *wall s* its
elapsed time; the time to an SVG is build s + wall s; *SVG bytes* the drawing;
*page bytes* the backprop player's page (:func:`autograd.viz.backprop_html`), or why it was
refused; it is made only for graphs of up to ``--pages-up-to`` Values (1,000 by default), since
the player lays out the whole graph. ``--browser`` adds the player's open and step times in Chromium
(:func:`browser_figures`).

Graphviz's settings, measured with ``--options`` (layout CPU seconds, each shape at about
1,000 Values drawn flat, with the copies of far-used Values; the machine is a loaded 2-core
EPYC, so read the ratios):

    setting (layout CPU seconds; >15: stopped at 15)  layer 990  recurrence 1,001  attention 817  random 1,150
    -----------------------------------------------  ---------  ----------------  -------------  ------------
    Graphviz defaults                                     2.22              2.20            >15           >15
    nslimit=1 nslimit1=1 (LAYOUT_ATTRS)                   2.48              2.31           9.89           >15
    nslimit=1 nslimit1=1 mclimit=0.1                      1.49              2.41           4.93         12.69
    nslimit=1 nslimit1=1 newrank=true                     1.61              1.38           7.49           >15
    nslimit=0.2 nslimit1=1 mclimit=0.1                    2.09              2.18           3.27          5.86
    nslimit=0.2 nslimit1=1 mclimit=0.1 splines=line       1.73              2.14           2.86          4.34
    (the last: LARGE_LAYOUT_ATTRS, used above LARGE_DRAWING = 600 nodes)

Measured on 7 December 2026 with the machine's load average at 16 (its wall times were 5-10×
the CPU times). The recurrence is drawn with its copies of far-used inputs: without them, the
issue's loop of 100 ops reusing 20 inputs took 3.7 s of CPU with ``nslimit=1`` (63 s of wall
time) against 0.09 s with them. ``searchsize=10 remincross=false`` changed nothing measurable
in an earlier run and was dropped. Small drawings converge long before the caps, so
``LAYOUT_ATTRS`` keeps Graphviz's splines and crossing passes, which read best.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable

from harness import machine_line, say, table
from viz_shapes import SHAPES, WHOLE, count

from autograd import Value
from autograd.viz import backprop_html, draw_dot
from autograd.viz.draw import LARGE_LAYOUT_ATTRS, LAYOUT_ATTRS

SIZES = (100, 1000, 2000, 10000)
QUICK_SIZES = (100, 300)
TIMEOUT = 120.0
#: Graphs up to this many Values are drawn whole, never collapsed: the layouts the issue asks to finish in seconds.
FLAT_UP_TO = 2000


# --- figures ---------------------------------------------------------------------------------


def layout_figures(
    source: str, attrs: dict[str, str] | None = None, timeout: float = TIMEOUT
) -> tuple[float | None, float, int]:
    """``dot -Tsvg`` on ``source``: (CPU seconds, or None past ``timeout`` CPU seconds; wall seconds; SVG bytes).

    The limit is on processor time (``RLIMIT_CPU``), so that a loaded machine does not cut a
    layout short; the wall clock only guards against a stuck process (ten times the limit).
    """
    args = ["dot", "-Tsvg", *[f"-G{k}={v}" for k, v in (attrs or {}).items()]]
    limit = max(1, math.ceil(timeout))

    def cpu_limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit + 1))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        done = subprocess.run(args, input=source.encode("utf-8"), capture_output=True, timeout=10 * timeout,
                              preexec_fn=cpu_limit)  # fmt: skip
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, 0
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (None if done.returncode != 0 else cpu), wall, len(done.stdout)


def browser_figures(html: str) -> dict[str, str]:
    """The seam for the player's figures in Chromium: {"open s": ..., "step ms": ...} for ``html``,
    measured by benchmarks/viz_player.py."""
    from viz_player import page_figures

    return page_figures(html)


def row(
    name: str, target: int, build: Callable[[int], Value], browser: bool, timeout: float, pages_up_to: int
) -> list[str]:
    t0 = time.perf_counter()
    root = build(target)
    values = count(root)
    try:  # up to 2,000 Values drawn whole (the hard case for Graphviz), beyond that as draw_dot decides
        graph = draw_dot(root, max_nodes=10**6, collapse=False if values <= FLAT_UP_TO else None)
    except ValueError as e:
        return [name, f"{target:,}", f"{values:,}", "-", "-", "refused", "-", "-", "-", str(e)[:60], "-", "-"]
    drawn = graph.source.count("shape=record") + graph.source.count("shape=plain")
    engine = "quick" if graph.graph_attr.get("layout") == "nop2" else "dot"
    built = time.perf_counter() - t0
    cpu, wall, svg = layout_figures(graph.source, timeout=timeout)
    page: str | None = None
    if values > pages_up_to:
        page_text = "not made"
    else:
        try:
            page = backprop_html(root)
            page_text = f"{len(page.encode('utf-8')):,}"
        except (ValueError, RuntimeError) as e:
            page_text = "refused: " + str(e).split(".")[0][-40:]
    figures = browser_figures(page) if browser and page is not None else {}
    return [
        name, f"{target:,}" if target else "-", f"{values:,}", f"{drawn:,}", engine, f"{built:.2f}",
        f">{timeout:.0f}" if cpu is None else f"{cpu:.2f}", f"{wall:.2f}", f"{svg:,}", page_text,
        figures.get("open s", "-"), figures.get("step ms", "-"),
    ]  # fmt: skip


def options(sizes: tuple[int, ...], timeout: float) -> None:
    """Layout CPU seconds for each Graphviz setting, each shape drawn flat (no collapsing)."""
    settings: dict[str, dict[str, str]] = {
        "Graphviz defaults": {},
        "nslimit=1 nslimit1=1": {"nslimit": "1", "nslimit1": "1"},
        "nslimit=1 nslimit1=1 mclimit=0.1": {"nslimit": "1", "nslimit1": "1", "mclimit": "0.1"},
        "nslimit=1 nslimit1=1 newrank=true": {"nslimit": "1", "nslimit1": "1", "newrank": "true"},
        "nslimit=0.2 nslimit1=1 mclimit=0.1": {"nslimit": "0.2", "nslimit1": "1", "mclimit": "0.1"},
        "nslimit=0.2 nslimit1=1 mclimit=0.1 splines=line": {"nslimit": "0.2", "nslimit1": "1", "mclimit": "0.1",
                                                            "splines": "line"},
    }  # fmt: skip
    sources = {}
    chosen, chosen_large = dict(LAYOUT_ATTRS), dict(LARGE_LAYOUT_ATTRS)
    LAYOUT_ATTRS.clear()  # the sources carry no setting: each is given on the command line
    LARGE_LAYOUT_ATTRS.clear()
    try:
        for name, build in SHAPES.items():
            for n in sizes:
                root = build(n)
                graph = draw_dot(root, max_nodes=10**6, collapse=False, quick=False)  # dot's own settings compared
                sources[f"{name} {count(root):,}"] = graph.source
    finally:
        LAYOUT_ATTRS.update(chosen)
        LARGE_LAYOUT_ATTRS.update(chosen_large)
    rows = []
    for label, attrs in settings.items():
        cells = [label]
        for source in sources.values():
            cpu, _, _ = layout_figures(source, attrs, timeout)
            cells.append(f">{timeout:.0f}" if cpu is None else f"{cpu:.2f}")
        rows.append(cells)
        say("  " + " | ".join(cells))
    say()
    say(table(["setting", *sources], rows))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--options", action="store_true", help="compare Graphviz settings")
    parser.add_argument("--browser", action="store_true", help="also time the player pages in Chromium")
    parser.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="give up on a layout after this many CPU seconds"
    )
    parser.add_argument("--sizes", type=int, nargs="*", help="the sizes to build (default: 100 1000 2000 10000)")
    parser.add_argument("--no-whole", action="store_true", help="leave out the training step and the GPT step")
    parser.add_argument(
        "--pages-up-to",
        type=int,
        default=None,
        help="make the player's page only for graphs up to this many Values (default 1000; none with --quick)",
    )
    args = parser.parse_args(argv)
    say(machine_line())
    if args.options:
        options(QUICK_SIZES[:1] if args.quick else (1000,), args.timeout)
        return 0
    sizes = QUICK_SIZES if args.quick else tuple(args.sizes or SIZES)
    pages = args.pages_up_to if args.pages_up_to is not None else (0 if args.quick else 1000)
    jobs = [] if args.quick or args.no_whole else [(name, 0, build) for name, build in WHOLE.items()]
    jobs += [(name, n, build) for n in sizes for name, build in SHAPES.items()]
    rows = []
    for name, n, build in jobs:
        rows.append(row(name, n, build, args.browser, args.timeout, pages))
        say("  " + " | ".join(rows[-1]))  # as it goes: a full run takes minutes
    say()
    headers = ["shape", "asked", "Values", "drawn", "layout", "build s", "Graphviz CPU s", "wall s", "SVG bytes", "page bytes",
               "open s", "step ms"]  # fmt: skip
    say(table(headers, rows))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main(sys.argv[1:]))
