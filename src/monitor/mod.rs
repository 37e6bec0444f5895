//! Watching the process from beside it: resident memory, sampled on a thread of its own.
//!
//! Produces plain numbers; the runner and the (later) gauges read them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// Reads this process's resident set size.
pub struct RssProbe {
    sys: System,
    pid: Option<Pid>,
}

impl RssProbe {
    #[must_use]
    pub fn new() -> Option<Self> {
        let sys = System::new().ok()?;
        let pid = sysinfo::get_current_pid().ok();
        Some(Self { sys, pid })
    }

    /// Current resident bytes, or 0 where the platform does not tell.
    pub fn rss(&mut self) -> u64 {
        let Some(pid) = self.pid else { return 0 };
        self.sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            false,
            ProcessRefreshKind::nothing().with_memory(),
        );
        self.sys.process(pid).map_or(0, sysinfo::Process::memory)
    }
}

/// Bytes of memory available to new allocations, if the platform says.
#[must_use]
pub fn available_memory() -> Option<u64> {
    let mut sys = System::new().ok()?;
    sys.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    let avail = sys.available_memory();
    (avail > 0).then_some(avail)
}

/// Hands memory freed by finished work back to the system. glibc keeps what a thread freed in
/// that thread's arena, and each run's threads may get a fresh one: without this, a long session
/// of runs (the lab, re-running a slow step) grows by each run's peak until every arena holds
/// one. Called between runs, never during one, so no rung's time pays for it.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Samples RSS every `period` on its own thread until stopped; reports the peak.
pub struct PeakRss {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<u64>>,
}

impl PeakRss {
    #[must_use]
    pub fn start(period: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("ladder-rss".into())
            .spawn(move || {
                let Some(mut probe) = RssProbe::new() else {
                    return 0;
                };
                let mut peak = probe.rss();
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(period);
                    peak = peak.max(probe.rss());
                }
                peak.max(probe.rss())
            })
            .ok();
        Self { stop, handle }
    }

    /// Stops sampling and returns the peak seen (0 if sampling was impossible).
    #[must_use]
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().and_then(|h| h.join().ok()).unwrap_or(0)
    }
}

impl Drop for PeakRss {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// One reading of the machine and this process.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    /// Busy percentage of each logical core (0–100).
    pub cpu: Vec<f32>,
    /// Resident bytes of this process.
    pub rss: u64,
    /// Physical memory of the machine, bytes (0 if unknown).
    pub total_memory: u64,
    /// Resident bytes of the peer running now (all its processes), if one is.
    pub peer_rss: Option<u64>,
    /// Cores' worth of CPU other processes used since the last sample (the machine's busy
    /// time less this process's, see [`others`]); `None` while a peer runs (its processes
    /// are the run's own, counted only when it ends) or where the system does not say.
    pub elsewhere: Option<f64>,
}

/// Samples CPU and memory every `period` on its own thread and hands each [`Sample`] to a
/// sink (a channel sender, usually). Stops when dropped.
pub struct Sampler {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Sampler {
    pub fn spawn(period: Duration, sink: impl Fn(Sample) -> bool + Send + 'static) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("ladder-sampler".into())
            .spawn(move || {
                let Ok(mut sys) = System::new() else { return };
                let pid = sysinfo::get_current_pid().ok();
                sys.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
                let total_memory = sys.total_memory();
                sys.refresh_cpu_usage();
                let mut own_before = (own_cpu_time(), std::time::Instant::now());
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(period);
                    sys.refresh_cpu_usage();
                    let own_now = (own_cpu_time(), std::time::Instant::now());
                    let cores = sys.cpus().len().max(1) as f64;
                    let busy = f64::from(sys.global_cpu_usage()) / 100.0 * cores;
                    let elsewhere = match (own_before.0, own_now.0) {
                        (Some(a), Some(b)) if crate::peers::running_pid().is_none() => {
                            let wall = own_now.1.duration_since(own_before.1).as_secs_f64();
                            Some(others(busy, b.saturating_sub(a).as_secs_f64(), wall, cores))
                        }
                        _ => None,
                    };
                    own_before = own_now;
                    let rss = pid.map_or(0, |pid| {
                        sys.refresh_processes_specifics(
                            ProcessesToUpdate::Some(&[pid]),
                            false,
                            ProcessRefreshKind::nothing().with_memory(),
                        );
                        sys.process(pid).map_or(0, sysinfo::Process::memory)
                    });
                    // The peer's processes together, measured where it runs (under py-spy,
                    // the program py-spy runs); elsewhere its first process.
                    let peer_rss = crate::peers::running_pid().map(|p| {
                        if let Some(rss) = crate::peers::process::running_rss() {
                            return rss;
                        }
                        let p = sysinfo::Pid::from_u32(p);
                        sys.refresh_processes_specifics(
                            ProcessesToUpdate::Some(&[p]),
                            true,
                            ProcessRefreshKind::nothing().with_memory(),
                        );
                        sys.process(p).map_or(0, sysinfo::Process::memory)
                    });
                    let cpu = sys.cpus().iter().map(sysinfo::Cpu::usage).collect();
                    if !sink(Sample {
                        cpu,
                        rss,
                        total_memory,
                        peer_rss,
                        elsewhere,
                    }) {
                        break; // nobody is listening any more
                    }
                }
            })
            .ok();
        Self { stop, handle }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A time series that keeps only its newest `capacity` points (for gauges and sparklines).
#[derive(Clone, Debug, PartialEq)]
pub struct History<T> {
    capacity: usize,
    points: std::collections::VecDeque<T>,
}

impl<T: Copy> History<T> {
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            points: std::collections::VecDeque::with_capacity(capacity.max(1)),
        }
    }

