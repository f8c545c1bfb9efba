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
#   with 1, 3 and 10 hidden units, down to the piece that each hidden unit contributes;
# - backpropagation in **matrix form**: the error signals $\boldsymbol\delta$, $\partial L/\partial W = \boldsymbol\delta
#   \mathbf x^\top$ with every shape checked, and the same numbers as `backward()`.
#
# Every random number comes from a seeded generator, so every run prints the same numbers. The notebook runs in a
# few seconds, and each claim it makes is checked with an `assert`.

# %%
# %matplotlib inline
import math
import random

import matplotlib.pyplot as plt

import numpy as np

from autograd import Value, no_grad
from exercises import check, hint, solution
from nn import MLP, SGD, Adam, Layer, Neuron, accuracy, binary_cross_entropy, fit, mse_loss

plt.rcParams["figure.dpi"] = 110
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
# Here is the network drawn for $m = 3$, $k = 4$, $n = 2$. Every line is one weight; the lines into hidden unit
# $h_1$ (in orange) are the first row of $W_1$. Forward propagation runs left to right: each hidden unit adds up its
# weighted inputs and its bias, then applies $\sigma$; each output adds up its weighted hidden units and its bias.

# %%
def draw_network(ax, sizes, names, highlight=None):
    # circles for the units of each layer, a line per weight; returns the number of lines drawn
    columns = []
    for col, (size, name) in enumerate(zip(sizes, names)):
        ys = [(size - 1) / 2 - i for i in range(size)]
        columns.append([(col, y) for y in ys])
    lines = 0
    for col in range(len(sizes) - 1):
        for j, (x0, y0) in enumerate(columns[col]):
            for i, (x1, y1) in enumerate(columns[col + 1]):
                on = highlight == (col + 1, i)
                ax.plot([x0, x1], [y0, y1], color="tab:orange" if on else "0.75", lw=2 if on else 0.8, zorder=1)
                lines += 1
    colours = ["tab:blue", "tab:green", "tab:purple"]
    kinds = ["input $\\mathbf{x} \\in \\mathbb{R}^m$", "hidden $\\mathbf{h} = \\sigma(W_1\\mathbf{x} + \\mathbf{b}_1)$",
             "output $\\mathbf{y} = W_2\\mathbf{h} + \\mathbf{b}_2$"]
    for col, (units, name) in enumerate(zip(columns, names)):
        ax.scatter([u[0] for u in units], [u[1] for u in units], s=700, color=colours[col], zorder=2, label=kinds[col])
        for i, (x, y) in enumerate(units):
            ax.text(x, y, f"${name}_{i + 1}$", ha="center", va="center", color="white", fontsize=11, zorder=3)
    ax.text(0.5, (sizes[1] - 1) / 2 + 0.75, "$W_1$: $k \\times m = 4 \\times 3$, $\\mathbf{b}_1 \\in \\mathbb{R}^4$",
            ha="center", fontsize=9)
    ax.text(1.5, (sizes[1] - 1) / 2 + 0.75, "$W_2$: $n \\times k = 2 \\times 4$, $\\mathbf{b}_2 \\in \\mathbb{R}^2$",
            ha="center", fontsize=9)
    return lines


fig, ax = plt.subplots(figsize=(7, 3.8))
n_lines = draw_network(ax, [3, 4, 2], ["x", "h", "y"], highlight=(1, 0))
ax.plot([], [], color="tab:orange", lw=2, label="row 1 of $W_1$: the weights of $h_1$")
ax.set(xlim=(-0.4, 2.4), ylim=(-2.3, 2.6), title="Forward propagation: x ∈ ℝ³ → h ∈ ℝ⁴ → y ∈ ℝ²")
ax.set_xticks([0, 1, 2], ["input layer", "hidden layer", "output layer"])
ax.set_yticks([])
ax.set_xlabel("layer (information flows left to right)")
ax.legend(fontsize=7, loc="upper center", ncol=2, bbox_to_anchor=(0.5, -0.2), markerscale=0.4)
plt.show()
assert n_lines == 4 * 3 + 2 * 4       # one line per entry of W1 and W2

