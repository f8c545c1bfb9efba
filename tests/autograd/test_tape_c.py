"""autograd.tape's C back end: a tape compiled to C must give the Python replay's numbers, bit for bit.

The reference is the Python replay of the same recording (itself checked against the engine in
test_tape.py), or the engine directly. ``same()`` is ``==`` where nan equals nan and 0.0 differs
from -0.0. Speed is not asserted here: benchmarks/run.py measures it.
"""

from __future__ import annotations

import os
import random
import shlex
import stat
import sysconfig
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from helpers import require_program
from test_tape import ARRANGEMENTS, SPECIAL, arranged, assert_replay_is_exact, micrograd_demo_loss, moons_batch, same

import autograd.tape.codegen as codegen
from autograd import Tape, Value, record, sum_values
from autograd.ops import OPS, Op
from autograd.tape.cbackend import (
    CompileError,
    CompilerWarning,
    CTape,
    ExactnessError,
    MissingFormula,
    Trainer,
)
from autograd.tape.cbackend.build import build, cache_dir
from autograd.tape.cbackend.emit import emit
from nn import MLP, SGD, Adam, cross_entropy, mse_loss
from nn.optim import Optimizer
from nn.update_rules import AdamRule, SGDRule

INF, NAN = float("inf"), float("nan")


@pytest.fixture(autouse=True)
def compiler() -> str:
    """Every test here needs the C compiler Python was built with: skipped without it, failed under CI."""
    if os.environ.get("CC"):
        return require_program(shlex.split(os.environ["CC"])[0])
    return require_program(shlex.split(sysconfig.get_config_var("CC") or "cc")[0])


def both(fn: Callable[..., Any], *args: Any) -> tuple[CTape, Tape]:
    """The same function recorded twice: compiled to C, and for the Python replay."""
    ctape = record(fn, *args, backend="c")
    assert isinstance(ctape, CTape)
    return ctape, record(fn, *args)


def assert_same_replay(ctape: CTape, tape: Tape, params: list[Value], *args: Any) -> Any:
    """Replay both tapes from the same gradients; the losses, extras and every gradient must agree."""
    start = [p.grad for p in params]
    c_result = ctape(*args)
    c_grads = [p.grad for p in params]
    for p, g in zip(params, start):
        p.grad = g
    py_result = tape(*args)
    for i, (p, g) in enumerate(zip(params, c_grads)):
        assert same(g, p.grad), f"parameter {i}: C {g!r}, Python {p.grad!r} (args {args})"
    c_loss, py_loss = (c_result[0], py_result[0]) if isinstance(c_result, tuple) else (c_result, py_result)
    assert same(c_loss, py_loss), (c_loss, py_loss, args)
    if isinstance(c_result, tuple):
        assert all(map(same, c_result[1], py_result[1])), (c_result[1], py_result[1])
    assert same(ctape.forward(*args) if not isinstance(c_result, tuple) else ctape.forward(*args)[0], py_loss)
    return c_result


# --- every op of the table --------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_has_a_c_formula_or_a_linear_layout(name: str) -> None:
    op = OPS[name]
    assert op.c is not None or op.linear is not None, (
        f"op {name!r} has no C formula: give its entry in autograd/ops.py a c= formula (OUT and D(i) from A, B or X(i))"
    )


@pytest.mark.parametrize("name", sorted(OPS))
def test_every_op_in_c_equals_the_python_replay_on_ordinary_and_special_numbers(name: str) -> None:
    # one parameter per arrangement (input, number or constant on either side, the parameter
    # twice), all added: each parameter's gradient depends on its own arrangement only
    ps = [Value(0.7, label=a) for a in ARRANGEMENTS]

    def fn(x: Any) -> Any:
        values = [arranged(name, arrangement, p, x) for arrangement, p in zip(ARRANGEMENTS, ps)]
        return sum_values(values), values

    ctape, tape = both(fn, -1.3)
    points = [v for pair in OPS[name].domain for v in pair] + [2.0, -3.0] + SPECIAL
    for a in points:
        for x in [1.25, *SPECIAL[:5]]:
            for p in ps:
                p.data, p.grad = a, 0.5
            assert_same_replay(ctape, tape, ps, x)


# --- the loops: fused nodes, chains of +, batches ----------------------------------------------


