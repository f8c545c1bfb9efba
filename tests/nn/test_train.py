"""nn.train: fit lowers the loss, measures what it claims, and follows the task conventions."""

from __future__ import annotations

import gc
import math
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import hide_module, require

from autograd import Value, is_grad_enabled, sum_values
from nn import MLP, SGD, Adam, LinearDecay, binary_cross_entropy, cross_entropy, hinge_loss, mse_loss
from nn.data import make_moons, make_sine, make_spirals, train_test_split
from nn.train import History, accuracy, evaluate, fit, infer_task, predict


def small_moons() -> tuple[list[list[float]], list[int]]:
    return make_moons(n=60, noise=0.1, seed=0)


def moons_with(i: int, j: int, value: Any) -> list[list[Any]]:
    """small_moons()'s X with the feature X[i][j] replaced by ``value``."""
    X, _ = small_moons()
    X[i][j] = value
    return X


def linear_model(w: list[float], b: float) -> MLP:
    """An MLP with no hidden layer, its weights set by hand: score = w·x + b."""
    model = MLP(len(w), [1], seed=0)
    neuron = model.layers[0].neurons[0]
    for wi, value in zip(neuron.w, w, strict=True):
        wi.data = value
    neuron.b.data = b
    return model


class CountingSGD(SGD):
    """SGD that counts its steps."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


# --- fit -------------------------------------------------------------------------------------


def test_fit_lowers_the_loss_and_learns_moons() -> None:
    X, y = small_moons()
    model = MLP(2, [8, 8, 1], seed=0)
    history = fit(model, X, y, binary_cross_entropy, Adam(model.parameters(), lr=0.05), epochs=40, progress=False)
    assert history.task == "binary"
    assert len(history.loss) == len(history.accuracy) == history.epochs == 40
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert history.accuracy[-1] >= 0.9
    assert history.val_loss == [] and history.val_accuracy == []


def test_the_reported_loss_is_the_mean_over_the_epoch_of_the_batch_losses() -> None:
    """With lr = 0 nothing changes, so each epoch's loss is the full-set loss of the fixed model."""
    X, y = small_moons()
    model = MLP(2, [4, 1], seed=1)
    expected = binary_cross_entropy([model(x) for x in X], y).data
    expected_acc = accuracy(model, X, y)
    optimizer = SGD(model.parameters(), lr=1e-300)
    history = fit(model, X, y, binary_cross_entropy, optimizer, epochs=2, batch_size=7, progress=False)
    assert all(math.isclose(loss, expected, rel_tol=1e-12) for loss in history.loss)
    assert history.accuracy == [expected_acc, expected_acc]


def test_fit_is_deterministic_under_a_seed_and_the_seed_changes_the_shuffling() -> None:
    X, y = small_moons()
    results = []
    for seed in (3, 3, 4):
        model = MLP(2, [6, 1], seed=0)
        fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=3, batch_size=10,
            progress=False, seed=seed)
        results.append([p.data for p in model.parameters()])
    assert results[0] == results[1]
    assert results[0] != results[2]


@pytest.mark.parametrize("batch_size, steps_per_epoch", [(0, 1), (None, 1), (7, 9), (60, 1), (100, 1)])
def test_one_update_per_minibatch(batch_size: int | None, steps_per_epoch: int) -> None:
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    optimizer = CountingSGD(model.parameters(), lr=0.01)
    fit(model, X, y, binary_cross_entropy, optimizer, epochs=2, batch_size=batch_size, progress=False)
    assert optimizer.steps == 2 * steps_per_epoch


def test_schedule_is_stepped_after_every_update() -> None:
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    optimizer = SGD(model.parameters(), lr=1.0)
    schedule = LinearDecay(optimizer, start=0.1, end=0.0, steps=20)
    fit(model, X, y, binary_cross_entropy, optimizer, epochs=2, batch_size=12, progress=False, schedule=schedule)
    assert schedule.k == 10  # 5 batches × 2 epochs
    assert math.isclose(optimizer.lr, 0.05, rel_tol=1e-12)


