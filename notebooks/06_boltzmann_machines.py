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
# # 06 · Boltzmann machines: energy, probability and contrastive divergence
#
# **What you will learn**
#
# - what an *energy-based model* is, and how the **Boltzmann distribution** $p(s) \propto e^{-E(s)/T}$ turns
#   energies into probabilities, on a machine small enough to list every state; and what the temperature $T$ does;
# - where the **logistic sigmoid** and the **softmax** come from: a binary unit's probability of being on is the sigmoid
#   of its input, and a softmax over $K$ states is the same formula for more than two states;
# - the difference between a (fully connected) **Boltzmann machine** and a **restricted Boltzmann machine** (RBM), and why
#   the restriction makes $p(\mathbf{h} \mid \mathbf{v})$ factorise;
# - the RBM's energy $E(\mathbf{v}, \mathbf{h}) = -\mathbf{a}^\top\mathbf{v} - \mathbf{b}^\top\mathbf{h}
#   - \mathbf{v}^\top W \mathbf{h}$ and its **free energy** $F(\mathbf{v})$;
# - how **contrastive divergence** (CD-$k$) trains an RBM, and why, in valuegrad, it is nothing more than `backward()`
#   on a *free-energy gap*;
# - how to train `nn.RBM` on $3\times 3$ *bars and stripes*, and read its reconstructions and its samples;
# - what the source text (seed 000) gets wrong about all this, and what is right.
#
# Every random number comes from a fixed seed, so the outputs are the same on every run; the whole notebook runs in a few
# seconds. Every claim that can be checked with a number is checked with an `assert`.

# %%
# %matplotlib inline
import itertools
import math

import matplotlib.pyplot as plt

from autograd import Value, no_grad, sum_values
from exercises import check, hint, solution
from nn import RBM, softmax
from nn.data import bars_and_stripes

plt.rcParams["figure.dpi"] = 110

# %% [markdown]
# ## 1. Energy-based models and the Boltzmann distribution
#
# An **energy-based model** gives every configuration $s$ of a system a number $E(s)$, its *energy*, and turns energies
# into probabilities with the **Boltzmann distribution** of statistical physics:
#
# $$
# p(s) = \frac{e^{-E(s)/T}}{Z}, \qquad Z = \sum_{s'} e^{-E(s')/T}.
# $$
#
# Low energy means high probability. $Z$, the *partition function*, is just the constant that makes the probabilities sum
# to 1, and $T > 0$ is the *temperature*. In physics, the energy function of a system is its *Hamiltonian* (hence the
# letter $H$ you often see instead of $E$).
#
# Take three binary units $s = (s_1, s_2, s_3) \in \{0, 1\}^3$, each with a bias $c_i$, and a symmetric weight
# $J_{ij}$ on each pair. A positive $J_{ij}$ lowers the energy when units $i$ and $j$ are on together, so it makes them
# like to agree; a negative one makes them avoid each other:
#
# $$
# E(s) = -\sum_i c_i s_i - \sum_{i<j} J_{ij}\, s_i s_j .
# $$
#
# With three units there are only $2^3 = 8$ states, so we can list them all and compute $Z$ exactly.

# %%
c = [0.5, -0.3, 0.2]                                  # biases c_i
J = {(0, 1): 1.0, (0, 2): -1.5, (1, 2): 0.8}          # symmetric couplings J_ij, i < j

def energy(s):
    return -sum(ci * si for ci, si in zip(c, s)) - sum(Jij * s[i] * s[j] for (i, j), Jij in J.items())

states = list(itertools.product([0, 1], repeat=3))   # (0,0,0), (0,0,1), ..., (1,1,1)

def boltzmann(T):
    weights = [math.exp(-energy(s) / T) for s in states]
    Z = sum(weights)
    return [w / Z for w in weights]

p1 = boltzmann(1.0)
print(" state     E(s)    p(s) at T = 1")
for s, p in zip(states, p1):
    print(f"{s}  {energy(s) + 0.0:+.2f}   {p:.4f}")       # + 0.0 turns -0.0 into 0.0

assert abs(sum(p1) - 1.0) < 1e-12
ground = min(states, key=energy)
assert max(zip(p1, states))[1] == ground             # the lowest energy is the most probable state
print("lowest-energy state:", ground)

# %% [markdown]
# **Temperature.** Dividing the energies by $T$ sets how much they matter. As $T \to 0$ the distribution piles onto the
# lowest-energy state; as $T \to \infty$ every energy difference vanishes and the distribution becomes uniform
# ($1/8$ each). In between, the *entropy* $S = -\sum_s p(s)\log p(s)$ grows steadily with $T$ (its derivative is
# $dS/dT = \operatorname{Var}(E)/T^3 \ge 0$). It is written $S$, as in physics, because $H$ here already means the
# Hamiltonian (information theory writes the same sum as $H$).

