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
# # 04 · Training: loss functions, gradient descent and optimizers
#
# **What you will learn**
#
# - what a loss function is for, and four of them from `nn`: `mse_loss`, `hinge_loss`, `binary_cross_entropy` and
#   `cross_entropy`, with the task each one suits;
# - the difference between the **sum** of squared errors and the **mean** squared error, and why it matters for the
#   learning rate;
# - gradient descent as a greedy step downhill, drawn as a path on a two-parameter loss surface, and why that path
#   zigzags;
# - how to train a small MLP on the two-moons data with `fit`, and how its decision boundary takes shape;
# - plain gradient descent against momentum and Adam on the same problem;
# - what a learning rate that is too small, about right, or too large does to the loss curve;
# - why a training step in pure Python is slow, and how `autograd.record` replays the same step, with the same
#   numbers to the last bit, without building a graph; and what a recorded step cannot replay (a Python `if`).
#
# Every random number comes from a seeded generator, so the outputs are the same on every run. The whole notebook
# runs in about ten seconds.

# %%
# %matplotlib inline
import math
import random
import re
import textwrap
import time
from collections import Counter

import matplotlib.pyplot as plt

from autograd import Value, dot, grad, no_grad, record
from autograd.graph import topological_order
from autograd.ops import OPS, F
from nn import MLP, SGD, Adam, LinearDecay, accuracy, binary_cross_entropy, cross_entropy, fit, hinge_loss, mse_loss
from nn.data import make_moons, train_test_split
from nn.plots import plot_history

plt.rcParams["figure.dpi"] = 72
random.seed(0)

# %% [markdown]
# ## 1. A loss turns every prediction into one number
#
# A model makes many predictions, and each may be wrong by a different amount. Training needs **one** number
# $\mathcal{L}$ that says how wrong the model is overall, and that number must be a differentiable function of
# every parameter. Then one call of `L.backward()` gives $\partial \mathcal{L} / \partial p$ for every parameter
# $p$, and we know which way to nudge each one.
#
# Which loss to use depends on the task:
#
# | task | model output | loss in `nn` |
# |---|---|---|
# | regression (real targets) | one real number $\hat y$ | `mse_loss` |
# | two classes, labels $\pm 1$ | a score $s$ | `hinge_loss` |
# | two classes, labels $0/1$ | a logit $z$, with $p = \sigma(z)$ | `binary_cross_entropy` |
# | $K$ classes, labels $0 \dots K-1$ | $K$ logits $z_1 \dots z_K$ | `cross_entropy` |
#
# Each of them takes the predictions (as `Value`s) and the targets (as numbers) and returns one `Value`.
#
# ### 1.1 Sum of squared errors or mean squared error?
#
# For targets $y_1, \dots, y_n$ and predictions $\hat y_1, \dots, \hat y_n$ there are two common forms:
#
# $$
# \mathrm{SSE} = \sum_{i=1}^{n} (y_i - \hat y_i)^2,
# \qquad
# \mathrm{MSE} = \frac{1}{n} \sum_{i=1}^{n} (y_i - \hat y_i)^2 = \frac{\mathrm{SSE}}{n}.
# $$
#
# One of the source texts (seed 002) writes the plain sum $\sum (y_i - \hat y_i)^2$ and calls it "MSE". That sum
# is the **sum of squared errors**. The **mean** squared error divides it by $n$. Both have the same minimum,
# since dividing by a constant moves no point of the surface sideways, but their gradients differ by that
# constant:
#
# $$
# \frac{\partial\, \mathrm{SSE}}{\partial \hat y_i} = 2(\hat y_i - y_i),
# \qquad
# \frac{\partial\, \mathrm{MSE}}{\partial \hat y_i} = \frac{2}{n}(\hat y_i - y_i).
# $$
#
# With the SSE, a batch twice as large gives gradients about twice as large, so a learning rate that worked
# before now takes steps twice as long. The mean keeps the gradient's size independent of $n$. That is why
# `mse_loss` returns the mean by default; `reduction="sum"` gives the SSE.

# %%
preds = [Value(2.5), Value(0.0), Value(2.1), Value(7.8)]
targets = [3.0, -0.5, 2.0, 7.0]
n = len(preds)

mse = mse_loss(preds, targets)                     # the mean, the default
sse = mse_loss(preds, targets, reduction="sum")    # the sum of squared errors
print(f"SSE = {sse.data:.4f}   MSE = {mse.data:.4f}   SSE / n = {sse.data / n:.4f}")
assert math.isclose(sse.data, n * mse.data, rel_tol=1e-12)
assert math.isclose(sse.data, sum((t - p.data) ** 2 for p, t in zip(preds, targets)), rel_tol=1e-12)

sse.backward()
grads_sse = [p.grad for p in preds]
for p in preds:
    p.grad = 0.0                                   # leaf gradients accumulate: reset them
mse.backward()
grads_mse = [p.grad for p in preds]
print("∂SSE/∂ŷ =", [round(g, 4) for g in grads_sse])
print("∂MSE/∂ŷ =", [round(g, 4) for g in grads_mse])
for p, t, gs, gm in zip(preds, targets, grads_sse, grads_mse):
    assert math.isclose(gs, 2 * (p.data - t), rel_tol=1e-12)
    assert math.isclose(gs, n * gm, rel_tol=1e-12)  # the sum's gradient is n times the mean's


