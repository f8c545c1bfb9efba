# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Graduating to PyTorch: the same model, the same numbers
#
# **What you will learn**
#
# - how a valuegrad `MLP` and a PyTorch `nn.Sequential` are the same network: which number of one is which
#   number of the other, and how `nn.to_torch` and `MLP.from_torch` move a model across;
# - that they compute the same outputs and the same gradients, checked to 1e-12 and 1e-10;
# - how to train the same model side by side in both, from the same weights on the same data, and get the same
#   loss curve step for step;
# - a dictionary from every valuegrad idea to its PyTorch name: `Value`, `backward`, `no_grad`, `grad`, `record`,
#   the optimizers and the losses;
# - what vectorisation buys: one PyTorch step against valuegrad's step, measured on this machine;
# - how `python -m nn export` turns a saved model into a standalone PyTorch script;
# - what to read next.
#
# PyTorch is an optional extra of valuegrad (`pip install "valuegrad[torch]"`). Everything is seeded, so the
# numbers are the same on every run, except the timings. The notebook runs in about half a minute.

# %%
# %matplotlib inline
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F

from autograd import Value, grad, no_grad, record
from autograd.graph import topological_order
from nn import MLP, Adam, binary_cross_entropy, fit, to_torch
from exercises import check, hint, solution
from nn.data import make_moons, train_test_split

plt.rcParams["figure.dpi"] = 110
torch.set_num_threads(1)   # a fair comparison with valuegrad, which uses one core
print("torch", torch.__version__)

# %% [markdown]
# ## 1. One network, two libraries
#
# valuegrad builds a network from `Value`s, one number each: a `Layer` of 16 neurons reading 2 inputs holds
# 16 × 2 weights and 16 biases as 48 separate Values. PyTorch keeps the same 48 numbers in two tensors: a weight
# **matrix** of shape 16 × 2, whose row $j$ holds neuron $j$'s weights, and a bias vector of 16. The layer's
# activation is a module of its own. So
#
# $$\texttt{Layer(2, 16, "relu")} \;=\; \texttt{Linear(2, 16)}\ \text{then}\ \texttt{ReLU()},
# \qquad \text{both computing } \operatorname{relu}(W x + b).$$
#
# `nn.to_torch` copies a model into these modules. It works at float64 by default, because valuegrad's numbers are
# Python floats, which are float64 (PyTorch's own default is float32).

# %%
model = MLP(2, [16, 16, 1], init="he", seed=0)
net = to_torch(model)
print(model)
print(net)

layer, linear = model.layers[0], net[0]
print("valuegrad, neuron 3 of layer 0:", [round(w.data, 6) for w in layer.neurons[3].w], round(layer.neurons[3].b.data, 6))
print("PyTorch,   row 3 of net[0]:    ", [round(w, 6) for w in linear.weight[3].tolist()], round(linear.bias[3].item(), 6))
assert linear.weight.shape == (16, 2) and linear.bias.shape == (16,)
assert linear.weight.tolist() == [[w.data for w in n.w] for n in layer.neurons]   # copied exactly
assert sum(p.numel() for p in net.parameters()) == len(model.parameters()) == 337

# %% [markdown]
# Now the data: the two moons, split exactly as `python -m nn train` splits them. valuegrad runs the model once per
# sample, a list of two numbers in and one Value out. PyTorch runs it once on a **tensor** holding every sample as
# a row, shape (224, 2), and returns a (224, 1) tensor. The numbers agree to rounding: PyTorch adds up $W x$ in a
# different order, which can change the last bit.

# %%
X, y = make_moons(300, noise=0.1, seed=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, seed=0, stratify=True)
Xt = torch.tensor(X_train, dtype=torch.float64)
yt = torch.tensor(y_train, dtype=torch.float64)

with no_grad():
    ours = [model(x).data for x in X_train]
with torch.no_grad():
    theirs = net(Xt)[:, 0].tolist()
output_gap = max(abs(a - b) for a, b in zip(ours, theirs))
print(f"{len(ours)} samples; the largest difference in the outputs: {output_gap:.1e}")
assert len(X_train) == 224 and output_gap <= 1e-12

# %% [markdown]
# ## 2. `backward` is `backward`
#
# Take the binary cross-entropy of all 224 outputs, one number, and backpropagate it in both libraries. In
# valuegrad every weight's `.grad` is a float on its Value; in PyTorch `linear.weight.grad` is a tensor of the
# same shape as the weight, so $\partial L / \partial w_{ji}$ is `weight.grad[j, i]`. They agree to rounding.

# %%
loss_v = binary_cross_entropy([model(x) for x in X_train], y_train)
model.zero_grad()
loss_v.backward()

