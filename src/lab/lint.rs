//! The ruff NPY drill: a Python step is checked with `ruff check --select NPY`, and a step with
//! findings does not count until they are fixed (`# noqa` does not fix one: it is ignored).

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

/// One finding: where, which rule, what it says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub line: usize,
    pub rule: String,
    pub message: String,
}

/// What linting a step found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "detail")]
pub enum Lint {
    /// Checked: these findings (none: clean).
    Checked(Vec<Finding>),
    /// Not a Python source ruff reads (a `.pyx`).
    NotApplicable,
    /// ruff is not installed, or failed: why, and how to install it.
    Unavailable(String),
}

impl Lint {
    /// The findings that keep a step from counting.
    #[must_use]
    pub fn findings(&self) -> &[Finding] {
        match self {
            Lint::Checked(f) => f,
            _ => &[],
        }
    }
}

#[derive(Deserialize)]
struct RuffLocation {
    row: usize,
}

#[derive(Deserialize)]
struct RuffMessage {
    code: Option<String>,
    message: String,
    location: RuffLocation,
}

/// Runs ruff's NumPy rules on `file`.
#[must_use]
pub fn check(file: &Path) -> Lint {
    if file.extension().is_none_or(|e| e != "py") {
        return Lint::NotApplicable;
    }
    let Some(ruff) = crate::peers::which("ruff") else {
        return Lint::Unavailable(
            "ruff is not installed, so NumPy idioms are not checked (pip install ruff)".into(),
        );
    };
    let out = Command::new(ruff)
        .args([
            "check",
            "--select",
            "NPY",
            "--output-format",
            "json",
            "--no-cache",
            "--exit-zero",
            "--isolated",
            // A `# noqa` silences the drill without changing the idiom: the drill ignores it.
            "--ignore-noqa",
        ])
        .arg(file)
        .stdin(Stdio::null())
        .output();
    let out = match out {
        Ok(o) if o.status.success() => o,
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            return Lint::Unavailable(format!(
                "ruff failed: {}",
                err.lines().last().unwrap_or("no message")
            ));
        }
        Err(e) => return Lint::Unavailable(format!("could not run ruff: {e}")),
    };
    let mut lint = parse(&String::from_utf8_lossy(&out.stdout));
    // A `# noqa` on a finding's line is ignored (above): said there, or the student is left
    // wondering why the comment changed nothing.
    if let (Lint::Checked(found), Ok(text)) = (&mut lint, std::fs::read_to_string(file)) {
        let lines: Vec<&str> = text.lines().collect();
        for f in found.iter_mut() {
            if lines
                .get(f.line.wrapping_sub(1))
                .is_some_and(|l| l.contains("noqa"))
            {
                f.message
                    .push_str(" (a # noqa does not count here: change the idiom)");
            }
        }
    }
    lint
}

/// Reads ruff's JSON output.
fn parse(json: &str) -> Lint {
    match serde_json::from_str::<Vec<RuffMessage>>(json) {
        Ok(ms) => {
            // A file ruff cannot parse was not checked: not "clean".
            if ms.iter().any(|m| {
                m.code.is_none()
                    || m.code.as_deref() == Some("invalid-syntax")
                    || m.message.starts_with("SyntaxError")
            }) {
                return Lint::Unavailable(
                    "ruff could not parse the file (its syntax error is above): NumPy's rules \
                     are checked once it parses"
                        .into(),
                );
            }
            let mut found: Vec<Finding> = ms
                .into_iter()
                // Only NumPy's rules: a syntax error is the run's to report, in the student's
                // words, not a NumPy finding.
                .filter(|m| m.code.as_deref().is_some_and(|c| c.starts_with("NPY")))
                .map(|m| Finding {
                    line: m.location.row,
                    rule: m.code.unwrap_or_else(|| "?".into()),
                    message: m.message,
                })
                .collect();
            found.sort_by_key(|f| f.line);
            Lint::Checked(found)
        }
        Err(e) => Lint::Unavailable(format!("could not read ruff's output: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ruff_s_json_becomes_findings_by_line() {
        let json = r#"[
          {"code": "NPY002", "message": "Replace legacy `np.random.seed` call with `np.random.Generator`",
           "location": {"row": 19, "column": 1}, "end_location": {"row": 19, "column": 15},
           "filename": "/lab/03_numpy.py", "fix": null, "noqa_row": 19, "url": "x"},
          {"code": "NPY001", "message": "Type alias `np.float` is deprecated",
           "location": {"row": 4, "column": 5}, "filename": "/lab/03_numpy.py"}
        ]"#;
        let lint = parse(json);
        let f = lint.findings();
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].line, f[0].rule.as_str()), (4, "NPY001"));
        assert_eq!((f[1].line, f[1].rule.as_str()), (19, "NPY002"));
        assert_eq!(parse("[]"), Lint::Checked(vec![]));
        let syntax = r#"[{"code": null, "message": "SyntaxError: Expected ')'",
           "location": {"row": 1, "column": 30}, "filename": "/lab/03_numpy.py"}]"#;
        assert!(
            matches!(parse(syntax), Lint::Unavailable(why) if why.contains("could not parse")),
            "not a NumPy finding, and not clean either"
        );
        assert!(matches!(parse("garbage"), Lint::Unavailable(_)));
    }
}