# %%
temperatures = [0.25, 1.0, 4.0]

def entropy(ps):
    return -sum(p * math.log(p) for p in ps if p > 0)

fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), sharey=True)
for ax, T in zip(axes, temperatures):
    ax.bar(range(8), boltzmann(T), color="tab:blue", label="p(s)")
    ax.axhline(1 / 8, color="gray", ls=":", lw=1, label="uniform, 1/8")
    ax.set_title(f"T = {T}   (entropy {entropy(boltzmann(T)):.2f})", fontsize=9)
    ax.set_xticks(range(8), ["".join(map(str, s)) for s in states], fontsize=8)
    ax.set_xlabel("state s₁s₂s₃")
axes[0].set_ylabel("p(s)")
axes[0].legend(fontsize=8)
fig.suptitle("The Boltzmann distribution of the 3-unit machine at three temperatures")
plt.tight_layout()
plt.show()

grid = [0.05, 0.25, 0.5, 1.0, 2.0, 4.0, 100.0]
S = [entropy(boltzmann(T)) for T in grid]
assert all(a < b for a, b in zip(S, S[1:]))                  # entropy rises with T
assert boltzmann(0.05)[states.index(ground)] > 0.99           # cold: almost surely the ground state
assert max(abs(p - 1 / 8) for p in boltzmann(100.0)) < 0.01   # hot: almost uniform
print("entropy S:", [round(h, 3) for h in S], " maximum log 8 =", round(math.log(8), 3))

# %% [markdown]
# ## 2. The softmax and the sigmoid come out of the Boltzmann distribution
#
# **The softmax.** Look again at the formula: with one "logit" $z_s = -E(s)/T$ per state, the Boltzmann distribution
# *is* a softmax over all the states,
#
# $$
# p(s) = \frac{e^{z_s}}{\sum_{s'} e^{z_{s'}}} = \operatorname{softmax}(z)_s .
# $$
#
# So the softmax is the Boltzmann distribution of a system with $K$ states, written in terms of (negative, scaled)
# energies. We check that `nn.softmax` over the 8 energies gives exactly the probabilities we enumerated by hand.

# %%
for T in temperatures:
    via_softmax = [p.data for p in softmax([-energy(s) / T for s in states])]
    by_hand = boltzmann(T)
    assert max(abs(a - b) for a, b in zip(via_softmax, by_hand)) < 1e-12
print("nn.softmax(-E/T) equals the enumerated Boltzmann distribution at T =", temperatures)


# %% [markdown]
# **The sigmoid.** Now fix every unit except $s_i$. Only two states remain, $s_i = 0$ and $s_i = 1$, and their energies
# differ by the unit's total input (its bias plus the weighted states of its neighbours):
#
# $$
# u_i = E(s_i{=}0,\ \text{rest}) - E(s_i{=}1,\ \text{rest}) = c_i + \sum_{j \ne i} J_{ij}\, s_j .
# $$
#
# A two-state softmax is a logistic sigmoid, so
#
# $$
# p(s_i = 1 \mid \text{rest}) = \frac{e^{u_i/T}}{1 + e^{u_i/T}} = \sigma\!\left(\frac{u_i}{T}\right),
# \qquad \sigma(x) = \frac{1}{1 + e^{-x}} .
# $$
#
# That is the precise statement: **a binary unit's probability of being on is the sigmoid of its input**, and the
# softmax over $K$ states is the many-state form of the same thing. We check it for every unit and every state of the
# other two units, at two temperatures, against conditional probabilities computed from the enumerated joint
# distribution, and with valuegrad's own `Value.sigmoid()` and `nn.softmax`.

# %%
def coupling(i, j):
    return J.get((min(i, j), max(i, j)), 0.0)

checks = 0
for T in [1.0, 0.5]:
    joint = dict(zip(states, boltzmann(T)))
    for i in range(3):
        for s in states:
            if s[i] == 1:
                continue
            on = s[:i] + (1,) + s[i + 1:]
            conditional = joint[on] / (joint[s] + joint[on])        # p(s_i = 1 | the others), from the joint
            u = c[i] + sum(coupling(i, j) * s[j] for j in range(3) if j != i)
            assert abs(conditional - Value(u / T).sigmoid().data) < 1e-12
            two_state = softmax([-energy(s) / T, -energy(on) / T])    # softmax over {off, on}
            assert abs(conditional - two_state[1].data) < 1e-12
            checks += 1
print(f"p(s_i = 1 | rest) = sigmoid(u_i / T): {checks} cases checked")


