"""Module: parameter discovery, state dicts, and atomic, validated JSON save/load."""

from __future__ import annotations

import json
import os
import re
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import pytest

from autograd import Value, sum_values
from nn import MLP, Module
from nn.explore.command import read_config
from nn.modelfile import MAX_BYTES
from nn.module import FORMAT, VERSION

INPUTS = [[0.5, -1.0], [2.0, 0.25], [-3.0, 1.5]]


def _predictions(model: MLP) -> list[float]:
    return [model(x).data for x in INPUTS]


def _snapshot(model: Module) -> list[float]:
    return [p.data for p in model.parameters()]


# --- parameters ---


class Custom(Module):
    def __init__(self) -> None:
        self.scale = Value(2.0)
        self.blocks = [MLP(1, [2, 1], seed=0), MLP(1, [1], seed=1)]
        self.table = {"a": Value(1.0), "b": (Value(3.0), 4.0)}
        self.alias = self.scale  # the same Value again: listed once
        self._cache = Value(9.0)  # private: not a parameter
        self.name = "custom"

    def __call__(self, x: float) -> Value:
        return self.scale * x


def test_generic_parameter_discovery_names_order_and_no_duplicates():
    m = Custom()
    names = [n for n, _ in m.named_parameters()]
    assert names[0] == "scale"
    assert names[1:5] == [
        "blocks.0.layers.0.neurons.0.w.0",
        "blocks.0.layers.0.neurons.0.b",
        "blocks.0.layers.0.neurons.1.w.0",
        "blocks.0.layers.0.neurons.1.b",
    ]
    assert names[-3:] == ["blocks.1.layers.0.neurons.0.b", "table.a", "table.b.0"]
    assert "alias" not in names and "_cache" not in names
    params = m.parameters()
    assert len(params) == len({id(p) for p in params}) == 1 + 7 + 2 + 2
    assert params[0] is m.scale


def test_a_module_that_contains_itself_is_walked_once():
    m = Custom()
    m.blocks.append(m)  # type: ignore[arg-type]
    assert len(m.parameters()) == 12


def test_state_dict_is_plain_floats_keyed_by_name():
    model = MLP(2, [3, 1], seed=0)
    state = model.state_dict()
    assert list(state) == [n for n, _ in model.named_parameters()]
    assert all(type(v) is float for v in state.values())
    assert state["layers.0.neurons.1.w.0"] == model.layers[0].neurons[1].w[0].data


def test_load_state_dict_round_trip():
    a, b = MLP(2, [4, 1], seed=0), MLP(2, [4, 1], seed=1)
    assert _predictions(a) != _predictions(b)
    b.load_state_dict(a.state_dict())
    assert _predictions(a) == _predictions(b)


def test_load_state_dict_accepts_ints():
    model = MLP(1, [1], seed=0)
    model.load_state_dict({"layers.0.neurons.0.w.0": 2, "layers.0.neurons.0.b": -1})
    assert model(3.0).data == 5.0


LAST = "layers.1.neurons.0.b"  # MLP(2, [3, 1])'s last parameter: every other one would be set before it


