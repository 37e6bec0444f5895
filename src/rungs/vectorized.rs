//! Rung 2: vectorize by staying inside a library's kernel (ndarray's matrix product).

use std::ops::Range;

use ndarray::{Array2, ArrayView2, ArrayViewMut2, Axis, linalg::general_mat_mul, s};

use super::{Context, Coverage, Kernel, Output, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// Normalise the rows with array operations, then S = X·Xᵀ with ndarray's matrix product.
pub struct Vectorized;

impl Rung for Vectorized {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "vectorized",
            title: "ndarray: normalise, then X·Xᵀ",
            step: Step::Vectorize,
            what_changed: "whole-array operations: normalise rows, then one matrix product",
            why: "the loops run inside a SIMD, cache-blocked library kernel (float32, one thread)",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::Full
    }

    fn prepare<'a>(&self, x: &'a Matrix, _: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        let view = ArrayView2::from_shape((x.n(), x.d()), x.as_slice())
            .map_err(|e| RungError::Unsupported(e.to_string()))?;
        // Norms in float64: a float32 `row.dot(&row)` underflows to 0 for rows of scale 1e-30
        // and overflows for rows of scale 1e20, turning valid vectors into zero or NaN rows.
        // This is set-up, timed apart from the kernel.
        let wide = view.mapv(f64::from);
        let norms = wide.map_axis(Axis(1), |row| row.dot(&row).sqrt());
        let inv = norms.mapv(|v| if v == 0.0 { 0.0 } else { 1.0 / v });
        let unit = (&wide * &inv.insert_axis(Axis(1))).mapv(|v| v as f32);
        Ok(Box::new(VectorizedKernel { unit }))
    }
}

struct VectorizedKernel {
    unit: Array2<f32>,
}

impl Kernel for VectorizedKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.full_mut();
        let n = out.n();
        let block = self.unit.slice(s![rows.clone(), ..]);
        let dst = &mut out.as_mut_slice()[rows.start * n..rows.end * n];
        let mut dst = ArrayViewMut2::from_shape((rows.len(), n), dst).expect("rows × n block");
        general_mat_mul(1.0, &block, &self.unit.t(), 0.0, &mut dst);
    }
}
