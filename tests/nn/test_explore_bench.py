"""benchmarks/explore.py runs end to end and prints every row. No timing is asserted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_explorer_benchmark_prints_its_tables() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "explore.py"), "--quick"],
        cwd=ROOT / "benchmarks", env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # two step rows each (150 and 200 training points), and one recording row for each tape
    counts = {"explorer: per-point tape": 3, "engine: graph + backward()": 2, "fit(backend='python'): batch tape": 3}
    for row, count in counts.items():
        assert out.count(row) == count, row
    assert "recorded on" in out and "1 point" in out
    for row in ("grid forward pass (every neuron)", "+ boundary and neuron pictures", "whole frame: 5 steps + JSON"):
        assert out.count(row) == 1, row
    assert "150 training points" in out and "200 training points" in out and "50×50 grid" in out
    assert "kB a frame" in out


def test_the_server_benchmark_prints_its_table() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "explore_server.py"), "--quick"],
        cwd=ROOT / "benchmarks", env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("GET /explorer.css while pages play a small model") and "Ctrl-C stops it in" in lines[1]
    assert len(lines) == 3 and lines[2].split()[0] == "1" and lines[2].endswith("s")
