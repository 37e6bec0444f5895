"""A reference solution of step 3 (for the tests only; never shipped in a lab)."""

import numpy as np


def similarity(X, start, end):
    norms = np.linalg.norm(X.astype(np.float64), axis=1)
    norms[norms == 0] = 1.0
    U = (X / norms[:, None]).astype(np.float32)
    return U[start:end] @ U.T
