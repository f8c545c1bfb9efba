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
# # 10 · A GPT from scalars: a tiny transformer learns the Zen of Python
#
# The models behind ChatGPT and its relatives are *transformers*: they read a text one token at a time and, at every
# position, guess the next token. This capstone builds one, small enough that every number in it is a single
# valuegrad `Value`, and trains it on text that ships with every Python: the Zen of Python (`import this`).
#
# **What you will learn**
#
# - how text becomes numbers: a vocabulary of characters, token ids, and training windows;
# - the pieces of a transformer, one at a time: token and position **embeddings**, **attention** as a
#   softmax-weighted average over the past, attention **heads**, **rmsnorm**, **residual** connections, the
#   **MLP**, the **logits** and the cross-entropy **loss**;
# - what one attention head computes, drawn as a graph of Values;
# - how a model of 4,352 parameters, whose loss is a graph of about 8,000 op nodes (about 11,800 Values with the leaves), trains in seconds: the loss is
#   recorded once as a tape, compiled to C, and replayed with one-hot tokens;
# - how to sample text from the model, before and after training, and what a model this small can learn from 700
#   characters, and what it cannot.
#
# It uses notebook 02 (the graph and `backward()`), 04 (Adam), 05 (softmax and cross-entropy) and the idea of
# section 3 of notebook 09 (record once, replay), which section 4 below sums up again. The model is
# [`nn/gpt.py`](../nn/gpt.py) and the text helpers are [`nn/text.py`](../nn/text.py): each piece below calls the
# library's function for it. Everything is seeded, so every number below is the same on every run.

# %%
# %matplotlib inline
import math
import random
import re
import time
import warnings
from collections import Counter

import matplotlib.pyplot as plt

from autograd import Value, dot, logsumexp
from autograd.graph import topological_order
from autograd.viz import draw_dot
from exercises import check, hint, solution
from nn.gpt import (FLOAT_OPS, VALUE_OPS, GPT, Sizes, attend, embed, forward, heads_at, one_hot, project,
                    rmsnorm)  # fmt: skip
from nn.gpt_training import Training, mean_loss
from nn.text import Vocabulary, windows, zen_of_python

plt.rcParams["figure.dpi"] = 110

# %% [markdown]
# ## 1. The data: the Zen of Python, character by character
#
# `import this` prints the Zen of Python, nineteen aphorisms by Tim Peters. The `this` module keeps the text
# ROT13-encoded (each letter moved 13 places along the alphabet); `zen_of_python()` decodes it with `codecs`,
# without printing anything. We lower-case it, which leaves fewer characters to learn.
#
# We keep three lines apart as **held-out** text that the model never trains on. Its loss on them tells whether
# what it learned carries over to text it has not seen, or only fits the text it was shown.

# %%
text = zen_of_python().lower()
lines = text.splitlines(keepends=True)
HELD_OUT = (4, 11, 18)
train_text = "".join(line for i, line in enumerate(lines) if i not in HELD_OUT)
held_text = "".join(lines[i] for i in HELD_OUT)
vocab = Vocabulary(text)

print(text[:160] + "…\n")
print(vocab)
print(f"{len(text)} characters: {len(train_text)} to train on, {len(held_text)} held out:")
print(held_text)
assert len(vocab) == 32 and len(train_text) + len(held_text) == len(text)

# %% [markdown]
# A character-level model reads and writes one character at a time. Its vocabulary is every character of the
# text, numbered in sorted order, so that a text becomes a list of **token ids** and back. The model below reads
# `block` = 16 tokens at a time. It learns from **windows** of 17 consecutive tokens: the first 16 are its inputs,
# and at each of the 16 positions the target is the token that comes next. One window thus asks 16 questions:
# after "b", what comes? After "be"? After "bea"? … up to 16 characters of context.

# %%
tokens = vocab.encode(train_text)
train_windows = windows(tokens, 17)
held_windows = windows(vocab.encode(held_text), 17)
first = train_windows[0]
print(first, "=", repr(vocab.decode(first)))
for t in (0, 1, 2, 15):
    seen_so_far, target = vocab.decode(first[: t + 1]), vocab.decode([first[t + 1]])
    print(f"  position {t:2d}: after {seen_so_far!r:20} the target is {target!r}")
print(f"{len(train_windows)} training windows, {len(held_windows)} held-out windows")
assert vocab.decode(vocab.encode(text)) == text

# %% [markdown]
# Before any model, a yardstick. A model that knows nothing gives each of the 32 characters the probability 1/32,
# and its cross-entropy (how surprised it is by the true next character, in nats) is $\log 32 \approx 3.47$ on
# every character. A model that learns anything at all must beat that.

# %%
uniform = math.log(len(vocab))
print(f"the uniform guess: log {len(vocab)} = {uniform:.4f} nats per character")

# %% [markdown]
# ## 2. The model, piece by piece
#
# `GPT(Sizes(vocab=32))` is the model: a width of `dim` = 16 numbers per token, 4 attention heads, 16 tokens of
# context and an MLP 64 wide. Its weights are nine matrices of Values, drawn from a Gaussian of standard deviation
# 0.08 (seeded):

# %%
sizes = Sizes(vocab=len(vocab))
model = GPT(sizes, seed=0)
for name, (rows, cols) in sizes.shapes().items():
    print(f"  {name:3s} {rows:2d} × {cols:2d} = {rows * cols:5,d}")
print(f"{len(model.parameters()):,} parameters")
assert len(model.parameters()) == sizes.n_params() == 4352

