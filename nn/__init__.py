"""valuegrad's nn: a tiny neural-network library built on autograd's Value.

Models (:class:`MLP` and its :class:`Layer` and :class:`Neuron`) are :class:`Module` objects:
they list their parameters, zero their gradients, and save to / load from JSON. Losses turn
predictions into one Value to backpropagate; optimizers then update the parameters.
:func:`to_torch` and :meth:`MLP.from_torch` move a model to PyTorch and back (with the
``[torch]`` extra).

>>> from nn import MLP, SGD, mse_loss
>>> model = MLP(1, [8, 1], seed=0)
>>> opt = SGD(model.parameters(), lr=0.05)
>>> data = [(x / 4, (x / 4) ** 2) for x in range(-4, 5)]
>>> def loss_now():
...     return mse_loss([model([x]) for x, _ in data], [y for _, y in data])
>>> before = loss_now().data
>>> for _ in range(50):
...     opt.zero_grad()
...     loss_now().backward()
...     opt.step()
>>> loss_now().data < before
True
"""

from .functional import log_softmax, softmax
from .layers import MLP, Layer, Neuron
from .losses import binary_cross_entropy, cross_entropy, hinge_loss, mse_loss
from .module import Module
from .optim import SGD, Adam, LinearDecay
from .rbm import RBM
from .torch_bridge import to_torch
from .train import History, accuracy, fit, predict

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "softmax",
    "log_softmax",
    "mse_loss",
    "hinge_loss",
    "binary_cross_entropy",
    "cross_entropy",
    "SGD",
    "Adam",
    "LinearDecay",
    "RBM",
    "fit",
    "History",
    "predict",
    "accuracy",
    "to_torch",
]
