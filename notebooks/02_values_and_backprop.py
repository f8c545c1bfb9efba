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
# # 02 · Values, computational graphs, and backpropagation
#
# **What you will learn**
#
# - what a `Value` records when you compute with it, and how those records form a *computational graph*, drawn with
#   `draw_dot`;
# - the chain rule done **by hand** on one neuron $o = \tanh(w_1 x_1 + w_2 x_2 + b)$ and its loss, one node at a
#   time, and checked against `backward()`;
# - three patterns of how gradients flow through a graph: an addition *distributes*, a multiplication *swaps*, a
#   maximum *routes*;
# - why the nodes must be visited in *topological order*, and why the backward pass walks that order in reverse;
# - how to **build a `Value` class yourself**, in about 40 lines: addition, multiplication, `tanh`, a topological
#   sort and `backward()`; then backpropagate a neuron through it by hand, and check every gradient against
#   valuegrad;
# - how to watch backpropagation happen step by step with `backprop_frames`, `show_backprop` and
#   `python -m autograd draw ... --backprop player.html`;
# - why gradients are *added* (`+=`) and never assigned, and why a training loop must zero them before each
#   `backward()`.
#
# The only random numbers (the initial weights of an `nn.Neuron`, which we overwrite anyway) come from a seeded
# generator, so every output is the same on every run; the whole notebook runs in a few seconds. (How valuegrad
# copes with graphs a million nodes deep, and when a graph's memory is freed, is in notebook 09, *Under the hood*.)

# %%
# %matplotlib inline
import math
import random
import subprocess
import sys
import tempfile
from pathlib import Path

from IPython.display import display

from autograd import Value
from autograd.graph import topological_order
from autograd.viz import backprop_frames, backprop_steps, draw_dot, show_backprop
from exercises import check, hint, solution
from nn import Neuron

random.seed(0)

# %% [markdown]
# ## 1. A `Value` remembers how it was made
#
# A `Value` wraps one float. Every arithmetic operation on `Value`s returns a new `Value` that stores, next to its
# result, *where it came from*:
#
# | attribute | what it holds |
# |---|---|
# | `.data` | the number itself |
# | `.op` | the name of the operation that made it (`""` for a leaf, a Value we created directly) |
# | `.parents` | the Values it was computed from that need a gradient, in operand order |
# | `.operands` | every operand, including plain numbers such as the `10` below |
# | `.local_grads` | one number per parent: the *local* derivative $\partial(\text{this node})/\partial(\text{parent})$ |
# | `.grad` | $\partial(\text{output})/\partial(\text{this node})$, filled in by `backward()`; it starts at `0.0` |
#
# The local derivatives are computed during the forward pass, while the inputs are at hand. For $c = a \cdot b$
# they are $\partial c / \partial a = b$ and $\partial c / \partial b = a$.

# %%
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = a * b
c.label = "c"
d = c + 10
d.label = "d"

print(f"d.data = {d.data}, d.op = {d.op!r}, d.operands = {d.operands}")
print(f"c.op = {c.op!r}, c.parents = {[p.label for p in c.parents]}, c.local_grads = {c.local_grads}")
print(f"a is a leaf: {a.is_leaf}, a.op = {a.op!r}, a.grad = {a.grad}")

assert d.data == 2.0 * -3.0 + 10
assert c.local_grads == (b.data, a.data)      # ∂(a·b)/∂a = b, ∂(a·b)/∂b = a
assert d.parents == (c,) and d.local_grads == (1.0,)   # the constant 10 gets no gradient
assert a.is_leaf and a.grad == 0.0

# %% [markdown]
# These records link every Value to the Values it was computed from: a directed acyclic graph, the
# **computational graph**. `draw_dot` draws it. Each Value is a box `label | data | grad`; each operation is a small
# oval of its own, with arrows from its operands into it and from it to its result. Leaves that need a gradient are
# blue, the output is green, and a plain number such as `10` is a small lilac box. Here `show_grad=False` leaves the
# gradients out, since nothing has computed them yet.

# %%
draw_dot(d, show_grad=False)

# %% [markdown]
# ## 2. One neuron and its loss, as a graph
#
# A neuron with two inputs computes a weighted sum of its inputs plus a bias, and squashes it with an activation,
# here $\tanh$. To learn, we compare its output with a target $t$ through a loss; we use the squared error of one
# example:
#
# $$
# o = \tanh(w_1 x_1 + w_2 x_2 + b), \qquad L = (o - t)^2 .
# $$
#
# Training needs $\partial L / \partial w_1$, $\partial L / \partial w_2$ and $\partial L / \partial b$: how the loss
# changes when each parameter is nudged. We build the neuron **one operation per node**, so that every step of the
# chain rule is visible, and name each intermediate result:
#
# $$
# p_1 = x_1 w_1,\quad p_2 = x_2 w_2,\quad s = p_1 + p_2,\quad n = s + b,\quad o = \tanh n,\quad e = o - t,\quad
# L = e^2 .
# $$
#
# The numbers are chosen so that $n = \operatorname{artanh}(1/\sqrt 2) \approx 0.8814$, hence $o = 1/\sqrt 2$. The
# target is $t = 1$.

# %%
x1 = Value(2.0, label="x1")
x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1")
w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
t = 1.0


