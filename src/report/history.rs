//! `perf/history.jsonl`: one JSON object per benchmark run, appended, never rewritten in place.
//!
//! Each line: `schema_version`, `date` (UTC, RFC 3339), `commit`, `machine`, `workload`,
//! `warmup`, `repeat`, `baseline_rung` and `rungs` (each with `rung`, `median_s`, `min_s`,
//! `max_s`, `spread`, `gflops`, `speedup_vs_baseline`, `peak_fraction`, `noisy`, and
//! `load_elsewhere` when a run was long enough to tell: the most CPU other processes used
//! while one of its runs ran, in cores; absent in older lines). A line that
//! does not parse (a crash mid-write in an older tool, a hand edit) is reported and skipped;
//! appends rewrite the file through a temporary copy and a rename, so a crash never truncates it.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{WorkloadMeta, human_speedup, write_atomic};
use crate::machine::{MachineInfo, MachineKey};
use crate::run::bench::RungBench;

/// Version of a history line's layout.
pub const HISTORY_SCHEMA: u32 = 1;

/// One rung in a history entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryRung {
    pub rung: String,
    pub median_s: f64,
    pub min_s: f64,
    pub max_s: f64,
    pub spread: f64,
    pub gflops: f64,
    pub speedup_vs_baseline: f64,
    pub peak_fraction: f64,
    pub noisy: bool,
    /// Cores' worth of CPU other processes used while it was measured (the most of its runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_elsewhere: Option<f64>,
}

impl HistoryRung {
    /// Whether it was measured under load (see [`crate::run::LOADED_CORES`]).
    #[must_use]
    pub fn under_load(&self) -> bool {
        self.load_elsewhere
            .is_some_and(|l| l >= crate::run::LOADED_CORES)
    }
}

impl From<&RungBench> for HistoryRung {
    fn from(b: &RungBench) -> Self {
        Self {
            rung: b.rung.clone(),
            median_s: b.time.median,
            min_s: b.time.min,
            max_s: b.time.max,
            spread: b.time.spread,
            gflops: b.gflops,
            speedup_vs_baseline: b.speedup_vs_baseline,
            peak_fraction: b.peak_fraction,
            noisy: b.noisy,
            load_elsewhere: b.load_elsewhere,
        }
    }
}

/// One benchmark run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub schema_version: u32,
    pub date: String,
    pub commit: String,
    pub machine: MachineInfo,
    pub workload: WorkloadMeta,
    pub warmup: usize,
    pub repeat: usize,
    pub baseline_rung: String,
    pub rungs: Vec<HistoryRung>,
}

/// The history as read: the entries, and a warning for every line skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    pub entries: Vec<HistoryEntry>,
    pub warnings: Vec<String>,
}

/// The history's entries by kind of machine, in order of first appearance: each kind's key
/// (the most specific one seen) and the indices of its entries, oldest first. Speedups are
/// compared within one kind only: they move between CPUs.
#[must_use]
pub fn by_machine(entries: &[HistoryEntry]) -> Vec<(MachineKey, Vec<usize>)> {
    let mut groups: Vec<(MachineKey, Vec<usize>)> = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let key = e.machine.key();
        match groups.iter_mut().find(|(k, _)| k.same_kind(&key)) {
            Some((k, v)) => {
                if k.model.is_none() {
                    k.model = key.model;
                }
                v.push(i);
            }
            None => groups.push((key, vec![i])),
        }
    }
    groups
}

/// Reads a history file; a missing file is an empty history.
pub fn read(path: &Path) -> std::io::Result<History> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
        Err(e) => return Err(e),
    };
    Ok(parse(&text, &path.display().to_string()))
}

/// Parses history text, skipping (and reporting) lines that are not entries.
#[must_use]
pub fn parse(text: &str, name: &str) -> History {
    let mut h = History::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<HistoryEntry>(line) {
            Ok(e) if e.schema_version == HISTORY_SCHEMA => h.entries.push(e),
            Ok(e) => h.warnings.push(format!(
                "{name} line {}: schema_version {} is not {HISTORY_SCHEMA}; skipped",
                i + 1,
                e.schema_version
            )),
            Err(err) => h.warnings.push(format!(
                "{name} line {}: not a history entry ({err}); skipped",
                i + 1
            )),
        }
    }
    h
}

/// Appends `entry` as one line. The file is replaced atomically (old lines + the new one); a
/// truncated last line is kept as it was, on a line of its own, and skipped when read.
pub fn append(path: &Path, entry: &HistoryEntry) -> std::io::Result<()> {
    let mut bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(e),
    };
    if !bytes.is_empty() && !bytes.ends_with(b"\n") {
        bytes.push(b'\n');
    }
    serde_json::to_writer(&mut bytes, entry).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_atomic(path, &bytes)
}

/// Now, in UTC, as RFC 3339 (`2026-11-25T10:41:28Z`).
#[must_use]
pub fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    utc_rfc3339(secs)
}

pub use crate::machine::utc_rfc3339;

/// The current commit (short hash, `-dirty` when the tree has changes), or `unknown`.
#[must_use]
pub fn current_commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    match git(&["rev-parse", "--short=12", "HEAD"]) {
        Some(hash) if !hash.is_empty() => {
            let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty { format!("{hash}-dirty") } else { hash }
        }
        _ => "unknown".into(),
    }
}

