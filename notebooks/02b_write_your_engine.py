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
# # 02b · Write your own engine, then train a network on it
#
# Notebook 02 showed how backpropagation works and read a 40-line value class. Here you **write** one, a piece at a
# time, and each piece is checked against valuegrad before you build on it. At the end a small network trained on
# *your* engine gives the same loss curve as valuegrad's, to 12 decimal places.
#
# **What you will learn**
#
# - what a node of the graph must hold: its number, its parents, the local derivative towards each parent, and a
#   gradient that starts at 0.0;
# - `+` and `*`, each with its local backward rule (add passes the gradient on unchanged, mul swaps the values);
# - the topological order, found with a stack instead of recursion, and `backward()` built on it;
# - `tanh`, then a neuron, then a tiny MLP, trained by gradient descent on your engine;
# - the three classic bugs, and how the checks catch them: a gradient assigned (`=`) instead of added (`+=`),
#   nodes visited in the wrong order, and a node that is used twice.
#
# **How to use it.** Every step has a cell where you write code, and a check below it. The cells are saved with a
# worked answer in them, so that the notebook runs from top to bottom and the later steps have an engine to use.
# To do it yourself, replace the body of each cell with your own code (or start from a copy of the notebook with
# the cells emptied), run it, and run its check: "right" means your piece agrees with valuegrad; "not yet" says what
# is off and gives a hint. `solution("02b.3")` prints the worked answer of a step.
#
# You need notebook 02 (the graph, local derivatives, the chain rule). The whole notebook takes about 75 minutes
# the first time, and runs in a few seconds.

# %%
# %matplotlib inline
import math

import matplotlib.pyplot as plt

from autograd import Value, grad
from exercises import check, hint, solution
from nn import MLP

plt.rcParams["figure.dpi"] = 110

# %% [markdown]
# ## 1. A node
#
# A node is one number that remembers how it was made. It holds:
#
# - `data`, the number itself, as a float;
# - `parents`, the nodes it was computed from, **in a tuple**: in `a * a` the same node is a parent twice, and a
#   `set` would keep it only once (micrograd keeps its children in a set, which is harmless there only because its
#   backward closures, not that set, hand out the gradients);
# - `local_grads`, one number per parent: the derivative of this node with respect to that parent, computed in
#   the forward pass, while the numbers are at hand;
# - `grad`, the derivative of the final output with respect to this node, filled in by `backward()`. It starts at
#   `0.0`, a float (micrograd starts at the integer `0`).
#
# A leaf, a number you typed in, has no parents. Write the class; later steps add methods to it, so if you run this
# cell again, run the cells after it again too.

# %%
class MyValue:
    def __init__(self, data, parents=(), local_grads=()):
        self.data = float(data)
        self.grad = 0.0
        self.parents = tuple(parents)
        self.local_grads = tuple(local_grads)

    def __repr__(self):
        return f"MyValue({self.data:.4g}, grad={self.grad:.4g})"


check("02b.1", MyValue)

# %% [markdown]
# ## 2. `+` and `*`, with their local derivatives
#
# An op computes its value **and** its local derivatives, and returns a new node that keeps both:
#
# | op | value | local derivative towards `a` | towards `b` |
# |---|---|---|---|
# | `a + b` | $a + b$ | $1$ | $1$ |
# | `a * b` | $a \cdot b$ | $b$ | $a$ |
#
# That is the whole backward rule of each op: addition passes a gradient on unchanged, multiplication hands each
# operand the *other* one's value. A plain number (the `2` in `2 * a`) becomes a leaf first. Python calls
# `__radd__` and `__rmul__` for `2 + a` and `2 * a`, and since both ops are symmetric they can be the same functions.

# %%
def as_node(x):
    return x if isinstance(x, MyValue) else MyValue(x)


def add(self, other):
    other = as_node(other)
    return MyValue(self.data + other.data, (self, other), (1.0, 1.0))


def mul(self, other):
    other = as_node(other)
    return MyValue(self.data * other.data, (self, other), (other.data, self.data))


MyValue.__add__ = MyValue.__radd__ = add
MyValue.__mul__ = MyValue.__rmul__ = mul