def neuron_loss(x1, x2, w1, w2, b):
    # the neuron and its loss, one operation per node; each intermediate Value gets a name
    p1 = x1 * w1
    p2 = x2 * w2
    s = p1 + p2
    n = s + b
    o = n.tanh()
    e = o - t
    L = e**2
    for v, name in [(p1, "p1"), (p2, "p2"), (s, "s"), (n, "n"), (o, "o"), (e, "e"), (L, "L")]:
        v.label = name
    return p1, p2, s, n, o, e, L


p1, p2, s, n, o, e, L = neuron_loss(x1, x2, w1, w2, b)
print(f"n = {n.data:.6f}   o = tanh(n) = {o.data:.6f}   L = (o - 1)² = {L.data:.6f}")
assert math.isclose(o.data, 1 / math.sqrt(2), rel_tol=1e-12)
draw_dot(L, show_grad=False, rankdir="TB")   # top to bottom: a long chain reads better this way

# %% [markdown]
# ## 3. The chain rule, by hand
#
# The chain rule says that if $L$ depends on $w_1$ only through $p_1$, then
# $\frac{\partial L}{\partial w_1} = \frac{\partial L}{\partial p_1}\cdot\frac{\partial p_1}{\partial w_1}$: the
# rate of change of $L$ with $p_1$, times the rate of change of $p_1$ with $w_1$. This is the
# $\frac{dL}{dW} = \frac{dL}{dy}\cdot\frac{dy}{dW}$ of the source text, with $y$ the output of the operation that
# reads $W$. Applied at every node of the path from $L$ down to $w_1$:
#
# $$
# \frac{\partial L}{\partial w_1}
# = \underbrace{\frac{\partial L}{\partial e}}_{2e}\;
#   \underbrace{\frac{\partial e}{\partial o}}_{1}\;
#   \underbrace{\frac{\partial o}{\partial n}}_{1-\tanh^2 n}\;
#   \underbrace{\frac{\partial n}{\partial s}}_{1}\;
#   \underbrace{\frac{\partial s}{\partial p_1}}_{1}\;
#   \underbrace{\frac{\partial p_1}{\partial w_1}}_{x_1} .
# $$
#
# Each factor is a **local** derivative: it involves only one operation and the numbers next to it, which is why a
# program can compute it. Working backwards from the output, we keep a running product, the gradient
# of $L$ with respect to the node we have reached. Below, everything is plain Python floats read from `.data`; no `backward()` yet.

# %%
# local derivatives, one per edge of the graph (plain floats)
dL_de = 2 * e.data                 # L = e²      → ∂L/∂e = 2e
de_do = 1.0                        # e = o - t   → ∂e/∂o = 1
do_dn = 1 - math.tanh(n.data)**2   # o = tanh n  → ∂o/∂n = 1 - tanh² n
dn_ds, dn_db = 1.0, 1.0            # n = s + b
ds_dp1, ds_dp2 = 1.0, 1.0          # s = p1 + p2
dp1_dw1, dp1_dx1 = x1.data, w1.data    # p1 = x1·w1
dp2_dw2, dp2_dx2 = x2.data, w2.data    # p2 = x2·w2

# multiply along the path, from the output down: each line reuses the line above
grad_e = dL_de
grad_o = grad_e * de_do
grad_n = grad_o * do_dn
grad_s = grad_n * dn_ds
grad_b = grad_n * dn_db
grad_p1 = grad_s * ds_dp1
grad_p2 = grad_s * ds_dp2
grad_w1 = grad_p1 * dp1_dw1
grad_x1 = grad_p1 * dp1_dx1
grad_w2 = grad_p2 * dp2_dw2
grad_x2 = grad_p2 * dp2_dx2

by_hand = {"e": grad_e, "o": grad_o, "n": grad_n, "s": grad_s, "b": grad_b, "p1": grad_p1, "p2": grad_p2,
           "w1": grad_w1, "x1": grad_x1, "w2": grad_w2, "x2": grad_x2}
for name, value in by_hand.items():
    print(f"∂L/∂{name:<2} = {value + 0.0:+.6f}")   # + 0.0 prints -0.0 as +0.0

# %% [markdown]
# Some of these are worth reading in words. $\partial L/\partial w_2 = 0$: the input $x_2$ is $0$, so $w_2$ has no
# effect on the output, whatever its value. $\partial L/\partial b = \partial L/\partial n$, because $n = s + b$
# passes gradient through unchanged, as every addition does. $\partial L/\partial w_1 < 0$: since $o < t$ and
# $x_1 > 0$, the loss falls as $w_1$ grows (the sign needs both: with a negative $x_1$, growing $w_1$ would lower $o$
# and the sign would flip). And $\partial L/\partial x_1$ is what an earlier layer would receive, if $x_1$ were the output
# of one.
#
# Now the same with the engine. `L.backward()` seeds $\partial L/\partial L = 1$ and applies exactly these products,
# for every node, reading the local derivatives that the forward pass stored in `.local_grads`:

# %%
L.backward()

nodes = {"e": e, "o": o, "n": n, "s": s, "b": b, "p1": p1, "p2": p2, "w1": w1, "x1": x1, "w2": w2, "x2": x2}
for name, node in nodes.items():
    print(f"{name:<2}  by hand {by_hand[name] + 0.0:+.6f}   backward() {node.grad + 0.0:+.6f}")
    assert math.isclose(node.grad, by_hand[name], rel_tol=1e-12, abs_tol=1e-15), name

