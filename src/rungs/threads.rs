//! Rung 4: the native kernel on every core.

use std::ops::Range;

use rayon::prelude::*;

use super::native::{Isa, MC, NC, Packed};
use super::{Context, Coverage, Kernel, Output, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// The native kernel split into (row chunk × column block) tasks over the triangle, scheduled
/// by rayon's work stealing so that the long rows at the top and the short ones at the bottom
/// balance out.
pub struct Threads {
    isa: Isa,
}

isa_constructors!(Threads);

impl Rung for Threads {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "threads",
            title: "Native kernel on all cores (rayon)",
            step: Step::Threads,
            what_changed: "the triangle cut into small tiles that rayon's work stealing spreads over every core",
            why: "the kernel is compute-bound, so each core adds its own FMA units; small tasks balance the triangle",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::UpperTriangle
    }

    fn row_align(&self) -> usize {
        MC
    }

    fn threads(&self, ctx: &Context) -> usize {
        ctx.threads.max(1)
    }

    fn prepare<'a>(&self, x: &'a Matrix, ctx: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        let pool = super::worker_pool(ctx.threads, "worker")?;
        Ok(Box::new(ThreadsKernel {
            packed: Packed::new(x, self.isa),
            pool,
        }))
    }
}

thread_local! {
    /// Each worker's accumulator block (see [`Packed::compute_task`]).
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Any packed micro-kernel spread over a pool (also the JIT rung's driver).
pub(crate) struct ThreadsKernel {
    pub(crate) packed: Packed,
    pub(crate) pool: rayon::ThreadPool,
}

impl Kernel for ThreadsKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.full_mut();
        let raw = out.raw();
        let packed = &self.packed;
        let tasks = packed.tasks(rows);
        self.pool.install(|| {
            tasks.into_par_iter().with_max_len(1).for_each(|(r, c)| {
                SCRATCH.with_borrow_mut(|acc| {
                    // Allocated once per worker thread, not per task: 576 KiB of fresh pages
                    // per task would cost more than a small task's arithmetic.
                    acc.resize(2 * MC * NC, 0.0);
                    packed.compute_task(r, c, acc, raw);
                });
            });
        });
    }
}
