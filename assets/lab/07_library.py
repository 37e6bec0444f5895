"""Step 7, the right library, and a different question: each row's k nearest neighbours.

Most uses of a similarity matrix want each vector's k most similar others, not all n x n
numbers. Build an index over the unit rows with faiss (`pip install faiss-cpu`: IndexFlatIP is
exact) or hnswlib (`pip install hnswlib`: approximate), and return, for rows start..end, the k
best *other* rows (leave each row itself out), best first:

    (indices, similarities), each an array of shape (end - start, k)

X arrives as a NumPy float32 array of shape (n, d). It counts when its neighbours are right
(exact, or recall at or above the floor for an index) and it is at least the floor in lab.toml
faster than your naive step.
"""

import numpy as np


def topk(X, k, start, end):
    # TODO: unit rows; an index over them; search rows start..end for k + 1; drop each self.
    raise NotImplementedError("TODO: step 7 is yours to write: an index, then a search")
