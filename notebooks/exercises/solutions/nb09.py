"""Solutions to notebook 09's exercises, and a typical mistake for each."""


def solve_09_1():
    # sum() starts from 0 and adds the 10,000 terms one by one: 10,000 additions in a chain;
    # sum_values records them as one n-ary node
    return (10_000, 1)


def solve_09_2():
    # recorded at x = 3 (wx − t = 2 ≥ 0), the tape always returns wx − t; that is |wx − t| only where wx − t ≥ 0,
    # that is x ≥ 1 with w = t = 1
    return {-2.0, -1.0, 0.0, 0.5}


def solve_09_3():
    return ValueError   # "tape: X expects a list/tuple of 32 items, as recorded, got 24 items"


def solve_09_4():
    # abs(x) ** 0.5: the pow node sends inf to abs, whose local derivative at 0 is 0: inf · 0 = nan in abs's backward.
    # (x * x) ** 0.5: the pow node sends inf to x·x, whose local derivatives are x = 0: the nan is born in mul.
    return ("abs", "mul")


SOLUTIONS = {"09.1": solve_09_1, "09.2": solve_09_2, "09.3": solve_09_3, "09.4": solve_09_4}

MISTAKES = {
    "09.1": lambda: (10_000, 10_000),        # sum_values is one node, not a chain
    "09.2": lambda: {-2.0, -1.0, 0.0, 0.5, 1.0},   # at x = 1 the error is 0 and the recorded branch is right
    "09.3": lambda: TypeError,
    "09.4": lambda: ("pow", "pow"),          # the inf is born in pow, but the nan in the op below it
}
