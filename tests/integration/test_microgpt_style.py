"""benchmarks/microgpt_style.py: the microgpt-style GPT gives the same losses eagerly and under
autograd.compiled (Python and C tapes), on documents of several lengths, with Adam updating the
parameters between documents (kept in C with the C tapes); tiny sizes, so that it runs in
seconds."""

from __future__ import annotations

import os
import shlex
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from helpers import require_program

ROOT = Path(__file__).resolve().parents[2]
TINY = (4, 2, 4, 3)  # width 4, 2 heads, context 4, words of up to 3 letters


@pytest.fixture(scope="module")
def microgpt() -> Any:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import microgpt_style
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return microgpt_style


@pytest.mark.parametrize("backend", ["python", "c"])
def test_compiled_losses_equal_the_eager_ones(microgpt: Any, backend: str) -> None:
    if backend == "c":
        cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
        require_program(shlex.split(cc)[0])
    docs, _ = microgpt.documents(TINY[3])
    steps = 8
    assert len({len(d) for d in docs[:steps]}) >= 2  # documents of different lengths
    eager = microgpt.train(steps, "eager", TINY)
    compiled = microgpt.train(steps, backend, TINY)
    assert all(abs(a - b) <= 1e-12 for a, b in zip(eager["losses"], compiled["losses"]))
    assert len(compiled["losses"]) == steps
    # Adam, the program's own eagerly and nn's AdamRule compiled (in C with backend="c"), moved
    # every parameter alike: the same arithmetic, so the same bits
    assert compiled["final"] == eager["final"]
    # one tape per length seen, none per token
    assert compiled["recordings"] == len({len(d) for d in docs[:steps]})

