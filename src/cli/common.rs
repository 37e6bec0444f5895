//! Helpers the commands share: choosing rungs and peers, building the workload, running rungs
//! with a progress bar, and writing an output file.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use ladder::machine::MachineInfo;
use ladder::report;
use ladder::run::{self, CancelToken, Phase, RunEvent, Runner};
use ladder::rungs::{self, Rung};
use ladder::workload::{Distribution, Source, Workload, WorkloadSpec};

use super::args::{InputArgs, WorkloadArgs};

/// Whether any of `rungs` produces the full n×n matrix.
pub fn any_full(rungs: &[Box<dyn Rung>]) -> bool {
    rungs
        .iter()
        .any(|r| r.output() == ladder::rungs::OutputKind::Full)
}

/// Parses `--rungs` where at least one rung must be named (`none` is refused).
pub fn select_some_rungs(spec: &str) -> Result<Vec<Box<dyn Rung>>> {
    let rungs = select_rungs(spec)?;
    if rungs.is_empty() {
        bail!("name at least one rung (see `ladder rungs`), not '{spec}'");
    }
    Ok(rungs)
}

/// Parses `--rungs`.
pub fn select_rungs(spec: &str) -> Result<Vec<Box<dyn Rung>>> {
    if spec == "all" {
        return Ok(rungs::ladder());
    }
    if spec == "none" {
        return Ok(Vec::new());
    }
    // Every rung `find` knows: the ladder's and the extras (ann, the leak lesson's).
    let known: Vec<&str> = rungs::ladder()
        .iter()
        .chain(&rungs::extras())
        .map(|r| r.info().id)
        .collect();
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|id| {
            rungs::find(id).with_context(|| {
                format!(
                    "unknown rung '{id}': choose from {} (or all; `ladder rungs` says what each is)",
                    known.join(", ")
                )
            })
        })
        .collect::<Result<Vec<_>>>()
        .and_then(|v| {
            if v.is_empty() {
                bail!(
                    "--rungs names no rung: choose from {} (or all)",
                    known.join(", ")
                )
            }
            Ok(v)
        })
}

/// The peer files `--peers` names.
pub fn select_peer_specs(spec: &str) -> Result<Vec<ladder::peers::PeerSpec>> {
    use ladder::peers::{load_dir, shipped};
    match spec.trim() {
        "" | "none" => return Ok(Vec::new()),
        "all" => return Ok(shipped()?),
        _ => {}
    }
    let path = Path::new(spec);
    if path.is_dir() {
        let peers = load_dir(path)?;
        if peers.is_empty() {
            bail!("{} holds no peer files (*.toml)", path.display());
        }
        return Ok(peers);
    }
    let all = shipped()?;
    let known: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    let mut out = Vec::new();
    for id in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let p = all.iter().find(|p| p.id == id).with_context(|| {
            format!(
                "unknown peer '{id}': choose from {} (or all, or a folder of peer files)",
                known.join(", ")
            )
        })?;
        out.push(p.clone());
    }
    Ok(out)
}

/// What a command runs on: the workload, this machine (its peak measured quickly), and a
/// runner over both within the command's limits.
pub struct Prepared {
    pub workload: Arc<Workload>,
    pub machine: Arc<MachineInfo>,
    pub runner: Runner,
}

/// This machine with its cached peak (measured and cached on a first run), saying on stderr
/// why a cache was ignored.
pub fn machine_with_note() -> MachineInfo {
    let (m, note) = MachineInfo::cached_or_measured(false);
    if let Some(note) = note {
        sayln!("note: {note}");
    }
    m
}

/// Builds the workload (see [`build_workload`]), probes the machine and makes the runner.
pub fn prepare(args: &WorkloadArgs, input: &InputArgs, full: bool) -> Result<Prepared> {
    let workload = Arc::new(build_workload(args, input, full)?);
    let machine = Arc::new(machine_with_note());
    let config = ladder::run::RunConfig {
        k: input.k,
        ..args.run_config()
    };
    let runner = Runner::new(Arc::clone(&workload), Arc::clone(&machine), config);
    Ok(Prepared {
        workload,
        machine,
        runner,
    })
}

