//! An approximate nearest-neighbour index (HNSW, in [`hnsw`]): build once, then answer each
//! row's top k by walking a graph instead of comparing with every row.
//!
//! Its answers are approximate, so it is checked by recall (the share of the true k nearest it
//! finds, on sampled rows) against a floor, and every similarity it reports must be right.

mod dot;
mod hnsw;

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use rayon::prelude::*;

use self::hnsw::{Hnsw, Scratch, Shape};
use super::native::Isa;
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
        // Measured at 10k × 768 on clustered data: recall@10 1.00 in about 0.8 s (build and
        // queries, 2 threads); larger values cost time for no recall there. The hnswlib peer
        // runs with the same values, so the two rows compare like for like.
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
        if u32::try_from(x.n()).is_err() {
            return Err(RungError::Unsupported(format!(
                "the index numbers rows with 32 bits; {} rows is too many (use --rungs topk)",
                x.n()
            )));
        }
        let pool = super::worker_pool(ctx.threads, "ann")?;
        let p = self.params;
        let shape = Shape {
            m: p.m,
            ef_construction: p.ef_construction,
        };
        let threads = self.threads(ctx);
        let cancel = ctx.cancel.as_deref();
        let built = pool.install(|| Hnsw::build(x, shape, Isa::detect(), threads, cancel));
        // Cancelled while building: an empty kernel; the runner stops before its first block.
        let scratch = (0..threads)
            .map(|_| Mutex::new(Scratch::new(x.n())))
            .collect();
        Ok(Box::new(AnnKernel {
            index: built,
            ef: p.ef_search,
            pool,
            scratch,
        }))
    }
}

struct AnnKernel {
    index: Option<Hnsw>,
    ef: usize,
    pool: rayon::ThreadPool,
    /// One walk's working memory per pool thread, kept across calls (it holds a mark per row).
    scratch: Vec<Mutex<Scratch>>,
}

impl Kernel for AnnKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.topk_mut();
        let k = out.k();
        let Some(index) = &self.index else { return };
        if k == 0 || rows.is_empty() {
            return;
        }
        let start = rows.start;
        let (idx, sim) = out.rows_mut(rows);
        // One more than asked: each row finds itself, which is not its own neighbour.
        let want = k + 1;
        let ef = self.ef;
        let scratch = &self.scratch;
        self.pool.install(|| {
            idx.par_chunks_mut(k)
                .zip(sim.par_chunks_mut(k))
                .enumerate()
                .with_min_len(16)
                .for_each(|(r, (idx, sim))| {
                    let slot = rayon::current_thread_index().unwrap_or(0) % scratch.len();
                    let mut s = scratch[slot].lock().unwrap_or_else(PoisonError::into_inner);
                    let i = start + r;
                    let hits = index.search(i as u32, want, ef, &mut s);
                    for (t, h) in hits
                        .iter()
                        .filter(|h| h.id as usize != i)
                        .take(k)
                        .enumerate()
                    {
                        idx[t] = h.id;
                        sim[t] = h.sim;
                    }
                    // Fewer found than asked: the rest stay empty (NaN) and the check says so.
                });
        });
    }
}
