//! The runner: verification of every rung, speedups, budgets and their extrapolation,
//! cancelling, repeated runs.

use super::*;
use ladder::run::Runner;

pub(crate) fn runner(n: usize, d: usize, budget: Duration) -> Runner {
    common::runner_on(Distribution::Normal, n, d, 1, budget)
}

#[test]
fn the_runner_verifies_every_rung_and_fills_speedups() {
    let r = runner(150, 40, Duration::from_mins(1));
    let (tx, rx) = mpsc::channel();
    let reports = r.run_all(
        &rungs::ladder(),
        &|e| tx.send(e).unwrap(),
        &CancelToken::new(),
    );
    drop(tx);
    assert_eq!(reports.len(), rungs::ladder().len());
    for rep in &reports {
        assert_eq!(rep.status, RunStatus::Completed, "{}", rep.rung);
        assert!(rep.verified(), "{}: {:?}", rep.rung, rep.verification);
        assert_eq!(rep.rows_done, 150);
        assert!(!rep.extrapolated);
        assert!(rep.speedup_vs_baseline.is_some());
    }
    assert_eq!(reports[0].speedup_vs_baseline, Some(1.0));
    assert!(reports[0].speedup_vs_previous.is_none());
    // Progress arrives in order and ends at n for each rung.
    let events: Vec<_> = rx.iter().collect();
    assert!(events.iter().any(|e| matches!(
        e,
        ladder::run::RunEvent::Progress {
            rows_done: 150,
            rows_total: 150,
            ..
        }
    )));
}

#[test]
fn a_rung_past_its_budget_is_extrapolated_and_marked() {
    let r = runner(400, 256, Duration::from_millis(1));
    let (tx, _rx) = mpsc::channel();
    let rung = rungs::find("naive").unwrap();
    let rep = r.run_one(
        0,
        rung.as_ref(),
        &|e| tx.send(e).unwrap(),
        &CancelToken::new(),
    );
    assert_eq!(rep.status, RunStatus::Extrapolated);
    assert!(rep.extrapolated);
    assert!(
        rep.rows_done > 0 && rep.rows_done < 400,
        "{}",
        rep.rows_done
    );
    assert!(rep.estimated_s > rep.kernel_s);
    // The prefix that was computed is still checked.
    assert!(rep.verified(), "{:?}", rep.verification);
}

#[test]
fn cancelling_stops_the_rung_and_the_rest() {
    let r = runner(200, 64, Duration::from_mins(1));
    let (tx, _rx) = mpsc::channel();
    let cancel = CancelToken::new();
    cancel.cancel();
    let reports = r.run_all(&rungs::ladder(), &|e| tx.send(e).unwrap(), &cancel);
    assert_eq!(
        reports.len(),
        1,
        "the rungs after a cancelled one do not run"
    );
    assert_eq!(reports[0].status, RunStatus::Cancelled);
    assert!(reports[0].speedup_vs_baseline.is_none());
}

/// The runner with `repeat` runs of each rung.
fn repeating(n: usize, d: usize, budget: Duration, repeat: usize) -> Runner {
    let r = runner(n, d, budget);
    r.reconfigured(ladder::run::RunConfig {
        repeat,
        ..r.config().clone()
    })
}

#[test]
fn a_repeated_rung_reports_the_median_of_its_runs_each_verified() {
    let r = repeating(120, 32, Duration::from_mins(1), 3);
    let (tx, rx) = mpsc::channel();
    let rungs: Vec<Box<dyn Rung>> = ["algorithmic", "native"]
        .iter()
        .map(|id| rungs::find(id).unwrap())
        .collect();
    let reports = r.run_all(&rungs, &|e| tx.send(e).unwrap(), &CancelToken::new());
    drop(tx);
    for rep in &reports {
        let runs = rep.repeat.as_ref().expect("the runs are kept");
        assert_eq!((runs.asked, runs.runs.len(), rep.runs()), (3, 3, 3));
        assert!(!runs.cancelled && runs.shared_budget_s.is_none());
        assert!(
            runs.runs
                .iter()
                .all(|x| x.verification.as_ref().unwrap().passed)
        );
        let mut times: Vec<f64> = runs.runs.iter().map(|x| x.estimated_s).collect();
        times.sort_by(f64::total_cmp);
        assert_eq!(
            rep.estimated_s.to_bits(),
            times[1].to_bits(),
            "the median of three"
        );
        assert_eq!(rep.time_range(), (times[0], times[2]));
        assert!(rep.verified() && rep.status == RunStatus::Completed);
    }
    // Speedups are of medians.
    let want = reports[0].estimated_s / reports[1].estimated_s;
    assert!((reports[1].speedup_vs_previous.unwrap() - want).abs() < 1e-12);
    // Each run is announced, with its budget.
    let starts: Vec<(usize, usize)> = rx
        .iter()
        .filter_map(|e| match e {
            ladder::run::RunEvent::Repeat { index, run, .. } => Some((index, run)),
            _ => None,
        })
        .collect();
    assert_eq!(starts, vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
}

#[test]
fn the_later_runs_of_a_rung_the_budget_stopped_share_one_more_budget() {
    let budget = Duration::from_millis(2);
    let r = repeating(400, 256, budget, 5);
    let (tx, rx) = mpsc::channel();
    let rung = rungs::find("naive").unwrap();
    let rep = r.run_one(
        0,
        rung.as_ref(),
        &|e| tx.send(e).unwrap(),
        &CancelToken::new(),
    );
    drop(tx);
    assert!(rep.extrapolated && rep.status == RunStatus::Extrapolated);
    let runs = rep.repeat.as_ref().unwrap();
    assert_eq!(runs.runs.len(), 5);
    assert!(runs.runs.iter().all(|x| x.extrapolated && x.rows_done > 0));
    // Four later runs, one more budget between them: a quarter each.
    assert_eq!(runs.shared_budget_s, Some(budget.as_secs_f64() / 4.0));
    let budgets: Vec<Duration> = rx
        .iter()
        .filter_map(|e| match e {
            ladder::run::RunEvent::Repeat { budget, .. } => Some(budget),
            _ => None,
        })
        .collect();
    assert_eq!(budgets[0], budget);
    assert!(budgets[1..].iter().all(|b| *b == budget / 4), "{budgets:?}");
}

#[test]
fn a_cancel_between_repeats_keeps_the_runs_done_and_stops_the_rest() {
    let r = repeating(100, 16, Duration::from_mins(1), 4);
    let cancel = CancelToken::new();
    let runs_started = std::cell::Cell::new(0);
    let events = |e: ladder::run::RunEvent| {
        if let ladder::run::RunEvent::Repeat { run, .. } = e {
            runs_started.set(run + 1);
            // Cancel as the third run starts: two are done.
            if run == 2 {
                cancel.cancel();
            }
        }
    };
    let rungs: Vec<Box<dyn Rung>> = ["algorithmic", "native"]
        .iter()
        .map(|id| rungs::find(id).unwrap())
        .collect();
    let reports = r.run_all(&rungs, &events, &cancel);
    assert_eq!(reports.len(), 1, "the rungs after the cancel do not run");
    let rep = &reports[0];
    let runs = rep.repeat.as_ref().unwrap();
    assert!(runs.cancelled && runs.asked == 4);
    assert_eq!(rep.runs(), 2, "{runs:?}");
    assert!(rep.has_time() && rep.verified());
    assert_eq!(runs_started.get(), 3);
}
