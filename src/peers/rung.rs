//! A peer as a rung: the thin adapter between the runner's [`Rung`]/[`Kernel`] contract and
//! the peer's process. Each block of rows is one call of the peer's command.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::probe::python;
use super::process::{self, Call, Finished, Limits};
use super::readback::{parse_times, read_result};

/// The exit status said of a program that failed under py-spy (which ends with 0 whatever the
/// program's status was).
pub const SPY_HIDDEN_STATUS: &str = "exit status hidden by py-spy";
use super::spec::PeerSpec;
use super::spy::{Spy, last_own_line};
use crate::rungs::{
    Context, Coverage, Kernel, Output, OutputKind, PeerStats, Rung, RungError, RungInfo,
};
use crate::workload::Matrix;

/// Lines of detail kept above a one-line summary.
const DETAIL_LINES: usize = 40;
/// How much of what a successful program printed is kept: lines, and characters a line.
const PRINTED_LINES: usize = 12;
const PRINTED_WIDTH: usize = 200;

/// What a program whose last line of standard error is its own summary (the lab's harness)
/// starts that line with: a line without it was printed by the code it ran, which ended (a
/// crash, `os._exit`) before the program could say why.
pub const SUMMARY_MARK: &str = "why: ";

/// Why a call failed, for people: the process's end and the last lines of standard error.
/// For a program that ends with its own summary (`stderr_lines` 1), the summary, with the
/// detail it wrote above it (the student's traceback) kept below for whoever shows more; when
/// it never said why, how it ended, and the last line the code it ran printed.
fn failure_why(id: &str, finished: &Finished, stderr_lines: usize) -> String {
    let (code, stderr) = (finished.ended.code.as_str(), finished.stderr.as_str());
    let tail = |lines: &[&str]| {
        lines[lines.len().saturating_sub(DETAIL_LINES)..]
            .iter()
            .fold(String::new(), |acc, l| acc + "\n" + l)
    };
    if stderr_lines != 1 {
        return format!(
            "{id} ({code}): {}",
            finished.stderr_tail(stderr_lines.max(1))
        );
    }
    let lines: Vec<&str> = stderr.lines().collect();
    if let Some(summary) = lines.last().and_then(|l| l.strip_prefix(SUMMARY_MARK)) {
        return format!(
            "{id} ({code}): {summary}{}",
            tail(&lines[..lines.len() - 1])
        );
    }
    // Python's fault handler ends a crash with the stacks: the code's own last words are above.
    let own = lines
        .iter()
        .position(|l| l.starts_with("Fatal Python error"))
        .map_or(&lines[..], |at| &lines[..at]);
    let said = own
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| {
            let l: String = l.trim().chars().take(PRINTED_WIDTH).collect();
            format!(" (the last line it printed: \"{l}\")")
        })
        .unwrap_or_default();
    let how = if let Some(status) = code.strip_prefix("exit status ") {
        format!("it exited with status {status} before it returned, without an error")
    } else if code == SPY_HIDDEN_STATUS {
        "it ended before it returned, without an error (its exit status hidden by py-spy)".into()
    } else {
        code.to_string()
    };
    format!("{id}: {how}{said}{}", tail(&lines))
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
        // Private (0700) and unpredictable, so no one else can plant or read files in it;
        // removed when the kernel is dropped.
        let dir = crate::fsio::private_temp_dir(&format!("ladder-run-{}-", self.spec.id)).map_err(
            |e| {
                RungError::Unsupported(format!(
                    "could not make a folder in {}: {e}",
                    std::env::temp_dir().display()
                ))
            },
        )?;
        let input = dir.path().join("input.npy");
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

