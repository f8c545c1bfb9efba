"""The documentation site: ``make docs``'s strict build, then its pages in a real headless Chromium.

The site is built once, into a temporary folder, with the command of ``make docs``. Needs the
``docs`` extra (Sphinx, MyST-NB, Furo, sphinx-mathjax-offline), selenium, and /usr/bin/chromium
with /usr/bin/chromedriver (Debian's packages): skipped when one is missing, except under
CI=true, where that fails.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import headless_chromium, require

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(ROOT.glob("notebooks/[0-9][0-9]*_*.ipynb"))


def build_command(out: Path) -> list[str]:
    """The command of ``make docs``, writing into ``out``."""
    return [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-c", "docs", ".", str(out)]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module in ("sphinx", "myst_nb", "furo", "sphinx-mathjax-offline"):
        require(module)
    out = tmp_path_factory.mktemp("docs") / "site"
    start = time.perf_counter()
    done = subprocess.run(build_command(out), cwd=ROOT, capture_output=True, text=True, timeout=600)
    seconds = time.perf_counter() - start
    assert done.returncode == 0, f"the strict docs build failed:\n{done.stdout}\n{done.stderr}"
    # -q prints only warnings and errors, and -W turns any warning into a failure: nothing is said.
    assert done.stderr.strip() == "", done.stderr
    print(f"docs built in {seconds:.1f} s")
    return out


def notebook(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def first_heading(nb: dict[str, Any]) -> str:
    """The text of a notebook's first Markdown heading, as a page title shows it."""
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError("the notebook has no level-1 heading")


def has_output(nb: dict[str, Any], mime: str) -> bool:
    return any(mime in out.get("data", {}) for cell in nb["cells"] for out in cell.get("outputs", []))


def test_every_notebook_readme_and_api_module_has_a_page(site: Path) -> None:
    assert NOTEBOOKS, "no notebooks/NN_name.ipynb found"
    for path in NOTEBOOKS:
        assert (site / "notebooks" / f"{path.stem}.html").is_file(), f"no page for {path.name}"
    assert (site / "README.html").is_file()
    for page in ("autograd", "ops", "viz", "nn"):
        assert (site / "docs" / "api" / f"{page}.html").is_file()
    home = (site / "index.html").read_text(encoding="utf-8")
    assert 'url=docs/index.html"' in home  # the top of the site sends the browser to the home page


def test_pages_name_nothing_on_the_network(site: Path) -> None:
    """No page loads a script, style sheet, font, image or frame from another host."""
    remote = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=[\"'](?:https?:)?//", re.I)
    for page in site.rglob("*.html"):
        found = remote.search(page.read_text(encoding="utf-8"))
        assert found is None, f"{page.relative_to(site)} loads {found.group(0)!r}"