# the local derivatives that backward() used are the ones we wrote by hand
assert math.isclose(o.local_grads[0], do_dn, rel_tol=1e-12)
assert p1.local_grads == (dp1_dx1, dp1_dw1)   # parents in operand order: (x1, w1)
assert L.grad == 1.0 and w2.grad == 0.0 and b.grad == n.grad


# %% [markdown]
# One more, independent check: a central finite difference,
# $\frac{\partial L}{\partial w_1} \approx \frac{L(w_1 + h) - L(w_1 - h)}{2h}$, which knows nothing of the chain rule
# (notebook 01 explains why its error is of order $h^2$ plus rounding).

# %%
def loss_at(w1_value):
    fresh = [Value(x) for x in (x1.data, x2.data, w1_value, w2.data, b.data)]
    return neuron_loss(*fresh)[-1].data


h = 1e-5
numeric = (loss_at(w1.data + h) - loss_at(w1.data - h)) / (2 * h)
print(f"finite difference {numeric:+.9f}   backward() {w1.grad:+.9f}")
assert math.isclose(numeric, w1.grad, rel_tol=1e-7)

# %% [markdown]
# `draw_dot(L)` would now show every gradient next to its value; the last frame in section 7 is exactly that drawing.
#
# > **About the source texts.** One of them describes backpropagation as "the process of adjusting the weights and
# > biases". Strictly, backpropagation only *computes* the gradients, as above; changing the weights with them is a
# > separate step, done by an optimizer such as gradient descent ($w \leftarrow w - \eta\,\partial L/\partial w$).
# > And $\frac{dL}{dW} = \frac{dL}{dy}\cdot\frac{dy}{dW}$ holds when $W$ reaches $L$ through one path only; in
# > general the contributions of all paths are **added**, which section 8 shows.
#
# ### The same neuron, as `nn` builds it
#
# `nn.Neuron` computes the same $\tanh(w_1x_1 + w_2x_2 + b)$, but as **one** node: `dot(w, x, b)` fuses the products
# and the sums, and stores one local derivative per parent ($\partial n/\partial w_i = x_i$,
# $\partial n/\partial b = 1$). Fewer nodes make a faster backward pass; the gradients are the same. Here the inputs
# are plain numbers, so the fused node is an `affine` node and only the weights and the bias are its parents.

# %%
neuron = Neuron(2, activation="tanh", rng=random.Random(0))
for param, ours in zip(neuron.parameters(), [w1, w2, b]):
    param.data, param.label = ours.data, ours.label    # copy our weights into it (the initial ones were random)

out = neuron([x1.data, x2.data])
err = out - t
loss = err**2
fused = out.parents[0]
for node, name in [(fused, "n"), (out, "o"), (err, "e"), (loss, "L")]:
    node.label = name
loss.backward()
print(f"the fused node: op {fused.op!r}, {len(fused.parents)} parents, local grads {fused.local_grads}")
print(f"grads: w = {[p.grad for p in neuron.w]}, b = {neuron.b.grad}")

assert math.isclose(loss.data, L.data, rel_tol=1e-12)
for param, ours in zip(neuron.parameters(), [w1, w2, b]):
    assert math.isclose(param.grad, ours.grad, rel_tol=1e-12, abs_tol=1e-15)
draw_dot(loss)


# %% [markdown]
# ## 4. How gradients flow: add distributes, mul swaps, max routes
#
# Every node of a graph does the same thing in the backward pass: it receives one number, the gradient $g$ of the
# output with respect to itself, and hands each of its parents $g$ times the local derivative. The local
# derivatives of the most common ops make three patterns that are worth knowing by heart, because they let you
# *read* a backward pass:
#
# | op | local derivatives | what the parents receive | the pattern |
# |---|---|---|---|
# | $c = a + b$ | $\partial c/\partial a = 1$, $\partial c/\partial b = 1$ | $g$ and $g$ | an addition **distributes** $g$, unchanged, to every input |
# | $c = a \cdot b$ | $\partial c/\partial a = b$, $\partial c/\partial b = a$ | $g\,b$ and $g\,a$ | a multiplication **swaps**: each input gets $g$ times the *other* input |
# | $c = \max(a, b)$ | $1$ for the larger input, $0$ for the other | $g$ and $0$ | a maximum **routes** all of $g$ to the input that won |
#
# `relu` is the maximum $\max(0, z)$, so it routes too: $z$ gets all of $g$ when $z > 0$ and nothing when $z < 0$.
# valuegrad has no two-input `max`, but $\max(a, b) = b + \operatorname{relu}(a - b)$ builds one. Each pattern
# below gets an incoming gradient $g = 5$ through `backward(gradient=5.0)`, as if the node were the middle of a larger
# graph:

# %%
g_in = 5.0
a_, b_ = Value(2.0, label="a"), Value(-1.0, label="b")
(a_ + b_).backward(gradient=g_in)
add_grads = (a_.grad, b_.grad)

a_, b_ = Value(2.0, label="a"), Value(-1.0, label="b")
(a_ * b_).backward(gradient=g_in)
mul_grads = (a_.grad, b_.grad)

a_, b_ = Value(2.0, label="a"), Value(-1.0, label="b")
biggest = b_ + (a_ - b_).relu()                 # max(a, b), built from relu
biggest.backward(gradient=g_in)
max_grads = (a_.grad, b_.grad)

