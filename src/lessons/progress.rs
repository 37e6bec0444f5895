//! The learner's progress, saved after every step.
//!
//! The file is JSON, written atomically (a temporary file, then a rename), at
//! `$LADDER_PROGRESS`, else `$XDG_DATA_HOME/ladder/progress.json`, else
//! `~/.local/share/ladder/progress.json`:
//!
//! ```json
//! { "format_version": 1,
//!   "learner": "Ada",
//!   "lessons": { "profile-first": { "done": ["run-naive", …],
//!                                   "answers": { "hot-frame": { "choice": 0, "correct": true }, …},
//!                                   "attempts": { "hot-frame": [ { "at": "2026-…Z", "choice": 2,
//!                                                                  "correct": false }, … ] },
//!                                   "hints": { "predict-alg": 1 },
//!                                   "measurements": [ { "at": …, "step": …, "what": "run", … } ],
//!                                   "resets": 0 } } }
//! ```
//!
//! An answer holds what the step asked for: `choice` (the option's index in the lesson file,
//! whatever order it was shown in) and `correct`, or `predicted`, `measured` and `scored`, or
//! `text`; `revealed` when the learner asked for the answer. A profiler prediction is a
//! `choice` whose `correct` is filled in when the profilers are measured, or, where they cannot
//! be ranked, an `unjudged` saying why. `answers` holds the latest per
//! step, `attempts` every one in order (a redo keeps them: the first is the one scored), and
//! `measurements` what the lesson measured and showed. Every field but `format_version` may be
//! missing (files from earlier versions have no `learner`, `attempts`, `measurements` or
//! `resets`). A file that cannot be read as this (unreadable, not
//! UTF-8, not this JSON) is moved aside to `progress.json.corrupt` and progress starts afresh,
//! with a warning; it is never a crash. One that cannot even be moved aside is left as it is,
//! and nothing is saved over it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The progress format this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// One step's answer.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correct: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measured: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The learner asked to see the answer instead of finding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revealed: Option<bool>,
    /// When it was given (RFC 3339, UTC); attempts carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Hints the learner had shown when giving it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hints: Option<usize>,
    /// A prediction the measurement could not judge, and why ("not measurable here: …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unjudged: Option<String>,
}

/// Something a lesson measured and showed the learner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    pub at: String,
    /// The step it was shown on.
    pub step: String,
    #[serde(flatten)]
    pub what: Measured,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Measured {
    /// A rung's run: its kernel time (extrapolated past the budget) and whether it verified.
    Run {
        rung: String,
        seconds: f64,
        verified: bool,
        /// The app's RSS when the run was asked for and when it finished (absent in files
        /// from before): the leak lesson's growth per run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rss_before: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rss_after: Option<u64>,
    },
    /// A prediction's measurement: how many times faster `after` ran than `before`.
    Speedup {
        before: String,
        after: String,
        before_s: f64,
        after_s: f64,
        ratio: f64,
        /// Which of the two times were measured under load (absent in files written before
        /// it was kept: read as not).
        #[serde(default, skip_serializing_if = "is_false")]
        before_loaded: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        after_loaded: bool,
    },
    /// A bytecode pair's timings (seconds per call), live or the shipped recording.
    Bytecode {
        pair: String,
        python: String,
        a_s: f64,
        b_s: f64,
        ratio: f64,
        /// The quartiles of the rounds' ratios, and how many alternating rounds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ratio_low: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ratio_high: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rounds: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        recorded_on: Option<String>,
    },
    /// A run of the leak lesson's Python program: the process's memory after each request
    /// (measured from outside), the growth per request, and what the tool traced.
    Leak {
        program: String,
        tool: String,
        rss_after: Vec<u64>,
        mb_per_request: f64,
        traced_per_request: u64,
        /// The program's function holding the most of the leaked bytes (None: nothing left).
        holder: Option<String>,
    },
    /// The concurrency table.
    Concurrency {
        table: Box<super::python::Concurrency>,
    },
    /// The profilers measured side by side.
    Profilers {
        table: Box<super::profilers::Comparison>,
    },
}

