//! Peers: rungs that are programs outside the process (the course's Python ladder, or a
//! student's own program), described by small TOML files.
//!
//! The protocol, for a peer's author:
//! - `ladder` writes the vectors once, as a float32 C-order `.npy` of shape (n, d), and runs
//!   the peer's `command` with its placeholders filled in: `{python}` (the Python interpreter
//!   found), `{dir}` (the folder of the peer's file), `{input}` (the `.npy`), `{row_start}` and
//!   `{row_end}` (compute rows `row_start..row_end`, end excluded), `{k}`, `{threads}`,
//!   `{output}` and `{sims}` (where to write the result).
//! - A `full` peer writes rows `row_start..row_end` of S as a float32 C-order `.npy` of shape
//!   (rows, n) to `{output}`. A `topk` peer writes each row's k best other rows, best first, as
//!   int64 indices of shape (rows, k) to `{output}` and their cosines as float32 to `{sims}`.
//! - Its last line on standard output is one JSON object: `{"setup_s": …, "kernel_s": …}`,
//!   and optionally `"compile_s"` (a JIT's first-call compile time, part of `setup_s`).
//! - Exit status 0 means success; anything else is a failure, shown with the end of its
//!   standard error.
//!
//! Each call is one process. The runner times a first small block, then sizes the next to the
//! time budget, so slow peers run a prefix of rows and are extrapolated like slow rungs.