/// Builds the workload, from `input`'s file if it names one; `full` says a full-matrix rung
/// will run, so S must fit in memory.
pub fn build_workload(args: &WorkloadArgs, input: &InputArgs, full: bool) -> Result<Workload> {
    let n = args.size.n;
    if n == Some(0) {
        bail!("--n must be at least 1");
    }
    if args.d == Some(0) {
        bail!("--d must be at least 1");
    }
    let available = ladder::monitor::available_memory();
    let spec = if let Some(path) = &input.input {
        if args.d.is_some() {
            bail!(
                "--d applies to generated data only: the file {} sets d",
                path.display()
            );
        }
        if args.data.is_some() {
            bail!(
                "--data applies to generated data only: with --input, the vectors are the file \
                 {}'s",
                path.display()
            );
        }
        if args.seed.is_some() {
            bail!(
                "--seed applies to generated data only: with --input, the vectors are the file \
                 {}'s",
                path.display()
            );
        }
        WorkloadSpec {
            n: n.unwrap_or(usize::MAX),
            d: 0,
            seed: 0,
            source: Source::File(path.clone()),
        }
    } else {
        let dist: Distribution = args.data().parse().map_err(anyhow::Error::msg)?;
        let spec = WorkloadSpec {
            n: n.unwrap_or(ladder::workload::DEFAULT_N),
            d: args.d.unwrap_or(ladder::workload::DEFAULT_D),
            seed: args.seed(),
            source: Source::Generated(dist),
        };
        // Refuse before generating anything (the matrix first: its message says what else
        // would fit).
        if full {
            run::check_fits(spec.n, spec.d, available)?;
        }
        run::check_vectors_fit(spec.n, spec.d, available)?;
        spec
    };
    let w = Workload::build(&spec)?;
    if let (Some(path), Some(n)) = (&input.input, n)
        && w.n() < n
    {
        bail!(
            "--n {n}: {} holds only {} vectors (leave --n out to use them all)",
            path.display(),
            w.n()
        );
    }
    if input.input.is_some() && full {
        run::check_fits(w.n(), w.d(), available)?;
    }
    if !w.zero_rows.is_empty() {
        sayln!(
            "warning: {} zero vector(s) (rows {}): their cosine with anything is defined as 0",
            w.zero_rows.len(),
            some_rows(&w.zero_rows)
        );
    }
    if !w.vanishing_rows.is_empty() {
        sayln!(
            "warning: {} vector(s) (rows {}) hold values below about 1e-45 of their own length, \
             which float32 cannot represent once the vector is normalised: they count as 0 \
             (the cosines change by less than float32 can show)",
            w.vanishing_rows.len(),
            some_rows(&w.vanishing_rows)
        );
    }
    Ok(w)
}

/// The first eight of `rows`, then "..." when there are more.
fn some_rows(rows: &[usize]) -> String {
    let shown: Vec<String> = rows.iter().take(8).map(ToString::to_string).collect();
    let more = if rows.len() > 8 { ", ..." } else { "" };
    format!("{}{more}", shown.join(", "))
}

pub type Profiled = Option<Result<ladder::profile::Profile, ladder::profile::ProfileError>>;

/// Runs `rungs` on a worker thread with progress on stderr; profiles each when `frequency`
/// is given. Speedups are filled in.
pub fn run_rungs(
    runner: Runner,
    rungs: Vec<Box<dyn Rung>>,
    frequency: Option<u32>,
    interactive: bool,
) -> Result<(Vec<ladder::run::RunReport>, Vec<Profiled>)> {
    let (tx, rx) = mpsc::channel();
    let cancel = CancelToken::new();
    let ids: Vec<&'static str> = rungs.iter().map(|r| r.info().id).collect();
    let worker = std::thread::Builder::new()
        .name("ladder-runner".into())
        .spawn(move || {
            // The receiver may be gone (an early exit); the reports are returned regardless.
            let send = |e| {
                let _ = tx.send(e);
            };
            let mut reports = Vec::new();
            let mut profiles = Vec::new();
            for (i, rung) in rungs.iter().enumerate() {
                let (report, profile) = match frequency {
                    Some(hz) => {
                        let (r, p) =
                            runner.run_one_profiled(i, rung.as_ref(), &send, &cancel, hz, true);
                        (r, Some(p))
                    }
                    None => (runner.run_one(i, rung.as_ref(), &send, &cancel), None),
                };
                reports.push(report);
                profiles.push(profile);
            }
            ladder::run::fill_speedups(&mut reports);
            (reports, profiles)
        })
        .context("could not start the runner thread")?;
    let mut progress = Progress::new(interactive, ids);
    for event in rx {
        progress.show(&event);
    }
    progress.clear();
    worker
        .join()
        .map_err(|_| anyhow::anyhow!("the runner thread panicked"))
}