def test_validation_figures_match_evaluate_on_the_final_model() -> None:
    X, y = small_moons()
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, seed=0)
    model = MLP(2, [8, 1], seed=0)
    history = fit(model, X_tr, y_tr, binary_cross_entropy, Adam(model.parameters(), lr=0.02), epochs=5,
                  X_val=X_te, y_val=y_te, progress=False)
    assert len(history.val_loss) == len(history.val_accuracy) == 5
    loss, acc = evaluate(model, X_te, y_te, binary_cross_entropy)
    assert history.val_loss[-1] == loss and history.val_accuracy[-1] == acc
    manual = binary_cross_entropy([model(x) for x in X_te], y_te).data
    assert math.isclose(loss, manual, rel_tol=1e-12)


def test_multiclass_fit_with_cross_entropy_uses_argmax_accuracy() -> None:
    X, y = make_spirals(n=60, classes=3, noise=0.1, seed=0)
    model = MLP(2, [16, 3], seed=0)
    history = fit(model, X, y, cross_entropy, Adam(model.parameters(), lr=0.05), epochs=30, batch_size=20,
                  progress=False)
    assert history.task == "multiclass"
    assert history.loss[-1] < history.loss[0]
    outputs = [model(x) for x in X]
    argmax = [max(range(3), key=lambda k, o=o: o[k].data) for o in outputs]  # type: ignore[misc]
    assert predict(model, X) == argmax
    assert accuracy(model, X, y) == sum(p == t for p, t in zip(argmax, y, strict=True)) / len(y)


def test_hinge_loss_with_plus_minus_one_labels() -> None:
    X, y01 = small_moons()
    y = [2 * t - 1 for t in y01]
    model = MLP(2, [8, 8, 1], seed=0)
    history = fit(model, X, y, hinge_loss, SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=30, progress=False)
    assert history.task == "binary"
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert accuracy(model, X, y) == accuracy(model, X, y01)  # the two label conventions agree


def test_regression_has_a_loss_and_no_accuracy() -> None:
    X, y = make_sine(n=40, noise=0.0, seed=0)
    model = MLP(1, [8, 1], activation="tanh", seed=0)
    history = fit(model, X, y, mse_loss, Adam(model.parameters(), lr=0.05), epochs=40, progress=False,
                  X_val=X, y_val=y)
    assert history.task == "regression"
    assert history.accuracy == [] and history.val_accuracy == []
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert len(history.val_loss) == 40
    assert evaluate(model, X, y, mse_loss)[1] is None
    with pytest.raises(ValueError, match="accuracy is not defined for regression"):
        accuracy(model, X, y)


def test_callback_sees_each_epoch_and_can_stop_training() -> None:
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    seen: list[tuple[int, int]] = []

    def stop_after_three(epoch: int, history: History) -> bool:
        seen.append((epoch, history.epochs))
        return epoch == 2

    history = fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.01), epochs=10, progress=False,
                  callback=stop_after_three)
    assert seen == [(0, 1), (1, 2), (2, 3)]
    assert history.epochs == 3


def test_a_non_finite_loss_stops_training_with_a_clear_error() -> None:
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)

    def broken(outputs: list[Value], targets: list[int]) -> Value:
        return sum_values(outputs) * float("nan")

    before = [p.data for p in model.parameters()]
    with pytest.raises(FloatingPointError, match="loss became nan at epoch 1, batch 1"):
        fit(model, X, y, broken, SGD(model.parameters(), lr=0.1), epochs=3, progress=False)
    assert [p.data for p in model.parameters()] == before  # no step was taken with the nan loss


