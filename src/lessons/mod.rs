//! Lessons: data files that walk a learner through the course's exit criteria, each ending in
//! checks judged against measurements taken live on the learner's machine.
//!
//! A lesson is a TOML file (`lessons/*.toml`, schema in `lessons/README.md`) with a
//! `format_version`, an id, a title, the exit criterion it teaches, and `[[step]]` tables. The
//! shipped lessons are compiled into the binary; `--lessons DIR` loads an instructor's set
//! instead. Every file is validated when loaded: errors name the file, the line and the
//! problem.

pub mod leak;
pub mod profilers;
pub mod progress;
pub mod python;
pub mod rust_side;
mod validate;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The lesson format this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// The shipped lessons: (file name, text).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "01-profile-first.toml",
        include_str!("../../lessons/01-profile-first.toml"),
    ),
    (
        "02-bytecode.toml",
        include_str!("../../lessons/02-bytecode.toml"),
    ),
    (
        "03-find-the-leak.toml",
        include_str!("../../lessons/03-find-the-leak.toml"),
    ),
    (
        "04-concurrency.toml",
        include_str!("../../lessons/04-concurrency.toml"),
    ),
    (
        "05-profilers.toml",
        include_str!("../../lessons/05-profilers.toml"),
    ),
];

/// One lesson.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    pub format_version: u32,
    pub id: String,
    pub title: String,
    /// The exit criterion of the course it teaches.
    pub criterion: String,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
    /// The file it came from (set when loaded).
    #[serde(skip)]
    pub file: PathBuf,
}

/// What a step asks of the learner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Text to read.
    Read,
    /// Run a rung; passes when it has run and verified.
    Run,
    /// Open a rung's flamegraph (CPU, or memory with `memory = true`) and answer a question.
    Flame,
    /// A multiple-choice question.
    Choice,
    /// Predict a number; the app measures it and scores the prediction.
    Predict,
    /// A free-text justification, saved.
    Explain,
    /// Two Python snippets side by side with their `dis.dis` bytecode.
    Bytecode,
    /// Measure Python concurrency models on the four workloads; shows the table.
    Concurrency,
    /// Measure the course's Python profilers on one workload; shows the table and judges the
    /// predictions made before it.
    Profilers,
    /// Write the speedup table to NOTES.md.
    Notes,
}

impl Kind {
    /// Whether the step is answered by picking a choice.
    #[must_use]
    pub fn has_choices(self) -> bool {
        matches!(self, Kind::Flame | Kind::Choice)
    }
}

/// One answer choice, with the explanation shown after answering.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub text: String,
    #[serde(default)]
    pub correct: bool,
    pub explain: String,
    /// In a step with a `workload`: the way of running it this option names (see
    /// [`python::WAYS`]); the option is right when that way measured fastest here.
    #[serde(default)]
    pub way: Option<String>,
    /// In a flame step with a `program`: the program's function this option names; the
    /// option is right when that function holds the most of the leaked bytes measured.
    #[serde(default)]
    pub function: Option<String>,
    /// In a choice step with an `overhead`: the profiler this option names (see
    /// [`profilers::PROFILERS`]); right when it measured at that end here.
    #[serde(default)]
    pub profiler: Option<String>,
}

