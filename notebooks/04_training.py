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
#   zigzags (and, optional, the exact limit on the learning rate that the curvature sets);
# - the training loop written out by hand once (forward, loss, zero the gradients, backward, update), and that
#   `fit` runs exactly the same loop;
# - minibatch stochastic gradient descent for real: shuffling, minibatches, noisy steps, and why a minibatch gradient
#   is an honest estimate of the full one;
# - plain gradient descent against momentum and Adam, with Adam's equations written by hand and checked against
#   `nn.Adam`;
# - what a learning rate that is too small, about right, or too large does to the loss curve.
#
# Every random number comes from a seeded generator, so the outputs are the same on every run. (How a training step
# can be recorded once and replayed without building a graph is in notebook 09, *Under the hood*.)

# %%
# %matplotlib inline
import math
import random

import matplotlib.pyplot as plt

from autograd import Value, grad, no_grad
from exercises import check, hint, solution
from nn import MLP, SGD, Adam, accuracy, binary_cross_entropy, cross_entropy, fit, hinge_loss, mse_loss
from nn.data import make_moons, train_test_split
from nn.plots import plot_history

plt.rcParams["figure.dpi"] = 110
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
ax.set(title="Three losses for one positive example", xlabel="score s of a positive example", ylabel="loss", ylim=(-0.2, 6))
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
# The gradient $\nabla \mathcal{L}(\theta)$ points in the direction in which the loss rises fastest (notebook 01).
# Gradient descent repeats one update,
#
# $$
# \theta_{k+1} = \theta_k - \eta\, \nabla \mathcal{L}(\theta_k),
# $$
#
# where $\eta > 0$ is the **learning rate**: nudge every parameter a little against its own partial derivative.
# Near $\theta$ the loss is close to its first-order Taylor polynomial, $\mathcal{L}(\theta + \Delta) \approx
# \mathcal{L}(\theta) + \nabla \mathcal{L}(\theta) \cdot \Delta$, so a small step along $-\nabla\mathcal L$ lowers
# the loss.
#
# One of the source texts (seed 000) calls gradient descent "a greedy (short-sighted) algorithm". That is a fair
# description: each step uses only the slope at the current point. It does not know where the minimum is, only
# which way is downhill right here.
#
# To see this we need a loss with only two parameters, so that we can draw it. Fit a line $\hat y = w x + b$ to
# 20 noisy points with the mean squared error. The loss surface over $(w, b)$ is a bowl whose lowest point is the
# least-squares line, which we can compute exactly. Each step below gets its gradient from valuegrad's
# `backward()`, with the learning rate $\eta = 0.23$.

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
lr = 0.23

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
levels = sorted({0.1 * 2 ** (k / 2) for k in range(0, 16, 2)} | {0.1 * 2 ** (k / 2) for k in range(1, 8, 2)})   # finer near the minimum

fig, axes = plt.subplots(1, 3, figsize=(9.6, 3.6), sharey=True)
for ax, k in zip(axes, (3, 15, 100)):
    ax.contour(ws_grid, bs_grid, surface, levels=levels, cmap="viridis", linewidths=0.7)
    ax.plot([p[0] for p in path[: k + 1]], [p[1] for p in path[: k + 1]], "o-", color="crimson", ms=2.5, lw=1,
            label="gradient descent")
    ax.plot(w_star, b_star, "k*", ms=10, label="least-squares minimum")
    ax.set(title=f"after {k} steps, loss {line_loss(*path[k]).data:.3f}", xlabel="w")
    ax.set_aspect("equal")   # so that "perpendicular to the contours" looks it
axes[0].set_ylabel("b")
axes[0].legend(fontsize=8, loc="lower left")
fig.suptitle("Gradient descent on the loss surface of a line fit (contours of the MSE)")
fig.tight_layout()
plt.show()


