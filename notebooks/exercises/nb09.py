"""Checks for notebook 09 (under the hood): graph depth, a tape's Python decisions, batch sizes, anomaly mode."""

from __future__ import annotations

from autograd import AnomalyError, Value, detect_anomaly, record, sum_values
from autograd.graph import topological_order
from nn import MLP, hinge_loss

from . import Wrong, as_number, as_sequence, exercise, present


@exercise(
    "09.1",
    "how deep sum() makes a graph",
    "sum(xs) computes ((0 + x₀) + x₁) + …: one addition node per term, each feeding the next; sum_values records one "
    "n-ary node.",
)
def _(answer):
    chain, fused = as_sequence(answer, 2, "your (op nodes of sum(xs), op nodes of sum_values(xs))")
    xs = [Value(0.001 * i) for i in range(10_000)]
    want_chain = len(topological_order(sum(xs), include_leaves=False))
    want_fused = len(topological_order(sum_values(xs), include_leaves=False))
    if as_number(chain, "the op nodes of sum(xs)") != want_chain:
        raise Wrong(f"sum(xs) does not make {chain} op nodes")
    if as_number(fused, "the op nodes of sum_values(xs)") != want_fused:
        raise Wrong(f"sum_values(xs) does not make {fused} op nodes")
    return f"A chain {want_chain:,} deep: a recursive walk fails on it, while sum_values makes a single node."


@exercise(
    "09.2",
    "where the recorded if goes wrong",
    "The tape kept the branch taken at x = 3, where wx − t = 2 ≥ 0, so it always returns wx − t: wrong wherever "
    "wx − t is negative.",
)
def _(answer):
    present(answer, "your set of x values")
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        raise Wrong(f"the answer should be a set of numbers such as {{-2, 0}}, got {type(answer).__name__}")
    given = {as_number(x, "each x") for x in answer}
    w = Value(1.0)

    def with_if(x, t):
        e = w * x - t
        if e.data >= 0:
            return e
        return -e

    tape = record(with_if, 3.0, 1.0)
    want = {x for x in (-2.0, -1.0, 0.0, 0.5, 1.0, 2.0, 3.0) if tape.forward(x, 1.0) != abs(x - 1.0)}
    if given != want:
        raise Wrong(f"{sorted(given)} is not the set of inputs where the tape is wrong")


@exercise(
    "09.3",
    "a tape and a batch of another size",
    "Run it: record a loss on 32 points, call the tape with 24, and look at type(error).",
)
def _(answer):
    present(answer, "your exception class")
    if not (isinstance(answer, type) and issubclass(answer, BaseException)):
        raise Wrong(f"the answer should be an exception class such as TypeError, got {answer!r}")
    model = MLP(2, [4, 1], seed=0)
    X, Y = [[0.1 * i, 0.2] for i in range(32)], [1.0, -1.0] * 16
    tape = record(lambda xs, ys: hinge_loss([model(x) for x in xs], ys), X, Y)
    try:
        tape(X[:24], Y[:24])
    except Exception as error:  # the error a tape raises for a batch of the wrong size
        raised = error
    else:
        raise Wrong("the check expected an error here")
    if type(raised) is not answer:
        raise Wrong(f"a tape recorded on 32 points does not raise {answer.__name__} for 24")
    return f"The message: {raised}"


@exercise(
    "09.4",
    "which op detect_anomaly names",
    "Go backwards from the output: the square root's local derivative at 0 is inf, and the nan appears where inf meets "
    "a local derivative of 0, in the op below it.",
)
def _(answer):
    first, second = as_sequence(answer, 2, "your pair of op names")
    for given, fn, text in ((first, lambda x: abs(x) ** 0.5, "abs(x) ** 0.5"), (second, lambda x: (x * x) ** 0.5, "(x * x) ** 0.5")):
        present(given, f"the op for {text}")
        try:
            with detect_anomaly():
                fn(Value(0.0)).backward()
        except AnomalyError as error:
            named = str(error).split("op '")[1].split("'")[0]
        else:
            raise Wrong(f"the check expected detect_anomaly() to raise for {text}")
        if given != named:
            raise Wrong(f"for {text}, detect_anomaly() does not name {given!r}")
    return "Neither |x|^½ nor (x²)^½ = |x| has a derivative at 0: the nan is honest."
