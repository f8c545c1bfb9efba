"""A safe little arithmetic language for ``python -m autograd draw``: parsed, checked, never eval'ed.

The text is parsed with :mod:`ast` and every node is checked against a whitelist before
anything is computed:

* numbers (``int`` or ``float``; no complex, no booleans, no strings),
* the names given with ``--at``,
* ``+ - * / **``, unary ``-`` and ``+``, parentheses,
* calls to the one-operand ops of the op table (:data:`FUNCTIONS`: ``exp``, ``log``, ``tanh``,
  ``relu``, ``abs``, ...) with exactly one positional argument.

Nothing else is accepted: no attributes, subscripts, other calls, keywords, comprehensions,
lambdas, comparisons. Limits keep any input cheap: at most :data:`MAX_LENGTH` characters and
:data:`MAX_NODES` syntax nodes, no constant exponent larger than :data:`MAX_EXPONENT` in size
and no power towers (``a ** b ** c``). The checked tree is then evaluated by walking it with
an explicit stack, on :class:`~autograd.Value` for the names and on floats (IEEE 754, as the
engine computes them) for constant parts.

>>> from autograd import Value
>>> x = Value(2.0, label="x")
>>> y = evaluate("tanh(x * 0.5) + x**2", {"x": x})
>>> round(y.data, 6)
4.761594
>>> evaluate("x.__class__", {"x": x})
Traceback (most recent call last):
    ...
autograd.expr.ExpressionError: column 1, at 'x.__class__': attribute access is not allowed
"""

from __future__ import annotations

import ast
import keyword
import unicodedata
import warnings
from collections.abc import Mapping
from typing import Union

from .engine import Value
from .nary import V
from .ops import OPS, F, Op

__all__ = ["ExpressionError", "parse_bindings", "check", "evaluate", "FUNCTIONS", "OPERATORS"]

#: The functions an expression may call, each with one argument: the one-operand ops of the table.
FUNCTIONS = tuple(op.method for op in OPS.values() if op.arity == 1 and op.method)
_BY_FUNCTION = {op.method: op for op in OPS.values() if op.arity == 1 and op.method}
#: Python's operators as they are written; the op table says which op each one records.
_TOKENS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.USub: "-"}
_BY_INFIX = {(op.arity, op.infix): op for op in OPS.values() if op.infix}
#: The operators an expression may use, as the table spells them: the binary ones, then ``unary -``.
OPERATORS = tuple(
    [op.infix for op in OPS.values() if op.arity == 2 and op.infix]
    + [f"unary {op.infix}" for op in OPS.values() if op.arity == 1 and op.infix]
)
MAX_LENGTH = 2000
MAX_NODES = 500
MAX_EXPONENT = 100.0

Result = Union[Value, float]

_OPERATOR_TEXT: dict[type, str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.Invert: "~", ast.Not: "not",
}
_WHAT: dict[type, str] = {
    ast.Attribute: "attribute access is",
    ast.Subscript: "subscripts are",
    ast.Lambda: "lambdas are",
    ast.ListComp: "comprehensions are",
    ast.SetComp: "comprehensions are",
    ast.DictComp: "comprehensions are",
    ast.GeneratorExp: "generator expressions are",
    ast.Compare: "comparisons are",
    ast.BoolOp: "'and' / 'or' are",
    ast.IfExp: "conditional expressions are",
    ast.Tuple: "tuples are",
    ast.List: "lists are",
    ast.Dict: "dicts are",
    ast.Set: "sets are",
    ast.JoinedStr: "f-strings are",
    ast.NamedExpr: "assignment expressions are",
    ast.Starred: "starred arguments are",
    ast.Await: "await is",
    ast.Yield: "yield is",
    ast.YieldFrom: "yield is",
    ast.Slice: "slices are",
}


class ExpressionError(ValueError):
    """An expression or a ``--at`` binding that is refused; the message points at the offending part."""