/// Progress on stderr: a redrawn bar on a terminal, one line per finished rung otherwise.
struct Progress {
    interactive: bool,
    ids: Vec<&'static str>,
    last_draw: Instant,
    drawn: bool,
    /// The run of a repeated rung going on now, and the runs asked for.
    run: Option<(usize, usize)>,
}

impl Progress {
    fn new(interactive: bool, ids: Vec<&'static str>) -> Self {
        Self {
            interactive,
            ids,
            last_draw: Instant::now(),
            drawn: false,
            run: None,
        }
    }

    /// ", run 2/3" while a repeated rung runs.
    fn run_said(&self) -> String {
        self.run
            .map(|(run, runs)| format!(", run {}/{runs}", run + 1))
            .unwrap_or_default()
    }

    fn show(&mut self, event: &RunEvent) {
        let total = self.ids.len();
        match event {
            RunEvent::Phase { index, rung, phase } => {
                let what = match phase {
                    Phase::Setup => "setting up",
                    Phase::Kernel => "running",
                    Phase::Verify => "verifying",
                };
                let run = self.run_said();
                if self.interactive {
                    self.draw(&format!("[{}/{total}] {rung:<12} {what}{run}", index + 1));
                } else if *phase == Phase::Setup {
                    sayln!("[{}/{total}] {rung}{run}", index + 1);
                }
            }
            RunEvent::Progress {
                index,
                rows_done,
                rows_total,
                work_done,
                kernel_elapsed,
            } => {
                if self.interactive && self.last_draw.elapsed() >= Duration::from_millis(100) {
                    let width = 30;
                    let filled = ((work_done * width as f64) as usize).min(width);
                    let run = self.run_said();
                    self.draw(&format!(
                        "[{}/{total}] {:<12} [{}{}] {:>3.0}%  rows {rows_done}/{rows_total}  {:.1} s{run}",
                        index + 1,
                        self.ids.get(*index).copied().unwrap_or("?"),
                        "#".repeat(filled),
                        "-".repeat(width - filled),
                        work_done * 100.0,
                        kernel_elapsed.as_secs_f64()
                    ));
                }
            }
            RunEvent::Repeat { run, runs, .. } => self.run = Some((*run, *runs)),
            RunEvent::Finished(_) => {}
        }
    }

    fn draw(&mut self, line: &str) {
        say!("\r\x1b[2K{line}");
        let _ = std::io::stderr().flush();
        self.last_draw = Instant::now();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.interactive && self.drawn {
            say!("\r\x1b[2K");
        }
    }
}

