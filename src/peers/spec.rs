//! The peer file: what a TOML file says, checked, and a folder of them loaded.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::probe::{Availability, imports, is_module_name, python, which};
use crate::rungs::{OutputKind, Step};

/// The format of peer files this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// What a peer file says.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerFile {
    format_version: u32,
    id: String,
    title: String,
    /// A ladder step: baseline, algorithm, vectorize, native, threads, jit, library.
    step: String,
    /// `full` or `topk`.
    output: String,
    #[serde(default)]
    approximate: bool,
    command: Vec<String>,
    what_changed: String,
    why: String,
    #[serde(default)]
    needs: Needs,
    /// The command that installs what it needs.
    #[serde(default)]
    install: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Needs {
    /// Python modules that must import.
    #[serde(default)]
    modules: Vec<String>,
    /// Programs that must be on PATH (besides Python, when the command uses `{python}`).
    #[serde(default)]
    programs: Vec<String>,
}

const PLACEHOLDERS: [&str; 10] = [
    "python",
    "dir",
    "input",
    "row_start",
    "row_end",
    "k",
    "threads",
    "output",
    "sims",
    "n",
];

/// A peer, loaded and checked.
#[derive(Clone, Debug)]
pub struct PeerSpec {
    pub id: String,
    pub title: String,
    pub step: Step,
    pub output: OutputKind,
    pub approximate: bool,
    pub command: Vec<String>,
    pub what_changed: String,
    pub why: String,
    pub modules: Vec<String>,
    pub programs: Vec<String>,
    pub install: String,
    /// How many of its last lines of standard error a failure quotes: 3 for a peer; 1 for a
    /// program whose last line is its own summary (the lab's harness).
    pub stderr_lines: usize,
    /// How long its set-up may take before its timed part starts.
    pub setup_limit: std::time::Duration,
    /// The file it came from, and its folder (`{dir}`).
    pub file: PathBuf,
    pub dir: PathBuf,
}

/// A peer file or folder that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("could not read {path}: {error}")]
    Io {
        path: PathBuf,
        /// Not a `source`: its text is already in the message.
        error: std::io::Error,
    },
}

/// Parses and checks one peer file's text.
pub fn parse_peer(text: &str, file: &Path) -> Result<PeerSpec, PeerError> {
    let bad = |reason: String| PeerError::Invalid {
        path: file.to_path_buf(),
        reason,
    };
    let f: PeerFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    if f.format_version != FORMAT_VERSION {
        return Err(bad(format!(
            "format_version {} is not one this ladder reads ({FORMAT_VERSION})",
            f.format_version
        )));
    }
    if f.id.is_empty()
        || !f
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad(format!(
            "id '{}' must be letters, digits, '-' or '_'",
            f.id
        )));
    }
    let step = Step::from_name(&f.step).ok_or_else(|| {
        bad(format!(
            "step '{}' is not one of baseline, algorithm, vectorize, native, threads, jit, library",
            f.step
        ))
    })?;
    let output = match f.output.as_str() {
        "full" => OutputKind::Full,
        "topk" => OutputKind::TopK,
        o => return Err(bad(format!("output '{o}' must be full or topk"))),
    };
    if f.command.is_empty() {
        return Err(bad("command is empty".into()));
    }
    for arg in &f.command {
        let mut rest = arg.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| bad(format!("command argument '{arg}' has an unclosed '{{'")))?;
            let name = &rest[open + 1..open + close];
            if !PLACEHOLDERS.contains(&name) {
                return Err(bad(format!(
                    "command uses {{{name}}}, which is not a placeholder (known: {})",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                )));
            }
            rest = &rest[open + close + 1..];
        }
    }
    if crate::rungs::find(&f.id).is_some() {
        // Its results would land on the rung's row.
        return Err(bad(format!(
            "id '{}' is the id of one of ladder's own rungs: choose another",
            f.id
        )));
    }
    // Checking a peer runs `python -c "import MODULE"`: only a dotted name may get there.
    if let Some(m) = f.needs.modules.iter().find(|m| !is_module_name(m)) {
        return Err(bad(format!(
            "needs.modules holds {m:?}, which is not a Python module name (dotted identifiers, \
             like numpy or numba.cuda)"
        )));
    }
    let dir = file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok(PeerSpec {
        id: f.id,
        title: f.title,
        step,
        output,
        approximate: f.approximate,
        command: f.command,
        what_changed: f.what_changed,
        why: f.why,
        modules: f.needs.modules,
        programs: f.needs.programs,
        install: f.install,
        stderr_lines: 3,
        setup_limit: super::process::SETUP_LIMIT,
        file: file.to_path_buf(),
        dir,
    })
}

/// Loads every `*.toml` in `dir`, in file-name order (the shipped ones are numbered in the
/// course's order); ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<PeerSpec>, PeerError> {
    let files = crate::fsio::files_with_extension(dir, "toml").map_err(|error| PeerError::Io {
        path: dir.to_path_buf(),
        error,
    })?;
    let mut peers: Vec<PeerSpec> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|error| PeerError::Io {
            path: file.clone(),
            error,
        })?;
        let p = parse_peer(&text, &file)?;
        if let Some(other) = peers.iter().find(|o| o.id == p.id) {
            return Err(PeerError::Invalid {
                path: file,
                reason: format!("id '{}' is already used by {}", p.id, other.file.display()),
            });
        }
        peers.push(p);
    }
    Ok(peers)
}

impl PeerSpec {
    /// Whether its command runs under the Python interpreter.
    #[must_use]
    pub fn uses_python(&self) -> bool {
        self.command.iter().any(|a| a.contains("{python}"))
    }

    /// Checks the interpreter, modules and programs it needs.
    #[must_use]
    pub fn availability(&self) -> Availability {
        let fix = |what: String| {
            if self.install.is_empty() {
                Some(what)
            } else {
                Some(format!("{what} (install: {})", self.install))
            }
        };
        for p in &self.programs {
            if which(p).is_none() {
                return Availability(fix(format!("{p} is not on PATH")));
            }
        }
        if self.uses_python() || !self.modules.is_empty() {
            let Some(py) = python() else {
                return Availability(fix(
                    "no Python interpreter (python3) on PATH; set LADDER_PYTHON to use another"
                        .into(),
                ));
            };
            for m in &self.modules {
                if !imports(&py, m) {
                    return Availability(fix(format!(
                        "the Python module {m} is not installed for {}",
                        py.display()
                    )));
                }
            }
        }
        Availability(None)
    }
}
