//! The runner: drives rungs on a worker thread, block by block, and measures them honestly.
//!
//! For each rung: set-up (timed apart), then the kernel over blocks of rows sized to about
//! [`RunConfig::block_target`] each, so that progress flows, cancellation is quick and a slow
//! rung stops at the time budget. A rung stopped by the budget has its full time extrapolated
//! from the arithmetic it did (a triangle row near the top costs more than one near the
//! bottom) and is always marked extrapolated. Then its output is checked against the float64
//! reference. Everything is reported through [`RunEvent`]s and ends in a [`RunReport`].
//!
//! A rung asked to run more than once ([`RunConfig::repeat`]) runs that many times in a row;
//! its report's time is the median, with the spread and every run kept (see [`repeat`] for
//! what the budget, a failure and a cancel do to the repeats).

pub mod bench;
pub mod limits;
pub mod repeat;
mod report;
pub mod scale;
pub mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub use report::{
    LOADED_CORES, OneRun, Repeats, RunReport, RunStatus, VerificationReport, fill_speedups,
};

use crate::machine::MachineInfo;
use crate::monitor::{OtherLoad, PeakRss};
use crate::profile::{CpuProfiler, Profile, ProfileError};
use crate::rungs::{Context, Neighbours, Output, OutputKind, Rung, SimMatrix};
use crate::workload::reference::{Reference, SamplePlan, verify_rows, verify_topk};
use crate::workload::{Workload, human_bytes};

/// The memory pprof's sample tables keep resident once a profiler has started (about 180 MB,
/// for the life of the process): left out of a profiled rung's peak, which would otherwise
/// be the profiler's more than the rung's.
static PROFILER_RESIDENT: AtomicU64 = AtomicU64::new(0);

/// The resident bytes this process holds for the profiler (its symbol tables), left out of
/// every profiled rung's peak RSS: a view of the process's own RSS names it, so the two agree.
#[must_use]
pub fn profiler_resident() -> u64 {
    PROFILER_RESIDENT.load(Ordering::Relaxed)
}

/// Default time budget per rung: keeps the whole default ladder near half a minute on 2 cores.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(8);

/// Neighbours per row for the top-k rungs, unless told otherwise.
pub const DEFAULT_K: usize = 10;

/// How to run.
#[derive(Clone, Debug)]
pub struct RunConfig {
    /// A rung still running after this much kernel time stops and is extrapolated.
    pub budget: Duration,
    /// Threads for the threaded rungs.
    pub threads: usize,
    /// Aim for blocks of rows that take about this long.
    pub block_target: Duration,
    /// Neighbours per row for the top-k rungs.
    pub k: usize,
    pub verify: SamplePlan,
    /// Runs of each rung ([`Runner::run_one`]): the time reported is their median.
    pub repeat: usize,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            budget: DEFAULT_BUDGET,
            threads: Context::default().threads,
            block_target: Duration::from_millis(40),
            k: DEFAULT_K,
            verify: SamplePlan::default(),
            repeat: 1,
        }
    }
}

/// What a rung is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Setup,
    Kernel,
    Verify,
}

/// Messages from the runner's thread.
#[derive(Clone, Debug)]
pub enum RunEvent {
    /// Rung `index` (in the list given) entered a phase.
    Phase {
        index: usize,
        rung: &'static str,
        phase: Phase,
    },
    /// Rows done so far in the kernel.
    Progress {
        index: usize,
        rows_done: usize,
        rows_total: usize,
        /// Share of the rung's arithmetic done (differs from rows for triangle rungs).
        work_done: f64,
        kernel_elapsed: Duration,
    },
    /// Rung `index` starts run `run` (from 0) of the `runs` asked for, within `budget` of
    /// kernel time. Sent before each run of a rung run more than once.
    Repeat {
        index: usize,
        run: usize,
        runs: usize,
        budget: Duration,
    },
    Finished(Box<RunReport>),
}