struct PeerKernel {
    spec: PeerSpec,
    python: Option<PathBuf>,
    /// The run's working folder: the input, the results, the kernel mark.
    dir: crate::fsio::PrivateTempDir,
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

impl PeerKernel {
    /// One argument of the peer's command with its placeholders filled in.
    fn fill(&self, arg: &str, rows: &Range<usize>, k: usize) -> String {
        let out = self.dir.path().join("output.npy");
        let sims = self.dir.path().join("sims.npy");
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

    /// Runs one call and reads its rows into `out`; Err is the reason it failed, for people.
    fn call(&mut self, rows: &Range<usize>, k: usize, out: &mut Output) -> Result<(), String> {
        let called = Instant::now();
        let mut args: Vec<String> = self
            .spec
            .command
            .iter()
            .map(|a| self.fill(a, rows, k))
            .collect();
        if let Some(spy) = &self.spy {
            args = spy.wrap(&format!("{}-{:03}", self.spec.id, self.stats.calls), args);
        }
        // The peer creates this file when its set-up (imports, loading, a first-use compile)
        // is over; the hang limit counts from there.
        let mark = self.dir.path().join("kernel-started");
        let threads = self.threads.to_string();
        // Under py-spy the memory measured is the peer's, not the profiler's.
        let run = if self.spy.is_some() {
            process::run_wrapped
        } else {
            process::run
        };
        let mut finished = run(&Call {
            args,
            env: vec![
                // --threads holds for every numerical library, whatever the user's
                // environment says.
                ("OMP_NUM_THREADS", threads.clone().into()),
                ("OPENBLAS_NUM_THREADS", threads.clone().into()),
                ("MKL_NUM_THREADS", threads.clone().into()),
                ("NUMBA_NUM_THREADS", threads.into()),
            ],
            limits: Limits {
                kernel: self.limit,
                setup: self.spec.setup_limit,
                mark: &mark,
                memory: None,
            },
            cancel: self.cancel.as_deref(),
            lines: None,
        })?;
        if self.spy.is_some() {
            // py-spy passes the program's standard error through among lines of its own, and
            // ends with status 0 whatever the program's status was: its lines go, and a
            // program that handed back no result but said why on standard error failed.
            // py-spy's own error (it could not attach to a program that ended at once) is not
            // the program's either: the program's words above it say what failed.
            let spy_error = !finished.ended.success && finished.ended.code.contains("exit status");
            finished.stderr = without_spy_lines(&finished.stderr, !spy_error);
            let no_result = parse_times(&self.spec.id, last_own_line(&finished.stdout)).is_err();
            if (finished.ended.success || spy_error) && no_result && !finished.stderr.is_empty() {
                finished.ended.success = false;
                SPY_HIDDEN_STATUS.clone_into(&mut finished.ended.code);
            } else if spy_error && !no_result {
                // py-spy failed, the program did not: it handed back its result, which is
                // checked like any other (only its profile is missing).
                finished.ended.success = true;
            }
        }
        if !finished.ended.success {
            return Err(failure_why(
                &self.spec.id,
                &finished,
                self.spec.stderr_lines,
            ));
        }
        let ended = &finished.ended;
        self.stats.calls += 1;
        self.stats.wall_s += ended.wall.as_secs_f64();
        self.stats.cpu_s += ended.cpu_s;
        self.stats.peak_rss_bytes = self.stats.peak_rss_bytes.max(ended.peak_rss);
        let times = parse_times(&self.spec.id, last_own_line(&finished.stdout))?;
        self.stats.setup_s += times.setup_s;
        if self.stats.printed.is_none() && !finished.stderr.trim().is_empty() {
            // A debugging print is worth seeing; megabytes of them are not.
            // Cut where it is said: a long line ends with "…", and the lines left out above
            // are counted.
            let lines: Vec<&str> = finished.stderr.lines().collect();
            let left_out = lines.len().saturating_sub(PRINTED_LINES);
            let mut tail: Vec<String> = lines[left_out..]
                .iter()
                .map(|l| {
                    if l.chars().count() > PRINTED_WIDTH {
                        l.chars().take(PRINTED_WIDTH - 1).chain(['…']).collect()
                    } else {
                        (*l).to_string()
                    }
                })
                .collect();
            if left_out > 0 {
                tail.insert(
                    0,
                    format!(
                        "… {left_out} line{} above these",
                        if left_out == 1 { "" } else { "s" }
                    ),
                );
            }
            self.stats.printed = Some(tail.join("\n"));
        }
        if let Some(c) = times.compile_s {
            *self.stats.compile_s.get_or_insert(0.0) += c;
        }
        // What the program says, never more than its process took as measured from outside.
        let kernel = Duration::from_secs_f64(times.kernel_s.clamp(0.0, 1e9)).min(ended.wall);
        read_result(self.dir.path(), self.n, rows, out)?;
        // Interpreter start, imports, loading and passing the result back are set-up, not
        // kernel: the kernel time is the peer's own.
        self.overhead = called.elapsed().saturating_sub(kernel);
        Ok(())
    }
}

impl Kernel for PeerKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        self.overhead = Duration::ZERO;
        if self.failure.is_some() || rows.is_empty() {
            return;
        }
        let k = match out {
            Output::TopK(t) => t.k(),
            Output::Full(_) => 0,
        };
        if let Err(e) = self.call(&rows, k, out) {
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
        Some(self.stats.clone())
    }
}

/// A program's standard error as it wrote it, without what py-spy wrapped around it: its
/// `py-spy>` lines, and when py-spy itself failed (status not 0), the `Error: ...` block it
/// ends with (which carries a backtrace when `RUST_BACKTRACE` is set). If nothing of the
/// program's own is left, py-spy's first error line stays, so the failure still says why.
fn without_spy_lines(stderr: &str, spy_ok: bool) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut own = &lines[..];
    let mut spy_error = None;
    if !spy_ok && let Some(at) = lines.iter().rposition(|l| l.starts_with("Error: ")) {
        own = &lines[..at];
        spy_error = Some(format!("py-spy: {}", &lines[at]["Error: ".len()..]));
    }
    let kept: Vec<&str> = own
        .iter()
        .copied()
        .filter(|l| !l.starts_with("py-spy>") && !l.trim().is_empty())
        .collect();
    match spy_error {
        Some(e) if kept.is_empty() => e,
        _ => kept.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::without_spy_lines;

    // What py-spy 0.4 printed when the program ended before it could attach, with
    // RUST_BACKTRACE=1 in the environment (as on a CI machine).
    const ATTACH_FAILED: &str = "gave up\nError: Failed to get process executable name. \
        Check that the process is running.\n\nCaused by:\n    0: No such file or directory \
        (os error 2)\n\nStack backtrace:\n   0: py_spy::python_spy::PythonSpy::new\n   \
        1: std::sys::thread::unix::Thread::new::thread_start\n";

    #[test]
    fn py_spy_s_own_error_gives_way_to_the_program_s_words() {
        assert_eq!(without_spy_lines(ATTACH_FAILED, false), "gave up");
        let alone = ATTACH_FAILED.trim_start_matches("gave up\n");
        assert_eq!(
            without_spy_lines(alone, false),
            "py-spy: Failed to get process executable name. Check that the process is running."
        );
    }

    #[test]
    fn py_spy_s_chatter_goes_and_the_program_s_lines_stay() {
        let text = "py-spy> Sampling process 100 times a second.\nError: mine\n\npy-spy> Stopped\n";
        // py-spy succeeded: an "Error:" line is the program's own.
        assert_eq!(without_spy_lines(text, true), "Error: mine");
    }
}
