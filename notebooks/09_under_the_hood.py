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
# # 09 · Under the hood: deep graphs, memory, replayed steps and `nan` hunting
#
# The notebooks before this one teach what backpropagation computes. This one is about the engineering that makes
# valuegrad dependable and fast, for readers who want to know how the engine copes in practice. **All of it is
# optional**: nothing in notebooks 00 to 08 depends on it. It assumes notebooks 02 (the graph, `backward()`), 04 (a
# training step) and 07 (`grad`, custom ops).
#
# **What you will learn**
#
# - why a graph walk must not recurse: graphs get deep, and Python's call stack does not;
# - when the memory of a graph is freed: reference counting, reference cycles, CPython's cyclic garbage collector,
#   and why valuegrad pauses the collector during a training step (`gc_paused()`);
# - how `autograd.record` records a training step once as a *tape* and replays it on new numbers without building a
#   single `Value`, with the same losses and gradients to the last bit; and what a tape cannot replay;
# - how `detect_anomaly()` finds the op and the line of code where a `nan` is born, and how it works inside.
#
# The only random numbers come from seeded generators. A few cells measure time; those numbers change from run to
# run and from machine to machine, so nothing asserts them.

# %%
# %matplotlib inline
import gc
import inspect
import math
import re
import textwrap
import time
import os
import weakref
from collections import Counter
from pathlib import Path

import matplotlib.pyplot as plt

import autograd
from autograd import AnomalyError, GuardError, Value, detect_anomaly, dot, gc_paused, is_anomaly_enabled, logsumexp, no_grad, record, take
from autograd.graph import topological_order
from autograd.mode import CREATED
from autograd.ops import OPS, F
from exercises import check, hint, solution
from nn import MLP, SGD, LinearDecay, accuracy, cross_entropy, hinge_loss
from nn.data import make_moons, train_test_split

plt.rcParams["figure.dpi"] = 110
# %% [markdown]
# ## 1. Deep graphs: why the walk must not recurse
#
# The walk that `topological_order` and `backward()` do keeps its own stack of nodes, as the `topological_sort` of
# notebook 02's `MiniValue` does. The textbook way to write it is recursive: visit a node's parents, then list the node. That is short, but each level of the graph is a level of
# Python's call stack, and Python stops at a fixed depth (`sys.getrecursionlimit()`, 1,000 frames by default). A
# graph is as deep as its longest path, and long paths are common: an RNN unrolled over a long sequence, an
# optimisation loop that keeps the graph, or just `sum()` over a long list, which adds one term at a time.
#
# Here is the recursive walk, on a chain of 5,000 ops, and valuegrad's `backward()` on the same chain:

# %%
def recursive_order(root):
    order, seen = [], set()

    def visit(node):
        if node not in seen:
            seen.add(node)
            for parent in node.parents:
                visit(parent)      # one Python frame per level of the graph
            order.append(node)

    visit(root)
    return order


x = Value(0.5, label="x")
y = x
for _ in range(5_000):
    y = y * 1.0001             # y = x · 1.0001^5000, so dy/dx = 1.0001^5000

try:
    recursive_order(y)
    outcome = "no error"
except RecursionError as error:
    outcome = f"RecursionError ({error})"
print(f"recursive walk on 5,000 ops: {outcome}")

y.backward()
print(f"backward() on the same chain: dy/dx = {x.grad:.10f}   (1.0001^5000 = {1.0001 ** 5000:.10f})")
assert outcome.startswith("RecursionError")
assert math.isclose(x.grad, 1.0001 ** 5000, rel_tol=1e-11)    # 5,000 roundings of about 1e-16 each, at most


# %% [markdown]
# ## 2. When is a graph freed?
#
# A node refers to its operands and to nothing else: no node refers back to a node made after it, and there are no
# closures that capture their node. So a graph contains no *reference cycle*, and CPython's reference counting frees
# all of it the moment the last name pointing at its output goes away.
#
# CPython also has a second, *cyclic* garbage collector for the objects that reference counting cannot free (a
# cycle keeps its own counts above zero). Every so often it scans every object it tracks, and every `Value` is such
# an object, so while a big graph grows the collector scans it again and again, and finds nothing. The cell below
# switches that collector off with `gc_paused()`, builds a chain of 200,000 ops and drops it: a weak reference to the
# output (one that does not keep it alive) is dead at once, so reference counting alone freed it. It also counts the
# collections the collector runs while the same chain is built with the collector on, and times both builds.