def _state_with(changes: dict[str, object], drop: tuple[str, ...] = ()) -> Callable[[dict], object]:
    """A state maker for the table: the model's state, every value moved by +1, then ``changes``."""

    def make(state: dict) -> object:
        out: dict[str, object] = {k: v + 1.0 for k, v in state.items() if k not in drop}
        out.update(changes)
        return out

    return make


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (_state_with({"layers.9.neurons.0.b": 0.0}, drop=(LAST,)), ValueError,
         rf"missing keys '{LAST}'.*unexpected keys 'layers.9.neurons.0.b'"),
        (_state_with({}, drop=(LAST,)), ValueError, rf"13 parameters expected, the state has 12: missing keys '{LAST}'"),
        (_state_with({LAST: "1.0"}), ValueError, rf"'{LAST}' expects a number, got str '1.0'"),
        (_state_with({LAST: None}), ValueError, rf"'{LAST}' expects a number, got NoneType"),
        (_state_with({LAST: True}), ValueError, rf"'{LAST}' expects a number, got bool"),
        (_state_with({LAST: [1.0]}), ValueError, rf"'{LAST}' expects a number, got list"),
        (_state_with({LAST: {"x": 1}}), ValueError, rf"'{LAST}' expects a number, got dict"),
        (_state_with({LAST: 10**400}), ValueError, rf"'{LAST}' expects a finite number, got int 1000.*\(401 characters\)"),
        (_state_with({LAST: 10**5000}), ValueError, rf"'{LAST}' expects a finite number, got int of 16610 bits"),
        (_state_with({LAST: float("inf")}), ValueError, rf"'{LAST}' expects a finite number, got float inf"),
        (_state_with({LAST: float("-inf")}), ValueError, rf"'{LAST}' expects a finite number, got float -inf"),
        (_state_with({LAST: float("nan")}), ValueError, rf"'{LAST}' expects a finite number, got float nan"),
        (lambda state: list(state.values()), TypeError, "state expects a mapping of names to numbers, got list"),
        (lambda state: None, TypeError, "state expects a mapping of names to numbers, got NoneType"),
    ],
    ids=["missing and unexpected", "missing", "str", "None", "bool", "list", "dict", "10**400", "10**5000", "inf",
         "-inf", "nan", "a list", "None state"],
)
def test_load_state_dict_rejects_bad_states_naming_the_problem_and_changes_nothing(
    make: Callable[[dict], object], error: type[Exception], pattern: str
):
    """Each bad value sits in the LAST parameter, so a loader that set parameters as it went would have
    changed all the others by then."""
    model = MLP(2, [3, 1], seed=0)
    before = _snapshot(model)
    with pytest.raises(error, match=pattern) as info:
        model.load_state_dict(make(model.state_dict()))  # type: ignore[arg-type]
    assert str(info.value).startswith("load_state_dict: ")
    assert _snapshot(model) == before


# --- save / load ---


def test_save_load_round_trip_gives_identical_predictions(tmp_path: Path):
    a, b = MLP(2, [8, 8, 1], activation="tanh", seed=0), MLP(2, [8, 8, 1], activation="tanh", seed=1)
    path = tmp_path / "model.json"
    a.save(path)
    b.load(str(path))
    assert _predictions(b) == _predictions(a)
    assert _snapshot(b) == _snapshot(a)  # exact: JSON writes floats with repr, which round-trips
    assert os.listdir(tmp_path) == ["model.json"]


def test_saved_file_layout(tmp_path: Path):
    model = MLP(2, [3, 1], seed=0)
    path = tmp_path / "m.json"
    model.save(path)
    doc = json.loads(path.read_text())
    assert set(doc) == {"format", "version", "architecture", "state"}
    assert doc["format"] == FORMAT == "valuegrad.model" and doc["version"] == VERSION == 1
    assert doc["architecture"] == {"type": "MLP", "nin": 2, "nouts": [3, 1], "activation": "relu"}
    assert doc["state"] == model.state_dict()


def test_save_overwrites_atomically_and_leaves_no_temp_file(tmp_path: Path):
    path = tmp_path / "m.json"
    path.write_text("old")
    MLP(2, [3, 1], seed=0).save(path)
    assert json.loads(path.read_text())["format"] == FORMAT
    assert sorted(os.listdir(tmp_path)) == ["m.json"]


def test_failed_save_to_a_directory_leaves_no_temp_file(tmp_path: Path):
    target = tmp_path / "adir"
    target.mkdir()
    with pytest.raises(OSError):
        MLP(2, [3, 1], seed=0).save(target)
    assert sorted(os.listdir(tmp_path)) == ["adir"]
    assert os.listdir(target) == []


def test_failed_save_during_write_leaves_no_temp_file_and_keeps_the_old_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "m.json"
    path.write_text("old contents")

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [3, 1], seed=0).save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.json"]
    assert path.read_text() == "old contents"


def test_save_into_a_missing_folder_is_an_oserror(tmp_path: Path):
    with pytest.raises(OSError):
        MLP(1, [1], seed=0).save(tmp_path / "nope" / "m.json")
    assert os.listdir(tmp_path) == []


