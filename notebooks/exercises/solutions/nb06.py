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
