"""faiss: exact top-k with IndexFlatIP, or approximate with IndexHNSWFlat, on unit rows."""

import _harness

a = _harness.args()
clock = _harness.Clock()
import faiss  # noqa: E402
import numpy as np  # noqa: E402

faiss.omp_set_num_threads(a.threads)
X = np.load(a.input)
norms = np.linalg.norm(X.astype(np.float64), axis=1)
norms[norms == 0] = 1.0
Xn = np.ascontiguousarray((X / norms[:, None]).astype(np.float32))
n, d = Xn.shape
kind = a.params.get("index", "flat")
if kind == "flat":
    index = faiss.IndexFlatIP(d)
else:
    index = faiss.IndexHNSWFlat(d, int(a.params.get("M", 16)), faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = int(a.params.get("ef_construction", 100))
    index.hnsw.efSearch = int(a.params.get("ef_search", 48))
index.add(Xn)  # building the index is set-up; the queries are the kernel
clock.kernel()
q = min(a.k + 1, n)
sims, idx = index.search(Xn[a.start : a.end], q)
out_i, out_s = _harness.without_self(idx, sims, a.start, a.k)
clock.stop()
np.save(a.output, out_i)
np.save(a.sims, out_s)
clock.done()