/// One lesson's progress.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LessonProgress {
    /// Steps passed, in the order they were passed.
    #[serde(default)]
    pub done: Vec<String>,
    #[serde(default)]
    pub answers: BTreeMap<String, Answer>,
    /// Hints shown, by step.
    #[serde(default)]
    pub hints: BTreeMap<String, usize>,
    /// Every answer given, by step, in order.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attempts: BTreeMap<String, Vec<Answer>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
    /// How many times the learner reset the lesson (its answers are then forgotten).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub resets: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Every lesson's progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub format_version: u32,
    /// The learner's name, for the export; it also fixes the order of each question's options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learner: Option<String>,
    #[serde(default)]
    pub lessons: BTreeMap<String, LessonProgress>,
    /// Set when the file could be neither read nor moved aside: saving would destroy it.
    #[serde(skip)]
    pub left_alone: Option<PathBuf>,
}

impl Default for Progress {
    fn default() -> Self {
        Self {
            format_version: FORMAT_VERSION,
            learner: None,
            lessons: BTreeMap::new(),
            left_alone: None,
        }
    }
}

/// Where the progress file lives (see the module docs).
#[must_use]
pub fn default_path() -> PathBuf {
    if let Some(p) = std::env::var_os("LADDER_PROGRESS") {
        return PathBuf::from(p);
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("ladder").join("progress.json")
}

impl Progress {
    /// Reads the file; a missing file is a fresh start. A corrupt one is moved aside and the
    /// warning says where.
    #[must_use]
    pub fn load(path: &Path) -> (Self, Option<String>) {
        match Self::read(path) {
            Ok(p) => (p.unwrap_or_default(), None),
            Err(why) => Self::set_aside(path, &why),
        }
    }

    /// Reads the file: None when there is none, or why it is not a progress file.
    pub fn read(path: &Path) -> Result<Option<Self>, String> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.to_string()),
        };
        let p = std::str::from_utf8(&bytes)
            .map_err(|_| "it is not UTF-8 text".to_string())
            .and_then(|text| serde_json::from_str::<Self>(text).map_err(|e| e.to_string()))?;
        if p.format_version == FORMAT_VERSION {
            Ok(Some(p))
        } else {
            Err(format!(
                "format_version {} is not {FORMAT_VERSION}",
                p.format_version
            ))
        }
    }

    /// A fresh start beside a file that could not be read: moved aside when possible, else
    /// left alone and protected from being saved over.
    fn set_aside(path: &Path, why: &str) -> (Self, Option<String>) {
        let aside = path.with_extension("json.corrupt");
        if std::fs::rename(path, &aside).is_ok() {
            let warning = format!(
                "the progress file {} could not be read ({why}); it was moved to {} and \
                 progress starts afresh",
                path.display(),
                aside.display()
            );
            return (Self::default(), Some(warning));
        }
        let warning = format!(
            "the progress file {} could not be read ({why}) nor moved aside; it is left as it \
             is and progress in this session will not be saved (fix or remove it, or set \
             LADDER_PROGRESS to another file)",
            path.display()
        );
        let fresh = Self {
            left_alone: Some(path.to_path_buf()),
            ..Self::default()
        };
        (fresh, Some(warning))
    }

    /// Writes the file atomically, creating its folder.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if self.left_alone.as_deref() == Some(path) {
            return Err(std::io::Error::other(format!(
                "{} could not be read and was left as it is; progress is not saved over it",
                path.display()
            )));
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        crate::report::write_atomic(path, text.as_bytes())
    }

    #[must_use]
    pub fn lesson(&self, id: &str) -> Option<&LessonProgress> {
        self.lessons.get(id)
    }

    pub fn lesson_mut(&mut self, id: &str) -> &mut LessonProgress {
        self.lessons.entry(id.to_string()).or_default()
    }

    /// Marks a step passed (once).
    pub fn pass(&mut self, lesson: &str, step: &str) {
        let l = self.lesson_mut(lesson);
        if !l.done.iter().any(|s| s == step) {
            l.done.push(step.to_string());
        }
    }

    #[must_use]
    pub fn passed(&self, lesson: &str, step: &str) -> bool {
        self.lesson(lesson)
            .is_some_and(|l| l.done.iter().any(|s| s == step))
    }

    /// Records an answer (replacing an earlier one: a redo).
    pub fn answer(&mut self, lesson: &str, step: &str, answer: Answer) {
        self.lesson_mut(lesson)
            .answers
            .insert(step.to_string(), answer);
    }

    /// Records an attempt: kept in order with its time and the hints shown, and the step's
    /// latest answer.
    pub fn attempt(&mut self, lesson: &str, step: &str, mut answer: Answer) {
        if answer.at.is_none() {
            answer.at = Some(crate::report::history::utc_now());
        }
        let l = self.lesson_mut(lesson);
        answer.hints = Some(l.hints.get(step).copied().unwrap_or(0));
        l.attempts
            .entry(step.to_string())
            .or_default()
            .push(answer.clone());
        l.answers.insert(step.to_string(), answer);
    }

    /// The attempts at a step, in order.
    #[must_use]
    pub fn attempts(&self, lesson: &str, step: &str) -> &[Answer] {
        self.lesson(lesson)
            .and_then(|l| l.attempts.get(step))
            .map_or(&[], Vec::as_slice)
    }

    /// Records something the lesson measured and showed on `step`.
    pub fn measured(&mut self, lesson: &str, step: &str, what: Measured) {
        self.lesson_mut(lesson).measurements.push(Measurement {
            at: crate::report::history::utc_now(),
            step: step.to_string(),
            what,
        });
    }

    /// The learner's name, else the login name, else None.
    #[must_use]
    pub fn learner_or_login(&self) -> Option<String> {
        self.learner.clone().or_else(|| {
            std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .ok()
                .filter(|u| !u.trim().is_empty())
        })
    }

    /// Shows one more hint; returns how many are now shown.
    pub fn hint(&mut self, lesson: &str, step: &str, available: usize) -> usize {
        let h = self
            .lesson_mut(lesson)
            .hints
            .entry(step.to_string())
            .or_insert(0);
        *h = (*h + 1).min(available);
        *h
    }

    /// Forgets a step's state to redo it; its attempts stay (the first remains the scored one).
    pub fn redo(&mut self, lesson: &str, step: &str) {
        let l = self.lesson_mut(lesson);
        l.done.retain(|s| s != step);
        l.answers.remove(step);
    }

    /// Forgets a whole lesson; the count of resets stays, for the instructor.
    pub fn reset(&mut self, lesson: &str) {
        let resets = self.lesson(lesson).map_or(0, |l| l.resets) + 1;
        self.lessons.insert(
            lesson.to_string(),
            LessonProgress {
                resets,
                ..LessonProgress::default()
            },
        );
    }
}