# %% [markdown]
# ### 1.2 Losses for classification
#
# For classification the model outputs scores, not the labels themselves.
#
# **Hinge loss** (labels $y_i = \pm 1$, scores $s_i$), the max-margin loss of support vector machines:
#
# $$
# \mathcal{L}_{\text{hinge}} = \frac1n \sum_i \max(0,\ 1 - y_i s_i).
# $$
#
# A point on the right side with margin at least 1 ($y_i s_i \ge 1$) costs nothing and sends no gradient. Inside
# the margin, or on the wrong side, it costs $1 - y_i s_i$.
#
# **Binary cross-entropy** (labels $y_i \in \{0, 1\}$, logits $z_i$, probability $p_i = \sigma(z_i)$) is the
# negative log-likelihood of the labels:
#
# $$
# \mathcal{L}_{\text{BCE}} = -\frac1n \sum_i \big[ y_i \log p_i + (1 - y_i) \log (1 - p_i) \big]
# = \frac1n \sum_i \big[ \log(1 + e^{z_i}) - y_i z_i \big],
# \qquad
# \frac{\partial \mathcal{L}_{\text{BCE}}}{\partial z_i} = \frac{\sigma(z_i) - y_i}{n}.
# $$
#
# `binary_cross_entropy` takes the logits, not the probabilities, and uses the right-hand form, so it never takes
# the log of a probability that has rounded to 0.
#
# **Cross-entropy** ($K$ classes, logits $z_1 \dots z_K$, true class $t$) is the negative log of the probability
# that the softmax gives to the right class:
#
# $$
# \mathcal{L}_{\text{CE}} = -\log \frac{e^{z_t}}{\sum_j e^{z_j}} = \log \sum_j e^{z_j} - z_t,
# \qquad
# \frac{\partial \mathcal{L}_{\text{CE}}}{\partial z_j} = \operatorname{softmax}(z)_j - [j = t].
# $$
#
# With two classes, only the difference of the two logits matters, and cross-entropy is exactly the binary
# cross-entropy of that difference. The cell below checks each formula against the library.

# %%
def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))

# hinge: right with margin, inside the margin, wrong side
scores = [Value(2.0), Value(0.4), Value(-0.5)]
labels = [1, 1, 1]
h = hinge_loss(scores, labels)
h.backward()
print(f"hinge = {h.data:.4f}; gradients {[round(s.grad, 4) for s in scores]}")
assert math.isclose(h.data, (0.0 + 0.6 + 1.5) / 3, rel_tol=1e-12)
assert [s.grad for s in scores] == [0.0, -1 / 3, -1 / 3]  # the point outside the margin sends nothing

# binary cross-entropy from logits
logits = [Value(1.5), Value(-0.3), Value(0.8)]
ys = [1, 0, 0]
bce = binary_cross_entropy(logits, ys)
bce.backward()
by_hand = -sum(y * math.log(sigmoid(z.data)) + (1 - y) * math.log(1 - sigmoid(z.data)) for z, y in zip(logits, ys)) / 3
print(f"BCE = {bce.data:.6f}   by hand = {by_hand:.6f}")
assert math.isclose(bce.data, by_hand, rel_tol=1e-12)
for z, y in zip(logits, ys):
    assert math.isclose(z.grad, (sigmoid(z.data) - y) / 3, rel_tol=1e-12)

# cross-entropy over three classes, the true class is 2
zs = [Value(1.0), Value(-1.0), Value(0.5)]
ce = cross_entropy(zs, 2)
ce.backward()
total = sum(math.exp(z.data) for z in zs)
softmax = [math.exp(z.data) / total for z in zs]
print(f"CE = {ce.data:.6f}   -log softmax(z)[2] = {-math.log(softmax[2]):.6f}")
print("∂CE/∂z =", [round(z.grad, 4) for z in zs], "   softmax − one-hot =", [round(p - (j == 2), 4) for j, p in enumerate(softmax)])
assert math.isclose(ce.data, -math.log(softmax[2]), rel_tol=1e-12)
for j, z in enumerate(zs):
    assert math.isclose(z.grad, softmax[j] - (j == 2), rel_tol=1e-12, abs_tol=1e-15)

# two classes: cross-entropy of (z0, z1) is the BCE of the difference z1 − z0
z0, z1 = 0.3, 1.7
assert math.isclose(cross_entropy([Value(z0), Value(z1)], 1).data, binary_cross_entropy(Value(z1 - z0), 1).data, rel_tol=1e-12)

# %% [markdown]
# ### 1.3 How each loss treats one positive example
#
# Take one example of the positive class (target $1$, or $+1$ for the hinge) and let its score $s$ vary. The
# squared error $(s - 1)^2$ is a regression loss: it wants $s = 1$ exactly, so it also punishes a score of $3$, a
# confident and **correct** answer. The hinge loss is zero from $s = 1$ on. The cross-entropy $\log(1 + e^{-s})$
# keeps shrinking as $s$ grows but never pushes back. That is why squared error is a poor choice for
# classification, and hinge or cross-entropy are used instead.

# %%
grid = [-3 + 6 * i / 120 for i in range(121)]
curves = {
    "squared error (s − 1)²": [mse_loss(Value(s), 1.0).data for s in grid],
    "hinge max(0, 1 − s)": [hinge_loss(Value(s), 1).data for s in grid],
    "cross-entropy log(1 + e^(−s))": [binary_cross_entropy(Value(s), 1).data for s in grid],
}
fig, ax = plt.subplots(figsize=(5.5, 3.2))
for name, values in curves.items():
    ax.plot(grid, values, label=name)
ax.set(xlabel="score s of a positive example", ylabel="loss", ylim=(-0.2, 6))
ax.axvline(0, color="gray", lw=0.6)
ax.legend(fontsize=8)
plt.show()

at = {s: (mse_loss(Value(s), 1.0).data, hinge_loss(Value(s), 1).data, binary_cross_entropy(Value(s), 1).data) for s in (1.0, 3.0)}
print("s = 3:  squared error %.3f, hinge %.3f, cross-entropy %.3f" % at[3.0])
assert at[3.0][0] > at[1.0][0]                 # squared error punishes a confident correct score
assert at[3.0][1] == 0.0                        # the hinge does not
assert at[3.0][2] < at[1.0][2]                  # and cross-entropy keeps rewarding it

