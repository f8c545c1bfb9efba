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
# # 01 · Derivatives: slopes, gradients, and three ways to compute them
#
# **What you will learn**
#
# * what a derivative *does*, before any formula: nudge the input of a function a little, and the output moves by
#   about the derivative times the nudge;
# * the derivative as a slope: the limit of the slopes of secant lines, and the power rule, explained;
# * partial derivatives and the gradient, and (optional) why the gradient points in the direction of steepest ascent;
# * three ways to compute the same derivatives, side by side on one function: **numerical** (finite
#   differences), **symbolic** (sympy) and **automatic** (valuegrad);
# * (optional) why finite differences have a best step size: truncation error against round-off error;
# * why deep learning uses reverse-mode automatic differentiation: one backward pass gives all $n$ partial
#   derivatives, at the cost of a few evaluations of the function, whatever $n$ is.
#
# Sections marked "(optional)" go deeper; nothing later depends on them, so skip them on a first reading if you
# like. The derivative rules used here are on the cheat-sheet of notebook 00.

# %%
# %matplotlib inline
# %config InlineBackend.figure_formats = ["png"]
import cmath
import math
import random

import matplotlib.pyplot as plt

plt.style.use("default")
plt.rcParams.update({"figure.figsize": (6.4, 3.8), "figure.dpi": 110, "axes.grid": True, "grid.alpha": 0.3})
random.seed(0)

import sympy as sp
from IPython.display import display

from autograd import Value, sum_values
from autograd.graph import topological_order
from exercises import check, hint, solution


# %% [markdown]
# ## 1. Nudge the input, watch the output
#
# Take a function and a point, say $f(x) = x^3 - 2x$ at $x = 1$, where $f(1) = -1$. Move $x$ a little, by $\Delta x$,
# and see how far the output moves, $\Delta f = f(1 + \Delta x) - f(1)$:

# %%
def f(x):
    return x**3 - 2 * x


print(f"{'nudge Δx':>9}  {'f(1 + Δx)':>12}  {'change Δf':>12}  {'Δf / Δx':>9}")
ratios = []
for dx in [0.5, 0.1, 0.01, 0.001, -0.001, -0.01]:
    df_ = f(1 + dx) - f(1)
    ratios.append(df_ / dx)
    print(f"{dx:9g}  {f(1 + dx):12.7f}  {df_:12.7f}  {df_ / dx:9.4f}")
assert abs(ratios[3] - 1) < 0.01 and abs(ratios[4] - 1) < 0.01

# %% [markdown]
# Two things stand out. For small nudges, the output changes in **proportion** to the nudge: ten times smaller
# $\Delta x$, ten times smaller $\Delta f$; a nudge to the left moves the output the other way. And the ratio
# $\Delta f / \Delta x$ settles on one number, here $1$. That number is the **derivative** $f'(1)$: near $x = 1$,
#
# $$ \Delta f \approx f'(1)\,\Delta x . $$
#
# Zoom in on the curve around $x = 1$ and you see why: the closer you look, the more it looks like a straight line,
# and the derivative is that line's slope.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 3))
for ax, width in zip(axes, [1.5, 0.3, 0.03]):
    zoom = [1 - width + 2 * width * i / 200 for i in range(201)]
    ax.plot(zoom, [f(x) for x in zoom], color="black", lw=2, label="f(x) = x³ − 2x")
    ax.plot(zoom, [f(1) + 1.0 * (x - 1) for x in zoom], "--", color="tab:blue", label="line of slope 1")
    ax.plot([1], [f(1)], "o", color="tab:red")
    ax.set(title=f"x from {1 - width:g} to {1 + width:g}", xlabel="x", ylabel="f(x)")
    ax.legend(fontsize=9, loc="upper left")
fig.suptitle("Zooming in on x = 1: the curve straightens into a line of slope f'(1) = 1")
fig.tight_layout()
plt.show()

