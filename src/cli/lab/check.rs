//! `ladder lab check` and `ladder lab notes`: a climb judged headless (with the gate and the
//! history), or written up as NOTES.md.

use std::fmt::Write as _;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use ladder::lab::{self, render};
use ladder::run::{CancelToken, RunConfig};

use super::{CheckArgs, Climbed, Format, climb};
use crate::cli::common::write_output;

fn exit_code(results: &[lab::StepResult]) -> ExitCode {
    if lab::all_count(results) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

pub(super) fn check(args: &CheckArgs, name: Option<&str>) -> Result<ExitCode> {
    // A place the result cannot go is refused before the climb, not after minutes of it.
    if let Some(out) = args.output.as_deref() {
        crate::cli::common::check_output(out, &[], None)?;
    }
    let c = climb(args, false)?;
    let threads = args.threads.unwrap_or(RunConfig::default().threads);
    let file = lab::history::path(&c.lab.dir);
    let mut now = lab::history::Entry::of(&c.results, &c.meta, &c.machine, threads);
    // The gate first, so that its verdict is in the JSON too (its lines go to stderr).
    let gate = if args.gate {
        let (history, skipped) = lab::history::read(&file)
            .with_context(|| format!("could not read {}", file.display()))?;
        for s in skipped {
            sayln!("note: {s}");
        }
        let mut g = lab::history::gate(&history, &now);
        if g.only_slower() {
            // A shared machine's noise can halve one measurement: a step falls only when
            // a second climb shows it too.
            sayln!("gate: a step measured slower than last time; climbing once more");
            let again = climb(args, false)?;
            now = now.best_of(&lab::history::Entry::of(
                &again.results,
                &again.meta,
                &again.machine,
                threads,
            ));
            g = lab::history::gate(&history, &now);
        }
        for l in &g.lines {
            sayln!("gate: {l}");
        }
        for f in &g.failures {
            sayln!("gate FAILED: {f}");
        }
        Some(g)
    } else {
        None
    };
    let passed = gate.as_ref().is_none_or(lab::history::Gate::passed);
    // Said wherever the grades go: a lab.toml that asks less than the shipped one.
    let loosened = lab::edits::loosened(&c.lab);
    let mut text = match args.format {
        Format::Table => {
            let mut t = render::table(&c.dir, &c.meta, &c.machine, &c.results);
            if !loosened.is_empty() {
                let _ = writeln!(
                    t,
                    "lab.toml asks less than the lab as shipped: {}",
                    loosened.join("; ")
                );
            }
            t
        }
        Format::Json => {
            let mut doc = render::json(&c.dir, &c.meta, &c.machine, &c.results);
            doc["loosened"] = loosened.clone().into();
            // The size its floors are set for, so a climb at another size is seen as one.
            doc["lab_size"] = serde_json::json!({"n": c.lab.workload.n, "d": c.lab.workload.d});
            if let Some(name) = name {
                doc["learner"] = name.into();
            }
            if let Some(g) = &gate {
                doc["gate"] = serde_json::json!({
                    "passed": g.passed(),
                    "against_recorded_at": g.against.as_ref().map(|e| e.recorded_at),
                    "failures": g.failures,
                    "lines": g.lines,
                });
            }
            serde_json::to_string_pretty(&doc)? + "\n"
        }
    };
    let w = c.lab.workload;
    if matches!(args.format, Format::Table) && (c.meta.n, c.meta.d) != (w.n, w.d) {
        let _ = writeln!(text, "{}", other_size_note(&c));
    }
    write_output(args.output.as_deref(), &text)?;
    let mut code = exit_code(&c.results);
    if !passed {
        code = ExitCode::from(1);
    }
    if args.record && !passed {
        // A fall recorded would be the next gate's reference, and pass.
        sayln!("not recorded: the gate failed");
    } else if args.record {
        lab::history::append(&file, &now)
            .with_context(|| format!("could not record to {}", file.display()))?;
        sayln!("recorded this climb in {}", file.display());
    }
    if args.gate || args.record {
        // In a CI log, what the exit status is for: the grades, the gate, or both.
        let short: Vec<&str> = c
            .results
            .iter()
            .filter(|r| !r.optional && !r.verdict.counts())
            .map(|r| r.file.as_str())
            .collect();
        if !short.is_empty() || !passed {
            let mut why = Vec::new();
            if !short.is_empty() {
                why.push(format!("{} not counting yet", short.join(", ")));
            }
            if !passed {
                why.push("the gate failed".to_string());
            } else if args.gate {
                why.push("the gate itself passed".to_string());
            }
            sayln!("exit status 1: {}", why.join("; "));
        }
    }
    Ok(code)
}

/// Under a climb at another size than the lab's: the floors were set for the lab's.
fn other_size_note(c: &Climbed) -> String {
    let w = c.lab.workload;
    format!(
        "note: the floors are set for {} × {} (lab.toml); at {} × {} fixed costs weigh \
         differently, and a step may pass or fail where it would not there",
        w.n, w.d, c.meta.n, c.meta.d
    )
}

/// `lab notes`: the climb, our ladder on the same workload, NOTES.md.
pub(super) fn notes(args: &CheckArgs) -> Result<ExitCode> {
    // Refused, not ignored: the notes are Markdown, and the gate is `check`'s.
    if !matches!(args.format, Format::Table) {
        bail!(
            "lab notes writes Markdown only (NOTES.md): for JSON, use `ladder lab check --format json`"
        );
    }
    if args.record || args.gate {
        bail!("--record and --gate belong to `ladder lab check`: lab notes only writes NOTES.md");
    }
    let c = climb(args, true)?;
    let cancel = CancelToken::new();
    let ours: Vec<_> = ladder::rungs::ladder()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            sayln!("ours: {}", r.info().id);
            c.runner.run_one(i, r.as_ref(), &|_| {}, &cancel)
        })
        .collect();
    let out = args
        .output
        .clone()
        .unwrap_or_else(|| c.lab.dir.join("NOTES.md"));
    // The flamegraphs are py-spy's profiles of these same files, taken in `ladder lab` and
    // kept with the results (a headless climb takes none); at another size, none.
    let w = c.lab.workload;
    let kept = if (c.meta.n, c.meta.d, c.meta.seed) == (w.n, w.d, w.seed) {
        lab::saved::load(&c.lab, &lab::saved::Setting::of(&c.lab, c.threads))
    } else {
        Vec::new()
    };
    let flames: Vec<(String, &ladder::profile::Profile)> = c
        .lab
        .steps
        .iter()
        .zip(&kept)
        .filter_map(|(s, k)| Some((s.id.clone(), k.as_ref()?.profile.as_ref()?)))
        .collect();
    let written = lab::notes::write(
        &out,
        lab::notes::LabOf {
            dir: &c.dir,
            floors_for: (w.n, w.d),
        },
        &c.meta,
        &c.machine,
        c.results.clone(),
        &ours,
        &flames,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    sayln!("wrote {}", written.display());
    Ok(exit_code(&c.results))
}
