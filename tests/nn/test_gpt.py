"""nn.gpt and nn.text: the tiny GPT's gradients against finite differences, its two token forms, the tape
against the engine (Python and C), training in C against training in Python, seeded sampling, and errors."""

from __future__ import annotations

import math
import os
import random
import shlex
import sysconfig
import warnings

import pytest
from helpers import FD_ATOL, FD_RTOL, close, numeric_gradient, require_program

from autograd import Value
from nn.gpt import FLOAT_OPS, GPT, VALUE_OPS, Sizes, forward, loss, one_hot
from nn.gpt_training import Training, mean_loss
from nn.text import Vocabulary, windows, zen_of_python

TINY = Sizes(vocab=5, dim=4, heads=2, block=4, hidden=6)


def tokens(seed: int, n: int = TINY.block + 1, vocab: int = TINY.vocab) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(vocab) for _ in range(n)]


def grads(model: GPT) -> list[float]:
    return [p.grad for p in model.parameters()]


def compiler() -> None:
    """The C back end needs the compiler Python was built with (or $CC): skipped without it, failed under CI."""
    text = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    require_program(shlex.split(text)[0])


# --- the model ------------------------------------------------------------------------------------------


def test_sizes_count_the_parameters_and_check_themselves() -> None:
    assert Sizes().n_params() == 4192  # benchmark (f)'s model
    assert Sizes(vocab=32).n_params() == 2 * 32 * 16 + 16 * 16 + 4 * 16 * 16 + 2 * 64 * 16 == 4352
    assert len(GPT(TINY).parameters()) == TINY.n_params()
    with pytest.raises(ValueError, match=r"Sizes: dim expects a multiple of heads=4, got dim=6"):
        Sizes(dim=6, heads=4)
    with pytest.raises(ValueError, match=r"Sizes: block expects a positive int, got 0"):
        Sizes(block=0)
    with pytest.raises(TypeError, match=r"Sizes: vocab expects a positive int, got float 2.5"):
        Sizes(vocab=2.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"GPT: sizes expects a Sizes, got dict"):
        GPT({"vocab": 5})  # type: ignore[arg-type]


def test_the_gradient_of_the_loss_matches_finite_differences() -> None:
    model = GPT(TINY, seed=1)
    params = model.parameters()
    seq = tokens(0)
    model.zero_grad()
    model.loss(seq[:-1], seq[1:]).backward()
    names = list(model.weights)

    def at(point: list[float]) -> float:
        it = iter(point)
        p = {name: [[next(it) for _ in row] for row in model.weights[name]] for name in names}
        return float(loss(TINY, FLOAT_OPS, p, seq[:-1], seq[1:], by_index=True))

    numeric = numeric_gradient(at, [p.data for p in params])
    for i, (p, want) in enumerate(zip(params, numeric)):
        assert close(p.grad, want, FD_RTOL, FD_ATOL), f"parameter {i}: backward {p.grad}, finite difference {want}"
    assert sum(g != 0.0 for g in grads(model)) > 0.9 * len(params)  # every kind of weight takes part


def test_the_float_engine_computes_the_values_numbers() -> None:
    model = GPT(TINY, seed=2)
    seq = tokens(3, TINY.block)
    on_values = forward(TINY, VALUE_OPS, model.weights, seq)
    on_floats = model.logits(seq)
    for row_v, row_f in zip(on_values, on_floats):
        assert all(close(v.data, f, 1e-12, 1e-14) for v, f in zip(row_v, row_f))


def test_causal_attention_the_logits_at_t_do_not_see_later_tokens() -> None:
    model = GPT(TINY, seed=0)
    seq = tokens(4, TINY.block)
    changed = [*seq[:2], (seq[2] + 1) % TINY.vocab, *seq[3:]]
    before, after = model.logits(seq), model.logits(changed)
    assert before[:2] == after[:2] and before[2] != after[2] and before[3] != after[3]
    assert model.logits(seq[:3]) == before[:3]  # a shorter input gives the same first rows


def test_the_one_hot_form_gives_the_by_index_loss_exactly_and_the_same_gradients() -> None:
    """One-hot rows select a row with dot products whose other terms are exact zeros: the same
    numbers to the bit. The gradients reach a shared embedding through other nodes, so they are
    added in another order: equal within rounding."""
    model = GPT(TINY, seed=3)
    for seed in range(4):
        seq = tokens(seed)
        model.zero_grad()
        by_index = model.loss(seq[:-1], seq[1:])
        by_index.backward()
        g_index = grads(model)
        model.zero_grad()
        hot = model.one_hot_loss(one_hot(TINY, seq[:-1]), one_hot(TINY, seq[1:]))
        hot.backward()
        assert hot.data == by_index.data
        assert all(close(a, b, 1e-12, 1e-15) for a, b in zip(grads(model), g_index))