loss_t = F.binary_cross_entropy_with_logits(net(Xt)[:, 0], yt)
net.zero_grad()
loss_t.backward()

grad_gap = 0.0
for vg_layer, t_linear in zip(model.layers, net[::2]):
    for j, neuron in enumerate(vg_layer.neurons):
        grad_gap = max(grad_gap, abs(neuron.b.grad - t_linear.bias.grad[j].item()))
        for i, w in enumerate(neuron.w):
            grad_gap = max(grad_gap, abs(w.grad - t_linear.weight.grad[j, i].item()))
print(f"loss: valuegrad {loss_v.data:.15f}, PyTorch {loss_t.item():.15f}")
print(f"the largest difference over all 337 gradients: {grad_gap:.1e}")
assert abs(loss_v.data - loss_t.item()) <= 1e-12
assert grad_gap <= 1e-10

# %% [markdown]
# ## 3. The same model trained side by side
#
# Now train. valuegrad uses `fit`, with Adam at learning rate 0.05 on the whole training set for 100 steps: the
# defaults of `python -m nn train`. PyTorch starts from the same weights (`to_torch` copies them **before**
# valuegrad trains) and runs the loop that `fit` runs, written out: forward, loss, `zero_grad()`, `backward()`,
# `step()`. valuegrad's `Adam` follows `torch.optim.Adam`'s arithmetic, so both make the same updates.

# %%
model = MLP(2, [16, 16, 1], init="he", seed=0)
net = to_torch(model)                                  # the same starting weights, copied

start = time.perf_counter()
history = fit(model, X_train, y_train, binary_cross_entropy, Adam(model.parameters(), lr=0.05), epochs=100,
              progress=False)
valuegrad_seconds = time.perf_counter() - start

optimizer = torch.optim.Adam(net.parameters(), lr=0.05)
torch_losses = []
start = time.perf_counter()
for step in range(100):
    loss = F.binary_cross_entropy_with_logits(net(Xt)[:, 0], yt)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    torch_losses.append(loss.item())
torch_seconds = time.perf_counter() - start

curve_gap = max(abs(a - b) for a, b in zip(history.loss, torch_losses))
weight_gap = max(abs(a.data - b.data) for a, b in zip(MLP.from_torch(net).parameters(), model.parameters()))
print(f"loss after 1 step: {history.loss[0]:.6f}, after 100: {history.loss[-1]:.6f} (valuegrad)")
print(f"the largest difference between the two loss curves over 100 steps: {curve_gap:.1e}")
print(f"the largest difference between the trained weights: {weight_gap:.1e}")
print(f"100 steps took {valuegrad_seconds:.2f} s in valuegrad and {torch_seconds:.3f} s in PyTorch")
assert len(history.loss) == len(torch_losses) == 100
assert history.loss[-1] < 0.1 * history.loss[0]        # both learned
assert curve_gap <= 1e-10
assert weight_gap <= 1e-9

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.4))
steps = range(1, 101)
ax1.plot(steps, history.loss, lw=3, alpha=0.5, label="valuegrad (fit)")
ax1.plot(steps, torch_losses, "k--", lw=1, label="PyTorch (the same loop)")
ax1.set(yscale="log", xlabel="step", ylabel="training loss (binary cross-entropy)", title="Two libraries, one curve")
ax1.legend()
gaps = [max(abs(a - b), 1e-18) for a, b in zip(history.loss, torch_losses)]
ax2.plot(steps, gaps, "o", ms=2.5, color="crimson", label="|valuegrad − PyTorch|")
ax2.axhline(1e-10, color="gray", lw=0.8, ls=":", label="the tolerance, 1e-10")
ax2.set(yscale="log", ylim=(1e-19, 1e-8), xlabel="step", ylabel="absolute difference",
        title="How far apart they are (0 is drawn at 1e-18)")
ax2.legend(loc="upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# The two curves lie on top of each other: the differences are rounding, around $10^{-16}$, and they do not grow
# over these 100 steps. That needs the same starting weights, the same data, the same loss and optimizer, and
# float64 on both sides. With minibatches it also needs the **same order** of samples: `fit` shuffles with
# Python's `random`, and a PyTorch `DataLoader` draws its own permutation, which would give other numbers from the
# first step on (exercise 08.1).
#
# The way back is exact too: `MLP.from_torch(net)` reads a `Sequential` into an `MLP`, and a round trip
# valuegrad → PyTorch → valuegrad gives every weight back to the last bit. It reads only what an MLP can be, and
# says exactly what it cannot read:

# %%
assert [p.data for p in MLP.from_torch(to_torch(model)).parameters()] == [p.data for p in model.parameters()]

not_an_mlp = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.GELU(), torch.nn.Linear(8, 1))
try:
    MLP.from_torch(not_an_mlp)
