//! The lab screen: the student's own steps as the ladder. Each step is a lab row (a peer the
//! shipped harness runs), graded in order by the same rules as `ladder lab check`; saving a
//! step's file runs it again by itself (watch mode): a quick check on a small workload first,
//! so a wrong answer shows within a second or two, then the timing at the lab's size.

mod files;
mod view;

pub use files::{on_file_saved, on_workload_ready, restore};

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};

pub use view::draw;

use super::{Nav, Outcome};
use crate::lab::lint::Lint;
use crate::lab::spec::Lab;
use crate::lab::{Attempt, StepResult};
use crate::run::{RunReport, RunStatus};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, Status};

/// Rows in the quick check's workload: enough to meet every zero row and block edge, few
/// enough that pure Python answers in about a second.
pub const QUICK_N: usize = 200;

/// Kernel seconds the quick check may take before it is cut short (it only has to verify).
pub const QUICK_BUDGET: Duration = Duration::from_secs(1);

/// Ticks (100 ms) a saved file must stay quiet before it is run: editors write in bursts.
pub const SAVE_QUIET_TICKS: u64 = 3;

/// The lab as the app holds it.
#[derive(Clone, Debug)]
pub struct LabState {
    pub lab: Lab,
    /// The lab folder as the watcher reports paths in it.
    pub dir: PathBuf,
    /// The model row of step 0; step `i` is row `first_row + i`.
    pub first_row: usize,
    /// The selected line: a step, then (when shown) one of our rungs.
    pub selected: usize,
    /// Our rungs listed beside the steps (`o`).
    pub show_ours: bool,
    /// Saving a step's file runs it (`w` turns it off).
    pub watch: bool,
    pub unlock_all: bool,
    /// Each step's last attempt, and its latest lint.
    pub attempts: Vec<Option<Attempt>>,
    pub lints: Vec<Lint>,
    /// The verdicts, recomputed after every attempt.
    pub results: Vec<StepResult>,
    /// The step whose quick check is running.
    pub checking: Option<usize>,
    /// Steps to run in order (`a`, or saves that arrived while something ran).
    pub queue: Vec<usize>,
    /// Saved steps and the tick from which they may run.
    pub saved: Vec<(usize, u64)>,
    /// Steps whose file changed since their last run while not watching.
    pub changed: Vec<bool>,
    /// Each step's file's hash when it last ran (or its kept result came back): a file put
    /// back as it was needs no new run.
    pub ran_hash: Vec<Option<String>>,
    /// The step running now and its file's hash when it started: the hash becomes the step's
    /// `ran_hash` once the run ends, unless it was cancelled.
    pub running_hash: Option<(usize, Option<String>)>,
    /// The step whose quick check Esc cancelled: its result, even one already on its way,
    /// starts no full run.
    pub check_cancelled: Option<usize>,
    /// A step measured once more because it fell just short of its floor, with its first run.
    pub retry: Option<(usize, RunReport)>,
    /// The row whose profile arrived since its run started (it comes just before the run's end).
    pub profiled: Option<usize>,
    /// The notice saying results were kept from last time, until the workload's own replaces
    /// it (then it is said again).
    pub kept_notice: Option<String>,
    /// Steps whose files changed since their kept results ran (the app was closed): their
    /// results were not kept, and they say why until they run.
    pub edited_while_closed: Vec<usize>,
    /// How far the selected step's story is scrolled (PgDn), in lines; back to the top when
    /// another step is selected.
    pub story_scroll: u16,
    /// How far the story could scroll at the last draw (the view knows its size).
    pub story_room: std::cell::Cell<u16>,
    pub ticks: u64,
}

impl LabState {
    #[must_use]
    pub fn new(lab: Lab, first_row: usize, unlock_all: bool) -> Self {
        let steps = lab.steps.len();
        let dir = std::fs::canonicalize(&lab.dir).unwrap_or_else(|_| lab.dir.clone());
        let mut state = Self {
            lab,
            dir,
            first_row,
            selected: 0,
            show_ours: false,
            watch: true,
            unlock_all,
            attempts: vec![None; steps],
            lints: vec![Lint::NotApplicable; steps],
            results: Vec::new(),
            checking: None,
            queue: Vec::new(),
            saved: Vec::new(),
            changed: vec![false; steps],
            ran_hash: vec![None; steps],
            check_cancelled: None,
            running_hash: None,
            retry: None,
            kept_notice: None,
            edited_while_closed: Vec::new(),
            story_scroll: 0,
            story_room: std::cell::Cell::new(0),
            profiled: None,
            ticks: 0,
        };
        state.reassess();
        state
    }

    /// The verdicts from the attempts so far, by the rules of `ladder lab check`.
    pub fn reassess(&mut self) {
        let attempts: Vec<Option<&Attempt>> = self.attempts.iter().map(Option::as_ref).collect();
        self.results = crate::lab::assess(&self.lab, &attempts, self.unlock_all);
    }

