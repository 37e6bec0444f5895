//! `perf/history.jsonl`: one JSON object per benchmark run, appended, never rewritten in place.
//!
//! Each line: `schema_version`, `date` (UTC, RFC 3339), `commit`, `machine`, `workload`,
//! `warmup`, `repeat`, `baseline_rung` and `rungs` (each with `rung`, `median_s`, `min_s`,
//! `max_s`, `spread`, `gflops`, `speedup_vs_baseline`, `peak_fraction`, `noisy`). A line that
//! does not parse (a crash mid-write in an older tool, a hand edit) is reported and skipped;
//! appends rewrite the file through a temporary copy and a rename, so a crash never truncates it.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{WorkloadMeta, write_atomic};
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

/// Seconds since 1970 as an RFC 3339 UTC timestamp (civil-from-days, proleptic Gregorian).
#[must_use]
pub fn utc_rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(i64::MAX / 2);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(utc_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(utc_rfc3339(1_795_602_088), "2026-11-25T10:21:28Z");
    }
}