# %% [markdown]
# Listing all states works for 3 units; for $n$ units there are $2^n$ of them, and already for $n = 300$ that is more
# than the number of atoms in the universe. Models of real data therefore never compute $Z$; they draw samples instead,
# and the sigmoid rule above is exactly what makes sampling easy: visit the units one at a time and switch each on with
# probability $\sigma(u_i/T)$ (*Gibbs sampling*).
#
# ## 3. Boltzmann machines and restricted Boltzmann machines
#
# A **Boltzmann machine** (Hinton and Sejnowski, 1983–85) is the model of section 1 at scale: binary units on a graph
# (often a complete graph), a bias per unit, a symmetric weight per edge, and the Boltzmann distribution over the
# joint states. Some units are *visible* (the data is clamped there) and the rest are *hidden*. Its trouble is the full
# connectivity: every unit's conditional depends on all the others, so Gibbs sampling has to update one unit at a time,
# and learning needs long chains to reach equilibrium.
#
# A **restricted Boltzmann machine** (introduced as the *harmonium* by Smolensky in 1986, made practical by Hinton's
# contrastive divergence in 2002) keeps only the edges *between* two layers:
#
# - one **visible** layer $\mathbf{v} \in \{0,1\}^m$, where the data goes, and
# - one **hidden** layer $\mathbf{h} \in \{0,1\}^k$, which learns features,
# - with **no connections inside a layer** (a bipartite graph).
#
# Its energy, with visible biases $\mathbf{a}$, hidden biases $\mathbf{b}$ and weights $W \in \mathbb{R}^{m \times k}$,
# at temperature $T = 1$, is
#
# $$
# E(\mathbf{v}, \mathbf{h}) = -\mathbf{a}^\top \mathbf{v} - \mathbf{b}^\top \mathbf{h} - \mathbf{v}^\top W \mathbf{h}.
# $$
#
# In the drawing below, visible units are orange and hidden units green: a Boltzmann machine with 5 units has
# $\binom{5}{2} = 10$ weights, an RBM with 3 visible and 2 hidden units has $3 \cdot 2 = 6$.

# %%
def draw_graph(ax, pos, edges, colours, title):
    for i, j in edges:
        ax.plot([pos[i][0], pos[j][0]], [pos[i][1], pos[j][1]], color="0.6", lw=1, zorder=1)
    ax.scatter([x for x, _ in pos], [y for _, y in pos], s=260, c=colours, edgecolors="k", zorder=2)
    ax.set_title(title, fontsize=8)
    ax.margins(0.15)
    ax.set_aspect("equal")
    ax.axis("off")

fig, (left, right) = plt.subplots(1, 2, figsize=(6, 2.6))
ring = [(math.cos(2 * math.pi * t / 5 + math.pi / 2), math.sin(2 * math.pi * t / 5 + math.pi / 2)) for t in range(5)]
draw_graph(left, ring, list(itertools.combinations(range(5), 2)),
           ["tab:orange"] * 3 + ["tab:green"] * 2, "Boltzmann machine: complete graph")
layers = [(x, 0.0) for x in (0, 1, 2)] + [(x, 1.2) for x in (0.5, 1.5)]
draw_graph(right, layers, [(i, j) for i in range(3) for j in (3, 4)],
           ["tab:orange"] * 3 + ["tab:green"] * 2, "RBM: bipartite graph")
left.scatter([], [], s=60, c="tab:orange", edgecolors="k", label="visible unit")
left.scatter([], [], s=60, c="tab:green", edgecolors="k", label="hidden unit")
left.plot([], [], color="0.6", label="a weight")
fig.legend(loc="lower center", ncol=3, fontsize=7)
fig.suptitle("Which units are connected", fontsize=10)
plt.tight_layout(rect=(0, 0.1, 1, 1))
plt.show()

