"""The backprop player in a real headless Chromium: the buttons, the slider and the keys step frames.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian's packages), selenium, and
Graphviz's ``dot``: skipped when one is missing, except under CI=true, where that fails.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import IN_CI, require, require_program

from autograd import Value, dot

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1200,900",
)


def _program(*candidates: str) -> str:
    for name in candidates:
        path = shutil.which(name)
        if path is not None:
            return path
    return require_program(candidates[0])  # skips, or fails under CI


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require("graphviz")
    require_program("dot")
    webdriver = require("selenium.webdriver")
    chromium = _program("chromium", "chromium-browser")
    chromedriver = _program("chromedriver")
    profile = tempfile.mkdtemp(prefix="valuegrad-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    try:
        driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=chromedriver), options=options)
    except Exception as err:  # a browser that cannot start here is an environment problem, not a player bug
        shutil.rmtree(profile, ignore_errors=True)
        if IN_CI:
            pytest.fail(f"headless Chromium did not start: {err}")
        pytest.skip(f"headless Chromium did not start: {err}")
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def player(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    require("graphviz")
    require_program("dot")
    from autograd.viz import backprop_steps, draw_backprop

    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    n = dot([w1, w2], [x1, x2], Value(6.8813735870195432, label="b"))
    n.label = "n"
    o = (n.tanh() * 2 - 1) ** 2
    o.label = "o"
    path = tmp_path_factory.mktemp("player") / "backprop.html"
    draw_backprop(o, path)
    return path, len(backprop_steps(o))


def shown(driver: Any) -> tuple[int, str]:
    """The one visible frame's step number and caption.

    Read in one script, as a single snapshot of the page: checking frame by frame from the test
    takes one round-trip each, and while Play runs its timer can move on between two of them.
    """
    visible = driver.execute_script(
        "return Array.from(document.querySelectorAll('figure.vg-frame'))"
        ".filter(f => getComputedStyle(f).display !== 'none')"
        ".map(f => [f.dataset.step, f.querySelector('figcaption').textContent]);"
    )
    assert len(visible) == 1, f"{len(visible)} frames visible at once"
    step, caption = visible[0]
    return int(step), " ".join(caption.split())


def test_next_prev_slider_and_keys_change_the_frame_and_caption(browser: Any, player: tuple[Path, int]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    path, count = player
    browser.get(path.as_uri())
    assert shown(browser)[0] == 0 and shown(browser)[1].startswith("Step 0 of")
    counter = browser.find_element(By.CSS_SELECTOR, ".vg-counter")
    assert counter.text == f"step 0 of {count - 1}"

    captions = [shown(browser)[1]]
    for k in range(1, count):
        browser.find_element(By.CSS_SELECTOR, ".vg-next").click()
        step, caption = shown(browser)
        assert step == k and caption.startswith(f"Step {k} of {count - 1}")
        assert caption not in captions
        captions.append(caption)
    browser.find_element(By.CSS_SELECTOR, ".vg-next").click()  # at the end it stays
    assert shown(browser)[0] == count - 1
    assert browser.find_element(By.CSS_SELECTOR, ".vg-slider").get_attribute("value") == str(count - 1)

    browser.find_element(By.CSS_SELECTOR, ".vg-prev").click()
    assert shown(browser) == (count - 2, captions[count - 2])

    slider = browser.find_element(By.CSS_SELECTOR, ".vg-slider")
    browser.execute_script(
        "arguments[0].value = '1'; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", slider
    )
    assert shown(browser) == (1, captions[1])

    browser.find_element(By.CSS_SELECTOR, ".vg-player").send_keys(Keys.ARROW_RIGHT)
    assert shown(browser)[0] == 2
    browser.find_element(By.CSS_SELECTOR, ".vg-player").send_keys(Keys.ARROW_LEFT)
    assert shown(browser)[0] == 1


def test_play_runs_to_the_last_frame(browser: Any, player: tuple[Path, int]) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    path, count = player
    browser.get(path.as_uri())
    play = browser.find_element(By.CSS_SELECTOR, ".vg-play")
    play.click()
    assert play.text == "Pause"
    WebDriverWait(browser, timeout=60, poll_frequency=0.2).until(lambda d: shown(d)[0] == count - 1)
    WebDriverWait(browser, timeout=10, poll_frequency=0.2).until(lambda d: play.text == "Play")


def test_every_frame_draws_an_svg_with_nodes(browser: Any, player: tuple[Path, int]) -> None:
    path, count = player
    browser.get(path.as_uri())
    sizes = browser.execute_script(
        "return Array.from(document.querySelectorAll('figure.vg-frame svg')).map("
        "s => s.querySelectorAll('g.node').length);"
    )
    assert len(sizes) == count and min(sizes) > 5
    assert os.path.getsize(path) > 1000


def test_two_players_on_one_page_each_step_on_their_own(
    browser: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In Jupyter each output cell holds a player followed by its own copy of the script, which
    starts the players that are not started yet: each player works, and only its own."""
    from selenium.webdriver.common.by import By

    require("IPython")
    from autograd.viz import backprop_widget

    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # the HTML player that Jupyter shows
    x = Value(0.5, label="x")
    cells = [backprop_widget(x.tanh().exp()).data, backprop_widget((x * 3.0).tanh().exp()).data]
    path = tmp_path / "notebook.html"
    path.write_text("<!DOCTYPE html>\n<html><body>\n" + "\n".join(cells) + "\n</body></html>\n", encoding="utf-8")
    browser.get(path.as_uri())

    def steps() -> list[int]:
        return browser.execute_script(  # type: ignore[no-any-return]
            "return Array.from(document.querySelectorAll('.vg-player')).map(p => Array.from("
            "p.querySelectorAll('figure.vg-frame')).filter(f => getComputedStyle(f).display !== 'none')"
            ".map(f => parseInt(f.dataset.step, 10)));"
        )

    assert steps() == [[0], [0]]
    counters = [c.text for c in browser.find_elements(By.CSS_SELECTOR, ".vg-counter")]
    assert counters == ["step 0 of 2", "step 0 of 3"]
    first, second = browser.find_elements(By.CSS_SELECTOR, ".vg-next")
    second.click()
    assert steps() == [[0], [1]]
    first.click()
    first.click()
    first.click()  # past the end it stays
    assert steps() == [[2], [1]]
    counters = [c.text for c in browser.find_elements(By.CSS_SELECTOR, ".vg-counter")]
    assert counters == ["step 2 of 2", "step 1 of 3"]
