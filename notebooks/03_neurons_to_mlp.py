# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · From one neuron to a multilayer perceptron
#
# **What you will learn**
#
# - forward propagation written as maps between vector spaces, $\mathbf h = \sigma(W_1\mathbf x + \mathbf b_1)$ and
#   $\mathbf y = W_2\mathbf h + \mathbf b_2$, with dimensions that fit together;
# - what `Neuron`, `Layer` and `MLP` from `nn` compute, checked against the same matrix arithmetic done by hand
#   with plain floats;
# - why a network needs activation functions: without them, any number of layers is **one** affine map (we build
#   that map and compare);
# - why a neuron needs a bias, on a task that no neuron without one can solve;
# - `relu`, `tanh` and `sigmoid` and their derivatives, the derivatives taken by valuegrad's own `backward()`;
# - what the universal approximation theorem says, what it does not say, and what we see when we fit $\sin x$
#   with 1, 3 and 10 hidden units.
#
# Every random number comes from a seeded generator, so every run prints the same numbers. The notebook runs in a
# few seconds, and each claim it makes is checked with an `assert`.

# %%
# %matplotlib inline
import math
import random

import matplotlib.pyplot as plt

from autograd import Value, no_grad
from nn import MLP, Adam, Layer, Neuron, accuracy, binary_cross_entropy, fit, mse_loss

plt.rcParams["figure.dpi"] = 72
random.seed(0)

# %% [markdown]
# ## 1. Forward propagation as maps between vector spaces
#
# Take a network with $m$ inputs, one hidden layer of $k$ units and $n$ outputs:
#
# $$
# \mathbf x \in \mathbb R^m \;\xrightarrow{\;T_1\;}\; \mathbf h \in \mathbb R^k \;\xrightarrow{\;T_2\;}\;
# \mathbf y \in \mathbb R^n,
# \qquad
# \begin{aligned}
# \mathbf h &= T_1(\mathbf x) = \sigma(W_1\mathbf x + \mathbf b_1), & W_1 &\in \mathbb R^{k\times m},\;
# \mathbf b_1 \in \mathbb R^k,\\
# \mathbf y &= T_2(\mathbf h) = W_2\mathbf h + \mathbf b_2, & W_2 &\in \mathbb R^{n\times k},\;
# \mathbf b_2 \in \mathbb R^n .
# \end{aligned}
# $$
#
# A weight matrix has one **row per unit of the layer it feeds** and one **column per input to that layer**, so the
# shapes chain: $(n\times k)(k\times m)$ gives $n\times m$. The activation $\sigma$ is applied to each entry on its
# own.
#
# Three corrections to the source text (seed 002), which writes these maps too:
#
# - it names the input size $m$ and the hidden size $k$, but then writes $T_2 : \mathbb R^h \to \mathbb R^n$ and
#   numbers the columns of $W_2$ up to $h$. Here $\mathbf h$ is the hidden *vector*; its *size* is $k$. Kept
#   consistent: $T_2 : \mathbb R^k \to \mathbb R^n$ and $W_2 \in \mathbb R^{n\times k}$;
# - it calls $T_1(\mathbf x) = \sigma(W_1\mathbf x)$ a linear mapping. $\mathbf x \mapsto W_1\mathbf x$ is linear;
#   adding a bias makes it *affine*; applying $\sigma$ makes it *nonlinear*, and section 2 shows that this is the
#   whole point;
# - it mentions biases in words but leaves $\mathbf b_1, \mathbf b_2$ out of its formulas. Section 3 shows what a
#   layer loses without them.
#
# ### One neuron is one row
#
# Hidden unit $i$ computes $h_i = \sigma\big(\sum_{j=1}^{m} (W_1)_{ij}\, x_j + (b_1)_i\big)$: the weights of one
# neuron are one row of $W_1$. That is `nn.Neuron`. It keeps its weights `w` and its bias `b` as `Value`s, and
# records $\mathbf w\cdot\mathbf x + b$ as a single graph node (an `affine` node when the inputs are plain numbers),
# then applies the activation.

# %%
x = [0.5, -1.0, 2.0]                       # an input in R^m, m = 3