def test_the_replayed_tape_equals_the_engine_on_new_sequences_and_weights() -> None:
    model = GPT(TINY, seed=4)
    tape = model.record()
    assert len(tape.parameters) == TINY.n_params() and set(tape.parameters) == set(model.parameters())
    rng = random.Random(0)
    for seed in range(3):
        for p in model.parameters():  # new weights: a replay reads .data when it runs
            p.data += rng.gauss(0.0, 0.05)
        seq = tokens(10 + seed)
        engine, want = one_hot_reference(model, seq)
        replayed = tape(one_hot(TINY, seq[:-1]), one_hot(TINY, seq[1:]))
        assert replayed == engine.data and grads(model) == want
        assert tape.forward(one_hot(TINY, seq[:-1]), one_hot(TINY, seq[1:])) == engine.data
        assert close(replayed, model.loss(seq[:-1], seq[1:]).data, 1e-15, 0.0)


def one_hot_reference(model: GPT, seq: list[int]) -> tuple[Value, list[float]]:
    """The engine's one-hot loss of ``seq`` and the gradients its backward() gives (the model's
    gradients are zero before and after)."""
    model.zero_grad()
    loss = model.one_hot_loss(one_hot(TINY, seq[:-1]), one_hot(TINY, seq[1:]))
    loss.backward()
    want = grads(model)
    model.zero_grad()
    return loss, want


@pytest.mark.parametrize("backend", ["python", "c"])
def test_the_token_loss_is_the_one_hot_loss_to_the_bit_and_one_tape_serves_every_sequence(backend: str) -> None:
    """token_loss looks tokens up with autograd.take: eagerly on ints, its loss and gradients are
    the one-hot loss's, bit for bit; through autograd.compiled one tape (tokens as its inputs)
    replays sequences it never saw with the engine's numbers."""
    from autograd import compiled

    if backend == "c":
        compiler()
    model = GPT(TINY, seed=11)
    step = compiled(model.token_loss, backend=backend)
    for seed in range(4):
        seq = tokens(30 + seed)
        hot, want = one_hot_reference(model, seq)
        eager = model.token_loss(seq[:-1], seq[1:])
        eager.backward()
        assert eager.data == hot.data and grads(model) == want
        model.zero_grad()
        assert step([float(t) for t in seq[:-1]], [float(t) for t in seq[1:]]) == hot.data and grads(model) == want
    assert step.recordings == 1


def test_the_c_tape_replays_the_python_tapes_numbers() -> None:
    compiler()
    model = GPT(TINY, seed=5)
    python, c = model.record(), model.record(backend="c")
    assert type(c).__name__ == "CTape"
    for seed in range(3):
        seq = tokens(20 + seed)
        args = (one_hot(TINY, seq[:-1]), one_hot(TINY, seq[1:]))
        model.zero_grad()
        want = python(*args), grads(model)
        model.zero_grad()
        assert (c(*args), grads(model)) == want


def test_training_in_c_takes_the_very_steps_of_training_in_python() -> None:
    compiler()
    seqs = [tokens(s) for s in range(12)]
    runs = []
    for backend in ("python", "c"):
        model = GPT(TINY, seed=6)
        training = Training(model, backend, lr=0.05, seed=1)
        history = training.run(seqs, 5, batch_size=4) + training.run(seqs, 5, batch_size=4)
        runs.append((history, [p.data for p in model.parameters()], training.steps))
        assert training.compiled.recordings == 1 and len(training.compiled.tapes) == 1  # one tape, every batch
    assert runs[0] == runs[1]
    history = runs[0][0]
    assert history[-1] < history[0] and runs[0][2] == 10


