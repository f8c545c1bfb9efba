"""The explorer's configuration: every setting, its default and its range, in one table.

A configuration is what a teacher hands out. It sets the data, the model and the training,
and it can hide or lock controls so that a fixed exercise stays fixed::

    ?dataset=xor&hidden=4&activation=tanh&lock=dataset,hidden&hide=optimizer    # a URL query
    {"dataset": "xor", "hidden": [4], "activation": "tanh", "lock": ["dataset", "hidden"]}

Both forms go through the same checks. A bad value raises ``ValueError`` naming the key, what
it got and what it wanted (the server answers it with a 400)::

    config: 'lr' expects a number in (0, 10], got 'fast'

Locks are enforced by the Python side, not only drawn by the page: a locked setting cannot be
changed by any message. The table :data:`SETTINGS` also tells the page how to draw each
control (its kind, range and label), so a setting is defined once, here.

>>> config = Config.from_query("dataset=xor&hidden=4,4&lock=dataset")
>>> config.dataset, config.hidden, config.lock
('xor', (4, 4), ('dataset',))
>>> config.to_query()
'dataset=xor&hidden=4%2C4&lock=dataset'
>>> Config.from_mapping({"lr": 0})
Traceback (most recent call last):
...
ValueError: config: 'lr' expects a number in (0, 10], got 0
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .safejson import check_depth, loads, shown

__all__ = ["Setting", "SETTINGS", "ACTIONS", "CONTROLS", "DATASETS", "Config"]

DATASETS = ("moons", "circles", "xor", "spirals", "blobs")
#: Datasets with a number of classes to choose; the others have two.
MULTICLASS = ("spirals", "blobs")
#: Buttons that can be locked or hidden like settings: play/pause, step, reset, and dragging weights.
ACTIONS = ("play", "step", "reset", "weights")


@dataclass(frozen=True)
class Setting:
    """One key of the configuration: its kind, range, and what changing it rebuilds.

    ``kind`` is ``"choice"`` (one of ``choices``), ``"int"`` or ``"float"`` (in the interval
    from ``low`` to ``high``, open at the low end when ``low_open``), ``"sizes"`` (a list of
    layer widths, each an int in the interval, at most ``most`` of them) or ``"names"`` (a list
    of control names). ``rebuilds`` is what a change means for a running session: ``"data"``
    (new points and a new model), ``"model"`` (a new model), ``"optimizer"`` (a new optimizer,
    same weights), ``"live"`` (takes effect at the next step) or ``"none"`` (the lists of
    locked and hidden controls, which are fixed). ``control`` says whether the page has a
    control for it, which can then be locked or hidden. The defaults are :class:`Config`'s.
    """

    key: str
    kind: str
    label: str
    help: str
    rebuilds: str
    choices: tuple[str, ...] = ()
    low: float = 0.0
    high: float = math.inf
    low_open: bool = False
    most: int = 0
    log: bool = False
    control: bool = True

    def wanted(self) -> str:
        """What a valid value looks like, in words, for error messages."""
        interval = f"{'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "int":
            return f"a whole number in {interval}"
        if self.kind == "float":
            return f"a number in {interval}"
        if self.kind == "sizes":
            return f"a list of at most {self.most} layer widths, each a whole number in {interval}"
        return "a list of control names, each one of " + ", ".join(repr(c) for c in self.choices)



SETTINGS: tuple[Setting, ...] = (
    Setting("dataset", "choice", "data", "the points to classify", "data", choices=DATASETS),
    Setting("samples", "int", "points", "how many points, train and test together", "data", low=20, high=1000),
    Setting("noise", "float", "noise", "how far points stray from the pattern", "data", high=0.5),
    Setting("test_size", "float", "test fraction", "the fraction held out for testing", "data", low=0.1, high=0.9),
    Setting("classes", "int", "classes", "how many classes (spirals and blobs only)", "data", low=2, high=6),
    Setting("seed", "int", "seed", "seeds the points, the split, the weights and the batches", "data",
            high=2**31 - 1),
    Setting("hidden", "sizes", "hidden layers", "the width of each hidden layer", "model",
            low=1, high=16, most=6),
    Setting("activation", "choice", "activation", "the hidden layers' activation", "model",
            choices=("tanh", "relu", "sigmoid", "linear")),
    Setting("optimizer", "choice", "optimizer", "how gradients move the weights", "optimizer",
            choices=("sgd", "adam")),
    Setting("lr", "float", "learning rate", "the step size", "live", low=0.0, high=10.0, low_open=True, log=True),
    Setting("momentum", "float", "momentum", "SGD's momentum μ: v ← μv + g", "live", high=0.99),
    Setting("batch_size", "int", "batch size", "points per step; 0 means all the training points", "live",
            high=1000),
    Setting("l2", "float", "L2", "weight decay λ: adds λ·w to every gradient", "live", high=1.0),
    Setting("speed", "int", "steps per frame", "training steps between two pictures (about 10 a second)",
            "live", low=1, high=100),
    Setting("grid", "int", "grid", "the decision boundary's resolution, cells per side", "model",
            low=10, high=100, control=False),
)

_BY_KEY = {s.key: s for s in SETTINGS}
#: Everything a configuration can lock or hide: the settings with a control, and the buttons.
CONTROLS: tuple[str, ...] = (*(s.key for s in SETTINGS if s.control), *ACTIONS)
_NAMES = (
    Setting("lock", "names", "locked", "controls shown but not usable", "none", choices=CONTROLS, control=False),
    Setting("hide", "names", "hidden", "controls not shown", "none", choices=CONTROLS, control=False),
)
_ALL = {**_BY_KEY, **{s.key: s for s in _NAMES}}


def _problem(setting: Setting, got: Any) -> ValueError:
    return ValueError(f"config: {setting.key!r} expects {setting.wanted()}, got {shown(got)}")


def _number(setting: Setting, value: Any, got: Any) -> Any:
    """``value`` (already an int or a float) checked against the setting's interval."""
    low_ok = value > setting.low if setting.low_open else value >= setting.low
    if not (math.isfinite(value) and low_ok and value <= setting.high):
        raise _problem(setting, got)
    return value


