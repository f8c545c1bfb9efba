# A recorded tape: record one training step once, then replay it on new numbers without building a
# graph again. The replay gives the engine's numbers exactly.
from autograd import Value, record

w, b = Value(0.5, label="w"), Value(-0.1, label="b")


def loss(x, y):
    return ((w * x + b).tanh() - y) ** 2


tape = record(loss, 2.0, 0.3)
for x, y in [(1.0, 0.5), (-2.0, -0.7), (3.0, 0.9)]:
    replayed = tape(x, y)
    engine = loss(Value(x), Value(y)).data
    print(f"x={x:+.1f}: replay {replayed:.6f}, engine {engine:.6f}, equal to the bit: {replayed == engine}")

# The C back end needs a C compiler, which the browser does not have: it falls back to the Python
# tape, with a warning, and gives the same numbers.
c_tape = record(loss, 2.0, 0.3, backend="c")
print("the C back end's tape in the browser:", type(c_tape).__name__, c_tape(1.0, 0.5))