# %%
def build_and_drop(n):
    # collections run while a chain of n ops is built and backpropagated, whether it is freed at once, and the time
    before = sum(generation["collections"] for generation in gc.get_stats())
    start = time.perf_counter()
    y = Value(0.5)
    for _ in range(n):
        y = y * 1.0
    y.backward()
    seconds = time.perf_counter() - start
    after = sum(generation["collections"] for generation in gc.get_stats())
    output = weakref.ref(y)
    del y
    return after - before, output() is None, seconds


with gc_paused():
    paused_collections, freed, paused_seconds = build_and_drop(200_000)
running_collections, _, running_seconds = build_and_drop(200_000)
print(f"collector paused:  {paused_collections} collections; the chain freed by reference counting alone: {freed}")
print(f"collector running: {running_collections} collections, each scanning nodes that can never be garbage")
print(f"on this run: {1e9 * paused_seconds / 200_000:.0f} ns per op paused, {1e9 * running_seconds / 200_000:.0f} ns per "
      "op running (a timing: it varies)")
assert freed and paused_collections == 0
assert running_collections > 100       # a young collection every 700 or so new objects, at least

# %% [markdown]
# Nothing is lost by pausing: valuegrad's graphs never need the cyclic collector, and it runs again as soon as the
# block ends. The cost of the scanning grows with the graph, because each full collection rescans every node built
# so far. The README's *Performance* section measures it on a chain of a million ops, table (b): the time per op with
# the collector running and with it paused. The cell below reads those two figures from the README and works out the
# collector's share:

# %%
readme = Path("../README.md").read_text(encoding="utf-8")
table_b = readme[readme.index("(b) a chain of N ops") :]


def per_op_at_a_million(row_name):
    # the N = 10⁶ column of a row of table (b), in nanoseconds
    row = next(line for line in table_b.splitlines() if re.match(rf"{re.escape(row_name)}\s{{2,}}\d", line))
    cells = re.findall(r"(\d+(?:\.\d+)?) (ns|µs)", row)
    number, unit = cells[3]
    return float(number) * (1000.0 if unit == "µs" else 1.0)


running, paused = per_op_at_a_million("valuegrad"), per_op_at_a_million("valuegrad, gc paused")
share = (running - paused) / running
print(f"README, a chain of 10⁶ ops: {running:.0f} ns per op with the collector running, {paused:.0f} ns paused: "
      f"the collector takes {share:.0%} of the time")
assert 0.5 < share < 0.62

# %% [markdown]
# About half the time of a long build-and-backward (51% by the README's figures, as computed above) goes to the
# collector scanning nodes that can never be garbage.
# That is why `nn.fit` pauses it during each training step (the README measures `python -m nn train` about 15–18%
# faster for it).
#
# Graphs that *do* contain cycles are another matter. micrograd stores each node's backward rule as a closure, a
# small function that refers to the node itself, and the node refers to the closure: every node is in a cycle. Such a
# graph is not freed when you drop it; it waits for the cyclic collector. Here is that design in a few lines, checked
# with a weak reference:

# %%
class ClosureNode:
    # a node that keeps its backward rule as a closure over itself, as micrograd's Value does
    def __init__(self, data, parents=()):
        self.data, self.grad, self.parents = data, 0.0, parents

        def backward_rule():
            for parent in self.parents:          # the closure refers to self: node -> rule -> node
                parent.grad += self.grad

        self.backward_rule = backward_rule


with gc_paused():
    leaf = ClosureNode(1.0)
    node = ClosureNode(2.0, (leaf,))
    watch_node, watch_value = weakref.ref(node), weakref.ref(Value(2.0) * 3.0)
    del node
    still_alive = watch_node() is not None       # reference counting alone could not free it
    value_freed = watch_value() is None          # a valuegrad node with no name left: already gone
gc.collect()
print(f"closure node alive after del: {still_alive}; freed by gc.collect(): {watch_node() is None}; "
      f"valuegrad's node freed at once: {value_freed}")
assert still_alive and watch_node() is None and value_freed


# %% [markdown]
# ## 3. Record once, replay: the same step without building a graph
#
# Every training step of notebook 04 did the same three things: run the model on the data, which builds a graph of `Value`
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
# Python `if` is not an op. It runs once, while recording, and the tape keeps only the branch it took.
#
# A small example: the absolute error $|w x - t|$, written with an `if` and with `abs()`. Both are recorded at
# $x = 3,\ t = 1$, where the error $w x - t = 2$ is positive, and then replayed at other points. The `if` is written
# twice: once on the Value (`e >= 0`) and once on its number (`e.data >= 0`).