neuron = Neuron(3, activation="tanh", rng=random.Random(2))
neuron.b.data = 0.3                        # biases start at 0; give it one so that it shows
out = neuron(x)

by_hand = math.tanh(sum(w.data * xj for w, xj in zip(neuron.w, x)) + neuron.b.data)
print(neuron, "weights", [round(w.data, 4) for w in neuron.w], "bias", neuron.b.data)
print(f"neuron(x) = {out.data:.12f}   tanh(w.x + b) by hand = {by_hand:.12f}")
print(f"graph: {out.op} <- {out.parents[0].op} with {len(out.parents[0].parents)} parents (3 weights and the bias)")
assert math.isclose(out.data, by_hand, rel_tol=1e-12)
assert out.op == "tanh" and out.parents[0].op == "affine"

# %% [markdown]
# ### A layer is a stack of rows; an MLP is a chain of layers
#
# `Layer(m, k)` is $k$ neurons that read the same input, so its weights form a $k\times m$ matrix and calling it
# returns a list of $k$ `Value`s. `MLP(m, [k, n])` chains a layer $m\to k$ (with the chosen activation) and a layer
# $k\to n$. The **last layer of an `MLP` has no activation**: its outputs are raw numbers that a loss can turn into
# whatever it needs. That is exactly $T_2$ above.
#
# Below we read the weights out of an `MLP` into plain lists of floats, redo the forward pass with nothing but
# multiplication, addition and `math.tanh`, and compare.

# %%
m, k, n = 3, 4, 2
layer = Layer(m, k, activation="tanh", rng=random.Random(2))
print(layer)
print("Layer(3, 4)(x) gives", len(layer(x)), "Values")

model = MLP(m, [k, n], activation="tanh", seed=2)
rng = random.Random(20)
for layer_ in model.layers:                 # nonzero biases, so that the check covers them too
    for neuron_ in layer_.neurons:
        neuron_.b.data = rng.uniform(-1, 1)
print(model, "with", len(model.parameters()), "parameters")
assert len(model.parameters()) == (m + 1) * k + (k + 1) * n     # W1, b1, W2, b2


def matrix_of(layer):
    # (W, b) as plain floats: one row of W per neuron
    return [[w.data for w in neuron.w] for neuron in layer.neurons], [neuron.b.data for neuron in layer.neurons]


def matvec(W, v):
    return [sum(wij * vj for wij, vj in zip(row, v)) for row in W]


W1, b1 = matrix_of(model.layers[0])
W2, b2 = matrix_of(model.layers[1])
print(f"W1 is {len(W1)}x{len(W1[0])}, b1 has {len(b1)} entries; W2 is {len(W2)}x{len(W2[0])}, b2 has {len(b2)}")

h = [math.tanh(z + b) for z, b in zip(matvec(W1, x), b1)]     # h = tanh(W1 x + b1), in R^k
y = [z + b for z, b in zip(matvec(W2, h), b2)]               # y = W2 h + b2,        in R^n
y_model = [v.data for v in model(x)]
print("by hand:", [f"{v:.12f}" for v in y])
print("MLP    :", [f"{v:.12f}" for v in y_model])
assert len(h) == k and len(y) == n
assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(y, y_model))

# %% [markdown]
# The model and the matrix form agree to the last digits. An `MLP` is nothing more than this arithmetic, done on
# `Value`s so that `backward()` can later send gradients to every entry of $W_1, \mathbf b_1, W_2, \mathbf b_2$.
#
# ## 2. Why activation functions matter
#
# Remove $\sigma$ and the two maps collapse into one:
#
# $$
# \mathbf y = W_2(W_1\mathbf x + \mathbf b_1) + \mathbf b_2 = \underbrace{(W_2W_1)}_{A}\,\mathbf x +
# \underbrace{(W_2\mathbf b_1 + \mathbf b_2)}_{\mathbf c}.
# $$
#
# The same step repeats for every extra layer: with $L$ layers and no activations,
# $\mathbf y = A\mathbf x + \mathbf c$ with $A = W_L\cdots W_2W_1$. However deep, such a network can only represent
# an affine map, the many-dimensional form of the seed's "straight line $y = mx + b$". Seed 001 makes this argument
# with five hand-written equations; here we check it on a network with three hidden layers, built with
# `activation="linear"`. We fold its layers into one $(A, \mathbf c)$: start from $A = I$, $\mathbf c = \mathbf 0$
# and for each layer set $A \leftarrow WA$, $\mathbf c \leftarrow W\mathbf c + \mathbf b$.