# %% [markdown]
# ## 2. Gradient descent: a greedy step downhill
#
# The gradient $\nabla \mathcal{L}(\theta)$ points in the direction in which the loss rises fastest. Gradient
# descent repeats one update,
#
# $$
# \theta_{k+1} = \theta_k - \eta\, \nabla \mathcal{L}(\theta_k),
# $$
#
# where $\eta > 0$ is the **learning rate**. Why this direction? Near $\theta$ the loss is close to its
# first-order Taylor polynomial, $\mathcal{L}(\theta + \Delta) \approx \mathcal{L}(\theta) + \nabla
# \mathcal{L}(\theta) \cdot \Delta$, and among all steps $\Delta$ of a given length the one that lowers this most
# points along $-\nabla \mathcal{L}$ (by the Cauchy–Schwarz inequality).
#
# One of the source texts (seed 000) calls gradient descent "a greedy (short-sighted) algorithm". That is a fair
# description: each step uses only the slope at the current point. It does not know where the minimum is, only
# which way is downhill right here.
#
# To see this we need a loss with only two parameters, so that we can draw it. Fit a line $\hat y = w x + b$ to
# 20 noisy points with the mean squared error. The loss surface over $(w, b)$ is a bowl, a quadratic whose lowest
# point is the least-squares line, which we can compute exactly. Each step below gets its gradient from
# valuegrad's `backward()`. The cell also computes the loss's **Hessian**, the matrix of its second derivatives,
# by hand and with the engine's `grad(..., create_graph=True)`; for a quadratic it is the same at every point,
# and we need it to explain the path.

# %%
rng = random.Random(0)
n_pts = 20
xs = [0.5 + 2.0 * i / (n_pts - 1) for i in range(n_pts)]
ys = [2.0 * x - 1.0 + rng.gauss(0.0, 0.3) for x in xs]

def line_loss(w, b):
    return mse_loss([w * x + b for x in xs], ys)

# the exact minimum: the least-squares line
mx, my = sum(xs) / n_pts, sum(ys) / n_pts
mxx, mxy = sum(x * x for x in xs) / n_pts, sum(x * y for x, y in zip(xs, ys)) / n_pts
w_star = (mxy - mx * my) / (mxx - mx * mx)
b_star = my - w_star * mx

# the Hessian of the MSE is constant: 2·[[mean x², mean x], [mean x, 1]]; its largest eigenvalue sets the step limit
tr, det = 2 * mxx + 2.0, 4 * (mxx - mx * mx)
lam_max = tr / 2 + math.sqrt(tr * tr / 4 - det)
lam_min = tr / 2 - math.sqrt(tr * tr / 4 - det)
lr = 1.6 / lam_max

# the same Hessian from the engine: grad with create_graph=True, then grad again (see notebook 07)
wv, bv = Value(0.3), Value(-0.2)
gw, gb = grad(line_loss(wv, bv), [wv, bv], create_graph=True)
hessian = [[h.data for h in grad(g, [wv, bv])] for g in (gw, gb)]
expected = [[2 * mxx, 2 * mx], [2 * mx, 2.0]]
assert all(math.isclose(h, e, rel_tol=1e-12) for hr, er in zip(hessian, expected) for h, e in zip(hr, er))

w, b = Value(-1.0, label="w"), Value(3.0, label="b")
path, losses = [(w.data, b.data)], []
for step in range(100):
    w.grad = b.grad = 0.0
    L = line_loss(w, b)
    L.backward()
    if step == 0:   # check backward against the formula ∂L/∂w = (2/n) Σ (wx + b − y)·x
        resid = [w.data * x + b.data - y for x, y in zip(xs, ys)]
        assert math.isclose(w.grad, 2 / n_pts * sum(r * x for r, x in zip(resid, xs)), rel_tol=1e-12)
        assert math.isclose(b.grad, 2 / n_pts * sum(resid), rel_tol=1e-12)
    losses.append(L.data)
    w.data -= lr * w.grad
    b.data -= lr * b.grad
    path.append((w.data, b.data))

print(f"least squares: w* = {w_star:.4f}, b* = {b_star:.4f}")
print(f"after 100 steps: w = {w.data:.4f}, b = {b.data:.4f}; loss {losses[0]:.3f} -> {losses[-1]:.4f}")
print(f"Hessian eigenvalues {lam_max:.3f} and {lam_min:.3f}; learning rate {lr:.3f} = 1.6 / λ_max")

# the first step against the direction of the minimum
step0 = (path[1][0] - path[0][0], path[1][1] - path[0][1])
to_min = (w_star - path[0][0], b_star - path[0][1])
cos = (step0[0] * to_min[0] + step0[1] * to_min[1]) / (math.hypot(*step0) * math.hypot(*to_min))
print(f"angle between the first step and the way to the minimum: {math.degrees(math.acos(cos)):.0f}°")
assert all(b_ < a for a, b_ in zip(losses, losses[1:]))          # every step goes downhill
assert math.hypot(w.data - w_star, b.data - b_star) < 0.05        # and it ends near the minimum
assert cos < 0.5                                                  # but the first step does not aim at it

# %%
ws_grid = [-1.5 + 5.0 * i / 59 for i in range(60)]
bs_grid = [-2.5 + 6.0 * j / 59 for j in range(60)]
with no_grad():   # the surface is only drawn, so no graph is needed
    surface = [[line_loss(a, c).data for a in ws_grid] for c in bs_grid]
levels = [0.1 * 2 ** (k / 2) for k in range(16)]

fig, axes = plt.subplots(1, 3, figsize=(11, 4), sharey=True)
for ax, k in zip(axes, (3, 15, 100)):
    ax.contour(ws_grid, bs_grid, surface, levels=levels, cmap="viridis", linewidths=0.7)
    ax.plot([p[0] for p in path[: k + 1]], [p[1] for p in path[: k + 1]], "o-", color="crimson", ms=2.5, lw=1)
    ax.plot(w_star, b_star, "k*", ms=10)
    ax.set(title=f"after {k} steps, loss {line_loss(*path[k]).data:.3f}", xlabel="w")
    ax.set_aspect("equal")   # so that "perpendicular to the contours" looks it
axes[0].set_ylabel("b")
plt.show()


# %% [markdown]
# The path shows the greedy nature of the method. Each step is perpendicular to the contour line it starts from,
# because that is the steepest direction, but the bowl is a long, narrow valley: the first step is far from
# pointing at the minimum (★). Across the valley, where the curvature is large, each step overshoots and the path
# zigzags. Along the valley, where the curvature is small, it creeps forward.
#
# For a quadratic loss this is exact. Along each eigenvector of the Hessian (curvature $\lambda$), the distance to
# the minimum is multiplied by $1 - \eta \lambda$ at every step. Here $\eta \lambda_{\max} = 1.6$, so across the
# valley the factor is $-0.6$: the sign flips each step (the zigzag) and the size shrinks. Along the valley it is
# $1 - \eta \lambda_{\min} \approx 0.95$, slow. If $\eta \lambda_{\max} > 2$, the factor across the valley is
# larger than 1 in size and every step lands further up the opposite wall: gradient descent **diverges**. So the
# largest stable learning rate is $2 / \lambda_{\max}$, set by the steepest direction, while the speed is set by
# the flattest. The next cell checks both sides of that limit.

