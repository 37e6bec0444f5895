//! The course's Python profilers measured side by side: one pure-Python workload (the
//! algorithm step: norms once, then every pair's dot product) run plain and under each
//! profiler installed here, in interleaved rounds. For each: the overhead against the plain
//! run (medians of the workload's own timed section and of the whole process), what it saw
//! (its top function and share), and what kind of tool it is. Missing profilers are rows that
//! say how to install them; one that fails says why in its own words.

pub mod parse;

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::lessons::leak::hidden;
pub use parse::Seen;

const WORKLOAD_PY: &str = include_str!("../../assets/lessons/profilers_workload.py");
const READER_PY: &str = include_str!("../../assets/lessons/profilers_reader.py");

/// The workload's size by default: about 1-2 s plain on a 2-core cloud machine.
pub const DEFAULT_N: usize = 800;
/// The vectors' dimension.
pub const D: usize = 64;
/// The bounds `--n` and `--rounds` accept: beyond them a run takes hours.
pub const N_RANGE: std::ops::RangeInclusive<usize> = 2..=5000;
pub const ROUNDS_RANGE: std::ops::RangeInclusive<usize> = 1..=50;

/// A claim is taken as held when the measured overhead is within this many percentage
/// points of it, or within a factor of [`CLAIM_FACTOR`] of it.
pub const CLAIM_POINTS: f64 = 5.0;
pub const CLAIM_FACTOR: f64 = 2.0;

/// Said after an overhead measured below zero.
pub const BELOW_ZERO: &str = ": below zero is this machine's noise, no cost measurable";

/// One profiler: how it works, how to get it, what the course claims it costs.
#[derive(Clone, Copy, Debug)]
pub struct Profiler {
    pub id: &'static str,
    /// deterministic (every call or allocation) or sampling.
    pub method: &'static str,
    /// function or line.
    pub level: &'static str,
    /// CPU or memory.
    pub resource: &'static str,
    pub install: &'static str,
    /// The course's claim of its overhead, percent.
    pub claim_pct: Option<f64>,
}

/// In the course's order of use; the plain run is measured before them in every round.
pub const PROFILERS: [Profiler; 5] = [
    Profiler {
        id: "cProfile",
        method: "deterministic",
        level: "function",
        resource: "CPU",
        install: "standard library (python -m cProfile)",
        claim_pct: Some(10.0),
    },
    Profiler {
        id: "py-spy",
        method: "sampling",
        level: "line",
        resource: "CPU",
        install: "pip install py-spy",
        claim_pct: Some(1.0),
    },
    Profiler {
        id: "scalene",
        method: "sampling",
        level: "line",
        resource: "CPU+memory",
        install: "pip install scalene",
        claim_pct: None,
    },
    Profiler {
        id: "memray",
        method: "deterministic",
        level: "function",
        resource: "memory",
        install: "pip install memray (Linux and macOS)",
        claim_pct: None,
    },
    Profiler {
        id: "pyinstrument",
        method: "sampling",
        level: "function",
        resource: "CPU",
        install: "pip install pyinstrument",
        claim_pct: None,
    },
];

/// How a row came out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Measured,
    NotInstalled,
    Failed,
}

/// A course claim against the measured overhead of the workload's timed section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    pub claimed_pct: f64,
    pub measured_pct: f64,
    pub held: bool,
}

/// One row of the table: the plain run or a profiler.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub id: String,
    pub method: String,
    pub level: String,
    pub resource: String,
    pub status: Status,
    /// Why it was not measured (how to install it, or its own error), or a caveat.
    pub note: Option<String>,
    /// Medians over the rounds: the workload's timed section, and the whole process.
    pub kernel_s: Option<f64>,
    /// The fastest and slowest round of the timed section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_range_s: Option<[f64; 2]>,
    pub wall_s: Option<f64>,
    /// Against the plain run: median / plain median - 1, percent.
    pub kernel_overhead_pct: Option<f64>,
    pub wall_overhead_pct: Option<f64>,
    pub top: Option<String>,
    pub share: Option<f64>,
    pub peak_bytes: Option<u64>,
    pub claim: Option<Claim>,
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    pub python: String,
    pub n: usize,
    pub d: usize,
    pub rounds: usize,
    /// How a claim is judged.
    pub rule: String,
    pub rows: Vec<Row>,
}