# %% [markdown]
# That is all a derivative is, and it is all that training a neural network uses: if nudging a weight up makes
# the error go down (a negative derivative), nudge it up. The rest of this notebook is about how to get these
# numbers exactly and cheaply.
#
# ## 2. A derivative is a slope
#
# Written as a limit, the derivative of $f$ at $x$ is
#
# $$ f'(x) = \lim_{h \to 0} \frac{f(x + h) - f(x)}{h}. $$
#
# The fraction is the ratio of section 1, with $h$ for the nudge. Geometrically it is the slope of the *secant*
# line through $(x, f(x))$ and $(x + h, f(x + h))$. As $h$ shrinks, the secant turns into the *tangent* line at $x$,
# and its slope is $f'(x)$. The sign of $f'(x)$ says whether $f$ goes up or down as $x$ grows, and its size says how
# fast.
#
# For $f(x) = x^3 - 2x$ we can take the limit by hand. Multiply out $(1 + h)^3 = 1 + 3h + 3h^2 + h^3$; then
#
# $$ \frac{f(1 + h) - f(1)}{h} = \frac{(1 + 3h + 3h^2 + h^3) - 2(1 + h) - (-1)}{h} = \frac{h + 3h^2 + h^3}{h}
#    = 1 + 3h + h^2, $$
#
# which tends to $1$ as $h \to 0$. The same expansion at any $x$ gives the **power rule**. Multiply out
# $(x + h)^n$: the first term is $x^n$, the next is $n\,x^{n-1} h$ (one $h$ picked from one of the $n$ factors, in
# $n$ ways), and every other term contains $h^2$ or a higher power. So
#
# $$ \frac{(x + h)^n - x^n}{h} = n\,x^{n-1} + (\text{terms that contain } h) \;\longrightarrow\; n\,x^{n-1}, $$
#
# that is, $\frac{d}{dx} x^n = n\,x^{n-1}$. With the rule that the derivative of a sum is the sum of the derivatives
# (and a constant factor stays), $f(x) = x^3 - 2x$ has $f'(x) = 3x^2 - 2$, so $f'(1) = 1$, as the nudges said.

# %%
x0 = 1.0
tangent_slope = 3 * x0**2 - 2  # the power rule: f'(x) = 3x² − 2

print(f"{'h':>8}  {'secant slope':>14}  {'1 + 3h + h²':>12}")
for h in [1.0, 0.5, 0.1, 0.01, 0.001]:
    secant = (f(x0 + h) - f(x0)) / h
    print(f"{h:8g}  {secant:14.6f}  {1 + 3 * h + h * h:12.6f}")
    assert abs(secant - (1 + 3 * h + h * h)) < 1e-9
print("tangent slope f'(1) =", tangent_slope)

# %%
xs = [-0.6 + 2.8 * i / 200 for i in range(201)]
fig, ax = plt.subplots()
ax.plot(xs, [f(x) for x in xs], color="black", lw=2, label="$f(x) = x^3 - 2x$")
for h, color in [(1.0, "tab:orange"), (0.5, "tab:green")]:
    slope = (f(x0 + h) - f(x0)) / h
    ax.plot(xs, [f(x0) + slope * (x - x0) for x in xs], color=color, ls="--", label=f"secant, h = {h}: slope {slope:.2f}")
    ax.plot([x0 + h], [f(x0 + h)], "o", color=color)
ax.plot(xs, [f(x0) + tangent_slope * (x - x0) for x in xs], color="tab:blue", label="tangent: slope 1")
ax.plot([x0], [f(x0)], "ko")
ax.set(xlabel="x", ylabel="f(x)", ylim=(-2.5, 4), title="Secants turn into the tangent as h → 0")
ax.legend(loc="upper left", fontsize=8)
plt.show()


