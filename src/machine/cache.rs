//! The measured peak, kept per machine so that every run on it divides by the same figure and
//! the app starts without measuring.
//!
//! One file per kind of machine (see [`MachineKey`]), `peak-HASH.json` under the cache folder
//! (`$LADDER_CACHE_DIR`, else `$XDG_CACHE_HOME/ladder`, else `~/.cache/ladder`), so machines
//! sharing a home folder keep their own. Format (version 1):
//! `{"format": 1, "key": {cpu, model, cores, isa}, "arch", "measured_unix": seconds since 1970,
//! "method": how it was measured, "peak_gflops_core", "peak_gflops_all",
//! "peak_gflops_core_128", "peak_gflops_all_128", "mem_read_gbs": null or GB/s}`.
//! A file that is corrupt, of another format, for another machine or older than
//! [`MAX_AGE_DAYS`] is ignored with a note and replaced by a fresh measurement; never a crash.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::MachineKey;

/// The format written; a file of another is measured again.
const FORMAT: u32 = 1;

/// A cached peak older than this is measured again (a firmware or kernel update, a VM moved
/// to other hardware).
pub const MAX_AGE_DAYS: u64 = 30;

/// What is kept of a measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CachedPeak {
    pub format: u32,
    pub key: MachineKey,
    pub arch: String,
    pub measured_unix: u64,
    pub method: String,
    pub peak_gflops_core: f64,
    pub peak_gflops_all: f64,
    pub peak_gflops_core_128: f64,
    pub peak_gflops_all_128: f64,
    pub mem_read_gbs: Option<f64>,
}

impl CachedPeak {
    pub(crate) fn new(key: MachineKey, measured_unix: u64, info: &super::MachineInfo) -> Self {
        Self {
            format: FORMAT,
            key,
            arch: info.arch.clone(),
            measured_unix,
            method: info.peak_origin.peak_method.clone().unwrap_or_default(),
            peak_gflops_core: info.peak_gflops_core,
            peak_gflops_all: info.peak_gflops_all,
            peak_gflops_core_128: info.peak_gflops_core_128,
            peak_gflops_all_128: info.peak_gflops_all_128,
            mem_read_gbs: info.mem_read_gbs,
        }
    }
}

/// The cache folder, if this user has one: see [`crate::fsio::cache_dir`].
#[must_use]
pub fn cache_dir() -> Option<PathBuf> {
    crate::fsio::cache_dir()
}

/// The file holding `key`'s peak in `dir`.
#[must_use]
pub fn path_for(dir: &Path, key: &MachineKey) -> PathBuf {
    let text = format!("{}\0{:?}\0{}\0{}", key.cpu, key.model, key.cores, key.isa);
    let h = crate::fsio::fnv1a(text.bytes());
    dir.join(format!("peak-{h:016x}.json"))
}

/// Why a cached peak was not used (shown to the user; the peak is then measured).
#[derive(Debug, PartialEq, Eq)]
pub enum Miss {
    /// No file yet: the usual first run, nothing to say.
    Absent,
    /// A file that is there but not usable, with the reason.
    Ignored(String),
}

/// The peak cached in `dir` for `key`, if it is usable at `now` (seconds since 1970).
pub fn load(dir: &Path, key: &MachineKey, now: u64) -> Result<CachedPeak, Miss> {
    let path = path_for(dir, key);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(Miss::Absent),
        Err(e) => return Err(Miss::Ignored(format!("{}: {e}", path.display()))),
    };
    let c: CachedPeak = serde_json::from_str(&text)
        .map_err(|e| Miss::Ignored(format!("{} is not a peak cache ({e})", path.display())))?;
    if c.format != FORMAT {
        return Err(Miss::Ignored(format!(
            "{} has format {}, not {FORMAT}",
            path.display(),
            c.format
        )));
    }
    // The exact key, model included: a peak is only as good as the machine it came from.
    if c.key != *key {
        return Err(Miss::Ignored(format!(
            "{} holds the peak of {}, not of this machine ({key})",
            path.display(),
            c.key
        )));
    }
    let figures = [
        c.peak_gflops_core,
        c.peak_gflops_all,
        c.peak_gflops_core_128,
        c.peak_gflops_all_128,
    ];
    if figures.iter().any(|v| !v.is_finite() || *v <= 0.0) {
        return Err(Miss::Ignored(format!(
            "{} holds a peak that is not a positive number",
            path.display()
        )));
    }
    if c.measured_unix > now.saturating_add(86_400) {
        return Err(Miss::Ignored(format!(
            "{} was measured in the future (the clock changed)",
            path.display()
        )));
    }
    let age_days = now.saturating_sub(c.measured_unix) / 86_400;
    if age_days > MAX_AGE_DAYS {
        return Err(Miss::Ignored(format!(
            "{} is {age_days} days old (kept {MAX_AGE_DAYS})",
            path.display()
        )));
    }
    Ok(c)
}

