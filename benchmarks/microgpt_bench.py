"""Workload (g): the microgpt-style program of :mod:`microgpt_style`, eager and compiled, beside PyTorch.

The same training (one document a step, documents of 1 to 14 letters, Adam with a falling
learning rate) runs four ways from the same weights:

* **eager**: valuegrad building each document's graph and calling ``backward()``, with the
  program's own Adam in Python;
* **compiled, Python**: ``autograd.compiled(..., backend="python")``: one tape per document
  length, recorded on the first document of that length and replayed after;
* **compiled, C**: the same with ``backend="c"``: the tapes compiled to C (into an empty cache,
  so that the compiler really runs and is part of the recording's cost; not with ``--quick``),
  the parameters and Adam's state kept in C between documents;
* **PyTorch vectorised**: the same model written with tensors (float64, one document a step,
  ``torch.optim.Adam``), which needs no recording.

A step's time is the mean over the steps where no engine recorded (the same documents for
every engine, so the lengths are mixed alike); the recording is reported apart: the first
step, and all the steps that recorded (one per length). The 100× target (issue 23) is the
compiled C step against the eager step.
"""

from __future__ import annotations

import contextlib
import math
import time
from typing import Any

from compiled import compiler_missing, empty_cache
from harness import fmt_ratio, fmt_seconds, say, table
from microgpt_style import BETA1, BETA2, EPS, LR, Model, documents, train
from torch_peers import torch_or_none

FULL = {"sizes": (16, 4, 16, 14), "steps": 160}
QUICK = {"sizes": (4, 2, 4, 3), "steps": 6}


def torch_train(steps: int, sizes: tuple[int, int, int, int], seed: int = 0) -> dict[str, Any]:
    """The microgpt-style model and training with PyTorch tensors: every position of a document
    at once (a causal mask), float64, ``torch.optim.Adam`` at the program's learning rates."""
    t = torch_or_none()
    assert t is not None
    n_embd, n_head, block, longest = sizes
    docs, letters = documents(longest)
    boundary = len(letters)
    model = Model(len(letters) + 1, n_embd, n_head, block, seed)
    names = ("wte", "wpe", "wq", "wk", "wv", "wo", "fc1", "fc2", "head")
    w = {name: t.tensor([[p.data for p in row] for row in getattr(model, name)], dtype=t.float64, requires_grad=True) for name in names}
    optimizer = t.optim.Adam(list(w.values()), lr=LR, betas=(BETA1, BETA2), eps=EPS)
    hd = n_embd // n_head

    def rmsnorm(x: Any) -> Any:
        return x * ((x * x).mean(-1, keepdim=True) + 1e-5) ** -0.5

    losses: list[float] = []
    times: list[float] = []
    cpu_times: list[float] = []
    for step in range(steps):
        began, cpu = time.perf_counter(), time.process_time()
        doc = docs[step % len(docs)]
        tokens = t.tensor([boundary] + [letters.index(ch) for ch in doc] + [boundary])
        n = min(block, len(tokens) - 1)
        x = rmsnorm(w["wte"][tokens[:n]] + w["wpe"][:n])
        h = rmsnorm(x)
        q, k, v = ((h @ w[m].T).view(n, n_head, hd).transpose(0, 1) for m in ("wq", "wk", "wv"))
        scores = (q @ k.transpose(1, 2)) * hd**-0.5
        mask = t.ones(n, n, dtype=t.bool).tril()
        attended = (scores.masked_fill(~mask, float("-inf")).softmax(-1) @ v).transpose(0, 1).reshape(n, n_embd)
        x = x + attended @ w["wo"].T
        x = x + t.relu(rmsnorm(x) @ w["fc1"].T) @ w["fc2"].T
        loss = t.nn.functional.cross_entropy(x @ w["head"].T, tokens[1 : n + 1])
        optimizer.zero_grad()
        loss.backward()
        for group in optimizer.param_groups:
            group["lr"] = LR * (1.0 - step / steps)
        optimizer.step()
        losses.append(float(loss.item()))
        times.append(time.perf_counter() - began)
        cpu_times.append(time.process_time() - cpu)
    return {"losses": losses, "times": times, "cpu_times": cpu_times, "recorded": [False] * steps}