check("02b.2", MyValue)

# %% [markdown]
# A look at what the nodes hold. `a * a` keeps `a` twice, with a local derivative of $a$ each time: their sum,
# $2a$, is the derivative of $a^2$.

# %%
a, b = MyValue(2.0), MyValue(-3.0)
c = a * b
print("c = a * b:", c, " parents", c.parents, " local derivatives", c.local_grads)
sq = a * a
print("a * a:    ", sq, " local derivatives", sq.local_grads, "-> they add up to", sum(sq.local_grads), "= 2a")
assert c.local_grads == (b.data, a.data) and sum(sq.local_grads) == 2 * a.data

# %% [markdown]
# ## 3. The topological order
#
# `backward()` must hand a node's gradient to its parents only once that gradient is complete, that is, once every
# node that *uses* it has handed over its share. So it needs the nodes in **topological order**, every node after
# all of its parents, and then walks that list backwards.
#
# A depth-first walk gives that order. Each entry on the stack is a node and a flag, "are its parents done?". The
# first time a node is popped, it is pushed back with the flag set, and then its parents are pushed on top of it.
# A stack pops the last thing pushed first, so all the parents come off (and are listed) before the node surfaces
# again and is listed itself. A `visited` set makes sure that a node reached along two paths is listed once.
#
# An explicit stack, rather than a function that calls itself, is what lets the walk handle a chain of thousands
# of nodes: Python stops a recursion at about 1,000 levels. The check tries a chain of 3,000.

# %%
def topological_order(root):
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node.parents)
    return order


check("02b.3", (MyValue, topological_order))

# %% [markdown]
# **The walk on a small graph, step by step.** $s = a + b$, then $d = (s \cdot a) \cdot (s + b)$: $s$ feeds two
# nodes, and $a$ and $b$ are used at two depths. The cell below runs the same walk and prints the stack after every
# pop, with `✓` on the entries whose parents are done. Read it once slowly: this is the picture to have in mind.

# %%
a, b = MyValue(2.0), MyValue(-3.0)
s = a + b
left, right = s * a, s + b
d = left * right
names = {a: "a", b: "b", s: "s", left: "s·a", right: "s+b", d: "d"}

order, visited, stack = [], set(), [(d, False)]
while stack:
    node, parents_done = stack.pop()
    if parents_done:
        order.append(node)
        event = f"list {names[node]}"
    elif node not in visited:
        visited.add(node)
        stack.append((node, True))
        stack.extend((parent, False) for parent in node.parents)
        event = f"open {names[node]}"
    else:
        event = f"skip {names[node]} (seen)"
    shown = " ".join(names[n] + ("✓" if done else "") for n, done in stack)
    print(f"{event:16s} stack: [{shown}]")
print("order:", [names[n] for n in order])
assert order == topological_order(d) and len(order) == 6
assert all(order.index(p) < order.index(n) for n in order for p in n.parents)

# %% [markdown]
# ## 4. `backward()`
#
# Seed the output with $\partial d/\partial d = 1$. Then visit the order **backwards**: each node passes
# $\text{local} \times \text{its gradient}$ to each parent, and the parent **adds** it to what it has. Two details
# decide whether the result is right:
#
# - **`+=`, never `=`.** A node used twice (`a * a`, or `s` above) receives one share along each path, and its
#   gradient is their sum (the multivariable chain rule). With `=` the last share overwrites the others.
# - **Backwards.** In the reversed order every node comes before its parents, so its gradient is complete before
#   it is passed on. Walking the order forwards would pass on gradients that are still 0.
#
# `backward()` does not reset the gradients: a new graph's nodes start at 0.0, and the leaves (the parameters) keep
# adding up across calls, as in valuegrad and PyTorch (notebook 02, section 9). A training loop zeroes them.

# %%
def backward(self):
    order = topological_order(self)
    self.grad = 1.0
    for node in reversed(order):
        for parent, local in zip(node.parents, node.local_grads):
            parent.grad += local * node.grad


MyValue.backward = backward

check("02b.4", MyValue)

# %% [markdown]
# The graph of section 3, now with gradients, beside valuegrad's. Every node agrees, including $a$, which gets
# shares along three paths.

