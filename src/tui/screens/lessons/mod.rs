//! The Lessons screen: a list of lessons with progress, and a lesson opened at a step. Steps
//! pass by doing (running a rung, answering, predicting, explaining); progress is saved after
//! every step through [`Command::SaveProgress`].

mod answers;
mod body;
mod bytecode;
mod keys;
mod leak;
mod measure;
mod profilers;
mod table;
mod typed;
mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

use ratatui::style::Style;
use ratatui::text::{Line, Span};

pub use answers::{on_bytecode, on_exported, on_finished, on_leak};
pub use keys::{on_key, open};
pub use profilers::{on_profilers, on_progress as on_profilers_progress};
pub use table::{on_concurrency, plain as plain_table};
pub use view::{draw, markdown};

use crate::lessons::progress::{Answer, Measured, Progress};
use crate::lessons::python::{Bytecode, Concurrency};
use crate::lessons::{Lesson, Step};
use crate::tui::message::Command;

/// What the learner sees after answering a step.
#[derive(Clone, Debug, PartialEq)]
pub enum Feedback {
    /// Options picked, by their index in the lesson file. A wrong pick shows only why that
    /// option is wrong; every option and explanation is shown once the right one is picked
    /// (`right`) or the learner asked for the answer (`revealed`).
    Chose {
        wrong: Vec<usize>,
        right: Option<usize>,
        revealed: bool,
    },
    /// A prediction against its measurement; `practice` when it is not the step's first
    /// attempt (the first is the one scored).
    Scored {
        predicted: f64,
        measured: f64,
        scored: bool,
        practice: bool,
    },
    /// The prediction is in; the measurement is being taken.
    Measuring { predicted: f64 },
    /// Text saved.
    Saved,
    /// A profiler prediction made (the option's index), judged when the profilers are
    /// measured.
    Predicted(usize),
}

/// The Lessons screen.
#[derive(Clone, Debug, Default)]
pub struct LessonsState {
    pub lessons: Vec<Lesson>,
    pub progress: Progress,
    /// Where progress is saved (None: not saved, e.g. in tests).
    pub path: Option<PathBuf>,
    pub selected: usize,
    /// The lesson open, and its current step.
    pub open: Option<usize>,
    pub step: usize,
    /// Typing an answer (predict, explain).
    pub typing: bool,
    pub input: String,
    pub feedback: Option<Feedback>,
    /// Lines scrolled down in the step's text.
    pub scroll: u16,
    /// Verified runs of the current run step's rung since the step was entered.
    pub runs: u32,
    /// The app's RSS when the current run step's run was asked for.
    pub run_rss_before: Option<u64>,
    /// Loaded bytecode pairs: the pair, or why it could not be loaded live.
    pub bytecode: BTreeMap<String, (Option<Bytecode>, Option<String>)>,
    pub concurrency: Option<Result<Concurrency, String>>,
    pub measuring_concurrency: bool,
    /// Why measuring again failed (the table measured before stays).
    pub concurrency_error: Option<String>,
    /// Runs of the leak lesson's Python programs, by program (`leaky`, `fixed`), or why one
    /// failed.
    pub leak: BTreeMap<String, Result<crate::lessons::leak::LeakRun, String>>,
    /// The program running now, if one is.
    pub leak_running: Option<String>,
    /// The profilers measured side by side, or why they could not be.
    pub profilers: Option<Result<crate::lessons::profilers::Comparison, String>>,
    /// While they are measured: the run going on.
    pub profilers_running: Option<crate::lessons::profilers::Running>,
    /// Why measuring again failed (the table measured before stays).
    pub profilers_error: Option<String>,
    /// The lesson and step that asked for each measurement running now, by its kind
    /// (`concurrency`, `leak`, `profilers`): it is theirs even when the learner has moved on
    /// before it arrives.
    pub asked: BTreeMap<&'static str, (String, String)>,
    /// A warning from loading the progress file, shown once.
    pub warning: Option<String>,
    /// `R` was pressed on this lesson of the list: the next key confirms (y) or keeps it.
    pub confirm_reset: Option<usize>,
    /// The rungs of the prediction being measured that were timed again because the machine
    /// was busy elsewhere while they ran (each once; `m` clears it): a busy time is not this
    /// machine's, and is not scored.
    pub retimed: Vec<String>,
    /// The prediction being measured waits for a quieter machine: its rungs were timed again
    /// and were busy again.
    pub waiting_quiet: bool,
}