/// Shared flag that asks the runner to stop at the next block boundary.
#[derive(Clone, Debug, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// The flag itself, for code outside this module that must watch it (a peer's process).
    #[must_use]
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.0)
    }

    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// Clears the flag (before the next rung).
    pub fn reset(&self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// Why a run cannot start.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(
        "n = {n} needs {need} for the full {n} × {n} similarity matrix (n² × 4 bytes) plus working copies, \
         but only {avail} of memory is available; use a smaller --n (about {max_n} fits here), \
         or ask for each row's top k instead (--rungs topk), which needs no n × n matrix"
    )]
    TooLarge {
        n: usize,
        need: String,
        avail: String,
        max_n: usize,
    },
    #[error("n = {n} is too large: n² × 4 bytes overflows 64 bits; use a smaller --n")]
    Overflow { n: usize },
    #[error(
        "{n} vectors of dimension {d} need {need} (with the reference's float64 copy), but only \
         {avail} of memory is available; use a smaller --n or --d"
    )]
    VectorsTooLarge {
        n: usize,
        d: usize,
        need: String,
        avail: String,
    },
}

/// Bytes a full-matrix run of n vectors of dimension d needs: S, plus the input and the
/// largest working copy a rung makes (the naive rung's float64 rows: twice the input).
#[must_use]
pub fn bytes_needed(n: usize, d: usize) -> Option<u64> {
    let s = Workload::full_matrix_bytes(n)?;
    let x = (n as u64).checked_mul(d as u64)?.checked_mul(4)?;
    s.checked_add(x.checked_mul(3)?)
}

/// Refuses, up front, a size whose output will not fit in `available` bytes.
pub fn check_fits(n: usize, d: usize, available: Option<u64>) -> Result<(), RunError> {
    let need = bytes_needed(n, d).ok_or(RunError::Overflow { n })?;
    let Some(avail) = available else {
        return Ok(());
    };
    // Keep a tenth in reserve for everything else on the machine.
    let usable = avail - avail / 10;
    if need <= usable {
        return Ok(());
    }
    let max_n = ((usable as f64 / 4.0).sqrt() as usize / 1000 * 1000).max(1);
    Err(RunError::TooLarge {
        n,
        need: human_bytes(need),
        avail: human_bytes(avail),
        max_n,
    })
}

/// Refuses, up front, vectors that will not fit in `available` bytes (every rung needs them,
/// whatever its output: the top-k and index rungs too), with the reference's float64 copy.
pub fn check_vectors_fit(n: usize, d: usize, available: Option<u64>) -> Result<(), RunError> {
    // float32 vectors, a float64 copy for the reference, and one working copy.
    let need = (n as u64)
        .checked_mul(d as u64)
        .and_then(|x| x.checked_mul(16))
        .ok_or(RunError::Overflow { n })?;
    let Some(avail) = available else {
        return Ok(());
    };
    if need <= avail - avail / 10 {
        return Ok(());
    }
    Err(RunError::VectorsTooLarge {
        n,
        d,
        need: human_bytes(need),
        avail: human_bytes(avail),
    })
}

/// Runs rungs one after another over one workload.
pub struct Runner {
    workload: Arc<Workload>,
    reference: Arc<Reference>,
    machine: Arc<MachineInfo>,
    config: RunConfig,
}

impl Runner {
    /// Builds the float64 reference for `workload` (about n·d operations).
    #[must_use]
    pub fn new(workload: Arc<Workload>, machine: Arc<MachineInfo>, config: RunConfig) -> Self {
        let reference = Arc::new(Reference::new(&workload.x));
        Self {
            workload,
            reference,
            machine,
            config,
        }
    }

    /// The same workload, reference and machine with other settings (budget, threads).
    #[must_use]
    pub fn reconfigured(&self, config: RunConfig) -> Self {
        Self {
            workload: Arc::clone(&self.workload),
            reference: Arc::clone(&self.reference),
            machine: Arc::clone(&self.machine),
            config,
        }
    }

