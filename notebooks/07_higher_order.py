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
# # 07 · Higher-order derivatives, Newton's method, and checking your gradients
#
# **What you will learn**
#
# - what a second derivative means, before any machinery: the slope of the slope, which says whether a curve bends
#   up or down;
# - how `grad(output, inputs, create_graph=True)` turns a derivative into a graph of its own, so that it can be
#   differentiated again: second, third and mixed partial derivatives;
# - Newton's method, which uses the second derivative, against gradient descent, which does not: why Newton needs
#   a handful of steps where gradient descent needs a hundred, and where Newton goes wrong;
# - (optional) how `no_grad()` and `.detach()` decide which computations become part of a graph;
# - how `gradcheck` tests a derivative against finite differences, and catches a custom op with a wrong derivative;
# - the contract that every op's formula follows, and how to write your own op with `apply`.
#
# Sections marked "(optional)" can be skipped on a first reading. Nothing here is random, but we seed Python's
# generator anyway; the outputs are the same on every run, and the whole notebook runs in a few seconds. (How
# `detect_anomaly()` finds the op where a `nan` is born is in notebook 09, *Under the hood*.)

# %%
# %matplotlib inline
import math
import random

import matplotlib.pyplot as plt

from autograd import GradcheckError, Value, apply, grad, gradcheck, gradgradcheck, no_grad
from autograd.graph import topological_order
from autograd.ops import Op
from exercises import check, hint, solution

plt.rcParams["figure.dpi"] = 110
random.seed(0)

# %% [markdown]
# ## 1. The slope of the slope
#
# Notebook 01 nudged an input and watched the output move: the derivative $f'(x)$ says how fast $f$ changes. Now nudge
# the input and watch the **slope** change. How fast $f'$ changes is the **second derivative** $f''(x)$, the slope of
# the slope. It says how the curve *bends*:
#
# - $f''(x) > 0$: the slope is increasing, so the curve bends upwards, like the bottom of a valley;
# - $f''(x) < 0$: the slope is decreasing, so the curve bends downwards, like the top of a hill;
# - a point where $f'(x) = 0$ is flat; $f''$ tells you whether it is a valley (a minimum) or a hill top (a maximum).
#
# Take $f(x) = x^4 - 3x^2 + x$, the function section 4 minimises. By the power rule $f'(x) = 4x^3 - 6x + 1$ and,
# differentiating again, $f''(x) = 12x^2 - 6$. Below, the slope $f'$ comes from `backward()` at each point, as in
# notebook 02, and the slope of the slope is found the way notebook 01 found slopes: by nudging $x$ and watching $f'$
# move. Both agree with the formulas.

# %%
def f(x):
    return x**4 - 3 * x**2 + x


def slope(x0):
    # f'(x0) from backward(), as a float
    x = Value(x0)
    f(x).backward()
    return x.grad


xs = [-2 + 4 * i / 200 for i in range(201)]
h = 1e-4
slopes = [slope(x) for x in xs]
bends = [(slope(x + h) - slope(x - h)) / (2 * h) for x in xs]      # nudge x, watch the slope move
assert all(math.isclose(s, 4 * x**3 - 6 * x + 1, rel_tol=1e-12, abs_tol=1e-12) for s, x in zip(slopes, xs))
assert all(abs(b - (12 * x**2 - 6)) < 1e-6 for b, x in zip(bends, xs))
flat = [xs[i] for i in range(len(xs) - 1) if slopes[i] * slopes[i + 1] < 0]   # where f' changes sign
print("f' = 0 near x =", [round(x, 2) for x in flat], "where f'' is", [round(12 * x * x - 6, 2) for x in flat])
assert len(flat) == 3 and [12 * x * x - 6 > 0 for x in flat] == [True, False, True]   # minimum, maximum, minimum

fig, axes = plt.subplots(3, 1, figsize=(6.4, 6), sharex=True)
axes[0].plot(xs, [f(x) for x in xs], color="black", label="f(x) = x⁴ − 3x² + x")
axes[1].plot(xs, slopes, color="tab:blue", label="f'(x), from backward()")
axes[2].plot(xs, bends, color="tab:red", label="f''(x), by nudging f'")
for ax, name in zip(axes, ["f(x)", "f'(x)", "f''(x)"]):
    ax.axhline(0, color="gray", lw=0.7)
    ax.axvspan(-math.sqrt(0.5), math.sqrt(0.5), color="tab:red", alpha=0.08)   # where f'' < 0
    ax.set_ylabel(name)
    ax.legend(fontsize=8, loc="upper center")