# %%
def build(a, b):
    s = a + b
    return s, (s * a) * (s + b)


mine = [MyValue(2.0), MyValue(-3.0)]
s_mine, d_mine = build(*mine)
d_mine.backward()

theirs = [Value(2.0), Value(-3.0)]
s_theirs, d_theirs = build(*theirs)
d_theirs.backward()
for name, x, y in [("a", mine[0], theirs[0]), ("b", mine[1], theirs[1]), ("s", s_mine, s_theirs)]:
    print(f"∂d/∂{name}: yours {x.grad:+.6f}   valuegrad {y.grad:+.6f}")
    assert abs(x.grad - y.grad) <= 1e-12

# %% [markdown]
# **What a gradient is for: a nudge.** The gradient says in which direction to move each input to make the output
# grow fastest. Move every input a little along its own gradient, $x \leftarrow x + \eta\,\partial d/\partial x$:
# to first order the output rises by $\eta \sum_x (\partial d/\partial x)^2$, which is never negative. (Gradient
# descent does the opposite, $x \leftarrow x - \eta\,\partial L/\partial x$, to make a loss fall.)

# %%
eta = 0.01
gradient = [x.grad for x in mine]
nudged = [MyValue(x.data + eta * g) for x, g in zip(mine, gradient)]
_, d_nudged = build(*nudged)
predicted = eta * sum(g * g for g in gradient)
print(f"d before: {d_mine.data:.6f}   after the nudge: {d_nudged.data:.6f}")
print(f"it rose by {d_nudged.data - d_mine.data:.6f}; the gradient predicts η·Σ g² = {predicted:.6f}")
assert d_nudged.data > d_mine.data
assert abs((d_nudged.data - d_mine.data) - predicted) < 0.1 * predicted      # first order: close, not equal

# %% [markdown]
# ## 5. `tanh`, then a neuron
#
# One more op makes a neuron: $\tanh$, with the local derivative $1 - \tanh^2 x$. Note that it is written with the
# *output* $t = \tanh x$, which the forward pass has just computed: $1 - t^2$, not $1 - x^2$.
#
# A neuron with weights $w_i$, bias $b$ and inputs $x_i$ computes $\tanh(\sum_i w_i x_i + b)$: with your `+` and
# `*`, that is a chain of additions starting from $b$.

# %%
def tanh(self):
    t = math.tanh(self.data)
    return MyValue(t, (self,), (1 - t * t,))


MyValue.tanh = tanh


def neuron(ws, b, xs):
    total = b
    for w, x in zip(ws, xs):
        total = total + w * x
    return total.tanh()


check("02b.5", (MyValue, neuron))

# %% [markdown]
# The neuron of notebook 02, section 2 ($x = (2, 0)$, $w = (-3, 1)$, $b = 6.88\ldots$), on your engine:

# %%
ws, b_, xs = [MyValue(-3.0), MyValue(1.0)], MyValue(6.8813735870195432), [MyValue(2.0), MyValue(0.0)]
o = neuron(ws, b_, xs)
o.backward()
print(f"o = {o.data:.6f};  ∂o/∂w1 = {ws[0].grad:.6f}, ∂o/∂w2 = {ws[1].grad:.6f}, ∂o/∂b = {b_.grad:.6f}")
assert abs(o.data - math.sqrt(0.5)) < 1e-9 and abs(b_.grad - 0.5) < 1e-9 and ws[1].grad == 0.0

# %% [markdown]
# ## 6. A tiny MLP, trained on your engine
#
# Now everything together. The network is valuegrad's `MLP(2, [4, 4, 1], activation="tanh", seed=2)`: two hidden
# layers of 4 tanh neurons and one linear output neuron, 33 parameters. We copy its starting weights into your
# engine, so that both start from the same numbers, and train both on six points with the **mean squared error**,
# $L = \frac1n \sum_i (\hat y_i - y_i)^2$, and plain gradient descent: 25 steps with $\eta = 0.1$. Each step is the
# loop of every training: forward, loss, gradients back to zero, `backward()`, update.
#
# `train_mine(weights, X, Y, steps, lr)` gets the weights as plain numbers (for each layer, for each neuron, its
# list of weights and its bias) and returns the loss before each step.

