# A loop, drawn: each pass adds a copy of the same few nodes, so the graph grows with the loop.
# (draw_dot refuses graphs too big to draw in one piece; see its max_nodes.)
from autograd import Value
from autograd.viz import draw_dot

x = Value(0.5, label="x")
h = x
for _ in range(4):
    h = (h * 0.9 + x).tanh()   # a tiny recurrence: h = tanh(0.9 h + x)
h.label = "h4"
h.backward()
print(f"h4 = {h.data:.4f}, dh4/dx = {x.grad:.4f}")
draw_dot(h)
