"""``python -m autograd draw``: the example renders, and everything outside the whitelist exits 2.

Refused input must exit with status 2, print ONE line on stderr that points at the offending
part, show no traceback, and leave no file behind (nothing is ever eval'ed). The gradients
printed for the README example are checked against the hand-derived chain rule.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import require, require_program
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.__main__ import main
from autograd.expr import MAX_LENGTH, MAX_NODES, ExpressionError, check, evaluate, parse_bindings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = "tanh(x1*w1 + x2*w2 + b)"
AT = "x1=2,w1=-3,x2=0,w2=1,b=6.88"


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "autograd", *args], capture_output=True, text=True, timeout=timeout, cwd=REPO, env=env
    )


def printed(stdout: str) -> dict[str, float]:
    """The 'd out / d NAME = VALUE' lines as {NAME: VALUE}, and 'out = VALUE' as {'out': VALUE}."""
    out = {}
    for line in stdout.splitlines():
        left, sep, right = line.partition(" = ")
        if sep and left.strip().startswith("d out / d "):
            out[left.strip()[len("d out / d ") :]] = float(right)
        elif sep and left.strip() == "out":
            out["out"] = float(right)
    return out


def test_the_readme_example_renders_and_prints_the_gradients(tmp_path: Path) -> None:
    require("graphviz")
    require_program("dot")
    svg, html = tmp_path / "neuron.svg", tmp_path / "bp.html"
    result = run("draw", EXAMPLE, "--at", AT, "-o", str(svg), "--backprop", str(html))
    assert result.returncode == 0, result.stderr
    # hand-derived: n = x1·w1 + x2·w2 + b = 0.88, o = tanh n, ∂o/∂n = 1 - o², ∂o/∂x1 = w1(1 - o²), ...
    o = math.tanh(2 * -3 + 0 * 1 + 6.88)
    dn = 1 - o * o
    expected = {"out": o, "x1": -3 * dn, "w1": 2 * dn, "x2": 1 * dn, "w2": 0.0, "b": dn}
    got = printed(result.stdout)
    assert got.keys() == expected.keys()
    for name, value in expected.items():
        assert got[name] == pytest.approx(value, rel=1e-5, abs=1e-12)  # printed to 6 significant digits
    text = svg.read_text(encoding="utf-8")
    assert text.startswith("<?xml") and ">tanh<" in text and ">x1<" in text
    page = html.read_text(encoding="utf-8")  # the graph drawn once, and one step per node: seed + 2 muls, 2 adds, tanh
    assert page.count("<svg") == 1 and '<span class="vg-counter">step 0 of 5</span>' in page


@pytest.mark.parametrize("ext, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_the_format_follows_the_extension(tmp_path: Path, ext: str, magic: bytes) -> None:
    require("graphviz")
    require_program("dot")
    path = tmp_path / f"g{ext}"
    assert main(["draw", "exp(-x) * 2 ** x", "--at", "x=0.5", "-o", str(path)]) == 0
    assert path.read_bytes()[: len(magic)] == magic


def test_dot_output_is_the_source_and_needs_no_dot_program(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require("graphviz")
    path = tmp_path / "g.dot"
    assert main(["draw", "relu(a) / abs(-a) + sigmoid(a) - log(a)", "--at", "a=0.25", "-o", str(path)]) == 0
    source = path.read_text(encoding="utf-8")
    assert source.startswith("digraph") and 'label="{ a | data 0.25 |' in source
    for symbol in ("relu", "abs", "σ", "log", '"/"', '"+"', '"-"'):
        assert symbol in source
    # d/da [relu(a)/|a| + σ(a) - ln a] at a = 1/4: relu(a)/|a| = 1 for a > 0, so σ(a)(1 - σ(a)) - 1/a
    s = 1 / (1 + math.exp(-0.25))
    assert printed(capsys.readouterr().out)["a"] == pytest.approx(s * (1 - s) - 4, rel=1e-5)


REFUSED = [
    ("__import__('os').system('touch PWNED')", "only calls to abs, exp, log"),
    ("x.__class__", "attribute access"),
    ("x.__class__.__bases__[0].__subclasses__()", "only calls to"),
    ("(x).real", "attribute access"),
    ("x[0]", "subscripts"),
    ("[i for i in (x, x)]", "comprehensions"),
    ("(lambda: x)()", "only calls to"),
    ("lambda: x", "lambdas"),
    ("exp(x=x)", "keyword"),
    ("exp(x, x)", "exactly one"),
    ("exp(*[x])", "exactly one"),
    ("exp()", "exactly one"),
    ("print(x)", "only calls to"),
    ("open('PWNED', 'w')", "only calls to"),
    ("'abc'", "not str"),
    ("True + x", "not bool"),
    ("1j * x", "not complex"),
    ("None", "not NoneType"),
    ("x if x else x", "conditional"),
    ("x < 1", "comparisons"),
    ("x and x", "'and' / 'or'"),
    ("not x", "operator not"),
    ("~x", "operator ~"),
    ("x // 2", "operator //"),
    ("x % 2", "operator %"),
    ("x @ x", "operator @"),
    ("(y := x)", "assignment expressions"),
    ("f'{x}'", "f-strings"),
    ("(x, x)", "tuples"),
    ("{x: 1}", "dicts"),
    ("y + x", "name 'y' is not given"),
    ("exp + x", "exp is a function"),
    ("x ** 101", "exponent"),
    ("x ** -1e3", "exponent"),
    ("9**9**9**9", "power towers"),
    ("x ** (2 ** x)", "power towers"),
    ("x +", "syntax error"),
    ("x = 1", "syntax error"),
    ("1" * 400 + " * x", "too large"),
]


@pytest.mark.parametrize("expression, why", REFUSED)
def test_refused_expressions_exit_2_with_one_line_and_no_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, expression: str, why: str
) -> None:
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "g.dot"
    assert main(["draw", expression, "--at", "x=2", "-o", str(out), "--backprop", str(tmp_path / "bp.html")]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and why in lines[0] and "Traceback" not in captured.err
    assert "column" in lines[0]
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing touched


def test_the_injection_runs_nothing_in_a_real_process(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    for expression in (
        f"__import__('os').system('touch {target}')",
        f"[c for c in ().__class__.__base__.__subclasses__()][0]('touch {target}')",
    ):
        result = run("draw", expression, "--at", "x=1", "-o", str(tmp_path / "g.svg"), timeout=30)
        assert result.returncode == 2
        assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
        assert list(tmp_path.iterdir()) == []
    existed = os.path.exists("/tmp/pwned")
    result = run("draw", "__import__('os').system('touch /tmp/pwned')", timeout=30)
    assert result.returncode == 2 and os.path.exists("/tmp/pwned") == existed


def test_a_very_long_expression_and_a_huge_exponent_are_refused_quickly(tmp_path: Path) -> None:
    cases = [
        ("x+" * 5000 + "x", f"limit is {MAX_LENGTH}"),
        ("+".join(["x"] * 400), f"limit is {MAX_NODES}"),  # short enough, but too many nodes
        ("9**9**9**9", "power towers"),
        ("x**99999999999", "exponent"),
        ("(" * 300 + "x" + ")" * 300, "syntax error"),
    ]
    for expression, why in cases:
        result = run("draw", expression, "--at", "x=1.5", "-o", str(tmp_path / "g.svg"), timeout=30)
        assert result.returncode == 2, expression[:40]
        assert why in result.stderr and len(result.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "at, why",
    [
        ("x1=2,w1", "expected name=value"),
        ("x1=two", "'two' is not a number"),
        ("x1=2,x1=3", "given twice"),
        ("1x=2", "not a valid name"),
        ("exp=2", "function name"),
        ("import=2", "not a valid name"),
        ("x1=2,,w1=3", "expected name=value"),
    ],
)
def test_bad_bindings_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], at: str, why: str) -> None:
    assert main(["draw", "x1 * 2", "--at", at, "-o", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "--at item" in err[0] and why in err[0]
    assert list(tmp_path.iterdir()) == []


def test_max_nodes_is_passed_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require("graphviz")
    expression = "+".join(f"x*{k}" for k in range(10))  # 1 + 10 products + 9 sums = 20 Values
    out = tmp_path / "g.dot"
    assert main(["draw", expression, "--at", "x=1", "-o", str(out), "--max-nodes", "19"]) == 1
    assert "20 Values, more than max_nodes=19" in capsys.readouterr().err and not out.exists()
    assert main(["draw", expression, "--at", "x=1", "-o", str(out), "--max-nodes", "20"]) == 0
    assert out.read_text(encoding="utf-8").count("shape=record") == 20
    assert main(["draw", "x", "--at", "x=1", "-o", str(tmp_path / "h.dot"), "--max-nodes", "0"]) == 2
    assert main(["draw", "x", "--at", "x=1", "-o", str(tmp_path / "h.dot"), "--max-nodes", str(10**9)]) == 2
    assert "must be from 1 to 100,000" in capsys.readouterr().err
    assert not (tmp_path / "h.dot").exists()


def test_bad_output_names_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", "x", "--at", "x=1", "-o", str(tmp_path / "g.jpg")]) == 2
    assert main(["draw", "x", "--at", "x=1", "--backprop", str(tmp_path / "bp.txt")]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 2
    assert list(tmp_path.iterdir()) == []


def test_the_error_points_at_the_column() -> None:
    with pytest.raises(ExpressionError, match=r"^column 10, at 'x\.real': attribute access"):
        check("exp(x) + x.real", {"x": 1})
    with pytest.raises(ExpressionError, match=r"^column 6, at 'zz': name 'zz' is not given in --at \(given: x\)"):
        check("x + (zz)", {"x": 1})


def test_a_call_on_a_string_prints_no_syntax_warning(tmp_path: Path) -> None:
    result = run("draw", "'touch'(x)", "--at", "x=1", timeout=30)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1 and "Warning" not in result.stderr


TOKENS = [
    "x", "y", "1", "2.5", "1e309", "0", "(", ")", "+", "-", "*", "/", "**", "//", "%", ".", ",", "[", "]",
    "exp", "log", "tanh", "abs", "relu", "sigmoid", "__import__", "'os'", "lambda", ":", "=", "==", "<",
    "if", "else", "for", "in", "not", "and", " ", "~", "@", "{", "}", "*", "j", "True", "None", "\n",
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=25))
def test_any_token_soup_is_either_computed_or_refused_cleanly(tokens: list[str]) -> None:
    from autograd import Value

    source = "".join(tokens)
    try:
        result = evaluate(source, {"x": Value(0.5, label="x"), "y": Value(-2.0, label="y")})
    except ExpressionError as err:
        assert "\n" not in str(err)  # one line
        return
    assert isinstance(result, (Value, float))


def test_evaluation_matches_python_on_floats_and_keeps_constants_as_numbers() -> None:
    from autograd import Value
    from autograd.graph import topological_order

    x = Value(0.7, label="x")
    y = evaluate("-(2*3) + +x / (1 + exp(-x)) - x**2 + abs(-x) * relu(x - 1)", {"x": x})
    assert isinstance(y, Value)
    assert y.data == pytest.approx(-6 + 0.7 / (1 + math.exp(-0.7)) - 0.49 + 0.0, rel=1e-12)
    operands = [o for node in topological_order(y) for o in node.operands]
    assert -6.0 in [o for o in operands if not isinstance(o, Value)]  # -(2*3) computed once, as a number
    assert evaluate("1/0 - log(0)", {}) == math.inf  # IEEE 754 as the engine computes, no ZeroDivisionError
    assert parse_bindings(" a = 1e-3 , b=-inf ") == {"a": 0.001, "b": -math.inf}


def test_unicode_names_are_read_as_python_reads_them() -> None:
    # Python's parser folds identifiers to NFKC: the fullwidth ｘ and the mathematical 𝑥 are x in the
    # expression, so a binding written with them must name the same variable
    for spelled in ("ｘ", "𝑥", "x"):
        bindings = parse_bindings(f"{spelled}=2")
        assert bindings == {"x": 2.0}
        assert evaluate("ｘ * 𝑥", {n: Value(v) for n, v in bindings.items()}).data == 4.0
