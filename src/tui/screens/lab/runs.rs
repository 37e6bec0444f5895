//! The lab's runs: a step started (refused when it cannot run), its quick check, its end and
//! what that changes; the climb (`a`) and the saves that wait for their turn.

use super::{LabState, QUICK_BUDGET, QUICK_N, files};
use crate::lab::Attempt;
use crate::run::{RunReport, RunStatus};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, Status};

/// Why step `i` cannot start now, if so.
fn refusal(lab: &LabState, m: &Model, i: usize) -> Option<String> {
    if let Err(e) = m.ready_to_run() {
        return Some(e);
    }
    let step = &lab.lab.steps[i];
    if !step.file.is_file() {
        return Some(format!(
            "{} is missing: write it, or `ladder lab init --missing` writes its template back",
            step.file_name()
        ));
    }
    if !lab.unlock_all
        && let Some(first) = lab.results[..i]
            .iter()
            .find(|r| !r.optional && !r.verdict.counts())
    {
        return Some(format!(
            "{} is locked until {} counts: in order (instructors: --unlock-all)",
            step.file_name(),
            first.file
        ));
    }
    None
}

/// Starts step `i`: its lint, then the quick check (the full run follows if it verifies).
pub fn start_step(lab: &mut LabState, m: &mut Model, i: usize) -> Vec<Command> {
    if lab.busy(m) {
        m.notice = Some(Notice::Error(
            "a step is running: wait for it, or Esc to cancel it".into(),
        ));
        return vec![];
    }
    if let Some(why) = refusal(lab, m, i) {
        m.notice = Some(Notice::Error(why));
        return vec![];
    }
    let step = &lab.lab.steps[i];
    let row = lab.first_row + i;
    let n = m.settings.n.min(QUICK_N);
    lab.checking = Some(i);
    lab.check_cancelled = None;
    lab.changed[i] = false;
    lab.running_hash = Some((i, crate::lab::saved::file_hash(&step.file)));
    lab.selected = i;
    m.selected = row;
    m.rows[row].status = Status::Running(crate::run::Phase::Setup);
    // The check's progress is not shown live: the panel says what runs, not the last run.
    m.live = None;
    m.notice = Some(Notice::Info(format!(
        "checking {} on {n} × {} first…",
        step.file_name(),
        m.settings.d
    )));
    vec![
        Command::Lint {
            step: i,
            path: step.file.clone(),
        },
        Command::QuickCheck {
            index: row,
            n,
            budget: QUICK_BUDGET,
            threads: m.settings.threads,
            k: m.settings.k,
        },
    ]
}

/// `a`: every step in order, each only if the one before it counts.
pub(super) fn climb(lab: &mut LabState, m: &mut Model) -> Vec<Command> {
    if lab.busy(m) {
        m.notice = Some(Notice::Error(
            "a step is running: wait for it, or Esc to cancel it".into(),
        ));
        return vec![];
    }
    lab.queue = (1..lab.lab.steps.len()).collect();
    let cmds = start_step(lab, m, 0);
    if cmds.is_empty() {
        // Step 1 refused (missing): the rest would only be refused after it.
        lab.queue.clear();
    }
    cmds
}

/// The quick check ended: a verified answer goes on to the full run; anything else is the
/// step's result.
pub fn on_quick_checked(lab: &mut LabState, m: &mut Model, mut report: RunReport) -> Vec<Command> {
    let Some(i) = lab.checking.take() else {
        return vec![];
    };
    // Cancelled after the check had finished but before its result was handled: the student
    // asked for no more, and gets none.
    if lab.check_cancelled.take() == Some(i) {
        report.status = RunStatus::Cancelled;
    }
    let row = lab.first_row + i;
    let verified = matches!(
        report.status,
        RunStatus::Completed | RunStatus::Extrapolated
    ) && report.verified();
    let file = lab.lab.steps[i].file_name();
    // Cancelled, or a module missing here: the full run could only say the same. A wrong
    // matrix (or an exception) on 200 rows is wrong code: timing it would only make the
    // student wait. A top-k step's index is judged at the lab's size (trained on 200 rows, its
    // recall may differ), so only its full run decides.
    let exact = lab.lab.steps[i].output == crate::rungs::OutputKind::Full;
    if matches!(
        report.status,
        RunStatus::Cancelled | RunStatus::Unavailable(_)
    ) || (exact && !verified)
    {
        let cancelled = report.status == RunStatus::Cancelled;
        let _ = m.finish(report);
        let cmds = on_finished(lab, m, row);
        if exact && !verified && !cancelled {
            let why = lab.results[i].verdict.line();
            // A traceback's reason names the file already.
            let whose = if why.starts_with(&file) {
                String::new()
            } else {
                format!("{file}, ")
            };
            m.notice = Some(Notice::Error(format!(
                "{whose}on 200 rows: {why}; so no time is taken on the lab's size: fix it and save"
            )));
        }
        return cmds;
    }
    m.rows[row].status = Status::Ready;
    let cmds = m.try_start(row);
    if cmds.is_empty() {
        return cmds;
    }
    m.notice = Some(if verified {
        Notice::Info(format!(
            "{file} is right on the small check; timing it on {} × {}…",
            m.settings.n, m.settings.d
        ))
    } else {
        // Said at once; the run at the lab's size decides, as `ladder lab check` decides by it
        // (an index trained on 200 rows may find fewer of the true neighbours than on the lab's).
        let (verdict, _) =
            crate::lab::grade::grade(&lab.lab.steps[i], &report, &lab.results[..i], &lab.lints[i]);
        Notice::Error(format!(
            "on 200 rows: {}; running the full size, which decides…",
            verdict.line()
        ))
    });
    cmds
}

