//! The machine a run was measured on: CPU, SIMD features, and the measured roofline
//! (float32 FMA peak per core and for all cores, memory read bandwidth).

pub mod cache;
mod peak;

pub use peak::{PLAUSIBLE_SCALING, plausible};
use peak::{core_and_all, read_bandwidth, thread_cpu_time};

use std::fmt::Write as _;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::rungs::native::{Isa, fma_peak_flops, fma_peak_flops_128};

/// What the machine is and what it can do at most.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MachineInfo {
    pub cpu: String,
    /// The CPU's family and model numbers (its micro-architecture), where the system says;
    /// VMs often report only a generic brand, and these tell two such CPUs apart.
    #[serde(default)]
    pub model: Option<String>,
    pub arch: String,
    pub logical_cores: usize,
    pub physical_cores: Option<usize>,
    /// SIMD features the CPU reports (only those that matter here).
    pub simd: Vec<String>,
    /// The instruction set the native kernels use on this machine.
    pub kernel_isa: String,
    /// Measured float32 FMA peak of one core, GFLOP/s, at the kernels' instruction set.
    pub peak_gflops_core: f64,
    /// Measured float32 FMA peak with every logical core busy, GFLOP/s.
    pub peak_gflops_all: f64,
    /// The same two peaks with 128-bit vectors (the ceiling of the JIT rung), GFLOP/s.
    #[serde(default)]
    pub peak_gflops_core_128: f64,
    #[serde(default)]
    pub peak_gflops_all_128: f64,
    /// Measured memory read bandwidth with every core reading, GB/s (absent when not measured).
    pub mem_read_gbs: Option<f64>,
    /// Where the peaks come from: measured now or read from this machine's cache, when, how.
    #[serde(flatten)]
    pub peak_origin: PeakOrigin,
}

/// Whether the peak was measured by this process or read from the cache.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PeakSource {
    /// Measured by this process (what records older than the cache meant).
    #[default]
    Measured,
    /// Read from this machine's cache (see [`cache`]).
    Cached,
}

/// Where a machine's peaks come from (flattened into its JSON; absent in older records).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PeakOrigin {
    #[serde(default)]
    pub peak_source: PeakSource,
    /// When the peak was measured, RFC 3339 UTC.
    #[serde(default)]
    pub measured_at: Option<String>,
    /// How it was measured, in words.
    #[serde(default)]
    pub peak_method: Option<String>,
}

/// What a machine is, as far as ratios measured on it are concerned: the CPU and its model,
/// the number of cores, and the instruction set the kernels use. Cheap to read (no probing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineKey {
    pub cpu: String,
    #[serde(default)]
    pub model: Option<String>,
    pub cores: usize,
    pub isa: String,
}

impl MachineKey {
    /// Whether `other` is the same kind of machine. A key without a model (an older record,
    /// or a system that does not say) matches any model of the same CPU.
    #[must_use]
    pub fn same_kind(&self, other: &MachineKey) -> bool {
        self.cpu == other.cpu
            && self.cores == other.cores
            && self.isa == other.isa
            && (self.model == other.model || self.model.is_none() || other.model.is_none())
    }

    /// This machine's key.
    #[must_use]
    pub fn this() -> Self {
        Self {
            cpu: cpu_brand(),
            model: cpu_model(),
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            isa: Isa::detect().to_string(),
        }
    }
}

impl std::fmt::Display for MachineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.cpu)?;
        if let Some(m) = &self.model {
            write!(f, " {m}")?;
        }
        write!(f, " ({} cores, {})", self.cores, self.isa)
    }
}

impl MachineInfo {
    /// The key of the machine this was measured on.
    #[must_use]
    pub fn key(&self) -> MachineKey {
        MachineKey {
            cpu: self.cpu.clone(),
            model: self.model.clone(),
            cores: self.logical_cores,
            isa: self.kernel_isa.clone(),
        }
    }
}

/// SIMD features worth reporting, by name.
fn simd_features() -> Vec<String> {
    #[allow(unused_mut)]
    let mut v: Vec<String> = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        macro_rules! check {
            ($($f:tt),*) => {$(
                if std::arch::is_x86_feature_detected!($f) { v.push($f.to_string()); }
            )*};
        }
        check!(
            "sse4.2", "avx", "avx2", "fma", "avx512f", "avx512vl", "avx512bw"
        );
    }
    #[cfg(target_arch = "aarch64")]
    v.push("neon".to_string());
    v
}