# %%
w_abs = Value(1.0)

def abs_error_with_if(x, t):
    e = w_abs * x - t
    if e >= 0:                 # a decision on the Value: the tape notes it, with this line
        return e
    return -e

def abs_error_with_data(x, t):
    e = w_abs * x - t
    if e.data >= 0:            # a decision on a plain float: invisible to the tape
        return e
    return -e

def abs_error_with_op(x, t):
    return abs(w_abs * x - t)  # abs is an op: its formula runs again on every replay

tape_if = record(abs_error_with_if, 3.0, 1.0)
tape_data = record(abs_error_with_data, 3.0, 1.0)
tape_op = record(abs_error_with_op, 3.0, 1.0)
print("guards of the three tapes:", len(tape_if.plan.guards), len(tape_data.plan.guards), len(tape_op.plan.guards))
for x, t in [(3.0, 1.0), (0.0, 1.0), (-2.0, 1.0)]:
    truth = abs_error_with_if(Value(x), t).data     # without a tape, the if runs again
    try:
        with_if = tape_if.forward(x, t)
    except GuardError as error:
        with_if = "GuardError"
    print(f"x = {x:4}, t = {t}: |wx - t| = {truth};  tape with if: {with_if:>10};  "
          f"with .data: {tape_data.forward(x, t):5};  with abs(): {tape_op.forward(x, t)}")
    assert tape_op.forward(x, t) == truth
assert tape_data.forward(0.0, 1.0) == -1.0          # it kept the branch "e >= 0": a negative absolute error

# %% [markdown]
# The `if` on the Value is **guarded**. While `record` runs, every decision that Python takes on a Value through the
# Value is noted, with the file and line that took it: comparisons (and so `max` and `min`), `bool(x)`, `int(x)`,
# `float(x)`, `round(x)`, indexing a list with `x`, and `format(x, ".3f")`. A replay checks them all before it gives
# a number, and if one goes the other way it raises `GuardError`, which names the line, and changes no `.grad`:

# %%
try:
    tape_if(0.0, 1.0)
except GuardError as error:
    message = re.sub(r"\S*ipykernel_\S+?\.py", "<the cell above>", f"GuardError: {error}")  # Jupyter's name for a cell
    print(textwrap.fill(message.replace(os.getcwd() + os.sep, ""), 110))
else:
    raise AssertionError("the guard should have refused")

# %% [markdown]
# The `if` on `.data` is **not** guarded, and cannot be: `e.data` is a plain float, and what Python does with a
# float is out of the tape's sight. Its tape replays the recorded branch and gives $-1$ for an absolute error, and
# nothing warns. So the rule for a function you record: never read `.data` to take a decision or to make a
# constant. Compare the Value itself, which is safe, or better, use an op that decides on every replay (`abs`,
# `relu`, `logsumexp`), which needs no guard and no second tape.
#
# A guard that fails means "this tape does not fit these numbers": record again. `autograd.compiled` does that for
# you. It wraps the function in a step that records on its first call, keeps the tape, replays it while its guards
# hold, and records again when one fails, keeping both tapes (and one per structure of arguments, such as a list
# of another length), up to `max_tapes` of them:

# %%
step_if = autograd.compiled(abs_error_with_if)
for x, t in [(3.0, 1.0), (2.0, 1.0), (0.0, 1.0), (-2.0, 1.0), (5.0, 1.0)]:
    w_abs.grad = 0.0
    loss = step_if(x, t)
    grad = w_abs.grad
    w_abs.grad = 0.0
    normal = abs_error_with_if(Value(x), t)
    normal.backward()
    print(f"x = {x:4}: loss {loss}, dloss/dw {grad:5}   (tapes recorded so far: {step_if.recordings})")
    assert loss == normal.data and grad == w_abs.grad
assert step_if.recordings == 2 and len(step_if.tapes) == 2

