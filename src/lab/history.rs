//! The lab's own performance history, `perf/history.jsonl` in the lab folder: `ladder lab
//! check --record` appends the climb, `--gate` compares it with the last one recorded on the
//! same machine and workload. By ratio over the student's step 1, never seconds, so a slower
//! or busier machine does not fail a lab whose steps kept their speedups.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StepResult;
use super::grade::times;
use crate::machine::MachineInfo;
use crate::report::WorkloadMeta;

/// The history file inside a lab folder.
pub const HISTORY_FILE: &str = "perf/history.jsonl";

/// How far a step's speedup over step 1 may fall below the last recorded one before the gate
/// fails it: wider than a shared machine's noise, narrower than a step undone.
pub const GATE_THRESHOLD: f64 = 0.25;

/// One climb, as recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub schema_version: u32,
    /// Seconds since the Unix epoch.
    pub recorded_at: u64,
    pub cpu: String,
    pub logical_cores: usize,
    pub n: usize,
    pub d: usize,
    #[serde(default)]
    pub seed: u64,
    /// Threads the steps were allowed (a climb on one thread is not compared with one on all).
    #[serde(default)]
    pub threads: usize,
    pub steps: Vec<StepEntry>,
}

/// One step of a recorded climb.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepEntry {
    pub id: String,
    pub counts: bool,
    pub seconds: Option<f64>,
    /// Times faster than step 1 (none for step 1, or without a verified time).
    pub vs_first: Option<f64>,
    /// Not run: locked behind an earlier step that did not count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub locked: bool,
}

impl Entry {
    /// The climb `results` on `machine` and `meta` with `threads`, now.
    #[must_use]
    pub fn of(
        results: &[StepResult],
        meta: &WorkloadMeta,
        machine: &MachineInfo,
        threads: usize,
    ) -> Self {
        let first = results.first().and_then(StepResult::seconds);
        Self {
            schema_version: 1,
            recorded_at: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            cpu: machine.cpu.clone(),
            logical_cores: machine.logical_cores,
            n: meta.n,
            d: meta.d,
            seed: meta.seed,
            threads,
            steps: results
                .iter()
                .enumerate()
                .map(|(i, r)| StepEntry {
                    id: r.id.clone(),
                    counts: r.verdict.counts(),
                    seconds: r.seconds(),
                    vs_first: first.zip(r.seconds()).filter(|_| i > 0).map(|(f, t)| f / t),
                    locked: matches!(r.verdict, super::grade::Verdict::Locked(_)),
                })
                .collect(),
        }
    }

    /// Of two climbs of the same lab, each step at its best: counted in either, the larger
    /// speedup. The gate believes a fall only when a second climb shows it too.
    #[must_use]
    pub fn best_of(&self, other: &Entry) -> Entry {
        let mut best = self.clone();
        for s in &mut best.steps {
            if let Some(o) = other.steps.iter().find(|o| o.id == s.id) {
                s.counts |= o.counts;
                s.locked &= o.locked;
                s.vs_first = match (s.vs_first, o.vs_first) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
            }
        }
        best
    }

    fn same_setting(&self, other: &Entry) -> bool {
        self.cpu == other.cpu
            && self.logical_cores == other.logical_cores
            && (self.n, self.d, self.seed, self.threads)
                == (other.n, other.d, other.seed, other.threads)
    }
}

/// The history's file in lab folder `dir`.
#[must_use]
pub fn path(dir: &Path) -> PathBuf {
    dir.join(HISTORY_FILE)
}

/// The entries of `file`, oldest first, and a line for each that could not be read (a missing
/// file is an empty history).
pub fn read(file: &Path) -> std::io::Result<(Vec<Entry>, Vec<String>)> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Entry>(line) {
            Ok(e) => entries.push(e),
            Err(e) => skipped.push(format!(
                "{} line {}: skipped, not a recorded climb ({e})",
                file.display(),
                i + 1
            )),
        }
    }
    Ok((entries, skipped))
}

/// Appends `entry` to `file` (the whole file rewritten atomically, so a crash never leaves
/// half a line).
pub fn append(file: &Path, entry: &Entry) -> std::io::Result<()> {
    let mut text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&serde_json::to_string(entry).map_err(std::io::Error::other)?);
    text.push('\n');
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::report::write_atomic(file, text.as_bytes())
}

/// What the gate found.
#[derive(Clone, Debug, PartialEq)]
pub struct Gate {
    /// The recorded climb it compared with, if any.
    pub against: Option<Entry>,
    /// One line per step that fell back.
    pub failures: Vec<String>,
    /// One line per step compared.
    pub lines: Vec<String>,
}

impl Gate {
    #[must_use]
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    /// Did a step only lose speed (it still counts)? Then measuring again may clear it.
    #[must_use]
    pub fn only_slower(&self) -> bool {
        !self.failures.is_empty() && self.failures.iter().all(|f| f.contains("over step 1"))
    }
}

