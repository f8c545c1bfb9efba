# The chain rule on an expression: f = (a*b + c) * d, so df/da = b*d.
# Compare each gradient with the rule worked out by hand.
from autograd import Value
from autograd.viz import draw_dot

a, b, c, d = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="d")
e = a * b
g = e + c
f = g * d
e.label, g.label, f.label = "e", "g", "f"
f.backward()

by_hand = {"a": b.data * d.data, "b": a.data * d.data, "c": d.data, "d": g.data}
for v in (a, b, c, d):
    print(f"df/d{v.label}: backward says {v.grad:g}, the chain rule by hand {by_hand[v.label]:g}")

draw_dot(f)