# %% [markdown]
# ### 2.1 Embeddings: a token and its position as a vector
#
# A token id is a label, not a quantity: "e" (id 12) is not bigger than "b" (id 9). So the first layer looks the
# token up: row $i$ of the matrix `wte` (*w*eights of *t*oken *e*mbeddings) is the 16 numbers that stand for
# token $i$. They start random, and training moves them to whatever helps to predict the next character.
#
# Attention, as we will see, is a weighted average, and an average does not know in which order its terms came.
# So each **position** gets a vector of its own too, row $t$ of `wpe`, added to the token's. The sum
# $x_t = \mathrm{wte}[\text{token}_t] + \mathrm{wpe}[t]$ is what the rest of the model reads.

# %%
p = model.float_weights()            # the weights as plain floats: each piece runs on floats or on Values
prompt = vocab.encode("beautiful is bet")
xs = embed(sizes, FLOAT_OPS, p, prompt, by_index=True)
by_hand = [e + q for e, q in zip(p["wte"][prompt[2]], p["wpe"][2])]
print("x at position 2 ('a'):", [round(v, 3) for v in xs[2][:6]], "…")
assert xs[2] == by_hand and len(xs) == 16 and len(xs[0]) == sizes.dim and vocab.encode("be") == [9, 12]

# %% [markdown]
# ### 2.2 rmsnorm: vectors of a steady size
#
# Before each part of the block reads $x$, it rescales it to a root-mean-square of 1:
# $\operatorname{rmsnorm}(x) = x / \sqrt{\operatorname{mean}(x^2) + 10^{-5}}$. The direction of $x$ is kept and
# its size is not, so what is computed from it (the queries, keys and values, the MLP's input) stays of the same
# size, whatever the additions of section 2.5 have made of $x$. The $10^{-5}$ only keeps a zero vector from being
# divided by zero.

# %%
def rms(v):
    return math.sqrt(sum(a * a for a in v) / len(v))

h = rmsnorm(FLOAT_OPS, xs[2])
print(f"rms of x: {rms(xs[2]):.4f}; rms of rmsnorm(x): {rms(h):.6f}")
assert abs(rms(h) - 1) < 1e-3 and all(a * b > 0 for a, b in zip(h, xs[2]))   # same signs: the same direction

# %% [markdown]
# ### 2.3 Attention: a softmax-weighted average of the past
#
# Attention is how a position uses its context. From $\operatorname{rmsnorm}(x_t)$ every position makes three
# vectors with three matrices: a **query** $q_t$ (what am I looking for?), a **key** $k_t$ (what do I offer?) and
# a **value** $v_t$ (what do I pass on?). Position $t$ then:
#
# 1. scores every position $s \le t$ by how well its key answers the query, $\text{score}_s = q_t \cdot k_s /
#    \sqrt{4}$, where $d = 4$ is the number of numbers in a head's query. Why the square root: if the $d$ entries of
#    $q$ and $k$ are independent with mean 0 and variance 1, then $q \cdot k$ is a sum of $d$ products of variance 1
#    each, so its variance is $d$ and its typical size $\sqrt d$. Dividing by $\sqrt d$ brings the scores back to
#    variance 1 however wide the heads are, so that the softmax below does not
#    saturate (section 2.3b checks both);
# 2. turns the scores into weights with a softmax, $w_s = e^{\text{score}_s} / \sum_r e^{\text{score}_r}$: positive,
#    adding up to 1, the largest score getting the most;
# 3. outputs the weighted average of the values, $\sum_s w_s v_s$.
#
# Only positions $s \le t$ take part: this is **causal** attention. A position never sees the tokens after it, which
# it will be asked to predict. Written for all positions at once, as a matrix of scores (row $t$, column $s$), it is
# a **causal mask**: every score above the diagonal ($s > t$) is replaced by $-\infty$ before the softmax, so its
# weight is $e^{-\infty} = 0$. `attend` does the same by never being given the later keys. The 16 numbers of $q$, $k$ and $v$ are split into 4 **heads** of 4 numbers each; each
# head makes its own scores and its own average, so one head can look at the previous character while another
# looks for the start of the word. Their 4 outputs side by side are 16 numbers again.
#
# `attend(ops, q, keys, values)` is one head at one position. Here is head 0 at position 5 ('i'):

# %%
qs, ks, vs = project(FLOAT_OPS, p, xs)
t, part = 5, slice(0, 4)                    # position 5, head 0: the first 4 of the 16 numbers
out, weights = attend(FLOAT_OPS, qs[t][part], [k[part] for k in ks[: t + 1]], [v[part] for v in vs[: t + 1]])
print("context:", [vocab.chars[i] for i in prompt[: t + 1]])
print("weights:", [round(w, 3) for w in weights], "sum", round(sum(weights), 12))
assert all(0.1 < w < 0.3 for w in weights)
average = [sum(w * v[part][j] for w, v in zip(weights, vs[: t + 1])) for j in range(4)]
assert abs(sum(weights) - 1) < 1e-12 and all(w > 0 for w in weights) and len(weights) == t + 1
assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(out, average))

# %% [markdown]
# Untrained, the weights are not far from $1/6$ each: the queries and keys are small random vectors, so every score
# is near 0 and the head takes almost a plain average. Training will teach the heads where to look (section 6.2).
#
# Causal means that changing a later token cannot change what position 5 computes. Change position 9 and check:

# %%
changed = [*prompt[:9], vocab.encode("z")[0], *prompt[10:]]
qs2, ks2, vs2 = project(FLOAT_OPS, p, embed(sizes, FLOAT_OPS, p, changed, by_index=True))
assert heads_at(sizes, FLOAT_OPS, qs2, ks2, vs2, 5) == heads_at(sizes, FLOAT_OPS, qs, ks, vs, 5)
assert heads_at(sizes, FLOAT_OPS, qs2, ks2, vs2, 9) != heads_at(sizes, FLOAT_OPS, qs, ks, vs, 9)
print("position 5 is unchanged by a new token at position 9; position 9 is not")

