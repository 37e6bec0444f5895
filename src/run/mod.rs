//! The runner: drives rungs on a worker thread, block by block, and measures them honestly.
//!
//! For each rung: set-up (timed apart), then the kernel over blocks of rows sized to about
//! [`RunConfig::block_target`] each, so that progress flows, cancellation is quick and a slow
//! rung stops at the time budget. A rung stopped by the budget has its full time extrapolated
//! from the arithmetic it did (a triangle row near the top costs more than one near the
//! bottom) and is always marked extrapolated. Then its output is checked against the float64
//! reference. Everything is reported through [`RunEvent`]s and ends in a [`RunReport`].
//!
//! A rung asked to run more than once ([`RunConfig::repeat`]) runs that many times in a row;
//! its report's time is the median, with the spread and every run kept (see [`repeat`] for
//! what the budget, a failure and a cancel do to the repeats).

pub mod bench;
pub mod limits;
pub mod repeat;
mod report;
mod runner;
pub mod scale;
pub mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

pub use report::{
    LOADED_CORES, OneRun, Repeats, RunReport, RunStatus, VerificationReport, fill_speedups,
};
pub use runner::Runner;

use crate::rungs::Context;
use crate::workload::reference::SamplePlan;
use crate::workload::{Workload, human_bytes};

/// The memory pprof's sample tables keep resident once a profiler has started (about 180 MB,
/// for the life of the process): left out of a profiled rung's peak, which would otherwise
/// be the profiler's more than the rung's.
static PROFILER_RESIDENT: AtomicU64 = AtomicU64::new(0);

/// The resident bytes this process holds for the profiler (its symbol tables), left out of
/// every profiled rung's peak RSS: a view of the process's own RSS names it, so the two agree.
#[must_use]
pub fn profiler_resident() -> u64 {
    PROFILER_RESIDENT.load(Ordering::Relaxed)
}

/// Default time budget per rung: keeps the whole default ladder near half a minute on 2 cores.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(8);

/// Neighbours per row for the top-k rungs, unless told otherwise.
pub const DEFAULT_K: usize = 10;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// A rung still running after this much kernel time stops and is extrapolated.
    pub budget: Duration,
    /// Threads for the threaded rungs.
    pub threads: usize,
    /// Aim for blocks of rows that take about this long.
    pub block_target: Duration,
    /// Neighbours per row for the top-k rungs.
    pub k: usize,
    pub verify: SamplePlan,
    /// Runs of each rung ([`Runner::run_one`]): the time reported is their median.
    pub repeat: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            budget: DEFAULT_BUDGET,
            threads: Context::default().threads,
            block_target: Duration::from_millis(40),
            k: DEFAULT_K,
            verify: SamplePlan::default(),
            repeat: 1,
        }
    }
}

/// What a rung is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Setup,
    Kernel,
    Verify,
}

/// Messages from the runner's thread.
#[derive(Clone, Debug)]
pub enum RunEvent {
    /// Rung `index` (in the list given) entered a phase.
    Phase {
        index: usize,
        rung: &'static str,
        phase: Phase,
    },
    /// Rows done so far in the kernel.
    Progress {
        index: usize,
        rows_done: usize,
        rows_total: usize,
        /// Share of the rung's arithmetic done (differs from rows for triangle rungs).
        work_done: f64,
        kernel_elapsed: Duration,
    },
    /// Rung `index` starts run `run` (from 0) of the `runs` asked for, within `budget` of
    /// kernel time. Sent before each run of a rung run more than once.
    Repeat {
        index: usize,
        run: usize,
        runs: usize,
        budget: Duration,
    },
    Finished(Box<RunReport>),
}

/// Shared flag that asks the runner to stop at the next block boundary.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// The flag itself, for code outside this module that must watch it (a peer's process).
    #[must_use]
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Clears the flag (before the next rung).
    pub fn reset(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// Why a run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "n = {n} needs {need} for the full {n} × {n} similarity matrix (n² × 4 bytes) plus working copies, \
         but only {avail} of memory is available; use a smaller --n (about {max_n} fits here), \
         or ask for each row's top k instead (--rungs topk), which needs no n × n matrix"
    )]
    TooLarge {
        n: usize,
        need: String,
        avail: String,
        max_n: usize,
    },
    #[error("n = {n} is too large: n² × 4 bytes overflows 64 bits; use a smaller --n")]
    Overflow { n: usize },
    #[error(
        "{n} vectors of dimension {d} need {need} (with the reference's float64 copy), but only \
         {avail} of memory is available; use a smaller --n or --d"
    )]
    VectorsTooLarge {
        n: usize,
        d: usize,
        need: String,
        avail: String,
    },
}

impl RunError {
    /// The same, for the app's settings, whose words are not the command line's flags.
    #[must_use]
    pub fn in_app(&self) -> String {
        match self {
            RunError::TooLarge {
                n,
                need,
                avail,
                max_n,
            } => format!(
                "n = {n} needs {need} for the full {n} × {n} matrix plus working copies, but only \
                 {avail} of memory is available: about n = {max_n} fits here (beyond it, \
                 `ladder run --rungs topk` keeps each row's k best and needs no n × n matrix)"
            ),
            RunError::Overflow { n } => {
                format!("n = {n} is too large: n² × 4 bytes overflows 64 bits; set a smaller n")
            }
            RunError::VectorsTooLarge { n, d, need, avail } => format!(
                "{n} vectors of dimension {d} need {need}, but only {avail} of memory is \
                 available; set a smaller n or d"
            ),
        }
    }
}

/// Bytes a full-matrix run of n vectors of dimension d needs: S, plus the input and the
/// largest working copy a rung makes (the naive rung's float64 rows: twice the input).
#[must_use]
pub fn bytes_needed(n: usize, d: usize) -> Option<u64> {
    let s = Workload::full_matrix_bytes(n)?;
    let x = (n as u64).checked_mul(d as u64)?.checked_mul(4)?;
    s.checked_add(x.checked_mul(3)?)
}

/// Refuses, up front, a size whose output will not fit in `available` bytes.
pub fn check_fits(n: usize, d: usize, available: Option<u64>) -> Result<(), RunError> {
    let need = bytes_needed(n, d).ok_or(RunError::Overflow { n })?;
    let Some(avail) = available else {
        return Ok(());
    };
    // Keep a tenth in reserve for everything else on the machine.
    let usable = avail - avail / 10;
    if need <= usable {
        return Ok(());
    }
    let max_n = ((usable as f64 / 4.0).sqrt() as usize / 1000 * 1000).max(1);
    Err(RunError::TooLarge {
        n,
        need: human_bytes(need),
        avail: human_bytes(avail),
        max_n,
    })
}

/// Refuses, up front, vectors that will not fit in `available` bytes (every rung needs them,
/// whatever its output: the top-k and index rungs too), with the reference's float64 copy.
pub fn check_vectors_fit(n: usize, d: usize, available: Option<u64>) -> Result<(), RunError> {
    // float32 vectors, a float64 copy for the reference, and one working copy.
    let need = (n as u64)
        .checked_mul(d as u64)
        .and_then(|x| x.checked_mul(16))
        .ok_or(RunError::Overflow { n })?;
    let Some(avail) = available else {
        return Ok(());
    };
    if need <= avail - avail / 10 {
        return Ok(());
    }
    Err(RunError::VectorsTooLarge {
        n,
        d,
        need: human_bytes(need),
        avail: human_bytes(avail),
    })
}