use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::{Context, Coverage, Kernel, Output, OutputKind, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// The format of peer files this build reads.
pub const FORMAT_VERSION: u32 = 1;

/// The peers shipped with the app: (file name, contents), written to a temporary folder when
/// used, so the binary needs nothing beside it.
const SHIPPED: &[(&str, &str)] = &[
    (
        "_harness.py",
        include_str!("../../assets/peers/_harness.py"),
    ),
    (
        "10_python_naive.toml",
        include_str!("../../assets/peers/10_python_naive.toml"),
    ),
    (
        "20_python_algorithm.toml",
        include_str!("../../assets/peers/20_python_algorithm.toml"),
    ),
    (
        "30_python_builtins.toml",
        include_str!("../../assets/peers/30_python_builtins.toml"),
    ),
    (
        "pure_python.py",
        include_str!("../../assets/peers/pure_python.py"),
    ),
    (
        "40_numpy.toml",
        include_str!("../../assets/peers/40_numpy.toml"),
    ),
    (
        "numpy_peer.py",
        include_str!("../../assets/peers/numpy_peer.py"),
    ),
    (
        "55_cython.toml",
        include_str!("../../assets/peers/55_cython.toml"),
    ),
    (
        "cython_peer.py",
        include_str!("../../assets/peers/cython_peer.py"),
    ),
    (
        "cython_kernel.pyx",
        include_str!("../../assets/peers/cython_kernel.pyx"),
    ),
    (
        "60_numba.toml",
        include_str!("../../assets/peers/60_numba.toml"),
    ),
    (
        "numba_peer.py",
        include_str!("../../assets/peers/numba_peer.py"),
    ),
    (
        "70_pyo3.toml",
        include_str!("../../assets/peers/70_pyo3.toml"),
    ),
    (
        "pyo3_peer.py",
        include_str!("../../assets/peers/pyo3_peer.py"),
    ),
    (
        "80_faiss_flat.toml",
        include_str!("../../assets/peers/80_faiss_flat.toml"),
    ),
    (
        "85_faiss_hnsw.toml",
        include_str!("../../assets/peers/85_faiss_hnsw.toml"),
    ),
    (
        "faiss_peer.py",
        include_str!("../../assets/peers/faiss_peer.py"),
    ),
    (
        "90_hnswlib.toml",
        include_str!("../../assets/peers/90_hnswlib.toml"),
    ),
    (
        "hnswlib_peer.py",
        include_str!("../../assets/peers/hnswlib_peer.py"),
    ),
];

/// What a peer file says.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PeerFile {
    format_version: u32,
    id: String,
    title: String,
    /// A ladder step: baseline, algorithm, vectorize, native, threads, jit, library.
    step: String,
    /// `full` or `topk`.
    output: String,
    #[serde(default)]
    approximate: bool,
    command: Vec<String>,
    what_changed: String,
    why: String,
    #[serde(default)]
    needs: Needs,
    /// The command that installs what it needs.
    #[serde(default)]
    install: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Needs {
    /// Python modules that must import.
    #[serde(default)]
    modules: Vec<String>,
    /// Programs that must be on PATH (besides Python, when the command uses `{python}`).
    #[serde(default)]
    programs: Vec<String>,
}

const PLACEHOLDERS: [&str; 10] = [
    "python",
    "dir",
    "input",
    "row_start",
    "row_end",
    "k",
    "threads",
    "output",
    "sims",
    "n",
];

/// A peer, loaded and checked.
#[derive(Clone, Debug)]
pub struct PeerSpec {
    pub id: String,
    pub title: String,
    pub step: Step,
    pub output: OutputKind,
    pub approximate: bool,
    pub command: Vec<String>,
    pub what_changed: String,
    pub why: String,
    pub modules: Vec<String>,
    pub programs: Vec<String>,
    pub install: String,
    /// The file it came from, and its folder (`{dir}`).
    pub file: PathBuf,
    pub dir: PathBuf,
}

/// A peer file or folder that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PeerError {
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("could not read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn parse_step(s: &str) -> Option<Step> {
    Some(match s {
        "baseline" => Step::Baseline,
        "algorithm" => Step::Algorithm,
        "vectorize" => Step::Vectorize,
        "native" => Step::Native,
        "threads" => Step::Threads,
        "jit" => Step::Jit,
        "library" => Step::Library,
        _ => return None,
    })
}

/// Parses and checks one peer file's text.
pub fn parse_peer(text: &str, file: &Path) -> Result<PeerSpec, PeerError> {
    let bad = |reason: String| PeerError::Invalid {
        path: file.to_path_buf(),
        reason,
    };
    let f: PeerFile = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    if f.format_version != FORMAT_VERSION {
        return Err(bad(format!(
            "format_version {} is not one this ladder reads ({FORMAT_VERSION})",
            f.format_version
        )));
    }
    if f.id.is_empty()
        || !f
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad(format!(
            "id '{}' must be letters, digits, '-' or '_'",
            f.id
        )));
    }
    let step = parse_step(&f.step).ok_or_else(|| {
        bad(format!(
            "step '{}' is not one of baseline, algorithm, vectorize, native, threads, jit, library",
            f.step
        ))
    })?;
    let output = match f.output.as_str() {
        "full" => OutputKind::Full,
        "topk" => OutputKind::TopK,
        o => return Err(bad(format!("output '{o}' must be full or topk"))),
    };
    if f.command.is_empty() {
        return Err(bad("command is empty".into()));
    }
    for arg in &f.command {
        let mut rest = arg.as_str();
        while let Some(open) = rest.find('{') {
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| bad(format!("command argument '{arg}' has an unclosed '{{'")))?;
            let name = &rest[open + 1..open + close];
            if !PLACEHOLDERS.contains(&name) {
                return Err(bad(format!(
                    "command uses {{{name}}}, which is not a placeholder (known: {})",
                    PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(" ")
                )));
            }
            rest = &rest[open + close + 1..];
        }
    }
    let dir = file
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    Ok(PeerSpec {
        id: f.id,
        title: f.title,
        step,
        output,
        approximate: f.approximate,
        command: f.command,
        what_changed: f.what_changed,
        why: f.why,
        modules: f.needs.modules,
        programs: f.needs.programs,
        install: f.install,
        file: file.to_path_buf(),
        dir,
    })
}

/// The files in `dir` whose extension is `ext`, in file-name order (peer and lesson folders
/// are numbered in the course's order).
pub fn files_with_extension(dir: &Path, ext: &str) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    Ok(files)
}

/// Loads every `*.toml` in `dir`, in file-name order (the shipped ones are numbered in the
/// course's order); ids must be unique.
pub fn load_dir(dir: &Path) -> Result<Vec<PeerSpec>, PeerError> {
    let files = files_with_extension(dir, "toml").map_err(|source| PeerError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut peers: Vec<PeerSpec> = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|source| PeerError::Io {
            path: file.clone(),
            source,
        })?;
        let p = parse_peer(&text, &file)?;
        if let Some(other) = peers.iter().find(|o| o.id == p.id) {
            return Err(PeerError::Invalid {
                path: file,
                reason: format!("id '{}' is already used by {}", p.id, other.file.display()),
            });
        }
        peers.push(p);
    }
    Ok(peers)
}