def _column(source: str, node: ast.AST) -> str:
    """'column C' (or 'line L, column C'), counted in characters from 1, as an editor shows it."""
    lineno = getattr(node, "lineno", 1)
    offset = getattr(node, "col_offset", 0)
    lines = source.splitlines() or [""]
    line = lines[min(lineno, len(lines)) - 1]
    col = len(line.encode("utf-8")[:offset].decode("utf-8", errors="replace")) + 1
    return f"column {col}" if len(lines) == 1 else f"line {lineno}, column {col}"


def _refuse(source: str, node: ast.AST, why: str) -> ExpressionError:
    text = ast.get_source_segment(source, node) or ""
    text = " ".join(text.split())
    if len(text) > 50:
        text = text[:49] + "…"
    return ExpressionError(f"{_column(source, node)}, at {text!r}: {why}")


def parse_bindings(text: str) -> dict[str, float]:
    """``"x1=2,w1=-3"`` as ``{"x1": 2.0, "w1": -3.0}``, or an ExpressionError naming the bad item.

    >>> parse_bindings("x=2, w=-3.5")
    {'x': 2.0, 'w': -3.5}
    """
    if not isinstance(text, str):
        raise TypeError(f"--at expects a str, got {type(text).__name__}")
    out: dict[str, float] = {}
    if not text.strip():
        return out
    for n, item in enumerate(text.split(","), start=1):
        name, sep, value = (s.strip() for s in item.partition("="))
        # Python reads identifiers in NFKC form (ｘ and 𝑥 are x), so the expression's names are too
        name = unicodedata.normalize("NFKC", name)
        where = f"--at item {n} {item.strip()!r}"
        if not sep:
            raise ExpressionError(f"{where}: expected name=value")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ExpressionError(f"{where}: {name!r} is not a valid name (letters, digits and _, not a keyword)")
        if name in FUNCTIONS:
            raise ExpressionError(f"{where}: {name!r} is a function name; choose another variable name")
        if name in out:
            raise ExpressionError(f"{where}: {name!r} is given twice")
        try:
            out[name] = float(value)
        except ValueError:
            raise ExpressionError(f"{where}: {value!r} is not a number") from None
    return out


def _constant_value(node: ast.expr) -> float | None:
    """The value of a constant, possibly signed (``-150``), or None if ``node`` is not one."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        if isinstance(node.op, ast.USub):
            sign = -sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        try:
            return sign * float(node.value)
        except OverflowError:
            return sign * float("inf")
    return None


def _infix_op(operator: ast.AST, arity: int) -> Op | None:
    """The table's op that a Python operator records, if the table has one."""
    return _BY_INFIX.get((arity, _TOKENS.get(type(operator), "")))


def _check_node(source: str, node: ast.expr, names: Mapping[str, object]) -> None:
    if isinstance(node, ast.Constant):
        value = node.value
        if type(value) not in (int, float):
            raise _refuse(source, node, f"only int and float numbers are allowed, not {type(value).__name__}")
        if type(value) is int:
            try:
                float(value)
            except OverflowError:
                raise _refuse(source, node, "this number is too large for a float") from None
    elif isinstance(node, ast.Name):
        if node.id not in names:
            if node.id in FUNCTIONS:
                raise _refuse(source, node, f"{node.id} is a function: call it as {node.id}(...)")
            given = ", ".join(names) or "none"
            raise _refuse(source, node, f"name {node.id!r} is not given in --at (given: {given})")
    elif isinstance(node, ast.BinOp):
        if _infix_op(node.op, 2) is None:
            op = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            allowed = " ".join(infix for arity, infix in _BY_INFIX if arity == 2)
            raise _refuse(source, node, f"operator {op} is not allowed (allowed: {allowed})")
        if isinstance(node.op, ast.Pow):
            if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node.right)):
                raise _refuse(source, node, "power towers (a ** b ** c) are not allowed")
            exponent = _constant_value(node.right)
            if exponent is not None and not abs(exponent) <= MAX_EXPONENT:
                raise _refuse(source, node.right, f"a constant exponent must be at most {MAX_EXPONENT:g} in size")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            op = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise _refuse(source, node, f"operator {op} is not allowed (allowed: unary - and +)")
    elif isinstance(node, ast.Call):
        allowed = ", ".join(FUNCTIONS)
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            raise _refuse(source, node, f"only calls to {allowed} are allowed")
        if node.keywords:
            raise _refuse(source, node, f"{node.func.id}() takes no keyword arguments")
        if len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise _refuse(source, node, f"{node.func.id}() takes exactly one positional argument")
    else:
        what = _WHAT.get(type(node), f"{type(node).__name__} expressions are")
        raise _refuse(source, node, f"{what} not allowed")


