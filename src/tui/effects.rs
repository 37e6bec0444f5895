//! Carrying out commands: worker threads for loading the workload and running rungs, sweeps
//! and Python; the cancel token; the exports. Workers send messages back and nothing else.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::thread::JoinHandle;

use super::Event;
use super::message::{Command, Msg};
use crate::machine::MachineInfo;
use crate::monitor::available_memory;
use crate::report::write_atomic;
use crate::run::{CancelToken, RunConfig, Runner};
use crate::rungs;
use crate::workload::Workload;
use runs::build_workload;

/// Carries out commands: threads for loading and running, the cancel token, exports.
pub(super) struct Effects {
    tx: Sender<Event>,
    workload: Option<Arc<Workload>>,
    machine: Option<Arc<MachineInfo>>,
    runner: Option<Arc<Runner>>,
    generation: u64,
    cancel: CancelToken,
    worker: Option<JoinHandle<()>>,
    peers: Vec<crate::peers::PeerSpec>,
    /// Opened on a lab: every workload has zero vectors at rows 1 and n-1 (valid input a step
    /// must handle), and a step's profile is cut to the student's own file.
    lab: bool,
    /// How a worker thread is made (a test makes one that cannot start).
    thread: fn(&str) -> std::thread::Builder,
    /// Taken when the first run on the current workload starts: the memory view shows what
    /// the runs allocated and left live, not the workload or the app around them.
    runs_mark: Option<crate::profile::alloc::Mark>,
    /// The reports (`w`) this app has written: where each was to go, and where it went.
    /// Written again, it is replaced; a file from before the session (another session's,
    /// `ladder report`'s) is kept.
    reports: Vec<(PathBuf, PathBuf)>,
}

fn named(name: &str) -> std::thread::Builder {
    std::thread::Builder::new().name(name.into())
}

impl Effects {
    /// Tells the app what a report meant for `asked` wrote, and remembers the file as this
    /// app's own.
    fn note_report(&mut self, asked: PathBuf, msg: Result<crate::tui::message::Wrote, String>) {
        if let Ok(w) = &msg {
            self.reports.retain(|(a, _)| *a != asked);
            self.reports.push((asked, w.path.clone()));
        }
        let _ = self.tx.send(Event::App(Msg::Exported(msg)));
    }

    pub(super) fn new(tx: Sender<Event>, peers: Vec<crate::peers::PeerSpec>) -> Self {
        Self {
            tx,
            workload: None,
            machine: None,
            runner: None,
            generation: 0,
            cancel: CancelToken::new(),
            worker: None,
            peers,
            lab: false,
            thread: named,
            runs_mark: None,
            reports: Vec::new(),
        }
    }

    /// Starts `work` on a thread named `name`. A thread that cannot start is said, by the
    /// message `failed` makes of the reason, to whatever waits for the work's own message: the
    /// app must never wait for a thread that never ran.
    fn spawn(
        &self,
        name: &str,
        work: impl FnOnce() + Send + 'static,
        failed: impl FnOnce(String) -> Msg,
    ) -> Option<JoinHandle<()>> {
        match (self.thread)(name).spawn(work) {
            Ok(handle) => Some(handle),
            Err(e) => {
                let _ = self.tx.send(Event::App(failed(format!(
                    "could not start a thread ({name}): {e}"
                ))));
                None
            }
        }
    }

