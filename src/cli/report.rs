//! `ladder report`: the one-file HTML report, from saved `ladder run --format json` outputs
//! (and, when given, a `ladder scale --format json` sweep).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use ladder::profile::Profile;
use ladder::report::Results;
use ladder::report::html::{HtmlReport, RungProfile, ScaleSection, TableSection};
use ladder::run::scale::Sweep;

#[derive(Args, Clone)]
pub struct ReportArgs {
    /// Saved runs (`ladder run --format json -o run.json`), merged in the order given, and/or
    /// one sweep (`ladder scale --format json`), labs' results (`ladder lab check
    /// --format json`) and lessons' predictions (`ladder learn --export`). A run made with --profile brings
    /// its flamegraphs (the `.folded` files beside its SVGs).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(long, short, value_name = "FILE", default_value = "report.html")]
    output: PathBuf,
}

pub fn exec(args: &ReportArgs) -> Result<ExitCode> {
    let inputs: Vec<&std::path::Path> = args.files.iter().map(PathBuf::as_path).collect();
    super::common::check_output(&args.output, &inputs, Some(&["html", "htm"]))?;
    let mut results: Option<Results> = None;
    let mut profiles = Vec::new();
    let mut scale = None;
    let mut sections = Vec::new();
    let mut learners = std::collections::BTreeSet::new();
    // Whose each lab or lessons file says it is, to put beside the runs' learner.
    let mut tables_of: Vec<(String, String)> = Vec::new();
    let mut runs = 0;
    let mut any_profiled = false;
    let mut warnings = Vec::new();
    let mut notes = Vec::new();
    let mut seen: Vec<PathBuf> = Vec::new();
    for path in &args.files {
        // One file twice would read as a rung run again, replacing itself.
        let same = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if seen.contains(&same) {
            bail!("{} is given twice: give each file once", path.display());
        }
        seen.push(same);
        match read(path)? {
            Input::Run(run) => {
                let run = *run;
                runs += 1;
                any_profiled |= run.rungs.iter().any(|x| x.flamegraph.is_some());
                learners.extend(run.learner.clone());
                // A rung run again brings its own profile or none: never the earlier run's.
                profiles.retain(|p: &RungProfile| !run.rungs.iter().any(|x| x.rung == p.rung));
                profiles.extend(folded_profiles(&run, path));
                results = Some(match results {
                    None => run,
                    Some(acc) => merge(acc, run, path, &mut warnings, &mut notes)?,
                });
            }
            Input::Table(t, learner) => {
                if let Some(l) = learner {
                    tables_of.push((path.display().to_string(), l));
                }
                sections.push(t);
            }
            Input::Scale(s) => {
                if scale.is_some() {
                    bail!(
                        "{}: a second sweep; give one `ladder scale --format json` output",
                        path.display()
                    );
                }
                scale = Some(s);
            }
        }
    }
    // A lab's or the lessons' tables (or a sweep) make a report of their own; every file is
    // one of these, so there is always something to show.
    let profiles = match results.as_mut() {
        Some(results) => {
            ladder_order(results, runs);
            results.learner = one_learner(learners, &tables_of, &mut warnings);
            chosen_profiles(results, &profiles, any_profiled)
        }
        None => Vec::new(),
    };
    // Without runs: the tables' learner, when every table names the same one; tables of
    // several people are no one's in particular, and said.
    let mut whose: Vec<String> = tables_of.iter().map(|(_, w)| w.clone()).collect();
    whose.sort_by_key(|w| w.to_lowercase());
    whose.dedup_by(|a, b| a.to_lowercase() == b.to_lowercase());
    let tables_by = match &whose[..] {
        [one] if results.is_none() && tables_of.len() == sections.len() => Some(one.clone()),
        [_, _, ..] if results.is_none() => {
            let said = format!(
                "the tables are by {}: the report names no one (ladder class puts students \
                 side by side)",
                whose.join(", ")
            );
            sayln!("warning: {said}");
            warnings.push(said);
            None
        }
        _ => None,
    };
    let report = HtmlReport {
        tables_by,
        results,
        profiles,
        scale,
        sections,
        sources: args.files.iter().map(|p| p.display().to_string()).collect(),
        warnings,
        notes,
    };
    // Said when a file was there: a report made earlier (the app's, another sweep's) is gone.
    let replaced = if args.output.exists() {
        " (it replaced the file there: -o names another)"
    } else {
        ""
    };
    ladder::report::write_atomic(&args.output, report.render().as_bytes())
        .with_context(|| format!("could not write {}", args.output.display()))?;
    sayln!("wrote {}{replaced}", args.output.display());
    Ok(ExitCode::SUCCESS)
}

