"""What every notebook generator shares: build a notebook from cells, run it, check it, save it.

A generator (``_build_*.py``) holds one walkthrough's cells as ``(kind, source)`` pairs, kind being
``"md"`` or ``"code"``, and ends with::

    if __name__ == "__main__":
        build_notebook("07_higher_order", CELLS, "d07", sys.argv[1:])

``build_notebook`` runs the cells top to bottom in a fresh ``python3`` kernel (working directory
``notebooks/``), refuses to save a notebook with an error or anything written to stderr, and saves it
with its outputs. Cell ids are fixed and no timing is recorded, and run-to-run noise (object
addresses, widget ids) is replaced, so rebuilding an unchanged notebook gives the same text.
``--no-exec`` writes the cells without running them.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
MAX_BYTES = 1_000_000
Cells = list[tuple[str, str]]


def build(cells: Cells, id_prefix: str) -> nbformat.NotebookNode:
    """The notebook, without outputs; cell ids are fixed so that rebuilding gives the same file."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, source) in enumerate(cells):
        source = source.strip("\n")
        cell = new_markdown_cell(source) if kind == "md" else new_code_cell(source)
        cell["id"] = f"{id_prefix}-{i:02d}"
        nb.cells.append(cell)
    return nb


def execute(nb: nbformat.NotebookNode) -> float:
    """Run every cell in a fresh python3 kernel with cwd notebooks/; return the wall time in seconds."""
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}, record_timing=False
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def check_outputs(nb: nbformat.NotebookNode, name: str) -> None:
    """Refuse to save a notebook with an error output or anything written to stderr."""
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise SystemExit(f"{name}: cell {i} raised {output.get('ename')}: {output.get('evalue')}")
            if output.get("name") == "stderr":
                raise SystemExit(f"{name}: cell {i} wrote to stderr: {output.get('text', '')[:300]}")


def make_reproducible(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The executed notebook with its run-to-run noise replaced.

    Two things change between runs without meaning anything: the memory address in an object's text
    form (``<graphviz.graphs.Digraph at 0x7f...>``, shown only where SVG cannot be) and the random ids
    that ipywidgets gives a slider's models. Addresses are dropped; widget ids are renumbered in order
    of appearance, consistently in the outputs and in the saved widget state.
    """
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if isinstance(data.get("text/plain"), str):
                data["text/plain"] = re.sub(r" at 0x[0-9a-f]+>", ">", data["text/plain"])
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    text = json.dumps(nb)
    for i, model_id in enumerate(state):
        text = text.replace(model_id, f"{name}-widget-{i:02d}")
    return nbformat.from_dict(json.loads(text))


def build_notebook(name: str, cells: Cells, id_prefix: str, argv: list[str]) -> None:
    """Build ``notebooks/NAME.ipynb`` from ``cells``, run it (unless ``--no-exec``), check and save it."""
    path = HERE / f"{name}.ipynb"
    nb = build(cells, id_prefix)
    if "--no-exec" not in argv:
        seconds = execute(nb)
        check_outputs(nb, name)
        nb = make_reproducible(nb, name)
        print(f"{name}: executed in {seconds:.1f} s", flush=True)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{name}: {size} bytes, over the {MAX_BYTES} byte limit")
    print(f"{name}: wrote {size / 1024:.0f} KiB", flush=True)