# %% [markdown]
# The path shows the greedy nature of the method. Each step is perpendicular to the contour line it starts from,
# because that is the steepest direction, but the bowl is a long, narrow valley: the first step is far from
# pointing at the minimum (★). Across the valley, where the loss curves up steeply, each step overshoots and the path
# zigzags. Along the valley, where it is nearly flat, the path creeps forward. A larger learning rate would make
# the zigzag worse, and beyond a certain size the steps would land ever higher up the walls: gradient descent would
# diverge. The optional section below computes that limit exactly.
#
# ### 2.1 (optional) The zigzag, explained by the curvature
#
# The loss's **Hessian**, the matrix of its second derivatives, measures how fast the slope changes: the curvature.
# For the mean squared error of a line it is the same at every point,
# $H = 2\begin{pmatrix} \overline{x^2} & \bar x \\ \bar x & 1 \end{pmatrix}$, and we check it against the engine's
# `grad(..., create_graph=True)` (notebook 07 explains how a derivative is differentiated again).
#
# For a quadratic loss the behaviour of gradient descent is exact. Along each eigenvector of the Hessian (curvature
# $\lambda$), the distance to the minimum is multiplied by $1 - \eta \lambda$ at every step. Here
# $\eta \lambda_{\max} \approx 1.6$, so across the valley the factor is about $-0.6$: the sign flips each step (the
# zigzag) and the size shrinks. Along the valley it is $1 - \eta \lambda_{\min} \approx 0.95$, slow. If
# $\eta \lambda_{\max} > 2$, the factor across the valley is larger than 1 in size and every step lands further up the
# opposite wall: gradient descent **diverges**. So the largest stable learning rate is $2 / \lambda_{\max}$, set by the
# steepest direction, while the speed is set by the flattest. The next cell checks the Hessian and both sides of
# that limit.

# %%
# the Hessian of the MSE is constant: 2·[[mean x², mean x], [mean x, 1]]
tr, det = 2 * mxx + 2.0, 4 * (mxx - mx * mx)
lam_max = tr / 2 + math.sqrt(tr * tr / 4 - det)
lam_min = tr / 2 - math.sqrt(tr * tr / 4 - det)

wv, bv = Value(0.3), Value(-0.2)
gw, gb = grad(line_loss(wv, bv), [wv, bv], create_graph=True)
hessian = [[h.data for h in grad(g, [wv, bv])] for g in (gw, gb)]
expected = [[2 * mxx, 2 * mx], [2 * mx, 2.0]]
assert all(math.isclose(h, e, rel_tol=1e-12) for hr, er in zip(hessian, expected) for h, e in zip(hr, er))
print(f"Hessian eigenvalues {lam_max:.3f} and {lam_min:.3f}; η·λ_max = {lr * lam_max:.3f}, "
      f"so the factors per step are {1 - lr * lam_max:.3f} across the valley and {1 - lr * lam_min:.3f} along it")
assert 1.5 < lr * lam_max < 1.7 and 0.9 < 1 - lr * lam_min < 1


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
# ## 3. Training an MLP on the two moons: the loop by hand, then `fit`
#
# Now the real thing: a small multi-layer perceptron with hundreds of parameters instead of two. We cannot draw
# its loss surface any more, but every step works the same way. The data are 160 points on two interleaving half
# circles, a problem that no straight line can separate. We keep a quarter of them aside, with the same share of
# each class (`stratify=True`), to measure accuracy on points the model never trained on.
#
# The model `MLP(2, [8, 8, 1])` has two hidden layers of eight ReLU units and one output, a logit $z$: it predicts
# class 1 when $z > 0$, that is when $\sigma(z) > \tfrac12$. Its loss is the binary cross-entropy.
#
# ### The training loop, written out once
#
# Training repeats five steps. This is the whole algorithm, and every framework's `fit` or `train` wraps these
# same lines:
#
# 1. **forward**: run the model on every training point;
# 2. **loss**: turn all the predictions into one number;
# 3. **zero the gradients** left by the previous step (leaf gradients accumulate, notebook 02);
# 4. **backward**: one `backward()` fills in $\partial\mathcal L/\partial p$ for every parameter $p$;
# 5. **update**: move every parameter a little against its gradient, $p \leftarrow p - \eta\,\partial\mathcal
#    L/\partial p$.
#
# One pass over the training set is an **epoch**. Here each epoch is a single step on all 120 training points
# (full-batch gradient descent), with $\eta = 1$:

