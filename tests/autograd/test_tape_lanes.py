"""Samples in SIMD lanes (autograd/tape/cbackend/lanes.h): a batch run VG_LANES samples at a time
must give, bit for bit, what the scalar C driver gives (one sample after the other) and what the
Python replay gives, with one thread or two.

The references: the scalar C driver (``ctape.lanes = 1``) and the Python replay of the same
recording (itself checked against the engine in test_tape.py). ``same()`` is ``==`` where nan
equals nan and 0.0 differs from -0.0. Speed is not asserted here: benchmarks/run.py measures it.
"""

from __future__ import annotations

import os
import random
import signal
import time
from typing import Any

import pytest
from test_tape import ARRANGEMENTS, SPECIAL, arranged, same
from test_tape_c import compiler  # noqa: F401  (the fixture: needs the C compiler, fails under CI without it)

import autograd.tape.cbackend.build as build_module
import autograd.tape.cbackend.threads as threads_module
from autograd import Tape, Value, dot, record, sum_values
from autograd.ops import OPS
from autograd.tape.cbackend import CTape, Trainer
from autograd.tape.cbackend.build import build
from autograd.tape.cbackend.emit import emit
from nn import MLP, cross_entropy
from nn.update_rules import SGDRule

INF, NAN = float("inf"), float("nan")

#: every arrangement of test_tape except the parameter on both sides, which pushes twice into it
#: (such a tape keeps the scalar driver: test_a_parameter_pushed_twice_keeps_the_scalar_driver)
ONCE = [a for a in ARRANGEMENTS if a != "param, param"]


def run(runner: Tape, params: list[Value], samples: list[Any], lanes: int | None = None, threads: int = 1) -> Any:
    """A batch from gradients of 0.5 (scale 0.5): the losses, extras and every gradient."""
    if isinstance(runner, CTape):
        runner.lanes = lanes if lanes is not None else runner.lanes
        runner.threads = threads
    for p in params:
        p.grad = 0.5
    results = runner.batch(samples, scale=0.5)
    return results, [p.grad for p in params]


def numbers(x: Any) -> list[float]:
    """Every float in a batch's results (losses, or losses and extras), in order."""
    if isinstance(x, (list, tuple)):
        return [y for item in x for y in numbers(item)]
    return [x]


def assert_same(a: Any, b: Any) -> None:
    (results_a, grads_a), (results_b, grads_b) = a, b
    numbers_a, numbers_b = numbers(results_a), numbers(results_b)
    assert len(numbers_a) == len(numbers_b) and all(map(same, numbers_a, numbers_b)), (numbers_a, numbers_b)
    assert len(grads_a) == len(grads_b) and all(map(same, grads_a, grads_b)), (grads_a, grads_b)


def lanes_and_references(ctape: CTape, tape: Tape, params: list[Value], samples: list[Any]) -> None:
    """Lanes (one thread, and two when the batch allows it) against the scalar C driver and the Python replay."""
    width = ctape.lanes
    assert width > 1, "this tape should run its batches in lanes"
    lanes = run(ctape, params, samples, width)
    assert_same(lanes, run(ctape, params, samples, 1))
    assert_same(lanes, run(tape, params, samples))
    assert_same(lanes, run(ctape, params, samples, width, threads=2))
    ctape.lanes = width


# --- every op of the table, on ordinary and special numbers, in every lane ----------------------


