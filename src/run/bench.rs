//! Repeated, interleaved measurements of several rungs, summarised by their medians.
//!
//! Rungs are run in turn within each repetition (A B C, A B C, …), never all of A then all of B,
//! so that a slow moment of a shared machine hits every rung alike and ratios stay fair.

use serde::{Deserialize, Serialize};

use super::{CancelToken, RunEvent, RunReport, Runner};
use crate::rungs::Rung;

/// A spread above this, (max − min) / median, marks a measurement as noisy.
pub const NOISY_SPREAD: f64 = 0.25;

/// Median, extremes and spread of repeated timings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// (max − min) / median.
    pub spread: f64,
}

impl Summary {
    /// Summarises `samples`; `None` when there are none.
    #[must_use]
    pub fn of(samples: &[f64]) -> Option<Self> {
        if samples.is_empty() || samples.iter().any(|s| !s.is_finite()) {
            return None;
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            f64::midpoint(v[mid - 1], v[mid])
        };
        let (min, max) = (v[0], v[v.len() - 1]);
        let spread = if median > 0.0 {
            (max - min) / median
        } else {
            0.0
        };
        Some(Self {
            median,
            min,
            max,
            spread,
        })
    }

    #[must_use]
    pub fn noisy(&self) -> bool {
        self.spread > NOISY_SPREAD
    }
}

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
            let report = runner.run_one(i, rung.as_ref(), &quiet, cancel);
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
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_takes_the_median_and_flags_spread() {
        let s = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert!((s.spread - 1.0).abs() < 1e-12);
        assert!(s.noisy());
        let s = Summary::of(&[1.0, 1.1, 1.05, 1.0]).unwrap();
        assert!((s.median - 1.025).abs() < 1e-12);
        assert!(!s.noisy());
        assert!(Summary::of(&[]).is_none());
        assert!(Summary::of(&[f64::NAN]).is_none());
    }
}