    pub fn push(&mut self, v: T) {
        if self.points.len() == self.capacity {
            self.points.pop_front();
        }
        self.points.push_back(v);
    }

    #[must_use]
    pub fn last(&self) -> Option<T> {
        self.points.back().copied()
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.points.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    pub fn clear(&mut self) {
        self.points.clear();
    }

    /// The newest `n` points, oldest first.
    pub fn tail(&self, n: usize) -> impl Iterator<Item = T> + '_ {
        self.points
            .iter()
            .skip(self.points.len().saturating_sub(n))
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keeps_only_the_newest_points() {
        let mut h = History::new(3);
        for v in 1..=5 {
            h.push(v);
        }
        assert_eq!(h.len(), 3);
        assert_eq!(h.tail(10).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!(h.tail(2).collect::<Vec<_>>(), vec![4, 5]);
        assert_eq!(h.last(), Some(5));
    }
}

/// How busy the rest of the machine is over an interval: the machine's busy CPU time
/// (sysinfo, from the kernel's counters) less this process's own, in cores. A figure taken
/// while other programs compete for the cores is marked, not silently trusted.
pub struct OtherLoad {
    sys: Option<System>,
    /// The kernel's own counters where it has them (Linux): sysinfo does not refresh its
    /// figure over less than 200 ms, and would give the average since boot instead.
    ticks: Option<(u64, u64)>,
    own: Option<Duration>,
    wall: std::time::Instant,
}

/// The machine's busy and total CPU time so far, in the kernel's ticks (`/proc/stat`'s first
/// line: user, nice, system, idle, iowait, irq, softirq, steal). Steal is busy: another
/// machine had the cores.
fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    cpu_ticks_of(&stat)
}

/// Cores busy on average between two readings of [`cpu_ticks`] (0 when no tick passed).
fn busy_between((b0, t0): (u64, u64), (b1, t1): (u64, u64), cores: f64) -> f64 {
    if t1 <= t0 {
        return 0.0;
    }
    b1.saturating_sub(b0) as f64 / (t1 - t0) as f64 * cores
}

fn cpu_ticks_of(stat: &str) -> Option<(u64, u64)> {
    let fields = stat.lines().next()?.strip_prefix("cpu ")?;
    let v: Vec<u64> = fields
        .split_whitespace()
        .take(8)
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    if v.len() < 4 {
        return None;
    }
    let total: u64 = v.iter().sum();
    let idle = v[3] + v.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// The shortest interval judged: the kernel counts busy time in ticks of 10 ms or so, too
/// coarse to tell over less. A shorter run is judged over this long, the rest of it idle.
pub const MIN_LOAD_INTERVAL: Duration = Duration::from_millis(100);

impl OtherLoad {
    /// Starts watching.
    #[must_use]
    pub fn start() -> Self {
        let sys = System::new().ok().map(|mut s| {
            s.refresh_cpu_usage();
            s
        });
        Self {
            sys,
            ticks: cpu_ticks(),
            own: own_cpu_time(),
            wall: std::time::Instant::now(),
        }
    }

    /// Cores' worth of CPU used by other processes since [`OtherLoad::start`] (0.4: 40% of a
    /// core busy elsewhere); `extra_own_s` is CPU time of processes that count as ours (a
    /// peer's). A run shorter than [`MIN_LOAD_INTERVAL`] waits out the rest of it: most rungs
    /// take milliseconds, and a busy machine must be said of them too. `None` when the
    /// system does not say.
    #[must_use]
    pub fn finish(self, extra_own_s: f64) -> Option<f64> {
        self.sys.as_ref()?;
        // Without the kernel's counters, sysinfo's figure needs its own minimum interval.
        let least = if self.ticks.is_some() {
            MIN_LOAD_INTERVAL
        } else {
            MIN_LOAD_INTERVAL.max(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL + Duration::from_millis(10))
        };
        if let Some(rest) = least.checked_sub(self.wall.elapsed()) {
            std::thread::sleep(rest);
        }
        let wall = self.wall.elapsed();
        let mut sys = self.sys?;
        sys.refresh_cpu_usage();
        let cores = sys.cpus().len().max(1) as f64;
        let busy = match (self.ticks, cpu_ticks()) {
            (Some(start), Some(end)) if end.1 > start.1 => busy_between(start, end, cores),
            _ => f64::from(sys.global_cpu_usage()) / 100.0 * cores,
        };
        let own = own_cpu_time()?.checked_sub(self.own?)?.as_secs_f64() + extra_own_s;
        Some(others(busy, own, wall.as_secs_f64(), cores))
    }
}

/// Cores busy elsewhere: `busy` cores busy in all (averaged over `wall` seconds) less `own`
/// CPU seconds of ours, between 0 and `cores`.
#[must_use]
pub fn others(busy: f64, own: f64, wall: f64, cores: f64) -> f64 {
    if !(busy.is_finite() && own.is_finite() && wall > 0.0) {
        return 0.0;
    }
    (busy - own / wall).clamp(0.0, cores)
}

/// CPU time (user and system) this process has used, where the system says.
#[must_use]
pub fn own_cpu_time() -> Option<Duration> {
    #[cfg(unix)]
    {
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `usage` is a valid, writable rusage; RUSAGE_SELF asks about this process
        // and the call writes only `usage`.
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &raw mut usage) } != 0 {
            return None;
        }
        let tv = |t: libc::timeval| {
            Duration::new(
                u64::try_from(t.tv_sec).unwrap_or(0),
                u32::try_from(t.tv_usec).unwrap_or(0).saturating_mul(1000),
            )
        };
        Some(tv(usage.ru_utime) + tv(usage.ru_stime))
    }
    #[cfg(not(unix))]
    None
}