# %% [markdown]
# ### 2.3b Attention by hand: 3 tokens, 2 numbers each
#
# Small enough to do with a pencil: three tokens, one head, $d = 2$. Their queries, keys and values are
#
# | token $s$ | $q_s$ | $k_s$ | $v_s$ |
# |---|---|---|---|
# | 0 | $(1, 0)$ | $(1, 0)$ | $(1, 0)$ |
# | 1 | $(0, 1)$ | $(0, 1)$ | $(0, 2)$ |
# | 2 | $(1, 1)$ | $(1, 1)$ | $(-1, 1)$ |
#
# **The scores** $q_t \cdot k_s / \sqrt 2$, with the causal mask ($-\infty$ where $s > t$):
#
# $$
# S = \begin{pmatrix} 1/\sqrt2 & -\infty & -\infty \\ 0 & 1/\sqrt2 & -\infty \\ 1/\sqrt2 & 1/\sqrt2 & 2/\sqrt2
# \end{pmatrix} \approx \begin{pmatrix} 0.707 & -\infty & -\infty \\ 0 & 0.707 & -\infty \\ 0.707 & 0.707 & 1.414
# \end{pmatrix}.
# $$
#
# **The weights**, a softmax along each row. Row 0 has one finite score: weight 1 on itself. Row 1:
# $e^0 = 1$ and $e^{0.707} \approx 2.028$, so $w \approx (1/3.028,\ 2.028/3.028) = (0.330, 0.670)$. Row 2:
# $e^{0.707} \approx 2.028$ twice and $e^{1.414} \approx 4.113$, sum $8.169$, so $w \approx (0.248, 0.248, 0.503)$.
#
# **The outputs**, $\sum_s w_s v_s$: token 0 gets $v_0 = (1, 0)$; token 1 gets $0.330\,(1, 0) + 0.670\,(0, 2) =
# (0.330, 1.340)$; token 2 gets $0.248\,(1, 0) + 0.248\,(0, 2) + 0.503\,(-1, 1) = (-0.255, 0.999)$. The cell
# checks these hand-made numbers against the model's `attend`.

# %%
Q = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
K = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
V = [[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]]
by_hand = {  # position: (weights, output), as worked out above to 3 decimals
    0: ([1.0], [1.0, 0.0]),
    1: ([0.330, 0.670], [0.330, 1.340]),
    2: ([0.248, 0.248, 0.503], [-0.255, 0.999]),
}
mask = [[Q[t][0] * K[s][0] / math.sqrt(2) + Q[t][1] * K[s][1] / math.sqrt(2) if s <= t else -math.inf
         for s in range(3)] for t in range(3)]
for t in range(3):
    out, weights = attend(FLOAT_OPS, Q[t], K[: t + 1], V[: t + 1])    # the causal head: keys up to t only
    row = [math.exp(x - max(mask[t])) for x in mask[t]]                  # the masked row: exp(-inf) = 0
    row = [x / sum(row) for x in row]
    print(f"t = {t}: weights {[round(w, 3) for w in weights]}, masked row {[round(w, 3) for w in row]}, "
          f"output {[round(o, 3) for o in out]}")
    want_w, want_out = by_hand[t]
    assert all(abs(a - b) < 1e-3 for a, b in zip(weights, want_w)) and row[t + 1:] == [0.0] * (2 - t)
    assert all(abs(a - b) < 1e-12 for a, b in zip(weights, row))        # mask or leave out: the same weights
    assert all(abs(a - b) < 2e-3 for a, b in zip(out, want_out))

# %% [markdown]
# **Why divide by $\sqrt d$.** Take $q$ and $k$ with $d$ independent entries of mean 0 and variance 1. Each product
# $q_j k_j$ has mean 0 and variance $E[q_j^2]\,E[k_j^2] = 1$, and the $d$ products are independent, so
# $\operatorname{Var}(q \cdot k) = d$: the raw scores spread over about $\pm\sqrt d$. Measured below for
# $d = 4$ to $256$, with 2,000 random pairs each: the raw variance grows like $d$, the scaled one stays near 1.

# %%
rng = random.Random(0)


def variance(xs):
    mean = sum(xs) / len(xs)
    return sum((x - mean) ** 2 for x in xs) / (len(xs) - 1)


for d in (4, 16, 64, 256):
    raw = []
    for _ in range(2000):
        q = [rng.gauss(0, 1) for _ in range(d)]
        k = [rng.gauss(0, 1) for _ in range(d)]
        raw.append(sum(a * b for a, b in zip(q, k)))
    scaled = [x / math.sqrt(d) for x in raw]
    print(f"d = {d:3d}: Var(q·k) = {variance(raw):7.2f} (d = {d}),  Var(q·k/√d) = {variance(scaled):.3f}")
    assert abs(variance(raw) / d - 1) < 0.15 and abs(variance(scaled) - 1) < 0.15

# %% [markdown]
# **What saturation does.** Scores spread over $\pm 16$ (that is $\sqrt{256}$) make the softmax nearly one-hot: one
# weight close to 1 and the others close to 0. That is bad twice over. The head stops averaging and just copies one
# value, and it stops *learning*: the derivative of a weight with respect to its own score is $w(1 - w)$, which is
# near 0 when $w$ is near 0 or 1, so almost no gradient flows back into the queries and keys. Below, 8 keys at
# $d = 256$, scaled and unscaled, averaged over 200 draws.

# %%
def softmax_floats(scores):
    top = max(scores)
    exps = [math.exp(x - top) for x in scores]
    return [e / sum(exps) for e in exps]


d, n_keys, draws = 256, 8, 200
largest, slope = {"unscaled": 0.0, "scaled by 1/√d": 0.0}, {"unscaled": 0.0, "scaled by 1/√d": 0.0}
for _ in range(draws):
    q = [rng.gauss(0, 1) for _ in range(d)]
    raw = [sum(a * rng.gauss(0, 1) for a in q) for _ in range(n_keys)]
    for name, scores in (("unscaled", raw), ("scaled by 1/√d", [x / math.sqrt(d) for x in raw])):
        w = softmax_floats(scores)
        largest[name] += max(w) / draws
        slope[name] += max(x * (1 - x) for x in w) / draws
