//! The FMA peak and the memory bandwidth, measured: best-of-trials timing per second of each
//! thread's CPU time, the all-core figure checked against one core's.

use std::time::{Duration, Instant};

/// CPU time this thread has run, where the system says (Linux); `None` elsewhere.
pub(super) fn thread_cpu_time() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec and the clock id is a constant Linux has
        // always had; the call writes only `ts`.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) };
        (rc == 0).then(|| {
            Duration::new(
                u64::try_from(ts.tv_sec).unwrap_or(0),
                u32::try_from(ts.tv_nsec).unwrap_or(0),
            )
        })
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// FLOP/s of one run of `flops` (a peak loop returning the FLOPs it did) on this thread: per
/// second of the thread's CPU time where the system counts it, so that time spent descheduled
/// (another process on the core) does not count against the machine; else per wall second.
fn rate(flops: impl Fn(u64) -> f64, iters: u64) -> f64 {
    let (wall, cpu) = (Instant::now(), thread_cpu_time());
    let done = std::hint::black_box(flops(iters));
    let wall = wall.elapsed();
    let ran = cpu
        .zip(thread_cpu_time())
        .and_then(|(a, b)| b.checked_sub(a));
    let secs = match ran {
        // A CPU clock that did not move, or moved more than the wall, falls back to the wall.
        Some(ran) if !ran.is_zero() && ran <= wall + Duration::from_millis(5) => ran.as_secs_f64(),
        _ => wall.as_secs_f64(),
    };
    done / secs.max(1e-9)
}

/// Iterations of the peak loop `flops` that take about `target` on this core.
fn calibrate(flops: impl Fn(u64) -> f64, target: Duration) -> u64 {
    let mut iters: u64 = 1 << 16;
    loop {
        let t = Instant::now();
        std::hint::black_box(flops(iters));
        let el = t.elapsed();
        if el >= Duration::from_millis(10) || iters >= 1 << 34 {
            let scale = target.as_secs_f64() / el.as_secs_f64().max(1e-9);
            return ((iters as f64 * scale) as u64).max(1);
        }
        iters *= 4;
    }
}

/// One trial of `threads` threads running `flops` at once: their summed FLOP/s and the best
/// thread's.
fn trial(flops: impl Fn(u64) -> f64 + Copy + Send, threads: usize, iters: u64) -> (f64, f64) {
    let rates: Vec<f64> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| s.spawn(move || rate(flops, iters)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(0.0)).collect()
    });
    (
        rates.iter().sum(),
        rates.iter().copied().fold(0.0, f64::max),
    )
}

/// One core's and `threads` threads' peak FLOP/s for `flops`: the best of `trials` rounds,
/// since a trial can only be slowed (a busy neighbour), never sped up. Each round runs one
/// thread, then all of them, so both figures' trials are spread over the whole measurement
/// (a neighbour busy for a few hundred milliseconds spoils a few trials of each, not all of
/// one); and one core's figure is also the best single thread of the all-core trials, which
/// ran on every core, not only on the one the OS chose for the lone thread.
fn peaks_on(
    flops: impl Fn(u64) -> f64 + Copy + Send,
    threads: usize,
    iters: u64,
    trials: usize,
) -> (f64, f64) {
    let (mut core, mut all): (f64, f64) = (0.0, 0.0);
    for _ in 0..trials {
        core = core.max(trial(flops, 1, iters).0);
        let (sum, best) = trial(flops, threads, iters);
        all = all.max(sum);
        core = core.max(best);
    }
    (core, all)
}

/// The all-core figure is implausible below this share of one core's times the cores that
/// have their own FMA units (hyper-threads share them); real all-core clocks stay far above.
pub const PLAUSIBLE_SCALING: f64 = 0.6;

/// Re-measurements of an implausible all-core figure before it is kept as it is.
const REMEASURES: usize = 3;

/// One core's and all cores' peak for `flops` (FLOP/s). The all-core figure is measured
/// again, after a pause, while it is implausible against one core's (see
/// [`PLAUSIBLE_SCALING`]), and capped at one core's times `fma_cores`: threads counted by
/// their own CPU time may not have run at the same moment, and two hyper-threads that took
/// turns must not count as two cores. Returns them and how many re-measurements it took.
pub(super) fn core_and_all(
    flops: impl Fn(u64) -> f64 + Copy + Send,
    logical: usize,
    fma_cores: usize,
    target: Duration,
    trials: usize,
) -> (f64, f64, usize) {
    let iters = calibrate(flops, target);
    let (mut core, mut all) = peaks_on(flops, logical, iters, trials);
    let mut again = 0;
    while !plausible(core, all, fma_cores) && again < REMEASURES {
        // Give whatever took the cores a moment to finish.
        std::thread::sleep(Duration::from_millis(100));
        let (c, a) = peaks_on(flops, logical, iters, trials);
        (core, all) = (core.max(c), all.max(a));
        again += 1;
    }
    (core, all.min(core * fma_cores as f64), again)
}

/// Whether `all` is believable for `fma_cores` cores that each reach `core`.
#[must_use]
pub fn plausible(core: f64, all: f64, fma_cores: usize) -> bool {
    fma_cores <= 1 || all >= PLAUSIBLE_SCALING * core * fma_cores as f64
}

/// Read bandwidth with `threads` threads summing disjoint parts of a 256 MiB buffer.
pub(super) fn read_bandwidth(threads: usize) -> f64 {
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