/// The history for people: one table per kind of machine (speedups move between CPUs), a
/// column per rung that appears anywhere, in ladder order.
#[must_use]
pub fn render_history(entries: &[HistoryEntry]) -> String {
    let mut s = String::new();
    if entries.is_empty() {
        let _ = writeln!(
            s,
            "no history yet: record a run with `ladder bench --record`"
        );
        return s;
    }
    let order: Vec<&str> = crate::rungs::ladder().iter().map(|r| r.info().id).collect();
    let mut ids: Vec<String> = entries
        .iter()
        .flat_map(|e| e.rungs.iter().map(|r| r.rung.clone()))
        .collect();
    ids.sort_by_key(|id| order.iter().position(|o| o == id).unwrap_or(usize::MAX));
    ids.dedup();
    for (g, (machine, picked)) in by_machine(entries).iter().enumerate() {
        if g > 0 {
            let _ = writeln!(s);
        }
        let _ = writeln!(s, "on {machine}:");
        let _ = write!(
            s,
            "{:<20} {:<18} {:>6} {:<10}",
            "date", "commit", "n", "baseline"
        );
        for id in &ids {
            let _ = write!(s, " {id:>12}");
        }
        let _ = writeln!(s);
        for e in picked.iter().map(|&i| &entries[i]) {
            let _ = write!(
                s,
                "{:<20} {:<18} {:>6} {:<10}",
                e.date, e.commit, e.workload.n, e.baseline_rung
            );
            for id in &ids {
                // "!": measured under load.
                let cell = e.rungs.iter().find(|r| &r.rung == id).map_or_else(
                    || "-".to_string(),
                    |r| {
                        let mark = if r.under_load() { " !" } else { "" };
                        format!("{}{mark}", human_speedup(Some(r.speedup_vs_baseline)))
                    },
                );
                let _ = write!(s, " {cell:>12}");
            }
            let _ = writeln!(s);
        }
    }
    let _ = writeln!(s, "(speedups against each run's baseline rung)");
    if entries
        .iter()
        .any(|e| e.rungs.iter().any(HistoryRung::under_load))
    {
        let _ = writeln!(
            s,
            "! measured under load: a quarter of a core or more busy elsewhere while it ran \
             (not to be trusted as it is)"
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(utc_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_rfc3339(1_795_602_088), "2026-11-25T10:21:28Z");
    }

    fn entry(cpu: &str, commit: &str, rungs: &[(&str, f64)]) -> HistoryEntry {
        HistoryEntry {
            schema_version: HISTORY_SCHEMA,
            date: "2026-11-25T10:00:00Z".into(),
            commit: commit.into(),
            machine: crate::report::test_machine(cpu),
            workload: WorkloadMeta {
                n: 1000,
                d: 768,
                seed: 0,
                source: "normal".into(),
                zero_rows: 0,
            },
            warmup: 1,
            repeat: 5,
            baseline_rung: "naive".into(),
            rungs: rungs
                .iter()
                .map(|&(id, speedup)| HistoryRung {
                    rung: id.into(),
                    median_s: 1.0,
                    min_s: 1.0,
                    max_s: 1.0,
                    spread: 0.0,
                    gflops: 1.0,
                    speedup_vs_baseline: speedup,
                    peak_fraction: 0.1,
                    noisy: false,
                    load_elsewhere: None,
                })
                .collect(),
        }
    }

    #[test]
    fn a_speedup_measured_under_load_is_marked_in_the_history() {
        let mut e = entry("cpu-a", "aaa", &[("naive", 1.0), ("native", 70.0)]);
        e.rungs[1].load_elsewhere = Some(0.5);
        let text = render_history(&[e]);
        let row = text.lines().find(|l| l.contains("aaa")).unwrap();
        assert!(row.trim_end().ends_with("70.0x !"), "{text}");
        assert!(text.contains("! measured under load"), "{text}");
        // Older lines, without the figure, read as before.
        let line = r#"{"rung":"naive","median_s":1.0,"min_s":1.0,"max_s":1.0,"spread":0.0,"gflops":1.0,"speedup_vs_baseline":1.0,"peak_fraction":0.1,"noisy":false}"#;
        let old: HistoryRung = serde_json::from_str(line).unwrap();
        assert_eq!(old.load_elsewhere, None);
        let quiet = render_history(&[entry("cpu-a", "bbb", &[("naive", 1.0)])]);
        assert!(!quiet.contains('!'), "{quiet}");
    }

    #[test]
    fn an_empty_history_says_how_to_start_one() {
        assert!(render_history(&[]).starts_with("no history yet"));
    }

    #[test]
    fn two_machines_give_two_tables_with_every_rung_in_ladder_order() {
        let text = render_history(&[
            entry("cpu-a", "aaa", &[("native", 70.0), ("naive", 1.0)]),
            entry("cpu-b", "bbb", &[("naive", 1.0), ("threads", 120.0)]),
            entry("cpu-a", "ccc", &[("naive", 1.0)]),
        ]);
        assert_eq!(text.lines().filter(|l| l.starts_with("on ")).count(), 2);
        let a = text.find("on cpu-a").unwrap();
        let b = text.find("on cpu-b").unwrap();
        assert!(a < b);
        // Both commits of cpu-a sit in its table, before cpu-b's.
        assert!(text.find("aaa").unwrap() < b && text.find("ccc").unwrap() < b);
        let header = text.lines().nth(1).unwrap();
        let (naive, native, threads) = (
            header.find("naive").unwrap(),
            header.find("native").unwrap(),
            header.find("threads").unwrap(),
        );
        assert!(naive < native && native < threads, "{header}");
        // A rung a run did not measure is a dash.
        let ccc = text.lines().find(|l| l.contains("ccc")).unwrap();
        assert!(
            ccc.contains("1.00x") && ccc.trim_end().ends_with('-'),
            "{ccc}"
        );
        assert!(text.ends_with("(speedups against each run's baseline rung)\n"));
    }
}