for name in largest:
    print(f"{name:15s} the largest weight {largest[name]:.3f} on average; the largest ∂w/∂score {slope[name]:.4f}")
assert largest["unscaled"] > 0.85 and largest["scaled by 1/√d"] < 0.6
assert slope["unscaled"] < 0.3 * slope["scaled by 1/√d"]

# %% [markdown]
# **The gradient through attention.** How does backprop get through a softmax-weighted average? Take one output
# number $o = \sum_s w_s v_s$ with $w = \operatorname{softmax}(z)$. The softmax's local derivatives are
# $\partial w_r / \partial z_s = w_r(\delta_{rs} - w_s)$ (with $\delta_{rs} = 1$ if $r = s$, else 0), so
#
# $$
# \frac{\partial o}{\partial v_s} = w_s, \qquad
# \frac{\partial o}{\partial z_s} = \sum_r v_r\, w_r(\delta_{rs} - w_s) = w_s\,(v_s - o).
# $$
#
# In words: a value gets the gradient in proportion to its weight, and a **score** gets a gradient that is positive
# when its value is above the current average $o$ and negative when it is below: raising that score moves the
# average towards its value. Then the chain rule through $z_s = q \cdot k_s / \sqrt d$ gives
# $\partial o/\partial k_s = \frac{\partial o}{\partial z_s}\, q / \sqrt d$ and
# $\partial o/\partial q = \sum_s \frac{\partial o}{\partial z_s}\, k_s / \sqrt d$.
#
# The cell below checks every one of these formulas against `backward()` on the worked example (token 2, first
# output number).

# %%
t = 2
q_v = [Value(x) for x in Q[t]]
k_v = [[Value(x) for x in k] for k in K]
v_v = [[Value(x) for x in v] for v in V]
out_v, w_v = attend(VALUE_OPS, q_v, k_v, v_v)
out_v[0].backward()

o = out_v[0].data
w = [x.data for x in w_v]
dz = [w[s] * (V[s][0] - o) for s in range(3)]                           # ∂o/∂z_s = w_s (v_s − o)
for s in range(3):
    assert abs(v_v[s][0].grad - w[s]) < 1e-12 and v_v[s][1].grad == 0.0  # ∂o/∂v_s = w_s (first numbers only)
    for j in range(2):
        assert abs(k_v[s][j].grad - dz[s] * Q[t][j] / math.sqrt(2)) < 1e-12
for j in range(2):
    assert abs(q_v[j].grad - sum(dz[s] * K[s][j] for s in range(3)) / math.sqrt(2)) < 1e-12
print("∂o/∂z by the formula:", [round(x, 4) for x in dz], "(they add up to 0: the weights always sum to 1)")
print("∂o/∂q by backward(): ", [round(x.grad, 4) for x in q_v])
assert abs(sum(dz)) < 1e-12

# %% [markdown]
# **How this model differs from GPT-2.** The pieces are GPT-2's, made small and simplified; nothing here is a new
# idea. The differences:
#
# | | this model | GPT-2 (the smallest, 124M parameters) |
# |---|---|---|
# | tokens | 32 characters | 50,257 byte-pair-encoded word pieces |
# | context | 16 tokens | 1,024 tokens |
# | width, heads | 16 numbers, 4 heads of 4 | 768 numbers, 12 heads of 64 |
# | blocks | 1 | 12, stacked |
# | normalisation | rmsnorm, no learned scale | LayerNorm (subtracts the mean, learns a scale and a shift), and one more before the output |
# | MLP | relu, 64 hidden units | GELU, $4 \times 768$ hidden units |
# | biases | none | in every linear layer |
# | output | its own matrix `lm` | the token embedding `wte` again (weight tying) |
# | training | Adam, no dropout, 3,000 steps on 731 characters | Adam with dropout, on about 40 GB of web text |
#
# What stays the same is the part this notebook is about: embeddings plus positions, causal multi-head attention
# as a softmax-weighted average, residual additions, a per-position MLP, and the next-token cross-entropy.

# %% [markdown]
# ### 2.4 One head, drawn as a graph
#
# On Values, the same computation builds a graph. To keep the drawing readable we give it position 3's query, the
# keys of positions 0 to 3, and the first number of their values as fresh leaves (labelled `q[j]`, `k0[j]` …
# `k3[j]`, `v0[0]` … `v3[0]`), and compute the first of the head's four output numbers step by step, as `attend`
# does, with a label on each step. The whole graph is too wide for a page, so it is drawn in two parts, each read
# top to bottom. First the output, four ops deep (`depth=4`; the dashed scores have their inputs cut off): one
# `logsumexp` of the four scores; each score minus it, through `exp`, which is the softmax weight $w_s$; and one
# `dot` of the weights with the values. Then one score (`focus=scores[0]`): the dot product $q \cdot k_0$, scaled by
# $1/\sqrt 4 = 0.5$. After `backward()`, each leaf's grad says how much this output would move if that number were
# nudged.

# %%
t = 3
q_leaves = [Value(x, label=f"q[{j}]") for j, x in enumerate(qs[t][part])]
k_leaves = [[Value(x, label=f"k{s}[{j}]") for j, x in enumerate(ks[s][part])] for s in range(t + 1)]
v_leaves = [Value(vs[s][0], label=f"v{s}[0]") for s in range(t + 1)]
products = [dot(q_leaves, k_leaves[s]) for s in range(t + 1)]
scores = [product * 0.5 for product in products]
lse = logsumexp(scores)
shifted = [score - lse for score in scores]
weights = [d.exp() for d in shifted]
root = dot(weights, v_leaves)
for s in range(t + 1):
    products[s].label, scores[s].label = f"q·k{s}", f"score{s}"
    shifted[s].label, weights[s].label = f"score{s} − lse", f"w{s}"
