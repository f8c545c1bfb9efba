"""Every drawing saved in a notebook is readable at page width: text of at least 9 px in an 800 px column.

Each SVG output of ``notebooks/*.ipynb`` is put in a column 800 px wide and shown the way
Jupyter shows it (at its own size, shrunk to the column when wider), in headless Chromium;
the rendered size of each of its texts is its font size times the scale the browser draws it
at (``getScreenCTM``). PNG outputs are plots from matplotlib, whose texts cannot be read off
the pixels: their smallest text is taken as the smallest ``fontsize`` their cell's source asks
for (matplotlib's default, 10 pt, when it asks for none), drawn at the notebook's figure dpi
(110, or what the PNG's ``pHYs`` chunk records) and shrunk to the column.
"""

from __future__ import annotations

import base64
import json
import re
import struct
from pathlib import Path
from typing import Any

import pytest
from helpers import headless_chromium

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
COLUMN = 800  # px
SMALLEST = 9.0  # px

PAGE = """<!doctype html><html><head><style>
body {{ margin: 0; }} .column {{ width: {column}px; }}
.column svg {{ max-width: 100%; height: auto; display: block; }}
</style></head><body>{figures}</body></html>"""

MEASURE = """
return Array.from(document.querySelectorAll('.column')).map(col => {
  let smallest = Infinity;
  for (const t of col.querySelectorAll('svg text')) {
    if (!t.textContent.trim()) continue;
    const size = parseFloat(getComputedStyle(t).fontSize);
    const m = t.getScreenCTM();
    const scale = Math.sqrt(Math.abs(m.a * m.d - m.b * m.c));
    smallest = Math.min(smallest, size * scale);
  }
  return smallest;
});
"""


def svg_outputs() -> list[tuple[str, str]]:
    """(where, svg text) for every SVG output saved in the notebooks."""
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            for k, out in enumerate(cell.get("outputs", [])):
                svg = out.get("data", {}).get("image/svg+xml")
                if svg:
                    found.append((f"{path.name} cell {i} output {k}", "".join(svg) if isinstance(svg, list) else svg))
    return found


def png_size(data: bytes) -> tuple[int, int, float | None]:
    """Width and height in pixels, and dots per inch if the PNG records them."""
    width, height = struct.unpack(">II", data[16:24])
    dpi = None
    at = data.find(b"pHYs")
    if at > 0:
        x, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
        if unit == 1:
            dpi = x * 0.0254
    return width, height, dpi


def png_outputs() -> list[tuple[str, float]]:
    """(where, smallest text in px at the column's width) for every PNG output saved in the notebooks."""
    found = []
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            source = "".join(cell.get("source", []))
            sizes = [float(s) for s in re.findall(r"fontsize\s*=\s*([0-9.]+)", source)] or [10.0]
            for k, out in enumerate(cell.get("outputs", [])):
                png = out.get("data", {}).get("image/png")
                if not png:
                    continue
                width, _, dpi = png_size(base64.b64decode("".join(png) if isinstance(png, list) else png))
                px = min(sizes) * (dpi or 110.0) / 72.0 * min(1.0, COLUMN / width)
                found.append((f"{path.name} cell {i} output {k}", px))
    return found


@pytest.fixture(scope="module")
def svg_smallest() -> dict[str, float]:
    outputs = svg_outputs()
    assert outputs, "no SVG drawing saved in the notebooks"
    figures = "".join(f'<div class="column">{svg}</div>' for _, svg in outputs)
    page = PAGE.format(column=COLUMN, figures=figures)
    with headless_chromium() as driver:
        driver.get("data:text/html;base64," + base64.b64encode(page.encode("utf-8")).decode("ascii"))
        sizes: list[Any] = driver.execute_script(MEASURE)
    return {where: float(size) for (where, _), size in zip(outputs, sizes)}


def test_every_svg_drawing_has_text_of_9_px_or_more_in_an_800_px_column(svg_smallest: dict[str, float]) -> None:
    small = {where: round(px, 1) for where, px in svg_smallest.items() if px < SMALLEST}
    assert not small, f"text smaller than {SMALLEST} px at {COLUMN} px wide: {small}"


def test_every_png_plot_has_text_of_9_px_or_more_in_an_800_px_column() -> None:
    small = {where: round(px, 1) for where, px in png_outputs() if px < SMALLEST}
    assert not small, f"text smaller than {SMALLEST} px at {COLUMN} px wide: {small}"
