"""How fast the training explorer runs: training steps a second, and pictures a second.

    python benchmarks/explore.py            # a few seconds per figure
    python benchmarks/explore.py --quick    # tiny budgets: proves the script runs

What the explorer needs: at least 20 training steps a second for MLP(2, [8, 8, 1]) on 200
points, and the decision boundary redrawn at least 5 times a second on a 50×50 grid. Rows:

* a training step, full batch, as the explorer runs it (a per-point tape replayed on each
  point, gradients added up) and, for comparison, as ``fit`` runs it without a tape
  (forward graph, ``backward()``) and with ``fit(backend="python")``'s whole-batch tape;
* what each tape costs to record: the explorer records again for every new model or
  dataset, and a whole-batch tape would also need one per batch size, so the per-point tape
  trades a slower step for no wait after a change;
* a redraw: the 50×50 grid's forward pass (every neuron, one tape replay per 10 cells), the
  boundary and the neuron pictures encoded, the same with the train/test loss and accuracy
  measured, and a whole frame as the page receives it (JSON) after ``speed`` = 5 steps.

Each figure is a median of several runs (see harness.py). Nothing here is asserted: a test
only checks that the script runs (tests/nn/test_explore_bench.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from harness import Budget, fmt_seconds, machine_line, measure, say, table

from autograd import gc_paused, record
from nn import binary_cross_entropy
from nn.explore.config import Config
from nn.explore.controller import Controller
from nn.explore.session import Session
from nn.explore.views import GridView, encode_boundary, encode_map, thumbnails


def per_second(seconds: float) -> str:
    return f"{1.0 / seconds:,.0f}" if seconds > 0 else "-"


def steps(config: Config, budget: Budget) -> list[list[str]]:
    """The explorer's step beside the engine's and a whole-batch tape's, on the same model and points."""
    session = Session(config)
    model, xs = session.model, session.train_x
    targets = [float(t) for t in session.train_y]
    label = f"{len(xs)} training points"

    def explorer_step() -> None:
        session.train(1)

    def engine_step() -> None:
        with gc_paused():
            loss = binary_cross_entropy([model(x) for x in xs], targets)
            session.optimizer.zero_grad()
            loss.backward()
            session.optimizer.step()

    tape = record(lambda X, T: binary_cross_entropy([model(x) for x in X], T), xs, targets)

    def tape_step() -> None:
        session.optimizer.zero_grad()
        tape(xs, targets)
        session.optimizer.step()

    rows = []
    for name, fn in (("explorer: per-point tape", explorer_step), ("engine: graph + backward()", engine_step),
                     ("fit(backend='python'): batch tape", tape_step)):
        t = measure(fn, budget)
        rows.append([name, label, fmt_seconds(t.median), per_second(t.median)])
    return rows


def recordings(config: Config, budget: Budget) -> list[list[str]]:
    """How long each tape takes to record, on the same model and points."""
    session = Session(config)
    model, xs = session.model, session.train_x
    targets = [float(t) for t in session.train_y]
    once = Budget(min_runs=budget.min_runs, max_runs=max(budget.min_runs, 5), seconds=budget.seconds, warmup=0)
    per_point = measure(session.record_step, once)
    batch = measure(lambda: record(lambda X, T: binary_cross_entropy([model(x) for x in X], T), xs, targets), once)
    return [["explorer: per-point tape", "1 point", fmt_seconds(per_point.median)],
            ["fit(backend='python'): batch tape", f"{len(xs)} points", fmt_seconds(batch.median)]]


def redraws(config: Config, budget: Budget) -> list[list[str]]:
    """The boundary and the neuron pictures, then a whole frame, each after the weights changed."""
    controller = Controller(config)
    session, size = controller.session, config.grid
    grid = GridView(session, size)

    def changed() -> None:
        session.version += 1  # as after a step: the grid must be computed again

    def pictures() -> None:
        changed()
        maps = grid.layers()
        encode_boundary(maps[-1])
        thumbnails(maps, size)
        encode_map(maps[0][0], size)

    def pictures_and_figures() -> None:
        pictures()
        session.evaluate()

    sent: dict[str, int] = {}
    controller.parts(sent)
    controller.playing = True

    def frame() -> int:
        controller.advance()
        return len(json.dumps(controller.parts(sent), allow_nan=False))

    cells = f"{size}×{size} grid"
    rows = []
    for name, fn, what in (
        ("grid forward pass (every neuron)", lambda: (changed(), grid.layers()), cells),
        ("+ boundary and neuron pictures", pictures, cells),
        ("+ train/test loss and accuracy", pictures_and_figures, cells),
        (f"whole frame: {config.speed} steps + JSON", frame, cells),
    ):
        t = measure(fn, budget)
        rows.append([name, what, fmt_seconds(t.median), per_second(t.median)])
    kilobytes = frame() / 1000
    rows[-1].append(f"{kilobytes:.0f} kB a frame")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny budgets: proves the script runs")
    args = parser.parse_args(argv)
    budget = Budget(min_runs=2, max_runs=3, seconds=0.05) if args.quick else Budget(min_runs=5, max_runs=40, seconds=2.0)
    say(machine_line())
    say()
    say("Training steps, MLP(2, [8, 8, 1]) on the moons, full batch, Adam")
    rows: list[list[str]] = []
    make: Callable[[int, float], Config] = lambda n, test: Config(samples=n, test_size=test, hidden=(8, 8))
    rows += steps(make(200, 0.25), budget)  # the explorer's default: 200 points, 150 to train on
    rows += steps(make(250, 0.2), budget)  # 200 points to train on
    say(table(["step", "points", "time", "steps/s"], rows))
    say()
    say("Recording a tape (once per model, dataset and, for the batch tape, batch size)")
    say(table(["tape", "recorded on", "time"], recordings(make(200, 0.25), budget)))
    say()
    say("Redraws, MLP(2, [8, 8, 1]), the weights changed before each")
    say(table(["redraw", "size", "time", "per second", "note"], [r + [""] * (5 - len(r)) for r in redraws(make(200, 0.25), budget)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
