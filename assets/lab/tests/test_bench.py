"""pytest-benchmark over each step of the lab, at a small size, so a CI job can refuse a change
that makes a step slower (see the lab's README):

    pytest tests/test_bench.py --benchmark-autosave --benchmark-storage=file://perf \
           --benchmark-compare --benchmark-compare-fail=median:25%

A step that is not written yet (it raises NotImplementedError) is skipped, not failed.
"""

import importlib.util
import pathlib

import numpy as np
import pytest

LAB = pathlib.Path(__file__).resolve().parent.parent
N, D = 300, 64


def load(name):
    path = LAB / name
    spec = importlib.util.spec_from_file_location("lab_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def X():
    return np.random.default_rng(0).standard_normal((N, D), dtype=np.float32)


@pytest.mark.parametrize(
    "name, as_lists",
    [("01_naive.py", True), ("02_algorithmic.py", True), ("03_numpy.py", False), ("05_numba.py", False)],
)
def test_step(benchmark, X, name, as_lists):
    try:
        module = load(name)
    except ImportError as e:
        pytest.skip(f"{name}: {e}")
    data = X.astype(np.float64).tolist() if as_lists else X
    rows = 8 if as_lists else N
    try:
        module.similarity(data, 0, 1)
    except NotImplementedError:
        pytest.skip(f"{name} is not written yet")
    got = np.asarray(benchmark(module.similarity, data, 0, rows), dtype=np.float64)
    U = X.astype(np.float64)
    U /= np.linalg.norm(U, axis=1, keepdims=True)
    np.testing.assert_allclose(got, U[:rows] @ U.T, atol=1e-4)
