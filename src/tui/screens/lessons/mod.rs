//! The Lessons screen: a list of lessons with progress, and a lesson opened at a step. Steps
//! pass by doing (running a rung, answering, predicting, explaining); progress is saved after
//! every step through [`Command::SaveProgress`].

mod answers;
mod body;
mod keys;
mod view;

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use answers::{on_bytecode, on_concurrency, on_exported, on_finished};
pub use keys::{on_key, open};
pub use view::{draw, markdown};

use crate::lessons::progress::{Answer, Progress};
use crate::lessons::python::{Bytecode, Concurrency};
use crate::lessons::{Kind, Lesson, Step};
use crate::tui::message::Command;

/// What the learner sees after answering a step.
#[derive(Clone, Debug, PartialEq)]
pub enum Feedback {
    /// A choice was made: which, and whether it was right (every explanation is shown).
    Chose { index: usize, correct: bool },
    /// A prediction against its measurement.
    Scored {
        predicted: f64,
        measured: f64,
        scored: bool,
    },
    /// The prediction is in; the measurement is being taken.
    Measuring { predicted: f64 },
    /// Text saved.
    Saved,
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
    /// Loaded bytecode pairs: the pair, or why it could not be loaded live.
    pub bytecode: BTreeMap<String, (Option<Bytecode>, Option<String>)>,
    pub concurrency: Option<Result<Concurrency, String>>,
    pub measuring_concurrency: bool,
    /// A warning from loading the progress file, shown once.
    pub warning: Option<String>,
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

    /// Marks the current step passed, and saves.
    fn pass_current(&mut self) -> Vec<Command> {
        let (Some(l), Some(s)) = (self.lesson(), self.current()) else {
            return vec![];
        };
        let (lid, sid) = (l.id.clone(), s.id.clone());
        self.progress.pass(&lid, &sid);
        self.save_progress()
    }

    /// Records the learner's answer to the current step.
    fn record(&mut self, answer: Answer) {
        let (Some(l), Some(s)) = (self.lesson(), self.current()) else {
            return;
        };
        let (lid, sid) = (l.id.clone(), s.id.clone());
        self.progress.answer(&lid, &sid, answer);
    }
}

impl Kind {
    /// Whether the step is answered by picking a choice.
    #[must_use]
    pub fn has_choices(self) -> bool {
        matches!(self, Kind::Flame | Kind::Choice)
    }
}
