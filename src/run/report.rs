//! The outcome of running one rung: every figure the tables, exports and gates show.

use serde::{Deserialize, Serialize};

use crate::rungs::{Compile, Step};
use crate::workload::reference::Verification;

/// How a rung's run ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum RunStatus {
    /// Every row computed.
    Completed,
    /// Stopped at the time budget after a prefix of rows; the full time is extrapolated.
    Extrapolated,
    /// Stopped by the user.
    Cancelled,
    /// Could not run (the reason says why).
    Failed(String),
    /// Cannot run on this machine (a peer's interpreter or module is missing; the reason says
    /// what installs it). Not a failure of the run.
    Unavailable(String),
}

/// What the float64 check found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerificationReport {
    pub passed: bool,
    pub entries_checked: usize,
    pub max_abs_err: f64,
    pub tolerance: f64,
    /// (row, column) of the largest error, or of the first NaN/infinity.
    pub worst: Option<(usize, usize)>,
    pub non_finite: bool,
    /// Recall@k on the sampled rows, for an approximate top-k rung.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recall: Option<f64>,
}

impl From<&Verification> for VerificationReport {
    fn from(v: &Verification) -> Self {
        Self {
            passed: v.passed(),
            entries_checked: v.checked,
            max_abs_err: v.max_abs_err,
            tolerance: v.tolerance,
            worst: v.non_finite.or(v.worst),
            non_finite: v.non_finite.is_some(),
            recall: v.recall,
        }
    }
}

/// One rung's run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub rung: String,
    pub title: String,
    pub step: Step,
    pub what_changed: String,
    pub status: RunStatus,
    /// Threads the kernel used.
    pub threads: usize,
    /// Set-up outside the kernel (converting, normalising, packing, allocating S), seconds.
    pub setup_s: f64,
    /// Kernel time actually measured (for `rows_done` rows), seconds.
    pub kernel_s: f64,
    pub rows_done: usize,
    pub rows_total: usize,
    /// Kernel time for all rows: measured when complete, extrapolated otherwise, seconds.
    pub estimated_s: f64,
    pub extrapolated: bool,
    /// Similarity pairs per second: n² / `estimated_s` (mirrored pairs count, as a user sees S).
    pub pairs_per_s: f64,
    /// Effective GFLOP/s: the nominal 2·n²·d of the full matrix over `estimated_s`. Comparable
    /// across rungs whatever shortcut each takes.
    pub gflops_effective: f64,
    /// GFLOP/s of the arithmetic the kernel really did (e.g. half for a triangle rung).
    pub gflops_work: f64,
    /// `gflops_work` as a percentage of the measured peak of the cores it used.
    pub peak_pct: f64,
    /// How many times faster than the run's baseline (its first rung).
    pub speedup_vs_baseline: Option<f64>,
    /// How many times faster than the rung before it in this run.
    pub speedup_vs_previous: Option<f64>,
    /// Peak resident memory of the process while the rung ran, bytes.
    pub peak_rss_bytes: u64,
    pub verification: Option<VerificationReport>,
    /// A peer (a program outside the process): what its processes cost, measured from outside.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<crate::rungs::PeerStats>,
    /// Code generated at run time (the JIT): its compile time, part of `setup_s`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile: Option<Compile>,
    /// Path of this run's flamegraph SVG, when one was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flamegraph: Option<String>,
    /// Cores' worth of CPU other processes used while the kernel ran (0.4: 40% of a core);
    /// absent when the kernel ran too briefly to tell, or in records older than this figure.
    #[serde(default)]
    pub load_elsewhere: Option<f64>,
}

/// Other processes' CPU, in cores, from which a time counts as measured under load.
pub const LOADED_CORES: f64 = 0.25;

impl RunReport {
    /// The report of rung `info` before anything ran: completed, with nothing measured yet.
    #[must_use]
    pub fn new(info: &crate::rungs::RungInfo, threads: usize, rows_total: usize) -> Self {
        Self {
            rung: info.id.to_string(),
            title: info.title.to_string(),
            step: info.step,
            what_changed: info.what_changed.to_string(),
            status: RunStatus::Completed,
            threads,
            setup_s: 0.0,
            kernel_s: 0.0,
            rows_done: 0,
            rows_total,
            estimated_s: 0.0,
            extrapolated: false,
            pairs_per_s: 0.0,
            gflops_effective: 0.0,
            gflops_work: 0.0,
            peak_pct: 0.0,
            load_elsewhere: None,
            speedup_vs_baseline: None,
            speedup_vs_previous: None,
            peak_rss_bytes: 0,
            verification: None,
            compile: None,
            peer: None,
            flamegraph: None,
        }
    }

    /// Whether other processes took enough CPU while the kernel ran to spoil its time
    /// (see [`LOADED_CORES`]).
    #[must_use]
    pub fn under_load(&self) -> bool {
        self.load_elsewhere.is_some_and(|l| l >= LOADED_CORES)
    }

    /// Produced a time worth comparing (complete or extrapolated).
    #[must_use]
    pub fn has_time(&self) -> bool {
        matches!(self.status, RunStatus::Completed | RunStatus::Extrapolated) && self.rows_done > 0
    }

    /// Verified against the reference.
    #[must_use]
    pub fn verified(&self) -> bool {
        self.verification.as_ref().is_some_and(|v| v.passed)
    }

    /// A failure a user must see: could not run, or a wrong answer.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        matches!(self.status, RunStatus::Failed(_))
            || self.verification.as_ref().is_some_and(|v| !v.passed)
    }
}

/// Fills the speedup columns: against the first rung of the run and against the rung before.
/// A rung without a time (failed, cancelled) gets none and breaks the "previous" chain.
pub fn fill_speedups(reports: &mut [RunReport]) {
    let base = reports
        .first()
        .filter(|r| r.has_time())
        .map(|r| r.estimated_s);
    let mut prev: Option<f64> = None;
    for r in reports.iter_mut() {
        if r.has_time() {
            r.speedup_vs_baseline = base.map(|b| b / r.estimated_s);
            r.speedup_vs_previous = prev.map(|p| p / r.estimated_s);
            prev = Some(r.estimated_s);
        } else {
            r.speedup_vs_baseline = None;
            r.speedup_vs_previous = None;
            prev = None;
        }
    }
}
