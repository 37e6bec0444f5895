//! Rung 5: the right library. A tuned GEMM (the `gemm` crate) computes the Gram matrix of the
//! normalised rows on every core: the yardstick our own `threads` rung is measured against.

use std::ops::Range;

use super::{Context, Coverage, Kernel, Output, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// S = X̂·X̂ᵀ with `gemm`, rows in blocks, all threads.
pub struct Library;

impl Rung for Library {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "library",
            title: "The right library: gemm on all cores",
            step: Step::Library,
            what_changed: "the Gram matrix handed to a tuned GEMM crate (gemm), multithreaded",
            why: "years of tuning in one call; it computes the whole matrix, not the triangle",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::Full
    }

    fn row_align(&self) -> usize {
        // Blocks large enough for the library to tile and thread well.
        256
    }

    fn threads(&self, ctx: &Context) -> usize {
        ctx.threads.max(1)
    }

    fn prepare<'a>(&self, x: &'a Matrix, ctx: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        let unit = super::unit_rows(x);
        let pool = super::worker_pool(ctx.threads, "gemm")?;
        Ok(Box::new(LibraryKernel {
            unit,
            d: x.d(),
            threads: ctx.threads.max(1),
            pool,
        }))
    }
}

struct LibraryKernel {
    unit: Vec<f32>,
    d: usize,
    threads: usize,
    pool: rayon::ThreadPool,
}

impl Kernel for LibraryKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.full_mut();
        let n = out.n();
        let d = self.d;
        let m = rows.len();
        if m == 0 {
            return;
        }
        // Addresses cross into the pool's closure as integers (raw pointers are not Send).
        let dst = out.as_mut_slice()[rows.start * n..rows.end * n].as_mut_ptr() as usize;
        let lhs = self.unit[rows.start * d..rows.end * d].as_ptr() as usize;
        let rhs = self.unit.as_ptr() as usize;
        let par = if self.threads > 1 {
            gemm::Parallelism::Rayon(self.threads)
        } else {
            gemm::Parallelism::None
        };
        self.pool.install(|| {
            // SAFETY: dst is the m × n block of S for `rows` (row stride n, column stride 1);
            // lhs is the m × d block of unit rows (row stride d); rhs reads unit as the d × n
            // matrix X̂ᵀ (element (k, j) at j·d + k). All three stay inside their slices, and
            // dst does not alias the inputs. gemm computes dst = alpha·dst + beta·lhs·rhs;
            // with read_dst false, dst is only written.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    d,
                    dst as *mut f32,
                    1,
                    n.cast_signed(),
                    false,
                    lhs as *const f32,
                    1,
                    d.cast_signed(),
                    rhs as *const f32,
                    d.cast_signed(),
                    1,
                    0.0f32,
                    1.0f32,
                    false,
                    false,
                    false,
                    par,
                );
            }
        });
    }
}
