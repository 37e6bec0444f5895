//! Starting, following and finishing runs of rungs: the lock rule, climbs in order, the live
//! figures, the speedups once a run ends.

use std::time::{Duration, Instant};

use super::{HISTORY, Model, Notice, RungRow, Status, WorkloadState};
use crate::monitor::History;
use crate::run::{self, Phase, RunEvent, RunReport};
use crate::tui::message::Command;

/// Fewer samples than this, and `f` runs the rung again for more (see
/// [`Model::resample_if_thin`]): a frame of 2% is then a couple of samples.
pub const THIN_PROFILE: u64 = 100;

/// The rung being run (or the last one run), as the live panel shows it.
#[derive(Clone, Debug)]
pub struct Live {
    pub index: usize,
    pub phase: Phase,
    pub rows_done: usize,
    pub rows_total: usize,
    pub work_done: f64,
    pub kernel_elapsed: Duration,
    pub budget: Duration,
    /// Effective GFLOP/s between consecutive progress reports.
    pub gflops: History<f64>,
    /// Effective GFLOP/s over the whole run so far.
    pub gflops_avg: f64,
    pub pairs_per_s: f64,
    pub finished: bool,
    /// The run going on now (from 0) and the runs asked for, when the rung runs more than once.
    pub run: Option<(usize, usize)>,
    /// When the last progress came: a peer runs its rows in a few calls (one row to time it,
    /// then the rest at once), so between them the panel estimates from the rate so far.
    pub since: Option<Instant>,
    last: (f64, Duration),
}

impl Live {
    /// Seconds left: to the end at the current rate, or to the budget if that comes first.
    /// None outside the kernel (verifying has no rate to go by) and when nothing is left to
    /// count down ("ETA 0 µs" while the last call or the check runs says nothing).
    #[must_use]
    pub fn eta(&self) -> Option<(f64, bool)> {
        if self.work_done <= 0.0 || self.work_done >= 1.0 || self.finished {
            return None;
        }
        if self.phase != Phase::Kernel {
            return None;
        }
        let el = self.kernel_elapsed.as_secs_f64();
        let to_end = el * (1.0 - self.work_done) / self.work_done;
        let to_budget = (self.budget.as_secs_f64() - el).max(0.0);
        let (left, budget) = if to_budget < to_end {
            (to_budget, true)
        } else {
            (to_end, false)
        };
        (left > 0.0).then_some((left, budget))
    }

    /// The share of the work done by now, estimated at the rate so far, while a call that
    /// reports no progress of its own runs (a peer's block of rows): never quite the end,
    /// which only the call's return says. None when there is no rate yet.
    #[must_use]
    pub fn estimated_work(&self, now: Instant) -> Option<f64> {
        let since = self.since?;
        let el = self.kernel_elapsed.as_secs_f64();
        if self.finished || self.work_done <= 0.0 || self.work_done >= 1.0 || el <= 0.0 {
            return None;
        }
        let rate = self.work_done / el;
        let more = now.saturating_duration_since(since).as_secs_f64() * rate;
        // The call is sized to the budget: it stops where the budget does.
        let at_budget = rate * self.budget.as_secs_f64();
        Some(
            (self.work_done + more)
                .min(at_budget.max(self.work_done))
                .min(0.99),
        )
    }
}

impl Model {
    /// Whether a run may start now; if not, the notice says why.
    fn may_start(&mut self) -> bool {
        if let Some(i) = self.resampling {
            self.notice = Some(Notice::Error(format!(
                "{} is running again for its flamegraph: a moment",
                self.rows[i].info.id
            )));
            return false;
        }
        if self.running() {
            self.notice = Some(Notice::Error(
                "a rung is already running (Esc cancels it)".into(),
            ));
            return false;
        }
        if let Err(e) = self.ready_to_run() {
            self.notice = Some(Notice::Error(e));
            return false;
        }
        true
    }

