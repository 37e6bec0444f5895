"""Step 3, Vectorize: hand the loops to NumPy.

X arrives as a NumPy array of shape (n, d), float32. Normalise the rows once (mind the zero
rows), then compute rows start..end of S with one matrix product: the loops run in a compiled,
SIMD, cache-blocked BLAS kernel instead of the interpreter. Return an array of shape
(end - start, n).

It counts when it verifies, is at least the floor in lab.toml faster than your algorithmic
step, and passes ruff's NumPy rules (`ruff check --select NPY 03_numpy.py`): this file's
warm-up code uses an idiom ruff flags. Find it and modernise it.
"""

import numpy as np

# Warm-up data for trying the function by hand: `python 03_numpy.py`.
np.random.seed(0)


def similarity(X, start, end):
    # TODO: normalise the rows once, then one matrix product for rows start..end.
    raise NotImplementedError("TODO: step 3 is yours to write: normalise, then Xn[start:end] @ Xn.T")


if __name__ == "__main__":
    X = np.random.rand(6, 4).astype(np.float32)
    print(similarity(X, 0, 2))