@pytest.fixture(scope="module")
def every_op() -> tuple[CTape, Tape, dict[str, list[Value]]]:
    """ONE tape holding every op of the table in every arrangement but the duplicate one: one
    parameter each, all added (so each parameter's gradient depends on its own op only), each
    op's value an extra. One library for the whole table keeps the test fast."""
    params = {name: [Value(0.7, label=f"{name}: {a}") for a in ONCE] for name in sorted(OPS)}

    def fn(x: Any) -> Any:
        values = [arranged(name, a, p, x) for name, ps in params.items() for a, p in zip(ONCE, ps)]
        return sum_values(values), values

    ctape = record(fn, -1.3, backend="c")
    assert isinstance(ctape, CTape)
    return ctape, record(fn, -1.3), params


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_in_lanes_equals_the_scalar_c_driver_and_the_python_replay(
    name: str, every_op: tuple[CTape, Tape, dict[str, list[Value]]]
) -> None:
    ctape, tape, params = every_op
    everyone = [p for ps in params.values() for p in ps]
    mine = params[name]
    points = [v for pair in OPS[name].domain for v in pair] + [2.0, -3.0] + SPECIAL
    samples = [(x,) for x in [1.25, -0.75, 3.5, *SPECIAL, *points[:6]]]  # 13+ samples: every lane, a partial block
    for a in points:
        for p in everyone:
            p.data = 0.3
        for p in mine:
            p.data = a
        lanes = run(ctape, everyone, samples, ctape.lanes)
        assert_same(lanes, run(ctape, everyone, samples, 1))
        assert_same(lanes, run(tape, everyone, samples))


# --- batches of every size, partial blocks, threads ----------------------------------------------


def one_sample_loss(model: MLP) -> Any:
    return lambda x, t: cross_entropy([model(x)], [t])


def samples_of(rng: random.Random, n: int, nin: int, k: int) -> list[tuple[list[float], list[float]]]:
    out = []
    for _ in range(n):
        label = rng.randrange(k)
        out.append(([rng.gauss(0, 2) for _ in range(nin)], [float(j == label) for j in range(k)]))
    return out


@pytest.fixture
def two_threads(monkeypatch: Any) -> None:
    """Let two threads run any batch, whatever its size and the machine's load."""
    monkeypatch.setattr(threads_module, "WORK_PER_THREAD", 0)
    monkeypatch.setattr(threads_module, "WORK_PER_WORKER", 0)
    monkeypatch.setattr(threads_module, "FORCE_THREADS", True)


@pytest.fixture(scope="module")
def mlp_tapes() -> tuple[CTape, Tape, list[Value]]:
    model = MLP(5, [9, 3], seed=4)  # 9 rows: two blocks of the cluster's rows and a row left over
    fn = one_sample_loss(model)
    first = samples_of(random.Random(0), 1, 5, 3)[0]
    ctape = record(fn, *first, backend="c")
    assert isinstance(ctape, CTape)
    # with two threads, the caller waits for the kept worker to join each batch, so that both take
    # tasks even in the small batches of these tests (else the caller often does them all first)
    ctape.library.lib.vg_lanes_wait_for_worker(1)
    return ctape, record(fn, *first), model.parameters()


@pytest.mark.parametrize("n", range(1, 18))
def test_a_batch_of_every_size_is_the_same_in_lanes_in_c_and_in_python(n: int, mlp_tapes: Any, two_threads: None) -> None:
    ctape, tape, params = mlp_tapes
    samples = samples_of(random.Random(n), n, 5, 3)
    lanes_and_references(ctape, tape, params, samples)


def test_special_numbers_in_some_lanes_only_stay_in_their_lanes(mlp_tapes: Any, two_threads: None) -> None:
    # an inf or a nan in one sample makes backward test its partials in that lane only; a sample
    # whose relu units are all off has zero gradients: neither may leak into the other lanes
    ctape, tape, params = mlp_tapes
    rng = random.Random(7)
    samples = samples_of(rng, 11, 5, 3)
    samples[1] = ([INF, 0.0, 1.0, -1.0, 2.0], samples[1][1])
    samples[4] = ([NAN, 0.5, -0.5, 1.0, 1e308], samples[4][1])
    samples[6] = ([-1e300, -1e300, -1e300, -1e300, -1e300], samples[6][1])
    samples[9] = ([0.0, -0.0, 0.0, -0.0, 0.0], samples[9][1])
    lanes_and_references(ctape, tape, params, samples)
    for p in params[:3]:  # parameters holding specials too
        p.data = [INF, NAN, -0.0][params.index(p)]
    try:
        lanes_and_references(ctape, tape, params, samples)
    finally:
        for p, x in zip(params[:3], (0.1, 0.2, 0.3)):
            p.data = x


