"""Shared test helpers: optional components, tolerances, and finite differences.

Every test module imports what it needs from here (``from helpers import close, require``);
``pytest`` puts ``tests/`` on the path (``pythonpath`` in ``pyproject.toml``).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from types import ModuleType
from typing import Any

import pytest

#: Under CI a missing optional component is a failure, never a silent skip.
IN_CI = os.environ.get("CI") == "true"


def require(module: str) -> ModuleType:
    """Import ``module``; skip the test when it is missing, but fail under CI=true."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        if IN_CI:
            pytest.fail(f"{module} is required under CI but cannot be imported: {e}")
        pytest.skip(f"{module} is not installed")
        raise  # unreachable: skip raises


def require_program(name: str) -> str:
    """The path of the executable ``name``; skip when missing, but fail under CI=true."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"the program {name!r} is required under CI but is not on PATH")
        pytest.skip(f"the program {name!r} is not installed")
    return path  # type: ignore[return-value]


def hide_module(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    """Make ``import module`` (and its submodules) fail with ImportError, as if it were not installed."""
    import builtins

    real_import = builtins.__import__

    def without(name: str, *args: object, **kwargs: object) -> object:
        if name == module or name.startswith(module + "."):
            raise ImportError(f"No module named '{module}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without)


def close(a: float, b: float, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Equal within tolerance, where nan equals nan and inf equals inf of the same sign."""
    if a != a or b != b:
        return a != a and b != b
    if a in (float("inf"), float("-inf")) or b in (float("inf"), float("-inf")):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)


#: The step of a central finite difference. Its error is about h²·f''' + ε/h: near 1e-10 here.
FD_STEP = 1e-6
#: What a central difference with :data:`FD_STEP` is compared with: safe for smooth functions of
#: numbers of order 1 (the ops' domains, small networks).
FD_RTOL, FD_ATOL = 1e-6, 1e-7
#: Comparing with PyTorch float64: the same IEEE operations, rounded in another order.
TORCH_RTOL, TORCH_ATOL = 1e-12, 1e-14


def finite_difference(f: Callable[[list[float]], float], point: Sequence[float], i: int, h: float = FD_STEP) -> float:
    """The central difference (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h: ∂f/∂xᵢ at ``point``."""
    up, down = list(point), list(point)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (2 * h)


def numeric_gradient(f: Callable[[list[float]], float], point: Sequence[float], h: float = FD_STEP) -> list[float]:
    """Every ∂f/∂xᵢ at ``point`` by central differences."""
    return [finite_difference(f, point, i, h) for i in range(len(point))]


#: How the browser tests start Chromium here: headless, and with no connection of its own to make
#: (the machine's network is closed; background requests would be refused many at a time).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def program(*candidates: str) -> str:
    """The path of the first of ``candidates`` on PATH; skip when none is, but fail under CI=true."""
    for name in candidates:
        path = shutil.which(name)
        if path is not None:
            return path
    return require_program(candidates[0])


@contextlib.contextmanager
def headless_chromium(window: str = "1200,900", log_requests: bool = False) -> Iterator[Any]:
    """A selenium driver of headless Chromium in a fresh profile, quit and cleaned up after.

    ``log_requests`` records the browser's network log (``driver.get_log("performance")``). Skips
    when selenium, Chromium or its driver is missing, or the browser cannot start; fails under CI.
    """
    webdriver = require("selenium.webdriver")
    chromium = program("chromium", "chromium-browser")
    chromedriver = program("chromedriver")
    profile = tempfile.mkdtemp(prefix="valuegrad-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*CHROMIUM_FLAGS, f"--window-size={window}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    if log_requests:
        options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    try:
        driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=chromedriver), options=options)
    except Exception as err:  # a browser that cannot start here is an environment problem, not a page bug
        shutil.rmtree(profile, ignore_errors=True)
        if IN_CI:
            pytest.fail(f"headless Chromium did not start: {err}")
        pytest.skip(f"headless Chromium did not start: {err}")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def explorer_on_a_thread(token: str, join_timeout: float = 20.0, **options: Any) -> Iterator[Any]:
    """An explorer server (``nn.explore.server.ExplorerServer(token=token, **options)``) running its
    event loop on a thread of this process; stopped after, and checked to be gone within
    ``join_timeout`` seconds. Skips without tornado (fails under CI)."""
    import asyncio
    import threading

    require("tornado")
    from nn.explore.server import ExplorerServer

    box: dict[str, Any] = {}
    started = threading.Event()

    async def main() -> None:
        box["server"] = ExplorerServer(token=token, **options)
        box["loop"], box["stop"] = asyncio.get_running_loop(), asyncio.Event()
        await box["server"].start()
        started.set()
        await box["stop"].wait()
        await box["server"].stop()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert started.wait(20), "the explorer server did not start within 20 s"
    try:
        yield box["server"]
    finally:
        box["loop"].call_soon_threadsafe(box["stop"].set)
        thread.join(join_timeout)
        assert not thread.is_alive(), f"the server did not stop within {join_timeout:.0f} s"
