"""A reference solution of step 2 (for the tests only; never shipped in a lab)."""

import math


def similarity(X, start, end):
    units = []
    for x in X:
        s = math.sqrt(sum(v * v for v in x))
        units.append([v / s for v in x] if s > 0 else [0.0] * len(x))
    rows = []
    for i in range(start, end):
        ui = units[i]
        row = []
        for uj in units:
            s = 0.0
            for k in range(len(ui)):
                s += ui[k] * uj[k]
            row.append(s)
        rows.append(row)
    return rows