def test_threads_give_the_bits_of_one_thread_run_after_run(mlp_tapes: Any, two_threads: None) -> None:
    ctape, _, params = mlp_tapes
    samples = samples_of(random.Random(3), 64, 5, 3)
    one = run(ctape, params, samples, ctape.lanes, threads=1)
    for _ in range(5):
        assert_same(one, run(ctape, params, samples, ctape.lanes, threads=2))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork: POSIX only")
def test_a_child_process_forked_while_the_worker_holds_the_pool_trains_on_two_threads(
    mlp_tapes: Any, two_threads: None
) -> None:
    # the kept worker holds the pool's lock for a few instructions around its wait; a fork at that
    # instant copies the lock held, and no thread of the child will ever release it. The child must
    # start from a fresh pool (lanes_driver.h: vgl_pool_in_child), not wait forever.
    ctape, _, params = mlp_tapes
    samples = samples_of(random.Random(8), 40, 5, 3)
    one = run(ctape, params, samples, ctape.lanes, threads=1)
    assert_same(one, run(ctape, params, samples, ctape.lanes, threads=2))  # the worker is started
    lib = ctape.library.lib
    lib.vg_lanes_hold_pool(1)
    try:
        child = os.fork()
        if child == 0:  # the child: a batch on two threads, then out, whatever happens
            status = 1
            try:
                got = run(ctape, params, samples, ctape.lanes, threads=2)
                status = 0 if numbers(got[0]) == numbers(one[0]) and all(map(same, got[1], one[1])) else 2
            finally:
                os._exit(status)
    finally:
        lib.vg_lanes_hold_pool(0)
    deadline = time.monotonic() + 60
    while True:
        done, status = os.waitpid(child, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(child, signal.SIGKILL)
            os.waitpid(child, 0)
            pytest.fail("the forked child's batch on two threads did not finish in 60 s (it waits on the pool's lock)")
        time.sleep(0.05)
    assert os.waitstatus_to_exitcode(status) == 0, "the forked child's batch gave other numbers than one thread"


def test_the_weights_of_an_mlp_are_deferred_and_are_all_its_pushes_into_parameters(mlp_tapes: Any) -> None:
    ctape, _, _ = mlp_tapes
    assert ctape.layout.deferred == 2 and ctape.layout.all_deferred  # two layers: the blocks share nothing


@pytest.mark.parametrize("start", [0.0, -0.0])
def test_a_batch_of_several_chunks_with_special_numbers_in_some_lanes(start: float, mlp_tapes: Any, two_threads: None) -> None:
    # 150 samples: the deferred gradients are added after each chunk of 64 samples (lanes.h:
    # VGL_CHUNK), the last chunk partial and its last block too; some samples hold an inf or a
    # nan (their chunk's sums take masks), some have every relu unit off (zero gradients: no push)
    ctape, tape, params = mlp_tapes
    ordinary = samples_of(random.Random(21), 150, 5, 3)
    for i in (3, 70, 145):
        ordinary[i] = ([-9.0] * 5, ordinary[i][1])  # relu units off
    ordinary[140] = ([-0.0, -0.0, -0.0, -0.0, -0.0], ordinary[140][1])
    special = list(ordinary)  # an inf and a nan in the last chunk only (they spread to the gradients)
    special[131] = ([INF, 1.0, -1.0, 0.5, 2.0], special[131][1])
    special[137] = ([NAN, -0.0, 0.0, 1.0, 1.0], special[137][1])

    def at_start(runner: Tape, samples: list[Any], lanes: int | None = None, threads: int = 1) -> Any:
        if isinstance(runner, CTape):
            runner.lanes = lanes if lanes is not None else runner.lanes
            runner.threads = threads
        for p in params:
            p.grad = start
        return runner.batch(samples, scale=0.5), [p.grad for p in params]

    width = ctape.lanes
    assert width > 1, "this tape should run its batches in lanes"
    for samples in (ordinary, special):
        lanes = at_start(ctape, samples, width)
        assert_same(lanes, at_start(ctape, samples, 1))
        ctape.lanes = width
        assert_same(lanes, at_start(tape, samples))
        for _ in range(3):
            assert_same(lanes, at_start(ctape, samples, width, threads=2))


def test_a_tape_with_pushes_into_parameters_outside_its_layers_defers_only_its_layers(two_threads: None) -> None:
    # a learned scale multiplies the first logit: its gradient is pushed by an op, not by a layer,
    # so the blocks of a batch do share a number, and two threads run as a pipeline (forward ahead)
    model = MLP(5, [9, 3], seed=8)
    scale = Value(0.75)

    def fn(x: Any, t: Any) -> Any:
        z = model(x)
        return cross_entropy([[scale * z[0], *z[1:]]], [t])

    first = samples_of(random.Random(1), 1, 5, 3)[0]
    ctape = record(fn, *first, backend="c")
    assert isinstance(ctape, CTape) and ctape.layout.lanes
    assert ctape.layout.deferred == 2 and not ctape.layout.all_deferred
    params = [*model.parameters(), scale]
    for n in (1, 5, 70, 130):
        samples = samples_of(random.Random(n), n, 5, 3)
        samples[n // 2] = ([-9.0] * 5, samples[n // 2][1])  # relu units off: zero gradients
        lanes_and_references(ctape, record(fn, *first), params, samples)


def test_a_tape_whose_weights_are_not_deferred_still_runs_in_lanes_exactly(two_threads: None) -> None:
    # each weight multiplies its input in an op of its own (no layer: no cluster to defer)
    w = [Value(0.5), Value(-0.25), Value(1.5)]
    fn = lambda x, y: ((w[0] * x).tanh() + (w[1] * y).relu() * w[2] - y) ** 2  # noqa: E731
    ctape = record(fn, 1.0, 2.0, backend="c")
    assert isinstance(ctape, CTape) and ctape.layout.lanes and ctape.layout.deferred == 0
    samples = [(float(i) - 4.0, 0.5 * i) for i in range(75)] + [(INF, 1.0), (1.0, NAN)]
    lanes_and_references(ctape, record(fn, 1.0, 2.0), w, samples)


def test_a_parameter_pushed_twice_keeps_the_scalar_driver() -> None:
    # an L2 penalty reads every weight a second time: lane by lane, the pushes into a weight would
    # come in another order than sample by sample, so this tape's batches run one sample at a time
    w = [Value(0.5), Value(-0.25)]
    fn = lambda x, y: (dot(w, [x, y]).tanh() - y) ** 2 + 1e-3 * dot(w, w)  # noqa: E731
    ctape = record(fn, 1.0, 2.0, backend="c")
    assert isinstance(ctape, CTape) and ctape.lanes == 1 and not ctape.layout.lanes
    samples = [(float(i), float(-i)) for i in range(9)]
    assert_same(run(ctape, w, samples), run(record(fn, 1.0, 2.0), w, samples))


def test_lanes_follow_python_3_12s_compensated_sums_as_the_scalar_driver_does() -> None:
    # a row whose terms cancel: Neumaier's sum keeps what adding left to right loses
    w = [Value(1e16), Value(1.0), Value(-1e16)]
    b = Value(0.5)
    tape = record(lambda x, y, z: (dot(w, [x, y, z]) + b, []), 1.0, 1.0, 1.0)
    layout = emit(tape.plan, compensated=True)
    assert layout.lanes and "#define VG_COMPENSATED 1" in layout.source
    ctape = CTape(tape, layout, build(layout.source))
    samples = [(1.0, float(i), 1.0) for i in range(7)] + [(1e100, 1.0, 1e100), (INF, 1.0, 1.0)]
    params = [*w, b]
    lanes = run(ctape, params, samples, ctape.lanes)
    assert_same(lanes, run(ctape, params, samples, 1))
    assert same(numbers(lanes[0])[1], 1.5)  # 1e16 + 1.0 - 1e16 + 0.5, where adding left to right gives 0.5


def test_a_library_built_for_this_processor_is_cached_for_this_processor_only(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = Value(0.5)
    source = record(lambda x: (w * x).tanh(), 1.0, backend="c").c_source  # a real tape: the cache checks its exports
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    first = build(source)
    assert build(source).cached
    argv = build_module.compiler()
    here = build_module.native(argv)
    if here is None:
        assert "-march=native" not in build_module.flags(argv)
        return
    assert "-march=native" in build_module.flags(argv)
    monkeypatch.setattr(build_module, "native", lambda argv: here + "\n#define __another_processor__ 1")
    other = build(source)
    assert not other.cached and other.path != first.path


def test_a_trainer_on_two_threads_trains_as_on_one(mlp_tapes: Any, two_threads: None) -> None:
    ctape, _, params = mlp_tapes
    start = [p.data for p in params]
    samples = samples_of(random.Random(5), 40, 5, 3)
    finals = []
    for threads in (1, 2):
        for p, x in zip(params, start):
            p.data = x
        trainer = Trainer(params, SGDRule(lr=0.1, momentum=0.9), threads=threads)
        for _ in range(3):
            trainer.step(ctape, samples, scale=1.0 / len(samples))
        trainer.sync()
        finals.append([p.data for p in params])
    for p, x in zip(params, start):
        p.data = x
    assert all(map(same, finals[0], finals[1]))
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            Trainer(params, SGDRule(lr=0.1), threads=bad)


@pytest.mark.usefixtures("compiler")
def test_a_tape_with_guards_keeps_the_one_sample_driver_that_checks_them() -> None:
    """The lane driver checks no guard, so a tape that has guards never gets it: a batch in which
    one sample's decision goes the other way raises, whatever the batch's size, and gives no number."""
    from autograd import GuardError

    w = Value(0.5)

    def fn(x: Any) -> Value:
        return (w * x).tanh() if x > 0 else (w * x * 3.0).tanh()

    tape = record(fn, 1.0, backend="c")
    assert isinstance(tape, CTape) and tape.plan.guards
    assert not tape.layout.lanes
    for size in (1, 2, 5, 9):
        rows = [(1.0 + i,) for i in range(size)]
        rows[size // 2] = (-1.0,)
        w.grad = 0.25
        with pytest.raises(GuardError):
            tape.batch(rows, scale=1.0)
        assert w.grad == 0.25


# --- gradients that start at zero, and the rows' weights pushed by every lane ---------------------


@pytest.mark.parametrize("start", [0.0, -0.0])
def test_gradients_starting_at_zero_or_minus_zero_end_as_in_the_scalar_driver(
    start: float, mlp_tapes: Any, two_threads: None
) -> None:
    # A sample whose relu unit is off gives that unit's row a zero gradient: the scalar code pushes
    # nothing; the deferred sums (vgl_reduce) add x * 0 for it when every sample is finite, which is
    # the same only while the gradient is not -0.0 (they check). Starting at -0.0, a weight that no
    # sample pushes into stays -0.0.
    ctape, tape, params = mlp_tapes
    samples = samples_of(random.Random(11), 13, 5, 3)
    samples[2] = ([-9.0] * 5, samples[2][1])  # relu units off in this sample
    samples[7] = ([0.0] * 5, samples[7][1])

    def at_start(runner: Tape, lanes: int | None = None, threads: int = 1) -> Any:
        if isinstance(runner, CTape):
            runner.lanes = lanes if lanes is not None else runner.lanes
            runner.threads = threads
        for p in params:
            p.grad = start
        return runner.batch(samples, scale=0.5), [p.grad for p in params]

    width = ctape.lanes
    bias = params[5]  # the first hidden unit's (its weights are params[0:5]): off in every sample
    saved = bias.data
    bias.data = -100.0
    try:
        lanes = at_start(ctape, width)
        scalar = at_start(ctape, 1)
        ctape.lanes = width
        assert_same(lanes, scalar)
        assert_same(lanes, at_start(tape))
        assert_same(lanes, at_start(ctape, width, threads=2))
    finally:
        bias.data = saved
    # the case this test is for: the unit's weights got no push at all and kept their start
    assert all(same(g, start) for g in scalar[1][:5])


# --- the Trainer: parameters left in the tape's order, whole epochs in one call -------------------


def trained(params: list[Value], start: list[float], go: Any) -> list[float]:
    for p, x in zip(params, start):
        p.data, p.grad = x, 0.0
    go()
    return [x for p in params for x in (p.data, p.grad)]


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_trainer_epoch_in_one_call_is_the_loop_of_steps_and_nn_sgd(momentum: float, mlp_tapes: Any) -> None:
    """The tape holds the model's parameters in another order than model.parameters() (the order
    the recording met them): plain SGD leaves them there between steps, SGD with momentum (state
    by position) brings them back for each update. Both, and epoch_flat, train as nn.SGD does."""
    from array import array

    from nn import SGD

    ctape, tape, params = mlp_tapes
    assert [id(p) for p in ctape.parameters] != [id(p) for p in params]  # another order: the case tested
    start = [p.data for p in params]
    samples = samples_of(random.Random(9), 23, 5, 3)  # batches of 8, 8 and 7
    flat = array("d", [x for xs, t in samples for x in (*xs, *t)])

    velocities: list[Any] = []

    def python() -> None:
        optimizer = SGD(params, lr=0.1, momentum=momentum, weight_decay=0.01)
        velocities.append(optimizer)
        for first in range(0, len(samples), 8):
            part = samples[first : first + 8]
            optimizer.zero_grad()
            tape.batch(part, scale=1.0 / len(part))
            optimizer.step()

    losses: list[Any] = []
    stepped: list[Any] = []

    def loop() -> None:
        trainer = Trainer(params, SGDRule(lr=0.1, momentum=momentum, weight_decay=0.01))
        for first in range(0, len(samples), 8):
            n = min(8, len(samples) - first)
            stepped.extend(trainer.step_flat(ctape, memoryview(flat)[first * 8 : (first + n) * 8], n, 1.0 / n))
        trainer.sync()

    def epoch() -> None:
        rule = SGDRule(lr=0.1, momentum=momentum, weight_decay=0.01)
        trainer = Trainer(params, rule)
        losses.extend(trainer.epoch_flat(ctape, flat, len(samples), 8))
        trainer.sync()
        velocities.append(rule.velocity)

    try:
        expected = trained(params, start, python)
        assert all(map(same, expected, trained(params, start, loop)))
        assert all(map(same, expected, trained(params, start, epoch)))
        assert len(losses) == len(samples) and all(map(same, losses, stepped))
        # the rule's state is in the order of the trainer's parameters, as the optimizer's
        expected_velocity = velocities[0].state()["velocity"]
        if momentum:
            assert velocities[1] is not None and all(map(same, velocities[1], expected_velocity))
        else:
            assert velocities[1] is None and expected_velocity is None
    finally:
        for p, x in zip(params, start):
            p.data, p.grad = x, 0.0


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_a_trainer_reloaded_from_the_values_trains_as_a_new_trainer(mlp_tapes: Any, momentum: float) -> None:
    # reload() is sync() the other way: the Values' numbers, changed outside, are read again, into
    # the tape that holds the parameters (plain SGD: in the tape's order), or into the trainer's own
    # arrays (momentum: the update brings them back into the trainer's order). The rule keeps its
    # state, so the new trainer to compare with starts from the same velocity.
    ctape, _, params = mlp_tapes
    start = [p.data for p in params]
    samples = samples_of(random.Random(12), 9, 5, 3)
    try:
        rule = SGDRule(lr=0.1, momentum=momentum)
        trainer = Trainer(params, rule)
        trainer.step(ctape, samples, scale=1.0 / 9)  # moves the parameters held in C
        velocity = None if rule.velocity is None else list(rule.velocity)
        for p, x in zip(params, start):
            p.data, p.grad = x, 0.0
        trainer.reload()
        trainer.step(ctape, samples, scale=1.0 / 9)
        trainer.sync()
        reloaded = [x for p in params for x in (p.data, p.grad)]
        for p, x in zip(params, start):
            p.data, p.grad = x, 0.0
        fresh = Trainer(params, SGDRule(lr=0.1, momentum=momentum, velocity=velocity))
        fresh.step(ctape, samples, scale=1.0 / 9)
        fresh.sync()
        assert all(map(same, reloaded, [x for p in params for x in (p.data, p.grad)]))
    finally:
        for p, x in zip(params, start):
            p.data, p.grad = x, 0.0
