"""The op table's words are tested like its numbers.

The backprop player's captions and its quiz teach each op's ``partials_text`` and ``expression``,
and every docstring of an op method shows its ``doc``. A wrong word there passes every numeric
test of the formula, so here the words are read as math: the domain points are put into each
text, and the result must be the formula's own value and partials.
"""

from __future__ import annotations

import math
import re

import pytest

from autograd import ieee
from autograd.ops import OPS, F

#: What the texts may call, on floats. Every function a caption writes must be here.
FUNCTIONS = {
    "exp": ieee.exp,
    "log": ieee.log,
    "log1p": ieee.log1p,
    "tanh": math.tanh,
    "sigmoid": ieee.sigmoid,
    "sin": math.sin,
    "cos": math.cos,
    "abs": abs,
    "max": max,
    "sign": lambda x: (x > 0) - (x < 0),
    "sq_tanh": lambda x: math.tanh(x) ** 2,
    "sq_sin": lambda x: math.sin(x) ** 2,
    "sq_cos": lambda x: math.cos(x) ** 2,
    "relu": ieee.relu,
    "softplus": lambda x: F.softplus(x),
    "logsumexp": lambda *xs: F.logsumexp(*xs),
    "e": math.e,
}
#: Caption and doc texts compute in another order than the formulas: agreement within this.
RTOL, ATOL = 1e-12, 1e-14


def as_python(text: str) -> str:
    """A caption's math as a Python expression: ``1 − tanh²(a)`` -> ``1 - sq_tanh(a)``."""
    text = text.replace("−", "-").replace("·", "*").replace("σ", "sigmoid").replace("^", "**")
    text = re.sub(r"\b(tanh|sin|cos)²", r"sq_\1", text)
    text = text.replace("²", "**2")
    text = re.sub(r"\|([^|]+)\|", r"abs(\1)", text)
    text = re.sub(r"\bln\b", "log", text)
    # a function applied to one name without parentheses: ``ln a``, ``tanh² a``, ``cos a``
    text = re.sub(r"\b(log|tanh|sin|cos|sq_tanh|sq_sin|sq_cos) ([a-z]\w*)", r"\1(\2)", text)
    return re.sub(r"\)\s*\(", ")*(", text)  # σ(a)(1 − σ(a)): a product


def evaluate(text: str, names: dict[str, float]) -> float:
    """The value of a caption's math at the named numbers."""
    return float(eval(as_python(text), {"__builtins__": {}}, {**FUNCTIONS, **names}))  # noqa: S307 (our own table's text)


def agree(got: float, want: float) -> bool:
    return got == want or abs(got - want) <= ATOL + RTOL * abs(want)


def operand_names(op, point) -> list[str]:
    return ["a", "b"] if op.arity == 2 else ["a"] if op.arity == 1 else [f"x{i}" for i in range(len(point))]


CASES = [(name, point) for name, op in OPS.items() for point in op.domain]


@pytest.mark.parametrize("name,point", CASES)
def test_each_caption_of_a_partial_is_the_partial(name, point):
    """``partials_text`` (the player's ``∂out/∂a = …`` captions and the quiz's answers) gives the
    formula's partials at every domain point."""
    op = OPS[name]
    names = operand_names(op, point)
    out, partials = op.fn(F, *point)
    texts = op.partial_texts(names, "out")
    assert texts is not None and len(texts) == len(point)
    env = dict(zip(names, point), out=out)
    for i, (text, want) in enumerate(zip(texts, partials)):
        got = evaluate(text, env)
        assert agree(got, want), f"{name}: the caption ∂out/∂{names[i]} = {text} gives {got} at {point}, the formula {want}"


@pytest.mark.parametrize("name,point", CASES)
def test_the_caption_of_the_op_is_its_value(name, point):
    """``op.write`` (how a caption writes the node, ``tanh(n)``) computes the op's value."""
    op = OPS[name]
    names = operand_names(op, point)
    out, _ = op.fn(F, *point)
    got = evaluate(op.write(names, "out"), dict(zip(names, point)))
    assert agree(got, out), f"{name}: {op.write(names, 'out')} gives {got} at {point}, the formula {out}"


def doc_parts(doc: str) -> tuple[str, dict[str, str]]:
    """``"tanh a; ∂/∂a = 1 - tanh² a; a note"`` -> ``("tanh a", {"a": "1 - tanh² a"})``."""
    value, partials, *_notes = doc.split("; ")
    texts = {}
    for part in partials.split(", ∂/∂"):
        operand, text = part.removeprefix("∂/∂").split(" = ", 1)
        texts[operand] = text
    return value, texts


@pytest.mark.parametrize("name,point", [(n, p) for n, p in CASES if OPS[n].arity is not None])
def test_the_math_of_each_doc_is_the_formula(name, point):
    """An op's ``doc`` (every Value method's docstring starts with it) is ``value; ∂/∂a = …,
    ∂/∂b = …`` and optional notes after another ``;``: its value (each side of an ``=``) and its
    partials give the formula's numbers. The n-ary ops write theirs over subscripts (Σ wᵢxᵢ);
    their captions are checked above."""
    op = OPS[name]
    names = operand_names(op, point)
    out, partials = op.fn(F, *point)
    env = dict(zip(names, point))
    value, texts = doc_parts(op.doc)
    for side in value.split(" = "):
        assert agree(evaluate(side, env), out), f"{name}: the doc's value {side!r} is not the op's value at {point}"
    assert sorted(texts) == sorted(names), f"{name}: the doc gives partials for {sorted(texts)}, the op has {names}"
    for operand, want in zip(names, partials):
        got = evaluate(texts[operand], env)
        assert agree(got, want), f"{name}: the doc's ∂/∂{operand} = {texts[operand]} gives {got} at {point}, not {want}"


def test_a_wrong_caption_or_doc_is_caught():
    """The checks can fail: a caption with a slipped sign, and a doc with a wrong partial."""
    tanh = OPS["tanh"]
    assert not agree(evaluate("1 + tanh²(a)", {"a": 0.6}), tanh.fn(F, 0.6)[1][0])
    _, texts = doc_parts("a^b; ∂/∂a = b·a^b, ∂/∂b = a^b · ln a")
    assert not agree(evaluate(texts["a"], {"a": 2.5, "b": -0.4}), OPS["pow"].fn(F, 2.5, -0.4)[1][0])
    assert evaluate("σ(a)(1 − σ(a))", {"a": 0.0}) == 0.25
    assert evaluate("1 − tanh² a", {"a": 0.0}) == 1.0
