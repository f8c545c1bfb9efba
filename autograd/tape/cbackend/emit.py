"""The C source of a tape: its plan, scheduled in groups (:mod:`.schedule`), written out.

Each op's code comes from its C formula in the op table (``op.c``): one loop per kind of group,
``for each node: OUT, D(j) = formula(A, B)``. The fused linear nodes and the chains of ``+`` are
loops of the runtime (``runtime.h``, ``clusters.h``) over lists of positions; the generated functions
``vg_forward`` and ``vg_backward`` call one loop per group; ``step.h`` (a training step in one call)
comes last. Where the numbers sit (the positions), and every list of positions, is one table of ints, ``I``.

Positions: the inputs first and the parameters next (as in the plan's slots), then the
constants of the tape (each distinct number once), then the nodes, group after group.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from importlib import resources

from ...ops import Op
from ..plan import Operand, Plan, lookup_rows
from . import kernels, lanes
from .guards import guard_source, scratch_needed
from .schedule import Group, groups, matrices, sides

#: Calls per generated function: the compiler's time grows faster than the size of a function.
_CALLS_PER_FUNCTION = 200
#: Clusters one vg_matrix call computes at most (clusters.h: VG_MATRIX).
_MATRIX = 64


@dataclass
class Layout:
    """Where the C code keeps each number: what the Python side needs to call it and read it."""

    source: str
    #: the position in v[] of each slot of the plan
    position: list[int]
    n_values: int
    n_partials: int
    scratch: int
    #: the constants, as (position, number)
    constants: list[tuple[int, float]]
    #: for each op step (by its slot): where its partials start in d[], one per stored operand
    partials: dict[int, int] = field(default_factory=dict)
    groups: int = 0
    #: whether the source has the lane driver (:mod:`.lanes`): no parameter is pushed twice per
    #: sample, and the tape has no guard and no lookup (the lane driver checks neither)
    lanes: bool = False
    #: where in the scratch array a failing guard's index and sample are left (see runtime.h)
    guard_at: int = 0
    #: the lane driver's clusters whose weights' gradients are added once per chunk of samples
    #: (lanes_defer.h: "Deferred weight gradients"), and whether they are every push into a parameter
    deferred: int = 0
    all_deferred: bool = False


def _runtime() -> str:
    """The C every tape starts with: the runtime, then the loops of the fused linear nodes."""
    files = resources.files(__package__)
    return "\n".join(files.joinpath(name).read_text(encoding="utf-8") for name in ("runtime.h", "clusters.h"))


def _ints(values: list[int], per_line: int = 24) -> str:
    rows = [", ".join(map(str, values[i : i + per_line])) for i in range(0, len(values), per_line)]
    return ",\n".join(rows) if rows else "0"


class _Emitter:
    def __init__(self, plan: Plan, compensated: bool) -> None:
        self.plan = plan
        self.compensated = compensated
        self.I: list[int] = []
        self.kernels: dict[tuple[object, ...], str] = {}
        self.kernel_code: list[str] = []
        self.forward: list[str] = []
        self.backward: list[list[str]] = []  # per level
        self.lanes = False
        self.lane_forward: list[str] = []
        self.lane_backward: list[list[str]] = []
        first_const = plan.first_param + len(plan.params)
        self.const_position: dict[bytes, int] = {}
        self.constants: list[tuple[int, float]] = []
        self.first_const = first_const
        self.position: list[int] = list(range(first_const)) + [-1] * (plan.n_slots - first_const)
        self.n_partials = 0
        self.scratch = 1
        self.partials: dict[int, int] = {}
        self.longest = 1
        self.deferral = lanes.Deferral()
        self.matrices: dict[int, list[Group]] = {}
        self.matrix_at: dict[int, int] = {}  # where in I each merged cluster's desc offset goes

    # --- positions ------------------------------------------------------------------------

    def const(self, x: float) -> int:
        bits = struct.pack("<d", x)  # a constant by its bits: -0.0 is not 0.0
        at = self.const_position.get(bits)
        if at is None:
            at = self.const_position[bits] = self.first_const + len(self.constants)
            self.constants.append((at, x))
        return at

    def at(self, x: Operand) -> int:
        """The position of an operand: a slot's, or a constant's."""
        if isinstance(x, int):
            return self.position[x]
        return self.const(x)

    def table(self, values: list[int]) -> int:
        """Append ``values`` to ``I``; their offset."""
        offset = len(self.I)
        self.I.extend(values)
        return offset

    # --- the whole source -----------------------------------------------------------------

    def emit(self) -> Layout:
        plan = self.plan
        for step in plan.steps:  # every constant gets its position before the nodes
            for x in step.operands:
                if not isinstance(x, int):
                    self.const(x)

        levels = groups(plan, self.const)
        # The lane driver runs samples side by side and checks no guard and no lookup's index: a tape
        # with either keeps the one-sample driver, which checks them sample by sample (runtime.h).
        has_lookups = any(group.kind == "lookups" for level in levels for group in level)
        self.lanes = lanes.lanes_apply(plan, levels) and not plan.guards and not has_lookups
        n_values = self.first_const + len(self.constants)
        for level in levels:
            for group in level:
                for step in group.steps:
                    self.position[step.out] = n_values
                    n_values += 1
        first_node = n_values - sum(len(g.steps) for level in levels for g in level)
        self.matrices = matrices(levels, self.at, first_node, _MATRIX)
        count = 0
        for level in levels:
            back: list[str] = []
            lane_back: list[str] = []
            for group in level:
                count += 1
                forward, backward, lane_forward, lane_backward = getattr(self, "group_" + group.kind)(group)
                if forward:  # (a cluster whose forward pass another's vg_matrix call computes has none)
                    self.forward.append(forward)
                self.lane_forward.append(lane_forward)
                if group.needs_grad and backward:
                    back.append(backward)
                    lane_back.append(lane_backward)
            self.backward.append(back)
            self.lane_backward.append(lane_back)
        self.guard_at = self.scratch
        self.scratch += scratch_needed(len(plan.guards), len(plan.params))
        all_deferred = self.lanes and lanes.pushed_params(plan, levels) <= self.deferral.params
        source = self.source(n_values, first_node, all_deferred)
        return Layout(
            source, self.position, n_values, self.n_partials, self.scratch, self.constants, self.partials, count,
            lanes=self.lanes, guard_at=self.guard_at, deferred=len(self.deferral.clusters), all_deferred=all_deferred,
        )  # fmt: skip

    def source(self, n_values: int, first_node: int, all_deferred: bool) -> str:
        plan = self.plan
        extras = [self.position[e] for e in plan.extras]
        header = [
            "/* A valuegrad tape compiled to C: generated by autograd.tape.cbackend from the op table. */",
            f"#define VG_COMPENSATED {int(self.compensated)}",
            f"#define VG_N_INPUTS {plan.n_inputs}",
            f"#define VG_FIRST_PARAM {plan.first_param}",
            f"#define VG_N_PARAMS {len(plan.params)}",
            f"#define VG_FIRST_NODE {first_node}",
            f"#define VG_N_VALUES {n_values}",
            f"#define VG_N_PARTIALS {self.n_partials}",
            f"#define VG_LONGEST {self.longest}.0",
            f"#define VG_OUTPUT {self.position[plan.output]}",
            f"#define VG_OUTPUT_IS_LEAF {int(plan.output_is_leaf)}",
            f"#define VG_BACKWARD {int(plan.needs_grad[plan.output])}",
            f"#define VG_N_EXTRAS {len(extras)}",
            f"#define VG_EXTRAS {{{', '.join(map(str, [*extras, 0]))}}}",
            f"#define VG_N_GUARDS {len(plan.guards)}",
            f"#define VG_GUARD_AT {self.guard_at}",
            f"#define VG_HAS_LANES {int(self.lanes)}",
            "",
        ]
        body = [_runtime(), "", *self.kernel_code, f"static const int32_t I[] = {{\n{_ints(self.I)}\n}};", ""]
        if self.lanes:
            body.append("static const int32_t *vgl_I(void) { return I; }\n")
        body.append(guard_source(plan.guards, self.position.__getitem__))
        body += _functions("vg_forward", "double *restrict v, double *restrict d, double *restrict s", "v, d, s", self.forward)
        backward = [line for level in reversed(self.backward) for line in level]
        body += _functions(
            "vg_backward",
            "const double *restrict v, const double *restrict d, double *restrict g, double *restrict s, int finite",
            "v, d, g, s, finite",
            backward,
        )
        if self.lanes:
            body[1:1] = ["", self.deferral.table(all_deferred), lanes.runtime()]
            body += _functions("vgl_forward", "vg_lanes *restrict c", "c", self.lane_forward)
            body += _functions("vgl_backward", "vg_lanes *restrict c", "c", [x for y in reversed(self.lane_backward) for x in y])
        body.append(resources.files(__package__).joinpath("step.h").read_text(encoding="utf-8"))
        return "\n".join(header + body) + "\n"

    # --- each kind of group: its forward call and its backward call ---------------------------

    def group_ops(self, group: Group) -> tuple[str, str, str, str]:
        steps = group.steps
        op = steps[0].op
        assert op is not None
        r, k, m = len(steps[0].operands), steps[0].k, len(steps)
        offset = self.table([self.at(x) for step in steps for x in step.operands])
        out = self.position[steps[0].out]
        dd = self.n_partials
        for i, step in enumerate(steps):
            self.partials[step.out] = dd + i * k
        self.n_partials += m * k
        self.longest = max(self.longest, k)
        name = self.op_kernel(op, r, k)
        return (
            f"{name}(v, d, I + {offset}, {m}, {out}, {dd});",
            f"vg_back_ops(d, g, I + {offset}, {m}, {r}, {k}, {out}, {dd}, finite, {int(op.natural.selects)});",
            f"{name}_l(c, I + {offset}, {m}, {out}, {dd});",
            f"vgl_back_ops(c, I + {offset}, {m}, {r}, {k}, {out}, {dd}, {int(op.natural.selects)});",
        )

    def group_nary(self, group: Group) -> tuple[str, str, str, str]:
        steps = group.steps
        op = steps[0].op
        assert op is not None
        desc: list[int] = []
        operands: list[int] = []
        for step in steps:
            n = len(step.operands)
            desc += [n, step.k, self.position[step.out], self.n_partials]
            self.partials[step.out] = self.n_partials
            self.n_partials += n
            self.longest = max(self.longest, step.k)
            operands += [self.at(x) for x in step.operands]
        d_off, o_off = self.table(desc), self.table(operands)
        name = self.nary_kernel(op)
        m = len(steps)
        return (
            f"{name}(v, d, I + {d_off}, I + {o_off}, {m});",
            f"vg_back_nary(d, g, I + {d_off}, I + {o_off}, {m}, finite);",
            f"{name}_l(c, I + {d_off}, I + {o_off}, {m});",
            f"vgl_back_nary(c, I + {d_off}, I + {o_off}, {m});",
        )

    def _sums(self, group: Group, chain: int) -> tuple[str, str, str, str]:
        desc: list[int] = []
        lists: list[int] = []
        for step in group.steps:
            desc += [len(step.operands), step.k, self.position[step.out]]
            lists += [self.at(x) for x in step.operands]
            if chain:
                lists += [self.position[p] for p in step.pushes]
            self.longest = max(self.longest, step.k)
        d_off, l_off = self.table(desc), self.table(lists)
        m = len(group.steps)
        return (
            f"vg_sums(v, I + {d_off}, I + {l_off}, {m}, {chain});",
            f"vg_back_sums(g, I + {d_off}, I + {l_off}, {m}, {chain});",
            f"vgl_sums(c, I + {d_off}, I + {l_off}, {m}, {chain});",
            f"vgl_back_sums(c, I + {d_off}, I + {l_off}, {m}, {chain});",
        )

    def group_sums(self, group: Group) -> tuple[str, str, str, str]:
        return self._sums(group, 0)

    def group_chains(self, group: Group) -> tuple[str, str, str, str]:
        return self._sums(group, 1)

    def group_lookups(self, group: Group) -> tuple[str, str, str, str]:
        """Lookups (``take``): per node, its value's and its index's positions, its number of
        candidates, and where the candidates' positions (to read) and gradients' (to push into,
        -1 for a constant) are in ``I``."""
        needs = self.plan.needs_grad
        desc: list[int] = []
        for step in group.steps:
            rows = lookup_rows(step)
            read = self.table([self.at(r) for r in rows])
            push = self.table([self.position[r] if isinstance(r, int) and needs[r] else -1 for r in rows])
            desc += [self.position[step.out], self.at(step.operands[1]), len(rows), read, push]
        d_off = self.table(desc)
        m = len(group.steps)
        # no lane versions: a tape with lookups keeps the one-sample driver (see emit)
        return f"vg_lookups(v, I + {d_off}, I, {m});", f"vg_back_lookups(v, g, I + {d_off}, I, {m});", "", ""

    def group_cluster(self, group: Group) -> tuple[str, str, str, str]:
        rows = group.steps
        first = rows[0]
        ws, xs, bias = sides(first)
        n = len(ws)
        shared_w = group.shared_side == "w"
        shared = [self.at(x) for x in (ws if shared_w else xs)]
        own = [[self.at(x) for x in (sides(step)[1] if shared_w else sides(step)[0])] for step in rows]
        is_dot = first.op is not None and first.op.name == "dot"
        k = first.k
        needs = self.plan.needs_grad
        push_w = any(needs[x] for step in rows for x in sides(step)[0] if isinstance(x, int))
        push_x = is_dot and any(needs[x] for step in rows for x in sides(step)[1] if isinstance(x, int))
        bias_parent = k % 2 == 1 if is_dot else k == n + 1
        contiguous = all(r == list(range(r[0], r[0] + n)) for r in own if r) and n > 0
        flags = (1 if shared_w else 0) | (2 if contiguous else 0) | (4 if push_w else 0) | (8 if push_x else 0)
        flags |= 16 if bias_parent else 0
        row_positions = {p for r in own for p in r}
        biases = []
        for step in rows:
            b = sides(step)[2]
            biases.append(-1 if b is None else self.at(b))
        if len(set(shared)) == len(shared) and not (set(shared) & (row_positions | set(biases))):
            flags |= 32
        if row_positions and all(self.plan.first_param <= p < self.first_const + len(self.constants) for p in row_positions):
            flags |= 64  # the rows' own numbers are the same in every lane (lanes_rows.h: VG_ROWS_SHARED)
        shared_off = self.table(shared)
        desc = [len(rows), n, self.position[first.out], flags, shared_off]
        for step, positions, b in zip(rows, own, biases):
            ref = positions[0] if contiguous else self.table(positions)
            if is_dot:
                mode = 0
            else:  # affine: the partials are the constant coefficients (and 1 for a parent bias)
                constants = [x for x in sides(step)[1] if not isinstance(x, int)]
                total = sum([*constants, *([1.0] if bias_parent else [])])
                mode = 1 if total - total == 0.0 else 2
            desc += [ref if n else 0, b, mode]
            desc[3] |= 128 if mode == 2 else 0  # VG_MODE2
        self.longest = max(self.longest, k)
        self.scratch = max(self.scratch, 2 * n)
        d_off = self.table(desc)
        forward = f"vg_cluster(v, s, I + {d_off}, I);"
        matrix = self.matrices.get(id(group))
        if matrix is not None:  # computed with the other clusters of its layer (schedule.matrices)
            forward = ""
            if matrix:  # the first of them: the call, and its desc (m, then their descs, filled in as they come)
                at = self.table([len(matrix)] + [0] * len(matrix))
                self.matrix_at.update((id(g), at + 1 + i) for i, g in enumerate(matrix))
                forward = f"vg_matrix(v, s, I + {at}, I);"
                self.scratch = max(self.scratch, (n + 1) * (len(matrix) + 7))  # m rounded up to lanes, up to 8
            self.I[self.matrix_at[id(group)]] = d_off
        deferred = -1
        push_rows = push_x if shared_w else push_w
        first_param, end_param = self.plan.first_param, self.plan.first_param + len(self.plan.params)
        if (
            self.lanes and group.needs_grad and push_rows and flags & 64 and contiguous
            and all(first_param <= p < end_param for p in row_positions)
        ):  # fmt: skip
            params = row_positions | ({b for b in biases if first_param <= b < end_param} if bias_parent else set())
            deferred = self.deferral.add(d_off, len(rows), shared, self.plan.n_inputs, params)
        return (
            forward,
            f"vg_back_cluster(v, g, s, I + {d_off}, I, finite);",
            f"vgl_cluster(c, I + {d_off}, I);",
            f"vgl_back_cluster(c, I + {d_off}, I, {deferred});",
        )

    # --- the kernels of the op table's formulas (written by :mod:`.kernels`) ----------------------

    def op_kernel(self, op: Op, r: int, k: int) -> str:
        key = ("op", op, r, k)
        name = self.kernels.get(key)
        if name is None:
            name = self.kernels[key] = f"f{len(self.kernels)}_{kernels.c_name(op.name)}"
            self.kernel_code.append(kernels.op_kernel(name, op, r, k))
            if self.lanes:
                order = op.order or tuple(range(r))
                self.kernel_code.append(lanes.op_kernel(name + "_l", kernels.comment(op), kernels.formula(op), order, r, k))
        return name

    def nary_kernel(self, op: Op) -> str:
        key = ("nary", op)
        name = self.kernels.get(key)
        if name is None:
            name = self.kernels[key] = f"n{len(self.kernels)}_{kernels.c_name(op.name)}"
            self.kernel_code.append(kernels.nary_kernel(name, op))
            if self.lanes:
                inverse = kernels.stored_at(op)
                self.kernel_code.append(lanes.nary_kernel(name + "_l", kernels.comment(op), kernels.formula(op), inverse))
        return name


def _functions(name: str, params: str, args: str, calls: list[str]) -> list[str]:
    """``name(params)`` calling ``calls`` in order, split into functions of a bounded size."""
    if not calls:
        unused = " ".join(f"(void){arg};" for arg in args.split(", ")[:1])
        return [f"static void {name}({params}) {{ {unused} }}", ""]
    parts = [calls[i : i + _CALLS_PER_FUNCTION] for i in range(0, len(calls), _CALLS_PER_FUNCTION)]
    lines = []
    for j, part in enumerate(parts):
        lines.append(f"__attribute__((noinline)) static void {name}_{j}({params}) {{")
        lines += ["    " + call for call in part]
        lines += ["}", ""]
    lines.append(f"static void {name}({params}) {{")
    lines += [f"    {name}_{j}({args});" for j in range(len(parts))]
    lines += ["}", ""]
    return lines


def emit(plan: Plan, compensated: bool) -> Layout:
    """The C source of ``plan`` and where it keeps each number. ``compensated``: whether Python's
    ``sum()`` of floats is compensated (Python ≥ 3.12), which the C sums must follow."""
    return _Emitter(plan, compensated).emit()