    /// The settings it runs with.
    #[must_use]
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    #[must_use]
    pub fn workload(&self) -> &Workload {
        &self.workload
    }

    /// Runs `rungs` in order on the calling thread, sending events as it goes, and returns
    /// the reports with speedups filled in. Cancelling stops the current rung and skips the rest.
    #[must_use]
    pub fn run_all(
        &self,
        rungs: &[Box<dyn Rung>],
        events: &dyn Fn(RunEvent),
        cancel: &CancelToken,
    ) -> Vec<RunReport> {
        let mut reports = Vec::with_capacity(rungs.len());
        for (index, rung) in rungs.iter().enumerate() {
            let report = self.run_one(index, rung.as_ref(), events, cancel);
            // A cancel during a later run of a repeated rung keeps the runs before it, but
            // stops the rest all the same.
            let stop = report.status == RunStatus::Cancelled || cancel.is_cancelled();
            reports.push(report);
            if stop {
                break;
            }
        }
        fill_speedups(&mut reports);
        for r in &reports {
            events(RunEvent::Finished(Box::new(r.clone())));
        }
        reports
    }

    /// Runs one rung under the CPU profiler (sampling every thread at `frequency` Hz).
    /// The report is the same as [`Runner::run_one`]'s; the profile covers set-up, kernel and
    /// verification, whose frames tell them apart.
    pub fn run_one_profiled(
        &self,
        index: usize,
        rung: &dyn Rung,
        events: &dyn Fn(RunEvent),
        cancel: &CancelToken,
        frequency: u32,
    ) -> (RunReport, Result<Profile, ProfileError>) {
        let mut probe = crate::monitor::RssProbe::new();
        let mut rss = || probe.as_mut().map_or(0, crate::monitor::RssProbe::rss);
        let before = rss();
        let cpu_before = crate::monitor::own_cpu_time();
        let profiler = CpuProfiler::start(frequency);
        PROFILER_RESIDENT.fetch_max(rss().saturating_sub(before), Ordering::Relaxed);
        let mut report = self.run_one(index, rung, events, cancel);
        let cpu_s = cpu_before
            .zip(crate::monitor::own_cpu_time())
            .map(|(a, b)| b.saturating_sub(a).as_secs_f64());
        let profile = profiler.and_then(|p| p.finish_over(cpu_s));
        // A peer's peak is its own process's; ours holds the profiler's tables too.
        if report.peer.is_none() {
            report.peak_rss_bytes = report
                .peak_rss_bytes
                .saturating_sub(PROFILER_RESIDENT.load(Ordering::Relaxed));
        }
        // Reading the symbols left garbage the next rung's peak need not carry.
        crate::monitor::release_freed_memory();
        (report, profile)
    }

    /// The kernel time each run may take before it stops and is extrapolated.
    #[must_use]
    pub fn budget(&self) -> Duration {
        self.config.budget
    }

    /// Runs one rung as many times as [`RunConfig::repeat`] says, and reports the median
    /// (speedups are left empty: they need the others). See [`repeat`] for the budget of a
    /// rung the budget stopped, and what a failure or a cancel does.
    #[must_use]
    pub fn run_one(
        &self,
        index: usize,
        rung: &dyn Rung,
        events: &dyn Fn(RunEvent),
        cancel: &CancelToken,
    ) -> RunReport {
        let asked = self.config.repeat.max(1);
        if asked == 1 {
            return self.run_once(index, rung, events, cancel, self.config.budget);
        }
        let mut runs = Vec::with_capacity(asked);
        let mut budget = self.config.budget;
        let mut shared = None;
        for run in 0..asked {
            if cancel.is_cancelled() {
                break;
            }
            events(RunEvent::Repeat {
                index,
                run,
                runs: asked,
                budget,
            });
            let report = self.run_once(index, rung, events, cancel, budget);
            let end = repeat::ends_repeats(&report);
            if run == 0 && report.extrapolated {
                budget = repeat::shared_budget(self.config.budget, asked);
                shared = Some(budget.as_secs_f64());
            }
            runs.push(report);
            if end {
                break;
            }
        }
        let cancelled = (cancel.is_cancelled() && runs.len() < asked)
            || runs.iter().any(|r| r.status == RunStatus::Cancelled);
        repeat::combine(&runs, asked, cancelled, shared)
    }