def workload_g(quick: bool) -> dict[str, Any]:
    config = QUICK if quick else FULL
    sizes, steps = config["sizes"], config["steps"]
    docs, letters = documents(sizes[3])
    lengths = sorted({len(d) for d in docs[:steps]})
    say(f"(g) the microgpt-style program (benchmarks/microgpt_style.py): a GPT on scalars, width {sizes[0]}, {sizes[1]} "
        f"heads, context {sizes[2]}, {len(letters) + 1} tokens; {steps} documents of {lengths[0]} to {lengths[-1]} letters, "
        "one per step, Adam")  # fmt: skip
    runs: dict[str, dict[str, Any]] = {}
    runs["valuegrad eager"] = train(steps, "eager", sizes)
    runs["compiled, Python tapes"] = train(steps, "python", sizes)
    missing = compiler_missing()
    if missing is None:
        with contextlib.nullcontext() if quick else empty_cache():
            runs["compiled, C tapes"] = train(steps, "c", sizes)
    torch_missing = "not installed" if torch_or_none() is None else None
    if torch_missing is None:
        runs["PyTorch vectorised"] = torch_train(steps, sizes)
    # the steps where no engine recorded: the same documents for all
    steady = [i for i in range(steps) if not any(r["recorded"][i] for r in runs.values())]
    results: dict[str, Any] = {"steps": steps, "steady_steps": len(steady), "lengths": lengths}
    eager = runs["valuegrad eager"]

    def mean(run: dict[str, Any], what: str) -> float:
        return sum(run[what][i] for i in steady) / len(steady) if steady else math.nan

    base, base_cpu = mean(eager, "times"), mean(eager, "cpu_times")
    rows = []
    for name, run in runs.items():
        per, cpu = mean(run, "times"), mean(run, "cpu_times")
        recordings = sum(run["recorded"])
        recording = sum(x for x, r in zip(run["times"], run["recorded"]) if r)
        gap = max(abs(a - b) for a, b in zip(run["losses"], eager["losses"]))
        first = fmt_seconds(run["times"][0]) if recordings else "-"
        note = f"{recordings} recordings: {fmt_seconds(recording)}" if recordings else ""
        rows.append([name, fmt_seconds(per), fmt_ratio(base / per), fmt_seconds(cpu), fmt_ratio(base_cpu / cpu), first, note,
                     f"{gap:.1e}"])  # fmt: skip
        results[name] = {"seconds_per_step": per, "cpu_seconds_per_step": cpu, "first_step": run["times"][0], "recordings": recordings,
                         "recording_seconds": recording, "loss_gap": gap}  # fmt: skip
    if missing is not None:
        rows.append(["compiled, C tapes", "-", "-", "-", "-", "-", missing, "-"])
    if torch_missing is not None:
        rows.append(["PyTorch vectorised", "-", "-", "-", "-", "-", torch_missing, "-"])
    say(table(["engine", "per step", "× eager", "processor", "× eager", "first step", "note", "losses vs eager"], rows))
    say(f"  per step: the mean over the {len(steady)} of {steps} documents where nothing recorded, in wall time and in "
        "this process's processor time (steadier on a loaded machine); the first step records (and compiles, for C)")  # fmt: skip
    c = results.get("compiled, C tapes")
    if c is not None:
        speedup, cpu_speedup = base / c["seconds_per_step"], base_cpu / c["cpu_seconds_per_step"]
        results["c_speedup"], results["c_cpu_speedup"] = speedup, cpu_speedup
        verdict = "met" if min(speedup, cpu_speedup) >= 100 else "NOT met"
        say(f"  compiled C is {speedup:,.1f}× faster per step than eager ({cpu_speedup:,.1f}× in processor time; target "
            f"≥ 100×: {verdict}); its losses equal eager's within {c['loss_gap']:.1e} (target 1e-12)")  # fmt: skip
        if c["recordings"] and base > c["seconds_per_step"]:
            payback = c["recording_seconds"] / (base - c["seconds_per_step"])
            results["c_recording_paid_back_after"] = payback
            say(f"  recording and compiling the C tapes costs as much as {payback:,.0f} eager steps")
        torch_entry = results.get("PyTorch vectorised")
        if torch_entry is not None:
            ratio = c["seconds_per_step"] / torch_entry["seconds_per_step"]
            results["c_over_torch_vectorised"] = ratio
            say(f"  compiled C's step takes {ratio:.2f}× PyTorch vectorised's (whose losses differ by float rounding: "
                "another order of sums)")  # fmt: skip
    return results