def code_lines(ctape: CTape) -> int:
    """Lines of the generated C without its table of positions (data, not code)."""
    source = ctape.c_source
    start = source.index("static const int32_t I[] = {")
    end = source.index("};", start)
    return len(source[:start].splitlines()) + len(source[end:].splitlines())


def test_a_layer_is_one_loop_so_code_does_not_grow_with_the_weights() -> None:
    sizes = {}
    for nin in (4, 64):
        model = MLP(nin, [8, 3], seed=1)
        rng = random.Random(nin)
        x0 = [rng.uniform(-1, 1) for _ in range(nin)]
        ctape, tape = both(one_sample_loss(model), x0, [0.0, 1.0, 0.0])
        assert "vg_cluster(" in ctape.c_source
        sizes[nin] = (code_lines(ctape), ctape.layout.groups)
        for _ in range(3):
            x = [rng.gauss(0, 2) for _ in range(nin)]
            assert_same_replay(ctape, tape, model.parameters(), x, [0.0, 0.0, 1.0])
    assert sizes[4] == sizes[64]


def test_micrograds_sum_chains_are_fused_in_both_back_ends_and_stay_exact() -> None:
    model = MLP(2, [8, 8, 1], seed=3)
    loss = micrograd_demo_loss(model)
    xs, ys = moons_batch(0)
    ctape, tape = both(loss, xs, ys)
    chains = [s for s in tape.plan.steps if s.kind == "chain"]
    assert sorted(len(s.operands) for s in chains) == [1 + 64, 1 + len(model.parameters())]  # sum() starts at 0
    assert "vg_sums(" in ctape.c_source
    for seed in (1, 2):
        xs, ys = moons_batch(seed)
        assert_replay_is_exact(tape, loss, model.parameters(), xs, ys)
        assert_replay_is_exact(ctape, loss, model.parameters(), xs, ys)


def test_a_chain_adds_in_its_own_order_and_one_read_twice_is_not_fused() -> None:
    w = Value(1.0)

    def fn(x: Any) -> Any:
        chain = 1e16 + w * x + x - 1e16 * w + 3.0 + x + w  # left to right: the order changes the result
        partial = w + x + 2.0
        return chain + partial * partial + (partial + w + x)  # `partial` is read twice: stays a node

    ctape, tape = both(fn, 1.0)
    assert any(s.kind == "chain" for s in tape.plan.steps)
    for x in (1.0, 0.5, -3.0, 1e-16, INF):
        w.grad = 0.0
        assert_replay_is_exact(ctape, fn, [w], x)
        assert_same_replay(ctape, tape, [w], x)


def one_sample_loss(model: MLP) -> Callable[[Any, Any], Value]:
    return lambda x, t: cross_entropy([model(x)], [t])


def batch_of(rng: random.Random, n: int, nin: int = 4, k: int = 3) -> list[tuple[list[float], list[float]]]:
    """``n`` samples: ``nin`` random inputs and a one-hot target of ``k`` classes."""
    samples = []
    for _ in range(n):
        x, label = [rng.gauss(0, 1) for _ in range(nin)], rng.randrange(k)
        samples.append((x, [float(j == label) for j in range(k)]))
    return samples


def test_a_tape_of_one_sample_runs_a_batch_as_the_tape_of_the_whole_batch() -> None:
    model = MLP(4, [6, 3], seed=2)
    params = model.parameters()
    rng = random.Random(0)
    samples = batch_of(rng, 7)
    ctape, tape = both(one_sample_loss(model), *samples[0])
    whole = record(lambda X, T: cross_entropy([model(x) for x in X], T), [s[0] for s in samples], [s[1] for s in samples])
    for batch in (samples, batch_of(rng, 7)):
        n = len(batch)
        results = []
        for runner in (ctape, tape):
            for p in params:
                p.grad = 0.0
            losses = runner.batch(batch, scale=1.0 / n)
            results.append((sum(losses) * (1.0 / n), [p.grad for p in params]))
        for p in params:
            p.grad = 0.0
        expected = (whole([s[0] for s in batch], [s[1] for s in batch]), [p.grad for p in params])
        for loss, grads in results:  # C, Python: the whole batch's loss and gradients, to the bit
            assert same(loss, expected[0])
            assert all(map(same, grads, expected[1]))
    assert len(ctape) == len(tape) < len(whole) / 5