    /// No worker is running: memory freed by the last run can go back to the system without
    /// slowing a run.
    pub(super) fn idle(&self) -> bool {
        self.worker.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// The report of run `index` that failed before it started, saying why.
    fn not_run(&self, index: usize, why: String) -> Msg {
        let info = rungs::ladder()
            .into_iter()
            .chain(rungs::extras())
            .map(|r| r.info())
            .chain(
                self.peers
                    .iter()
                    .map(|p| rungs::Rung::info(&crate::peers::Peer::new(p.clone()))),
            )
            .nth(index);
        let rows = self.workload.as_ref().map_or(0, |w| w.n());
        match info {
            Some(info) => {
                let mut report = crate::run::RunReport::new(&info, 0, rows);
                report.status = crate::run::RunStatus::Failed(why);
                Msg::RungFinished(Box::new(report))
            }
            // Not a row of the app's: nothing waits for it.
            None => Msg::Exported(Err(why)),
        }
    }

    /// The app is on a lab: zero vectors at rows 1 and n-1 in every workload, as `ladder lab
    /// check`'s, and each step's profile cut to the student's file.
    pub(super) fn for_lab(mut self) -> Self {
        self.lab = true;
        self
    }

    /// A workload is ready: the runner is rebuilt on it, unless a newer load has been asked
    /// for since (then None).
    pub(super) fn workload_loaded(&mut self, generation: u64, w: Arc<Workload>) -> Option<Msg> {
        if generation != self.generation {
            return None;
        }
        let meta = crate::report::WorkloadMeta::from(w.as_ref());
        self.workload = Some(w);
        self.runs_mark = None;
        self.rebuild_runner();
        Some(Msg::WorkloadReady(meta))
    }

    /// The machine is measured: the runner is rebuilt with it.
    pub(super) fn machine_loaded(&mut self, m: MachineInfo) -> Msg {
        self.machine = Some(Arc::new(m.clone()));
        self.rebuild_runner();
        Msg::MachineReady(m)
    }

    fn rebuild_runner(&mut self) {
        if let (Some(w), Some(m)) = (&self.workload, &self.machine) {
            self.runner = Some(Arc::new(Runner::new(
                Arc::clone(w),
                Arc::clone(m),
                RunConfig::default(),
            )));
        }
    }

    pub(super) fn execute(&mut self, cmd: Command) {
        match cmd {
            Command::LoadWorkload(spec) => {
                self.generation += 1;
                let generation = self.generation;
                let tx = self.tx.clone();
                let zero_rows = self.lab;
                let _ = self.spawn(
                    "ladder-load",
                    move || {
                        // A file's size is known only once read: check S fits before accepting it.
                        let built = build_workload(&spec, zero_rows)
                            .map_err(|e| e.to_string())
                            .and_then(|w| {
                                crate::run::check_fits(w.n(), w.d(), available_memory())
                                    .map(|()| w)
                                    .map_err(|e| e.in_app())
                            });
                        let ev = match built {
                            Ok(w) => Event::WorkloadLoaded(generation, Arc::new(w)),
                            Err(e) => Event::App(Msg::WorkloadFailed(e)),
                        };
                        let _ = tx.send(ev);
                    },
                    Msg::WorkloadFailed,
                );
            }
            Command::Run {
                index,
                budget,
                threads,
                k,
                repeat,
            } => self.start_run(
                index,
                RunConfig {
                    budget,
                    threads,
                    k,
                    repeat,
                    ..RunConfig::default()
                },
            ),
            Command::Resample {
                index,
                budget,
                threads,
                k,
            } => self.start_resample(
                index,
                RunConfig {
                    budget,
                    threads,
                    k,
                    ..RunConfig::default()
                },
            ),
            Command::Sweep {
                spec,
                sizes,
                budget,
                threads,
                k,
            } => self.start_sweep(spec, sizes, budget, threads, k),
            Command::Cancel => self.cancel.cancel(),
            Command::WriteText(path, text) => {
                let msg = write_into(&path, text.as_bytes())
                    .map(|()| path.clone().into())
                    .map_err(|e| format!("could not write {}: {e}", path.display()));
                let _ = self.tx.send(Event::App(Msg::Exported(msg)));
            }
            Command::ExportLabNotes {
                path,
                dir,
                meta,
                machine,
                results,
                ours,
                flames,
            } => {
                let ids: Vec<&str> = flames.iter().map(|(id, _)| id.as_str()).collect();
                let before = export::beside(&path, &ids, false);
                let msg =
                    lab::notes(&path, &dir, &meta, &machine, results, &ours, &flames).map(|path| {
                        super::message::Wrote {
                            path,
                            also: export::also_wrote(&before),
                        }
                    });
                let _ = self.tx.send(Event::App(Msg::Exported(msg)));
            }
            Command::KeepLabResults {
                lab: the_lab,
                threads,
                attempts,
                profiles,
            } => {
                if let Err(why) = lab::keep(&the_lab, threads, &attempts, &profiles) {
                    let _ = self.tx.send(Event::App(Msg::Exported(Err(why))));
                }
            }
            Command::Lint { step, path } => {
                let tx = self.tx.clone();
                let _ = self.spawn(
                    "ladder-lint",
                    move || {
                        let lint = crate::lab::lint::check(&path);
                        let _ = tx.send(Event::App(Msg::Linted { step, lint }));
                    },
                    move |why| Msg::Linted {
                        step,
                        lint: crate::lab::lint::Lint::Unavailable(why),
                    },
                );
            }
            Command::QuickCheck {
                index,
                n,
                budget,
                threads,
                k,
            } => self.quick_check(
                index,
                n,
                RunConfig {
                    budget,
                    threads,
                    k,
                    ..RunConfig::default()
                },
            ),
            Command::SaveProgress(path, progress) => {
                if let Err(e) = progress.save(&path) {
                    let _ = self.tx.send(Event::App(Msg::ProgressNotSaved(format!(
                        "could not save progress to {}: {e}",
                        path.display()
                    ))));
                }
            }
            Command::LoadBytecode(pair) => {
                let tx = self.tx.clone();
                let asked = pair.clone();
                let _ = self.spawn(
                    "ladder-python",
                    move || {
                        let loaded = crate::lessons::python::bytecode(&pair);
                        let _ = tx.send(Event::App(Msg::BytecodeLoaded(pair, loaded)));
                    },
                    |why| Msg::BytecodeLoaded(asked, (None, Some(why))),
                );
            }
            Command::MeasureConcurrency => lessons::measure_concurrency(self),
            Command::MeasureProfilers { n, rounds } => lessons::measure_profilers(self, n, rounds),
            Command::RunLeak { program, html_dir } => {
                let tx = self.tx.clone();
                let asked = program.clone();
                let _ = self.spawn(
                    "ladder-leak",
                    move || {
                        let opts = crate::lessons::leak::LeakOptions {
                            html_dir: Some(html_dir),
                            ..Default::default()
                        };
                        let r = crate::lessons::leak::run(&program, &opts, None).map(Box::new);
                        let _ = tx.send(Event::App(Msg::LeakRan(program, r)));
                    },
                    |why| Msg::LeakRan(asked, Err(why)),
                );
            }
            Command::Export(path, results, flames) => {
                let (to, moved) = export::writable(path.clone());
                let msg = export::notes(to, &path, *results, &flames).map(|w| w.and(&moved));
                let _ = self.tx.send(Event::App(Msg::Exported(msg)));
            }
            Command::ExportReport(path, results, flames) => {
                // Where it can be written, then beside a report from before the session.
                let (path, moved) = export::writable(path);
                let (went, kept) = export::beside_older(&path, &self.reports);
                // Where it went first, then what the report itself says.
                let msg = export::report(went, *results, flames).map(|mut w| {
                    w.also = format!("{moved}{kept}{}", w.also);
                    w
                });
                self.note_report(path, msg);
            }
            Command::ExportFlame {
                path,
                profile,
                title,
                unit,
            } => {
                let (path, moved) = export::writable(path);
                let msg = export::flame(path, &profile, &title, unit).map(|w| w.and(&moved));
                let _ = self.tx.send(Event::App(Msg::Exported(msg)));
            }
            Command::ExportDiff {
                path,
                before,
                after,
                title,
                speedup,
            } => {
                let (path, moved) = export::writable(path);
                let msg = export::diff(path, (&before.0, &before.1), &after, &title, speedup)
                    .map(|w| w.and(&moved));
                let _ = self.tx.send(Event::App(Msg::Exported(msg)));
            }
            Command::SnapshotMemory => {
                // Resolving symbols takes a moment the first time: off the UI thread.
                let tx = self.tx.clone();
                let mark = self.runs_mark;
                let _ = self.spawn(
                    "ladder-memory",
                    move || {
                        let stats = crate::profile::alloc::stats_since(mark.as_ref());
                        let profile = crate::profile::alloc::live_profile_since(mark.as_ref());
                        let _ = tx.send(Event::App(Msg::MemoryProfiled(Arc::new(profile), stats)));
                    },
                    |why| Msg::Exported(Err(format!("no memory snapshot: {why}"))),
                );
            }
            Command::LoadHistory(path) => {
                let msg = match crate::report::history::read(&path) {
                    Ok(h) => h,
                    Err(e) => crate::report::history::History {
                        entries: Vec::new(),
                        warnings: vec![format!("could not read {}: {e}", path.display())],
                    },
                };
                let _ = self.tx.send(Event::App(Msg::HistoryLoaded(msg)));
            }
            Command::Quit => {
                self.cancel.cancel();
                if let Some(w) = self.worker.take() {
                    // Cancellation is honoured between blocks of about 40 ms.
                    let _ = w.join();
                }
            }
        }
    }
}

/// Writes `bytes` to `path` atomically, creating its folder.
fn write_into(path: &std::path::Path, bytes: &[u8]) -> io::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    write_atomic(path, bytes)
}

mod export;
mod lab;
mod lessons;
mod runs;

pub use runs::PEER_SPY_RATE;
#[cfg(test)]
mod tests;