#[cfg(test)]
mod load_tests {
    use super::*;

    #[test]
    fn others_are_the_machine_s_busy_cores_less_our_own() {
        // 2 cores busy for 1 s, 1.6 s of CPU ours: 0.4 of a core elsewhere.
        assert!((others(2.0, 1.6, 1.0, 2.0) - 0.4).abs() < 1e-12);
        // Our own time counted in coarser ticks than the machine's never goes below 0.
        assert!(others(1.0, 1.2, 1.0, 2.0).abs() < f64::EPSILON);
        assert!(others(f64::NAN, 1.0, 1.0, 2.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_run_too_short_to_judge_is_judged_over_the_shortest_interval() {
        let probe = OtherLoad::start();
        let t = std::time::Instant::now();
        let elsewhere = probe.finish(0.0);
        assert!(t.elapsed() >= MIN_LOAD_INTERVAL, "waited out the interval");
        if cfg!(target_os = "linux") {
            assert!(elsewhere.is_some(), "judged, not left unsaid");
        }
        if let Some(l) = elsewhere {
            let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
            assert!((0.0..=cores).contains(&l), "{l}");
        }
    }

    #[test]
    fn the_kernel_s_counters_count_idle_and_iowait_as_idle_and_steal_as_busy() {
        let stat = "cpu  100 5 20 300 10 1 2 7 0 0\ncpu0 50 2 10 150 5 0 1 3 0 0\n";
        // Busy: user, nice, system, irq, softirq, steal; idle: idle, iowait.
        assert_eq!(cpu_ticks_of(stat), Some((135, 445)));
        assert_eq!(cpu_ticks_of("intr 1 2 3\n"), None);
        assert_eq!(cpu_ticks_of("cpu  1 x 3 4\n"), None);
    }

    #[test]
    fn busy_cores_are_of_the_interval_not_of_the_time_since_boot() {
        // Since boot: 400 of 600 ticks busy. Over the interval: 4 of 20 (a short run on a
        // quiet machine, which sysinfo's figure, not refreshed within 200 ms, read as 1.33).
        let (start, end) = ((400, 600), (404, 620));
        assert!((busy_between(start, end, 2.0) - 0.4).abs() < 1e-12);
        // No tick elapsed: nothing to say but that.
        assert!(busy_between(start, start, 2.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_busy_neighbour_thread_is_not_counted_as_elsewhere() {
        // Our own spinning thread is ours: what it burns must not read as another's load.
        let probe = OtherLoad::start();
        let t = std::time::Instant::now();
        let mut x = 0u64;
        while t.elapsed() < Duration::from_millis(300) {
            x = std::hint::black_box(x.wrapping_add(1));
        }
        if let Some(elsewhere) = probe.finish(0.0) {
            let cores = std::thread::available_parallelism().map_or(1, usize::from) as f64;
            assert!((0.0..=cores).contains(&elsewhere), "{elsewhere}");
        }
    }
}