/// One step. Which fields apply depends on `kind` (checked by [`validate`]).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    pub kind: Kind,
    /// Markdown shown with the step.
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub hints: Vec<String>,
    /// Run / Flame: the rung.
    #[serde(default)]
    pub rung: Option<String>,
    /// Run / Flame, instead of a rung: the leak lesson's Python program (`leaky` or `fixed`,
    /// see [`leak::PROGRAMS`]), run for three requests under memray (or tracemalloc).
    #[serde(default)]
    pub program: Option<String>,
    /// Run: how many times (the leak lesson runs `leaky` several times).
    #[serde(default)]
    pub times: Option<u32>,
    /// Flame: the memory profile instead of the CPU one.
    #[serde(default)]
    pub memory: bool,
    /// Flame / Choice / Predict: the question.
    #[serde(default)]
    pub question: String,
    #[serde(default)]
    pub choices: Vec<Choice>,
    /// Predict: what is measured, `speedup:A:B` (how many times faster B is than A) or
    /// `python:NAME` (a timing from `assets/lessons/bytecode.py`, as a ratio).
    #[serde(default)]
    pub measure: Option<String>,
    /// Predict: the prediction scores when within this factor of the measurement.
    #[serde(default)]
    pub within: Option<f64>,
    /// Explain: the fewest words accepted.
    #[serde(default)]
    pub min_words: Option<usize>,
    /// Explain: stems of the subject's words (`norm` matches `norms`); a justification must
    /// use at least one. Empty: the longer words of the question and text are used.
    #[serde(default)]
    pub subject: Vec<String>,
    /// Bytecode: the pair of snippets, by name in `assets/lessons/bytecode.py`.
    #[serde(default)]
    pub pair: Option<String>,
    /// Choice / Explain / Read: the concurrency workload the step discusses (see
    /// [`python::WORKLOADS`], or `all`); its measured row is shown with the step, and options
    /// with a `way` are judged against it.
    #[serde(default)]
    pub workload: Option<String>,
    /// Choice: a prediction of which profiler's overhead is `least` or `most`, made before
    /// the profilers step measures it; options name a `profiler`.
    #[serde(default)]
    pub overhead: Option<String>,
    /// Read / Choice / Explain: the profilers measurement shown with the step, `table` or
    /// `claims` (the course's claims judged against it).
    #[serde(default)]
    pub show: Option<String>,
    /// Profilers: the workload's vectors and the interleaved rounds.
    #[serde(default)]
    pub n: Option<usize>,
    #[serde(default)]
    pub rounds: Option<usize>,
}

/// A lesson file that cannot be used: the file, the line (when known) and what is wrong.
#[derive(Debug, thiserror::Error)]
#[error("{}{}: {reason}", file.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct LessonError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub reason: String,
}

/// The rungs a lesson may name: the ladder and the extras.
fn known_rungs() -> Vec<&'static str> {
    crate::rungs::ladder()
        .iter()
        .chain(crate::rungs::extras().iter())
        .map(|r| r.info().id)
        .collect()
}

/// Pairs of snippets the bytecode lesson knows (defined in `assets/lessons/bytecode.py`).
pub const BYTECODE_PAIRS: [&str; 2] = ["dot", "build"];

/// Line (1-based) of the `n`th `[[step]]` header in `text`.
fn step_line(text: &str, n: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with("[[step]]"))
        .nth(n)
        .map(|(i, _)| i + 1)
}

/// Parses and validates one lesson file's text.
pub fn parse(text: &str, file: &Path) -> Result<Lesson, LessonError> {
    let err = |line, reason: String| LessonError {
        file: file.to_path_buf(),
        line,
        reason,
    };
    let mut lesson: Lesson = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
        err(line, e.message().to_string())
    })?;
    lesson.file = file.to_path_buf();
    if lesson.format_version != FORMAT_VERSION {
        return Err(err(
            Some(1),
            format!(
                "format_version {} is not one this ladder reads ({FORMAT_VERSION})",
                lesson.format_version
            ),
        ));
    }
    validate::validate(&lesson)
        .map_err(|(n, reason)| err(n.and_then(|n| step_line(text, n)), reason))?;
    Ok(lesson)
}

/// What a predict step measures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Measure {
    /// How many times faster rung `after` is than rung `before`.
    Speedup { before: String, after: String },
    /// A ratio timed by the bytecode script (`assets/lessons/bytecode.py`).
    Python(String),
    /// MB a leak lesson's program leaves behind per request (`leak:leaky`), measured from
    /// outside.
    Leak(String),
}

/// Timed ratios the bytecode script reports.
pub const PYTHON_MEASURES: [&str; 2] = ["dot", "build"];

fn check_measure(m: &str, rungs: &[&str]) -> Result<Measure, String> {
    let parts: Vec<&str> = m.split(':').collect();
    match parts[..] {
        ["speedup", a, b] => {
            for r in [a, b] {
                if !rungs.contains(&r) {
                    return Err(format!("measure names rung '{r}', which does not exist"));
                }
            }
            Ok(Measure::Speedup {
                before: a.into(),
                after: b.into(),
            })
        }
        ["python", name] if PYTHON_MEASURES.contains(&name) => Ok(Measure::Python(name.into())),
        ["leak", name] if leak::PROGRAMS.contains(&name) => Ok(Measure::Leak(name.into())),
        ["leak", name] => Err(format!(
            "leak measure '{name}' is not one of {}",
            leak::PROGRAMS.join(", ")
        )),
        ["python", name] => Err(format!(
            "python measure '{name}' is not one of {}",
            PYTHON_MEASURES.join(", ")
        )),
        _ => Err(format!(
            "measure '{m}' must be speedup:A:B, python:NAME or leak:PROGRAM"
        )),
    }
}

