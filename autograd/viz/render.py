"""Running Graphviz: a drawing (a ``graphviz.Digraph``) rendered to SVG, or written to a file.

Graphviz's ``dot`` program runs as a subprocess with a time limit (``RENDER_TIMEOUT``), the
last guard against a layout that would never end: a drawing that big is refused before it
starts (:func:`autograd.viz.draw_dot` says so), and if one still takes too long, it is
stopped with a message saying what to draw instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from typing import Any

from ..fileio import write_atomic

__all__ = ["graphviz_module", "render_svg", "save_graph", "RENDER_TIMEOUT"]

_NO_GRAPHVIZ_PACKAGE = (
    'drawing needs the graphviz Python package: pip install "valuegrad[viz]" (or pip install graphviz)'
)
_NO_DOT = (
    "rendering needs Graphviz's `dot` program, which was not found on PATH. Install Graphviz: "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), or "
    "`conda install graphviz` (conda); or write the DOT source (`graph.source`) instead"
)
_FORMATS = ("svg", "png", "pdf", "dot")


def graphviz_module() -> Any:
    """The graphviz module, or an ImportError saying how to install it."""
    try:
        import graphviz
    except ImportError as err:
        raise ImportError(_NO_GRAPHVIZ_PACKAGE) from err
    return graphviz


#: Graphviz is stopped after this many seconds: the last guard against a layout that would never end.
RENDER_TIMEOUT = 120.0


#: How drawings are laid out where there is no ``dot`` program: None runs ``dot`` (the usual case).
_layout: Callable[[str, str], bytes] | None = None


def use_layout(layout: Callable[[str, str], bytes] | None) -> None:
    """Lay drawings out with ``layout(dot_source, fmt) -> bytes`` instead of the ``dot`` program,
    or with ``dot`` again for None. For a place with no ``dot`` to run: the in-browser playground
    (Pyodide) gives Graphviz compiled to WebAssembly here."""
    global _layout
    if layout is not None and not callable(layout):
        raise TypeError(f"use_layout: layout expects a function (dot_source, fmt) -> bytes, or None, got {type(layout).__name__}")
    _layout = layout


def _pipe(graph: Any, fmt: str) -> bytes:
    """Run Graphviz's ``dot`` on ``graph``'s source, stopping it after ``RENDER_TIMEOUT`` seconds."""
    graphviz_module()
    if _layout is not None:
        return _layout(graph.source, fmt)
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError(_NO_DOT)
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=graph.source.encode("utf-8"), capture_output=True, timeout=RENDER_TIMEOUT
        )
    except subprocess.TimeoutExpired:
        raise RuntimeError(
            f"Graphviz's dot did not lay the drawing out in {RENDER_TIMEOUT:.0f} s and was stopped. Draw less of it: "
            "make the graph inside `with autograd.group(...)` blocks and draw it collapsed (collapse=True, "
            "opening a few groups with expand=[...]), or draw a part (depth=, focus=)"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed: {done.stderr.decode('utf-8', 'replace').strip()[:500]}")
    return done.stdout


def render_svg(graph: Any) -> str:
    """``graph`` (a Digraph from :func:`draw_dot`) as SVG text, ready to inline in HTML.

    The XML prolog, DOCTYPE and comments are removed. Needs Graphviz's ``dot`` program:
    without it a RuntimeError says how to install Graphviz.
    """
    svg = _pipe(graph, "svg").decode("utf-8")
    start = svg.find("<svg")
    if start < 0:
        raise RuntimeError("Graphviz returned no <svg> element")
    return re.sub(r"<!--.*?-->\s*", "", svg[start:], flags=re.DOTALL).strip()


def save_graph(graph: Any, path: str | os.PathLike[str]) -> None:
    """Write ``graph`` to ``path`` in the format its extension names: .svg, .png, .pdf or .dot.

    ``.dot`` writes the DOT source and needs no Graphviz program; the others run ``dot``.
    The file is written atomically (a temporary file, then ``os.replace``).
    """
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in _FORMATS:
        raise ValueError(f"save_graph: path must end in .svg, .png, .pdf or .dot, got {os.fspath(path)!r}")
    data = graph.source.encode("utf-8") if ext == "dot" else _pipe(graph, ext)
    write_atomic(path, data)