except ValueError as e:
    message = str(e)
print(message)
assert "layer 1 (GELU) is not supported" in message

# %% [markdown]
# ## 4. A dictionary: valuegrad → PyTorch
#
# | valuegrad | PyTorch | note |
# |---|---|---|
# | `Value(2.0)` | `torch.tensor(2.0, dtype=torch.float64, requires_grad=True)` | a Value is one number; a tensor is many, and a 0-d tensor is one |
# | `v.data`, `v.grad` | `t.detach()` (or `t.item()`), `t.grad` | |
# | `loss.backward()` | `loss.backward()` | leaf gradients **accumulate** in both |
# | `model.zero_grad()` | `optimizer.zero_grad()` | PyTorch sets them to `None` by default, not 0 |
# | `with no_grad():` | `with torch.no_grad():` | no graph is recorded |
# | `v.detach()` | `t.detach()` | the same number, cut from the graph |
# | `grad(y, x, create_graph=True)` | `torch.autograd.grad(y, x, create_graph=True)` | derivatives as a graph, for higher orders |
# | `gradcheck`, `detect_anomaly()` | `torch.autograd.gradcheck`, `torch.autograd.detect_anomaly()` | |
# | `record(fn, *args)` → a tape | `torch.jit.trace(fn, example_inputs)` | trace once, then run the straight-line code fast; a Python `if` is frozen at tracing time in both |
# | `Layer(nin, nout, act)` | `nn.Linear(nin, nout)` + `nn.ReLU()` / `Tanh()` / `Sigmoid()` | |
# | `MLP(nin, [...])` | `nn.Sequential(...)` | `to_torch` and `MLP.from_torch` convert |
# | `model.parameters()`, `state_dict()` | `net.parameters()`, `net.state_dict()` | one number per name, against one tensor per name |
# | `model.save("m.json")` | `torch.save(net.state_dict(), "m.pt")` | JSON, against a zip of tensors |
# | `SGD`, `Adam`, `Adam(decoupled=True)` | `torch.optim.SGD`, `Adam`, `AdamW` | the same arithmetic, step for step |
# | `LinearDecay(opt, start, end, steps)` | `torch.optim.lr_scheduler.LinearLR(opt, 1.0, end / start, steps)` | with the optimizer's lr set to `start` |
# | `mse_loss`, `binary_cross_entropy`, `cross_entropy` | `F.mse_loss`, `F.binary_cross_entropy_with_logits`, `F.cross_entropy` | each a mean over the batch |
# | `hinge_loss` | `torch.relu(1 - y * s).mean()` | PyTorch has no plain hinge loss |
#
# The cell below checks four rows of it on one small function, $f(x) = \tanh(x) \cdot x^2$ at $x = 0.7$: the value,
# accumulation over two `backward()` calls, `no_grad`, and the second derivative.

# %%
x_v = Value(0.7)
x_t = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
f_v = x_v.tanh() * x_v**2
f_t = torch.tanh(x_t) * x_t**2
assert abs(f_v.data - f_t.item()) <= 1e-15

f_v.backward()
f_v.backward()                 # twice: the leaf's gradient accumulates, in both libraries
f_t.backward(retain_graph=True)
f_t.backward()
print(f"f'(0.7) twice: valuegrad {x_v.grad:.12f}, PyTorch {x_t.grad.item():.12f}")
assert abs(x_v.grad - x_t.grad.item()) <= 1e-14

with no_grad():
    g_v = x_v * 3
with torch.no_grad():
    g_t = x_t * 3
assert g_v.parents == () and not g_v.requires_grad   # nothing recorded
assert g_t.grad_fn is None and not g_t.requires_grad

(d1_v,) = grad(x_v.tanh() * x_v**2, x_v, create_graph=True)
(d2_v,) = grad(d1_v, x_v)
(d1_t,) = torch.autograd.grad(torch.tanh(x_t) * x_t**2, x_t, create_graph=True)
(d2_t,) = torch.autograd.grad(d1_t, x_t)
print(f"f''(0.7): valuegrad {d2_v.data:.12f}, PyTorch {d2_t.item():.12f}")
assert abs(d2_v.data - d2_t.item()) <= 1e-13