# %%
X, y = make_moons(n=160, noise=0.12, seed=1)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
print(f"{len(X_train)} training points, {len(X_test)} test points; class 1 in the training set: {sum(y_train)}")

EPOCHS = 100
LR = 1.0
hand_model = MLP(2, [8, 8, 1], seed=0)
params = hand_model.parameters()
hand_losses = []
for epoch in range(EPOCHS):
    outputs = [hand_model(x) for x in X_train]             # 1. forward
    loss = binary_cross_entropy(outputs, y_train)           # 2. one number: the mean loss
    hand_model.zero_grad()                                  # 3. forget the last step's gradients
    loss.backward()                                         # 4. ∂loss/∂p for every parameter p
    for p in params:                                        # 5. a step downhill
        p.data -= LR * p.grad
    hand_losses.append(loss.data)
print(hand_model, "with", len(params), "parameters")
print(f"loss after 1 epoch {hand_losses[0]:.4f}, after {EPOCHS} epochs {hand_losses[-1]:.4f}; "
      f"training accuracy {accuracy(hand_model, X_train, y_train):.3f}")
assert hand_losses[-1] < 0.2 * hand_losses[0]

# %% [markdown]
# ### One training step, drawn
#
# The graph of one step of this loop holds thousands of Values: every neuron at every one of the 120 points, and the
# loss. Built inside `with group("training step"):`, each Value remembers which layer and neuron made it
# (`layer 2 › neuron 5`: `MLP` names its parts inside a group), and `draw_dot` draws each layer as one box, with its
# first outputs, their data and their gradients, and the number of Values that flow between the boxes. `expand=`
# opens a layer into its neurons.

# %%
from autograd import group
from autograd.graph import topological_order
from autograd.viz import draw_dot

with group("training step"):
    step_loss = binary_cross_entropy([hand_model(x) for x in X_train], y_train)
hand_model.zero_grad()
step_loss.backward()
print(f"{len(topological_order(step_loss)):,} Values in one step")
draw_dot(step_loss, rankdir="TB", ports=2)

# %%
draw_dot(step_loss, expand=["layer 2"], rankdir="TB", ports=0)

# %% [markdown]
# `fit(model, X, y, loss, optimizer, epochs, batch_size, ...)` runs exactly this loop, with an optimizer object
# doing step 5 (`SGD(params, lr)` is the update above), plus bookkeeping: a progress bar, the loss and accuracy
# of every epoch, optional validation data. With `batch_size=0` each epoch is one step on the whole training set.
# Started from the same weights, `fit` ends with the same parameters as our loop. Not to the last bit, because
# `fit` visits the points of each epoch in a shuffled order, so its sums add the same numbers in another order; the
# difference is rounding:

# %%
fit_model = MLP(2, [8, 8, 1], seed=0)
hist_sgd = fit(fit_model, X_train, y_train, binary_cross_entropy, SGD(fit_model.parameters(), lr=LR), EPOCHS,
               batch_size=0, progress=False)
gap = max(abs(a.data - b.data) for a, b in zip(fit_model.parameters(), params))
print(f"fit and the hand-written loop after {EPOCHS} epochs: the largest difference among {len(params)} parameters is {gap:.1e}")
assert gap < 1e-10
assert all(math.isclose(a, b, rel_tol=1e-10) for a, b in zip(hist_sgd.loss, hand_losses))

# %% [markdown]
# From here on we let `fit` run the loop. Its `callback(epoch, history)` runs after each epoch; we use it to record
# the model's scores on a grid at a few moments, to see the decision boundary take shape. This run uses the Adam
# optimizer (section 5), and passes the test points as validation data, to watch them without training on them.

# %%
gx = [-1.6 + 4.2 * i / 39 for i in range(40)]
gy = [-1.2 + 2.9 * j / 39 for j in range(40)]