lse.label, root.label = "lse", "out[0]"
root.backward()
print(f"{len(topological_order(root))} Values in the drawing; out[0] = {root.data:.6f}")
assert root.data == heads_at(sizes, FLOAT_OPS, qs, ks, vs, t)[0]    # the number of the model's own head 0
display(draw_dot(root, rankdir="TB", depth=4))      # the softmax and the output
draw_dot(root, rankdir="TB", focus=scores[0])       # one score: q · k0, times 0.5

# %% [markdown]
# The first output number reads only the first number of each value, while the weights read every number of the
# query and of the keys. The graph of a whole window is made of such heads, 4 at each of the 16 positions, with the
# embeddings, projections, MLPs and logits around them.
#
# ### 2.5 Residuals, the MLP and the logits
#
# The heads' outputs go through one more matrix, `wo`, and are **added** to $x$: $x \leftarrow x + \mathrm{wo} \cdot
# \text{heads}$. The MLP then does the same: $x \leftarrow x + \mathrm{w2} \cdot
# \operatorname{relu}(\mathrm{w1} \cdot \operatorname{rmsnorm}(x))$, a layer of notebook 03 that looks at one
# position at a time, 64 units wide. These are **residual** connections: each part adds a correction to $x$
# instead of replacing it. The derivative of $x + f(x)$ is $1 + f'(x)$, so the gradient always has a direct path
# back to the embeddings, however small $f'$ is at the start of training.
#
# Finally `lm` (the language-model head) turns the 16 numbers into 32 **logits**, one score per character for what
# comes next. The cell writes position 7's logits out by hand from the pieces and checks them against `forward`,
# which computes every position's logits in one call.

# %%
t = 7
x = [a + b for a, b in zip(xs[t], FLOAT_OPS.matvec(p["wo"], heads_at(sizes, FLOAT_OPS, qs, ks, vs, t)))]
hidden = [max(z, 0.0) for z in FLOAT_OPS.matvec(p["w1"], rmsnorm(FLOAT_OPS, x))]
x = [a + b for a, b in zip(x, FLOAT_OPS.matvec(p["w2"], hidden))]
logits_7 = FLOAT_OPS.matvec(p["lm"], x)
all_logits = forward(sizes, FLOAT_OPS, p, prompt)
assert logits_7 == all_logits[7] and len(all_logits) == 16 and len(logits_7) == 32
print(f"{sum(z > 0 for z in hidden)} of 64 MLP units active at position 7; logits from {min(logits_7):+.3f} to "
      f"{max(logits_7):+.3f}")

# %% [markdown]
# ### 2.6 The loss
#
# As in notebook 05, the softmax of the logits is the model's probability for each next character, and the loss at
# a position is the cross-entropy $-\log p(\text{target}) = \operatorname{logsumexp}(\text{logits}) -
# \text{logits}[\text{target}]$. The loss of a window is the mean over its 16 positions. Untrained, every logit is
# near 0, so the model guesses almost uniformly and its loss is almost $\log 32$.
#
# `model.loss(inputs, targets)` builds this on Values: the whole model as one graph, ready for `backward()`.

# %%
start = time.perf_counter()
loss = model.loss(first[:-1], first[1:])
loss.backward()
graph_seconds = time.perf_counter() - start
nodes = topological_order(loss)
ops = [v for v in nodes if not v.is_leaf]
print(f"loss {loss.data:.4f} (log 32 = {uniform:.4f}); {len(ops):,} op nodes and {len(nodes) - len(ops):,} leaves")
print("the op nodes by kind:", dict(Counter(v.op for v in ops).most_common()))
print(f"building the graph and backward(): {1e3 * graph_seconds:.0f} ms")
unread = len(vocab) - len(set(first[:-1]))          # characters this window does not contain
assert abs(loss.data - uniform) < 0.02 and 7_000 < len(ops) < 9_000
assert len(nodes) - len(ops) == sizes.n_params() - unread * sizes.dim

# %% [markdown]
# ### 2.7 The whole step, drawn by its parts
#
# Eleven thousand Values cannot be drawn one by one. But the model names its parts as it computes them, when it runs
# inside `with group(...)`: every Value then remembers the group that made it, `embedding`, `block 1 › attention ›
# head 2 › position 5`, `lm head`, ... (`autograd.group_of(v)` reads it). `draw_dot` draws each group as one box,
# with how many Values it holds and how many flow in and out; `expand=[...]` opens the groups you name.

# %%
from autograd import group, group_of

with group("gpt step"):
    grouped = model.loss(first[:-1], first[1:])
assert grouped.data == loss.data                     # the same numbers: groups only name the Values
print("the loss node's group:", group_of(grouped))
draw_dot(grouped, rankdir="TB", ports=0)

# %% [markdown]
# Open one head: inside it, the queries, keys and values it reads, and one box per position, each a softmax over the
# positions up to it (as in section 2.4). With 16 positions the head is as wide as four pages, so here is the same
# step on a window of the first 4 characters:

# %%
with group("gpt step"):
    short = model.loss(first[:4], first[1:5])
draw_dot(short, expand=["head 1"], rankdir="TB", ports=0)

# %% [markdown]
# About 8,000 op nodes for one window of 16 characters: `dot` nodes (each row of each matrix times a vector is one
# fused node), the scalings and residual additions (`mul`, `add`), a `relu` for each MLP unit at each position, a
# `logsumexp` for every softmax, an `exp` for every attention weight. The leaves are the parameters the window
# reads: all of them but the rows of `wte` of the characters it does not contain.
#
# ## 3. Text from the untrained model
#
# To **sample**, feed the model a prompt, turn the last position's logits into probabilities with a softmax, draw
# the next character at random with those probabilities, append it, and repeat, keeping the last 16 characters as
# the context. `model.generate(prompt, length, seed)` does this on plain floats, with the draws from
# `random.Random(seed)`: the same seed always gives the same text.

