//! The ladder: one trait, one implementation per rung, and the registry in ladder order.
//!
//! A rung computes rows of S = cos(x_i, x_j). The runner calls [`Rung::prepare`] once (set-up
//! that is not the kernel: converting, normalising, packing; timed separately) and then
//! [`Kernel::rows`] on consecutive blocks of rows, so that it can report progress, cancel
//! between blocks and stop at a time budget. This module depends only on `workload`.

/// The constructors of a rung built on the native kernel (`native`, `threads`, `topk`): the
/// best instruction set here, or a given one, so tests and benchmarks can compare them.
macro_rules! isa_constructors {
    ($rung:ident) => {
        impl $rung {
            /// The rung with the best instruction set this CPU has (capped by `LADDER_ISA`).
            #[must_use]
            pub fn detect() -> Self {
                Self {
                    isa: $crate::rungs::native::Isa::detect(),
                }
            }

            /// The rung with a given instruction set; it must be one of [`Isa::available`].
            ///
            /// [`Isa::available`]: $crate::rungs::native::Isa::available
            #[must_use]
            pub fn with_isa(isa: $crate::rungs::native::Isa) -> Self {
                assert!(
                    $crate::rungs::native::Isa::available().contains(&isa),
                    "{isa} is not available on this CPU"
                );
                Self { isa }
            }
        }
    };
}

mod algorithmic;
pub mod ann;
mod hugepages;
pub mod jit;
pub mod leaky;
mod library;
mod naive;
pub mod native;
mod output;
pub(crate) mod threads;
mod topk;
mod vectorized;

use std::fmt;
use std::ops::Range;

use crate::workload::Matrix;

pub use algorithmic::Algorithmic;
pub use jit::Jit;
pub use library::Library;
pub use naive::Naive;
pub use native::{Isa, Native};
pub use output::{Neighbours, Output, SimMatrix};
pub use threads::Threads;
pub use topk::TopK;
pub use vectorized::Vectorized;

/// The step of the optimisation ladder a rung stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Step {
    /// The starting point every speedup is measured against.
    Baseline,
    Algorithm,
    Vectorize,
    Native,
    Threads,
    Jit,
    Library,
    Peer,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: a width ({:<10}) lines a table's column up.
        f.pad(match self {
            Step::Baseline => "Baseline",
            Step::Algorithm => "Algorithm",
            Step::Vectorize => "Vectorize",
            Step::Native => "Native",
            Step::Threads => "Threads",
            Step::Jit => "JIT",
            Step::Library => "Library",
            Step::Peer => "Peer",
        })
    }
}

impl Step {
    /// A step named in a file (a peer's, a lab's): baseline, algorithm, vectorize, native,
    /// threads, jit or library.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "baseline" => Step::Baseline,
            "algorithm" => Step::Algorithm,
            "vectorize" => Step::Vectorize,
            "native" => Step::Native,
            "threads" => Step::Threads,
            "jit" => Step::Jit,
            "library" => Step::Library,
            _ => return None,
        })
    }
}

/// What a rung is, for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RungInfo {
    pub id: &'static str,
    pub title: &'static str,
    pub step: Step,
    /// One line: what changed from the rung below.
    pub what_changed: &'static str,
    /// One line: why that makes it faster.
    pub why: &'static str,
}

/// What a rung produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    /// The whole n×n matrix S.
    Full,
    /// Each row's k most similar other rows.
    TopK,
}

/// Which entries a rung computes itself; the rest it fills by symmetry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Every entry S\[i\]\[j\] is computed.
    Full,
    /// Entries with j ≥ i are computed and mirrored into S\[j\]\[i\].
    UpperTriangle,
}