# %% [markdown]
# ## 3. Partial derivatives and the gradient
#
# A function of several inputs, such as $g(x, y)$, has one **partial derivative** per input. $\partial g/\partial x$
# is the ordinary derivative in $x$ with $y$ held fixed: nudge $x$ alone and watch $g$. Stacked into a vector they
# form the **gradient**
#
# $$ \nabla g = \left(\frac{\partial g}{\partial x}, \frac{\partial g}{\partial y}\right). $$
#
# For $g(x, y) = x^2 + 3y^2$, holding $y$ fixed makes $3y^2$ a constant, so $\partial g / \partial x = 2x$; holding
# $x$ fixed gives $\partial g/\partial y = 6y$. The gradient $(2x, 6y)$ points in the direction in which $g$ climbs
# fastest, and $-\nabla g$ in the direction in which it falls fastest: that is the direction gradient descent steps
# in (notebook 04). The next section shows why.
#
# ### 3.1 (optional) Directional derivatives: why the gradient points uphill
#
# The slope in any other direction, given by a unit vector $u = (\cos\theta, \sin\theta)$, is the
# **directional derivative**
#
# $$ D_u g(p) = \lim_{t \to 0} \frac{g(p + t u) - g(p)}{t} = \nabla g(p) \cdot u = \lVert \nabla g(p) \rVert \cos\alpha, $$
#
# where $\alpha$ is the angle between $u$ and $\nabla g(p)$. It is largest when $\alpha = 0$. So the gradient
# points in the direction of **steepest ascent**, and its length is the slope in that direction. At right angles to
# the gradient the slope is zero, so the gradient is perpendicular to the contour lines.
#
# Two points of vocabulary, because they are easy to mix up:
#
# * partial derivatives are the directional derivatives along the coordinate axes, and a directional derivative
#   can be taken along any direction. (One of our source texts calls directional derivatives "partial
#   derivatives for vector-valued functions". They are not. For a vector-valued function the partial derivatives
#   of all its components form the Jacobian matrix.)
# * for a function of one variable the derivative is a number, not a direction. Its sign tells you which way
#   is uphill. "Direction of steepest ascent" is a property of the gradient of a function of several variables.
#
# Let us check this on $g(x, y) = x^2 + 3y^2$. At $p = (1, 0.5)$ we try 360 directions and see which one climbs
# fastest.

# %%
def g(x, y):
    return x**2 + 3 * y**2


def grad_g(x, y):  # by hand: ∂g/∂x = 2x, ∂g/∂y = 6y
    return 2 * x, 6 * y


px, py = 1.0, 0.5
gx, gy = grad_g(px, py)
t = 1e-6
degrees = list(range(360))
slopes = []
for d in degrees:
    ux, uy = math.cos(math.radians(d)), math.sin(math.radians(d))
    slopes.append((g(px + t * ux, py + t * uy) - g(px - t * ux, py - t * uy)) / (2 * t))

steepest = max(degrees, key=lambda d: slopes[d])
gradient_angle = math.degrees(math.atan2(gy, gx))
print(f"∇g(1, 0.5) = ({gx}, {gy}): length {math.hypot(gx, gy):.4f}, pointing at {gradient_angle:.1f}°")
print(f"the steepest of 360 directions: {steepest}°, with slope {slopes[steepest]:.4f}")

assert abs(steepest - gradient_angle) <= 1
assert abs(slopes[steepest] - math.hypot(gx, gy)) < 1e-3
for d, s in zip(degrees, slopes):  # D_u g = ∇g · u in every direction
    assert abs(s - (gx * math.cos(math.radians(d)) + gy * math.sin(math.radians(d)))) < 1e-6

# %%
import numpy as np  # only for the contour grid

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
X, Y = np.meshgrid(np.linspace(-2, 2, 81), np.linspace(-1.5, 1.5, 61))
left.contour(X, Y, X**2 + 3 * Y**2, levels=12, cmap="viridis")
for qx, qy in [(1.0, 0.5), (-1.2, 0.3), (0.4, -0.9), (-0.8, -0.6), (1.5, -0.2)]:
    ax_, ay_ = grad_g(qx, qy)
    left.annotate("", xy=(qx + 0.08 * ax_, qy + 0.08 * ay_), xytext=(qx, qy), arrowprops={"arrowstyle": "->", "color": "tab:red"})
    left.plot([qx], [qy], "k.")
left.plot([], [], color="tab:red", label="∇g (scaled down)")
left.plot([], [], color="tab:green", lw=1, label="contours of g")
left.set(aspect="equal", xlabel="x", ylabel="y", title="∇g is perpendicular to the contours")
left.legend(fontsize=8, loc="upper left")

right.plot(degrees, slopes, label="slope along u(θ)")
right.axvline(gradient_angle, color="tab:red", ls="--", label=f"direction of ∇g ({gradient_angle:.1f}°)")
right.axhline(math.hypot(gx, gy), color="gray", ls=":", label="‖∇g‖")
right.set(xlabel="θ (degrees)", ylabel="$D_u\\,g(1, 0.5)$", title="The slope is largest along ∇g")
right.legend(fontsize=8)
plt.tight_layout()
plt.show()


