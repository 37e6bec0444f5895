//! Rung 0: the loop a newcomer writes first.

use std::ops::Range;

use super::{Context, Coverage, Kernel, Output, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// Nested `Vec<Vec<f64>>`, every one of the n² pairs, and both norms recomputed for every pair:
/// `cos = dot(a, b) / (norm(a) · norm(b))`, straight from the formula.
pub struct Naive;

impl Rung for Naive {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "naive",
            title: "Naive triple loop",
            step: Step::Baseline,
            what_changed: "the literal formula: all n² pairs, dot(a, b) / (norm(a) · norm(b)) with both norms recomputed for every pair",
            why: "the baseline: scalar float64, three sums per pair, nothing reused",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::Full
    }

    fn flops(&self, rows: Range<usize>, n: usize, d: usize) -> f64 {
        // Three multiply-adds per element: the dot product and both squared norms.
        6.0 * rows.len() as f64 * n as f64 * d as f64
    }

    fn prepare<'a>(&self, x: &'a Matrix, _: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        // The newcomer's data structure: a vector of vectors of float64.
        let vectors: Vec<Vec<f64>> = (0..x.n())
            .map(|i| x.row(i).iter().map(|&v| f64::from(v)).collect())
            .collect();
        Ok(Box::new(NaiveKernel { vectors }))
    }
}

struct NaiveKernel {
    vectors: Vec<Vec<f64>>,
}

// The helpers stay out of line so that a profile names them, as a newcomer's debug build
// would: the lesson is that `norm` takes two thirds of the time. A call costs nanoseconds
// against the microsecond each loop takes.

/// Σ a_k · b_k.
#[inline(never)]
// Indexing in the loop is the point: it is what newcomers write.
#[allow(clippy::needless_range_loop)]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut sum = 0.0;
    for k in 0..a.len() {
        sum += a[k] * b[k];
    }
    sum
}

/// |a|, recomputed on every call.
#[inline(never)]
#[allow(clippy::needless_range_loop)]
fn norm(a: &[f64]) -> f64 {
    let mut sum = 0.0;
    for k in 0..a.len() {
        sum += a[k] * a[k];
    }
    sum.sqrt()
}

impl Kernel for NaiveKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.full_mut();
        let vectors = &self.vectors;
        for i in rows {
            let row = out.row_mut(i);
            for (j, cell) in row.iter_mut().enumerate() {
                let denom = norm(&vectors[i]) * norm(&vectors[j]);
                // A zero vector's cosine with anything is defined as 0 (not 0/0 = NaN).
                *cell = if denom == 0.0 {
                    0.0
                } else {
                    (dot(&vectors[i], &vectors[j]) / denom) as f32
                };
            }
        }
    }
}
