"""Solutions to notebook 08's exercises, and a typical mistake for each."""

import random


def solve_08_1():
    def epoch_batches(n, batch_size, seed, epochs):
        rng = random.Random(seed)                  # one generator for the whole run, as fit makes it
        result = []
        for _ in range(epochs):
            order = list(range(n))
            random.Random(rng.getrandbits(32)).shuffle(order)   # a new seed for each epoch's shuffle
            result.append([order[i : i + batch_size] for i in range(0, n, batch_size)])
        return result

    return epoch_batches


def solve_08_2():
    import torch

    from nn import to_torch

    def float32_gap(model, X):
        with torch.no_grad():
            wide = to_torch(model)(torch.tensor(X, dtype=torch.float64))
            narrow = to_torch(model, torch.float32)(torch.tensor(X, dtype=torch.float32))
        return (wide - narrow.double()).abs().max().item()

    return float32_gap


def solve_08_3():
    # LayerNorm(16) learns a scale and a shift per feature: 16 + 16 numbers. from_torch refuses it:
    #     try: MLP.from_torch(net)
    #     except Exception as error: print(type(error).__name__, error)
    return (32, "ValueError")


def solve_08_4():
    from autograd.graph import topological_order
    from nn import MLP, binary_cross_entropy
    from nn.data import make_moons

    model = MLP(2, [16, 16, 1], init="he", seed=0)

    def nodes(n):
        X, y = make_moons(n, noise=0.1, seed=1)
        return len(topological_order(binary_cross_entropy([model(x) for x in X], y)))

    a = (nodes(50) - nodes(25)) // 25
    return (a, nodes(25) - 25 * a)


def solve_08_5():
    import torch

    def torch_schedule(optimizer):
        return torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)

    return torch_schedule


SOLUTIONS = {"08.1": solve_08_1, "08.2": solve_08_2, "08.3": solve_08_3, "08.4": solve_08_4, "08.5": solve_08_5}


def _same_order_every_epoch():
    def epoch_batches(n, batch_size, seed, epochs):
        order = list(range(n))
        random.Random(seed).shuffle(order)         # one shuffle, reused: fit draws a new one per epoch
        return [[order[i : i + batch_size] for i in range(0, n, batch_size)] for _ in range(epochs)]

    return epoch_batches


def _float64_twice():
    import torch

    from nn import to_torch

    def float32_gap(model, X):
        with torch.no_grad():
            a = to_torch(model)(torch.tensor(X, dtype=torch.float64))
            b = to_torch(model)(torch.tensor(X, dtype=torch.float32).double())   # the data rounded, the model not
        return (a - b).abs().max().item()

    return float32_gap


def _one_past_the_end():
    import torch

    def torch_schedule(optimizer):
        return torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=99)

    return torch_schedule


MISTAKES = {
    "08.1": _same_order_every_epoch,
    "08.2": _float64_twice,
    "08.3": lambda: (16, "ValueError"),          # only the scale: LayerNorm has a shift too
    "08.4": lambda: (68, 0),                     # forgot the shared parameters (and the loss's own nodes)
    "08.5": _one_past_the_end,
}