# %% [markdown]
# ## 4. Three ways to compute a derivative
#
# We now compute the two partial derivatives of one function at one point, three ways:
#
# $$ f(x, y) = \tanh(x y) + x^2 e^{-y}, \qquad (x_0, y_0) = (0.5, 1.5). $$
#
# By hand, with the chain rule and $\frac{d}{du}\tanh u = 1 - \tanh^2 u$:
#
# $$ \frac{\partial f}{\partial x} = y\,(1 - \tanh^2(xy)) + 2x e^{-y}, \qquad
#    \frac{\partial f}{\partial y} = x\,(1 - \tanh^2(xy)) - x^2 e^{-y}. $$
#
# The same Python function serves the numerical and the automatic method: finite differences only need the
# *value* (`.data`), automatic differentiation also records the graph.

# %%
def f(x, y):
    return (x * y).tanh() + x**2 * (-y).exp()


def f_value(x, y):  # f as a plain number, for finite differences
    return f(Value(x), Value(y)).data


x0, y0 = 0.5, 1.5
by_hand = (
    y0 * (1 - math.tanh(x0 * y0) ** 2) + 2 * x0 * math.exp(-y0),
    x0 * (1 - math.tanh(x0 * y0) ** 2) - x0**2 * math.exp(-y0),
)
print(f"f(x0, y0) = {f_value(x0, y0):.12f}")
print(f"by hand: ∂f/∂x = {by_hand[0]:.12f}, ∂f/∂y = {by_hand[1]:.12f}")

# %% [markdown]
# ### 4a. Numerical: finite differences
#
# Replace the limit by a small but finite $h$: that is the nudge of section 1, done by the computer. The
# **forward difference** $\frac{f(x + h) - f(x)}{h}$ nudges one way; the **central difference**
# $\frac{f(x + h) - f(x - h)}{2h}$ nudges both ways and averages, which is much more accurate for the same $h$
# (section 4b says why). It needs nothing but two evaluations of the function per input.

# %%
h = 1e-5
numeric = (
    (f_value(x0 + h, y0) - f_value(x0 - h, y0)) / (2 * h),
    (f_value(x0, y0 + h) - f_value(x0, y0 - h)) / (2 * h),
)
print(f"central differences, h = {h}: ∂f/∂x ≈ {numeric[0]:.12f}, ∂f/∂y ≈ {numeric[1]:.12f}")
print(f"errors against the hand derivation: {abs(numeric[0] - by_hand[0]):.1e}, {abs(numeric[1] - by_hand[1]):.1e}")
assert max(abs(n - b) for n, b in zip(numeric, by_hand)) < 1e-9

# %% [markdown]
# ### 4b. (optional) How small should $h$ be? Truncation against round-off
#
# Expanding $f(x \pm h)$ in a Taylor series gives the error of each formula:
#
# $$ \frac{f(x + h) - f(x)}{h} = f'(x) + \frac{h}{2} f''(x) + O(h^2), \qquad
#    \frac{f(x + h) - f(x - h)}{2h} = f'(x) + \frac{h^2}{6} f'''(x) + O(h^4). $$
#
# (In the central difference the $f''$ terms of the two expansions cancel.) The leftover term is the **truncation error**: $O(h)$ for
# the forward difference, $O(h^2)$ for the central one. So make $h$ tiny? No. Floating-point numbers carry about
# 16 significant digits (machine epsilon $\varepsilon \approx 2.2 \times 10^{-16}$), so $f(x+h)$ and $f(x)$ are
# each off by about $\varepsilon |f|$. Subtracting two nearly equal numbers keeps that absolute error while the
# difference itself shrinks, and dividing by $h$ blows it up. This is the **round-off error**, about
# $\varepsilon |f| / h$. The total error for the forward difference is therefore about
#
# $$ E(h) \approx \frac{h}{2}|f''| + \frac{\varepsilon |f|}{h}, $$
#
# which is smallest near $h^\ast \approx \sqrt{\varepsilon} \approx 10^{-8}$, where only about half the digits are
# right. For the central difference the best step is near $\varepsilon^{1/3} \approx 10^{-5}$, with an error around
# $10^{-11}$. On log-log axes truncation is a straight line of slope $+1$ (forward) or $+2$ (central), and round-off
# a noisy line of slope $-1$.

