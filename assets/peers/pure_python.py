"""The course's first three Python rungs, in pure Python (no NumPy): the naive triple loop
with both norms recomputed for every pair, the algorithm step (norms once), and the built-ins
step (sum(map(operator.mul, ...)) runs the inner loop in C)."""

import math
import operator

import _harness

a = _harness.args()
clock = _harness.Clock()
X = _harness.read_npy_lists(a.input)
variant = a.params.get("variant", "naive")
n, d = len(X), len(X[0])
rows = range(a.start, a.end)


def dot(u, v):
    s = 0.0
    for k in range(len(u)):
        s += u[k] * v[k]
    return s


def norm(u):
    return math.sqrt(dot(u, u))


def unit(u):
    s = math.sqrt(sum(x * x for x in u))
    return [x / s for x in u] if s > 0 else [0.0] * len(u)


out = []
if variant == "naive":
    clock.kernel()
    for i in rows:
        for j in range(n):
            den = norm(X[i]) * norm(X[j])
            out.append(dot(X[i], X[j]) / den if den > 0 else 0.0)
elif variant == "algorithm":
    U = [unit(x) for x in X]
    clock.kernel()
    for i in rows:
        ui = U[i]
        for j in range(n):
            out.append(dot(ui, U[j]))
elif variant == "builtins":
    U = [unit(x) for x in X]
    clock.kernel()
    mul = operator.mul
    for i in rows:
        ui = U[i]
        out.extend(sum(map(mul, ui, uj)) for uj in U)
else:
    raise SystemExit(f"unknown variant {variant}")
clock.stop()
_harness.write_npy(a.output, "f", "<f4", len(rows), n, out)
clock.done()