def test_progress_bar_shows_loss_and_accuracy(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "2/2" in err and "loss=" in err and "acc=" in err


def test_progress_without_tqdm_trains_without_a_bar(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hide_module(monkeypatch, "tqdm")
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    history = fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2, progress=True)
    assert history.epochs == 2
    assert capsys.readouterr().err == ""


def test_no_progress_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    fit(model, X, y, binary_cross_entropy, SGD(model.parameters(), lr=0.1), epochs=2, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        ({"epochs": 0}, ValueError, "epochs must be >= 1, got 0"),
        ({"epochs": 1.5}, TypeError, "epochs expects an int"),
        ({"batch_size": -2}, ValueError, "batch_size must be >= 0"),
        ({"y": [0, 1]}, ValueError, "X and y must have the same length, got 60 samples and 2 labels"),
        ({"X": []}, ValueError, "X must not be empty"),
        ({"X": "abc"}, TypeError, "X expects a sequence of samples"),
        ({"task": "binary", "y": [0.5] * 60}, ValueError, r"expects labels 0/1 or -1/\+1, got 0.5 at y\[0\]"),
        ({"task": "classify"}, ValueError, "task expects one of 'binary', 'multiclass', 'regression'"),
        ({"task": "multiclass"}, ValueError, "task 'multiclass' needs a model with 2 or more outputs"),
        ({"X_val": [[0.0, 0.0]]}, ValueError, "X_val and y_val go together"),
        ({"X_val": [[0.0, 0.0]], "y_val": [3]}, ValueError, r"got 3 at y_val\[0\]"),
        ({"loss": lambda o, t: 1.0}, TypeError, "loss must return a Value"),
        ({"loss": "bce"}, TypeError, "loss expects a function"),
        ({"optimizer": object()}, TypeError, "optimizer expects an object with zero_grad"),
        ({"seed": None}, TypeError, "seed expects an int"),
        ({"X": moons_with(7, 1, math.nan)}, ValueError, r"^X\[7\]\[1\] \(sample 7, feature 1\) is nan: every number"),
        ({"X": moons_with(59, 0, math.inf)}, ValueError, r"^X\[59\]\[0\] \(sample 59, feature 0\) is inf"),
        ({"X": moons_with(0, 1, -math.inf)}, ValueError, r"^X\[0\]\[1\] \(sample 0, feature 1\) is -inf"),
        ({"X": moons_with(3, 0, Value(math.nan))}, ValueError, r"^X\[3\]\[0\] \(sample 3, feature 0\) is nan"),
        ({"X": moons_with(3, 0, 10**400)}, ValueError, r"^X\[3\]\[0\] \(sample 3, feature 0\) is an int too large"),
        ({"X": moons_with(3, 1, "0.5")}, TypeError, r"^X\[3\]\[1\] \(sample 3, feature 1\) expects a number, got str"),
        ({"X": moons_with(3, 1, None)}, TypeError, r"^X\[3\]\[1\] .* expects a number, got NoneType"),
        ({"X_val": [[0.0, 0.0], [1.0, math.nan]], "y_val": [0, 1]}, ValueError, r"^X_val\[1\]\[1\] \(sample 1, feature 1\) is nan"),
        ({"y": [math.nan] * 60}, ValueError, r"^y\[0\] \(the target of sample 0\) is nan"),  # inferred: regression
        ({"task": "binary", "y": [0] * 59 + [math.nan]}, ValueError, r"expects labels 0/1 or -1/\+1, got nan at y\[59\]"),
        ({"task": "regression", "y": [0.5] * 59 + [math.nan]}, ValueError, r"^y\[59\] \(the target of sample 59\) is nan"),
        ({"task": "regression", "y": [math.inf] + [0.5] * 59}, ValueError, r"^y\[0\] \(the target of sample 0\) is inf"),
        ({"task": "regression", "y": ["a"] * 60}, TypeError, r"^y\[0\] \(the target of sample 0\) expects a number"),
        ({"task": "regression", "X_val": [[0.0, 0.0]], "y_val": [-math.inf]}, ValueError, r"^y_val\[0\] .* is -inf"),
        ({"backend": "python", "X": moons_with(7, 1, math.nan)}, ValueError, r"^X\[7\]\[1\] \(sample 7, feature 1\) is nan"),
    ],
)
def test_fit_rejects_bad_arguments_naming_them(kwargs: dict[str, Any], error: type[Exception], words: str) -> None:
    """One row per bad argument; the model's parameters must be exactly as they were."""
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    call: dict[str, Any] = {
        "model": model, "X": X, "y": y, "loss": binary_cross_entropy,
        "optimizer": SGD(model.parameters(), lr=0.1), "epochs": 1, "progress": False,
    }
    call.update(kwargs)
    with pytest.raises(error, match=words):
        fit(**call)
    assert [p.data for p in model.parameters()] == before


