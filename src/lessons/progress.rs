//! The learner's progress, saved after every step.
//!
//! The file is JSON, written atomically (a temporary file, then a rename), at
//! `$LADDER_PROGRESS`, else `$XDG_DATA_HOME/ladder/progress.json`, else
//! `~/.local/share/ladder/progress.json`:
//!
//! ```json
//! { "format_version": 1,
//!   "lessons": { "profile-first": { "done": ["run-naive", …],
//!                                   "answers": { "hot-frame": { "choice": 0, "correct": true }, …},
//!                                   "hints": { "predict-alg": 1 } } } }
//! ```
//!
//! An answer holds what the step asked for: `choice` (index) and `correct`, or `predicted`,
//! `measured` and `scored`, or `text`. A file that cannot be read as this (unreadable, not
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
}

/// Every lesson's progress.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub format_version: u32,
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
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Self::default(), None),
            Err(e) => return Self::set_aside(path, &e.to_string()),
        };
        let parsed = std::str::from_utf8(&bytes)
            .map_err(|_| "it is not UTF-8 text".to_string())
            .and_then(|text| serde_json::from_str::<Self>(text).map_err(|e| e.to_string()));
        match parsed {
            Ok(p) if p.format_version == FORMAT_VERSION => (p, None),
            Ok(p) => Self::set_aside(
                path,
                &format!(
                    "format_version {} is not {FORMAT_VERSION}",
                    p.format_version
                ),
            ),
            Err(why) => Self::set_aside(path, &why),
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

    /// Forgets a step (to redo it).
    pub fn redo(&mut self, lesson: &str, step: &str) {
        let l = self.lesson_mut(lesson);
        l.done.retain(|s| s != step);
        l.answers.remove(step);
    }

    /// Forgets a whole lesson.
    pub fn reset(&mut self, lesson: &str) {
        self.lessons.remove(lesson);
    }
}

/// The learner's answers for an instructor: every lesson, every answered step.
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
    pub answers: Vec<ExportAnswer>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportAnswer {
    pub step: String,
    pub kind: super::Kind,
    pub question: String,
    #[serde(flatten)]
    pub answer: Answer,
    /// The text of the chosen option, for a choice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chosen: Option<String>,
}

/// Builds the export of `progress` over `lessons`.
#[must_use]
pub fn export(progress: &Progress, lessons: &[super::Lesson], machine: &str) -> ExportDoc {
    let learner = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".into());
    ExportDoc {
        schema_version: 1,
        tool: format!("ladder {}", env!("CARGO_PKG_VERSION")),
        learner,
        machine: machine.to_string(),
        lessons: lessons
            .iter()
            .map(|l| {
                let p = progress.lesson(&l.id).cloned().unwrap_or_default();
                ExportLesson {
                    id: l.id.clone(),
                    title: l.title.clone(),
                    steps_done: l.steps.iter().filter(|s| p.done.contains(&s.id)).count(),
                    steps_total: l.steps.len(),
                    answers: l
                        .steps
                        .iter()
                        .filter_map(|s| {
                            let a = p.answers.get(&s.id)?.clone();
                            Some(ExportAnswer {
                                step: s.id.clone(),
                                kind: s.kind,
                                question: if s.question.is_empty() {
                                    s.text.lines().next().unwrap_or("").to_string()
                                } else {
                                    s.question.clone()
                                },
                                chosen: a
                                    .choice
                                    .and_then(|c| s.choices.get(c))
                                    .map(|c| c.text.clone()),
                                answer: a,
                            })
                        })
                        .collect(),
                }
            })
            .collect(),
    }
}
