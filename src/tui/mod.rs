//! The terminal app: climb the ladder live.
//!
//! The Elm architecture: one channel of events (keys, ticks, runner and sampler messages)
//! feeds [`app::App::update`], which changes state and returns [`app::Command`]s; this module
//! carries the commands out on worker threads and redraws from `&App`. The UI thread never
//! runs a kernel and never blocks on one.
//!
//! The terminal is restored on quit, on Ctrl-C (a key in raw mode) and on panic (the panic
//! hook restores it before the message is printed, then exits).

pub mod app;
pub mod flame;
pub mod help;
pub mod lessons;
pub mod lessons_view;
pub mod message;
pub mod theme;
pub mod ui;
pub mod widgets;

use std::io::{self, Stdout};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Once};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossterm::event::{self as ct, Event as CtEvent};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use self::app::{App, Command, Msg, Settings};
use self::theme::Theme;
use crate::machine::MachineInfo;
use crate::monitor::{Sampler, available_memory};
use crate::report::{Export, Markdown, write_atomic};
use crate::run::{CancelToken, RunConfig, Runner};
use crate::rungs;
use crate::workload::Workload;

/// How often the app redraws and the sampler samples.
pub const TICK: Duration = Duration::from_millis(100);

/// How the app starts.
#[derive(Clone, Debug)]
pub struct Options {
    pub settings: Settings,
    pub unlock_all: bool,
    pub demo: bool,
    pub theme: Theme,
    pub notes_path: PathBuf,
    /// An instructor's lesson folder instead of the shipped lessons.
    pub lessons_dir: Option<PathBuf>,
    /// Where lesson progress is saved.
    pub progress_path: PathBuf,
    /// Open on the Lessons screen.
    pub open_lessons: bool,
    /// Peers (programs outside the process) to show after the rungs.
    pub peers: Vec<crate::rungs::external::PeerSpec>,
}

/// Everything that reaches the event loop.
enum Event {
    App(Msg),
    WorkloadLoaded(u64, Arc<Workload>),
    MachineLoaded(MachineInfo),
    Redraw,
}

/// Puts the terminal back however the app ends.
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn restore_terminal() {
    let _ = disable_raw_mode();
    let _ = execute!(io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
}

/// On panic, anywhere: restore the terminal, print the message, exit. A panicking worker
/// must not leave the UI drawing over a restored terminal.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
            std::process::exit(101);
        }));
    });
}

/// Carries out commands: threads for loading and running, the cancel token, exports.
struct Effects {
    tx: Sender<Event>,
    workload: Option<Arc<Workload>>,
    machine: Option<Arc<MachineInfo>>,
    runner: Option<Arc<Runner>>,
    generation: u64,
    cancel: CancelToken,
    worker: Option<JoinHandle<()>>,
    peers: Vec<crate::rungs::external::PeerSpec>,
}

impl Effects {
    fn rebuild_runner(&mut self) {
        if let (Some(w), Some(m)) = (&self.workload, &self.machine) {
            self.runner = Some(Arc::new(Runner::new(
                Arc::clone(w),
                Arc::clone(m),
                RunConfig::default(),
            )));
        }
    }