@pytest.mark.parametrize("entry", ["predict", "accuracy", "evaluate"])
@pytest.mark.parametrize(
    "X, y, error, words",
    [
        ([[0.0, 1.0], [math.nan, 0.0]], [0, 1], ValueError, r"^X\[1\]\[0\] \(sample 1, feature 0\) is nan"),
        ([[0.0, -math.inf]], [0], ValueError, r"^X\[0\]\[1\] \(sample 0, feature 1\) is -inf"),
        ([[0.0, "1"]], [0], TypeError, r"^X\[0\]\[1\] \(sample 0, feature 1\) expects a number, got str"),
    ],
)
def test_predict_accuracy_and_evaluate_reject_data_that_is_not_finite(
    entry: str, X: list[list[Any]], y: list[int], error: type[Exception], words: str
) -> None:
    model = MLP(2, [3, 1], seed=0)
    calls: dict[str, Callable[[], object]] = {
        "predict": lambda: predict(model, X),
        "accuracy": lambda: accuracy(model, X, y),
        "evaluate": lambda: evaluate(model, X, y, binary_cross_entropy),
    }
    with pytest.raises(error, match=words):
        calls[entry]()


def test_multiclass_labels_must_be_class_indices() -> None:
    model = MLP(2, [3], seed=0)
    with pytest.raises(ValueError, match=r"int labels in \[0, 2\], got 3 at y\[1\]"):
        accuracy(model, [[0.0, 0.0], [1.0, 1.0]], [0, 3])


# --- predict, accuracy, task inference -------------------------------------------------------


def test_binary_predictions_threshold_the_score_at_zero() -> None:
    model = linear_model([1.0, -1.0], 0.0)  # score = x1 - x2
    X = [[2.0, 1.0], [0.0, 3.0], [1.0, 1.0], [-1.0, -3.0]]
    assert predict(model, X) == [1, 0, 0, 1]  # a score of exactly 0 is negative
    assert accuracy(model, X, [1, 0, 1, 1]) == 0.75
    assert accuracy(model, X, [1, -1, 1, 1]) == 0.75
    assert predict(model, X, task="regression") == [1.0, -3.0, 0.0, 2.0]


def test_multiclass_argmax_takes_the_first_on_ties() -> None:
    model = MLP(1, [3], seed=0)
    for k, neuron in enumerate(model.layers[0].neurons):
        neuron.w[0].data = 0.0
        neuron.b.data = [1.0, 2.0, 2.0][k]
    assert predict(model, [[5.0]]) == [1]


def test_predict_accuracy_and_evaluate_build_no_graph() -> None:
    seen: list[bool] = []
    inner = linear_model([1.0], 0.0)

    def model(x: Any) -> Value:
        seen.append(is_grad_enabled())
        return inner(x)

    predict(model, [[1.0], [-1.0]])
    accuracy(model, [[1.0]], [1])
    evaluate(model, [[1.0]], [1], binary_cross_entropy)
    assert seen and not any(seen)
    assert is_grad_enabled()