# %% [markdown]
# **Why the restriction helps: $p(\mathbf{h} \mid \mathbf{v})$ factorises.** For a fixed $\mathbf{v}$ the energy is a
# sum of one term per hidden unit, $E = -\mathbf{a}^\top\mathbf{v} - \sum_j h_j\,(b_j + (\mathbf{v}^\top W)_j)$, so
# $e^{-E}$ is a product over $j$ and the hidden units are independent given the visible ones. Each is a binary unit
# whose input is $b_j + (\mathbf{v}^\top W)_j$, so by section 2
#
# $$
# p(\mathbf{h} \mid \mathbf{v}) = \prod_j p(h_j \mid \mathbf{v}), \qquad
# p(h_j = 1 \mid \mathbf{v}) = \sigma\big(b_j + (\mathbf{v}^\top W)_j\big),
# $$
#
# and symmetrically $p(v_i = 1 \mid \mathbf{h}) = \sigma\big(a_i + (W\mathbf{h})_i\big)$. A whole layer is sampled in one
# step (*block Gibbs sampling*), where a Boltzmann machine needs one step per unit.
#
# **The free energy.** Because of the same independence, the hidden units can be summed out in closed form:
#
# $$
# p(\mathbf{v}) = \frac{1}{Z}\sum_{\mathbf{h}} e^{-E(\mathbf{v}, \mathbf{h})} = \frac{e^{-F(\mathbf{v})}}{Z},
# \qquad
# F(\mathbf{v}) = -\mathbf{a}^\top\mathbf{v} - \sum_j \operatorname{softplus}\big(b_j + (\mathbf{v}^\top W)_j\big),
# $$
#
# with $\operatorname{softplus}(x) = \log(1 + e^x)$. $F$ plays the role of an energy for $\mathbf{v}$ alone.
#
# We check all three statements on a tiny `RBM(3, 2)` with large random weights, by listing its $2^3 \cdot 2^2 = 32$
# joint states and comparing with `rbm.energy`, `rbm.p_h_given_v`, `rbm.p_v_given_h` and `rbm.free_energy`.

# %%
tiny = RBM(3, 2, seed=1, init_std=1.0)
for bias in tiny.a + tiny.b:                          # give the biases some non-zero values too
    bias.data = 0.3
visibles = [list(map(float, v)) for v in itertools.product([0, 1], repeat=3)]
hiddens = [list(map(float, h)) for h in itertools.product([0, 1], repeat=2)]

with no_grad():
    weight = {(tuple(v), tuple(h)): math.exp(-tiny.energy(v, h).data) for v in visibles for h in hiddens}
Z = sum(weight.values())

def bernoulli(probs, x):
    return math.prod(p if xi == 1.0 else 1.0 - p for p, xi in zip(probs, x))

for v in visibles:
    p_v = sum(weight[(tuple(v), tuple(h))] for h in hiddens)          # unnormalised marginal of v
    for h in hiddens:
        exact = weight[(tuple(v), tuple(h))] / p_v                     # p(h | v) from the joint
        assert abs(exact - bernoulli(tiny.p_h_given_v(v), h)) < 1e-12  # = product of sigmoids
    assert abs(tiny.free_energy(v).data - (-math.log(p_v))) < 1e-12    # F(v) = -log sum_h exp(-E(v, h))
for h in hiddens:
    p_h = sum(weight[(tuple(v), tuple(h))] for v in visibles)
    for v in visibles:
        assert abs(weight[(tuple(v), tuple(h))] / p_h - bernoulli(tiny.p_v_given_h(h), v)) < 1e-12
print("p(h|v) and p(v|h) factorise into sigmoids, and F(v) = -log sum_h exp(-E(v, h)): all 32 states checked")
print("Z =", round(Z, 4))

# %% [markdown]
# ## 4. Contrastive divergence is autodiff of a free-energy gap
#
# An RBM is trained without labels: we want $p(\mathbf{v})$ to be large on the training images. Maximum likelihood
# minimises the average of $-\log p(\mathbf{v}) = F(\mathbf{v}) + \log Z$ over the data. Differentiating $\log Z$
# gives an average over the *model's own* distribution:
#
# $$
# -\frac{\partial \log p(\mathbf{v})}{\partial \theta}
# = \frac{\partial F(\mathbf{v})}{\partial \theta}
# - \sum_{\mathbf{v}'} p(\mathbf{v}')\,\frac{\partial F(\mathbf{v}')}{\partial \theta}.
# $$
#
# The first term pushes the free energy of the data down; the second pushes the free energy of whatever the model
# currently believes in back up. The second is intractable for real sizes (a sum over $2^m$ images).
# **Contrastive divergence** (CD-$k$) replaces it with samples $\mathbf{v}^-$ obtained by running $k$ steps of block
# Gibbs sampling $\mathbf{v} \to \mathbf{h} \to \mathbf{v}$, *starting from the data*. So each step minimises the
# **free-energy gap**
#
# $$
# L(\theta) = \frac{1}{N}\sum_n F(\mathbf{v}_n) - \frac{1}{N}\sum_n F(\mathbf{v}^-_n),
# $$
#
# with the samples $\mathbf{v}^-_n$ held fixed (no gradient flows through the sampling). In valuegrad that is literally
# the implementation: `RBM.free_energy_gap` builds $L$ out of `Value`s, and `RBM.cd_step` calls `backward()` and takes
# a gradient step. The textbook update falls out of the chain rule, because
# $\partial F / \partial W_{ij} = -v_i\, \sigma(b_j + (\mathbf{v}^\top W)_j)$:
#
# $$
# -\frac{\partial L}{\partial W_{ij}} = \big\langle v_i\, p(h_j{=}1 \mid \mathbf{v}) \big\rangle_{\text{data}}
# - \big\langle v_i\, p(h_j{=}1 \mid \mathbf{v}) \big\rangle_{\text{samples}} .
# $$
#
# CD-$k$ is a biased estimate of the likelihood gradient (a short chain started at the data has not reached the
# model's distribution), but the bias shrinks as $k$ grows, and in practice CD-1 already trains small RBMs well.
#
# Below we build $L$ ourselves from `rbm.gibbs` and `rbm.free_energy`, call `backward()`, and check every weight
# gradient against that formula.