    fn execute(&mut self, cmd: Command) {
        match cmd {
            Command::LoadWorkload(spec) => {
                self.generation += 1;
                let generation = self.generation;
                let tx = self.tx.clone();
                let _ = std::thread::Builder::new()
                    .name("ladder-load".into())
                    .spawn(move || {
                        // A file's size is known only once read: check S fits before accepting it.
                        let built =
                            Workload::build(&spec)
                                .map_err(|e| e.to_string())
                                .and_then(|w| {
                                    crate::run::check_fits(w.n(), w.d(), available_memory())
                                        .map(|()| w)
                                        .map_err(|e| e.to_string())
                                });
                        let ev = match built {
                            Ok(w) => Event::WorkloadLoaded(generation, Arc::new(w)),
                            Err(e) => Event::App(Msg::WorkloadFailed(e)),
                        };
                        let _ = tx.send(ev);
                    });
            }
            Command::Run {
                index,
                budget,
                threads,
                k,
            } => {
                let Some(runner) = &self.runner else { return };
                let runner = runner.reconfigured(RunConfig {
                    budget,
                    threads,
                    k,
                    ..RunConfig::default()
                });
                if let Some(w) = self.worker.take() {
                    let _ = w.join(); // the previous run has already reported its end
                }
                self.cancel.reset();
                let cancel = self.cancel.clone();
                let tx = self.tx.clone();
                let peers = self.peers.clone();
                self.worker = std::thread::Builder::new()
                    .name("ladder-runner".into())
                    .spawn(move || {
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
                            );
                            (report, profile.ok())
                        } else {
                            let spec = peers
                                .into_iter()
                                .nth(index - builtin.len())
                                .expect("the app only runs rungs it listed");
                            run_peer(&runner, index, spec, &send, &cancel)
                        };
                        if let Some(p) = profile {
                            let _ = tx.send(Event::App(Msg::Profiled {
                                rung: report.rung.clone(),
                                profile: Arc::new(p),
                            }));
                        }
                        let _ = tx.send(Event::App(Msg::RungFinished(Box::new(report))));
                    })
                    .ok();
            }
            Command::Sweep {
                spec,
                budget,
                threads,
                k,
            } => {
                let Some(machine) = self.machine.clone() else {
                    return;
                };
                if let Some(w) = self.worker.take() {
                    let _ = w.join();
                }
                self.cancel.reset();
                let cancel = self.cancel.clone();
                let tx = self.tx.clone();
                self.worker = std::thread::Builder::new()
                    .name("ladder-runner".into())
                    .spawn(move || {
                        let rungs: Vec<Box<dyn rungs::Rung>> = crate::tui::app::SCALE_RUNGS
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
                            &crate::tui::app::SCALE_SIZES,
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
                    })
                    .ok();
            }
            Command::Cancel => self.cancel.cancel(),
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
                let _ = std::thread::Builder::new()
                    .name("ladder-python".into())
                    .spawn(move || {
                        let loaded = crate::lessons::python::bytecode(&pair);
                        let _ = tx.send(Event::App(Msg::BytecodeLoaded(pair, loaded)));
                    });
            }
            Command::MeasureConcurrency => {
                let tx = self.tx.clone();
                let _ = std::thread::Builder::new()
                    .name("ladder-python".into())
                    .spawn(move || {
                        let r = crate::lessons::python::concurrency(false)
                            .map_err(|e| e.to_string())
                            .map(|mut c| {
                                // The Rust side: the kernel on threads and on worker processes
                                // (this binary's hidden `worker` command).
                                let exe = std::env::current_exe().ok();
                                let workers =
                                    std::thread::available_parallelism().map_or(1, usize::from);
                                c.rust = Some(crate::lessons::rust_side::measure(
                                    4000,
                                    768,
                                    workers,
                                    exe.as_deref(),
                                ));
                                c
                            });
                        let _ = tx.send(Event::App(Msg::ConcurrencyMeasured(r)));
                    });
            }
            Command::Export(path, mut results, flames) => {
                // The SVGs go in flamegraphs/ beside the notes, linked by relative paths.
                let dir = path
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(std::path::Path::new("."));
                for (rung, profile) in &flames {
                    let rel = format!("flamegraphs/{rung}.svg");
                    let title =
                        crate::report::flame_title(rung, &results.workload, &results.machine);
                    let mut svg = Vec::new();
                    let written = profile
                        .write_svg(&title, "", &mut svg)
                        .and_then(|()| write_into(&dir.join(&rel), &svg));
                    if let (Ok(()), Some(r)) =
                        (written, results.rungs.iter_mut().find(|r| &r.rung == rung))
                    {
                        r.flamegraph = Some(rel);
                    }
                }
                let text = Markdown.render(&results);
                let msg = match write_atomic(&path, text.as_bytes()) {
                    Ok(()) => Ok(path),
                    Err(e) => Err(format!("could not write {}: {e}", path.display())),
                };
                let _ = self.tx.send(Event::App(Msg::Exported(msg)));
            }
            Command::ExportFlame {
                path,
                profile,
                title,
                unit,
            } => {
                let subtitle = if unit == "bytes" {
                    "bytes still live, by the stack that allocated them (sampled)".to_string()
                } else {
                    format!(
                        "{} samples at {} Hz; each thread is a root",
                        profile.total_samples(),
                        profile.frequency
                    )
                };
                let mut svg = Vec::new();
                let msg = profile
                    .write_svg_counting(&title, &subtitle, unit, &mut svg)
                    .and_then(|()| write_into(&path, &svg))
                    .map(|()| path.clone())
                    .map_err(|e| format!("could not write {}: {e}", path.display()));
                let _ = self.tx.send(Event::App(Msg::Exported(msg)));
            }
            Command::ExportDiff {
                path,
                before,
                after,
                title,
            } => {
                let mut svg = Vec::new();
                let msg = crate::profile::Profile::write_diff_svg(
                    &before,
                    &after,
                    &title,
                    "red grew, blue shrank (normalised); frames a step removed are absent",
                    &mut svg,
                )
                .and_then(|()| write_into(&path, &svg))
                .map(|()| path.clone())
                .map_err(|e| format!("could not write {}: {e}", path.display()));
                let _ = self.tx.send(Event::App(Msg::Exported(msg)));
            }
            Command::SnapshotMemory => {
                // Resolving symbols takes a moment the first time: off the UI thread.
                let tx = self.tx.clone();
                let _ = std::thread::Builder::new()
                    .name("ladder-memory".into())
                    .spawn(move || {
                        let stats = crate::profile::alloc::stats();
                        let profile = crate::profile::alloc::live_profile();
                        let _ = tx.send(Event::App(Msg::MemoryProfiled(Arc::new(profile), stats)));
                    });
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

fn spawn_input(tx: Sender<Event>, stop: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new()
        .name("ladder-input".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                match ct::poll(Duration::from_millis(50)) {
                    Ok(true) => {
                        let ev = match ct::read() {
                            Ok(CtEvent::Key(k)) => Event::App(Msg::Key(k)),
                            Ok(CtEvent::Resize(..)) => Event::Redraw,
                            Ok(_) => continue,
                            Err(_) => break,
                        };
                        if tx.send(ev).is_err() {
                            break;
                        }
                    }
                    Ok(false) => {}
                    Err(_) => break,
                }
            }
        });
}