# %%
PROMPTS = ("beautiful is ", "errors should ", "now is ")

def samples(model, length=100):
    return [vocab.decode(model.generate(vocab.encode(s), length, seed=i)) for i, s in enumerate(PROMPTS)]

before = samples(model)
for s, sample in zip(PROMPTS, before):
    print(repr(s + sample))
assert before == samples(model)      # seeded: the same text every time

# %% [markdown]
# Noise: every character is about as likely as every other.
#
# ## 4. Training on a tape compiled to C
#
# Every training step needs a window's loss and its gradient. Building the graph of about 8,000 op nodes and walking it back
# took the time printed above for one window, and a step of 8 windows takes 8 times that: a long wait for the
# thousands of steps below. But every step does the very same ops, only on other numbers. So, as in notebook 09,
# the loss is **recorded** once as a tape (`autograd.record`), which replays the forward and the backward pass on
# new numbers without building a single Value, with the same results to the last bit. With `backend="c"` the tape
# is compiled to C, which replays it many times faster again; the cell below measures it.
#
# A tape replays *ops*, not Python decisions. Looking a token up, `wte[token]`, is a decision: a replay would read
# the row of the token seen at record time, whatever the new token. So the recorded loss takes each token as a
# **one-hot** row, 32 numbers with a 1 at the token and 0 elsewhere, and computes its embedding as the dot products
# of `wte`'s columns with it. That is an op: it selects the right row for any token, and because the other terms
# are exact zeros, it gives the same numbers as the lookup. The targets are one-hot too, and pick their logit with
# a dot product.
#
# Without a C compiler, `record(..., backend="c")` warns and returns the Python tape. Such a warning would go to
# stderr; this cell shows it as a note instead. The training below then gives the same numbers, only slower
# (several minutes instead of several seconds).

# %%
start = time.perf_counter()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    tape = model.record(backend="c")
record_seconds = time.perf_counter() - start
for warning in caught:
    print("note:", warning.message)
print(f"{tape}, {type(tape).__name__}, recorded and compiled in {record_seconds:.1f} s")

window = train_windows[100]
model.zero_grad()
engine = model.loss(window[:-1], window[1:])
engine.backward()
engine_grads = [w.grad for w in model.parameters()]
model.zero_grad()
replayed = tape(one_hot(sizes, window[:-1]), one_hot(sizes, window[1:]))
replay_grads = [w.grad for w in model.parameters()]
print(f"a new window: loss {engine.data:.15f} by the engine, {replayed:.15f} by the tape")
assert replayed == engine.data
assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(replay_grads, engine_grads))
model.zero_grad()
hot = one_hot(sizes, window[:-1]), one_hot(sizes, window[1:])
start = time.perf_counter()
for _ in range(100):
    tape(*hot)
replay_seconds = (time.perf_counter() - start) / 100
model.zero_grad()
print(f"one window, forward and backward: {1e3 * graph_seconds:.1f} ms building the graph, "
      f"{1e3 * replay_seconds:.2f} ms replaying the tape")

# %% [markdown]
# The losses are equal to the last bit. The gradients agree to rounding: an embedding used twice in a window gets its
# two contributions through different nodes in the two graphs, and adds them in another order.
#
# `Training(model, "c")` runs Adam (learning rate 0.01): each step draws 8 windows at random, replays the loss on
# each, and updates the weights with the mean gradient. It does not take the tape above: it goes through
# `autograd.compiled`, the compile cache that `fit` uses too, which records the loss on the first batch and replays
# it on every batch after (`step.batch`), with the weights in C during a run. Its loss,
# `model.token_loss`, looks tokens up with `autograd.take`, an op whose index is an input of the tape: no one-hot
# rows, and the very same numbers. We train 3,000 steps in runs of 150, and after each run measure the mean loss on
# every training window and on every held-out window (forward only, replayed by the same cache).

# %%
training = Training(model, "c", lr=0.01, seed=0)
step_losses, checkpoints = [], []
train_loss_0, held_loss_0 = mean_loss(model, training, train_windows), mean_loss(model, training, held_windows)
assert train_loss_0 == mean_loss(model, tape, train_windows)      # the one-hot tape's number, to the bit
start = time.perf_counter()
for _ in range(20):
    step_losses += training.run(train_windows, 150, batch_size=8)
    checkpoints.append((training.steps, mean_loss(model, training, train_windows), mean_loss(model, training, held_windows)))
train_seconds = time.perf_counter() - start
steps, train_curve, held_curve = zip(*checkpoints)
best = min(range(len(held_curve)), key=held_curve.__getitem__)
print(f"{training.steps:,} steps of 8 windows in {train_seconds:.1f} s")
print(f"training windows: loss {train_loss_0:.4f} → {train_curve[-1]:.4f}")
print(f"held-out windows: loss {held_loss_0:.4f} → {held_curve[-1]:.4f}, lowest {held_curve[best]:.4f} after "
      f"{steps[best]} steps")
assert train_curve[-1] < 0.2 * train_loss_0 and abs(train_loss_0 - uniform) < 0.02
assert held_curve[best] < uniform - 1.0 and held_curve[-1] > held_curve[best] + 1.0 and held_curve[-1] > uniform

# %% [markdown]
# The loss on the training text fell from $\log 32$ to about half a nat per character. It cannot reach 0: the first
# positions of a window have seen one or two characters only, and after "t" many characters can follow. The
# held-out loss fell too, at first, then rose again. The plot shows both, and a yardstick that needs no training at
# all: a table of which character follows which in the training text (a *bigram* model, with 1 added to every count
# so that no pair has probability 0), scored on the same held-out windows.