/// Judges a claim (see [`CLAIM_POINTS`], [`CLAIM_FACTOR`]).
#[must_use]
pub fn judge(claimed_pct: f64, measured_pct: f64) -> Claim {
    // A profiler cannot make the program faster: an overhead below zero is the machine's
    // noise around no measurable cost, and is judged as none.
    let cost = measured_pct.max(0.0);
    let near = (cost - claimed_pct).abs() <= CLAIM_POINTS;
    let factor = cost >= claimed_pct / CLAIM_FACTOR && cost <= claimed_pct * CLAIM_FACTOR;
    Claim {
        claimed_pct,
        measured_pct,
        held: near || factor,
    }
}

/// The median of `v` (None when empty).
#[must_use]
pub fn median(v: &[f64]) -> Option<f64> {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    (n > 0).then(|| f64::midpoint(s[(n - 1) / 2], s[n / 2]))
}

/// The fastest and slowest of `v` (None when empty).
fn range(v: &[f64]) -> Option<[f64; 2]> {
    let lo = v.iter().copied().reduce(f64::min)?;
    let hi = v.iter().copied().reduce(f64::max)?;
    Some([lo, hi])
}

/// Whether a profiler can run here, with `python`: None when it can, else why not.
fn missing(p: &Profiler, python: &Path) -> Option<String> {
    if hidden(p.id) {
        return Some(format!(
            "hidden by LADDER_WITHOUT; to install: {}",
            p.install
        ));
    }
    let here = match p.id {
        "cProfile" => crate::peers::probe::imports(python, "cProfile"),
        "py-spy" => crate::peers::probe::which("py-spy").is_some(),
        other => crate::peers::probe::imports(python, other),
    };
    (!here).then(|| format!("not installed: {}", p.install))
}

/// Refuses sizes outside [`N_RANGE`] and [`ROUNDS_RANGE`], saying which.
pub fn check_sizes(n: usize, rounds: usize) -> Result<(), String> {
    if !N_RANGE.contains(&n) {
        return Err(format!(
            "--n {n} is out of range: use {}..={}",
            N_RANGE.start(),
            N_RANGE.end()
        ));
    }
    if !ROUNDS_RANGE.contains(&rounds) {
        return Err(format!(
            "--rounds {rounds} is out of range: use {}..={}",
            ROUNDS_RANGE.start(),
            ROUNDS_RANGE.end()
        ));
    }
    Ok(())
}

/// Where a comparison is: the run about to start (`done` runs of `total` are over).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Running {
    pub round: usize,
    pub rounds: usize,
    /// "plain" or the profiler's id.
    pub id: String,
    pub done: usize,
    pub total: usize,
}

/// Runs the comparison. Err only where nothing can be measured: no Python, no numpy, bad
/// sizes, or the plain run itself failing.
pub fn compare(n: usize, rounds: usize) -> Result<Comparison, String> {
    compare_with(n, rounds, &mut |_| {})
}

