"""The Jupyter widget from Python: its configuration, its synced state, and the page's messages.

(The widget in a real JupyterLab and browser: tests/integration/test_explorer_browser.py.)
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import require

from nn.explore.config import Config


@pytest.fixture
def explorer() -> Iterator[Any]:
    require("anywidget")
    from nn.explore import Explorer

    widget = Explorer({"samples": 40, "hidden": [3]}, grid=12, lock=["reset"])
    try:
        yield widget
    finally:
        widget.close()


def test_the_widget_ships_the_front_end_files_and_the_state(explorer: Any) -> None:
    static = Path(__file__).resolve().parents[2] / "nn" / "explore" / "static"
    assert str(explorer._esm) == (static / "explorer.js").read_text()
    assert str(explorer._css) == (static / "explorer.css").read_text()
    assert explorer.setup["config"]["grid"] == 12 and explorer.setup["locked"] == ["reset"]
    assert explorer.frame["step"] == 0 and explorer.inspect == {"point": None}
    assert explorer.config == Config(samples=40, hidden=(3,), grid=12, lock=("reset",))


def wait_for(condition: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_pages_messages_drive_it(explorer: Any) -> None:
    explorer._on_message(explorer, {"type": "step", "count": 2}, [])
    wait_for(lambda: explorer.frame["step"] == 2)
    explorer.step(3)
    wait_for(lambda: explorer.frame["step"] == 5)
    assert explorer.session.step == 5
    explorer.play()
    wait_for(lambda: explorer.frame["step"] >= 9)
    explorer.pause()
    sent: list[Any] = []
    explorer.send = lambda content, buffers=None: sent.append(content)
    explorer._on_message(explorer, {"type": "reset"}, [])
    explorer._on_message(explorer, {"type": "os.system"}, [])
    wait_for(lambda: len(sent) == 2)  # refused on the training thread, reported to the page
    assert sent[0] == {"type": "error", "message": "'reset' is locked by the configuration"}
    assert sent[1]["message"].startswith("message 'type' expects one of")


def test_a_bad_configuration_is_refused_before_anything_starts() -> None:
    require("anywidget")
    from nn.explore import Explorer

    with pytest.raises(ValueError, match=r"config: 'hidden' expects a list of at most 6 layer widths"):
        Explorer(hidden=[100])
    with pytest.raises(ValueError, match="config: not valid JSON"):
        Explorer("{dataset: xor}")
    with pytest.raises(ValueError, match="config expects a dict, JSON text or a Config, got int"):
        Explorer(3)  # type: ignore[arg-type]
