//! The Python-backed steps: bytecode and timings of the bytecode pairs, and the concurrency
//! measurements. They run `python3` from PATH (or `$LADDER_PYTHON`); where there is none, the
//! bytecode step falls back to a transcript recorded on a named machine, clearly marked.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

const BYTECODE_PY: &str = include_str!("../../assets/lessons/bytecode.py");
const CONCURRENCY_PY: &str = include_str!("../../assets/lessons/concurrency.py");
/// `bytecode.py dot` and `bytecode.py build`, recorded (see `recorded_on`).
const BYTECODE_RECORDED: &str = include_str!("../../assets/lessons/bytecode-recorded.json");

/// One pair of snippets with their bytecode and timings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bytecode {
    pub python: String,
    pub a_src: String,
    pub a_dis: String,
    pub b_src: String,
    pub b_dis: String,
    /// Seconds per call, the median of the rounds.
    pub a_s: f64,
    pub b_s: f64,
    /// How many times faster b is than a: the median of rounds timing a and b alternately.
    pub ratio: f64,
    /// The rounds' ratios' quartiles, and how many rounds (absent in recordings made before).
    #[serde(default)]
    pub ratio_low: Option<f64>,
    #[serde(default)]
    pub ratio_high: Option<f64>,
    #[serde(default)]
    pub rounds: Option<usize>,
    /// Set when this is the shipped recording, not a live measurement: where it was made.
    #[serde(default)]
    pub recorded_on: Option<String>,
}

#[derive(Deserialize)]
struct Recorded {
    recorded_on: String,
    pairs: std::collections::BTreeMap<String, Bytecode>,
}

/// Why a Python step could not run live.
#[derive(Debug, thiserror::Error)]
pub enum PythonError {
    #[error("no Python interpreter (python3) on PATH; set LADDER_PYTHON to use another")]
    NoPython,
    #[error("{0}")]
    Failed(String),
}

/// Writes a lesson's program into a private, unpredictable folder that is removed when the
/// returned guard is dropped.
fn script(name: &str, text: &str) -> Result<(crate::fsio::PrivateTempDir, PathBuf), PythonError> {
    let dir = crate::fsio::private_temp_dir("ladder-lessons-")
        .map_err(|e| PythonError::Failed(e.to_string()))?;
    let path = dir.path().join(name);
    std::fs::write(&path, text).map_err(|e| PythonError::Failed(e.to_string()))?;
    Ok((dir, path))
}

fn run_json<T: for<'de> Deserialize<'de>>(
    name: &str,
    text: &str,
    args: &[&str],
) -> Result<T, PythonError> {
    let python = crate::peers::python().ok_or(PythonError::NoPython)?;
    run_json_with(&python, name, text, args)
}

