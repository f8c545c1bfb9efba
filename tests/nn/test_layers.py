"""Neuron, Layer and MLP: shapes, forward values, gradients, initialisations and errors."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from helpers import close

from autograd import Value, gradcheck
from nn import MLP, Layer, Neuron


def test_neuron_is_one_fused_node_with_the_right_value():
    n = Neuron(3, activation="tanh", rng=random.Random(1))
    x = [0.5, -1.0, 2.0]
    out = n(x)
    assert out.op == "tanh"
    (pre,) = out.parents
    assert pre.op in ("dot", "affine")  # w · x + b is ONE node
    expected = math.tanh(sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data)
    assert close(out.data, expected)
    assert n.b.data == 0.0 and len(n.w) == 3


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
def test_neuron_gradients_match_finite_differences(activation):
    rng = random.Random(5)
    n = Neuron(3, activation=activation, rng=rng)
    x = [Value(0.4), Value(-0.3), Value(1.2)]

    def f(*params: Value) -> Value:
        n.w[:] = params[:3]
        n.b = params[3]
        return n(x)

    start = [w.data for w in n.w] + [0.3]
    assert gradcheck(f, start)


def test_mlp_output_and_gradients_equal_a_hand_written_network():
    model = MLP(2, [3, 2], activation="tanh", seed=11)
    x = [0.7, -0.2]
    out = model(x)
    assert isinstance(out, list) and len(out) == 2
    h = [math.tanh(sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data) for n in model.layers[0].neurons]
    y = [sum(w.data * hi for w, hi in zip(n.w, h)) + n.b.data for n in model.layers[1].neurons]
    for o, e in zip(out, y):
        assert close(o.data, e)
    # d y0 / d w[0][j][k] by the chain rule: w1[0][j] · (1 − h_j²) · x_k
    out[0].backward()
    w1 = model.layers[1].neurons[0].w
    for j, neuron in enumerate(model.layers[0].neurons):
        for k in range(2):
            assert close(neuron.w[k].grad, w1[j].data * (1 - h[j] ** 2) * x[k])
    assert all(p.grad == 0.0 for p in model.layers[1].neurons[1].parameters())


def test_mlp_returns_a_single_value_for_one_output_and_lists_otherwise():
    assert isinstance(MLP(2, [4, 1], seed=0)([1.0, 2.0]), Value)
    assert len(MLP(2, [4, 3], seed=0)([1.0, 2.0])) == 3
    assert isinstance(Layer(2, 1, rng=random.Random(0))([1.0, 2.0]), list)


def test_inputs_may_be_floats_ints_values_tuples_generators_or_one_scalar():
    model = MLP(2, [4, 1], seed=0)
    expected = model([1.0, 2.0]).data
    assert model([1, 2]).data == expected
    assert model((1.0, 2.0)).data == expected
    assert model(x for x in (1.0, 2.0)).data == expected
    assert model([Value(1.0), Value(2.0)]).data == expected
    assert model([Value(1.0), 2.0]).data == expected  # a mix is fine too
    one = MLP(1, [3, 1], seed=0)
    assert one(0.5).data == one([0.5]).data == one(Value(0.5)).data


def test_repr_shows_the_architecture():
    assert repr(MLP(2, [16, 16, 1], seed=0)) == "MLP(2 -> [16 relu, 16 relu, 1 linear])"
    assert repr(MLP(3, [4, 2], activation="tanh", seed=0)) == "MLP(3 -> [4 tanh, 2 linear])"
    assert repr(Neuron(2, rng=random.Random(0))) == "ReLUNeuron(2)"
    assert repr(Neuron(5, activation="sigmoid", rng=random.Random(0))) == "SigmoidNeuron(5)"
    assert repr(Layer(2, 2, activation="linear", rng=random.Random(0))) == "Layer of [LinearNeuron(2), LinearNeuron(2)]"


def test_parameter_counts_and_order():
    model = MLP(2, [16, 16, 1], seed=0)
    params = model.parameters()
    assert len(params) == 337
    assert len({id(p) for p in params}) == 337
    named = model.named_parameters()
    assert [p for _, p in named] == params
    assert named[0][0] == "layers.0.neurons.0.w.0"
    assert named[2][0] == "layers.0.neurons.0.b"
    assert named[-1][0] == "layers.2.neurons.0.b"
    layer = Layer(3, 2, rng=random.Random(0))
    assert layer.parameters() == [p for _, p in layer.named_parameters()]
    neuron = Neuron(3, rng=random.Random(0))
    assert neuron.parameters() == [*neuron.w, neuron.b] == [p for _, p in neuron.named_parameters()]


def test_zero_grad_clears_every_gradient():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, -1.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 and type(p.grad) is float for p in model.parameters())


def test_seed_and_rng_are_reproducible_and_differ_between_seeds():
    a = [p.data for p in MLP(2, [8, 1], seed=3).parameters()]
    b = [p.data for p in MLP(2, [8, 1], seed=3).parameters()]
    c = [p.data for p in MLP(2, [8, 1], rng=random.Random(3)).parameters()]
    d = [p.data for p in MLP(2, [8, 1], seed=4).parameters()]
    assert a == b == c
    assert a != d
    random.seed(9)
    e = [p.data for p in MLP(2, [8, 1]).parameters()]
    random.seed(9)
    f = [p.data for p in MLP(2, [8, 1]).parameters()]
    assert e == f


def _weights(layer: Layer) -> list[float]:
    return [w.data for n in layer.neurons for w in n.w]


@pytest.mark.parametrize(
    ("init", "nin", "nout", "variance"),
    [
        ("uniform", 40, 50, 1.0 / 3.0),  # U(-1, 1): (b − a)² / 12
        ("xavier", 40, 50, 2.0 / 90.0),  # Glorot: 2 / (fan_in + fan_out)
        ("he", 40, 50, 2.0 / 40.0),  # Kaiming: 2 / fan_in
    ],
)
def test_init_variance(init, nin, nout, variance):
    ws = _weights(Layer(nin, nout, init=init, rng=random.Random(0)))  # 2000 draws
    # the sample variance of 2000 draws is within about 3·sqrt(2/2000) ≈ 10% of the truth
    assert abs(statistics.pvariance(ws) - variance) < 0.1 * variance
    assert abs(statistics.fmean(ws)) < 0.1 * math.sqrt(variance)
    assert all(n.b.data == 0.0 for n in Layer(nin, nout, init=init, rng=random.Random(0)).neurons)


def test_uniform_and_xavier_bounds():
    assert max(abs(w) for w in _weights(Layer(10, 10, init="uniform", rng=random.Random(1)))) <= 1.0
    bound = math.sqrt(6.0 / 20.0)
    ws = _weights(Layer(10, 10, init="xavier", rng=random.Random(1)))
    assert max(abs(w) for w in ws) <= bound
    assert max(abs(w) for w in ws) > 0.8 * bound


def test_mlp_init_applies_to_every_layer():
    model = MLP(50, [50, 50], init="xavier", seed=0)
    for layer in model.layers:
        assert max(abs(w) for w in _weights(layer)) <= math.sqrt(6.0 / 100.0)


# --- errors ---


def test_wrong_input_length_names_both_sizes():
    model = MLP(3, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"expects an input of size 3, got size 2"):
        model([1.0, 2.0])
    with pytest.raises(ValueError, match=r"size 3.*size 4"):
        model([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"size 3"):
        model(1.0)
    with pytest.raises(ValueError, match=r"size 2, got size 3"):
        Layer(2, 2)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"size 2, got size 1"):
        Neuron(2)([1.0])


def test_bad_input_types():
    model = MLP(2, [2, 1], seed=0)
    with pytest.raises(TypeError, match="str"):
        model("ab")
    with pytest.raises(TypeError, match=r"got str at input\[1\]"):
        model([1.0, "x"])
    with pytest.raises(TypeError, match="NoneType"):
        model(None)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "pattern"),
    [
        ((0, [2]), {}, ValueError, "nin expects a positive int, got 0"),
        ((-1, [2]), {}, ValueError, "nin"),
        ((2.0, [2]), {}, TypeError, "nin expects a positive int, got float"),
        ((True, [2]), {}, TypeError, "nin expects a positive int, got bool"),
        ((2, []), {}, ValueError, "empty"),
        ((2, 3), {}, TypeError, "nouts expects a list"),
        ((2, "16"), {}, TypeError, "nouts expects a list"),
        ((2, [4, 0]), {}, ValueError, r"nouts\[1\] expects a positive int, got 0"),
        ((2, [4, -2]), {}, ValueError, r"nouts\[1\]"),
        ((2, [4, 1.5]), {}, TypeError, r"nouts\[1\] expects a positive int, got float"),
        ((2, [True]), {}, TypeError, r"nouts\[0\].*bool"),
        ((2, [2]), {"activation": "gelu"}, ValueError, "'relu', 'tanh', 'sigmoid', 'linear'"),
        ((2, [2]), {"activation": None}, TypeError, "activation expects one of"),
        ((2, [2]), {"init": "zeros"}, ValueError, "'uniform', 'xavier', 'he'"),
        ((2, [2]), {"seed": 1, "rng": random.Random(1)}, ValueError, "not both"),
        ((2, [2]), {"seed": 1.5}, TypeError, "seed expects an int"),
        ((2, [2]), {"rng": 42}, TypeError, "rng expects a random.Random"),
    ],
)
def test_constructor_errors(args, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        MLP(*args, **kwargs)


def test_neuron_and_layer_constructor_errors():
    with pytest.raises(ValueError, match="nin"):
        Neuron(0)
    with pytest.raises(ValueError, match="activation"):
        Neuron(2, activation="softplus")
    with pytest.raises(ValueError, match="nout expects a positive int, got 0"):
        Layer(2, 0)
    with pytest.raises(ValueError, match="init"):
        Layer(2, 2, init="orthogonal")


def test_activation_is_read_only():
    n = Neuron(2, activation="tanh")
    with pytest.raises(AttributeError):
        n.activation = "relu"  # type: ignore[misc]