print(f"a = 2, b = -1, incoming gradient g = {g_in}")
print(f"a + b      distributes: a gets {add_grads[0]:+}, b gets {add_grads[1]:+}")
print(f"a * b      swaps:       a gets {mul_grads[0]:+} (= g·b), b gets {mul_grads[1]:+} (= g·a)")
print(f"max(a, b)  routes:      a gets {max_grads[0]:+}, b gets {max_grads[1]:+}   (max = {biggest.data})")
assert add_grads == (g_in, g_in)
assert mul_grads == (g_in * -1.0, g_in * 2.0)
assert max_grads == (g_in, 0.0) and biggest.data == 2.0

# %% [markdown]
# Two consequences you will meet again. Because a multiplication swaps, a weight's gradient is proportional to the
# input it multiplies: in our neuron $\partial L/\partial w_2 = 0$ because $x_2 = 0$ (section 3), and an input
# that is large makes its weight's gradient large. And because `relu` routes, a unit whose `relu` is off for an
# input passes *no* gradient back for that input: notebook 03 returns to this. Every other one-input op simply
# *scales* $g$ by its local slope: `tanh` by $1 - \tanh^2 z$, which is small once $|z|$ is large.

# %% [markdown]
# ## 5. Topological order: who must be finished before whom
#
# The backward pass must visit the nodes in a definite order. A **topological order** lists every node after all of
# its parents (the Values it was computed from). That is the order in which the forward pass could have computed
# them: a node's value needs its parents' values first. `topological_order(root)` returns it, found by an iterative
# depth-first walk, so it is the same on every run and works for graphs of any depth.

# %%
order = topological_order(L)
print(" → ".join(v.label for v in order))

position = {v: i for i, v in enumerate(order)}
assert order[-1] is L
assert all(position[p] < position[v] for v in order for p in v.parents)   # parents always come first

ops_only = topological_order(L, include_leaves=False)
print("ops only:", " → ".join(v.label for v in ops_only))


# %% [markdown]
# The backward pass walks this list **in reverse**, from $L$ down. A node may pass its gradient on only once that
# gradient is complete, that is, once every node that *uses* it has already pushed its contribution into it. The
# users of a node are its children, and in the reversed order every child comes before its parents, so when a node's
# turn comes nothing more will be added to its `.grad`. (`backward()` walks only the op nodes,
# `include_leaves=False`: leaves have no parents to push to.)
#
# To see the order matter, here is the backward pass written out in a few lines, over `.parents` and `.local_grads`,
# keeping gradients in a dictionary so that no `.grad` is touched. Run it on $y = u + \tanh u$, $u = 3v$, where $u$
# has two users. In reverse topological order it agrees with $\frac{dy}{dv} = 3\,(1 + 1 - \tanh^2 u)$; in an order
# that handles $u$ before its user $\tanh u$, $u$ passes on its gradient before the $\tanh$ branch has added its
# share, and that share is lost.

# %%
def backprop_in(visit_order, root):
    # the chain rule in a dictionary: node → ∂root/∂node, pushed to parents in the given order
    grads = {root: 1.0}
    for node in visit_order:
        g = grads.get(node, 0.0)
        for parent, local in zip(node.parents, node.local_grads):
            grads[parent] = grads.get(parent, 0.0) + local * g
    return grads


v = Value(0.2, label="v")
u = 3 * v
u.label = "u"
th = u.tanh()
th.label = "tanh u"
y = u + th
y.label = "y"

right = list(reversed(topological_order(y, include_leaves=False)))
wrong = [y, u, th]                     # u before its user tanh u: not a reversed topological order
exact = 3 * (1 + 1 - math.tanh(u.data) ** 2)
print("reverse topological:", [node.label for node in right], f"→ dy/dv = {backprop_in(right, y)[v]:.6f}")
print("u before tanh u:    ", [node.label for node in wrong], f"→ dy/dv = {backprop_in(wrong, y)[v]:.6f}")
print(f"by hand: 3·(2 - tanh² u) = {exact:.6f}")

assert [node.label for node in right] == ["y", "tanh u", "u"]
assert math.isclose(backprop_in(right, y)[v], exact, rel_tol=1e-12)
assert backprop_in(wrong, y)[v] == 3.0          # only the direct path y = u + … survived
y.backward()
assert math.isclose(v.grad, exact, rel_tol=1e-12)


# %% [markdown]
# ## 6. Build it yourself: a `Value` class in 40 lines
#
# You now know everything a backpropagation engine does. So let us write one: a class `MiniValue` (not `Value`,
# so that the two never get mixed up) that records a graph as it computes, and fills in every gradient with the
# chain rule. It keeps, for each node, exactly what valuegrad keeps: the number, the nodes it was computed from,
# and the local derivatives with respect to them, worked out on the forward pass. We write it in four steps.
#
# **Step 1: the node, addition and multiplication.** A `MiniValue` holds `data`, its `parents` (the `MiniValue`s it
# was computed from, in operand order), its `local_grads` (one $\partial(\text{this})/\partial(\text{parent})$ per
# parent) and `grad`, which starts at 0. `a + b` makes a node with parents `(a, b)` and local derivatives
# `(1, 1)`; `a * b` makes one with local derivatives `(b, a)`: the *swap* of section 4. A plain number is wrapped
# into a `MiniValue` first.
#
# > **micrograd's names.** If you have watched or read karpathy's micrograd: its `Value._prev` holds the same
# > nodes as our `parents`, and micrograd calls them the node's *children* (it draws an expression as a tree with
# > the result on top and its operands below). valuegrad, like graph theory, calls them **parents**: the nodes an
# > edge comes *from*. So micrograd's `_prev` "children" are valuegrad's `parents`, and valuegrad's *children* of a
# > node are the nodes computed *from* it. micrograd also stores a small function per node, `_backward`, that does
# > that node's share of the chain rule; we store the local derivatives as numbers instead, and write the chain rule
# > once, in step 4.

