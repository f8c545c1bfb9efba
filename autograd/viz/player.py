"""The backprop player: a backward pass to step through, as an HTML page, a notebook cell or a widget.

The player shows the graph drawn once (:mod:`autograd.viz.playback` makes the drawing and the
steps), Prev / Next / Play buttons, a slider, the ← → keys, a caption per step, and a quiz
mode that asks the learner what each input receives before it tells. Its behaviour and its
look are real front-end files shipped with the package: ``player.js`` and the ES modules it
imports (put together into one script by :mod:`autograd.viz.assets`), and ``player.css``. Three places show the same player:

* :func:`draw_backprop` writes a self-contained page (script and style copied in, nothing
  from the network), and :func:`backprop_html` returns it;
* in Jupyter, :func:`show_backprop` shows an anywidget widget (that script is its module),
  whose ``step`` and ``quiz`` Python can read and set; without anywidget it shows the page's
  player inline, which needs no kernel;
* ``python -m autograd demo --out DIR`` and ``draw ... --backprop FILE`` write the page.

A big graph with groups is shown as boxes that open by a click (:mod:`autograd.viz.views`
makes the drawings); a page with boxes also carries ``vendor/viz-global.js`` (Graphviz in
WebAssembly, gzipped), which lays out a box's inside the first time it is opened.
"""

from __future__ import annotations

import base64
import gzip
import html
import os
from functools import cache
from typing import Any

from ..engine import Value
from ..fileio import write_atomic
from .assets import asset, player_script
from .playback import COLOURS, Content, player_content
from .steps import BACKPROP_MAX_NODES

__all__ = ["draw_backprop", "backprop_html", "backprop_widget", "show_backprop"]

_TITLE = "Backpropagation, step by step"
_HELP = (
    "Prev / Next (or the ← → keys) step through the backward pass; the slider jumps to any step; Play "
    "runs them all. The orange node pushes its gradient to its inputs (yellow) along the orange edges, "
    "labelled with the local gradient; grey gradients are not computed yet. Tick “Quiz me” to work out "
    "what each input receives before you are told."
)