def test_predict_rejects_a_task_that_does_not_fit_the_model() -> None:
    with pytest.raises(ValueError, match="task 'multiclass' does not fit a model with 1 output"):
        predict(linear_model([1.0], 0.0), [[1.0]], task="multiclass")
    with pytest.raises(TypeError, match="the model must return a Value or a list of Values"):
        predict(lambda x: 3.0, [[1.0]])


@pytest.mark.parametrize(
    "n_outputs, labels, task",
    [
        (1, [0, 1, 1], "binary"),
        (1, [1.0, 0.0], "binary"),
        (1, [-1, 1], "binary"),
        (1, [1, 1], "binary"),
        (1, [0, 1, 2], "regression"),
        (1, [0.5], "regression"),
        (1, [-1, 0, 1], "regression"),
        (4, [0, 3], "multiclass"),
    ],
)
def test_infer_task(n_outputs: int, labels: list[Any], task: str) -> None:
    assert infer_task(n_outputs, labels) == task


def test_fit_accepts_any_callable_model() -> None:
    """fit needs only model(x) and an optimizer over the parameters: here a hand-made line."""
    w, b = Value(0.0), Value(0.0)
    line: Callable[[Any], Value] = lambda x: w * x[0] + b
    X = [[float(i) / 10] for i in range(-10, 11)]
    y = [3.0 * x[0] - 1.0 for x in X]
    history = fit(line, X, y, mse_loss, SGD([w, b], lr=0.3), epochs=200, progress=False)
    assert history.task == "regression"
    assert abs(w.data - 3.0) < 1e-6 and abs(b.data + 1.0) < 1e-6


# --- plots -----------------------------------------------------------------------------------

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plot_history_draws_one_panel_for_regression_and_two_for_classification(tmp_path: Path) -> None:
    require("matplotlib")
    from nn.plots import plot_history

    regression = History(task="regression", loss=[1.0, 0.5, 0.25], val_loss=[1.1, 0.6, 0.3])
    classification = History(task="binary", loss=[1.0, 0.5], accuracy=[0.5, 0.9])
    assert len(plot_history(regression).axes) == 1
    fig = plot_history(classification, tmp_path / "h.png", title="t")
    assert len(fig.axes) == 2
    assert (tmp_path / "h.png").read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ValueError, match="the history is empty"):
        plot_history(History(task="binary"))
    with pytest.raises(TypeError, match="history expects the History returned by fit"):
        plot_history([1.0, 0.5])  # type: ignore[arg-type]


def test_plot_decision_boundary_for_two_and_three_classes(tmp_path: Path) -> None:
    require("matplotlib")
    from nn.plots import plot_decision_boundary

    X, y = make_spirals(n=30, classes=3, seed=0)
    fig = plot_decision_boundary(MLP(2, [4, 3], seed=0), X, y, tmp_path / "b3.png", resolution=10)
    assert (tmp_path / "b3.png").read_bytes()[:8] == PNG_MAGIC and len(fig.axes) == 1
    model = linear_model([1.0, -1.0], 0.0)
    plot_decision_boundary(model, [[0.0, 1.0], [1.0, 0.0]], [-1, 1], tmp_path / "b2.png", resolution=5)
    assert (tmp_path / "b2.png").read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ValueError, match="resolution must be an int >= 2"):
        plot_decision_boundary(model, [[0.0, 1.0]], [1], resolution=1)


