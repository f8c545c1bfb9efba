"""A live training explorer: watch an MLP learn, in Jupyter or in a browser.

Pick a dataset (moons, circles, xor, spirals, blobs), a network and an optimizer; press Play
and watch the decision boundary, the loss and accuracy curves and every neuron's output
change as valuegrad trains the model. Click a point to see its forward graph with data and
gradients, follow a parameter's value, gradient and optimizer state over time, or drag a
weight and see the boundary move.

* In Jupyter (JupyterLab, Notebook 7, VS Code): ``from nn.explore import Explorer; Explorer()``.
* In a browser: ``python -m nn explore`` starts a local server and opens the page.

Both run the same front-end (``static/explorer.js``) against the same Python: the training
is valuegrad's, on a background thread that owns the session; the page draws the state and sends commands from a
fixed list. A configuration (a URL query or JSON, see :mod:`nn.explore.config`) sets
everything, and can hide or lock controls for a fixed exercise.

The pieces, each one file: :mod:`~nn.explore.config` (the settings),
:mod:`~nn.explore.session` (data, model, training), :mod:`~nn.explore.trace` (numbers over time),
:mod:`~nn.explore.views` (the pictures),
:mod:`~nn.explore.pointgraph` (one point's graph), :mod:`~nn.explore.controller` (commands and
state), :mod:`~nn.explore.runner` (the training thread), :mod:`~nn.explore.widget` (Jupyter),
:mod:`~nn.explore.server` (the browser, with :mod:`~nn.explore.listener`, :mod:`~nn.explore.redact`
and :mod:`~nn.explore.safejson` guarding it) and :mod:`~nn.explore.command` (``python -m nn explore``). The widget needs ``anywidget`` and the server
``tornado``: ``pip install "valuegrad[explore]"``.
"""

from __future__ import annotations

from typing import Any

from .config import Config
from .controller import CommandError, Controller
from .session import Session

__all__ = ["Config", "Session", "Controller", "CommandError", "Explorer", "ExplorerServer", "serve"]


def __getattr__(name: str) -> Any:
    # The widget and the server import anywidget and tornado: only when they are asked for.
    if name == "Explorer":
        from .widget import Explorer

        return Explorer
    if name in ("ExplorerServer", "serve"):
        from . import server

        return getattr(server, name)
    raise AttributeError(f"module 'nn.explore' has no attribute {name!r}")