def test_save_refuses_nan_parameters_and_writes_nothing(tmp_path: Path):
    model = MLP(1, [1], seed=0)
    model.layers[0].neurons[0].b.data = float("nan")
    with pytest.raises(ValueError, match=r"'layers.0.neurons.0.b' is nan"):
        model.save(tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


def _valid_document() -> dict:
    model = MLP(2, [3, 1], seed=5)
    return {"format": FORMAT, "version": VERSION, "architecture": model.architecture(), "state": model.state_dict()}


def _with_state_value(value: object) -> dict:
    d = _valid_document()
    d["state"]["layers.0.neurons.1.w.1"] = value
    return d


def _number_in_state(number: str) -> str:
    """A valid model file's text with one weight written as the JSON number ``number``."""
    return json.dumps(_with_state_value("NUMBER-HERE")).replace('"NUMBER-HERE"', number)


def _claims(nouts: list, state: dict) -> dict:
    """A well-formed model document claiming MLP(2, ``nouts``), whatever ``state`` holds."""
    architecture = {"type": "MLP", "nin": 2, "nouts": nouts, "activation": "relu"}
    return {"format": FORMAT, "version": VERSION, "architecture": architecture, "state": state}


def _write(path: Path, doc: object) -> None:
    path.write_text(json.dumps(doc))


#: In a :class:`Corrupt` row: MLP.from_file must say what load says.
SAME = "<as load>"


class Corrupt(NamedTuple):
    """One row of the corrupt-file table: what the file holds, and what each loader must say."""

    name: str
    contents: object  # text, bytes, or a document to dump as JSON
    load: str  # the pattern MLP(2, [3, 1]).load's ValueError must match
    from_file: str | None = SAME  # MLP.from_file's pattern; SAME: as load; None: a valid MLP file



def _doc(change: Callable[[dict], object]) -> dict:
    """A valid model document of MLP(2, [3, 1]), changed by ``change``."""
    d = _valid_document()
    change(d)
    return d


def _corrupt_cases() -> list[Corrupt]:
    text = json.dumps(_valid_document())
    big = MLP(2, [4, 1], seed=0)
    valid_state = _valid_document()["state"]
    return [
        Corrupt("empty", "", "is empty"),
        Corrupt("whitespace", "  \n", "is empty"),
        Corrupt("truncated", text[: len(text) // 2], "not valid JSON"),
        Corrupt("not json", "hello, world", "not valid JSON"),
        Corrupt("a list", "[1, 2, 3]", "JSON list, not a valuegrad model"),
        Corrupt("nan value", json.dumps(_with_state_value("NaN-here")).replace('"NaN-here"', "NaN"), "holds NaN"),
        Corrupt("infinite value", json.dumps(_with_state_value("inf-here")).replace('"inf-here"', "-Infinity"), "-Infinity"),
        Corrupt("binary", b"\xff\xfe\x00garbage", "not UTF-8"),
        Corrupt("a weight of 1e999", _number_in_state("1e999"), r"holds the number 1e999, which is beyond the largest float"),
        Corrupt("a weight of -1e999", _number_in_state("-1e999"), r"the number -1e999, which is beyond"),
        Corrupt("a weight of 1.8e308", _number_in_state("1.8e308"), r"the number 1.8e308, which is beyond"),
        Corrupt("a weight of 10**400", _number_in_state(str(10**400)), r"the integer 1000.*\(401 characters\).*beyond"),
        Corrupt("a 5,000-digit weight", _number_in_state("7" * 5000), r"the integer 7777.*\(5000 characters\).*beyond"),
        Corrupt("a 5,000-digit version", text.replace('"version": 1', '"version": ' + "1" * 5000), r"\(5000 characters\)"),
        Corrupt("a weight given twice", text.replace('"state": {', '"state": {"layers.0.neurons.2.b": 123.0, '),
                "holds the key 'layers.0.neurons.2.b' twice in one object"),
        Corrupt("100,000 [", "[" * 100_000, "nests arrays and objects more than 64 deep"),
        Corrupt("100,000 nested objects", '{"a": ' * 100_000 + "1" + "}" * 100_000, "more than 64 deep"),
        Corrupt("deep inside the state", text.replace('"state": {', '"state": {"deep": ' + "[" * 5000 + "]" * 5000 + ", "),
                "more than 64 deep"),
        Corrupt("wrong format", _doc(lambda d: d.update(format="pytorch")), "format 'pytorch', expected 'valuegrad.model'"),
        Corrupt("no format", _doc(lambda d: d.pop("format")), "format None"),
        Corrupt("wrong version", _doc(lambda d: d.update(version=2)), "version 2; this valuegrad reads version 1"),
        Corrupt("version as a string", _doc(lambda d: d.update(version="1")), "version '1'"),
        Corrupt("no state", _doc(lambda d: d.pop("state")), "no state object"),
        Corrupt("a layer of 0 neurons", _doc(lambda d: d["architecture"].update(nouts=[0])), "holds architecture",
                r"invalid MLP architecture.*nouts\[0\]"),
        Corrupt("architecture not an object", _doc(lambda d: d.update(architecture="MLP")), "no architecture object"),
        Corrupt("a missing key", _doc(lambda d: d["state"].pop("layers.0.neurons.2.b")), r"missing keys 'layers.0.neurons.2.b'",
                "with 13 parameters, but its state holds 12 values"),
        Corrupt("an extra key", _doc(lambda d: d["state"].update(extra=1.0)), r"unexpected keys 'extra'",
                "with 13 parameters, but its state holds 14 values"),
        Corrupt("a string value", _doc(lambda d: d["state"].update({"layers.1.neurons.0.b": "0.5"})),
                r"'layers.1.neurons.0.b' expects a number, got str"),
        Corrupt("a null value", _doc(lambda d: d["state"].update({"layers.1.neurons.0.b": None})),
                r"expects a number, got NoneType"),
        Corrupt("a bool value", _doc(lambda d: d["state"].update({"layers.1.neurons.0.b": True})),
                r"expects a number, got bool"),
        Corrupt("another shape",
                {"format": FORMAT, "version": VERSION, "architecture": big.architecture(), "state": big.state_dict()},
                r"does not fit this model: 13 parameters expected, the state has 17", None),
        Corrupt("another activation", _doc(lambda d: d["architecture"].update(activation="tanh")),
                "holds architecture .*tanh.* but this model is .*relu", None),
        Corrupt("claims MLP(2, [50000, 1]), holds 0 values", _claims([50000, 1], {}),
                "13 parameters expected, the state has 0", r"describes MLP\(2, \[50000, 1\]\) with 200,001 parameters, but its state holds 0 values"),
        Corrupt("claims MLP(2, [3000000, 1]), holds 13", _claims([3_000_000, 1], valid_state),
                "holds architecture .*3000000", r"with 12,000,001 parameters, but its state holds 13 values"),
        Corrupt("claims 10**300 neurons", _claims([10**300, 1], valid_state), "holds architecture", r"describes MLP\(2, \[1000"),
        Corrupt("claims nouts [true]", _claims([True], valid_state), "holds architecture", r"invalid MLP architecture.*nouts\[0\] expects a positive int, got bool"),
        Corrupt("claims activation 'swish'", _doc(lambda d: d["architecture"].update(activation="swish")),
                "holds architecture", r"invalid MLP architecture.*activation expects one of"),
        Corrupt("claims no nin", _doc(lambda d: d["architecture"].pop("nin")), "holds architecture", r"invalid MLP architecture.*'nin'"),
    ]


def _write_contents(path: Path, contents: object) -> None:
    if isinstance(contents, bytes):
        path.write_bytes(contents)
    elif isinstance(contents, str):
        path.write_text(contents)
    else:
        _write(path, contents)


@pytest.mark.parametrize("case", _corrupt_cases(), ids=[c.name for c in _corrupt_cases()])
def test_corrupt_files_raise_valueerror_naming_the_path_and_leave_the_model_untouched(tmp_path, case: Corrupt):
    """The table of corrupt files, through both loaders: MLP(2, [3, 1]).load and MLP.from_file."""
    path = tmp_path / "bad.json"
    _write_contents(path, case.contents)
    model = MLP(2, [3, 1], seed=0)
    before = _snapshot(model)
    with pytest.raises(ValueError, match=case.load) as info:
        model.load(path)
    assert str(path) in str(info.value)
    assert _snapshot(model) == before
    if case.from_file is None:
        assert isinstance(MLP.from_file(path), MLP)  # the file is a valid MLP of its own shape
        return
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=case.load if case.from_file == SAME else case.from_file) as info:
            MLP.from_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value)
    # refused before building anything: the memory used is in proportion to the file, not to its claims
    assert peak < 1_000_000 + 10 * path.stat().st_size


class Tagged(Module):
    """A module whose architecture holds many brackets, none nested deep."""

    def __init__(self) -> None:
        self.w = Value(1.5)

    def architecture(self) -> dict:
        return {"type": "Tagged", "tags": [["[[[{{{"]] * 100}


def test_many_brackets_that_do_not_nest_deep_load(tmp_path: Path):
    """The nesting check counts depth, not brackets, and skips the brackets inside strings."""
    Tagged().save(tmp_path / "t.json")
    other = Tagged()
    other.w.data = 0.0
    other.load(tmp_path / "t.json")
    assert other.w.data == 1.5


def test_loading_a_missing_file_is_an_oserror_naming_it(tmp_path: Path):
    model = MLP(2, [3, 1], seed=0)
    before = _snapshot(model)
    with pytest.raises(OSError) as info:
        model.load(tmp_path / "missing.json")
    assert "missing.json" in str(info.value)
    assert _snapshot(model) == before


def test_loading_a_directory_is_an_oserror(tmp_path: Path):
    with pytest.raises(OSError):
        MLP(2, [3, 1], seed=0).load(tmp_path)


def test_a_generic_module_saves_and_loads(tmp_path: Path):
    a, b = Custom(), Custom()
    for p in b.parameters():
        p.data = 0.0
    a.save(tmp_path / "c.json")
    b.load(tmp_path / "c.json")
    assert _snapshot(a) == _snapshot(b)
    assert json.loads((tmp_path / "c.json").read_text())["architecture"] == {"type": "Custom"}


def test_mlp_from_file_rebuilds_the_model(tmp_path: Path):
    a = MLP(3, [5, 4, 2], activation="sigmoid", seed=2)
    a.save(tmp_path / "m.json")
    b = MLP.from_file(tmp_path / "m.json")
    assert repr(b) == "MLP(3 -> [5 sigmoid, 4 sigmoid, 2 linear])"
    x = [0.1, -0.2, 0.3]
    assert [o.data for o in b(x)] == [o.data for o in a(x)]


def test_mlp_from_file_refuses_other_models_and_bad_architectures(tmp_path: Path):
    Custom().save(tmp_path / "c.json")
    with pytest.raises(ValueError, match="holds a 'Custom' model, not an MLP"):
        MLP.from_file(tmp_path / "c.json")


def test_shared_values_are_listed_once_by_the_fast_parameters_too():
    model = MLP(2, [2, 1], seed=0)
    model.layers[0].neurons[1].w = model.layers[0].neurons[0].w  # tie the two neurons' weights
    params = model.parameters()
    assert len(params) == len({id(p) for p in params}) == 9 - 2
    assert params == [p for _, p in model.named_parameters()]
    assert len(model.state_dict()) == 7


def test_import_nn_pulls_in_no_heavy_dependencies():
    import subprocess
    import sys

    code = "import sys, nn; print(sorted(m for m in ('matplotlib', 'tqdm', 'sklearn', 'torch', 'numpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "mask, existing, expected",
    [(0o077, None, 0o600), (0o022, None, 0o644), (0o022, 0o600, 0o600)],
    ids=["new file, umask 077", "new file, umask 022", "existing 0600 file, umask 022"],
)
def test_saved_file_follows_the_umask_and_keeps_an_existing_mode(tmp_path: Path, mask, existing, expected):
    import stat

    path = tmp_path / "model.json"
    if existing is not None:
        path.write_text("old")
        path.chmod(existing)
    old = os.umask(mask)
    try:
        MLP(2, [3, 1], seed=0).save(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == expected
    assert MLP.from_file(path).state_dict() == MLP(2, [3, 1], seed=0).state_dict()


def test_an_interrupted_save_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path, monkeypatch):
    path = tmp_path / "m.json"
    path.write_text("old contents")

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        MLP(2, [3, 1], seed=0).save(path)
    assert sorted(os.listdir(tmp_path)) == ["m.json"]
    assert path.read_text() == "old contents"


