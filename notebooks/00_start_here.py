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
# # 00 · Start here: the map, the maths you need, and what the words mean
#
# **What you will learn**
#
# - the path through these notebooks: what each one teaches, what it expects you to know already, and which
#   sections you can skip on a first reading (their headings say "(optional)");
# - how the exercises work: you write an answer, `check(...)` says whether it is right, and if it is not, it
#   gives a hint;
# - a one-page cheat-sheet of derivatives, the only calculus the notebooks use, with every line checked by
#   valuegrad;
# - what "deep learning", "deep", "supervised" and "unsupervised" mean, and where the texts this project grew
#   from get them wrong.
#
# Nothing here is difficult. If you can read a little Python and remember what a function is, you can start.

# %%
# %matplotlib inline
import math
import re
from pathlib import Path

import matplotlib.pyplot as plt

from autograd import Value, grad
from exercises import check, hint, solution
from nn import MLP

plt.rcParams["figure.dpi"] = 110

# %% [markdown]
# ## 1. The map
#
# The notebooks build one idea on the next. Each row says what you learn, what you need first, and about how long a
# first careful pass takes, running the cells and trying the exercises (the whole path is about 14 hours; skipping
# the optional sections saves two or three).
#
# | notebook | what you learn | what you need first | time |
# |---|---|---|---|
# | **00 · Start here** | the map, the exercises, the derivative cheat-sheet, the vocabulary | a little Python | 20 min |
# | **01 · Derivatives** | nudge an input and watch the output: the derivative as a slope; the gradient; three ways to compute derivatives | school algebra (powers, fractions) | 60 min |
# | **02 · Values and backprop** | a computation as a graph; the chain rule by hand; how gradients flow; reading a `Value` class of 40 lines | 01, and the chain rule from the cheat-sheet below | 90 min |
# | **02b · Write your own engine** | **writing your own engine**, step by step, each step checked against valuegrad: a node, `+` and `*`, the topological order, `backward()`, `tanh`, a neuron; then training a tiny MLP on it | 02 | 75 min |
# | **03 · From neurons to an MLP** | a neuron, a layer, a network; forward propagation as matrices (with a diagram); why activations and biases; backpropagation in matrix form | 02; multiplying a matrix by a vector | 75 min |
# | **04 · Training** | loss functions; gradient descent; a training loop written by hand, then minibatch SGD, momentum and Adam (written by hand too) | 03 | 90 min |
# | **05 · Digits and softmax** | a real classifier: softmax, cross-entropy, 1,797 hand-written digits, what the hidden units learned | 04 | 60 min |
# | **06 · Boltzmann machines** | energy, probability and temperature; where the sigmoid and the softmax come from; an RBM that learns without labels | 05 (softmax); the idea of a probability | 75 min |
# | **07 · Higher-order derivatives** | the slope of the slope; Newton's method; checking any derivative with `gradcheck`; writing your own op | 01, 02 and 04 | 60 min |
# | **08 · Graduating to PyTorch** | the same model in PyTorch: `to_torch` and back, the same numbers, trained side by side; each valuegrad idea by its PyTorch name; what vectorisation buys | 04; PyTorch installed (`pip install ".[torch]"`) | 45 min |
# | **09 · Under the hood** | engineering: very deep graphs and memory, replaying a training step from a tape, how `detect_anomaly` finds a `nan` | 02, 04 and 07; all of it is optional | 60 min |
# | **10 · A GPT from scalars** | the capstone: attention worked by hand, then a tiny transformer (embeddings, attention heads, rmsnorm, residuals, an MLP) trained on the Zen of Python on a tape compiled to C; sampling text; what 4,352 parameters can and cannot learn | 02, 04 and 05; a C compiler makes it fast | 120 min |
#
# The sections marked "(optional)" go deeper into one point, such as how accurate a finite difference can be. The
# rest of the series never depends on them. The cell below reads every notebook's headings and lists them.