axes[2].set_xlabel("x")
axes[0].set_title("Where f'' < 0 (shaded) the curve bends down; elsewhere it bends up")
fig.tight_layout()
plt.show()

# %% [markdown]
# Read the three panels from the bottom up. Outside the shaded band $f'' > 0$, so the slope $f'$ rises there and
# the curve bends up: both dips of $f$ lie there, and they are minima. Inside the band, $|x| < 1/\sqrt 2$, $f'' < 0$
# and the curve bends down: the small hump near $x = 0.17$, where $f' = 0$ too, is a maximum. Newton's method
# (section 4) uses exactly this information to jump towards a minimum.
#
# Nudging worked, but it is approximate and needs two extra backward passes per point. valuegrad can compute
# $f''$ exactly, by differentiating the derivative itself. That is the next section.

# %% [markdown]
# ## 2. A derivative is a function too
#
# `y.backward()` fills in numbers: after it, `x.grad` is the float $\frac{dy}{dx}$ at the current point. A float
# has no history, so it cannot be differentiated again.
#
# `grad(y, x)` computes the same derivative but *returns* it, as a `Value`, and leaves every `.grad` alone. With
# `create_graph=True` the backward pass itself is recorded: each op's local partial derivative is rebuilt out of
# `Value` operations, and the chain rule's products and sums are recorded too. The result is a node whose graph
# leads back to `x`, so we can call `grad` on it again.
#
# Take $y = x^3$ at $x = 2$. By hand:
#
# $$
# \frac{dy}{dx} = 3x^2 = 12, \qquad \frac{d^2y}{dx^2} = 6x = 12, \qquad \frac{d^3y}{dx^3} = 6, \qquad
# \frac{d^4y}{dx^4} = 0.
# $$

# %%
x = Value(2.0, label="x")
y = x**3

(dy,) = grad(y, x, create_graph=True)      # 3x²: a Value with a graph of its own
(d2y,) = grad(dy, x, create_graph=True)    # 6x
(d3y,) = grad(d2y, x, create_graph=True)   # 6
(d4y,) = grad(d3y, x)                      # 0
print(f"y = {y.data}   dy/dx = {dy.data}   d²y/dx² = {d2y.data}   d³y/dx³ = {d3y.data}   d⁴y/dx⁴ = {d4y.data}")
print(f"x.grad = {x.grad} (grad() leaves .grad untouched)")

xv = x.data
assert (y.data, dy.data, d2y.data, d3y.data, d4y.data) == (xv**3, 3 * xv**2, 6 * xv, 6.0, 0.0)
assert x.grad == 0.0

# %% [markdown]
# The values are exact here because every step is a product of small integers in floating point.
#
# How does this work? Every primitive op in `autograd/ops.py` has **one** formula that returns its value *and* its
# local partial derivatives, written with the functions of a namespace `M`. For `pow` the partial is
# $\partial (a^b) / \partial a = b\,a^{b-1}$. On the forward pass `M` works on plain floats, and the node stores
# the float $3 \cdot 2^2 = 12$. With `create_graph=True`, `grad` evaluates the same formula with `M` working on
# `Value`s, so the partial `3.0 * x**2.0` becomes a small graph that still reads `x`, and it can be differentiated.
#
# One trap: **without** `create_graph=True` the result of `grad` is a constant. It has no graph, so nothing depends
# on `x`, and `grad` gives $0$ for an input that the output does not depend on. The second derivative is then
# silently $0$, not $12$:

# %%
(dy_plain,) = grad(y, x)                   # no create_graph: a constant with value 12
(wrong,) = grad(dy_plain, x)
print(f"dy_plain = {dy_plain.data}, requires_grad = {dy_plain.requires_grad}; its 'derivative' = {wrong.data}")
assert dy_plain.data == 12.0 and not dy_plain.requires_grad and wrong.data == 0.0