class Colliding(Module):
    """Two different parameters whose paths give one name, made by ``how``."""

    def __init__(self, how: str) -> None:
        if how == "keys 0 and '0'":
            self.t = {0: Value(1.0), "0": Value(2.0)}
        elif how == "a key with a dot":
            self.w = [Value(1.0)]
            setattr(self, "w.0", Value(2.0))  # an attribute name no `self.x = ...` could write
        elif how == "a dict key beside a list":
            self.d = {"a": [Value(1.0)], "a.0": Value(2.0)}
        else:  # a nested module's name and a key of the outer dict
            self.m = {"inner": Line(), "inner.slope": Value(2.0)}

    def __call__(self, x: float) -> Value:
        return sum_values([p * x for p in self.parameters()])


class Line(Module):
    def __init__(self) -> None:
        self.slope = Value(0.5)


@pytest.mark.parametrize(
    "how, name",
    [("keys 0 and '0'", "t.0"), ("a key with a dot", "w.0"), ("a dict key beside a list", "d.a.0"),
     ("a module beside a dotted key", "m.inner.slope")],
)
def test_parameter_names_that_collide_are_refused_clearly(tmp_path: Path, how: str, name: str):
    """Before, state_dict silently kept one of the two Values, save wrote one, and load set both from it."""
    model = Colliding(how)
    assert len(model.parameters()) == 2  # training does not need names: it still works
    before = _snapshot(model)
    words = rf"two different parameters are both named '{re.escape(name)}'"
    for call in (model.named_parameters, model.state_dict, lambda: model.save(tmp_path / "m.json"),
                 lambda: model.load_state_dict({name: 3.0})):
        with pytest.raises(ValueError, match=words):
            call()
    assert os.listdir(tmp_path) == []
    assert _snapshot(model) == before


