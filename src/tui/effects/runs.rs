//! Starting runs on the worker: a rung or peer of the app's rows, the scaling sweep, and a
//! lab step's quick check.

use std::sync::Arc;

use super::{Effects, Event, Msg};
use crate::monitor::available_memory;
use crate::run::{CancelToken, RunConfig, Runner};
use crate::rungs;
use crate::tui::model::SCALE_RUNGS;
use crate::workload::Workload;

impl Effects {
    /// Runs row `index` (a rung of ours or a peer) with `config`, on the worker.
    pub(super) fn start_run(&mut self, index: usize, config: RunConfig) {
        let Some(runner) = &self.runner else {
            let msg = self.not_run(index, "the workload is not ready yet".into());
            let _ = self.tx.send(Event::App(msg));
            return;
        };
        let runner = runner.reconfigured(config);
        if let Some(w) = self.worker.take() {
            let _ = w.join(); // the previous run has already reported its end
        }
        if self.runs_mark.is_none() {
            self.runs_mark = Some(crate::profile::alloc::mark());
        }
        self.cancel.reset();
        let cancel = self.cancel.clone();
        let tx = self.tx.clone();
        let peers = self.peers.clone();
        let lab = self.lab;
        self.worker = self.spawn(
            "ladder-runner",
            move || {
                let send = |e| {
                    let _ = tx.send(Event::App(Msg::Run(e)));
                };
                let builtin: Vec<Box<dyn rungs::Rung>> =
                    rungs::ladder().into_iter().chain(rungs::extras()).collect();
                let (report, profile) = if index < builtin.len() {
                    let rung = &builtin[index];
                    // Every run is profiled (about 1% of its time; see the README), so
                    // `f` can show where the time went.
                    let (report, profile) = runner.run_one_profiled(
                        index,
                        rung.as_ref(),
                        &send,
                        &cancel,
                        crate::profile::DEFAULT_FREQUENCY,
                        false,
                    );
                    (report, profile.ok())
                } else {
                    let Some(spec) = peers.into_iter().nth(index - builtin.len()) else {
                        // Not one of the app's rows: nothing to run or to report.
                        return;
                    };
                    // A lab step's profile: the student's own function, not the harness.
                    let focus = lab.then(|| spec.file.clone());
                    run_peer(&runner, index, spec, focus.as_deref(), &send, &cancel)
                };
                // A cancelled run's samples are of a part of it: `f` and `d` keep
                // showing the last whole run's.
                if let Some(p) =
                    profile.filter(|_| report.status != crate::run::RunStatus::Cancelled)
                {
                    let _ = tx.send(Event::App(Msg::Profiled {
                        rung: report.rung.clone(),
                        profile: Arc::new(p),
                    }));
                }
                let _ = tx.send(Event::App(Msg::RungFinished(Box::new(report))));
            },
            |why| self.not_run(index, why),
        );
    }

    /// Profiles rung `index` of ours again over runs of its own, on the worker (see
    /// [`crate::run::Runner::profile_more`]).
    pub(super) fn start_resample(&mut self, index: usize, config: RunConfig) {
        let rung = rungs::ladder()
            .into_iter()
            .chain(rungs::extras())
            .nth(index);
        let (Some(runner), Some(rung)) = (&self.runner, rung) else {
            // Not one of our rungs, or no workload: there is nothing to run again.
            let _ = self.tx.send(Event::App(Msg::Resampled {
                rung: String::new(),
                profile: Err("there is nothing to run again".into()),
                cancelled: false,
            }));
            return;
        };
        let id = rung.info().id.to_string();
        if !rung.rerun_is_harmless() {
            let _ = self.tx.send(Event::App(Msg::Resampled {
                rung: id,
                profile: Err(
                    "each of its runs keeps what it made, so its one run is its \
                              picture"
                        .into(),
                ),
                cancelled: false,
            }));
            return;
        }
        let runner = runner.reconfigured(config);
        if let Some(w) = self.worker.take() {
            let _ = w.join(); // the previous run has already reported its end
        }
        self.cancel.reset();
        let cancel = self.cancel.clone();
        let tx = self.tx.clone();
        let failed_id = id.clone();
        self.worker = self.spawn(
            "ladder-runner",
            move || {
                let profile = runner
                    .profile_more(rung.as_ref(), &cancel, crate::profile::DEFAULT_FREQUENCY)
                    .map(Arc::new)
                    .map_err(|e| e.to_string());
                let _ = tx.send(Event::App(Msg::Resampled {
                    rung: id,
                    profile,
                    cancelled: cancel.is_cancelled(),
                }));
            },
            |why| Msg::Resampled {
                rung: failed_id,
                profile: Err(why),
                cancelled: false,
            },
        );
    }

