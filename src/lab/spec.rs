//! The lab file, `lab.toml`: the workload, the steps in the order they are climbed, and the
//! floor each must reach to count. Loaded and checked here; an instructor may edit it.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::run::limits;
use crate::rungs::{OutputKind, Step};

/// The lab file format this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// The lab file's name in a lab folder.
pub const LAB_FILE: &str = "lab.toml";

/// What the steps are timed on.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LabWorkload {
    pub n: usize,
    pub d: usize,
    #[serde(default)]
    pub seed: u64,
    /// Kernel seconds per step before its time is extrapolated.
    pub budget: f64,
}

/// What a step must reach to count: at least `at_least` times faster than step `over`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Floor {
    pub over: String,
    pub at_least: f64,
    /// Why that much is fair (shown when the step falls short).
    pub why: String,
}

/// How the step's function receives X.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Input {
    /// A list of n lists of d floats (the pure-Python steps).
    Lists,
    /// A NumPy float32 array of shape (n, d).
    #[default]
    Numpy,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    id: String,
    file: String,
    title: String,
    step: String,
    #[serde(default)]
    output: Option<String>,
    #[serde(default)]
    input: Input,
    #[serde(default)]
    floor: Option<Floor>,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    programs: Vec<String>,
    #[serde(default)]
    install: String,
    /// A stretch step: shown and graded, but the lab passes without it.
    #[serde(default)]
    optional: bool,
    /// Python modules of which the step must use one (the library step: faiss or hnswlib,
    /// not NumPy's argsort).
    #[serde(default)]
    uses_one_of: Vec<String>,
    /// The step's own loops must do the product (Cython, Numba): a library's product (`@`,
    /// `dot`, `inner`, `matmul`, ...) anywhere in the file, or no loop at all, does not count.
    #[serde(default)]
    own_loops: bool,
    /// Handed out solved (the baseline): it counts only as `ladder lab init` wrote it, since
    /// every floor is measured from it.
    #[serde(default)]
    given: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LabToml {
    format_version: u32,
    workload: LabWorkload,
    steps: Vec<StepFile>,
}

/// One step of the lab, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct LabStep {
    pub id: String,
    /// The student's file, inside the lab folder.
    pub file: PathBuf,
    pub title: String,
    pub step: Step,
    pub output: OutputKind,
    pub input: Input,
    pub floor: Option<Floor>,
    /// Python modules it needs, and programs on PATH.
    pub needs: Vec<String>,
    pub programs: Vec<String>,
    pub install: String,
    pub optional: bool,
    /// Modules into whose compiled code the step must call (see the harness).
    pub uses_one_of: Vec<String>,
    /// The product must be the step's own loops, not a library's matrix product.
    pub own_loops: bool,
    /// Handed out solved: it counts only as `ladder lab init` wrote it.
    pub given: bool,
}

impl LabStep {
    /// The function the step's file defines.
    #[must_use]
    pub fn function(&self) -> &'static str {
        match self.output {
            OutputKind::Full => "similarity",
            OutputKind::TopK => "topk",
        }
    }

    /// The file's name, as the student knows it: a Rust step's `src/lib.rs` with its crate's
    /// folder (`06_pyo3/src/lib.rs`), since every crate's is called `lib.rs`.
    #[must_use]
    pub fn file_name(&self) -> String {
        let keep = if self.is_rust() { 3 } else { 1 };
        let parts: Vec<_> = self.file.components().collect();
        parts[parts.len().saturating_sub(keep)..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A step written in Rust: a PyO3 crate's `src/lib.rs`, built by cargo.
    #[must_use]
    pub fn is_rust(&self) -> bool {
        self.file.extension().is_some_and(|e| e == "rs")
    }
}

/// A lab folder, loaded.
#[derive(Clone, Debug, PartialEq)]
pub struct Lab {
    pub dir: PathBuf,
    pub workload: LabWorkload,
    pub steps: Vec<LabStep>,
}

/// A lab folder or file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        /// Not a `source`: its text is already in the message.
        error: std::io::Error,
    },
    #[error(
        "{} holds no lab ({LAB_FILE} is missing): make one with `ladder lab init {}` (or, if \
         the rest of a lab is there, write back what is missing with `ladder lab init --missing \
         {}`)",
        .0.display(), .0.display(), .0.display()
    )]
    NotALab(PathBuf),
    #[error(
        "{} does not exist: make a lab there with `ladder lab init {}`, or give the folder `ladder lab init` made",
        .0.display(), .0.display()
    )]
    NoFolder(PathBuf),
}