# %% [markdown]
# ## 3. Mixed partial derivatives
#
# With two inputs we can differentiate with respect to one and then the other. Take
#
# $$
# f(x, y) = x^2 y + e^{xy}.
# $$
#
# By hand,
# $\dfrac{\partial f}{\partial x} = 2xy + y\,e^{xy}$ and $\dfrac{\partial f}{\partial y} = x^2 + x\,e^{xy}$, so
#
# $$
# \frac{\partial^2 f}{\partial y\,\partial x} = 2x + e^{xy}(1 + xy) = \frac{\partial^2 f}{\partial x\,\partial y}.
# $$
#
# The two orders agree: for a function whose second partial derivatives are continuous, the order of
# differentiation does not matter (Schwarz's, or Clairaut's, theorem). We check both orders against the formula at
# $(x, y) = (1.5, -0.5)$, and then assemble the whole $2 \times 2$ matrix of second derivatives, the **Hessian**
# $H_{ij} = \partial^2 f / \partial x_i \partial x_j$.

# %%
def f2(x, y):
    return x * x * y + (x * y).exp()

x, y = Value(1.5), Value(-0.5)
out = f2(x, y)
fx, fy = grad(out, [x, y], create_graph=True)   # both first derivatives, one backward pass
(fxy,) = grad(fx, y)                            # ∂/∂y of ∂f/∂x
(fyx,) = grad(fy, x)                            # ∂/∂x of ∂f/∂y

a, b = x.data, y.data
by_hand = 2 * a + math.exp(a * b) * (1 + a * b)
print(f"∂²f/∂y∂x = {fxy.data:.12f}\n∂²f/∂x∂y = {fyx.data:.12f}\nby hand   = {by_hand:.12f}")
assert math.isclose(fxy.data, by_hand, rel_tol=1e-12) and math.isclose(fyx.data, by_hand, rel_tol=1e-12)
assert math.isclose(fx.data, 2 * a * b + b * math.exp(a * b), rel_tol=1e-12)


def hessian(fn, point):
    # H[i][j] = ∂²fn/∂x_i∂x_j: one grad() with create_graph for the gradient, then one grad() per entry of it
    xs = [Value(p) for p in point]
    first = grad(fn(*xs), xs, create_graph=True)
    return [[h.data for h in grad(g, xs)] for g in first]

H = hessian(f2, [1.5, -0.5])
by_hand_H = [[2 * b + b * b * math.exp(a * b), by_hand], [by_hand, a * a * math.exp(a * b)]]
for row in H:
    print("[" + "  ".join(f"{h:9.6f}" for h in row) + "]")
assert all(math.isclose(h, r, rel_tol=1e-12) for hr, rr in zip(H, by_hand_H) for h, r in zip(hr, rr))
assert H[0][1] == H[1][0]


# %% [markdown]
# ## 4. Newton's method against gradient descent
#
# We minimise one function of one variable,
#
# $$
# f(x) = x^4 - 3x^2 + x, \qquad f'(x) = 4x^3 - 6x + 1, \qquad f''(x) = 12x^2 - 6.
# $$
#
# **Gradient descent** steps downhill by a fixed fraction $\eta$ (the learning rate) of the slope:
# $x_{k+1} = x_k - \eta\, f'(x_k)$. It only knows the slope, so it cannot tell how far the minimum is: this is
# what the source text means by calling it a "greedy (short-sighted)" search.
#
# **Newton's method** also uses the curvature. Near $x_k$, $f$ looks like its second-order Taylor polynomial
#
# $$
# f(x_k + s) \approx f(x_k) + f'(x_k)\,s + \tfrac12 f''(x_k)\,s^2,
# $$
#
# and when $f''(x_k) > 0$ this parabola has its lowest point at $s = -f'(x_k)/f''(x_k)$. Newton jumps straight
# there. It is still local, since the parabola is only a model of $f$ near $x_k$, but it sees one order further
# than the slope:
#
# $$
# x_{k+1} = x_k - \frac{f'(x_k)}{f''(x_k)}.
# $$
#
# Close to a minimum $x^*$, gradient descent's error shrinks by a roughly constant factor $|1 - \eta f''(x^*)|$ per
# step (*linear* convergence), while Newton's error is roughly squared at every step (*quadratic* convergence:
# $e_{k+1} \approx C e_k^2$), so the number of correct digits doubles.
#
# Both methods get their derivatives from the engine: gradient descent from `backward()`, Newton from two calls to
# `grad`. Each step starts from a fresh leaf `Value(x)` made from a plain float; section 5 explains why.