impl Step {
    /// What a predict step measures (validated when loaded).
    #[must_use]
    pub fn measure(&self) -> Option<Measure> {
        self.measure
            .as_deref()
            .and_then(|m| check_measure(m, &known_rungs()).ok())
    }
}

/// A measured ratio this close to 1 is "no difference": either side of 1x is then right.
pub const EVEN: f64 = 1.05;

/// Whether a prediction is on the same side of 1x as the measurement (faster or slower); a
/// measurement within [`EVEN`] of 1x accepts either side.
#[must_use]
pub fn same_side(predicted: f64, measured: f64) -> bool {
    (measured.max(1.0 / measured) <= EVEN) || ((predicted >= 1.0) == (measured >= 1.0))
}

/// Whether a prediction scores: within `factor` of the measurement, either way, and on the
/// same side of 1x (predicting "slower" for a change that is faster never scores).
#[must_use]
pub fn scores(predicted: f64, measured: f64, factor: f64) -> bool {
    predicted > 0.0
        && measured > 0.0
        && predicted.is_finite()
        && (predicted / measured).max(measured / predicted) <= factor
        && same_side(predicted, measured)
}

/// Whether a predicted amount (MB per request) scores: within `factor` of the measurement,
/// either way. Amounts have no "side of 1x"; a measurement of nothing cannot be predicted
/// within a factor, so it never scores.
#[must_use]
pub fn scores_amount(predicted: f64, measured: f64, factor: f64) -> bool {
    predicted > 0.0
        && measured > 0.0
        && predicted.is_finite()
        && (predicted / measured).max(measured / predicted) <= factor
}

/// How far a prediction missed, "off by 2.04x, more than the 2x allowed": the factor gets
/// as many decimals as it takes to read as more than the allowance (never "2.0x, more than 2x").
#[must_use]
pub fn off_by(predicted: f64, measured: f64, within: f64) -> String {
    let off = (predicted / measured).max(measured / predicted);
    let shown = (1..=4)
        .map(|places| format!("{off:.places$}"))
        .find(|s| s.parse::<f64>().is_ok_and(|v| v > within))
        .unwrap_or_else(|| format!("{off:.4}"));
    format!("off by {shown}x, more than the {within}x allowed")
}

/// The order the options of a question are shown in to `learner`: a permutation of
/// `0..n`, fixed for the learner and the step (a reopened step does not move) and unrelated to
/// the options' texts. FNV-1a, so the order is the same on every build and platform.
#[must_use]
pub fn option_order(learner: &str, lesson: &str, step: &str, n: usize) -> Vec<usize> {
    let key = |i: usize| {
        let mut h = crate::fsio::fnv1a(
            [learner, lesson, step]
                .iter()
                .flat_map(|s| s.bytes().chain(std::iter::once(0)))
                .chain(i.to_le_bytes()),
        );
        // One more mixing round: FNV's low bits vary little between neighbouring inputs.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^ (h >> 33)
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| key(i));
    order
}

/// Why a justification cannot be saved for review, if it cannot: too few words, one word
/// repeated, or nothing of the question's subject. It is a floor against the obviously
/// empty, not a grade: an instructor reads what passes.
pub fn check_justification(step: &Step, text: &str) -> Result<(), String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '.')
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let min = step.min_words.unwrap_or(1);
    if words.len() < min {
        return Err(format!(
            "{} words: write at least {min} (a real justification, in your words)",
            words.len()
        ));
    }
    let mut distinct: Vec<&str> = words.iter().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    // Real sentences use many different words; "a a a a" or a pasted phrase repeated do not.
    if distinct.len() * 2 < words.len().min(min.max(6)) {
        return Err(format!(
            "only {} different words in {}: write sentences, not repetitions",
            distinct.len(),
            words.len()
        ));
    }
    let subject = subject_stems(step);
    if !subject.is_empty()
        && !words
            .iter()
            .any(|w| subject.iter().any(|s| w.starts_with(s.as_str())))
    {
        let shown: Vec<&str> = subject.iter().take(6).map(String::as_str).collect();
        return Err(format!(
            "this does not mention the question's subject (for example: {})",
            shown.join(", ")
        ));
    }
    Ok(())
}

