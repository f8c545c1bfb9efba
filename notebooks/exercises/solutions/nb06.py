"""Solutions to notebook 06's exercises, and a typical mistake for each."""

import math


def solve_06_1():
    def boltzmann_probs(energies, T):
        low = min(energies)
        weights = [math.exp(-(e - low) / T) for e in energies]   # shifted: the lowest energy gets weight 1
        Z = sum(weights)
        return [w / Z for w in weights]

    return boltzmann_probs


def solve_06_2():
    def p_on(i, s, c, J, T):
        u = c[i] + sum(J.get((min(i, j), max(i, j)), 0.0) * s[j] for j in range(len(s)) if j != i)
        return 1 / (1 + math.exp(-u / T))

    return p_on


def solve_06_3():
    p_on = solve_06_2()

    def gibbs_states(c, J, T, sweeps, rng):
        state = [0] * len(c)
        states = []
        for _ in range(sweeps):
            for i in range(len(c)):
                state[i] = 1 if rng.random() < p_on(i, state, c, J, T) else 0
            states.append(tuple(state))
        return states

    return gibbs_states


def solve_06_4():
    def free_energy(v, a, b, W):
        visible = sum(ai * vi for ai, vi in zip(a, v))
        hidden = 0.0
        for j in range(len(b)):
            x = b[j] + sum(v[i] * W[i][j] for i in range(len(v)))
            hidden += math.log1p(math.exp(x))          # softplus
        return -visible - hidden

    return free_energy


def solve_06_5():
    def added_free_energy(c):
        return -math.log1p(math.exp(c))                # −softplus(c): the same for every v

    return added_free_energy


SOLUTIONS = {"06.1": solve_06_1, "06.2": solve_06_2, "06.3": solve_06_3, "06.4": solve_06_4, "06.5": solve_06_5}


def _greedy_sampler():
    p_on = solve_06_2()

    def gibbs_states(c, J, T, sweeps, rng):
        state, states = [0] * len(c), []
        for _ in range(sweeps):
            for i in range(len(c)):
                state[i] = 1 if p_on(i, state, c, J, T) > 0.5 else 0    # no randomness: it gets stuck in one state
            states.append(tuple(state))
        return states

    return gibbs_states


MISTAKES = {
    "06.1": lambda: (lambda energies, T: solve_06_1()([-e for e in energies], T)),      # sign: high energy made likely
    "06.2": lambda: (lambda i, s, c, J, T: 1 / (1 + math.exp(-c[i] / T))),              # forgot the neighbours
    "06.3": _greedy_sampler,
    "06.4": lambda: (lambda v, a, b, W: -sum(ai * vi for ai, vi in zip(a, v))),         # dropped the hidden units
    "06.5": lambda: (lambda c: 0.0),
}


def solve_06_6():
    def exact_nll_grad_W(rbm, data):
        n_v, n_h = rbm.n_visible, rbm.n_hidden

        def dF_dW(v):   # ∂F/∂W_ij = −v_i σ(b_j + (vᵀW)_j), as a matrix of floats
            on = rbm.p_h_given_v(v)
            return [[-v[i] * on[j] for j in range(n_h)] for i in range(n_v)]

        images = [[float((k >> i) & 1) for i in range(n_v)] for k in range(2**n_v)]
        free = [rbm.free_energy(v).data for v in images]
        low = min(free)
        weights = [math.exp(low - f) for f in free]          # e^(−F(v)), scaled so that nothing overflows
        Z = sum(weights)
        grad = [[0.0] * n_h for _ in range(n_v)]
        for v in data:                                        # the data term: mean ∂F/∂W over the training images
            for i, row in enumerate(dF_dW(v)):
                for j, g in enumerate(row):
                    grad[i][j] += g / len(data)
        for v, w in zip(images, weights):                     # minus the model term: Σ_v p(v) ∂F/∂W
            for i, row in enumerate(dF_dW(v)):
                for j, g in enumerate(row):
                    grad[i][j] -= w / Z * g
        return grad

    return exact_nll_grad_W


def _data_term_only():
    def exact_nll_grad_W(rbm, data):
        # only the data term: the model's own term, the one CD approximates with samples, is forgotten
        return [
            [sum(-v[i] * rbm.p_h_given_v(v)[j] for v in data) / len(data) for j in range(rbm.n_hidden)]
            for i in range(rbm.n_visible)
        ]

    return exact_nll_grad_W


SOLUTIONS["06.6"] = solve_06_6
MISTAKES["06.6"] = _data_term_only
