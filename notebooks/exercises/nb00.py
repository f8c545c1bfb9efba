"""Checks for notebook 00 (start here): the derivative cheat-sheet and what the words mean."""

from __future__ import annotations

from autograd import Value, grad

from . import Wrong, as_function, as_sequence, close, exercise, present


def derivative_at(f, x: float) -> float:
    """d f / d x at ``x``, by valuegrad: the reference the checks compare with."""
    leaf = Value(x)
    (d,) = grad(f(leaf), leaf)
    return d.data


@exercise("00.1", "the product rule", "x² sin x is a product f·g with f = x² and g = sin x: (fg)' = f'g + fg'.")
def _(answer):
    close(answer, derivative_at(lambda x: x**2 * x.sin(), 1.0), "your d/dx [x² sin x] at x = 1", rel=1e-6)


@exercise("00.2", "the chain rule", "e^(−x²) is e^u with u = −x²: multiply d(e^u)/du = e^u by du/dx = −2x.")
def _(answer):
    fn = as_function(answer, "d_gauss")
    for x in (-1.7, -0.3, 0.0, 0.4, 2.2):
        want = derivative_at(lambda v: (-(v * v)).exp(), x)
        close(fn(x), want, f"d_gauss({x})", rel=1e-9, abs_=1e-12)


@exercise(
    "00.3",
    "partial derivatives",
    "For ∂g/∂x treat y as a constant (x³y is then a constant times x³); for ∂g/∂y treat x as one.",
)
def _(answer):
    dx, dy = as_sequence(answer, 2, "your (∂g/∂x, ∂g/∂y)")
    x, y = Value(2.0), Value(-1.0)
    gx, gy = grad(x**3 * y + y * y, [x, y])
    close(dx, gx.data, "∂g/∂x at (2, −1)")
    close(dy, gy.data, "∂g/∂y at (2, −1)")


KINDS = ("supervised", "unsupervised", "self-supervised")
#: Each task and the kind of learning it is.
TASKS = {
    "digits": "supervised",          # every training image of notebook 05 comes with a label written by a person
    "rbm": "unsupervised",           # the RBM of notebook 06 sees only the 14 images, with no label at all
    "next_word": "self-supervised",  # the target (the next word) is cut out of the unlabelled text itself
    "sine_fit": "supervised",        # each x of notebook 03 comes with its target sin x
}


@exercise(
    "00.4",
    "supervised, unsupervised or self-supervised",
    "Ask where the targets come from: given by a person (supervised), made from the data itself "
    "(self-supervised), or there are none (unsupervised).",
)
def _(answer):
    if not isinstance(answer, dict):
        raise Wrong(f"the answer should be a dict such as {{'digits': 'supervised', ...}}, got {type(answer).__name__}")
    missing = sorted(set(TASKS) - set(answer))
    if missing:
        raise Wrong(f"the dict has no entry for {', '.join(missing)}")
    for task, kind in TASKS.items():
        given = answer[task]
        present(given, task)
        if given not in KINDS:
            raise Wrong(f"{task}: {given!r} is not one of {', '.join(KINDS)}")
        if given != kind:
            raise Wrong(f"{task} is not {given}")
    return "Seed 000's 'almost always supervised' fits two of these four, and deep learning's largest models are trained the self-supervised way."
