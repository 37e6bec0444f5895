"""hnswlib: an HNSW graph over the unit rows, queried for each requested row's k best."""

import _harness

a = _harness.args()
clock = _harness.Clock()
import hnswlib  # noqa: E402
import numpy as np  # noqa: E402

X = np.load(a.input)
norms = np.linalg.norm(X.astype(np.float64), axis=1)
norms[norms == 0] = 1.0
Xn = np.ascontiguousarray((X / norms[:, None]).astype(np.float32))
n, d = Xn.shape
index = hnswlib.Index(space="ip", dim=d)
index.init_index(
    max_elements=n,
    M=int(a.params.get("M", 16)),
    ef_construction=int(a.params.get("ef_construction", 100)),
)
index.set_num_threads(a.threads)
index.add_items(Xn, np.arange(n))  # set-up: the graph
index.set_ef(max(int(a.params.get("ef_search", 48)), a.k + 1))
clock.kernel()
q = min(a.k + 1, n)
labels, dist = index.knn_query(Xn[a.start : a.end], k=q)
# hnswlib's "ip" distance is 1 - dot.
out_i, out_s = _harness.without_self(labels, 1.0 - dist, a.start, a.k)
clock.stop()
np.save(a.output, out_i)
np.save(a.sims, out_s)
clock.done()