def _check(setting: Setting, value: Any, text: bool) -> Any:
    """``value`` for ``setting`` as the configuration stores it, or a ValueError.

    ``text`` says the value came from a URL query, where everything is a string: numbers are
    parsed and lists are comma-separated. Otherwise it came from JSON and must have the JSON
    type (a number, a string, a list).
    """
    kind = setting.kind
    if kind == "choice":
        if not isinstance(value, str) or value not in setting.choices:
            raise _problem(setting, value)
        return value
    if kind in ("int", "float"):
        number: Any = value
        if text:
            try:
                number = int(value) if kind == "int" else float(value)
            except ValueError:
                raise _problem(setting, value) from None
        elif isinstance(value, bool) or not isinstance(value, int if kind == "int" else (int, float)):
            raise _problem(setting, value)
        return _number(setting, int(number) if kind == "int" else float(number), value)
    items: Any = value
    if text:
        items = [part.strip() for part in value.split(",")] if value.strip() else []
    if not isinstance(items, (list, tuple)) or len(items) > (setting.most or len(setting.choices)):
        raise _problem(setting, value)
    if kind == "names":
        if any(not isinstance(name, str) or name not in setting.choices for name in items):
            raise _problem(setting, value)
        return tuple(dict.fromkeys(items))
    sizes = []
    for item in items:
        if text:
            try:
                item = int(item)
            except ValueError:
                raise _problem(setting, value) from None
        if isinstance(item, bool) or not isinstance(item, int) or not setting.low <= item <= setting.high:
            raise _problem(setting, value)
        sizes.append(item)
    return tuple(sizes)