def test_a_batch_accumulates_onto_the_gradients_as_backward_with_a_seed_does() -> None:
    w, b = Value(0.3), Value(-0.1)
    fn = lambda x, y: ((w * x + b).tanh() - y) ** 2  # noqa: E731
    ctape, tape = both(fn, 0.5, 1.0)
    batch = [(0.5, 1.0), (-2.0, 0.0), (INF, 1.0), (3.0, -1.0)]
    for p in (w, b):
        p.grad = 0.25
    for x, y in batch:  # the engine, one sample after the other, each backward seeded with 0.5
        fn(Value(x), Value(y)).backward(0.5)
    expected = [w.grad, b.grad]
    for runner in (ctape, tape):
        w.grad = b.grad = 0.25
        losses = runner.batch(batch, scale=0.5)
        assert [w.grad, b.grad] == expected or all(map(same, [w.grad, b.grad], expected))
        assert same(losses[0], fn(Value(0.5), Value(1.0)).data)


# --- the build: cache, missing compiler, compiler errors, formulas that disagree ------------


def test_a_second_compile_is_a_cache_hit_in_a_private_directory(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    w = Value(2.0)
    first = record(lambda x: (w * x).sigmoid(), 1.0, backend="c")
    second = record(lambda x: (w * x).sigmoid(), 1.0, backend="c")
    assert isinstance(first, CTape) and isinstance(second, CTape)
    assert not first.cached and second.cached
    assert first.library_path == second.library_path and first.library_path.parent == cache_dir()
    folder = tmp_path / "valuegrad" / "tapes"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert first.c_path.read_text(encoding="utf-8").startswith(first.c_source)  # and the digest it exports
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]  # nothing half-written left
    os.chmod(folder, 0o755)  # made public by someone: made private again before it is trusted
    record(lambda x: (w * x).sigmoid(), 1.0, backend="c")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_python_tape_compiles_later_to_the_same_numbers() -> None:
    w = Value(0.25)
    fn = lambda x: (w * x).softplus() * x  # noqa: E731
    tape = record(fn, 2.0)
    ctape = tape.compile()
    assert isinstance(ctape, CTape) and ctape.compile() is ctape and ctape.parameters == [w]
    for x in (2.0, -40.0, 800.0):
        assert_same_replay(ctape, tape, [w], x)


def test_without_a_compiler_the_python_tape_is_used_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "/nonexistent/valuegrad-cc")
    w = Value(2.0)
    with pytest.warns(CompilerWarning, match="no C compiler.*valuegrad-cc.*replays in Python") as warned:
        tape = record(lambda x: w * x, 3.0, backend="c")
    assert len(warned) == 1
    assert type(tape) is Tape and tape(4.0) == 8.0


def test_a_compiler_error_names_the_generated_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("CC", "sh -c 'echo \"tape.c:1: error: something is wrong\" >&2; exit 1' cc")
    w = Value(2.0)
    with pytest.raises(CompileError, match=r"the C compiler failed on the generated tape .*tape-\w+\.c") as info:
        record(lambda x: w * x, 3.0, backend="c")
    assert "something is wrong" in str(info.value)
    path = str(info.value).split("generated tape ")[1].split(" ")[0]
    assert os.path.exists(path)


def test_an_op_without_a_c_formula_is_named() -> None:
    cube = Op("cube", "³", lambda M, a: (a * a * a, (3.0 * a * a,)), 1)
    from autograd import apply

    w = Value(1.5)
    with pytest.raises(MissingFormula, match="op 'cube' has no C formula"):
        record(lambda x: apply(cube, w * x), 2.0, backend="c")


@pytest.mark.parametrize(
    ("c", "message"),
    [
        ("OUT = A * A * A * (1.0 + 1e-15); D(0) = 3.0 * A * A;", r"C code of op 'cube' .* computes"),
        ("OUT = A * A * A; D(0) = 3.0 * A;", r"op 'cube' .* partial ∂/∂operand 0"),
    ],
)
def test_a_c_formula_that_disagrees_with_the_python_one_is_named(c: str, message: str) -> None:
    cube = Op("cube", "³", lambda M, a: (a * a * a, (3.0 * a * a,)), 1, c=c)
    from autograd import apply

    w = Value(1.5)
    with pytest.raises(ExactnessError, match=message):
        record(lambda x: apply(cube, w * x) + w, 2.0, backend="c")


