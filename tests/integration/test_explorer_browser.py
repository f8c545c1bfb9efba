"""The training explorer in a real headless Chromium: standalone (``python -m nn explore``) and as
a widget inside a real JupyterLab.

Needs /usr/bin/chromium and /usr/bin/chromedriver (Debian's packages), selenium, tornado,
anywidget and JupyterLab, and Graphviz's ``dot`` for the point's graph: skipped when one is
missing, except under CI=true, where that fails. Every server is started by these tests on
127.0.0.1 and stopped at the end.

With ``VALUEGRAD_SCREENSHOTS=notebooks/images`` set, the tests also save the README's pictures
of the explorer there.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from helpers import headless_chromium, require, require_program

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = os.environ.get("VALUEGRAD_SCREENSHOTS")



def _env(**extra: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""), **extra)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium(window="1300,1400") as driver:
        driver.set_page_load_timeout(60)
        yield driver


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """``python -m nn explore --no-browser`` on a free port; yields its URL (with the token).

    At the end it gets Ctrl-C (SIGINT) with a page still open, and must stop cleanly."""
    require("tornado")
    proc = subprocess.Popen(
        [sys.executable, "-m", "nn", "explore", "--no-browser", "--config", "samples=120"],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/\?token=\S+", line)
        assert match, f"no URL in {line!r}; stderr: {proc.stderr.read() if proc.stderr else ''}"
        yield match.group(0)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:  # never hang: kill it, and say so
            proc.kill()
            out, err = proc.communicate()
            pytest.fail(f"python -m nn explore was still running 10 s after Ctrl-C; killed it. stderr: {err[-2000:]}")
    assert proc.returncode == 0 and out.rstrip().endswith("stopped") and "Traceback" not in err, err


def wait(driver: Any, condition: Any, timeout: float = 30) -> Any:
    """``condition`` polled until it holds. An element that a re-render replaced while the condition
    looked at it (JupyterLab redraws its cells as it starts) just means: look again."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(
        driver, timeout=timeout, poll_frequency=0.1, ignored_exceptions=(StaleElementReferenceException,)
    ).until(condition)


def step_of(driver: Any) -> int:
    return int(driver.find_element("css selector", ".vg-explorer").get_attribute("data-step") or -1)


def loss_of(driver: Any) -> float:
    return float(driver.find_element("css selector", ".vg-explorer").get_attribute("data-loss"))


def screenshot(driver: Any, name: str, css: str = ".vg-explorer") -> None:
    """Save the element's picture as SCREENSHOTS/name, when asked to (see the module docs)."""
    if SCREENSHOTS:
        driver.execute_script("document.activeElement && document.activeElement.blur();")
        time.sleep(0.5)  # let the last frame paint
        driver.find_element("css selector", css).screenshot(str(Path(SCREENSHOTS) / name))


def clear_dot(driver: Any, split: str) -> int:
    """The index of a ``split`` point whose dot no other dot covers, so a click lands on it."""
    return int(driver.execute_script(
        "for (const dot of document.querySelectorAll('.vg-dot.vg-' + arguments[0])) {"
        "  const r = dot.getBoundingClientRect();"
        "  if (document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === dot) return +dot.dataset.index; }"
        "return -1;", split,
    ))


def open_explorer(driver: Any, url: str) -> None:
    driver.get(url)
    wait(driver, lambda d: d.find_elements("css selector", ".vg-dot") and step_of(d) == 0)


