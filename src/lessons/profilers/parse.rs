//! Reading what each profiler saw from its own output: the function with the most self time
//! (or, for memray, the most bytes) and its share. Every frame is named `function (file)`,
//! without line numbers, so that the profilers' answers compare.

use std::collections::HashMap;

use serde::Deserialize;

/// A profiler's top function and its share of what it measured (0..=1).
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub top: String,
    pub share: f64,
    /// memray only: the peak of the heap it tracked, bytes.
    pub peak_bytes: Option<u64>,
}

/// The line the shipped pstats reader prints for a cProfile capture.
pub fn cprofile(reader_out: &str) -> Result<Seen, String> {
    #[derive(Deserialize)]
    struct Line {
        top: String,
        share: f64,
    }
    let line = reader_out
        .lines()
        .rev()
        .find(|l| l.trim_start().starts_with('{'))
        .ok_or_else(|| "the pstats reader printed no result".to_string())?;
    let l: Line = serde_json::from_str(line).map_err(|e| format!("pstats reader: {e}"))?;
    Ok(Seen {
        top: l.top,
        share: l.share,
        peak_bytes: None,
    })
}

/// `py-spy record --format raw`: folded stacks, `frame;frame;... COUNT` per line, each frame
/// `function (file:line)`. The leaf of each stack is where the sample landed.
pub fn pyspy_raw(text: &str) -> Result<Seen, String> {
    let mut own: HashMap<String, u64> = HashMap::new();
    let mut total = 0u64;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (stack, count) = line
            .rsplit_once(' ')
            .ok_or_else(|| format!("py-spy line without a count: {line}"))?;
        let count: u64 = count
            .trim()
            .parse()
            .map_err(|_| format!("py-spy line with a bad count: {line}"))?;
        total += count;
        let leaf = stack.rsplit(';').next().unwrap_or("").trim();
        if !leaf.is_empty() {
            *own.entry(without_line(leaf)).or_default() += count;
        }
    }
    top_of(own, total).ok_or_else(|| "py-spy recorded no samples".to_string())
}

/// `function (file:line)` -> `function (file)`, the file's base name only.
fn without_line(frame: &str) -> String {
    match frame.rsplit_once(" (") {
        Some((func, loc)) => {
            let file = loc.trim_end_matches(')');
            let file = file.rsplit_once(':').map_or(file, |(f, _)| f);
            frame_name(func, file)
        }
        None => frame.to_string(),
    }
}

/// How a frame is shown: `function (file)`, except Python's own import machinery, which
/// names no function a learner wrote and is said as what it is.
fn frame_name(func: &str, file: &str) -> String {
    if file.starts_with("<frozen importlib") {
        return format!("importing modules ({func} in Python's import system)");
    }
    format!("{func} ({})", base_name(file))
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The largest entry and its share of `total`; ties go to the name that sorts first, so
/// the answer does not depend on hashing.
fn top_of(own: HashMap<String, u64>, total: u64) -> Option<Seen> {
    let (top, n) = own
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))?;
    (total > 0).then(|| Seen {
        top,
        share: n as f64 / total as f64,
        peak_bytes: None,
    })
}

/// pyinstrument's JSON renderer (`-r json`, version 4 and later): a tree of frames from
/// `root_frame`, each with its `time` including its children's. Self time is the rest.
pub fn pyinstrument_json(text: &str) -> Result<Seen, String> {
    #[derive(Deserialize)]
    struct Frame {
        function: String,
        #[serde(default)]
        file_path_short: String,
        time: f64,
        #[serde(default)]
        children: Vec<Frame>,
    }
    #[derive(Deserialize)]
    struct Session {
        root_frame: Option<Frame>,
    }
    // pyinstrument may split a frame's own time into a synthetic `[self]` child: that time
    // is its parent's.
    fn walk(f: &Frame, parent: Option<&str>, own: &mut HashMap<String, f64>) {
        let children: f64 = f.children.iter().map(|c| c.time).sum();
        let name = match parent {
            Some(p) if f.function.starts_with("[self") => p.to_string(),
            _ => format!("{} ({})", f.function, base_name(&f.file_path_short)),
        };
        *own.entry(name.clone()).or_default() += (f.time - children).max(0.0);
        for c in &f.children {
            walk(c, Some(&name), own);
        }
    }
    let s: Session = serde_json::from_str(text).map_err(|e| format!("pyinstrument JSON: {e}"))?;
    let root = s
        .root_frame
        .ok_or_else(|| "pyinstrument recorded no frames".to_string())?;
    let mut own = HashMap::new();
    walk(&root, None, &mut own);
    let (top, t) = own
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .ok_or_else(|| "pyinstrument recorded no frames".to_string())?;
    Ok(Seen {
        top,
        share: if root.time > 0.0 { t / root.time } else { 0.0 },
        peak_bytes: None,
    })
}