# %%
def descend(lr, steps):
    w, b = Value(-1.0), Value(3.0)
    for _ in range(steps):
        w.grad = b.grad = 0.0
        L = line_loss(w, b)
        L.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad
    return line_loss(w, b).data

start = line_loss(Value(-1.0), Value(3.0)).data
below, above = descend(1.9 / lam_max, 40), descend(2.1 / lam_max, 40)
print(f"start {start:.3f};  η = 1.9/λ_max: {below:.4f};  η = 2.1/λ_max: {above:.3g}")
assert below < start < above

# %% [markdown]
# ## 3. Training an MLP on the two moons
#
# Now the real thing: a small multi-layer perceptron with hundreds of parameters instead of two. We cannot draw
# its loss surface any more, but every step works the same way. The data are 160 points on two interleaving half
# circles, a problem that no straight line can separate. We keep a quarter of them aside, with the same share of
# each class (`stratify=True`), to measure accuracy on points the model never trained on.
#
# The model `MLP(2, [8, 8, 1])` has two hidden layers of eight ReLU units and one output, a logit $z$: it predicts
# class 1 when $z > 0$, that is when $\sigma(z) > \tfrac12$. Its loss is the binary cross-entropy.
#
# `fit(model, X, y, loss, optimizer, epochs, batch_size, ...)` runs the training loop: forward every sample of a
# batch, compute the loss, `zero_grad()`, `backward()`, `optimizer.step()`. An **epoch** is one pass over the
# training set. With `batch_size=0` each epoch is one step on the whole training set, which is plain (full-batch)
# gradient descent; with small batches it would be *stochastic* gradient descent. The `callback(epoch, history)`
# runs after each epoch; we use it to record the model's scores on a grid at a few moments, to see the decision
# boundary take shape.

# %%
X, y = make_moons(n=160, noise=0.12, seed=1)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
print(f"{len(X_train)} training points, {len(X_test)} test points; class 1 in the training set: {sum(y_train)}")

EPOCHS = 100
gx = [-1.6 + 4.2 * i / 39 for i in range(40)]
gy = [-1.2 + 2.9 * j / 39 for j in range(40)]

@no_grad()
def scores_on_grid(model):
    return [[model((a, c)).data for a in gx] for c in gy]

model = MLP(2, [8, 8, 1], seed=0)
print(model, "with", len(model.parameters()), "parameters")
snapshots = {0: scores_on_grid(model)}

def snapshot(epoch, history):
    if epoch + 1 in (5, 25, EPOCHS):
        snapshots[epoch + 1] = scores_on_grid(model)

hist_adam = fit(model, X_train, y_train, binary_cross_entropy, Adam(model.parameters(), lr=0.02), EPOCHS,
                batch_size=0, X_val=X_test, y_val=y_test, progress=False, callback=snapshot)
print(f"final training loss {hist_adam.loss[-1]:.4f}, training accuracy {hist_adam.accuracy[-1]:.3f}, "
      f"test accuracy {hist_adam.val_accuracy[-1]:.3f}")
assert hist_adam.loss[-1] < 0.1 * hist_adam.loss[0]
assert hist_adam.val_accuracy[-1] >= 0.95 and hist_adam.val_loss[-1] < 0.1 * hist_adam.val_loss[0]
plot_history(hist_adam, title="MLP(2, [8, 8, 1]) on the moons, Adam")

# %% [markdown]
# The left panel uses a logarithmic loss axis, since the loss falls by orders of magnitude. The test loss stays
# above the training loss, as it usually does, but it falls too, and the test accuracy reaches that of the
# training set: what the model learned carries over to points it has never seen.
#
# Below, the decision boundary (black line, where the logit is $0$) at four moments of the same run. At epoch 0
# the random weights give a positive logit everywhere on the grid, so every point is called class 1 and there is
# no boundary to draw. After a few epochs the boundary is a rough, nearly straight cut; the bends that follow the
# moons come later, and they are what brings the loss down by the last factor of ten.

# %%
Xtr0 = [p[0] for p in X_train]
Xtr1 = [p[1] for p in X_train]
fig, axes = plt.subplots(1, 4, figsize=(13, 3.2), sharey=True)
for ax, (epoch, zz) in zip(axes, sorted(snapshots.items())):
    flat = [v for row in zz for v in row]
    ax.contourf(gx, gy, zz, levels=[min(flat + [0.0]) - 1, 0.0, max(flat + [0.0]) + 1], cmap="coolwarm", alpha=0.35)
    if min(flat) < 0 < max(flat):
        ax.contour(gx, gy, zz, levels=[0.0], colors="k", linewidths=1)
    ax.scatter(Xtr0, Xtr1, c=y_train, cmap="coolwarm", s=10, edgecolors="k", linewidths=0.3)
    ax.set(title=f"epoch {epoch}", xlabel="x₁")
axes[0].set_ylabel("x₂")
plt.show()
assert sorted(snapshots) == [0, 5, 25, EPOCHS]
assert min(v for row in snapshots[0] for v in row) > 0   # epoch 0: class 1 everywhere


# %% [markdown]
# ## 4. Plain gradient descent, momentum, and Adam
#
# All three optimizers read the same gradients $g = \nabla \mathcal{L}(\theta)$; they differ in the step they take.
#
# - **Gradient descent** (`SGD(params, lr)`): $\theta \leftarrow \theta - \eta\, g$.
# - **Momentum** (`SGD(params, lr, momentum=μ)`): a velocity $v \leftarrow \mu v + g$ accumulates past gradients,
#   and $\theta \leftarrow \theta - \eta\, v$. Where the gradient keeps pointing the same way, the steps grow, up to
#   $\eta / (1 - \mu)$ times the gradient (10 times for $\mu = 0.9$). Where it flips sign, as across the valley of
#   section 2, the flips cancel in $v$ and the zigzag is damped.
# - **Adam** (`Adam(params, lr)`): running averages of the gradient, $m$, and of its square, $v$, give every
#   parameter its own step $\eta\, \hat m / (\sqrt{\hat v} + \epsilon)$ (the hats correct the bias of starting the
#   averages at zero). A parameter whose gradient is tiny still moves by up to about $\eta$ per step, so flat
#   directions are not left behind.
#
# The runs below start from the same initial weights (`seed=0`) on the same data, for the same number of
# epochs. The Adam curve is the run of section 3, which also started from `seed=0`.

