"""Drawing the computational graph, and stepping through backpropagation one node at a time.

Modules, one job each; everything public is importable from here:

* :mod:`~autograd.viz.layout`: which Values a drawing shows, their names, and which far-used
  Values are drawn again beside their uses;
* :mod:`~autograd.viz.draw`: the graph as a Graphviz drawing (:func:`draw_dot`), with
  :mod:`~autograd.viz.boxes` drawing a collapsed graph's boxes and frames, and
  :mod:`~autograd.viz.render` running Graphviz (:func:`render_svg`, :func:`save_graph`), with a
  time limit;
* :mod:`~autograd.viz.collapse`: a big graph as boxes, one per group (:func:`autograd.group`),
  each with its inputs and outputs, opened on demand (:func:`collapse`);
* :mod:`~autograd.viz.steps`: the backward pass as steps (:func:`backprop_steps`,
  :func:`backprop_frames`), each a caption, the gradients so far and a frame, from the one
  chain rule of :func:`autograd.graph.chain_rule` and the words of the op table;
* :mod:`~autograd.viz.views`: a big graph's drawings for the player, one per group opened;
* :mod:`~autograd.viz.playback`: what the player plays: the graph drawn once, and each step
  as a small change set for the page's script;
* :mod:`~autograd.viz.player`: the player as an HTML page (:func:`draw_backprop`,
  :func:`backprop_html`) or in Jupyter (:func:`show_backprop`, :func:`backprop_widget`), with
  a quiz mode; its script and style are the package files ``player.js`` and ``player.css``.

Nothing here changes a Value. The ``graphviz`` package is imported only when something is
drawn, so importing this module needs no more than the engine does.

>>> from autograd import Value
>>> x = Value(0.5, label="x"); y = x.tanh(); y.label = "y"
>>> [s.index for s in backprop_steps(y)]
[0, 1]
"""

from __future__ import annotations

from .collapse import Box, Collapsed, collapse
from .draw import draw_dot, render_svg, save_graph
from .legend import CONST_FILL, CURRENT_FILL, LEAF_FILL, OP_FILL, PENDING_COLOR, RECEIVING_FILL, ROOT_FILL
from .player import backprop_html, backprop_widget, draw_backprop, show_backprop
from .steps import BACKPROP_FRAMES_MAX_NODES, BACKPROP_MAX_NODES, BackpropStep, backprop_frames, backprop_steps

__all__ = [
    "draw_dot",
    "collapse",
    "Box",
    "Collapsed",
    "backprop_steps",
    "backprop_frames",
    "BackpropStep",
    "draw_backprop",
    "backprop_html",
    "show_backprop",
    "backprop_widget",
    "BACKPROP_MAX_NODES",
    "BACKPROP_FRAMES_MAX_NODES",
    "render_svg",
    "save_graph",
    "LEAF_FILL",
    "CONST_FILL",
    "ROOT_FILL",
    "OP_FILL",
    "CURRENT_FILL",
    "RECEIVING_FILL",
    "PENDING_COLOR",
]