# %% [markdown]
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
ax.set(title="A neuron without a bias cannot move its boundary", xlabel="x", ylabel="P(class 1)")
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

fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), sharex=True)
for ax, (name, (values, slopes)) in zip(axes, curves.items()):
    ax.plot(zs, values, label=name)
    ax.plot(zs, slopes, "--", label="derivative (backward)")
    ax.set(title=name, xlabel="z", ylabel="value")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
fig.suptitle("Three activation functions and their derivatives")
plt.tight_layout()
plt.show()

# %% [markdown]
# Two things to read off the plots:
#
# - the sigmoid's slope is at most $\tfrac14$, so a gradient flowing back through a sigmoid is multiplied by at most
#   $\tfrac14$ (the weights then scale it again). Through many layers with moderate weights it *vanishes*. tanh's slope reaches 1 at the origin, but it also goes
#   to 0 once $|z|$ is large, when the unit *saturates*;
# - ReLU's slope is exactly 1 wherever the unit is on, so it passes gradients through unchanged, and exactly 0
#   wherever it is off. A unit that is off for every training input receives no gradient through its `relu`, so its
#   own weights and bias stop changing: a "dead" ReLU. Whether it stays dead depends on what feeds it. In the first
#   hidden layer its inputs are the data, which never change, so it does stay dead. In a deeper network its inputs
#   are the outputs of earlier layers, and those keep learning through the *other* units; as they change, the dead
#   unit's input can cross zero again, and it comes back.
#
# The cell below builds that second case by hand in `MLP(1, [1, 2, 1])`: one hidden unit $h = \operatorname{relu}(a x
# + c)$, then two units that read it, $v = \operatorname{relu}(h)$ and $u = \operatorname{relu}(h - 3)$, and the output
# $v + u$. On the inputs $x = 1, 2$ the unit $u$ is dead ($h \le 2$), and the targets ask for a larger output. The
# gradient reaches $a$ and $c$ through $v$, $h$ grows, and after a couple of steps $u$ switches on and learns again.

# %%
net = MLP(1, [1, 2, 1], seed=0)
first, second, out_layer = net.layers
first.neurons[0].w[0].data, first.neurons[0].b.data = 1.0, 0.0            # h = relu(x)
(v_unit, u_unit) = second.neurons
v_unit.w[0].data, v_unit.b.data = 1.0, 0.0                                # v = relu(h)
u_unit.w[0].data, u_unit.b.data = 1.0, -3.0                               # u = relu(h - 3): off while h < 3
out_layer.neurons[0].w[0].data, out_layer.neurons[0].w[1].data, out_layer.neurons[0].b.data = 1.0, 1.0, 0.0
X_dead, y_dead = [[1.0], [2.0]], [6.0, 9.0]
optimizer = SGD(net.parameters(), lr=0.01)


def u_input(x):   # u's pre-activation w·h + b for the input x
    h = max(0.0, first.neurons[0].w[0].data * x + first.neurons[0].b.data)
    return u_unit.w[0].data * h + u_unit.b.data


for step in range(30):
    optimizer.zero_grad()
    inputs_of_u = [u_input(x[0]) for x in X_dead]
    loss = mse_loss([net(x) for x in X_dead], y_dead)
    loss.backward()
    u_grads = [p.grad for p in u_unit.parameters()]
    print(f"step {step}: u's input {[round(z, 3) for z in inputs_of_u]}, gradients of u's weight and bias "
          f"{[round(g, 3) for g in u_grads]}, loss {loss.data:.3f}")
    if step == 0:
        assert max(inputs_of_u) < 0 and u_grads == [0.0, 0.0]            # dead ...
        assert first.neurons[0].w[0].grad != 0.0                          # ... but the layer below it learns
    if any(g != 0.0 for g in u_grads):
        break
    optimizer.step()
assert max(inputs_of_u) > 0 and all(g != 0.0 for g in u_grads)          # back: on for x = 2, and learning