# %% [markdown]
# Two recordings for five calls: the first, and the first point where the error is negative. The same rule
# explains two things about losses.
#
# - **Class labels.** `cross_entropy(logits, 2)` takes the logit of class 2: the label is used as a list index,
#   which is a Python decision. While recording, every number in the arguments is an input `Value`, and
#   `cross_entropy` wants a Python int for a label, so `record` refuses with a TypeError that says what to do instead.
#   Give each target as a one-hot vector of floats, such as `[0.0, 0.0, 1.0]`, which `cross_entropy` also accepts:
#   the loss is then $\operatorname{logsumexp}(z) - \sum_k t_k z_k$, plain arithmetic on the target's numbers, which
#   can be inputs. For a one-hot target it is the same loss, to the last bit. (Or pick the logit with
#   `autograd.take(logits, label)`: a lookup whose index the tape reads on every replay.)
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
# ### Lookups by a token: `take`, and a GPT in microgpt's style
#
# A language model looks up a row of its embedding table by a token, `wte[token]`, and picks the target's logit,
# `logits[target]`. Recorded with the tokens as inputs, both are decisions on the data: indexing a list with an
# input Value is guarded, so each new token would need a new tape. `autograd.take(rows, i)` makes the lookup an
# op instead. Its node keeps the index as an operand that the tape reads on every replay (in Python and in C), and
# its gradient goes to the row it chose, as plain indexing would send it. One tape then serves every token:

# %%
wte = [[Value(0.1 * (3 * t + c)) for c in range(2)] for t in range(5)]   # 5 tokens, 2 numbers each

def bigram_loss(tokens):
    loss = Value(0.0, requires_grad=False)
    for here, there in zip(tokens, tokens[1:]):
        logits = [dot(row, take(wte, here)) for row in wte]             # the row of `here`, by lookup
        loss = loss + logsumexp(logits) - take(logits, there)           # the target's logit, by lookup
    return loss

lookup_tape = record(bigram_loss, [0, 1, 2])
for tokens in ([0, 1, 2], [4, 4, 3], [2, 0, 4]):                        # tokens never seen while recording
    for p in (p for row in wte for p in row):
        p.grad = 0.0
    normal = bigram_loss(tokens)
    normal.backward()
    grads = [p.grad for row in wte for p in row]
    for p in (p for row in wte for p in row):
        p.grad = 0.0
    replayed = lookup_tape(tokens)
    print(f"tokens {tokens}: loss {replayed:.6f}, the same as the engine's: {replayed == normal.data}")
    assert replayed == normal.data and [p.grad for row in wte for p in row] == grads

# %% [markdown]
# `benchmarks/microgpt_style.py` is a whole GPT written this way, in the style of Karpathy's microgpt: one document
# (a word of the Zen of Python) at a time, `take` for the lookups, `logsumexp` for softmax's shift (read off
# `.data`, the shift would be a constant of the tape), and its own Adam. Run eagerly, each document builds its graph
# and calls `backward()`. Compiled, the loop changes in five lines: `step = compiled(loss_fn, backend="c",
# params=..., rule=AdamRule(...))` once, then `step(tokens)`, `step.update(lr)` and `step.zero_grad()` for each
# document, and `step.sync()` at the end. Each document length gets one tape, replayed in C, and the parameters and
# Adam's state stay in C between documents (`AdamRule` is the program's Adam arithmetic, in C). The losses and the
# final parameters are the same to the bit. Benchmark (g) (`python benchmarks/run.py --only g`) times it: with
# 4,128 parameters and context 16, a document's step took 105 ms eagerly and 0.53 ms compiled to C (197×, on a
# quiet machine; 298× in processor time in a run under load), beside 2.9 ms for the same model in PyTorch tensors.
# Recording and compiling the 13 tapes (one per length) took 81 s, as much as 780 eager steps.

# %% [markdown]
# ### Training with a tape
#
# Finally, a whole training run on a tape, with micrograd's recipe: `MLP(2, [16, 16, 1])`, the hinge loss with
# labels $\pm 1$ plus the L2 penalty, and 100 steps of full-batch gradient descent, with a learning rate that falls
# in a straight line from 1.0 to 0.1 (`LinearDecay`). The data are the 120 training points of notebook 04's moons,
# and its 40 test points are kept aside. The loop is the usual one, with `tape(X, Y)` where the forward pass and
# `loss.backward()` were.

# %%
X, y = make_moons(n=160, noise=0.12, seed=1)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
gx = [-1.6 + 4.2 * i / 39 for i in range(40)]
gy = [-1.2 + 2.9 * j / 39 for j in range(40)]
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
ax_loss.plot(range(1, 101), tape_losses, label="loss of each replayed step")
ax_loss.set(xlabel="step", ylabel="hinge loss + L2", yscale="log", title="100 replayed steps")
ax_loss.legend(fontsize=9)
with no_grad():
    zz = [[tape_model((a, c)).data for a in gx] for c in gy]
