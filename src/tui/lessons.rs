//! The Lessons screen's state and its part of `update`: a list of lessons with progress, and a
//! lesson opened at a step. Steps pass by doing (running a rung, answering, predicting,
//! explaining); progress is saved after every step through [`Command::SaveProgress`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, Command, Notice, Screen};
use crate::lessons::progress::{Answer, Progress};
use crate::lessons::python::{Bytecode, Concurrency};
use crate::lessons::{Kind, Lesson, Measure, Step, scores};

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
}

impl App {
    fn save_progress(&self) -> Vec<Command> {
        match &self.lessons.path {
            Some(p) => vec![Command::SaveProgress(
                p.clone(),
                Box::new(self.lessons.progress.clone()),
            )],
            None => vec![],
        }
    }

    fn pass_current(&mut self) -> Vec<Command> {
        let (Some(l), Some(s)) = (self.lessons.lesson(), self.lessons.current()) else {
            return vec![];
        };
        let (lid, sid) = (l.id.clone(), s.id.clone());
        self.lessons.progress.pass(&lid, &sid);
        self.save_progress()
    }

    fn record(&mut self, answer: Answer) {
        let (Some(l), Some(s)) = (self.lessons.lesson(), self.lessons.current()) else {
            return;
        };
        let (lid, sid) = (l.id.clone(), s.id.clone());
        self.lessons.progress.answer(&lid, &sid, answer);
    }

    /// Moves to step `i` of the open lesson and starts what it needs (bytecode loading).
    fn enter_step(&mut self, i: usize) -> Vec<Command> {
        self.enter_step_with(i, true)
    }

    /// As [`Self::enter_step`]; `auto` lets a run step whose rung has already verified pass
    /// at once (not when the learner asked to redo it).
    fn enter_step_with(&mut self, i: usize, auto: bool) -> Vec<Command> {
        self.lessons.step = i;
        self.lessons.scroll = 0;
        self.lessons.typing = false;
        self.lessons.input.clear();
        self.lessons.feedback = None;
        self.lessons.runs = 0;
        let Some(step) = self.lessons.current().cloned() else {
            return vec![];
        };
        // Show the earlier answer again when coming back to a step.
        if let Some(a) = self.lessons.answer(&step).cloned() {
            self.lessons.feedback = match (a.choice, a.predicted, a.measured, &a.text) {
                (Some(c), ..) => Some(Feedback::Chose {
                    index: c,
                    correct: a.correct.unwrap_or(false),
                }),
                (_, Some(p), Some(m), _) => Some(Feedback::Scored {
                    predicted: p,
                    measured: m,
                    scored: a.scored.unwrap_or(false),
                }),
                (_, _, _, Some(t)) => {
                    self.lessons.input.clone_from(t);
                    Some(Feedback::Saved)
                }
                _ => None,
            };
        }
        match (step.kind, &step.pair) {
            (Kind::Bytecode, Some(pair)) if !self.lessons.bytecode.contains_key(pair) => {
                vec![Command::LoadBytecode(pair.clone())]
            }
            // A rung already run and verified (say, to measure a prediction) need not run
            // again, unless the step asks for several runs.
            (Kind::Run, _)
                if auto && step.times.unwrap_or(1) <= 1 && !self.lessons.passed(&step) =>
            {
                let verified = step
                    .rung
                    .as_deref()
                    .and_then(|r| self.rung_index(r))
                    .is_some_and(|i| self.rows[i].status == super::app::Status::Done);
                if verified {
                    self.notice = Some(Notice::Info("already run and verified: → next".into()));
                    self.pass_current()
                } else {
                    vec![]
                }
            }
            _ => vec![],
        }
    }

    pub(super) fn open_lessons(&mut self) -> Vec<Command> {
        self.screen = Screen::Lessons;
        if let Some(w) = self.lessons.warning.take() {
            self.notice = Some(Notice::Error(w));
        }
        vec![]
    }