fn spawn_ticks(tx: Sender<Event>, stop: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new()
        .name("ladder-tick".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                if tx.send(Event::App(Msg::Tick)).is_err() {
                    break;
                }
            }
        });
}

/// Runs the app until the user quits.
pub fn run(opts: &Options) -> io::Result<()> {
    let (tx, rx) = mpsc::channel::<Event>();
    let mut app = App::new(
        opts.settings.clone(),
        opts.unlock_all,
        opts.notes_path.clone(),
    );
    app.available_memory = available_memory();
    if opts.demo {
        app.enable_demo();
    }
    app.add_peers(&opts.peers);
    let loaded = match &opts.lessons_dir {
        Some(d) => crate::lessons::load_dir(d),
        None => crate::lessons::shipped(),
    };
    let (progress, warning) = crate::lessons::progress::Progress::load(&opts.progress_path);
    app.lessons = lessons::LessonsState::new(
        loaded.as_ref().cloned().unwrap_or_default(),
        progress,
        Some(opts.progress_path.clone()),
    );
    app.lessons.warning = match loaded {
        Err(e) => Some(format!("lessons could not be loaded: {e}")),
        Ok(_) => warning,
    };
    if opts.open_lessons {
        let _ = app.update(app::Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('l'),
        )));
    }

    // Track allocations from the start, so the memory flamegraph sees every run's leftovers.
    let _ = crate::profile::alloc::enable();
    install_panic_hook();
    enable_raw_mode()?;
    let _guard = TerminalGuard;
    execute!(io::stdout(), EnterAlternateScreen)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    // The first frame comes before any data is generated or measured.
    terminal.draw(|f| ui::draw(f, &app, &opts.theme))?;

    let stop = Arc::new(AtomicBool::new(false));
    spawn_input(tx.clone(), Arc::clone(&stop));
    spawn_ticks(tx.clone(), Arc::clone(&stop));
    let sample_tx = tx.clone();
    let _sampler = Sampler::spawn(TICK, move |s| {
        sample_tx.send(Event::App(Msg::Sample(s))).is_ok()
    });
    let machine_tx = tx.clone();
    let _ = std::thread::Builder::new()
        .name("ladder-probe".into())
        .spawn(move || {
            let _ = machine_tx.send(Event::MachineLoaded(MachineInfo::probe(false)));
        });

    let mut effects = Effects {
        tx,
        workload: None,
        machine: None,
        runner: None,
        generation: 0,
        cancel: CancelToken::new(),
        worker: None,
        peers: opts.peers.clone(),
    };
    for cmd in app.start() {
        effects.execute(cmd);
    }
    let result = event_loop(&mut terminal, &mut app, &mut effects, &rx, &opts.theme);
    stop.store(true, Ordering::Relaxed);
    result
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    effects: &mut Effects,
    rx: &Receiver<Event>,
    theme: &Theme,
) -> io::Result<()> {
    let mut last_draw = Instant::now();
    loop {
        let Ok(event) = rx.recv() else {
            return Ok(());
        };
        // Keys and ticks redraw at once; runner and sampler messages wait for the next tick, so
        // the UI costs the kernels little.
        let mut redraw = false;
        let msg = match event {
            Event::App(m) => Some(m),
            Event::Redraw => {
                redraw = true;
                None
            }
            Event::WorkloadLoaded(generation, w) => {
                if generation == effects.generation {
                    let meta = crate::report::WorkloadMeta::from(w.as_ref());
                    effects.workload = Some(w);
                    effects.rebuild_runner();
                    Some(Msg::WorkloadReady(meta))
                } else {
                    None // a newer load has been asked for since
                }
            }
            Event::MachineLoaded(m) => {
                effects.machine = Some(Arc::new(m.clone()));
                effects.rebuild_runner();
                Some(Msg::MachineReady(m))
            }
        };
        if let Some(msg) = msg {
            redraw |= matches!(msg, Msg::Key(_) | Msg::Tick);
            for cmd in app.update(msg) {
                effects.execute(cmd);
            }
        }
        if app.quit {
            return Ok(());
        }
        if redraw || last_draw.elapsed() >= TICK * 2 {
            terminal.draw(|f| ui::draw(f, app, theme))?;
            last_draw = Instant::now();
        }
    }
}