# %%
class MiniValue:
    """One number, the MiniValues it was computed from, and the local derivatives with respect to them."""

    def __init__(self, data, parents=(), local_grads=(), op=""):
        self.data = float(data)
        self.parents = parents            # micrograd: _prev ("children")
        self.local_grads = local_grads    # ∂(this node)/∂(each parent), computed now, on the forward pass
        self.op = op
        self.grad = 0.0                   # ∂(output)/∂(this node), filled in by backward()

    def __repr__(self):
        return f"MiniValue(data={self.data:.6g}, grad={self.grad:.6g})"

    def __add__(self, other):
        other = other if isinstance(other, MiniValue) else MiniValue(other)
        return MiniValue(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __mul__(self, other):
        other = other if isinstance(other, MiniValue) else MiniValue(other)
        return MiniValue(self.data * other.data, (self, other), (other.data, self.data), "*")


m = MiniValue(2.0) * MiniValue(-3.0) + 10
print(m, m.op, [p.data for p in m.parents], m.local_grads)
assert m.data == 4.0 and m.parents[0].local_grads == (-3.0, 2.0)

# %% [markdown]
# **Step 2: an activation.** `tanh` has one parent, and its local derivative is $1 - \tanh^2$, computed from the
# result we already have. We attach it to the class as a method (a function whose first argument is the node):

# %%
def tanh(self):
    t = math.tanh(self.data)
    return MiniValue(t, (self,), (1.0 - t * t,), "tanh")


MiniValue.tanh = tanh

# %% [markdown]
# **Step 3: a topological sort.** `backward()` must visit every node that the output depends on, each one after
# all the nodes that use it, so it needs them in topological order (section 5): every node after its parents. A
# depth-first walk gives that order. We keep our own stack instead of recursing, so that a deep graph cannot hit
# Python's recursion limit (notebook 09 shows one that does). Each stack entry says whether the node's parents are
# done: the first time we pop a node we push it back, marked done, and then push its parents on top of it; since a
# stack pops the last thing pushed first, the parents all come off (and are listed) before the node surfaces again.

# %%
def topological_sort(root):
    """Every node that root depends on, root last, each node after all of its parents."""
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_listed = stack.pop()
        if parents_listed:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    return order


# %% [markdown]
# The stack is the part that is easy to get lost in, so here it is at work on a graph of four nodes: $c = a \cdot b$
# and $d = c + a$, where $a$ is reached along two paths. Each line shows what was popped and the stack after it
# (`✓`: a node whose parents are already pushed). `d` is opened first and listed last; `a`, found again through
# `c`, is skipped the second time. (Notebook 02b traces a larger graph and lets you write the walk yourself.)

# %%
a_, b_ = MiniValue(2.0), MiniValue(3.0)
c_ = MiniValue(a_.data * b_.data, (a_, b_), (b_.data, a_.data))
d_ = MiniValue(c_.data + a_.data, (c_, a_), (1.0, 1.0))
names_ = {a_: "a", b_: "b", c_: "c", d_: "d"}
order_, visited_, stack_ = [], set(), [(d_, False)]
while stack_:
    node, parents_listed = stack_.pop()
    if parents_listed:
        order_.append(node)
        what = f"list {names_[node]}"
    elif node not in visited_:
        visited_.add(node)
        stack_.append((node, True))
        stack_.extend((parent, False) for parent in node.parents)
        what = f"open {names_[node]}"
    else:
        what = f"skip {names_[node]}"
    print(f"{what:8s} stack: [{' '.join(names_[n] + ('✓' if done else '') for n, done in stack_)}]")
print("order:", [names_[n] for n in order_])
assert order_ == topological_sort(d_)

# %% [markdown]
# **Step 4: `backward()`.** Seed the output's gradient with $1$ ($\partial o/\partial o = 1$), then walk the
# topological order backwards and let each node pass $\text{local} \times \text{its gradient}$ to each parent, with
# `+=`, because a node used twice gets a contribution along each path (section 8).

# %%
def backward(self):
    self.grad = 1.0
    for node in reversed(topological_sort(self)):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad


MiniValue.backward = backward

# %% [markdown]
# That is the whole engine: the class, `tanh`, `topological_sort` and `backward`, some 40 lines. valuegrad's
# `Value` does the same, with more ops, faster storage and careful floating-point edge cases.
#
# **Backpropagate a neuron by hand.** Build the neuron of section 2 with `MiniValue`s, without the loss this time:
# $o = \tanh(x_1 w_1 + x_2 w_2 + b)$. First we play `backward()` ourselves: starting from $o$, each node's gradient
# is set from the gradients of the nodes that use it, one line per node, using only `local_grads`.

# %%
mx1, mx2, mw1, mw2, mb = (MiniValue(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
mp1 = mx1 * mw1
mp2 = mx2 * mw2
ms = mp1 + mp2
mn = ms + mb
mo = mn.tanh()

hand = {}
hand["o"] = 1.0
hand["n"] = mo.local_grads[0] * hand["o"]                               # tanh: 1 − o²
hand["s"], hand["b"] = mn.local_grads[0] * hand["n"], mn.local_grads[1] * hand["n"]     # + distributes
hand["p1"], hand["p2"] = ms.local_grads[0] * hand["s"], ms.local_grads[1] * hand["s"]   # + distributes
hand["x1"], hand["w1"] = mp1.local_grads[0] * hand["p1"], mp1.local_grads[1] * hand["p1"]   # * swaps
hand["x2"], hand["w2"] = mp2.local_grads[0] * hand["p2"], mp2.local_grads[1] * hand["p2"]   # * swaps
for name, value in hand.items():
    print(f"∂o/∂{name:<2} = {value + 0.0:+.6f}")

# %% [markdown]
# Now let `MiniValue.backward()` do it, and compare every node's gradient, first with our hand computation, then with
# valuegrad's `Value` on the same neuron, built the same way, one op per node:

# %%
mo.backward()
mini_nodes = {"o": mo, "n": mn, "s": ms, "b": mb, "p1": mp1, "p2": mp2, "x1": mx1, "w1": mw1, "x2": mx2, "w2": mw2}

vx1, vx2, vw1, vw2, vb = (Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
vp1, vp2 = vx1 * vw1, vx2 * vw2
vs = vp1 + vp2
vn = vs + vb
vo = vn.tanh()
vo.backward()
value_nodes = {"o": vo, "n": vn, "s": vs, "b": vb, "p1": vp1, "p2": vp2, "x1": vx1, "w1": vw1, "x2": vx2, "w2": vw2}

print(f"{'node':<4} {'by hand':>10} {'MiniValue':>10} {'valuegrad':>10}")
for name in mini_nodes:
    ours, theirs = mini_nodes[name].grad, value_nodes[name].grad
    print(f"{name:<4} {hand[name] + 0.0:>+10.6f} {ours + 0.0:>+10.6f} {theirs + 0.0:>+10.6f}")
    assert ours == hand[name]
    assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-15), name
assert math.isclose(mo.data, vo.data, rel_tol=1e-15) and math.isclose(mw1.grad, 1.0, rel_tol=1e-9)

# %% [markdown]
# Every gradient agrees: by hand, with your 40-line engine, and with valuegrad: for instance
# $\partial o/\partial w_1 = x_1 (1 - o^2) = 2 \cdot \tfrac12 = 1$ and $\partial o/\partial x_1 = w_1 (1 - o^2) = -1.5$.
# Exercise 02.4 extends
# `MiniValue` with `exp`, powers and subtraction, and `check` compares your engine with valuegrad on a new
# expression.


# %% [markdown]
# ## 7. Backpropagation, one step at a time
#
# `backprop_frames(root)` draws the backward pass as a list of graphs, one per step. Frame 0 seeds
# $\partial L / \partial L = 1$ and shows every other gradient as not yet known (grey). In each later frame one node,
# in orange, pushes its gradient to its parents, in yellow, along orange edges labelled with the local derivative,
# and each parent adds $\text{local} \times \text{grad}$ to its own gradient. `backprop_steps(root)` gives the same
# steps with a caption that spells out the arithmetic. Neither reads or changes any `.grad`: they replay one fresh
# backward pass in a dictionary.
#
# Here are the first frame, one from the middle (the $\tanh$ node), and the last:

# %%
frames = backprop_frames(L, rankdir="TB")
steps = backprop_steps(L, rankdir="TB")
print(f"{len(frames)} frames: the seed, then one per op node ({len(ops_only)} op nodes)")
assert len(frames) == len(steps) == 1 + len(ops_only)

for k in (0, 3, len(frames) - 1):
    print()
    print(steps[k].caption)
    display(frames[k])

# %%
# the last step knows every gradient, and they are the ones backward() left in .grad
final = steps[-1].grads
for node in (e, o, n, s, b, p1, p2, w1, x1, w2, x2):
    assert math.isclose(final[node], node.grad, rel_tol=1e-12, abs_tol=1e-15), node.label
print("the last frame agrees with backward() for every node")

# %% [markdown]
# In a live notebook, `show_backprop(root)` is the backprop player: the graph drawn once, with Prev / Next / Play
# buttons, a slider, the arrow keys, and a "Quiz me" box that asks you each gradient before it shows it (an
# `anywidget` widget when anywidget is installed, as here, whose `step` and `quiz` Python can read and set; otherwise
# the same player as plain HTML):

# %%
show_backprop(L)

# %% [markdown]
# A widget lives in a running notebook: on a static page (GitHub, an HTML export, this notebook opened without
# running it) you see only its text form, `BackpropPlayer(...)`. That is why the three frames above are drawn as
# ordinary outputs. To step through the whole pass anywhere, without Jupyter, write the player to a file:
# `draw_backprop(root, "player.html")` from Python, or from a shell
#
# ```
# python -m autograd draw "(tanh(x1*w1 + x2*w2 + b) - 1)**2" --at x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432 --backprop player.html
# ```
#
# The command prints the output and every gradient, and writes one self-contained page: the graph as one inline SVG,
# and each step as the few changes it makes to it (colours, gradient labels, the caption), with the buttons, the
# slider, the arrow keys and the quiz; nothing is loaded from the network. We run it in a temporary folder:

# %%
with tempfile.TemporaryDirectory() as folder:
    player = Path(folder) / "player.html"
    result = subprocess.run(
        [sys.executable, "-m", "autograd", "draw", "(tanh(x1*w1 + x2*w2 + b) - 1)**2",
         "--at", "x1=2,x2=0,w1=-3,w2=1,b=6.8813735870195432", "--backprop", str(player)],
        capture_output=True, text=True, check=True,
    )
    page = player.read_text(encoding="utf-8")
print(result.stdout.replace(str(player), "player.html"))
print(f"player.html: {len(page) / 1024:.0f} KiB, one drawing ({page.count('<svg')} <svg>) and {len(frames)} steps")

assert page.count("<svg") == 1 and f"step 0 of {len(frames) - 1}</span>" in page
assert f"d out / d w1 = {w1.grad:.6g}" in result.stdout

# %% [markdown]
# ## 8. Why gradients are added, never assigned
#
# Take $b = a + a$. Then $\frac{db}{da} = 2$: nudging $a$ by $h$ moves *both* operands by $h$. In the graph, `b` has
# **the same parent twice**, `b.parents == (a, a)`, with local derivatives `(1.0, 1.0)`, one per path. Each path
# delivers its own contribution, and the multivariable chain rule says to sum them:
#
# $$
# \frac{\partial L}{\partial a} = \sum_{\text{children } k \text{ of } a} \frac{\partial L}{\partial k}\cdot
# \frac{\partial k}{\partial a} .
# $$
#
# A backward pass that *assigns* each contribution (`grad = ...`) keeps only the last one. It is an easy slip to make
# when writing an engine (`MiniValue.backward` in section 6 uses `+=` for this reason). Here is the mistake, in a
# tiny loop over `node.parents` and `node.local_grads`:

# %%
a = Value(3.0, label="a")
twice = a + a
print(f"(a + a).parents = {[p.label for p in twice.parents]}, (a + a).local_grads = {twice.local_grads}")

overwrite = {}
for parent, local in zip(twice.parents, twice.local_grads):
    overwrite[parent] = local * 1.0          # WRONG: = keeps only the last path's contribution
accumulate = {}
for parent, local in zip(twice.parents, twice.local_grads):
    accumulate[parent] = accumulate.get(parent, 0.0) + local * 1.0   # right: +=

twice.backward()
print(f"d(a + a)/da: overwriting gives {overwrite[a]}, accumulating gives {accumulate[a]}, backward() gives {a.grad}")
assert overwrite[a] == 1.0 and accumulate[a] == 2.0 and a.grad == 2.0

# %% [markdown]
# The mistake compounds. With $b = a + a$ and $c = b + b = 4a$ the correct answer is $4$, and assignment throws
# away a path at every level (the code calls them `twice` and `four`, since `b` is still our neuron's bias). The same
# `+=` gives a product its two terms: $\frac{d}{da}(a \cdot a) = a + a = 2a$.

# %%
a = Value(3.0, label="a")
twice = a + a
four = twice + twice
four.backward()
print(f"(a + a) + (a + a) = 4a: derivative {a.grad}")
assert a.grad == 4.0

sq = Value(3.0, label="a")
(sq * sq).backward()
print(f"d(a·a)/da at a = 3: {sq.grad}")
assert sq.grad == 6.0

# %% [markdown]
# ## 9. Leaf gradients accumulate across `backward()` calls: zero them
#
# The `+=` has a second consequence: `backward()` recomputes the gradients of intermediate nodes from zero, but
# **adds** into the gradients of leaves. PyTorch accumulates the same way, into leaves only; its intermediate tensors
# keep no `.grad` at all unless you ask with `retain_grad()`. That is deliberate: it lets you sum gradients over
# several losses or mini-batches before updating. But if you call `backward()` twice on the same loss, the leaves hold
# twice the gradient. (PyTorch frees a graph's saved values during `backward()`, so a second call on the same graph
# raises an error unless the first was `backward(retain_graph=True)`; valuegrad keeps the graph, so it just adds
# again.)

# %%
before = {name: node.grad for name, node in nodes.items()}
L.backward()                        # a second call, on the same graph
for name in ("w1", "b", "n", "o"):
    print(f"{name:<2}  after one backward() {before[name]:+.6f}   after two {nodes[name].grad:+.6f}")

for leaf in (w1, w2, b, x1, x2):
    assert leaf.grad == 2 * before[leaf.label]           # leaves: doubled
for inner in (e, o, n, s, p1, p2):
    assert inner.grad == before[inner.label]             # intermediate nodes: recomputed, not doubled


# %% [markdown]
# So a training loop sets every parameter's gradient to zero before each `backward()`: `model.zero_grad()` for an
# `nn` model (or `p.grad = 0.0` for each parameter, or an optimizer's `zero_grad()`). Below, gradient descent trains
# our neuron from the same start to output $0$ for the input $(2, 0)$, once with `zero_grad()` and once without.
# Without it, each update uses the *sum* of all the gradients so far instead of the current one: the parameters keep
# moving in directions that were right several steps ago, overshoot, and the loss never settles.

# %%
def train(zero_each_step, steps=10, lr=0.1, target=0.0):
    model = Neuron(2, activation="tanh", rng=random.Random(0))
    for param, value in zip(model.parameters(), [-3.0, 1.0, 6.8813735870195432]):
        param.data = value
    losses, grads_w1 = [], []
    for _ in range(steps):
        if zero_each_step:
            model.zero_grad()
        loss = (model([2.0, 0.0]) - target) ** 2
        loss.backward()
        losses.append(loss.data)
        grads_w1.append(model.w[0].grad)
        for param in model.parameters():
            param.data -= lr * param.grad
    return losses, grads_w1


good, good_grads = train(zero_each_step=True)
bad, bad_grads = train(zero_each_step=False)
print("step   loss (zero_grad)   loss (no zero_grad)")
for k, (lg, lb) in enumerate(zip(good, bad)):
    print(f"{k:>4}   {lg:16.6f}   {lb:19.6f}")

assert all(later <= earlier for earlier, later in zip(good, good[1:]))   # zeroed: the loss never rises
assert good[-1] < 1e-6 and bad[-1] > 0.1
assert good_grads[0] == bad_grads[0]                 # the first step is the same either way
assert max(bad[3:]) > bad[2]                         # then the stale gradients push it back up


# %% [markdown]
# ## Summary
#
# - Every operation on `Value`s records its result, its parents and its local derivatives. Together these records
#   form the computational graph, which `draw_dot` draws.
# - Backpropagation is the chain rule applied node by node: the gradient of the output with respect to a node is
#   the sum, over the node's children, of the child's gradient times the local derivative. We did this by hand on
#   $L = (\tanh(w_1x_1 + w_2x_2 + b) - 1)^2$ and matched `backward()` to 12 significant digits, and a finite
#   difference too.
# - Gradients flow in patterns: an addition distributes the incoming gradient unchanged, a multiplication swaps
#   (each input gets the gradient times the other input), a maximum or a `relu` routes all of it to the winner,
#   and every other one-input op scales it by its local slope.
# - `topological_order` lists each node after its parents; `backward()` walks it in reverse, so that a node's
#   gradient is complete before the node passes it on. Handling a node before one of its users loses a
#   contribution.
# - A working engine fits in about 40 lines: `MiniValue` with `+`, `*` and `tanh`, an iterative topological sort
#   and `backward()`. On a neuron it gives the same gradients as a hand computation and as valuegrad. micrograd's
#   `_prev` "children" are its `parents`.
# - `backprop_frames`, `backprop_steps`, `show_backprop` and `python -m autograd draw ... --backprop player.html`
#   show the backward pass one step at a time; they replay it without touching `.grad`.
# - Gradients are added (`+=`), never assigned: `a + a` has derivative 2, and `(a + a) + (a + a)` has 4. For the
#   same reason leaf gradients accumulate across `backward()` calls, so training loops call `zero_grad()` before
#   each `backward()`.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell: `check` says whether it is right. `hint("02.1")` gives a
# nudge, and `solution("02.1")` a worked answer once you have tried.
#
# **02.1 By hand, then by machine.** For $f = \sigma(w x + b)\cdot x$ with $x = 1.5$, $w = -0.5$, $b = 0.25$, where
# $\sigma(z) = 1/(1 + e^{-z})$ and $\sigma'(z) = \sigma(z)(1 - \sigma(z))$: draw the graph on paper and compute
# $\partial f/\partial w$, $\partial f/\partial b$ and $\partial f/\partial x$ by hand, with plain floats (careful:
# $x$ reaches $f$ along two paths). Afterwards, compare with `backward()` and with `backprop_steps`.

# %%
answer_02_1 = (..., ..., ...)     # (∂f/∂w, ∂f/∂b, ∂f/∂x)
check("02.1", answer_02_1)

# %% [markdown]
# **02.2 Read the flow.** Without running anything, use the patterns of section 4 to give the three gradients of
# $f = \max(a, b)\cdot c + (a + c)$ at $a = 2$, $b = -1$, $c = 3$.

# %%
answer_02_2 = (..., ..., ...)     # (∂f/∂a, ∂f/∂b, ∂f/∂c)
check("02.2", answer_02_2)

# %% [markdown]
# **02.3 Break the order.** Run `backprop_in` from section 5 on the loss $L$ of section 2 with a *forward*
# topological order, `topological_order(L, include_leaves=False)`, not reversed. Which nodes, other than $L$
# itself, end with a gradient that is not zero? Give their labels as a set, such as `{"p1", "s"}`, and explain why
# the others stay at zero.

# %%
answer_02_3 = ...     # a set of labels
check("02.3", answer_02_3)

# %% [markdown]
# **02.4 Grow your engine.** Give `MiniValue` three more ops, each with its local derivative: `exp()`
# ($\frac{d}{da}e^a = e^a$), `__pow__` for a number exponent ($\frac{d}{da}a^n = n\,a^{n-1}$) and `__sub__`
# ($a - b$). Then pass the class to `check`, which builds expressions with it, such as $e^{ab} + a^3 - b$,
# runs your `backward()` and compares every gradient with valuegrad.

# %%
def mini_exp(self):
    return ...


def mini_pow(self, n):
    return ...


def mini_sub(self, other):
    return ...


MiniValue.exp, MiniValue.__pow__, MiniValue.__sub__ = mini_exp, mini_pow, mini_sub
check("02.4", MiniValue)

# %% [markdown]
# **02.5 Accumulate on purpose.** Two losses share the parameter $w = 0.8$: $L_1 = (2w - 1)^2$ and
# $L_2 = 3\tanh w$. Call `L1.backward()` and then `L2.backward()` without zeroing in between. What is `w.grad`
# then? Check it against one `backward()` of $L_1 + L_2$. (Summing gradients over several losses or minibatches
# before one update is called *gradient accumulation*; it is how a model trains on batches too big for memory.)

# %%
answer_02_5 = ...     # a number
check("02.5", answer_02_5)