    pub(super) fn on_lessons_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if self.lessons.typing {
            return self.on_answer_key(key);
        }
        if self.lessons.open.is_none() {
            return self.on_lesson_list_key(key);
        }
        let Some(step) = self.lessons.current().cloned() else {
            return vec![];
        };
        match key.code {
            KeyCode::Esc => {
                if self.running() {
                    return vec![Command::Cancel];
                }
                self.lessons.open = None;
                vec![]
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.lessons.scroll = self.lessons.scroll.saturating_sub(1);
                vec![]
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.lessons.scroll = self.lessons.scroll.saturating_add(1).min(200);
                vec![]
            }
            KeyCode::Left | KeyCode::Char('p') => {
                let i = self.lessons.step.saturating_sub(1);
                self.enter_step(i)
            }
            KeyCode::Right | KeyCode::Char('n') => self.next_step(&step),
            KeyCode::Char('h') => {
                let lid = self
                    .lessons
                    .lesson()
                    .map(|l| l.id.clone())
                    .unwrap_or_default();
                if step.hints.is_empty() {
                    self.notice = Some(Notice::Info("no hints for this step".into()));
                } else {
                    let n = self.lessons.progress.hint(&lid, &step.id, step.hints.len());
                    self.notice = Some(Notice::Info(format!("hint {n}/{}", step.hints.len())));
                }
                self.save_progress()
            }
            KeyCode::Char('r') => {
                let lid = self
                    .lessons
                    .lesson()
                    .map(|l| l.id.clone())
                    .unwrap_or_default();
                self.lessons.progress.redo(&lid, &step.id);
                let mut cmds = self.enter_step_with(self.lessons.step, false);
                cmds.extend(self.save_progress());
                self.notice = Some(Notice::Info("step reset: do it again".into()));
                cmds
            }
            KeyCode::Char('f') if step.kind == Kind::Flame => self.open_step_flame(&step),
            KeyCode::Char(c) if c.is_ascii_digit() && step.kind.has_choices() => {
                let index = (c as usize).wrapping_sub('1' as usize);
                self.choose(&step, index)
            }
            KeyCode::Enter => self.act(&step),
            _ => vec![],
        }
    }

    fn on_lesson_list_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let n = self.lessons.lessons.len();
        match key.code {
            KeyCode::Esc | KeyCode::Char('l') => {
                self.screen = Screen::Ladder;
                vec![]
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.lessons.selected = self.lessons.selected.saturating_sub(1);
                vec![]
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.lessons.selected = (self.lessons.selected + 1).min(n.saturating_sub(1));
                vec![]
            }
            KeyCode::Enter if n > 0 => {
                let i = self.lessons.selected;
                self.lessons.open = Some(i);
                // Resume at the first step not yet passed.
                let first = {
                    let l = &self.lessons.lessons[i];
                    l.steps
                        .iter()
                        .position(|s| !self.lessons.progress.passed(&l.id, &s.id))
                        .unwrap_or(0)
                };
                self.enter_step(first)
            }
            KeyCode::Char('R') if n > 0 => {
                let id = self.lessons.lessons[self.lessons.selected].id.clone();
                self.lessons.progress.reset(&id);
                self.notice = Some(Notice::Info(format!("lesson {id} reset")));
                self.save_progress()
            }
            _ => vec![],
        }
    }

    fn next_step(&mut self, step: &Step) -> Vec<Command> {
        let last = self.lessons.lesson().map_or(0, |l| l.steps.len() - 1);
        if !self.lessons.passed(step) {
            self.notice = Some(Notice::Error(
                "finish this step first (Enter); h shows a hint".into(),
            ));
            return vec![];
        }
        if self.lessons.step >= last {
            self.notice = Some(Notice::Info(
                "that was the last step: Esc for the list".into(),
            ));
            return vec![];
        }
        self.enter_step(self.lessons.step + 1)
    }

    /// Enter on a step: do what it asks.
    fn act(&mut self, step: &Step) -> Vec<Command> {
        match step.kind {
            Kind::Read | Kind::Bytecode => {
                let mut cmds = self.pass_current();
                cmds.extend(self.next_step(step));
                cmds
            }
            Kind::Run => self.run_step_rung(step),
            Kind::Predict | Kind::Explain => {
                self.lessons.typing = true;
                vec![]
            }
            Kind::Flame | Kind::Choice => {
                self.notice = Some(Notice::Info(if step.kind == Kind::Flame {
                    "f opens the flamegraph; answer with a number".into()
                } else {
                    "answer with a number".into()
                }));
                vec![]
            }
            Kind::Concurrency => {
                if self.lessons.measuring_concurrency {
                    return vec![];
                }
                self.lessons.measuring_concurrency = true;
                vec![Command::MeasureConcurrency]
            }
            Kind::Notes => self.export(),
        }
    }

    fn rung_index(&self, id: &str) -> Option<usize> {
        self.rows.iter().position(|r| r.info.id == id)
    }

    fn run_step_rung(&mut self, step: &Step) -> Vec<Command> {
        let Some(i) = step.rung.as_deref().and_then(|r| self.rung_index(r)) else {
            return vec![];
        };
        self.climb_to(i)
    }

    /// Runs rung `i`, climbing in order from the lowest ladder rung below it that has not run
    /// in this session (the lock rule, applied for the learner instead of refusing).
    fn climb_to(&mut self, i: usize) -> Vec<Command> {
        if self.running() || self.rows[i].extra {
            return self.try_start(i);
        }
        let first = (0..i)
            .find(|&j| self.rows[j].status != super::app::Status::Done)
            .unwrap_or(i);
        if first < i {
            self.queue = (first + 1..=i).collect();
            for &j in &self.queue {
                self.rows[j].status = super::app::Status::Queued;
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

    fn open_step_flame(&mut self, step: &Step) -> Vec<Command> {
        let Some(i) = step.rung.as_deref().and_then(|r| self.rung_index(r)) else {
            return vec![];
        };
        if self.profiles[i].is_none() {
            self.notice = Some(Notice::Error(format!(
                "no profile of {} yet: run it first (its run step, or Enter on the ladder)",
                self.rows[i].info.id
            )));
            return vec![];
        }
        self.flame = super::app::FlameView {
            rung: i,
            memory: step.memory,
            ..super::app::FlameView::default()
        };
        self.flame_return = Screen::Lessons;
        self.screen = Screen::Flame;
        if step.memory {
            vec![Command::SnapshotMemory]
        } else {
            vec![]
        }
    }

    fn choose(&mut self, step: &Step, index: usize) -> Vec<Command> {
        let Some(choice) = step.choices.get(index) else {
            return vec![];
        };
        let correct = choice.correct;
        self.record(Answer {
            choice: Some(index),
            correct: Some(correct),
            ..Answer::default()
        });
        self.lessons.feedback = Some(Feedback::Chose { index, correct });
        if correct {
            self.notice = Some(Notice::Info("right: → for the next step".into()));
            self.pass_current()
        } else {
            self.notice = Some(Notice::Error(
                "not quite: read the explanations and try another".into(),
            ));
            self.save_progress()
        }
    }

    fn on_answer_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(step) = self.lessons.current().cloned() else {
            return vec![];
        };
        match key.code {
            KeyCode::Esc => {
                self.lessons.typing = false;
                vec![]
            }
            KeyCode::Backspace => {
                self.lessons.input.pop();
                vec![]
            }
            KeyCode::Char(c) => {
                if step.kind != Kind::Predict || c.is_ascii_digit() || c == '.' {
                    self.lessons.input.push(c);
                }
                vec![]
            }
            KeyCode::Enter => match step.kind {
                Kind::Predict => self.submit_prediction(&step),
                _ => self.submit_explanation(&step),
            },
            _ => vec![],
        }
    }

    fn submit_explanation(&mut self, step: &Step) -> Vec<Command> {
        let words = self.lessons.input.split_whitespace().count();
        let min = step.min_words.unwrap_or(1);
        if words < min {
            self.notice = Some(Notice::Error(format!(
                "{words} words: write at least {min} (a real justification, in your words)"
            )));
            return vec![];
        }
        self.lessons.typing = false;
        let text = self.lessons.input.trim().to_string();
        self.record(Answer {
            text: Some(text),
            ..Answer::default()
        });
        self.lessons.feedback = Some(Feedback::Saved);
        self.notice = Some(Notice::Info("saved: → for the next step".into()));
        self.pass_current()
    }

    fn submit_prediction(&mut self, step: &Step) -> Vec<Command> {
        let Some(predicted) = self
            .lessons
            .input
            .parse::<f64>()
            .ok()
            .filter(|v| *v > 0.0 && v.is_finite())
        else {
            self.notice = Some(Notice::Error(
                "type a number above 0, like 4 or 2.5, then Enter".into(),
            ));
            return vec![];
        };
        self.lessons.typing = false;
        self.lessons.feedback = Some(Feedback::Measuring { predicted });
        self.record(Answer {
            predicted: Some(predicted),
            ..Answer::default()
        });
        let mut cmds = self.save_progress();
        cmds.extend(self.try_measure(step));
        cmds
    }

    /// Scores the current prediction when its measurement is available, else starts taking it.
    fn try_measure(&mut self, step: &Step) -> Vec<Command> {
        let Some(Feedback::Measuring { predicted }) = self.lessons.feedback else {
            return vec![];
        };
        match step.measure() {
            Some(Measure::Speedup { before, after }) => {
                let time = |id: &str| {
                    self.rung_index(id)
                        .and_then(|i| self.rows[i].report.as_ref())
                        .filter(|r| r.has_time() && r.verified())
                        .map(|r| r.estimated_s)
                };
                match (time(&before), time(&after)) {
                    (Some(a), Some(b)) => self.score(step, predicted, a / b),
                    (None, _) => self.run_for_measure(&before),
                    (_, None) => self.run_for_measure(&after),
                }
            }
            Some(Measure::Python(pair)) => match self.lessons.bytecode.get(&pair) {
                Some((Some(b), _)) => {
                    let ratio = b.ratio;
                    self.score(step, predicted, ratio)
                }
                _ => vec![Command::LoadBytecode(pair)],
            },
            None => vec![],
        }
    }

    fn run_for_measure(&mut self, rung: &str) -> Vec<Command> {
        let Some(i) = self.rung_index(rung) else {
            return vec![];
        };
        let cmds = self.climb_to(i);
        if self.running() {
            self.notice = Some(Notice::Info(format!("measuring: running up to {rung}…")));
        }
        cmds
    }

    fn score(&mut self, step: &Step, predicted: f64, measured: f64) -> Vec<Command> {
        let scored = scores(predicted, measured, step.within.unwrap_or(2.0));
        self.lessons.feedback = Some(Feedback::Scored {
            predicted,
            measured,
            scored,
        });
        self.record(Answer {
            predicted: Some(predicted),
            measured: Some(measured),
            scored: Some(scored),
            ..Answer::default()
        });
        self.notice = Some(if scored {
            Notice::Info(format!(
                "within {}x of the measurement: well predicted. → for the next step",
                step.within.unwrap_or(2.0)
            ))
        } else {
            Notice::Info("outside the tolerance: see why below. → for the next step".into())
        });
        self.pass_current()
    }

    /// A rung finished (called from `update`): counts verified runs of a run step, and
    /// completes a measurement a prediction was waiting for.
    pub(super) fn lessons_on_finished(&mut self, rung: &str, verified: bool) -> Vec<Command> {
        if self.screen != Screen::Lessons {
            return vec![];
        }
        let Some(step) = self.lessons.current().cloned() else {
            return vec![];
        };
        match step.kind {
            Kind::Run if step.rung.as_deref() == Some(rung) && verified => {
                self.lessons.runs += 1;
                let want = step.times.unwrap_or(1);
                if self.lessons.runs >= want {
                    self.notice = Some(Notice::Info("done: → for the next step".into()));
                    self.pass_current()
                } else {
                    self.notice = Some(Notice::Info(format!(
                        "run {} of {want}: Enter runs it again",
                        self.lessons.runs
                    )));
                    vec![]
                }
            }
            Kind::Predict => self.try_measure(&step),
            _ => vec![],
        }
    }

    pub(super) fn lessons_on_bytecode(
        &mut self,
        pair: String,
        loaded: (Option<Bytecode>, Option<String>),
    ) -> Vec<Command> {
        self.lessons.bytecode.insert(pair, loaded);
        match self.lessons.current().cloned() {
            Some(step) if step.kind == Kind::Predict => self.try_measure(&step),
            _ => vec![],
        }
    }

    pub(super) fn lessons_on_concurrency(
        &mut self,
        r: Result<Concurrency, String>,
    ) -> Vec<Command> {
        self.lessons.measuring_concurrency = false;
        let ok = r.is_ok();
        self.lessons.concurrency = Some(r);
        match self.lessons.current() {
            Some(s) if s.kind == Kind::Concurrency && ok => self.pass_current(),
            _ => vec![],
        }
    }

    /// NOTES.md was written (called from `update`): passes a notes step.
    pub(super) fn lessons_on_exported(&mut self) -> Vec<Command> {
        match self.lessons.current() {
            Some(s) if s.kind == Kind::Notes && self.screen == Screen::Lessons => {
                self.pass_current()
            }
            _ => vec![],
        }
    }
}

impl Kind {
    /// Whether the step is answered by picking a choice.
    #[must_use]
    pub fn has_choices(self) -> bool {
        matches!(self, Kind::Flame | Kind::Choice)
    }
}
