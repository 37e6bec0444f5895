"""Step 2, Algorithm: do less work before doing it faster.

The baseline recomputes |x_i| and |x_j| for every pair: 2n norms per row, each as costly as
the dot product itself. Compute each row's norm once (or divide every row by its norm once,
so that the cosine is a plain dot product of unit vectors), then fill rows start..end of S.

Same contract as step 1: X is a list of n lists of d floats; return rows start..end of S as a
list of lists; a zero vector's cosine with anything is 0. Pure Python: no NumPy yet.

It counts when it verifies and is at least the floor in lab.toml faster than your naive step.
"""


def similarity(X, start, end):
    # TODO: compute the norms (or unit vectors) once, then the dot products.
    raise NotImplementedError("TODO: step 2 is yours to write: norms once, then dot products")