enum Input {
    Run(Box<Results>),
    Scale(ScaleSection),
    /// A lab's or the lessons' table, with the learner its file names.
    Table(TableSection, Option<String>),
}

/// The files `report` reads, as a message names them.
const MADE_BY: &str = "`ladder run --format json`, `ladder scale --format json`, `ladder lab \
                       check --format json` or `ladder learn --export`";

/// A run or a sweep, told apart by their fields; anything else is refused by name.
fn read(path: &Path) -> Result<Input> {
    // A saved run is a few MB at most; a device or a runaway file is refused, not read.
    let text = match ladder::fsio::read_text_limited(path, 256 << 20) {
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => bail!(
            "{} holds binary data, not a ladder output: give a file made by {MADE_BY}",
            path.display()
        ),
        r => r.with_context(|| format!("could not read {}", path.display()))?,
    };
    if text.trim().is_empty() {
        bail!("{} is empty: give a file made by {MADE_BY}", path.display());
    }
    let doc: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON: give a file made by {MADE_BY}",
            path.display()
        )
    })?;
    let foreign = || {
        format!(
            "{} is not a ladder output (made by {MADE_BY})",
            path.display()
        )
    };
    if doc.get("rungs").is_some() && doc.get("workload").is_some() {
        // A run written by a later ladder may mean other things by the same fields.
        if let Some(v) = doc
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
            && v > u64::from(ladder::report::SCHEMA_VERSION)
        {
            bail!(
                "{} was written by a newer ladder (schema_version {v}; this one reads up to \
                 {}): update ladder to read it",
                path.display(),
                ladder::report::SCHEMA_VERSION
            );
        }
        let run: Results = serde_json::from_value(doc).with_context(foreign)?;
        return Ok(Input::Run(Box::new(run)));
    }
    if doc.get("points").is_some() && doc.get("exponents").is_some() {
        let sweep: Sweep = serde_json::from_value(doc.clone()).with_context(foreign)?;
        // The rungs in the order swept: the exponents' keys are sorted, the points are not.
        let mut ids: Vec<String> = Vec::new();
        for p in &sweep.points {
            if !ids.contains(&p.rung) {
                ids.push(p.rung.clone());
            }
        }
        let d = doc
            .get("d")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or_default() as usize;
        return Ok(Input::Scale(ScaleSection { sweep, ids, d }));
    }
    let learner = doc
        .get("learner")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string);
    if doc.get("learner").is_some() && doc.get("lessons").is_some() {
        return predictions_section(&doc)
            .with_context(foreign)
            .map(|t| Input::Table(t, learner));
    }
    if doc.get("lab").is_some() && doc.get("steps").is_some() {
        return lab_section(&doc)
            .with_context(foreign)
            .map(|t| Input::Table(t, learner));
    }
    bail!(foreign())
}