    /// Runs one rung once within `budget` of kernel time (speedups are left empty).
    #[must_use]
    pub fn run_once(
        &self,
        index: usize,
        rung: &dyn Rung,
        events: &dyn Fn(RunEvent),
        cancel: &CancelToken,
        budget: Duration,
    ) -> RunReport {
        let mut report = self.run_and_verify(index, rung, events, cancel, budget);
        // Its output and buffers are dropped by now: once handed back, what stays resident is
        // what the run left behind (glibc would otherwise keep each run's freed memory in the
        // arena of the thread that ran it, and every run would seem to leak).
        crate::monitor::release_freed_memory();
        report.rss_after_bytes = crate::monitor::RssProbe::new().map_or(0, |mut p| p.rss());
        report
    }

    fn run_and_verify(
        &self,
        index: usize,
        rung: &dyn Rung,
        events: &dyn Fn(RunEvent),
        cancel: &CancelToken,
        budget: Duration,
    ) -> RunReport {
        let x = &self.workload.x;
        let (n, d) = (x.n(), x.d());
        let info = rung.info();
        let ctx = Context {
            threads: self.config.threads.max(1),
            budget,
            cancel: Some(cancel.flag()),
        };
        let threads = rung.threads(&ctx);
        let phase = |phase| {
            events(RunEvent::Phase {
                index,
                rung: info.id,
                phase,
            });
        };
        let mut report = RunReport::new(&info, threads, n);

        phase(Phase::Setup);
        let rss = PeakRss::start(Duration::from_millis(10));
        let t_setup = Instant::now();
        let mut kernel = match rung.prepare(x, &ctx) {
            Ok(k) => k,
            Err(e) => {
                report.status = match e {
                    crate::rungs::RungError::Unavailable(why) => RunStatus::Unavailable(why),
                    _ if cancel.is_cancelled() => RunStatus::Cancelled,
                    e => RunStatus::Failed(e.to_string()),
                };
                report.peak_rss_bytes = rss.finish();
                return report;
            }
        };
        let mut out = match rung.output() {
            OutputKind::Full => Output::Full(SimMatrix::new(n)),
            OutputKind::TopK => Output::TopK(Neighbours::new(n, self.config.k)),
        };
        report.setup_s = t_setup.elapsed().as_secs_f64();
        report.compile = kernel.compile();

        phase(Phase::Kernel);
        let load = OtherLoad::start();
        let align = rung.row_align().max(1);
        let total_flops = rung.flops(0..n, n, d);
        let mut rows_done = 0;
        let mut block = align;
        let mut kernel_time = Duration::ZERO;
        while rows_done < n {
            if cancel.is_cancelled() {
                report.status = RunStatus::Cancelled;
                break;
            }
            if kernel_time >= budget {
                report.status = RunStatus::Extrapolated;
                break;
            }
            let end = (rows_done + block).min(n);
            let t = Instant::now();
            kernel.rows(rows_done..end, &mut out);
            // A peer's process start and imports are set-up, not kernel.
            let overhead = kernel.take_overhead();
            let took = t.elapsed().saturating_sub(overhead);
            report.setup_s += overhead.as_secs_f64();
            if let Some(why) = kernel.failure() {
                // A peer killed because the user cancelled did not fail.
                report.status = if cancel.is_cancelled() {
                    RunStatus::Cancelled
                } else {
                    RunStatus::Failed(why)
                };
                break;
            }
            kernel_time += took;
            // Size the next block to take about block_target (for a rung whose calls cost a
            // process, the rest of the budget), from this block's rate.
            let per_row = took.as_secs_f64() / (end - rows_done) as f64;
            let target = if rung.probe_first() {
                budget.saturating_sub(kernel_time)
            } else {
                self.config.block_target
            };
            let want = (target.as_secs_f64() / per_row.max(1e-9)) as usize;
            block = (want / align * align).clamp(align, n.div_ceil(align) * align);
            rows_done = end;
            events(RunEvent::Progress {
                index,
                rows_done,
                rows_total: n,
                work_done: rung.flops(0..rows_done, n, d) / total_flops,
                kernel_elapsed: kernel_time,
            });
        }
        report.peer = kernel.peer_stats();
        // A peer's processes are the rung's own work, not load from elsewhere.
        report.load_elsewhere = load.finish(report.peer.as_ref().map_or(0.0, |p| p.cpu_s));
        if let Some(c) = report.peer.as_ref().and_then(|p| p.compile_s) {
            // A peer's JIT (Numba) compiles inside its set-up: shown apart, like the jit rung's.
            report.compile = Some(crate::rungs::Compile {
                seconds: c,
                cached: false,
            });
        }
        // A program outside the process computed only the rows its budget allowed, from the
        // first: its last rows, run once more untimed, are checked too, so code right on the
        // first rows and wrong on the rest does not pass.
        let tail = (matches!(report.status, RunStatus::Extrapolated)
            && rung.probe_first()
            && matches!(out, Output::Full(_))
            && !cancel.is_cancelled())
        .then(|| n.saturating_sub(align).max(rows_done)..n)
        .filter(|t| !t.is_empty());
        if let Some(t) = &tail {
            kernel.rows(t.clone(), &mut out);
            let _ = kernel.take_overhead();
            if let Some(why) = kernel.failure() {
                report.status = if cancel.is_cancelled() {
                    RunStatus::Cancelled
                } else {
                    RunStatus::Failed(format!(
                        "on its last rows ({}..{n}, run after the budget to check them): {why}",
                        t.start
                    ))
                };
            }
        }
        drop(kernel);
        report.peak_rss_bytes = rss.finish();
        if let Some(p) = &report.peer {
            // The peer's memory is its own process's, not ours.
            report.peak_rss_bytes = p.peak_rss_bytes;
        }
        report.rows_done = rows_done;
        report.kernel_s = kernel_time.as_secs_f64();

        // A cancelled run is not timed or checked: the user asked it to stop, now.
        let stopped = matches!(report.status, RunStatus::Cancelled | RunStatus::Failed(_));
        if rows_done > 0 && !stopped {
            let done_flops = rung.flops(0..rows_done, n, d);
            report.extrapolated = rows_done < n;
            report.estimated_s = report.kernel_s * total_flops / done_flops;
            let t = report.estimated_s.max(1e-12);
            report.pairs_per_s = (n as f64 * n as f64) / t;
            report.gflops_effective = 2.0 * n as f64 * n as f64 * d as f64 / t / 1e9;
            report.gflops_work = done_flops / report.kernel_s.max(1e-12) / 1e9;
            // An index's arithmetic depends on the data: it has no share of the peak to show.
            report.peak_pct = if rung.approximate() {
                0.0
            } else {
                100.0 * report.gflops_work
                    / self.machine.peak_gflops_at(threads, rung.vector_bits())
            };

            phase(Phase::Verify);
            let v = match &out {
                Output::Full(s) => {
                    let mut v = verify_rows(
                        x,
                        &self.reference,
                        s.as_slice(),
                        rows_done,
                        self.config.verify,
                    );
                    if let Some(t) = tail.clone() {
                        crate::workload::reference::verify_row_range(
                            x,
                            &self.reference,
                            s.as_slice(),
                            t,
                            &mut v,
                        );
                    }
                    v
                }
                Output::TopK(t) => verify_topk(
                    x,
                    &self.reference,
                    t.k(),
                    rows_done,
                    &|i| t.row(i),
                    self.config.verify,
                    rung.approximate(),
                ),
            };
            report.verification = Some(VerificationReport::from(&v));
        }
        report
    }
}