# %%
model = MLP(2, [4, 4, 1], activation="tanh", seed=2)
weights = [[([w.data for w in n.w], n.b.data) for n in layer.neurons] for layer in model.layers]
X = [[2.0, 3.0], [3.0, -1.0], [0.5, 1.0], [1.0, 1.0], [-1.0, 0.5], [0.0, -2.0]]
Y = [1.0, -1.0, -1.0, 1.0, 0.5, -0.5]


def train_mine(weights, X, Y, steps, lr):
    layers = [[([MyValue(w) for w in ws], MyValue(b)) for ws, b in layer] for layer in weights]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]

    def forward(x):
        for i, layer in enumerate(layers):
            outs = []
            for ws, b in layer:
                z = b
                for w, xi in zip(ws, x):
                    z = z + w * xi
                outs.append(z.tanh() if i < len(layers) - 1 else z)   # the last layer is linear
            x = outs
        return x[0]

    losses = []
    for _ in range(steps):
        loss = MyValue(0.0)
        for x, y in zip(X, Y):
            err = forward(x) + (-y)
            loss = loss + err * err
        loss = loss * (1.0 / len(X))
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses


check("02b.6", train_mine)

# %% [markdown]
# The same 25 steps with valuegrad's `MLP` and `Value`, written out, and the two curves side by side. They agree
# within $10^{-12}$, the check's tolerance; on this run, to the last bit. Exact equality is not promised:
# valuegrad adds a neuron's $w \cdot x + b$ as one `dot` node, which may round in another order than your chain
# of `+`.

# %%
mine_curve = train_mine(weights, X, Y, 25, 0.1)

valuegrad_curve = []
for _ in range(25):
    loss = sum(((model(x) - y) ** 2 for x, y in zip(X, Y)), Value(0.0)) * (1.0 / len(X))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    valuegrad_curve.append(loss.data)

gap = max(abs(m - v) for m, v in zip(mine_curve, valuegrad_curve))
print(f"loss: {mine_curve[0]:.4f} at the start, {mine_curve[-1]:.4f} after 25 steps (your engine)")
print(f"the largest difference from valuegrad's curve: {gap:.1e}")
assert gap <= 1e-12 and mine_curve[-1] < 0.5 * mine_curve[0]

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(range(25), valuegrad_curve, lw=4, alpha=0.4, label="valuegrad")
ax.plot(range(25), mine_curve, "k--", lw=1.2, label="your engine")
ax.set(xlabel="step", ylabel="mean squared error", title="One network, two engines, one curve")
ax.grid(alpha=0.3)
ax.legend()
plt.show()

# %% [markdown]
# ## Summary
#
# - A node holds its number, its parents (a tuple: a parent may appear twice), one local derivative per parent, and
#   a gradient that starts at 0.0.
# - Each op's backward rule is just its local derivatives, stored in the forward pass: `+` gives $(1, 1)$, `*`
#   gives $(b, a)$, `tanh` gives $1 - t^2$ with $t$ its output.
# - `backward()` is the topological order, walked backwards, with `parent.grad += local * node.grad`. The order
#   comes from a stack, not from recursion, so deep graphs work.
# - The three classic bugs: `=` instead of `+=` (wrong as soon as a node is used twice), walking the order forwards
#   (gradients passed on before they are complete), and a node listed twice (its share counted twice). Each check
#   above rejects them.
# - Your ~40 lines train a network to the same loss curve as valuegrad, within $10^{-12}$. valuegrad is the same
#   idea with an op table, n-ary `dot` nodes, no reference cycles, and tools around it (notebook 09).
#
# ## Exercises
#
# The six steps above are this notebook's exercises, 02b.1 to 02b.6. Two more to try on your engine, unchecked:
#
# - Add `__neg__`, `__sub__` and `__pow__` (for a number exponent) from `+`, `*` and one new op, and check them
#   against valuegrad the way section 4 does.
# - Change `+=` to `=` in `backward()` and run the checks again: which steps fail, and why does the MLP still
#   train (to a different curve)?
