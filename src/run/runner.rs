//! The runner itself: set-up, the kernel block by block under the budget, extrapolation and
//! the check against the float64 reference, for one rung at a time.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{
    CancelToken, PROFILER_RESIDENT, Phase, RunConfig, RunEvent, RunReport, RunStatus,
    VerificationReport, fill_speedups, repeat,
};
use crate::machine::MachineInfo;
use crate::monitor::{OtherLoad, PeakRss};
use crate::profile::{CpuProfiler, Profile, ProfileError};
use crate::rungs::{Context, Neighbours, Output, OutputKind, Rung, SimMatrix};
use crate::workload::Workload;
use crate::workload::reference::{Reference, verify_rows, verify_topk};

/// The samples a profile gathers before a fast rung stops running again: enough that a
/// frame of 1% is a couple of samples, not a lone one.
pub const PROFILE_SAMPLES: u64 = 200;
/// The wall time a profile may add by running a fast rung again.
const PROFILE_MORE: Duration = Duration::from_millis(2500);
/// The most runs one profile samples.
const PROFILE_MAX_RUNS: u32 = 200;

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
    /// verification, whose frames tell them apart. With `more_runs`, a fast rung runs again,
    /// unseen, until the profile holds enough samples to read (see `profile_again`): for an
    /// export, not for the app's live runs, whose next rung waits.
    pub fn run_one_profiled(
        &self,
        index: usize,
        rung: &dyn Rung,
        events: &dyn Fn(RunEvent),
        cancel: &CancelToken,
        frequency: u32,
        more_runs: bool,
    ) -> (RunReport, Result<Profile, ProfileError>) {
        let mut probe = crate::monitor::RssProbe::new();
        let mut rss = || probe.as_mut().map_or(0, crate::monitor::RssProbe::rss);
        let before = rss();
        let cpu_before = crate::monitor::own_cpu_time();
        let profiler = CpuProfiler::start(frequency);
        PROFILER_RESIDENT.fetch_max(rss().saturating_sub(before), Ordering::Relaxed);
        let mut report = self.run_one(index, rung, events, cancel);
        let runs = if more_runs {
            self.profile_again(rung, &report, cancel, profiler.as_ref().ok())
        } else {
            self.profile_again(rung, &report, cancel, None)
        };
        let cpu_s = cpu_before
            .zip(crate::monitor::own_cpu_time())
            .map(|(a, b)| b.saturating_sub(a).as_secs_f64());
        let profile = profiler
            .and_then(|p| p.finish_over(cpu_s))
            .map(|p| Profile { runs, ..p }.without_check().without_instruments());
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

    /// Runs a fast rung again, unseen (no events), while the profile holds fewer than
    /// [`PROFILE_SAMPLES`] samples and another run, as long as the last, would end within
    /// [`PROFILE_MORE`]: one 2 ms run gives a flamegraph of two samples. Returns how many runs
    /// it sampled in all (a `--repeat`'s included). Not a Python peer's (its own process,
    /// profiled by py-spy), a run that did not complete or verify, or a rung whose runs keep
    /// something (the leak lesson's).
    fn profile_again(
        &self,
        rung: &dyn Rung,
        first: &RunReport,
        cancel: &CancelToken,
        profiler: Option<&CpuProfiler>,
    ) -> u32 {
        let sampled = first.repeat.as_ref().map_or(1, |r| {
            u32::try_from(r.runs.len()).unwrap_or(u32::MAX).max(1)
        });
        let Some(profiler) = profiler else {
            return sampled;
        };
        if first.peer.is_some()
            || first.status != RunStatus::Completed
            || !first.verification.as_ref().is_some_and(|v| v.passed)
            || !rung.rerun_is_harmless()
        {
            return sampled;
        }
        // A run takes about what the first took: set-up, kernel and its check.
        let last = Duration::from_secs_f64((first.setup_s + first.kernel_s).max(0.0));
        self.rerun_while_thin(rung, cancel, profiler, last, sampled, true)
    }

    /// Profiles a rung that has already run and verified, over runs of its own: the app's
    /// `f` on a picture too thin to read (these runs skip the float64 check).
    /// It runs at least once, then as [`Runner::profile_again`] does.
    ///
    /// # Errors
    /// The profiler could not start, or no run completed (cancelled, or it failed this time).
    pub fn profile_more(
        &self,
        rung: &dyn Rung,
        cancel: &CancelToken,
        frequency: u32,
    ) -> Result<Profile, ProfileError> {
        let cpu_before = crate::monitor::own_cpu_time();
        let profiler = CpuProfiler::start(frequency)?;
        let runs = self.rerun_while_thin(rung, cancel, &profiler, Duration::ZERO, 0, false);
        let cpu_s = cpu_before
            .zip(crate::monitor::own_cpu_time())
            .map(|(a, b)| b.saturating_sub(a).as_secs_f64());
        let profile = profiler.finish_over(cpu_s);
        crate::monitor::release_freed_memory();
        if runs == 0 {
            return Err(ProfileError::NoRun(if cancel.is_cancelled() {
                "cancelled".into()
            } else {
                format!("{} did not complete a run this time", rung.info().id)
            }));
        }
        profile.map(|p| Profile { runs, ..p }.without_check().without_instruments())
    }

    /// Runs `rung` again, unseen and unchecked, while `profiler` holds fewer than
    /// [`PROFILE_SAMPLES`] samples and another run, as long as the last (`last` before the
    /// first), would end within [`PROFILE_MORE`]. Returns `runs` plus the runs it completed.
    /// With `checked` (the first run's float64 check was sampled, and will be left out of the
    /// picture), its samples are counted once the count is reached, and made up for.
    fn rerun_while_thin(
        &self,
        rung: &dyn Rung,
        cancel: &CancelToken,
        profiler: &CpuProfiler,
        mut last: Duration,
        mut runs: u32,
        mut checked: bool,
    ) -> u32 {
        let started = Instant::now();
        let mut wanted = PROFILE_SAMPLES;
        while started.elapsed() + last <= PROFILE_MORE
            && runs < PROFILE_MAX_RUNS
            && !cancel.is_cancelled()
        {
            if profiler.samples_so_far() >= wanted {
                // Counting the check resolves the symbols: done once, when the count is first
                // reached.
                if !std::mem::take(&mut checked) {
                    break;
                }
                wanted += profiler.check_samples_so_far();
                continue;
            }
            let t = Instant::now();
            let again =
                self.run_once_whole_or_extra(0, rung, &|_| {}, cancel, self.config.budget, false);
            last = t.elapsed();
            if again.status != RunStatus::Completed {
                break;
            }
            runs += 1;
        }
        runs
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
        self.run_once_whole_or_extra(index, rung, events, cancel, budget, true)
    }

    /// [`Runner::run_once`], or a profile's extra run (not `whole`): its load elsewhere not
    /// judged (that waits 100 ms at least, longer than a fast rung runs) and its output not
    /// checked (the first run was: at a small n the check would outweigh the kernel).
    fn run_once_whole_or_extra(
        &self,
        index: usize,
        rung: &dyn Rung,
        events: &dyn Fn(RunEvent),
        cancel: &CancelToken,
        budget: Duration,
        whole: bool,
    ) -> RunReport {
        let mut report = self.run_and_verify(index, rung, events, cancel, budget, whole);
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
        whole: bool,
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
        let load = whole.then(OtherLoad::start);
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
        report.load_elsewhere =
            load.and_then(|l| l.finish(report.peer.as_ref().map_or(0.0, |p| p.cpu_s)));
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

            if !whole {
                return report;
            }
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
