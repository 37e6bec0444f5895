//! `ladder run`: rungs (and peers) on one workload, and the speedup table.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use ladder::profile::{Profile, StackView};
use ladder::report::html::{HtmlReport, RungProfile};
use ladder::report::{self, Results, WorkloadMeta, flame_subtitle};
use ladder::run::{RunConfig, limits};
use ladder::rungs::ann::{Ann, AnnParams};
use ladder::rungs::{OutputKind, Rung};

use super::args::{InputArgs, WorkloadArgs};
use super::common::{
    Prepared, any_full, install_interrupt_handler, prepare, run_rungs, select_peer_specs,
    select_rungs, write_output,
};

#[derive(Args, Clone)]
pub struct RunArgs {
    /// Rungs to run: `all`, `none`, or ids separated by commas (see `ladder rungs`).
    #[arg(long, default_value = "all")]
    pub rungs: String,
    /// Peers (programs outside the process) to run after the rungs: `all` shipped ones, ids
    /// separated by commas, or a folder of peer files (see `ladder peers`).
    #[arg(long, value_name = "all|IDS|DIR", default_value = "none")]
    pub peers: String,
    #[command(flatten)]
    pub workload: WorkloadArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// Runs of each rung (1 to 100): the time shown is their median, with the fastest and
    /// slowest beside it, and every run's verification kept. A rung the budget stops on its
    /// first run shares one more budget among its later runs.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = limits::parse_repeat, allow_negative_numbers = true)]
    pub repeat: usize,
    /// Output format: table, json, csv or markdown (with -o, markdown writes the speedup chart,
    /// speedup.svg, beside the file and shows it at the top of the table).
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv", "markdown"])]
    pub format: String,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Your name, carried in the JSON, so that `ladder class` puts your run with your lab and
    /// lessons (1 to 40 characters).
    #[arg(long, value_name = "NAME", value_parser = limits::parse_name)]
    pub name: Option<String>,
    /// Capture a CPU profile of each rung and write its flamegraph SVG to --flamegraphs.
    #[arg(long)]
    pub profile: bool,
    /// Folder for the flamegraph SVGs (implies --profile; default `NAME-flamegraphs` beside
    /// `-o NAME.ext`, so each output keeps its own, or `flamegraphs` without -o). The markdown
    /// table links each rung's SVG.
    #[arg(long, value_name = "DIR")]
    pub flamegraphs: Option<PathBuf>,
    /// Also write the one-file HTML report to FILE: the table, the ladder chart and each rung's
    /// interactive flamegraph (the rungs are profiled).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Profiler sampling rate, Hz (1 to 1000; default 997), with --profile, --flamegraphs or
    /// --report.
    #[arg(long, value_parser = ladder::run::limits::parse_frequency)]
    pub frequency: Option<u32>,
    /// The ann rung's links per node (HNSW's M).
    #[arg(long, default_value_t = AnnParams::default().m)]
    pub ann_m: usize,
    /// The ann rung's candidates explored while building.
    #[arg(long, default_value_t = AnnParams::default().ef_construction)]
    pub ann_ef_construction: usize,
    /// The ann rung's candidates explored per query.
    #[arg(long, default_value_t = AnnParams::default().ef_search)]
    pub ann_ef_search: usize,
}

impl Default for RunArgs {
    fn default() -> Self {
        super::args::defaults()
    }
}

