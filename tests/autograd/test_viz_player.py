"""The backprop player's page, read from Python: one drawing, the steps as change sets, the quiz's answers.

References: ``Value.backward()`` for the gradients the last step shows (replaying every change
set must end at the text of each ``.grad``); ``node.local_grads`` × the node's gradient for
each quiz answer; the op table's captions (``backprop_steps``) for the texts. That the page
really plays in a browser is tested in tests/integration/test_player_browser.py.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
import os
import re
import sys
from importlib import resources
from typing import Any

import pytest
from helpers import hide_module, require, require_program

from autograd import Value, dot, viz
from autograd.graph import chain_rule, topological_order
from autograd.viz.assets import PLAYER_MODULES, player_script, without_imports
from autograd.viz.layout import Layout, _grad_field
from autograd.viz.playback import QUIZ_RTOL, compact_svg


@pytest.fixture(autouse=True)
def _needs_graphviz() -> None:
    require("graphviz")
    require_program("dot")


def neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    n = x1 * w1 + x2 * w2 + Value(6.8813735870195432, label="b")
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def reused() -> Value:
    a, b = Value(1.5, label="a"), Value(-0.5, label="b")
    d = (a * b + a).tanh() * a + 2**b  # a used three times, b twice
    d.label = "d"
    return d


def player_data(page: str) -> dict[str, Any]:
    """The page's data as player.js reads it (readData): unpacked when gzipped, the steps from
    their columns into one dict each, and each change's ``before`` from the change before it."""
    found = re.findall(r'<script type="application/json" class="vg-data">(.*?)</script>', page, flags=re.DOTALL)
    assert len(found) == 1
    data: dict[str, Any] = json.loads(found[0])
    if "gzip" in data:
        data = json.loads(gzip.decompress(base64.b64decode(data["gzip"])))
    columns = data["steps"]
    data["steps"] = [{key: column[k] for key, column in columns.items()} for k in range(len(columns["node"]))]
    now: dict[int, str | None] = {}
    for step in data["steps"]:
        changes = []
        for i, after in step["set"]:
            changes.append([i, now.get(i), after])
            now[i] = after
        step["set"] = changes
    return data


def test_the_page_is_self_contained_and_draws_the_graph_once(tmp_path: os.PathLike[str]) -> None:
    o = neuron()
    steps = viz.backprop_steps(o)
    path = os.path.join(tmp_path, "bp.html")
    viz.draw_backprop(o, path)
    assert os.listdir(tmp_path) == ["bp.html"]  # written through a temp file, none left
    with open(path, encoding="utf-8") as f:
        page = f.read()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1
    data = player_data(page)
    assert [s["caption"] for s in data["steps"]] == [s.caption.split("\n")[0] for s in steps]
    assert f"<span class=\"vg-counter\">step 0 of {len(steps) - 1}</span>" in page
    assert html.escape(steps[0].caption) in page  # the first caption, even before the script runs
    for control in ('class="vg-prev"', 'class="vg-next"', 'class="vg-play"', 'type="range"', 'class="vg-quiz-switch"'):
        assert control in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page and "<title>" not in page.split("</head>")[1]
    # the SVG namespace names the kind of element (also in player.js, which makes labels); nothing is fetched
    without_xmlns = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", page).replace('"http://www.w3.org/2000/svg"', "")
    assert "http:" not in without_xmlns and "https:" not in without_xmlns
    assert not re.search(r"\b(src|href)\s*=", without_xmlns)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    files = resources.files("autograd.viz")
    assert files.joinpath("player.css").read_text(encoding="utf-8") in page  # the front end, from the package's files
    for module in PLAYER_MODULES:  # each module whole, but for its imports of the others
        assert without_imports(files.joinpath(module).read_text(encoding="utf-8")) in page
    assert '<script type="module">' in page


def test_every_value_op_and_operand_edge_has_its_element(tmp_path: os.PathLike[str]) -> None:
    o = reused()
    page = viz.backprop_html(o)
    values = Layout(o, None).values
    ids = set(re.findall(r'<g id="vg-player-([^"]+)" class="(?:node|edge)"', page))
    for i, v in enumerate(values):
        assert f"v{i}" in ids
        if v.operands:
            assert f"v{i}_op" in ids
            assert {f"v{i}_e{j}" for j in range(len(v.operands))} <= ids
    data = player_data(page)
    assert sorted(data["grads"]) == [i for i, v in enumerate(values) if v.requires_grad]