@no_grad()
def scores_on_grid(model):
    return [[model((a, c)).data for a in gx] for c in gy]

model = MLP(2, [8, 8, 1], seed=0)
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
below = sum(v < t for v, t in zip(hist_adam.val_loss, hist_adam.loss))
print(f"the test loss is below the training loss after {below} of {len(hist_adam.loss)} epochs, above it at the end")
assert hist_adam.val_loss[-1] > hist_adam.loss[-1] and below > 0
figure = plot_history(hist_adam, title="MLP(2, [8, 8, 1]) on the moons, Adam")
figure.set_dpi(110)   # nn.plots draws at 100 dpi; every figure here is shown at 110
figure

# %% [markdown]
# The left panel uses a logarithmic loss axis, since the loss falls by orders of magnitude. The test loss ends above
# the training loss, as it usually does (not throughout: the cell above counts the epochs where it was below), but
# it falls too, and the test accuracy reaches that of the
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
axes[0].scatter([], [], c="tab:blue", s=10, label="class 0")
axes[0].scatter([], [], c="tab:red", s=10, label="class 1")
axes[0].plot([], [], "k", lw=1, label="decision boundary")
axes[0].legend(fontsize=11, loc="lower left")
fig.suptitle("The decision boundary (where the logit is 0) as training goes on")
fig.tight_layout()
plt.show()
assert sorted(snapshots) == [0, 5, 25, EPOCHS]
assert min(v for row in snapshots[0] for v in row) > 0   # epoch 0: class 1 everywhere



# %% [markdown]
# ## 4. Minibatch stochastic gradient descent
#
# Full-batch gradient descent computes the exact gradient of the training loss, and pays for it with a forward and
# backward pass over *every* point for a single step. Its cost grows with the size of the data set: with a million
# training images, every single step would first have to go through all million of them.
# **Minibatch stochastic gradient descent** (SGD) instead, at every epoch:
#
# 1. shuffles the training set into a new random order;
# 2. cuts it into **minibatches** of $B$ points (the last one may be smaller);
# 3. takes one step per minibatch, with the gradient of the loss *on that minibatch* only.
#
# A minibatch's gradient is a noisy estimate of the full gradient: each batch sees a different sample of points.
# But it is an honest estimate: at fixed weights, the batch gradients of one epoch, averaged with weights
# $|\text{batch}| / n$, are exactly the full-batch gradient, because the mean loss over all points is that same
# weighted average of the batch means. The cell below checks this, then trains by hand with minibatches of 16,
# shuffling the way `fit` does (a new seed per epoch from `random.Random(seed)`), and compares with
# `fit(..., batch_size=16)`.

# %%
def gradients(model, X_part, y_part):
    model.zero_grad()
    binary_cross_entropy([model(x) for x in X_part], y_part).backward()
    return [p.grad for p in model.parameters()]


BATCH = 16
probe = MLP(2, [8, 8, 1], seed=0)
full = gradients(probe, X_train, y_train)
order = list(range(len(X_train)))
random.Random(1).shuffle(order)
batch_grads = []
for start in range(0, len(order), BATCH):
    idx = order[start : start + BATCH]
    g = gradients(probe, [X_train[i] for i in idx], [y_train[i] for i in idx])
    batch_grads.append((len(idx), g))
averaged = [sum(size * g[i] for size, g in batch_grads) / len(X_train) for i in range(len(full))]
print(f"{len(batch_grads)} minibatches of sizes {[size for size, _ in batch_grads]}")
print(f"largest |weighted mean of batch gradients − full gradient|: {max(abs(a - f) for a, f in zip(averaged, full)):.1e}")
assert all(math.isclose(a, f, rel_tol=1e-9, abs_tol=1e-15) for a, f in zip(averaged, full))
assert max(abs(g[0] - full[0]) for _, g in batch_grads) > 0.01       # while each batch's own gradient differs

