//! Sampling CPU profiles with pprof-rs (SIGPROF timer, stacks of every thread, rayon workers
//! included).

use std::collections::HashMap;

use super::symbols::clean;
use super::{Profile, ProfileError};

/// Default sampling rate, Hz: about a thousand samples a second of CPU time (a prime, so the
/// timer does not beat in step with periodic work). The kernel timer may deliver fewer.
pub const DEFAULT_FREQUENCY: u32 = 997;

/// A running CPU profile. Only one can run in a process at a time.
pub struct CpuProfiler {
    guard: pprof::ProfilerGuard<'static>,
    frequency: u32,
    /// Started away from the main thread (the app's runner): the main thread's samples are
    /// then not the work profiled.
    off_main: bool,
}

impl CpuProfiler {
    /// Starts sampling every thread of the process at `frequency` Hz.
    pub fn start(frequency: u32) -> Result<Self, ProfileError> {
        let frequency = frequency.clamp(1, 10_000);
        // The profiler's buffers are not the program's: keep them out of memory profiles.
        let guard = super::alloc::untracked(|| {
            pprof::ProfilerGuardBuilder::default()
                .frequency(i32::try_from(frequency).unwrap_or(10_000))
                .blocklist(&["libc", "libgcc", "pthread", "vdso"])
                .build()
        })
        .map_err(|e| ProfileError::Start(e.to_string()))?;
        Ok(Self {
            guard,
            frequency,
            off_main: std::thread::current().name() != Some("main"),
        })
    }

    /// How many samples it holds so far (every thread's, the instruments' included), without
    /// resolving a symbol: cheap enough to ask between runs.
    #[must_use]
    pub fn samples_so_far(&self) -> u64 {
        super::alloc::untracked(|| {
            self.guard.report().build_unresolved().map_or(0, |r| {
                r.data
                    .values()
                    .map(|&c| u64::try_from(c).unwrap_or(0))
                    .sum()
            })
        })
    }

    /// How many of its samples so far are of the float64 check (see
    /// [`Profile::without_check`]): the symbols are resolved, so it is asked once, not
    /// between every run.
    #[must_use]
    pub fn check_samples_so_far(&self) -> u64 {
        super::alloc::untracked(|| {
            self.guard.report().build().map_or(0, |r| {
                r.data
                    .iter()
                    .filter(|(frames, _)| {
                        frames
                            .frames
                            .iter()
                            .flatten()
                            .any(|symbol| clean(&symbol.name()).contains(super::CHECK_FRAMES))
                    })
                    .map(|(_, &c)| u64::try_from(c).unwrap_or(0))
                    .sum()
            })
        })
    }

    /// Stops sampling and returns the stacks.
    pub fn finish(self) -> Result<Profile, ProfileError> {
        self.finish_over(None)
    }

    /// The same, with the CPU seconds the process used while it sampled (the caller's clock),
    /// from which the rate the timer really gave is worked out.
    pub fn finish_over(self, cpu_s: Option<f64>) -> Result<Profile, ProfileError> {
        super::alloc::untracked(|| self.finish_inner(cpu_s))
    }

    fn finish_inner(self, cpu_s: Option<f64>) -> Result<Profile, ProfileError> {
        let report = self
            .guard
            .report()
            .build()
            .map_err(|e| ProfileError::Report(e.to_string()))?;
        // Every sample the timer gave, the instruments' included: they used CPU time too.
        let all: i64 = report.data.values().copied().sum::<isize>() as i64;
        let measured_hz = cpu_s.filter(|&s| s >= 0.05).map(|s| all.max(0) as f64 / s);
        let main = if self.off_main {
            main_thread_name()
        } else {
            None
        };
        let mut merged: HashMap<Vec<String>, u64> = HashMap::new();
        for (frames, count) in &report.data {
            let mut stack = vec![clean(&frames.thread_name_or_id())];
            for frame in frames.frames.iter().rev() {
                for symbol in frame.iter().rev() {
                    stack.push(clean(&symbol.name()));
                }
            }
            // The app's own instruments (the memory and CPU samplers, input, the clock) are
            // not the rung's work: a sample of them only adds a tower to its flamegraph. Nor
            // is the main thread's: rungs run on threads of their own, and the app's main
            // thread draws the screen while they do.
            if is_instrument(&stack[0]) || main.as_deref() == Some(stack[0].as_str()) {
                continue;
            }
            // A jit thread's sample with no frame is in the code Cranelift generated: named,
            // so a picture has a bar to point at.
            if stack.len() == 1 && super::is_jit_thread(&stack[0]) {
                stack.push(super::JIT_CODE.to_string());
            }
            *merged.entry(stack).or_default() += u64::try_from(*count).unwrap_or(0);
        }
        let mut stacks: Vec<_> = merged.into_iter().filter(|(_, c)| *c > 0).collect();
        stacks.sort();
        Ok(Profile {
            frequency: self.frequency,
            stacks,
            measured_hz,
            // The runner says how many runs it sampled, and leaves its check out.
            runs: 0,
            check_samples: 0,
        })
    }
}

/// Threads that watch a run rather than do it: ladder's samplers, input, clock and signals.
const INSTRUMENTS: [&str; 6] = [
    "ladder-rss",
    "ladder-sampler",
    "ladder-input",
    "ladder-tick",
    "ladder-signals",
    "ladder-probe",
];

/// The main thread's name as the profiler sees it (the process's, `ladder`); None where it
/// cannot be told, or where it could be a worker's name.
fn main_thread_name() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let comm = std::fs::read_to_string("/proc/self/comm").ok()?;
        let name = comm.trim();
        (!name.is_empty() && !name.starts_with("ladder-")).then(|| name.to_string())
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Whether a stack's root (its thread's name) is one of ladder's instruments.
fn is_instrument(thread: &str) -> bool {
    INSTRUMENTS.contains(&thread)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_s_instruments_are_not_the_rung_s_work() {
        assert!(is_instrument("ladder-rss") && is_instrument("ladder-sampler"));
        // The runner and the pools it drives are.
        assert!(!is_instrument("ladder-runner"));
        assert!(!is_instrument("rayon-worker-0") && !is_instrument("ladder-drain"));
    }
}