/// A run of row `row` ended (recorded in the model): the step's attempt and every verdict
/// brought up to date; then the next step of a climb, or a save that waited.
pub fn on_finished(lab: &mut LabState, m: &mut Model, row: usize) -> Vec<Command> {
    let Some(i) = lab.step_of_row(row) else {
        return next(lab, m);
    };
    let cancelled = m.rows[row].status == Status::Cancelled;
    // A whole run that brought no profile (py-spy missing, or no samples) leaves none: the
    // last one was of the file before, and must not be kept with this run's result.
    if lab.profiled.take() != Some(row) && !cancelled {
        m.profiles[row] = None;
    }
    if let Some((_, hash)) = lab.running_hash.take_if(|(j, _)| *j == i) {
        if cancelled {
            // The result shown is of the file before: a changed file is still to run.
            lab.changed[i] |= hash != lab.ran_hash[i];
        } else {
            lab.ran_hash[i] = hash;
        }
    }
    let first = lab.retry.take().filter(|(j, _)| *j == i).map(|(_, r)| r);
    let again = m.rows[row].report.clone().filter(|_| !cancelled);
    // Of a step measured twice, the faster right run stands.
    let best = match (first.clone(), again) {
        (Some(a), Some(b)) if b.verified() && b.has_time() && b.estimated_s < a.estimated_s => {
            Some(b)
        }
        (Some(a), _) => Some(a),
        (None, b) => b,
    };
    if let Some(report) = best {
        m.rows[row].report = Some(report.clone());
        if first.is_some() {
            m.rows[row].status = Status::of(&report);
        }
        lab.attempts[i] = Some(Attempt::Ran {
            report: Box::new(report),
            lint: lab.lints[i].clone(),
        });
    }
    lab.reassess();
    if cancelled {
        let rest = if lab.queue.is_empty() {
            ""
        } else {
            ", and the rest of the climb"
        };
        m.notice = Some(Notice::Info(format!(
            "{} cancelled{rest}",
            lab.lab.steps[i].file_name()
        )));
        lab.queue.clear();
        return next(lab, m);
    }
    if first.is_none()
        && crate::lab::grade::short_by_noise(&lab.results[i])
        && let Some(report) = m.rows[row].report.clone()
    {
        let r = &lab.results[i];
        let (x, floor) = r.floor.as_ref().map_or((0.0, 0.0), |f| {
            (f.measured.unwrap_or(0.0), f.floor.at_least)
        });
        let cmds = m.try_start(row);
        if !cmds.is_empty() {
            lab.retry = Some((i, report));
            m.notice = Some(Notice::Info(format!(
                "{}: {}, just short of {}: measuring once more (the faster run stands)",
                r.file,
                crate::lab::grade::measured(x),
                crate::lab::grade::times(floor)
            )));
            return cmds;
        }
    }
    let r = &lab.results[i];
    let line = match &r.verdict {
        crate::lab::grade::Verdict::Counts => format!("{} counts ✓", r.file),
        // The harness's reasons start with the file and line already.
        v if v.line().starts_with(&r.file) => v.line(),
        v => format!("{}: {}", r.file, v.line()),
    };
    m.notice = Some(if r.verdict.counts() {
        Notice::Info(line)
    } else {
        Notice::Error(line)
    });
    if !r.verdict.counts() && !lab.unlock_all && !r.optional {
        // The later steps of a climb stay locked behind this one.
        lab.queue.clear();
    }
    let mut cmds = vec![files::keep(lab, m)];
    cmds.extend(next(lab, m));
    cmds
}

/// Starts what waits, if nothing runs: first a quiet saved file, then the climb's next step.
pub(super) fn next(lab: &mut LabState, m: &mut Model) -> Vec<Command> {
    // Saves wait for the workload and the machine, and for the run going on.
    if lab.busy(m) || m.ready_to_run().is_err() {
        return vec![];
    }
    if let Some(pos) = lab.saved.iter().position(|&(_, due)| due <= lab.ticks) {
        let (i, _) = lab.saved.remove(pos);
        let file = lab.lab.steps[i].file_name();
        if let Some(why) = refusal(lab, m, i) {
            m.notice = Some(Notice::Error(format!("saved {file}; {why}")));
            return vec![];
        }
        return start_step(lab, m, i);
    }
    if lab.saved.is_empty() && !lab.queue.is_empty() {
        let i = lab.queue.remove(0);
        return start_step(lab, m, i);
    }
    vec![]
}
