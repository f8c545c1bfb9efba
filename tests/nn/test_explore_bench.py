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
    for row in ("explorer: per-point tape", "engine: graph + backward()", "fit(replay=True): batch tape"):
        assert out.count(row) == 2, row  # 150 and 200 training points
    for row in ("grid forward pass (every neuron)", "+ boundary and neuron pictures", "whole frame: 5 steps + JSON"):
        assert out.count(row) == 1, row
    assert "150 training points" in out and "200 training points" in out and "50×50 grid" in out
    assert "kB a frame" in out