/// Writes `text` to `output` (atomically) or, without one, to standard output.
/// Refuses, before any work, an output file that could not be written or would destroy
/// something: its folder missing, a folder in its place, one of the command's own inputs (or
/// another of its outputs), or an extension other than `exts` (when given).
pub fn check_output(out: &Path, inputs: &[&Path], exts: Option<&[&str]>) -> Result<()> {
    let shown = out.display();
    let folder = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !folder.is_dir() {
        // A file where a folder of the path should be: said as such, since "make it first"
        // cannot be done.
        if let Some(file) = folder.ancestors().find(|a| a.is_file()) {
            bail!(
                "{shown}: {} is a file, not a folder: write elsewhere",
                file.display()
            );
        }
        bail!(
            "{shown}: the folder {} does not exist (make it first, or write elsewhere)",
            folder.display()
        );
    }
    if out.is_dir() {
        bail!("{shown} is a folder: give a file name in it");
    }
    if out.as_os_str().to_string_lossy().ends_with('/') {
        bail!("{shown} ends in /, so it names a folder, not a file: give a file name");
    }
    // A read-only folder found now, not after minutes of work.
    if let Err(e) = ladder::fsio::probe_writable(folder) {
        // "Entity not found" (a folder such as /proc takes no new file) says nothing more.
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => String::new(),
            std::io::ErrorKind::PermissionDenied => " (permission denied)".into(),
            std::io::ErrorKind::ReadOnlyFilesystem => " (a read-only file system)".into(),
            _ => format!(" ({e})"),
        };
        bail!(
            "{shown}: the folder {} cannot be written in{why}: write elsewhere",
            folder.display()
        );
    }
    let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    if let Some(input) = inputs.iter().find(|i| same(out, i)) {
        if input.as_os_str() == out.as_os_str() {
            bail!(
                "{shown} is also read or written by this command: writing it would replace it; \
                 give another file"
            );
        }
        bail!(
            "{shown} is also {}: writing it would replace it; give another file",
            input.display()
        );
    }
    if let Some(exts) = exts {
        let ext = out
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .unwrap_or_default();
        if !exts.contains(&ext.as_str()) {
            bail!("{shown}: the file must end in .{}", exts.join(" or ."));
        }
    }
    Ok(())
}

pub fn write_output(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => {
            report::write_atomic(path, text.as_bytes())
                .with_context(|| format!("could not write {}", path.display()))?;
            sayln!("wrote {}", path.display());
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
    }
    Ok(())
}

/// Set once a signal is being handled: the process ends on the signal thread, with 128 + the
/// signal, and the command it interrupted must neither report an error nor exit first.
static SIGNALLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Waits for the signal thread's exit when a signal is being handled (the command's programs
/// were killed under it, which is not the command's failure); returns at once otherwise.
pub fn wait_if_signalled() {
    while SIGNALLED.load(std::sync::atomic::Ordering::SeqCst) {
        std::thread::park_timeout(std::time::Duration::from_secs(1));
    }
}

/// On Ctrl-C (SIGINT), SIGTERM or a closed terminal (SIGHUP): kills every peer process group
/// still running and removes the run's temporary folders, then exits with the usual status
/// (128 + the signal). A peer is in a process group of its own, so the terminal's interrupt
/// does not reach it, and it would be left running as an orphan; an exit skips the
/// destructors that remove the folders.
pub fn install_interrupt_handler() {
    #[cfg(target_os = "linux")]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        // The work is done on a thread of its own, where removing folders is allowed (a signal
        // handler may only call async-signal-safe functions).
        let started = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]).and_then(
            |mut signals| {
                std::thread::Builder::new()
                    .name("ladder-signals".into())
                    .spawn(move || {
                        if let Some(sig) = signals.forever().next() {
                            SIGNALLED.store(true, std::sync::atomic::Ordering::SeqCst);
                            ladder::peers::process::kill_all();
                            ladder::fsio::remove_temp_dirs();
                            // A closed terminal has no one to tell.
                            if sig != SIGHUP {
                                sayln!(
                                    "\nladder: stopped ({}); nothing it started is left \
                                     running, and no file is left half-written",
                                    if sig == SIGINT {
                                        "Ctrl-C"
                                    } else {
                                        "terminated"
                                    }
                                );
                            }
                            std::process::exit(128 + sig);
                        }
                    })
            },
        );
        if let Err(e) = started {
            // Still no orphans, though the temporary folders stay.
            sayln!("warning: {e}: an interrupt may leave temporary folders behind");
            install_bare_handler();
        }
    }
}

/// The fallback: kill the peers' groups from the signal handler itself, then exit.
#[cfg(target_os = "linux")]
fn install_bare_handler() {
    extern "C" fn on_signal(sig: libc::c_int) {
        // Only async-signal-safe work here: atomics, kill(2) and _exit(2).
        ladder::peers::process::kill_all();
        // SAFETY: _exit ends the process at once; it is async-signal-safe.
        unsafe { libc::_exit(128 + sig) };
    }
    let handler: extern "C" fn(libc::c_int) = on_signal;
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: installing a handler that does only async-signal-safe work.
        unsafe {
            libc::signal(sig, handler as libc::sighandler_t);
        }
    }
}