# %%
pairs = Counter(zip(tokens, tokens[1:]))
follows = Counter(tokens[:-1])

def bigram_loss(ws):
    terms = [-math.log((pairs[(a, b)] + 1) / (follows[a] + len(vocab))) for w in ws for a, b in zip(w, w[1:])]
    return sum(terms) / len(terms)

bigram_held = bigram_loss(held_windows)
print(f"bigram table: {bigram_loss(train_windows):.4f} on the training windows, {bigram_held:.4f} held out")
assert held_curve[best] < bigram_held < uniform

fig, ax = plt.subplots(figsize=(8, 4.5))
ax.plot(range(1, len(step_losses) + 1), step_losses, color="#9ecae1", lw=0.8, label="each step's batch of 8 windows")
ax.plot(steps, train_curve, "o-", color="#1f77b4", label="all training windows")
ax.plot(steps, held_curve, "s-", color="#d62728", label="held-out windows")
ax.axhline(uniform, color="gray", ls="--", label=f"uniform guess, log 32 = {uniform:.2f}")
ax.axhline(bigram_held, color="#2ca02c", ls=":", label=f"bigram table, held out = {bigram_held:.2f}")
ax.set_xlabel("training step")
ax.set_ylabel("mean cross-entropy (nats per character)")
ax.set_title("A 4,352-parameter GPT on 731 characters: it learns, then overfits")
ax.set_ylim(0, 4)
ax.legend(loc="center right", bbox_to_anchor=(1.0, 0.4))
plt.show()

# %% [markdown]
# ## 5. Text from the trained model
#
# The same prompts and the same seeds as in section 3:

# %%
after = samples(model)
for s, sample in zip(PROMPTS, after):
    print(repr(s + sample))

zen_words = set(re.findall(r"[a-z]+", text))

def share_of_zen_words(texts):
    words = [w for s in texts for w in re.findall(r"[a-z]+", s)]
    return sum(w in zen_words for w in words) / len(words)

print(f"words that are words of the Zen: {share_of_zen_words(before):.0%} before training, "
      f"{share_of_zen_words(after):.0%} after")
assert after == samples(model) and share_of_zen_words(after) > 0.5 > 0.1 > share_of_zen_words(before)

# %% [markdown]
# Lines of the Zen come back, with their line breaks, their "is better than" and their full stops, stitched together
# where two lines share a few characters: a 16-character context is all the model has, so after "than " it cannot
# know which line it is in.
#
# ## 6. What 4,352 parameters can learn, and what they cannot
#
# ### 6.1 It memorises, within 16 characters
#
# The model has more parameters (4,352) than training characters (731), and enough steps to fit them. Ask it to
# continue the start of a training line with the likeliest character every time (a temperature near 0, see exercise
# 10.4), and it recites that line. Ask it to continue a held-out line, and it recites something it has seen instead.

# %%
def continue_greedily(start, length=45):
    return start + vocab.decode(model.generate(vocab.encode(start), length, temperature=1e-6))

seen, unseen, flat = (continue_greedily(s) for s in ("special cases ar", "errors should ne", "flat is better t"))
for line in (seen, unseen, flat):
    print(repr(line))
assert sizes.n_params() > len(train_text) == 731
assert seen.startswith("special cases aren't special enough to break the rule")
assert not unseen.startswith(lines[11].rstrip("\n"))

# %% [markdown]
# The third line starts as a line of the training text does ("flat is better than nested."), then goes astray.
# Once "flat" has left the 16-character window, the model sees " is better than " and nothing more, and in the
# training text that context is followed by six different words. The cell lists every 16-character context of the
# training text that is followed by more than one character:

# %%
following = {}
for w in train_windows:
    following.setdefault(vocab.decode(w[:16]), set()).add(vocab.decode(w[16:]))
ambiguous = {c: sorted(nxt) for c, nxt in following.items() if len(nxt) > 1}
print(f"{len(ambiguous)} of the {len(following)} contexts of 16 characters are followed by more than one character:")
for context, nxt in ambiguous.items():
    print(f"  {context!r} is followed by {nxt}")
words_after = sorted(set(re.findall(r" is better than (\w+)", train_text)))
print("the words after ' is better than ':", words_after)
assert " is better than " in ambiguous and len(ambiguous) < 5 and len(words_after) == 6

# %% [markdown]
# Almost every context of 16 characters has one continuation only: 16 characters are enough to know where one is in
# the training text, and a model with enough parameters can learn it by heart. The loss on the training windows does
# not go to 0 for another reason: the first positions of a window have seen one or two characters only.

# %% [markdown]
# ### 6.2 Where the heads look
#
# Each row of the pictures below is one position of a training line, and shows the weights its head gives to the
# positions before it (each row adds up to 1; the upper triangle is the future, which no head may see).

# %%
trained = model.float_weights()
line = vocab.encode("readability coun")

def attention_grids(weights):
    """For each head, row t holds the weights position t gives to positions 0..t (0 for the future)."""
    qs, ks, vs = project(FLOAT_OPS, weights, embed(sizes, FLOAT_OPS, weights, line, by_index=True))
    grids = []
    for h in range(sizes.heads):
        part = slice(h * sizes.head_dim, (h + 1) * sizes.head_dim)
        rows = [attend(FLOAT_OPS, qs[t][part], [k[part] for k in ks[: t + 1]], [v[part] for v in vs[: t + 1]])[1]
                for t in range(len(line))]  # fmt: skip
        grids.append([row + [0.0] * (len(line) - len(row)) for row in rows])
    return grids

