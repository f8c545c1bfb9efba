"""Solutions to notebook 02's exercises, and a typical mistake for each."""

import math


def solve_02_1():
    x, w, b = 1.5, -0.5, 0.25
    z = w * x + b
    s = 1 / (1 + math.exp(-z))
    ds_dz = s * (1 - s)
    df_dw = x * ds_dz * x          # f = s·x: ∂f/∂s = x, then ∂s/∂z, then ∂z/∂w = x
    df_db = x * ds_dz              # ∂z/∂b = 1
    df_dx = s + x * ds_dz * w      # two paths: the factor x itself, and x inside z
    return (df_dw, df_db, df_dx)


def solve_02_2():
    a, b, c = 2.0, -1.0, 3.0
    m = max(a, b)                  # a wins, so the max routes its gradient to a
    df_da = c * 1.0 + 1.0          # through m·c (m's gradient is c), and through a + c
    df_db = 0.0                    # b lost the max
    df_dc = m + 1.0                # the product swaps (c gets m), and a + c distributes
    return (df_da, df_db, df_dc)


def solve_02_3():
    # the forward order visits p1, p2, s, n, o, e, L: every node before its users, so each one
    # pushes a gradient of 0 except L, whose push (the last step) gives e its gradient 2e
    return {"e"}


def solve_02_4():
    class MiniValue:
        def __init__(self, data, parents=(), local_grads=(), op=""):
            self.data = float(data)
            self.parents = parents
            self.local_grads = local_grads
            self.op = op
            self.grad = 0.0

        def __add__(self, other):
            other = other if isinstance(other, MiniValue) else MiniValue(other)
            return MiniValue(self.data + other.data, (self, other), (1.0, 1.0), "+")

        def __mul__(self, other):
            other = other if isinstance(other, MiniValue) else MiniValue(other)
            return MiniValue(self.data * other.data, (self, other), (other.data, self.data), "*")

        def tanh(self):
            t = math.tanh(self.data)
            return MiniValue(t, (self,), (1.0 - t * t,), "tanh")

        def backward(self):
            order, visited, stack = [], set(), [(self, False)]
            while stack:
                node, parents_listed = stack.pop()
                if parents_listed:
                    order.append(node)
                elif node not in visited:
                    visited.add(node)
                    stack.append((node, True))
                    stack.extend((parent, False) for parent in node.parents)
            self.grad = 1.0
            for node in reversed(order):
                for parent, local in zip(node.parents, node.local_grads):
                    parent.grad += local * node.grad

        # the three new ops
        def exp(self):
            e = math.exp(self.data)
            return MiniValue(e, (self,), (e,), "exp")                       # d/da e^a = e^a

        def __pow__(self, n):
            return MiniValue(self.data**n, (self,), (n * self.data ** (n - 1),), f"**{n}")   # n·a^(n−1)

        def __sub__(self, other):
            other = other if isinstance(other, MiniValue) else MiniValue(other)
            return MiniValue(self.data - other.data, (self, other), (1.0, -1.0), "-")

    return MiniValue


def solve_02_5():
    w = 0.8
    dL1 = 4 * (2 * w - 1)              # L1 = (2w − 1)²
    dL2 = 3 * (1 - math.tanh(w) ** 2)  # L2 = 3 tanh w
    return dL1 + dL2                   # the second backward() adds to the first


SOLUTIONS = {"02.1": solve_02_1, "02.2": solve_02_2, "02.3": solve_02_3, "02.4": solve_02_4, "02.5": solve_02_5}


def _one_path_only():
    x, w, b = 1.5, -0.5, 0.25
    s = 1 / (1 + math.exp(-(w * x + b)))
    return (x * s * (1 - s) * x, x * s * (1 - s), x * s * (1 - s) * w)   # ∂f/∂x misses the direct path


def _power_rule_off_by_one():
    cls = solve_02_4()

    def bad_pow(self, n):
        return cls(self.data**n, (self,), (n * self.data**n,), f"**{n}")   # n·aⁿ instead of n·a^(n−1)

    cls.__pow__ = bad_pow
    return cls


MISTAKES = {
    "02.1": _one_path_only,
    "02.2": lambda: (3.0 / 2 + 1.0, 3.0 / 2, 2.0 + 1.0),   # split the max's gradient between a and b
    "02.3": lambda: {"e", "o", "n", "s", "b", "p1", "p2", "w1", "x1", "w2", "x2"},
    "02.4": _power_rule_off_by_one,
    "02.5": lambda: 3 * (1 - math.tanh(0.8) ** 2),        # only the last backward()'s gradient
}
