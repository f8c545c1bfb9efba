# A neuron: o = tanh(x1*w1 + x2*w2 + b). backward() fills every .grad with do/d(that Value).
from autograd import Value
from autograd.viz import draw_dot, show_backprop

x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
o = (x1 * w1 + x2 * w2 + b).tanh()
o.label = "o"
o.backward()

print(f"o = {o.data:.4f}")
for v in (x1, w1, x2, w2, b):
    print(f"do/d{v.label} = {v.grad:+.4f}")

show_backprop(o)  # step through the backward pass: Prev, Next, Play, or "Quiz me"
draw_dot(o)       # the last line's value is shown, as in Jupyter
