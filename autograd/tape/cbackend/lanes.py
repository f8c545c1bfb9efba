"""Samples in lanes: the C of a batch that runs a block of samples through each loop together.

A tape recorded on one sample runs over a batch (:meth:`CTape.batch`, :class:`Trainer`). The
samples are independent until their gradients are added into the parameters, so the batch driver
of ``lanes.h`` runs ``VG_LANES`` samples (4, or 8 on a processor with AVX-512) through every loop
at once, one per lane, and the compiler makes vector instructions of the loops over lanes. Each
lane computes its sample's numbers exactly as the scalar code does, in the same order; what has
to be proved is the order of the additions into the parameters' gradients.

The scalar driver adds sample after sample: all of sample 0's pushes into a parameter's gradient,
then all of sample 1's. The lane driver pushes node after node, each node's lanes in sample order.
The two orders are the same when each parameter receives at most ONE push per sample (an MLP's
weights and biases, each read by one row): :func:`lanes_apply` checks that from the plan, and a
tape where it does not hold (a weight shared across positions, as in a GPT, or an L2 penalty that
reads every parameter a second time) keeps the scalar driver.

A layer's weights are most of the work of an MLP's backward pass, and adding their gradients block
by block read and wrote every weight's gradient once per block. The lane driver keeps instead, for
each sample, its rows' gradients and whether it pushes (:class:`Deferral`), and adds a chunk of
samples into each weight's gradient in one pass, still in sample order: the same additions. When
those layers make every push into a parameter, the blocks of a batch share no number and two
threads run them side by side.

This module writes the lane versions of the op table's kernels (the loops of ``Op.c`` formulas);
the loops of the runtime (sums, clusters) have their lane versions in ``lanes.h`` and ``lanes_rows.h``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from importlib import resources

from ..plan import Plan
from .kernels import indent
from .schedule import Group, pushes


def _push_counts(plan: Plan, levels: list[list[Group]]) -> Counter[int]:
    """How many gradient pushes each parameter receives in one sample's backward pass."""
    first, end = plan.first_param, plan.first_param + len(plan.params)
    count: Counter[int] = Counter()
    if plan.output_is_leaf:
        count[plan.output] += 1
    for level in levels:
        for group in level:
            if group.needs_grad:
                count.update(t for step in group.steps for t in pushes(step) if first <= t < end)
    return count


def lanes_apply(plan: Plan, levels: list[list[Group]]) -> bool:
    """Whether a batch of this plan may run in lanes: it has inputs (else there is no batch),
    and no parameter receives two gradient pushes in one sample's backward pass."""
    if not plan.n_inputs:
        return False
    return all(n <= 1 for n in _push_counts(plan, levels).values())


def pushed_params(plan: Plan, levels: list[list[Group]]) -> set[int]:
    """The parameters (by slot, which is their position in C) that backward pushes gradients into."""
    return set(_push_counts(plan, levels))


@dataclass
class Deferral:
    """The clusters whose weights' gradients the lane driver defers (lanes_defer.h: "Deferred weight
    gradients"): a layer's rows whose own numbers are consecutive parameters. Per sample of a chunk,
    each keeps in the store its rows' gradients and push flags, and its shared numbers unless they
    are the sample's inputs (then read where they are)."""

    #: per cluster: its desc's offset in ``I``, where its rows' gradients, its shared numbers (-1:
    #: the inputs) and its push flags start in a sample's part of the store, its first input
    clusters: list[tuple[int, int, int, int, int]] = field(default_factory=list)
    #: the parameters whose every push is deferred (the rows' weights, the biases that are parameters)
    params: set[int] = field(default_factory=set)
    doubles: int = 0  # per sample of a chunk
    flags: int = 0

    def add(self, d_off: int, rows: int, shared: list[int], n_inputs: int, params: set[int]) -> int:
        """Room for one more cluster of ``rows`` rows sharing the numbers at ``shared``; its index."""
        n = len(shared)
        inputs = shared == list(range(shared[0], shared[0] + n)) and shared[0] + n <= n_inputs
        self.clusters.append((d_off, self.doubles, -1 if inputs else self.doubles + rows, self.flags, shared[0] if inputs else 0))
        self.doubles += rows + (0 if inputs else n)
        self.flags += rows
        self.params |= params
        return len(self.clusters) - 1

    def table(self, every: bool) -> str:
        """The C of the table (``vgl_deferred``) and the store's size. ``every``: these clusters make
        every push into a parameter, so the blocks of a chunk share no number (two threads may run
        blocks side by side)."""
        rows = [", ".join(map(str, d)) for d in self.clusters] or ["0, 0, -1, 0, 0"]
        return (
            f"#define VGL_N_DEFERRED {len(self.clusters)}\n"
            f"#define VGL_STORE_DOUBLES {self.doubles} /* per sample of a chunk */\n"
            f"#define VGL_STORE_FLAGS {self.flags}\n"
            f"#define VGL_ALL_DEFERRED {int(every)}\n"
            "static const int64_t vgl_deferred[][5] = {\n    {" + "},\n    {".join(rows) + "}\n};\n"
        )


