//! A rung run several times (`--repeat N`, the app's setting): its runs made into one report
//! whose time is their median, with the spread beside it and every run kept.
//!
//! What the runner decides, and why:
//! - The budget bounds each run, as with one run, except for a rung the budget stopped on
//!   its first run: its time is an estimate from a prefix of rows, and N full budgets would
//!   multiply the wait by N for an estimate still. Its later runs share one more budget
//!   between them, so a slow rung costs at most twice its budget, and its estimate still gets
//!   a spread (each later run estimates from a shorter prefix).
//! - A run that fails (could not run, a wrong answer) ends the repeats: the rung has failed,
//!   whatever the other runs would say, and that run's verification is the rung's.
//! - A cancel ends the repeats at once. The runs finished before it are kept: the rung's
//!   figures are theirs, marked as fewer runs than asked. Only a cancel during the first run
//!   leaves nothing to report (the rung is cancelled, as with one run).

use super::report::{OneRun, Repeats, RunReport, RunStatus};
use super::stats::Summary;

/// The budget each run after the first gets, when the budget stopped the first: one more
/// budget shared by the `asked − 1` later runs.
#[must_use]
pub fn shared_budget(budget: std::time::Duration, asked: usize) -> std::time::Duration {
    let later = u32::try_from(asked.saturating_sub(1).max(1)).unwrap_or(u32::MAX);
    budget / later
}

/// Whether the repeats stop after `run`: it failed, was cancelled, or has no time to repeat.
#[must_use]
pub fn ends_repeats(run: &RunReport) -> bool {
    !run.has_time() || run.is_failure()
}

