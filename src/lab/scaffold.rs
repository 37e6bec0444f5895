//! `ladder lab init`: writes a lab folder (a README, the lab file, one file per step, tests and
//! perf), never over a file that is there. Only step 1 is solved; every later template raises,
//! with a TODO saying what to write.

use std::path::{Path, PathBuf};

use super::spec::LabError;

/// The files of a new lab: (path inside the folder, contents).
pub const FILES: &[(&str, &str)] = &[
    ("README.md", include_str!("../../assets/lab/README.md")),
    ("lab.toml", include_str!("../../assets/lab/lab.toml")),
    ("01_naive.py", include_str!("../../assets/lab/01_naive.py")),
    (
        "02_algorithmic.py",
        include_str!("../../assets/lab/02_algorithmic.py"),
    ),
    ("03_numpy.py", include_str!("../../assets/lab/03_numpy.py")),
    (
        "04_cython.pyx",
        include_str!("../../assets/lab/04_cython.pyx"),
    ),
    ("05_numba.py", include_str!("../../assets/lab/05_numba.py")),
    (
        "06_pyo3/Cargo.toml",
        include_str!("../../assets/lab/06_pyo3/Cargo.toml"),
    ),
    (
        "06_pyo3/pyproject.toml",
        include_str!("../../assets/lab/06_pyo3/pyproject.toml"),
    ),
    (
        "06_pyo3/.cargo/config.toml",
        include_str!("../../assets/lab/06_pyo3/.cargo/config.toml"),
    ),
    (
        "06_pyo3/src/lib.rs",
        include_str!("../../assets/lab/06_pyo3/src/lib.rs"),
    ),
    (
        "07_library.py",
        include_str!("../../assets/lab/07_library.py"),
    ),
    (
        "tests/test_bench.py",
        include_str!("../../assets/lab/tests/test_bench.py"),
    ),
    (
        "perf/README.md",
        include_str!("../../assets/lab/perf/README.md"),
    ),
    (".gitignore", include_str!("../../assets/lab/gitignore")),
];

/// The text `init` writes for the file `name` (`01_naive.py`), if it writes one.
#[must_use]
pub fn template(name: &str) -> Option<&'static str> {
    FILES.iter().find(|(f, _)| *f == name).map(|(_, t)| *t)
}

/// Where `text` first differs from the template of `name` as code: the 1-based line in
/// `text`, or None when they are the same code. Comments, blank lines, trailing spaces and
/// line endings aside: a student's note does not change the baseline.
#[must_use]
pub fn differs_from_template(name: &str, text: &str) -> Option<usize> {
    let code = |t: &str| -> Vec<(usize, String)> {
        t.trim_start_matches('\u{feff}')
            .lines()
            .enumerate()
            .filter_map(|(i, l)| {
                let l = without_comment(l).trim_end();
                (!l.is_empty()).then(|| (i + 1, l.to_string()))
            })
            .collect()
    };
    let given = code(template(name)?);
    let mine = code(text);
    for (k, (line, l)) in mine.iter().enumerate() {
        if given.get(k).map(|(_, g)| g) != Some(l) {
            return Some(*line);
        }
    }
    (mine.len() < given.len()).then(|| mine.last().map_or(1, |(line, _)| line + 1))
}

/// A line of Python without its comment: from the first `#` outside a string literal (an
/// apostrophe inside the comment is the comment's).
fn without_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None if c == '#' => return &line[..at],
            None if c == '"' || c == '\'' => quote = Some(c),
            None => {}
        }
    }
    line
}

/// Writes a new lab into `dir` (made if missing). Refuses, writing nothing, when any of its
/// files is already there: the error names them.
pub fn init(dir: &Path) -> Result<Vec<PathBuf>, LabError> {
    init_in(dir, false)
}

/// Writes only the lab's files missing from `dir` (one deleted by mistake), leaving every file
/// that is there as it is.
pub fn restore_missing(dir: &Path) -> Result<Vec<PathBuf>, LabError> {
    init_in(dir, true)
}