# %%
SGD_EPOCHS, SGD_LR = 30, 0.5
sgd_model = MLP(2, [8, 8, 1], seed=0)
shuffler = random.Random(0)                          # as fit(seed=0): one new order per epoch
step_losses, epoch_losses = [], []
for epoch in range(SGD_EPOCHS):
    order = list(range(len(X_train)))
    random.Random(shuffler.getrandbits(32)).shuffle(order)
    total = 0.0
    for start in range(0, len(order), BATCH):
        idx = order[start : start + BATCH]
        outputs = [sgd_model(X_train[i]) for i in idx]
        loss = binary_cross_entropy(outputs, [y_train[i] for i in idx])
        sgd_model.zero_grad()
        loss.backward()
        for p in sgd_model.parameters():
            p.data -= SGD_LR * p.grad
        step_losses.append(loss.data)
        total += loss.data * len(idx)
    epoch_losses.append(total / len(X_train))

same_by_fit = MLP(2, [8, 8, 1], seed=0)
hist_mini = fit(same_by_fit, X_train, y_train, binary_cross_entropy, SGD(same_by_fit.parameters(), lr=SGD_LR),
                SGD_EPOCHS, batch_size=BATCH, seed=0, progress=False)
assert [p.data for p in same_by_fit.parameters()] == [p.data for p in sgd_model.parameters()]
assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(hist_mini.loss, epoch_losses))

full_batch = MLP(2, [8, 8, 1], seed=0)
hist_full = fit(full_batch, X_train, y_train, binary_cross_entropy, SGD(full_batch.parameters(), lr=SGD_LR),
                SGD_EPOCHS, batch_size=0, progress=False)
steps_per_epoch = math.ceil(len(X_train) / BATCH)
print(f"minibatches of {BATCH}: {steps_per_epoch} steps per epoch, {len(step_losses)} steps in {SGD_EPOCHS} epochs; "
      f"the hand loop and fit(batch_size={BATCH}) end with the same parameters")
