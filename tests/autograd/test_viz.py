"""autograd.viz: the DOT text, rendering, the backprop frames and captions, and the HTML player.

References: hand-derived gradients of the tanh neuron (o = tanh(n), do/dn = 1 - o² = 0.5 at
n = atanh(1/√2)); ``Value.backward()`` itself for the frames (they are the steps of
``autograd.graph.chain_rule``, which agrees with it); and the op table, whose texts every
caption must repeat (parametrised over ``autograd.ops.OPS``, so a new op is tested here too).
"""

from __future__ import annotations

import ast
import math
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import require, require_program

from autograd import Value, apply, dot, viz
from autograd.engine import op_of
from autograd.graph import chain_rule, topological_order
from autograd.ops import OPS, SWAPPED, Op


@pytest.fixture(autouse=True)
def _needs_graphviz_package() -> None:
    require("graphviz")  # the Python package; tests that render also need the `dot` program

B = 0.8813735870195432 + 6.0  # so that n = w1·x1 + w2·x2 + b = atanh(1/√2) and o = 1/√2


def neuron(fused: bool = True) -> tuple[Value, dict[str, Value]]:
    v = {
        "x1": Value(2.0, label="x1"),
        "x2": Value(0.0, label="x2"),
        "w1": Value(-3.0, label="w1"),
        "w2": Value(1.0, label="w2"),
        "b": Value(B, label="b"),
    }
    if fused:
        n = dot([v["w1"], v["w2"]], [v["x1"], v["x2"]], v["b"])
    else:
        n = v["x1"] * v["w1"] + v["x2"] * v["w2"] + v["b"]
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    v["n"], v["o"] = n, o
    return o, v


def record_line(source: str, label: str) -> str:
    """The DOT line of the record whose first field is ``label``."""
    lines = [ln for ln in source.splitlines() if f'label="{{ {label} |' in ln]
    assert len(lines) == 1, (label, lines)
    return lines[0]


# --- the DOT text -------------------------------------------------------------------------------


@pytest.mark.parametrize("fused", [True, False])
def test_neuron_dot_has_labels_data_grads_and_ops(fused: bool) -> None:
    o, v = neuron(fused)
    o.backward()
    src = viz.draw_dot(o).source
    # hand-derived: o = 1/√2, do/dn = 1/2, do/dx1 = w1/2, do/dw1 = x1/2, do/dx2 = w2/2, do/dw2 = x2/2, do/db = 1/2
    expected = {
        "x1": ("2", "-1.5"),
        "w1": ("-3", "1"),
        "x2": ("0", "0.5"),
        "w2": ("1", "0"),
        "b": ("6.881", "0.5"),
        "n": ("0.8814", "0.5"),
        "o": ("0.7071", "1"),
    }
    for label, (data, grad) in expected.items():
        assert f"{{ {label} | data {data} | grad {grad} }}" in record_line(src, label)
    assert "tanh" in src
    if fused:
        assert '"w·x+b"' in src  # one op node for the whole neuron...
        assert len(re.findall(r"-> v\d+_op\b", src)) == 6  # ...with 5 inputs, and tanh's 1
    else:
        assert src.count('label="*"') == 2 and src.count('label="+"') == 2


def test_dot_text_is_deterministic_and_uses_stable_ids() -> None:
    first = viz.draw_dot(neuron()[0]).source
    second = viz.draw_dot(neuron()[0]).source
    assert first == second
    ids = set(re.findall(r"^\s*([A-Za-z_][\w]*) \[", first, flags=re.MULTILINE)) - {"graph", "node", "edge"}
    assert ids and all(re.fullmatch(r"v\d+(_op|_c\d+)?|legend_\w+", i) for i in ids), ids


