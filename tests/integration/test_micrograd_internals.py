"""Code written for micrograd reads valuegrad's graph: ``_prev``, ``_op``, ``Neuron(nonlin=...)``.

Every tutorial copies micrograd's ``draw_dot`` helper, which walks ``v._prev`` and labels each
node with ``v._op``. The walker below is written here, from that description (it uses no other
attribute of a node), and runs unchanged on micrograd's own Values and on valuegrad's, imported
through a ``micrograd`` shim, as such code would import it. Both must draw the same graph.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import require, require_program

from autograd import Value, apply
from autograd.ops import OPS
from nn import Layer, Neuron

ROOT = Path(__file__).resolve().parents[2]

#: A program written for micrograd: an expression of Values, and a walker that uses only ``_prev``
#: and ``_op``, as micrograd's draw_dot does; it prints the graph's shape as JSON.
PROGRAM = textwrap.dedent(
    """
    import json
    from micrograd.engine import Value
    from micrograd.nn import Neuron

    def trace(root):
        nodes, edges, stack = [], [], [root]
        seen = {id(root)}
        while stack:
            v = stack.pop()
            nodes.append(v)
            for child in v._prev:
                edges.append((child, v))
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append(child)
        return nodes, edges

    def shape(root):
        nodes, edges = trace(root)
        ops = sorted(v._op for v in nodes)
        # each edge as (child's op, parent's op): what a drawing's arrows join
        arrows = sorted(f"{c._op or 'leaf'}->{p._op}" for c, p in edges)
        return {"nodes": len(nodes), "edges": len(edges), "ops": ops, "arrows": arrows}

    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    L = (d * f + a ** 2).relu() * d
    n = Neuron(2, nonlin=False)
    out = n([Value(1.0), Value(-2.0)])
    from graphviz import Digraph
    dot = Digraph(format="svg", graph_attr={"rankdir": "LR"})
    nodes, edges = trace(L)
    for v in nodes:
        dot.node(str(id(v)), "{ data %.4f | grad %.4f }" % (v.data, v.grad), shape="record")
        if v._op:
            dot.node(str(id(v)) + v._op, label=v._op)
            dot.edge(str(id(v)) + v._op, str(id(v)))
    for child, parent in edges:
        dot.edge(str(id(child)), str(id(parent)) + parent._op)
    svg = dot.pipe().decode()
    print(json.dumps({"expr": shape(L), "neuron_nonlin": n.nonlin, "neuron_ops": shape(out)["ops"], "svg": "<svg" in svg}))
    """
)

SHIM = {
    "micrograd/__init__.py": "",
    "micrograd/engine.py": "from autograd import Value\n",
    "micrograd/nn.py": "from nn import MLP, Layer, Module, Neuron\n",
}


def _run(program: str, path: list[str]) -> dict:
    import json

    env = {"PYTHONPATH": ":".join(path), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_micrograds_draw_dot_walk_runs_unchanged_and_draws_the_same_graph(tmp_path):
    require("micrograd.engine")
    require("graphviz")
    require_program("dot")
    for name, text in SHIM.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    ours = _run(PROGRAM, [str(tmp_path), str(ROOT)])
    theirs = _run(PROGRAM, [str(ROOT)])  # the real micrograd, installed with the bench extra
    assert ours["expr"] == theirs["expr"]
    assert ours["expr"]["ops"].count("") == 4 and "ReLU" in ours["expr"]["ops"] and "**2" in ours["expr"]["ops"]
    assert ours["svg"] and theirs["svg"]
    assert ours["neuron_nonlin"] is theirs["neuron_nonlin"] is False
    # valuegrad's neuron is one fused node (w·x + b), micrograd's a chain of + and *
    assert ours["neuron_ops"].count("dot") == 1


@pytest.mark.parametrize("name", sorted(n for n, op in OPS.items() if op.arity in (1, 2)))
def test_every_op_has_a_micrograd_op_string(name):
    op = OPS[name]
    xs = [Value(x) for x in op.domain[0]]
    out = apply(op, *xs)
    assert out._op == op.micrograd_op(xs) != ""
    assert out._prev == set(xs)
    assert Value(1.0)._op == "" and Value(1.0)._prev == set()


def test_micrograd_op_strings_are_micrograds():
    x = Value(3.0)
    assert (x + x)._op == "+" and (x * 2)._op == "*" and (x**2)._op == "**2" and (x**0.5)._op == "**0.5"
    assert x.relu()._op == "ReLU" and x.tanh()._op == "tanh" and x.exp()._op == "exp"
    assert (x * 2)._prev == {x}  # numbers are not Values here, so not in _prev


def test_prev_and_op_are_read_only():
    x = Value(1.0)
    y = x * 2
    with pytest.raises(AttributeError):
        y._op = "+"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        y._prev = set()  # type: ignore[misc]


def test_micrograds_custom_op_constructor_points_to_apply():
    a, b = Value(1.0), Value(2.0)
    with pytest.raises(TypeError, match=r"autograd\.apply"):
        Value(3.0, (a, b), "+")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"label expects a str"):
        Value(3.0, 5)  # type: ignore[arg-type]


def test_neuron_and_layer_take_micrograds_nonlin():
    assert Neuron(3, nonlin=False).activation == "linear" and not Neuron(3, nonlin=False).nonlin
    assert Neuron(3, nonlin=True).activation == "relu" and Neuron(3).nonlin
    assert all(n.activation == "linear" for n in Layer(2, 3, nonlin=False).neurons)
    with pytest.raises(ValueError, match="nonlin=False asks for 'linear'"):
        Neuron(2, activation="tanh", nonlin=False)
    with pytest.raises(TypeError, match="nonlin expects a bool"):
        Neuron(2, nonlin="yes")  # type: ignore[arg-type]
