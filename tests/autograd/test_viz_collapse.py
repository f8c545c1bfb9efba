"""The collapsed graph (autograd.viz.collapse): boxes, their members, inputs and outputs, opened on demand."""

from __future__ import annotations

import pytest

from autograd import Value, group
from autograd.graph import chain_rule
from autograd.viz import collapse
from nn import MLP, hinge_loss


def _step() -> tuple[Value, MLP]:
    model = MLP(2, [3, 3, 1], seed=0)
    points = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5]]
    with group("step"):
        loss = hinge_loss([model(x) for x in points], [1.0, -1.0, 1.0])
    return loss, model


def test_a_step_collapses_to_its_layers_and_loss_in_walk_order() -> None:
    loss, model = _step()
    c = collapse(loss)
    assert ("step",) in c.opened  # the one box holding everything is opened
    assert [b.name for b in c.boxes] == ["step › layer 1", "step › layer 2", "step › layer 3", "step › hinge loss"]
    assert c.shown == ()
    every = [v for b in c.boxes for v in b.members]
    assert len(every) == len(set(every)) == len(c.values)  # each Value in exactly one box
    layer1 = c.boxes[0]
    assert set(model.layers[0].parameters()) <= set(layer1.members)  # the weights sit inside their layer
    assert layer1.inputs == () and len(layer1.outputs) == 3 * 3  # 3 neurons' ReLUs at 3 points
    assert c.boxes[-1].outputs == (loss,) and len(c.boxes[-1].inputs) == 3


def test_expand_opens_a_group_and_its_ancestors_level_by_level() -> None:
    loss, _ = _step()
    c = collapse(loss, expand=["layer 2"])
    names = [b.name for b in c.boxes]
    assert sorted(n for n in names if n.startswith("step › layer 2")) == [
        f"step › layer 2 › neuron {k}" for k in (1, 2, 3)
    ]
    assert "step › layer 1" in names and "step › layer 3" in names
    deep = collapse(loss, expand=[("layer 2", "neuron 3")])
    assert {("step",), ("step", "layer 2"), ("step", "layer 2", "neuron 3")} <= deep.opened
    shown_groups = {deep.group[v] for v in deep.shown}
    assert shown_groups == {("step", "layer 2", "neuron 3")}
    assert collapse(loss, expand="step › layer 2 › neuron 3").opened == deep.opened


def test_the_boundary_gradients_are_those_of_the_full_graph() -> None:
    loss, _ = _step()
    loss.backward()
    reference = chain_rule(loss)  # the readable chain rule, on the whole graph
    c = collapse(loss, expand=["layer 2"])
    crossing = {v for b in c.boxes for v in (*b.inputs, *b.outputs)}
    assert crossing
    for v in crossing:
        assert v.grad == pytest.approx(reference[v], rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "bad, error", [(3, TypeError), ([3], TypeError), ([""], ValueError), (["a >  > b"], ValueError)]
)
def test_expand_is_checked(bad: object, error: type[Exception]) -> None:
    with pytest.raises(error, match="expand expects"):
        collapse(Value(1.0) * 2, expand=bad)  # type: ignore[arg-type]