/// The learner's answers for an instructor: every lesson, every attempt at every step, the
/// hints used and what the lesson measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportDoc {
    pub schema_version: u32,
    pub tool: String,
    pub learner: String,
    pub machine: String,
    pub lessons: Vec<ExportLesson>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportLesson {
    pub id: String,
    pub title: String,
    pub steps_done: usize,
    pub steps_total: usize,
    pub score: Score,
    #[serde(default)]
    pub resets: u32,
    pub answers: Vec<ExportAnswer>,
    #[serde(default)]
    pub measurements: Vec<Measurement>,
}

/// What the instructor needs at a glance; the attempts say the rest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    /// Questions answered right at the first attempt, of those in the lesson.
    pub right_first_time: usize,
    pub questions: usize,
    /// Questions whose answer the learner asked to see.
    pub revealed: usize,
    /// Predictions within the tolerance and on the right side of 1x (the first attempt
    /// counts), of those in the lesson.
    pub predictions_scored: usize,
    pub predictions: usize,
    /// Justifications saved for the instructor to read.
    pub for_review: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportAnswer {
    pub step: String,
    pub kind: super::Kind,
    pub question: String,
    /// Hints shown for the step.
    pub hints_used: usize,
    /// The scored outcome: the first attempt at a question or prediction.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_attempt_right: Option<bool>,
    /// What a prediction counts, where it is not a speedup: "MB" (a leak per request).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Every attempt, in order, with its time.
    pub attempts: Vec<ExportAttempt>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportAttempt {
    #[serde(flatten)]
    pub answer: Answer,
    /// The text of the chosen option, for a choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<String>,
}

/// Whether an attempt got it right: the right option (not revealed), or a scored prediction.
/// A prediction not judged (yet, or at all here) is neither.
fn right(a: &Answer) -> Option<bool> {
    if a.revealed == Some(true) {
        return Some(false);
    }
    if a.unjudged.is_some() {
        return None;
    }
    a.correct.or(a.scored)
}

/// Builds the export of `progress` over `lessons` for `learner`.
#[must_use]
pub fn export(
    progress: &Progress,
    lessons: &[super::Lesson],
    machine: &str,
    learner: &str,
) -> ExportDoc {
    ExportDoc {
        schema_version: 2,
        tool: format!("ladder {}", env!("CARGO_PKG_VERSION")),
        learner: learner.to_string(),
        machine: machine.to_string(),
        lessons: lessons
            .iter()
            .map(|l| export_lesson(progress.lesson(&l.id).cloned().unwrap_or_default(), l))
            .collect(),
    }
}

fn export_lesson(p: LessonProgress, l: &super::Lesson) -> ExportLesson {
    use super::Kind;
    let mut score = Score::default();
    let answers: Vec<ExportAnswer> = l
        .steps
        .iter()
        .filter_map(|s| {
            // Files from before attempts were kept have only the latest answer.
            let attempts = match p.attempts.get(&s.id) {
                Some(a) if !a.is_empty() => a.clone(),
                _ => vec![p.answers.get(&s.id)?.clone()],
            };
            let first = attempts.first().and_then(right);
            match s.kind {
                Kind::Choice | Kind::Flame => {
                    score.right_first_time += usize::from(first == Some(true));
                    score.revealed +=
                        usize::from(attempts.iter().any(|a| a.revealed == Some(true)));
                }
                Kind::Predict => score.predictions_scored += usize::from(first == Some(true)),
                Kind::Explain => score.for_review += 1,
                _ => {}
            }
            Some(ExportAnswer {
                step: s.id.clone(),
                kind: s.kind,
                question: if s.question.is_empty() {
                    s.text.lines().next().unwrap_or("").to_string()
                } else {
                    s.question.clone()
                },
                hints_used: p.hints.get(&s.id).copied().unwrap_or(0),
                first_attempt_right: first,
                unit: matches!(s.measure(), Some(super::Measure::Leak(_))).then(|| "MB".into()),
                attempts: attempts
                    .into_iter()
                    .map(|a| ExportAttempt {
                        chosen: a
                            .choice
                            .and_then(|c| s.choices.get(c))
                            .map(|c| c.text.clone()),
                        answer: a,
                    })
                    .collect(),
            })
        })
        .collect();
    score.questions = l.steps.iter().filter(|s| s.kind.has_choices()).count();
    score.predictions = l.steps.iter().filter(|s| s.kind == Kind::Predict).count();
    ExportLesson {
        id: l.id.clone(),
        title: l.title.clone(),
        steps_done: l.steps.iter().filter(|s| p.done.contains(&s.id)).count(),
        steps_total: l.steps.len(),
        score,
        resets: p.resets,
        answers,
        measurements: p.measurements,
    }
}

/// For `skip_serializing_if`: a flag written only when set.
#[allow(clippy::trivially_copy_pass_by_ref)] // serde hands a reference
fn is_false(b: &bool) -> bool {
    !*b
}