def test_user_ops_with_a_c_formula_compile_with_constants_anywhere() -> None:
    fma = Op("fma", "fma", lambda M, a, b, c: (a * b + c, (b, a, 1.0)), 3, c="OUT = X(0) * X(1) + X(2); D(0) = X(1); D(1) = X(0); D(2) = 1.0;")
    from autograd import apply

    w, v = Value(0.5), Value(-2.0)
    fn = lambda x: apply(fma, w, 3.0, x) + apply(fma, x, v, w) + apply(fma, 2.0, w, 1.0)  # noqa: E731
    ctape, tape = both(fn, 1.0)
    for x in (0.5, -3.0, 0.0, INF):
        assert_same_replay(ctape, tape, [w, v], x)


def test_c_sums_follow_python_3_12s_compensated_sum_when_asked() -> None:
    # Python 3.12 made sum() of floats compensated (Neumaier): the C sums then add the same way
    def neumaier(xs: list[float]) -> float:  # CPython 3.12's builtin sum(xs, 0.0) of floats, transcribed
        hi, lo = 0.0, 0.0
        for x in xs:
            t = hi + x
            lo += (hi - t) + x if abs(hi) >= abs(x) else (x - t) + hi
            hi = t
        return hi + lo if lo and lo - lo == 0.0 else hi

    w = Value(1.0)
    tape = record(lambda x, y: sum_values([w, x, y]), 1.0, 1.0)
    layout = emit(tape.plan, compensated=True)
    assert "#define VG_COMPENSATED 1" in layout.source
    ctape = CTape(tape, layout, build(layout.source))
    for x, y in ((1e16, -1e16), (1e100, 1.0), (3.0, -2.0), (INF, 1.0)):
        loss, _, _ = ctape.run_numbers([x, y], [1.0], None)
        assert same(loss, neumaier([1.0, x, y]))
    assert same(ctape.run_numbers([1e16, -1e16], [1.0], None)[0], 1.0)  # where adding left to right gives 0.0
    assert codegen.SUM_IS_LEFT_TO_RIGHT or "VG_COMPENSATED 1" in record(tape._fn, 1.0, 1.0, backend="c").c_source


# --- training with the parameters in C ---------------------------------------------------------


