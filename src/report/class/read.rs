//! One handed-in file read: which of the three outputs it is (through small, tolerant shapes
//! of the lab's and the lessons' documents), or why it is skipped; and whose its name says it
//! is.

use std::path::Path;

use serde::Deserialize;

use crate::machine::MachineInfo;
use crate::report::Results;

/// Files larger than this are no ladder output (the biggest, a lab's, is tens of KiB).
const MAX_FILE_BYTES: u64 = 32 << 20;

/// Words a student's file name may end in to say which output it holds (`ada-run.json`,
/// `ada_lab.json`, `ada.lessons.json`): taken off to find whose file it is.
const KIND_WORDS: [&str; 9] = [
    "run", "runs", "lab", "check", "lessons", "lesson", "learn", "answers", "export",
];

/// Why a file was left out of the class view.
#[derive(Debug, thiserror::Error)]
pub enum Skip {
    #[error("there is no such file or folder: check the name (a typo, or the folder it is in)")]
    Missing,
    #[error("could not read it: {0}")]
    Unreadable(std::io::Error),
    #[error("{0} bytes is too large for a ladder output")]
    TooLarge(u64),
    #[error("not JSON ({0})")]
    NotJson(serde_json::Error),
    #[error("an empty file: nothing was handed in in it")]
    Empty,
    #[error(
        "not a ladder output: expected `ladder run --format json`, `ladder lab check --format \
         json` or `ladder learn --export`"
    )]
    Foreign,
    #[error("a scaling sweep (`ladder scale`): the class view takes runs, labs and lessons")]
    Sweep,
    #[error("looks like {kind} but does not read as one ({error}): was it edited or cut short?")]
    Malformed {
        kind: &'static str,
        error: serde_json::Error,
    },
}

/// One file read: which of the three outputs it is.
#[derive(Debug)]
pub enum Input {
    Run(Box<Results>),
    Lab(Box<LabDoc>),
    Lessons(Box<LessonsDoc>),
}

/// `ladder lab check --format json`, the parts the class view shows.
#[derive(Debug, Deserialize)]
pub struct LabDoc {
    #[serde(default)]
    pub lab: String,
    /// `--name`, when the student gave one.
    #[serde(default)]
    pub learner: Option<String>,
    #[serde(default)]
    pub machine: Option<MachineInfo>,
    #[serde(default)]
    pub workload: Option<crate::report::WorkloadMeta>,
    #[serde(default)]
    pub all_count: bool,
    pub steps: Vec<LabStep>,
    /// How its lab.toml asks less than the shipped one (`ladder lab check` says).
    #[serde(default)]
    pub loosened: Vec<String>,
    /// The size its lab.toml asks, where its floors are set.
    #[serde(default)]
    pub lab_size: Option<LabSize>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
pub struct LabSize {
    pub n: usize,
    pub d: usize,
}

#[derive(Clone, Debug, Deserialize)]
pub struct LabStep {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub counts: bool,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub speedup_vs_baseline: Option<f64>,
    #[serde(default)]
    pub floor: Option<FloorDoc>,
    #[serde(default)]
    pub run: Option<StepRun>,
}

/// What a lab step's run says of how it was measured.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct StepRun {
    #[serde(default)]
    pub load_elsewhere: Option<f64>,
}

impl LabStep {
    /// Whether its time was measured under load (see [`crate::run::LOADED_CORES`]).
    #[must_use]
    pub fn under_load(&self) -> bool {
        self.run
            .as_ref()
            .and_then(|r| r.load_elsewhere)
            .is_some_and(|l| l >= crate::run::LOADED_CORES)
    }
}

/// A step's floor and what was measured against it.
#[derive(Clone, Debug, Deserialize)]
pub struct FloorDoc {
    #[serde(default)]
    pub over: String,
    pub at_least: f64,
    #[serde(default)]
    pub measured: Option<f64>,
}

