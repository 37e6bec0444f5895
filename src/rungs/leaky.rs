//! Outside the ladder: the native rung with a real memory leak, and the same rung fixed.
//!
//! The leak is a classic: a cache meant to save re-normalising the rows, keyed by the run, so
//! it never hits, and never emptied, so every run adds n·d·4 bytes that stay live. The memory
//! flamegraph of live bytes points at [`remember_normalised`].

use std::ops::Range;
use std::sync::Mutex;

use super::native::{Isa, MC, NativeKernel, Packed};
use super::{Context, Coverage, Kernel, Output, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// Every run's normalised rows, kept "in case they are needed again". They never are.
static CACHE: Mutex<Vec<Vec<f32>>> = Mutex::new(Vec::new());

/// Bytes the leaky cache holds now.
#[must_use]
pub fn cached_bytes() -> usize {
    CACHE
        .lock()
        .map_or(0, |c| c.iter().map(|v| v.len() * 4).sum())
}

/// Copies the normalised rows into the global cache, and never takes them out: the leak.
#[inline(never)]
fn remember_normalised(rows: &[f32]) {
    if let Ok(mut cache) = CACHE.lock() {
        cache.push(rows.to_vec());
    }
}

/// The native kernel with a run-keyed cache: `leaky` never frees it, `leak-fixed` drops it
/// with the run.
pub struct Leaky {
    fixed: bool,
}

impl Leaky {
    #[must_use]
    pub fn leaking() -> Self {
        Self { fixed: false }
    }

    #[must_use]
    pub fn fixed() -> Self {
        Self { fixed: true }
    }
}

impl Rung for Leaky {
    /// Each run keeps its rows in a global cache (the leak): a profile's extra runs would
    /// grow it, and every later reading of memory with it.
    fn rerun_is_harmless(&self) -> bool {
        self.fixed
    }

    fn info(&self) -> RungInfo {
        if self.fixed {
            RungInfo {
                id: "leak-fixed",
                title: "Native, cache scoped to the run",
                step: Step::Native,
                what_changed: "the cache of normalised rows lives and dies with the run",
                why: "memory returns to its baseline after every run",
            }
        } else {
            RungInfo {
                id: "leaky",
                title: "Native, with a cache that never forgets",
                step: Step::Native,
                what_changed: "memoises each run's normalised rows in a global cache keyed by run, never emptied",
                why: "a leak: every run adds n·d·4 bytes that stay live (find it in the memory flamegraph)",
            }
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::UpperTriangle
    }

    fn row_align(&self) -> usize {
        MC
    }

    fn prepare<'a>(&self, x: &'a Matrix, _: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        let unit = super::unit_rows(x);
        let scoped = if self.fixed {
            Some(unit.clone())
        } else {
            remember_normalised(&unit);
            None
        };
        Ok(Box::new(LeakyKernel {
            inner: NativeKernel::new(Packed::new(x, Isa::detect())),
            _scoped: scoped,
        }))
    }
}

struct LeakyKernel {
    inner: NativeKernel,
    /// The fixed variant's cache: freed with the kernel.
    _scoped: Option<Vec<f32>>,
}

impl Kernel for LeakyKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        self.inner.rows(rows, out);
    }
}