fn run_json_with<T: for<'de> Deserialize<'de>>(
    python: &std::path::Path,
    name: &str,
    text: &str,
    args: &[&str],
) -> Result<T, PythonError> {
    let (_dir, path) = script(name, text)?;
    let out = Command::new(python)
        .arg(&path)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PythonError::Failed(format!("could not run {}: {e}", python.display())))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(2).collect();
        return Err(PythonError::Failed(format!(
            "{} {name} failed ({}): {}",
            python.display(),
            out.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    serde_json::from_str(last)
        .map_err(|e| PythonError::Failed(format!("{name} printed something unexpected: {e}")))
}

/// The pair's bytecode and timings, measured live.
pub fn bytecode_live(pair: &str) -> Result<Bytecode, PythonError> {
    run_json("bytecode.py", BYTECODE_PY, &[pair])
}

/// The shipped recording of the pair (for machines without Python), marked as recorded.
#[must_use]
pub fn bytecode_recorded(pair: &str) -> Option<Bytecode> {
    let r: Recorded = serde_json::from_str(BYTECODE_RECORDED).ok()?;
    let mut b = r.pairs.get(pair)?.clone();
    b.recorded_on = Some(r.recorded_on);
    Some(b)
}

/// Live when Python is there, else the recording; the error says why it is not live.
#[must_use]
pub fn bytecode(pair: &str) -> (Option<Bytecode>, Option<String>) {
    match bytecode_live(pair) {
        Ok(b) => (Some(b), None),
        Err(e) => (bytecode_recorded(pair), Some(e.to_string())),
    }
}

/// The concurrency measurements: each workload run each way in rounds of rotating order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Concurrency {
    pub python: String,
    pub free_threaded: bool,
    /// The interpreter that ran it (`sys.executable`), and what `sys._is_gil_enabled()` said
    /// there (None before Python 3.13, which has no such call).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executable: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gil_enabled: Option<bool>,
    pub cores: Option<usize>,
    /// Workload → way of running it → seconds: the median of the rounds.
    pub results: BTreeMap<String, BTreeMap<String, f64>>,
    /// Workload → way → [fastest, slowest] round (absent in tables measured once).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub spread: BTreeMap<String, BTreeMap<String, [f64; 2]>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rounds: Option<usize>,
    /// Workload → way → workers in its pool.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pools: BTreeMap<String, BTreeMap<String, usize>>,
    /// What each workload is and how each way runs it, in the script's words.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub about: BTreeMap<String, String>,
    /// What every timing includes (the pool's start-up, the hand-off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub includes: Option<String>,
    /// The machine's load average when measuring began: cores others use are not ours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load: Option<f64>,
    /// The same measured with a free-threaded Python found on PATH (`python3.14t`, …).
    #[serde(default)]
    pub free: Option<Box<Concurrency>>,
    /// Why a free-threaded Python that was found (or named by `$LADDER_PYTHON_FT`) was not
    /// measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_error: Option<String>,
    /// The Rust side: the native kernel sequential, on threads, on worker processes.
    #[serde(default)]
    pub rust: Option<super::rust_side::RustSide>,
}

/// The workloads of the concurrency lesson, in the order shown.
pub const WORKLOADS: [&str; 4] = ["cpu", "numpy", "io", "shared"];
/// The ways of running them; `free-threads` is threads on a free-threaded Python.
pub const WAYS: [&str; 5] = [
    "sequential",
    "threads",
    "processes",
    "asyncio",
    "free-threads",
];

/// A way whose median is within this factor of the fastest's is as fast, within the noise.
pub const TIE: f64 = 1.10;

/// One way's timing of a workload: the median and the fastest and slowest rounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    pub median: f64,
    pub low: f64,
    pub high: f64,
}

/// How a way of running a workload compares with the others measured here.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// The fastest, or as fast within the noise.
    Fastest(Timing),
    /// Slower than `fastest`, which took `best`.
    Slower {
        timing: Timing,
        fastest: String,
        best: Timing,
    },
    /// This way was not measured here (no free-threaded Python, no NumPy).
    NotMeasured,
}

impl Concurrency {
    /// A way's timing of a workload, when measured.
    #[must_use]
    pub fn timing(&self, workload: &str, way: &str) -> Option<Timing> {
        match (way, self.free_threaded, &self.free) {
            // The main Python may itself be the free-threaded one.
            ("free-threads", true, _) => self.raw(workload, "threads"),
            // Only where it ran without its GIL: a free-threaded build can re-enable it (an
            // extension that needs it, PYTHON_GIL=1), and then its threads are not free.
            ("free-threads", false, Some(ft)) if ft.free_threaded => ft.raw(workload, "threads"),
            // No free-threaded Python; or threads on a standard CPython, which were not
            // measured because this one has no GIL.
            ("free-threads", false, _) | ("threads", true, _) => None,
            _ => self.raw(workload, way),
        }
    }

    fn raw(&self, workload: &str, way: &str) -> Option<Timing> {
        let median = *self.results.get(workload)?.get(way)?;
        let [low, high] = self
            .spread
            .get(workload)
            .and_then(|w| w.get(way))
            .copied()
            .unwrap_or([median, median]);
        Some(Timing { median, low, high })
    }

    /// Every way measured for `workload`, fastest median first.
    #[must_use]
    pub fn ranked(&self, workload: &str) -> Vec<(&'static str, Timing)> {
        let mut v: Vec<_> = WAYS
            .iter()
            .filter_map(|&w| Some((w, self.timing(workload, w)?)))
            .collect();
        v.sort_by(|a, b| a.1.median.total_cmp(&b.1.median));
        v
    }

    /// How `way` did on `workload` here. As fast as the fastest when its median is within
    /// [`TIE`] of it, or its fastest round beat the fastest's median: rounds that overlap so
    /// much cannot say which is faster.
    #[must_use]
    pub fn verdict(&self, workload: &str, way: &str) -> Verdict {
        let ranked = self.ranked(workload);
        let (Some(t), Some(&(fastest, best))) = (self.timing(workload, way), ranked.first()) else {
            return Verdict::NotMeasured;
        };
        if t.median <= best.median * TIE || t.low <= best.median {
            Verdict::Fastest(t)
        } else {
            Verdict::Slower {
                timing: t,
                fastest: fastest.to_string(),
                best,
            }
        }
    }
}