@pytest.mark.parametrize("build", [neuron, reused, lambda: dot([Value(0.5, label="w")], [3.0]).exp()])
def test_replaying_the_change_sets_ends_at_backwards_grads(build: Any) -> None:
    root = build()
    data = player_data(viz.backprop_html(root))
    values = Layout(root, None).values
    shown: dict[int, str | None] = {i: None for i in data["grads"]}
    for k, step in enumerate(data["steps"]):
        for i, before, after in step["set"]:
            assert shown[i] == before  # each change starts where the last one left the field
            shown[i] = after
        if k > 0:  # the edges are the node's parents' (operand position, local derivative)
            node = values[step["node"]]
            assert [values[i] for i, _, _ in step["set"]] == list(node.parents)
            assert len(step["edges"]) == len(node.parents)
    root.backward()
    for i in data["grads"]:
        assert shown[i] == _grad_field(values[i].grad), values[i]
    # and undoing every step, last first, gives back the page's starting state: nothing computed
    for step in reversed(data["steps"]):
        for i, before, after in reversed(step["set"]):
            assert shown[i] == after
            shown[i] = before
    assert set(shown.values()) == {None}


def test_each_quiz_answer_is_the_local_derivative_times_the_nodes_grad() -> None:
    root = reused()
    data = player_data(viz.backprop_html(root, quiz=True))
    assert 'class="vg-quiz-switch" checked' in viz.backprop_html(root, quiz=True)
    assert 'class="vg-quiz-switch" checked' not in viz.backprop_html(root)
    grads = chain_rule(root)
    order = list(reversed(topological_order(root, include_leaves=False)))
    assert data["rtol"] == QUIZ_RTOL == 0.005
    assert data["steps"][0]["question"] is None  # the seed asks nothing
    for node, step in zip(order, data["steps"][1:]):
        wants = [want for _, want, _ in step["answers"]]  # to 6 digits: the quiz's tolerance is 0.5%
        assert wants == pytest.approx([local * grads[node] for local in node.local_grads], rel=1e-5)
        assert f"{node.label or '#'}" in step["question"] and "has arrived" in step["question"]
    first = data["steps"][1]["question"]
    assert first.startswith("d = ") and first.endswith("What does each input receive, ∂d/∂input × d.grad?")


def test_a_parent_used_twice_is_asked_once_per_operand() -> None:
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    step = player_data(viz.backprop_html(y))["steps"][1]
    assert [label for label, _, _ in step["answers"]] == ["x (operand 1)", "x (operand 2)"]
    assert step["set"] == [[0, None, "grad 3"], [0, "grad 3", "grad 6"]]


def test_inf_nan_and_script_endings_are_safe_in_the_page() -> None:
    x = Value(0.0, label="</script><!-- x")
    y = x.log() * 0.0  # log 0 = -inf, whose local derivative 1/0 = inf meets the gradient 0: nan
    y.label = "y"
    page = viz.backprop_html(y)
    assert page.count("</script>") == 2 and "<!-- x" not in page  # the label is escaped, in the SVG and the JSON
    data = player_data(page)
    assert [a[1:] for s in data["steps"][1:] for a in s["answers"]] == [[0.0, "0"], ["NaN", "nan"]]
    z = x.log()
    assert player_data(viz.backprop_html(z))["steps"][1]["answers"] == [["</script><!-- x", "Infinity", "inf"]]


def test_the_page_grows_as_values_plus_steps_not_their_product() -> None:
    def chain(n: int) -> Value:
        v = Value(0.1, label="x")
        for _ in range(n):
            v = (v * 1.01 + 0.001).tanh()
        return v

    sizes = {n: len(viz.backprop_html(chain(n), max_nodes=10_000)) for n in (20, 40, 80)}
    # 4× the Values and 4× the steps: a page per step would be 16× bigger, this one about 4×
    assert sizes[80] - sizes[40] < 2.3 * (sizes[40] - sizes[20])


def test_compact_svg_draws_the_same_texts_and_shapes() -> None:
    graph = viz.draw_dot(reused())
    full = viz.render_svg(graph)
    small = compact_svg(full)
    assert len(small) < 0.8 * len(full) and "<title>" not in small

    def texts(svg: str) -> list[str]:
        return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]

    assert texts(small) == texts(full)
    for shape in ("<polygon", "<path", "<ellipse", "<polyline", "<g id="):
        assert small.count(shape) == full.count(shape)


