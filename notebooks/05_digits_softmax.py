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
# # 05 · Recognising digits: hand-written rules against a learned softmax classifier
#
# **What you will learn**
#
# - why "just write the rules" does not work for recognising handwriting: we build a real rule-based classifier for
#   8×8 digits, out of `if`/`else` on where the ink is, and measure how often it is right;
# - how a network turns ten raw scores (*logits*) into ten probabilities with the **softmax**, which is the
#   Boltzmann distribution of statistical physics with the logits as negative energies;
# - why the softmax must be computed with the largest logit subtracted, and what goes wrong at logits of $\pm 1000$
#   if it is not;
# - the **cross-entropy** loss, $-\log p_{\text{true class}}$, and its remarkably simple gradient
#   $\text{softmax}(z) - \text{onehot}(t)$;
# - how to train a small MLP on the digits with `fit`, and how to read the result: test accuracy, the hidden units'
#   weights drawn as images, a confusion matrix, and the digits it still gets wrong.
#
# Everything is seeded, so every number below is the same on every run. The whole notebook runs in well under a
# minute on a laptop, with no network: the digits ship inside scikit-learn.

# %%
# %matplotlib inline
import math
import random

import matplotlib.pyplot as plt

from autograd import Value
from exercises import check, hint, solution
from nn import MLP, Adam, accuracy, cross_entropy, fit, log_softmax, predict, softmax
from nn.data import load_digits, train_test_split
from nn.plots import confusion_matrix, plot_confusion

plt.rcParams["figure.dpi"] = 110
random.seed(0)

# %% [markdown]
# ## 1. The data: 1,797 digits of 8×8 pixels
#
# `load_digits()` returns the classic UCI handwritten digits that ship with scikit-learn. Each image is 8×8 pixels,
# read row by row into a list of 64 numbers, with the ink scaled to $[0, 1]$ (0 is blank paper, 1 is full ink).
# The labels are the ints 0 … 9.
#
# We hold out a quarter of the images as a **test set** that no method below learns from. The
# split is *stratified*: every digit keeps its share in both parts.

# %%
X, y = load_digits()
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
print(f"{len(X)} images of {len(X[0])} pixels; {len(X_train)} to train on, {len(X_test)} to test on")
print("test images per digit:", [y_test.count(d) for d in range(10)])

assert len(X) == 1797 and len(X[0]) == 64
assert len(X_train) + len(X_test) == len(X)
assert all(0.0 <= v <= 1.0 for row in X for v in row)