#: The C of the lane driver, in the order it is pasted: the lanes, their ops and sums; the layers;
#: a batch and its deferred weight gradients; the blocks, the threads and the entry point.
LANE_FILES = ("lanes.h", "lanes_rows.h", "lanes_defer.h", "lanes_driver.h")


def runtime() -> str:
    """The C of the lane driver (pasted after runtime.h and clusters.h)."""
    files = resources.files(__package__)
    return "\n".join(files.joinpath(name).read_text(encoding="utf-8") for name in LANE_FILES)


def op_kernel(name: str, comment: str, formula: str, order: tuple[int, ...], r: int, k: int) -> str:
    """The lane version of an op kernel: ``m`` nodes of an ``r``-operand op with ``k`` partials,
    each computed in every lane (the formula's branches are taken lane by lane)."""
    loads = " ".join(f"X_[{order[j]}] = VG_LX(c, at[{j}], vg_l);" for j in range(r))
    stores = " ".join(f"dl[(dd + (int64_t)i * {k} + {j}) * VG_LANES + vg_l] = D_[{order[j]}];" for j in range(k))
    letters = "#define A X_[0]\n" + ("#define B X_[1]\n" if r > 1 else "")
    return (
        f"/* {comment}: VG_LANES samples at once */\n"
        f"VG_LOOP void {name}(vg_lanes *restrict c, const int32_t *restrict ia, int32_t m, int32_t o, int32_t dd) {{\n"
        "    double *restrict V = c->V, *restrict dl = c->D;\n"
        "    for (int32_t i = 0; i < m; i++) {\n"
        f"        const int32_t *at = ia + (int64_t)i * {r};\n"
        "        for (int vg_l = 0; vg_l < VG_LANES; vg_l++) {\n"
        f"            double X_[{r}], D_[{r}] = {{0}}, OUT = 0.0;\n"
        f"            {loads}\n"
        f"#define N {r}\n#define X(j) X_[j]\n#define D(j) D_[j]\n{letters}"
        f"            {{\n{indent(formula, 16)}\n            }}\n"
        "#undef N\n#undef X\n#undef D\n#undef A\n#undef B\n"
        "            V[VG_LANED(o + i) + vg_l] = OUT;\n"
        f"            {stores}\n"
        "        }\n    }\n}\n"
    )


def nary_kernel(name: str, comment: str, formula: str, inverse: list[int] | None) -> str:
    """The lane version of an n-ary op's kernel (``inverse[j]``: where natural operand j is stored)."""
    table = ""
    if inverse is not None:
        table = f"static const int32_t {name}_at[] = {{{', '.join(map(str, inverse))}}};\n"
        x, dj = f"VG_LX(c, xi[{name}_at[j]], vg_l)", f"dl[((int64_t)pp + {name}_at[j]) * VG_LANES + vg_l]"
    else:
        x, dj = "VG_LX(c, xi[j], vg_l)", "dl[((int64_t)pp + (j)) * VG_LANES + vg_l]"
    return (
        f"/* {comment}: VG_LANES samples at once */\n{table}"
        f"VG_LOOP void {name}(vg_lanes *restrict c, const int32_t *restrict desc, const int32_t *restrict ia, "
        "int32_t m) {\n"
        "    double *restrict V = c->V, *restrict dl = c->D;\n"
        "    int64_t at = 0;\n"
        "    for (int32_t i = 0; i < m; i++) {\n"
        "        const int32_t n = desc[4 * i], pp = desc[4 * i + 3];\n"
        "        const int32_t *xi = ia + at;\n"
        "        for (int vg_l = 0; vg_l < VG_LANES; vg_l++) {\n"
        "            double OUT = 0.0;\n"
        f"#define N n\n#define X(j) {x}\n#define D(j) {dj}\n#define A X(0)\n#define B X(1)\n"
        f"            {{\n{indent(formula, 16)}\n            }}\n"
        "#undef N\n#undef X\n#undef D\n#undef A\n#undef B\n"
        "            V[VG_LANED(desc[4 * i + 2]) + vg_l] = OUT;\n"
        "        }\n"
        "        at += n;\n"
        "    }\n}\n"
    )
