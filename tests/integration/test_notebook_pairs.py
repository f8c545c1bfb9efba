"""Every walkthrough is a jupytext pair, and the two files of a pair hold the same cells.

``notebooks/NN_name.py`` (``py:percent``) is the source; ``NN_name.ipynb`` holds the same cells with
their outputs (``make notebooks-build`` writes it, and Jupyter with jupytext keeps the two in sync).
Editing one file without rebuilding or syncing the other makes them disagree, and this test says where.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import require

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
FORMATS = "ipynb,py:percent"
Cells = list[tuple[str, str]]


def cells_of(path: Path) -> Cells:
    """The (type, source) of every cell of ``path``, a ``py:percent`` file or an ``.ipynb``, read by jupytext."""
    jupytext = require("jupytext")
    nb = jupytext.read(path, fmt="py:percent") if path.suffix == ".py" else jupytext.read(path)
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def first_difference(stem: str, text: Cells, built: Cells) -> str:
    """Where the cells of ``stem.py`` (``text``) and ``stem.ipynb`` (``built``) first disagree, in words."""
    for i, ((kind, source), (built_kind, built_source)) in enumerate(zip(text, built)):
        if kind != built_kind:
            return f"{stem}: cell {i} is {kind} in the .py but {built_kind} in the .ipynb"
        if source != built_source:
            lines, built_lines = source.splitlines(), built_source.splitlines()
            n = next((j for j, pair in enumerate(zip(lines, built_lines)) if pair[0] != pair[1]), None)
            if n is None:
                n = min(len(lines), len(built_lines))
            if n == len(lines) == len(built_lines):
                return f"{stem}: cell {i} ({kind}) differs only in its line endings"
            ours = repr(lines[n]) if n < len(lines) else "the end of the cell"
            theirs = repr(built_lines[n]) if n < len(built_lines) else "the end of the cell"
            return f"{stem}: cell {i} ({kind}) differs at its line {n + 1}: the .py has {ours}, the .ipynb has {theirs}"
    return f"{stem}: the .py has {len(text)} cells, the .ipynb has {len(built)}"


def pair_problems(folder: Path) -> list[str]:
    """Every way the notebook pairs in ``folder`` disagree: a file without its partner, or different cells."""
    sources = {p.stem for p in folder.glob("[0-9][0-9]*_*.py")}
    built = {p.stem for p in folder.glob("[0-9][0-9]*_*.ipynb")}
    problems = [f"{stem}.py has no {stem}.ipynb (run make notebooks-build)" for stem in sorted(sources - built)]
    problems += [f"{stem}.ipynb has no {stem}.py (its source)" for stem in sorted(built - sources)]
    for stem in sorted(sources & built):
        text, saved = cells_of(folder / f"{stem}.py"), cells_of(folder / f"{stem}.ipynb")
        if text != saved:
            problems.append(first_difference(stem, text, saved))
    return problems


def test_every_notebook_is_a_pair_with_the_same_cells() -> None:
    assert sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.py")), "no notebook sources in notebooks/"
    assert pair_problems(NOTEBOOKS) == []


def test_every_pair_records_its_pairing() -> None:
    jupytext = require("jupytext")
    config = require("jupytext.config").load_jupytext_config(str(NOTEBOOKS / "01_derivatives.py"))
    assert config is not None and config.formats == [FORMATS], "notebooks/jupytext.toml should pair ipynb,py:percent"
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.py")) + sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.ipynb")):
        formats = jupytext.read(path).metadata.get("jupytext", {}).get("formats")
        assert formats == FORMATS, (
            f"{path.name}: jupytext formats {formats!r}, expected {FORMATS!r} "
            f"(a new .py gets them with: jupytext --set-formats {FORMATS} notebooks/{path.stem}.py)"
        )


# Deliberate edits to a copy of a pair, each of which the check must report. Each edit gets the copied
# folder and the notebook's stem, and changes one of the two files.


def _rewrite_py(folder: Path, stem: str, change: Callable[[list], None]) -> None:
    jupytext = require("jupytext")
    path = folder / f"{stem}.py"
    nb = jupytext.read(path, fmt="py:percent")
    change(nb.cells)
    jupytext.write(nb, path, fmt="py:percent")


def _edit_a_word_in_the_py(folder: Path, stem: str) -> None:
    path = folder / f"{stem}.py"
    text = path.read_text(encoding="utf-8")
    assert "What you will learn" in text
    path.write_text(text.replace("What you will learn", "What you will see", 1), encoding="utf-8")


def _edit_code_in_the_ipynb(folder: Path, stem: str) -> None:
    nbformat = require("nbformat")
    path = folder / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    code = next(cell for cell in nb.cells if cell.cell_type == "code")
    code.source += "\nprint('edited in Jupyter only')"
    nbformat.write(nb, path)


def _add_a_cell_to_the_py(folder: Path, stem: str) -> None:
    with (folder / f"{stem}.py").open("a", encoding="utf-8") as f:
        f.write("\n# %%\nprint('a new cell')\n")


def _drop_a_cell_from_the_py(folder: Path, stem: str) -> None:
    _rewrite_py(folder, stem, lambda cells: cells.pop(1))


def _swap_two_cells_in_the_py(folder: Path, stem: str) -> None:
    def swap(cells: list) -> None:
        cells[1], cells[2] = cells[2], cells[1]

    _rewrite_py(folder, stem, swap)


def _turn_markdown_into_code_in_the_py(folder: Path, stem: str) -> None:
    nbformat = require("nbformat")

    def retype(cells: list) -> None:
        cells[0] = nbformat.v4.new_code_cell(cells[0].source)

    _rewrite_py(folder, stem, retype)


def _delete_the_ipynb(folder: Path, stem: str) -> None:
    (folder / f"{stem}.ipynb").unlink()


def _delete_the_py(folder: Path, stem: str) -> None:
    (folder / f"{stem}.py").unlink()


EDITS: dict[str, tuple[Callable[[Path, str], None], str]] = {
    "a word changed in the .py": (_edit_a_word_in_the_py, "cell 0 (markdown) differs"),
    "code changed in the .ipynb only": (_edit_code_in_the_ipynb, "the end of the cell, the .ipynb has \"print('edited"),
    "a cell added to the .py": (_add_a_cell_to_the_py, "cells, the .ipynb has"),
    "a cell dropped from the .py": (_drop_a_cell_from_the_py, "cell 1 "),
    "two cells swapped in the .py": (_swap_two_cells_in_the_py, "cell 1 "),
    "markdown turned into code in the .py": (_turn_markdown_into_code_in_the_py, "cell 0 is code in the .py"),
    "the .ipynb deleted": (_delete_the_ipynb, "has no"),
    "the .py deleted": (_delete_the_py, "has no"),
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_the_check_fails_on_a_deliberately_edited_copy(tmp_path: Path, edit: str) -> None:
    stem = sorted(NOTEBOOKS.glob("[0-9][0-9]*_*.py"))[0].stem
    for suffix in (".py", ".ipynb"):
        shutil.copy(NOTEBOOKS / f"{stem}{suffix}", tmp_path)
    assert pair_problems(tmp_path) == [], "the unedited copy should agree"
    change, expected = EDITS[edit]
    change(tmp_path, stem)
    problems = pair_problems(tmp_path)
    assert len(problems) == 1, problems
    assert problems[0].startswith(stem) and expected in problems[0], problems[0]
