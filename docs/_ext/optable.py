"""The ``op-table`` directive: a table of every primitive op, read from ``autograd.ops.OPS``.

The op table is the one place where an op is defined, so the site reads it instead of listing
the ops by hand: an op added to the table appears here at the next build.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

HEADER = ("op", "drawn as", "recorded by", "operands", "value; local partials")
WIDTHS = (12, 10, 16, 10, 52)


def recorded_by(op: Any) -> str:
    """How Python code records the op: its operator or its Value method; '' for a fused op."""
    if op.infix is not None:
        return f"{op.infix}a" if op.arity == 1 else f"a {op.infix} b"
    if op.method == "abs":  # a Value method that Python calls through the builtin
        return "abs(a)"
    if op.method is not None:
        return f"a.{op.method}()"
    return ""


def _cell(text: str, literal: bool = False) -> nodes.entry:
    inner: nodes.Node = nodes.literal(text, text) if literal and text else nodes.Text(text)
    return nodes.entry("", nodes.paragraph("", "", inner))


def _row(cells: list[nodes.entry]) -> nodes.row:
    row = nodes.row()
    row.extend(cells)
    return row


class OpTable(SphinxDirective):
    """``.. op-table::``: one row per entry of ``autograd.ops.OPS``, in the table's order."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        from autograd.ops import OPS

        group = nodes.tgroup(cols=len(HEADER))
        group.extend(nodes.colspec(colwidth=width) for width in WIDTHS)
        group += nodes.thead("", _row([_cell(title) for title in HEADER]))
        body = nodes.tbody()
        for op in OPS.values():
            operands = "n" if op.arity is None else str(op.arity)
            body += _row(
                [
                    _cell(op.name, literal=True),
                    _cell(op.symbol, literal=True),
                    _cell(recorded_by(op) or "a fused function", literal=bool(recorded_by(op))),
                    _cell(operands),
                    _cell(op.doc),
                ]
            )
        group += body
        table = nodes.table("", group, classes=["op-table"])
        return [table]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("op-table", OpTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