# %%
exact = by_hand[0]
hs = [10 ** (-k / 4) for k in range(4, 65)]  # from 1e-1 down to 1e-16
forward = [abs((f_value(x0 + h, y0) - f_value(x0, y0)) / h - exact) for h in hs]
central = [abs((f_value(x0 + h, y0) - f_value(x0 - h, y0)) / (2 * h) - exact) for h in hs]

best_forward = min(range(len(hs)), key=lambda i: forward[i])
best_central = min(range(len(hs)), key=lambda i: central[i])
print(f"forward difference: smallest error {forward[best_forward]:.1e} at h = {hs[best_forward]:.1e}")
print(f"central difference: smallest error {central[best_central]:.1e} at h = {hs[best_central]:.1e}")


def loglog_slope(i, j, errors):
    return (math.log10(errors[j]) - math.log10(errors[i])) / (math.log10(hs[j]) - math.log10(hs[i]))


# truncation dominates for large h: slopes +1 and +2 between h = 1e-1 and 1e-3
print(f"log-log slope for large h: forward {loglog_slope(0, 8, forward):.2f}, central {loglog_slope(0, 8, central):.2f}")
assert abs(loglog_slope(0, 8, forward) - 1) < 0.1 and abs(loglog_slope(0, 8, central) - 2) < 0.1
assert 1e-10 <= hs[best_forward] <= 1e-6 and forward[best_forward] < 1e-7
assert 1e-7 <= hs[best_central] <= 1e-3 and central[best_central] < 1e-10
assert forward[-1] > 1e-2 and central[-1] > 1e-2  # round-off ruins tiny steps

# %%
eps = 2.0**-52
f2 = abs(-2 * y0**2 * math.tanh(x0 * y0) * (1 - math.tanh(x0 * y0) ** 2) + 2 * math.exp(-y0))  # |∂²f/∂x²|, by hand
model = [h / 2 * f2 + eps * abs(f_value(x0, y0)) / h for h in hs]

fig, ax = plt.subplots(figsize=(6.4, 4.2))
ax.loglog(hs, [max(e, 1e-17) for e in forward], "o-", ms=3, label="forward difference")
ax.loglog(hs, [max(e, 1e-17) for e in central], "s-", ms=3, label="central difference")
ax.loglog(hs, model, "k--", lw=1, label=r"model $\frac{h}{2}|f''| + \frac{\varepsilon|f|}{h}$")
ax.axvline(math.sqrt(eps), color="gray", ls=":", lw=1)
ax.text(1.3 * math.sqrt(eps), 1e-14, r"$\sqrt{\varepsilon}$", color="gray")
ax.text(3e-2, 1.0, "truncation\n(slope +1, +2)", fontsize=9, va="top")
ax.text(1e-13, 1.0, "round-off\n(slope −1)", fontsize=9, va="top", ha="right")
ax.set(xlabel="step h", ylabel="|error| in ∂f/∂x", title="Finite differences: truncation vs round-off", ylim=(1e-17, 10))
ax.invert_xaxis()
ax.legend(fontsize=8, loc="lower left")
plt.show()

# %% [markdown]
# ### 4c. Symbolic: sympy
#
# A computer algebra system applies the differentiation rules to the *formula* and returns a new formula. The
# result is exact, and it can be evaluated to any precision.

# %%
sx, sy = sp.symbols("x y")
F = sp.tanh(sx * sy) + sx**2 * sp.exp(-sy)
dF_dx, dF_dy = sp.diff(F, sx), sp.diff(F, sy)
display(dF_dx, dF_dy)

at = {sx: sp.Rational(1, 2), sy: sp.Rational(3, 2)}
symbolic = (float(dF_dx.subs(at).evalf(30)), float(dF_dy.subs(at).evalf(30)))
print(f"symbolic: ∂f/∂x = {symbolic[0]:.15f}, ∂f/∂y = {symbolic[1]:.15f}")
assert all(abs(s - h) < 1e-14 for s, h in zip(symbolic, by_hand))  # sympy agrees with the hand derivation

# %% [markdown]
# Symbolic differentiation has two weaknesses for deep learning. It needs the function as one closed-form
# expression, but a network is a program, with loops and branches. And the derivative formula can be much larger
# than the function, because the product and chain rules copy subexpressions (*expression swell*). Watch the
# derivative of a repeated composition $z_{k+1} = z_k \tanh(z_k)$, $z_0 = x$, grow, while the graph that automatic
# differentiation records grows by two nodes per step:

# %%
print(f"{'k':>2}  {'ops in z_k':>10}  {'ops in dz_k/dx':>14}  {'Value graph nodes':>17}")
z = sx
v_in = Value(0.3)
v = v_in
swell = []
for k in range(1, 7):
    z = z * sp.tanh(z)
    v = v * v.tanh()
    size_f, size_d = sp.count_ops(z), sp.count_ops(sp.diff(z, sx))
    nodes = len(topological_order(v, include_leaves=False))
    swell.append((size_f, size_d))
    print(f"{k:2d}  {size_f:10d}  {size_d:14d}  {nodes:17d}")
assert swell[-1][1] > 10 * swell[-1][0]  # the derivative formula is far bigger than the function

# %% [markdown]
# ### 4d. Automatic: valuegrad
#
# Automatic differentiation does neither. It runs the program once, recording every elementary operation and its
# *local* derivative (a number) in a graph, then applies the chain rule backwards through that graph, with
# numbers, not formulas. The result is exact up to floating-point rounding, like the symbolic one, and it costs
# about as much as evaluating the function.

# %%
x, y = Value(x0, label="x"), Value(y0, label="y")
out = f(x, y)
out.backward()
automatic = (x.grad, y.grad)

print(f"{'method':<28} {'∂f/∂x':>18} {'∂f/∂y':>18}  {'max error':>9}")
for name, (dx, dy) in [
    ("numerical (central, h=1e-5)", numeric),
    ("symbolic (sympy)", symbolic),
    ("automatic (valuegrad)", automatic),
]:
    error = max(abs(dx - symbolic[0]), abs(dy - symbolic[1]))
    print(f"{name:<28} {dx:18.15f} {dy:18.15f}  {error:9.1e}")

assert max(abs(a - s) for a, s in zip(automatic, symbolic)) < 1e-14
assert max(abs(n - s) for n, s in zip(numeric, symbolic)) < 1e-6


# %% [markdown]
# ## 5. Why deep learning uses automatic differentiation
#
# A network's loss $L(w_1, \dots, w_n)$ takes millions of parameters to one number, and training needs all $n$
# partial derivatives at every step.
#
# * **Finite differences** need $n + 1$ evaluations of $L$ (forward differences) or $2n$ (central), and each
#   answer is only good to 5–10 digits.
# * **Symbolic** differentiation gives $n$ formulas that can each be as large as the swollen expressions above.
# * **Reverse-mode automatic differentiation** (backpropagation) needs one forward pass, which records the graph,
#   and one backward pass that visits every edge of the graph once. Both are proportional to the cost of one
#   evaluation of $L$, whatever $n$ is. This is sometimes called the *cheap gradient principle*.
#
# (Forward-mode AD, the other flavour, carries derivatives forward alongside the values. It needs one pass
# per *input*, so for a scalar loss with $n$ parameters reverse mode wins by a factor of about $n$.)
#
# Let us count the work for a toy loss with $n$ parameters: a tanh unit on fixed inputs plus a small weight
# penalty. We count elementary operations: the nodes of one forward pass, and the edges that the backward
# pass visits.

# %%
def toy_loss(ws, inputs):
    activation = sum_values(w * xi for w, xi in zip(ws, inputs)).tanh()
    return (activation - 0.5) ** 2 + 0.01 * sum_values(w * w for w in ws)


def work(n):
    inputs = [random.uniform(-1, 1) for _ in range(n)]
    ws = [Value(random.uniform(-1, 1)) for _ in range(n)]
    order = topological_order(toy_loss(ws, inputs), include_leaves=False)
    forward_ops = len(order)
    backward_edges = sum(len(node.parents) for node in order)
    return forward_ops, backward_edges


sizes = [10, 100, 1000, 10000]
print(f"{'n':>6}  {'ops in one pass':>15}  {'AD: forward + backward':>22}  {'central differences: 2n passes':>30}")
costs = []
for n in sizes:
    ops, edges = work(n)
    costs.append((ops + edges, 2 * n * ops))
    print(f"{n:6d}  {ops:15d}  {ops + edges:22d}  {2 * n * ops:30d}")

