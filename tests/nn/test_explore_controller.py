"""The explorer's commands (a whitelist, checked field by field, locks enforced), its state parts,
and the training thread."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from nn.explore.config import Config
from nn.explore.controller import CommandError, Controller, json_safe
from nn.explore.runner import Runner

SMALL = Config(samples=40, hidden=(3,), grid=12, speed=2)


@pytest.fixture
def controller() -> Controller:
    return Controller(SMALL)


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ([], "a message expects a JSON object with a 'type', got list"),
        ({}, "message 'type' expects one of 'play', 'pause', 'reset', 'step', 'set', 'weight', 'focus', 'point', "
             "'param', got None"),
        ({"type": "eval", "code": "1"}, "message 'type' expects one of 'play'"),
        ({"type": "play", "now": True}, "'play' message has unknown fields ['now']; it takes none"),
        ({"type": "step", "count": 0}, "'step' message: 'count' expects an int in [1, 1000], got 0"),
        ({"type": "step", "count": True}, "'step' message: 'count' expects an int in [1, 1000], got True"),
        ({"type": "set", "key": "grid", "value": 20}, "'set' message: 'key' expects one of 'activation', "),
        ({"type": "set", "key": "lock", "value": []}, "'set' message: 'key' expects one of"),
        ({"type": "set", "value": 1}, "'set' message needs the field 'key'"),
        ({"type": "set", "key": "lr", "value": -1}, "config: 'lr' expects a number in (0, 10], got -1"),
        ({"type": "weight", "name": "layers.0.neurons.0.w.0", "value": "1"}, "'weight' message: 'value' expects a number"),
        ({"type": "weight", "name": "x", "value": 1.0}, "weight name 'x' is not a parameter of MLP"),
        ({"type": "focus", "neuron": [2, 0]}, "'focus' message: 'neuron' expects null or [layer, neuron] with layer in [0, 1]"),
        ({"type": "focus", "neuron": [0, 3]}, "'focus' message: 'neuron' expects null or [layer, neuron]"),
        ({"type": "point", "split": "valid", "index": 0}, "'point' message: 'split' expects 'train', 'test' or null"),
        ({"type": "point", "split": "test", "index": 10}, "'point' message: 'index' expects an int in [0, 9], got 10"),
        ({"type": "point", "split": "test", "index": 1, "scope": "some"}, "'point' message: 'scope' expects 'top', 'all'"),
        ({"type": "param", "name": "weights"}, "'param' message: 'name' expects null or a parameter name such as"),
    ],
)
def test_a_message_off_the_whitelist_is_refused_with_a_reason(controller: Controller, message: Any, error: str) -> None:
    before = json.dumps(controller.parts({}), sort_keys=True)
    with pytest.raises(CommandError) as info:
        controller.handle(message)
    assert str(info.value).startswith(error)
    assert json.dumps(controller.parts({}), sort_keys=True) == before  # nothing changed


def test_locked_and_hidden_controls_are_refused_whatever_the_page_sends() -> None:
    controller = Controller(SMALL.replace("lock", ["dataset", "play", "weights"]).replace("hide", ["lr", "reset"]))
    for message, error in [
        ({"type": "set", "key": "dataset", "value": "xor"}, "'dataset' is locked by the configuration"),
        ({"type": "set", "key": "lr", "value": 0.1}, "'lr' is hidden by the configuration"),
        ({"type": "play"}, "'play' is locked by the configuration"),
        ({"type": "pause"}, "'play' is locked by the configuration"),
        ({"type": "reset"}, "'reset' is hidden by the configuration"),
        ({"type": "weight", "name": "layers.0.neurons.0.b", "value": 1.0}, "'weights' is locked by the configuration"),
    ]:
        with pytest.raises(CommandError, match=f"^{error}$"):
            controller.handle(message)
    controller.handle({"type": "step", "count": 3})  # what is not locked still works
    controller.handle({"type": "set", "key": "noise", "value": 0.2})
    assert controller.session.step == 0 and controller.config.noise == 0.2


def test_play_advance_step_and_pause(controller: Controller) -> None:
    assert not controller.advance()
    controller.handle({"type": "play"})
    assert controller.advance() and controller.session.step == 2
    controller.handle({"type": "step", "count": 5})
    assert not controller.playing and controller.pending == 5 and controller.session.step == 2
    assert controller.advance() == 5 and controller.session.step == 7 and not controller.busy
    controller.handle({"type": "reset"})
    assert controller.session.step == 0


def test_parts_are_sent_once_per_change(controller: Controller) -> None:
    sent: dict[str, int] = {}
    parts = controller.parts(sent)
    assert set(parts) == {"setup", "frame", "inspect"} and controller.parts(sent) == {}
    setup, frame = parts["setup"], parts["frame"]
    assert setup["sizes"] == [2, 3, 1] and len(setup["train"]["x"]) == 30 and len(setup["names"]) == 13
    assert frame["step"] == 0 and frame["boundary"]["size"] == 12 and len(frame["neurons"]) == 2
    assert frame["weights"][1][0] == [w.data for w in controller.session.model.layers[1].neurons[0].w] + [
        controller.session.model.layers[1].neurons[0].b.data]
    json.dumps(parts, allow_nan=False)
    controller.handle({"type": "step"})
    assert set(controller.parts(sent)) == {"frame"}
    controller.handle({"type": "set", "key": "lr", "value": 0.1})
    assert set(controller.parts(sent)) == {"setup", "frame"}
    controller.handle({"type": "set", "key": "hidden", "value": [2, 2]})
    parts = controller.parts(sent)
    assert set(parts) == {"setup", "frame", "inspect"} and parts["setup"]["sizes"] == [2, 2, 2, 1]


def test_selections_show_in_the_frame_and_go_when_the_model_changes(controller: Controller) -> None:
    name = controller.session.names[-2]  # layers.1.neurons.0.w.2: gone when layer 0 has one neuron
    controller.handle({"type": "focus", "neuron": [0, 2]})
    controller.handle({"type": "param", "name": name})
    frame = controller.parts({})["frame"]
    assert frame["focus"]["neuron"] == [0, 2] and frame["focus"]["size"] == 12
    assert frame["param"]["name"] == name and frame["param"]["history"]["step"] == [0.0]
    controller.handle({"type": "focus", "neuron": None})
    controller.handle({"type": "set", "key": "activation", "value": "relu"})
    frame = controller.parts({})["frame"]
    assert frame["focus"] is None and frame["param"]["name"] == name  # the same names in the new model
    controller.handle({"type": "set", "key": "hidden", "value": [1]})
    assert controller.parts({})["frame"]["param"] is None


def test_a_weight_by_hand_pauses_and_redraws(controller: Controller) -> None:
    controller.handle({"type": "play"})
    before = controller.parts({})["frame"]["boundary"]["pixels"]
    controller.handle({"type": "weight", "name": "layers.1.neurons.0.b", "value": 6.0})
    frame = controller.parts({})["frame"]
    assert not controller.playing and frame["boundary"]["pixels"] != before and frame["weights"][1][0][-1] == 6.0


def test_divergence_pauses_with_a_message(controller: Controller) -> None:
    for p in controller.session.params:
        p.data = 1e308
    controller.handle({"type": "play"})
    controller.advance()
    frame = controller.parts({})["frame"]
    assert not controller.playing and frame["error"].startswith("the loss became")
    json.dumps(frame, allow_nan=False)  # nan and inf became None
    controller.handle({"type": "reset"})
    assert controller.error is None


def test_json_safe() -> None:
    assert json_safe({"a": [1.0, float("-inf"), (2, float("nan"))], "b": "x"}) == {"a": [1.0, None, [2, None]], "b": "x"}


def test_the_runner_trains_on_its_thread_and_publishes_changes() -> None:
    published: list[dict[str, Any]] = []
    reported: list[str] = []
    seen = threading.Event()

    def publish(parts: dict[str, Any]) -> None:
        published.append(parts)
        if "frame" in parts and parts["frame"]["step"] >= 6:
            seen.set()

    runner = Runner(Controller(SMALL), publish, reported.append, interval=0.01)
    runner.start(publish_first=True)
    try:
        assert set(published[0]) == {"setup", "frame", "inspect"}  # the whole state, at once
        runner.command({"type": "play"})
        assert seen.wait(30)
        runner.command({"type": "pause"})
        with pytest.raises(CommandError):
            runner.command({"type": "run"})
        runner.submit({"type": "run"})  # from a page: refused through report, without waiting
        runner.command({"type": "step", "count": 4})  # returns once the steps have run
        step = runner.controller.session.step
        assert published[-1]["frame"]["step"] == step and reported[0].startswith("message 'type' expects one of")
    finally:
        runner.close()
    assert runner.join(10) and runner.closed
    with pytest.raises(CommandError, match="closed"):
        runner.submit({"type": "play"})


def test_runners_take_turns_in_the_order_they_asked() -> None:
    from nn.explore.runner import Turns

    turns, order = Turns(), []
    assert turns.take(lambda: False)  # the first is served at once
    waiting = [threading.Thread(target=lambda k=k: (turns.take(lambda: False), order.append(k), turns.give_back()))
               for k in range(3)]
    for thread in waiting:
        thread.start()
        time.sleep(0.1)  # they queue up in this order
    assert not turns.take(lambda: True)  # a cancelled thread leaves the line without a turn
    turns.give_back()
    for thread in waiting:
        thread.join(10)
    assert order == [0, 1, 2]


def test_a_host_that_is_not_ready_gets_nothing_until_it_is_then_the_latest_state() -> None:
    published: list[dict[str, Any]] = []
    ready = threading.Event()
    runner = Runner(Controller(SMALL), published.append, interval=0.01, ready=ready.is_set)
    runner.start()
    try:
        runner.command({"type": "step", "count": 3})  # the steps run while nothing can be sent
        time.sleep(0.2)
        assert published == [] and runner.controller.session.step == 3
        ready.set()
        runner.wake()
        deadline = time.monotonic() + 20
        while not published:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert set(published[0]) == {"setup", "frame", "inspect"} and published[0]["frame"]["step"] == 3
    finally:
        runner.close()
    assert runner.join(10)