def test_the_op_table_has_one_row_per_entry_of_OPS(site: Path) -> None:
    from autograd.ops import OPS

    page = (site / "docs" / "api" / "ops.html").read_text(encoding="utf-8")
    table = page[page.index('class="op-table') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr") == len(OPS) + 1  # the header, then one row per op
    for name in OPS:
        assert f'<span class="pre">{name}</span>' in table


def test_saved_widgets_are_shown_as_still_pictures(site: Path) -> None:
    view = "application/vnd.jupyter.widget-view+json"
    for path in NOTEBOOKS:
        widgets = sum(
            view in out.get("data", {}) for cell in notebook(path)["cells"] for out in cell.get("outputs", [])
        )
        page = (site / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        assert page.count('class="vg-widget docutils container"') == widgets, path.name
        assert f'<script type="{view}">' not in page


def test_a_still_widget_shows_a_box_slider_and_html_and_falls_back_to_text() -> None:
    sys.path.insert(0, str(ROOT / "docs" / "_ext"))
    try:
        from widget_snapshot import Unshowable, widget_html
    finally:
        sys.path.remove(str(ROOT / "docs" / "_ext"))
    models = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_text"]}},
        "slider": {"model_name": "IntSliderModel", "state": {"min": 0, "max": 7, "value": 3, "description": "step"}},
        "text": {"model_name": "HTMLModel", "state": {"value": "<pre>Step 3 of 7</pre>"}},
        "plot": {"model_name": "OutputModel", "state": {}},
    }
    shown = widget_html("box", models)
    assert shown.index('type="range"') < shown.index("<pre>Step 3 of 7</pre>")
    assert 'value="3"' in shown and "disabled" in shown and "<span>step</span>" in shown
    with pytest.raises(Unshowable):
        widget_html("plot", models)
    with pytest.raises(Unshowable):
        widget_html("missing", models)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium(window="1280,1000", log_requests=True) as driver:
        yield driver


def open_page(driver: Any, page: Path) -> None:
    driver.get_log("performance")  # forget the requests of earlier pages
    driver.get(page.as_uri())


def assert_offline(driver: Any) -> None:
    """Every request the page has made since it was opened stayed on this machine."""
    requests = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requests.append(message["params"]["request"]["url"])
    remote = [url for url in requests if re.match(r"(https?|wss?|ftp):", url)]
    assert remote == [], f"the page asked the network for {remote}"


def plain(text: str) -> str:
    """A heading's text as the page shows it: no Markdown marks, no header-link sign, one space apart."""
    return " ".join(text.replace("`", "").replace("**", "").rstrip("#¶ ").split())


def test_a_notebook_page_shows_its_heading_math_and_saved_output_image(site: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with_images = [p for p in NOTEBOOKS if has_output(notebook(p), "image/png")]
    assert with_images, "no notebook has a saved image output"
    path = with_images[0]
    open_page(browser, site / "notebooks" / f"{path.stem}.html")

    assert plain(browser.find_element(By.CSS_SELECTOR, "article h1").text) == plain(first_heading(notebook(path)))
    # the saved outputs are there: text, and pictures that the browser decoded
    assert browser.find_elements(By.CSS_SELECTOR, "div.cell_output")
    WebDriverWait(browser, timeout=30, poll_frequency=0.2).until(
        lambda d: d.execute_script(
            "const imgs = Array.from(document.querySelectorAll('div.cell_output img'));"
            "return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);"
        )
    )
    # MathJax, served by the site itself, typesets the notebook's $...$
    WebDriverWait(browser, timeout=30, poll_frequency=0.2).until(
        lambda d: d.execute_script("return document.querySelectorAll('mjx-container').length > 0")
    )
    assert_offline(browser)  # MathJax's fonts included


def test_the_api_page_shows_Value_backward_and_its_docstring(site: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    from autograd import Value

    open_page(browser, site / "docs" / "api" / "autograd.html")
    assert plain(browser.find_element(By.CSS_SELECTOR, "article h1").text) == "autograd"
    signature = browser.find_element(By.ID, "autograd.Value.backward")
    assert "backward" in signature.text and "gradient" in signature.text
    body = signature.find_element(By.XPATH, "following-sibling::dd[1]").text
    first_paragraph = (inspect.getdoc(Value.backward) or "").split("\n\n")[0]
    assert first_paragraph and plain(body).startswith(plain(first_paragraph)[:60])
    assert browser.find_element(By.ID, "autograd.grad") and browser.find_element(By.ID, "autograd.Tape")
    assert_offline(browser)


def test_the_readme_page_is_the_readme(site: Path, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    open_page(browser, site / "README.html")
    readme = re.sub(r"^```.*?^```", "", (ROOT / "README.md").read_text(encoding="utf-8"), flags=re.S | re.M)
    sections = [plain(s) for s in re.findall(r"^## (.+)$", readme, flags=re.M)]
    assert sections and [plain(h.text) for h in browser.find_elements(By.CSS_SELECTOR, "article h2")] == sections
    links = browser.find_elements(By.CSS_SELECTOR, "article a[href*='notebooks/']")
    assert links and all(a.get_attribute("href").endswith(".html") for a in links)  # to the notebook pages
    assert_offline(browser)


def test_the_home_page_embeds_the_backprop_player_and_it_steps(site: Path, browser: Any) -> None:
    """The player made at build time from the library plays in the page, offline."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(browser, site / "docs" / "index.html")
    frame = browser.find_element(By.CSS_SELECTOR, "iframe.vg-backprop-player")
    browser.execute_script("arguments[0].scrollIntoView()", frame)
    browser.switch_to.frame(frame)
    try:
        body = lambda d: d.find_element(By.TAG_NAME, "body").text.lower()  # noqa: E731
        WebDriverWait(browser, 20).until(lambda d: "step 0 of" in body(d))
        drawing = browser.find_element(By.TAG_NAME, "svg").get_attribute("textContent")
        # every node is named (the layout's fallback is "#9"), with notebook 02's names
        assert re.search(r"#\d", drawing) is None, drawing
        for name in ("x1", "w1", "p1", "p2", "s", "n", "o", "e", "L"):
            assert re.search(rf"(^|\s){name}(\s|$)", drawing), (name, drawing)
        # it opens at the inputs: the drawing is scrolled to its left end, where x1 is in sight
        canvas = browser.find_element(By.CSS_SELECTOR, ".vg-canvas")
        WebDriverWait(browser, 20).until(lambda d: d.execute_script("return arguments[0].scrollLeft", canvas) == 0)
        x1 = browser.find_element(By.XPATH, "//*[local-name()='g'][contains(@class, 'node')][.//*[local-name()='text' and normalize-space()='x1']]")
        box, where = (browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", el) for el in (canvas, x1))
        assert box["left"] <= where["left"] and where["right"] <= box["right"], (box, where)
        browser.save_screenshot(str(site / "home-player.png"))
        next_button = browser.find_element(By.XPATH, "//button[contains(., 'Next')]")
        browser.execute_script("arguments[0].click()", next_button)
        WebDriverWait(browser, 20).until(lambda d: "step 1 of" in body(d))
    finally:
        browser.switch_to.default_content()
    assert browser.find_element(By.CSS_SELECTOR, "iframe.vg-backprop-player").get_attribute("data-opened-at") == "inputs"
    assert_offline(browser)