/// As [`compare`], telling `on` before each run starts (the lesson shows it live).
pub fn compare_with(
    n: usize,
    rounds: usize,
    on: &mut dyn FnMut(&Running),
) -> Result<Comparison, String> {
    check_sizes(n, rounds)?;
    let python = crate::peers::python().ok_or(
        "no Python interpreter (python3) on PATH; set LADDER_PYTHON to use another".to_string(),
    )?;
    // A LADDER_PYTHON that names nothing runnable is said as such, not as a missing numpy.
    if !crate::peers::probe::imports(&python, "sys") {
        return Err(format!(
            "could not run {} as Python: set LADDER_PYTHON to an interpreter, or put python3 on \
             PATH",
            python.display()
        ));
    }
    if !crate::peers::probe::imports(&python, "numpy") {
        return Err(format!(
            "{} cannot import numpy, which the workload uses: pip install numpy",
            python.display()
        ));
    }
    let files = [
        ("profilers_workload.py", WORKLOAD_PY),
        ("profilers_reader.py", READER_PY),
    ];
    let progs = crate::peers::shipped::unpack("profilers", &files).map_err(|e| e.to_string())?;
    let tmp = crate::fsio::private_temp_dir("ladder-profilers-").map_err(|e| e.to_string())?;
    let mut ctx = runs::Ctx {
        python: &python,
        prog: &progs.join("profilers_workload.py"),
        reader: &progs.join("profilers_reader.py"),
        dir: tmp.path(),
        n,
        scalene_v1: false,
    };
    let mut rows = vec![Row::new("plain", "-", "-", "-")];
    let mut live: Vec<usize> = vec![0];
    for p in &PROFILERS {
        let mut row = Row::new(p.id, p.method, p.level, p.resource);
        if let Some(why) = missing(p, &python) {
            row.status = Status::NotInstalled;
            row.note = Some(why);
        } else {
            live.push(rows.len());
        }
        rows.push(row);
    }
    ctx.scalene_v1 = live.iter().any(|&i| rows[i].id == "scalene") && runs::scalene_v1(&python);
    let mut kernels: Vec<Vec<f64>> = vec![Vec::new(); rows.len()];
    let mut walls: Vec<Vec<f64>> = vec![Vec::new(); rows.len()];
    let total = rounds * live.len();
    for round in 0..rounds {
        for (k, &i) in live.iter().enumerate() {
            if rows[i].status == Status::Failed {
                continue;
            }
            on(&Running {
                round: round + 1,
                rounds,
                id: rows[i].id.clone(),
                done: round * live.len() + k,
                total,
            });
            match runs::one(&ctx, &rows[i].id) {
                Ok(m) => {
                    kernels[i].push(m.kernel_s);
                    walls[i].push(m.wall_s);
                    if let Some(seen) = m.seen {
                        rows[i].top = Some(seen.top);
                        rows[i].share = Some(seen.share);
                        rows[i].peak_bytes = seen.peak_bytes;
                    }
                    if m.note.is_some() {
                        rows[i].note = m.note;
                    }
                }
                Err(e) if i == 0 => return Err(format!("the plain run failed: {e}")),
                Err(e) => {
                    rows[i].status = Status::Failed;
                    rows[i].note = Some(e);
                }
            }
        }
    }
    let plain = (median(&kernels[0]), median(&walls[0]));
    let pct = |m: Option<f64>, base: Option<f64>| match (m, base) {
        (Some(m), Some(b)) if b > 0.0 => Some((m / b - 1.0) * 100.0),
        _ => None,
    };
    for (i, row) in rows.iter_mut().enumerate() {
        if row.status != Status::Measured {
            continue;
        }
        row.kernel_s = median(&kernels[i]);
        row.kernel_range_s = range(&kernels[i]);
        row.wall_s = median(&walls[i]);
        if i > 0 {
            row.kernel_overhead_pct = pct(row.kernel_s, plain.0);
            row.wall_overhead_pct = pct(row.wall_s, plain.1);
            let claim = PROFILERS
                .iter()
                .find(|p| p.id == row.id)
                .and_then(|p| p.claim_pct);
            row.claim = claim.zip(row.kernel_overhead_pct).map(|(c, m)| judge(c, m));
        }
    }
    Ok(Comparison {
        python: python.display().to_string(),
        n,
        d: D,
        rounds,
        rule: format!(
            "a claim holds when the overhead of the workload's timed section (median) is within \
             {CLAIM_POINTS} percentage points of it or within a factor of {CLAIM_FACTOR}; an \
             overhead below zero counts as none"
        ),
        rows,
    })
}

impl Row {
    fn new(id: &str, method: &str, level: &str, resource: &str) -> Self {
        Self {
            id: id.to_string(),
            method: method.to_string(),
            level: level.to_string(),
            resource: resource.to_string(),
            status: Status::Measured,
            note: None,
            kernel_s: None,
            kernel_range_s: None,
            wall_s: None,
            kernel_overhead_pct: None,
            wall_overhead_pct: None,
            top: None,
            share: None,
            peak_bytes: None,
            claim: None,
        }
    }
}

pub mod rank;
mod runs;
pub mod table;

#[cfg(test)]
mod tests;

/// How long one run may take once its workload started, and before that: generous, since a
/// profiler may multiply the cost several times on a busy machine.
const LIMITS: (Duration, Duration) = (Duration::from_mins(10), Duration::from_mins(2));