@cache
def _layout_engine() -> str:
    """Graphviz compiled to WebAssembly (``vendor/viz-global.js``, see ``vendor/README.md``), as a
    script that defines ``globalThis.Viz`` wherever it runs: hidden from AMD and CommonJS loaders
    (Jupyter's require.js), which would otherwise take it as a module of theirs. Gzipped and
    base64-encoded, it is 0.64 MB instead of 1.33 MB; player_data.js unpacks it."""
    text = asset("vendor/viz-global.js", "script")
    wrapped = "(function (define, exports, module) {\n" + text + "\n})();\n"
    return base64.b64encode(gzip.compress(wrapped.encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")


def _check_quiz(quiz: Any, who: str) -> None:
    if not isinstance(quiz, bool):
        raise TypeError(f"{who}: quiz must be True or False, got {quiz!r}")


def _player_fragment(content: Content, uid: str, quiz: bool, inline: bool = True) -> str:
    """The player's markup: controls, quiz panel, caption, the drawing, and the steps' JSON.

    ``uid`` is the player's element id; the drawing's ids get it as a prefix (``uid-v3``), so
    several players on one page keep their own. ``inline`` adds the style and the script, for
    a page or a notebook cell; the widget gets them from its own fields instead.
    """
    colours = "; ".join(f"{name}: {value}" for name, value in COLOURS.items())
    svg = content.svg.replace(' id="', f' id="{uid}-')
    last = content.n_steps - 1
    parts = [f'<div class="vg-player" id="{uid}" tabindex="0" style="{colours}">']
    if inline:
        parts.append("<style>\n" + asset("player.css", "style") + "</style>")
    parts += [
        '<div class="vg-controls">',
        '<button type="button" class="vg-prev" title="previous step (←)">Prev</button>',
        '<button type="button" class="vg-play" title="play every step">Play</button>',
        '<button type="button" class="vg-next" title="next step (→)">Next</button>',
        f'<input type="range" class="vg-slider" min="0" max="{last}" step="1" value="0" aria-label="step">',
        f'<span class="vg-counter">step 0 of {last}</span>',
        '<label class="vg-quiz-toggle" title="work out each step before it is shown">'
        f'<input type="checkbox" class="vg-quiz-switch"{" checked" if quiz else ""}> Quiz me</label>',
        "</div>",
        '<div class="vg-path" hidden></div>',
        '<div class="vg-quiz" hidden><p class="vg-question"></p><div class="vg-answers"></div>'
        '<button type="button" class="vg-check">Check</button></div>',
        f'<div class="vg-caption" aria-live="polite">{html.escape(content.first_caption)}</div>',
        f'<div class="vg-canvas">{svg}</div>',
        f'<script type="application/json" class="vg-data">{content.steps}</script>',
    ]
    if content.n_views > 1:  # run by player.js the first time a box is opened
        parts.append('<script type="text/plain" class="vg-layout">\n' + _layout_engine() + "</script>")
    if inline:
        parts.append('<script type="module">\n' + player_script() + "</script>")
    parts.append("</div>")
    return "\n".join(parts)


def backprop_html(
    root: Value, title: str = _TITLE, max_nodes: int = BACKPROP_MAX_NODES, quiz: bool = False, expand: Any = None
) -> str:
    """A whole self-contained HTML page that plays ``root``'s backward pass (see :func:`draw_backprop`)."""
    _check_quiz(quiz, "backprop_html")
    if not isinstance(title, str):
        raise TypeError(f"backprop_html: title must be a str, got {type(title).__name__}")
    content = player_content(root, max_nodes, "backprop_html", expand=expand)
    return _page(_player_fragment(content, "vg-player", quiz), title)


def _page(fragment: str, title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<h1 style=\"font-family: sans-serif; "
        f'font-size: 1.3em\">{html.escape(title)}</h1>\n'
        f'<p style="font-family: sans-serif">{html.escape(_HELP)}</p>\n' + fragment + "\n</body>\n</html>\n"
    )


def draw_backprop(
    root: Value,
    path: str | os.PathLike[str],
    max_nodes: int = BACKPROP_MAX_NODES,
    quiz: bool = False,
    expand: Any = None,
) -> None:
    """Write ONE self-contained HTML file that steps through ``root``'s backward pass.

    The page draws the graph once and replays each step on it: the node passing its gradient
    on turns orange, the inputs receiving it yellow, the edges between them show the local
    derivative, and the caption spells out the chain rule with the numbers. Prev / Next (or
    ← →), a slider and Play move through the steps. With ``quiz=True`` (or the page's “Quiz
    me” box) each step first asks what every input receives, ∂node/∂input × node.grad, says
    right or wrong (within 0.5%; ``1/2``, ``-3e-2`` or ``2*0.25`` are read too) and then
    shows the rule. The page grows as Values + steps (a 1,000-Value layer of neurons is
    about 1.6 MB) and references nothing outside itself, so it works offline in any browser.
    The file is written atomically. Needs Graphviz's ``dot`` program to lay out the graph, which
    takes seconds for a thousand Values of a layer of neurons.

    A graph of more than 300 Values that has groups (:func:`autograd.group`; ``nn`` names its
    layers, neurons, heads and losses inside one) is drawn with each group as a box. A click on
    a box opens it (its drawing is laid out in the page by the vendored Graphviz in WebAssembly,
    the first time); ``expand=["layer 2"]`` (names, or paths such as ``"block 1 › attention"``)
    opens groups from the start, and ``expand=[]`` closes every group even of a small graph.
    The steps follow the drawing: the nodes of one box that ``backward()`` visits one after
    another are one step, which shows the gradient entering and leaving the box; inside an open
    group each node is a step of its own, and the quiz asks about it.

    Refuses (ValueError) a first drawing of more than ``max_nodes`` Values: a graph without
    groups that big, or one opened too far with ``expand``. A box whose drawing would have more
    than ``max_nodes`` Values or 2,500 edges does not open, and says so.
    """
    _check_quiz(quiz, "draw_backprop")
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"draw_backprop: path must be a str or os.PathLike, got {type(path).__name__}")
    content = player_content(root, max_nodes, "draw_backprop", expand=expand)
    write_atomic(path, _page(_player_fragment(content, "vg-player", quiz), _TITLE).encode("utf-8"))


@cache
def _widget_class() -> Any:
    """The anywidget class of the player, made on first use (anywidget is optional)."""
    import anywidget
    import traitlets

    class BackpropPlayer(anywidget.AnyWidget):
        """The backprop player as a Jupyter widget: ``player.js`` renders ``html``; ``step``
        (the step shown) and ``quiz`` (quiz mode on) follow the learner, and setting them
        from Python moves the player."""

        _esm = player_script()
        _css = asset("player.css", "style")
        html = traitlets.Unicode("").tag(sync=True)
        step = traitlets.Int(0).tag(sync=True)
        quiz = traitlets.Bool(False).tag(sync=True)
        last = traitlets.Int(0)  # the last step's number (kept in Python only)

        def __repr__(self) -> str:  # short: the default would spell out the whole drawing
            return f"BackpropPlayer(step {self.step} of {self.last}, quiz {'on' if self.quiz else 'off'})"

    return BackpropPlayer


def backprop_widget(root: Value, max_nodes: int = BACKPROP_MAX_NODES, quiz: bool = False, expand: Any = None) -> Any:
    """What :func:`show_backprop` displays: an anywidget ``BackpropPlayer``, or, without anywidget,
    an ``IPython.display.HTML`` holding the page's player (which runs without a kernel)."""
    _check_quiz(quiz, "backprop_widget")
    content = player_content(root, max_nodes, "backprop_widget", expand=expand)
    uid = f"vg-player-{os.urandom(4).hex()}"  # unique per output: each player's ids stay its own
    try:
        cls = _widget_class()
    except ImportError:
        from IPython.display import HTML  # Jupyter without anywidget: the HTML player, inline

        return HTML(_player_fragment(content, uid, quiz))
    return cls(html=_player_fragment(content, uid, quiz, inline=False), quiz=quiz, last=content.n_steps - 1)


def show_backprop(root: Value, max_nodes: int = BACKPROP_MAX_NODES, quiz: bool = False, expand: Any = None) -> None:
    """Step through ``root``'s backward pass in Jupyter, in the player of :func:`draw_backprop`.

    Shows an anywidget widget when anywidget is installed (``backprop_widget(root).step = 3``
    moves it from Python), and otherwise the same self-contained HTML player, inline. With
    ``quiz=True`` it starts in quiz mode; ``expand`` opens groups of a big graph, as in
    :func:`draw_backprop`.
    """
    try:
        from IPython.display import display
    except ImportError as err:
        raise ImportError(
            "show_backprop needs IPython (Jupyter); outside it, draw_backprop(root, 'backprop.html') writes the player"
        ) from err
    display(backprop_widget(root, max_nodes=max_nodes, quiz=quiz, expand=expand))