@dataclass(frozen=True)
class Config:
    """A checked configuration. Build it with :meth:`from_mapping` (JSON) or :meth:`from_query`
    (a URL query string); every key left out takes its default from :data:`SETTINGS`."""

    dataset: str = "moons"
    samples: int = 200
    noise: float = 0.1
    test_size: float = 0.25
    classes: int = 3
    seed: int = 0
    hidden: tuple[int, ...] = (8, 8)
    activation: str = "tanh"
    optimizer: str = "adam"
    lr: float = 0.03
    momentum: float = 0.9
    batch_size: int = 0
    l2: float = 0.0
    speed: int = 5
    grid: int = 50
    lock: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any] | None = None) -> Config:
        """A configuration from a JSON object (a dict): values must have JSON's types.

        >>> Config.from_mapping({"hidden": [4], "optimizer": "sgd"}).hidden
        (4,)
        """
        if mapping is None:
            return cls()
        if not isinstance(mapping, Mapping):
            raise ValueError(f"config expects a JSON object (a dict of settings), got {type(mapping).__name__}")
        check_depth(dict(mapping), "config")
        return cls._build(mapping, text=False)

    @classmethod
    def from_json(cls, text: str) -> Config:
        """A configuration from JSON text, such as a file a teacher hands out (read by
        :func:`nn.explore.safejson.loads`: at most 16 levels deep)."""
        return cls.from_mapping(loads(text, "config"))

    @classmethod
    def from_query(cls, query: str, ignore: tuple[str, ...] = ()) -> Config:
        """A configuration from a URL query string (with or without the leading ``?``).

        Lists are comma-separated (``hidden=8,8``, ``lock=dataset,lr``; ``hidden=`` is no hidden
        layer at all). Keys in ``ignore`` (the server's ``token``) are skipped; a key given twice
        is an error.
        """
        if not isinstance(query, str):
            raise ValueError(f"config: the query expects a string, got {type(query).__name__}")
        try:
            pairs = parse_qsl(query.lstrip("?"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError as e:
            raise ValueError(f"config: the query is not UTF-8 once %-decoded ({e.reason}): write each setting "
                             "in plain letters and digits") from None
        mapping: dict[str, str] = {}
        for key, value in pairs:
            if key in ignore:
                continue
            if key in mapping:
                raise ValueError(
                    f"config: {shown(key)} is given twice in the query, with {shown(mapping[key])} and {shown(value)}")
            mapping[key] = value
        return cls._build(mapping, text=True)

    @classmethod
    def _build(cls, mapping: Mapping[str, Any], text: bool) -> Config:
        values: dict[str, Any] = {}
        for key, value in mapping.items():
            setting = _ALL.get(key) if isinstance(key, str) else None
            if setting is None:
                known = ", ".join(_ALL)
                raise ValueError(f"config: unknown key {shown(key)}; the keys are {known}")
            values[key] = _check(setting, value, text)
        return cls(**values)

    def replace(self, key: str, value: Any) -> Config:
        """A copy with one setting changed to ``value`` (a JSON value), checked like the rest.

        >>> Config().replace("lr", 0.1).lr
        0.1
        """
        setting = _ALL.get(key) if isinstance(key, str) else None
        if setting is None:
            raise ValueError(f"config: unknown key {shown(key)}; the keys are {', '.join(_ALL)}")
        return dataclasses.replace(self, **{key: _check(setting, value, text=False)})

    def to_json(self) -> dict[str, Any]:
        """Every setting as JSON values (lists for the tuples)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def to_query(self) -> str:
        """The settings that differ from the defaults, as a URL query string to share."""
        default = Config()
        parts = []
        for key, value in self.to_json().items():
            if value == default.to_json()[key]:
                continue
            parts.append((key, ",".join(map(str, value)) if isinstance(value, list) else str(value)))
        return urlencode(parts)

    @property
    def classes_used(self) -> int:
        """The number of classes of the chosen dataset: ``classes`` for spirals and blobs, else 2."""
        return self.classes if self.dataset in MULTICLASS else 2

    @property
    def init(self) -> str:
        """The weight initialisation that suits the activation: He for ReLU, Xavier otherwise."""
        return "he" if self.activation == "relu" else "xavier"


def schema() -> list[dict[str, Any]]:
    """The settings with a control, as the page draws them: key, kind, label, help, default and range."""
    defaults = Config().to_json()
    out = []
    for s in SETTINGS:
        if not s.control:
            continue
        item: dict[str, Any] = {
            "key": s.key, "kind": s.kind, "label": s.label, "help": s.help, "default": defaults[s.key],
        }
        if s.kind == "choice":
            item["choices"] = list(s.choices)
        else:
            item.update(low=s.low, high=s.high, log=s.log, most=s.most)
        out.append(item)
    return out