def check(source: str, names: Mapping[str, object]) -> ast.expr:
    """Parse ``source`` and check every node against the whitelist; return the checked tree.

    Raises ExpressionError, whose message gives the column and the text of the first
    refused part. Nothing is evaluated here.
    """
    if not isinstance(source, str):
        raise TypeError(f"the expression must be a str, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(source)} characters long; the limit is {MAX_LENGTH}")
    if "\x00" in source:
        raise ExpressionError(f"column {source.index(chr(0)) + 1}: the expression contains a NUL character")
    if not source.strip():
        raise ExpressionError("the expression is empty")
    source = source.strip()
    try:
        with warnings.catch_warnings():  # e.g. "'str' object is not callable": refused below anyway
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as err:
        # offset 0 means "at the end" (an operand is missing)
        col = min(err.offset or len(source) + 1, len(source) + 1)
        near = source[col - 1 : col + 19]
        where = f"near {near!r}" if near else "at the end"
        raise ExpressionError(f"column {col}, {where}: syntax error: {err.msg}") from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression is too deeply nested to parse") from None
    # ast.walk is breadth first, so the outermost refused part is reported
    nodes = [n for n in ast.walk(tree.body) if isinstance(n, ast.expr)]
    call_names = {id(n.func) for n in nodes if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    if len(nodes) > MAX_NODES:
        raise ExpressionError(f"the expression has {len(nodes)} syntax nodes; the limit is {MAX_NODES}")
    for node in nodes:
        if id(node) in call_names:
            continue  # the function name of a call: checked with its Call
        _check_node(source, node, names)
    return tree.body


def _children(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return [node.args[0]]
    return []


def _op_on(op: Op, args: list[Result]) -> Result:
    """``op`` on ``args``: recorded if any is a Value (the table's Value namespace), else a float."""
    if any(isinstance(a, Value) for a in args):
        return getattr(V, op.name)(*args)
    return float(getattr(F, op.name)(*args))


def _apply(node: ast.expr, args: list[Result], variables: Mapping[str, Value]) -> Result:
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type]
    if isinstance(node, ast.Name):
        return variables[node.id]
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        if isinstance(node.op, ast.UAdd):
            return args[0]
        op = _infix_op(node.op, len(args))
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        op = _BY_FUNCTION.get(node.func.id)
    else:
        op = None
    if op is None:  # unreachable after check()
        raise ExpressionError(f"cannot evaluate {type(node).__name__}")
    return _op_on(op, args)


def evaluate(source: str, variables: Mapping[str, Value]) -> Result:
    """Check ``source`` (see :func:`check`), then compute it on ``variables``.

    Names become the given Values, so the result is a Value whose graph can be
    backpropagated and drawn; constant parts stay plain floats, so ``2*3`` is one number.
    """
    tree = check(source, variables)
    done: dict[int, Result] = {}
    stack: list[tuple[ast.expr, bool]] = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if ready:
            done[id(node)] = _apply(node, [done[id(c)] for c in children], variables)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(children))
    return done[id(tree)]