/// `memray stats --json`: the location that allocated the most bytes (`function:file:line`),
/// its share of all bytes allocated, and the peak of the tracked heap.
pub fn memray_stats(text: &str) -> Result<Seen, String> {
    #[derive(Deserialize)]
    struct Alloc {
        location: String,
        size: u64,
    }
    #[derive(Deserialize)]
    struct Meta {
        peak_memory: Option<u64>,
    }
    #[derive(Deserialize)]
    struct Stats {
        total_bytes_allocated: u64,
        #[serde(default)]
        top_allocations_by_size: Vec<Alloc>,
        metadata: Option<Meta>,
    }
    let s: Stats = serde_json::from_str(text).map_err(|e| format!("memray stats JSON: {e}"))?;
    let top = s
        .top_allocations_by_size
        .first()
        .ok_or_else(|| "memray recorded no allocations".to_string())?;
    // `function:file:line`, where the file may itself hold a colon (`<frozen ...>` does not,
    // but a Windows path would): split the function off the front, the line off the back.
    let name = match top.location.split_once(':') {
        Some((func, rest)) => {
            let file = rest.rsplit_once(':').map_or(rest, |(f, _)| f);
            frame_name(func, file)
        }
        None => top.location.clone(),
    };
    Ok(Seen {
        top: name,
        share: if s.total_bytes_allocated > 0 {
            top.size as f64 / s.total_bytes_allocated as f64
        } else {
            0.0
        },
        peak_bytes: s.metadata.and_then(|m| m.peak_memory),
    })
}

/// scalene's JSON profile (`scalene run -o FILE`, and `--json --outfile FILE` before 2.0):
/// for each profiled file, its `functions`, each named by `line` and holding its percentages
/// of the whole program's time, in Python, in native code and in the system. The top function
/// is the one with the most of the three together; its share is that percentage of the whole.
pub fn scalene_json(text: &str) -> Result<Seen, String> {
    #[derive(Deserialize)]
    struct Function {
        line: String,
        #[serde(default)]
        n_cpu_percent_python: f64,
        #[serde(default)]
        n_cpu_percent_c: f64,
        #[serde(default)]
        n_sys_percent: f64,
    }
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        functions: Vec<Function>,
    }
    #[derive(Deserialize)]
    struct Profile {
        #[serde(default)]
        files: HashMap<String, File>,
    }
    let p: Profile = serde_json::from_str(text).map_err(|e| format!("scalene JSON: {e}"))?;
    let mut own: HashMap<String, f64> = HashMap::new();
    for (path, file) in &p.files {
        for f in &file.functions {
            let pct = f.n_cpu_percent_python + f.n_cpu_percent_c + f.n_sys_percent;
            *own.entry(format!("{} ({})", f.line.trim(), base_name(path)))
                .or_default() += pct;
        }
    }
    let (top, pct) = own
        .into_iter()
        .filter(|(_, pct)| pct.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .ok_or_else(|| "scalene recorded no functions".to_string())?;
    Ok(Seen {
        top,
        share: (pct / 100.0).clamp(0.0, 1.0),
        peak_bytes: None,
    })
}

/// The seconds of the workload's own timed section, from its `kernel_s SECONDS ...` line.
#[must_use]
pub fn kernel_seconds(stdout: &str) -> Option<f64> {
    stdout.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("kernel_s ")?;
        rest.split_whitespace().next()?.parse().ok()
    })
}