# %%
data = bars_and_stripes(3)
probe = RBM(9, 8, seed=0)                      # a throw-away RBM for this comparison

with no_grad():
    negatives = [probe.gibbs(v, k=1) for v in data]          # v^-: one Gibbs step from each training image
N = len(data)
gap = (sum_values(probe.free_energy(v) for v in data) - sum_values(probe.free_energy(v) for v in negatives)) / N
for p in probe.parameters():
    p.grad = 0.0
gap.backward()

def statistic(vs, i, j):
    return sum(v[i] * probe.p_h_given_v(v)[j] for v in vs) / len(vs)

worst = max(abs(-probe.W[i][j].grad - (statistic(data, i, j) - statistic(negatives, i, j)))
            for i in range(9) for j in range(8))
assert worst < 1e-12
print(f"free-energy gap L = {gap.data:+.4f};  autodiff vs textbook CD update, largest difference: {worst:.1e}")


# %% [markdown]
# **The same idea on a machine small enough to see whole.** Take 2 visible units and 1 hidden unit. There are only
# $2^2 = 4$ images, so $\log Z = \log \sum_{\mathbf v'} e^{-F(\mathbf v')}$ can be computed exactly, and `backward()`
# on $-\log p(\mathbf v) = F(\mathbf v) + \log Z$ gives the **exact** likelihood gradient. Contrastive divergence
# replaces the sum over all four images by samples: below, 1,500 chains started at the data image $(1, 0)$, run for
# $k = 1$ and for $k = 25$ Gibbs steps. CD-1 points the same way as the exact gradient but is off by a visible
# amount (its bias); after 25 steps the chains have nearly forgotten where they started, and the estimate is close to
# the exact one, up to the noise of 1,500 samples.

# %%
from autograd import logsumexp

tiny = RBM(2, 1, seed=3, init_std=1.5)
v_data = [1.0, 0.0]
all_images = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]


def weight_grads(loss):
    for p in tiny.parameters():
        p.grad = 0.0
    loss.backward()
    return [tiny.W[i][0].grad for i in range(2)]


exact = weight_grads(tiny.free_energy(v_data) + logsumexp([-tiny.free_energy(v) for v in all_images]))
estimates = {}
for k in (1, 25):
    with no_grad():
        negatives_k = [tiny.gibbs(v_data, k=k) for _ in range(1500)]
    estimates[k] = weight_grads(tiny.free_energy(v_data) - sum_values(tiny.free_energy(v) for v in negatives_k) / 1500)
print("∂(−log p)/∂W, exact (4 images enumerated):", [round(g, 3) for g in exact])
for k, g in estimates.items():
    print(f"CD-{k:<2} estimate (1,500 chains):           ", [round(x, 3) for x in g])
assert all(a * b > 0 for a, b in zip(estimates[1], exact))                  # CD-1: the right direction
assert all(abs(a - b) < 0.05 for a, b in zip(estimates[25], exact))         # CD-25: close to the exact gradient


# %% [markdown]
# ## 5. Training `nn.RBM` on bars and stripes
#
# *Bars and stripes* are the $3\times3$ binary images in which every column is all on or all off (bars), or every row is
# (stripes): $2^3 + 2^3 - 2 = 14$ images, since the blank and the full image are both. Out of $2^9 = 512$ possible
# images, an RBM has to discover that pixels agree along a whole row or a whole column. No labels are involved.

# %%
def show_images(rows, titles, heading, size=0.55):
    # rows: a list of lists of 9-pixel images, drawn as a grid (one row of images per list), under a heading
    ncols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(ncols * size, len(rows) * size * 1.25 + 0.5), squeeze=False)
    fig.suptitle(heading, fontsize=9)
    for r, (images, title) in enumerate(zip(rows, titles)):
        for col in range(ncols):
            ax = axes[r][col]
            if col < len(images):
                ax.imshow([images[col][3 * y: 3 * y + 3] for y in range(3)], cmap="gray_r", vmin=0, vmax=1)
                ax.set_xticks([])
                ax.set_yticks([])
                for spine in ax.spines.values():
                    spine.set_color("0.7")                   # a frame, so an all-white image is visible
            else:
                ax.axis("off")
        axes[r][0].set_title(title, fontsize=8, loc="left")   # may run over the empty titles to its right
    fig.subplots_adjust(left=0.02, right=0.98, top=1 - 0.7 / (len(rows) * size * 1.25 + 0.5), bottom=0.02,
                        wspace=0.15, hspace=0.7)
    plt.show()