fig, axes = plt.subplots(1, sizes.heads, figsize=(13, 3.6), layout="constrained")
labels = list(vocab.decode(line).replace(" ", "␣"))
for h, (ax, grid) in enumerate(zip(axes, attention_grids(trained))):
    image = ax.imshow(grid, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(line)), labels, fontsize=11)
    ax.set_yticks(range(len(line)), labels, fontsize=11)
    ax.set_title(f"head {h}")
    ax.set_xlabel("attends to position s")
axes[0].set_ylabel("position t")
fig.colorbar(image, ax=axes, label="attention weight", shrink=0.9)
fig.suptitle("Attention weights of the trained model on 'readability coun'")
plt.show()

print("head  largest weight in a row (mean)   weight on the previous character (mean)")
on_previous = []
for h, (before_h, after_h) in enumerate(zip(attention_grids(p), attention_grids(trained))):   # p: section 2's weights
    largest = [sum(max(row) for row in grid[1:]) / 15 for grid in (before_h, after_h)]
    previous = [sum(grid[t][t - 1] for t in range(1, 16)) / 15 for grid in (before_h, after_h)]
    print(f"{h:4d}  {largest[0]:.2f} untrained → {largest[1]:.2f} trained       {previous[0]:.2f} → {previous[1]:.2f}")
    assert largest[0] < 0.25 < 0.5 < largest[1]
    on_previous.append(previous[1])
assert max(on_previous) > 0.4

# %% [markdown]
# Untrained, every head spreads its weight evenly over the past: the largest weight in a row is hardly above the
# others. After training, the largest weight in a row is on average more than half of the whole: each head picks one
# or two positions to read, such as the character just before (head 1 gives it about half its weight here) or one a
# few characters back. That is the
# context a next-character guess needs most.

# %% [markdown]
# ### 6.3 What it learned, and what it did not
#
# What carries over to new text is what the held-out curve shows at its lowest, after a few hundred steps. There the
# model had learned what one line of the Zen shares with another: which characters are common, which follow which,
# where spaces and line breaks go, and a little more than a table of pairs can hold, since it did better on the
# held-out lines than the bigram table. Then,
# as it went on fitting the training text ever more closely, it became confident in continuations that only the
# training text has, and its held-out loss rose, in the end above the uniform guess: a confident wrong guess is
# expensive, since a character given probability 1% costs $-\log 0.01 \approx 4.6$ nats. This is **overfitting**,
# in its plainest form. The usual remedies are more data, fewer parameters, stopping at the lowest held-out loss,
# or weight decay.
#
# What it cannot learn: what the aphorisms mean, grammar beyond a few words, or anything more than 16 characters
# back. Nor can it say anything new: its one source of novelty is the randomness of sampling. The large language
# models of the same design differ in scale, not in kind. They have billions of parameters instead of thousands,
# dozens of blocks instead of one, thousands of tokens of context instead of 16, and trillions of tokens of text
# instead of 731 characters: far more text than parameters, a large part of what lets them predict text they have
# not seen.
#
# ## Summary
#
# - Text becomes tokens through a vocabulary; a window of 17 tokens gives 16 next-token questions.
# - A token's vector is its row of `wte` plus its position's row of `wpe`. rmsnorm rescales a vector to a
#   root-mean-square of 1 before each part of the block reads it.
# - Attention at position $t$ is a softmax-weighted average of the values of positions $s \le t$, weighted by how
#   well their keys match $t$'s query; heads do this in parallel on slices of the vector. Causal: no position sees
#   its future.
# - Residual connections add each part's output to $x$; the MLP works on each position alone; `lm` gives 32 logits,
#   and the loss is the mean cross-entropy of the next character.
# - The loss of one window is a graph of about 8,000 op nodes (about 11,800 Values, counting the leaves). Recorded once as a tape (one-hot tokens for
#   `record`, `take` lookups for `Training`, which goes through `autograd.compiled`) and compiled to C, 3,000 steps
#   of 8 windows take seconds, with the engine's numbers.
# - Sampling draws each character from the softmax of the last logits; a seed makes it repeatable, a temperature
#   near 0 makes it greedy.
# - With 4,352 parameters and 731 characters, the model learns its training text by heart, as far as 16 characters
#   of context allow. On held-out lines it beats a table of character pairs after a few hundred steps, then gets
#   worse with more training: overfitting.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell; `hint("10.1")` helps, and `solution("10.1")` shows a worked
# answer once you have tried.
#
# **10.1 Attention as a weighted average.** Write `weighted_average(scores, values)`: the softmax of the list of
# numbers `scores` as weights, and the weighted average of the vectors `values` (one per score) as the result, a
# list as long as one value. It must work for scores such as 800, where `math.exp` overflows.

# %%
def weighted_average(scores, values):
    return ...

check("10.1", weighted_average)

# %% [markdown]
# **10.2 Counting parameters.** Write `n_params(vocab, dim, heads, block, hidden)`, the number of parameters of the
# model of section 2 for these sizes, from the list of its matrices (not with `Sizes`). Does the number of heads
# change it?

# %%
def n_params(vocab, dim, heads, block, hidden):
    return ...

check("10.2", n_params)

# %% [markdown]
# **10.3 What a position can see.** Take 16 tokens and change the token at position 5. At which positions do the
# logits change? Give the set of positions, such as `{0, 1}`, and try it with `model.logits(tokens)`.

# %%
answer_10_3 = ...     # a set of positions
check("10.3", answer_10_3)

# %% [markdown]
# **10.4 Temperature.** `generate` samples from $\operatorname{softmax}(z / T)$, where $T$ is the temperature. Write
# `probabilities(logits, temperature)`, which returns these probabilities. Then sample from the trained model at
# $T = 0.5$ and $T = 1.5$ (`model.generate(..., temperature=...)`) and compare.

# %%
def probabilities(logits, temperature):
    return ...

check("10.4", probabilities)