/// Where the shipped peers may be written, best first: the user's cache (`$XDG_CACHE_HOME`,
/// else `~/.cache`), then the temporary folder; in each, a folder named by their content. Runs
/// of the same version share it, so a first-use build (Cython's) is paid once, not by every
/// process.
fn shipped_dirs() -> Vec<PathBuf> {
    // FNV-1a: stable across builds, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, text) in SHIPPED {
        for b in name.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")));
    cache
        .into_iter()
        .chain([std::env::temp_dir()])
        .map(|base| base.join("ladder").join(format!("peers-{h:016x}")))
        .collect()
}

/// Writes the shipped peers into `dir`, only the files that differ.
fn write_shipped(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in SHIPPED {
        let file = dir.join(name);
        // Another ladder may be reading it: replace it whole, and only when it differs.
        if std::fs::read_to_string(&file).ok().as_deref() != Some(*text) {
            crate::fsio::write_atomic(&file, text.as_bytes())?;
        }
    }
    Ok(())
}

/// The shipped peers, written out once per process (see [`shipped_dirs`]).
pub fn shipped() -> Result<Vec<PeerSpec>, PeerError> {
    static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut dir = DIR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if dir.is_none() {
        let mut last = None;
        for path in shipped_dirs() {
            match write_shipped(&path) {
                Ok(()) => {
                    *dir = Some(path);
                    break;
                }
                Err(source) => last = Some(PeerError::Io { path, source }),
            }
        }
        if dir.is_none() {
            return Err(last.expect("at least the temporary folder was tried"));
        }
    }
    load_dir(dir.as_ref().expect("set above"))
}

/// Why a peer cannot run here, with what would fix it; None when it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability(pub Option<String>);

/// The Python interpreter peers run with: `$LADDER_PYTHON`, else `python3`, else `python`.
#[must_use]
pub fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LADDER_PYTHON") {
        return Some(PathBuf::from(p));
    }
    ["python3", "python"].iter().find_map(|p| which(p))
}

/// The full path of `program` on PATH.
#[must_use]
pub fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Path::new(program).is_file().then(|| PathBuf::from(program));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(program))
            .find(|p| p.is_file())
    })
}

