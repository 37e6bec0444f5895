"""Step 1, the baseline: the formula as written. Given, correct and slow: do not change it.

    cos(x_i, x_j) = dot(x_i, x_j) / (|x_i| * |x_j|)

for every pair, with both norms recomputed for every pair. X arrives as a list of n rows, each
a list of d floats; return rows start..end of the n x n matrix S (end excluded), as a list of
lists. A zero vector's cosine with anything is 0.

Run it in the lab and open its flamegraph: which function takes the time, and why?
"""

import math


def dot(u, v):
    s = 0.0
    for k in range(len(u)):
        s += u[k] * v[k]
    return s


def norm(u):
    return math.sqrt(dot(u, u))


def similarity(X, start, end):
    rows = []
    for i in range(start, end):
        row = []
        for j in range(len(X)):
            den = norm(X[i]) * norm(X[j])
            row.append(dot(X[i], X[j]) / den if den > 0 else 0.0)
        rows.append(row)
    return rows