# %%
def train(optimizer_for, epochs=EPOCHS, **kwargs):
    m = MLP(2, [8, 8, 1], seed=0)
    return fit(m, X_train, y_train, binary_cross_entropy, optimizer_for(m.parameters()), epochs,
               batch_size=0, progress=False, **kwargs)

runs = {
    "gradient descent, lr 0.1": train(lambda ps: SGD(ps, lr=0.1)).loss,
    "momentum 0.9, lr 0.1": train(lambda ps: SGD(ps, lr=0.1, momentum=0.9)).loss,
    "Adam, lr 0.02": hist_adam.loss,
}
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for name, curve in runs.items():
    ax.plot(range(1, len(curve) + 1), curve, label=name)
ax.set(xlabel="epoch", ylabel="training loss (BCE)", yscale="log")
ax.legend(fontsize=8)
plt.show()
for name, curve in runs.items():
    print(f"{name:26s} loss after {len(curve)} epochs: {curve[-1]:.4f}")
final = [curve[-1] for curve in runs.values()]
assert len({curve[0] for curve in runs.values()}) == 1   # same weights, same data: the same first loss
assert final[2] < final[1] < final[0]

# %% [markdown]
# All three runs start from the same loss, since the initial weights are the same. On this problem, momentum beats
# plain gradient descent by far, and Adam does better still. One part of momentum's lead is simply its larger
# effective step ($\eta / (1 - \mu) = 1$ here), and the next section shows that plain gradient descent with a
# learning rate of 1 also does much better than with 0.1. Such rankings depend on the problem and on each
# optimizer's learning rate. Adam is a common default because it is less sensitive to that choice, not because it
# always wins.
#
# ## 5. The learning rate: too small, about right, too large
#
# Plain gradient descent on the same model and data, with three learning rates:
#
# - **too small** ($\eta = 0.02$): every step is safe, and the loss falls at every epoch, but slowly;
# - **about right** ($\eta = 1$): fast progress;
# - **too large** ($\eta = 4$): steps overshoot, as in section 2 with $\eta \lambda_{\max} > 2$, and the loss
#   jumps up and down. A network is not a quadratic, so instead of growing without bound the loss may bounce
#   around, or settle at a poor value after some ReLU units have been pushed where they never activate again.
#   If the loss becomes `inf` or `nan`, `fit` stops with a `FloatingPointError`.

# %%
LR_EPOCHS = 60
lr_runs = {lr: train(lambda ps, lr=lr: SGD(ps, lr=lr), epochs=LR_EPOCHS).loss for lr in (0.02, 1.0, 4.0)}
labels = {0.02: "too small, η = 0.02", 1.0: "about right, η = 1", 4.0: "too large, η = 4"}
fig, ax = plt.subplots(figsize=(5.5, 3.4))
for lr, curve in lr_runs.items():
    ax.plot(range(1, LR_EPOCHS + 1), curve, label=labels[lr])
ax.set(xlabel="epoch", ylabel="training loss (BCE)")
ax.legend(fontsize=8)
plt.show()

def rises(curve):
    return sum(after > before for before, after in zip(curve, curve[1:]))

for lr, curve in lr_runs.items():
    print(f"{labels[lr]:22s} final loss {curve[-1]:.4f}; the loss went up in {rises(curve):2d} of {LR_EPOCHS - 1} epochs")
small, right, large = lr_runs[0.02], lr_runs[1.0], lr_runs[4.0]
assert right[-1] < min(small[-1], large[-1])      # the middle one ends lowest
assert rises(small) == 0 and small[-1] > 0.5      # the small one never goes up, but is still far behind
assert rises(large) >= 10                         # the large one oscillates
assert right[-1] < runs["gradient descent, lr 0.1"][-1]   # η = 1 in 60 epochs beats η = 0.1 in 100

# %% [markdown]
# ## 6. Record once, replay: the same step without building a graph
#
# Every training step so far did the same three things: run the model on the data, which builds a graph of `Value`
# nodes; call `backward()` on that graph; throw the graph away. The next step builds the same graph again, node for
# node, and only the numbers in it are different. In pure Python, building the graph is most of the cost of a step.
# Each node is a Python object that has to be allocated and filled in with its operands and its local partial
# derivatives; `backward()` then has to find every node again, in topological order, before the graph is freed.
#
# How many nodes are there? Take micrograd's demo step: 64 points of the moons, the model `MLP(2, [16, 16, 1])`
# with its 337 parameters, and the hinge loss with labels $\pm 1$, plus micrograd's small L2 penalty
# $\alpha \sum_p p^2$ with $\alpha = 10^{-4}$ (as one fused node, `dot(params, params)`). `topological_order(loss)`
# lists every node that leads to the loss, leaves included.

# %%
Xd, yd = make_moons(n=64, noise=0.1, seed=0)
Yd = [2.0 * c - 1.0 for c in yd]            # labels 0/1 -> -1/+1 for the hinge loss
demo = MLP(2, [16, 16, 1], seed=0)
demo_params = demo.parameters()
ALPHA = 1e-4

def demo_loss(points, labels):
    scores = [demo(x) for x in points]
    return hinge_loss(scores, labels) + ALPHA * dot(demo_params, demo_params)

loss = demo_loss(Xd, Yd)
nodes = topological_order(loss)
op_nodes = [v for v in nodes if not v.is_leaf]
print(f"{len(nodes):,} nodes: {len(op_nodes):,} op nodes and {len(nodes) - len(op_nodes)} leaves (the parameters)")
print(f"about {len(op_nodes) / len(Xd):.0f} op nodes per point; by kind:", dict(Counter(v.op for v in op_nodes)))
assert len(nodes) - len(op_nodes) == len(demo_params) == 337
assert len(op_nodes) > 60 * len(Xd)

