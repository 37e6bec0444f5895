//! The lab screen: the student's own steps as the ladder. Each step is a lab row (a peer the
//! shipped harness runs), graded in order by the same rules as `ladder lab check`; saving a
//! step's file runs it again by itself (watch mode): a quick check on a small workload first,
//! so a wrong answer shows within a second or two, then the timing at the lab's size.

mod files;
mod runs;
mod view;

use runs::{climb, next};
pub use runs::{on_finished, on_quick_checked, start_step};

pub use files::{on_file_saved, on_workload_ready, restore};

use std::path::{Path, PathBuf};
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};

pub use view::draw;

use super::{Nav, Outcome};
use crate::lab::lint::Lint;
use crate::lab::spec::Lab;
use crate::lab::{Attempt, StepResult};
use crate::run::RunReport;
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice};

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
    /// The line whose story `story_scroll` scrolls: another line (selected by a climb, a save)
    /// opens at its top.
    pub story_of: usize,
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
            story_of: 0,
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
        self.results =
            crate::lab::assess_stale(&self.lab, &attempts, self.unlock_all, &self.changed);
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
            // From where the story shows now: a shorter story since (a run ended) holds it
            // lower than the scroll last asked for.
            let from = if lab.story_of == lab.selected {
                lab.story_scroll.min(lab.story_room.get())
            } else {
                0
            };
            lab.story_of = lab.selected;
            lab.story_scroll = from.saturating_add(5).min(lab.story_room.get());
            Outcome::default()
        }
        KeyCode::PageUp => {
            if lab.story_of != lab.selected {
                lab.story_scroll = 0;
            }
            lab.story_of = lab.selected;
            lab.story_scroll = lab.story_scroll.min(lab.story_room.get()).saturating_sub(5);
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
            lab.reassess();
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
            lab.reassess();
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
            // A result kept from the last launch, or written by `lab check`, has no profile.
            let before = lab
                .step_of_row(row)
                .and_then(|i| i.checked_sub(1))
                .map_or_else(
                    || "the step before".to_string(),
                    |j| lab.lab.steps[j].file_name(),
                );
            m.notice = Some(Notice::Error(format!(
                "no earlier step has a profile here to compare with: select {before} and press \
                 Enter (a result kept from before, or from lab check, comes without one)"
            )));
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
