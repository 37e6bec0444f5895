//! Rung 1: the algorithm step. Same language, same scalar float64 code, less work.

use std::ops::Range;

use super::{Context, Coverage, Kernel, Output, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// Norms computed once (rows normalised up front), only j ≥ i computed and mirrored.
pub struct Algorithmic;

impl Rung for Algorithmic {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "algorithmic",
            title: "Norms once, upper triangle",
            step: Step::Algorithm,
            what_changed: "rows normalised once; only j ≥ i computed, S[j][i] mirrored",
            why: "one sum per pair instead of three, and half the pairs: ~6x less arithmetic",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::UpperTriangle
    }

    fn prepare<'a>(&self, x: &'a Matrix, _: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        let unit: Vec<Vec<f64>> = (0..x.n())
            .map(|i| {
                let v: Vec<f64> = x.row(i).iter().map(|&a| f64::from(a)).collect();
                let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
                // Zero vectors stay zero, so every cosine with them is 0.
                let inv = if norm == 0.0 { 0.0 } else { 1.0 / norm };
                v.iter().map(|a| a * inv).collect()
            })
            .collect();
        Ok(Box::new(AlgorithmicKernel { unit }))
    }
}

struct AlgorithmicKernel {
    unit: Vec<Vec<f64>>,
}

impl Kernel for AlgorithmicKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.full_mut();
        let n = out.n();
        for i in rows {
            for j in i..n {
                let mut dot = 0.0;
                for k in 0..self.unit[i].len() {
                    dot += self.unit[i][k] * self.unit[j][k];
                }
                let s = dot as f32;
                out.as_mut_slice()[i * n + j] = s;
                out.as_mut_slice()[j * n + i] = s;
            }
        }
    }
}