/// The lessons' predictions against what was measured (`ladder learn --export`): each
/// prediction's first attempt, the measurement, and whether it scored.
fn predictions_section(doc: &serde_json::Value) -> Result<TableSection> {
    let lessons = doc["lessons"]
        .as_array()
        .context("its lessons are not a list")?;
    let number =
        |v: &serde_json::Value| v.as_f64().map_or_else(|| "-".into(), |x| format!("{x:.3}"));
    let mut rows = Vec::new();
    for lesson in lessons {
        let answers = lesson["answers"].as_array().map_or(&[][..], Vec::as_slice);
        for a in answers.iter().filter(|a| a["kind"] == "predict") {
            let first = &a["attempts"][0];
            rows.push(vec![
                lesson["title"].as_str().unwrap_or("-").to_string(),
                a["question"].as_str().unwrap_or("-").to_string(),
                number(&first["predicted"]),
                number(&first["measured"]),
                match a["first_attempt_right"].as_bool() {
                    _ if first["unjudged"]
                        .as_str()
                        .is_some_and(|w| w.starts_with("practice")) =>
                    {
                        "practice (measured first)".into()
                    }
                    _ if first["unjudged"].is_string() => "not judged here".into(),
                    Some(true) => "✓ close enough".into(),
                    Some(false) => "✗ off".into(),
                    None => "not measured".into(),
                },
            ]);
        }
    }
    Ok(TableSection {
        title: format!(
            "Predictions: {}",
            doc["learner"]
                .as_str()
                .filter(|s| !s.is_empty())
                .unwrap_or("the lessons")
        ),
        intro: "Each prediction's first attempt against what the lesson then measured.".into(),
        header: ["lesson", "question", "predicted", "measured", "scored"]
            .map(String::from)
            .to_vec(),
        rows,
    })
}