def test_bad_arguments_name_themselves(tmp_path: os.PathLike[str]) -> None:
    o = neuron()
    with pytest.raises(TypeError, match="draw_backprop: quiz must be True or False, got 'yes'"):
        viz.draw_backprop(o, os.path.join(tmp_path, "p.html"), quiz="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="backprop_html: title must be a str, got int"):
        viz.backprop_html(o, title=3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="backprop_html: root must be a Value, got float"):
        viz.backprop_html(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="draw_backprop: max_nodes must be an int >= 1, got 0"):
        viz.draw_backprop(o, os.path.join(tmp_path, "p.html"), max_nodes=0)
    assert os.listdir(tmp_path) == []


def test_backprop_widget_is_an_anywidget_or_the_inline_player(monkeypatch: pytest.MonkeyPatch) -> None:
    require("IPython")
    require("anywidget")
    o = neuron()
    widget = viz.backprop_widget(o, quiz=True)
    assert type(widget).__name__ == "BackpropPlayer" and widget.quiz is True and widget.step == 0
    assert widget._esm == player_script()
    assert widget._css == resources.files("autograd.viz").joinpath("player.css").read_text(encoding="utf-8")
    assert widget.html.count("<svg") == 1 and "<script type=\"module\">" not in widget.html  # the module is _esm
    assert len(player_data(widget.html)["steps"]) == len(viz.backprop_steps(o))
    widget.step = 3  # Python moves the player (player.js listens for it)
    assert repr(widget) == "BackpropPlayer(step 3 of 5, quiz on)"  # not the whole drawing, as a notebook's text

    hide_module(monkeypatch, "anywidget")
    monkeypatch.delitem(sys.modules, "anywidget", raising=False)
    from autograd.viz import player

    player._widget_class.cache_clear()
    try:
        fallback, second = viz.backprop_widget(o), viz.backprop_widget(o)
    finally:
        player._widget_class.cache_clear()
    from IPython.display import HTML

    assert isinstance(fallback, HTML)
    assert fallback.data.count("<svg") == 1 and '<script type="module">' in fallback.data
    ids = re.findall(r'class="vg-player" id="([^"]+)"', fallback.data + second.data)
    assert len(ids) == 2 and ids[0] != ids[1]  # two players in one notebook keep their own ids


def grouped_step(points: int = 30) -> Value:
    """A training step of MLP(2, [4, 1]) on ``points`` points, in a group: nn names its layers
    and neurons, and the loss; more than AUTO_COLLAPSE Values, so the player starts collapsed."""
    import random

    from autograd import group
    from nn import MLP
    from nn.losses import mse_loss

    rng = random.Random(0)
    model = MLP(2, [4, 1], rng=rng)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(points)]
    with group("step"):
        return mse_loss([model(x) for x in xs], [1.0 if a * b > 0 else -1.0 for a, b in xs])


def decoded(runs: list[list[Any]]) -> list[str]:
    """A view's items, as player.js's decodeItems reads them."""
    items: list[str] = []
    for item, count in runs:
        items += [f"v{len(items) + j}" if item == "v" else item for j in range(count)]
    return items


def test_a_big_grouped_graph_starts_as_boxes_and_each_group_has_its_view() -> None:
    from autograd.viz.views import AUTO_COLLAPSE

    root = grouped_step()
    values = Layout(root, None).values
    assert len(values) > AUTO_COLLAPSE
    page = viz.backprop_html(root)
    data = player_data(page)
    names = [g[0] for g in data["groups"]]
    assert names[0] == "step" and {"layer 1", "layer 2", "neuron 1", "neuron 4", "mse loss"} <= set(names)
    first = data["views"][0]
    assert first["focus"] == -1 and first["dot"] is None  # its SVG is the page's
    assert [names[g] for g in first["open"]] == ["step"]  # the group holding every op opens by itself
    boxes = {item for item in decoded(first["items"]) if item[0] == "g"}
    assert {names[int(b[1:])] for b in boxes} == {"layer 1", "layer 2", "mse loss"}
    for b in boxes:  # each box is in the drawing, and a click opens a view of its own
        assert f'id="vg-player-{b}"' in page
        assert int(b[1:]) in [v["focus"] for v in data["views"]]
    for view in data["views"]:
        items = decoded(view["items"])
        assert len(items) == len(values)
        if view["dot"] is not None:  # laid out in the page: each item's element is in its DOT text
            for item in set(items):
                assert f"id={item}" in view["dot"] or f'id="{item}"' in view["dot"]
    # the steps are the same whatever is drawn: replaying them ends at backward()'s gradients
    root.backward()
    last: dict[int, str] = {}
    for step in data["steps"]:
        for i, _, after in step["set"]:
            last[i] = after
    assert all(last[i] == _grad_field(values[i].grad) for i in data["grads"])