def test_plays_50_steps_and_the_loss_falls(browser: Any, server: str) -> None:
    open_explorer(browser, server)
    first = loss_of(browser)
    browser.find_element("css selector", ".vg-play").click()
    wait(browser, lambda d: step_of(d) >= 50, timeout=60)
    browser.find_element("css selector", ".vg-play").click()  # pause
    wait(browser, lambda d: d.find_element("css selector", ".vg-play").text == "Play")
    assert loss_of(browser) < 0.8 * first
    # the curves, the boundary and every neuron's picture were drawn from the frames
    painted = browser.execute_script(
        "const c = document.querySelector('.vg-boundary');"
        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        "let blue = 0, orange = 0; for (let i = 0; i < d.length; i += 4) {"
        "  if (d[i + 2] > d[i] + 40) blue++; if (d[i] > d[i + 2] + 40) orange++; }"
        "return [blue, orange, document.querySelectorAll('canvas.vg-neuron').length];"
    )
    assert painted[0] > 1000 and painted[1] > 1000 and painted[2] == 2 + 8 + 8 + 1
    if SCREENSHOTS:  # the README's picture: a point's graph open, a weight followed, a neuron hovered
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.support.ui import Select

        browser.find_element("css selector", f".vg-dot.vg-test[data-index='{clear_dot(browser, 'test')}']").click()
        wait(browser, lambda d: d.find_elements("css selector", ".vg-graph svg"))
        Select(browser.find_element("css selector", ".vg-param-select")).select_by_value("layers.1.neurons.2.w.5")
        ActionChains(browser).move_to_element(browser.find_elements("css selector", "canvas.vg-neuron")[5]).perform()
        wait(browser, lambda d: "neuron h1.4" in d.find_element("css selector", ".vg-view-title").text)
        screenshot(browser, "explorer.png")


def test_clicking_a_point_opens_its_graph(browser: Any, server: str) -> None:
    require("graphviz")
    require_program("dot")
    open_explorer(browser, server)
    browser.find_element("css selector", ".vg-step").click()
    wait(browser, lambda d: step_of(d) == 1)
    index = clear_dot(browser, "train")
    dot = browser.find_element("css selector", f".vg-dot.vg-train[data-index='{index}']")
    dot.click()
    graph = wait(browser, lambda d: d.find_elements("css selector", ".vg-graph svg g.node"))
    text = browser.find_element("css selector", ".vg-point").text
    assert f"train point {index} " in text and "step 1" in text, text
    assert len(graph) > 10
    svg_text = browser.find_element("css selector", ".vg-graph svg").get_attribute("textContent")
    assert "loss" in svg_text and "grad" in svg_text and "score" in svg_text
    # the whole graph reaches the inputs
    browser.find_element("xpath", "//button[text()='whole graph']").click()
    wait(browser, lambda d: "x1" in d.find_element("css selector", ".vg-graph svg").get_attribute("textContent"))
    assert "vg-chosen" in dot.get_attribute("class")
    # the backprop player on the same point's graph, stepping inside its own frame
    browser.find_element("xpath", "//button[text()='step through backprop']").click()
    frame = wait(browser, lambda d: d.find_elements("css selector", "iframe.vg-player-frame"))[0]
    browser.switch_to.frame(frame)
    try:
        wait(browser, lambda d: "step 0 of" in d.find_element("tag name", "body").text.lower())
        browser.find_element("xpath", "//button[contains(., 'Next')]").click()
        wait(browser, lambda d: "step 1 of" in d.find_element("tag name", "body").text.lower())
        assert "loss" in browser.find_element("tag name", "svg").get_attribute("textContent")
    finally:
        browser.switch_to.default_content()


def test_the_page_changes_the_model_and_the_data(browser: Any, server: str) -> None:
    from selenium.webdriver.support.ui import Select

    def neurons(d: Any) -> int:
        return len(d.find_elements("css selector", "canvas.vg-neuron"))

    open_explorer(browser, server)
    browser.find_element("css selector", "[data-key='hidden'] button[title='add a hidden layer']").click()
    wait(browser, lambda d: neurons(d) == 2 + 8 + 8 + 4 + 1)
    assert not browser.find_elements("css selector", "[data-key='classes']")
    Select(browser.find_element("css selector", "[data-key='dataset'] select")).select_by_value("spirals")
    wait(browser, lambda d: neurons(d) == 2 + 8 + 8 + 4 + 3 and d.find_elements("css selector", "[data-key='classes']"))
    browser.find_element("css selector", ".vg-play").click()
    wait(browser, lambda d: step_of(d) >= 40, timeout=60)
    browser.find_element("css selector", ".vg-play").click()
    colours = browser.execute_script(
        "const c = document.querySelector('.vg-boundary');"
        "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const seen = new Set();"
        "for (let i = 0; i < d.length; i += 4 * 97) seen.add([d[i], d[i + 1], d[i + 2]].map(v => v >> 5).join());"
        "return seen.size;"
    )
    assert colours > 10  # three classes' colours, at several confidences
    assert not browser.find_element("css selector", ".vg-toast").is_displayed()


