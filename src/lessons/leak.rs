//! The leak lesson's Python side: a small similarity service with a real leak
//! (`assets/lessons/leak_service.py`) and its fixed twin, run for a few requests as a process
//! of its own. Its memory is read from outside after each request (the line it logs), and
//! what it left behind is read by memray (`memray run`, then memray's own reader) or, without
//! memray, by the standard library's tracemalloc, as folded Python stacks: the memory
//! flamegraph of the bytes each request leaves behind.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::peers::process::{self, Call, Limits, LineSink};
use crate::profile::Profile;

const SERVICE_PY: &str = include_str!("../../assets/lessons/leak_service.py");
const FIXED_PY: &str = include_str!("../../assets/lessons/leak_service_fixed.py");
const READER_PY: &str = include_str!("../../assets/lessons/leak_reader.py");

/// The programs a leak step may run: the service and its fixed twin.
pub const PROGRAMS: [&str; 2] = ["leaky", "fixed"];

/// How to get memray, for a learner who has none.
pub const INSTALL_MEMRAY: &str = "pip install memray (Linux and macOS)";

/// The file name and text of a program.
#[must_use]
pub fn program(name: &str) -> Option<(&'static str, &'static str)> {
    match name {
        "leaky" => Some(("leak_service.py", SERVICE_PY)),
        "fixed" => Some(("leak_service_fixed.py", FIXED_PY)),
        _ => None,
    }
}

/// The tool that read what was left behind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tool {
    Memray,
    Tracemalloc,
}

impl Tool {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Tool::Memray => "memray",
            Tool::Tracemalloc => "tracemalloc",
        }
    }
}

/// How to run a program.
#[derive(Clone, Debug)]
pub struct LeakOptions {
    pub requests: u32,
    /// Rows of each request's batch (768 floats each).
    pub rows: usize,
    /// Where memray's own HTML flamegraph is written (None: not written).
    pub html_dir: Option<PathBuf>,
}

impl Default for LeakOptions {
    fn default() -> Self {
        Self {
            requests: 3,
            rows: 2000,
            html_dir: None,
        }
    }
}

/// One run of a program, measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LeakRun {
    /// `leaky` or `fixed`.
    pub program: String,
    /// Its file name (the root of its stacks).
    pub file: String,
    pub tool: Tool,
    pub requests: u32,
    /// The process's resident bytes after each request, measured from outside.
    pub rss_after: Vec<u64>,
    /// Bytes allocated after the first request ended and still live at the end, by Python
    /// stack (folded, root first).
    pub folded: String,
    /// Bytes still live at the end that the first request or start-up allocated (imports,
    /// BLAS buffers, first-use caches): one-offs, not growth.
    pub one_off: u64,
    /// memray's own HTML flamegraph of the leaks, where it was written.
    pub html: Option<PathBuf>,
    /// Why the HTML or memray itself is missing, and what to do.
    pub note: Option<String>,
}

/// A megabyte, as the lesson counts them (10^6 bytes).
pub const MB: f64 = 1e6;

/// Bytes in the lesson's decimal units (MB, kB), so every figure it shows reads in the unit
/// its prediction is typed in: "47.2 MB", "6.14 MB", "812.0 kB".
#[must_use]
pub fn human_mb(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 10.0 * MB {
        format!("{:.1} MB", b / MB)
    } else if b >= MB {
        format!("{:.2} MB", b / MB)
    } else if b >= 1e3 {
        format!("{:.1} kB", b / 1e3)
    } else {
        format!("{bytes} B")
    }
}

impl LeakRun {
    /// What each request after the first added to the process's memory, measured from
    /// outside: the median of the steps between requests (None with fewer than two).
    #[must_use]
    pub fn rss_per_request(&self) -> Option<i64> {
        let mut steps: Vec<i64> = self
            .rss_after
            .windows(2)
            .map(|w| w[1].cast_signed() - w[0].cast_signed())
            .collect();
        steps.sort_unstable();
        let n = steps.len();
        (n > 0).then(|| i64::midpoint(steps[(n - 1) / 2], steps[n / 2]))
    }

    /// The bytes each request after the first left live, as the tool traced them.
    #[must_use]
    pub fn traced_per_request(&self) -> u64 {
        let total = self.profile().map_or(0, |p| p.total_samples());
        total / u64::from(self.requests.saturating_sub(1).max(1))
    }

    /// MB left behind per request: measured from outside, else as traced.
    #[must_use]
    pub fn mb_per_request(&self) -> f64 {
        self.rss_per_request()
            .map_or(self.traced_per_request() as f64, |b| b as f64)
            / MB
    }