fn cpu_brand() -> String {
    let Ok(mut sys) = sysinfo::System::new() else {
        return "unknown CPU".into();
    };
    sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
    sys.cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "unknown CPU".into())
}

/// "family F model M" from /proc/cpuinfo (Linux); `None` elsewhere or when it is not there.
fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    model_from_cpuinfo(&text)
}

fn model_from_cpuinfo(text: &str) -> Option<String> {
    // Only the first processor's block: every core of one machine is the same model.
    let first = text.split("\n\n").next()?;
    let field = |name: &str| {
        first.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == name).then(|| v.trim().to_string())
        })
    };
    Some(format!(
        "family {} model {}",
        field("cpu family")?,
        field("model")?
    ))
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

/// Seconds since 1970 now.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl MachineInfo {
    /// This machine with its peak: read from the cache when it holds a usable one for this
    /// machine, else measured (about two seconds, see [`MachineInfo::measure`]; the memory
    /// bandwidth too when `bandwidth`) and cached. The note, when there is one, says why a
    /// cache file was ignored or not written: for the user, not an error.
    #[must_use]
    pub fn cached_or_measured(bandwidth: bool) -> (Self, Option<String>) {
        let missed = match Self::cached() {
            Ok(m) => return (m, None),
            Err(missed) => missed,
        };
        let (m, stored) = Self::measure_and_cache(bandwidth);
        let note = match (missed, stored) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        (m, note)
    }

    /// This machine with its cached peak, or why there is none usable (`None`: no cache yet,
    /// nothing to say).
    pub fn cached() -> Result<Self, Option<String>> {
        let dir = cache::cache_dir().ok_or(None)?;
        match cache::load(&dir, &MachineKey::this(), unix_now()) {
            Ok(c) => Ok(Self::from_cache(&c)),
            Err(cache::Miss::Absent) => Err(None),
            Err(cache::Miss::Ignored(why)) => Err(Some(format!("ignored the cached peak: {why}"))),
        }
    }

    /// Measures the peak now (and the bandwidth when `bandwidth`) and caches it, unless it
    /// is implausible (a busy machine: the next run measures again). Returns the machine and,
    /// when it was not cached, why.
    #[must_use]
    pub fn measure_and_cache(bandwidth: bool) -> (Self, Option<String>) {
        let mut m = Self::measure(bandwidth);
        let Some(dir) = cache::cache_dir() else {
            return (m, None);
        };
        if !m.peak_plausible() {
            return (
                m,
                Some("the peak was measured under load and is not cached".into()),
            );
        }
        let now = unix_now();
        // A measurement can only be slowed (a neighbour on the host, a lower clock while it
        // is busy), never sped up: the best figures measured on this machine while its cache
        // lasts stand, so every run divides by the same ceiling. They age from the oldest
        // figure kept, so the cache still expires.
        let mut measured_unix = now;
        let mut kept = None;
        if let Ok(prior) = cache::load(&dir, &m.key(), now) {
            let now_figures = format!(
                "{:.0}/{:.0} GFLOP/s ({:.0}/{:.0} with 128-bit vectors)",
                m.peak_gflops_core,
                m.peak_gflops_all,
                m.peak_gflops_core_128,
                m.peak_gflops_all_128
            );
            // Each figure the higher of the two; how much higher the cached one was.
            let best = |new: &mut f64, old: f64| {
                let by = old / *new;
                *new = new.max(old);
                by
            };
            let by = [
                best(&mut m.peak_gflops_core, prior.peak_gflops_core),
                best(&mut m.peak_gflops_all, prior.peak_gflops_all),
                best(&mut m.peak_gflops_core_128, prior.peak_gflops_core_128),
                best(&mut m.peak_gflops_all_128, prior.peak_gflops_all_128),
            ];
            if by.iter().any(|&b| b > 1.0) {
                measured_unix = prior.measured_unix;
                m.peak_origin.measured_at = Some(utc_rfc3339(measured_unix));
            }
            // Within 2% is the same figure, not worth a note.
            if by.iter().any(|&b| b > 1.02) {
                let since = utc_rfc3339(prior.measured_unix);
                if let Some(method) = m.peak_origin.peak_method.as_mut() {
                    let _ = write!(
                        method,
                        "; the best of the measurements on this machine since {since}"
                    );
                }
                kept = Some(format!(
                    "measured {now_figures} now, lower than on this machine before (since \
                     {since}): something slowed this measurement, so the higher figures stand"
                ));
            }
        }
        let entry = cache::CachedPeak::new(m.key(), measured_unix, &m);
        let note = cache::store(&dir, &entry)
            .err()
            .map(|e| format!("could not cache the peak in {}: {e}", dir.display()));
        let note = match (kept, note) {
            (Some(a), Some(b)) => Some(format!("{a}; {b}")),
            (a, b) => a.or(b),
        };
        (m, note)
    }

    /// Whether the all-core peaks are plausible against the one-core ones (see
    /// [`PLAUSIBLE_SCALING`]).
    #[must_use]
    pub fn peak_plausible(&self) -> bool {
        let fma_cores = self
            .physical_cores
            .unwrap_or(self.logical_cores)
            .clamp(1, self.logical_cores.max(1));
        plausible(self.peak_gflops_core, self.peak_gflops_all, fma_cores)
            && plausible(
                self.peak_gflops_core_128,
                self.peak_gflops_all_128,
                fma_cores,
            )
    }

    /// This machine with the figures of a cache entry (marked as cached).
    fn from_cache(c: &cache::CachedPeak) -> Self {
        let mut m = Self::describe();
        m.peak_gflops_core = c.peak_gflops_core;
        m.peak_gflops_all = c.peak_gflops_all;
        m.peak_gflops_core_128 = c.peak_gflops_core_128;
        m.peak_gflops_all_128 = c.peak_gflops_all_128;
        m.mem_read_gbs = c.mem_read_gbs;
        m.peak_origin = PeakOrigin {
            peak_source: PeakSource::Cached,
            measured_at: Some(utc_rfc3339(c.measured_unix)),
            peak_method: Some(c.method.clone()).filter(|s| !s.is_empty()),
        };
        m
    }

    /// What the machine is, with no figure measured yet.
    fn describe() -> Self {
        Self {
            cpu: cpu_brand(),
            model: cpu_model(),
            arch: std::env::consts::ARCH.to_string(),
            logical_cores: std::thread::available_parallelism().map_or(1, usize::from),
            physical_cores: sysinfo::System::physical_core_count().ok(),
            simd: simd_features(),
            kernel_isa: Isa::detect().to_string(),
            peak_gflops_core: 0.0,
            peak_gflops_all: 0.0,
            peak_gflops_core_128: 0.0,
            peak_gflops_all_128: 0.0,
            mem_read_gbs: None,
            peak_origin: PeakOrigin::default(),
        }
    }

    /// Probes the machine: `thorough` measures the peak afresh with the memory bandwidth
    /// (about two seconds); otherwise the cached peak, measured and cached on a first run.
    #[must_use]
    pub fn probe(thorough: bool) -> Self {
        if thorough {
            Self::measure(true)
        } else {
            Self::cached_or_measured(false).0
        }
    }

    /// The peak for benchmarks, whose ratios to it must not move with a noisy measurement:
    /// the cached one, as every run on this machine uses.
    #[must_use]
    pub fn probe_peak_thorough() -> Self {
        Self::cached_or_measured(false).0
    }

    /// Measures the peaks now (and the memory bandwidth when `bandwidth`): ten rounds of a
    /// 35 ms trial on one core then on all, the best kept (one core's also from the best thread
    /// of the all-core trials); the all-core figure measured again while it is implausible
    /// against one core's. About two seconds on an idle machine.
    #[must_use]
    pub fn measure(bandwidth: bool) -> Self {
        const TRIALS: usize = 10;
        const TRIAL: Duration = Duration::from_millis(35);
        let mut m = Self::describe();
        let isa = Isa::detect();
        let logical = m.logical_cores;
        let fma_cores = m.physical_cores.unwrap_or(logical).clamp(1, logical);
        let flops = move |iters| fma_peak_flops(isa, iters);
        let (core, all, again) = core_and_all(flops, logical, fma_cores, TRIAL, TRIALS);
        let (core_128, all_128, again_128) =
            core_and_all(fma_peak_flops_128, logical, fma_cores, TRIAL, TRIALS);
        m.peak_gflops_core = core / 1e9;
        m.peak_gflops_all = all / 1e9;
        m.peak_gflops_core_128 = core_128 / 1e9;
        m.peak_gflops_all_128 = all_128 / 1e9;
        m.mem_read_gbs = bandwidth.then(|| read_bandwidth(logical));
        let clock = if thread_cpu_time().is_some() {
            "per second of each thread's CPU time"
        } else {
            "per wall-clock second"
        };
        let mut method = format!(
            "best of {TRIALS} rounds of {} ms trials on 1 core then on {logical} (1 core's also \
             the best thread of the {logical}), {clock}; all cores capped at one core's times \
             {fma_cores}",
            TRIAL.as_millis()
        );
        if again + again_128 > 0 {
            let _ = write!(
                method,
                "; the all-core figure measured again {} time(s), being below {:.0}% of one \
                 core's times {fma_cores}",
                again + again_128,
                PLAUSIBLE_SCALING * 100.0
            );
        }
        if !m.peak_plausible() {
            method.push_str("; still implausible: the machine was busy, measure again when idle");
        }
        m.peak_origin = PeakOrigin {
            peak_source: PeakSource::Measured,
            measured_at: Some(utc_rfc3339(unix_now())),
            peak_method: Some(method),
        };
        m
    }

    /// The peak for `threads` busy cores, GFLOP/s (interpolated between one and all cores).
    #[must_use]
    pub fn peak_gflops(&self, threads: usize) -> f64 {
        self.interpolate(threads, self.peak_gflops_core, self.peak_gflops_all)
    }

    /// The peak for `threads` busy cores of a kernel limited to `vector_bits`-wide vectors
    /// (None: the kernels' own width).
    #[must_use]
    pub fn peak_gflops_at(&self, threads: usize, vector_bits: Option<u32>) -> f64 {
        match vector_bits {
            Some(128) if self.peak_gflops_core_128 > 0.0 => {
                self.interpolate(threads, self.peak_gflops_core_128, self.peak_gflops_all_128)
            }
            _ => self.peak_gflops(threads),
        }
    }

    fn interpolate(&self, threads: usize, core: f64, all: f64) -> f64 {
        if threads <= 1 {
            core
        } else if threads >= self.logical_cores {
            all
        } else {
            core * threads as f64
        }
    }
}

