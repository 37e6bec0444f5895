"""Rust + PyO3: ladder's own native kernel, called from Python on NumPy arrays in place (the
extension in assets/peers/pyo3, installed with pip)."""

import _harness

a = _harness.args()
clock = _harness.Clock()
import ladder_native  # noqa: E402
import numpy as np  # noqa: E402

X = np.ascontiguousarray(np.load(a.input), dtype=np.float32)
out = np.empty((a.end - a.start, X.shape[0]), np.float32)
clock.kernel()
# The extension normalises and packs the rows itself, as the native rung does.
ladder_native.rows_of_s(X, a.start, a.end, out, a.threads)
clock.stop()
np.save(a.output, out)
clock.done()