# %%
deep = MLP(3, [8, 8, 8, 2], activation="linear", seed=3)
rng = random.Random(30)
for layer_ in deep.layers:
    for neuron_ in layer_.neurons:
        neuron_.b.data = rng.uniform(-1, 1)


def matmul(P, Q):
    return [[sum(P[i][t] * Q[t][j] for t in range(len(Q))) for j in range(len(Q[0]))] for i in range(len(P))]


A = [[1.0 if i == j else 0.0 for j in range(3)] for i in range(3)]   # the identity map on R^3
c = [0.0, 0.0, 0.0]
for layer_ in deep.layers:
    W, b = matrix_of(layer_)
    A = matmul(W, A)
    c = [z + bi for z, bi in zip(matvec(W, c), b)]

print(deep, "has", len(deep.parameters()), "parameters; the map they make has", len(A) * len(A[0]) + len(c))
print("A =", [[round(a, 4) for a in row] for row in A])
print("c =", [round(ci, 4) for ci in c])

rng = random.Random(31)
worst = 0.0
for _ in range(25):
    xr = [rng.uniform(-3, 3) for _ in range(3)]
    y_net = [v.data for v in deep(xr)]
    y_one = [z + ci for z, ci in zip(matvec(A, xr), c)]
    worst = max(worst, max(abs(a - b) for a, b in zip(y_net, y_one)))
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(y_net, y_one))
print(f"largest difference between the deep network and A x + c on 25 random inputs: {worst:.1e}")


# %% [markdown]
# 194 parameters, and yet the function they compute is pinned down by 8 numbers: the 6 entries of $A$ and the 2 of
# $\mathbf c$. Depth bought nothing.
#
# A quick way to see that `tanh` changes this: an affine map sends the midpoint of two inputs to the midpoint of
# their outputs, $f\big(\tfrac{\mathbf x + \mathbf x'}{2}\big) = \tfrac{f(\mathbf x) + f(\mathbf x')}{2}$. The linear
# network passes that test; the same architecture with `tanh` between the layers fails it.

# %%
def midpoint_gap(net, xa, xb):
    mid = [(p + q) / 2 for p, q in zip(xa, xb)]
    return max(abs(fm.data - (fa.data + fb.data) / 2) for fm, fa, fb in zip(net(mid), net(xa), net(xb)))


curvy = MLP(3, [8, 8, 8, 2], activation="tanh", seed=3)
xa, xb = [1.0, -2.0, 0.5], [-1.5, 0.5, 2.0]
gap_linear, gap_tanh = midpoint_gap(deep, xa, xb), midpoint_gap(curvy, xa, xb)
print(f"midpoint gap: linear network {gap_linear:.1e}, tanh network {gap_tanh:.3f}")
assert gap_linear < 1e-12 and gap_tanh > 1e-2

# %% [markdown]
# ## 3. Why the bias matters
#
# Without a bias a neuron computes $z = \mathbf w\cdot\mathbf x$. In one dimension that is $z = wx$, a line through
# the origin, as seed 001 says. For a classifier, which predicts class 1 when $\sigma(z) > \tfrac12$, that is when
# $z > 0$, it means the decision boundary $z = 0$ is nailed to $x = 0$ whatever $w$ is (in two dimensions, to a line
# through the origin). Training can only tilt it, never move it.
#
# A task it cannot solve: points $x = 0.25, 0.5, \dots, 5$, labelled 1 when $x > 2.5$. Every point has $x > 0$, so
# a bias-free neuron puts all of them on the same side and gets at most half right. We train two neurons with
# `fit` and binary cross-entropy, which takes the neuron's output $z$ as a logit and applies the sigmoid itself.
# Both start from the same weight; the "bias-free" one is a `Neuron` whose bias we do not hand to the optimizer,
# so it stays at 0.

# %%
X1 = [[0.25 * i] for i in range(1, 21)]
y1 = [1 if row[0] > 2.5 else 0 for row in X1]