def test_expand_opens_groups_from_python_and_names_what_it_wants() -> None:
    root = grouped_step()
    data = player_data(viz.backprop_html(root, expand=["layer 1 › neuron 2"]))
    names = [g[0] for g in data["groups"]]
    assert [names[g] for g in data["views"][0]["open"]] == ["step", "layer 1", "neuron 2"]
    shown = decoded(data["views"][0]["items"])
    assert any(item[0] == "v" for item in shown) and any(item[0] == "g" for item in shown)
    small = player_data(viz.backprop_html(grouped_step(1)))  # small: every group open, no boxes
    assert all(item == "v" for item, _ in small["views"][0]["items"]) and len(small["views"]) == 1
    with pytest.raises(TypeError, match="expand"):
        viz.backprop_html(root, expand=[3])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="expand names the group 'layer 9', which is not in the graph"):
        viz.backprop_html(root, expand=["layer 9"])


def test_the_vendored_layout_engine_is_the_one_named() -> None:
    """The vendored viz.js is the file its README names (its hash), and a page that has boxes to
    open carries it, gzipped, while a small page does not."""
    import hashlib

    engine = resources.files("autograd.viz").joinpath("vendor", "viz-global.js").read_bytes()
    readme = resources.files("autograd.viz").joinpath("vendor", "README.md").read_text(encoding="utf-8")
    assert hashlib.sha256(engine).hexdigest() in readme and b"Viz.js 3.31.0" in engine[:100]
    big, small = viz.backprop_html(grouped_step()), viz.backprop_html(neuron())
    assert big.count('class="vg-layout"') == 1 and 'class="vg-layout"' not in small
    packed = re.search(r'<script type="text/plain" class="vg-layout">\s*(.*?)</script>', big, flags=re.DOTALL)
    assert packed is not None and engine.decode("utf-8") in gzip.decompress(base64.b64decode(packed[1])).decode("utf-8")


def test_the_players_pure_functions_pass_their_node_tests() -> None:
    """player.js's pure functions (reading answers and data, runs of steps, captions) under Node's
    own test runner: tests/js/player.test.mjs."""
    import subprocess
    from pathlib import Path

    node = require_program("node")
    tests = Path(__file__).resolve().parents[1] / "js" / "player.test.mjs"
    done = subprocess.run([node, "--test", str(tests)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_players_modules_join_into_one_script_with_their_imports_removed() -> None:
    """join_modules writes each module whole but for its imports of modules written before it,
    and refuses what would load differently as one script."""
    from autograd.viz.assets import join_modules

    a = 'export function f() { return 1; }\n'
    b = 'import { f } from "./a.js";\nexport default { g: () => f() };\n'
    joined = join_modules([("a.js", a), ("b.js", b)])
    assert "import" not in joined and a in joined and "export default { g: () => f() };\n" in joined
    with pytest.raises(ValueError, match=r"b.js imports 'c.js'"):
        join_modules([("a.js", a), ("b.js", b.replace("./a.js", "./c.js"))])
    with pytest.raises(ValueError, match="b.js imports 'a.js', which is not one of"):
        join_modules([("b.js", b), ("a.js", a)])  # a module written after the one importing it
    with pytest.raises(ValueError, match="an import that is not of a module written before it"):
        join_modules([("a.js", 'import x from "https://example.com/x.js";\n' + a)])
    with pytest.raises(ValueError, match="a.js has a default export"):
        join_modules([("a.js", a + "export default {};\n"), ("b.js", b)])
    # the package's own modules: every import is of a sibling written before, and the whole
    # script keeps the anywidget module's default export
    script = player_script()
    assert script.count("export default") == 1 and not re.search(r"^import\b", script, re.M)


def test_each_views_edge_count_is_the_edges_its_drawing_draws() -> None:
    """views.py decides which views are too big to lay out in the page by counting their edges
    before drawing them: the count is exactly the edges each drawing has (its legend's invisible
    ones aside)."""
    require("graphviz")
    from autograd.viz import views

    full = Layout(grouped_step(), None)
    made = views.player_views(full, None, 2500, "LR", {}, "test")
    assert len(made.drawings) > 3
    operands = [[int(full.ids[x][1:]) if isinstance(x, Value) else -1 for x in v.operands] for v in full.values]
    for items, drawing in zip(made.items, made.drawings):
        into = views._box_edges(operands, items)
        drawn = [line for line in drawing.body if " -> " in line and "invis" not in line]
        assert views._edge_count(operands, items, into) == len(drawn)
        assert {(a, b) for a, b in into} <= {tuple(line.split()[:3:2]) for line in drawn}