# --- special files: only regular files are read, and only up to the largest model file -----------

#: Each loader of a user's file in nn, as a function of the path.
LOADERS: dict[str, Callable[[Path], object]] = {
    "MLP.from_file": MLP.from_file,
    "Module.load": lambda path: MLP(2, [3, 1], seed=0).load(path),
}


LOADERS["explore --config @FILE"] = lambda path: read_config(f"@{path}")


def _special(kind: str, tmp_path: Path) -> Path:
    if kind == "/dev/zero":
        return Path("/dev/zero")
    if kind == "a FIFO":
        path = tmp_path / "fifo.json"
        os.mkfifo(path)
        return path
    path = tmp_path / "huge.json"
    with open(path, "wb") as f:  # sparse: it takes no disk space, but claims more than any model file holds
        f.truncate(MAX_BYTES + 1)
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="needs a POSIX system")
@pytest.mark.parametrize("kind, words", [("/dev/zero", "is a character device, not a regular file"),
                                         ("a FIFO", "is a FIFO (named pipe), not a regular file"),
                                         ("too large", "bytes, more than any")])
@pytest.mark.parametrize("loader", list(LOADERS))
def test_special_and_huge_files_are_refused_before_reading(tmp_path: Path, kind: str, words: str, loader: str) -> None:
    path = _special(kind, tmp_path)
    if loader.startswith("explore"):  # the explorer's own reader words it its way
        words = "is larger than" if kind == "too large" else "is not a regular file"
    tracemalloc.start()
    try:  # a FIFO would block the open, /dev/zero would fill the memory: the test would hang or die
        with pytest.raises(ValueError, match=re.escape(words)) as info:
            LOADERS[loader](path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(path) in str(info.value) and peak < 1_000_000


def test_a_folder_is_refused_as_a_model_file(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        MLP.from_file(tmp_path)