@pytest.mark.parametrize(
    ("make_optimizer", "make_rule"),
    [
        (lambda ps: SGD(ps, lr=0.1), lambda: SGDRule(lr=0.1)),
        (lambda ps: SGD(ps, lr=0.05, weight_decay=0.01), lambda: SGDRule(lr=0.05, weight_decay=0.01)),
        (lambda ps: SGD(ps, lr=0.05, momentum=0.9), lambda: SGDRule(lr=0.05, momentum=0.9)),
        (lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
         lambda: SGDRule(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
        (lambda ps: Adam(ps, lr=0.01), lambda: AdamRule(lr=0.01)),
        (lambda ps: Adam(ps, lr=0.01, weight_decay=0.1), lambda: AdamRule(lr=0.01, weight_decay=0.1)),
        (lambda ps: Adam(ps, lr=0.01, weight_decay=0.1, decoupled=True),
         lambda: AdamRule(lr=0.01, weight_decay=0.1, decoupled=True)),
    ],
)  # fmt: skip
def test_a_trainer_in_c_trains_as_the_python_tape_and_nn_optim(make_optimizer: Any, make_rule: Any) -> None:
    rng = random.Random(4)
    batches = [batch_of(rng, 5) for _ in range(4)]
    models = [MLP(4, [6, 3], seed=7) for _ in range(2)]
    # Python: a replayed tape of one sample over each batch, then nn.optim's step
    tape = record(one_sample_loss(models[0]), *batches[0][0])
    optimizer = make_optimizer(models[0].parameters())
    py_losses = []
    for batch in batches:
        optimizer.zero_grad()
        py_losses.append(tape.batch(batch, scale=1.0 / len(batch)))
        optimizer.step()
    # C: the same, with the parameters kept in C
    ctape = record(one_sample_loss(models[1]), *batches[0][0], backend="c")
    trainer = Trainer(models[1].parameters(), make_rule())
    c_losses = [trainer.step(ctape, batch, scale=1.0 / len(batch)) for batch in batches]
    before = [p.data for p in models[1].parameters()]
    assert before != [p.data for p in models[0].parameters()]  # the Values wait for sync()
    trainer.sync()
    assert c_losses == py_losses or all(all(map(same, a, b)) for a, b in zip(c_losses, py_losses))
    for p, q in zip(models[0].parameters(), models[1].parameters()):
        assert same(p.data, q.data) and same(p.grad, q.grad)


def test_a_trainer_shares_its_parameters_between_tapes_that_read_some_of_them() -> None:
    # the trainer's parameters are the model's and one more that no tape reads (weight decay moves
    # it all the same); two tapes, of one sample and of two, take turns
    rng = random.Random(6)
    samples = batch_of(rng, 6)
    models = [MLP(4, [5, 3], seed=8) for _ in range(2)]
    extras = [Value(0.5), Value(0.5)]
    py_tapes = [record(one_sample_loss(models[0]), *samples[0]), record(pair_loss(models[0]), *pair(samples[:2]))]
    optimizer = SGD([extras[0], *models[0].parameters()], lr=0.1, momentum=0.9, weight_decay=0.01)
    c_tapes = [record(one_sample_loss(models[1]), *samples[0], backend="c"),
               record(pair_loss(models[1]), *pair(samples[:2]), backend="c")]  # fmt: skip
    trainer = Trainer([extras[1], *models[1].parameters()], SGDRule(lr=0.1, momentum=0.9, weight_decay=0.01))
    for step in range(4):
        which = step % 2
        batch = [tuple(samples[step])] if which == 0 else [pair(samples[step : step + 2])]
        optimizer.zero_grad()
        expected = py_tapes[which].batch(batch)
        optimizer.step()
        assert trainer.step(c_tapes[which], batch) == expected
    trainer.sync()
    for p, q in zip([extras[0], *models[0].parameters()], [extras[1], *models[1].parameters()]):
        assert same(p.data, q.data) and same(p.grad, q.grad)
    assert extras[1].data != 0.5


def pair_loss(model: MLP) -> Callable[[Any, Any], Value]:
    return lambda X, T: cross_entropy([model(x) for x in X], T)


def pair(samples: list[tuple[list[float], list[float]]]) -> tuple[list[list[float]], list[list[float]]]:
    return [s[0] for s in samples], [s[1] for s in samples]


# --- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("backend", "error"), [(3, TypeError), ("cuda", ValueError), ("C", ValueError)])
def test_record_names_a_wrong_backend(backend: Any, error: type) -> None:
    with pytest.raises(error, match=r"record: backend expects 'python' or 'c', got"):
        record(lambda x: x * 2.0, 1.0, backend=backend)


def test_batch_errors_name_the_sample() -> None:
    w = Value(1.0)
    ctape = record(lambda x, y: w * x + y, 1.0, 2.0, backend="c")
    with pytest.raises(TypeError, match="samples expects a list of samples"):
        ctape.batch(5.0)
    with pytest.raises(TypeError, match=r"samples\[1\] expects a tuple of the tape's 2 arguments, got float"):
        ctape.batch([(1.0, 2.0), 3.0])
    with pytest.raises(TypeError, match=r"tape.batch: samples\[0\] expects 2 arguments"):
        ctape.batch([(1.0,)])
    with pytest.raises(TypeError, match="scale expects a real number, got str"):
        ctape.batch([(1.0, 2.0)], scale="1")
    with pytest.raises(ValueError, match="params"):
        Trainer([w], SGDRule(lr=0.1)).run(record(lambda x: Value(3.0) * x, 1.0, backend="c"), [(1.0,)])


# --- fit(backend="c") and `python -m nn train --backend c` ----------------------------------------


def _fit(backend: str, optimizer: Callable[[list[Value]], Any], nouts: list[int], loss: Any, X: Any, y: Any) -> Any:
    from nn import LinearDecay, fit

    model = MLP(len(X[0]), nouts, seed=3)
    opt = optimizer(model.parameters())
    history = fit(model, X, y, loss, opt, 3, 16, progress=False, seed=1, X_val=X[:10], y_val=y[:10], backend=backend,
                  schedule=LinearDecay(opt, 0.1, 0.01, 6))  # fmt: skip
    return history, model, opt


class PlainSGD(Optimizer):
    """An optimizer that is not nn's SGD or Adam: fit's C back end then steps it in Python."""

    def step(self) -> None:
        for p in self.params:
            p.data -= self.lr * p.grad


@pytest.mark.parametrize(
    "optimizer",
    [lambda ps: SGD(ps, lr=0.1, momentum=0.5), lambda ps: Adam(ps, lr=0.05, weight_decay=0.01), lambda ps: PlainSGD(ps, 0.1)],
)
@pytest.mark.parametrize("task", ["binary", "multiclass"])
def test_fit_in_c_trains_exactly_as_fit_replayed_in_python(optimizer: Any, task: str) -> None:
    from nn import binary_cross_entropy
    from nn.data import make_moons, make_spirals

    if task == "binary":  # 60 points in batches of 16: a last batch of 12, a second tape
        (X, y), nouts, loss = make_moons(60, noise=0.1, seed=0), [8, 1], binary_cross_entropy
    else:
        (X, y), nouts, loss = make_spirals(n=60, classes=3, noise=0.1, seed=0), [8, 3], cross_entropy
    py_history, py_model, py_opt = _fit("python", optimizer, nouts, loss, X, y)
    c_history, c_model, c_opt = _fit("c", optimizer, nouts, loss, X, y)
    assert c_history == py_history
    for p, q in zip(py_model.parameters(), c_model.parameters()):
        assert same(p.data, q.data) and same(p.grad, q.grad)
    assert py_opt.state() == c_opt.state()  # the optimizer continues from the same state


def test_fit_in_c_without_a_compiler_trains_in_python_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    """No C compiler: fit(backend="c")'s tapes come back in Python, and the optimizer steps there
    (its state from the update rule it was lent): the same run as backend="python", to the bit."""
    from nn.data import make_moons

    (X, y), adam = make_moons(40, noise=0.1, seed=0), lambda ps: Adam(ps, lr=0.05)
    py_history, py_model, py_opt = _fit("python", adam, [4, 1], mse_loss, X, y)
    monkeypatch.setenv("CC", "/nonexistent/valuegrad-cc")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        c_history, c_model, c_opt = _fit("c", adam, [4, 1], mse_loss, X, y)
    assert {w.category for w in caught} == {CompilerWarning}
    assert c_history == py_history and py_opt.state() == c_opt.state()
    assert [p.data for p in c_model.parameters()] == [p.data for p in py_model.parameters()]


def test_fit_in_c_stops_on_a_diverging_loss_with_the_parameters_of_the_last_good_step() -> None:
    from nn import fit

    X, y = [[1.0], [2.0], [3.0]], [1.0, 2.0, 1e200]
    runs = []
    for backend in ("python", "c"):
        model = MLP(1, [1], seed=0)
        with pytest.raises(FloatingPointError, match="loss became inf"):
            fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1), 5, 1, progress=False, backend=backend)
        runs.append([p.data for p in model.parameters()])
    assert runs[0] == runs[1]