# %% [markdown]
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
fits, nets, test_mse, max_err, report = {}, {}, {}, {}, []
for width in widths:
    net = MLP(1, [width, 1], activation="tanh", init="xavier", seed=5)
    fit(net, X_train, y_train, mse_loss, Adam(net.parameters(), lr=0.03), epochs=1500,
        progress=False, task="regression")
    with no_grad():
        pred = [net(row).data for row in X_test]
    fits[width], nets[width] = pred, net
    test_mse[width] = sum((p - t) ** 2 for p, t in zip(pred, y_test)) / len(y_test)
    max_err[width] = max(abs(p - t) for p, t in zip(pred, y_test))
    report.append(f"{width:2d} hidden unit{'s' if width > 1 else ' '}: {len(net.parameters()):2d} parameters, "
                  f"mean squared error {test_mse[width]:.5f}, largest error {max_err[width]:.4f}")
print("\n".join(report))

assert test_mse[10] == min(test_mse.values())            # the widest fits best
assert test_mse[10] < test_mse[3] < test_mse[1]
assert max_err[10] < 0.05 and max_err[1] > 0.3

fig, ax = plt.subplots(figsize=(6.4, 3.2))
ax.plot([r[0] for r in X_test], y_test, color="k", lw=3, alpha=0.25, label=r"$\sin x$")
for width in widths:
    ax.plot([r[0] for r in X_test], fits[width], label=f"{width} hidden unit{'s' if width > 1 else ''}")