#[cfg(test)]
impl MachineInfo {
    /// A made-up machine for unit tests: nothing probed or measured.
    pub(crate) fn for_tests() -> Self {
        Self {
            cpu: "Test CPU".into(),
            model: None,
            arch: "x86_64".into(),
            logical_cores: 2,
            physical_cores: Some(2),
            simd: vec![],
            kernel_isa: "portable".into(),
            peak_gflops_core: 10.0,
            peak_gflops_all: 20.0,
            peak_gflops_core_128: 10.0,
            peak_gflops_all_128: 20.0,
            mem_read_gbs: None,
            peak_origin: PeakOrigin::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_model_comes_from_the_first_processor_block() {
        let text = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 26\nmodel\t\t: 2\nmodel name\t: AMD EPYC\n\nprocessor\t: 1\ncpu family\t: 9\nmodel\t\t: 9\n";
        assert_eq!(
            model_from_cpuinfo(text).as_deref(),
            Some("family 26 model 2")
        );
        // "model name" must not be taken for "model"; no family at all gives nothing.
        assert_eq!(model_from_cpuinfo("model name\t: X\nmodel\t: 3\n"), None);
    }

    #[test]
    fn an_all_core_peak_far_below_one_core_times_the_cores_is_implausible() {
        // The 48 against 95 of a busy 2-core machine, at one core's 48.
        assert!(!plausible(48.0, 48.2, 2));
        assert!(plausible(48.0, 93.2, 2));
        // A lower all-core clock on many cores is believable; one core is always.
        assert!(plausible(100.0, 4500.0, 64));
        assert!(plausible(100.0, 10.0, 1));
    }

    #[test]
    fn old_records_without_the_peak_origin_read_as_measured() {
        let mut m = MachineInfo::describe();
        let mut json = serde_json::to_value(&m).unwrap();
        let obj = json.as_object_mut().unwrap();
        for f in ["peak_source", "measured_at", "peak_method"] {
            assert!(obj.remove(f).is_some(), "{f} is written");
        }
        let back: MachineInfo = serde_json::from_value(json).unwrap();
        assert_eq!(back.peak_origin.peak_source, PeakSource::Measured);
        assert_eq!(back, m);
        m.peak_origin.peak_source = PeakSource::Cached;
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.contains("\"peak_source\":\"cached\""), "{text}");
    }
}