with_bias = Neuron(1, activation="linear", rng=random.Random(4))
no_bias = Neuron(1, activation="linear", rng=random.Random(4))
hist_with = fit(with_bias, X1, y1, binary_cross_entropy, Adam(with_bias.parameters(), lr=0.1),
                epochs=300, progress=False, task="binary")
hist_without = fit(no_bias, X1, y1, binary_cross_entropy, Adam(no_bias.w, lr=0.1),     # the weight only
                   epochs=300, progress=False, task="binary")

acc_with, acc_without = accuracy(with_bias, X1, y1), accuracy(no_bias, X1, y1)
w_, b_ = with_bias.w[0].data, with_bias.b.data
print(f"with a bias   : loss {hist_with.loss[-1]:.3f}, accuracy {acc_with:.2f}, boundary at x = {-b_ / w_:.3f}")
print(f"without a bias: loss {hist_without.loss[-1]:.3f}, accuracy {acc_without:.2f}, boundary at x = 0")
assert no_bias.b.data == 0.0
assert acc_with == 1.0 and acc_without <= 0.5
assert hist_with.loss[-1] < hist_without.loss[-1]

grid = [i * 5.5 / 110 - 0.25 for i in range(111)]
fig, ax = plt.subplots(figsize=(6, 2.6))
ax.scatter([r[0] for r in X1], y1, c=y1, cmap="coolwarm", edgecolors="k", zorder=3, label="data")
with no_grad():
    ax.plot(grid, [with_bias([g]).sigmoid().data for g in grid], label=r"$\sigma(wx + b)$, with bias")
    ax.plot(grid, [no_bias([g]).sigmoid().data for g in grid], "--", label=r"$\sigma(wx)$, no bias")
ax.axhline(0.5, color="gray", lw=0.5)
ax.set_xlabel("x")
ax.set_ylabel("P(class 1)")
ax.legend(fontsize=8, loc="center right")
plt.show()

# %% [markdown]
# The biased neuron moves its boundary to about $x = 2.5$ and classifies every point. The bias-free one can only
# make its curve steeper or flatter around $x = 0$, where its probability is always exactly $\tfrac12$. The best it
# can do is keep the curve shallow and call every point class 1 with little confidence: right for half of them. The bias is what lets a unit decide *where* its activation switches, not just how sharply.
# Every `Neuron` in `nn` has one, and so does every row of $W_1$ in section 1.
#
# ## 4. The activation functions and their derivatives
#
# | name | $\sigma(z)$ | $\sigma'(z)$ |
# |---|---|---|
# | ReLU | $\max(0, z)$ | $1$ if $z > 0$, $0$ if $z < 0$ (undefined at 0; valuegrad, like PyTorch, uses 0) |
# | tanh | $\tanh z$ | $1 - \tanh^2 z$ |
# | sigmoid | $\dfrac{1}{1 + e^{-z}}$ | $\sigma(z)\,\big(1 - \sigma(z)\big)$ |
#
# We do not code these derivatives here: for each $z$ on a grid we make a `Value`, apply the activation, call
# `backward()`, and read the gradient off the leaf. Then we compare with the closed forms in the table.

# %%
zs = [-4 + 8 * i / 160 for i in range(161)]        # includes z = 0 exactly
closed_form = {
    "relu": lambda s, z: 1.0 if z > 0 else 0.0,
    "tanh": lambda s, z: 1.0 - s * s,
    "sigmoid": lambda s, z: s * (1.0 - s),
}

curves = {}
for name, derivative in closed_form.items():
    values, slopes = [], []
    for z in zs:
        leaf = Value(z)
        out = getattr(leaf, name)()                # leaf.relu(), leaf.tanh() or leaf.sigmoid()
        out.backward()
        values.append(out.data)
        slopes.append(leaf.grad)
    err = max(abs(g - derivative(s, z)) for g, s, z in zip(slopes, values, zs))
    print(f"{name:8s} largest |backward() - closed form| = {err:.1e},  largest slope {max(slopes):.4f}")
    assert err < 1e-12
    curves[name] = (values, slopes)

assert max(curves["sigmoid"][1]) == 0.25 and max(curves["tanh"][1]) == 1.0   # both reached at z = 0

