//! The terminal app: climb the ladder live.
//!
//! The Elm architecture: one channel of events (keys, ticks, runner and sampler messages)
//! feeds [`app::App::update`], which changes state and returns [`app::Command`]s; `effects`
//! carries the commands out on worker threads, and this module redraws from `&App`. The UI
//! thread never runs a kernel and never blocks on one.
//!
//! The rooms, lowest first: `theme`, `message` (Msg, Command), `model` (the state every
//! screen reads), `widgets`, `screens/` (one room per screen: its state, keys and view),
//! `app` (the App, its single `update`, moving between screens), `ui` (the frame), `effects`.
//! A room imports only rooms below it (a test checks that no two import each other).
//!
//! The terminal is restored on quit, on Ctrl-C (a key in raw mode), on SIGTERM, SIGHUP and
//! SIGINT from outside (each takes the quit path: the run cancelled, its peers killed) and on
//! panic (the panic hook restores it before the message is printed, then exits).

pub mod app;
mod effects;
pub mod message;
pub mod model;
pub mod screens;
pub mod theme;
pub mod ui;
pub mod widgets;

use std::io::{self, Stdout};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use crossterm::event::{self as ct, Event as CtEvent};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub use self::effects::PEER_SPY_RATE;

use self::app::App;
use self::effects::Effects;
use self::message::Msg;
use self::model::Settings;
use self::theme::Theme;
use crate::machine::MachineInfo;
use crate::monitor::{Sampler, available_memory};
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
    pub peers: Vec<crate::peers::PeerSpec>,
    /// Open on this lab: its steps are the rows after ours, run again when their files are
    /// saved.
    pub lab: Option<crate::lab::spec::Lab>,
}

/// Everything that reaches the event loop.
enum Event {
    App(Msg),
    WorkloadLoaded(u64, Arc<Workload>),
    MachineLoaded(MachineInfo),
    Redraw,
    /// A signal asked the app to end.
    Signal(i32),
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
            // A peer runs in a process group of its own: it would outlive the app; the exit
            // below skips the destructors that remove temporary folders.
            crate::peers::process::kill_all();
            crate::fsio::remove_temp_dirs();
            previous(info);
            std::process::exit(101);
        }));
    });
}

fn spawn_input(tx: Sender<Event>, stop: Arc<AtomicBool>) -> io::Result<()> {
    std::thread::Builder::new()
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
        })
        .map(drop)
}

fn spawn_ticks(tx: Sender<Event>, stop: Arc<AtomicBool>) -> io::Result<()> {
    std::thread::Builder::new()
        .name("ladder-tick".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(TICK);
                if tx.send(Event::App(Msg::Tick)).is_err() {
                    break;
                }
            }
        })
        .map(drop)
}

/// Watches the lab folder: every write to a file in it becomes a `FileSaved` (the app picks
/// out the steps' files and waits for the editor to finish). Editors save by writing a new
/// file and renaming it over the old, so the folder is watched, not the files.
fn watch(
    lab: &crate::lab::spec::Lab,
    tx: Sender<Event>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::{EventKind, RecursiveMode, Watcher};
    // The lab folder, and any folder a step's file lies in below it (a Rust step's src/); not
    // the whole tree, where a build's target/ would send thousands of events.
    let mut dirs = vec![lab.dir.clone()];
    for step in &lab.steps {
        if let Some(parent) = step.file.parent()
            && !dirs.iter().any(|d| d == parent)
        {
            dirs.push(parent.to_path_buf());
        }
    }
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(ev) = res else { return };
        // Reads are not saves; a removal is told too (the step no longer counts).
        if matches!(ev.kind, EventKind::Access(_)) {
            return;
        }
        for path in ev.paths {
            let _ = tx.send(Event::App(Msg::FileSaved(path)));
        }
    })?;
    for dir in dirs {
        let dir = std::fs::canonicalize(&dir).map_err(notify::Error::io)?;
        watcher.watch(&dir, RecursiveMode::NonRecursive)?;
    }
    Ok(watcher)
}

/// Turns SIGTERM, SIGHUP and SIGINT into events, so that each ends the app by the quit path,
/// which cancels the run, kills its peers and restores the terminal. (In raw mode Ctrl-C is a
/// key; SIGINT comes only from outside.) The handle stops the thread.
#[cfg(target_os = "linux")]
fn spawn_signals(tx: Sender<Event>) -> io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGINT])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("ladder-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                if tx.send(Event::Signal(sig)).is_err() {
                    break;
                }
            }
        })?;
    Ok(handle)
}