impl LessonsState {
    #[must_use]
    pub fn new(lessons: Vec<Lesson>, progress: Progress, path: Option<PathBuf>) -> Self {
        Self {
            lessons,
            progress,
            path,
            ..Self::default()
        }
    }

    #[must_use]
    pub fn lesson(&self) -> Option<&Lesson> {
        self.open.and_then(|i| self.lessons.get(i))
    }

    #[must_use]
    pub fn current(&self) -> Option<&Step> {
        self.lesson().and_then(|l| l.steps.get(self.step))
    }

    /// Steps passed in lesson `i`.
    #[must_use]
    pub fn done_in(&self, i: usize) -> usize {
        let l = &self.lessons[i];
        self.progress.lesson(&l.id).map_or(0, |p| {
            l.steps.iter().filter(|s| p.done.contains(&s.id)).count()
        })
    }

    #[must_use]
    pub fn passed(&self, step: &Step) -> bool {
        self.lesson()
            .is_some_and(|l| self.progress.passed(&l.id, &step.id))
    }

    #[must_use]
    pub fn answer(&self, step: &Step) -> Option<&Answer> {
        let l = self.lesson()?;
        self.progress.lesson(&l.id)?.answers.get(&step.id)
    }

    #[must_use]
    pub fn hints_shown(&self, step: &Step) -> usize {
        self.lesson()
            .and_then(|l| self.progress.lesson(&l.id))
            .and_then(|p| p.hints.get(&step.id).copied())
            .unwrap_or(0)
    }

    /// The command that saves the progress, where it is saved.
    fn save_progress(&self) -> Vec<Command> {
        match &self.path {
            Some(p) => vec![Command::SaveProgress(
                p.clone(),
                Box::new(self.progress.clone()),
            )],
            None => vec![],
        }
    }

    /// Step `sid` of lesson `lid`.
    #[must_use]
    pub fn step_of(&self, lid: &str, sid: &str) -> Option<&Step> {
        self.lessons
            .iter()
            .find(|l| l.id == lid)?
            .steps
            .iter()
            .find(|s| s.id == sid)
    }

    /// Remembers the current step as the one a measurement of `kind` starting now belongs to.
    fn ask(&mut self, kind: &'static str) {
        match self.ids() {
            Some(ids) => self.asked.insert(kind, ids),
            None => self.asked.remove(kind),
        };
    }

    /// The step a measurement of `kind` that just arrived belongs to: the one that asked for
    /// it, else the current one; and whether the learner is still on it.
    fn answered(&mut self, kind: &'static str) -> Option<((String, String), bool)> {
        let here = self.ids();
        let asked = self.asked.remove(kind).or_else(|| here.clone())?;
        let still = here.as_ref() == Some(&asked);
        Some((asked, still))
    }

    /// Keeps what step `sid` of lesson `lid` measured with the progress and passes it (the
    /// step need not be the current one: a measurement belongs to the step that asked).
    fn measured_and_passed(&mut self, lid: &str, sid: &str, what: Measured) {
        self.progress.measured(lid, sid, what);
        self.progress.pass(lid, sid);
    }

    /// Marks the current step passed, and saves.
    fn pass_current(&mut self) -> Vec<Command> {
        let (Some(l), Some(s)) = (self.lesson(), self.current()) else {
            return vec![];
        };
        let (lid, sid) = (l.id.clone(), s.id.clone());
        self.progress.pass(&lid, &sid);
        self.save_progress()
    }

    /// The ids of the open lesson and its current step.
    fn ids(&self) -> Option<(String, String)> {
        Some((self.lesson()?.id.clone(), self.current()?.id.clone()))
    }

    /// Records an attempt at the current step (kept with the others, timed).
    fn record(&mut self, answer: Answer) {
        if let Some((lid, sid)) = self.ids() {
            self.progress.attempt(&lid, &sid, answer);
        }
    }

