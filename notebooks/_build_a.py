"""Build, execute and save walkthrough 01 (its cells live in ``_cells_a.py``).

Usage, from the repository root::

    .venv/bin/python notebooks/_build_a.py            # build and run it
    .venv/bin/python notebooks/_build_a.py --no-exec  # write it without outputs

Each notebook is run top to bottom in a fresh kernel with nbclient (working directory
``notebooks/``), checked for errors and stderr output, and saved with its outputs. Cell ids are
stable and no timing metadata is recorded, so rebuilding an unchanged notebook gives the same file.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
MAX_BYTES = 1_000_000

sys.path.insert(0, str(HERE))
from _cells_a import NOTEBOOKS  # noqa: E402


def build(cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook from (kind, source) pairs, kind being "md" or "code"."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        source = source.strip("\n")
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"cell-{i:02d}"
        nb.cells.append(cell)
    return nb


def run(nb: nbformat.NotebookNode) -> float:
    """Execute ``nb`` in place in a fresh python3 kernel; return the wall time in seconds."""
    client = NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(HERE)}},
        record_timing=False,
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def check(nb: nbformat.NotebookNode, name: str) -> None:
    """Stop the build if a cell raised or wrote to stderr."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise SystemExit(f"{name}: a cell raised {out.get('ename')}: {out.get('evalue')}")
            if out.get("name") == "stderr":
                raise SystemExit(f"{name}: a cell wrote to stderr: {out.get('text', '')[:500]}")


def main(argv: list[str]) -> None:
    execute = "--no-exec" not in argv
    wanted = [a for a in argv if not a.startswith("--")]
    for name, cells in NOTEBOOKS.items():
        if wanted and not any(name.startswith(w) for w in wanted):
            continue
        path = HERE / f"{name}.ipynb"
        nb = build(cells)
        if execute:
            seconds = run(nb)
            check(nb, name)
            print(f"{name}: executed in {seconds:.1f} s", flush=True)
        nbformat.validate(nb)
        nbformat.write(nb, path)
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SystemExit(f"{name}: {size} bytes, over the {MAX_BYTES} byte limit")
        print(f"{name}: wrote {size / 1024:.0f} KiB", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