    /// Starts rung `index` (Enter, a climb, the lessons' run steps), if the rules allow.
    pub fn try_start(&mut self, index: usize) -> Vec<Command> {
        if !self.may_start() {
            return vec![];
        }
        if !self.unlocked(index) {
            let below = self.rows[index - 1].info.id;
            self.notice = Some(Notice::Error(format!(
                "{} is locked: run {below} first. The ladder is climbed in order, one measured step \
                 at a time (an instructor can start with --unlock-all)",
                self.rows[index].info.id
            )));
            return vec![];
        }
        self.selected = index;
        let budget = Duration::from_secs_f64(self.settings.budget_s);
        self.rows[index].status = Status::Running(Phase::Setup);
        self.live = Some(Live {
            index,
            phase: Phase::Setup,
            rows_done: 0,
            rows_total: match &self.workload {
                WorkloadState::Ready(m) => m.n,
                _ => 0,
            },
            work_done: 0.0,
            kernel_elapsed: Duration::ZERO,
            budget,
            gflops: History::new(HISTORY),
            gflops_avg: 0.0,
            pairs_per_s: 0.0,
            finished: false,
            run: None,
            since: None,
            last: (0.0, Duration::ZERO),
        });
        vec![Command::Run {
            index,
            budget,
            threads: self.settings.threads,
            k: self.settings.k,
            repeat: self.settings.repeat,
        }]
    }

    /// Queues the whole ladder and starts its first rung (`a`).
    pub fn climb_all(&mut self) -> Vec<Command> {
        if !self.may_start() {
            return vec![];
        }
        self.queue = (1..self.ladder_len()).collect();
        for &i in &self.queue {
            self.rows[i].status = Status::Queued;
        }
        self.try_start(0)
    }

    /// Starts the next rung of a climb, if any.
    pub fn start_next_queued(&mut self) -> Vec<Command> {
        if self.queue.is_empty() {
            return vec![];
        }
        let next = self.queue.remove(0);
        self.try_start(next)
    }

    /// Runs rung `index` of ours again, unseen and unchecked, for a flamegraph worth reading,
    /// when its profile from the run is thin (under [`THIN_PROFILE`] samples once the float64
    /// check is left out), and nothing else is running. Once: a profile sampled over runs of its
    /// own is what there is.
    pub fn resample_if_thin(&mut self, index: usize) -> Vec<Command> {
        let Some(row) = self.rows.get(index) else {
            return vec![];
        };
        let Some(report) = row.report.as_ref().filter(|r| {
            r.status == run::RunStatus::Completed
                && r.verification.as_ref().is_some_and(|v| v.passed)
        }) else {
            return vec![];
        };
        let Some(profile) = self.profiles.get(index).and_then(Option::as_ref) else {
            return vec![];
        };
        // Once per picture: a rerun that failed (its budget lowered since, say) is not tried
        // again at each key. Nor a rung whose every run keeps what it made (the leak lesson's).
        let once = !self.resampled.get(index).copied().unwrap_or(true);
        if row.peer
            || !once
            || !self.may_resample
            || self.running()
            || self.ready_to_run().is_err()
            || profile.runs > 1
            || profile.total_samples() >= THIN_PROFILE
            || !crate::rungs::find(row.info.id).is_some_and(|r| r.rerun_is_harmless())
        {
            return vec![];
        }
        self.resampled[index] = true;
        self.resampling = Some(index);
        vec![Command::Resample {
            index,
            budget: Duration::from_secs_f64(self.settings.budget_s),
            threads: report.threads.max(1),
            k: self.settings.k,
        }]
    }

    /// Cancels the running rung and the rest of a climb (Esc).
    pub fn cancel(&mut self) -> Vec<Command> {
        for &i in &self.queue {
            self.rows[i].status = Status::Locked;
        }
        self.queue.clear();
        self.refresh_locks();
        if self.running() {
            self.notice = Some(Notice::Info("cancelling…".into()));
            vec![Command::Cancel]
        } else {
            vec![]
        }
    }

    /// Runs rung `i`, climbing in order from the lowest ladder rung below it that has not run
    /// in this session (the lock rule, applied for the learner instead of refusing).
    pub fn climb_to(&mut self, i: usize) -> Vec<Command> {
        if self.running() || self.rows[i].extra {
            return self.try_start(i);
        }
        let first = (0..i)
            .find(|&j| self.rows[j].status != Status::Done)
            .unwrap_or(i);
        if first < i {
            self.queue = (first + 1..=i).collect();
            for &j in &self.queue {
                self.rows[j].status = Status::Queued;
            }
            let cmds = self.try_start(first);
            self.notice = Some(Notice::Info(format!(
                "climbing in order: {} first, then up to {}",
                self.rows[first].info.id, self.rows[i].info.id
            )));
            return cmds;
        }
        self.try_start(i)
    }