# %%
def f(x):
    return x**4 - 3 * x**2 + x

def derivatives(x0):
    # f'(x0) and f''(x0) as floats, from the engine
    x = Value(x0)
    (g,) = grad(f(x), x, create_graph=True)
    (h,) = grad(g, x)
    return g.data, h.data

def newton(x0, steps):
    xs = [x0]
    for _ in range(steps):
        g, h = derivatives(xs[-1])
        xs.append(xs[-1] - g / h)
    return xs

def gradient_descent(x0, lr, steps):
    xs = [x0]
    for _ in range(steps):
        x = Value(xs[-1])
        f(x).backward()
        xs.append(xs[-1] - lr * x.grad)
    return xs

# The engine's derivatives agree with the hand-derived ones
for t in (-1.0, 0.3, 2.0):
    g, h = derivatives(t)
    assert math.isclose(g, 4 * t**3 - 6 * t + 1, rel_tol=1e-12) and math.isclose(h, 12 * t**2 - 6, rel_tol=1e-12)

# The minimum near x = 1.13, found by running Newton long enough, and checked with the hand-derived f' and f''
x_star = newton(2.0, 30)[-1]
assert abs(4 * x_star**3 - 6 * x_star + 1) < 1e-12 and 12 * x_star**2 - 6 > 0
print(f"x* = {x_star:.15f}   f(x*) = {f(x_star):.6f}   f''(x*) = {12 * x_star**2 - 6:.4f}")

def steps_to_converge(xs, tol=1e-10):
    return next(k for k, xk in enumerate(xs) if abs(xk - x_star) < tol)

runs = {
    "Newton": newton(2.0, 12),
    "gradient descent, η = 0.05": gradient_descent(2.0, 0.05, 200),
    "gradient descent, η = 0.02": gradient_descent(2.0, 0.02, 200),
}
iterations = {name: steps_to_converge(xs) for name, xs in runs.items()}
for name, k in iterations.items():
    print(f"{name:28s} reaches |x_k − x*| < 1e-10 after {k:3d} steps")

print("\nNewton's errors |x_k − x*|:", ", ".join(f"{abs(xk - x_star):.1e}" for xk in runs["Newton"][:7]))
assert iterations["Newton"] <= 10
assert list(iterations.values()) == [6, 36, 106]   # the counts quoted in the text and the summary
assert min(k for name, k in iterations.items() if name != "Newton") >= 4 * iterations["Newton"]

# %%
fig, ax = plt.subplots(figsize=(6, 3.2))
for (name, xs), style in zip(runs.items(), ["o-", "-", "--"]):
    errors = [abs(xk - x_star) for xk in xs]
    ks = [k for k, e in enumerate(errors) if e > 0][:121]
    ax.semilogy(ks, [errors[k] for k in ks], style, label=name, markersize=4)
ax.axhline(1e-10, color="grey", linewidth=0.8)
ax.set_xlabel("step k")
ax.set_ylabel("|x_k − x*|")
ax.set_title("f(x) = x⁴ − 3x² + x, from x₀ = 2")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# On a log scale, gradient descent's error is a straight line (a fixed factor per step: about
# $|1 - 0.05 \cdot 9.35| \approx 0.53$ and $|1 - 0.02 \cdot 9.35| \approx 0.81$) until it hits the floor of
# float64 precision near $10^{-15}$. Newton's error bends down ever more steeply: far from $x^*$ its first steps
# are ordinary, but then it goes $10^{-2}, 10^{-4}, 10^{-7}, 10^{-14}$, the exponent roughly doubling each step.
#
# This is not a free lunch:
#
# - **Newton looks for $f'(x) = 0$, not for a minimum.** Where $f'' < 0$ the parabola opens downwards and Newton's
#   step goes *uphill*, towards a maximum. Started at $x_0 = 0$, where $f''(0) = -6$, it settles on the local maximum
#   near $x = 0.17$ (checked below). Practical versions fall back to a gradient step or damp the step when the
#   curvature is not positive.
# - **With $n$ parameters the second derivative is an $n \times n$ Hessian**, and a Newton step solves a linear system
#   with it. For a network with a million weights that is out of reach, which is one reason deep learning trains
#   with first-order methods (SGD, Adam) and at most *approximations* of curvature.
# - Gradient descent with $\eta = 1/f''(x^*)$ would be as fast as Newton near $x^*$, but you would need to know the
#   curvature to pick it, and that is exactly what Newton computes.