# %%
fig, ax = plt.subplots()
ax.loglog(sizes, [c[0] for c in costs], "o-", label="reverse-mode AD (one forward + one backward)")
ax.loglog(sizes, [c[1] for c in costs], "s-", label="central differences (2n forward passes)")
ax.set(xlabel="number of parameters n", ylabel="elementary operations", title="The cost of a full gradient")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# And the two do agree. For $n = 100$ we compute the gradient both ways: $2n = 200$ evaluations for finite
# differences, one forward and one backward pass for valuegrad.

# %%
n = 100
inputs = [random.uniform(-1, 1) for _ in range(n)]
point = [random.uniform(-1, 1) for _ in range(n)]

ws = [Value(p) for p in point]
toy_loss(ws, inputs).backward()
automatic_grad = [w.grad for w in ws]

evaluations = 0


def loss_at(values):
    global evaluations
    evaluations += 1
    return toy_loss([Value(v) for v in values], inputs).data


h = 1e-5
numeric_grad = []
for i in range(n):
    up, down = point.copy(), point.copy()
    up[i] += h
    down[i] -= h
    numeric_grad.append((loss_at(up) - loss_at(down)) / (2 * h))

worst = max(abs(a - b) for a, b in zip(automatic_grad, numeric_grad))
print(f"finite differences used {evaluations} evaluations; AD used 1 forward and 1 backward pass")
print(f"largest difference between the two gradients: {worst:.1e}")
assert evaluations == 2 * n and worst < 1e-8

# %% [markdown]
# **Forward mode, in a few lines: dual numbers.** Forward-mode AD carries, next to each value $a$, its derivative
# $\dot a$ with respect to *one* chosen input, and every operation updates both at once, with the rules of the
# cheat-sheet: $(a, \dot a) \cdot (b, \dot b) = (ab,\ \dot a b + a \dot b)$, $\tanh(a, \dot a) =
# (\tanh a,\ (1 - \tanh^2 a)\,\dot a)$, and so on. Such pairs are called **dual numbers**. No graph is kept: the
# derivative is ready as soon as the value is. Seed the chosen input with $\dot x = 1$ and every other input with
# 0. The class below is enough for the $f(x, y) = \tanh(xy) + x^2 e^{-y}$ of section 4: one pass gives
# $\partial f/\partial x$, a second pass $\partial f/\partial y$, and both agree with valuegrad's single backward
# pass. With $n$ inputs forward mode needs $n$ passes, which is why training uses reverse mode; when there are few
# inputs and many outputs, forward mode is the cheaper one.

# %%
class Dual:
    """A number a and its derivative ȧ with respect to one chosen input."""

    def __init__(self, value, dot=0.0):
        self.value, self.dot = value, dot

    def __add__(self, other):
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.value + other.value, self.dot + other.dot)

    def __mul__(self, other):
        other = other if isinstance(other, Dual) else Dual(other)
        return Dual(self.value * other.value, self.dot * other.value + self.value * other.dot)   # product rule

    __radd__, __rmul__ = __add__, __mul__

    def __neg__(self):
        return self * -1.0

    def __pow__(self, n):                    # a whole-number power, by the power rule
        return Dual(self.value**n, n * self.value ** (n - 1) * self.dot)

    def tanh(self):
        t = math.tanh(self.value)
        return Dual(t, (1 - t * t) * self.dot)

    def exp(self):
        e = math.exp(self.value)
        return Dual(e, e * self.dot)


forward_x = f(Dual(x0, 1.0), Dual(y0, 0.0))      # seed x: this pass carries ∂/∂x
forward_y = f(Dual(x0, 0.0), Dual(y0, 1.0))      # seed y: a second pass for ∂/∂y
print(f"forward mode, two passes: ∂f/∂x = {forward_x.dot:.15f}, ∂f/∂y = {forward_y.dot:.15f}")
print(f"reverse mode, one pass:   ∂f/∂x = {automatic[0]:.15f}, ∂f/∂y = {automatic[1]:.15f}")
assert forward_x.value == forward_y.value == f_value(x0, y0)
assert abs(forward_x.dot - automatic[0]) < 1e-14 and abs(forward_y.dot - automatic[1]) < 1e-14