ax_map.contourf(gx, gy, zz, levels=[min(min(r) for r in zz) - 1, 0.0, max(max(r) for r in zz) + 1],
                cmap="coolwarm", alpha=0.35)
ax_map.contour(gx, gy, zz, levels=[0.0], colors="k", linewidths=1)
ax_map.scatter([p[0] for p in X_test], [p[1] for p in X_test], c=y_test, cmap="coolwarm", s=14,
               edgecolors="k", linewidths=0.3)
ax_map.set(title="decision boundary, test points", xlabel="x₁", ylabel="x₂")
ax_map.plot([], [], "k", lw=1, label="decision boundary")
ax_map.legend(fontsize=9, loc="lower left")
fig.tight_layout()
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
# ## 4. `detect_anomaly()`: where did the `nan` come from?
#
# Floating point has no exceptions for $\infty$ and `nan`; they spread silently. Take $y = \sqrt{x} \cdot 0$ at
# $x = 0$. Its value is a harmless $0$, and mathematically $y = 0$ for every $x \ge 0$, so $dy/dx = 0$. But the
# chain rule multiplies the local derivative of the square root, $\frac{1}{2\sqrt{x}} = \infty$ at $0$, by the
# incoming gradient $0$, and in IEEE 754 arithmetic $\infty \cdot 0 = \text{nan}$:

# %%
x = Value(0.0)
y = x**0.5 * 0.0
y.backward()
print(f"y = {y.data}, x.grad = {x.grad}")
assert y.data == 0.0 and math.isnan(x.grad)

# %% [markdown]
# No error, just a `nan` that would poison every later training step. Under `with detect_anomaly():` every op
# checks its result, `backward()` checks every gradient it pushes, and the first `nan` raises `AnomalyError`. The
# message names the op (`'pow'`), its inputs, the two factors whose product was `nan`, and the file and line of
# *your* code that created the node. In a script that is your `.py` file; in a notebook it is a temporary file that
# the kernel makes for each cell, so below we print it as `<this cell>` to keep the output the same on every run.

# %%
this_cell = inspect.currentframe().f_code.co_filename
try:
    with detect_anomaly():
        x = Value(0.0)
        y = x**0.5 * 0.0          # line 5 of this cell: where the 'pow' node is made
        y.backward()
    caught = None
except AnomalyError as error:
    caught = error
message = str(caught).replace(this_cell, "<this cell>")
print(message)
assert "op 'pow'" in message and message.endswith("<this cell>:5")

# A nan in the forward pass is caught as soon as the op returns it
try:
    with detect_anomaly():
        Value(-1.0).log()
except AnomalyError as error:
    print(str(error).replace(this_cell, "<this cell>"))

# %% [markdown]
# ### How it works inside
#
# `detect_anomaly()` switches a mode that each thread (and each asyncio task) keeps for itself, like `no_grad()`.
# While it is on, two things change.
#
# - **Recording an op.** After computing its value, the engine checks it for `nan`, and notes *where* the node was
#   made: it walks up Python's call stack past every frame that belongs to the `autograd` package, and keeps the first
#   file and line outside it, your code, in a table with *weak* keys (`autograd.mode.CREATED`), so that the note
#   vanishes with its node.
# - **`backward()`.** Instead of its tuned loop, `backward()` runs the readable chain rule of `autograd.graph`
#   (`chain_rule`) on a dictionary of gradients, with a check on every product $\text{local} \times \text{incoming}$.
#   At the first `nan` it raises, naming the node's op, its inputs and the factors, with the place the node was made.
#   Because the gradients live in a dictionary until the end, a failed `backward()` changes no `.grad` at all.
#
# The cell below checks each of these: the mode is on only inside the block, each node is noted with this cell's
# line, and after the error every `.grad` is as it was before.

# %%
this_cell = inspect.currentframe().f_code.co_filename
assert not is_anomaly_enabled()
w, x = Value(0.0), Value(0.0)
w.grad = 0.25                                  # a gradient from earlier: it must survive the failed backward()
with detect_anomaly():
    assert is_anomaly_enabled()
    root = x**0.5 * w                          # line 7 of this cell: the pow node and the mul node
    ours = [root, *root.parents]
    where = {node.op: place.replace(this_cell, "<this cell>") for node, place in CREATED.items()
             if any(node is n for n in ours)}
    try:
        root.backward()
        raised = False
    except AnomalyError:
        raised = True