/// Whether `python` imports `module` (cached per process).
fn imports(python: &Path, module: &str) -> bool {
    static CACHE: Mutex<Option<HashMap<(PathBuf, String), bool>>> = Mutex::new(None);
    let key = (python.to_path_buf(), module.to_string());
    if let Some(&v) = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .get(&key)
    {
        return v;
    }
    let ok = Command::new(python)
        .args(["-c", &format!("import {module}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(key, ok);
    ok
}

impl PeerSpec {
    pub(crate) fn uses_python(&self) -> bool {
        self.command.iter().any(|a| a.contains("{python}"))
    }

    /// Checks the interpreter, modules and programs it needs.
    #[must_use]
    pub fn availability(&self) -> Availability {
        let fix = |what: String| {
            if self.install.is_empty() {
                Some(what)
            } else {
                Some(format!("{what} (install: {})", self.install))
            }
        };
        for p in &self.programs {
            if which(p).is_none() {
                return Availability(fix(format!("{p} is not on PATH")));
            }
        }
        if self.uses_python() || !self.modules.is_empty() {
            let Some(py) = python() else {
                return Availability(fix(
                    "no Python interpreter (python3) on PATH; set LADDER_PYTHON to use another"
                        .into(),
                ));
            };
            for m in &self.modules {
                if !imports(&py, m) {
                    return Availability(fix(format!(
                        "the Python module {m} is not installed for {}",
                        py.display()
                    )));
                }
            }
        }
        Availability(None)
    }
}

/// Profiling a Python peer with py-spy: each call is run under `py-spy record`, which writes
/// its folded stacks to `dir`.
#[derive(Clone, Debug)]
pub struct Spy {
    pub exe: PathBuf,
    /// Samples per second.
    pub rate: u32,
    pub dir: PathBuf,
}

/// Rung texts are `'static`; a peer's come from a file, so each distinct text is leaked once
/// and reused, however often `info` is asked for.
fn intern(s: &str) -> &'static str {
    static TEXTS: Mutex<std::collections::BTreeSet<&'static str>> =
        Mutex::new(std::collections::BTreeSet::new());
    let mut texts = TEXTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(t) = texts.get(s) {
        return t;
    }
    let t: &'static str = Box::leak(s.to_string().into_boxed_str());
    texts.insert(t);
    t
}

/// A peer as a rung.
pub struct Peer {
    pub spec: PeerSpec,
    /// Profile it with py-spy (Python peers only).
    pub spy: Option<Spy>,
}

impl Peer {
    #[must_use]
    pub fn new(spec: PeerSpec) -> Self {
        Self { spec, spy: None }
    }

    /// Whether it runs under the Python interpreter (so py-spy can profile it).
    #[must_use]
    pub fn is_python(&self) -> bool {
        self.spec.uses_python()
    }
}

/// Every folded-stack file py-spy wrote into `dir`, merged into one text.
pub fn spy_folded(dir: &Path) -> std::io::Result<String> {
    let files = files_with_extension(dir, "folded")?;
    let mut text = String::new();
    for f in files {
        // Samples taken outside any Python frame come with an empty stack: nothing to draw.
        for line in std::fs::read_to_string(f)?.lines() {
            if line
                .rsplit_once(' ')
                .is_some_and(|(stack, _)| !stack.trim().is_empty())
            {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    Ok(text)
}

impl Rung for Peer {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: intern(&self.spec.id),
            title: intern(&self.spec.title),
            step: self.spec.step,
            what_changed: intern(&self.spec.what_changed),
            why: intern(&self.spec.why),
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::Full
    }

    fn approximate(&self) -> bool {
        self.spec.approximate
    }

    fn output(&self) -> OutputKind {
        self.spec.output
    }

    fn row_align(&self) -> usize {
        // The first block times the peer; the next is sized to the budget.
        1
    }

    fn probe_first(&self) -> bool {
        true
    }

    fn threads(&self, ctx: &Context) -> usize {
        ctx.threads.max(1)
    }

    fn prepare<'a>(&self, x: &'a Matrix, ctx: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        if let Some(why) = self.spec.availability().0 {
            return Err(RungError::Unavailable(why));
        }
        let dir = std::env::temp_dir().join(format!(
            "ladder-run-{}-{}-{}",
            std::process::id(),
            self.spec.id,
            RUN_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| RungError::Unsupported(format!("{}: {e}", dir.display())))?;
        let input = dir.join("input.npy");
        crate::workload::save_npy(&input, x)
            .map_err(|e| RungError::Unsupported(format!("{}: {e}", input.display())))?;
        Ok(Box::new(PeerKernel {
            spec: self.spec.clone(),
            python: python(),
            dir,
            input,
            n: x.n(),
            threads: ctx.threads.max(1),
            limit: ctx.budget * 2 + Duration::from_secs(5),
            cancel: ctx.cancel.clone(),
            spy: self.spy.clone(),
            failure: None,
            overhead: Duration::ZERO,
            stats: PeerStats::default(),
        }))
    }
}

static RUN_COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The process id of the peer running now (0: none), for monitors that show its memory.
static RUNNING: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// The process id of the peer process running now, if any.
#[must_use]
pub fn running_pid() -> Option<u32> {
    match RUNNING.load(Ordering::Relaxed) {
        0 => None,
        pid => Some(pid),
    }
}

/// What the peer's processes cost, measured from outside.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PeerStats {
    /// Processes run.
    pub calls: usize,
    /// Wall time of all of them, seconds.
    pub wall_s: f64,
    /// CPU time (user + system) of all of them, seconds.
    pub cpu_s: f64,
    /// The largest resident set of any of them, bytes.
    pub peak_rss_bytes: u64,
    /// Set-up the peer reported (interpreter start excluded), summed.
    pub setup_s: f64,
    /// A JIT's compile time the peer reported (part of its set-up), summed.
    pub compile_s: Option<f64>,
}

struct PeerKernel {
    spec: PeerSpec,
    python: Option<PathBuf>,
    dir: PathBuf,
    input: PathBuf,
    n: usize,
    threads: usize,
    /// Wall time after which a call is killed as hung.
    limit: Duration,
    cancel: Option<Arc<AtomicBool>>,
    spy: Option<Spy>,
    failure: Option<String>,
    overhead: Duration,
    stats: PeerStats,
}

impl Drop for PeerKernel {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How one process ended.
struct Ended {
    success: bool,
    code: String,
    wall: Duration,
    cpu_s: f64,
    peak_rss: u64,
}

impl PeerKernel {
    fn fill(&self, arg: &str, rows: &Range<usize>, k: usize) -> String {
        let out = self.dir.join("output.npy");
        let sims = self.dir.join("sims.npy");
        let py = self
            .python
            .as_ref()
            .map_or_else(|| "python3".to_string(), |p| p.display().to_string());
        arg.replace("{python}", &py)
            .replace("{dir}", &self.spec.dir.display().to_string())
            .replace("{input}", &self.input.display().to_string())
            .replace("{row_start}", &rows.start.to_string())
            .replace("{row_end}", &rows.end.to_string())
            .replace("{k}", &k.to_string())
            .replace("{threads}", &self.threads.to_string())
            .replace("{output}", &out.display().to_string())
            .replace("{sims}", &sims.display().to_string())
            .replace("{n}", &self.n.to_string())
    }

    /// Runs one call; Err is the reason it failed, for people.
    fn call(&mut self, rows: &Range<usize>, k: usize) -> Result<(Ended, String), String> {
        let mut args: Vec<String> = self
            .spec
            .command
            .iter()
            .map(|a| self.fill(a, rows, k))
            .collect();
        if let Some(spy) = &self.spy {
            let out = spy
                .dir
                .join(format!("{}-{:03}.folded", self.spec.id, self.stats.calls));
            let mut wrapped = vec![
                spy.exe.display().to_string(),
                "record".into(),
                "--format".into(),
                "raw".into(),
                "--rate".into(),
                spy.rate.to_string(),
                "--nonblocking".into(),
                "-o".into(),
                out.display().to_string(),
                "--".into(),
            ];
            wrapped.append(&mut args);
            args = wrapped;
        }
        // The peer creates this file when its set-up (imports, loading, a first-use compile)
        // is over; the hang limit counts from there.
        let mark = self.dir.join("kernel-started");
        let _ = std::fs::remove_file(&mark);
        let mut cmd = Command::new(&args[0]);
        cmd.args(&args[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("LADDER_KERNEL_MARK", &mark)
            .env("OMP_NUM_THREADS", self.threads.to_string())
            .env("NUMBA_NUM_THREADS", self.threads.to_string());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            // Its own process group, so that cancelling kills its children too.
            cmd.process_group(0);
        }
        let start = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("could not start `{}`: {e}", args.join(" ")))?;
        // Drain the pipes on threads, so a chatty peer never blocks on a full pipe.
        let drain = |r: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut s = String::new();
                if let Some(mut r) = r {
                    let _ = r.read_to_string(&mut s);
                }
                s
            })
        };
        let out_t = drain(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        let err_t = drain(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
        );
        RUNNING.store(child.id(), Ordering::Relaxed);
        let ended = wait(
            &mut child,
            start,
            &Limits {
                kernel: self.limit,
                setup: SETUP_LIMIT,
                mark: &mark,
            },
            self.cancel.as_deref(),
        );
        RUNNING.store(0, Ordering::Relaxed);
        let stdout = out_t.join().unwrap_or_default();
        let stderr = err_t.join().unwrap_or_default();
        let ended = ended?;
        if !ended.success {
            let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "{} ({}): {}",
                self.spec.id,
                ended.code,
                if tail.is_empty() {
                    "no message on standard error".to_string()
                } else {
                    tail.join(" / ")
                }
            ));
        }
        Ok((ended, stdout))
    }
}