/// Writes `peak` into `dir` atomically (creating the folder).
pub fn store(dir: &Path, peak: &CachedPeak) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = path_for(dir, &peak.key);
    let text = serde_json::to_string_pretty(peak).map_err(std::io::Error::other)?;
    crate::fsio::write_atomic(&path, text.as_bytes())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(cpu: &str) -> MachineKey {
        MachineKey {
            cpu: cpu.into(),
            model: Some("family 25 model 1".into()),
            cores: 2,
            isa: "avx2+fma".into(),
        }
    }

    fn peak(cpu: &str, at: u64) -> CachedPeak {
        CachedPeak {
            format: FORMAT,
            key: key(cpu),
            arch: "x86_64".into(),
            measured_unix: at,
            method: "best of 7".into(),
            peak_gflops_core: 90.0,
            peak_gflops_all: 180.0,
            peak_gflops_core_128: 45.0,
            peak_gflops_all_128: 90.0,
            mem_read_gbs: Some(20.0),
        }
    }

    const DAY: u64 = 86_400;

    #[test]
    fn a_stored_peak_is_read_back_for_the_same_machine_only() {
        let dir = tempfile::tempdir().unwrap();
        let now = 1000 * DAY;
        assert_eq!(load(dir.path(), &key("A"), now), Err(Miss::Absent));
        store(dir.path(), &peak("A", now)).unwrap();
        assert_eq!(load(dir.path(), &key("A"), now + DAY), Ok(peak("A", now)));
        // Another machine has its own file: none yet.
        assert_eq!(load(dir.path(), &key("B"), now), Err(Miss::Absent));
        // Another model of the same CPU is another machine.
        let mut other = key("A");
        other.model = Some("family 25 model 33".into());
        assert_eq!(load(dir.path(), &other, now), Err(Miss::Absent));
    }

    #[test]
    fn a_stale_corrupt_or_foreign_cache_is_ignored_with_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let now = 1000 * DAY;
        let ignored = |m: Result<CachedPeak, Miss>| match m {
            Err(Miss::Ignored(why)) => why,
            other => panic!("expected it ignored, got {other:?}"),
        };
        // Stale.
        store(dir.path(), &peak("A", now - (MAX_AGE_DAYS + 1) * DAY)).unwrap();
        assert!(ignored(load(dir.path(), &key("A"), now)).contains("days old"));
        // From the future.
        store(dir.path(), &peak("A", now + 3 * DAY)).unwrap();
        assert!(ignored(load(dir.path(), &key("A"), now)).contains("future"));
        // Corrupt: half a file, and a file with a nonsense peak.
        let path = path_for(dir.path(), &key("A"));
        std::fs::write(&path, "{\"format\": 1, \"key\": {").unwrap();
        assert!(ignored(load(dir.path(), &key("A"), now)).contains("not a peak cache"));
        let mut zero = peak("A", now);
        zero.peak_gflops_all = 0.0;
        std::fs::write(&path, serde_json::to_string(&zero).unwrap()).unwrap();
        assert!(ignored(load(dir.path(), &key("A"), now)).contains("not a positive number"));
        // Another machine's figures under this machine's name (a copied cache folder).
        std::fs::write(&path, serde_json::to_string(&peak("B", now)).unwrap()).unwrap();
        assert!(ignored(load(dir.path(), &key("A"), now)).contains("not of this machine"));
        // Another format.
        let mut old = peak("A", now);
        old.format = 0;
        std::fs::write(&path, serde_json::to_string(&old).unwrap()).unwrap();
        assert!(ignored(load(dir.path(), &key("A"), now)).contains("format"));
    }
}
