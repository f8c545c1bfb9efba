"""The backprop player in Chromium: how big its page is, how fast it opens, steps and opens a box.

    python benchmarks/viz_player.py          # issue 19's two pages: a training step and a GPT step

Pages: ``training step`` is MLP(2, [16, 16, 1]) on 64 points with a hinge loss and L2, and
``gpt step`` notebook 10's GPT on 16 tokens, both built in a group (benchmarks/viz.py builds
them), so the player starts with their groups as boxes. Figures, each from one run in a fresh
headless Chromium (tests/helpers.py):

* *Values*: the graph's size; *write s*: :func:`autograd.viz.draw_backprop` (Graphviz lays
  out the first drawing; the others' DOT text is made); *page MB*: the file;
* *open s*: from ``driver.get`` until the player has read its data and drawn step 0;
* *step ms*: one Next, in the page (``performance.now()`` around the click, with the style
  and layout it causes forced), the mean of 20;
* *open box s*: a click on the first box that opens, until its drawing (laid out in the page
  by Graphviz in WebAssembly) is shown.

benchmarks/viz.py's ``--browser`` columns come from :func:`page_figures`.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from autograd import Value  # noqa: E402
from autograd.graph import topological_order  # noqa: E402


def _pages() -> dict[str, Callable[[], Value]]:
    from viz_shapes import gpt_step, training_step

    return {"mlp": lambda: training_step(0), "gpt": lambda: gpt_step(0)}


class _Pages(dict[str, Callable[[], Value]]):
    """The two pages' graphs, built on first use (benchmarks/viz.py imports nn and graphviz)."""

    def __missing__(self, key: str) -> Callable[[], Value]:
        self.update(_pages())
        return self[key]


PAGES = _Pages()

_OPEN_BOX = """
const done = arguments[arguments.length - 1], root = document.querySelector('.vg-player');
const box = root.querySelector('g.vg-box');
if (!box) { done(null); return; }
const t = performance.now();
box.dispatchEvent(new MouseEvent('click', {bubbles: true}));
const wait = () => root.classList.contains('vg-busy') ? setTimeout(wait, 5) : done((performance.now() - t) / 1000);
setTimeout(wait, 0);
"""
_STEPS = """
const next = document.querySelector('.vg-player .vg-next'), t = performance.now();
for (let i = 0; i < 20; i++) { next.click(); void document.body.offsetHeight; }
return (performance.now() - t) / 20;
"""


def measure(driver: Any, path: Path) -> dict[str, float | None]:
    """Open the page at ``path`` in ``driver`` and time it: open s, step ms, open box s."""
    driver.set_script_timeout(300)
    started = time.perf_counter()
    driver.get(path.as_uri())
    while not driver.execute_script("return !!document.querySelector('.vg-player[data-vg-ready]')"):
        if time.perf_counter() - started > 300:
            raise TimeoutError(f"the player in {path} did not start within 300 s")
        time.sleep(0.01)
    opened = time.perf_counter() - started
    step = driver.execute_script(_STEPS)
    box = driver.execute_async_script(_OPEN_BOX)
    return {"open s": opened, "step ms": step, "open box s": box}


def browser_figures(driver: Any, root: Value, path: Path) -> dict[str, Any]:
    """``root``'s player written to ``path`` and measured in ``driver``, rounded for printing."""
    from autograd.viz import draw_backprop

    started = time.perf_counter()
    draw_backprop(root, path)
    written = time.perf_counter() - started
    figures = measure(driver, path)
    box = figures["open box s"]
    return {
        "Values": len(topological_order(root)),
        "write s": round(written, 1),
        "page MB": round(os.path.getsize(path) / 1e6, 2),
        "open s": round(figures["open s"] or 0.0, 2),
        "step ms": round(figures["step ms"] or 0.0, 1),
        "open box s": "-" if box is None else round(box, 2),
    }


def page_figures(html: str) -> dict[str, str]:
    """benchmarks/viz.py's browser columns for one player page: {"open s": ..., "step ms": ...}."""
    from helpers import headless_chromium

    with tempfile.TemporaryDirectory() as tmp, headless_chromium(window="1200,900") as driver:
        path = Path(tmp) / "player.html"
        path.write_text(html, encoding="utf-8")
        figures = measure(driver, path)
    return {"open s": f"{figures['open s']:.2f}", "step ms": f"{figures['step ms']:.1f}"}


def main() -> int:
    from helpers import headless_chromium

    print("page          Values   write s  page MB  open s  step ms  open box s")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("mlp", "gpt"):
            root = PAGES[name]()
            with headless_chromium(window="1200,900") as driver:
                f = browser_figures(driver, root, Path(tmp) / f"{name}.html")
            print(f"{name:<12} {f['Values']:>7,} {f['write s']:>8} {f['page MB']:>8} {f['open s']:>7} "
                  f"{f['step ms']:>8} {f['open box s']:>11}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
