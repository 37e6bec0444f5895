//! `ladder_native.rows_of_s(x, start, end, out, threads)`: rows `start..end` of the cosine
//! similarity matrix of the float32 C-order array `x`, written into the float32 C-order array
//! `out` (end - start rows × n) in place, by ladder's native kernel on `threads` threads,
//! with the GIL released.

use numpy::{PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

#[pyfunction]
fn rows_of_s(
    py: Python<'_>,
    x: PyReadonlyArray2<'_, f32>,
    start: usize,
    end: usize,
    out: &Bound<'_, PyArray2<f32>>,
    threads: usize,
) -> PyResult<()> {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    if n == 0 || d == 0 || start > end || end > n {
        return Err(PyValueError::new_err(format!(
            "need 0 <= start <= end <= n; got {start}..{end} for {n} rows of {d}"
        )));
    }
    if out.shape() != [end - start, n] {
        return Err(PyValueError::new_err(format!(
            "out must have shape ({}, {n}); it has {:?}",
            end - start,
            out.shape()
        )));
    }
    let data = x
        .as_slice()
        .map_err(|_| PyValueError::new_err("x must be C-contiguous (np.ascontiguousarray)"))?;
    let mut out = out.readwrite();
    let dst = out
        .as_slice_mut()
        .map_err(|_| PyValueError::new_err("out must be C-contiguous"))?;
    py.detach(|| ladder::rungs::native::rows_of_s(data, n, d, start..end, dst, threads));
    Ok(())
}

#[pymodule]
fn ladder_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(rows_of_s, m)?)
}