    /// Sweeps the scaling screen's rungs over its sizes on generated data like `spec`.
    pub(super) fn start_sweep(
        &mut self,
        spec: crate::workload::WorkloadSpec,
        sizes: Vec<usize>,
        budget: std::time::Duration,
        threads: usize,
        k: usize,
    ) {
        let Some(machine) = self.machine.clone() else {
            return;
        };
        if let Some(w) = self.worker.take() {
            let _ = w.join();
        }
        self.cancel.reset();
        let cancel = self.cancel.clone();
        let tx = self.tx.clone();
        self.worker = self.spawn(
            "ladder-runner",
            move || {
                let rungs: Vec<Box<dyn rungs::Rung>> = SCALE_RUNGS
                    .iter()
                    .filter_map(|id| rungs::find(id))
                    .collect();
                let config = RunConfig {
                    budget,
                    threads,
                    k,
                    ..RunConfig::default()
                };
                let send = |e| {
                    let _ = tx.send(Event::App(Msg::Sweep(e)));
                };
                let result = crate::run::scale::sweep(
                    &rungs,
                    &sizes,
                    &spec,
                    &machine,
                    &config,
                    available_memory(),
                    &send,
                    &cancel,
                );
                let msg = match result {
                    Ok(s) => Msg::SweepFinished {
                        cancelled: s.cancelled,
                        error: None,
                    },
                    Err(e) => Msg::SweepFinished {
                        cancelled: false,
                        error: Some(e.to_string()),
                    },
                };
                let _ = tx.send(Event::App(msg));
            },
            |why| Msg::SweepFinished {
                cancelled: false,
                error: Some(why),
            },
        );
    }
    /// Runs peer row `index` on the first `n` rows' worth of a workload like the app's, on
    /// the worker (one run at a time), and reports it as a quick check.
    pub(super) fn quick_check(&mut self, index: usize, n: usize, config: RunConfig) {
        let builtin = rungs::ladder().len() + rungs::extras().len();
        let Some(spec) = index.checked_sub(builtin).and_then(|i| self.peers.get(i)) else {
            // Not a row of the app's: nothing waits for it.
            return;
        };
        let peer = crate::peers::Peer::new(spec.clone());
        // The lab waits for this check's report, whatever happens to it.
        let info = rungs::Rung::info(&peer);
        let failed = move |why: String| {
            let mut r = crate::run::RunReport::new(&info, 0, n);
            r.status = crate::run::RunStatus::Failed(why);
            Msg::QuickChecked(Box::new(r))
        };
        let (Some(w), Some(machine)) = (self.workload.clone(), self.machine.clone()) else {
            let msg = failed("the workload is still being prepared; a moment…".into());
            let _ = self.tx.send(Event::App(msg));
            return;
        };
        if let Some(h) = self.worker.take() {
            let _ = h.join();
        }
        self.cancel.reset();
        let cancel = self.cancel.clone();
        let tx = self.tx.clone();
        let zero_rows = self.lab;
        let on_fail = failed.clone();
        self.worker = self.spawn(
            "ladder-quick",
            move || {
                let small = crate::workload::WorkloadSpec {
                    n: n.min(w.n()),
                    d: w.d(),
                    seed: w.seed,
                    source: crate::workload::Source::Generated(
                        crate::workload::Distribution::Normal,
                    ),
                };
                let msg = match build_workload(&small, zero_rows) {
                    Ok(small) => {
                        let runner = Runner::new(Arc::new(small), machine, config);
                        // Its progress is not the live panel's: the full run's will be.
                        let report = runner.run_one(index, &peer, &|_| {}, &cancel);
                        Msg::QuickChecked(Box::new(report))
                    }
                    Err(e) => failed(format!("could not make the quick check's workload: {e}")),
                };
                let _ = tx.send(Event::App(msg));
            },
            on_fail,
        );
    }
}

/// The workload `spec` describes, with zero vectors at rows 1 and n-1 when asked.
pub(super) fn build_workload(
    spec: &crate::workload::WorkloadSpec,
    zero_rows: bool,
) -> Result<Workload, crate::workload::WorkloadError> {
    let w = Workload::build(spec)?;
    Ok(if zero_rows {
        let n = w.n();
        w.with_zero_rows(&[1, n.saturating_sub(1)])
    } else {
        w
    })
}

/// Samples per second py-spy takes of a peer in the app: enough for a flamegraph of a
/// one-second run, few enough to leave its timing alone.
pub const PEER_SPY_RATE: u32 = 250;

/// Runs a peer; a Python peer runs under py-spy when it is installed, and its Python stacks
/// come back as the profile (this process's own profile would only show it waiting).
fn run_peer(
    runner: &Runner,
    index: usize,
    spec: crate::peers::PeerSpec,
    focus: Option<&std::path::Path>,
    send: &dyn Fn(crate::run::RunEvent),
    cancel: &CancelToken,
) -> (crate::run::RunReport, Option<crate::profile::Profile>) {
    use crate::peers::{Peer, Spy, spy_folded, which};
    let mut peer = Peer::new(spec);
    let tmp = crate::fsio::private_temp_dir("ladder-app-spy-").ok();
    if peer.is_python()
        && let Some(exe) = which("py-spy")
        && let Some(tmp) = &tmp
    {
        peer.spy = Some(Spy {
            exe,
            rate: PEER_SPY_RATE,
            dir: tmp.path().to_path_buf(),
        });
    }
    let report = runner.run_one(index, &peer, send, cancel);
    let profile = peer.spy.as_ref().and_then(|spy| {
        let mut text = spy_folded(&spy.dir).ok()?;
        if let Some(name) = focus.and_then(|f| f.file_name()) {
            text = crate::lab::step::focus_folded(&text, &name.to_string_lossy());
        }
        crate::profile::Profile::from_folded(&text, spy.rate).ok()
    });
    drop(tmp);
    (report, profile.filter(|p| p.total_samples() > 0))
}