def test_colours_mark_parameters_constants_and_root() -> None:
    x = Value(1.5, label="x")
    k = Value(4.0, label="k", requires_grad=False)
    y = 2 - x * k
    y.label = "y"
    src = viz.draw_dot(y).source
    assert viz.LEAF_FILL in record_line(src, "x")
    assert viz.CONST_FILL in record_line(src, "k") and "no grad" in record_line(src, "k")
    assert viz.ROOT_FILL in record_line(src, "y")
    # the number 2 is an operand but not a parent: a small constant node, edge labelled as operand a of a - b
    const = [ln for ln in src.splitlines() if re.match(r"\s*v\d+_c0 \[", ln)]
    assert len(const) == 1 and "label=2" in const[0] and viz.CONST_FILL in const[0]
    assert re.search(r"v\d+_c0 -> v\d+_op \[label=a\]", src)
    assert "cluster_legend" in src


def test_show_grad_false_and_special_values() -> None:
    x = Value(0.0, label="x")
    y = x.log()  # -inf, and its local gradient 1/0 = inf
    y.label = "y"
    z = (y - y).exp()  # nan
    z.label = "z"
    z.backward()
    src = viz.draw_dot(z).source
    assert "data -inf" in record_line(src, "y")
    assert "data nan" in record_line(src, "z")
    assert "grad" not in record_line(viz.draw_dot(z, show_grad=False).source, "z")


def test_labels_are_escaped_for_records() -> None:
    x = Value(1.0, label='a{b}|<c> "q" \\')
    src = viz.draw_dot(x * 2).source
    assert r'a\{b\}\|\<c\> \"q\" \\' in src


def chain(n: int) -> tuple[Value, list[Value]]:
    x = Value(0.1, label="x")
    nodes = [x]
    for i in range(n):
        nodes.append(nodes[-1] * 1.01 + 0.001)
        nodes[-1].label = f"h{i}"
    return nodes[-1], nodes


def test_max_nodes_refuses_and_names_the_options() -> None:
    root, _ = chain(300)  # x, then a product and a sum per link: 601 Values
    with pytest.raises(ValueError) as err:
        viz.draw_dot(root, max_nodes=100)
    message = str(err.value)
    assert "601 Values" in message and "max_nodes" in message and "depth=" in message and "focus=" in message
    assert viz.draw_dot(root, max_nodes=601).source.count("shape=record") == 601


def test_the_player_and_the_frames_have_their_own_limits() -> None:
    root, nodes = chain(50)  # 101 Values
    assert viz.BACKPROP_MAX_NODES >= 2000 and viz.BACKPROP_FRAMES_MAX_NODES < viz.BACKPROP_MAX_NODES
    with pytest.raises(ValueError, match=r"101 Values, more than max_nodes=80\. Raise max_nodes.*a Value inside it"):
        viz.backprop_steps(root, max_nodes=80)
    with pytest.raises(ValueError, match=r"backprop_html: the graph has 101 Values, more than max_nodes=100\."):
        viz.backprop_html(root, max_nodes=100)
    assert len(viz.backprop_steps(nodes[20], max_nodes=41)) == 1 + 40  # a part of the graph: 20 links of 2 ops
    assert len(viz.backprop_steps(root)) == 1 + 100
    big, _ = chain(100)  # 201 Values: too many frames of the whole graph, but fine for the player
    with pytest.raises(ValueError, match=r"backprop_frames: the graph has 201 Values, more than max_nodes=150.*draw_backprop"):
        viz.backprop_frames(big)
    assert len(viz.backprop_frames(big, max_nodes=201)) == 201


def test_depth_draws_only_the_ops_near_the_root() -> None:
    root, nodes = chain(300)
    src = viz.draw_dot(root, max_nodes=50, depth=2).source
    # h299 = h298' + 0.001 where h298' = h298 * 1.01: depth 2 reaches h298 (unexpanded, dashed)
    assert src.count("shape=record") == 3
    assert "dashed" in record_line(src, "h298") and "legend_truncated" in src
    assert 'label="{ h297 |' not in src
    assert viz.draw_dot(root, depth=0).source.count("shape=record") == 1


