//! The machine a run was measured on: CPU, SIMD features, and the measured roofline
//! (float32 FMA peak per core and for all cores, memory read bandwidth).

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::rungs::native::{Isa, fma_peak_probe, fma_peak_probe_128};

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

/// Iterations of the peak loop `probe` that take about `target` on this core.
fn calibrate(probe: impl Fn(u64) -> f64, target: Duration) -> u64 {
    let mut iters: u64 = 1 << 16;
    loop {
        let t = Instant::now();
        std::hint::black_box(probe(iters));
        let el = t.elapsed();
        if el >= Duration::from_millis(10) || iters >= 1 << 34 {
            let scale = target.as_secs_f64() / el.as_secs_f64().max(1e-9);
            return ((iters as f64 * scale) as u64).max(1);
        }
        iters *= 4;
    }
}

/// Peak FLOP/s of `threads` cores running `probe` at once (best of `rounds`).
fn peak_on(
    probe: impl Fn(u64) -> f64 + Copy + Send,
    threads: usize,
    iters: u64,
    rounds: usize,
) -> f64 {
    let mut best: f64 = 0.0;
    for _ in 0..rounds {
        let total: f64 = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|_| s.spawn(move || probe(iters)))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or(0.0)).sum()
        });
        best = best.max(total);
    }
    best
}

/// Read bandwidth with `threads` threads summing disjoint parts of a 256 MiB buffer.
fn read_bandwidth(threads: usize) -> f64 {
    const WORDS: usize = 32 << 20; // 256 MiB of u64
    let buf: Vec<u64> = (0..WORDS as u64).collect();
    let chunk = WORDS.div_ceil(threads.max(1));
    let mut best: f64 = 0.0;
    for _ in 0..3 {
        let t = Instant::now();
        let sum: u64 = std::thread::scope(|s| {
            let hs: Vec<_> = buf
                .chunks(chunk)
                .map(|c| s.spawn(move || c.iter().fold(0u64, |a, &b| a.wrapping_add(b))))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap_or(0)).sum()
        });
        std::hint::black_box(sum);
        best = best.max((WORDS * 8) as f64 / t.elapsed().as_secs_f64());
    }
    best / 1e9
}

impl MachineInfo {
    /// Probes the machine. `thorough` spends about two seconds (longer peak runs, memory
    /// bandwidth); otherwise a quick peak measurement of about a quarter second.
    #[must_use]
    pub fn probe(thorough: bool) -> Self {
        Self::probe_with(thorough, thorough)
    }

    /// The thorough peak measurement without the memory bandwidth: for benchmarks, whose
    /// ratios to the peak must not move with a noisy quick measurement.
    #[must_use]
    pub fn probe_peak_thorough() -> Self {
        Self::probe_with(true, false)
    }

    fn probe_with(thorough: bool, bandwidth: bool) -> Self {
        let isa = Isa::detect();
        let logical = std::thread::available_parallelism().map_or(1, usize::from);
        let target = Duration::from_millis(if thorough { 150 } else { 40 });
        let rounds = if thorough { 5 } else { 2 };
        let probe = move |iters| fma_peak_probe(isa, iters);
        let iters = calibrate(probe, target);
        let core = peak_on(probe, 1, iters, rounds);
        let all = peak_on(probe, logical, iters, rounds);
        let iters = calibrate(fma_peak_probe_128, target);
        let core_128 = peak_on(fma_peak_probe_128, 1, iters, rounds);
        let all_128 = peak_on(fma_peak_probe_128, logical, iters, rounds);
        Self {
            cpu: cpu_brand(),
            model: cpu_model(),
            arch: std::env::consts::ARCH.to_string(),
            logical_cores: logical,
            physical_cores: sysinfo::System::physical_core_count().ok(),
            simd: simd_features(),
            kernel_isa: isa.to_string(),
            peak_gflops_core: core / 1e9,
            peak_gflops_all: all / 1e9,
            peak_gflops_core_128: core_128 / 1e9,
            peak_gflops_all_128: all_128 / 1e9,
            mem_read_gbs: bandwidth.then(|| read_bandwidth(logical)),
        }
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
}
