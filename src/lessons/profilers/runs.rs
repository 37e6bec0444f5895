//! One run of the workload, plain or under one profiler, and what that profiler wrote read
//! back. Each run is a process group of its own, killed if it hangs (see `peers::process`).

use std::path::Path;

use super::parse::{self, Seen};
use crate::peers::process::{self, Call, Limits};

/// What one run needs.
pub(super) struct Ctx<'a> {
    pub python: &'a Path,
    pub prog: &'a Path,
    pub reader: &'a Path,
    /// Private, removed afterwards: the profilers' outputs go here.
    pub dir: &'a Path,
    pub n: usize,
    /// scalene before 2.0 takes its options on the main command; 2.0 and later have `run`.
    pub scalene_v1: bool,
}

/// One run, measured.
pub(super) struct Measured {
    pub kernel_s: f64,
    pub wall_s: f64,
    pub seen: Option<Seen>,
    pub note: Option<String>,
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Runs the workload under `id` ("plain" or a profiler's id). Err: why it failed, in the
/// tool's own words where it said any.
pub(super) fn one(ctx: &Ctx, id: &str) -> Result<Measured, String> {
    let py = s(ctx.python);
    // scalene replaces any other extension of its output's name with `.json`.
    let out = ctx.dir.join(format!(
        "{id}.{}",
        if id == "scalene" { "json" } else { "out" }
    ));
    let _ = std::fs::remove_file(&out);
    let prog = [s(ctx.prog), ctx.n.to_string(), super::D.to_string()];
    let with = |pre: &[&str]| -> Vec<String> {
        pre.iter()
            .map(|a| (*a).to_string())
            .chain(prog.iter().cloned())
            .collect()
    };
    let o = s(&out);
    let args = match id {
        "plain" => with(&[&py]),
        "cProfile" => with(&[&py, "-m", "cProfile", "-o", &o]),
        "py-spy" => {
            let spy = crate::peers::probe::which("py-spy").ok_or("py-spy is not on PATH")?;
            with(&[
                &s(&spy),
                "record",
                "-o",
                &o,
                "--format",
                "raw",
                "-r",
                "100",
                "--",
                &py,
            ])
        }
        "pyinstrument" => with(&[&py, "-m", "pyinstrument", "-r", "json", "-o", &o]),
        "memray" => with(&[&py, "-m", "memray", "run", "-q", "-f", "-o", &o]),
        // The program's own arguments follow `---`.
        "scalene" => {
            let pre: &[&str] = if ctx.scalene_v1 {
                &[&py, "-m", "scalene", "--cli", "--json", "--outfile", &o]
            } else {
                &[&py, "-m", "scalene", "run", "-o", &o]
            };
            let mut a: Vec<String> = pre.iter().map(|a| (*a).to_string()).collect();
            a.extend([s(ctx.prog), "---".into(), prog[1].clone(), prog[2].clone()]);
            a
        }
        other => return Err(format!("no profiler '{other}'")),
    };
    let mark = ctx.dir.join("started");
    let call = Call {
        args,
        env: Vec::new(),
        limits: Limits {
            kernel: super::LIMITS.0,
            setup: super::LIMITS.1,
            mark: &mark,
            memory: None,
        },
        cancel: None,
        lines: None,
    };
    let finished = if id == "py-spy" {
        process::run_wrapped(&call)
    } else {
        process::run(&call)
    }?;
    if !finished.ended.success {
        return Err(format!(
            "{} ({}): {}",
            if id == "plain" { "failed" } else { "it failed" },
            finished.ended.code,
            finished.stderr_tail(2)
        ));
    }
    let kernel_s = parse::kernel_seconds(&finished.stdout).ok_or_else(|| {
        format!(
            "the workload printed no timing: {}",
            finished.stderr_tail(2)
        )
    })?;
    let (seen, note) = match read(ctx, id, &out) {
        Ok(seen) => (seen, None),
        // It ran and was timed: what it saw is a note, not a failure of the row.
        Err(e) => (None, Some(format!("its output was not read: {e}"))),
    };
    Ok(Measured {
        kernel_s,
        wall_s: finished.ended.wall.as_secs_f64(),
        seen,
        note,
    })
}

/// What the profiler `id` wrote to `out`, read back.
fn read(ctx: &Ctx, id: &str, out: &Path) -> Result<Option<Seen>, String> {
    let text = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    match id {
        "plain" => Ok(None),
        "cProfile" => {
            let r = helper(ctx.python, &[&s(ctx.reader), &s(out)])?;
            parse::cprofile(&r).map(Some)
        }
        "py-spy" => parse::pyspy_raw(&text(out)?).map(Some),
        "pyinstrument" => parse::pyinstrument_json(&text(out)?).map(Some),
        "memray" => {
            let stats = ctx.dir.join("memray-stats.json");
            helper(
                ctx.python,
                &[
                    "-m",
                    "memray",
                    "stats",
                    "--json",
                    "-f",
                    "-o",
                    &s(&stats),
                    &s(out),
                ],
            )?;
            parse::memray_stats(&text(&stats)?).map(Some)
        }
        "scalene" => parse::scalene_json(&text(out)?).map(Some),
        _ => Err("reading this profiler's output is not supported yet".to_string()),
    }
}

/// Whether the scalene here is older than 2.0 (its `--version` says "version 1.x").
pub(super) fn scalene_v1(python: &Path) -> bool {
    helper(python, &["-m", "scalene", "--version"])
        .is_ok_and(|v| v.split_whitespace().any(|w| w.starts_with("1.")))
}

/// Runs a short helper (a reader) under the same limits; its standard output.
fn helper(python: &Path, args: &[&str]) -> Result<String, String> {
    let dir = crate::fsio::private_temp_dir("ladder-profilers-read-").map_err(|e| e.to_string())?;
    let mark = dir.path().join("never");
    let mut all = vec![s(python)];
    all.extend(args.iter().map(|a| (*a).to_string()));
    let f = process::run(&Call {
        args: all,
        env: Vec::new(),
        limits: Limits {
            kernel: std::time::Duration::from_mins(1),
            setup: std::time::Duration::from_mins(1),
            mark: &mark,
            memory: None,
        },
        cancel: None,
        lines: None,
    })?;
    if f.ended.success {
        Ok(f.stdout)
    } else {
        Err(format!("{}: {}", f.ended.code, f.stderr_tail(2)))
    }
}
