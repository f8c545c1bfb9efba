"""The playground's Python side: runs inside Pyodide, in the page's Web Worker (worker.js loads it).

It gives the learner's code what Jupyter would, and nothing more:

* ``print`` and tracebacks go to the page as text (the page shows them with ``textContent``);
* ``display(x)``, and the value of a cell's last line, show a ``draw_dot`` graph (laid out by
  Graphviz in WebAssembly) or the backprop player (``show_backprop(v)``); anything else as its repr;
* the ``graphviz`` package's one way out to the ``dot`` program (``execute.run_check``) is handed to
  Graphviz in WebAssembly instead, so ``render_svg``, the player and the explorer's point graphs draw
  as they do with Graphviz installed;
* the explorer's controller (``nn.explore.controller``), driven by the worker instead of a thread.

The page never runs Python of its own making: it sends the editor's text (run here as the learner's
cell) and the explorer's JSON commands (checked by the controller's whitelist, as on the server).
"""

from __future__ import annotations

import ast
import json
import linecache
import subprocess
import sys
import time
import traceback
import types
from collections.abc import Callable
from typing import Any

import graphviz
import graphviz.backend.execute as graphviz_execute

import autograd  # noqa: F401 (every example uses it: imported while the page starts, not at the first Run)
import autograd.viz  # noqa: F401
from autograd.viz import render

Post = Callable[[str, str], None]
CELL = "<cell>"
_post: Post = lambda kind, text: None  # noqa: E731 (set by run_cell: the worker's postMessage)
_layout: Callable[[str, str], str] | None = None


# --- Graphviz: the dot program, in WebAssembly ------------------------------------------------------


def use_layout(layout: Callable[[str, str], str]) -> None:
    """Lay graphs out with ``layout(dot_source, engine) -> svg_text`` (the worker's @viz-js/viz)."""
    global _layout
    _layout = layout
    graphviz_execute.run_check = _run_check
    render.use_layout(_render)


def _render(source: str, fmt: str) -> bytes:
    """autograd.viz's drawings, laid out by Graphviz in WebAssembly (SVG only)."""
    if _layout is None or fmt != "svg":
        raise RuntimeError(f"the playground draws SVG only (asked for {fmt!r})")
    return _layout(source, "dot").encode("utf-8")


def _run_check(cmd: Any, *, input: Any = None, input_lines: Any = None, encoding: str | None = None, **kwargs: Any) -> Any:
    """What graphviz would run as ``dot -K<engine> -T<format>``, done by Graphviz in WebAssembly (SVG only)."""
    args = [str(a) for a in cmd]
    if input_lines is not None:
        input = b"".join(input_lines)
    engine = next((a[2:] for a in args if a.startswith("-K")), "dot")
    fmt = next((a[2:] for a in args if a.startswith("-T")), "")
    if _layout is None or fmt != "svg" or input is None:
        raise graphviz_execute.ExecutableNotFound(cmd)  # the page has no dot program; only SVG is drawn here
    source = input.decode("utf-8") if isinstance(input, bytes) else input
    svg = _layout(source, engine)
    out: str | bytes = svg if encoding is not None else svg.encode("utf-8")
    return subprocess.CompletedProcess(args, 0, stdout=out, stderr=out[:0])


def reseed() -> None:
    """Seed ``random`` afresh, as a Python that starts from scratch does.

    A page that restores the worker's memory snapshot (snapshot.js) gets the random state the
    snapshot was taken with, the same on every such page: without this, ``random.random()`` would
    give every restored page the same numbers.
    """
    if "random" in sys.modules:
        sys.modules["random"].seed()


# --- display(), as in Jupyter ------------------------------------------------------------------------


class HTML:
    """IPython.display.HTML's stand-in: valuegrad's player gives its markup this way without anywidget."""

    def __init__(self, data: str) -> None:
        self.data = data


def display(*objs: Any) -> None:
    """Show each object in the page: a graph as a drawing, the player as a player, the rest as text."""
    from autograd.viz import render_svg

    for obj in objs:
        if isinstance(obj, HTML) and 'class="vg-player"' in obj.data:
            _post("player", obj.data)
        elif isinstance(obj, (graphviz.Digraph, graphviz.Graph, graphviz.Source)):
            _post("svg", render_svg(obj))
        elif obj is not None:
            _post("stdout", repr(obj) + "\n")


def _install_ipython() -> None:
    """An ``IPython.display`` holding HTML and display, for valuegrad's show_backprop (no anywidget here)."""
    ipython = types.ModuleType("IPython")
    ipython_display = types.ModuleType("IPython.display")
    ipython_display.HTML = HTML  # type: ignore[attr-defined]
    ipython_display.display = display  # type: ignore[attr-defined]
    ipython.display = ipython_display  # type: ignore[attr-defined]
    sys.modules.setdefault("IPython", ipython)
    sys.modules.setdefault("IPython.display", ipython_display)