@pytest.mark.parametrize(("backend", "error"), [(3, TypeError), ("cuda", ValueError)])
def test_fit_names_a_wrong_backend(backend: Any, error: type) -> None:
    from nn import fit

    model = MLP(1, [1], seed=0)
    with pytest.raises(error, match=r"fit: backend expects 'python' or 'c', got"):
        fit(model, [[1.0]], [1.0], cross_entropy, SGD(model.parameters(), lr=0.1), 1, progress=False, backend=backend)


def test_the_train_command_in_c_saves_the_model_replayed_in_python(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from nn.__main__ import main

    saved = []
    for flags in (["--backend", "python"], ["--backend", "c"]):
        out = tmp_path / flags[-1]
        args = ["train", "--dataset", "xor", "--samples", "40", "--epochs", "3", "--no-progress", "--out", str(out)]
        assert main([*args, *flags]) == 0
        saved.append(json.loads((out / "model.json").read_text(encoding="utf-8")))
        assert "test accuracy" in capsys.readouterr().out
    assert saved[0] == saved[1]


def test_relu_selects_in_c_as_in_python() -> None:
    """An inf gradient reaching an inactive relu pushes 0 in C too (relu's entry says it selects)."""
    w = Value(1.0)
    fn = lambda x: (w * x).relu() ** 0.5  # noqa: E731
    tape = record(fn, -1.0, backend="c")
    assert tape(-1.0) == 0.0 and w.grad == 0.0
    assert tape(4.0) == 2.0 and w.grad == 1.0  # d/dw √(w·x) = x / (2√(w·x)) = 4 / 4