def show_digits(images, titles, heading, columns=10, size=0.9):
    # A row (or grid) of 8×8 images with a title above each one, and a heading above them all.
    rows = math.ceil(len(images) / columns)
    fig, axes = plt.subplots(rows, columns, figsize=(size * columns, 1.15 * size * rows + 0.4), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, image, title in zip(axes.flat, images, titles):
        ax.imshow([image[8 * r : 8 * r + 8] for r in range(8)], cmap="gray_r", vmin=0.0, vmax=1.0)
        ax.set_title(title, fontsize=9)
    fig.suptitle(heading, fontsize=10)
    plt.show()


first_of_each = [next(i for i, t in enumerate(y_train) if t == d) for d in range(10)]
show_digits([X_train[i] for i in first_of_each], [str(d) for d in range(10)], "The first training image of each digit")


# %% [markdown]
# At 8×8 the digits are blurry but readable. Keep in mind how much they vary: a 1 may have a foot or not, a 7 may
# have a bar, a 4 may be open or closed at the top.
#
# ## 2. The old way: write the rules by hand
#
# A popular introduction to deep learning motivates it like this: to recognise a handwritten digit without learning,
# you would write rules such as
#
# ```text
# if there is a curve on the top:
#     maybe it is 6, 3, 2, 9
# elif there are two lines:
#     maybe it is 1, 7
# ```
#
# and imagine having to finish that program. Let us actually finish it, for these 8×8 images, and measure it.
#
# A rule needs things it can test. We use the amount of ink in regions of the image, as a *fraction* of all the
# image's ink (so that a thick pen and a thin pen look alike):
#
# | feature | what it measures | the idea behind it |
# |---|---|---|
# | `centre` | ink in the middle 2×2 pixels (absolute) | a 0 has a hole there |
# | `upper_right`, `upper_left`, `lower_left`, `lower_right` | share of ink in each quarter | a 6 has almost nothing at the top right; a 5 is heavy at the top left |
# | `bottom` | share of ink in the two bottom rows | a 2 ends in a flat stroke |
# | `top` | share of ink in the two top rows | a 4 is open at the top |
# | `width` | how many columns carry strong ink in the middle rows | a 1 is narrow; a 4 is wide |
#
# The thresholds below were chosen by looking at example images and at the average of each feature per digit, **on
# the training set only**, then rounding to something that reads like a rule. That is the honest best case of the
# hand-written approach: a person who has studied the data.

# %%
def region(image, rows, cols):
    # Total ink in the rectangle of pixels (r, c) with r in rows and c in cols.
    return sum(image[8 * r + c] for r in rows for c in cols)


def features(image):
    ink = sum(image)
    top_half, bottom_half, left_half, right_half = range(0, 4), range(4, 8), range(0, 4), range(4, 8)
    return {
        "centre": region(image, range(3, 5), range(3, 5)),
        "upper_right": region(image, top_half, right_half) / ink,
        "upper_left": region(image, top_half, left_half) / ink,
        "lower_left": region(image, bottom_half, left_half) / ink,
        "lower_right": region(image, bottom_half, right_half) / ink,
        "top": region(image, range(0, 2), range(8)) / ink,
        "bottom": region(image, range(6, 8), range(8)) / ink,
        "width": sum(1 for c in range(8) if max(image[8 * r + c] for r in range(2, 6)) > 0.5),
    }


def rule_based_digit(image):
    f = features(image)
    if f["centre"] < 1.0:                         # a hole in the middle
        return 0
    if f["upper_right"] < 0.13:                   # nothing at the top right: the loop of a 6 sits low
        return 6
    if f["bottom"] > 0.33:                        # a heavy flat stroke along the bottom
        return 2
    if f["width"] >= 5 and f["top"] < 0.22:       # wide in the middle and open at the top
        return 4
    if f["lower_right"] < 0.2:                    # a bar on top and a stroke falling to the left
        return 7
    if f["upper_left"] > 0.33:                    # a 5 starts with a stroke at the top left
        return 5
    if f["lower_left"] < 0.17:                    # little ink at the bottom left: 3 or 9
        return 3 if f["lower_right"] > 0.3 else 9
    if f["width"] <= 3:                           # narrow
        return 1
    return 8                                      # whatever is left over


# The per-digit averages that the thresholds came from (training set only).
names = list(features(X_train[0]))
print("digit " + " ".join(f"{n:>11}" for n in names))
for d in range(10):
    rows = [features(img) for img, t in zip(X_train, y_train) if t == d]
    print(f"{d:>5} " + " ".join(f"{sum(r[n] for r in rows) / len(rows):11.2f}" for n in names))

rules_train = [rule_based_digit(img) for img in X_train]
rules_test = [rule_based_digit(img) for img in X_test]
rules_train_acc = sum(p == t for p, t in zip(rules_train, y_train)) / len(y_train)
rules_test_acc = sum(p == t for p, t in zip(rules_test, y_test)) / len(y_test)
print(f"\nrule-based accuracy: train {rules_train_acc:.3f}, test {rules_test_acc:.3f}  (guessing: 0.100)")
assert 0.3 < rules_test_acc < 0.75

# %% [markdown]
# Eight tests and a fallback, hours of squinting in real life, and the classifier is right on roughly three test
# digits out of five. Look at the table of averages: for most features the ten digits differ by a few hundredths
# to a tenth, while single images scatter far more than that, so every threshold cuts through several digits at
# once. The rules that *do* work (the hole in a 0, the empty top right of a 6) are the easy cases. Where does it
# fail? Row $t$ of the confusion matrix counts how the test images of digit $t$ were classified:

# %%
rules_cm = confusion_matrix(y_test, rules_test, classes=10)
print("true \\ predicted " + " ".join(f"{p:>3}" for p in range(10)))
for t, row in enumerate(rules_cm):
    print(f"{t:>16} " + " ".join(f"{c:>3}" for c in row) + f"   right: {row[t]}/{sum(row)}")
worst = min(range(10), key=lambda d: rules_cm[d][d] / sum(rules_cm[d]))
print(f"worst digit for the rules: {worst} ({rules_cm[worst][worst]}/{sum(rules_cm[worst])} right)")

# %% [markdown]
# Improving this means more features (strokes, loops, angles), more rules, more thresholds, and every new rule
# breaks some digits that used to be right. Notice also *how* we got the thresholds: by averaging the training
# images. We were already learning from data, just slowly and by hand. The rest of this notebook lets gradient
# descent do it, on all 64 pixels at once.
#
# ## 3. From scores to probabilities: the softmax is a Boltzmann distribution
#
# A network for ten classes ends in ten output neurons with no activation. Their outputs $z_0, \dots, z_9$ are
# *logits*: any real numbers, larger meaning "more likely". To compare them with a label we want probabilities,
# non-negative and summing to one. The **softmax** does that:
#
# $$
# p_k = \operatorname{softmax}(z)_k = \frac{e^{z_k}}{\sum_{j} e^{z_j}} .
# $$
#
# This is exactly the **Boltzmann distribution** of statistical physics. A system that can be in one of $K$ states
# with energies $E_k$, at temperature $T$, is found in state $k$ with probability
#
# $$
# p_k = \frac{e^{-E_k / T}}{Z}, \qquad Z = \sum_j e^{-E_j / T} ,
# $$
#
# where $Z$, the *partition function*, makes the probabilities sum to one. Read a logit as a negative energy at
# temperature 1, $z_k = -E_k$: a high score is a low-energy, likely state. Dividing the logits by a temperature $T$
# sharpens the distribution when $T < 1$ (towards the argmax) and flattens it when $T > 1$ (towards uniform),
# without changing the order of the classes.

# %%
z = [2.0, 1.0, 0.0, -1.0]
for T in (0.25, 1.0, 4.0):
    p = [q.data for q in softmax([zk / T for zk in z])]
    print(f"T = {T:<4}  p = [{', '.join(f'{q:.3f}' for q in p)}]   sum = {sum(p):.6f}")
    assert abs(sum(p) - 1.0) < 1e-12 and all(q > 0 for q in p)
    assert p == sorted(p, reverse=True)          # the order of the logits is kept at every temperature

# Two states: the probability of the first is the logistic sigmoid of the logit difference.
a, b = 1.3, -0.4
p_first = softmax([a, b])[0].data
assert abs(p_first - 1.0 / (1.0 + math.exp(-(a - b)))) < 1e-15
print(f"softmax([{a}, {b}])[0] = {p_first:.6f} = sigmoid({a} - ({b}))")


# %% [markdown]
# The last check is worth stating. With two states the softmax is the sigmoid of the difference of the logits,
# $p_1 = \sigma(z_1 - z_2)$. That is why a single binary unit, on or off, has an on-probability given by the
# **logistic sigmoid** of its input, as in a Boltzmann machine; the softmax is the same idea for $K$ states. (A text
# this project learns from calls the softmax "the corresponding PDF" of a unit being on. Over a finite set of
# states it is a probability *mass* function, not a density, and the precise statement is the one above: the
# Boltzmann distribution over the states, $p \propto e^{-E/T}$; the sigmoid for two states, the softmax for $K$.)
#
# ### Computing it without overflow
#
# Floating point cannot hold $e^{1000}$: it is `inf`. A naive softmax of logits like $1000$ and $-1000$ therefore
# computes $\infty / \infty$ for the largest one, which is `nan`, and the "probabilities" no longer sum to one.
# The fix uses a property of the formula: adding the same constant $c$ to every logit changes nothing, because
# $e^{z_k - c} / \sum_j e^{z_j - c} = e^{z_k} / \sum_j e^{z_j}$. With $c = \max_j z_j$ every exponent is at most
# $0$, the largest term is exactly $1$, and nothing overflows. `nn.softmax` does this, and so does `log_softmax`,
# which returns
# $\log p_k = (z_k - c) - \log \sum_j e^{z_j - c}$ directly (taking the log *after* a softmax would turn an
# underflowed $p_k = 0$ into $-\infty$).

# %%
def naive_softmax(logits):
    exps = [Value(zk).exp() for zk in logits]
    total = sum(exps, Value(0.0))
    return [e / total for e in exps]


big = [1000.0, -1000.0, 0.0]
print("naive      :", [p.data for p in naive_softmax(big)])
print("softmax    :", [p.data for p in softmax(big)])
print("log_softmax:", [p.data for p in log_softmax(big)])

assert all(math.isnan(p.data) or p.data == 0.0 for p in naive_softmax(big))
assert [p.data for p in softmax(big)] == [1.0, 0.0, 0.0]
assert [p.data for p in log_softmax(big)] == [0.0, -2000.0, -1000.0]

# Shift invariance, the property the trick rests on:
zs = [0.3, -1.2, 2.5]
shifted = [p.data for p in softmax([zk + 500.0 for zk in zs])]
assert all(abs(u - v.data) < 1e-12 for u, v in zip(shifted, softmax(zs)))

# %% [markdown]
# ## 4. The loss: cross-entropy
#
# For one image with true class $t$, the model's probability of the right answer is $p_t$. We want it close to one,
# so we minimise its negative log, the **cross-entropy**:
#
# $$
# L(z, t) = -\log p_t = -z_t + \log \sum_j e^{z_j} .
# $$
#
# It is $0$ when the model puts all its probability on $t$, and grows without bound as $p_t \to 0$, so confident
# mistakes cost the most. A model that knows nothing and answers uniformly, $p_k = 1/10$, pays $\log 10 \approx
# 2.303$: that is the number to beat at the start of training. Over a batch, `cross_entropy` takes the mean.
#
# Differentiating the right-hand form gives a gradient that is easy to remember,
#
# $$
# \frac{\partial L}{\partial z_j} = p_j - [j = t] ,
# $$
#
# the predicted probabilities minus the one-hot label: push the right class up and every other class down, each in
# proportion to how much probability it wrongly holds. We check it with `backward`:

# %%
logits = [Value(v) for v in (1.0, 3.0, -0.5, 0.2)]
t = 0
loss = cross_entropy(logits, t)
loss.backward()

p = [q.data for q in softmax(logits)]
expected = [pj - (1.0 if j == t else 0.0) for j, pj in enumerate(p)]
print(f"loss = {loss.data:.6f} = -log p_t = {-math.log(p[t]):.6f}")
print("dL/dz           :", [round(z.grad, 6) for z in logits])
print("softmax - onehot:", [round(g, 6) for g in expected])
assert abs(loss.data + math.log(p[t])) < 1e-12
assert all(abs(z.grad - g) < 1e-12 for z, g in zip(logits, expected))
assert abs(sum(z.grad for z in logits)) < 1e-12       # the gradient's entries sum to zero

# The same loss at logits of ±1000 stays finite, and so does its gradient.
extreme = [Value(1000.0), Value(-1000.0)]
wrong = cross_entropy(extreme, 1)         # the model is sure of class 0; the truth is 1
wrong.backward()
print(f"confidently wrong: loss = {wrong.data}, grads = {[z.grad for z in extreme]}")
assert wrong.data == 2000.0 and [z.grad for z in extreme] == [1.0, -1.0]
assert cross_entropy([0.0] * 10, 3).data == math.log(10)

# %% [markdown]
# ## 5. Learning the classifier
#
# The model is an MLP with 64 inputs (the pixels), one hidden layer of 16 ReLU units and 10 linear outputs, the
# logits: $64 \cdot 16 + 16 + 16 \cdot 10 + 10 = 1{,}210$ parameters, every one a scalar `Value`. `fit` runs
# minibatch training: each step forwards 32 images into one graph, takes the mean cross-entropy, backpropagates,
# and lets **Adam** update every parameter. `task="multiclass"` tells it that a prediction is the argmax of the ten
# outputs. We pass the test set as validation data only to *watch* it after each epoch; it never produces a
# gradient. (In a real project, choices such as the number of epochs are made on a separate validation set carved
# out of the training data, and the test set is looked at once, at the end. Here the point is to see learning
# happen.)
#
# A caution about what the network is. The universal approximation theorem, often quoted here, says that one
# hidden layer with a non-linear (strictly: non-polynomial, such as ReLU, tanh or sigmoid) activation can
# approximate any **continuous function on a compact set** (such as $[0,1]^{64}$) to any accuracy, **given enough
# hidden units**. It does not say that 16 units are enough, nor that gradient descent will find the weights.
# Whether training works is an experiment, so we measure.

# %%
model = MLP(64, [16, 10], seed=0)
optimizer = Adam(model.parameters(), lr=0.01)
print(model, f"with {len(model.parameters())} parameters")

history = fit(
    model, X_train, y_train, cross_entropy, optimizer,
    epochs=8, batch_size=32, X_val=X_test, y_val=y_test, task="multiclass", seed=0, progress=False,
)

print("epoch  train loss  train acc  test loss  test acc")
for e in range(history.epochs):
    print(f"{e + 1:>5}  {history.loss[e]:10.3f}  {history.accuracy[e]:9.3f}  {history.val_loss[e]:9.3f}  "
          f"{history.val_accuracy[e]:8.3f}")

test_acc = accuracy(model, X_test, y_test, task="multiclass")
print(f"\ntest accuracy: learned MLP {test_acc:.3f}  vs  hand-written rules {rules_test_acc:.3f}")
assert len(model.parameters()) == 1210
assert history.val_loss[-1] < math.log(10) and history.loss[-1] < history.loss[0]
assert test_acc >= 0.85
assert test_acc - rules_test_acc > 0.2
assert abs(history.val_accuracy[0] - rules_test_acc) < 0.1      # one epoch: about as good as the rules

# %% [markdown]
# After a single epoch the network is already about as accurate as the rules. Within a few more the test loss
# falls far below the $\log 10 \approx 2.303$ of guessing, and the learned model is right on more than nine test
# digits in ten, against three in five for the rules. Nobody told it where a 0 has its hole: each of the 16
# hidden units learned its own weighted template over all 64 pixels, and the output layer learned how to combine
# them.
#
# The softmax turns the model's logits into probabilities we can read. Here is one test image:

# %%
image, label = X_test[0], y_test[0]
probs = [q.data for q in softmax(model(image))]
print(f"true digit {label}; the model's probabilities:")
print("  " + "  ".join(f"{k}: {q:.3f}" for k, q in enumerate(probs)))
assert abs(sum(probs) - 1.0) < 1e-12
assert max(range(10), key=lambda k: probs[k]) == predict(model, [image], task="multiclass")[0]

# %% [markdown]
# ### What the hidden units learned
#
# Each hidden unit computes $\operatorname{relu}(\mathbf w \cdot \mathbf x + b)$ over the 64 pixels, so its 64 weights
# can be drawn as an 8×8 image, each weight in the place of the pixel it multiplies. The weights started random, so
# we draw what **training changed**: the trained weight minus its starting value. Red means training made ink on
# that pixel push the unit *on*; blue, push it *off*. Above each image is the digit whose output logit this unit
# raises most (its largest weight in the output layer): the digit it "votes" for.
#
# One thing can be predicted before looking. A weight's gradient is its pixel's value times the unit's error
# signal ($\partial L/\partial w_j = \delta\, x_j$: the multiplication "swap" of notebook 02). A pixel that is blank
# in every training image has $x_j = 0$ always, so its weight never receives a gradient and never moves. The cell
# checks that too.

# %%
hidden_layer, output_layer = model.layers
untrained = MLP(64, [16, 10], seed=0).layers[0]          # the same starting weights (the same seed)
changes = [[w.data - w0.data for w, w0 in zip(unit.w, unit0.w)] for unit, unit0 in zip(hidden_layer.neurons, untrained.neurons)]
votes = [max(range(10), key=lambda d, j=j: output_layer.neurons[d].w[j].data) for j in range(len(changes))]
blank = [i for i in range(64) if all(image[i] == 0.0 for image in X_train)]
print(f"{len(blank)} of the 64 pixels are blank in every training image: {blank}")
assert len(changes) == 16 and all(len(c) == 64 for c in changes)
assert blank and all(c[i] == 0.0 for c in changes for i in blank)       # their weights never moved
assert max(abs(v) for c in changes for v in c) > 0.5                    # while others moved a lot

limit = sorted(abs(v) for c in changes for v in c)[int(0.98 * 16 * 64)]   # the colour scale, ignoring a few extremes
fig, axes = plt.subplots(2, 8, figsize=(10, 3.2))
for j, (ax, c) in enumerate(zip(axes.flat, changes)):
    shown_image = ax.imshow([c[8 * r : 8 * r + 8] for r in range(8)], cmap="bwr", vmin=-limit, vmax=limit)
    ax.set_title(f"unit {j + 1} → {votes[j]}", fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(shown_image, ax=axes, shrink=0.8, label="weight change")
fig.suptitle("What training changed in each hidden unit's weights (→ the digit it votes for)")
plt.show()

# %% [markdown]
# Some units read clearly: a unit that votes for 6 has gained red in the lower left, where a 6 has its loop, and blue
# at the top right, where a 6 has no ink (the same clue the hand-written rules used). Others are blotchy: with only
# 16 units, each one serves several digits, and the output layer recognises a digit by a *pattern* of units that are
# on and off. And a few images are pale and nearly uniform. Those units changed little because they stopped
# learning early: they are **dead ReLUs** (notebook 03), off for every training image, so no gradient reaches them.
# The cell below finds them.

# %%
def pre_activation(unit, image):
    return sum(w.data * x for w, x in zip(unit.w, image)) + unit.b.data


dead = [j + 1 for j, unit in enumerate(hidden_layer.neurons) if all(pre_activation(unit, image) <= 0 for image in X_train)]
faint = [j + 1 for j, c in enumerate(changes) if max(abs(v) for v in c) < 0.2]
print(f"dead units (off for all {len(X_train)} training images): {dead}; units whose weights changed by less than 0.2: {faint}")
assert dead and set(faint) <= set(dead)

six = changes[votes.index(6)]                      # the unit that votes for 6
lower_left = sum(six[8 * r + c] for r in range(4, 8) for c in range(4)) / 16
top_right = sum(six[8 * r + c] for r in range(4) for c in range(4, 8)) / 16
print(f"the unit voting for 6: mean change {lower_left:+.3f} in the lower-left quarter, {top_right:+.3f} in the top-right")
assert lower_left > 0 > top_right

# %% [markdown]
# ## 6. Where the model goes wrong
#
# Accuracy is a single number. The **confusion matrix** shows which digits are mistaken for which: row $t$, column
# $p$ counts the test images of digit $t$ that the model called $p$. The diagonal is correct; everything off it is
# an error.

# %%
y_pred = predict(model, X_test, task="multiclass")
cm = confusion_matrix(y_test, y_pred, classes=10)
assert sum(cm[d][d] for d in range(10)) / len(y_test) == test_acc     # the diagonal is the accuracy

pairs = sorted(((cm[t][p], t, p) for t in range(10) for p in range(10) if t != p), reverse=True)
print("most frequent mistakes (count, true -> predicted):", [(c, f"{t}->{p}") for c, t, p in pairs[:4]])
figure = plot_confusion(y_test, y_pred, classes=10, title="learned MLP on the test set")
figure.set_size_inches(5.0, 4.2)
figure.set_dpi(110)
figure

# %% [markdown]
# The off-diagonal counts are small and scattered; compare the rules' matrix above, where whole rows leaked into
# other digits. Finally, the errors themselves. Each image below is a misclassified test digit, titled
# `true → predicted` with the probability the model gave to its (wrong) answer:

# %%
mistakes = [i for i, (t, p) in enumerate(zip(y_test, y_pred)) if t != p]
print(f"{len(mistakes)} of {len(y_test)} test digits are misclassified")
assert len(mistakes) == len(y_test) - sum(cm[d][d] for d in range(10))

shown = mistakes[:10]
titles = []
for i in shown:
    q = softmax(model(X_test[i]))[y_pred[i]].data
    titles.append(f"{y_test[i]}→{y_pred[i]} ({q:.2f})")
show_digits([X_test[i] for i in shown], titles, "Misclassified test digits: true → predicted (probability given)",
            columns=5, size=1.3)

# %% [markdown]
# Many of these are hard even for a person at 8×8 resolution: strokes that are cut short, digits drawn off-centre,
# or shapes halfway between two classes. A probability well below one says the model "knew" it was unsure; a
# confident mistake is the more worrying kind, and the one cross-entropy punishes hardest.

# %% [markdown]
# ## Summary
#
# - Hand-written rules on where the ink lies reach only about 60% on these digits, even with thresholds read off
#   the training data. Every rule cuts through several digits, and more rules trade one error for another.
# - A network outputs logits; the **softmax** $p_k = e^{z_k} / \sum_j e^{z_j}$ turns them into probabilities. It is
#   the Boltzmann distribution $p_k \propto e^{-E_k/T}$ with $z_k = -E_k$ and $T = 1$; for two states it reduces to
#   the sigmoid.
# - Subtracting the largest logit first leaves the softmax unchanged and keeps it finite at logits of $\pm 1000$,
#   where the naive formula gives `nan`. Use `log_softmax` rather than the log of a softmax.
# - **Cross-entropy** $-\log p_t$ is $\log 10$ for a uniform guess over ten classes, and its gradient with respect to the
#   logits is $\text{softmax}(z) - \text{onehot}(t)$.
# - A 1,210-parameter MLP trained for a few epochs with `fit` and `Adam` gets over 90% of the test digits right. Its
#   hidden units' weights, drawn as images, are blotchy templates over the pixels; the confusion matrix and the
#   misclassified images show where it still struggles.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell; `hint("05.1")` helps, and `solution("05.1")` shows a worked
# answer once you have tried.
#
# **05.1 A softmax that never overflows.** Write `stable_softmax(z)` for a list of floats, with `math.exp`, returning
# the list of probabilities. It must give the right answer for logits such as `[1000.0, -1000.0, 0.0]`.

# %%
def stable_softmax(z):
    return ...


check("05.1", stable_softmax)

# %% [markdown]
# **05.2 The gradient of cross-entropy.** Write `ce_grad(z, t)`: the list of $\partial L/\partial z_j$ for
# $L = $ `cross_entropy(z, t)`, with logits `z` (floats) and the true class `t`, from the formula of section 4 and no
# `backward()`. The check compares it with `backward()`.

# %%
def ce_grad(z, t):
    return ...


check("05.2", ce_grad)

# %% [markdown]
# **05.3 Temperature.** Dividing logits by a temperature $T$ never changes the argmax, so it never changes the
# accuracy, but it does change the loss. Write `mean_ce(logit_rows, labels, T)`: the mean cross-entropy of the rows
# of logits divided by `T`. Then try it on the model's test logits (`[[v.data for v in model(x)] for x in X_test]`)
# for $T = 0.5, 1, 2$: which gives the lowest loss, and is the model over- or under-confident?

# %%
def mean_ce(logit_rows, labels, T):
    return ...


check("05.3", mean_ce)

# %% [markdown]
# **05.4 Counting parameters.** Write `n_params(nin, sizes)`: how many weights and biases `MLP(nin, sizes)` has. How
# many does the linear classifier `MLP(64, [10])` have, against 1,210 for the model above? (Training it, with the same
# optimizer and epochs, shows how much the hidden layer adds.)

# %%
def n_params(nin, sizes):
    return ...


check("05.4", n_params)

# %% [markdown]
# **05.5 Reading a confusion matrix.** The *recall* of digit $d$ is the fraction of the test images of $d$ that
# the model labels $d$. Write `recalls(cm)` for a confusion matrix given as a list of rows (row = true digit), and
# use it on `cm` above: which digit does the model find hardest?

# %%
def recalls(cm):
    return ...


check("05.5", recalls)

# %% [markdown]
# **05.6 Beat the rules.** Write `my_rules(image)`, a hand-written classifier like `rule_based_digit` of section 2
# (no training: you may only study the training images, as we did), that gets at least 65% of the *test* digits
# right, against 62% for section 2's rules. You may call `features(image)` and add features of your own, for
# instance the ink in the left and right columns of the middle rows, to catch the loop of an 8. How many of your
# changes help on training images but hurt on test images?

# %%
def my_rules(image):
    return ...


check("05.6", my_rules)
