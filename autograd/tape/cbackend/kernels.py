"""The C loops of the op table's formulas: for each op of a tape, one loop that computes a group
of its nodes, ``for each node: OUT, D(j) = formula(A, B)`` (the lane versions, a block of samples
at once, are in :mod:`.lanes`).

An op's C formula (``Op(..., c=...)``) is code its author writes, and is compiled as such. Its name
and doc are user text: they reach the C source only as comments, through a whitelist
(:func:`comment_text`), and its name only as ASCII letters and digits in identifiers
(:func:`c_name`).
"""

from __future__ import annotations

import unicodedata

from ...ops import Op


class MissingFormula(TypeError):
    """An op of the tape has no C formula (``Op.c``)."""


def formula(op: Op) -> str:
    """The op's C formula (statements setting ``OUT`` and ``D(i)`` from ``A``, ``B`` or ``X(i)``),
    or MissingFormula."""
    natural = op.natural
    if natural.c is None:
        raise MissingFormula(
            f"record(backend='c'): op {op.name!r} has no C formula (Op(..., c=...): statements setting OUT and D(i) "
            "from A, B or X(i)), so its tape cannot be compiled to C; give it one, or record with backend='python'"
        )
    return natural.c.strip()


#: The ASCII characters user text (an op's name, its doc) may bring into a C comment as they are.
#: Left out: ``*`` (``*/`` ends the comment), ``\\`` (backslash-newline splices lines), ``?``
#: (the trigraph ``??/`` is a backslash in C99), control characters (a newline) and ``"#$%&@`{|}~!^``.
COMMENT_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.,:;()[]=+-<>'/")


def c_name(name: str) -> str:
    """``name`` as part of a C identifier: ASCII letters and digits, anything else an underscore."""
    return "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in name)[:24] or "op"


def comment_text(text: str) -> str:
    """``text`` made safe inside a C comment: a whitelist, not a blacklist. ASCII characters
    outside :data:`COMMENT_SAFE` are written as ``<U+XXXX>``, and so is every non-ASCII character
    that is not a printable letter, digit, symbol or punctuation (no line or paragraph
    separators, no invisible formatting such as the bidirectional overrides that can make code
    read otherwise than it compiles). Math stays readable: ``1 − tanh² x`` is kept as it is.

    >>> comment_text("ends */ here ??/ 1 − tanh² x")
    'ends <U+002A>/ here <U+003F><U+003F>/ 1 − tanh² x'
    """
    return "".join(
        ch if ch in COMMENT_SAFE or (ord(ch) > 127 and unicodedata.category(ch)[0] in "LNSP") else f"<U+{ord(ch):04X}>"
        for ch in text
    )


def comment(op: Op) -> str:
    """What the comment above an op's loop says: its name, its doc, how its operands are stored."""
    text = f"{op.name}: {op.doc}" if op.doc else op.name
    if op.order is not None:
        text += f" (operands stored in the order {op.order})"
    return comment_text(text)


def indent(text: str, spaces: int) -> str:
    """The non-blank lines of ``text``, stripped and indented by ``spaces``."""
    return "\n".join(" " * spaces + line.strip() for line in text.splitlines() if line.strip())


def stored_at(op: Op) -> list[int] | None:
    """For an op whose operands are stored in another order (``op.order``), where natural operand
    j is stored; None when they are stored in their natural order."""
    if op.order is None:
        return None
    inverse = [0] * len(op.order)
    for stored, natural in enumerate(op.order):
        inverse[natural] = stored
    return inverse


def op_kernel(name: str, op: Op, r: int, k: int) -> str:
    """The loop ``name`` over ``m`` nodes of an ``r``-operand op with ``k`` partials: node i reads
    its operands at the positions ``ia[i*r ...]``, writes its value at ``v[o + i]`` and its
    partials at ``d[dd + i*k ...]``."""
    order = op.order or tuple(range(r))
    loads = " ".join(f"X_[{order[j]}] = v[at[{j}]];" for j in range(r))
    stores = " ".join(f"d[dd + (int64_t)i * {k} + {j}] = D_[{order[j]}];" for j in range(k))
    letters = "#define A X_[0]\n" + ("#define B X_[1]\n" if r > 1 else "")
    return (
        f"/* {comment(op)} */\n"
        f"VG_LOOP void {name}(double *restrict v, double *restrict d, const int32_t *restrict ia, int32_t m, "
        "int32_t o, int32_t dd) {\n"
        "    for (int32_t i = 0; i < m; i++) {\n"
        f"        const int32_t *at = ia + (int64_t)i * {r};\n"
        f"        double X_[{r}], D_[{r}] = {{0}}, OUT = 0.0;\n"
        f"        {loads}\n"
        f"#define N {r}\n#define X(j) X_[j]\n#define D(j) D_[j]\n{letters}"
        f"        {{\n{indent(formula(op), 12)}\n        }}\n"
        "#undef N\n#undef X\n#undef D\n#undef A\n#undef B\n"
        "        v[o + i] = OUT;\n"
        f"        {stores}\n"
        "    }\n}\n"
    )


def nary_kernel(name: str, op: Op) -> str:
    """The loop ``name`` over ``m`` nodes of an n-ary op (logsumexp, say): node i is described by
    ``desc[4*i ...]`` (its operand count, its partial count, its position, where its partials
    start) and reads its operands at the positions listed in ``ia``, one node after the other."""
    inverse = stored_at(op)
    if inverse is not None:
        table = f"static const int32_t {name}_at[] = {{{', '.join(map(str, inverse))}}};\n"
        x, dj = f"v[xi[{name}_at[j]]]", f"dp[{name}_at[j]]"
    else:
        table, x, dj = "", "v[xi[j]]", "dp[j]"
    return (
        f"/* {comment(op)} */\n{table}"
        f"VG_LOOP void {name}(double *restrict v, double *restrict d, const int32_t *restrict desc, "
        "const int32_t *restrict ia, int32_t m) {\n"
        "    int64_t at = 0;\n"
        "    for (int32_t i = 0; i < m; i++) {\n"
        "        const int32_t n = desc[4 * i];\n"
        "        const int32_t *xi = ia + at;\n"
        "        double *dp = d + desc[4 * i + 3];\n"
        "        double OUT = 0.0;\n"
        f"#define N n\n#define X(j) {x}\n#define D(j) {dj}\n#define A X(0)\n#define B X(1)\n"
        f"        {{\n{indent(formula(op), 12)}\n        }}\n"
        "#undef N\n#undef X\n#undef D\n#undef A\n#undef B\n"
        "        v[desc[4 * i + 2]] = OUT;\n"
        "        at += n;\n"
        "    }\n}\n"
    )
