"""notebooks/build.py: runs a notebook's .py, refuses to save a broken one, and saves the same file twice.

The tiny notebooks here run in a real ``python3`` kernel (a second or two each); the pure functions
(stream joining, noise removal, name resolution) are tested without one.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest
from helpers import require

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

TINY = """\
# %% [markdown]
# # A tiny notebook

# %%
from pathlib import Path

print(Path("beside.txt").read_text())

# %%
print("one", end="")
print(" line")
object()
"""


@pytest.fixture(scope="module")
def build() -> ModuleType:
    """notebooks/build.py, imported from its file (notebooks/ is not a package)."""
    require("jupytext")
    require("nbclient")
    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOKS / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_notebook(folder: Path, stem: str, text: str) -> Path:
    source = folder / f"{stem}.py"
    source.write_text(text, encoding="utf-8")
    (folder / "beside.txt").write_text("read from the notebook's folder", encoding="utf-8")
    return source


def test_builds_the_paired_ipynb_and_an_unchanged_rebuild_gives_the_same_bytes(build, tmp_path: Path) -> None:
    source = write_notebook(tmp_path, "01_tiny", TINY)
    seconds, size = build.build(source)
    target = tmp_path / "01_tiny.ipynb"
    first = target.read_bytes()
    assert seconds > 0 and size == len(first)

    nb = require("nbformat").reads(first.decode("utf-8"), as_version=4)  # joins the saved lists of lines
    assert [c["cell_type"] for c in nb["cells"]] == ["markdown", "code", "code"]
    assert [c["id"] for c in nb["cells"]] == ["cell-00", "cell-01", "cell-02"]
    assert nb["metadata"]["jupytext"] == {"formats": "ipynb,py:percent"}
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert all("execution" not in c["metadata"] for c in nb["cells"]), "no timing metadata"
    reads_beside, prints_twice = nb["cells"][1]["outputs"], nb["cells"][2]["outputs"]
    assert reads_beside[0]["text"] == "read from the notebook's folder\n", "the kernel runs in the notebook's folder"
    assert prints_twice[0] == {"name": "stdout", "output_type": "stream", "text": "one line\n"}
    assert prints_twice[1]["data"]["text/plain"] == "<object>", "the address is dropped"

    build.build(source)
    assert target.read_bytes() == first


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("1 / 0", "cell 1 raised ZeroDivisionError: division by zero"),
        ("import sys\nprint('careful', file=sys.stderr)", "cell 1 wrote to stderr: 'careful\\n'"),
    ],
    ids=["an error", "stderr"],
)
def test_refuses_to_save_a_notebook_that_fails_or_writes_to_stderr(build, tmp_path: Path, cell, message) -> None:
    source = write_notebook(tmp_path, "02_broken", f"# %% [markdown]\n# Broken\n\n# %%\n{cell}\n")
    with pytest.raises(build.BuildError, match="^" + re.escape(f"02_broken: {message}")):
        build.build(source)
    assert not (tmp_path / "02_broken.ipynb").exists()


def test_refuses_to_save_a_notebook_over_the_size_limit(build, tmp_path: Path) -> None:
    source = write_notebook(tmp_path, "03_big", "# %%\nprint('x' * 5000)\n")
    with pytest.raises(build.BuildError, match="over the 4000 byte limit; not saved"):
        build.build(source, max_bytes=4000)
    assert not (tmp_path / "03_big.ipynb").exists()


def test_join_streams_joins_only_neighbours_of_the_same_stream(build) -> None:
    nbformat = require("nbformat")
    out = nbformat.v4.new_output
    display = out("display_data", data={"text/plain": "figure"})
    outputs = [
        out("stream", name="stdout", text="a"),
        out("stream", name="stdout", text="b\n"),
        out("stream", name="stderr", text="c"),
        out("stream", name="stdout", text="d"),
        display,
        out("stream", name="stdout", text="e"),
    ]
    joined = build.join_streams(outputs)
    assert [(o.get("name"), o.get("text")) for o in joined] == [
        ("stdout", "ab\n"),
        ("stderr", "c"),
        ("stdout", "d"),
        (None, None),
        ("stdout", "e"),
    ]


def test_make_reproducible_renumbers_widget_ids_everywhere(build) -> None:
    nbformat = require("nbformat")
    model = "0123456789abcdef0123456789abcdef"
    nb = nbformat.v4.new_notebook()
    view = {"application/vnd.jupyter.widget-view+json": {"model_id": model, "version_major": 2, "version_minor": 0}}
    nb.cells.append(nbformat.v4.new_code_cell("slider", outputs=[nbformat.v4.new_output("display_data", data=view)]))
    nb.metadata["widgets"] = {build.WIDGET_STATE: {"state": {model: {"model_name": "IntSliderModel"}}}}
    fixed = build.make_reproducible(nb, "09_widgets")
    assert model not in json.dumps(fixed)
    assert fixed.cells[0].outputs[0].data[next(iter(view))]["model_id"] == "09_widgets-widget-00"
    assert list(fixed.metadata["widgets"][build.WIDGET_STATE]["state"]) == ["09_widgets-widget-00"]


def test_resolve_accepts_a_name_a_file_or_a_number_and_says_what_exists(build, tmp_path: Path) -> None:
    for stem in ("01_first", "02_second", "12_twelfth"):
        (tmp_path / f"{stem}.py").write_text("# %%\n", encoding="utf-8")
    (tmp_path / "build.py").write_text("", encoding="utf-8")  # not a notebook: no NN_ prefix
    assert [p.stem for p in build.resolve([], tmp_path)] == ["01_first", "02_second", "12_twelfth"]
    chosen = build.resolve(["02", "notebooks/01_first.ipynb", "12_twelfth.py", "02_second"], tmp_path)
    assert [p.stem for p in chosen] == ["02_second", "01_first", "12_twelfth"]
    with pytest.raises(build.BuildError, match="'0' matches 2 notebook sources .* 01_first, 02_second, 12_twelfth"):
        build.resolve(["0"], tmp_path)
    with pytest.raises(build.BuildError, match="'07' matches no notebook source"):
        build.resolve(["07"], tmp_path)


def test_a_notebook_slotted_in_between_has_its_own_number(build, tmp_path: Path) -> None:
    """02b_... sits between 02_... and 03_...; "02" still means 02_... alone, and "02b" means 02b_..."""
    for stem in ("02_second", "02b_between", "03_third"):
        (tmp_path / f"{stem}.py").write_text("# %%\n", encoding="utf-8")
    assert [p.stem for p in build.resolve([], tmp_path)] == ["02_second", "02b_between", "03_third"]
    assert [p.stem for p in build.resolve(["02"], tmp_path)] == ["02_second"]
    assert [p.stem for p in build.resolve(["02b"], tmp_path)] == ["02b_between"]