# %%
ROADMAP = {  # each notebook, and the minutes of a first careful pass (the table's last column)
    "00_start_here": 20, "01_derivatives": 60, "02_values_and_backprop": 90, "02b_write_your_engine": 75,
    "03_neurons_to_mlp": 75, "04_training": 90, "05_digits_softmax": 60, "06_boltzmann_machines": 75,
    "07_higher_order": 60, "08_graduating_to_pytorch": 45, "09_under_the_hood": 60, "10_gpt_from_scalars": 120,
}
assert sorted(ROADMAP) == sorted(p.stem for p in Path(".").glob("[0-9][0-9]*_*.py")), "the map lists every notebook"
hours = sum(ROADMAP.values()) / 60
print(f"the whole path: {len(ROADMAP)} notebooks, about {hours:.0f} hours ({hours:.1f})")
assert 13 <= hours <= 15
HEADING = re.compile(r"^# (#{2,4}) (.*)$")

total_optional = 0
for stem in ROADMAP:
    source = Path(f"{stem}.py")
    assert source.exists(), f"{stem} is on the map but not in the folder"
    headings = [m.group(2) for line in source.read_text(encoding="utf-8").splitlines() if (m := HEADING.match(line))]
    optional = [h for h in headings if "(optional)" in h]
    total_optional += len(optional)
    print(f"{stem:26s} {ROADMAP[stem]:3d} min {len(headings):2d} sections;", "optional: " + "; ".join(optional) if optional else "none optional")
assert total_optional >= 5

# %% [markdown]
# ## 2. How the exercises work
#
# Every notebook ends with exercises, and every exercise ends with a cell like this one:
#
# ```python
# def d_gauss(x):
#     return ...            # ← your answer replaces the ...
#
# check("00.2", d_gauss)
# ```
#
# Run it as it is and `check` says the exercise is not answered yet. Write your answer and run the cell again:
# `check` compares it with a reference computed another way (valuegrad's `backward()`, finite differences, a sum
# over every case) and prints **right**, or **not yet** with what is off and a hint. Three helpers come with it:
#
# - `check(id, answer)`: is it right?
# - `hint(id)`: a nudge, without the answer;
# - `solution(id)`: the worked solution, to compare with yours once you have tried. The solutions live in
#   `notebooks/exercises/solutions/`, outside the notebooks, so that you do not see them by accident.
#
# For instance, a first attempt at exercise 00.1 below that multiplies the two derivatives is wrong, and `check`
# says so:

# %%
check("00.1", 2 * 1.0 * math.cos(1.0))     # (x²)' · (sin x)' at x = 1: the product rule does not say this

# %% [markdown]
# ## 3. A derivative cheat-sheet
#
# The derivative $f'(x)$ is the slope of $f$ at $x$: nudge $x$ by a small $h$, and $f$ moves by about $f'(x)\,h$
# (notebook 01 starts from exactly this). You never need more calculus than this page.
#
# **The basic functions**
#
# | $f(x)$ | $f'(x)$ | remark |
# |---|---|---|
# | $c$ (a constant) | $0$ | a constant does not move |
# | $x^n$ | $n\,x^{n-1}$ | the **power rule**; $n$ may be any real number (for $x > 0$) |
# | $e^x$ | $e^x$ | its own slope |
# | $\ln x$ | $1/x$ | for $x > 0$ |
# | $\sin x$ | $\cos x$ | |
# | $\cos x$ | $-\sin x$ | |
# | $\tanh x$ | $1 - \tanh^2 x$ | an activation function |
# | $\sigma(x) = \dfrac{1}{1 + e^{-x}}$ | $\sigma(x)\,(1 - \sigma(x))$ | the logistic sigmoid |
# | $\operatorname{relu}(x) = \max(0, x)$ | $1$ if $x > 0$, $0$ if $x < 0$ | at $0$ valuegrad, like PyTorch, uses $0$ |
# | $\operatorname{softplus}(x) = \ln(1 + e^x)$ | $\sigma(x)$ | a smooth relu |
# | $\lvert x \rvert$ | $+1$ if $x > 0$, $-1$ if $x < 0$ | |
#
# **Why the power rule holds.** Multiply out $(x + h)^n$: the first term is $x^n$, the second is $n\,x^{n-1}h$
# (there are $n$ ways to pick one $h$ from the $n$ factors), and every other term has $h^2$ or a higher power in it.
# So $\frac{(x + h)^n - x^n}{h} = n\,x^{n-1} + (\text{terms with } h)$, which tends to $n\,x^{n-1}$ as $h \to 0$.
# For $n = 2$: $\frac{(x+h)^2 - x^2}{h} = \frac{2xh + h^2}{h} = 2x + h \to 2x$. Multiplying out works only for a whole
# number $n$. For any real $n$ (and $x > 0$), write $x^n = e^{n \ln x}$ and use the chain rule from the table below:
# $\frac{d}{dx} e^{n \ln x} = e^{n \ln x} \cdot \frac{n}{x} = x^n \cdot \frac{n}{x} = n\,x^{n-1}$. So
# $\frac{d}{dx}\sqrt{x} = \frac{d}{dx} x^{1/2} = \frac{1}{2}x^{-1/2}$, for instance; the cell below checks $n = 0.5$
# and $n = -1.5$ too,
# and that $e^{0.5 \ln x}$ has the slope of $\sqrt x$.
#
# **The rules for combining them**
#
# | rule | formula |
# |---|---|
# | sum | $(f + g)' = f' + g'$ |
# | constant factor | $(c\,f)' = c\,f'$ |
# | product | $(f\,g)' = f'\,g + f\,g'$ |
# | quotient | $(f / g)' = (f'\,g - f\,g') / g^2$ |
# | **chain** | $\big(f(g(x))\big)' = f'(g(x)) \cdot g'(x)$: the outer slope, at the inner value, times the inner slope |
#
# **Partial derivatives.** For a function of several inputs, $\partial f/\partial x$ is the derivative in $x$ with
# every other input held fixed, treated as a constant. For $f(x, y) = x^2 y$: $\partial f/\partial x = 2xy$ and
# $\partial f/\partial y = x^2$.
#
# Every line of these tables is checked below: valuegrad computes each derivative by backpropagation, at a few
# points, and it must agree with the formula in the table.

