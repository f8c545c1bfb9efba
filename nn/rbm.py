"""The restricted Boltzmann machine (RBM): a generative, unsupervised energy-based model.

An RBM has two layers of binary units and nothing else: a **visible** layer v ∈ {0, 1}ᵐ,
where the data goes, and a **hidden** layer h ∈ {0, 1}ᵏ, which learns features. Every
visible unit is connected to every hidden unit by a weight Wᵢⱼ, and there are no
connections inside a layer; that restriction is the "restricted". It is not a feed-forward
network with an input and an output layer, and it is not trained by backpropagating a
supervised loss: it learns a probability distribution over its visible units, from unlabelled
data, by contrastive divergence.

The model
---------
Each joint state has an energy

    E(v, h) = −aᵀv − bᵀh − vᵀWh

with a visible bias a ∈ ℝᵐ and a hidden bias b ∈ ℝᵏ. The Boltzmann distribution over states,
p ∝ exp(−E/T), here with temperature T = 1, is p(v, h) = exp(−E(v, h)) / Z: low energy means
high probability. Summing out h gives p(v) = exp(−F(v)) / Z with the **free energy**

    F(v) = −aᵀv − Σⱼ softplus(bⱼ + (vᵀW)ⱼ),    softplus(x) = log(1 + eˣ).

Because no two hidden units are connected, they are independent given v, and each one is on
with the logistic sigmoid of its input (the two-state case of a softmax):

    p(hⱼ = 1 | v) = σ(bⱼ + Σᵢ vᵢWᵢⱼ),    p(vᵢ = 1 | h) = σ(aᵢ + Σⱼ Wᵢⱼhⱼ).

Learning
--------
Maximum likelihood asks for ∂/∂θ of −log p(v) = F(v) + log Z, averaged over the data. The
log Z term becomes an average of ∂F/∂θ under the model's own distribution, which is
intractable; contrastive divergence (CD-k, Hinton 2002) replaces those model samples by
running k steps of Gibbs sampling started at the data. So each step minimises

    L = mean F(v_data) − mean F(v_model),

with v_model held constant (no gradient flows through the sampling). Here that is literally
what the code does: it builds L from Values, calls ``backward()``, and steps the parameters.
Autodiff of the free energy reproduces the textbook CD update, because

    ∂F/∂Wᵢⱼ = −vᵢ σ(bⱼ + (vᵀW)ⱼ),   ∂F/∂aᵢ = −vᵢ,   ∂F/∂bⱼ = −σ(bⱼ + (vᵀW)ⱼ),

so −∂L/∂W = ⟨v p(h|v)ᵀ⟩_data − ⟨v p(h|v)ᵀ⟩_model.

>>> from nn.data import bars_and_stripes
>>> data = bars_and_stripes(3)
>>> rbm = RBM(9, 8, seed=0)
>>> before = rbm.reconstruction_error(data)
>>> errors = rbm.fit(data, epochs=200, k=1, lr=1.0)
>>> rbm.reconstruction_error(data) < 0.5 * before
True
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from autograd import Value, dot, gc_paused, no_grad, sum_values

from .checks import check_finite
from .module import Module

__all__ = ["RBM", "softplus"]


def softplus(x: Value) -> Value:
    """softplus(x) = log(1 + eˣ), computed without overflow; d/dx softplus(x) = σ(x).

    It is :meth:`Value.softplus`, one op of the table: for x ≥ 0 the op uses the equal form
    x + log(1 + e⁻ˣ), so eˣ is never taken of a large number: softplus(1000) is 1000, not inf.

    >>> round(softplus(Value(0.0)).data, 12) == round(math.log(2.0), 12)
    True
    >>> softplus(Value(1000.0)).data
    1000.0
    """
    return x.softplus()  # one op of the table, so a recorded tape replays it for any x


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class RBM(Module):
    """A Bernoulli–Bernoulli restricted Boltzmann machine with ``n_visible`` and ``n_hidden`` units.

    Parameters, all Values so that autodiff can train them: ``W`` (``n_visible`` lists of
    ``n_hidden`` weights, drawn from N(0, ``init_std``²)), the visible bias ``a`` and the hidden
    bias ``b`` (zeros). Weights must start unequal, or every hidden unit learns the same
    feature; too small a spread makes the first gradients tiny on symmetric data such as
    bars and stripes. ``seed`` fixes both the initial weights and every Gibbs sample drawn
    afterwards, so training is reproducible.

    States are lists of floats 0.0/1.0 (probabilities are accepted where the docs say so).
    See the module docstring for the energy, the free energy and contrastive divergence.
    It is a :class:`~nn.module.Module`, so ``state_dict()``, ``save(path)`` and ``load(path)``
    work as for an MLP.

    >>> rbm = RBM(4, 2, seed=0)
    >>> len(rbm.parameters())    # 4·2 weights + 4 + 2 biases
    14
    """

    def __init__(self, n_visible: int, n_hidden: int, seed: int | None = None, init_std: float = 0.1) -> None:
        for name, value in (("n_visible", n_visible), ("n_hidden", n_hidden)):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"RBM: {name} expects an int, got {type(value).__name__}")
            if value < 1:
                raise ValueError(f"RBM: {name} must be >= 1, got {value}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f"RBM: seed expects an int or None, got {type(seed).__name__}")
        if isinstance(init_std, bool) or not isinstance(init_std, (int, float)):
            raise TypeError(f"RBM: init_std expects a finite number >= 0, got {type(init_std).__name__}")
        if not (init_std >= 0 and _finite(init_std)):
            raise ValueError(f"RBM: init_std must be a finite number >= 0, got {_shown(init_std)}")
        self.n_visible = n_visible
        self.n_hidden = n_hidden
        self.rng = random.Random(seed)
        self.W: list[list[Value]] = [
            [Value(self.rng.gauss(0.0, init_std), label=f"W[{i}][{j}]") for j in range(n_hidden)]
            for i in range(n_visible)
        ]
        self.a: list[Value] = [Value(0.0, label=f"a[{i}]") for i in range(n_visible)]
        self.b: list[Value] = [Value(0.0, label=f"b[{j}]") for j in range(n_hidden)]

    def __repr__(self) -> str:
        return f"RBM(n_visible={self.n_visible}, n_hidden={self.n_hidden})"

    # --- parameters ---

    def parameters(self) -> list[Value]:
        """All trainable Values: W row by row, then a, then b (the order of ``named_parameters()``)."""
        return [w for row in self.W for w in row] + self.a + self.b

    def architecture(self) -> dict[str, Any]:
        return {"type": "RBM", "n_visible": self.n_visible, "n_hidden": self.n_hidden}

    # --- checks ---

    def _state(self, x: Any, size: int, name: str, unit: str = "visible unit") -> list[float]:
        """``x`` as a list of ``size`` finite floats; errors name ``name[i]``, the ``unit`` i."""
        if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
            raise TypeError(f"RBM: {name} expects a sequence of {size} numbers, got {type(x).__name__}")
        if len(x) != size:
            raise ValueError(f"RBM: {name} must have {size} entries, got {len(x)}")
        out = []
        isfinite = math.isfinite
        for i, xi in enumerate(x):
            if isinstance(xi, Value):
                xi = xi.data
            if type(xi) is not float or not isfinite(xi):  # one nan would turn the parameters nan
                check_finite(xi, f"RBM: {name}[{i}]", f"{unit} {i}")
            out.append(float(xi))
        return out

    def _data(self, data: Any) -> list[list[float]]:
        if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
            raise TypeError(f"RBM: data expects a list of visible vectors, got {type(data).__name__}")
        if len(data) == 0:
            raise ValueError("RBM: data must not be empty")
        return [self._state(v, self.n_visible, f"data[{n}]", f"sample {n}, visible unit") for n, v in enumerate(data)]

    # --- energies ---

    def energy(self, v: Sequence[float], h: Sequence[float]) -> Value:
        """E(v, h) = −aᵀv − bᵀh − vᵀWh, as a Value (differentiable in the parameters).

        >>> rbm = RBM(2, 1, seed=0)
        >>> rbm.W[0][0].data, rbm.a[0].data = 1.0, 0.5
        >>> rbm.energy([1.0, 0.0], [1.0]).data    # −0.5 − 0 − 1·1·1
        -1.5
        """
        v = self._state(v, self.n_visible, "v")
        h = self._state(h, self.n_hidden, "h", "hidden unit")
        # vᵀWh = Σᵢⱼ vᵢhⱼWᵢⱼ: one fused affine node over all the weights
        coeffs = [vi * hj for vi in v for hj in h]
        weights = [w for row in self.W for w in row]
        return -(dot(self.a, v) + dot(self.b, h) + dot(weights, coeffs))

    def hidden_inputs(self, v: Sequence[float]) -> list[Value]:
        """The hidden units' total inputs bⱼ + (vᵀW)ⱼ, as Values (one fused node each)."""
        v = self._state(v, self.n_visible, "v")
        return [dot([row[j] for row in self.W], v, self.b[j]) for j in range(self.n_hidden)]

    def free_energy(self, v: Sequence[float]) -> Value:
        """F(v) = −aᵀv − Σⱼ softplus(bⱼ + (vᵀW)ⱼ), so that p(v) ∝ exp(−F(v)).

        It is −log Σ_h exp(−E(v, h)): the hidden units summed out, which is possible in
        closed form because they are independent given v. Its gradient is the CD statistic:
        ∂F/∂Wᵢⱼ = −vᵢ σ(bⱼ + (vᵀW)ⱼ).

        >>> rbm = RBM(3, 2, seed=0)
        >>> for w in rbm.parameters():
        ...     w.data = 0.0
        >>> round(rbm.free_energy([1.0, 0.0, 1.0]).data, 12) == round(-2 * math.log(2.0), 12)
        True
        """
        v = self._state(v, self.n_visible, "v")
        return -(dot(self.a, v) + sum_values(softplus(x) for x in self.hidden_inputs(v)))

    # --- conditionals and sampling (plain floats: no graph is needed) ---

    def p_h_given_v(self, v: Sequence[float]) -> list[float]:
        """p(hⱼ = 1 | v) = σ(bⱼ + Σᵢ vᵢWᵢⱼ) for each hidden unit (v may hold probabilities)."""
        return self._p_h(self._state(v, self.n_visible, "v"))

    def _p_h(self, v: list[float]) -> list[float]:
        """:meth:`p_h_given_v` of a state already checked."""
        out = []
        for j in range(self.n_hidden):
            z = self.b[j].data
            for i, vi in enumerate(v):
                if vi:
                    z += vi * self.W[i][j].data
            out.append(_sigmoid(z))
        return out

    def p_v_given_h(self, h: Sequence[float]) -> list[float]:
        """p(vᵢ = 1 | h) = σ(aᵢ + Σⱼ Wᵢⱼhⱼ) for each visible unit (h may hold probabilities)."""
        return self._p_v(self._state(h, self.n_hidden, "h", "hidden unit"))

    def _p_v(self, h: list[float]) -> list[float]:
        """:meth:`p_v_given_h` of a state already checked."""
        out = []
        for i in range(self.n_visible):
            row = self.W[i]
            z = self.a[i].data
            for j, hj in enumerate(h):
                if hj:
                    z += hj * row[j].data
            out.append(_sigmoid(z))
        return out

    def _bernoulli(self, probs: list[float]) -> list[float]:
        rng = self.rng.random
        return [1.0 if rng() < p else 0.0 for p in probs]

    def sample_h(self, v: Sequence[float]) -> list[float]:
        """A binary sample h ~ p(h | v): each unit on with probability σ(bⱼ + (vᵀW)ⱼ)."""
        return self._bernoulli(self.p_h_given_v(v))

    def sample_v(self, h: Sequence[float]) -> list[float]:
        """A binary sample v ~ p(v | h): each unit on with probability σ(aᵢ + (Wh)ᵢ)."""
        return self._bernoulli(self.p_v_given_h(h))

    def gibbs(self, v: Sequence[float], k: int = 1) -> list[float]:
        """Run k steps of block Gibbs sampling v → h → v from ``v``; return the last binary v.

        As k grows the chain's samples come from the model's own distribution p(v); CD-k
        stops after k steps (k = 1 is common and works well in practice).

        >>> rbm = RBM(4, 3, seed=1)
        >>> sample = rbm.gibbs([1.0, 0.0, 1.0, 0.0], k=5)
        >>> len(sample), set(sample) <= {0.0, 1.0}
        (4, True)
        """
        _check_k(k)
        state = self._state(v, self.n_visible, "v")
        for _ in range(k):
            state = self._bernoulli(self._p_v(self._bernoulli(self._p_h(state))))
        return state

    def reconstruct(self, v: Sequence[float]) -> list[float]:
        """One mean-field up-down pass: p(v = 1 | h = p(h = 1 | v)), probabilities, no sampling."""
        return self._p_v(self._p_h(self._state(v, self.n_visible, "v")))

    def reconstruction_error(self, data: Sequence[Sequence[float]]) -> float:
        """The mean over samples and units of (vᵢ − v̂ᵢ)², where v̂ = :meth:`reconstruct` (v).

        A convenient progress signal for training (the likelihood itself needs log Z), not
        the quantity CD optimises. An untrained RBM reconstructs every unit as about 0.5.
        """
        rows = self._data(data)
        total = 0.0
        for v in rows:
            total += sum((vi - ri) ** 2 for vi, ri in zip(v, self.reconstruct(v), strict=True))
        return total / (len(rows) * self.n_visible)

    def sample(self, n_samples: int, k: int = 100) -> list[list[float]]:
        """Draw ``n_samples`` visible vectors from the model ("dreams"): k Gibbs steps from random noise."""
        if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
            raise ValueError(f"RBM: n_samples must be an int >= 1, got {n_samples!r}")
        return [self.gibbs(self._bernoulli([0.5] * self.n_visible), k) for _ in range(n_samples)]

    # --- training by contrastive divergence ---

    def free_energy_gap(self, batch: Sequence[Sequence[float]], k: int = 1) -> Value:
        """L = mean F(v_data) − mean F(v_model), where v_model = k Gibbs steps from each v_data.

        The negative samples are drawn without a graph (they are plain floats), so they are
        constants in L: its gradient is the CD-k estimate of the negative log-likelihood's.
        """
        rows = self._data(batch)
        with no_grad():
            negatives = [self.gibbs(v, k) for v in rows]
        n = len(rows)
        positive = sum_values(self.free_energy(v) for v in rows)
        negative = sum_values(self.free_energy(v) for v in negatives)
        return (positive - negative) / n

    def cd_step(self, batch: Sequence[Sequence[float]], k: int = 1, lr: float = 0.1) -> float:
        """One CD-k update on ``batch``: θ ← θ − lr · ∂L/∂θ for L of :meth:`free_energy_gap`.

        Returns L's value before the update (near 0 when the model's samples look like the
        data). The gradient comes from ``backward()`` on the free-energy graph.
        """
        _check_lr(lr)
        gap = self.free_energy_gap(batch, k)
        params = self.parameters()
        for p in params:
            p.grad = 0.0
        gap.backward()
        for p in params:
            p.data -= lr * p.grad
        return gap.data

    def fit(
        self,
        data: Sequence[Sequence[float]],
        epochs: int = 100,
        k: int = 1,
        lr: float = 0.1,
        batch_size: int = 0,
    ) -> list[float]:
        """Train by CD-k for ``epochs`` passes over ``data``; return the reconstruction error after each.

        Each epoch shuffles the data with the RBM's own generator and takes one
        :meth:`cd_step` per minibatch of ``batch_size`` samples (0: the whole set at once).
        CPython's cyclic collector is paused during each step (see :func:`autograd.gc_paused`).

        Every argument is checked before the first step: each entry of ``data`` must be a
        finite number (a nan or an infinity raises ValueError naming it, such as
        ``data[3][5] (sample 3, visible unit 5) is nan``, where it would have turned the
        parameters it reaches into nan), and a bad ``epochs``, ``k``, ``lr`` or
        ``batch_size`` raises naming it; the parameters are then untouched.
        """
        rows = self._data(data)
        _check_k(k)
        _check_lr(lr)
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"RBM: epochs must be an int >= 1, got {epochs!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 0:
            raise ValueError(f"RBM: batch_size must be an int >= 0 (0 for the whole set), got {batch_size!r}")
        size = batch_size or len(rows)
        history = []
        for _ in range(epochs):
            order = list(range(len(rows)))
            self.rng.shuffle(order)
            for start in range(0, len(order), size):
                with gc_paused():  # each step's graph is freed inside: see autograd.gc_paused
                    self.cd_step([rows[i] for i in order[start : start + size]], k=k, lr=lr)
            history.append(self.reconstruction_error(rows))
        return history


def _check_k(k: Any) -> None:
    """``k``, the number of Gibbs steps, must be an int >= 1."""
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError(f"RBM: k expects an int, got {type(k).__name__}")
    if k < 1:
        raise ValueError(f"RBM: k must be >= 1 Gibbs steps, got {k}")


def _check_lr(lr: Any) -> None:
    """``lr``, the learning rate, must be a finite number > 0."""
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise TypeError(f"RBM: lr expects a finite number > 0, got {type(lr).__name__}")
    if not (lr > 0 and _finite(lr)):
        raise ValueError(f"RBM: lr must be a finite number > 0, got {_shown(lr)}")


def _finite(x: float) -> bool:
    """``math.isfinite`` that also answers (False) for an int too large for a float."""
    try:
        return math.isfinite(x)
    except OverflowError:
        return False


def _shown(x: float) -> str:
    """``repr(x)``, or a description of an int too long for a message."""
    return repr(x) if _finite(x) or isinstance(x, float) else f"an int of {int(x).bit_length()} bits"