assert len(data) == 14 and len({tuple(v) for v in data}) == 14
show_images([data], ["the 14 training images (dark = 1)"], "Bars and stripes, 3×3")

# %% [markdown]
# We train `RBM(9, 8, seed=0)` (9 visible units, one per pixel; 8 hidden units) by CD-1 with learning rate 1.0, one
# full-batch step per epoch, for 1000 epochs. `fit` returns the *reconstruction error* after each epoch: the mean of
# $(v_i - \hat v_i)^2$, where
#
# $$
# \hat{\mathbf{v}} = \sigma\big(\mathbf{a} + W\,\sigma(\mathbf{b} + W^\top\mathbf{v})\big)
# $$
#
# is one deterministic up-and-down pass: the hidden units' on-probabilities $\sigma(\mathbf{b} + W^\top\mathbf{v})$,
# fed back down as if they were states, give the visible units' on-probabilities ($\sigma$ applied to each entry). It
# is a convenient progress signal, not the quantity CD optimises.
#
# Because this RBM has only 9 visible units, we can also do what is impossible at scale: compute $Z$ exactly by summing
# $e^{-F(\mathbf{v})}$ over all 512 images, and measure the probability the model gives to the 14 training images.

# %%
all_images = [list(map(float, v)) for v in itertools.product([0, 1], repeat=9)]
training = {tuple(v) for v in data}

def mass_on_data(model):
    # exact p(training set) = sum over the 14 images of exp(-F(v)) / Z, with Z summed over all 512 images
    with no_grad():
        F = {tuple(v): model.free_energy(v).data for v in all_images}
    low = min(F.values())                       # shift before exp, so nothing overflows
    Z = sum(math.exp(low - f) for f in F.values())
    return sum(math.exp(low - F[v]) for v in training) / Z

rbm = RBM(9, 8, seed=0)
error_before = rbm.reconstruction_error(data)
mass_before = mass_on_data(rbm)
errors = rbm.fit(data, epochs=1000, k=1, lr=1.0)
mass_after = mass_on_data(rbm)

print(f"reconstruction error: {error_before:.4f} before, {errors[-1]:.6f} after 1000 epochs")
print(f"probability of the 14 training images: {mass_before:.3f} before (uniform would be 14/512 = {14 / 512:.3f}), "
      f"{mass_after:.3f} after")
assert errors[-1] < 0.5 * error_before
assert mass_after > 0.5 > mass_before

fig, ax = plt.subplots(figsize=(4.5, 2.6))
ax.semilogy(range(1, len(errors) + 1), errors, label="CD-1, learning rate 1.0")
ax.set(title="RBM(9, 8) on bars and stripes", xlabel="epoch", ylabel="reconstruction error")
ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# **Reconstructions, repairs and samples.** Three views of what the trained RBM knows:
#
# 1. `rbm.reconstruct(v)` for each training image: the up-and-down pass returns probabilities close to the image.
# 2. The same pass on a *corrupted* image (one pixel flipped): rounding the reconstruction at 0.5 often gives the
#    original image back, because the hidden units encode "which bars or stripes", not single pixels.
# 3. `rbm.sample(n, k)`: start from random noise and run $k$ steps of block Gibbs sampling. The chain's distribution
#    approaches the model's own $p(\mathbf{v})$ as $k$ grows, so after $k = 50$ steps these are only *approximate*
#    draws from it (how close depends on how fast the chain mixes); if the model has learnt the data, most of them
#    are bars or stripes.
#
# The last row shows each hidden unit's weights $W_{:,j}$ as a $3\times3$ image (its *receptive field*, rescaled).

# %%
reconstructions = [rbm.reconstruct(v) for v in data]
assert all(max(abs(x - r) for x, r in zip(v, rec)) < 0.2 for v, rec in zip(data, reconstructions))

repaired = 0
corrupted_examples = []
for v in data:
    for i in range(9):
        noisy = list(v)
        noisy[i] = 1.0 - noisy[i]
        rounded = [1.0 if x > 0.5 else 0.0 for x in rbm.reconstruct(noisy)]
        repaired += rounded == v
        if i == 4:
            corrupted_examples.append(noisy)
print(f"one-pixel corruptions repaired by one reconstruction: {repaired} of {len(data) * 9}")
assert repaired > len(data) * 9 / 2