# %% [markdown]
# Almost every node belongs to one point: each point passes through 33 neurons (16 + 16 + 1), each neuron is one
# fused node for $w \cdot x + b$ (`affine` in the first layer, where $x$ holds plain numbers, `dot` after it), the
# 32 hidden neurons add a `relu` each, and the point's hinge term $\max(0, 1 - y s)$ adds three more. The leaves are
# the 337 parameters: the data are plain numbers here, not nodes. Every step of training builds all these nodes
# again.
#
# ### What `record` does
#
# `record(loss_fn, X, Y)` runs `loss_fn(X, Y)` once, on the normal engine, and keeps what the graph did as a
# **tape**: the graph's ops written out as straight-line Python code on plain floats, the forward pass first and
# then the backward pass in the order `backward()` uses. Calling `tape(X, Y)` replays both passes for new numbers
# without creating a single `Value`. It returns the loss as a float and adds each parameter's gradient into its
# `.grad`, just as `loss.backward()` does.
#
# Two kinds of numbers enter a replay:
#
# - **inputs**: every number inside the arguments (here `X` and `Y`, nested lists of numbers). While recording,
#   each of them becomes an input `Value`; a replay reads them from the new arguments, which must have the same
#   shape as the recorded ones (64 points of 2 coordinates, and 64 labels).
# - **parameters**: every leaf the loss depends on that needs a gradient and is not an input; here the 337
#   weights and biases (`tape.parameters`). A replay reads their `.data` at the moment it runs, so after
#   `optimizer.step()` the next replay uses the new weights.
#
# Is the replay exact? It runs the same op formulas on the same floats in the same order as `backward()`, so it
# should give the same numbers, not just close ones. The cell below checks this with `==` twice: on the recorded
# batch, and on a new batch after an SGD step has moved the weights. Leaf gradients accumulate, so they are zeroed
# before each pass.

# %%
start = time.perf_counter()
tape = record(demo_loss, Xd, Yd)
record_seconds = time.perf_counter() - start
print(tape)
assert set(tape.parameters) == set(demo_params) and len(tape) == len(op_nodes)

def normal_pass(points, labels):
    demo.zero_grad()
    loss = demo_loss(points, labels)
    loss.backward()
    return loss.data, [p.grad for p in demo_params]

def replay_pass(points, labels):
    demo.zero_grad()
    loss = tape(points, labels)
    return loss, [p.grad for p in demo_params]

X_new, y_new = make_moons(n=64, noise=0.1, seed=7)
Y_new = [2.0 * c - 1.0 for c in y_new]
for what, points, labels in [("recorded batch", Xd, Yd), ("new batch, new weights", X_new, Y_new)]:
    if points is X_new:
        SGD(demo_params, lr=0.1).step()       # move the weights: a replay reads them when it runs
    loss_normal, grads_normal = normal_pass(points, labels)
    loss_replay, grads_replay = replay_pass(points, labels)
    same = sum(a == b for a, b in zip(grads_normal, grads_replay))
    print(f"{what:22s}: loss {loss_normal:.12f} (normal) {loss_replay:.12f} (replay); {same} of 337 gradients equal")
    assert loss_replay == loss_normal and grads_replay == grads_normal

# %% [markdown]
# ### How much faster?
#
# A replay does the same arithmetic as a normal step and none of the bookkeeping: no node objects, no topological
# sort, no graph to free. The cell below times ten training steps each way (zero the gradients, compute the loss
# and the gradients, one SGD step), both from the same starting weights, and checks that the two runs took exactly
# the same steps. Expect the replay to be several times faster. The exact ratio depends on the machine and on
# what else it is doing at the time, which is why nothing here asserts it; run the cell again and the figures
# will change a little. Recording is not free either, since it builds the graph once and compiles the tape's code,
# so a tape pays off for a step that runs many times.

# %%
start_weights = [p.data for p in demo_params]
opt = SGD(demo_params, lr=0.05)

def normal_step():
    opt.zero_grad()
    loss = demo_loss(Xd, Yd)
    loss.backward()
    opt.step()
    return loss.data

def replay_step():
    opt.zero_grad()
    loss = tape(Xd, Yd)
    opt.step()
    return loss

def time_steps(step, n=10):
    for p, w0 in zip(demo_params, start_weights):
        p.data = w0
    start = time.perf_counter()
    losses = [step() for _ in range(n)]
    return (time.perf_counter() - start) / n, losses

normal_seconds, normal_losses = time_steps(normal_step)
replay_seconds, replay_losses = time_steps(replay_step)
assert replay_losses == normal_losses          # the same ten steps, to the last bit
print(f"normal step {1e3 * normal_seconds:.1f} ms, replayed step {1e3 * replay_seconds:.1f} ms: "
      f"the replay is {normal_seconds / replay_seconds:.1f} times faster on this run")
print(f"recording took {record_seconds:.2f} s, about {record_seconds / normal_seconds:.0f} normal steps")

# %% [markdown]
# ### Reading the tape
#
# `tape.source` is the Python function that a replay runs, `run(X, P, G)`: `X` holds the input numbers, `P` the
# parameters' data and `G` their gradients. For this step it has tens of thousands of lines, so here are the first
# twelve, each cut at 100 characters:

# %%
lines = tape.source.splitlines()

def show(chunk, width=100):
    for line in chunk:
        print(line if len(line) <= width else line[: width - 4] + " ...")

print(f"tape.source: {len(lines):,} lines for {len(tape):,} op nodes\n")
show(lines[:12])

# %% [markdown]
# Every number of the graph is a local variable, named after its **slot**. Slots are numbered inputs first (here
# `v0` to `v191`: the 128 coordinates of the points, then the 64 labels), then the parameters (`v192` to `v528`),
# then one slot per op node, in topological order.
#
# - `v7` is the **value** of slot 7;
# - `g7` is the **gradient** of the loss with respect to slot 7, built up by the backward pass;
# - `d7_0` is a **local partial derivative**: $\partial v_7 / \partial (\text{its first operand})$, computed
#   together with `v7` on the forward line.
#
# After the `def` line, two lines unpack the inputs and the parameters. The long sum is the L2 penalty,
# `dot(params, params)`: a fused node is written as one sum of products, in the order the engine adds them. Then
# come the nodes of the points, such as `v531 = ...`, a neuron's $w \cdot x + b$ on one point (a `dot` node needs
# no `d` variables: its partials are its own operands), and the `relu` of it on the next line. That line calls `op1(F, v531)`, where `op1` is the op
# table's own formula for relu, `OPS["relu"].fn`, and `F` is the table's namespace of float math. It is the same
# function the engine calls when it builds a relu node, and it returns the value and the local partial in one go,
# so the tape has no formula of its own that could drift from the engine's:

# %%
print("relu in the op table:", OPS["relu"].doc)
print("OPS['relu'].fn(F, -2.0) =", OPS["relu"].fn(F, -2.0), "  OPS['relu'].fn(F, 1.5) =", OPS["relu"].fn(F, 1.5))
assert OPS["relu"].fn(F, -2.0) == (0.0, (0.0,)) and OPS["relu"].fn(F, 1.5) == (1.5, (1.0,))

# where the backward pass starts: the loss's own gradient is 1
root = next(i for i, line in enumerate(lines) if re.fullmatch(r" +g\d+ = 1\.0", line))
show(lines[root : root + 9])

# %% [markdown]
# The backward pass sets the gradient of the loss to 1, then visits the nodes from the loss back to the leaves, and
# for each node pushes its gradient to each of its operands: `g_operand += d * g_node`, the chain rule, once per
# edge of the graph. (A partial of exactly 1, as for the sum node, is left out of the product.) The test in front
# of each block skips a node whose gradient is 0, as `backward()` does, since it would only add zeros; it pushes
# anyway when one of the node's partials is inf or nan, because then $0 \cdot \infty$ is nan and skipping would
# change the result. (For a node whose partials cannot be inf or nan, such as the sum, the test is just `if g:`.) `finite` is one cheap test, done once per replay, that says no partial of the whole tape is
# inf or nan.
#
# ### What a tape cannot replay: decisions taken in Python
#
# A tape keeps the **ops** that your function did on the recorded numbers, not your Python code. `relu`, `abs` and
# the other ops of the table run their formula again on every replay, so they decide afresh for the new numbers. A
# Python `if` on `.data` is not an op. It runs once, while recording, and the tape keeps only the branch it took.
#
# A small example: the absolute error $|w x - t|$, written once with an `if` and once with `abs()`. Both are recorded
# at $x = 3,\ t = 1$, where the error $w x - t = 2$ is positive, and then replayed at other points.

# %%
w_abs = Value(1.0)

def abs_error_with_if(x, t):
    e = w_abs * x - t
    if e.data >= 0:            # a Python decision: taken once, at record time
        return e
    return -e

def abs_error_with_op(x, t):
    return abs(w_abs * x - t)  # abs is an op: its formula runs again on every replay

tape_if = record(abs_error_with_if, 3.0, 1.0)
tape_op = record(abs_error_with_op, 3.0, 1.0)
for x, t in [(3.0, 1.0), (0.0, 1.0), (-2.0, 1.0)]:
    truth = abs_error_with_if(Value(x), t).data     # without a tape, the if runs again
    print(f"x = {x:4}, t = {t}: |wx - t| = {truth};  tape with if: {tape_if.forward(x, t):5};  "
          f"tape with abs(): {tape_op.forward(x, t)}")
    assert tape_op.forward(x, t) == truth
assert tape_if.forward(0.0, 1.0) == -1.0           # it kept the branch "e >= 0": a negative absolute error


# %% [markdown]
# Nothing warns about the wrong replay. `record` checks its tape against the engine once, on the recorded numbers,
# and there the branch was the right one. So the rule for a function you record is: compute with ops only, and
# never read `.data` to take a decision or to make a constant. The same rule explains two things about losses.
#
# - **Class labels.** `cross_entropy(logits, 2)` takes the logit of class 2: the label is used as a list index,
#   which is a Python decision. While recording, every number in the arguments is an input `Value`, and a `Value`
#   cannot be an index, so `record` refuses with a TypeError that says what to do instead. Give each target as a
#   one-hot vector of floats, such as `[0.0, 0.0, 1.0]`, which `cross_entropy` also accepts: the loss is then
#   $\operatorname{logsumexp}(z) - \sum_k t_k z_k$, plain arithmetic on the target's numbers, which can be inputs.
#   For a one-hot target it is the same loss, to the last bit.
# - **Overflow.** Softmax and cross-entropy need $\log \sum_j e^{z_j}$, and $e^{z}$ overflows past
#   $z \approx 709.8$. The usual guard subtracts the largest logit first:
#   $\log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m}$ with $m = \max_j z_j$. If $m$ were read off `.data` in
#   Python, a tape would keep the recorded batch's $m$ as a constant, and a later batch with larger logits would
#   overflow. In valuegrad the shift is inside the formula of the `logsumexp` op, so every replay picks its own
#   maximum, as the cell below checks with logits of $\pm 1000$.

# %%
def ce_with_index(logits, label):
    return cross_entropy(logits, label)

try:
    record(ce_with_index, [1.0, 2.0], 1)
except TypeError as error:
    print(textwrap.fill(f"TypeError: {error}", 110), "\n")
else:
    raise AssertionError("a class index should not be accepted as an input of a tape")

u = [Value(0.5), Value(-0.5)]

def ce_one_hot(x, target):
    return cross_entropy([u[0] * x, u[1] * x], target)    # two logits, x/2 and -x/2

assert ce_one_hot(Value(3.0), [0.0, 1.0]).data == cross_entropy([u[0] * 3.0, u[1] * 3.0], 1).data
ce_tape = record(ce_one_hot, 1.0, [0.0, 1.0])
print("the tape's line for it:", *[line.strip() for line in ce_tape.source.splitlines() if "logsumexp" in line])
for x in (1.0, 2000.0, -2000.0):
    for p in u:
        p.grad = 0.0
    normal = ce_one_hot(Value(x), [0.0, 1.0])
    normal.backward()
    grads_normal = [p.grad for p in u]
    for p in u:
        p.grad = 0.0
    replayed = ce_tape(x, [0.0, 1.0])
    print(f"logits ({x / 2:7}, {-x / 2:7}): loss {replayed:.6f}, gradients {[p.grad for p in u]}")
    assert math.isfinite(replayed) and replayed == normal.data and [p.grad for p in u] == grads_normal