fn init_in(dir: &Path, only_missing: bool) -> Result<Vec<PathBuf>, LabError> {
    if dir.exists() && !dir.is_dir() {
        return Err(LabError::Invalid {
            path: dir.to_path_buf(),
            reason: "this is a file: give a folder for the new lab".into(),
        });
    }
    let there: Vec<&str> = FILES
        .iter()
        .map(|(name, _)| *name)
        // A link counts as there, even one that points nowhere: it is not ours to replace.
        .filter(|name| std::fs::symlink_metadata(dir.join(name)).is_ok())
        .collect();
    if !there.is_empty() && !only_missing {
        return Err(LabError::Invalid {
            path: dir.to_path_buf(),
            reason: format!(
                "already holds {}: nothing was written (choose another folder, move them away, \
                 or add --missing to write only the files that are not there)",
                there.join(", ")
            ),
        });
    }
    let mut written = Vec::new();
    for (name, text) in FILES.iter().filter(|(name, _)| !there.contains(name)) {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|error| LabError::Invalid {
                path: parent.to_path_buf(),
                reason: format!(
                    "the folder cannot be made ({}): give a lab folder where you can write",
                    error.kind()
                ),
            })?;
        }
        crate::fsio::write_atomic(&path, text.as_bytes()).map_err(|error| LabError::Io {
            path: path.clone(),
            error,
        })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_is_as_given_whatever_its_comments_say() {
        let given = template("01_naive.py").unwrap();
        assert_eq!(differs_from_template("01_naive.py", given), None);
        let noted = given.replace(
            "    return math.sqrt(dot(u, u))",
            "    # norm's the hot one\n    return math.sqrt(dot(u, u))  # it's slow?\r",
        );
        assert_eq!(differs_from_template("01_naive.py", &noted), None);
        // One more call in the loop: a slower baseline inflates every floor after it.
        let slower = given.replace(
            "            den = norm(X[i]) * norm(X[j])",
            "            norm(X[i])\n            den = norm(X[i]) * norm(X[j])",
        );
        let at = differs_from_template("01_naive.py", &slower).unwrap();
        assert_eq!(slower.lines().nth(at - 1).unwrap().trim(), "norm(X[i])");
        assert!(differs_from_template("01_naive.py", "import math\n").is_some());
        assert_eq!(differs_from_template("no_such.py", "x = 1\n"), None);
    }

    #[test]
    fn the_shipped_lab_file_loads_and_names_every_step_file_it_ships() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path()).unwrap();
        let lab = super::super::load(dir.path()).unwrap();
        for s in &lab.steps {
            assert!(s.file.is_file(), "{} is not shipped", s.file.display());
        }
        assert_eq!(lab.steps[0].id, "naive");
    }

    #[test]
    fn init_never_overwrites_and_writes_nothing_when_a_file_is_there() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("02_algorithmic.py"), "mine").unwrap();
        let e = init(dir.path()).unwrap_err().to_string();
        assert!(e.contains("02_algorithmic.py"), "{e}");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("02_algorithmic.py")).unwrap(),
            "mine"
        );
        assert!(!dir.path().join("lab.toml").exists());
    }

    #[test]
    fn missing_writes_back_only_what_is_not_there() {
        let dir = tempfile::tempdir().unwrap();
        init(dir.path()).unwrap();
        std::fs::write(dir.path().join("02_algorithmic.py"), "mine").unwrap();
        std::fs::remove_file(dir.path().join("tests/test_bench.py")).unwrap();
        let written = restore_missing(dir.path()).unwrap();
        assert_eq!(written, [dir.path().join("tests/test_bench.py")]);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("02_algorithmic.py")).unwrap(),
            "mine"
        );
        assert!(restore_missing(dir.path()).unwrap().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_that_points_nowhere_is_a_file_there_too() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("03_numpy.py");
        std::os::unix::fs::symlink(dir.path().join("gone.py"), &link).unwrap();
        let e = init(dir.path()).unwrap_err().to_string();
        assert!(e.contains("03_numpy.py"), "{e}");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
        assert!(!dir.path().join("lab.toml").exists());
    }
}