@pytest.mark.parametrize(
    "X, y, error, words",
    [
        ([[0.0, 0.0], [math.nan, 1.0]], [0, 1], ValueError, r"X\[1\]\[0\] \(sample 1, feature 0\) is nan"),
        ([[0.0, 0.0], [1.0, math.inf]], [0, 1], ValueError, r"X\[1\]\[1\] \(sample 1, feature 1\) is inf"),
        ([[0.0, "a"]], [0], TypeError, r"X\[0\]\[1\] \(sample 0, feature 1\) expects a number, got str"),
        ([], [], ValueError, "X must not be empty"),
        ([[0.0, 1.0, 2.0]], [1], ValueError, "needs 2-D samples"),
        ([[0.0, 1.0]], [1, 0], ValueError, "X and y must have the same length, got 1 and 2"),
    ],
)
def test_plot_decision_boundary_rejects_bad_samples_naming_them(
    tmp_path: Path, X: list[list[Any]], y: list[int], error: type[Exception], words: str
) -> None:
    """A nan drew an empty picture, an inf failed inside matplotlib: both are named now, and nothing is written."""
    require("matplotlib")
    from nn.plots import plot_decision_boundary

    with pytest.raises(error, match="^plot_decision_boundary: .*" + words):
        plot_decision_boundary(linear_model([1.0, -1.0], 0.0), X, y, tmp_path / "b.png", resolution=5)
    assert list(tmp_path.iterdir()) == []


def test_confusion_matrix_counts_and_plot(tmp_path: Path) -> None:
    require("matplotlib")
    from nn.plots import confusion_matrix, plot_confusion

    assert confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2]) == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert confusion_matrix([0], [0], classes=3) == [[1, 0, 0], [0, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match="same length"):
        confusion_matrix([0, 1], [0])
    with pytest.raises(ValueError, match=r"class indices \(ints >= 0\), got -1 at y_pred\[0\]"):
        confusion_matrix([0], [-1])
    plot_confusion([0, 1, 1], [0, 1, 0], tmp_path / "c.png", classes=2)
    assert (tmp_path / "c.png").read_bytes()[:8] == PNG_MAGIC


# --- backend="python": the same training on recorded tapes ---------------------------------------------


def _train(replay: bool, loss: Any, X: Any, y: Any, nouts: list[int], batch_size: int | None, epochs: int = 4) -> Any:
    model = MLP(len(X[0]), nouts, seed=3)
    history = fit(model, X, y, loss, SGD(model.parameters(), lr=0.1, momentum=0.5), epochs, batch_size,
                  progress=False, seed=1, X_val=X[:10], y_val=y[:10], backend="python" if replay else None)
    return history, [p.data for p in model.parameters()]


@pytest.mark.parametrize("loss,labels", [(hinge_loss, "pm1"), (binary_cross_entropy, "01"), (mse_loss, "real")])
@pytest.mark.parametrize("batch_size", [None, 16])  # 60 points: 16 leaves a last batch of 12, a second tape
def test_replay_trains_exactly_as_the_normal_loop(loss: Any, labels: str, batch_size: int | None) -> None:
    X, y01 = small_moons()
    y: list[Any] = {"pm1": [2 * t - 1 for t in y01], "01": y01, "real": [0.5 * t - x[0] for t, x in zip(y01, X)]}[labels]
    normal, normal_weights = _train(False, loss, X, y, [8, 1], batch_size)
    replayed, replayed_weights = _train(True, loss, X, y, [8, 1], batch_size)
    assert replayed_weights == normal_weights  # every step the same, to the last bit
    assert (replayed.loss, replayed.accuracy, replayed.val_loss) == (normal.loss, normal.accuracy, normal.val_loss)


def test_replay_of_a_multiclass_fit_gives_one_hot_targets_and_trains_alike() -> None:
    X, y = make_spirals(n=60, classes=3, noise=0.1, seed=0)
    normal, normal_weights = _train(False, cross_entropy, X, y, [8, 3], 12)
    replayed, replayed_weights = _train(True, cross_entropy, X, y, [8, 3], 12)
    # one-hot targets give the class index's losses, but another graph shape, so rounding differs
    assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(replayed.loss, normal.loss, strict=True))
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(replayed_weights, normal_weights))
    assert replayed.accuracy == normal.accuracy