# %% [markdown]
# `record` and `torch.jit.trace` answer the same problem, Python's overhead per operation, the same way: run the
# function once on example inputs while watching which ops it does, then replay that straight-line list of ops on
# new inputs. They share a pitfall too: a Python `if` on a number is decided once, at tracing time, and the trace
# keeps only the branch it took, so a replay on inputs that would have taken the other branch gives a wrong number
# without an error (notebook 09, section 3, shows it for `record`; `torch.jit.trace` at most prints a warning).
# `torch.compile` is the more careful relative: it *guards* on the values it specialised on and recompiles, or falls
# back to ordinary Python, when a guard fails, so it stays correct. It generates C++ or GPU kernels, which takes tens
# of seconds the first time, so it is not run here.

# %% [markdown]
# ## 5. What vectorisation buys
#
# The two libraries trained the same model with the same arithmetic, so where does PyTorch's speed come from? Not
# from a different algorithm: valuegrad's step creates one Python object per operation on one number (counted
# below) and walks them one by one, while PyTorch's step is a dozen operations, each on a whole (224 × 16) matrix,
# running in compiled loops. That is **vectorisation**: the same work, in few big operations
# instead of many small ones. Below, one training step (forward, loss, backward) on the same 224 samples is timed
# three ways: valuegrad building a graph, valuegrad replaying a recorded tape (no graph built, the number-by-number
# work remains), and PyTorch. The ratios are measured on this machine and change from run to run; they are printed,
# not asserted.

# %%
def median_seconds(step, repeats):
    step()   # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def valuegrad_step():
    model.zero_grad()
    binary_cross_entropy([model(x) for x in X_train], y_train).backward()


def loss_of(xs, ys):
    return binary_cross_entropy([model(x) for x in xs], ys)


tape = record(loss_of, X_train, y_train)


def replay_step():
    model.zero_grad()
    tape(X_train, y_train)


def torch_step():
    net.zero_grad()
    F.binary_cross_entropy_with_logits(net(Xt)[:, 0], yt).backward()


nodes = len(topological_order(loss_of(X_train, y_train)))
print(f"valuegrad's graph for one step on {len(X_train)} samples: {nodes:,} nodes; PyTorch's: a dozen operations")

timings = {
    "valuegrad, a graph per step": median_seconds(valuegrad_step, 5),
    "valuegrad, replayed tape": median_seconds(replay_step, 5),
    "PyTorch, vectorised": median_seconds(torch_step, 50),
}
for name, seconds in timings.items():
    ratio = timings["valuegrad, a graph per step"] / seconds
    print(f"{name:30s} {seconds * 1e3:8.3f} ms per step   {ratio:6.1f}× valuegrad's speed")

# %% [markdown]
# PyTorch's step is faster by a large factor (the last line above gives this run's), and the gap grows with the
# batch (exercise 08.4): PyTorch's cost is mostly a fixed price per operation, valuegrad's is a price per number.
# Replaying a tape removes the graph-building part of valuegrad's cost, but not the number-by-number loop. That is
# the honest summary of scalar autodiff: the best way to **see** backprop, and the wrong way to run it at scale.

# %% [markdown]
# ## 6. A PyTorch script from a saved model
#
# `python -m nn export MODEL.json --to torch OUT` writes the weights as `OUT.pt` (a `state_dict`) and `OUT.py`, a
# standalone PyTorch script that rebuilds the network and loads them. With `--train` the script also trains it the
# way `python -m nn train` does, on the same data (written beside it as `OUT.data.json`) in the same minibatch
# order. Here: the untrained model of section 3, exported, then trained for 5 epochs by the script alone. Its
# losses are the first 5 points of section 3's curve.

# %%
folder = tempfile.mkdtemp(prefix="valuegrad-export-")
MLP(2, [16, 16, 1], init="he", seed=0).save(os.path.join(folder, "initial.json"))
exported = subprocess.run(
    [sys.executable, "-m", "nn", "export", os.path.join(folder, "initial.json"), "--to", "torch",
     os.path.join(folder, "moons"), "--train", "--epochs", "5"],
    capture_output=True, text=True, check=True,
)
print(exported.stdout)
script = open(os.path.join(folder, "moons.py"), encoding="utf-8").read()
start = script.index("def build_model")
print(script[start : script.index("# --- end of what", start)])

ran = subprocess.run([sys.executable, os.path.join(folder, "moons.py")], capture_output=True, text=True, check=True)
print(ran.stdout[ran.stdout.index("epoch 1/5"):])
script_losses = [float(line.split()[3]) for line in ran.stdout.splitlines() if line.startswith("epoch ")]
assert len(script_losses) == 5
assert max(abs(a - b) for a, b in zip(script_losses, history.loss[:5])) <= 1e-10
with open(os.path.join(folder, "moons.data.json"), encoding="utf-8") as f:
    assert json.load(f)["X_train"] == X_train          # the very same numbers