/// Samples per second py-spy takes of a peer in the app: enough for a flamegraph of a
/// one-second run, few enough to leave its timing alone.
pub const PEER_SPY_RATE: u32 = 250;

/// Runs a peer; a Python peer runs under py-spy when it is installed, and its Python stacks
/// come back as the profile (this process's own profile would only show it waiting).
fn run_peer(
    runner: &Runner,
    index: usize,
    spec: crate::rungs::external::PeerSpec,
    send: &dyn Fn(crate::run::RunEvent),
    cancel: &CancelToken,
) -> (crate::run::RunReport, Option<crate::profile::Profile>) {
    use crate::rungs::external::{Peer, Spy, spy_folded, which};
    let mut peer = Peer::new(spec);
    let dir = std::env::temp_dir().join(format!(
        "ladder-app-spy-{}-{}",
        std::process::id(),
        peer.spec.id
    ));
    if peer.is_python()
        && let Some(exe) = which("py-spy")
        && std::fs::create_dir_all(&dir).is_ok()
    {
        peer.spy = Some(Spy {
            exe,
            rate: PEER_SPY_RATE,
            dir: dir.clone(),
        });
    }
    let report = runner.run_one(index, &peer, send, cancel);
    let profile = peer.spy.as_ref().and_then(|spy| {
        let text = spy_folded(&spy.dir).ok()?;
        crate::profile::Profile::from_folded(&text, spy.rate).ok()
    });
    let _ = std::fs::remove_dir_all(&dir);
    (report, profile.filter(|p| p.total_samples() > 0))
}
