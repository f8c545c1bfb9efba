"""Solutions to notebook 02b's exercises (the engine, step by step, as the notebook writes it), and a typical
mistake for each. Each step's solution builds on the one before, as the notebook's cells do."""

import math


def solve_02b_1():
    class MyValue:
        def __init__(self, data, parents=(), local_grads=()):
            self.data = float(data)
            self.grad = 0.0                      # a float from the start
            self.parents = tuple(parents)        # a tuple keeps the order, and a parent used twice
            self.local_grads = tuple(local_grads)

        def __repr__(self):
            return f"MyValue({self.data:.4g}, grad={self.grad:.4g})"

    return MyValue


def solve_02b_2():
    MyValue = solve_02b_1()

    def as_node(x):
        return x if isinstance(x, MyValue) else MyValue(x)      # a plain number becomes a leaf

    def add(self, other):
        other = as_node(other)
        return MyValue(self.data + other.data, (self, other), (1.0, 1.0))

    def mul(self, other):
        other = as_node(other)
        return MyValue(self.data * other.data, (self, other), (other.data, self.data))   # each gets the other's value

    MyValue.__add__ = add
    MyValue.__radd__ = add       # 5 + a is a + 5
    MyValue.__mul__ = mul
    MyValue.__rmul__ = mul
    return MyValue


def solve_02b_3():
    MyValue = solve_02b_2()

    def topological_order(root):
        order, visited = [], set()
        stack = [(root, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)                       # every parent is already in the order
            elif node not in visited:
                visited.add(node)
                stack.append((node, True))               # come back to it ...
                stack.extend((parent, False) for parent in node.parents)   # ... after its parents
        return order

    return (MyValue, topological_order)


def solve_02b_4():
    MyValue, topological_order = solve_02b_3()

    def backward(self):
        order = topological_order(self)
        self.grad = 1.0                                  # ∂out/∂out; a new graph's other nodes start at 0.0
        for node in reversed(order):                     # every node after all the nodes that use it
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad += local * node.grad         # add: a parent may be reached along several paths

    MyValue.backward = backward
    return MyValue


def solve_02b_5():
    MyValue = solve_02b_4()

    def tanh(self):
        t = math.tanh(self.data)
        return MyValue(t, (self,), (1 - t * t,))         # d tanh(x)/dx = 1 − tanh²(x), at the output's value

    def neuron(ws, b, xs):
        total = b
        for w, x in zip(ws, xs):
            total = total + w * x
        return total.tanh()

    MyValue.tanh = tanh
    return (MyValue, neuron)


def solve_02b_6():
    MyValue, _ = solve_02b_5()

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

    return train_mine


SOLUTIONS = {"02b.1": solve_02b_1, "02b.2": solve_02b_2, "02b.3": solve_02b_3, "02b.4": solve_02b_4,
             "02b.5": solve_02b_5, "02b.6": solve_02b_6}


def _children_in_a_set():
    class MyValue:
        def __init__(self, data, parents=(), local_grads=()):
            self.data = float(data)
            self.grad = 0.0
            self.parents = set(parents)          # a set: a·a loses one of its two a's
            self.local_grads = tuple(local_grads)

    return MyValue


def _mul_not_swapped():
    MyValue = solve_02b_1()

    def add(self, other):
        other = other if isinstance(other, MyValue) else MyValue(other)
        return MyValue(self.data + other.data, (self, other), (1.0, 1.0))

    def mul(self, other):
        other = other if isinstance(other, MyValue) else MyValue(other)
        return MyValue(self.data * other.data, (self, other), (self.data, other.data))   # not swapped

    MyValue.__add__ = MyValue.__radd__ = add
    MyValue.__mul__ = MyValue.__rmul__ = mul
    return MyValue


def _order_without_visited():
    MyValue = solve_02b_2()

    def topological_order(root):
        order = []
        stack = [(root, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            else:                                # no visited set: a shared node is listed once per path
                stack.append((node, True))
                stack.extend((parent, False) for parent in node.parents)
        return order

    return (MyValue, topological_order)


def _assigned_not_added():
    MyValue, topological_order = solve_02b_3()

    def backward(self):
        order = topological_order(self)
        self.grad = 1.0
        for node in reversed(order):
            for parent, local in zip(node.parents, node.local_grads):
                parent.grad = local * node.grad          # =, not +=: the last path wins

    MyValue.backward = backward
    return MyValue


def _tanh_at_the_input():
    MyValue = solve_02b_4()

    def tanh(self):
        return MyValue(math.tanh(self.data), (self,), (1 - self.data**2,))   # 1 − x², not 1 − tanh²(x)

    MyValue.tanh = tanh
    _, neuron = solve_02b_5()
    return (MyValue, neuron)


def _grads_never_zeroed():
    MyValue, _ = solve_02b_5()

    def train_mine(weights, X, Y, steps, lr):          # the loop without p.grad = 0.0: leaf gradients pile up
        return _train_with(MyValue, weights, X, Y, steps, lr, zero=False)

    return train_mine


def _train_with(MyValue, weights, X, Y, steps, lr, zero):
    layers = [[([MyValue(w) for w in ws], MyValue(b)) for ws, b in layer] for layer in weights]
    params = [p for layer in layers for ws, b in layer for p in (*ws, b)]
    losses = []
    for _ in range(steps):
        loss = MyValue(0.0)
        for x, y in zip(X, Y):
            h = x
            for i, layer in enumerate(layers):
                outs = []
                for ws, b in layer:
                    z = b
                    for w, xi in zip(ws, h):
                        z = z + w * xi
                    outs.append(z.tanh() if i < len(layers) - 1 else z)
                h = outs
            err = h[0] + (-y)
            loss = loss + err * err
        loss = loss * (1.0 / len(X))
        if zero:
            for p in params:
                p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        losses.append(loss.data)
    return losses


MISTAKES = {
    "02b.1": _children_in_a_set,
    "02b.2": _mul_not_swapped,
    "02b.3": _order_without_visited,
    "02b.4": _assigned_not_added,
    "02b.5": _tanh_at_the_input,
    "02b.6": _grads_never_zeroed,
}
