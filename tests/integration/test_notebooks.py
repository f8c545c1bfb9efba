"""Every walkthrough in notebooks/ runs top to bottom in a fresh kernel, within its time limit.

The notebooks assert their own key claims (finite differences against autodiff, a network
without activations equal to one linear map, ...), so running them is testing them. They are
executed in memory: the committed files, with their outputs, are left as they are.
"""

from __future__ import annotations

import base64
import json
import re
import struct
import time
from pathlib import Path

import pytest
from helpers import require

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb"))
#: Each notebook must run in a fresh kernel within this many seconds (the issue's limit).
LIMIT_SECONDS = 60
#: The series the README lists; each must exist.
EXPECTED = [
    "00_start_here",
    "01_derivatives",
    "02_values_and_backprop",
    "02b_write_your_engine",
    "03_neurons_to_mlp",
    "04_training",
    "05_digits_softmax",
    "06_boltzmann_machines",
    "07_higher_order",
    "08_graduating_to_pytorch",
    "09_under_the_hood",
    "10_gpt_from_scalars",
]
#: The two places a notebook may define an engine class of its own: notebook 02's "Build it yourself" section,
#: where the learner reads a ~40-line value class, and notebook 02b, where the learner writes one, starting in its
#: section "A node". They are called MiniValue and MyValue so that they are never mistaken for (or shadow) the
#: library's Value; every other walkthrough imports the library and never redefines it.
OWN_ENGINES = {
    "02_values_and_backprop": ("Build it yourself", "MiniValue"),
    "02b_write_your_engine": ("A node", "MyValue"),
}
CLASS_DEF = re.compile(r"^\s*class\s+(\w+)", re.M)
#: Every figure is saved at this resolution or finer (matplotlib writes it into the PNG's pHYs chunk).
MIN_DPI = 110


def test_the_whole_series_is_there():
    assert [p.stem for p in PATHS] == EXPECTED


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_committed_notebook_has_outputs_no_errors_and_imports_the_library(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code, "a walkthrough without code"
    assert all(c.get("execution_count") for c in code), "saved without running every cell"
    outputs = [o for c in code for o in c.get("outputs", [])]
    assert outputs, "saved without outputs"
    assert not [o for o in outputs if o.get("output_type") == "error"], "saved with an error output"
    source = "\n".join("".join(c["source"]) for c in code)
    assert "class Value" not in source, "notebooks import the library; they never define it again"
    assert "from autograd" in source or "import autograd" in source or "from nn" in source
    markdown = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown").lower()
    assert "what you will learn" in markdown and "exercise" in markdown and "summary" in markdown


def classes_by_section(nb):
    """(the heading of the section, the class name) for every class a code cell defines."""
    section, found = "", []
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            headings = re.findall(r"^##+ (.*)$", text, flags=re.M)
            section = headings[-1] if headings else section
        else:
            found += [(section, name) for name in CLASS_DEF.findall(text)]
    return found


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_only_the_build_it_yourself_sections_define_a_value_class(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    heading, allowed = OWN_ENGINES.get(path.stem, ("", ""))
    for section, name in classes_by_section(nb):
        if "Value" in name:
            assert name == allowed and heading in section, (
                f"{path.name} defines class {name} in section {section!r}: only the sections {OWN_ENGINES} "
                "may define a value class; everywhere else, import autograd.Value"
            )
    if allowed:
        assert any(name == allowed and heading in section for section, name in classes_by_section(nb))


def png_dpi(data: bytes) -> float:
    """The resolution a PNG records in its pHYs chunk, in dots per inch (0 if it records none)."""
    at = data.find(b"pHYs")
    if at < 0:
        return 0.0
    x, _, unit = struct.unpack(">IIB", data[at + 4 : at + 13])
    return x * 0.0254 if unit == 1 else 0.0


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_every_figure_is_saved_at_110_dpi_or_more(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for i, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            if png:
                dpi = png_dpi(base64.b64decode(png))
                assert dpi >= MIN_DPI - 0.5, f"{path.name}, cell {i}: a figure at {dpi:.0f} dpi (set_dpi({MIN_DPI}))"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook_runs_in_a_fresh_kernel_within_its_limit(path):
    nbformat = require("nbformat")
    nbclient = require("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=LIMIT_SECONDS,  # per cell: a runaway cell fails here
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    start = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell (a failed assert included)
    elapsed = time.perf_counter() - start
    print(f"{path.name}: {elapsed:.1f} s")
    assert elapsed <= LIMIT_SECONDS, f"{path.name} took {elapsed:.1f} s; the limit is {LIMIT_SECONDS} s"