    /// The leaked stacks as a profile (bytes as the counts).
    pub fn profile(&self) -> Result<Profile, crate::profile::ProfileError> {
        Profile::from_folded(&self.folded, 0)
    }

    /// The program's function holding the most leaked bytes (see [`holder`]).
    #[must_use]
    pub fn holder(&self) -> Option<String> {
        holder(&self.folded, &self.file)
    }
}

/// The function of `file` that allocated the most of the bytes in `folded`: for each stack,
/// its frame deepest in the program (below it, library code such as NumPy's does the
/// allocating on the program's behalf). None when nothing was left.
#[must_use]
pub fn holder(folded: &str, file: &str) -> Option<String> {
    let mut by: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    let tag = format!("({file}:");
    for line in folded.lines() {
        let Some((stack, n)) = line.rsplit_once(' ') else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else { continue };
        if let Some(f) = stack.split(';').rev().find(|f| f.contains(&tag)) {
            *by.entry(function_of(f).to_string()).or_default() += n;
        }
    }
    by.into_iter().max_by_key(|(_, n)| *n).map(|(f, _)| f)
}

/// `normalise_rows` of `normalise_rows (leak_service.py:35)`.
#[must_use]
pub fn function_of(frame: &str) -> &str {
    frame.split(" (").next().unwrap_or(frame)
}

/// What the reader printed: the tool, the one-off bytes and the folded stacks (the lines after
/// `# one-off`; what the program itself printed comes before).
pub fn parse_reader(text: &str) -> Result<(Tool, u64, String), String> {
    let mut tool = None;
    let mut one_off = None;
    let mut folded = String::new();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("# tool ") {
            tool = match t.trim() {
                "memray" => Some(Tool::Memray),
                "tracemalloc" => Some(Tool::Tracemalloc),
                other => return Err(format!("the reader names an unknown tool '{other}'")),
            };
        } else if let Some(n) = line.strip_prefix("# one-off ") {
            one_off = Some(
                n.trim()
                    .parse()
                    .map_err(|_| format!("the one-off bytes '{n}' are not a number"))?,
            );
        } else if one_off.is_some() && !line.trim().is_empty() {
            folded.push_str(line);
            folded.push('\n');
        }
    }
    // The stacks must parse as a profile: a broken line is reported, not shown.
    Profile::from_folded(&folded, 0).map_err(|e| e.to_string())?;
    match (tool, one_off) {
        (Some(t), Some(o)) => Ok((t, o, folded)),
        _ => Err("the reader printed no '# tool' and '# one-off' lines".into()),
    }
}

/// `request N done at T` (T: seconds since the epoch), as the programs log it.
fn request_done(line: &str) -> Option<(u32, f64)> {
    let rest = line.strip_prefix("request ")?;
    let (n, t) = rest.split_once(" done at ")?;
    Some((n.trim().parse().ok()?, t.trim().parse().ok()?))
}

/// Whether a tool is hidden by `$LADDER_WITHOUT` (a comma-separated list, e.g. `memray`):
/// a way to see, and test, what a learner without it sees.
#[must_use]
pub fn hidden(tool: &str) -> bool {
    std::env::var("LADDER_WITHOUT")
        .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(tool)))
}

/// Whether memray can be used with `python`.
#[must_use]
pub fn has_memray(python: &Path) -> bool {
    !hidden("memray") && crate::peers::probe::imports(python, "memray")
}