@pytest.mark.parametrize("backend", ["python", "c"])
def test_training_through_compiled_takes_the_steps_of_a_recorded_tape_to_the_bit(backend: str) -> None:
    """The reference is the loop Training ran before it went through autograd.compiled: one tape
    from model.record(), tape.batch and nn.Adam in Python, a Trainer's step in C; the same
    sequences drawn from the same seed. Losses, every parameter and the held-out loss: equal."""
    from autograd.tape.cbackend import Trainer
    from nn import Adam
    from nn.update_rules import AdamRule

    if backend == "c":
        compiler()
    seqs = [tokens(s) for s in range(10)]
    hot = [(one_hot(TINY, s[:-1]), one_hot(TINY, s[1:])) for s in seqs]
    reference = GPT(TINY, seed=9)
    tape = reference.record(backend=backend)
    rng, want = random.Random(2), []
    if backend == "c":
        trainer = Trainer(reference.parameters(), AdamRule(lr=0.03))
        for _ in range(7):
            want.append(sum(trainer.step(tape, rng.sample(hot, 3), 1.0 / 3)) / 3)
        trainer.sync()
    else:
        adam = Adam(reference.parameters(), lr=0.03)
        for _ in range(7):
            adam.zero_grad()
            want.append(sum(tape.batch(rng.sample(hot, 3), 1.0 / 3)) / 3)
            adam.step()
    model = GPT(TINY, seed=9)
    training = Training(model, backend, lr=0.03, seed=2)
    got = training.run(seqs, 4, batch_size=3) + training.run(seqs, 3, batch_size=3)
    assert got == want
    assert [p.data for p in model.parameters()] == [p.data for p in reference.parameters()]
    assert mean_loss(model, training, seqs) == sum(tape.forward(*h) for h in hot) / len(hot)
    assert type(training.tape) is type(tape)


def test_training_lowers_the_mean_loss_below_the_uniform_guess() -> None:
    model = GPT(TINY, seed=7)
    training = Training(model, lr=0.05, seed=0)
    seqs = [[i % TINY.vocab for i in range(s, s + TINY.block + 1)] for s in range(TINY.vocab)]  # 0 1 2 3 4 0 1 ...
    before = mean_loss(model, training, seqs)
    assert before == mean_loss(model, model.record(), seqs)  # the older form: a tape of the model's own
    assert abs(before - math.log(TINY.vocab)) < 0.05
    training.run(seqs, 60, batch_size=2)
    assert training.mean_loss(seqs) < 0.2 * before


def test_a_tape_given_to_training_still_works_with_a_deprecation_warning() -> None:
    seqs = [tokens(s) for s in range(6)]
    model, other = GPT(TINY, seed=3), GPT(TINY, seed=3)
    with pytest.warns(DeprecationWarning, match=r"Training\(model, tape\): pass the back end instead"):
        old = Training(model, model.record(), lr=0.02, seed=4)
    assert old.backend == "python"
    assert old.run(seqs, 3, batch_size=2) == Training(other, "python", lr=0.02, seed=4).run(seqs, 3, batch_size=2)


def test_sampling_is_seeded_and_deterministic() -> None:
    model = GPT(TINY, seed=8)
    first = model.generate([1, 2], 12, seed=3)
    assert first == model.generate([1, 2], 12, seed=3)
    assert len(first) == 12 and all(0 <= t < TINY.vocab for t in first)
    assert any(model.generate([1, 2], 12, seed=s) != first for s in range(4, 8))
    state = random.getstate()
    model.generate([0], 5, seed=0)
    assert random.getstate() == state  # the global generator is left alone
    cold = model.generate([1], 40, seed=0, temperature=1e-9)  # greedy: every other token has probability 0
    greedy = [1]
    for _ in range(40):
        row = model.logits(greedy[-TINY.block :])[-1]
        greedy.append(row.index(max(row)))
    assert cold == greedy[1:]