/// Runs the app until the user quits; `Some(signal)` when a signal ended it (the caller exits
/// with 128 + the signal, as the shell expects of a program a signal stopped).
pub fn run(opts: &Options) -> io::Result<Option<i32>> {
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
    let mut peers = opts.peers.clone();
    if let Some(lab) = &opts.lab {
        // The lab's steps are the only peers: each runs through the shipped harness.
        peers = lab
            .steps
            .iter()
            .map(crate::lab::step::spec)
            .collect::<Result<_, _>>()
            .map_err(io::Error::other)?;
        app.open_lab(lab.clone(), &peers, opts.unlock_all);
        let setting = crate::lab::saved::Setting::of(lab, app.model.settings.threads);
        app.restore_lab(crate::lab::saved::load(lab, &setting));
    } else {
        app.add_peers(&peers);
    }
    let loaded = match &opts.lessons_dir {
        Some(d) => crate::lessons::load_dir(d),
        None => crate::lessons::shipped(),
    };
    let (progress, warning) = crate::lessons::progress::Progress::load(&opts.progress_path);
    app.lessons = screens::lessons::LessonsState::new(
        loaded.as_ref().cloned().unwrap_or_default(),
        progress,
        Some(opts.progress_path.clone()),
    );
    app.lessons.warning = match loaded {
        Err(e) => Some(format!("lessons could not be loaded: {e}")),
        Ok(_) => warning,
    };
    if opts.open_lessons {
        let _ = app.update(Msg::Key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char('l'),
        )));
    }

    // Track allocations from the start, so the memory flamegraph sees every run's leftovers.
    let _ = crate::profile::alloc::enable();
    install_panic_hook();
    // Before raw mode: from there on a signal must take the quit path, which restores it.
    #[cfg(target_os = "linux")]
    let signals = spawn_signals(tx.clone())?;
    enable_raw_mode()?;
    let _guard = TerminalGuard;
    execute!(io::stdout(), EnterAlternateScreen)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    // The first frame comes before any data is generated or measured.
    terminal.draw(|f| ui::draw(f, &app, &opts.theme))?;

    let stop = Arc::new(AtomicBool::new(false));
    // Without these threads the app could neither be used nor quit: it does not start.
    spawn_input(tx.clone(), Arc::clone(&stop))?;
    spawn_ticks(tx.clone(), Arc::clone(&stop))?;
    let sample_tx = tx.clone();
    let _sampler = Sampler::spawn(TICK, move |s| {
        sample_tx.send(Event::App(Msg::Sample(s))).is_ok()
    });
    let machine_tx = tx.clone();
    let probe = move || {
        // The cached peak when there is one; else say why the first start pauses, then
        // measure (about two seconds) and cache it.
        let m = MachineInfo::cached().unwrap_or_else(|note| {
            let _ = machine_tx.send(Event::App(Msg::MeasuringPeak(note)));
            MachineInfo::measure_and_cache(false).0
        });
        let _ = machine_tx.send(Event::MachineLoaded(m));
    };
    let probing = std::thread::Builder::new()
        .name("ladder-probe".into())
        .spawn(probe.clone());
    if probing.is_err() {
        // Every run waits for the machine: measure it here, a moment's pause, rather than never.
        probe();
    }

    // Kept alive while the app runs: dropping it stops the watching.
    let _watcher = match &opts.lab {
        Some(lab) => match watch(lab, tx.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                // Not watching, and the lab says so in its title: saves run nothing.
                if let Some(l) = app.lab.as_mut() {
                    l.watch = false;
                }
                app.notice = Some(app::Notice::Error(format!(
                    "cannot watch {} for saves ({e}): Enter runs the selected step",
                    lab.dir.display()
                )));
                None
            }
        },
        None => None,
    };
    let mut effects = Effects::new(tx, peers);
    if opts.lab.is_some() {
        effects = effects.for_lab();
    }
    for cmd in app.start() {
        effects.execute(cmd);
    }
    let result = event_loop(&mut terminal, &mut app, &mut effects, &rx, &opts.theme);
    // However the loop ended (a terminal that went away fails a draw), a run still going is
    // cancelled and waited for, which kills its peers: none outlives the app.
    effects.execute(message::Command::Quit);
    // A lesson's measurement (the profilers, a leak program) runs on a thread nobody waits
    // for: its programs and temporary folders go with the app, not after it.
    crate::peers::process::kill_all();
    crate::fsio::remove_temp_dirs();
    stop.store(true, Ordering::Relaxed);
    #[cfg(target_os = "linux")]
    signals.close();
    result
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    effects: &mut Effects,
    rx: &Receiver<Event>,
    theme: &Theme,
) -> io::Result<Option<i32>> {
    let mut last_draw = Instant::now();
    // A run finished: its freed memory goes back once no run is going (see
    // `release_freed_memory`), on a tick, when the worker has ended.
    let mut release_due = false;
    loop {
        let Ok(event) = rx.recv() else {
            return Ok(None);
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
            Event::WorkloadLoaded(generation, w) => effects.workload_loaded(generation, w),
            Event::MachineLoaded(m) => Some(effects.machine_loaded(m)),
            Event::Signal(sig) => {
                for cmd in app.quit_now() {
                    effects.execute(cmd);
                }
                return Ok(Some(sig));
            }
        };
        if let Some(msg) = msg {
            redraw |= matches!(msg, Msg::Key(_) | Msg::Tick);
            release_due |= matches!(msg, Msg::RungFinished(_));
            if release_due && matches!(msg, Msg::Tick) && effects.idle() {
                crate::monitor::release_freed_memory();
                release_due = false;
            }
            for cmd in app.update(msg) {
                effects.execute(cmd);
            }
        }
        if app.quit {
            return Ok(None);
        }
        if redraw || last_draw.elapsed() >= TICK * 2 {
            terminal.draw(|f| ui::draw(f, app, theme))?;
            last_draw = Instant::now();
        }
    }
}
