"""The course's algorithm step in pure Python: each vector's norm once, then every pair's dot
product of the unit vectors. Prints the seconds of its own timed section (the kernel)."""

import math
import os
import sys
import time

import numpy as np


def unit(u):
    s = math.sqrt(sum(x * x for x in u))
    return [x / s for x in u] if s > 0 else [0.0] * len(u)


def dot(u, v):
    s = 0.0
    for k in range(len(u)):
        s += u[k] * v[k]
    return s


def similarity(U):
    n = len(U)
    out = [[0.0] * n for _ in range(n)]
    for i in range(n):
        ui = U[i]
        row = out[i]
        for j in range(n):
            row[j] = dot(ui, U[j])
    return out


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 800
    d = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    X = np.random.default_rng(42).standard_normal((n, d)).tolist()
    # Tells the caller the set-up (imports, data) is over: its hang limit starts here.
    mark = os.environ.get("LADDER_KERNEL_MARK")
    if mark:
        open(mark, "w").close()
    t0 = time.perf_counter()
    U = [unit(x) for x in X]
    S = similarity(U)
    t1 = time.perf_counter()
    print(f"kernel_s {t1 - t0:.6f} checksum {sum(map(sum, S)):.6f}")


if __name__ == "__main__":
    main()
