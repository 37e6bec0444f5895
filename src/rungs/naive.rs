//! Rung 0: the loop a newcomer writes first.

use std::ops::Range;

use super::{Context, Coverage, Kernel, Rung, RungError, RungInfo, SimMatrix, Step};
use crate::workload::Matrix;

/// Nested `Vec<Vec<f64>>`, every one of the n² pairs, and both norms recomputed for every pair.
pub struct Naive;

impl Rung for Naive {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "naive",
            title: "Naive triple loop",
            step: Step::Baseline,
            what_changed: "the literal formula: all n² pairs, both norms recomputed inside the loop",
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

// Indexing vectors[i][k] in the innermost loop is the point: it is what newcomers write.
#[allow(clippy::needless_range_loop)]
impl Kernel for NaiveKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut SimMatrix) {
        let vectors = &self.vectors;
        for i in rows {
            let row = out.row_mut(i);
            for (j, cell) in row.iter_mut().enumerate() {
                let mut dot = 0.0;
                let mut norm_i = 0.0;
                let mut norm_j = 0.0;
                for k in 0..vectors[i].len() {
                    dot += vectors[i][k] * vectors[j][k];
                    norm_i += vectors[i][k] * vectors[i][k];
                    norm_j += vectors[j][k] * vectors[j][k];
                }
                let denom = f64::sqrt(norm_i) * f64::sqrt(norm_j);
                // A zero vector's cosine with anything is defined as 0 (not 0/0 = NaN).
                *cell = if denom == 0.0 {
                    0.0
                } else {
                    (dot / denom) as f32
                };
            }
        }
    }
}