# %% [markdown]
# ### Training with a tape
#
# Finally, a whole training run on a tape, with micrograd's recipe: `MLP(2, [16, 16, 1])`, the hinge loss with
# labels $\pm 1$ plus the L2 penalty, and 100 steps of full-batch gradient descent, with a learning rate that falls
# in a straight line from 1.0 to 0.1 (`LinearDecay`). The data are the 120 training points of section 3, and the 40
# test points are kept aside as before. The loop is the usual one, with `tape(X, Y)` where the forward pass and
# `loss.backward()` were.

# %%
tape_model = MLP(2, [16, 16, 1], seed=0)
params = tape_model.parameters()
Y_train = [2.0 * c - 1.0 for c in y_train]

def loss_fn(points, labels):
    return hinge_loss([tape_model(x) for x in points], labels) + ALPHA * dot(params, params)

train_tape = record(loss_fn, X_train, Y_train)
opt = SGD(params, lr=1.0)
schedule = LinearDecay(opt, start=1.0, end=0.1, steps=100)
tape_losses = []
for step in range(100):
    opt.zero_grad()
    tape_losses.append(train_tape(X_train, Y_train))
    opt.step()
    schedule.step()

train_acc, test_acc = accuracy(tape_model, X_train, y_train), accuracy(tape_model, X_test, y_test)
print(f"loss {tape_losses[0]:.4f} -> {tape_losses[-1]:.4f}; training accuracy {train_acc:.3f}, test accuracy {test_acc:.3f}")

fig, (ax_loss, ax_map) = plt.subplots(1, 2, figsize=(10, 3.4))
ax_loss.plot(range(1, 101), tape_losses)
ax_loss.set(xlabel="step", ylabel="hinge loss + L2", yscale="log", title="100 replayed steps")
zz = scores_on_grid(tape_model)
ax_map.contourf(gx, gy, zz, levels=[min(min(r) for r in zz) - 1, 0.0, max(max(r) for r in zz) + 1],
                cmap="coolwarm", alpha=0.35)
ax_map.contour(gx, gy, zz, levels=[0.0], colors="k", linewidths=1)
ax_map.scatter([p[0] for p in X_test], [p[1] for p in X_test], c=y_test, cmap="coolwarm", s=14,
               edgecolors="k", linewidths=0.3)
ax_map.set(title="decision boundary, test points", xlabel="x₁", ylabel="x₂")
plt.show()
assert tape_losses[-1] < 0.1 * tape_losses[0]
assert train_acc >= 0.95 and test_acc >= 0.9

# %% [markdown]
# A tape fits a step whose structure is fixed and that runs many times: the same model, the same loss and the same
# batch shape. A batch of another size is a different graph, so it needs its own tape (for minibatches, one tape per
# batch size, since the last batch is often smaller). If you change anything that the tape baked in, a number in a
# closure or the model's layers, record again. And when a replay gives a nan, run it under `detect_anomaly()`: the
# tape then takes the normal path, so the engine checks every op and names the one that made it.

# %% [markdown]
# ## Summary
#
# - A **loss** reduces all of a model's errors to one differentiable number; `backward()` then gives its
#   derivative with respect to every parameter. Use the squared error for regression, and the hinge loss,
#   binary cross-entropy or cross-entropy for classification.
# - $\sum_i (y_i - \hat y_i)^2$ is the **sum of squared errors**. The **mean** squared error divides it by $n$.
#   They have the same minimum, but the sum's gradient grows with $n$, so it changes which learning rate works.
# - **Gradient descent**, $\theta \leftarrow \theta - \eta \nabla \mathcal{L}$, is greedy: each step follows the
#   local slope, so in a narrow valley it zigzags. On a quadratic it converges exactly when
#   $\eta < 2/\lambda_{\max}$.
# - `fit` wraps the loop (forward, loss, `zero_grad`, `backward`, `step`); a callback can watch the model as
#   it learns.
# - **Momentum** damps the zigzag and speeds up along consistent directions. **Adam** scales each parameter's step
#   by its own gradient history.
# - The **learning rate** matters most: too small is slow, too large oscillates or diverges.
# - A training step builds thousands of `Value` nodes and throws them away. **`record(loss_fn, X, Y)`** runs the
#   step once and keeps its ops as straight-line code on floats; `tape(X, Y)` replays the forward and backward
#   passes on new inputs and on the parameters' current values, with the same loss and gradients as `backward()`
#   to the last bit, several times faster. A tape replays ops, not Python: a decision on `.data` (an `if`, a class
#   index, a constant read off a number) is fixed at record time, so write it with ops (`abs`, `relu`,
#   `logsumexp`) and give class targets as one-hot vectors.
#
# ## Exercises
#
# 1. Train the moons model of section 5 with `lambda outs, ys: binary_cross_entropy(outs, ys) * len(ys)` (a sum
#    instead of a mean) and $\eta = 1$. What happens, and which learning rate gives back the curve of the mean?
# 2. In section 2, start gradient descent from $(w, b) = (3, -2)$ with $\eta = 1.95/\lambda_{\max}$, then with
#    momentum (keep a velocity yourself). Draw both paths on the contour plot. Which one reaches $(w^*, b^*)$
#    first?
# 3. Train the moons model with `SGD(lr=0.1)` and `batch_size=16` instead of the full batch. Compare the loss curve
#    with the full-batch one. Why is it noisier, and why can it still go down faster per epoch?
# 4. In section 6, write the hinge term with a Python `if` instead of `relu` (a term of 0 when `1 - y * s.data <= 0`,
#    else `1 - y * s`), record the training loss, and train for 100 steps on the tape. Compare each replayed loss
#    with the normal path's at the same weights. When do they start to differ, and for which points?
# 5. Train the tape model of section 6 with minibatches of 32 points (`nn.data.batches`, 120 training points, so the
#    last batch has 24). What does a tape recorded on 32 points say when you give it 24? Keep one tape per batch
#    size, and check that 10 epochs give the same weights as the same loop with `loss.backward()`.