/// A lab's results (`ladder lab check --format json`) as a table: each step's time, speedups,
/// whether it was verified and whether it counts.
fn lab_section(doc: &serde_json::Value) -> Result<TableSection> {
    use ladder::report::human_seconds;
    use serde_json::Value;
    let steps = doc["steps"]
        .as_array()
        .context("its steps are not a list")?;
    let text = |v: &Value| v.as_str().unwrap_or("-").to_string();
    let rows: Vec<Vec<String>> = steps
        .iter()
        .map(|s| {
            let seconds = s["seconds"].as_f64().map_or_else(
                || "-".to_string(),
                |t| {
                    let est = if s["extrapolated"].as_bool() == Some(true) {
                        "~"
                    } else {
                        ""
                    };
                    // "!": measured under load, as under `ladder lab check`'s table.
                    let loaded = if s["run"]["load_elsewhere"]
                        .as_f64()
                        .is_some_and(|l| l >= ladder::run::LOADED_CORES)
                    {
                        " !"
                    } else {
                        ""
                    };
                    format!("{est}{}{loaded}", human_seconds(t))
                },
            );
            let verified = match s["verified"].as_bool() {
                Some(true) => "✓",
                Some(false) => "✗",
                None => "-",
            };
            let counts = if s["counts"].as_bool() == Some(true) {
                "counts".to_string()
            } else {
                text(&s["reason"])
            };
            // `*`: a top-k answer's speedup over a full matrix's, as `lab check` marks it.
            let mark = |k: usize| s["topk_vs_full"][k].as_bool() == Some(true);
            let speedup =
                |key: &str, k: usize| ladder::lab::render::marked(s[key].as_f64(), mark(k));
            vec![
                text(&s["id"]),
                text(&s["file"]),
                seconds,
                speedup("speedup_vs_baseline", 0),
                speedup("speedup_vs_previous", 1),
                verified.to_string(),
                counts,
            ]
        })
        .collect();
    let loaded = rows.iter().any(|r: &Vec<String>| r[2].ends_with(" !"));
    let starred = rows
        .iter()
        .any(|r: &Vec<String>| r[3].ends_with('*') || r[4].ends_with('*'));
    Ok(TableSection {
        title: format!("Lab: {}", text(&doc["lab"])),
        intro: format!(
            "The student's own ladder (ladder lab check), on {} × {}; {}.{}",
            doc["workload"]["n"],
            doc["workload"]["d"],
            if doc["all_count"].as_bool() == Some(true) {
                "every step counts"
            } else {
                "not every step counts yet"
            },
            if loaded {
                " ! marks a time measured under load (a quarter of a core or more busy \
                 elsewhere): it, and the speedups over it, may be off by that much."
            } else {
                ""
            }
        ) + &if starred {
            format!(" {}.", ladder::lab::render::TOPK_NOTE)
        } else {
            String::new()
        },
        header: [
            "step",
            "file",
            "time",
            "vs baseline",
            "vs previous",
            "verified",
            "counts",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    })
}

/// `more`'s rungs after `acc`'s, one row per rung (a later run of a rung replaces an earlier
/// one): only runs on the same workload compare.
fn merge(
    mut acc: Results,
    more: Results,
    path: &Path,
    warnings: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<Results> {
    if acc.workload != more.workload {
        bail!(
            "{} ran on {} × {} ({}, seed {}), not {} × {} ({}, seed {}) like the files before it: \
             a report compares runs of one workload",
            path.display(),
            more.workload.n,
            more.workload.d,
            more.workload.source,
            more.workload.seed,
            acc.workload.n,
            acc.workload.d,
            acc.workload.source,
            acc.workload.seed
        );
    }
    if acc.machine.key() != more.machine.key() {
        // Said on the page too: its reader never saw this terminal.
        let rungs: Vec<&str> = more.rungs.iter().map(|r| r.rung.as_str()).collect();
        let said = format!(
            "{} ({}) ran on another machine, {}, than the machine described below: its times are \
             not comparable with the others'",
            path.display(),
            rungs.join(", "),
            more.machine.cpu
        );
        sayln!("warning: {said}");
        warnings.push(said);
    }
    // Another budget or thread count changes what a rung's time means: said, not hidden.
    let same_budget = (acc.budget_s - more.budget_s).abs() < 1e-9;
    if acc.threads != more.threads || !same_budget {
        let rungs: Vec<&str> = more.rungs.iter().map(|r| r.rung.as_str()).collect();
        let mut differs = Vec::new();
        if acc.threads != more.threads {
            differs.push(format!(
                "{} thread{}, not {}",
                more.threads,
                if more.threads == 1 { "" } else { "s" },
                acc.threads
            ));
        }
        if !same_budget {
            differs.push(format!(
                "a {} s budget, not {} s",
                more.budget_s, acc.budget_s
            ));
        }
        let said = format!(
            "{} ({}) ran with {} like the files before it: its rungs' times and speedups are \
             not comparable with the others'",
            path.display(),
            rungs.join(", "),
            differs.join(" and ")
        );
        sayln!("warning: {said}");
        warnings.push(said);
    }
    // A rung run again takes its earlier row's place, so the ladder keeps its order; said,
    // with what it costs (an earlier flamegraph, and the comparison with it, leave too).
    let mut replaced = Vec::new();
    let mut unprofiled = 0;
    for x in more.rungs {
        match acc.rungs.iter().position(|r| r.rung == x.rung) {
            Some(i) => {
                if acc.rungs[i].flamegraph.is_some() && x.flamegraph.is_none() {
                    unprofiled += 1;
                }
                replaced.push(x.rung.clone());
                acc.rungs[i] = x;
            }
            None => acc.rungs.push(x),
        }
    }
    if !replaced.is_empty() {
        // Said once for the file, not once a rung.
        let lost = match unprofiled {
            0 => String::new(),
            1 => "; one earlier flamegraph goes with it (this run was not profiled)".into(),
            k => format!("; {k} earlier flamegraphs go with them (this run was not profiled)"),
        };
        let said = format!(
            "{} ran {} again: its row{} here {} from it, not from the files before it{lost}",
            path.display(),
            replaced.join(", "),
            if replaced.len() == 1 { "" } else { "s" },
            if replaced.len() == 1 { "is" } else { "are" }
        );
        sayln!("note: {said}");
        notes.push(said);
    }
    Ok(acc)
}

/// The profiles a run saved: `NAME.folded` beside each flamegraph `NAME.svg` it links, looked
/// for beside the JSON file first (where the run's folder was), then as written.
fn folded_profiles(run: &Results, json: &Path) -> Vec<RungProfile> {
    let base = json.parent().unwrap_or(Path::new(""));
    run.rungs
        .iter()
        .filter_map(|x| {
            let svg = PathBuf::from(x.flamegraph.as_ref()?);
            let folded = svg.with_extension("folded");
            let text = [base.join(&folded), folded.clone()]
                .iter()
                .find_map(|p| std::fs::read_to_string(p).ok());
            let Some(text) = text else {
                sayln!(
                    "note: no profile of {} ({} is missing): its flamegraph is left out",
                    x.rung,
                    folded.display()
                );
                return None;
            };
            let frequency =
                Profile::folded_frequency(&text).unwrap_or(ladder::profile::DEFAULT_FREQUENCY);
            match Profile::from_folded(&text, frequency) {
                Ok(profile) => Some(RungProfile {
                    rung: x.rung.clone(),
                    profile: Profile {
                        runs: Profile::folded_runs(&text),
                        check_samples: Profile::folded_check_samples(&text),
                        ..profile
                    },
                    python: x.peer.is_some(),
                }),
                Err(e) => {
                    sayln!(
                        "warning: {}: {e}; its flamegraph is left out",
                        folded.display()
                    );
                    None
                }
            }
        })
        .collect()
}

/// Merged runs in the ladder's order, whatever order the files came in: the first rung is
/// every speedup's baseline, and a library run given first must not be it.
fn ladder_order(results: &mut Results, runs: usize) {
    if runs > 1 {
        let extras = ladder::rungs::extras();
        let ids: Vec<&str> = ladder::rungs::ladder()
            .iter()
            .chain(&extras)
            .map(|r| r.info().id)
            .collect();
        results.rungs.sort_by_key(|x| {
            ids.iter()
                .position(|id| *id == x.rung)
                .unwrap_or(usize::MAX)
        });
    }
    ladder::run::fill_speedups(&mut results.rungs);
}

/// The learner the report names: the one its runs name, unless they name several or a lab or
/// lessons file is someone else's (said, never credited).
fn one_learner(
    mut learners: std::collections::BTreeSet<String>,
    tables_of: &[(String, String)],
    warnings: &mut Vec<String>,
) -> Option<String> {
    // The report names the learner its runs name; runs of several are no one's in particular.
    let learner = match learners.len() {
        1 => learners.pop_first(),
        0 => None,
        _ => {
            let names: Vec<_> = learners.into_iter().collect();
            // Said on the page too: one table of several people's rungs is not one ladder.
            let said = format!(
                "the runs are by {}: their rungs share one table, and the report names no one \
                 (ladder class puts students side by side)",
                names.join(", ")
            );
            sayln!("warning: {said}");
            warnings.push(said);
            None
        }
    };
    // A lab or lessons file of someone other than the runs' learner: said, never credited.
    let run_learner = learner.clone();
    let others: Vec<&(String, String)> = tables_of
        .iter()
        .filter(|(_, whose)| {
            run_learner
                .as_deref()
                .is_some_and(|r| r.to_lowercase() != whose.to_lowercase())
        })
        .collect();
    for (file, whose) in &others {
        let said = format!(
            "{file} is {whose}'s, and the runs are {}'s: the report names no one",
            run_learner.as_deref().unwrap_or_default()
        );
        sayln!("warning: {said}");
        warnings.push(said);
    }
    if others.is_empty() { learner } else { None }
}

/// Each rung's last profile, in the table's order; says when none is left, and why.
fn chosen_profiles(
    results: &Results,
    profiles: &[RungProfile],
    any_profiled: bool,
) -> Vec<RungProfile> {
    // A rung run twice keeps its last profile, in the table's order.
    let chosen: Vec<RungProfile> = results
        .rungs
        .iter()
        .filter_map(|x| {
            profiles
                .iter()
                .rev()
                .find(|p: &&RungProfile| p.rung == x.rung)
                .cloned()
        })
        .collect();
    // Only when no run was profiled: a profiled run whose stacks are missing was said above.
    if chosen.is_empty() && results.rungs.iter().all(|x| x.flamegraph.is_none()) {
        if any_profiled {
            sayln!(
                "note: no flamegraphs: each profiled rung was run again in a later file that \
                 was not profiled, and a later run of a rung replaces the earlier one, profile \
                 and all (give the profiled file last)"
            );
        } else {
            sayln!("note: {}", ladder::report::html::NOT_PROFILED);
        }
    }
    chosen
}