def test_replay_names_itself_when_the_step_cannot_be_recorded() -> None:
    X, y = make_spirals(n=15, classes=3, noise=0.1, seed=0)
    model = MLP(2, [4, 3], seed=0)

    def picky_loss(outputs: list[Any], labels: list[Any]) -> Value:  # indexes with the labels
        return sum_values([-out[t] for out, t in zip(outputs, labels)])

    with pytest.raises(TypeError, match=r"fit\(backend='python'\) could not record the training step \(for 'multiclass'"):
        fit(model, X, y, picky_loss, SGD(model.parameters(), lr=0.1), 1, progress=False, backend="python")
    with pytest.raises(ValueError, match=r"backend"):
        fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=0.1), 1, progress=False, backend="yes")
    with pytest.raises(TypeError, match=r"replay"):  # folded into backend: replay=True was backend="python"
        fit(model, X, y, cross_entropy, SGD(model.parameters(), lr=0.1), 1, progress=False, replay=True)  # type: ignore[call-arg]


# --- the collector during training -----------------------------------------------------------


class RecordingSGD(SGD):
    """SGD that notes whether the cyclic collector was on at each step."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.collector: list[bool] = []

    def step(self) -> None:
        self.collector.append(gc.isenabled())
        super().step()


@pytest.mark.parametrize("replay", [False, True])
def test_fit_pauses_the_collector_in_each_step(replay: bool) -> None:
    X, y = small_moons()
    model = MLP(2, [4, 1], seed=0)
    optimizer = RecordingSGD(model.parameters(), lr=0.1)
    in_loss: list[bool] = []

    def loss(outputs: list[Value], targets: list[int]) -> Value:
        in_loss.append(gc.isenabled())
        return binary_cross_entropy(outputs, targets)

    seen_in_callback: list[bool] = []
    gc.enable()
    fit(model, X, y, loss, optimizer, epochs=2, batch_size=16, progress=False, backend="python" if replay else None,
        callback=lambda epoch, history: seen_in_callback.append(gc.isenabled()))
    assert gc.isenabled()
    assert optimizer.collector == [False] * 8  # 2 epochs of 4 batches (16, 16, 16, 12)
    # the loss only runs inside steps (where a tape is recorded, once per batch size, too)
    assert len(in_loss) == (2 if replay else 8) and not any(in_loss)
    assert seen_in_callback == [True, True]  # the user's callback runs with the collector as it was


@pytest.mark.parametrize("replay", [False, True])
def test_fit_frees_every_graph_by_reference_counting_and_leaves_a_collector_that_was_off_off(replay: bool) -> None:
    """With the collector off throughout, a graph that is gone was freed by reference counting:
    each step's graph when the step ends, and the recorded tapes' graphs when fit returns."""
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)
    graphs: list[weakref.ref[Value]] = []
    alive_at_step: list[int] = []

    def loss(outputs: list[Value], targets: list[int]) -> Value:
        alive_at_step.append(sum(ref() is not None for ref in graphs))
        value = binary_cross_entropy(outputs, targets)
        graphs.append(weakref.ref(value))
        return value

    gc.disable()
    try:
        fit(model, X, y, loss, SGD(model.parameters(), lr=0.1), epochs=2, batch_size=16, progress=False,
            backend="python" if replay else None)
        assert not gc.isenabled()
        if not replay:
            assert alive_at_step == [0] * 8  # the last step's graph is gone when the next begins
        assert len(graphs) == (2 if replay else 8) and all(ref() is None for ref in graphs)
    finally:
        gc.enable()


def test_fit_turns_the_collector_back_on_when_training_diverges() -> None:
    X, y = small_moons()
    model = MLP(2, [3, 1], seed=0)

    def broken(outputs: list[Value], targets: list[int]) -> Value:
        return sum_values(outputs) * float("nan")

    gc.enable()
    with pytest.raises(FloatingPointError):
        fit(model, X, y, broken, SGD(model.parameters(), lr=0.1), epochs=1, progress=False)
    assert gc.isenabled()
