"""micrograd's demo runs unchanged on valuegrad, and the same weights give the same numbers."""

from __future__ import annotations

import math
import random

from helpers import close, require

from autograd import Value, dot
from nn import MLP


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, as sklearn's make_moons, with labels -1 and +1."""
    rng = random.Random(seed)
    X: list[list[float]] = []
    y: list[int] = []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            x0, x1, label = math.cos(t), math.sin(t), -1
        else:
            x0, x1, label = 1.0 - math.cos(t), 0.5 - math.sin(t), 1
        X.append([x0 + rng.gauss(0.0, noise), x1 + rng.gauss(0.0, noise)])
        y.append(label)
    return X, y


def test_micrograd_demo_recipe_reaches_97_percent():
    # micrograd's demo.ipynb, only the imports changed
    X, y = make_moons(n=100, noise=0.1)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])  # 2-layer neural network
    assert len(model.parameters()) == 337

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    first_loss, _ = loss()
    for k in range(100):
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
    total_loss, acc = loss()
    assert acc >= 0.97, f"train accuracy {acc}"
    assert total_loss.data < first_loss.data / 4


def test_demo_recipe_with_library_losses_and_optimizer():
    from nn import SGD, LinearDecay, hinge_loss

    X, y = make_moons(n=100, noise=0.1)
    model = MLP(2, [16, 16, 1], seed=1337)
    opt = SGD(model.parameters(), lr=1.0)
    schedule = LinearDecay(opt, start=1.0, end=0.1, steps=100)
    for _ in range(100):
        scores = [model(x) for x in X]
        params = model.parameters()
        total = hinge_loss(scores, y) + 1e-4 * dot(params, params)  # the same L2 penalty, as one node
        opt.zero_grad()
        total.backward()
        opt.step()
        schedule.step()
    acc = sum((model(x).data > 0) == (yi > 0) for x, yi in zip(X, y)) / len(y)
    assert acc >= 0.97, f"train accuracy {acc}"


def test_one_neuron_hidden_layer_trains_and_backprops():
    # micrograd's Layer returns a bare Value when nout == 1, so the next layer cannot zip over it
    random.seed(0)
    model = MLP(2, [16, 1, 1])
    assert len(model.parameters()) == 3 * 16 + 17 + 2
    out = model([Value(0.3), Value(-0.7)])
    assert isinstance(out, Value)
    out.backward()
    hidden = model.layers[1].neurons[0]
    # the single hidden neuron's bias gets d out / d b = w_out · relu'(pre-activation)
    pre = sum(w.data * h for w, h in zip(hidden.w, [n([0.3, -0.7]).data for n in model.layers[0].neurons]))
    expected = model.layers[2].neurons[0].w[0].data * (1.0 if pre > 0 else 0.0)
    assert close(hidden.b.grad, expected)
    # and it learns: fit y = x0 on a few points
    from nn import SGD, mse_loss

    model = MLP(2, [4, 1, 1], activation="tanh", seed=3)
    data = [([x / 5, 0.0], x / 5) for x in range(-5, 6)]
    opt = SGD(model.parameters(), lr=0.1)

    def total() -> Value:
        return mse_loss([model(x) for x, _ in data], [t for _, t in data])

    before = total().data
    for _ in range(200):
        opt.zero_grad()
        total().backward()
        opt.step()
    assert total().data < before / 5


def test_same_weights_give_micrograd_forward_and_gradients():
    mg_engine = require("micrograd.engine")
    mg_nn = require("micrograd.nn")
    random.seed(42)
    theirs = mg_nn.MLP(3, [8, 8, 1])
    ours = MLP(3, [8, 8, 1], seed=7)
    their_params = theirs.parameters()
    our_params = ours.parameters()
    assert len(their_params) == len(our_params) == 4 * 8 + 9 * 8 + 9
    for t, o in zip(their_params, our_params):  # same order: layer by layer, neuron by neuron, w then b
        o.data = float(t.data)
    for xrow in ([0.5, -1.25, 2.0], [-0.3, 0.1, 0.9], [1.5, 1.5, -2.0]):
        their_out = theirs(list(map(mg_engine.Value, xrow)))
        our_out = ours(list(map(Value, xrow)))
        assert close(our_out.data, their_out.data, rtol=1e-12, atol=1e-12)
        theirs.zero_grad()
        ours.zero_grad()
        their_out.backward()
        our_out.backward()
        for t, o in zip(their_params, our_params):
            assert close(o.grad, t.grad, rtol=1e-9, atol=1e-12)


def test_module_random_gives_micrograd_weights():
    # with neither seed nor rng, weights come from the random module in micrograd's order
    mg_nn = require("micrograd.nn")
    random.seed(1337)
    theirs = [p.data for p in mg_nn.MLP(2, [16, 16, 1]).parameters()]
    random.seed(1337)
    ours = [p.data for p in MLP(2, [16, 16, 1]).parameters()]
    assert ours == theirs
