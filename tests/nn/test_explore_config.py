"""The explorer's configuration: defaults, the URL query and JSON forms, and errors that name the
key, the value and what was wanted."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from nn.explore.config import ACTIONS, CONTROLS, SETTINGS, Config, schema


def test_every_setting_is_a_field_of_config_and_back() -> None:
    fields = [f.name for f in dataclasses.fields(Config)]
    assert [s.key for s in SETTINGS] + ["lock", "hide"] == fields
    assert set(CONTROLS) == {s.key for s in SETTINGS if s.control} | set(ACTIONS)
    defaults = Config().to_json()
    assert [item["default"] for item in schema()] == [defaults[s.key] for s in SETTINGS if s.control]


def test_the_defaults_are_valid_settings() -> None:
    assert Config.from_mapping(Config().to_json()) == Config()
    assert Config.from_query("") == Config() == Config.from_mapping(None) == Config.from_json("{}")


def test_a_query_and_json_give_the_same_configuration() -> None:
    query = "dataset=spirals&classes=4&hidden=16,8&activation=relu&optimizer=sgd&lr=0.1&momentum=0.5&batch_size=32" \
            "&l2=0.001&noise=0.2&test_size=0.3&samples=300&seed=7&speed=3&grid=40&lock=dataset,hidden,play&hide=seed"
    from_query = Config.from_query("?" + query + "&token=abc", ignore=("token",))
    from_json = Config.from_mapping({
        "dataset": "spirals", "classes": 4, "hidden": [16, 8], "activation": "relu", "optimizer": "sgd", "lr": 0.1,
        "momentum": 0.5, "batch_size": 32, "l2": 0.001, "noise": 0.2, "test_size": 0.3, "samples": 300, "seed": 7,
        "speed": 3, "grid": 40, "lock": ["dataset", "hidden", "play"], "hide": ["seed"],
    })
    assert from_query == from_json
    assert from_query.hidden == (16, 8) and from_query.lock == ("dataset", "hidden", "play")
    assert Config.from_query(from_query.to_query()) == from_query
    assert Config.from_json('{"hidden": []}').hidden == ()
    assert Config.from_query("hidden=").hidden == ()


def test_derived_settings() -> None:
    assert Config(dataset="moons", classes=5).classes_used == 2
    assert Config(dataset="blobs", classes=5).classes_used == 5
    assert Config(activation="relu").init == "he" and Config(activation="tanh").init == "xavier"
    assert Config().replace("lr", 1).lr == 1.0 and isinstance(Config().replace("lr", 1).lr, float)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"lr": 0}, "config: 'lr' expects a number in (0, 10], got 0"),
        ({"lr": "0.1"}, "config: 'lr' expects a number in (0, 10], got '0.1'"),
        ({"lr": float("nan")}, "config: 'lr' expects a number in (0, 10], got nan"),
        ({"samples": 10}, "config: 'samples' expects a whole number in [20, 1000], got 10"),
        ({"samples": 100.0}, "config: 'samples' expects a whole number in [20, 1000], got 100.0"),
        ({"samples": True}, "config: 'samples' expects a whole number in [20, 1000], got True"),
        ({"dataset": "mnist"}, "config: 'dataset' expects one of 'moons', 'circles', 'xor', 'spirals', 'blobs', got 'mnist'"),
        ({"hidden": [8, 0]}, "config: 'hidden' expects a list of at most 6 layer widths, each a whole number in [1, 16], got [8, 0]"),
        ({"hidden": [1] * 7}, "config: 'hidden' expects a list of at most 6 layer widths"),
        ({"hidden": 8}, "config: 'hidden' expects a list of at most 6 layer widths"),
        ({"lock": ["grid"]}, "config: 'lock' expects a list of control names, each one of 'dataset', "),
        ({"hide": "play"}, "config: 'hide' expects a list of control names"),
        ({"lrr": 0.1}, "config: unknown key 'lrr'; the keys are dataset, samples,"),
    ],
)
def test_bad_json_names_the_key_the_value_and_what_was_wanted(given: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        Config.from_mapping(given)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("lr=fast", "config: 'lr' expects a number in (0, 10], got 'fast'"),
        ("lr=inf", "config: 'lr' expects a number in (0, 10], got 'inf'"),
        ("samples=1e3", "config: 'samples' expects a whole number in [20, 1000], got '1e3'"),
        ("hidden=8,x", "config: 'hidden' expects a list of at most 6 layer widths, each a whole number in [1, 16], got '8,x'"),
        ("lock=dataset,everything", "config: 'lock' expects a list of control names"),
        ("lr=0.1&lr=0.2", "config: 'lr' is given twice in the query, with '0.1' and '0.2'"),
        ("token=abc", "config: unknown key 'token'"),
    ],
)
def test_a_bad_query_names_the_key_the_value_and_what_was_wanted(query: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        Config.from_query(query)
    assert str(info.value).startswith(message)


def test_bad_containers_are_refused() -> None:
    with pytest.raises(ValueError, match="config expects a JSON object"):
        Config.from_mapping([("lr", 0.1)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="config: not valid JSON"):
        Config.from_json("{lr: 0.1}")
    with pytest.raises(ValueError, match="unknown key 'grid2'"):
        Config().replace("grid2", 3)
