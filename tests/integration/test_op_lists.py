"""Every list of ops that a reader sees is the op table's list.

A list written by hand goes stale the day an op is added (``log1p``, ``sin`` and ``cos`` were
missing from three of them). The lists that code can make are made from the table
(Value's docstring, ``python -m autograd draw --help``); the README's are checked here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import Value
from autograd.expr import FUNCTIONS, OPERATORS
from autograd.ops import OPS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")

SPELLED = [op for op in OPS.values() if op.infix or op.method]


def readme_row(first_cell: str) -> str:
    for line in README.splitlines():
        if line.startswith(f"| {first_cell} |"):
            return line
    raise AssertionError(f"the README's API table has no row {first_cell!r}")


@pytest.mark.parametrize("op", SPELLED, ids=lambda op: op.name)
def test_the_readme_api_row_spells_every_op(op):
    row = readme_row("ops")
    if op.arity == 2:
        assert re.search(rf"`[^`]*(?<![*]){re.escape(op.infix)}(?![*])[^`]*`", row), f"{op.infix} is not in {row}"
    elif op.infix:
        assert f"unary `{op.infix}`" in row
    elif hasattr(Value, op.method):
        assert f"`.{op.method}()`" in row, f".{op.method}() is missing from the README's ops row"
    else:
        assert f"`{op.method}()`" in row, f"{op.method}() is missing from the README's ops row"


def test_the_readme_names_every_function_of_the_draw_language():
    listed = re.search(r"the one-operand ops of the table: `([^`]*)`", README)
    assert listed, "the README's draw section no longer lists the functions"
    assert listed.group(1).split() == list(FUNCTIONS)


@pytest.mark.parametrize("op", SPELLED, ids=lambda op: op.name)
def test_values_docstring_spells_every_op(op):
    doc = " ".join((Value.__doc__ or "").split())
    if op.method and hasattr(Value, op.method):
        assert f":meth:`{op.method}`" in doc
    elif op.method:
        assert f"``{op.method}()``" in doc
    elif op.arity == 1:
        assert f"unary ``{op.infix}``" in doc
    else:
        assert any(op.infix in group.split() for group in re.findall(r"``([^`]*)``", doc)), f"{op.infix} is missing"


def test_draw_help_names_every_function_and_operator():
    out = subprocess.run(
        [sys.executable, "-m", "autograd", "draw", "--help"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    words = " ".join(out.split())
    for name in FUNCTIONS:
        assert re.search(rf"\b{name}\b", words), f"draw --help does not name {name}"
    for operator in OPERATORS:
        assert operator in words
    listed = re.search(r"the functions (.*?) on the Values", words)
    assert listed is not None, words
    assert set(listed.group(1).split()) == {op.method for op in OPS.values() if op.arity == 1 and op.method}
