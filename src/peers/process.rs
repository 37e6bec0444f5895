//! One program run as a process of its own group: its output drained on threads, killed with
//! its children when cancelled or hung, and its cost (wall, CPU, peak memory) measured from
//! outside. The peers run through here; so can any other client that runs a user's program.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use memory::rss_now;
#[cfg(target_os = "linux")]
use memory::{available_memory, memory};

/// How long a program's set-up may take before its kernel starts (a first-use compile on a
/// busy 2-core machine: Cython's C build took over 7 s).
pub const SETUP_LIMIT: Duration = Duration::from_mins(2);

/// The process id of the program running now (0: none), for monitors that show its memory.
static RUNNING: AtomicU32 = AtomicU32::new(0);

/// The resident bytes of the program running now, all its processes together (see [`run`]).
static RUNNING_RSS: AtomicU64 = AtomicU64::new(0);

/// The process groups of every program running now (0: a free slot), so that an interrupt or
/// a panic can kill them all: plain atomics, which a signal handler may read.
static GROUPS: [AtomicU32; 16] = [const { AtomicU32::new(0) }; 16];

/// The process id of the peer process running now, if any.
#[must_use]
pub fn running_pid() -> Option<u32> {
    match RUNNING.load(Ordering::Relaxed) {
        0 => None,
        pid => Some(pid),
    }
}

/// Set once the process is on its way out: a program started after that is killed at once.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// The resident bytes of the program running now, all its processes together, as last
/// sampled; None where none runs (or, off Linux, where it is not measured).
#[must_use]
pub fn running_rss() -> Option<u64> {
    (cfg!(target_os = "linux") && running_pid().is_some())
        .then(|| RUNNING_RSS.load(Ordering::Relaxed))
}

/// Kills every program this process started and has not yet seen end, with its children, and
/// any it starts from now on. Async-signal-safe (atomics and kill(2) only): call it from an
/// interrupt handler or a panic hook before exiting, so that no peer is left running as an
/// orphan.
pub fn kill_all() {
    // Before the sweep: a program registered after it sees the flag and kills itself.
    STOPPING.store(true, Ordering::SeqCst);
    for slot in &GROUPS {
        let group = slot.swap(0, Ordering::SeqCst);
        if group != 0 {
            kill_group(group);
        }
    }
}

