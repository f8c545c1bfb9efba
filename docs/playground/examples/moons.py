# An MLP learns the two moons: 20 steps of gradient descent, in the browser.
#
# The losses are CPython's to the last bit. +, -, *, / and max (ReLU, the hinge) are IEEE 754
# operations, rounded the same way everywhere. cos, sin, exp, log and tanh are not: they come
# from the C library (glibc on Linux, musl here in WebAssembly), and those differ in the last
# bit for some inputs. So this cell rounds the data (made with cos, sin and a Gaussian) to 6
# decimals, and uses ReLU (MLP's default) rather than tanh.
from nn import MLP, SGD, hinge_loss
from nn.data import make_moons

X, y = make_moons(n=100, noise=0.1, seed=1)
X = [[round(a, 6), round(b, 6)] for a, b in X]
labels = [2 * t - 1 for t in y]  # the hinge loss wants labels -1 and +1
model = MLP(2, [8, 8, 1], seed=0)
opt = SGD(model, lr=0.1)

for step in range(20):
    scores = [model(x) for x in X]
    loss = hinge_loss(scores, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 5 == 0 or step == 19:
        right = sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels))
        print(f"step {step:2d}  loss {loss.data!r}  accuracy {right / len(X):.2f}")
