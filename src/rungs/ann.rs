//! An approximate nearest-neighbour index (HNSW, the `hnsw_rs` crate): build once, then answer
//! each row's top k by walking a graph instead of comparing with every row.
//!
//! Its answers are approximate, so it is checked by recall (the share of the true k nearest it
//! finds, on sampled rows) against a floor, and every similarity it reports must be right.

use std::ops::Range;

use hnsw_rs::prelude::{DistDot, Hnsw};

use super::{Context, Coverage, Kernel, Output, OutputKind, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// HNSW parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AnnParams {
    /// Links per node and layer (M).
    pub m: usize,
    /// Candidates explored while building.
    pub ef_construction: usize,
    /// Candidates explored per query.
    pub ef_search: usize,
}

impl Default for AnnParams {
    fn default() -> Self {
        // Measured at 10k × 768 on clustered data: recall@10 1.00 in about 2.2 s (build and
        // queries); larger values cost time for no recall there.
        Self {
            m: 16,
            ef_construction: 100,
            ef_search: 48,
        }
    }
}

impl AnnParams {
    /// Refuses parameters the index cannot use, with the reason.
    pub fn check(&self) -> Result<(), String> {
        if !(2..=256).contains(&self.m) {
            return Err(format!(
                "--ann-m must be between 2 and 256 (got {})",
                self.m
            ));
        }
        if self.ef_construction < self.m {
            return Err(format!(
                "--ann-ef-construction ({}) must be at least --ann-m ({})",
                self.ef_construction, self.m
            ));
        }
        if self.ef_search == 0 {
            return Err("--ann-ef-search must be at least 1".into());
        }
        Ok(())
    }
}

/// Top-k from an HNSW index.
pub struct Ann {
    params: AnnParams,
}

impl Ann {
    #[must_use]
    pub fn new(params: AnnParams) -> Self {
        Self { params }
    }
}

impl Default for Ann {
    fn default() -> Self {
        Self::new(AnnParams::default())
    }
}

impl Rung for Ann {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "ann",
            title: "Approximate index: HNSW",
            step: Step::Library,
            what_changed: "an HNSW graph built once (set-up); each query walks it instead of scanning every row",
            why: "sub-linear queries on data with structure; approximate, so judged by recall",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::Full
    }

    fn flops(&self, rows: Range<usize>, n: usize, d: usize) -> f64 {
        // Work done is data-dependent; count the exact scan it replaces, so GFLOP/s reads as
        // "effective" like every other rung.
        2.0 * rows.len() as f64 * n as f64 * d as f64
    }

    fn output(&self) -> OutputKind {
        OutputKind::TopK
    }

    fn approximate(&self) -> bool {
        true
    }

    fn row_align(&self) -> usize {
        64
    }

    fn threads(&self, ctx: &Context) -> usize {
        ctx.threads.max(1)
    }

    fn prepare<'a>(&self, x: &'a Matrix, ctx: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        self.params.check().map_err(RungError::Unsupported)?;
        let unit: Vec<Vec<f32>> = super::unit_rows(x)
            .chunks(x.d())
            .map(<[f32]>::to_vec)
            .collect();
        let pool = super::worker_pool(ctx.threads, "ann")?;
        let p = self.params;
        let mut index = Hnsw::<f32, DistDot>::new(p.m, x.n(), 16, p.ef_construction, DistDot {});
        let items: Vec<(&Vec<f32>, usize)> = unit.iter().zip(0..).collect();
        pool.install(|| index.parallel_insert(&items));
        index.set_searching_mode(true);
        Ok(Box::new(AnnKernel {
            index,
            unit,
            ef: p.ef_search,
            pool,
        }))
    }
}

struct AnnKernel {
    index: Hnsw<'static, f32, DistDot>,
    unit: Vec<Vec<f32>>,
    ef: usize,
    pool: rayon::ThreadPool,
}

impl Kernel for AnnKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.topk_mut();
        let k = out.k();
        if k == 0 || rows.is_empty() {
            return;
        }
        let start = rows.start;
        let queries = &self.unit[rows.clone()];
        // One more than asked: each row finds itself, which is not its own neighbour.
        let ef = self.ef.max(k + 1);
        let found = self
            .pool
            .install(|| self.index.parallel_search(queries, k + 1, ef));
        let (idx, sim) = out.rows_mut(rows);
        for (r, hits) in found.iter().enumerate() {
            let i = start + r;
            for (t, h) in hits.iter().filter(|h| h.d_id != i).take(k).enumerate() {
                idx[r * k + t] = h.d_id as u32;
                // DistDot is 1 − cos.
                sim[r * k + t] = 1.0 - h.distance;
            }
            // Fewer found than asked: the rest stay empty (NaN) and the check says so.
        }
    }
}
