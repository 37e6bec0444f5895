//! The outcome of running one rung: every figure the tables, exports and gates show.

use serde::{Deserialize, Serialize};

use super::stats::overlaps;
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
    /// At `worst`: the reference's value (float64) and the one found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_found: Option<(f64, f64)>,
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
            expected_found: v.worst_values.filter(|_| v.non_finite.is_none()),
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
    /// Resident memory of the process once the run had ended and what it freed was handed
    /// back: what the run left behind (a leak's signature, run after run). Not exported.
    #[serde(skip)]
    pub rss_after_bytes: u64,
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
    /// Whether this rung's range of times (min–max over its runs) overlaps the baseline's:
    /// the speedup against it is then within the noise (shown `1.05x ±`).
    #[serde(default)]
    pub speedup_vs_baseline_overlaps: bool,
    /// The same against the rung before it.
    #[serde(default)]
    pub speedup_vs_previous_overlaps: bool,
    /// A rung run more than once (`--repeat`): every run, and the spread of their times. The
    /// figures above are then at the median run's time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat: Option<Repeats>,
}

/// The runs of a rung run more than once. Its report's time is their median; set-up and
/// compile are the first run's (it pays for what later runs reuse); the load is the most any
/// run saw, the peak RSS the largest; a run that failed verification fails the rung.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Repeats {
    /// Runs asked for (`--repeat`, the app's setting).
    pub asked: usize,
    /// Median, fastest and slowest of the timed runs' (estimated) kernel times, seconds.
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    /// (max − min) / median.
    pub spread: f64,
    /// The user cancelled before every run asked for was done: the figures are those of the
    /// runs before it.
    pub cancelled: bool,
    /// The first run was stopped by the budget, so the later runs shared one more budget
    /// between them (each this many seconds) instead of taking a full one each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_budget_s: Option<f64>,
    /// Every run, in order.
    pub runs: Vec<OneRun>,
}

/// One run of a rung run more than once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OneRun {
    pub status: RunStatus,
    pub setup_s: f64,
    pub kernel_s: f64,
    pub rows_done: usize,
    pub estimated_s: f64,
    pub extrapolated: bool,
    pub load_elsewhere: Option<f64>,
    pub verification: Option<VerificationReport>,
}

impl From<&RunReport> for OneRun {
    fn from(r: &RunReport) -> Self {
        Self {
            status: r.status.clone(),
            setup_s: r.setup_s,
            kernel_s: r.kernel_s,
            rows_done: r.rows_done,
            estimated_s: r.estimated_s,
            extrapolated: r.extrapolated,
            load_elsewhere: r.load_elsewhere,
            verification: r.verification.clone(),
        }
    }
}

impl Repeats {
    /// The runs that produced a time.
    #[must_use]
    pub fn timed(&self) -> usize {
        self.runs
            .iter()
            .filter(|r| {
                matches!(r.status, RunStatus::Completed | RunStatus::Extrapolated)
                    && r.rows_done > 0
            })
            .count()
    }
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
            speedup_vs_baseline_overlaps: false,
            speedup_vs_previous_overlaps: false,
            repeat: None,
            speedup_vs_baseline: None,
            speedup_vs_previous: None,
            peak_rss_bytes: 0,
            rss_after_bytes: 0,
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

    /// The range of its times, (min, max): over its runs when it ran more than once, else the
    /// one time (a range of one point).
    #[must_use]
    pub fn time_range(&self) -> (f64, f64) {
        self.repeat
            .as_ref()
            .map_or((self.estimated_s, self.estimated_s), |r| (r.min_s, r.max_s))
    }

    /// Runs its time is the median of (1 unless it ran more than once).
    #[must_use]
    pub fn runs(&self) -> usize {
        self.repeat.as_ref().map_or(1, Repeats::timed)
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

/// Fills the speedup columns: against the first rung of the run and against the rung before,
/// from their (median) times, each marked when the two rungs' ranges of times overlap.
/// A rung without a time (failed, cancelled) gets none and breaks the "previous" chain, and
/// so does a change of kind: a peer's previous is the peer before it (the Python ladder's
/// step below), never the last rung of ours, and an extra's is the extra before it.
pub fn fill_speedups(reports: &mut [RunReport]) {
    let kind = |r: &RunReport| (r.peer.is_some(), crate::rungs::is_extra(&r.rung));
    let mut last_kind = None;
    let base = reports
        .first()
        .filter(|r| r.has_time())
        .map(|r| (r.estimated_s, r.time_range()));
    let mut prev: Option<(f64, (f64, f64))> = None;
    for (i, r) in reports.iter_mut().enumerate() {
        if last_kind.replace(kind(r)) != Some(kind(r)) {
            prev = None;
        }
        if r.has_time() {
            let range = r.time_range();
            r.speedup_vs_baseline = base.map(|(b, _)| b / r.estimated_s);
            // The baseline compared with itself is 1x by definition, not noise.
            r.speedup_vs_baseline_overlaps = i > 0 && base.is_some_and(|(_, b)| overlaps(b, range));
            r.speedup_vs_previous = prev.map(|(p, _)| p / r.estimated_s);
            r.speedup_vs_previous_overlaps = prev.is_some_and(|(_, p)| overlaps(p, range));
            prev = Some((r.estimated_s, range));
        } else {
            r.speedup_vs_baseline = None;
            r.speedup_vs_previous = None;
            r.speedup_vs_baseline_overlaps = false;
            r.speedup_vs_previous_overlaps = false;
            prev = None;
        }
    }
}

#[cfg(test)]
impl VerificationReport {
    /// A check that passed (a top-k one with its `recall`), for tests of what is made of it.
    pub(crate) fn passed_for_tests(recall: Option<f64>) -> Self {
        Self {
            passed: true,
            entries_checked: 1,
            max_abs_err: 0.0,
            tolerance: 1e-4,
            worst: None,
            expected_found: None,
            non_finite: false,
            recall,
        }
    }
}