/// Parses and checks a lab file's text; `dir` is the lab folder its step files live in.
pub fn parse_lab(text: &str, dir: &Path) -> Result<Lab, LabError> {
    let path = dir.join(LAB_FILE);
    let bad = |reason: String| LabError::Invalid {
        path: path.clone(),
        reason,
    };
    let f: LabToml = toml::from_str(text).map_err(|e| bad(toml_error(text, &e)))?;
    if f.format_version != FORMAT_VERSION {
        return Err(bad(format!(
            "format_version {} is not one this ladder reads ({FORMAT_VERSION})",
            f.format_version
        )));
    }
    let w = f.workload;
    // The command line's bounds, in the command line's words.
    let bounds = limits::check_size(w.n, w.d).and(limits::check_budget(w.budget));
    if let Err(why) = bounds {
        return Err(bad(format!("[workload]: {why}")));
    }
    if f.steps.is_empty() {
        return Err(bad("the lab has no [[steps]]".into()));
    }
    let mut steps: Vec<LabStep> = Vec::new();
    for s in f.steps {
        let at = |reason: String| bad(format!("step '{}': {reason}", s.id));
        if s.id.is_empty()
            || !s
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad(format!(
                "step id '{}' must be letters, digits, '-' or '_'",
                s.id
            )));
        }
        if steps.iter().any(|o| o.id == s.id) {
            return Err(at("this id is used twice".into()));
        }
        let file = Path::new(&s.file);
        let plain = file
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if s.file.is_empty() || !plain {
            return Err(at(format!(
                "file '{}' must be a path inside the lab folder",
                s.file
            )));
        }
        match file.extension().and_then(|e| e.to_str()) {
            Some("py" | "pyx") => {}
            // A PyO3 crate: its Cargo.toml sits in the folder above src/.
            Some("rs") if file.ends_with("src/lib.rs") && file.components().count() >= 3 => {}
            Some("rs") => {
                return Err(at(format!(
                    "file '{}': a Rust step is a crate's src/lib.rs (e.g. 06_pyo3/src/lib.rs)",
                    s.file
                )));
            }
            _ => {
                return Err(at(format!(
                    "file '{}' must be a .py or .pyx file, or a PyO3 crate's src/lib.rs",
                    s.file
                )));
            }
        }
        let step = Step::from_name(&s.step).ok_or_else(|| {
            at(format!(
                "step '{}' is not one of baseline, algorithm, vectorize, native, threads, jit, library",
                s.step
            ))
        })?;
        let output = match s.output.as_deref() {
            None | Some("full") => OutputKind::Full,
            Some("topk") => OutputKind::TopK,
            Some(o) => return Err(at(format!("output '{o}' must be full or topk"))),
        };
        if let Some(fl) = &s.floor {
            match steps.iter().find(|o| o.id == fl.over) {
                None => {
                    return Err(at(format!(
                        "its floor is over '{}', which is not an earlier step",
                        fl.over
                    )));
                }
                Some(o) if o.optional => {
                    return Err(at(format!(
                        "its floor is over '{}', which is optional: a student who skips it could \
                         never pass this one",
                        fl.over
                    )));
                }
                Some(_) => {}
            }
            if !(fl.at_least.is_finite() && fl.at_least > 0.0) {
                return Err(at(format!(
                    "floor at_least = {} must be a positive ratio",
                    fl.at_least
                )));
            }
        }
        for (what, list) in [("needs", &s.needs), ("uses_one_of", &s.uses_one_of)] {
            if let Some(m) = list
                .iter()
                .find(|m| !crate::peers::probe::is_module_name(m))
            {
                return Err(at(format!(
                    "{what} holds {m:?}, which is not a Python module name"
                )));
            }
        }
        steps.push(LabStep {
            id: s.id,
            file: dir.join(file),
            title: s.title,
            step,
            output,
            input: s.input,
            floor: s.floor,
            needs: s.needs,
            programs: s.programs,
            install: s.install,
            optional: s.optional,
            uses_one_of: s.uses_one_of,
            own_loops: s.own_loops,
            given: s.given,
        });
    }
    Ok(Lab {
        dir: dir.to_path_buf(),
        workload: w,
        steps,
    })
}

/// A TOML error in one line a person reads at a glance: where, what, and the line itself
/// (toml's own text spreads over several lines with a caret, which a status line cuts short).
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let what = e.message().trim_end_matches('\n').replace('\n', " ");
    let Some(span) = e.span() else {
        return what;
    };
    let before = &text[..span.start.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
    let source = text.lines().nth(line - 1).unwrap_or("").trim();
    format!("line {line}, column {column}: {what} (in `{source}`)")
}

/// Loads the lab in `dir`.
pub fn load(dir: &Path) -> Result<Lab, LabError> {
    if dir.is_file() {
        return Err(LabError::Invalid {
            path: dir.to_path_buf(),
            reason: "this is a file: give the lab's folder, the one that holds lab.toml".into(),
        });
    }
    if !dir.exists() {
        return Err(LabError::NoFolder(dir.to_path_buf()));
    }
    let path = dir.join(LAB_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(LabError::NotALab(dir.to_path_buf()));
        }
        Err(error) => return Err(LabError::Io { path, error }),
    };
    parse_lab(&text, dir)
}