pub fn exec(args: &RunArgs) -> Result<ExitCode> {
    // Where the results go is checked before minutes of running, not after.
    let input = args.input.input.as_deref();
    if let Some(out) = &args.output {
        super::common::check_output(out, &input.into_iter().collect::<Vec<_>>(), None)?;
    }
    if let Some(report) = &args.report {
        let others: Vec<&std::path::Path> =
            input.into_iter().chain(args.output.as_deref()).collect();
        super::common::check_output(report, &others, Some(&["html", "htm"]))?;
    }
    // A file named for one format holding another would not read back (`ladder report` and
    // `ladder class` read .json): the name and the format must agree.
    if let Some(ext) = args
        .output
        .as_deref()
        .and_then(|o| o.extension())
        .map(|e| e.to_string_lossy().to_lowercase())
    {
        let named = match ext.as_str() {
            "json" => Some("json"),
            "csv" => Some("csv"),
            "md" | "markdown" => Some("markdown"),
            _ => None,
        };
        if let Some(named) = named.filter(|&n| n != args.format) {
            bail!(
                "-o names a .{ext} file but the format is {}: add --format {named} (or name the \
                 file for {})",
                args.format,
                args.format
            );
        }
    }
    let exporter = report::exporter(&args.format).with_context(|| {
        format!(
            "unknown format '{}': use table, json, csv or markdown",
            args.format
        )
    })?;
    args.workload.check_budget()?;
    if args.workload.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let ann = AnnParams {
        m: args.ann_m,
        ef_construction: args.ann_ef_construction,
        ef_search: args.ann_ef_search,
    };
    ann.check().map_err(anyhow::Error::msg)?;
    // Beside the output and named for it (`notes.md` → `notes-flamegraphs/`), so a second
    // run written to another file keeps the first's flamegraphs; without -o, `flamegraphs/`.
    let flame_dir = args.flamegraphs.clone().or_else(|| {
        args.profile.then(|| match args.output.as_deref() {
            Some(out) => {
                let stem = out
                    .file_stem()
                    .map_or_else(|| "run".to_string(), |s| s.to_string_lossy().into_owned());
                out.with_file_name(format!("{stem}-flamegraphs"))
            }
            None => PathBuf::from("flamegraphs"),
        })
    });
    // Refused before the run, not after it: a file where the folder would go.
    if let Some(dir) = flame_dir.as_deref().filter(|d| d.exists() && !d.is_dir()) {
        bail!(
            "{} is a file: the flamegraphs need a folder there (--flamegraphs DIR)",
            dir.display()
        );
    }
    // ...and a folder that cannot be made or written in: the nearest one there is probed.
    if let Some(dir) = flame_dir.as_deref() {
        if let Some(file) = dir.ancestors().skip(1).find(|a| a.is_file()) {
            bail!(
                "{} is a file: the flamegraphs' folder {} cannot be made under it (--flamegraphs DIR)",
                file.display(),
                dir.display()
            );
        }
        let there = dir
            .ancestors()
            .find(|a| !a.as_os_str().is_empty() && a.is_dir())
            .unwrap_or(std::path::Path::new("."));
        if let Err(e) = ladder::fsio::probe_writable(there) {
            bail!(
                "the flamegraphs' folder {} cannot be made or written in ({} in {}): give \
                 another with --flamegraphs DIR",
                dir.display(),
                e.kind(),
                there.display()
            );
        }
    }
    // The report shows each rung's flamegraph: it profiles them too.
    let profiling = flame_dir.is_some() || args.report.is_some();
    if args.frequency.is_some() && !profiling {
        bail!(
            "--frequency sets the profiler's rate: add --profile, --flamegraphs DIR or --report FILE"
        );
    }
    let frequency = profiling.then(|| args.frequency.unwrap_or(ladder::profile::DEFAULT_FREQUENCY));
    // The ann rung with the parameters asked for.
    let ours: Vec<Box<dyn Rung>> = select_rungs(&args.rungs)?
        .into_iter()
        .map(|r| -> Box<dyn Rung> {
            if r.info().id == "ann" {
                Box::new(Ann::new(ann))
            } else {
                r
            }
        })
        .collect();
    let first_peer = ours.len();
    let (peers, spies) = spied_peers(&args.peers, frequency)?;
    let rungs: Vec<Box<dyn Rung>> = ours.into_iter().chain(peers).collect();
    if rungs.is_empty() {
        bail!("nothing to run: --rungs none and no --peers");
    }
    let interactive = std::io::stderr().is_terminal();
    if interactive {
        say!("preparing the workload...\r");
    }
    let Prepared {
        workload,
        machine,
        runner,
    } = prepare(&args.workload, &args.input, any_full(&rungs))?;
    // Clamped, not refused: top-k of n vectors holds at most n - 1 others; said, so a tiny
    // run is not mistaken for a top-k answer.
    let n = workload.n();
    if args.input.k >= n && rungs.iter().any(|r| r.output() != OutputKind::Full) {
        sayln!(
            "note: --k {} but only {} other vector{}: the top-k rungs list {} per row",
            args.input.k,
            n - 1,
            if n == 2 { "" } else { "s" },
            n - 1
        );
    }
    let runner = runner.reconfigured(RunConfig {
        repeat: args.repeat,
        ..runner.config().clone()
    });
    let config = args.workload.run_config();
    install_interrupt_handler();
    let (mut reports, profiles) = run_rungs(runner, rungs, frequency, interactive)?;
    let profiles: Vec<Option<Profile>> = reports
        .iter()
        .zip(profiles)
        .enumerate()
        .map(|(i, (report, p))| match (i.checked_sub(first_peer), p) {
            // A peer runs in its own process: the in-process profile sampled only ladder
            // waiting for it. Its stacks are py-spy's, when it ran under py-spy.
            (Some(j), Some(_)) if report.has_time() => {
                spies[j].as_ref().and_then(|s| s.profile(report))
            }
            (None, Some(Ok(p))) => Some(p),
            (None, Some(Err(e))) => {
                sayln!("warning: no profile of {}: {e}", report.rung);
                None
            }
            // Not profiled, or a peer with no time (unavailable, failed, cancelled).
            (_, None) | (Some(_), _) => None,
        })
        .collect();
    if let Some(dir) = &flame_dir {
        // Linked from the output file, so relative to its folder.
        let from = args
            .output
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        write_flamegraphs(
            dir,
            from,
            &mut reports,
            &profiles,
            workload.as_ref(),
            &machine,
        )?;
    }

    let results = Results {
        workload: WorkloadMeta::from(workload.as_ref()),
        machine: (*machine).clone(),
        budget_s: args.workload.budget,
        threads: config.threads,
        rungs: reports,
        learner: args.name.clone(),
    };
    let text = match (args.format.as_str(), args.output.as_deref()) {
        // NOTES.md with its chart: speedup.svg beside it, shown at the top of the table.
        ("markdown", Some(path)) => {
            // Read first: a file that cannot be read is not written over, nor its chart.
            let before = report::existing_notes(path).map_err(|e| anyhow::anyhow!(e))?;
            let chart = match report::charts::speedup_svg(&results) {
                Some(svg) => {
                    let name = report::chart_file_for(path);
                    let at = path.with_file_name(&name);
                    write_output(Some(&at), &svg)?;
                    Some(name)
                }
                None => None,
            };
            // Written as the app's `m` writes it: the student's own text above and below the
            // table stays.
            report::merge_notes(
                before.as_deref(),
                &report::Export::render(&report::Markdown { chart }, &results),
            )
        }
        _ => exporter.render(&results),
    };
    write_output(args.output.as_deref(), &text)?;
    if let Some(path) = &args.report {
        let report = HtmlReport {
            profiles: results
                .rungs
                .iter()
                .zip(&profiles)
                .filter_map(|(x, p)| {
                    Some(RungProfile {
                        rung: x.rung.clone(),
                        profile: p.clone()?,
                        python: x.peer.is_some(),
                    })
                })
                .collect(),
            results: Some(results.clone()),
            tables_by: None,
            scale: None,
            sections: Vec::new(),
            sources: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
        };
        write_output(Some(path), &report.render())?;
    }
    let failed: Vec<&str> = results
        .rungs
        .iter()
        .filter(|r| r.is_failure())
        .map(|r| r.rung.as_str())
        .collect();
    if failed.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        sayln!(
            "error: {} failed verification against the float64 reference (or could not run)",
            failed.join(", ")
        );
        Ok(ExitCode::from(1))
    }
}