# %%
from_zero = newton(0.0, 20)[-1]
g, h = derivatives(from_zero)
print(f"Newton from x₀ = 0 ends at x = {from_zero:.6f}, where f' = {g:.1e} and f'' = {h:.3f} < 0: a maximum")
assert abs(g) < 1e-12 and h < 0


# %% [markdown]
# ## 5. (optional) Controlling what enters the graph: `no_grad()` and `.detach()`
#
# With higher-order derivatives it matters which computations are recorded. Two tools decide it:
#
# - `with no_grad():` records nothing. Every op inside returns a constant with no parents, **even inside
#   `grad(..., create_graph=True)`**, whose backward pass is then not recorded either. Use it for updates and
#   evaluation.
# - `v.detach()` returns a new constant with `v`'s value, cut off from the graph: gradients stop there. It is how
#   you say "treat this number as fixed".
#
# If the Newton update is written on Values, with the derivatives built by `create_graph=True` and nothing
# detached, each new $x_{k+1}$ is a node whose graph contains every earlier step: the graph grows with every
# iteration, and memory with it. Detaching (or taking `.data`, as in section 4) keeps one step's graph at a
# constant size.
#
# Note that `.detach()` gives a *constant*: `requires_grad` is `False`, and `grad` of anything with respect to it is
# $0$. To restart from its value as a new variable, set `requires_grad = True` on it (it is a leaf, so this is
# allowed). Forgetting that step makes Newton divide $0$ by $0$.

# %%
def newton_step(x):
    (g,) = grad(f(x), x, create_graph=True)
    (h,) = grad(g, x, create_graph=True)
    return x - g / h

def restart(v):
    leaf = v.detach()            # a constant with v's value and no history ...
    leaf.requires_grad = True    # ... made a variable again (PyTorch: v.detach().requires_grad_())
    return leaf

sizes_kept, sizes_detached = [], []
x_kept = x_detached = Value(2.0)
for _ in range(5):
    x_kept = newton_step(x_kept)
    x_detached = restart(newton_step(x_detached))
    sizes_kept.append(len(topological_order(x_kept)))
    sizes_detached.append(len(topological_order(x_detached)))
print("graph nodes behind x_k, everything kept:", sizes_kept)
print("graph nodes behind x_k, detached       :", sizes_detached)
assert sizes_kept == sorted(sizes_kept) and sizes_kept[-1] > sizes_kept[0] and set(sizes_detached) == {1}
assert math.isclose(x_kept.data, x_detached.data, rel_tol=1e-12)

x = Value(2.0)
out = f(x)
with no_grad():
    (g_off,) = grad(out, x, create_graph=True)      # no_grad wins: the result is a constant
(g_on,) = grad(out, x, create_graph=True)
(through_detach,) = grad(g_on.detach() * x, x)    # d/dx (c·x) = c, with c = f'(2) held fixed
print(f"under no_grad: requires_grad = {g_off.requires_grad};  outside: {g_on.requires_grad}")
print(f"d/dx [detach(f'(x)) · x] = {through_detach.data}   (f'(2) = {g_on.data}, not f'(2) + f''(2)·2)")
assert not g_off.requires_grad and g_on.requires_grad
assert through_detach.data == g_on.data == 4 * 8 - 6 * 2 + 1