/// Runs `name` (`leaky` or `fixed`) for `opts.requests` requests under memray (or
/// tracemalloc) and reads what it left behind. The capture is written to a private folder
/// removed on return; only memray's HTML is kept, in `opts.html_dir`.
pub fn run(name: &str, opts: &LeakOptions, cancel: Option<&AtomicBool>) -> Result<LeakRun, String> {
    let (file, text) = program(name).ok_or_else(|| format!("no program '{name}'"))?;
    let python = crate::peers::python().ok_or(
        "no Python interpreter (python3) on PATH; set LADDER_PYTHON to use another".to_string(),
    )?;
    if !crate::peers::probe::imports(&python, "numpy") {
        return Err(format!(
            "{} cannot import numpy, which the service uses: pip install numpy",
            python.display()
        ));
    }
    let dir = crate::fsio::private_temp_dir("ladder-leak-").map_err(|e| e.to_string())?;
    let write = |n: &str, t: &str| {
        let p = dir.path().join(n);
        std::fs::write(&p, t).map(|()| p).map_err(|e| e.to_string())
    };
    let prog = write(file, text)?;
    let reader = write("leak_reader.py", READER_PY)?;
    let capture = dir.path().join("capture.bin");
    let memray = has_memray(&python);
    let py = python.to_string_lossy().into_owned();
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let prog_args = [
        "--requests".to_string(),
        opts.requests.to_string(),
        "--rows".into(),
        opts.rows.to_string(),
    ];
    let mut args = if memray {
        vec![
            py.clone(),
            "-m".into(),
            "memray".into(),
            "run".into(),
            "-q".into(),
            "-f".into(),
            "-o".into(),
            path(&capture),
            path(&prog),
        ]
    } else {
        vec![py.clone(), path(&reader), "tracemalloc".into(), path(&prog)]
    };
    args.extend(prog_args);
    let seen: Arc<Mutex<Vec<(u32, f64, u64)>>> = Arc::default();
    let into = Arc::clone(&seen);
    let mark = dir.path().join("started");
    let finished = process::run(&Call {
        args,
        env: vec![
            // One BLAS thread: its per-thread buffers are one-offs that only blur the picture.
            ("OPENBLAS_NUM_THREADS", "1".into()),
            ("OMP_NUM_THREADS", "1".into()),
            // glibc raises its mmap threshold after the first large free and then keeps freed
            // arrays in its heap: the RSS read from outside would mix that caching with what
            // the program keeps. A fixed threshold gives each array its own mapping.
            ("MALLOC_MMAP_THRESHOLD_", "65536".into()),
        ],
        limits: Limits {
            kernel: Duration::from_mins(2),
            setup: Duration::from_mins(1),
            mark: &mark,
            memory: None,
        },
        cancel,
        lines: Some(LineSink(Arc::new(move |line: &str, rss| {
            if let Some((n, t)) = request_done(line) {
                into.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((n, t, rss));
            }
        }))),
    })?;
    if !finished.ended.success {
        return Err(format!(
            "{file} failed ({}): {}",
            finished.ended.code,
            finished.stderr_tail(2)
        ));
    }
    let seen = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let first_done = seen.first().map(|s| s.1).ok_or_else(|| {
        format!(
            "{file} ran but logged no request: {}",
            finished.stderr_tail(2)
        )
    })?;
    let (out, mut note) = if memray {
        let first_ms = format!("{:.0}", first_done * 1000.0);
        let read = tool(
            &py,
            &[
                &path(&reader),
                "memray",
                &path(&capture),
                &first_ms,
                &path(&prog),
            ],
        )
        .map_err(|e| format!("reading memray's capture failed: {e}"))?;
        (read, None)
    } else {
        let why = if hidden("memray") {
            "memray is hidden by LADDER_WITHOUT"
        } else {
            "memray is not installed"
        };
        (
            finished.stdout.clone(),
            Some(format!(
                "{why}: read with the standard library's tracemalloc instead. memray is the \
                 tool to learn: {INSTALL_MEMRAY}, then run this step again"
            )),
        )
    };
    let (tool, one_off, folded) = parse_reader(&out)?;
    let html = match (memray, &opts.html_dir) {
        (true, Some(to)) => match memray_html(&py, &capture, to, name) {
            Ok(p) => Some(p),
            Err(e) => {
                note = Some(format!("memray's own HTML flamegraph was not written: {e}"));
                None
            }
        },
        _ => None,
    };
    Ok(LeakRun {
        program: name.to_string(),
        file: file.to_string(),
        tool,
        requests: opts.requests,
        rss_after: seen.iter().map(|s| s.2).collect(),
        folded,
        one_off,
        html,
        note,
    })
}

/// Runs one of our own tools (the reader, memray's HTML writer) on a finished capture: its
/// standard output, or why it failed. Run directly, not as the program: the live panel shows
/// the program's memory, not the tools'.
fn tool(python: &str, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new(python)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("could not run {python}: {e}"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(2).collect();
        return Err(format!(
            "{} ({})",
            tail.into_iter().rev().collect::<Vec<_>>().join(" / "),
            out.status
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `memray flamegraph --leaks` of the capture, written as `memray-leaks-NAME.html` in `to`.
fn memray_html(python: &str, capture: &Path, to: &Path, name: &str) -> Result<PathBuf, String> {
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let dest = to.join(format!("memray-leaks-{name}.html"));
    // memray writes the file itself: into a temporary name beside it, then renamed, so a
    // half-written page never takes the place of a whole one.
    let part = to.join(format!(".memray-leaks-{name}.html.part"));
    let written = tool(
        python,
        &[
            "-m",
            "memray",
            "flamegraph",
            "--leaks",
            "-f",
            "-o",
            &part.to_string_lossy(),
            &capture.to_string_lossy(),
        ],
    );
    if let Err(e) = written {
        let _ = std::fs::remove_file(&part);
        return Err(format!("memray flamegraph: {e}"));
    }
    std::fs::rename(&part, &dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    Ok(dest)
}

#[cfg(test)]
mod tests;