/// How a student gets a free-threaded CPython, where there is none.
pub const GET_FREE_THREADED: &str = "uv python install 3.14t (it puts python3.14t in \
    ~/.local/bin), or set LADDER_PYTHON_FT to a free-threaded interpreter's path";

/// A free-threaded CPython: `$LADDER_PYTHON_FT`, else `python3.14t` or `python3.13t` on PATH.
/// Err when `$LADDER_PYTHON_FT` names no program.
pub fn free_threaded_python() -> Result<Option<PathBuf>, String> {
    free_threaded_from(std::env::var_os("LADDER_PYTHON_FT"))
}

fn free_threaded_from(named: Option<std::ffi::OsString>) -> Result<Option<PathBuf>, String> {
    if let Some(p) = named.filter(|p| !p.is_empty()) {
        let name = p.to_string_lossy().into_owned();
        return crate::peers::which(&name).map(Some).ok_or_else(|| {
            format!("LADDER_PYTHON_FT={name} is not a program here: {GET_FREE_THREADED}")
        });
    }
    Ok(["python3.14t", "python3.13t"]
        .iter()
        .find_map(|p| crate::peers::which(p)))
}

/// Runs the concurrency script (`quick`: smaller workloads, for tests), and again with a
/// free-threaded Python when one is on PATH.
pub fn concurrency(quick: bool) -> Result<Concurrency, PythonError> {
    let args: &[&str] = if quick { &["--quick"] } else { &[] };
    let mut c: Concurrency = run_json("concurrency.py", CONCURRENCY_PY, args)?;
    match free_threaded_python() {
        Ok(Some(ft)) => {
            match run_json_with::<Concurrency>(&ft, "concurrency.py", CONCURRENCY_PY, args) {
                Ok(f) if !f.free_threaded => {
                    c.free_error = Some(format!(
                        "{} ran with its GIL enabled (sys._is_gil_enabled() = {:?}): its threads \
                     are not free, so they are not shown as free threads",
                        ft.display(),
                        f.gil_enabled
                    ));
                    c.free = Some(Box::new(f));
                }
                Ok(f) => c.free = Some(Box::new(f)),
                Err(e) => c.free_error = Some(format!("{} failed: {e}", ft.display())),
            }
        }
        Ok(None) => {}
        Err(e) => c.free_error = Some(e),
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_free_threaded_python_must_exist_and_the_error_says_how_to_get_one() {
        let e = free_threaded_from(Some("/no/such/python3.14t".into())).unwrap_err();
        assert!(e.contains("LADDER_PYTHON_FT=/no/such/python3.14t"), "{e}");
        assert!(e.contains("uv python install 3.14t"), "{e}");
        let sh = free_threaded_from(Some("/bin/sh".into())).unwrap();
        assert_eq!(sh.as_deref(), Some(std::path::Path::new("/bin/sh")));
    }

    #[test]
    fn a_free_threaded_build_running_with_its_gil_is_not_a_free_threads_column() {
        let table = |free: bool| -> Concurrency {
            serde_json::from_str(&format!(
                r#"{{"python": "3.14.0", "free_threaded": false, "cores": 2,
                    "results": {{"cpu": {{"sequential": 1.0, "threads": 1.0}}}},
                    "free": {{"python": "3.14.0t", "free_threaded": {free},
                        "gil_enabled": {}, "cores": 2,
                        "results": {{"cpu": {{"sequential": 1.0, "threads": 0.5}}}}}}}}"#,
                !free
            ))
            .unwrap()
        };
        assert!(table(true).timing("cpu", "free-threads").is_some());
        assert_eq!(table(false).timing("cpu", "free-threads"), None);
        assert_eq!(
            table(false).verdict("cpu", "free-threads"),
            Verdict::NotMeasured
        );
    }

    #[test]
    fn the_recording_has_both_pairs_and_says_where_it_was_made() {
        for pair in super::super::BYTECODE_PAIRS {
            let b = bytecode_recorded(pair).expect("recorded");
            assert!(
                b.recorded_on
                    .as_deref()
                    .is_some_and(|r| r.contains("Python"))
            );
            assert!(b.a_dis.contains("LOAD_FAST") && b.ratio > 1.0, "{pair}");
        }
    }
}
