//! The concurrency lesson's Rust side: the native kernel on one thread, on rayon threads, and
//! split over worker processes (`ladder worker`, one per core), on the same workload. There is
//! no GIL: threads share the packed data; processes must each generate and pack their own.

use std::ops::Range;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::rungs::{Context, Native, Output, Rung, SimMatrix, Threads, triangle_pairs};
use crate::workload::{Distribution, Matrix, generate};

/// Seconds for the whole triangle each way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RustSide {
    pub n: usize,
    pub workers: usize,
    pub sequential: f64,
    pub threads: f64,
    /// Wall time of the worker processes, start-up and packing included (None: not run).
    pub processes: Option<f64>,
}

/// The workload every side computes (each worker process regenerates it from the seed).
#[must_use]
pub fn workload(n: usize, d: usize, seed: u64) -> Matrix {
    generate(Distribution::Normal, n, d, seed).expect("n and d are at least 1")
}

/// Rows `range` of the native kernel's triangle, timed (the worker's job).
#[must_use]
pub fn kernel_rows(x: &Matrix, rows: Range<usize>) -> Duration {
    time_rows(&Native::detect(), x, rows, 1)
}

/// The kernel time of `rung` on rows `rows` of x, set-up excluded.
fn time_rows(rung: &dyn Rung, x: &Matrix, rows: Range<usize>, threads: usize) -> Duration {
    let mut k = rung
        .prepare(x, &Context::with_threads(threads))
        .expect("the native rungs always prepare");
    let mut out = Output::Full(SimMatrix::new(x.n()));
    let t = Instant::now();
    k.rows(rows, &mut out);
    t.elapsed()
}

/// Cuts 0..n into `parts` ranges of about equal triangle work, on the kernel's row blocks.
#[must_use]
pub fn split(n: usize, parts: usize, align: usize) -> Vec<Range<usize>> {
    let total = triangle_pairs(0..n, n);
    let mut out = Vec::new();
    let mut start = 0;
    for p in 1..=parts {
        let target = total * p as f64 / parts as f64;
        let mut end = start;
        while end < n && triangle_pairs(0..end, n) < target {
            end += align;
        }
        let end = end.min(n);
        if end > start {
            out.push(start..end);
        }
        start = end;
    }
    if start < n {
        out.push(start..n);
    }
    out
}

/// Measures the three ways; `exe` is the `ladder` binary for the worker processes.
#[must_use]
pub fn measure(n: usize, d: usize, workers: usize, exe: Option<&Path>) -> RustSide {
    let x = workload(n, d, 7);
    let sequential = time_rows(&Native::detect(), &x, 0..n, 1).as_secs_f64();
    let threads = time_rows(&Threads::detect(), &x, 0..n, workers).as_secs_f64();
    let processes = exe.and_then(|exe| {
        let t = Instant::now();
        let children: Vec<_> = split(n, workers, Native::detect().row_align())
            .into_iter()
            .map(|r| {
                Command::new(exe)
                    .args([
                        "worker",
                        "--n",
                        &n.to_string(),
                        "--d",
                        &d.to_string(),
                        "--rows",
                        &format!("{}:{}", r.start, r.end),
                    ])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .ok()
            })
            .collect();
        let mut ok = true;
        for c in children {
            ok &= c
                .and_then(|mut c| c.wait().ok())
                .is_some_and(|s| s.success());
        }
        ok.then(|| t.elapsed().as_secs_f64())
    });
    RustSide {
        n,
        workers,
        sequential,
        threads,
        processes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_covers_every_row_once_with_balanced_work() {
        for (n, parts) in [(2000, 2), (1000, 3), (100, 4), (7, 2)] {
            let s = split(n, parts, 48);
            assert_eq!(s.first().unwrap().start, 0);
            assert_eq!(s.last().unwrap().end, n);
            for w in s.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
        }
        let s = split(2000, 2, 48);
        let (a, b) = (
            triangle_pairs(s[0].clone(), 2000),
            triangle_pairs(s[1].clone(), 2000),
        );
        // Balanced to within a block of rows (48 rows of at most 2000 pairs each) either way.
        assert!((a - b).abs() <= 2.0 * 48.0 * 2000.0, "{a} {b}");
    }
}