/// How long a peer's set-up may take before its kernel starts (a first-use compile on a busy
/// 2-core machine: Cython's C build took over 7 s).
const SETUP_LIMIT: Duration = Duration::from_mins(2);

/// When a peer is taken for hung.
struct Limits<'a> {
    /// Wall time allowed from the kernel's start (or, for a peer that never says, on top of
    /// `setup`).
    kernel: Duration,
    /// Wall time allowed before the kernel starts.
    setup: Duration,
    /// The file whose appearance says the kernel started.
    mark: &'a Path,
}

impl Limits<'_> {
    /// The deadline, from the start: `kernel` after the mark appeared, or `setup + kernel`
    /// while it has not. `seen` remembers when the mark was first seen.
    fn deadline(&self, seen: &mut Option<Duration>, now: Duration) -> Duration {
        if seen.is_none() && self.mark.exists() {
            *seen = Some(now);
        }
        seen.unwrap_or(self.setup) + self.kernel
    }
}

/// Waits for `child`, killing its process group when cancelled or past its limits.
fn wait(
    child: &mut std::process::Child,
    start: Instant,
    limits: &Limits,
    cancel: Option<&AtomicBool>,
) -> Result<Ended, String> {
    let mut kernel_started = None;
    let kill = |child: &mut std::process::Child| {
        #[cfg(unix)]
        // SAFETY: kill(2) with a negative pid signals the process group we created.
        unsafe {
            libc::kill(-child.id().cast_signed(), libc::SIGKILL);
        }
        let _ = child.kill();
    };
    // The child's own high-water mark, sampled: its rusage maxrss would include the memory
    // of this process at the fork, before the exec.
    let mut peak_rss = 0u64;
    loop {
        #[cfg(target_os = "linux")]
        {
            peak_rss = peak_rss.max(vm_hwm(child.id()).unwrap_or(0));
            let mut status = 0;
            // SAFETY: an all-zero rusage is a valid value for wait4 to fill.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: wait4 on our own child's pid, with valid pointers; WNOHANG never blocks.
            let r = unsafe {
                libc::wait4(
                    child.id().cast_signed(),
                    &raw mut status,
                    libc::WNOHANG,
                    &raw mut usage,
                )
            };
            if r > 0 {
                let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
                let exited = libc::WIFEXITED(status);
                let code = if exited {
                    format!("exit status {}", libc::WEXITSTATUS(status))
                } else {
                    format!("killed by signal {}", libc::WTERMSIG(status))
                };
                return Ok(Ended {
                    success: exited && libc::WEXITSTATUS(status) == 0,
                    code,
                    wall: start.elapsed(),
                    cpu_s: secs(usage.ru_utime) + secs(usage.ru_stime),
                    peak_rss,
                });
            }
            if r < 0 {
                return Err(format!(
                    "lost track of the peer process: {}",
                    std::io::Error::last_os_error()
                ));
            }
        }
        #[cfg(not(target_os = "linux"))]
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Ok(Ended {
                success: status.success(),
                code: status.to_string(),
                wall: start.elapsed(),
                cpu_s: 0.0,
                peak_rss,
            });
        }
        if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            kill(child);
            let _ = child.wait();
            return Err("cancelled".into());
        }
        let now = start.elapsed();
        if now > limits.deadline(&mut kernel_started, now) {
            kill(child);
            let _ = child.wait();
            return Err(match kernel_started {
                Some(at) => format!(
                    "its kernel was still running {:.0} s after it started, twice the time \
                     budget and more: killed it and its children (a hung peer, or a budget too \
                     small for one row)",
                    now.saturating_sub(at).as_secs_f64()
                ),
                None => format!(
                    "still running after {:.0} s without starting its kernel (set-up: imports, \
                     loading, a first compile): killed it and its children",
                    now.as_secs_f64()
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The peak resident memory of process `pid` so far (`VmHWM`), bytes.
#[cfg(target_os = "linux")]
fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// The peer's JSON line: its own set-up and kernel times (the names are the protocol's).
#[derive(Deserialize)]
#[allow(clippy::struct_field_names)]
struct Times {
    setup_s: f64,
    kernel_s: f64,
    #[serde(default)]
    compile_s: Option<f64>,
}

impl Kernel for PeerKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let called = Instant::now();
        self.overhead = Duration::ZERO;
        if self.failure.is_some() || rows.is_empty() {
            return;
        }
        let k = match out {
            Output::TopK(t) => t.k(),
            Output::Full(_) => 0,
        };
        let result = self.call(&rows, k).and_then(|(ended, stdout)| {
            self.stats.calls += 1;
            self.stats.wall_s += ended.wall.as_secs_f64();
            self.stats.cpu_s += ended.cpu_s;
            self.stats.peak_rss_bytes = self.stats.peak_rss_bytes.max(ended.peak_rss);
            // Its own last line; a profiler wrapping it (py-spy) may print after it.
            let last = stdout
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty() && !l.starts_with("py-spy>"));
            let times: Times = last
                .and_then(|l| serde_json::from_str(l.trim()).ok())
                .ok_or_else(|| {
                    let shown: String = last.unwrap_or("").chars().take(120).collect();
                    format!(
                        "{}: its last line of output must be a JSON object like \
                         {{\"setup_s\": 0.1, \"kernel_s\": 2.5}}; it printed {shown:?}",
                        self.spec.id
                    )
                })?;
            self.stats.setup_s += times.setup_s;
            if let Some(c) = times.compile_s {
                *self.stats.compile_s.get_or_insert(0.0) += c;
            }
            let kernel = Duration::from_secs_f64(times.kernel_s.clamp(0.0, 1e9));
            self.read_result(&rows, out)?;
            // Interpreter start, imports, loading and passing the result back are set-up,
            // not kernel: the kernel time is the peer's own.
            self.overhead = called.elapsed().saturating_sub(kernel);
            Ok(())
        });
        if let Err(e) = result {
            self.failure = Some(e);
        }
    }

    fn failure(&self) -> Option<String> {
        self.failure.clone()
    }

    fn take_overhead(&mut self) -> Duration {
        std::mem::take(&mut self.overhead)
    }

    fn peer_stats(&self) -> Option<PeerStats> {
        Some(self.stats)
    }
}

impl PeerKernel {
    fn read_result(&self, rows: &Range<usize>, out: &mut Output) -> Result<(), String> {
        let m = rows.len();
        let out_path = self.dir.join("output.npy");
        match out {
            Output::Full(s) => {
                let data = read_npy_exact(&out_path, "<f4", &[m, self.n])?;
                for (r, i) in rows.clone().enumerate() {
                    let row = s.row_mut(i);
                    for (j, v) in row.iter_mut().enumerate() {
                        let at = (r * self.n + j) * 4;
                        *v = f32::from_le_bytes([
                            data[at],
                            data[at + 1],
                            data[at + 2],
                            data[at + 3],
                        ]);
                    }
                }
            }
            Output::TopK(t) => {
                let k = t.k();
                let idx = read_npy_exact(&out_path, "<i8", &[m, k])?;
                let sims = read_npy_exact(&self.dir.join("sims.npy"), "<f4", &[m, k])?;
                let (ix, sx) = t.rows_mut(rows.clone());
                for e in 0..m * k {
                    let j = i64::from_le_bytes(idx[e * 8..e * 8 + 8].try_into().expect("8 bytes"));
                    // Out of range (e.g. faiss's -1 for "none found") is kept as an impossible
                    // index, which verification reports.
                    ix[e] = u32::try_from(j).unwrap_or(u32::MAX);
                    sx[e] = f32::from_le_bytes(sims[e * 4..e * 4 + 4].try_into().expect("4 bytes"));
                }
            }
        }
        Ok(())
    }
}

/// The data of a `.npy` that must have exactly this dtype and shape (C order).
fn read_npy_exact(path: &Path, descr: &str, shape: &[usize]) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path)
        .map_err(|e| format!("the peer wrote no result at {}: {e}", path.display()))?;
    let bad = |why: String| format!("{}: {why}", path.display());
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file".into()));
    }
    let (len, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else if bytes.len() >= 12 {
        (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        )
    } else {
        return Err(bad("truncated header".into()));
    };
    let header = bytes
        .get(start..start + len)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("truncated header".into()))?;
    let compact: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    let want_shape = format!(
        "({})",
        shape
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    if !compact.contains(&format!("'descr':'{descr}'")) {
        return Err(bad(format!(
            "dtype must be '{descr}' (header: {})",
            header.trim()
        )));
    }
    if !compact.contains("'fortran_order':False") {
        return Err(bad("must be in C order".into()));
    }
    if !compact.contains(&format!("'shape':{want_shape}")) {
        return Err(bad(format!(
            "shape must be {want_shape} (header: {})",
            header.trim()
        )));
    }
    let data = &bytes[start + len..];
    let need = shape.iter().product::<usize>() * if descr.ends_with('8') { 8 } else { 4 };
    if data.len() != need {
        return Err(bad(format!(
            "holds {} bytes of data, not the {need} its shape needs",
            data.len()
        )));
    }
    Ok(data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hang_limit_counts_from_the_kernel_s_start() {
        let dir = tempfile::tempdir().unwrap();
        let mark = dir.path().join("kernel-started");
        let limits = Limits {
            kernel: Duration::from_secs(7),
            setup: Duration::from_mins(2),
            mark: &mark,
        };
        let s = Duration::from_secs;
        let mut seen = None;
        // No mark yet: set-up and kernel together.
        assert_eq!(limits.deadline(&mut seen, s(30)), s(127));
        std::fs::write(&mark, "").unwrap();
        // Seen at 40 s: seven seconds from there, however long the set-up was.
        assert_eq!(limits.deadline(&mut seen, s(40)), s(47));
        assert_eq!(limits.deadline(&mut seen, s(45)), s(47));
        assert_eq!(seen, Some(s(40)));
    }
}
