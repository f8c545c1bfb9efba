"""How fast the docs site's playground is, in headless Chromium: its start, and the explorer in its worker.

    python benchmarks/playground.py             # 3 page loads, 100 explorer steps each way
    python benchmarks/playground.py --loads 5 --steps 200

It assembles the playground (docs/playground/build.py: needs npm; downloads are cached), serves it
from a plain static server on 127.0.0.1, as ``python -m http.server`` does, and prints:

* the time until Run works (Python and valuegrad loaded in the worker), for a cold page (a fresh
  browser profile) and for warm ones (the same page again: its files from the browser's cache, and
  Python's memory restored from the snapshot that the cold page kept), and once more without that
  snapshot (the browser's cache only), each with the browser's CPU time (all its processes; on
  Linux), the worker's own breakdown (reading the snapshot, Pyodide's start or restore, Graphviz's,
  the wheels unpacked, the imports) and the machine's load;
* the moons example's time (20 steps of gradient descent on 100 points);
* the explorer's training steps a second while it plays (moons, MLP(2, [8, 8, 1])), in the
  playground's worker and, side by side, on ``python -m nn explore``'s server.

The goals (issue 25): a cold page interactive in 5 s, a warm one in 2 s, and 20 steps a second.
Wall-clock figures depend on how busy the machine is: the first line says its load. Nothing here
is asserted; tests/integration/test_playground_browser.py tests what the playground does.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import machine_line

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "docs" / "playground")]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(folder: Path) -> str:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def _wait(driver: Any, condition: Any, timeout: float = 300) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, 0.05).until(condition)


def _play(driver: Any, prefix: str, steps: int) -> float:
    """Press Play on the explorer under ``prefix``; training steps a second until ``steps``."""
    explorer = _wait(driver, lambda d: d.find_elements("css selector", prefix + ".vg-explorer"))[0]
    _wait(driver, lambda d: explorer.get_attribute("data-step") == "0" and d.find_elements("css selector", prefix + ".vg-dot"))
    driver.find_element("css selector", prefix + ".vg-play").click()
    start = time.monotonic()
    _wait(driver, lambda d: int(explorer.get_attribute("data-step")) >= steps)
    elapsed = time.monotonic() - start
    driver.find_element("css selector", prefix + ".vg-play").click()
    return int(explorer.get_attribute("data-step")) / elapsed


def _cpu_seconds() -> float | None:
    """CPU time (user + system) of this process's descendants, the browser's processes among them (Linux's /proc).

    Unlike the wall clock, it hardly depends on what else the machine runs; None where there is no /proc.
    """
    children: dict[int, list[tuple[int, int]]] = {}
    try:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                    children.setdefault(int(fields[1]), []).append((int(entry), int(fields[11]) + int(fields[12])))
    except OSError:
        return None
    total, todo = 0, [os.getpid()]
    while todo:
        for pid, ticks in children.get(todo.pop(), []):
            total += ticks
            todo.append(pid)
    return total / os.sysconf("SC_CLK_TCK")


def _load(driver: Any, page: str, what: str) -> str:
    """Load ``page``; a line with the time until Run works (wall and the browser's CPU), how Python
    started, and the machine's load."""
    cpu = _cpu_seconds()
    start = time.monotonic()
    driver.get(page)
    _wait(driver, lambda d: d.execute_script("return document.body.dataset.state") in ("ready", "failed"))
    elapsed = time.monotonic() - start
    after = _cpu_seconds()
    used = f", CPU {after - cpu:.2f} s" if cpu is not None and after is not None else ""
    state, how = driver.execute_script("return [document.body.dataset.state, document.body.dataset.start]")
    phases = driver.execute_script("return document.getElementById('pg-status').title")
    started = "from the snapshot" if how == "snapshot" else "afresh" if state == "ready" else "FAILED"
    return (f"{what}, until Run works: {elapsed:.2f} s{used}, Python {started} (load {os.getloadavg()[0]:.2f})\n"
            f"  {phases}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loads", type=int, default=3, help="page loads: the first cold, the others warm (and one more without the snapshot)")
    parser.add_argument("--steps", type=int, default=100, help="explorer steps to time, each way")
    args = parser.parse_args()
    # docs/playground/build.py sorts as first- or third-party as a checkout has a build/ folder or not
    from helpers import headless_chromium  # noqa: I001
    import build

    print(machine_line())
    site = Path(tempfile.mkdtemp(prefix="valuegrad-playground-")) / "playground"
    size = build.build(site)
    print(f"the playground: {size / 1e6:.1f} MB")
    page = _serve(site) + "/index.html"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen([sys.executable, "-m", "nn", "explore", "--no-browser"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert server.stdout is not None
        found = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", server.stdout.readline())
        assert found, "python -m nn explore printed no URL"
        with headless_chromium(window="1300,1400") as driver:
            print(_load(driver, page, "cold page (a fresh profile)"))
            start = time.monotonic()
            _wait(driver, lambda d: d.execute_script("return document.body.dataset.snapshot") is not None)
            kept = driver.execute_script("return document.body.dataset.snapshot")
            print(f"  its snapshot of Python's memory: {kept}, {time.monotonic() - start:.2f} s after the page was ready")
            for _ in range(args.loads - 1):
                print(_load(driver, page, "warm page (the browser's cache and the snapshot)"))
            driver.execute_script("indexedDB.deleteDatabase('valuegrad-playground')")
            print(_load(driver, page, "warm page without the snapshot (the browser's cache only)"))
            driver.execute_script("const s = document.getElementById('pg-example'); s.value = 'moons';"
                                  "s.dispatchEvent(new Event('change'));")
            _wait(driver, lambda d: "make_moons" in d.execute_script("return document.getElementById('pg-code').value"))
            start = time.monotonic()
            driver.find_element("id", "pg-run").click()
            _wait(driver, lambda d: d.execute_script("return document.body.dataset.run") != "running")
            print(f"moons example (20 steps of 100 points): {time.monotonic() - start:.2f} s")
            driver.find_element("id", "pg-explorer-open").click()
            worker = _play(driver, "#pg-explorer ", args.steps)
            driver.get(found.group(0))
            served = _play(driver, "", args.steps)
            print(f"explorer, Play, moons, MLP(2, [8, 8, 1]): {worker:.1f} steps/s in the worker, {served:.1f} on the server")
    finally:
        server.terminate()
        server.wait(20)


if __name__ == "__main__":
    main()