# %%
def sigmoid(x):
    return 1 / (1 + math.exp(-x))


BASIC = {  # name: (f on a Value, f' by the table, points to test)
    "constant 5": (lambda x: x * 0 + 5, lambda x: 0.0, [-1.0, 2.0]),
    "x^3": (lambda x: x**3, lambda x: 3 * x**2, [-1.5, 0.5, 2.0]),
    "x^0.5": (lambda x: x**0.5, lambda x: 0.5 * x**-0.5, [0.25, 4.0]),
    "x^-2": (lambda x: x**-2, lambda x: -2 * x**-3, [-2.0, 0.5]),
    "x^-1.5": (lambda x: x**-1.5, lambda x: -1.5 * x**-2.5, [0.5, 3.0]),
    "e^(0.5 ln x)": (lambda x: (0.5 * x.log()).exp(), lambda x: 0.5 * x**-0.5, [0.25, 4.0]),   # x^0.5 another way
    "e^x": (lambda x: x.exp(), math.exp, [-1.0, 0.0, 1.5]),
    "ln x": (lambda x: x.log(), lambda x: 1 / x, [0.3, 2.0]),
    "sin x": (lambda x: x.sin(), math.cos, [-2.0, 0.7]),
    "cos x": (lambda x: x.cos(), lambda x: -math.sin(x), [-2.0, 0.7]),
    "tanh x": (lambda x: x.tanh(), lambda x: 1 - math.tanh(x) ** 2, [-1.2, 0.0, 0.8]),
    "sigmoid x": (lambda x: x.sigmoid(), lambda x: sigmoid(x) * (1 - sigmoid(x)), [-3.0, 0.0, 2.0]),
    "relu x": (lambda x: x.relu(), lambda x: 1.0 if x > 0 else 0.0, [-1.0, 0.0, 2.0]),
    "softplus x": (lambda x: x.softplus(), sigmoid, [-2.0, 0.0, 3.0]),
    "|x|": (lambda x: abs(x), lambda x: 1.0 if x > 0 else -1.0, [-1.5, 2.5]),
}
f, df = (lambda x: x**2, lambda x: 2 * x)                # two functions to combine, with their derivatives
g, dg = (lambda x: x.sin(), math.cos)
RULES = {
    "sum": (lambda x: f(x) + g(x), lambda x: df(x) + dg(x)),
    "constant factor": (lambda x: 3 * g(x), lambda x: 3 * dg(x)),
    "product": (lambda x: f(x) * g(x), lambda x: df(x) * math.sin(x) + x**2 * dg(x)),
    "quotient": (lambda x: g(x) / f(x), lambda x: (dg(x) * x**2 - math.sin(x) * df(x)) / x**4),
    "chain": (lambda x: g(f(x)), lambda x: dg(x**2) * df(x)),   # sin(x²): cos(x²) · 2x
}


