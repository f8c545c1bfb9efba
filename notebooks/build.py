"""Rebuild the walkthroughs' outputs: run each ``notebooks/NN_name.py`` and save it as ``NN_name.ipynb``.

Each walkthrough is a jupytext pair: ``NN_name.py`` (``py:percent``, the source a teacher edits) and
``NN_name.ipynb`` (the same cells, with their outputs). Usage, from the repository root::

    make notebooks-build                       # every NN_*.py in notebooks/
    python notebooks/build.py                  # the same
    python notebooks/build.py 02 07_higher_order.py   # some of them: a name, a file name or its number

Building one notebook means: read the ``.py`` with jupytext, run it top to bottom in a fresh ``python3``
kernel whose working directory is ``notebooks/``, refuse to save it if a cell raised or wrote anything to
stderr, replace the run-to-run noise (object addresses, ipywidget ids; no timings are recorded and cell
ids are ``cell-00``, ``cell-01``, ...), validate it, and write the ``.ipynb`` unless it is over
``MAX_BYTES``. Rebuilding an unchanged notebook therefore gives the same file. A notebook that fails is
left as it was; the others are still built, and the exit status is 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from jupyter_client.kernelspec import NoSuchKernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

HERE = Path(__file__).resolve().parent
#: A saved notebook (outputs included) must stay under this size, so that it reads well on GitHub.
MAX_BYTES = 1_000_000
#: Seconds one cell may run before the build gives up on the notebook.
CELL_TIMEOUT = 120
#: The pairing written in every notebook's metadata (the same as ``jupytext.toml``).
FORMATS = "ipynb,py:percent"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
#: A walkthrough's name: two digits, an optional letter for a notebook slotted in between (02b), then a name.
NOTEBOOK_NAME = re.compile(r"[0-9][0-9][a-z]?_\w+")
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


class BuildError(Exception):
    """A notebook could not be built; the message names the notebook and, where known, the cell."""


def sources(folder: Path = HERE) -> list[Path]:
    """Every walkthrough source in ``folder``: the files named ``NN_name.py``, in order."""
    return sorted(p for p in folder.glob("[0-9][0-9]*_*.py") if NOTEBOOK_NAME.fullmatch(p.stem))


def resolve(names: list[str], folder: Path = HERE) -> list[Path]:
    """The sources that ``names`` ask for: each a stem (``02_values_and_backprop``), a file name
    (``.py`` or ``.ipynb``, with or without its folder), a number such as ``02`` or ``02b``, or a unique prefix.
    No names means every source."""
    available = sources(folder)
    if not names:
        return available
    chosen: list[Path] = []
    for name in names:
        stem = Path(name).name.removesuffix(".py").removesuffix(".ipynb")
        matches = (
            [p for p in available if p.stem == stem]
            or [p for p in available if p.stem.split("_")[0] == stem]  # a number: "02" is not "02b"
            or [p for p in available if p.stem.startswith(stem)]
        )
        if len(matches) != 1:
            known = ", ".join(p.stem for p in available) or "none"
            problem = "matches no notebook source" if not matches else f"matches {len(matches)} notebook sources"
            raise BuildError(f"{name!r} {problem} in {folder}; the sources are: {known}")
        if matches[0] not in chosen:
            chosen.append(matches[0])
    return chosen


def read_source(path: Path) -> nbformat.NotebookNode:
    """The cells of ``path`` (a ``py:percent`` file) as a notebook without outputs, ready to run.

    The kernelspec is always ``python3`` and the pairing is recorded in the metadata; cell ids are
    fixed by position, so that they do not change from one build to the next.
    """
    nb = jupytext.read(path, fmt="py:percent")
    if not nb.cells:
        raise BuildError(f"{path.name}: no cells (a py:percent file marks each cell with '# %%')")
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["jupytext"] = {"formats": FORMATS}
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:02d}"
    return nb


def execute(nb: nbformat.NotebookNode, name: str, cwd: Path = HERE) -> float:
    """Run every cell in a fresh ``python3`` kernel started in ``cwd``; return the wall time in seconds.

    Raises ``BuildError`` naming the first cell that raised, timed out or killed the kernel.
    """
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as err:
        check_outputs(nb, name)  # names the cell and the exception
        raise BuildError(f"{name}: {err}") from err
    except CellTimeoutError as err:
        raise BuildError(f"{name}: a cell ran longer than {CELL_TIMEOUT} s") from err
    except DeadKernelError as err:
        raise BuildError(f"{name}: the kernel died ({err})") from err
    except NoSuchKernel as err:
        install = "python -m ipykernel install --user --name python3"
        raise BuildError(f"{name}: no Jupyter kernel named python3; install one with: {install}") from err
    return time.perf_counter() - start


def check_outputs(nb: nbformat.NotebookNode, name: str) -> None:
    """Raise ``BuildError`` on the first output that is an error or was written to stderr."""
    for i, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                raise BuildError(f"{name}: cell {i} raised {output.get('ename')}: {output.get('evalue')}")
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                raise BuildError(f"{name}: cell {i} wrote to stderr: {output.get('text', '')[:300]!r}")


def make_reproducible(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    """The executed notebook with its run-to-run noise replaced.

    Three things change between runs without meaning anything: how the kernel happened to cut a cell's
    printed text into stream messages, the memory address in an object's text form
    (``<graphviz.graphs.Digraph at 0x7f...>``), and the random ids that ipywidgets gives a widget's
    models. Consecutive pieces of one stream are joined into one output (Jupyter shows them as one
    block anyway); addresses are dropped; widget ids become ``NAME-widget-00``, ``NAME-widget-01``, ...
    in the order of the saved widget state, consistently in the outputs and in that state.
    """
    for cell in nb.cells:
        if "outputs" in cell:
            cell["outputs"] = join_streams(cell["outputs"])
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if isinstance(data.get("text/plain"), str):
                data["text/plain"] = ADDRESS.sub(">", data["text/plain"])
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    text = json.dumps(nb)
    for i, model_id in enumerate(list(state)):
        text = text.replace(model_id, f"{name}-widget-{i:02d}")
    return nbformat.from_dict(json.loads(text))


def join_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """``outputs`` with each run of consecutive stream outputs of the same name (stdout, stderr) joined
    into one; every other output, and the order of everything, is kept."""
    joined: list[nbformat.NotebookNode] = []
    for output in outputs:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and output.get("output_type") == "stream" == previous.get("output_type")
            and output.get("name") == previous.get("name")
        ):
            previous["text"] += output["text"]
        else:
            joined.append(output)
    return joined


def build(source: Path, max_bytes: int = MAX_BYTES) -> tuple[float, int]:
    """Build ``source`` (``NN_name.py``) into its paired ``NN_name.ipynb``; return (seconds, bytes written).

    Nothing is written unless the notebook ran cleanly, is valid and fits in ``max_bytes``.
    """
    name = source.stem
    nb = read_source(source)
    seconds = execute(nb, name, cwd=source.parent)
    check_outputs(nb, name)
    nb = make_reproducible(nb, name)
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as err:
        raise BuildError(f"{name}: not a valid notebook: {err.message}") from err
    text = nbformat.writes(nb)
    data = (text if text.endswith("\n") else text + "\n").encode("utf-8")  # as nbformat.write saves it
    if len(data) > max_bytes:
        raise BuildError(f"{name}: {len(data)} bytes with outputs, over the {max_bytes} byte limit; not saved")
    source.with_suffix(".ipynb").write_bytes(data)
    return seconds, len(data)


def main(argv: list[str] | None = None) -> int:
    """Build the notebooks named on the command line (all by default); return the exit status."""
    parser = argparse.ArgumentParser(
        prog="notebooks/build.py", description="Run notebooks/NN_name.py in a fresh kernel and save NN_name.ipynb."
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help="a notebook's name, file or number (default: all)")
    args = parser.parse_args(argv)
    try:
        paths = resolve(args.names)
    except BuildError as err:
        print(f"build.py: {err}", file=sys.stderr)
        return 2
    if not paths:
        print(f"build.py: no NN_name.py notebook sources in {HERE}", file=sys.stderr)
        return 2
    failed: list[str] = []
    for path in paths:
        print(f"{path.stem}: running ...", flush=True)
        try:
            seconds, size = build(path)
        except BuildError as err:
            print(f"build.py: {err}", file=sys.stderr, flush=True)
            failed.append(path.stem)
            continue
        print(f"{path.stem}: ran in {seconds:.1f} s, wrote {path.stem}.ipynb ({size / 1024:.0f} KiB)", flush=True)
    if failed:
        print(f"build.py: not saved: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