fig, axes = plt.subplots(1, 3, figsize=(9, 2.5), sharex=True)
for ax, (name, (values, slopes)) in zip(axes, curves.items()):
    ax.plot(zs, values, label=name)
    ax.plot(zs, slopes, "--", label="derivative (backward)")
    ax.set_title(name)
    ax.set_xlabel("z")
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Two things to read off the plots:
#
# - the sigmoid's slope is at most $\tfrac14$, so a gradient flowing back through a sigmoid is multiplied by at most
#   $\tfrac14$ (the weights then scale it again). Through many layers with moderate weights it *vanishes*. tanh's slope reaches 1 at the origin, but it also goes
#   to 0 once $|z|$ is large, when the unit *saturates*;
# - ReLU's slope is exactly 1 wherever the unit is on, so it passes gradients through unchanged, and exactly 0
#   wherever it is off. A unit that is off for every input gets no gradient at all and never recovers (a "dead"
#   ReLU).
#
# ## 5. The universal approximation theorem, stated correctly
#
# Seed 001 says that a network "with an output layer and at least one hidden layer that uses a non-linear activation
# function can approximate any function". That is too strong. The theorem (Cybenko 1989 for sigmoids; Hornik 1991;
# Leshno, Lin, Pinkus and Schocken 1993 in this general form) says:
#
# > Let $\sigma$ be continuous and **not a polynomial**, let $K \subset \mathbb R^m$ be **compact** (closed and
# > bounded) and $f : K \to \mathbb R$ **continuous**. For every $\varepsilon > 0$ there are a width $k$ and weights
# > $W_1 \in \mathbb R^{k\times m}$, $\mathbf b_1 \in \mathbb R^k$, $\mathbf w_2 \in \mathbb R^k$, $b_2 \in \mathbb R$
# > such that
# > $$\sup_{\mathbf x \in K}\,\big|\,f(\mathbf x) - \mathbf w_2^{\top}\sigma(W_1\mathbf x + \mathbf b_1) - b_2\,\big|
# > < \varepsilon .$$
#
# So: any **continuous** function, on a **compact** set, to any accuracy, given **enough hidden units**. What it
# does *not* say:
#
# - "any function": a function with a jump cannot be approximated uniformly by continuous networks (near the jump
#   the error stays at least half its height), and on an unbounded domain it fails too (a tanh network is bounded,
#   so it cannot follow $x^2$ over all of $\mathbb R$);
# - "any nonlinear activation": a polynomial is nonlinear too, but with a polynomial activation of degree $d$ a
#   one-hidden-layer network is itself a polynomial of degree at most $d$, however many units it has;
# - how many units: $k$ may have to be huge, growing fast with $m$ and with $1/\varepsilon$;
# - anything about **learning**: it says good weights *exist*. It does not say that gradient descent finds them, nor
#   that weights fitted to finitely many samples behave well between them.
#
# Let us watch it at work on a small case: $f(x) = \sin x$ on $K = [-\pi, \pi]$, with one hidden layer of 1, 3 and 10
# `tanh` units, each trained the same way with `fit` (Adam with learning rate 0.03, 1500 full-batch epochs, mean
# squared error, 32 training points). We measure the
# error on a finer grid of 201 points, between the training points too.

# %%
X_train = [[-math.pi + 2 * math.pi * i / 31] for i in range(32)]
y_train = [math.sin(row[0]) for row in X_train]
X_test = [[-math.pi + 2 * math.pi * i / 200] for i in range(201)]
y_test = [math.sin(row[0]) for row in X_test]

widths = [1, 3, 10]
fits, test_mse, max_err, report = {}, {}, {}, []
for width in widths:
    net = MLP(1, [width, 1], activation="tanh", init="xavier", seed=5)
    fit(net, X_train, y_train, mse_loss, Adam(net.parameters(), lr=0.03), epochs=1500,
        progress=False, task="regression")
    with no_grad():
        pred = [net(row).data for row in X_test]
    fits[width] = pred
    test_mse[width] = sum((p - t) ** 2 for p, t in zip(pred, y_test)) / len(y_test)
    max_err[width] = max(abs(p - t) for p, t in zip(pred, y_test))
    report.append(f"{width:2d} hidden unit{'s' if width > 1 else ' '}: {len(net.parameters()):2d} parameters, "
                  f"mean squared error {test_mse[width]:.5f}, largest error {max_err[width]:.4f}")