def test_focus_draws_the_subgraph_leading_to_a_value() -> None:
    root, nodes = chain(300)
    src = viz.draw_dot(root, max_nodes=50, focus=nodes[10]).source
    assert 'label="{ h9 |' in src and 'label="{ x |' in src
    assert 'label="{ h10 |' not in src and 'label="{ h299 |' not in src
    assert viz.ROOT_FILL in record_line(src, "h9")
    with pytest.raises(ValueError, match="focus"):
        viz.draw_dot(root, focus=Value(1.0))


def test_bad_arguments_say_what_they_got() -> None:
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        viz.draw_dot(1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_dot(Value(1.0), rankdir="XY")
    with pytest.raises(ValueError, match="depth"):
        viz.draw_dot(Value(1.0), depth=-1)
    with pytest.raises(ValueError, match="constant"):
        viz.backprop_steps(Value(1.0, requires_grad=False))


def test_the_engine_does_not_import_graphviz() -> None:
    code = "import sys, autograd, autograd.viz, autograd.__main__; print('graphviz' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_missing_graphviz_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # makes `import graphviz` raise ImportError
    with pytest.raises(ImportError, match=re.escape('pip install "valuegrad[viz]"')):
        viz.draw_dot(Value(1.0))


def test_missing_dot_program_still_gives_source_and_explains_rendering(
    monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no `dot`
    o, _ = neuron()
    g = viz.draw_dot(o)
    assert "tanh" in g.source
    with pytest.raises(RuntimeError) as err:
        viz.render_svg(g)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install graphviz"):
        assert hint in str(err.value)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        viz.draw_backprop(o, os.path.join(tmp_path, "bp.html"))
    assert not os.path.exists(os.path.join(tmp_path, "bp.html"))
    viz.save_graph(g, os.path.join(tmp_path, "g.dot"))  # the source needs no program
    with open(os.path.join(tmp_path, "g.dot"), encoding="utf-8") as f:
        assert f.read() == g.source


# --- rendering with the real `dot` ---------------------------------------------------------------


def test_render_svg_png_pdf_with_dot(tmp_path: os.PathLike[str]) -> None:
    require_program("dot")
    o, _ = neuron()
    o.backward()
    g = viz.draw_dot(o)
    svg = viz.render_svg(g)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg and "<!--" not in svg
    assert ">tanh<" in svg and ">w·x+b<" in svg and "grad &#45;1.5" in svg
    for ext, magic in (("svg", b"<?xml"), ("png", b"\x89PNG\r\n\x1a\n"), ("pdf", b"%PDF")):
        path = os.path.join(tmp_path, f"neuron.{ext}")
        viz.save_graph(g, path)
        with open(path, "rb") as f:
            assert f.read(len(magic)) == magic
    with pytest.raises(ValueError, match="must end in"):
        viz.save_graph(g, os.path.join(tmp_path, "neuron.jpg"))
    assert sorted(os.listdir(tmp_path)) == ["neuron.pdf", "neuron.png", "neuron.svg"]  # no temp files left


# --- backpropagation frames ----------------------------------------------------------------------


def reused_graph() -> tuple[Value, list[Value]]:
    a = Value(1.5, label="a")
    b = Value(-0.5, label="b")
    c = a * b
    c.label = "c"
    d = (c + a).tanh() * a + 2 ** b  # a is used three times, c twice... b twice
    d.label = "d"
    return d, [a, b, c]


@pytest.mark.parametrize("build", [lambda: neuron()[0], lambda: neuron(False)[0], lambda: reused_graph()[0]])
def test_frames_follow_the_backward_order_and_end_at_backwards_grads(build: object) -> None:
    root = build()  # type: ignore[operator]
    order = topological_order(root, include_leaves=False)
    steps = viz.backprop_steps(root)
    assert len(steps) == 1 + len(order) == len(viz.backprop_frames(root))
    assert [s.node for s in steps[1:]] == list(reversed(order))
    assert all(n.grad == 0.0 for n in topological_order(root))  # frames touched no .grad

    for k, step in enumerate(steps):
        assert step.index == k
        src = step.frame.source
        current = [ln for ln in src.splitlines() if "shape=record" in ln and viz.CURRENT_FILL in ln]
        assert len(current) == 1
        name = step.node.label or "#"
        assert f"{{ {name}" in current[0]

    root.backward()
    last = steps[-1].grads
    for node in topological_order(root):
        assert last[node] == pytest.approx(node.grad, rel=1e-12, abs=1e-15)


def test_frames_show_one_fresh_pass_even_after_accumulating_backwards() -> None:
    root, (a, b, _) = reused_graph()
    root.backward()
    once = (a.grad, b.grad)
    root.backward()  # leaves accumulate: twice the gradient
    assert a.grad == pytest.approx(2 * once[0])
    last = viz.backprop_steps(root)[-1].grads
    assert last[a] == pytest.approx(once[0], rel=1e-12) and last[b] == pytest.approx(once[1], rel=1e-12)
    assert a.grad == pytest.approx(2 * once[0])  # still untouched


def test_each_steps_grads_read_as_a_copy_of_the_chain_rules_grads_then() -> None:
    """A step's grads are a view of the pass's history (a copy per step would cost steps × Values):
    they must read exactly as a copy of chain_rule's dict at that step would."""
    root, (a, b, c) = reused_graph()
    grads: dict[Value, float] = {}
    copies = [{root: 1.0}]
    chain_rule(root, grads=grads, watch=lambda node, g, pushes: copies.append(dict(grads)))
    steps = viz.backprop_steps(root)
    assert len(steps) == len(copies)
    for step, copy in zip(steps, copies):
        assert dict(step.grads) == copy and list(step.grads) == list(copy) and len(step.grads) == len(copy)
        assert step.grads == copy and repr(step.grads) == repr(copy)
    assert a not in steps[0].grads and a in steps[-1].grads
    with pytest.raises(KeyError):
        steps[0].grads[a]
    with pytest.raises(KeyError):
        steps[-1].grads[Value(1.0)]
    assert steps[1].frame is steps[1].frame  # drawn once, when first read


def test_frame_zero_seeds_the_root_and_greys_the_rest() -> None:
    o, _ = neuron()
    first = viz.backprop_steps(o)[0]
    assert first.grads == {o: 1.0}
    records = [ln for ln in first.frame.source.splitlines() if "shape=record" in ln]
    assert len(records) == 7
    for ln in records:
        if "{ o |" in ln:
            assert "grad 1 }" in ln
        else:
            assert "grad ? }" in ln and viz.PENDING_COLOR in ln


def test_captions_state_the_chain_rule_with_numbers() -> None:
    o, _ = neuron()
    steps = viz.backprop_steps(o)
    assert steps[0].caption.startswith("Step 0 of 2")
    assert "∂o/∂n = 1 − tanh²(n) = 0.5;  n.grad += 0.5 × 1  →  0.5" in steps[1].caption
    assert "tanh a; ∂/∂a = 1 - tanh² a" in steps[1].caption  # the op table's own doc
    lines = steps[2].caption.splitlines()
    assert "∂n/∂w1 = x1 = 2;  w1.grad += 2 × 0.5  →  1" in lines
    assert "∂n/∂x1 = w1 = -3;  x1.grad += -3 × 0.5  →  -1.5" in lines
    assert "∂n/∂b = 1;  b.grad += 1 × 0.5  →  0.5" in lines
    x = Value(3.0, label="x")
    y = 2 - x * x  # a number on the left, and a Value used twice
    y.label = "y"
    caption = "\n".join(s.caption for s in viz.backprop_steps(y))
    assert "∂y/∂#1 = -1" in caption
    assert "x.grad += 3 × -1  →  -3" in caption and "x.grad += 3 × -1  →  -3 + -3 = -6" in caption


def test_the_steps_are_the_chain_rule_of_autograd_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd.viz import steps as steps_module

    calls: list[Value] = []

    def watched_chain_rule(root: Value, *args: object, **kwargs: object) -> object:
        calls.append(root)
        return chain_rule(root, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(steps_module, "chain_rule", watched_chain_rule)
    root, _ = reused_graph()
    steps = viz.backprop_steps(root)
    assert calls == [root]  # the one readable chain rule ran, once, and made every step
    assert steps[-1].grads == chain_rule(root)  # bit for bit


def test_edges_say_a_and_b_only_where_the_order_of_operands_matters() -> None:
    x, y = Value(1.5, label="x"), Value(-0.5, label="y")
    for expr, labelled in ((x - y, True), (x / y, True), (x**y, True), (x + y, False), (x * y, False)):
        src = viz.draw_dot(expr).source
        assert bool(re.search(r"v\d+ -> v\d+_op \[label=a\]", src)) is labelled, src


def test_a_fused_neuron_without_bias_is_drawn_without_b() -> None:
    w1, w2, x1, x2 = (Value(float(i), label=n) for i, n in enumerate(("w1", "w2", "x1", "x2"), 1))
    for node in (dot([w1, w2], [x1, x2]), dot([w1, w2], [2.0, 3.0])):  # a dot, and an affine node
        assert node.op in ("dot", "affine")
        src = viz.draw_dot(node).source
        assert '[label="w·x" ' in src and "w·x+b" not in src


# --- the captions read the op table --------------------------------------------------------------


def table_node(op: Op) -> tuple[Value, list[str]]:
    """A node of ``op`` on Values named p0, p1, ... at the first point of its table domain."""
    point = op.domain[0]
    names = [f"p{i}" for i in range(len(point))]
    out = apply(op, *(Value(x, label=name) for x, name in zip(point, names)))
    out.label = "out"
    return out, names


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
def test_each_op_is_captioned_with_its_table_texts(op: Op) -> None:
    out, names = table_node(op)
    assert op_of(out) is op
    lines = viz.backprop_steps(out)[1].caption.splitlines()
    assert lines[0].startswith(f"Step 1 of 1: out = {op.write(names, 'out')} sends its gradient")
    assert lines[0].endswith(f"(rule: {op.doc}).")
    texts = op.partial_texts(names, "out")
    assert texts is not None and len(texts) == len(names) == len(lines) - 1
    for name, text, line in zip(names, texts, lines[1:]):
        assert line.startswith(f"∂out/∂{name} = {text};") or line.startswith(f"∂out/∂{name} = {text} = ")
        assert "operand" not in line


@pytest.mark.parametrize("op", list(SWAPPED), ids=[op.name for op in SWAPPED])
def test_a_number_on_the_left_is_captioned_in_the_natural_order(op: Op) -> None:
    x = Value(1.5, label="x")
    out = apply(op, 2.0, x)  # recorded as `2 - x` is: x stored first, by the permuted op
    out.label = "out"
    assert op_of(out) is SWAPPED[op] and out.operands == (2.0, x)
    caption = viz.backprop_steps(out)[1].caption
    texts = op.partial_texts(["2", "x"], "out")
    assert texts is not None
    assert f"out = {op.write(['2', 'x'], 'out')} sends" in caption
    assert f"∂out/∂x = {texts[1]}" in caption and "operand" not in caption


def test_a_user_defined_op_is_captioned_with_what_it_gives() -> None:
    cube = Op("cube", "³", lambda M, a: (a * a * a, (3.0 * a * a,)), 1)
    x = Value(2.0, label="x")
    y = apply(cube, x)
    y.label = "y"
    caption = viz.backprop_steps(y)[1].caption
    assert "y = ³(x) sends" in caption and "(rule: the op 'cube')" in caption
    assert "∂y/∂x = ∂cube/∂(operand 1) = 12;  x.grad += 12 × 1  →  12" in caption  # its number only
    scale = Op("scale", "f", lambda M, a, b: (a * b, (b, a)), 2)
    z = apply(scale, 3.0, x)  # a constant first: stored permuted, captioned by natural position
    z.label = "z"
    assert "∂z/∂x = ∂scale/∂(operand 2) = 3;" in viz.backprop_steps(z)[1].caption
    cube.partials_text = ("3·{a}²",)  # what it tells, the caption says
    assert "∂y/∂x = 3·x² = 12;" in viz.backprop_steps(y)[1].caption


def test_viz_holds_no_per_op_knowledge() -> None:
    """No string in viz's code names an op or spells its symbol: those live in the op table.

    Looked for: every op's name, method and symbol, as a word (``"tanh"``, ``"σ"``,
    ``"w·x+b"``). Left out: docstrings, which teach with examples such as ``x.tanh()``; the
    one-character operators (``+ - * /``), which captions and HTML use for their own sake (a
    caption's ``+`` is the chain rule's sum); and two words that mean something else there,
    Graphviz's ``dot`` program and HTML's ``div``.
    """
    texts = {t for op in OPS.values() for t in (op.name, op.symbol, op.infix, op.method) if t}
    words = {t for t in texts if not (t.isascii() and not t.isalpha())} - {"dot", "div"}
    assert {"tanh", "σ", "w·x+b", "logsumexp", "affine", "sum"} <= words
    found = []
    for path in sorted(Path(viz.__file__).parent.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node) is not None
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in docstrings:
                continue
            for word in words:
                if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", node.value):
                    found.append(f"{path.name}:{node.lineno}: {word!r} in {node.value!r}")
    assert not found, "\n".join(found)


def test_a_leaf_root_has_only_the_seed_step() -> None:
    x = Value(2.0, label="x")
    steps = viz.backprop_steps(x)
    assert len(steps) == 1 and steps[0].grads == {x: 1.0}


# --- the demo's drawings (the HTML player has its own tests: test_viz_player.py) ----------------------


def test_demo_out_writes_the_drawings(tmp_path: os.PathLike[str]) -> None:
    require_program("dot")
    from autograd.__main__ import main

    out = os.path.join(tmp_path, "demo")
    assert main(["demo", "--out", out]) == 0
    assert sorted(os.listdir(out)) == ["backprop.html", "neuron.svg"]
    with open(os.path.join(out, "neuron.svg"), encoding="utf-8") as f:
        assert ">tanh<" in f.read()


def test_hand_derived_reference_is_right() -> None:
    # the premise of the expected strings above: o = tanh(n) = 1/√2 exactly enough to print 0.7071
    o, v = neuron()
    assert o.data == pytest.approx(1 / math.sqrt(2), rel=1e-12)


@pytest.mark.parametrize("what", ["graph", "player"])
def test_drawings_follow_the_umask_and_keep_an_existing_mode(tmp_path, what):
    require_program("dot")
    x = Value(2.0, label="x")
    y = (x * x).tanh()

    def write(path):
        if what == "graph":
            viz.save_graph(viz.draw_dot(y), path)
        else:
            viz.draw_backprop(y, path)

    suffix = ".svg" if what == "graph" else ".html"
    old = os.umask(0o077)
    try:
        write(tmp_path / f"new{suffix}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / f"new{suffix}").stat().st_mode) == 0o600  # not widened to 0644
    private = tmp_path / f"private{suffix}"
    private.write_text("old")
    private.chmod(0o600)
    write(private)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_text() != "old"


def test_labels_are_drawn_as_written_even_with_entities_and_control_characters():
    require_program("dot")
    import html

    x = Value(2.0, label="a&amp;b <i>")
    y = x * 3
    y.label = "nul\x00here"
    svg = viz.render_svg(viz.draw_dot(y))  # a NUL used to end dot's input: a syntax error
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert "a&amp;b <i>" in texts  # not 'a&b': the entity is text, not markup
    assert "nul␀here" in texts