assert not is_anomaly_enabled()
print("where the nodes were made:", where)
print(f"backward() raised: {raised}; w.grad is still {w.grad}, x.grad is still {x.grad}")
assert raised and w.grad == 0.25 and x.grad == 0.0
assert where == {"pow": "<this cell>:7", "mul": "<this cell>:7"}

# %% [markdown]
# The extra work on every op, the stack walk and the dictionary-based backward pass make this mode several times
# slower, so switch it on to hunt a `nan`, not while training normally. The timing below is of one run and varies:

# %%
def small_step():
    model = MLP(4, [8, 1], seed=0)
    loss = hinge_loss([model([0.1 * i, -0.2, 0.3, 0.05 * i]) for i in range(20)], [1.0, -1.0] * 10)
    loss.backward()


start = time.perf_counter()
small_step()
normal_seconds = time.perf_counter() - start
start = time.perf_counter()
with detect_anomaly():
    small_step()
anomaly_seconds = time.perf_counter() - start
print(f"a small training step: {1e3 * normal_seconds:.1f} ms normally, {1e3 * anomaly_seconds:.1f} ms under detect_anomaly()")


# %% [markdown]
# ## Summary
#
# - Every walk over a graph keeps its own stack. A recursive walk uses one Python frame per level and fails near
#   1,000 levels; valuegrad's `backward()` handled a 5,000-op chain (and handles a million).
# - A node refers only to its operands, so a graph has no reference cycle and reference counting frees it as soon as
#   it is dropped. The cyclic collector would only rescan it uselessly: about half the time on a million-op chain
#   (51% by the README's figures, computed in section 2). `gc_paused()` pauses it, and `fit` does so around each step. A node that keeps a
#   closure over itself, as micrograd's do, is in a cycle and waits for the collector.
# - `record(loss_fn, X, Y)` keeps a training step's ops as straight-line code on floats; `tape(X, Y)` replays the
#   forward and backward passes on new inputs and on the parameters' current values, with the same loss and
#   gradients as `backward()` to the last bit, several times faster. A tape replays ops, not Python: a decision on
#   `.data` (an `if`, a class index, a constant read off a number) is fixed at record time, so write it with ops
#   (`abs`, `relu`, `logsumexp`) and give class targets as one-hot vectors. A batch of another size needs its own
#   tape.
# - `detect_anomaly()` checks every op's value and every product of the backward pass, notes where each node was
#   made, and names the op and the line where a `nan` is born; a failed `backward()` leaves every `.grad` unchanged.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell; `hint("09.1")` helps, and `solution("09.1")` shows a worked
# answer once you have tried.
#
# **09.1 `sum` is a chain.** Python's `sum(values)` adds one term at a time. For 10,000 `Value`s `xs`, how many op
# nodes does the graph of `sum(xs)` have, all in one chain, and how many does `autograd.sum_values(xs)` have? Check
# with `len(topological_order(..., include_leaves=False))`, and try `recursive_order` of section 1 on both.

# %%
answer_09_1 = (..., ...)     # (op nodes of sum(xs), op nodes of sum_values(xs))
check("09.1", answer_09_1)

# %% [markdown]
# **09.2 When does the `if` go wrong?** Record `abs_error_with_if` of section 3 at $x = 3,\ t = 1$ (with
# $w = 1$), then replay it with $t = 1$ at each of $x = -2, -1, 0, 0.5, 1, 2, 3$. For which of these $x$ does the
# tape give a different answer from $|wx - t|$? Give them as a set.

# %%
answer_09_2 = ...     # a set of x values
check("09.2", answer_09_2)

# %% [markdown]
# **09.3 One tape per batch size.** A tape recorded on a batch of 32 points is given a batch of 24. What happens?
# Give the type of the exception it raises (the class itself, such as `TypeError`), then read its message.

# %%
answer_09_3 = ...     # an exception class
check("09.3", answer_09_3)

# %% [markdown]
# **09.4 Predict, then run.** For `x = Value(0.0)`, `(abs(x) ** 0.5).backward()` and `((x * x) ** 0.5).backward()`
# both leave `x.grad` equal to `nan`. Under `detect_anomaly()`, which op does the error name in each case? Give the
# two op names as a pair of strings, such as `("pow", "pow")`. (Is the true derivative of either function defined at
# $0$?)

# %%
answer_09_4 = (..., ...)
check("09.4", answer_09_4)