/// Compares `now` with the last entry of `history` from the same machine and workload: a step
/// that counted must still count, and keep at least `1 - GATE_THRESHOLD` of its speedup over
/// step 1.
#[must_use]
pub fn gate(history: &[Entry], now: &Entry) -> Gate {
    let Some(before) = history.iter().rev().find(|e| e.same_setting(now)).cloned() else {
        return Gate {
            against: None,
            failures: Vec::new(),
            lines: vec![format!(
                "nothing recorded on this machine ({}, {} cores) at {} × {} yet: \
                 `ladder lab check --record` records this climb to compare with next time",
                now.cpu, now.logical_cores, now.n, now.d
            )],
        };
    };
    let mut failures = Vec::new();
    let mut lines = Vec::new();
    let mut locked: Vec<&str> = Vec::new();
    for b in before.steps.iter().filter(|s| s.counts) {
        let Some(n) = now.steps.iter().find(|s| s.id == b.id) else {
            failures.push(format!("{}: counted before and is gone from the lab", b.id));
            continue;
        };
        if n.locked {
            // Said once, under the step that fell back: these were not run, not measured worse.
            locked.push(b.id.as_str());
            continue;
        }
        if !n.counts {
            failures.push(format!("{}: counted before and does not count now", b.id));
            continue;
        }
        match (b.vs_first, n.vs_first) {
            (Some(was), Some(is)) if is < was * (1.0 - GATE_THRESHOLD) => failures.push(format!(
                "{}: {} over step 1, was {} (more than {:.0}% lower)",
                b.id,
                times(is),
                times(was),
                GATE_THRESHOLD * 100.0
            )),
            (Some(was), Some(is)) => {
                lines.push(format!(
                    "{}: {} over step 1, was {}",
                    b.id,
                    times(is),
                    times(was)
                ));
            }
            _ => lines.push(format!("{}: counts, as before", b.id)),
        }
    }
    if !locked.is_empty() {
        failures.push(format!(
            "{}: counted before; not run now, locked behind a step that no longer counts",
            locked.join(", ")
        ));
    }
    Gate {
        against: Some(before.clone()),
        failures,
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(cpu: &str, steps: &[(&str, bool, Option<f64>)]) -> Entry {
        Entry {
            schema_version: 1,
            recorded_at: 1,
            cpu: cpu.into(),
            logical_cores: 2,
            n: 2000,
            d: 128,
            seed: 0,
            threads: 2,
            steps: steps
                .iter()
                .map(|&(id, counts, vs_first)| StepEntry {
                    id: id.into(),
                    counts,
                    seconds: Some(1.0),
                    vs_first,
                    locked: false,
                })
                .collect(),
        }
    }

    #[test]
    fn a_step_that_keeps_its_speedup_passes_and_one_that_falls_back_fails() {
        let before = entry(
            "EPYC",
            &[
                ("naive", true, None),
                ("algorithmic", true, Some(3.0)),
                ("numpy", true, Some(800.0)),
            ],
        );
        let same = entry(
            "EPYC",
            &[
                ("naive", true, None),
                ("algorithmic", true, Some(2.6)),
                ("numpy", true, Some(700.0)),
            ],
        );
        assert!(gate(std::slice::from_ref(&before), &same).passed());
        let slower = entry(
            "EPYC",
            &[
                ("naive", true, None),
                ("algorithmic", true, Some(3.0)),
                ("numpy", true, Some(400.0)),
            ],
        );
        let g = gate(std::slice::from_ref(&before), &slower);
        assert_eq!(g.failures.len(), 1, "{g:?}");
        assert!(g.failures[0].starts_with("numpy: 400x over step 1, was 800x"));
        assert!(g.only_slower());
        // A second climb that keeps the speed clears it: the best of the two is judged.
        assert!(gate(std::slice::from_ref(&before), &slower.best_of(&same)).passed());
        let undone = entry(
            "EPYC",
            &[("naive", true, None), ("algorithmic", false, None)],
        );
        let g = gate(&[before], &undone);
        assert!(
            g.failures
                .iter()
                .any(|f| f.contains("algorithmic: counted before and does not count"))
        );
        assert!(
            g.failures
                .iter()
                .any(|f| f.contains("numpy: counted before and is gone"))
        );
        // The steps locked behind the one that fell back are one line, not one failure each.
        let mut behind = entry(
            "EPYC",
            &[
                ("naive", true, None),
                ("algorithmic", false, None),
                ("numpy", false, None),
            ],
        );
        behind.steps[2].locked = true;
        let before = entry(
            "EPYC",
            &[
                ("naive", true, None),
                ("algorithmic", true, Some(3.0)),
                ("numpy", true, Some(800.0)),
            ],
        );
        let g = gate(&[before], &behind);
        assert_eq!(g.failures.len(), 2, "{g:?}");
        assert!(g.failures[0].starts_with("algorithmic: counted before and does not count"));
        assert!(g.failures[1].starts_with("numpy: counted before; not run now, locked"));
    }

    #[test]
    fn only_the_same_machine_and_workload_is_compared() {
        let other = entry(
            "Xeon",
            &[("naive", true, None), ("numpy", true, Some(5000.0))],
        );
        let now = entry(
            "EPYC",
            &[("naive", true, None), ("numpy", true, Some(700.0))],
        );
        let g = gate(&[other], &now);
        assert!(g.passed() && g.against.is_none());
        assert!(g.lines[0].contains("nothing recorded on this machine"));
    }

    #[test]
    fn the_history_appends_and_skips_lines_it_cannot_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = path(dir.path());
        let a = entry("EPYC", &[("naive", true, None)]);
        append(&file, &a).unwrap();
        let mut text = std::fs::read_to_string(&file).unwrap();
        text.push_str("not json\n");
        std::fs::write(&file, text).unwrap();
        append(&file, &a).unwrap();
        let (entries, skipped) = read(&file).unwrap();
        assert_eq!(entries, vec![a.clone(), a]);
        assert_eq!(skipped.len(), 1);
        assert!(read(&dir.path().join("none.jsonl")).unwrap().0.is_empty());
    }
}