def valuegrad_slope(fn, x):
    leaf = Value(x)
    (slope,) = grad(fn(leaf), leaf)
    return slope.data


checked = 0
for name, (fn, table, points) in BASIC.items():
    for x in points:
        assert math.isclose(valuegrad_slope(fn, x), table(x), rel_tol=1e-12, abs_tol=1e-15), (name, x)
        checked += 1
for name, (fn, table) in RULES.items():
    for x in (-1.3, 0.6, 2.1):
        assert math.isclose(valuegrad_slope(fn, x), table(x), rel_tol=1e-12, abs_tol=1e-15), (name, x)
        checked += 1
x, y = Value(1.5), Value(-2.0)
dx, dy = grad(x**2 * y, [x, y])
assert (dx.data, dy.data) == (2 * 1.5 * -2.0, 1.5**2)       # ∂(x²y)/∂x = 2xy, ∂(x²y)/∂y = x²
print(f"{checked} derivatives from the tables agree with valuegrad, and so do both partials of x²y")

# %% [markdown]
# Three of the functions, with their derivatives. Read each derivative as the slope of the curve above it: where
# $\tanh$ is steepest (at 0) its derivative peaks at 1; where the curve flattens, the derivative goes to 0.

# %%
xs = [-3 + 6 * i / 300 for i in range(301)]
fig, axes = plt.subplots(1, 3, figsize=(10, 2.9))
for ax, name in zip(axes, ["x^3", "tanh x", "relu x"]):
    fn, table, _ = BASIC[name]
    ax.plot(xs, [fn(Value(x)).data for x in xs], label=f"f(x) = {name}".replace("^3", "³"))
    ax.plot(xs, [valuegrad_slope(fn, x) for x in xs], "--", label="f'(x), by valuegrad")
    ax.set(title=f"f(x) = {name}".replace("^3", "³"), xlabel="x", ylabel="value", ylim=(-3, 6) if name == "x^3" else (-1.2, 3))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9, loc="upper left")
fig.suptitle("Three functions and their slopes")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## 4. What the words mean
#
# The three texts this project started from (its *seeds*) define deep learning in three ways. Each has something
# right and something to correct.
#
# **Machine learning** is building a program whose behaviour is *fitted to data* instead of written out as rules.
# Seed 001 calls deep learning "the study of enabling computers … to learn from experience without being explicitly
# programmed". That sentence describes machine learning as a whole, of which deep learning is one part. Notebook 05
# shows the difference on digits: rules written by hand against a classifier learned from examples.
#
# **A neural network** computes with many simple units. Each unit takes a weighted sum of its inputs, adds a bias
# and applies an *activation function*: $\text{act}(\mathbf w \cdot \mathbf x + b)$. Units are arranged in layers,
# and each layer's outputs are the next layer's inputs. The layers between the input and the output are the
# *hidden* layers.
#
# **Deep** refers to *depth*: how many layers of learned transformations are composed one after another. Seed 002
# says a deep model "involves more than 1 hidden layer". That is a fair rule of thumb, not a definition anyone
# agreed on: a network with one hidden layer is usually called *shallow*, and today's deep networks have tens to
# hundreds of layers. Seed 000 says deep learning is any algorithm "implementing a model through stacks of hidden
# layers, for purposes related to making predictions". The stacks are right; but deep models do more than predict
# outputs from inputs: they also *generate* new data. The Boltzmann machine of notebook 06 dreams up new images.
#
# **Supervised, unsupervised, self-supervised.** Seed 000 says deep learning "is almost always a Supervised Learning
# Technique, as it requires labelled training data". That is wrong.
#
# - *Supervised* learning fits inputs to targets that someone provided: images with their digit (notebook 05),
#   points with their class (notebook 04).
# - *Unsupervised* learning has no targets at all and models the data itself: the RBM of notebook 06 learns
#   bars and stripes from the images alone.
# - *Self-supervised* learning makes its targets out of the data: cut a sentence before its last word and predict
#   the word. No person labels anything, so it can use all the text there is. Large language models are trained
#   this way, and much of deep learning today is self-supervised or unsupervised.
#
# The cell below checks the two concrete claims: how deep a network is, counted in hidden layers, and how a
# self-supervised task makes its own targets from unlabelled text.