samples = rbm.sample(14, k=50)
valid = sum(tuple(s) in training for s in samples)
print(f"samples that are bars or stripes: {valid} of {len(samples)}")
assert valid >= 10

fields = []
for j in range(8):
    col = [rbm.W[i][j].data for i in range(9)]
    lo, hi = min(col), max(col)
    fields.append([(w - lo) / (hi - lo) for w in col])

show_images(
    [data, reconstructions, corrupted_examples, [rbm.reconstruct(v) for v in corrupted_examples], samples, fields],
    ["data", "reconstructions", "centre pixel flipped", "their reconstructions", "samples (k = 50 from noise)",
     "hidden units' weights"],
    "What the trained RBM knows (dark = 1, or a large weight)",
)

# %% [markdown]
# Three remarks. First, the RBM was never told what a bar is: the data, the energy function and CD found it. Second,
# `rbm.free_energy(v)` is a score we can read off directly: low free energy means "looks like the data", which is how
# RBMs are used for anomaly detection. Third, after training, the first layer's features $p(\mathbf{h} \mid \mathbf{v})$
# can be fed to another RBM or to a classifier; stacking RBMs this way was how deep belief networks were pre-trained
# (Hinton, Osindero and Teh, 2006).

# %%
with no_grad():
    free = {tuple(v): rbm.free_energy(v).data for v in all_images}
mean_data = sum(free[v] for v in training) / len(training)
mean_other = sum(f for v, f in free.items() if v not in training) / (len(free) - len(training))
print(f"mean free energy: training images {mean_data:.2f}, the other 498 images {mean_other:.2f}")
assert mean_data < mean_other
h = rbm.p_h_given_v(data[3])
print("p(h = 1 | v) for", [int(x) for x in data[3]], "->", [round(x, 2) for x in h])

# %% [markdown]
# ## 6. Correcting the source text
#
# The seed text this project grew from (seed 000, "Origins — Boltzmann Machines") gets several things wrong. Here is
# each claim and what is right.
#
# | the seed says | what is right |
# |---|---|
# | "Restricted Boltzmann Machines (RBF's)" | The abbreviation is **RBM**. *RBF* means **radial basis function**, a function of the distance to a centre, such as $e^{-\lVert x - c\rVert^2/2\sigma^2}$; RBF networks are a different model. |
# | an RBM replaces the complete graph "with *hidden layers*, and assigning one layer as the input and one as the output layer" | An RBM has exactly **one visible layer and one hidden layer**, with every visible unit connected to every hidden unit and **no connections inside a layer** (section 3). The visible layer is not an "input" and the hidden layer is not an "output": the model is symmetric, and information flows both ways in Gibbs sampling. |
# | the RBM "would predict outputs following a softmax PDF, for classification tasks" | An RBM is a **generative, unsupervised** model of $p(\mathbf{v})$. It is trained on unlabelled data by **contrastive divergence** (section 4), not by backpropagating a supervised loss. Its features can later be used by a classifier. |
# | the likelihood of a vertex being "on" is "given by the corresponding PDF, the *Softmax Function*" | The distribution over the network's joint states is the **Boltzmann distribution** $p \propto e^{-E/T}$ (a probability *mass* function: the states are discrete). A single binary unit is on with probability **$\sigma(\text{input}/T)$, the logistic sigmoid** of its input; the softmax is the $K$-state form of the same formula (section 2). |
# | the Hamiltonian is "named after Irish Physicist Rowan Hamilton" | It is named after **William Rowan Hamilton** (1805–1865), an Irish **mathematician and physicist**, who reformulated classical mechanics in the 1830s; quantum mechanics later borrowed his name for the energy operator. It is the total energy of a whole system, not of "a subatomic particle". |
# | deep learning "is almost always a Supervised Learning Technique, as it requires labelled training data" | Much of deep learning is **self-supervised or unsupervised**: language models predict the next word of unlabelled text, autoencoders and diffusion models learn from unlabelled images, and RBMs themselves (like the one above) learn from data with no labels at all. |
#
# One more historical note: the restricted architecture was first described by Paul Smolensky (1986, under the name
# *harmonium*); Geoffrey Hinton made RBMs practical with contrastive divergence (2002) and popularised them through
# deep belief networks (2006).