/// Settings a rung may use when preparing.
#[derive(Clone, Debug)]
pub struct Context {
    /// Worker threads for rungs that use threads (at least 1).
    pub threads: usize,
    /// The run's kernel-time budget (a peer kills a call that runs far past it).
    pub budget: std::time::Duration,
    /// Set when the user cancels (a peer kills its process at once).
    pub cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Context {
    /// A context with `threads` threads and the defaults for the rest.
    #[must_use]
    pub fn with_threads(threads: usize) -> Self {
        Self {
            threads,
            ..Self::default()
        }
    }
}

impl Default for Context {
    fn default() -> Self {
        Self {
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            budget: std::time::Duration::from_secs(8),
            cancel: None,
        }
    }
}

/// Why a rung could not run.
#[derive(Debug, thiserror::Error)]
pub enum RungError {
    #[error("{0}")]
    Unsupported(String),
    #[error("could not start worker threads: {0}")]
    Threads(String),
    /// Cannot run on this machine (a peer's interpreter or module is missing): not a failure
    /// of the run.
    #[error("{0}")]
    Unavailable(String),
}

/// One implementation of the workload.
pub trait Rung: Send + Sync {
    fn info(&self) -> RungInfo;

    fn coverage(&self) -> Coverage;

    /// An approximate rung is checked by recall against a floor, not entry by entry.
    fn approximate(&self) -> bool {
        false
    }

    /// What it produces (the full matrix unless it says otherwise).
    fn output(&self) -> OutputKind {
        OutputKind::Full
    }

    /// Floating-point operations the kernel really performs for `rows` (multiplies and adds
    /// counted separately, so an FMA is 2). Used for "% of peak" and, relative to the whole
    /// matrix, to extrapolate a partial run.
    fn flops(&self, rows: Range<usize>, n: usize, d: usize) -> f64 {
        let pairs = match self.coverage() {
            Coverage::Full => rows.len() as f64 * n as f64,
            Coverage::UpperTriangle => triangle_pairs(rows, n),
        };
        2.0 * pairs * d as f64
    }

    /// Block boundaries handed to [`Kernel::rows`] are multiples of this (the last block may
    /// end at n).
    fn row_align(&self) -> usize {
        1
    }

    /// Whether each [`Kernel::rows`] call has a large fixed cost (a process to start): the
    /// runner then times one first block of `row_align` rows and sizes the next to the rest of
    /// the budget, instead of many short blocks.
    fn probe_first(&self) -> bool {
        false
    }

    /// Whether running it again leaves the process as it was: a profile may then run a fast
    /// rung again for samples. Not a rung that keeps something each run (the leak lesson's).
    fn rerun_is_harmless(&self) -> bool {
        true
    }

    /// Threads the kernel runs on (1 unless it is a threaded rung).
    fn threads(&self, _ctx: &Context) -> usize {
        1
    }

    /// The vector width the kernel is limited to, when narrower than the CPU's: its "% of
    /// peak" is then taken against the peak at that width.
    fn vector_bits(&self) -> Option<u32> {
        None
    }

    /// Set-up that is not the kernel. Returns the kernel, bound to `x`.
    fn prepare<'a>(&self, x: &'a Matrix, ctx: &Context) -> Result<Box<dyn Kernel + 'a>, RungError>;
}

/// A prepared kernel.
pub trait Kernel: Send {
    /// Computes rows `rows` of S into `out`. The runner calls it on consecutive blocks from row
    /// 0, so a triangle kernel may rely on earlier rows being done. After the call every entry
    /// of every row in `0..rows.end` is final.
    fn rows(&mut self, rows: Range<usize>, out: &mut Output);

    /// Code generated at run time for this kernel, if any.
    fn compile(&self) -> Option<Compile> {
        None
    }

    /// Why the last call could not compute its rows (a peer that crashed or printed garbage);
    /// the runner stops the rung with this reason.
    fn failure(&self) -> Option<String> {
        None
    }

    /// Time inside the last [`Kernel::rows`] call that was set-up, not kernel (a peer's
    /// interpreter start and imports); the runner counts it as set-up.
    fn take_overhead(&mut self) -> std::time::Duration {
        std::time::Duration::ZERO
    }

    /// For a peer: what its processes cost, measured from outside.
    fn peer_stats(&self) -> Option<PeerStats> {
        None
    }
}