    /// Progress of the running rung.
    pub fn on_run_event(&mut self, ev: &RunEvent) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let (n, d) = match &self.workload {
            WorkloadState::Ready(m) => (m.n as f64, m.d as f64),
            _ => (0.0, 0.0),
        };
        match *ev {
            RunEvent::Repeat {
                index,
                run,
                runs,
                budget,
            } if index == live.index => {
                // A new run starts from nothing; its budget may be a share (see run::repeat).
                live.run = Some((run, runs));
                live.budget = budget;
                live.last = (0.0, Duration::ZERO);
                live.rows_done = 0;
                live.work_done = 0.0;
                live.kernel_elapsed = Duration::ZERO;
            }
            RunEvent::Phase { index, phase, .. } if index == live.index => {
                live.phase = phase;
                self.rows[index].status = Status::Running(phase);
            }
            RunEvent::Progress {
                index,
                rows_done,
                rows_total,
                work_done,
                kernel_elapsed,
            } if index == live.index => {
                let (w0, t0) = live.last;
                let dt = kernel_elapsed.saturating_sub(t0).as_secs_f64();
                let full = 2.0 * n * n * d;
                if dt > 0.0 {
                    live.gflops.push((work_done - w0) * full / dt / 1e9);
                }
                let el = kernel_elapsed.as_secs_f64();
                if el > 0.0 {
                    live.gflops_avg = work_done * full / el / 1e9;
                    live.pairs_per_s = work_done * n * n / el;
                }
                live.last = (work_done, kernel_elapsed);
                live.rows_done = rows_done;
                live.rows_total = rows_total;
                live.work_done = work_done;
                live.kernel_elapsed = kernel_elapsed;
                live.since = Some(Instant::now());
            }
            _ => {}
        }
    }

    /// A run ended: its report and status recorded, the speedups and locks brought up to
    /// date. Returns the rung's row, unless no row has that rung; what follows (the demo's
    /// pause, a lesson step, the next rung of a climb) is the app's to decide.
    pub fn finish(&mut self, report: RunReport) -> Option<usize> {
        let index = self.rows.iter().position(|r| r.info.id == report.rung)?;
        let status = Status::of(&report);
        let cancelled = status == Status::Cancelled;
        if let Some(live) = self.live.as_mut().filter(|l| l.index == index) {
            // The final figures replace the running estimates.
            live.finished = true;
            live.rows_done = report.rows_done;
            live.rows_total = report.rows_total;
            if report.has_time() {
                live.work_done = report.kernel_s / report.estimated_s.max(1e-12);
                live.gflops_avg = report.gflops_effective;
                live.pairs_per_s = report.pairs_per_s;
            }
        }
        self.notice = Some(match &status {
            Status::Done => match &report.repeat {
                Some(rep) if rep.cancelled => Notice::Info(format!(
                    "{} cancelled after {} of {} runs: the median of those, {}, is kept",
                    report.rung,
                    report.runs(),
                    rep.asked,
                    crate::report::time_cell(&report)
                )),
                Some(_) => Notice::Info(format!(
                    "{} done: median {} of {} runs, {}{}",
                    report.rung,
                    crate::report::time_cell(&report).trim_end_matches(" !"),
                    report.runs(),
                    crate::report::range_cell(&report),
                    if report.under_load() {
                        " (! measured under load)"
                    } else {
                        ""
                    }
                )),
                None => Notice::Info(format!(
                    "{} done in {}",
                    report.rung,
                    crate::report::time_cell(&report)
                )),
            },
            Status::Cancelled => Notice::Info(format!("{} cancelled", report.rung)),
            Status::Failed(why) => Notice::Error(format!("{} failed: {why}", report.rung)),
            Status::Unavailable(why) => {
                Notice::Info(format!("{} cannot run here: {why}", report.rung))
            }
            _ => Notice::Info(String::new()),
        });
        // A cancelled run keeps the earlier result, if there was one.
        if !cancelled || self.rows[index].report.is_none() {
            self.rows[index].report = Some(report);
        }
        self.rows[index].status = status;
        self.fill_speedups();
        self.refresh_locks();
        Some(index)
    }

    /// Speedups against the lowest rung that has run, and against the row directly above
    /// when it ran and is of the same kind (a rung of the ladder, an extra, a peer): the rule
    /// `run::fill_speedups` applies to a `ladder run`, so both show the same figures.
    fn fill_speedups(&mut self) {
        let time = |r: &RungRow| {
            r.report
                .as_ref()
                .filter(|r| r.has_time())
                .map(|r| (r.estimated_s, r.time_range()))
        };
        let base = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.extra)
            .find_map(|(i, r)| time(r).map(|t| (i, t)));
        let times: Vec<_> = self.rows.iter().map(time).collect();
        let kinds: Vec<_> = self.rows.iter().map(|r| (r.extra, r.peer)).collect();
        for (i, row) in self.rows.iter_mut().enumerate() {
            let Some(rep) = row.report.as_mut() else {
                continue;
            };
            let Some((_, range)) = times[i] else {
                continue;
            };
            let prev = i
                .checked_sub(1)
                .filter(|&p| kinds[p] == kinds[i])
                .and_then(|p| times[p]);
            rep.speedup_vs_baseline = base.map(|(_, (b, _))| b / rep.estimated_s);
            rep.speedup_vs_baseline_overlaps =
                base.is_some_and(|(b, (_, r))| b != i && run::stats::overlaps(r, range));
            rep.speedup_vs_previous = prev.map(|(p, _)| p / rep.estimated_s);
            rep.speedup_vs_previous_overlaps =
                prev.is_some_and(|(_, r)| run::stats::overlaps(r, range));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run of 100 rows in its kernel with a 20 s budget, `rows` of them done in `elapsed`.
    fn kernel_at(rows: usize, elapsed: Duration) -> Live {
        Live {
            index: 0,
            phase: Phase::Kernel,
            rows_done: rows,
            rows_total: 100,
            work_done: rows as f64 / 100.0,
            kernel_elapsed: elapsed,
            budget: Duration::from_secs(20),
            gflops: History::new(4),
            gflops_avg: 0.0,
            pairs_per_s: 0.0,
            finished: false,
            run: None,
            since: None,
            last: (0.0, Duration::ZERO),
        }
    }

    #[test]
    fn a_call_without_progress_moves_at_the_rate_so_far_and_never_reaches_the_end() {
        let t0 = Instant::now();
        let mut live = kernel_at(1, Duration::from_millis(100));
        live.since = Some(t0);
        // One row in 0.1 s: a second later, eleven rows' worth.
        let w = live.estimated_work(t0 + Duration::from_secs(1)).unwrap();
        assert!((w - 0.11).abs() < 1e-9, "{w}");
        assert_eq!(live.estimated_work(t0 + Duration::from_mins(1)), Some(0.99));
        // A budget of 2 s at this rate stops at a fifth of the rows: so does the estimate.
        live.budget = Duration::from_secs(2);
        let w = live.estimated_work(t0 + Duration::from_mins(1)).unwrap();
        assert!((w - 0.2).abs() < 1e-9, "{w}");
        live.finished = true;
        assert_eq!(live.estimated_work(t0), None);
    }

    #[test]
    fn an_eta_counts_down_the_kernel_only() {
        let mut live = kernel_at(50, Duration::from_secs(1));
        assert_eq!(live.eta(), Some((1.0, false)));
        // Checking the answer, or all rows done: nothing to count down ("ETA 0 µs").
        live.phase = Phase::Verify;
        assert_eq!(live.eta(), None);
        live.phase = Phase::Kernel;
        live.work_done = 1.0;
        assert_eq!(live.eta(), None);
        // Past its budget, in its last call: no "budget stop in 0 µs" either.
        live.work_done = 0.5;
        live.kernel_elapsed = Duration::from_secs(21);
        assert_eq!(live.eta(), None);
    }
}