print(f"loss after {SGD_EPOCHS} epochs: full batch {hist_full.loss[-1]:.4f}, minibatches {epoch_losses[-1]:.4f}")
assert len(step_losses) == SGD_EPOCHS * steps_per_epoch
assert epoch_losses[-1] < hist_full.loss[-1]
assert sum(b > a for a, b in zip(step_losses, step_losses[1:])) > len(step_losses) // 5    # a noisy descent

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
left.plot(range(1, SGD_EPOCHS + 1), hist_full.loss, "o-", ms=3, label="full batch: 1 step per epoch")
left.plot(range(1, SGD_EPOCHS + 1), epoch_losses, "s-", ms=3, label=f"minibatches of {BATCH}: {steps_per_epoch} steps per epoch")
left.set(title="Loss per epoch, SGD with η = 0.5", xlabel="epoch", ylabel="training loss (BCE)")
left.legend(fontsize=9)
right.plot(range(1, len(step_losses) + 1), step_losses, lw=0.8, color="tab:orange", label="loss of each minibatch")
right.plot([steps_per_epoch * (e + 1) for e in range(SGD_EPOCHS)], epoch_losses, "k.", ms=4, label="epoch mean")
right.set(title="Minibatch SGD, step by step", xlabel="step", ylabel="minibatch loss")
right.legend(fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# Per epoch, minibatches win here: they take 8 steps for the price of one full-batch step, and each is nearly as
# good. Step by step, the loss is noisy: a batch of 16 points may be harder or easier than average, and some steps
# go up. That noise is the "stochastic" in SGD. It shrinks as $B$ grows, and it is not all bad: it can knock the
# parameters out of a narrow dip of the loss surface. How large to make $B$ is a trade-off between the noise, the
# number of steps per epoch, and how many points a computer can process at once.

# %% [markdown]
# ## 5. Plain gradient descent, momentum, and Adam
#
# All three optimizers read the same gradients $g = \nabla \mathcal{L}(\theta)$; they differ in the step they take.
#
# - **Gradient descent** (`SGD(params, lr)`): $\theta \leftarrow \theta - \eta\, g$.
# - **Momentum** (`SGD(params, lr, momentum=μ)`): a velocity $v \leftarrow \mu v + g$ accumulates past gradients,
#   and $\theta \leftarrow \theta - \eta\, v$. Where the gradient keeps pointing the same way, the steps grow, up to
#   $\eta / (1 - \mu)$ times the gradient (10 times for $\mu = 0.9$). Where it flips sign, as across the valley of
#   section 2, the flips cancel in $v$ and the zigzag is damped.
# - **Adam** (`Adam(params, lr, betas=(β₁, β₂), eps=ε)`): a momentum, and a step size of its own for every
#   parameter, both from running averages of the gradients.
#
# **Adam's equations.** For each parameter, at step $t = 1, 2, \dots$, with $m_0 = v_0 = 0$:
#
# $$
# \begin{aligned}
# m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t & &\text{the average gradient (a momentum)}\\
# v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 & &\text{the average squared gradient}\\
# \hat m_t &= m_t / (1 - \beta_1^t), \quad \hat v_t = v_t / (1 - \beta_2^t) & &\text{bias corrections}\\
# \theta_t &= \theta_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \varepsilon) & &\text{the step}
# \end{aligned}
# $$
#
# The defaults are $\beta_1 = 0.9$, $\beta_2 = 0.999$, $\varepsilon = 10^{-8}$. The averages start at zero, so early on
# they are too small; dividing by $1 - \beta^t$ corrects exactly that (at $t = 1$, $\hat m_1 = g_1$). Dividing by
# $\sqrt{\hat v_t}$, the typical size of the recent gradients, makes the step about $\eta$ in size whatever the scale
# of the gradient: a parameter whose gradient is tiny still moves, so flat directions are not left behind.
#
# Equations are easy to misread, so here is Adam written by hand, in a few lines over plain floats, run side by side
# with `nn.Adam` for 20 full-batch steps from the same weights:

# %%
def adam_by_hand(model, steps, lr=0.02, beta1=0.9, beta2=0.999, eps=1e-8):
    params = model.parameters()
    m = [0.0] * len(params)
    v = [0.0] * len(params)
    for t in range(1, steps + 1):
        grads = gradients(model, X_train, y_train)
        for i, (p, g) in enumerate(zip(params, grads)):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            m_hat = m[i] / (1 - beta1**t)
            v_hat = v[i] / (1 - beta2**t)
            p.data -= lr * m_hat / (math.sqrt(v_hat) + eps)


ours, library = MLP(2, [8, 8, 1], seed=0), MLP(2, [8, 8, 1], seed=0)
adam_by_hand(ours, steps=20)
optimizer = Adam(library.parameters(), lr=0.02)
for _ in range(20):
    gradients(library, X_train, y_train)       # fills every p.grad
    optimizer.step()
gap = max(abs(a.data - b.data) for a, b in zip(ours.parameters(), library.parameters()))
print(f"after 20 steps, the largest difference between our Adam and nn.Adam: {gap:.1e}")
assert gap < 1e-12

# %% [markdown]
# The two agree to rounding. (`nn.Adam` arranges the same arithmetic slightly differently, as PyTorch does, folding
# the bias corrections into one step size, so the last bits may differ.)
#
# Now the three optimizers on the moons. The runs below start from the same initial weights (`seed=0`) on the same
# data, for the same number of epochs. The Adam curve is the run of section 3, which also started from `seed=0`.

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
ax.set(title="Three optimizers, the same start", xlabel="epoch", ylabel="training loss (BCE)", yscale="log")
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
# ## 6. The learning rate: too small, about right, too large
#
# Plain gradient descent on the same model and data, with three learning rates:
#
# - **too small** ($\eta = 0.02$): every step is safe, and the loss falls at every epoch, but slowly;
# - **about right** ($\eta = 1$): fast progress;
# - **too large** ($\eta = 4$): steps overshoot, as in section 2.1 with $\eta \lambda_{\max} > 2$, and the loss
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
ax.set(title="Plain gradient descent, three learning rates", xlabel="epoch", ylabel="training loss (BCE)")
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
# ## Summary
#
# - A **loss** reduces all of a model's errors to one differentiable number; `backward()` then gives its
#   derivative with respect to every parameter. Use the squared error for regression, and the hinge loss,
#   binary cross-entropy or cross-entropy for classification.
# - $\sum_i (y_i - \hat y_i)^2$ is the **sum of squared errors**. The **mean** squared error divides it by $n$.
#   They have the same minimum, but the sum's gradient grows with $n$, so it changes which learning rate works.
# - **Gradient descent**, $\theta \leftarrow \theta - \eta \nabla \mathcal{L}$, is greedy: each step follows the
#   local slope, so in a narrow valley it zigzags. (Optional: on a quadratic it converges exactly when
#   $\eta < 2/\lambda_{\max}$, with $\lambda_{\max}$ the largest curvature.)
# - The **training loop** is five lines: forward, loss, `zero_grad()`, `backward()`, update. `fit` runs exactly
#   that loop (we got the same parameters, up to rounding), with bookkeeping around it.
# - **Minibatch SGD** shuffles the data every epoch and steps once per minibatch. Each step's gradient is noisy,
#   but weighted over an epoch the batch gradients are the full gradient, and many cheap steps usually beat one
#   exact one.
# - **Momentum** damps the zigzag and speeds up along consistent directions. **Adam** keeps running averages $m$
#   and $v$ of the gradient and its square, corrects their start at zero, and steps by
#   $\eta\,\hat m/(\sqrt{\hat v} + \varepsilon)$; our ten-line version matches `nn.Adam`.
# - The **learning rate** matters most: too small is slow, too large oscillates or diverges.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell; `hint("04.1")` helps, and `solution("04.1")` shows a worked
# answer once you have tried.
#
# **04.1 Sum or mean.** Suppose the moons model of section 3 were trained with the *sum* of the binary
# cross-entropy over the 120 training points instead of the mean. Which learning rate would give exactly the same
# steps as the mean with $\eta = 1$?

# %%
answer_04_1 = ...     # a number
check("04.1", answer_04_1)

# %% [markdown]
# **04.2 Momentum by hand.** Write `momentum_step(params, velocities, lr, mu)`, which updates every `p.data` from
# its `p.grad` with momentum, $v \leftarrow \mu v + g$ and $p \leftarrow p - \eta v$, and returns the new list of
# velocities (they start at 0). The check runs it for several steps beside `SGD(params, lr, momentum=mu)`.

# %%
def momentum_step(params, velocities, lr, mu):
    return ...


check("04.2", momentum_step)

# %% [markdown]
# **04.3 Counting steps.** With 120 training points and `batch_size=32`, how many optimizer steps does one epoch
# take, and how many points are in the last minibatch? Give `(steps, last_batch_size)`.

# %%
answer_04_3 = (..., ...)
check("04.3", answer_04_3)

# %% [markdown]
# **04.4 (optional) The largest stable learning rate.** For the line fit of section 2 with inputs `xs`, the MSE's
# Hessian is $2\begin{pmatrix}\overline{x^2} & \bar x\\ \bar x & 1\end{pmatrix}$. Write `largest_stable_lr(xs)`:
# the learning rate above which plain gradient descent diverges on that loss.

# %%
def largest_stable_lr(xs):
    return ...


check("04.4", largest_stable_lr)

# %% [markdown]
# **04.5 AdamW by hand.** *Decoupled weight decay* (AdamW) shrinks every parameter before the Adam step:
# $\theta \leftarrow \theta\,(1 - \eta\lambda)$, then the step of section 5 with the plain gradient. Write
# `adamw_step(p, g, m, v, t, lr, wd, beta1=0.9, beta2=0.999, eps=1e-8)` for one parameter: it takes the parameter's
# value `p`, its gradient `g`, its running averages `m` and `v` and the step number `t` (from 1), and returns the
# new `(p, m, v)`. The check compares it with `nn.Adam(..., weight_decay=wd, decoupled=True)`.

# %%
def adamw_step(p, g, m, v, t, lr, wd, beta1=0.9, beta2=0.999, eps=1e-8):
    return ...


check("04.5", adamw_step)
