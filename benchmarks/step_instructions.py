"""Benchmark (a)'s training step counted in CPU instructions, which load on the machine does not change.

Wall-clock times on a shared, loaded machine can move by 2× from one run to the next; the number
of instructions a step executes moves by well under 1%. To compare two versions of the engine
(a refactor must not slow the step by more than 5%), count both with valgrind's callgrind:

    for n in 1 6; do
        valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
            python benchmarks/step_instructions.py normal $n 2>&1 | grep Collected
    done

The difference between the two totals, divided by 5, is the instructions of one step (the import
and set-up are counted in both and cancel). ``replay`` instead of ``normal`` counts the replayed
tape's step (the recording is in both totals, and cancels too). ``c`` counts the step of the tape
compiled to C, run by a Trainer with SGD in C (count 1 and 101 steps, and divide by 100: its step is
small; run it once before, so that both counts load the compiled library from the cache).
"""

from __future__ import annotations

import gc
import sys

from fixtures import moons

from autograd import dot, record
from nn import MLP, SGD, hinge_loss

USAGE = "usage: python benchmarks/step_instructions.py normal|replay|c STEPS"


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("normal", "replay", "c") or not argv[1].isdigit():
        print(USAGE, file=sys.stderr)
        return 2
    mode, steps = argv[0], int(argv[1])
    xs, ys = moons(64)
    model = MLP(2, [16, 16, 1], seed=1)
    params = model.parameters()
    optimizer = SGD(params, lr=0.05)
    gc.freeze()

    def loss_fn(inputs: list[list[float]], targets: list[float]) -> object:
        scores = [model(x) for x in inputs]
        return hinge_loss(scores, targets) + 1e-4 * dot(params, params)

    if mode == "normal":
        for _ in range(steps):
            loss = loss_fn(xs, ys)
            optimizer.zero_grad()
            loss.backward()  # type: ignore[attr-defined]
            optimizer.step()
    elif mode == "replay":
        tape = record(loss_fn, xs, ys)
        for _ in range(steps):
            optimizer.zero_grad()
            tape(xs, ys)
            optimizer.step()
    else:
        from array import array

        from autograd.tape.cbackend import CTape, Trainer
        from nn.update_rules import SGDRule

        ctape = record(loss_fn, xs, ys, backend="c")
        assert isinstance(ctape, CTape), "no C compiler: the tape fell back to Python"
        trainer = Trainer(params, SGDRule(lr=0.05))
        flat = array("d", [x for point in xs for x in point] + list(ys))
        for _ in range(steps):
            trainer.step_flat(ctape, flat, 1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
