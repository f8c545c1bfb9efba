"""The backprop player: every step of a backward pass in one self-contained HTML page or cell.

The page holds one ``<figure>`` per step of :func:`autograd.viz.steps.backprop_steps` (its
caption, and its frame as inline SVG), Prev / Next / Play buttons and a slider. Its behaviour
and its look are real front-end files shipped with the package, ``player.js`` and
``player.css``, copied into the page, which therefore needs nothing from the network.

In Jupyter, :func:`show_backprop` shows the same steps with an ipywidgets slider, or the same
HTML player inline when ipywidgets is not installed.
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any

from ..engine import Value
from ..fileio import write_atomic
from .draw import render_svg
from .steps import BACKPROP_MAX_NODES, backprop_steps

__all__ = ["draw_backprop", "backprop_html", "backprop_widget", "show_backprop"]

_PACKAGE = __name__.rpartition(".")[0]  # autograd.viz, where player.js and player.css live


def _asset(name: str, element: str) -> str:
    """The text of the package data file ``name``, to put inside an HTML ``<element>``.

    Inside ``<script>`` or ``<style>`` the browser ends the element at the first ``</script``
    or ``</style``, so a file that contains it would break the page: refused here.
    """
    text = resources.files(_PACKAGE).joinpath(name).read_text(encoding="utf-8")
    if f"</{element}" in text.lower():
        raise ValueError(f"{name} must not contain '</{element}' (it ends the page's <{element}>), but it does")
    return text


def _player_fragment(svgs: Sequence[str], captions: Sequence[str], uid: str) -> str:
    """The player's markup: controls, then one <figure> per step (caption and inline SVG)."""
    last = len(svgs) - 1
    parts = [
        f'<div class="vg-player" id="{uid}" tabindex="0">',
        "<style>\n" + _asset("player.css", "style") + "</style>",
        '<div class="vg-controls">',
        '<button type="button" class="vg-prev" title="previous step (←)">Prev</button>',
        '<button type="button" class="vg-play" title="play every step">Play</button>',
        '<button type="button" class="vg-next" title="next step (→)">Next</button>',
        f'<input type="range" class="vg-slider" min="0" max="{last}" step="1" value="0" aria-label="step">',
        f'<span class="vg-counter">step 0 of {last}</span>',
        "</div>",
    ]
    for k, (svg, caption) in enumerate(zip(svgs, captions)):
        # each SVG's element ids are made unique on the page, as several frames share it
        svg = re.sub(r'\bid="', f'id="{uid}-f{k}-', svg)
        hidden = "" if k == 0 else " hidden"
        parts.append(
            f'<figure class="vg-frame" data-step="{k}"{hidden}><figcaption>{html.escape(caption)}</figcaption>'
            f"{svg}</figure>"
        )
    parts.append("<script>\n" + _asset("player.js", "script") + "</script>")
    parts.append("</div>")
    return "\n".join(parts)


def _player_parts(root: Value, max_nodes: int) -> tuple[list[str], list[str]]:
    steps = backprop_steps(root, max_nodes=max_nodes)
    return [render_svg(s.frame) for s in steps], [s.caption for s in steps]


def backprop_html(
    root: Value, title: str = "Backpropagation, step by step", max_nodes: int = BACKPROP_MAX_NODES
) -> str:
    """A whole self-contained HTML page that plays ``root``'s backward pass (see :func:`draw_backprop`)."""
    svgs, captions = _player_parts(root, max_nodes)
    return _page(svgs, captions, title)


def _page(svgs: Sequence[str], captions: Sequence[str], title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<h1 style=\"font-family: sans-serif; "
        f'font-size: 1.3em\">{html.escape(title)}</h1>\n'
        "<p style=\"font-family: sans-serif\">Prev / Next (or the ← → keys) step through the backward pass; "
        "the slider jumps to any step; Play runs them all. The orange node pushes its gradient to its "
        "inputs (yellow) along the orange edges, labelled with the local gradient.</p>\n"
        + _player_fragment(svgs, captions, "vg-player")
        + "\n</body>\n</html>\n"
    )


def draw_backprop(root: Value, path: str | os.PathLike[str], max_nodes: int = BACKPROP_MAX_NODES) -> None:
    """Write ONE self-contained HTML file that steps through ``root``'s backward pass.

    The page has every frame of :func:`~autograd.viz.backprop_frames` as inline SVG with its
    caption, Prev / Next / Play buttons and a slider. It references nothing outside itself (no
    scripts, styles or images from the network), so it works offline in any browser. The
    file is written atomically. Needs Graphviz's ``dot`` program to render the frames.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"draw_backprop: path must be a str or os.PathLike, got {type(path).__name__}")
    write_atomic(path, backprop_html(root, max_nodes=max_nodes).encode("utf-8"))


def backprop_widget(root: Value, max_nodes: int = BACKPROP_MAX_NODES) -> Any:
    """What :func:`show_backprop` displays: an ipywidgets box, or an ``IPython.display.HTML`` player."""
    svgs, captions = _player_parts(root, max_nodes)
    try:
        import ipywidgets as widgets
    except ImportError:
        from IPython.display import HTML  # Jupyter without ipywidgets: the HTML player, inline

        uid = f"vg-player-{os.urandom(4).hex()}"  # unique per output cell: each player's SVG ids stay its own
        return HTML(_player_fragment(svgs, captions, uid))
    slider = widgets.IntSlider(value=0, min=0, max=len(svgs) - 1, step=1, description="step", continuous_update=True)
    caption = widgets.HTML(f"<pre>{html.escape(captions[0])}</pre>")
    picture = widgets.HTML(svgs[0])

    def on_change(change: dict[str, Any]) -> None:
        k = int(change["new"])
        caption.value = f"<pre>{html.escape(captions[k])}</pre>"
        picture.value = svgs[k]

    slider.observe(on_change, names="value")
    return widgets.VBox([slider, caption, picture])


def show_backprop(root: Value, max_nodes: int = BACKPROP_MAX_NODES) -> None:
    """Step through ``root``'s backward pass in Jupyter, one frame per slider position.

    Uses an ipywidgets ``IntSlider`` when ipywidgets is installed, and otherwise the same
    self-contained HTML player as :func:`draw_backprop`, shown inline.
    """
    try:
        from IPython.display import display
    except ImportError as err:
        raise ImportError(
            "show_backprop needs IPython (Jupyter); outside it, draw_backprop(root, 'backprop.html') writes the player"
        ) from err
    display(backprop_widget(root, max_nodes=max_nodes))
