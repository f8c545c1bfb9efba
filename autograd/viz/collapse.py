"""The collapsed graph: each group (:func:`autograd.group`) drawn as one box, opened on demand.

A training step has thousands of Values, a GPT step ten thousand; nobody reads them one by
one. Grouped by the code that made them (``layer 2 › neuron 5``, ``block 1 › attention ›
head 2``), they are a handful of boxes, each with its inputs and its outputs, as TensorBoard
draws TensorFlow's name scopes. :func:`collapse` works out that picture, for
:func:`autograd.viz.draw_dot` and for the player:

* every Value of the graph belongs to the group that made it (:func:`autograd.group_of`); a
  leaf made outside any group (a parameter, an input) belongs to the innermost group that
  holds every Value using it (uses from enclosing groups left out), so a neuron's weights
  sit inside the neuron;
* a group is *closed* unless it is asked for (``expand``); a Value whose group path has a
  closed group is inside the box of the outermost closed one. Opening a group opens its
  ancestors too, so ``expand=["head 2"]`` shows the head's own Values inside its open
  block and attention, level by level, and the other groups as boxes;
* when all the Values of the graph would be in one box (a whole step made inside one
  ``with group("step"):``), that box is opened, and so on down, so that the picture always
  shows the parts.

A box's *inputs* are the Values outside it that its Values use, its *outputs* the Values
inside it that are used outside it (or the root). Those are the gradients a collapsed
drawing shows, and they are the very ``.grad`` of those Values: collapsing changes the
picture, never the numbers.

The order of everything is that of one walk of the graph (operands first), never ``id()``,
so the same graph always gives the same boxes, in the same order.

>>> from autograd import Value, group
>>> x, c = Value(1.0, label="x"), Value(2.0, label="c")
>>> with group("f"):
...     y = (x * x).tanh()
>>> z = y * c
>>> picture = collapse(z)
>>> [b.name for b in picture.boxes], [len(b.members) for b in picture.boxes]   # x, x·x and tanh
(['f'], [3])
>>> picture.boxes[0].outputs == (y,), [v.label or "·" for v in picture.shown]   # c and z shown
(True, ['c', '·'])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..engine import Value
from ..graph import postorder
from ..groups import SEPARATOR, group_of

__all__ = ["Box", "Collapsed", "collapse", "effective_groups", "parse_expand"]

Path = tuple[str, ...]


@dataclass(frozen=True, eq=False)
class Box:
    """One closed group: its path, and its Values, inputs and outputs, each in walk order."""

    path: Path
    members: tuple[Value, ...]
    inputs: tuple[Value, ...]
    outputs: tuple[Value, ...]

    @property
    def name(self) -> str:
        """The path as people write it: ``"layer 2 › neuron 5"``."""
        return SEPARATOR.join(self.path)

    def __repr__(self) -> str:
        return f"Box({self.name!r}, {len(self.members)} Values, {len(self.inputs)} in, {len(self.outputs)} out)"


@dataclass(frozen=True, eq=False)
class Collapsed:
    """The picture :func:`collapse` returns.

    * ``values``: every Value of the graph, operands first (the walk every order comes from);
    * ``shown``: the Values drawn one by one (in no closed group), in that order;
    * ``boxes``: the closed groups, in the order of their first op in ``values`` (so a box
      comes after the boxes it reads from, when no two boxes read from each other);
    * ``box_of``: the box of each Value inside one (a Value not in it is shown);
    * ``opened``: the groups that are open (those asked for, their ancestors, and the ones
      opened because they held everything), each a path;
    * ``group``: the path each Value is counted in (leaves take their users' common group);
    * ``edges``: every edge ``(operand, user)`` that crosses a box's border or joins two
      shown Values, in walk order; edges inside one box are left out.
    """

    root: Value
    values: tuple[Value, ...]
    shown: tuple[Value, ...]
    boxes: tuple[Box, ...]
    box_of: Mapping[Value, Box]
    opened: frozenset[Path]
    group: Mapping[Value, Path] = field(repr=False)
    edges: tuple[tuple[Value, Value], ...] = field(repr=False)

    def item(self, v: Value) -> Value | Box:
        """What ``v`` is drawn as: its box, or itself."""
        return self.box_of.get(v, v)


def parse_expand(expand: Iterable[str | Path] | str | None, who: str = "expand") -> list[Path]:
    """``expand`` checked: a list of groups, each a path (a tuple of names) or a string
    ``"layer 2 › neuron 5"`` (also written with ``>`` or ``/``); one string alone is a list of
    one. Each names a group by the end of its path: ``"layer 2"`` matches ``("step", "layer 2")``."""
    if expand is None:
        return []
    if isinstance(expand, str):
        expand = [expand]
    try:
        entries = list(expand)
    except TypeError:
        raise TypeError(f"{who} expects a list of group names or paths, got {type(expand).__name__}") from None
    out: list[Path] = []
    for e in entries:
        if isinstance(e, str):
            parts = tuple(p.strip() for p in e.replace(SEPARATOR.strip(), ">").replace("/", ">").split(">"))
        elif isinstance(e, tuple) and all(isinstance(p, str) for p in e):
            parts = tuple(e)
        else:
            raise TypeError(f"{who} expects group names (str) or paths (tuples of str), got {type(e).__name__} {e!r}")
        if not parts or any(not p for p in parts):
            raise ValueError(f"{who} expects non-empty group names, got {e!r}")
        out.append(parts)
    return out


def effective_groups(values: Iterable[Value]) -> dict[Value, Path]:
    """The group each of ``values`` (operands first, as a walk lists them) is counted in:
    its own, or for a leaf made outside any group, the longest path shared by its users,
    leaving out the users in groups that enclose the others' (so a weight used by its
    neuron and by an L2 term over all weights belongs to the neuron)."""
    vals = list(values)
    users: dict[Value, list[Value]] = {}
    listed = set(vals)
    for v in vals:
        for x in v.operands:
            if isinstance(x, Value) and x in listed:
                users.setdefault(x, []).append(v)
    group: dict[Value, Path] = {}
    for v in reversed(vals):  # users before operands, so a leaf's users are known
        own = group_of(v)
        if own or v.operands or v not in users:
            group[v] = own
            continue
        found = set(group[u] for u in users[v])
        # a use in an enclosing group (an L2 term over every weight) does not pull a leaf out
        paths = [p for p in found if not any(len(q) > len(p) and q[: len(p)] == p for q in found)]
        paths.sort()
        common = paths[0]
        for p in paths[1:]:
            n = 0
            while n < min(len(common), len(p)) and common[n] == p[n]:
                n += 1
            common = common[:n]
        group[v] = common
    return group


def collapse(
    root: Value, expand: Iterable[str | Path] | str | None = None, *, values: Iterable[Value] | None = None
) -> Collapsed:
    """``root``'s graph with every group closed into a box, except those in ``expand``.

    ``expand`` lists groups to open, by path (``("step", "layer 2")``) or by the end of it
    (``"layer 2"``, ``"block 1 › attention"``); opening one opens the groups around it.
    ``values`` (optional) is the list of Values to use, operands first, if the caller has
    walked the graph already. See the module's documentation for the rules.
    """
    if not isinstance(root, Value):
        raise TypeError(f"collapse: root expects a Value, got {type(root).__name__}")
    wanted = parse_expand(expand)
    if values is None:
        vals = postorder(root, lambda v: [x for x in v.operands if isinstance(x, Value)])
    else:
        vals = list(values)
    drawn = set(vals)
    group = effective_groups(vals)
    every_path = {p[:i] for p in group.values() for i in range(1, len(p) + 1)}
    opened: set[Path] = set()
    for w in wanted:
        for p in every_path:
            if p[-len(w) :] == w:
                opened.update(p[:i] for i in range(1, len(p) + 1))
    while True:  # open a box that would hold everything, and the one below it, ...
        closed = {_closed_part(group[v], opened) for v in vals}
        if len(closed) != 1:
            break
        (only,) = closed
        if only is None:
            break
        opened.add(only)

    members: dict[Path, list[Value]] = {}
    box_path: dict[Value, Path] = {}
    for v in vals:
        part = _closed_part(group[v], opened)
        if part is not None:
            members.setdefault(part, []).append(v)
            box_path[v] = part
    inputs: dict[Path, dict[Value, None]] = {p: {} for p in members}
    outputs: dict[Path, dict[Value, None]] = {p: {} for p in members}
    edges: list[tuple[Value, Value]] = []
    for v in vals:
        inside = box_path.get(v)
        for x in v.operands:
            if not isinstance(x, Value) or x not in drawn:
                continue
            source = box_path.get(x)
            if inside is not None and source == inside:
                continue
            edges.append((x, v))
            if inside is not None:
                inputs[inside][x] = None
            if source is not None:
                outputs[source][x] = None
    if root in box_path:
        outputs[box_path[root]][root] = None
    position = {v: i for i, v in enumerate(vals)}

    def first_op(p: Path) -> int:  # where the box's first op is: leaves come early in a walk
        return min((position[v] for v in members[p] if v.operands), default=position[members[p][0]])

    boxes = {
        p: Box(p, tuple(members[p]), tuple(inputs[p]), tuple(v for v in members[p] if v in outputs[p]))
        for p in sorted(members, key=first_op)
    }
    return Collapsed(
        root=root,
        values=tuple(vals),
        shown=tuple(v for v in vals if v not in box_path),
        boxes=tuple(boxes.values()),
        box_of={v: boxes[p] for v, p in box_path.items()},
        opened=frozenset(opened),
        group=group,
        edges=tuple(edges),
    )


def _closed_part(path: Path, opened: set[Path]) -> Path | None:
    """The outermost group of ``path`` that is not open (None: every group of it is open)."""
    for i in range(1, len(path) + 1):
        if path[:i] not in opened:
            return path[:i]
    return None