# %% [markdown]
# ## Summary
#
# - A valuegrad `MLP` and a PyTorch `Sequential` of `Linear` and activation modules are the same network: a layer's
#   neurons are the rows of a weight matrix. `nn.to_torch` copies a model across, `MLP.from_torch` copies it back,
#   exactly.
# - At float64 both compute the same outputs (within 1e-12 here) and the same gradients (within 1e-10); trained
#   side by side from the same weights on the same data, their loss curves agree to about $10^{-16}$ over 100 steps.
# - Every valuegrad idea has a PyTorch name: a `Value` is an element of a tensor, `backward` is `backward`,
#   `no_grad` is `torch.no_grad`, `grad` is `torch.autograd.grad`, and `record` is `torch.jit.trace`'s idea
#   (`torch.compile` adds guards that re-trace when a Python decision would change).
# - PyTorch is faster because it is vectorised: a few operations on whole tensors instead of one Python object
#   per number, not a different way of differentiating.
# - `python -m nn export` writes a standalone PyTorch script that rebuilds, loads and trains the model exactly as
#   valuegrad would.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell; `hint("08.1")` helps, and `solution("08.1")` shows a worked
# answer once you have tried.
#
# **08.1 Minibatches.** `fit(..., batch_size=32, seed=0)` shuffles the training set anew each epoch. It makes one
# `random.Random(seed)` for the whole run; each epoch draws `getrandbits(32)` from it as the seed of that epoch's
# shuffle of `range(n)` (`nn.data.batches`), and cuts the shuffled order into slices of `batch_size`. Write
# `epoch_batches(n, batch_size, seed, epochs)`, the list of each epoch's batches of indices. Then train the PyTorch
# loop of section 3 on `Xt[batch]` in that order and watch the curves agree again. What happens with a
# `torch.utils.data.DataLoader(shuffle=True)` instead?

# %%
def epoch_batches(n, batch_size, seed, epochs):
    return ...


check("08.1", epoch_batches)

# %% [markdown]
# **08.2 float32.** Write `float32_gap(model, X)`: the largest absolute difference between the model's outputs on
# the rows of `X` at float64 (`to_torch(model)`) and at float32 (`to_torch(model, torch.float32)`, with float32
# data). Then train both versions for 100 steps: how does the gap between their loss curves grow?

# %%
def float32_gap(model, X):
    return ...


check("08.2", float32_gap)

# %% [markdown]
# **08.3 Beyond an MLP.** Put a `torch.nn.LayerNorm(16)` after the first `ReLU` of `net`. How many parameters does it
# add, and which exception does `MLP.from_torch` raise when asked to read the result? Give
# `(number_of_parameters, "ExceptionName")`, and read the error's message: why can an `MLP` not hold it?

# %%
answer_08_3 = (..., ...)
check("08.3", answer_08_3)

# %% [markdown]
# **08.4 The price per number.** valuegrad's step on $n$ samples (section 5) builds a graph of $a\,n + b$ nodes.
# Count them for two values of $n$ (`len(topological_order(loss))`) and give `(a, b)`. Then time `valuegrad_step`
# and `torch_step` on 25, 224 and 2,000 samples and plot the time per sample of each: which one is nearly flat,
# and why?

# %%
answer_08_4 = (..., ...)
check("08.4", answer_08_4)

# %% [markdown]
# **08.5 The dictionary.** Write `torch_schedule(optimizer)`, which returns the
# `torch.optim.lr_scheduler.LinearLR` that does what `LinearDecay(opt, 1.0, 0.1, 100)` does, for an optimizer whose
# learning rate is 1.0. The check steps both for 130 steps and compares the learning rates.

# %%
def torch_schedule(optimizer):
    return ...


check("08.5", torch_schedule)

# %% [markdown]
# ## What to read next
#
# - PyTorch's tutorial *Learn the Basics* (tensors, datasets, `nn.Module`, the training loop), then the note
#   *Autograd mechanics* in the PyTorch documentation: what `requires_grad`, `grad_fn` and `retain_graph` do, with
#   everything in this series as background.
# - The *Introduction to torch.compile* tutorial, to see record-once-replay done with guards and generated kernels.
# - Andrej Karpathy's *Neural Networks: Zero to Hero* lectures: after micrograd they move to PyTorch and build
#   language models (makemore) with the same tools.
# - *Dive into Deep Learning* (d2l.ai), a free book with runnable PyTorch code: convolutional networks, sequence
#   models and attention, the architectures an MLP leads to.