    /// The step that row `row` runs, if it is a lab row.
    #[must_use]
    pub fn step_of_row(&self, row: usize) -> Option<usize> {
        row.checked_sub(self.first_row)
            .filter(|&i| i < self.lab.steps.len())
    }

    /// Lines on the screen: the steps, then our rungs when shown.
    #[must_use]
    pub fn lines(&self, m: &Model) -> usize {
        self.lab.steps.len() + if self.show_ours { m.ladder_len() } else { 0 }
    }

    /// The model row of the selected line.
    #[must_use]
    pub fn selected_row(&self) -> usize {
        let steps = self.lab.steps.len();
        if self.selected < steps {
            self.first_row + self.selected
        } else {
            self.selected - steps
        }
    }

    /// Is a step being checked or run, or anything else running?
    #[must_use]
    pub fn busy(&self, m: &Model) -> bool {
        self.checking.is_some() || m.running()
    }

    /// Whether `path` is this lab's `lab.toml`.
    #[must_use]
    pub fn is_lab_file(&self, path: &Path) -> bool {
        path.file_name()
            .is_some_and(|n| n == crate::lab::spec::LAB_FILE)
            && path.parent().is_some_and(|p| {
                p == self.dir
                    || p == self.lab.dir
                    || std::fs::canonicalize(p).is_ok_and(|p| p == self.dir)
            })
    }

    /// The step whose file is `path`, if any.
    #[must_use]
    pub fn step_of_file(&self, path: &Path) -> Option<usize> {
        let name = path.file_name()?;
        let parent = path.parent()?;
        let real = std::fs::canonicalize(parent).ok();
        self.lab.steps.iter().position(|s| {
            let Some(own) = s.file.parent() else {
                return false;
            };
            // The watcher reports canonical paths; the lab's may not be.
            s.file.file_name() == Some(name)
                && (parent == own || real.is_some() && real == std::fs::canonicalize(own).ok())
        })
    }
}

/// The commands at start: every step's file linted.
#[must_use]
pub fn start(lab: &LabState) -> Vec<Command> {
    lab.lab
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.file.is_file())
        .map(|(step, s)| Command::Lint {
            step,
            path: s.file.clone(),
        })
        .collect()
}

/// The lab's keys.
pub fn on_key(lab: &mut LabState, m: &mut Model, key: KeyEvent) -> Outcome {
    let lines = lab.lines(m);
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => {
            lab.selected = lab.selected.saturating_sub(1);
            lab.story_scroll = 0;
            Outcome::default()
        }
        KeyCode::Down | KeyCode::Char('j') => {
            lab.selected = (lab.selected + 1).min(lines.saturating_sub(1));
            lab.story_scroll = 0;
            Outcome::default()
        }
        KeyCode::PageDown => {
            lab.story_scroll = lab.story_scroll.saturating_add(5).min(lab.story_room.get());
            Outcome::default()
        }
        KeyCode::PageUp => {
            lab.story_scroll = lab.story_scroll.saturating_sub(5);
            Outcome::default()
        }
        KeyCode::Enter => {
            let row = lab.selected_row();
            match lab.step_of_row(row) {
                Some(i) => start_step(lab, m, i).into(),
                None if lab.busy(m) => {
                    m.notice = Some(Notice::Error("a step is running (Esc cancels it)".into()));
                    Outcome::default()
                }
                None => m.try_start(row).into(),
            }
        }
        KeyCode::Char('a') => climb(lab, m).into(),
        KeyCode::Esc => {
            lab.queue.clear();
            // Saves that were waiting are not forgotten: marked, they run when asked.
            for (i, _) in lab.saved.drain(..) {
                lab.changed[i] = true;
            }
            if lab.checking.is_some() {
                lab.check_cancelled = lab.checking;
                m.notice = Some(Notice::Info("cancelling…".into()));
                return vec![Command::Cancel].into();
            }
            m.cancel().into()
        }
        KeyCode::Char('o') => {
            lab.show_ours = !lab.show_ours;
            lab.selected = lab.selected.min(lab.lines(m).saturating_sub(1));
            m.notice = Some(Notice::Info(if lab.show_ours {
                "our rungs listed below your steps: Enter runs one (in order, as ever)".into()
            } else {
                "our rungs hidden".into()
            }));
            Outcome::default()
        }
        KeyCode::Char('w') => {
            lab.watch = !lab.watch;
            for (i, _) in lab.saved.drain(..) {
                lab.changed[i] = true;
            }
            let changed: Vec<usize> = (0..lab.changed.len()).filter(|&i| lab.changed[i]).collect();
            m.notice = Some(Notice::Info(if !lab.watch {
                "not watching: Enter runs the selected step".into()
            } else if changed.is_empty() {
                "watching: saving a step's file runs it".into()
            } else {
                // What was saved meanwhile runs now, in order.
                let due = lab.ticks;
                lab.saved.extend(changed.iter().map(|&i| (i, due)));
                format!(
                    "watching again: running the {} step(s) saved meanwhile",
                    changed.len()
                )
            }));
            Outcome::default()
        }
        KeyCode::Char('m') => notes(lab, m).into(),
        KeyCode::Char('f') => flame(lab, m, false),
        KeyCode::Char('d') => flame(lab, m, true),
        _ => Outcome::default(),
    }
}