    /// Completes the current step's last attempt with its measurement (a prediction is saved
    /// when typed, before it is measured), or records a new one.
    fn record_measured(&mut self, answer: Answer) {
        let Some((lid, sid)) = self.ids() else {
            return;
        };
        let l = self.progress.lesson_mut(&lid);
        let pending = l
            .attempts
            .get_mut(&sid)
            .and_then(|a| a.last_mut())
            .filter(|a| a.measured.is_none() && a.predicted == answer.predicted);
        match pending {
            Some(last) => {
                last.measured = answer.measured;
                last.scored = answer.scored;
                if answer.unjudged.is_some() {
                    last.unjudged = answer.unjudged;
                }
                let done = last.clone();
                l.answers.insert(sid, done);
            }
            None => self.progress.attempt(&lid, &sid, answer),
        }
    }

    /// The attempts at `step` of the open lesson.
    #[must_use]
    pub fn attempts(&self, step: &Step) -> &[Answer] {
        self.lesson()
            .map_or(&[], |l| self.progress.attempts(&l.id, &step.id))
    }

    /// Records what the current step measured and showed.
    fn measured(&mut self, what: Measured) {
        if let Some((lid, sid)) = self.ids() {
            self.progress.measured(&lid, &sid, what);
        }
    }

    /// The learner's name as set (the name prompt asks for it before a lesson opens).
    #[must_use]
    pub fn learner(&self) -> &str {
        self.progress.learner.as_deref().unwrap_or("")
    }

    /// The order `step`'s options are shown in to this learner (indices into its choices).
    #[must_use]
    pub fn order(&self, step: &Step) -> Vec<usize> {
        let lesson = self.lesson().map_or("", |l| l.id.as_str());
        crate::lessons::option_order(self.learner(), lesson, &step.id, step.choices.len())
    }

    /// Whether option `i` of `step` is right. An option naming a way of running a workload
    /// that was measured here is right when that way measured fastest (within the noise),
    /// whatever the lesson file expected: the choice is justified by the measurement. Other
    /// options, and every option before a measurement, go by the lesson file.
    #[must_use]
    pub fn accepted(&self, step: &Step, i: usize) -> bool {
        use crate::lessons::python::Verdict;
        let Some(c) = step.choices.get(i) else {
            return false;
        };
        // A profiler prediction: right when that profiler measured at the end asked about.
        if step.overhead.is_some() {
            return profilers::accepted(self, step, i).unwrap_or(c.correct);
        }
        // A leak flamegraph's options name functions: the right one is the function the
        // measured stacks say holds the bytes, whatever the file expected.
        if let (Some(p), Some(f)) = (&step.program, &c.function) {
            return match self.leak.get(p) {
                Some(Ok(run)) => run.holder().as_deref() == Some(f.as_str()),
                _ => c.correct,
            };
        }
        let table = step.workload.as_deref().and_then(|w| {
            let t = self.concurrency.as_ref()?.as_ref().ok()?;
            t.results.contains_key(w).then_some((t, w))
        });
        let fastest = |way: &str| {
            table.is_some_and(|(t, w)| matches!(t.verdict(w, way), Verdict::Fastest(_)))
        };
        // A table none of the options' ways won (an older lesson file) cannot judge them.
        let judged = step
            .choices
            .iter()
            .any(|c| c.way.as_deref().is_some_and(fastest));
        match &c.way {
            Some(way) if judged => fastest(way),
            _ => c.correct,
        }
    }

    /// The name prompt is open (on the list, before a lesson opens for the first time).
    #[must_use]
    pub fn naming(&self) -> bool {
        self.typing && self.open.is_none()
    }
}

/// `text` word-wrapped to `width` columns: the first line starts with `first`, the others
/// are indented by `indent` spaces (an option's continuation lines sit under its text).
#[must_use]
pub fn wrapped(
    text: &str,
    first: &str,
    indent: usize,
    width: usize,
    style: Style,
) -> Vec<Line<'static>> {
    let width = width.max(indent + 10);
    let mut lines: Vec<String> = Vec::new();
    let mut cur = first.to_string();
    let mut cur_w = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let w = word.chars().count();
        if !empty && cur_w + 1 + w > width {
            lines.push(std::mem::replace(&mut cur, " ".repeat(indent)));
            cur_w = indent;
            empty = true;
        }
        if !empty {
            cur.push(' ');
            cur_w += 1;
        }
        cur.push_str(word);
        cur_w += w;
        empty = false;
    }
    lines.push(cur);
    lines
        .into_iter()
        .map(|l| Line::from(Span::styled(l, style)))
        .collect()
}
