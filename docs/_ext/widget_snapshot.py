"""Saved Jupyter widgets, shown as the notebook saved them: a still picture, with no widget JavaScript.

MyST-NB writes a widget output as a script tag that only the Jupyter widget manager turns into
something visible, and that manager would be loaded from a CDN. The site loads nothing from the
network, so each widget output is replaced here by the HTML of the widget's saved state: a box
shows its children in order, an HTML or Label widget its text, a slider a disabled slider at its
saved position; a note says that the controls move only in a running notebook. A widget with any
other part is shown by the output's plain-text form instead, with the same note.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
SCRIPT = f'<script type="{VIEW}">'
REFERENCE = "IPY_MODEL_"
BOXES = {"BoxModel": "column", "VBoxModel": "column", "HBoxModel": "row"}
SLIDERS = {"IntSliderModel", "FloatSliderModel"}
NOTE = (
    "A still picture of an interactive widget, as the notebook saved it: "
    "its controls move only when the notebook runs in Jupyter."
)


class Unshowable(Exception):
    """A widget part that has no still picture here."""


def widget_html(model_id: str, models: dict[str, Any]) -> str:
    """The HTML of model ``model_id`` and its children, from their saved state."""
    model = models.get(model_id)
    if model is None:
        raise Unshowable(f"no saved state for widget {model_id}")
    kind, state = model.get("model_name", ""), model.get("state", {})
    if kind in BOXES:
        children = [widget_html(str(ref).removeprefix(REFERENCE), models) for ref in state.get("children", [])]
        return f'<div class="vg-widget-box vg-widget-{BOXES[kind]}">{"".join(children)}</div>'
    if kind in {"HTMLModel", "HTMLMathModel"}:
        return f'<div class="vg-widget-html">{state.get("value", "")}</div>'
    if kind == "LabelModel":
        return f'<div class="vg-widget-label">{html.escape(str(state.get("value", "")))}</div>'
    if kind in SLIDERS:
        attrs = " ".join(
            f'{name}="{html.escape(str(state[name]))}"' for name in ("min", "max", "step", "value") if name in state
        )
        label = html.escape(str(state.get("description", "")))
        value = html.escape(str(state.get("value", "")))
        return (
            f'<div class="vg-widget-slider"><span>{label}</span>'
            f'<input type="range" {attrs} disabled><span>{value}</span></div>'
        )
    raise Unshowable(f"no still picture for a {kind or 'widget'}")


def _saved(notebook: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The notebook's saved widget models by id, and each widget output's plain text by model id."""
    models = notebook.get("metadata", {}).get("widgets", {}).get(STATE, {}).get("state", {})
    texts: dict[str, str] = {}
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if VIEW in data:
                text = data.get("text/plain", "")
                texts[data[VIEW].get("model_id", "")] = "".join(text) if isinstance(text, list) else text
    return models, texts


def _model_id(raw: nodes.raw) -> str:
    body = raw.astext().strip().removeprefix(SCRIPT).removesuffix("</script>")
    view = json.loads(body.replace("<\\/", "</"))
    if isinstance(view, str):  # MyST-NB may keep the output's JSON as a string
        view = json.loads(view)
    return str(view.get("model_id", ""))


def replace_widgets(app: Sphinx, doctree: nodes.document) -> None:
    """Turn each widget output of a notebook page into its still picture (``doctree-read``)."""
    found = [
        raw
        for raw in doctree.findall(nodes.raw)
        if raw.get("format") == "html" and raw.astext().lstrip().startswith(SCRIPT)
    ]
    if not found:
        return
    source = Path(app.env.doc2path(app.env.docname))
    models, texts = _saved(json.loads(source.read_text(encoding="utf-8")))
    for raw in found:
        model_id = _model_id(raw)
        figure = nodes.container(classes=["vg-widget"])
        try:
            figure += nodes.raw("", widget_html(model_id, models), format="html")
        except Unshowable:
            text = texts.get(model_id, "")
            figure += nodes.literal_block(text, text, classes=["output", "text_plain"])
        figure += nodes.paragraph("", NOTE, classes=["vg-widget-note"])
        raw.replace_self(figure)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-read", replace_widgets)
    app.add_css_file("widget_snapshot.css")
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
