"""take(rows, i): a lookup by an integer. On the engine it is rows[i] with one node in between;
recorded, its index is an input of the tape, so one tape serves every token, in Python and in C,
equal to the engine bit for bit on tokens never seen at record time."""

from __future__ import annotations

import math
import os
import random
import shlex
import sysconfig
from typing import Any

import pytest
from helpers import (
    require_program,
)

from autograd import GuardError, Value, compiled, dot, logsumexp, record, take
from autograd.tape.cbackend import CTape

VOCAB, WIDTH = 7, 3
RNG = random.Random(5)
WTE = [[Value(RNG.gauss(0.0, 1.0), label=f"wte{t}_{c}") for c in range(WIDTH)] for t in range(VOCAB)]
HEAD = [[Value(RNG.gauss(0.0, 0.5)) for _ in range(WIDTH)] for _ in range(VOCAB)]
PARAMS = [p for row in WTE + HEAD for p in row]


def next_token_loss(tokens: list[Any]) -> Value:
    """A bigram model: each token's embedding, through tanh, predicts the next token."""
    total = Value(0.0, requires_grad=False)
    for here, there in zip(tokens, tokens[1:]):
        h = [e.tanh() for e in take(WTE, here)]
        logits = [dot(row, h) for row in HEAD]
        total = total + logsumexp(logits) - take(logits, there)
    return total * (1.0 / (len(tokens) - 1))


def engine(tokens: list[int]) -> tuple[float, list[float]]:
    for p in PARAMS:
        p.grad = 0.0
    loss = next_token_loss(tokens)
    loss.backward()
    return loss.data, [p.grad for p in PARAMS]


def bits(xs: list[float]) -> list[tuple[bool, float, float]]:
    return [(x != x, 0.0 if x != x else x, math.copysign(1.0, x)) for x in xs]


def test_take_on_the_engine_is_the_chosen_value_and_its_gradient_goes_there_alone() -> None:
    row = take(WTE, Value(2.0))
    assert [v.data for v in row] == [v.data for v in WTE[2]]
    assert all(v.op == "take" and v.parents == (w,) for v, w in zip(row, WTE[2]))
    for p in PARAMS:
        p.grad = 0.0
    (row[0] * 3.0 + row[1]).backward()
    assert [p.grad for p in WTE[2]] == [3.0, 1.0, 0.0]
    assert all(p.grad == 0.0 for r in WTE if r is not WTE[2] for p in r)
    by_int = take(WTE, -1)  # an int makes the same nodes: the same graph as a recorded token's
    assert [v.parents for v in by_int] == [(w,) for w in WTE[-1]] and by_int[0].operands[1] == -1.0
    constants = [Value(1.0, requires_grad=False), Value(2.0, requires_grad=False)]
    assert take(constants, Value(1.0)) is constants[1]  # rows that need no gradient: plain indexing


def test_take_checks_its_arguments() -> None:
    with pytest.raises(IndexError, match=r"take: i expects an integer in \[-7, 7\) \(the rows\), got 7.0"):
        take(WTE, Value(7.0))
    with pytest.raises(IndexError, match="got 1.5"):
        take(WTE, Value(1.5))
    with pytest.raises(TypeError, match="i expects an int or a Value holding one, got str"):
        take(WTE, "1")
    with pytest.raises(TypeError, match="rows expects a list of Values"):
        take("abc", 1)
    with pytest.raises(ValueError, match=r"rows\[1\] expects a row of 2 items"):
        take([[Value(1.0), Value(2.0)], [Value(3.0)]], Value(0.0))


def test_one_tape_serves_every_token_equal_to_the_engine_bit_for_bit(backend: str) -> None:
    tape = record(next_token_loss, [1, 2, 3, 1], backend=backend)
    assert isinstance(tape, CTape) == (backend == "c")
    assert all(g.op == "index" for g in tape.plan.guards)  # only "is the index one": no branch is kept
    rng = random.Random(11)
    for _ in range(12):
        tokens = [rng.randrange(-VOCAB, VOCAB) for _ in range(4)]  # tokens never seen, negative ones too
        expected, grads = engine(tokens)
        for p in PARAMS:
            p.grad = 0.0
        assert bits([tape(tokens)]) == bits([expected])
        assert bits([p.grad for p in PARAMS]) == bits(grads)


def test_a_batch_of_token_sequences_in_one_call(backend: str) -> None:
    tape = record(next_token_loss, [0, 0, 0], backend=backend)
    docs = [[1, 5, 6], [6, 6, 0], [3, 2, 4]]
    for p in PARAMS:
        p.grad = 0.0
    losses = tape.batch([(d,) for d in docs], scale=0.5)
    got = [p.grad for p in PARAMS]
    for p in PARAMS:
        p.grad = 0.0
    expected = []
    for d in docs:
        loss = next_token_loss(d)
        loss.backward(0.5)
        expected.append(loss.data)
    assert bits(losses) == bits(expected) and bits(got) == bits([p.grad for p in PARAMS])


def test_an_index_out_of_range_is_refused_and_changes_nothing(backend: str) -> None:
    tape = record(next_token_loss, [1, 2, 3], backend=backend)
    for p in PARAMS:
        p.grad = 0.25
    for bad in ([1, 7, 3], [1, 2.5, 3], [math.nan, 1, 2], [-8, 1, 1]):
        with pytest.raises(GuardError, match=r"index of the lookup at .*test_take\.py:\d+"):
            tape(bad)
    assert all(p.grad == 0.25 for p in PARAMS)


def test_plain_indexing_by_an_input_records_again_and_take_does_not() -> None:
    def plain(tokens: list[Any]) -> Value:
        return sum((WTE[t][0] * WTE[t][1] for t in tokens), Value(0.0, requires_grad=False))

    def looked_up(tokens: list[Any]) -> Value:
        return sum((e[0] * e[1] for e in (take(WTE, t) for t in tokens)), Value(0.0, requires_grad=False))

    for fn, recordings in ((plain, 3), (looked_up, 1)):
        step = compiled(fn)
        for tokens in ([1, 2], [1, 2], [3, 4], [5, 0]):
            for p in PARAMS:
                p.grad = 0.0
            out = fn(tokens)
            out.backward()
            grads = [p.grad for p in PARAMS]
            for p in PARAMS:
                p.grad = 0.0
            assert step(tokens) == out.data and [p.grad for p in PARAMS] == grads
        assert step.recordings == recordings, fn.__name__


def test_two_chains_of_plus_in_one_c_loop_read_their_own_terms() -> None:
    """The forward loop of a group of fused chains stepped over each chain's terms only, not its
    pushes too, so the second chain of a group read the first one's pushes as its terms (found
    by the microgpt-style program: its attention scores are such chains; the C check refused)."""
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    require_program(shlex.split(cc)[0])
    a = [Value(RNG.gauss(0.0, 1.0)) for _ in range(4)]
    b = [Value(RNG.gauss(0.0, 1.0)) for _ in range(4)]

    def fn(x: Any) -> Value:
        return sum(w * x for w in a) * sum(w * x for w in b)

    tape = record(fn, 0.5, backend="c")  # the C check compares every number with the Python replay
    assert isinstance(tape, CTape)
    assert "vg_sums(v, I + " in tape.c_source and ", 2, 1);" in tape.c_source  # one loop, two chains
    assert tape.forward(1.5) == fn(Value(1.5)).data