_install_ipython()


# --- the learner's cells -------------------------------------------------------------------------------


class _Stream:
    """sys.stdout or sys.stderr: the text goes to the page in pieces, at most every 50 ms or 4 kB."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.other: _Stream | None = None  # the other stream, flushed first: the page keeps the order of writes
        self.parts: list[str] = []
        self.size = 0
        self.last = time.monotonic()

    def write(self, text: str) -> int:
        if self.other is not None and self.other.parts:
            self.other.flush()
        self.parts.append(text)
        self.size += len(text)
        if self.size > 4096 or time.monotonic() - self.last > 0.05:
            self.flush()
        return len(text)

    def flush(self) -> None:
        if self.parts:
            _post(self.kind, "".join(self.parts))
        self.parts, self.size, self.last = [], 0, time.monotonic()

    def isatty(self) -> bool:
        return False


namespace: dict[str, Any] = {"__name__": "__main__", "display": display}


def _cell_traceback(e: BaseException) -> str:
    """The traceback as Python prints it, without the playground's own frames (its source lines included)."""
    frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename != __file__]
    head = ["Traceback (most recent call last):\n", *traceback.format_list(frames)] if frames else []
    return "".join(head + traceback.format_exception_only(type(e), e))


def run_cell(code: str, post: Post) -> bool:
    """Run the learner's ``code`` as a notebook cell (the namespace persists); True if it ran to the end.

    The last line's value, if it is an expression, is shown as Jupyter would show it.
    """
    global _post
    _post = post
    out, err = _Stream("stdout"), _Stream("stderr")
    out.other, err.other = err, out
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err  # type: ignore[assignment]
    linecache.cache[CELL] = (len(code), None, code.splitlines(True), CELL)  # for the traceback's lines
    try:
        tree = ast.parse(code, CELL)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, CELL, "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), CELL, "eval"), namespace)
            out.flush()
            display(value)
        return True
    except BaseException as e:  # a KeyboardInterrupt from Stop too: it is the cell's traceback
        out.flush()
        err.flush()
        post("traceback", _cell_traceback(e))
        return False
    finally:
        out.flush()
        err.flush()
        sys.stdout, sys.stderr = saved


# --- the explorer, driven by the worker ------------------------------------------------------------------


class ExplorerSession:
    """The explorer's controller, with what it has sent; the worker calls :meth:`tick` each frame.

    It does what the server's runner thread does, on the worker's one thread: while the controller
    is busy (playing, or steps asked for), each tick trains and then returns what changed. As the
    runner does for a step command's steps, the training of a tick lasts at least as long as the
    last picture took to build, so that pictures never take more than half the time; here that
    holds while playing too (``speed`` steps at a time): Python in WebAssembly is about twice as
    slow as CPython, and without it the pictures would leave the training little time.
    """

    def __init__(self, config: str) -> None:
        from nn.explore.config import Config  # nn is imported when the explorer opens, not when the page starts
        from nn.explore.controller import Controller

        self.controller = Controller(Config.from_json(config))
        self.sent: dict[str, int] = {}
        self.build_time = 0.0

    def state(self) -> str:
        """What changed since the last call, as the JSON message for the page (or '' for nothing)."""
        started = time.monotonic()
        parts = self.controller.parts(self.sent)
        self.build_time = time.monotonic() - started
        return json.dumps({"type": "state", "parts": parts}, allow_nan=False) if parts else ""

    def command(self, message: str) -> str:
        """One command from the page (JSON), checked by the controller; the state to send back, as JSON."""
        from nn.explore.controller import CommandError

        try:
            self.controller.handle(json.loads(message))
        except CommandError as e:
            return json.dumps({"type": "error", "message": str(e)})
        return self.state()

    def tick(self, interval: float) -> str:
        """One frame: a frame's training steps, then what changed (JSON, or '' for nothing)."""
        controller = self.controller
        until = time.monotonic() + max(interval, self.build_time)
        try:
            while controller.advance(None, lambda: not controller.playing and time.monotonic() >= until):
                if not controller.playing or time.monotonic() >= until:
                    break
        except Exception as e:  # as the server's runner does: say it, and pause
            traceback.print_exc()
            controller.fail(f"internal error: {type(e).__name__}: {e}")
        return self.state()

    @property
    def busy(self) -> bool:
        """Whether there is training to do: playing, or steps asked for."""
        return self.controller.busy
