//! A reference solution of step 6 (for the tests only; never shipped in a lab).

use numpy::ndarray::Array2;
use numpy::{IntoPyArray, PyArray2, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

#[pyfunction]
fn similarity<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f32>,
    start: usize,
    end: usize,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let x = x.as_array();
    let (n, d) = x.dim();
    if start > end || end > n {
        return Err(PyValueError::new_err(format!(
            "rows {start}..{end} are not within 0..{n}"
        )));
    }
    let mut u = vec![0f32; n * d];
    for (i, row) in x.rows().into_iter().enumerate() {
        let norm = row.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>().sqrt();
        let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        for (k, &v) in row.iter().enumerate() {
            u[i * d + k] = (f64::from(v) * inv) as f32;
        }
    }
    let mut out = Array2::<f32>::zeros((end - start, n));
    py.detach(|| {
        for r in 0..end - start {
            let a = &u[(start + r) * d..(start + r + 1) * d];
            for j in 0..n {
                let b = &u[j * d..(j + 1) * d];
                out[[r, j]] = a.iter().zip(b).map(|(p, q)| p * q).sum();
            }
        }
    });
    Ok(out.into_pyarray(py))
}

#[pymodule]
fn lab_pyo3(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(similarity, m)?)
}