/// What a peer's processes cost, measured from outside (a [`Kernel`] that runs programs
/// reports it; the peers themselves live in `crate::peers`, above this module).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PeerStats {
    /// Processes run.
    pub calls: usize,
    /// Wall time of all of them, seconds.
    pub wall_s: f64,
    /// CPU time (user + system) of all of them, seconds.
    pub cpu_s: f64,
    /// The largest resident set of any of them, bytes.
    pub peak_rss_bytes: u64,
    /// Set-up the peer reported (interpreter start excluded), summed.
    pub setup_s: f64,
    /// A JIT's compile time the peer reported (part of its set-up), summed.
    pub compile_s: Option<f64>,
    /// What the program wrote to standard error when it succeeded (a lab step's own prints),
    /// its last lines, from the first call that wrote anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub printed: Option<String>,
}

/// What generating a kernel at run time cost (shown apart from set-up, like Numba's first
/// call).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Compile {
    /// Seconds spent generating and compiling code in this run (0 when cached).
    pub seconds: f64,
    /// Whether the code was compiled by an earlier run in this process.
    pub cached: bool,
}

/// 1 / |row| in float64; 0 for a zero row, so that its cosines come out 0, never NaN.
///
/// The squares are summed in float64, which no finite float32 can under- or overflow (the
/// smallest subnormal squared is ~2e-90, the largest float squared times any row length is far
/// below 1e308), and the reciprocal stays in float64: in float32, 1 / |row| of a row of scale
/// 1e-40 is infinite and one of scale 1e20 squares to infinity. Apply it with [`scaled`].
pub(crate) fn inv_norm(row: &[f32]) -> f64 {
    let norm = row
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        .sqrt();
    if norm == 0.0 { 0.0 } else { 1.0 / norm }
}

/// One entry of a unit row: `v · inv` taken in float64, so it lies in [-1, 1] whatever the
/// row's scale (see [`inv_norm`]).
#[inline]
pub(crate) fn scaled(v: f32, inv: f64) -> f32 {
    (f64::from(v) * inv) as f32
}

/// The rows scaled to unit length, flat and row-major (see [`inv_norm`]).
pub(crate) fn unit_rows(x: &Matrix) -> Vec<f32> {
    let mut out = Vec::with_capacity(x.n() * x.d());
    for i in 0..x.n() {
        let row = x.row(i);
        let inv = inv_norm(row);
        out.extend(row.iter().map(|&v| scaled(v, inv)));
    }
    out
}

/// A rayon pool of `threads` workers named `ladder-{name}-N` (named threads keep profiles
/// readable).
pub(crate) fn worker_pool(
    threads: usize,
    name: &'static str,
) -> Result<rayon::ThreadPool, RungError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .thread_name(move |i| format!("ladder-{name}-{i}"))
        .build()
        .map_err(|e| RungError::Threads(e.to_string()))
}

/// Pairs (i, j) with j ≥ i for i in `rows`.
#[must_use]
pub fn triangle_pairs(rows: Range<usize>, n: usize) -> f64 {
    rows.map(|i| (n - i) as f64).sum()
}

/// The ladder, in order. Every rung the CLI and TUI know is here.
#[must_use]
pub fn ladder() -> Vec<Box<dyn Rung>> {
    vec![
        Box::new(Naive),
        Box::new(Algorithmic),
        Box::new(Vectorized),
        Box::new(Native::detect()),
        Box::new(Threads::detect()),
        Box::new(Jit::detect()),
        Box::new(Library),
        Box::new(TopK::detect()),
    ]
}

/// Rungs outside the ladder, for lessons: a real memory leak and its fix, and an approximate
/// index (its answers depend on the data, so it is not climbed by default).
#[must_use]
pub fn extras() -> Vec<Box<dyn Rung>> {
    vec![
        Box::new(leaky::Leaky::leaking()),
        Box::new(leaky::Leaky::fixed()),
        Box::new(ann::Ann::default()),
    ]
}

/// Whether a rung is one of the extras (outside the ladder's climb).
#[must_use]
pub fn is_extra(id: &str) -> bool {
    extras().iter().any(|r| r.info().id == id)
}

/// Looks a rung up by id, in the ladder and among the extras.
#[must_use]
pub fn find(id: &str) -> Option<Box<dyn Rung>> {
    ladder()
        .into_iter()
        .chain(extras())
        .find(|r| r.info().id == id)
}