/// Each profiled rung's flamegraph SVG in `dir`, linked from its report, with its folded
/// stacks beside it (`ladder report` draws the flamegraphs again from those).
fn write_flamegraphs(
    dir: &Path,
    from: &Path,
    reports: &mut [ladder::run::RunReport],
    profiles: &[Option<Profile>],
    workload: &ladder::workload::Workload,
    machine: &ladder::machine::MachineInfo,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("could not create {}", dir.display()))?;
    let meta = WorkloadMeta::from(workload);
    let mut wrote = 0;
    for (report, profile) in reports.iter_mut().zip(profiles) {
        let Some(profile) = profile else { continue };
        if profile.total_samples() == 0 {
            // An empty picture would read as a rung that did nothing.
            sayln!(
                "note: {} ran too briefly for one sample at {} Hz: no flamegraph of it (a \
                 larger --n, or a higher --frequency, gives it some)",
                report.rung,
                profile.frequency
            );
            continue;
        }
        let path = dir.join(format!("{}.svg", report.rung));
        let mut svg = Vec::new();
        profile.write_svg(
            &report::flame_title(&report.rung, &meta, machine),
            &flame_subtitle(profile, Some(report)),
            StackView::Slide,
            &mut svg,
        )?;
        report::write_atomic(&path, &svg)
            .with_context(|| format!("could not write {}", path.display()))?;
        let folded = path.with_extension("folded");
        report::write_atomic(&folded, profile.to_folded_file(StackView::Full).as_bytes())
            .with_context(|| format!("could not write {}", folded.display()))?;
        report.flamegraph = Some(relative_to(&path, from).display().to_string());
        wrote += 1;
    }
    if wrote > 0 {
        sayln!(
            "wrote {wrote} flamegraph{} to {}",
            if wrote == 1 { "" } else { "s" },
            dir.display()
        );
    }
    Ok(())
}