ax.scatter([r[0] for r in X_train], y_train, s=10, color="k", zorder=3, label="training points")
ax.set(title="Fitting sin x with 1, 3 and 10 tanh units", xlabel="x", ylabel="network output")
ax.legend(fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %% [markdown]
# One tanh unit gives $w_2\tanh(w_1x + b_1) + b_2$, which is monotone: it can only rise or only fall, while
# $\sin x$ on $[-\pi, \pi]$ falls, then rises, then falls again (down to its minimum at $-\pi/2$, up to its maximum
# at $\pi/2$, down to $\sin \pi = 0$). No training can fix that; the model is too small. Three units
# already trace the shape, and ten follow it closely, on the test grid as well as at the training points. This is the
# theorem's promise in miniature: more units, smaller error. But notice that *we* had to choose the learning rate,
# the number of epochs and the starting weights for training to actually reach a good fit. The theorem guaranteed
# none of that, and the ranking depends on those choices: with another learning rate or number of epochs a narrower
# network can come out ahead. A wider network can represent a better fit; whether training finds it within a given
# budget is another question.

# %% [markdown]
# **The pieces of a fit.** What does each hidden unit contribute? The network is
# $\hat y(x) = b_2 + \sum_j w_{2,j} \tanh(w_{1,j} x + b_{1,j})$: a constant plus one **scaled, shifted and stretched
# tanh per hidden unit**. $w_{1,j}$ sets how steep unit $j$'s step is, $-b_{1,j}/w_{1,j}$ where it is centred,
# $|w_{2,j}|$ how tall it is, and the sign of the product $w_{1,j}w_{2,j}$ which way it goes: up when it is positive,
# down when it is negative (a negative $w_{1,j}$ flips the step left to right, a negative $w_{2,j}$ upside down).
# Here are the three pieces of the 3-unit fit; added together with $b_2$, they give the fit exactly.

# %%
net3 = nets[3]
(hidden, output) = net3.layers
b2 = output.neurons[0].b.data
grid_x = [r[0] for r in X_test]
pieces = []
for j, unit in enumerate(hidden.neurons):
    w1, b1, w2 = unit.w[0].data, unit.b.data, output.neurons[0].w[j].data
    pieces.append([w2 * math.tanh(w1 * x + b1) for x in grid_x])
    print(f"unit {j + 1}: {w2:+.3f} · tanh({w1:+.3f} x {b1:+.3f}), centred at x = {-b1 / w1:+.3f}")
total = [b2 + sum(p[i] for p in pieces) for i in range(len(grid_x))]
assert all(math.isclose(t, f, rel_tol=1e-9, abs_tol=1e-12) for t, f in zip(total, fits[3]))

fig, ax = plt.subplots(figsize=(6.4, 3.4))
for j, piece in enumerate(pieces):
    ax.plot(grid_x, piece, "--", label=f"unit {j + 1}: $w_{{2,{j + 1}}} \\tanh(w_{{1,{j + 1}}} x + b_{{1,{j + 1}}})$")
ax.axhline(b2, color="gray", lw=1, ls=":", label=f"output bias $b_2$ = {b2:.3f}")
ax.plot(grid_x, total, color="black", lw=2, label="their sum: the 3-unit fit")
ax.plot(grid_x, y_test, color="k", lw=4, alpha=0.2, label=r"$\sin x$")
ax.set(title="A 3-unit fit of sin x is three tanh steps and a constant", xlabel="x", ylabel="contribution to the output")
ax.legend(fontsize=7, loc="upper left")
plt.show()

# %% [markdown]
# Read the pieces. Two units are rising steps, centred on either side of $0$, and together they make the rise of
# $\sin x$ through the middle. The third falls: its $w_1$ is so small that over $[-\pi, \pi]$ it is almost a straight
# line sloping down. It lifts the left end of the fit (by almost $+3$ at $x = -\pi$) and lowers the right end by
# about as much; the two rising steps are already flat out at both ends, so this tilt is what bends the fit back down
# on the right and makes the dip on the left. One unit alone is a single step, which can rise or fall but never both:
# hence its poor fit. The cell below checks this reading of the numbers.

# %%
units = [(u.w[0].data, u.b.data, output.neurons[0].w[j].data) for j, u in enumerate(hidden.neurons)]
rising = [(w1, b1, w2) for w1, b1, w2 in units if w1 * w2 > 0]
falling = [(w1, b1, w2) for w1, b1, w2 in units if w1 * w2 < 0]
assert len(rising) == 2 and len(falling) == 1
assert sorted(-b1 / w1 for w1, b1, _ in rising)[0] < 0 < sorted(-b1 / w1 for w1, b1, _ in rising)[1]
assert abs(falling[0][0]) < min(abs(w1) for w1, _, _ in rising)          # the flattest of the three
(w1, b1, w2), = falling
left, right = w2 * math.tanh(w1 * -math.pi + b1), w2 * math.tanh(w1 * math.pi + b1)
assert left > 2 and right < -2                     # the falling unit lifts the left end and lowers the right end
print("two rising steps centred at", [round(-b1 / w1, 3) for w1, b1, _ in rising], "and one gentle fall")
print(f"the falling unit adds {left:+.2f} at x = -pi and {right:+.2f} at x = +pi")

# %% [markdown]
# ## 6. Backpropagation in matrix form
#
# Notebook 02 backpropagated one scalar node at a time. For a layer, the same chain rule can be written with vectors
# and matrices, which is how every framework computes it, and how the source text's "$dL/dW = dL/dy \cdot dy/dW$"
# should be read when $W$ is a matrix. Take the network of section 1 with tanh hidden units and the sum of squared
# errors on one example with target $\mathbf t \in \mathbb R^n$:
#
# $$
# \mathbf z_1 = W_1\mathbf x + \mathbf b_1,\quad \mathbf h = \tanh(\mathbf z_1),\quad
# \mathbf y = W_2\mathbf h + \mathbf b_2,\quad L = \sum_{i=1}^{n} (y_i - t_i)^2 .
# $$
#
# Call $\boldsymbol\delta$ the gradient of $L$ with respect to a layer's pre-activation, its **error signal**. Going
# backwards:
#
# | step | formula | shape |
# |---|---|---|
# | output error | $\boldsymbol\delta_2 = \partial L/\partial \mathbf y = 2(\mathbf y - \mathbf t)$ | $n$ |
# | output weights | $\partial L/\partial W_2 = \boldsymbol\delta_2\, \mathbf h^\top$ | $n \times k$, like $W_2$ |
# | output biases | $\partial L/\partial \mathbf b_2 = \boldsymbol\delta_2$ | $n$ |
# | back through $W_2$ | $\partial L/\partial \mathbf h = W_2^\top \boldsymbol\delta_2$ | $k$ |
# | hidden error | $\boldsymbol\delta_1 = (W_2^\top \boldsymbol\delta_2) \odot (1 - \mathbf h^2)$ | $k$ |
# | hidden weights | $\partial L/\partial W_1 = \boldsymbol\delta_1\, \mathbf x^\top$ | $k \times m$, like $W_1$ |
# | hidden biases | $\partial L/\partial \mathbf b_1 = \boldsymbol\delta_1$ | $k$ |
#
# ($\odot$ multiplies entry by entry: each hidden unit scales its gradient by its own $\tanh$ slope.) Why is
# $\partial L/\partial W = \boldsymbol\delta\,\mathbf x^\top$, an *outer product*? The weight $W_{ij}$ appears in
# one place only, $z_i = \sum_j W_{ij} x_j + b_i$, with $\partial z_i/\partial W_{ij} = x_j$. So
# $\partial L/\partial W_{ij} = \delta_i\, x_j$, which is entry $(i, j)$ of $\boldsymbol\delta\,\mathbf x^\top$: the
# multiplication "swap" of notebook 02, once per weight. And $W_2^\top$ sends each output's error back along the
# same weights that carried the signal forward: $\partial L/\partial h_j = \sum_i W_{2,ij}\,\delta_{2,i}$.
#
# A gradient always has the shape of what it is taken with respect to, and checking shapes catches most mistakes
# (such as $\mathbf x\,\boldsymbol\delta^\top$, the transpose). The cell below computes every line of the table with
# numpy, checks each shape, and compares with `backward()` on the `MLP` of section 1.

# %%
W1_, b1_ = (np.array(a) for a in matrix_of(model.layers[0]))     # the MLP(3, [4, 2]) of section 1
W2_, b2_ = (np.array(a) for a in matrix_of(model.layers[1]))
x_ = np.array(x)
t_ = np.array([0.5, -1.0])

z1 = W1_ @ x_ + b1_
h_ = np.tanh(z1)
y_ = W2_ @ h_ + b2_
delta2 = 2 * (y_ - t_)
dW2 = np.outer(delta2, h_)
db2 = delta2
dh = W2_.T @ delta2
delta1 = dh * (1 - h_**2)
dW1 = np.outer(delta1, x_)
db1 = delta1

shapes = {"x": x_, "h": h_, "y": y_, "δ2": delta2, "∂L/∂W2": dW2, "∂L/∂h": dh, "δ1": delta1, "∂L/∂W1": dW1}
print("  ".join(f"{name} {a.shape}" for name, a in shapes.items()))
assert dW2.shape == W2_.shape == (n, k) and dW1.shape == W1_.shape == (k, m)
assert db2.shape == b2_.shape == (n,) and db1.shape == b1_.shape == (k,) and dh.shape == h_.shape == (k,)

# the same gradients from backward(), read out of the model's Values into arrays
model.zero_grad()
loss = mse_loss(model(x), list(t_), reduction="sum")
loss.backward()
grads_of = [(np.array([[w.grad for w in u.w] for u in layer_.neurons]), np.array([u.b.grad for u in layer_.neurons]))
            for layer_ in model.layers]
assert math.isclose(loss.data, float(np.sum((y_ - t_) ** 2)), rel_tol=1e-12)
for mine, engine in [(dW1, grads_of[0][0]), (db1, grads_of[0][1]), (dW2, grads_of[1][0]), (db2, grads_of[1][1])]:
    assert np.allclose(mine, engine, rtol=1e-12, atol=1e-15)
print(f"largest difference from backward(): {max(np.max(np.abs(a - b)) for a, b in [(dW1, grads_of[0][0]), (dW2, grads_of[1][0])]):.1e}")

# %% [markdown]
# **The same numbers, one scalar at a time.** If the matrices feel far from notebook 02, undo them: every entry of
# the table is notebook 02's chain rule on single numbers. The cell below recomputes $\boldsymbol\delta_1$ and
# $\partial L/\partial W_1$ with plain loops over units, each line a product of local derivatives, and finds the
# same numbers as the matrix formulas: $\delta_{1,j}$ collects, from every output $i$, that output's error times
# the weight $W_{2,ij}$ that carried $h_j$ to it, then scales by unit $j$'s own slope $1 - h_j^2$.

# %%
delta1_loops = []
for j in range(k):
    incoming = 0.0
    for i in range(n):
        incoming += delta2[i] * W2_[i, j]        # ∂L/∂y_i · ∂y_i/∂h_j, added over every path (every output)
    delta1_loops.append(incoming * (1 - h_[j] ** 2))   # · ∂h_j/∂z_j, tanh's local derivative
dW1_loops = [[delta1_loops[j] * x_[col] for col in range(m)] for j in range(k)]   # · ∂z_j/∂W1[j][col] = x_col
print("δ1 by loops:           ", [round(float(d), 6) for d in delta1_loops])
print("δ1 by W2ᵀδ2 ⊙ (1 − h²):", [round(float(d), 6) for d in delta1])
assert np.allclose(delta1_loops, delta1, rtol=1e-13, atol=1e-15) and np.allclose(dW1_loops, dW1, rtol=1e-13, atol=1e-15)

# %% [markdown]
# **A whole batch at once.** For a batch of $B$ examples, stack the inputs as the rows of $X \in \mathbb R^{B\times
# m}$ and the error signals as the rows of $\Delta_1 \in \mathbb R^{B \times k}$. The loss is the sum over the batch,
# so the gradient is the sum of the per-example outer products, which is one matrix product:
# $\partial L/\partial W_1 = \sum_b \boldsymbol\delta_1^{(b)}\mathbf x^{(b)\top} = \Delta_1^\top X$. This is why
# training on a batch is a few matrix multiplications, and why a GPU, which is built for them, makes it fast.

# %%
rng = np.random.default_rng(0)
X_batch, T_batch = rng.uniform(-1, 1, size=(5, m)), rng.uniform(-1, 1, size=(5, n))
H = np.tanh(X_batch @ W1_.T + b1_)                  # (B, k): one row per example
Y = H @ W2_.T + b2_                                 # (B, n)
Delta2 = 2 * (Y - T_batch)                          # (B, n)
Delta1 = (Delta2 @ W2_) * (1 - H**2)                # (B, k)
dW1_batch, dW2_batch = Delta1.T @ X_batch, Delta2.T @ H
assert dW1_batch.shape == W1_.shape and dW2_batch.shape == W2_.shape

model.zero_grad()
batch_loss = sum((mse_loss(model(list(xb)), list(tb), reduction="sum") for xb, tb in zip(X_batch, T_batch)), Value(0.0))
batch_loss.backward()
assert np.allclose(dW1_batch, [[w.grad for w in u.w] for u in model.layers[0].neurons], rtol=1e-12, atol=1e-15)
assert np.allclose(dW2_batch, [[w.grad for w in u.w] for u in model.layers[1].neurons], rtol=1e-12, atol=1e-15)
print(f"batch of {len(X_batch)}: Δ1ᵀX {dW1_batch.shape} and Δ2ᵀH {dW2_batch.shape} equal backward()'s gradients")

# %% [markdown]
# ## Summary
#
# - Forward propagation is a chain of maps $\mathbf x \in \mathbb R^m \mapsto \mathbf h = \sigma(W_1\mathbf x +
#   \mathbf b_1) \in \mathbb R^k \mapsto \mathbf y = W_2\mathbf h + \mathbf b_2 \in \mathbb R^n$, with
#   $W_1 \in \mathbb R^{k\times m}$ and $W_2 \in \mathbb R^{n\times k}$: one line per weight in the diagram. The
#   hidden size is $k$; seed 002's $\mathbb R^h$ should read $\mathbb R^k$.
# - A `Neuron` is one row of a weight matrix plus its bias, a `Layer` is the whole matrix, an `MLP` is the chain,
#   with a linear last layer. We checked `MLP` against the matrix form computed with plain floats.
# - Without activations any depth collapses to one affine map $A\mathbf x + \mathbf c$ with $A = W_L\cdots W_1$: we
#   built $A$ and $\mathbf c$ and matched a 194-parameter network with 8 numbers.
# - Without a bias, a unit's boundary is stuck at the origin; a single biased neuron solved a task that no bias-free
#   neuron can.
# - ReLU, tanh and sigmoid have derivatives step, $1 - \tanh^2$ and $\sigma(1 - \sigma)$, and valuegrad's
#   `backward()` reproduces them to rounding error. The sigmoid's slope never exceeds $\tfrac14$. A ReLU that is off
#   for every input gets no gradient; in the first layer it stays dead, deeper in a network it can come back.
# - The universal approximation theorem: continuous functions on compact sets, any accuracy, enough hidden units,
#   a non-polynomial activation. It is a statement that good weights exist, not that training finds them. A fit
#   with $k$ tanh units is a constant plus $k$ scaled and shifted tanh steps.
# - Backpropagation in matrix form: $\boldsymbol\delta_2 = \partial L/\partial\mathbf y$,
#   $\partial L/\partial W_2 = \boldsymbol\delta_2\mathbf h^\top$, $\boldsymbol\delta_1 = (W_2^\top\boldsymbol\delta_2)
#   \odot \sigma'(\mathbf z_1)$, $\partial L/\partial W_1 = \boldsymbol\delta_1\mathbf x^\top$; each gradient has the
#   shape of its parameter, and for a batch the sum of outer products is $\Delta^\top X$.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell; `hint("03.1")` helps, and `solution("03.1")` shows a worked
# answer once you have tried.
#
# **03.1 No activation, no curve.** By section 2, a network with `activation="linear"` fitted to $\sin x$ as in
# section 5 can at best be the least-squares line $a x + c$ through the 32 training points. Compute that line
# yourself, with the formulas $a = \operatorname{cov}(x, y)/\operatorname{var}(x)$ and $c = \bar y - a\bar x$, and give
# `(a, c)`. (Then, if you like, train `MLP(1, [10, 1], activation="linear")` and compare.)

# %%
answer_03_1 = (..., ...)     # (slope a, intercept c)
check("03.1", answer_03_1)

# %% [markdown]
# **03.2 Bias in two dimensions.** Label the 81 points $(i/4, j/4)$, $i, j = 0, \dots, 8$, with 1 when $i + j > 8$
# (that is, $x_1 + x_2 > 2$) and 0 otherwise. A neuron without a bias predicts 1 when $w_1x_1 + w_2x_2 > 0$, so its
# boundary is a line through the origin. What is the best accuracy any bias-free neuron can reach on these points?
# (A neuron with a bias reaches 1.)

# %%
answer_03_2 = ...     # a fraction between 0 and 1
check("03.2", answer_03_2)

# %% [markdown]
# **03.3 ReLU pieces.** A network with one input, one hidden layer of $k$ ReLU units and a linear output is
# piecewise linear. Write `max_pieces(k)`: the largest number of straight pieces its graph can have. (Where can a
# unit's kink be, and how many kinks can $k$ units make?)

# %%
def max_pieces(k):
    return ...


check("03.3", max_pieces)

# %% [markdown]
# **03.4 Backprop in matrix form.** Write `layer_grads(W1, b1, W2, b2, x, t)` for the network of section 6 (tanh
# hidden layer, linear output, $L = \sum_i (y_i - t_i)^2$), taking numpy arrays and returning the four gradients
# `(dW1, db1, dW2, db2)` as numpy arrays of the same shapes as the parameters. The check compares them with
# `backward()` on networks of several sizes.

# %%
def layer_grads(W1, b1, W2, b2, x, t):
    return ...


check("03.4", layer_grads)
