"""benchmarks/viz.py runs end to end on small sizes. It asserts no timings: only that every row is printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import require, require_program

ROOT = Path(__file__).resolve().parents[2]


def test_the_drawing_benchmark_prints_a_row_for_every_shape_and_size() -> None:
    require("graphviz")
    require_program("dot")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "viz.py"), "--quick"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("machine: ")
    header = next(i for i, line in enumerate(lines) if line.startswith("shape "))
    assert "Graphviz CPU s" in lines[header] and "page bytes" in lines[header] and "open s" in lines[header]
    rows = [line for line in lines[header + 2 :] if line.strip()]  # the table, after the rows printed as they go
    for shape in ("layer", "recurrence", "attention", "random"):
        mine = [r for r in rows if r.startswith(shape + " ")]
        assert len(mine) == 2, (shape, rows)  # sizes 100 and 300
        assert all(r.split()[4] in ("dot", "quick") for r in mine), mine  # who laid it out
        assert all(">" not in r.split()[6] and "refused" not in r for r in mine), mine  # laid out
