//! Repeated, interleaved measurements of several rungs, summarised by their medians.
//!
//! Rungs are run in turn within each repetition (A B C, A B C, …), never all of A then all of B,
//! so that a slow moment of a shared machine hits every rung alike and ratios stay fair.

use serde::{Deserialize, Serialize};

use super::{CancelToken, RunEvent, RunReport, Runner};
use crate::rungs::Rung;

pub use super::stats::{NOISY_SPREAD, Summary};

/// One rung's benchmark.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RungBench {
    pub rung: String,
    /// Kernel seconds (extrapolated where the budget stopped a run).
    pub time: Summary,
    pub extrapolated: bool,
    /// Effective GFLOP/s at the median time (2·n²·d / median).
    pub gflops: f64,
    /// The arithmetic really done at the median time, as a fraction (0–1) of the measured peak
    /// of the cores the rung used.
    pub peak_fraction: f64,
    /// Median time of the run's baseline rung over this rung's median time.
    pub speedup_vs_baseline: f64,
    pub verified: bool,
    pub noisy: bool,
    /// The most CPU other processes used while one of its measured runs ran, in cores (see
    /// [`RunReport::load_elsewhere`]); absent when no run was long enough to tell, or in
    /// records older than this figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_elsewhere: Option<f64>,
}

impl RungBench {
    /// Whether a measured run was timed under load (see [`super::LOADED_CORES`]).
    #[must_use]
    pub fn under_load(&self) -> bool {
        self.load_elsewhere
            .is_some_and(|l| l >= super::LOADED_CORES)
    }
}

/// Runs `rungs` `warmup + repeat` times each, interleaved, and summarises the last `repeat`.
/// The first rung is the baseline every speedup is measured against. `progress` hears
/// (repetition, rung id) before each run.
#[must_use]
pub fn bench(
    runner: &Runner,
    rungs: &[Box<dyn Rung>],
    warmup: usize,
    repeat: usize,
    progress: &dyn Fn(usize, &str),
    cancel: &CancelToken,
) -> Vec<RungBench> {
    let mut runs: Vec<Vec<RunReport>> = vec![Vec::new(); rungs.len()];
    let quiet = |_: RunEvent| {};
    for rep in 0..warmup + repeat.max(1) {
        for (i, rung) in rungs.iter().enumerate() {
            if cancel.is_cancelled() {
                break;
            }
            progress(rep, rung.info().id);
            // The benchmark interleaves its own repeats: one run at a time.
            let report = runner.run_once(i, rung.as_ref(), &quiet, cancel, runner.budget());
            if rep >= warmup {
                runs[i].push(report);
            }
        }
    }
    let mut out: Vec<RungBench> = rungs
        .iter()
        .zip(&runs)
        .filter_map(|(rung, reports)| summarise(rung.info().id, reports))
        .collect();
    if let Some(base) = out.first().map(|b| b.time.median) {
        for b in &mut out {
            b.speedup_vs_baseline = base / b.time.median;
        }
    }
    out
}

fn summarise(id: &str, reports: &[RunReport]) -> Option<RungBench> {
    let timed: Vec<&RunReport> = reports.iter().filter(|r| r.has_time()).collect();
    let times: Vec<f64> = timed.iter().map(|r| r.estimated_s).collect();
    let time = Summary::of(&times)?;
    // The run closest to the median speaks for the rest.
    let typical = timed
        .iter()
        .min_by(|a, b| {
            (a.estimated_s - time.median)
                .abs()
                .total_cmp(&(b.estimated_s - time.median).abs())
        })
        .copied()?;
    let scale = typical.estimated_s / time.median;
    Some(RungBench {
        rung: id.to_string(),
        time,
        extrapolated: timed.iter().any(|r| r.extrapolated),
        gflops: typical.gflops_effective * scale,
        peak_fraction: typical.peak_pct / 100.0 * scale,
        speedup_vs_baseline: 1.0,
        verified: reports.iter().all(RunReport::verified),
        noisy: time.noisy(),
        load_elsewhere: timed
            .iter()
            .filter_map(|r| r.load_elsewhere)
            .reduce(f64::max),
    })
}