# %% [markdown]
# ## 6. `gradcheck`: test a gradient against finite differences
#
# A derivative can be estimated without any calculus, from two evaluations of the function. The **central
# difference**
#
# $$
# f'(x) \approx \frac{f(x + h) - f(x - h)}{2h}
# $$
#
# has an error proportional to $h^2$ (the $f''$ terms of the two Taylor expansions cancel), plus a
# rounding error of about $\varepsilon\,|f(x)|/h$ (with $\varepsilon \approx 2.2 \times 10^{-16}$ machine epsilon, as in
# notebook 01) from subtracting two nearly equal numbers.
# `gradcheck(fn, inputs)` computes each partial derivative this way (with $h = 10^{-6}$), compares it
# with the engine's, and returns `True` when every one agrees within `atol + rtol·|numeric|`; otherwise it raises
# `GradcheckError` naming the input and both numbers. It is slow, two evaluations per input, so it is a test tool,
# not a way to train.
#
# `fn` takes one `Value` per input and returns a `Value`:

# %%
def smooth(x, y):
    return (x * y).tanh() + (x / y).exp() * y.sigmoid() - (1 + x * x).log()

ok = gradcheck(smooth, [0.4, -1.3])
print("gradcheck(smooth, [0.4, -1.3]) =", ok)
assert ok is True

# %% [markdown]
# ## 7. Your own op, and catching a wrong derivative
#
# A primitive op is an `Op(name, symbol, fn, arity)`. The function `fn(M, *operands)` is the **formula contract**
# every op in the library follows:
#
# - it returns a pair `(value, partials)`: the op's value and a tuple with **one local partial derivative per
#   operand**, $\partial\,\text{out} / \partial\,\text{operand}_i$, in operand order;
# - it computes both with `+ - * /` on the operands and the functions of `M` (`M.exp`, `M.log`, `M.tanh`, `M.pow`,
#   ...), **never with `math`** and never by reading the number out of an operand, so that the same formula runs on
#   floats (every forward pass) and on `Value`s (`create_graph=True`).
#
# The chain rule is not the op's business: `backward()` and `grad()` apply it, once, for every op.
# `apply(op, *operands)` records the op in the graph. Here is $a \mapsto a^3$ with its partial $3a^2$, and the same
# op with a deliberate mistake, $2a^2$:

# %%
cube = Op("cube", "³", lambda M, a: (a * a * a, (3.0 * a * a,)), 1)
bad_cube = Op("cube", "³", lambda M, a: (a * a * a, (2.0 * a * a,)), 1)   # wrong: d/da a³ is 3a², not 2a²

x = Value(2.0)
z = apply(cube, x)
z.backward()
print(f"cube(2) = {z.data}, d/dx = {x.grad}")
assert (z.data, x.grad) == (8.0, 12.0)

print("right cube:", gradcheck(lambda a: apply(cube, a), [1.3]))
try:
    gradcheck(lambda a: apply(bad_cube, a), [1.3])
    caught = None
except GradcheckError as error:
    caught = error
print("wrong cube:", caught)
assert isinstance(caught, GradcheckError) and "input 0" in str(caught)

# %% [markdown]
# The message says which input, where, and both numbers: the analytic $2 \cdot 1.3^2 = 3.38$ against the finite
# difference $3 \cdot 1.3^2 = 5.07$.
#
# ### (optional) `gradgradcheck`: checking the derivative of the derivative
#
# **`gradgradcheck`** goes one level higher: it differentiates `fn` with `create_graph=True` and runs `gradcheck`
# on each first derivative, so it tests the derivative *of the derivative*. That is where the second half of the
# contract shows. The op below computes its partial from `M.val(a)`, the plain number inside `a`. The first
# derivative is still right, so `gradcheck` passes; but the partial is now a constant as far as the graph knows,
# its own derivative comes out as $0$ instead of $6a$, and `gradgradcheck` catches it.

# %%
frozen_cube = Op("cube", "³", lambda M, a: (a * a * a, (3.0 * M.val(a) * M.val(a),)), 1)   # breaks the contract

print("cube        gradgradcheck:", gradgradcheck(lambda a: apply(cube, a), [1.3]))
print("frozen_cube gradcheck    :", gradcheck(lambda a: apply(frozen_cube, a), [1.3]))
try:
    gradgradcheck(lambda a: apply(frozen_cube, a), [1.3])
    caught = None