/// SIGKILL to process group `group` (which we created for a child); nothing elsewhere.
fn kill_group(group: u32) {
    #[cfg(unix)]
    if let Ok(g) = i32::try_from(group)
        && g > 0
    {
        // SAFETY: kill(2) with a negative pid signals the process group we created; it
        // touches no memory of ours.
        unsafe {
            libc::kill(-g, libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = group;
}

/// A registered process group, unregistered (and killed, with whatever it left behind) when
/// the call is over.
struct Group(u32);

impl Group {
    fn register(pid: u32) -> Self {
        // More than the slots at once is not expected (one peer runs at a time); such a
        // group is then only killed by its own call.
        for slot in &GROUPS {
            if slot
                .compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                break;
            }
        }
        if STOPPING.load(Ordering::SeqCst) {
            kill_group(pid);
        }
        Self(pid)
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        for slot in &GROUPS {
            if slot
                .compare_exchange(self.0, 0, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                break;
            }
        }
        // A grandchild left running would hold the output pipes open and outlive the call.
        kill_group(self.0);
    }
}

/// What is kept of one output stream: its first and its last [`KEEP`] bytes, and how much
/// was dropped between them (a program printing megabytes costs no more memory than this).
#[derive(Default)]
struct Kept {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    dropped: u64,
}

/// Bytes kept of each end of an output stream.
const KEEP: usize = 64 * 1024;

impl Kept {
    fn push(&mut self, mut bytes: &[u8]) {
        let room = KEEP.saturating_sub(self.head.len());
        let (first, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(first);
        bytes = rest;
        self.tail.extend(bytes);
        let over = self.tail.len().saturating_sub(KEEP);
        if over > 0 {
            self.tail.drain(..over);
            self.dropped += over as u64;
        }
    }

    /// The text, invalid UTF-8 replaced rather than lost; a gap says how much was dropped.
    /// Control characters are made visible: a program's escape codes, shown in a table or a
    /// terminal later, must not clear the screen or colour what follows.
    fn text(&self) -> String {
        let mut s = visible(&String::from_utf8_lossy(&self.head));
        if self.dropped > 0 {
            let _ = write!(s, "\n[… {} bytes not kept …]\n", self.dropped);
        }
        let (a, b) = self.tail.as_slices();
        s.push_str(&visible(&String::from_utf8_lossy(&[a, b].concat())));
        s
    }
}

/// `text` with its control characters as `cat -v` shows them (`^[` for escape), but for
/// line breaks and tabs; a carriage return (a progress bar redrawing its line) ends a line.
#[must_use]
pub fn visible(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => out.push('\n'),
            '\u{7f}' => out.push_str("^?"),
            c if u32::from(c) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// How long the output of a program that has ended may still take to arrive: a pipe held
/// open by something it left behind is not waited for past this.
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

/// When a program is taken for hung.
#[derive(Clone, Copy, Debug)]
pub struct Limits<'a> {
    /// Wall time allowed from the kernel's start (or, for a program that never says, on top
    /// of `setup`).
    pub kernel: Duration,
    /// Wall time allowed before the kernel starts.
    pub setup: Duration,
    /// The file whose appearance says the kernel started (passed to the program as
    /// `LADDER_KERNEL_MARK`).
    pub mark: &'a Path,
    /// Resident bytes the program (all its processes) may hold; None: 80% of the memory free
    /// when it starts, so it is stopped before the system's out-of-memory killer picks
    /// something (the app, the desktop) for it.
    pub memory: Option<u64>,
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

/// Told each whole line the program prints on standard output as it prints it, with the
/// resident bytes of the program measured from outside at that moment (0 where not measured):
/// a program that logs its progress can be measured at the points it names.
#[derive(Clone)]
pub struct LineSink(pub Arc<OnLine>);

/// What a [`LineSink`] calls: the line, and the resident bytes then.
pub type OnLine = dyn Fn(&str, u64) + Send + Sync;

impl std::fmt::Debug for LineSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LineSink")
    }
}

/// A program to run: `args[0]` with the rest as arguments, in an environment with `env` added.
#[derive(Debug)]
pub struct Call<'a> {
    pub args: Vec<String>,
    pub env: Vec<(&'static str, OsString)>,
    pub limits: Limits<'a>,
    pub cancel: Option<&'a AtomicBool>,
    /// Told each line of standard output as it comes (see [`LineSink`]).
    pub lines: Option<LineSink>,
}

/// How one process ended, and what it cost.
#[derive(Clone, Debug)]
pub struct Ended {
    pub success: bool,
    /// "exit status N" or "killed by signal N", for people.
    pub code: String,
    pub wall: Duration,
    /// User and system CPU time, seconds (0 where the platform does not say).
    pub cpu_s: f64,
    /// The program's peak resident memory, bytes, all its processes together (sampled; see
    /// [`run`]).
    pub peak_rss: u64,
}

/// A process that ran to its end (successfully or not), with what it printed.
#[derive(Clone, Debug)]
pub struct Finished {
    pub ended: Ended,
    pub stdout: String,
    pub stderr: String,
}

impl Finished {
    /// The last `lines` lines of standard error joined with " / ", or a note that it was empty.
    #[must_use]
    pub fn stderr_tail(&self, lines: usize) -> String {
        let mut tail: Vec<&str> = self.stderr.lines().rev().take(lines).collect();
        tail.reverse();
        if tail.is_empty() {
            "no message on standard error".to_string()
        } else {
            tail.join(" / ")
        }
    }
}

/// Whose memory a call measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Measure {
    /// The process and every process it starts.
    Tree,
    /// Only what the process starts: it is a wrapper (a profiler) around the program.
    UnderWrapper,
}

/// Runs `call` to its end. Err says, for people, why it did not end by itself: it could not
/// start, was cancelled, or was killed as hung. Its memory is that of its process and of
/// every process that one starts.
pub fn run(call: &Call) -> Result<Finished, String> {
    run_measuring(call, Measure::Tree)
}

/// Runs `call`, whose first argument is a wrapper such as a profiler (`py-spy record --`):
/// as [`run`], but the memory measured is that of what the wrapper starts, the program, not
/// the wrapper's own.
pub fn run_wrapped(call: &Call) -> Result<Finished, String> {
    run_measuring(call, Measure::UnderWrapper)
}

fn run_measuring(call: &Call, measure: Measure) -> Result<Finished, String> {
    let (program, rest) = call
        .args
        .split_first()
        .ok_or_else(|| "no program to run".to_string())?;
    let _ = std::fs::remove_file(call.limits.mark);
    let mut cmd = Command::new(program);
    cmd.args(rest)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("LADDER_KERNEL_MARK", call.limits.mark);
    for (k, v) in &call.env {
        cmd.env(k, v);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // A session of its own: its own process group, so that cancelling kills its children
        // too, and no controlling terminal, so nothing it runs (a student's step) can write to
        // the app's screen through /dev/tty.
        // SAFETY: the closure runs in the forked child before exec and only calls setsid,
        // which is async-signal-safe and touches no memory of the parent's.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("could not start `{}`: {e}", call.args.join(" ")))?;
    let group = Group::register(child.id());
    let pid = child.id();
    // Drain the pipes on threads, so a chatty program never blocks on a full pipe; what it
    // says is kept bounded (its start and its end) and read back even if the pipe stays open.
    let drain = |r: Option<Box<dyn Read + Send>>, sink: Option<LineSink>| {
        let kept = Arc::new(Mutex::new(Kept::default()));
        let shared = Arc::clone(&kept);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let reading = std::thread::Builder::new()
            .name("ladder-drain".into())
            .spawn(move || {
                if let Some(mut r) = r {
                    let mut buf = [0u8; 8192];
                    let mut line = Vec::new();
                    while let Ok(got) = r.read(&mut buf) {
                        if got == 0 {
                            break;
                        }
                        if let Some(sink) = &sink {
                            for &b in &buf[..got] {
                                if b == b'\n' {
                                    sink.0(&String::from_utf8_lossy(&line), rss_now(pid, measure));
                                    line.clear();
                                } else if line.len() < KEEP {
                                    line.push(b);
                                }
                            }
                        }
                        shared
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push(&buf[..got]);
                    }
                }
                let _ = tx.send(());
            });
        reading.map(|_| (kept, rx))
    };
    let drains = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
        call.lines.clone(),
    )
    .and_then(|out| {
        let err = drain(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            None,
        )?;
        Ok((out, err))
    });
    let (out_t, err_t) = match drains {
        Ok(d) => d,
        Err(e) => {
            // Its group is killed as `group` drops; reap it.
            drop(group);
            let _ = child.wait();
            return Err(format!("could not start a thread to read its output: {e}"));
        }
    };
    RUNNING.store(child.id(), Ordering::Relaxed);
    let ended = wait(&mut child, start, &call.limits, call.cancel, measure);
    RUNNING.store(0, Ordering::Relaxed);
    RUNNING_RSS.store(0, Ordering::Relaxed);
    drop(group);
    let until = Instant::now() + DRAIN_LIMIT;
    let collect = |(kept, done): (Arc<Mutex<Kept>>, std::sync::mpsc::Receiver<()>)| {
        let _ = done.recv_timeout(until.saturating_duration_since(Instant::now()));
        kept.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .text()
    };
    let stdout = collect(out_t);
    let stderr = collect(err_t);
    Ok(Finished {
        ended: ended?,
        stdout,
        stderr,
    })
}

/// Waits for `child`, killing its process group when cancelled or past its limits.
fn wait(
    child: &mut std::process::Child,
    start: Instant,
    limits: &Limits,
    cancel: Option<&AtomicBool>,
    measure: Measure,
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
    // Sampled from /proc while the processes live: the child's rusage maxrss would include
    // the memory of this process at the fork, before the exec, and none of its children's
    // that it has not waited for.
    let mut peak_rss = 0u64;
    #[cfg(not(target_os = "linux"))]
    let _ = measure;
    #[cfg(target_os = "linux")]
    let ceiling = limits
        .memory
        .unwrap_or_else(|| available_memory().map_or(u64::MAX, |a| a / 10 * 8));
    loop {
        #[cfg(target_os = "linux")]
        {
            let (now, peak) = memory(child.id(), measure);
            RUNNING_RSS.store(now, Ordering::Relaxed);
            peak_rss = peak_rss.max(peak);
            if now > ceiling {
                kill(child);
                let _ = child.wait();
                return Err(format!(
                    "it took {} of memory, more than the {} it may (most of what was free when \
                     it started): killed it and everything it started before the machine runs \
                     out (a list or cache that never stops growing?)",
                    crate::workload::human_bytes(now),
                    crate::workload::human_bytes(ceiling)
                ));
            }
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
                    signal_words(libc::WTERMSIG(status))
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
            // A hang that also grew is said to have: memory may be what to look at.
            let grew = if peak_rss >= 1 << 30 {
                format!(
                    "; it had taken {} of memory by then",
                    crate::workload::human_bytes(peak_rss)
                )
            } else {
                String::new()
            };
            return Err(match kernel_started {
                Some(at) => format!(
                    "its call was still running {:.0} s after it started (the limit here: \
                     {:.0} s): killed it and everything it started (a loop that never ends, or \
                     a budget too short for one row){grew}",
                    now.saturating_sub(at).as_secs_f64(),
                    limits.kernel.as_secs_f64()
                ),
                None => format!(
                    "still running {:.0} s after it started, in its set-up: importing, \
                     loading, compiling, or a JIT's warm-up call on one row (the limit for \
                     set-up is {:.0} s). Killed it and everything it started{grew}. A loop \
                     that never ends, at the top of the file or in that warm-up call?",
                    now.as_secs_f64(),
                    limits.setup.as_secs_f64()
                ),
            });
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// How a process that a signal ended died, for people: a crash says so, by its usual name.
#[cfg(target_os = "linux")]
fn signal_words(sig: i32) -> String {
    let what = match sig {
        libc::SIGSEGV => "crashed: a segmentation fault, signal 11",
        libc::SIGBUS => "crashed: a bus error",
        libc::SIGFPE => "crashed: an arithmetic fault",
        libc::SIGILL => "crashed: an illegal instruction",
        libc::SIGABRT => "crashed: it aborted",
        libc::SIGKILL => "killed (signal 9: out of memory, or stopped on purpose)",
        _ => return format!("killed by signal {sig}"),
    };
    what.to_string()
}

mod memory;
#[cfg(test)]
mod tests;