/// Words too common to say what a question is about.
const COMMON: [&str; 16] = [
    "about",
    "above",
    "after",
    "would",
    "which",
    "their",
    "there",
    "these",
    "those",
    "where",
    "while",
    "words",
    "paragraph",
    "sentences",
    "explain",
    "choose",
];

/// The stems a justification must touch: the step's `subject`, else the longer words of its
/// question and text (common words left out).
fn subject_stems(step: &Step) -> Vec<String> {
    if !step.subject.is_empty() {
        return step.subject.iter().map(|s| s.to_lowercase()).collect();
    }
    let mut out: Vec<String> = format!("{} {}", step.question, step.text)
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 5 && !COMMON.contains(&w.as_str()))
        // A stem: "threads" also matches "thread"; "measurement" matches "measured".
        .map(|w| w.chars().take(5).collect())
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// A step as plain text for a terminal (`ladder learn --show`), its options in `order` (see
/// [`option_order`]); a bytecode step includes its bytecode and timings, live or recorded.
#[must_use]
pub fn render_plain(step: &Step, order: &[usize]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "[{:?}] {}", step.kind, step.id);
    if !step.text.trim().is_empty() {
        let _ = writeln!(out, "{}", step.text.trim());
    }
    if !step.question.is_empty() {
        let _ = writeln!(out, "{}", step.question);
    }
    for (shown, c) in order
        .iter()
        .filter_map(|&i| step.choices.get(i))
        .enumerate()
    {
        let _ = writeln!(out, "  {}. {}", shown + 1, c.text);
    }
    if let (Kind::Bytecode, Some(pair)) = (step.kind, &step.pair) {
        let (b, why) = python::bytecode(pair);
        match b {
            Some(b) => {
                match &b.recorded_on {
                    Some(r) => {
                        let _ = writeln!(
                            out,
                            "\nRECORDED, not measured here ({}): {r}",
                            why.unwrap_or_default()
                        );
                    }
                    None => {
                        let _ = writeln!(out, "\nPython {}, measured live", b.python);
                    }
                }
                let _ = writeln!(out, "\n--- a ---\n{}\n{}", b.a_src, b.a_dis);
                let _ = writeln!(out, "--- b ---\n{}\n{}", b.b_src, b.b_dis);
                let _ = writeln!(
                    out,
                    "a: {:.2} µs per call, b: {:.2} µs: b is {:.2}x faster",
                    b.a_s * 1e6,
                    b.b_s * 1e6,
                    b.ratio
                );
            }
            None => {
                let _ = writeln!(out, "no bytecode: {}", why.unwrap_or_default());
            }
        }
    }
    out
}

/// The shipped lessons, in order.
pub fn shipped() -> Result<Vec<Lesson>, LessonError> {
    let lessons = SHIPPED
        .iter()
        .map(|(name, text)| parse(text, &Path::new("lessons").join(name)))
        .collect::<Result<Vec<_>, _>>()?;
    check_unique(lessons)
}

/// Every `*.toml` in `dir`, in file-name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Lesson>, LessonError> {
    let io = |e: std::io::Error| LessonError {
        file: dir.to_path_buf(),
        line: None,
        reason: e.to_string(),
    };
    let files = crate::fsio::files_with_extension(dir, "toml").map_err(io)?;
    if files.is_empty() {
        return Err(LessonError {
            file: dir.to_path_buf(),
            line: None,
            reason: "no lesson files (*.toml) here".into(),
        });
    }
    let lessons = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).map_err(|e| LessonError {
                file: f.clone(),
                line: None,
                reason: e.to_string(),
            })?;
            parse(&text, f)
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_unique(lessons)
}

fn check_unique(lessons: Vec<Lesson>) -> Result<Vec<Lesson>, LessonError> {
    for (i, l) in lessons.iter().enumerate() {
        if let Some(o) = lessons[..i].iter().find(|o| o.id == l.id) {
            return Err(LessonError {
                file: l.file.clone(),
                line: Some(1),
                reason: format!("lesson id '{}' is also used by {}", l.id, o.file.display()),
            });
        }
    }
    Ok(lessons)
}

#[cfg(test)]
mod tests;