# %%
shallow, deep = MLP(2, [16, 1], seed=0), MLP(2, [16, 16, 16, 1], seed=0)
for model in (shallow, deep):
    hidden = len(model.layers) - 1                   # every layer but the output layer
    print(f"{model}: {hidden} hidden layer{'s' if hidden > 1 else ''} -> {'deep' if hidden > 1 else 'shallow'}")
assert len(shallow.layers) - 1 == 1 and len(deep.layers) - 1 == 3

text = "the cat sat on the mat"                      # no labels anywhere
words = text.split()
pairs = [(words[:k], words[k]) for k in range(1, len(words))]   # (context, the next word): targets made from the text
for context, target in pairs[:3]:
    print(f"input {' '.join(context)!r:22} -> target {target!r}")
assert len(pairs) == len(words) - 1 and all(target in words for _, target in pairs)

# %% [markdown]
# **One notation for the whole series.** Seed 002 names the input size $m$ in one place and $h$ in another; we keep
# one set of symbols throughout:
#
# | symbol | meaning |
# |---|---|
# | $\mathbf x \in \mathbb R^m$ | an input with $m$ numbers |
# | $\mathbf h \in \mathbb R^k$ | a hidden layer's outputs: $k$ numbers |
# | $\mathbf y \in \mathbb R^n$ | the network's outputs: $n$ numbers |
# | $W_1 \in \mathbb R^{k \times m}$, $\mathbf b_1 \in \mathbb R^k$ | the first layer's weights and biases (one row per hidden unit) |
# | $L$ (or $\mathcal L$) | the loss: one number that says how wrong the model is |
# | $\theta$ | all the parameters (weights and biases) together |
# | $\eta$ | the learning rate |
# | $\partial L / \partial w$ | how fast $L$ changes when $w$ is nudged: the *gradient* of $L$ with respect to $w$ |
#
# The seeds' other mistakes are corrected where their topic comes up: the sum and the mean of squared errors in 04,
# what the universal approximation theorem says in 03, what an RBM is (and that RBF means something else) in 06.

# %% [markdown]
# ## Summary
#
# - The notebooks go from a derivative (01) to the engine (02), an engine you write yourself (02b), networks (03), training (04), a real classifier (05),
#   energy-based models (06), second derivatives (07), the same models in PyTorch (08) and a tiny GPT trained on
#   scalars (10); engineering is in 09. Sections marked "(optional)" can wait.
# - Each exercise is answered in a cell that ends with `check(id, answer)`; `hint(id)` and `solution(id)` help when
#   you are stuck.
# - The derivative cheat-sheet: the power rule $n\,x^{n-1}$ and the slopes of $e^x$, $\ln x$, $\sin$, $\cos$,
#   $\tanh$, $\sigma$, relu and softplus; the sum, product, quotient and chain rules. valuegrad agrees with every line.
# - Deep learning is machine learning with models made of many composed layers. "Deep" is about that depth, with no
#   official threshold. Much of it is self-supervised or unsupervised, not "almost always supervised".
#
# ## Exercises
#
# **00.1 The product rule.** Compute $\frac{d}{dx}\big[x^2 \sin x\big]$ at $x = 1$ by hand (with `math.sin` and
# `math.cos` for the numbers).

# %%
answer_00_1 = ...      # a number
check("00.1", answer_00_1)

# %% [markdown]
# **00.2 The chain rule.** Write `d_gauss(x)`, the derivative of $e^{-x^2}$, as a formula in plain Python (`math.exp`).

# %%
def d_gauss(x):
    return ...


check("00.2", d_gauss)

# %% [markdown]
# **00.3 Partial derivatives.** For $g(x, y) = x^3 y + y^2$, give $\big(\partial g/\partial x,\ \partial g/\partial y\big)$
# at $(x, y) = (2, -1)$ as a pair of numbers.

# %%
answer_00_3 = (..., ...)
check("00.3", answer_00_3)

# %% [markdown]
# **00.4 Which kind of learning?** For each task, say `"supervised"`, `"unsupervised"` or `"self-supervised"`:
# the digit classifier of notebook 05, the RBM of notebook 06, predicting the next word of a text, and the fit of
# $\sin x$ in notebook 03.

# %%
answer_00_4 = {"digits": ..., "rbm": ..., "next_word": ..., "sine_fit": ...}
check("00.4", answer_00_4)

# %% [markdown]
# When you are stuck, `hint("00.2")` gives a nudge; once you have an answer, `solution("00.2")` shows one way to
# write it.