def test_dragging_a_weight_moves_the_loss_and_the_boundary(browser: Any, server: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    from nn.explore.config import Config
    from nn.explore.session import Session

    fresh = Session(Config(samples=120))  # the server's session at step 0: the same seed, the same weights
    initial = dict(zip(fresh.names, (p.data for p in fresh.params)))
    open_explorer(browser, server)
    boundary = browser.execute_script("return document.querySelector('.vg-boundary').toDataURL();")
    first = loss_of(browser)
    # drag an edge of the network diagram up by 50 pixels: +0.02 a pixel
    edge = browser.find_elements("css selector", ".vg-edge-hit")[-1]  # into the output neuron
    ActionChains(browser).click_and_hold(edge).move_by_offset(0, -25).move_by_offset(0, -25).release().perform()
    name = wait(browser, lambda d: d.find_element("css selector", ".vg-param-select").get_attribute("value"))
    numbers = wait(browser, lambda d: d.find_element("css selector", ".vg-param-numbers").text)
    wait(browser, lambda d: loss_of(d) != first)
    value = float(re.search(r"value (\S+)", browser.find_element("css selector", ".vg-param-numbers").text).group(1))
    assert name.startswith("layers.2.neurons.0.w.") and numbers
    assert value == pytest.approx(initial[name] + 1.0, abs=0.03)
    assert browser.execute_script("return document.querySelector('.vg-boundary').toDataURL();") != boundary
    # the slider sets the followed parameter too: the output's bias
    Select(browser.find_element("css selector", ".vg-param-select")).select_by_value("layers.2.neurons.0.b")
    wait(browser, lambda d: d.find_element("css selector", ".vg-weight").get_attribute("data-name") == "layers.2.neurons.0.b")
    before = loss_of(browser)
    browser.execute_script(
        "const s = document.querySelector('.vg-weight'); s.value = '3';"
        "s.dispatchEvent(new Event('input', {bubbles: true}));"
    )
    wait(browser, lambda d: "value 3" in d.find_element("css selector", ".vg-param-numbers").text)
    assert loss_of(browser) != before and step_of(browser) == 0


def test_a_url_configuration_comes_up_with_its_controls_locked_and_hidden(browser: Any, server: str) -> None:
    url = server + "&dataset=xor&hidden=4&lock=dataset,hidden,reset&hide=optimizer"
    open_explorer(browser, url)
    dataset = browser.find_element("css selector", "[data-key='dataset'] select")
    assert dataset.get_attribute("value") == "xor" and not dataset.is_enabled()
    assert "vg-locked" in browser.find_element("css selector", "[data-key='dataset']").get_attribute("class")
    assert [w.get_attribute("value") for w in browser.find_elements("css selector", "[data-key='hidden'] input")] == ["4"]
    assert not any(b.is_enabled() for b in browser.find_elements("css selector", "[data-key='hidden'] button"))
    assert not browser.find_element("css selector", ".vg-reset").is_enabled()
    assert not browser.find_elements("css selector", "[data-key='optimizer']")
    assert browser.find_element("css selector", "[data-key='lr'] input").is_enabled()
    assert len(browser.find_elements("css selector", "canvas.vg-neuron")) == 2 + 4 + 1
    screenshot(browser, "explorer_locked.png", ".vg-controls")
    # a locked setting stays locked whatever the page sends: the server refuses it
    browser.execute_script("document.querySelector('[data-key=dataset] select').disabled = false;")
    from selenium.webdriver.support.ui import Select

    Select(dataset).select_by_value("moons")
    alert = wait(browser, lambda d: d.find_element("css selector", ".vg-toast").text)
    assert alert == "'dataset' is locked by the configuration"


def test_a_request_without_the_token_is_refused(browser: Any, server: str) -> None:
    parts = urlsplit(server)
    browser.get(f"{parts.scheme}://{parts.netloc}/")
    assert browser.find_element("tag name", "body").text.startswith("403 no token")
    assert not browser.find_elements("css selector", ".vg-explorer")
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    connection.request("GET", "/explorer.js")
    response = connection.getresponse()
    assert response.status == 403 and b"no token" in response.read()


# --- the widget inside a real JupyterLab --------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on 127.0.0.1 with a token, a temporary root folder holding one notebook, and
    temporary settings; yields the notebook's URL. Killed at the end."""
    require("jupyterlab")
    require("anywidget")
    nbformat = require("nbformat")
    root = tmp_path_factory.mktemp("lab")
    home = tmp_path_factory.mktemp("lab-home")
    cell = "from nn.explore import Explorer\nexplorer = Explorer(samples=80, hidden=[4])\nexplorer"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(cell)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, str(root / "explore.ipynb"))
    token, port = secrets.token_hex(16), _free_port()
    # nothing from the network: no news feed, no update check, no extension manager on PyPI
    (home / "config").mkdir()
    lab_config = {"LabApp": {"news_url": None, "extension_manager": "readonly",
                             "check_for_updates_class": "jupyterlab.NeverCheckForUpdate"}}
    for name in ("jupyter_server_config.json", "jupyter_lab_config.json"):
        (home / "config" / name).write_text(json.dumps(lab_config))
    env = _env(
        JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        IPYTHONDIR=str(home / "ipython"), JUPYTER_PLATFORM_DIRS="1",
    )
    log = open(home / "lab.log", "w")  # noqa: SIM115  # closed below, after the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", f"/api/status?token={token}")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not start:\n{(home / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/lab/tree/explore.ipynb?token={token}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_the_widget_renders_and_steps_inside_jupyterlab(browser: Any, jupyterlab: str) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    browser.get(jupyterlab)

    def displayed_editor(d: Any) -> Any:
        return next((e for e in d.find_elements("css selector", ".jp-Notebook .jp-Cell .cm-content") if e.is_displayed()), None)

    wait(browser, displayed_editor, timeout=90)
    # run the cell once the kernel is connected and idle (the status bar says so): a cell run
    # earlier can be lost
    wait(browser, lambda d: any(e.text.strip().endswith("| Idle")
                                for e in d.find_elements("css selector", ".jp-StatusBar-TextItem")), timeout=90)
    editor = wait(browser, displayed_editor, timeout=30)  # found again: the cell may have been redrawn meanwhile
    editor.click()
    ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.ENTER).key_up(Keys.SHIFT).perform()
    wait(browser, lambda d: d.find_elements("css selector", ".jp-OutputArea .vg-explorer .vg-dot"), timeout=90)
    assert step_of(browser) == 0
    assert len(browser.find_elements("css selector", ".jp-OutputArea canvas.vg-neuron")) == 2 + 4 + 1
    browser.find_element("css selector", ".jp-OutputArea .vg-step").click()
    wait(browser, lambda d: step_of(d) == 1, timeout=30)
    first = loss_of(browser)
    browser.find_element("css selector", ".jp-OutputArea .vg-play").click()
    wait(browser, lambda d: step_of(d) >= 30, timeout=60)
    browser.find_element("css selector", ".jp-OutputArea .vg-play").click()
    assert loss_of(browser) < first
    if SCREENSHOTS:  # JupyterLab's offer of news would cover the picture
        for button in browser.find_elements("xpath", "//div[contains(@class, 'Toastify')]//button[text()='No']"):
            button.click()
    screenshot(browser, "explorer_jupyterlab.png", ".jp-Notebook .jp-Cell")
    # a command the whitelist refuses comes back as a message, shown on the widget
    lr = browser.find_element("css selector", ".jp-OutputArea [data-key='lr'] input")
    browser.execute_script(
        "arguments[0].min = '5'; arguments[0].max = '6'; arguments[0].value = '5.5';"
        "arguments[0].dispatchEvent(new Event('change'));", lr,
    )
    toast = wait(browser, lambda d: d.find_element("css selector", ".jp-OutputArea .vg-toast").text, timeout=30)
    assert toast.startswith("config: 'lr' expects a number in (0, 10]") and "\n" not in toast