/// `path` as seen from folder `base` (`../flames/naive.svg` from `sub/`), so a link from a
/// file in `base` resolves wherever the two were written; `path` as it is when either cannot
/// be made absolute.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    // Resolved (both exist by now: `..` compared as text would point elsewhere), or as given.
    let full = |p: &Path| {
        std::fs::canonicalize(if p.as_os_str().is_empty() {
            Path::new(".")
        } else {
            p
        })
        .or_else(|_| std::path::absolute(p))
    };
    let (Ok(to), Ok(from)) = (full(path), full(base)) else {
        return path.to_path_buf();
    };
    let (to, from): (Vec<_>, Vec<_>) = (to.components().collect(), from.components().collect());
    let common = to.iter().zip(&from).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for c in &to[common..] {
        out.push(c);
    }
    out
}

/// Where a Python peer's py-spy samples go while it runs, and at what rate.
struct SpyDir {
    dir: ladder::fsio::PrivateTempDir,
    rate: u32,
}

impl SpyDir {
    /// The peer's Python stacks, or `None` (said) when py-spy recorded none.
    fn profile(&self, report: &ladder::run::RunReport) -> Option<Profile> {
        let text = ladder::peers::spy::spy_folded(self.dir.path()).unwrap_or_default();
        match Profile::from_folded(&text, self.rate) {
            Ok(p) if p.total_samples() > 0 => Some(p),
            _ => {
                sayln!(
                    "note: py-spy recorded no samples of {} (a run too short, or no permission \
                     to trace): no flamegraph of it",
                    report.rung
                );
                None
            }
        }
    }
}

/// Peers to run, and where each one's py-spy samples go (if anywhere).
type SpiedPeers = (Vec<Box<dyn Rung>>, Vec<Option<SpyDir>>);

/// The peers `--peers` names; when profiling (`frequency`), each Python one runs under
/// py-spy, with the folder its samples go to (`None` for a peer that is not Python, or
/// without py-spy, said once).
fn spied_peers(spec: &str, frequency: Option<u32>) -> Result<SpiedPeers> {
    use ladder::peers::{Peer, Spy, which};
    let specs = select_peer_specs(spec)?;
    let exe = frequency.and_then(|_| which("py-spy"));
    let mut peers: Vec<Box<dyn Rung>> = Vec::new();
    let mut spies = Vec::new();
    let mut missing = Vec::new();
    for spec in specs {
        let mut peer = Peer::new(spec);
        let spy = match (frequency, &exe) {
            (Some(hz), Some(exe)) if peer.is_python() => {
                let dir = ladder::fsio::private_temp_dir("ladder-spy-")?;
                let rate = hz.clamp(1, 1000);
                peer.spy = Some(Spy {
                    exe: exe.clone(),
                    rate,
                    dir: dir.path().to_path_buf(),
                });
                Some(SpyDir { dir, rate })
            }
            (Some(_), None) if peer.is_python() => {
                missing.push(peer.info().id.to_string());
                None
            }
            _ => None,
        };
        peers.push(Box::new(peer));
        spies.push(spy);
    }
    if !missing.is_empty() {
        sayln!(
            "note: no flamegraph of {}: py-spy profiles Python peers (pip install py-spy)",
            missing.join(", ")
        );
    }
    Ok((peers, spies))
}

#[cfg(test)]
mod tests {
    use super::relative_to;

    #[test]
    fn a_link_is_relative_to_the_output_s_folder_even_through_dot_dot() {
        let root = tempfile::tempdir().unwrap();
        let (p, reports, flames) = (
            root.path().join("p"),
            root.path().join("reports"),
            root.path().join("p/flames"),
        );
        std::fs::create_dir_all(&flames).unwrap();
        std::fs::create_dir_all(&reports).unwrap();
        let svg = flames.join("naive.svg");
        std::fs::write(&svg, "").unwrap();
        // The output's folder named through `..`, as `-o ../reports/notes.md` from p/ does.
        let base = p.join("../reports");
        let link = relative_to(&svg, &base);
        assert_eq!(link, std::path::Path::new("../p/flames/naive.svg"));
        assert!(reports.join(&link).is_file());
    }
}