# %% [markdown]
# ## Summary
#
# - An energy-based model assigns an energy $E(s)$ to each state; the Boltzmann distribution
#   $p(s) = e^{-E(s)/T}/Z$ turns it into probabilities. Low temperature concentrates the mass on low-energy states;
#   high temperature spreads it out.
# - The Boltzmann distribution over $K$ states is a softmax of $-E/T$; for one binary unit given all the others it
#   reduces to the logistic sigmoid of the unit's input, $p(s_i = 1 \mid \text{rest}) = \sigma(u_i/T)$.
# - A Boltzmann machine connects every pair of units; a restricted Boltzmann machine keeps only visible–hidden edges, so
#   $p(\mathbf{h}\mid\mathbf{v})$ and $p(\mathbf{v}\mid\mathbf{h})$ factorise into sigmoids and the hidden units can be
#   summed out into the free energy $F(\mathbf{v})$.
# - Contrastive divergence lowers the free energy of the data and raises that of short Gibbs chains started at the
#   data. In valuegrad it is `backward()` on the free-energy gap, and we checked that this equals the textbook update.
# - On $3\times3$ bars and stripes, `nn.RBM(9, 8)` learns without labels: its reconstruction error falls by orders of
#   magnitude, it puts most of its probability on the 14 training images, repairs corrupted images, and dreams up
#   valid bars and stripes.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell; `hint("06.1")` helps, and `solution("06.1")` shows a worked
# answer once you have tried.
#
# **06.1 The Boltzmann distribution.** Write `boltzmann_probs(energies, T)`: the probabilities
# $e^{-E_s/T} / \sum_{s'} e^{-E_{s'}/T}$ of states with the given energies, as a list. It must also work for energies
# such as `[1000.0, 1001.0]`, where $e^{-1000}$ underflows to 0.

# %%
def boltzmann_probs(energies, T):
    return ...


check("06.1", boltzmann_probs)

# %% [markdown]
# **06.2 One unit, given the rest.** Write `p_on(i, s, c, J, T)`: the probability $p(s_i = 1 \mid \text{rest})$ for
# a Boltzmann machine with biases `c` (a list), couplings `J` (a dict `{(i, j): J_ij}` with `i < j`, as in section 1)
# and state `s` (a tuple of 0s and 1s; its entry `s[i]` is ignored). The check compares it with conditional
# probabilities computed from the enumerated joint distribution of 4-unit machines.

# %%
def p_on(i, s, c, J, T):
    return ...


check("06.2", p_on)

# %% [markdown]
# **06.3 A Gibbs sampler.** Write `gibbs_states(c, J, T, sweeps, rng)`: start from all units off, and in each sweep
# visit the units in turn, setting unit $i$ on with probability `p_on(i, ...)` (use `rng.random()`); return the list
# of states (tuples) after each sweep. The check runs 20,000 sweeps on the machine of section 1 and compares the
# frequencies of the 8 states with the enumerated $p(s)$. (Then try $T = 0.1$ starting far from the ground state:
# what do the frequencies do?)

# %%
def gibbs_states(c, J, T, sweeps, rng):
    return ...


check("06.3", gibbs_states)

# %% [markdown]
# **06.4 The free energy by hand.** Write `free_energy(v, a, b, W)` with plain floats:
# $F(\mathbf v) = -\mathbf a^\top\mathbf v - \sum_j \operatorname{softplus}\big(b_j + \sum_i v_i W_{ij}\big)$, with
# `W` a list of rows (one per visible unit). The check compares it with `RBM.free_energy`.

# %%
def free_energy(v, a, b, W):
    return ...


check("06.4", free_energy)

# %% [markdown]
# **06.5 Capacity.** Add to an RBM a hidden unit with all-zero weights and bias $c$. Write `added_free_energy(c)`:
# what it adds to $F(\mathbf v)$, the same for every $\mathbf v$. Why does such a unit not change $p(\mathbf v)$ at
# all, and what does that say about the *best* RBM with $k + 1$ hidden units compared with the best with $k$? (Train
# RBMs with 1, 2, 4 and 8 hidden units on bars and stripes to see whether training finds it.)

# %%
def added_free_energy(c):
    return ...


check("06.5", added_free_energy)

# %% [markdown]
# **06.6 CD-1 against the true gradient.** With 9 visible units the exact likelihood gradient is within reach. Write
# `exact_nll_grad_W(rbm, data)`: the gradient of the mean of $-\log p(\mathbf v) = F(\mathbf v) + \log Z$ over the
# training images with respect to $W$, as 9 rows of 8 numbers. The data term is the mean of
# $\partial F/\partial W_{ij} = -v_i\,\sigma(b_j + (\mathbf v^\top W)_j)$ over the data; the $\log Z$ term is the same
# derivative averaged over all 512 images, each weighted by its probability $p(\mathbf v)$ (section 4). The check
# compares it with `backward()` on an untrained `RBM(9, 8, seed=0)`. Then compare its direction (cosine similarity)
# with one CD-1 gradient from `free_energy_gap`, and with the average of 50: what does that say about the noise in CD?

# %%
def exact_nll_grad_W(rbm, data):
    return ...


check("06.6", exact_nll_grad_W)