/// `m`: NOTES.md in the lab folder: the steps, ours beside them, the course's claims.
fn notes(lab: &LabState, m: &mut Model) -> Vec<Command> {
    let (crate::tui::model::WorkloadState::Ready(meta), Some(machine)) = (&m.workload, &m.machine)
    else {
        m.notice = Some(Notice::Error("nothing to write yet: a moment…".into()));
        return vec![];
    };
    if lab.results.iter().all(|r| r.seconds().is_none()) {
        m.notice = Some(Notice::Error(
            "nothing to write yet: run a step first (Enter)".into(),
        ));
        return vec![];
    }
    let ours: Vec<RunReport> = m.rows[..m.ladder_len()]
        .iter()
        .filter_map(|r| r.report.clone())
        .collect();
    // Each step's profile (py-spy's, cut to the student's own functions) goes beside the notes.
    let flames = lab
        .results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let p = m.profiles.get(lab.first_row + i)?.as_ref()?;
            Some((r.id.clone(), std::sync::Arc::clone(p)))
        })
        .collect();
    vec![Command::ExportLabNotes {
        path: m.notes_path.clone(),
        dir: lab.lab.dir.display().to_string(),
        meta: meta.clone(),
        machine: Box::new(machine.clone()),
        results: lab.results.clone(),
        ours,
        flames,
    }]
}

/// `f`: the selected line's flamegraph; `d`: the same, compared with the previous step's.
fn flame(lab: &LabState, m: &mut Model, diff: bool) -> Outcome {
    let row = lab.selected_row();
    if m.profiles[row].is_none() {
        let what = lab.step_of_row(row).map_or_else(
            || m.rows[row].info.id.to_string(),
            |i| lab.lab.steps[i].file_name(),
        );
        m.notice = Some(Notice::Error(
            if crate::peers::which("py-spy").is_none() && lab.step_of_row(row).is_some() {
                format!("no profile of {what}: pip install py-spy, then run it again (Enter)")
            } else {
                format!(
                    "no profile of {what} yet: run it (Enter), then f shows where its time went"
                )
            },
        ));
        return Outcome::default();
    }
    if diff {
        let earlier = lab.step_of_row(row).and_then(|i| {
            (0..i)
                .rev()
                .map(|j| lab.first_row + j)
                .find(|&r| m.profiles[r].is_some())
        });
        if earlier.is_none() {
            m.notice = Some(Notice::Error(
                "no earlier step has a profile to compare with: run it first".into(),
            ));
            return Outcome::default();
        }
    }
    // A fast step's run is mostly Python starting: said, so the small tower of the student's
    // own function is not taken for an empty picture.
    if let (Some(i), Some(p)) = (lab.step_of_row(row), m.profiles[row].as_ref()) {
        let total = p.total_samples().max(1);
        let outside: u64 = p
            .to_folded()
            .lines()
            .filter(|l| l.starts_with(crate::lab::step::OUTSIDE))
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<u64>().ok())
            .sum();
        let share = outside as f64 / total as f64;
        if share > 0.8 {
            m.notice = Some(Notice::Info(format!(
                "{}'s own function took {:.0}% of the samples: it is fast, and the rest is the \
                 process starting (Python, imports) and moving X and S; a larger n in \
                 lab.toml's [workload] shows more of it",
                lab.lab.steps[i].file_name(),
                100.0 * (1.0 - share)
            )));
        }
    }
    Outcome::go(Nav::Flame {
        rung: row,
        memory: false,
    })
}

/// Why step `i` cannot start now, if so.
fn refusal(lab: &LabState, m: &Model, i: usize) -> Option<String> {
    if let Err(e) = m.ready_to_run() {
        return Some(e);
    }
    let step = &lab.lab.steps[i];
    if !step.file.is_file() {
        return Some(format!(
            "{} is missing: write it (a fresh copy of every template: ladder lab init ANOTHER_FOLDER)",
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
fn climb(lab: &mut LabState, m: &mut Model) -> Vec<Command> {
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
                "{whose}on 200 rows: {why}; not timed: fix it and save"
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
                crate::lab::grade::times(x),
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

/// A lint arrived: the verdicts may change (a step with findings does not count).
pub fn on_linted(lab: &mut LabState, step: usize, lint: Lint) {
    if step >= lab.lints.len() {
        return;
    }
    lab.lints[step] = lint.clone();
    if let Some(Attempt::Ran { lint: l, .. }) = lab.attempts[step].as_mut() {
        *l = lint;
    }
    lab.reassess();
}

/// The clock: a saved file that has stayed quiet runs, when nothing else does.
pub fn on_tick(lab: &mut LabState, m: &mut Model) -> Vec<Command> {
    lab.ticks += 1;
    next(lab, m)
}

/// Starts what waits, if nothing runs: first a quiet saved file, then the climb's next step.
fn next(lab: &mut LabState, m: &mut Model) -> Vec<Command> {
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