except GradcheckError as error:
    caught = error
print("frozen_cube gradgradcheck:", caught)
assert isinstance(caught, GradcheckError) and "analytic 0.0" in str(caught)

# The library's own ops pass both checks, e.g. a smooth function of two inputs
assert gradgradcheck(smooth, [0.4, -1.3])

# %% [markdown]
# ## Summary
#
# - The second derivative is the slope of the slope: $f'' > 0$ where the curve bends up (a valley), $f'' < 0$ where it
#   bends down (a hill). At a point where $f' = 0$, its sign tells a minimum from a maximum.
# - `grad(out, inputs, create_graph=True)` returns derivatives as `Value`s whose graphs lead back to the inputs, so
#   they can be differentiated again: $\frac{d}{dx}x^3 = 12$, $\frac{d^2}{dx^2}x^3 = 12$, $\frac{d^3}{dx^3}x^3 = 6$ at
#   $x = 2$, and mixed partials $\partial^2 f/\partial x\,\partial y$ that agree in both orders. Without
#   `create_graph` the result is a constant, and its derivative is silently $0$.
# - Newton's method uses $f''$ to jump to the bottom of the local parabola and converges quadratically: here 6 steps
#   against 36 and 106 for gradient descent (η = 0.05 and 0.02). It seeks any point where $f' = 0$, maxima
#   included, and needs the Hessian, which is why it is rare for large networks.
# - (Optional) `no_grad()` records nothing (it overrides `create_graph`), and `.detach()` cuts a value out of the
#   graph; together they stop graphs from growing across iterations.
# - Every op is one formula `fn(M, *operands) -> (value, partials)`, with one local partial per operand, written with
#   `M`'s functions so it runs on floats and on `Value`s. `gradcheck` tests the partials against central differences,
#   `gradgradcheck` tests their derivatives, and both raise `GradcheckError` with the numbers when they disagree.
# - When a gradient comes out `nan`, `with detect_anomaly():` names the op and the line of code where it was born;
#   notebook 09 shows it at work.
#
# ## Exercises
#
# Replace each `...` with your answer and run the cell; `hint("07.1")` helps, and `solution("07.1")` shows a worked
# answer once you have tried.
#
# **07.1 The derivative of an op.** Here is an op for $a \sin a$ whose partial derivative is missing. Write it (with
# `M.sin` and `M.cos`, never `math`), so that `gradcheck` and `gradgradcheck` both pass.

# %%
xsin = Op("xsin", "x·sin", lambda M, a: (a * M.sin(a), (...,)), 1)
check("07.1", xsin)

# %% [markdown]
# **07.2 The second derivative of tanh.** Write `d2tanh(x)`, the second derivative of $\tanh x$, as a formula with
# `math.tanh`. (The first derivative is $1 - \tanh^2 x$; differentiate it with the chain rule.)

# %%
def d2tanh(x):
    return ...


check("07.2", d2tanh)

# %% [markdown]
# **07.3 A softplus op.** Write `softplus_op = Op("softplus", ...)` with value $\log(1 + e^a)$ and partial
# $\sigma(a) = 1/(1 + e^{-a})$, using only `M.log`, `M.exp` and `M.sigmoid`. The check runs `gradcheck` and
# `gradgradcheck` at a few points and compares the values with `Value.softplus`. (The built-in also keeps $e^a$ from
# overflowing: how? And if you write the partial as `M.sigmoid(M.val(a))`, which check fails, and why?)

# %%
softplus_op = ...
check("07.3", softplus_op)

# %% [markdown]
# **07.4 Newton in two dimensions.** For the Rosenbrock function $f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2$, write
# `newton_step_2d(x, y)`, which returns the next point $(x, y) - H^{-1}\nabla f$ as a pair of floats. Get $\nabla f$
# and $H$ from `grad(..., create_graph=True)` (or the `hessian` helper of section 3) and solve the $2\times 2$ system by
# hand. Then iterate from $(-1.2, 1)$: how many steps to reach $(1, 1)$? How many does gradient descent with
# $\eta = 10^{-3}$ need?

# %%
def newton_step_2d(x, y):
    return ...


check("07.4", newton_step_2d)
