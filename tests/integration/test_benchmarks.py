"""The benchmark script runs end to end. It asserts no timings: only that every table is printed.

``benchmarks/run.py --quick`` uses tiny sizes, so its figures mean nothing; what this proves is
that every engine's version of every workload runs and computes the same loss, and that the
command-line options work.
"""

from __future__ import annotations

import gc
import json
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from helpers import require, require_program

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "run.py"
ENGINES = ["valuegrad", "micrograd 0.1.0", "PyTorch 0-d tensors", "PyTorch vectorised", "plain floats, forward only"]
#: Rows that only some tables have.
EXTRA = {
    "(a)": ["valuegrad replay", "valuegrad C tape"],
    "(b)": ["valuegrad, gc paused"],
    "(d)": ["valuegrad replay", "valuegrad C tape"],
}
#: The tables whose rows are not ENGINES': exactly these.
OWN_ROWS = {
    "(e)": ["valuegrad C tape", "valuegrad replay", "PyTorch vectorised"],
    "(f)": ["tiny engine (baseline)", "valuegrad", "valuegrad replay", "valuegrad C tape", "PyTorch 0-d tensors",
            "PyTorch vectorised"],
}  # fmt: skip


def expected_rows(title: str) -> list[str]:
    return OWN_ROWS.get(title, [*ENGINES, *EXTRA.get(title, [])])


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def rows_of(output: str, title: str) -> dict[str, str]:
    """The table rows printed under the line starting with ``title``, keyed by engine name."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows: dict[str, str] = {}
    for line in lines[start + 3 :]:  # title, header, rule
        if not line or line.startswith(" "):
            break
        names = sorted(expected_rows(title), key=len, reverse=True)  # longest match first
        name = next((e for e in names if line.startswith(e)), None)
        assert name is not None, f"unexpected row under {title!r}: {line!r}"
        rows[name] = line
    return rows


@pytest.fixture(scope="module")
def quick(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    require("micrograd")
    require("torch")
    require("sklearn")
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    proc = run_bench("--quick", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, json.loads(out.read_text(encoding="utf-8"))


def test_quick_run_prints_the_machine_first(quick: tuple[str, dict]) -> None:
    stdout, _ = quick
    first = stdout.splitlines()[0]
    assert first.startswith("machine: ")
    assert "cores" in first and "Python" in first


@pytest.mark.parametrize("title", ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)"])
def test_quick_run_prints_a_row_per_engine(quick: tuple[str, dict], title: str) -> None:
    stdout, _ = quick
    assert set(rows_of(stdout, title)) == set(expected_rows(title))


def test_every_engine_computes_the_same_first_training_loss(quick: tuple[str, dict]) -> None:
    _, report = quick
    losses = [report["a"][e]["first_loss"] for e in [*ENGINES, *EXTRA["(a)"]]]
    assert max(losses) - min(losses) <= 1e-9 * max(1.0, abs(losses[0]))


def test_the_replayed_step_computes_exactly_the_normal_steps_loss(quick: tuple[str, dict]) -> None:
    _, report = quick
    assert report["a"]["valuegrad replay"]["first_loss"] == report["a"]["valuegrad"]["first_loss"]
    assert report["a"]["valuegrad replay"]["setup_seconds"] > 0  # the recording, reported apart


def test_the_c_tape_computes_exactly_the_replays_numbers(quick: tuple[str, dict]) -> None:
    require_program(shlex.split(sysconfig.get_config_var("CC") or "cc")[0])
    _, report = quick
    assert report["a"]["valuegrad C tape"]["first_loss"] == report["a"]["valuegrad"]["first_loss"]
    assert report["a"]["valuegrad C tape"]["setup_seconds"] > 0  # recording and compiling, reported apart
    # a tape of one sample over each batch gives the tape of the whole batch, to the bit
    assert report["d"]["valuegrad C tape"]["mean_loss"] == report["d"]["valuegrad replay"]["mean_loss"]
    assert report["d"]["c_same_as_replay"] is True
    e = report["e"]["valuegrad C tape"]
    assert e["compile_seconds"] > 0 and e["record_and_compile_seconds"] >= e["compile_seconds"] and e["seconds"] > 0
    assert abs(e["mean_loss"] - report["e"]["PyTorch vectorised"]["mean_loss"]) <= 1e-9


def test_the_tiny_gpt_trains_alike_on_every_engine(quick: tuple[str, dict]) -> None:
    _, report = quick
    f = report["f"]
    assert f["loss_spread"] <= 1e-9
    assert all(f[name]["seconds_per_step"] > 0 for name in OWN_ROWS["(f)"])
    assert f["valuegrad C tape speedup"] > 0 and f["valuegrad speedup"] > 0
    assert f["c_steps_gap"] <= 1e-9  # the tape replays token lookups right on sequences it never saw


def test_the_replayed_digits_epoch_trains_like_the_normal_one(quick: tuple[str, dict]) -> None:
    _, report = quick
    # one-hot targets give the class index's loss to the last bit, but the graph differs in
    # shape (the samples are added into the shared weights in another order): equal to rounding
    assert abs(report["d"]["valuegrad replay"]["mean_loss"] - report["d"]["valuegrad"]["mean_loss"]) <= 1e-9
    assert report["d"]["replay_loss_gap"] <= 1e-9


def test_micrograds_recursion_limit_is_reported_not_raised(quick: tuple[str, dict]) -> None:
    stdout, report = quick
    assert "RecursionError" in rows_of(stdout, "(b)")["micrograd 0.1.0"]
    assert report["b"]["micrograd 0.1.0"]["deepest_is_cap"] is False
    assert 0 < report["b"]["micrograd 0.1.0"]["deepest"] < sys.getrecursionlimit() + 100
    assert report["b"]["valuegrad"]["deepest_is_cap"] is True


def test_valuegrad_memory_is_measured(quick: tuple[str, dict]) -> None:
    _, report = quick
    figures = report["c"]["valuegrad"]["bytes_per_op"]
    assert set(figures) == {"add", "mul", "tanh"}
    assert all(f is not None and f > 0 for f in figures.values())


def test_only_runs_the_chosen_workloads() -> None:
    proc = run_bench("--quick", "--only", "c")
    assert proc.returncode == 0, proc.stderr
    assert "(c)" in proc.stdout
    assert all(f"({w})" not in proc.stdout for w in "abdef")


def test_an_unknown_workload_is_refused() -> None:
    proc = run_bench("--quick", "--only", "a,z")
    assert proc.returncode == 2
    assert "--only" in proc.stderr and "'a,z'" in proc.stderr and "a,b,c,d,e,f" in proc.stderr


# --- the helpers, without running any engine ------------------------------------------------


@pytest.fixture(scope="module")
def bench_modules() -> tuple[Any, Any]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import chains
        import harness
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return harness, chains


def test_the_chain_reports_its_growth_and_the_collectors_share(quick: tuple[str, dict]) -> None:
    stdout, report = quick
    assert report["b"]["valuegrad_growth"] > 0 and report["b"]["valuegrad_growth_gc_paused"] > 0
    for n in ("10", "1000"):  # the sizes the growth compares (10⁴ and 10⁶ in a full run)
        cost = report["b"]["valuegrad_collector"][n]
        assert type(cost["full_collections"]) is int and cost["full_collections"] >= 0
        assert type(cost["seconds_per_op"]) is float and 0 <= cost["seconds_per_op"] < 1e-3
    assert "full collection(s)" in stdout


def test_collector_cost_counts_full_collections(bench_modules: tuple[Any, Any]) -> None:
    _, chains = bench_modules
    assert chains.collector_cost(lambda: None) == (0, 0.0)
    full, seconds = chains.collector_cost(lambda: gc.collect())  # one explicit full collection
    assert full == 1 and seconds > 0


@pytest.mark.parametrize("limit", [2, 3, 777, 994, 5000])
def test_deepest_finds_the_longest_chain_that_survives(bench_modules: tuple[Any, Any], limit: int) -> None:
    _, chains = bench_modules

    def chain(n: int) -> float:
        if n > limit:
            raise RecursionError("maximum recursion depth exceeded")
        return 0.0

    # the search walks even lengths (the chain is built from y·a + b pairs)
    assert chains.deepest(chain, None, 10 * limit) == limit - limit % 2


def test_table_aligns_numbers_right_and_names_left(bench_modules: tuple[Any, Any]) -> None:
    harness, _ = bench_modules
    text = harness.table(["engine", "time", "note"], [["a", "1 ms", "x"], ["longer", "100 ms", "yy"]])
    lines = text.splitlines()
    assert lines[0] == "engine    time  note"
    assert lines[2] == "a         1 ms  x"
    assert lines[3] == "longer  100 ms  yy"


@pytest.mark.parametrize(
    ("seconds", "text"), [(1.25, "1.25 s"), (0.00307, "3.07 ms"), (412e-6, "412 µs"), (35e-9, "35 ns"), (None, "-")]
)
def test_fmt_seconds_picks_a_unit_with_three_digits(bench_modules: tuple[Any, Any], seconds: Any, text: str) -> None:
    harness, _ = bench_modules
    assert harness.fmt_seconds(seconds) == text


def test_traced_bytes_counts_what_the_build_keeps(bench_modules: tuple[Any, Any]) -> None:
    harness, _ = bench_modules
    n = 10_000
    held = harness.traced_bytes(lambda: [float(i) + 0.5 for i in range(n)])
    # each float is 24 bytes and the list holds a pointer to it: 32 per item, plus the list's slack
    assert 32 * n <= held <= 40 * n


def test_measure_takes_the_median_and_runs_setup_before_every_call(bench_modules: tuple[Any, Any]) -> None:
    harness, _ = bench_modules
    calls: list[str] = []
    budget = harness.Budget(min_runs=3, max_runs=3, seconds=0.0, warmup=1)
    timing = harness.measure(lambda: calls.append("run") or len(calls), budget, setup=lambda: calls.append("setup"))
    assert calls == ["setup", "run"] * 4
    assert timing.runs == 3 and len(timing.times) == 3
    assert timing.median == sorted(timing.times)[1]
    assert timing.result == 2  # the warm-up's return value


def test_the_microgpt_style_program_compiled_gives_the_eager_losses(quick: tuple[str, dict]) -> None:
    stdout, report = quick
    g = report["g"]
    assert "(g) the microgpt-style program" in stdout
    assert g["compiled, Python tapes"]["loss_gap"] <= 1e-12 and g["compiled, Python tapes"]["recordings"] >= 2
    require_program(shlex.split(sysconfig.get_config_var("CC") or "cc")[0])
    assert g["compiled, C tapes"]["loss_gap"] <= 1e-12 and g["c_speedup"] > 0
    assert "target ≥ 100×" in stdout