# %% [markdown]
# ## Summary
#
# * Nudge an input by a small $\Delta x$ and the output moves by about $f'(x)\,\Delta x$: the derivative is the
#   exchange rate between the two, and near $x$ the curve looks like a line of that slope.
# * Formally it is the limit of secant slopes. The power rule $\frac{d}{dx}x^n = n\,x^{n-1}$ comes from multiplying
#   out $(x + h)^n$ and keeping the one term that has a single $h$.
# * A partial derivative is the slope along one input with the others held fixed; the gradient collects them. It
#   points in the direction of steepest ascent, its length is the slope in that direction, and it is perpendicular
#   to the contour lines. Gradient descent steps along $-\nabla L$.
# * **Numerical** derivatives are easy but approximate, and cost $O(n)$ evaluations for $n$ inputs. (Optional:
#   truncation error shrinks with $h$, round-off error grows as $h$ shrinks, and the best $h$ is near
#   $\sqrt{\varepsilon}$ for the forward difference, $\varepsilon^{1/3}$ for the central one.) They remain the best
#   *check* on other methods (`gradcheck`, notebook 07).
# * **Symbolic** derivatives are exact formulas, but they need a closed form and can swell.
# * **Automatic** differentiation is exact to rounding. In reverse mode (backpropagation) it gives all $n$ partial
#   derivatives of a scalar loss for a few times the cost of one evaluation. That is why every deep learning
#   framework uses it. Backpropagation *computes* the gradient; gradient descent is the separate step that *uses*
#   it to update the parameters.
#
# ## Exercises
#
# Each exercise ends with a `check(...)` cell: replace the `...` with your answer and run it. `hint("01.1")` gives a
# nudge; `solution("01.1")` shows a worked answer once you have tried.
#
# **01.1 Nudge it.** Without any derivative rule, estimate the slope of $q(x) = \sqrt{x}\,e^{-x}$ at $x = 2$ by
# nudging: evaluate $q$ at two nearby points with plain floats and divide. The answer must be right to 6 digits.

# %%
answer_01_1 = ...      # a number
check("01.1", answer_01_1)

# %% [markdown]
# **01.2 The power rule.** Write `dp(x)`, the derivative of $p(x) = 4x^5 - 3x^2 + 7x - 2$, as a formula.

# %%
def dp(x):
    return ...


check("01.2", dp)

# %% [markdown]
# **01.3 A gradient by hand.** Write `grad_r(x, y)`, which returns the pair $\big(\partial r/\partial x,\ \partial
# r/\partial y\big)$ for $r(x, y) = x^2 y + 3y^3 - x$.

# %%
def grad_r(x, y):
    return (..., ...)


check("01.3", grad_r)

# %% [markdown]
# **01.4 (optional) The best step for the central difference.** Minimise
# $E(h) = \frac{h^2}{6}|f'''| + \frac{\varepsilon|f|}{h}$ over $h > 0$ (set $dE/dh = 0$) and write
# `best_central_step(f3, f0)`, which returns the best $h$ for $|f'''| =$ `f3` and $|f| =$ `f0`, with
# $\varepsilon = 2^{-52}$. Is it consistent with the plot of section 4b?

# %%
def best_central_step(f3, f0):
    return ...


check("01.4", best_central_step)

# %% [markdown]
# **01.5 (optional) The complex step.** The *complex-step* derivative $f'(x) \approx \operatorname{Im} f(x + ih)/h$
# has no subtraction, so no cancellation, and works for a function written with `cmath`. Write
# `complex_step(fn, x, h)`, returning it as a float. The check tries it with $h = 10^{-20}$ and $10^{-200}$, far
# below the step where finite differences fall apart. Why does it survive such steps?

# %%
def complex_step(fn, x, h):
    return ...


check("01.5", complex_step)

# %% [markdown]
# **01.6 (optional) The cost of a Hessian.** The Hessian of $L(w_1, \dots, w_n)$ holds all $n^2$ second derivatives.
# By finite differences, each diagonal entry is $\frac{L(w + h e_i) - 2L(w) + L(w - h e_i)}{h^2}$ and each entry
# $i < j$ (the matrix is symmetric, so $j < i$ is free) is
# $\frac{L(w + he_i + he_j) - L(w + he_i - he_j) - L(w - he_i + he_j) + L(w - he_i - he_j)}{4h^2}$, where $e_i$ is
# the $i$-th unit vector. Write `hessian_evaluations(n)`: how many evaluations of $L$ the whole Hessian takes, counting
# $L(w)$ once. Compare with notebook 07, where each row of the Hessian is one backward pass.

# %%
def hessian_evaluations(n):
    return ...


check("01.6", hessian_evaluations)