/// `ladder learn --export`, the parts the class view shows.
#[derive(Debug, Deserialize)]
pub struct LessonsDoc {
    pub learner: String,
    #[serde(default)]
    pub machine: String,
    pub lessons: Vec<LessonDoc>,
}

#[derive(Debug, Deserialize)]
pub struct LessonDoc {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub steps_done: usize,
    #[serde(default)]
    pub steps_total: usize,
    #[serde(default)]
    pub score: ScoreDoc,
    #[serde(default)]
    pub answers: Vec<AnswerDoc>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ScoreDoc {
    #[serde(default)]
    pub questions: usize,
    #[serde(default)]
    pub predictions: usize,
}

#[derive(Debug, Deserialize)]
pub struct AnswerDoc {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub first_attempt_right: Option<bool>,
    /// "MB" for a leak's prediction; none for a speedup.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub attempts: Vec<AttemptDoc>,
}

#[derive(Debug, Deserialize)]
pub struct AttemptDoc {
    #[serde(default)]
    pub predicted: Option<f64>,
    #[serde(default)]
    pub measured: Option<f64>,
    #[serde(default)]
    pub text: Option<String>,
    /// Why a prediction is not judged (made with its measurement on screen: practice).
    #[serde(default)]
    pub unjudged: Option<String>,
}

/// Reads one file and tells which output it is by its fields, as `ladder report` does; with
/// the hash of its text, to tell a copy.
pub fn read(path: &Path) -> Result<(Input, u64), Skip> {
    let size = std::fs::metadata(path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Skip::Missing,
            _ => Skip::Unreadable(e),
        })?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(Skip::TooLarge(size));
    }
    // Checked again as it is read: a device or a file still growing has no honest size.
    let text = crate::fsio::read_text_limited(path, MAX_FILE_BYTES).map_err(Skip::Unreadable)?;
    let hash = crate::fsio::fnv1a(text.bytes());
    if text.trim().is_empty() {
        return Err(Skip::Empty);
    }
    let doc: serde_json::Value = serde_json::from_str(&text).map_err(Skip::NotJson)?;
    let has = |k: &str| doc.get(k).is_some();
    let malformed = |kind| move |error| Skip::Malformed { kind, error };
    if has("rungs") && has("workload") {
        return serde_json::from_value(doc)
            .map(|r| (Input::Run(Box::new(r)), hash))
            .map_err(malformed("a run (`ladder run --format json`)"));
    }
    if has("lab") && has("steps") {
        return serde_json::from_value(doc)
            .map(|l| (Input::Lab(Box::new(l)), hash))
            .map_err(malformed(
                "a lab's results (`ladder lab check --format json`)",
            ));
    }
    if has("learner") && has("lessons") {
        return serde_json::from_value(doc)
            .map(|l| (Input::Lessons(Box::new(l)), hash))
            .map_err(malformed("a lessons export (`ladder learn --export`)"));
    }
    if has("points") && has("exponents") {
        return Err(Skip::Sweep);
    }
    Err(Skip::Foreign)
}

/// Whose file this is, from its name alone: the name less a trailing kind word
/// (`ada-run.json` → `ada`), or the folder's name when that leaves nothing (`ada/run.json`).
#[must_use]
pub fn file_key(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let is_sep = |c: char| matches!(c, '-' | '_' | '.' | ' ');
    let mut key = stem.as_str();
    // Repeatedly, for `ada-lab-check`.
    'strip: loop {
        for word in KIND_WORDS {
            let lower = key.to_lowercase();
            if lower == word {
                key = "";
                break 'strip;
            }
            if lower.len() > word.len()
                && lower.ends_with(word)
                && key.is_char_boundary(key.len() - word.len())
                && key[..key.len() - word.len()].ends_with(is_sep)
            {
                key = key[..key.len() - word.len()].trim_end_matches(is_sep);
                continue 'strip;
            }
        }
        break;
    }
    if !key.is_empty() {
        return key.to_string();
    }
    path.parent()
        .and_then(Path::file_name)
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.is_empty())
        .unwrap_or(stem)
}