/// One report of `runs` (in order, at least one) of a rung asked to run `asked` times;
/// `cancelled` says the user stopped them; `shared_budget_s` is each later run's budget when
/// the first run's was shared (see the module's notes).
#[must_use]
pub fn combine(
    runs: &[RunReport],
    asked: usize,
    cancelled: bool,
    shared_budget_s: Option<f64>,
) -> RunReport {
    let each: Vec<OneRun> = runs.iter().map(OneRun::from).collect();
    let timed: Vec<&RunReport> = runs
        .iter()
        .filter(|r| r.has_time() && r.verification.is_some())
        .collect();
    // A failed run speaks for the rung: the first one that failed, else the cancel that
    // stopped the first run.
    let failed = runs.iter().find(|r| r.is_failure());
    let times: Vec<f64> = timed.iter().map(|r| r.estimated_s).collect();
    let summary = Summary::of(&times);
    if let ([only], None) = (runs, summary) {
        // One run and nothing timed (it could not run, or was cancelled): as a single run.
        return only.clone();
    }
    let (Some(first), Some(summary), None) = (runs.first(), summary, failed) else {
        // Nothing timed, or a failure: that run's report, with every run kept beside it.
        let mut r = failed
            .or_else(|| runs.iter().find(|r| r.status == RunStatus::Cancelled))
            .or(runs.first())
            .cloned()
            .expect("combine is given at least one run");
        r.repeat = Some(Repeats {
            asked,
            median_s: summary.map_or(0.0, |s| s.median),
            min_s: summary.map_or(0.0, |s| s.min),
            max_s: summary.map_or(0.0, |s| s.max),
            spread: summary.map_or(0.0, |s| s.spread),
            cancelled,
            shared_budget_s,
            runs: each,
        });
        return r;
    };
    // The run closest to the median speaks for the figures that are not times, scaled to the
    // median (as the benchmark does).
    let typical = timed
        .iter()
        .min_by(|a, b| {
            (a.estimated_s - summary.median)
                .abs()
                .total_cmp(&(b.estimated_s - summary.median).abs())
        })
        .copied()
        .unwrap_or(first);
    let scale = typical.estimated_s / summary.median.max(1e-300);
    let mut r = typical.clone();
    r.estimated_s = summary.median;
    r.extrapolated = timed.iter().any(|x| x.extrapolated);
    r.status = if r.extrapolated {
        RunStatus::Extrapolated
    } else {
        RunStatus::Completed
    };
    r.pairs_per_s = typical.pairs_per_s * scale;
    r.gflops_effective = typical.gflops_effective * scale;
    r.gflops_work = typical.gflops_work * scale;
    r.peak_pct = typical.peak_pct * scale;
    // Set-up and compile: the first run's, which pays for what later runs reuse.
    r.setup_s = first.setup_s;
    r.compile = first.compile;
    r.peak_rss_bytes = runs.iter().map(|x| x.peak_rss_bytes).max().unwrap_or(0);
    // Never silently trusted: the most load any run saw.
    r.load_elsewhere = runs
        .iter()
        .filter_map(|x| x.load_elsewhere)
        .reduce(f64::max);
    // Every run passed; the worst of their checks is the rung's.
    r.verification = timed
        .iter()
        .filter_map(|x| x.verification.clone())
        .max_by(|a, b| a.max_abs_err.total_cmp(&b.max_abs_err));
    r.repeat = Some(Repeats {
        asked,
        median_s: summary.median,
        min_s: summary.min,
        max_s: summary.max,
        spread: summary.spread,
        cancelled,
        shared_budget_s,
        runs: each,
    });
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::VerificationReport;

    fn run(estimated_s: f64, err: f64, passed: bool) -> RunReport {
        let info = crate::rungs::find("native").unwrap().info();
        let mut r = RunReport::new(&info, 1, 100);
        r.rows_done = 100;
        r.kernel_s = estimated_s;
        r.estimated_s = estimated_s;
        r.setup_s = estimated_s / 10.0;
        r.gflops_effective = 2.0 * 100.0 * 100.0 * 8.0 / estimated_s / 1e9;
        r.gflops_work = r.gflops_effective / 2.0;
        r.peak_pct = 10.0 / estimated_s;
        r.peak_rss_bytes = (estimated_s * 1000.0) as u64;
        r.verification = Some(VerificationReport {
            passed,
            entries_checked: 10,
            max_abs_err: err,
            tolerance: 1e-4,
            worst: None,
            expected_found: None,
            non_finite: false,
            recall: None,
        });
        r
    }

    #[test]
    fn the_time_is_the_median_with_the_extremes_beside_it() {
        let r = combine(
            &[
                run(1.2, 1e-7, true),
                run(1.0, 3e-7, true),
                run(1.1, 2e-7, true),
            ],
            3,
            false,
            None,
        );
        assert!((r.estimated_s - 1.1).abs() < 1e-12);
        assert_eq!(r.time_range(), (1.0, 1.2));
        assert_eq!(r.runs(), 3);
        let rep = r.repeat.as_ref().unwrap();
        assert_eq!((rep.asked, rep.runs.len()), (3, 3));
        assert!((rep.spread - 0.2 / 1.1).abs() < 1e-12);
        // Figures at the median; set-up is the first run's; the worst check, the largest RSS.
        assert!((r.peak_pct - 10.0 / 1.1).abs() < 1e-9);
        assert!((r.gflops_effective - 2.0 * 100.0 * 100.0 * 8.0 / 1.1 / 1e9).abs() < 1e-12);
        assert!((r.setup_s - 0.12).abs() < 1e-12);
        assert!((r.verification.as_ref().unwrap().max_abs_err - 3e-7).abs() < 1e-15);
        assert_eq!(r.peak_rss_bytes, 1200);
        assert!(r.verified() && r.status == RunStatus::Completed);
        // An even count: the mean of the middle two, scaled from the nearer run.
        let r = combine(&[run(1.0, 0.0, true), run(2.0, 0.0, true)], 2, false, None);
        assert!((r.estimated_s - 1.5).abs() < 1e-12);
        assert!((r.peak_pct - 10.0 / 1.5).abs() < 1e-9);
    }

    #[test]
    fn one_failed_verification_fails_the_rung_and_every_run_is_kept() {
        let r = combine(
            &[run(1.0, 1e-7, true), run(1.0, 0.5, false)],
            3,
            false,
            None,
        );
        assert!(r.is_failure() && !r.verified());
        assert!((r.verification.as_ref().unwrap().max_abs_err - 0.5).abs() < 1e-15);
        let rep = r.repeat.unwrap();
        assert_eq!(rep.runs.len(), 2);
        assert!(rep.runs[0].verification.as_ref().unwrap().passed);
        assert!(!rep.runs[1].verification.as_ref().unwrap().passed);
    }

    #[test]
    fn the_most_load_any_run_saw_marks_the_rung() {
        let mut a = run(1.0, 0.0, true);
        a.load_elsewhere = Some(0.05);
        let mut b = run(1.3, 0.0, true);
        b.load_elsewhere = Some(0.6);
        let c = run(1.1, 0.0, true);
        let r = combine(&[a, b, c], 3, false, None);
        assert_eq!(r.load_elsewhere, Some(0.6));
        assert!(r.under_load());
        assert_eq!(r.repeat.unwrap().runs[2].load_elsewhere, None);
    }

    #[test]
    fn a_cancel_keeps_the_runs_before_it_and_an_early_one_cancels_the_rung() {
        let mut stopped = run(1.0, 0.0, true);
        stopped.status = RunStatus::Cancelled;
        stopped.verification = None;
        let r = combine(
            &[run(1.0, 0.0, true), run(1.2, 0.0, true), stopped.clone()],
            5,
            true,
            None,
        );
        assert_eq!(r.status, RunStatus::Completed);
        assert!((r.estimated_s - 1.1).abs() < 1e-12);
        let rep = r.repeat.as_ref().unwrap();
        assert!(rep.cancelled && rep.asked == 5 && rep.runs.len() == 3);
        assert_eq!(r.runs(), 2);
        let r = combine(&[stopped], 5, true, None);
        assert_eq!(r.status, RunStatus::Cancelled);
        assert!(
            !r.has_time() && r.repeat.is_none(),
            "as a single cancelled run"
        );
    }

    #[test]
    fn an_extrapolated_run_marks_the_rung_and_later_runs_share_a_budget() {
        let mut first = run(100.0, 0.0, true);
        first.extrapolated = true;
        first.status = RunStatus::Extrapolated;
        let r = combine(&[first, run(110.0, 0.0, true)], 3, false, Some(4.0));
        assert!(r.extrapolated && r.status == RunStatus::Extrapolated);
        assert_eq!(r.repeat.unwrap().shared_budget_s, Some(4.0));
        let b = std::time::Duration::from_secs(8);
        assert_eq!(shared_budget(b, 3), std::time::Duration::from_secs(4));
        assert_eq!(shared_budget(b, 2), b);
    }
}
