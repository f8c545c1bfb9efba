"""What an entry of the op table is: the :class:`Op` class, and the sums the fused ops add with.

The table itself, one entry per op, is :mod:`autograd.ops`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import mul
from typing import Any, Union

Formula = Callable[..., tuple[Any, tuple[Any, ...]]]
#: A text of the op over its operands' names: a template with ``{a}``, ``{b}`` and ``{out}``,
#: or, for n-ary ops, a function of the list of names and the result's name.
Text = Union[str, Callable[[Sequence[str], str], str]]
#: How a fused linear op reads its operands: (weights or None, inputs, bias or None, partials),
#: out = bias + Σ weightᵢ·inputᵢ (or + Σ inputᵢ when there are no weights).
Linear = tuple[Union[Sequence[Any], None], Sequence[Any], Any, tuple[Any, ...]]


class Op:
    """One primitive op: its formula and everything else the project knows about it.

    ``Op(name, symbol, fn, arity, *, ...)``: the four facts every op has come first; every other
    field is given by keyword. The table writes them one per line, in four groups: the math
    (``domain``, ``value``, ``linear``, ``selects``), the spelling (``infix``, ``method``,
    ``unbiased_symbol``, ``micrograd``), the words (``doc``, ``expression``, ``partials_text``)
    and the back ends (``torch``, ``c``).

    * ``name``: its name (``"tanh"``); also its function's name in the math namespaces.
    * ``fn(M, *operands) -> (out, partials)``: the formula.
    * ``arity``: the number of operands, or ``None`` for n-ary ops.
    * ``symbol``: how a drawing labels its node (``"+"``, ``"tanh"``, ``"σ"``).
    * ``infix``: the Python operator that records it (``"+"``; ``"-"`` for negation), or None.
    * ``method``: the name a learner calls it by, as a function in ``python -m autograd
      draw`` and as a Value method (``"tanh"`` for ``x.tanh()``; ``"abs"`` for ``abs(x)``).
    * ``value``: the float function behind ``F.<name>``, for ops whose formula computes their
      value as ``M.<name>(...)`` (``exp``); others get ``F.<name>`` from their formula.
    * ``doc``: the math, in one line (``"tanh a; ∂/∂a = 1 − tanh² a"``).
    * ``expression`` and ``partials_text``: how a caption writes the node (``"tanh({a})"``)
      and each of its partials (``"1 − tanh²({a})"``) over its operands' names.
    * ``micrograd``: micrograd's ``_op`` string for it (``"ReLU"``, ``"**{b}"``).
    * ``torch(torch, *tensors)``: the PyTorch function the tests compare it with.
    * ``domain``: operand tuples where it is smooth, for the finite-difference tests.
    * ``linear``: for the fused linear ops (``sum``, ``dot``, ``affine``), how they read their
      operands (see :data:`Linear`); a tape writes them as sums over index lists.
    * ``c``: the formula in C, for a tape compiled to C (``record(..., backend="c")``): statements
      that set ``OUT`` (the value) and ``D(i)``, the partial for the i-th operand in natural order,
      from the operands ``A`` and ``B`` (``X(i)`` for i < ``N`` in an n-ary op), with ``<math.h>``.
      It must give the very numbers ``fn`` gives on floats, special values included. A sum that
      ``fn`` makes with Python's ``sum()`` is written ``SUM_START(s, x)``, ``SUM_ADD(s, x)``,
      ``SUM_RESULT(s)`` over a ``vg_sum s``, which add as ``sum()`` does. The fused linear ops
      need none: the C back end writes them as loops from their ``linear`` layout.
    * ``selects``: its zero partials *select* rather than multiply (``relu``, as PyTorch's masks):
      the formula gives :data:`autograd.ieee.SELECT_ZERO`, and the C back end pushes 0 for them
      whatever the incoming gradient, even inf or nan.
    * ``lookup``: a lookup by an integer (``take``): its stored operands are ``(chosen, index,
      *candidates)``, its value the candidate at the index and its one parent the chosen one. A
      tape reads the index on every replay and chooses again (the value, and where the gradient
      goes), so one tape serves every index.

    The engine keeps the operands that need a gradient first in a node, constants after.
    When an op's operands come in another order (``2 - x``), it records a *permuted* variant
    of the op: ``order[i]`` is the natural position of the i-th stored operand.

    A user-defined op is an ``Op`` too, recorded with :func:`autograd.apply`; only ``name``,
    ``symbol``, ``fn`` and ``arity`` are needed.
    """

    __slots__ = (
        # what it is
        "name",
        "symbol",
        "fn",
        "arity",
        # the math
        "domain",
        "value",
        "linear",
        "selects",
        "lookup",
        "order",
        # the spelling
        "infix",
        "method",
        "unbiased_symbol",
        "micrograd",
        # the words
        "doc",
        "expression",
        "partials_text",
        # the back ends
        "torch",
        "c",
        # its permuted variants, made on demand
        "_variants",
        "_natural",
    )

    def __init__(
        self,
        name: str,
        symbol: str,
        fn: Formula,
        arity: int | None,
        *,
        # the math
        domain: tuple[tuple[float, ...], ...] = (),
        value: Callable[..., float] | None = None,
        linear: Callable[[Sequence[Any]], Linear] | None = None,
        selects: bool = False,
        lookup: bool = False,
        order: tuple[int, ...] | None = None,
        # the spelling
        infix: str | None = None,
        method: str | None = None,
        unbiased_symbol: str | None = None,
        micrograd: str | None = None,
        # the words
        doc: str = "",
        expression: Text | None = None,
        partials_text: Sequence[str] | Callable[[Sequence[str], str], list[str]] | None = None,
        # the back ends
        torch: Callable[..., Any] | None = None,
        c: str | None = None,
    ) -> None:
        self.name = name
        self.symbol = symbol
        self.fn = fn
        self.arity = arity
        self.domain = domain
        self.value = value
        self.linear = linear
        self.selects = selects
        self.lookup = lookup
        self.order = order
        self.infix = infix
        self.method = method
        self.unbiased_symbol = unbiased_symbol
        self.micrograd = micrograd
        self.doc = doc
        self.expression = expression
        self.partials_text = partials_text
        self.torch = torch
        self.c = c
        self._variants: dict[tuple[int, ...], Op] = {}
        self._natural: Op | None = None

    def __copy__(self) -> Op:
        return self  # an op is a definition, never changed once made: copies share it

    def __deepcopy__(self, memo: dict[int, Any]) -> Op:
        return self

    def __repr__(self) -> str:
        return f"<op {self.name}{' permuted ' + str(self.order) if self.order else ''}>"

    def node_symbol(self, operands: Sequence[Any]) -> str:
        """The label a drawing gives a node of this op, with these (natural-order) operands: its
        ``symbol``, or for a fused linear node without a bias its ``unbiased_symbol``."""
        if self.unbiased_symbol is not None and self.linear is not None and self.linear(operands)[2] is None:
            return self.unbiased_symbol
        return self.symbol or self.name

    def write(self, names: Sequence[str], out: str = "out") -> str:
        """How the op was applied, over its operands' names (natural order): ``'tanh(n)'``."""
        text = self.expression
        if text is None:
            if self.linear is not None:
                ws, xs, bias, _ = self.linear(names)
                terms = list(xs) if ws is None else [f"{w}·{x}" for w, x in zip(ws, xs)]
                return " + ".join(terms + ([] if bias is None else [bias]))
            return f"{self.symbol}({', '.join(names)})"
        return text(names, out) if callable(text) else text.format(**_letters(names), out=out)

    def partial_texts(self, names: Sequence[str], out: str = "out") -> list[str] | None:
        """Each ∂out/∂operandⱼ as a formula over the operands' names, or None if unknown."""
        texts = self.partials_text
        if texts is None:
            if self.linear is None:
                return None
            return [_number(d) for d in self.linear(names)[3]]
        if callable(texts):
            return texts(names, out)
        letters = _letters(names)
        return [t.format(**letters, out=out) for t in texts]

    def micrograd_op(self, operands: Sequence[Any]) -> str:
        """micrograd's ``_op`` string for a node of this op (``'**2'`` for ``x**2``)."""
        text = self.micrograd if self.micrograd is not None else self.symbol
        return text.format(**_letters([_micrograd_number(x) for x in operands]))

    def permuted(self, order: tuple[int, ...]) -> Op:
        """This op with its operands stored in another order (cached per order).

        ``order[i]`` is the natural position of stored operand i; the variant's formula
        puts the operands back in place, calls this op's, and reorders the partials.
        """
        variant = self._variants.get(order)
        if variant is None:
            base = self.fn

            def fn(M: Any, *stored: Any) -> tuple[Any, tuple[Any, ...]]:
                natural = [0.0] * len(stored)
                for i, position in enumerate(order):
                    natural[position] = stored[i]
                out, partials = base(M, *natural)
                return out, tuple(partials[position] for position in order)

            variant = self._variants[order] = Op(self.name, self.symbol, fn, self.arity, doc=self.doc, order=order)
            for field in ("infix", "method", "expression", "partials_text", "micrograd", "torch", "selects"):
                setattr(variant, field, getattr(self, field))
            variant._natural = self
        return variant

    @property
    def natural(self) -> Op:
        """The op itself, for a permuted variant the op it was made from."""
        return self._natural if self._natural is not None else self


def _letters(names: Sequence[Any]) -> dict[str, Any]:
    return dict(zip("ab", names))


def _number(x: Any) -> str:
    return format(x, "g") if isinstance(x, float) else str(x)


def _micrograd_number(x: Any) -> str:
    if isinstance(x, float):
        return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)
    return ""  # a Value operand: micrograd writes only numbers into _op


# --- the values of the fused ops, defined once ----------------------------------------------
# The engine's fast paths, the formulas below and the tape all add in this way, so that
# a fused node's value is the same number however it was computed (down to the sign of zero).


def total(terms: Sequence[Any], start: Any = 0.0) -> Any:
    """start + t₁ + t₂ + …, left to right as Python's ``sum`` adds."""
    return sum(terms, start)


def weighted_total(weights: Sequence[Any], inputs: Sequence[Any], start: Any = 0.0) -> Any:
    """start + w₁·x₁ + w₂·x₂ + …: the value of a ``dot`` or ``affine`` node."""
    return sum(map(mul, weights, inputs), start)


_ONES: dict[int, tuple[float, ...]] = {}


def ones(n: int) -> tuple[float, ...]:
    """A shared tuple of n ones: the partials of a sum, allocated once per length."""
    t = _ONES.get(n)
    if t is None:
        t = _ONES[n] = (1.0,) * n
    return t