def test_errors_name_the_argument_what_it_got_and_what_was_wanted() -> None:
    model = GPT(TINY)
    with pytest.raises(ValueError, match=r"GPT.loss: inputs\[1\] expects a token id from 0 to 4, got 7"):
        model.loss([0, 7], [1, 2])
    with pytest.raises(ValueError, match=r"loss: targets expects one token per input \(2\), got 1"):
        model.loss([0, 1], [1])
    with pytest.raises(ValueError, match=r"loss: inputs expects at least one token, got none"):
        model.loss([], [])
    with pytest.raises(ValueError, match=r"embed: inputs expects at most block=4 tokens, got 5"):
        model.loss([0] * 5, [0] * 5)
    with pytest.raises(TypeError, match=r"GPT.generate: prompt expects a list of token ids, got str"):
        model.generate("ab", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"GPT.generate: temperature expects a number > 0, got 0"):
        model.generate([0], 3, temperature=0)
    with pytest.raises(ValueError, match=r"GPT.generate: length expects an int >= 0, got -1"):
        model.generate([0], -1)
    with pytest.raises(TypeError, match=r"GPT.logits: tokens\[1\] expects a token id \(an int\), got float 1.0"):
        model.logits([0, 1.0])  # type: ignore[list-item]
    with pytest.raises(ValueError, match=r"one_hot: tokens\[0\] expects a token id from 0 to 4, got -1"):
        one_hot(TINY, [-1])
    with pytest.raises(ValueError, match=r"Training.run: batch_size expects at most the 2 sequences given, got 3"):
        Training(model).run([tokens(0), tokens(1)], 1, batch_size=3)
    with pytest.raises(ValueError, match=r"Training.run: sequences\[0\] expects block \+ 1 = 5 tokens, got 4"):
        Training(model).run([tokens(0, 4)], 1, batch_size=1)
    with pytest.raises(TypeError, match=r"Training: backend expects 'python' or 'c', got function"):
        Training(model, lambda: None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"Training: backend expects 'python' or 'c', got 'cuda'"):
        Training(model, "cuda")
    with pytest.raises(TypeError, match=r"mean_loss: training expects a Training \(or a tape from model.record\(\)\), got int"):
        mean_loss(model, 3, [tokens(0)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"mean_loss: training expects the Training of this model"):
        mean_loss(GPT(TINY), Training(model), [tokens(0)])


def test_a_missing_compiler_gives_the_python_tape_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd.tape.cbackend import CompilerWarning

    monkeypatch.setenv("CC", "/nonexistent/valuegrad-cc")
    model = GPT(TINY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tape = model.record(backend="c")
    assert [w.category for w in caught] == [CompilerWarning] and type(tape).__name__ == "Tape"
    seq = tokens(0)
    assert tape.forward(one_hot(TINY, seq[:-1]), one_hot(TINY, seq[1:])) == model.loss(seq[:-1], seq[1:]).data
    seqs = [tokens(s) for s in range(6)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        in_c = Training(model, "c", seed=1)  # its tape replays in Python, and nn.Adam steps there
        history = in_c.run(seqs, 3, batch_size=2)
    assert [w.category for w in caught] == [CompilerWarning] and type(in_c.tape).__name__ == "Tape"
    other = GPT(TINY)
    assert history == Training(other, "python", seed=1).run(seqs, 3, batch_size=2)
    assert [p.data for p in model.parameters()] == [p.data for p in other.parameters()]


def test_a_model_saves_and_loads(tmp_path: pytest.TempPathFactory) -> None:
    model, other = GPT(TINY, seed=0), GPT(TINY, seed=1)
    path = os.path.join(str(tmp_path), "gpt.json")
    model.save(path)
    other.load(path)
    assert other.state_dict() == model.state_dict() and other.architecture()["vocab"] == TINY.vocab


# --- text -----------------------------------------------------------------------------------------------


def test_the_zen_of_python_is_decoded_quietly(capsys: pytest.CaptureFixture[str]) -> None:
    zen = zen_of_python()
    assert zen.startswith("The Zen of Python, by Tim Peters\n\nBeautiful is better than ugly.") and len(zen) == 856
    assert capsys.readouterr().out == ""


def test_a_vocabulary_encodes_decodes_and_names_a_stranger() -> None:
    vocab = Vocabulary("the zen")
    assert vocab.chars == " ehntz" and len(vocab) == 6
    assert vocab.decode(vocab.encode("then")) == "then"
    with pytest.raises(ValueError, match=r"Vocabulary.encode: text\[1\] is 'x', which is not in the vocabulary ' ehntz'"):
        vocab.encode("ex")
    with pytest.raises(ValueError, match=r"Vocabulary.decode: tokens\[0\] expects a token id from 0 to 5, got 6"):
        vocab.decode([6])
    with pytest.raises(ValueError, match=r"Vocabulary: text expects at least one character"):
        Vocabulary("")


def test_windows_overlap_by_all_but_one_token() -> None:
    assert windows([5, 6, 7], 2) == [[5, 6], [6, 7]]
    assert windows(list(range(20)), 17)[-1] == list(range(3, 20))
    with pytest.raises(ValueError, match=r"windows: tokens expects at least length=4 tokens, got 3"):
        windows([1, 2, 3], 4)


def test_values_are_only_made_by_the_graph_path() -> None:
    """The float path (logits, generate) builds no graph: its results are floats, not Values."""
    model = GPT(TINY)
    assert all(type(x) is float for row in model.logits([0, 1]) for x in row)
    assert isinstance(model.loss([0], [1]), Value)