print("\n".join(report))

assert test_mse[10] == min(test_mse.values())            # the widest fits best
assert test_mse[10] < test_mse[3] < test_mse[1]
assert max_err[10] < 0.05 and max_err[1] > 0.3

fig, ax = plt.subplots(figsize=(6, 3))
ax.plot([r[0] for r in X_test], y_test, color="k", lw=3, alpha=0.25, label=r"$\sin x$")
for width in widths:
    ax.plot([r[0] for r in X_test], fits[width], label=f"{width} hidden unit{'s' if width > 1 else ''}")
ax.scatter([r[0] for r in X_train], y_train, s=10, color="k", zorder=3, label="training points")
ax.set_xlabel("x")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# One tanh unit gives $w_2\tanh(w_1x + b_1) + b_2$, which is monotone: it can only rise or only fall, while
# $\sin x$ rises and then falls twice on $[-\pi, \pi]$. No training can fix that; the model is too small. Three units
# already trace the shape, and ten follow it closely, on the test grid as well as at the training points. This is the
# theorem's promise in miniature: more units, smaller error. But notice that *we* had to choose the learning rate,
# the number of epochs and the starting weights for training to actually reach a good fit. The theorem guaranteed
# none of that, and the ranking is less tidy than it looks: train for 1000 epochs at learning rate 0.05 instead and
# the 3-unit network ends up slightly *ahead* of the 10-unit one (try it). A wider network can represent a better
# fit; whether training finds it within a given budget is another question.
#
# ## Summary
#
# - Forward propagation is a chain of maps $\mathbf x \in \mathbb R^m \mapsto \mathbf h = \sigma(W_1\mathbf x +
#   \mathbf b_1) \in \mathbb R^k \mapsto \mathbf y = W_2\mathbf h + \mathbf b_2 \in \mathbb R^n$, with
#   $W_1 \in \mathbb R^{k\times m}$ and $W_2 \in \mathbb R^{n\times k}$. The hidden size is $k$; seed 002's
#   $\mathbb R^h$ should read $\mathbb R^k$.
# - A `Neuron` is one row of a weight matrix plus its bias, a `Layer` is the whole matrix, an `MLP` is the chain,
#   with a linear last layer. We checked `MLP` against the matrix form computed with plain floats.
# - Without activations any depth collapses to one affine map $A\mathbf x + \mathbf c$ with $A = W_L\cdots W_1$: we
#   built $A$ and $\mathbf c$ and matched a 194-parameter network with 8 numbers.
# - Without a bias, a unit's boundary is stuck at the origin; a single biased neuron solved a task that no bias-free
#   neuron can.
# - ReLU, tanh and sigmoid have derivatives step, $1 - \tanh^2$ and $\sigma(1 - \sigma)$, and valuegrad's
#   `backward()` reproduces them to rounding error. The sigmoid's slope never exceeds $\tfrac14$.
# - The universal approximation theorem: continuous functions on compact sets, any accuracy, enough hidden units,
#   a non-polynomial activation. It is a statement that good weights exist, not that training finds them.
#
# ## Exercises
#
# 1. **No activation, no curve.** Fit $\sin x$ as in section 5 with 10 hidden units but `activation="linear"`.
#    Before running it, predict the error: by section 2 the network is a line $ax + c$, so the best it can do is the
#    least-squares line through the 32 training points. Compute that line yourself and compare the two errors.
# 2. **Bias in two dimensions.** Label the points of a grid on $[0, 2]^2$ with 1 when $x_1 + x_2 > 2$. Train a
#    `Neuron(2, activation="linear")` with and without its bias, as in section 3. Where can the bias-free boundary
#    lie, and what is the best accuracy it could possibly reach on this grid?
# 3. **ReLU approximations.** Repeat section 5 with `activation="relu"`. A ReLU network with one hidden layer is
#    piecewise linear: how many kinks can a fit with $k$ hidden units have at most? Plot the 3-unit fit and count
#    them. Does the 10-unit ReLU fit beat the 10-unit tanh fit?
