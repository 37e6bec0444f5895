//! `ladder flame`: a rung's flamegraph (CPU or live memory), two rungs' difference, or a Python
//! peer's stacks sampled by py-spy.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use ladder::profile::StackView;
use ladder::report::{self, WorkloadMeta};
use ladder::run::{CancelToken, Runner};
use ladder::rungs::Rung;

use super::args::{InputArgs, WorkloadArgs};
use super::common::{Prepared, any_full, prepare, run_rungs, select_some_rungs};
use ladder::report::flame_subtitle;

#[derive(Args, Clone)]
// One of the three says what to profile: a missing one is said as the choice it is.
#[command(group(clap::ArgGroup::new("what").required(true).args(["rung", "peer", "diff"])))]
pub struct FlameArgs {
    /// Profile this rung.
    #[arg(long, conflicts_with_all = ["diff", "peer"])]
    rung: Option<String>,
    /// Profile a Python peer with py-spy instead (`ladder peers` lists them).
    #[arg(long, value_name = "ID", conflicts_with_all = ["diff", "memory"])]
    peer: Option<String>,
    /// Profile two rungs, `before,after`, and draw what changed (a differential flamegraph).
    #[arg(long, value_name = "BEFORE,AFTER")]
    diff: Option<String>,
    #[command(flatten)]
    workload: WorkloadArgs,
    #[command(flatten)]
    input: InputArgs,
    /// Sampling rate, Hz (1 to 1000; a CPU profile's: --memory samples by bytes allocated).
    #[arg(
        long,
        default_value_t = ladder::profile::DEFAULT_FREQUENCY,
        value_parser = ladder::run::limits::parse_frequency,
        conflicts_with = "memory"
    )]
    frequency: u32,
    /// Output file; its extension picks the format unless --format says: .svg, .folded, .pb
    /// (pprof protobuf, for `go tool pprof` and speedscope). Default: named for the rung
    /// (`naive.svg`) in this folder, replacing one there.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// svg, folded or pprof.
    #[arg(long, value_parser = ["svg", "folded", "pprof"])]
    format: Option<String>,
    /// A memory flamegraph instead: the bytes still live after the runs, by the call stack
    /// that allocated them (try `--rung leaky --runs 3`).
    #[arg(long, conflicts_with = "diff")]
    memory: bool,
    /// Keep every frame sampled (the raw profile). By default the export shows what the
    /// terminal does: the standard library's scaffolding folded away and stacks too rare to see
    /// cut short, so it reads on a slide.
    #[arg(long)]
    full_stacks: bool,
    /// With --memory: how many times to run the rung first (1 to 100).
    #[arg(long, default_value_t = 3, requires = "memory", value_parser = ladder::run::limits::parse_runs, allow_negative_numbers = true)]
    runs: u64,
}

impl FlameArgs {
    fn view(&self) -> StackView {
        if self.full_stacks {
            StackView::Full
        } else {
            StackView::Slide
        }
    }
}

pub fn exec(args: &FlameArgs) -> Result<ExitCode> {
    args.workload.check_budget()?;
    if let Some(id) = &args.peer {
        return flame_peer(args, id);
    }
    let (ids, diff) = match (&args.rung, &args.diff) {
        (Some(r), _) => (r.clone(), false),
        (None, Some(d)) => {
            if d.split(',').filter(|s| !s.trim().is_empty()).count() != 2 {
                bail!("--diff takes two rungs, before and after: --diff naive,algorithmic");
            }
            (d.clone(), true)
        }
        (None, None) => bail!("give --rung ID or --diff BEFORE,AFTER"),
    };
    let rungs = select_some_rungs(&ids)?;
    // One picture per command: a second rung's profile would be thrown away.
    if !diff && rungs.len() > 1 {
        bail!("--rung takes one rung (ladder rungs lists them); --diff BEFORE,AFTER compares two");
    }
    if diff && rungs[0].info().id == rungs[1].info().id {
        bail!("--diff compares two different rungs: --diff naive,algorithmic");
    }
    let names: Vec<&'static str> = rungs.iter().map(|r| r.info().id).collect();
    let ext = args
        .output
        .as_deref()
        .and_then(|o| o.extension())
        .map(|e| e.to_string_lossy().to_lowercase());
    let format = match (&args.format, ext.as_deref()) {
        (Some(f), _) => f.clone(),
        (None, Some("folded" | "txt")) => "folded".into(),
        (None, Some("pb" | "pprof")) => "pprof".into(),
        (None, None | Some("svg")) => "svg".into(),
        (None, Some(other)) => bail!(
            "-o {}: .{other} is no format of a flamegraph's: .svg (the picture), .folded or \
             .txt (folded stacks), or .pb (pprof)",
            args.output
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display()
        ),
    };
    // Without -o, the file is named for what it holds.
    let output = args.output.clone().unwrap_or_else(|| {
        let ext = match format.as_str() {
            "folded" => "folded",
            "pprof" => "pb",
            _ => "svg",
        };
        PathBuf::from(if diff {
            format!("diff-{}-{}.{ext}", names[0], names[1])
        } else {
            format!("{}.{ext}", names[0])
        })
    });
    if !matches!(format.as_str(), "svg" | "folded" | "pprof") {
        bail!("unknown format '{format}': use svg, folded or pprof");
    }
    if diff && format != "svg" {
        bail!("a difference is drawn as SVG only (-o diff.svg)");
    }
    if args.memory && format == "pprof" {
        bail!("a memory profile is written as SVG or folded stacks");
    }
    // Before the profiling, not after: a file whose name says what it holds, where it can go.
    let exts: &[&str] = match format.as_str() {
        "folded" => &["folded", "txt"],
        "pprof" => &["pb", "pprof"],
        _ => &["svg"],
    };
    let input: Vec<&std::path::Path> = args.input.input.as_deref().into_iter().collect();
    super::common::check_output(&output, &input, Some(exts))
        .with_context(|| format!("-o (a {format} file)"))?;
    let interactive = std::io::stderr().is_terminal();
    let Prepared {
        workload,
        machine,
        runner,
    } = prepare(&args.workload, &args.input, any_full(&rungs))?;
    if args.memory {
        return memory_flame(&runner, &rungs, args, &output, &format);
    }
    let (reports, profiles) = run_rungs(runner, rungs, Some(args.frequency), interactive)?;
    let mut got = Vec::new();
    for (r, p) in reports.iter().zip(profiles) {
        match p {
            Some(Ok(p)) => got.push(p),
            Some(Err(e)) => bail!("could not profile {}: {e}", r.rung),
            None => bail!("{} was not profiled", r.rung),
        }
    }
    let meta = WorkloadMeta::from(workload.as_ref());
    let mut bytes = Vec::new();
    if diff {
        let title = report::flame_title(&format!("{} → {}", names[0], names[1]), &meta, &machine);
        let speedup = (reports[1].has_time() && reports[1].estimated_s > 0.0)
            .then(|| reports[0].estimated_s / reports[1].estimated_s)
            .filter(|_| reports[0].has_time());
        let subtitle = report::diff_subtitle(&got[0], &got[1], names[0], speedup);
        ladder::profile::Profile::write_diff_svg(
            &got[0],
            &got[1],
            &title,
            &subtitle,
            args.view(),
            &mut bytes,
        )?;
    } else {
        let p = &got[0];
        match format.as_str() {
            "folded" => bytes = p.to_folded_file(args.view()).into_bytes(),
            "pprof" => {
                // The samples are of every run the profile took (a fast rung's, run again).
                let nanos =
                    (reports[0].setup_s + reports[0].kernel_s) * 1e9 * f64::from(p.runs.max(1));
                bytes = p.to_pprof(nanos as i64, args.view());
            }
            _ => p.write_svg(
                &report::flame_title(names[0], &meta, &machine),
                &flame_subtitle(p, reports.first()),
                args.view(),
                &mut bytes,
            )?,
        }
    }
    report::write_atomic(&output, &bytes)
        .with_context(|| format!("could not write {}", output.display()))?;
    let samples: Vec<String> = got.iter().map(|p| p.total_samples().to_string()).collect();
    let one = samples.len() == 1 && samples[0] == "1";
    sayln!(
        "wrote {} ({format}, {} sample{})",
        output.display(),
        samples.join(" and "),
        if one { "" } else { "s" }
    );
    if got.iter().any(|p| p.total_samples() == 0) {
        sayln!(
            "note: no samples: the run was shorter than one sample at this rate; a larger --n, \
             or a higher --frequency, gives it some"
        );
    }
    if reports.iter().any(ladder::run::RunReport::is_failure) {
        sayln!("error: a profiled rung failed verification");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs a rung `args.runs` times with allocation tracking and writes the flamegraph of the
/// bytes still live.
fn memory_flame(
    runner: &Runner,
    rungs: &[Box<dyn Rung>],
    args: &FlameArgs,
    output: &std::path::Path,
    format: &str,
) -> Result<ExitCode> {
    use ladder::profile::alloc;
    if !alloc::enable() {
        bail!("the allocation tracker is not installed in this build");
    }
    let rung = &rungs[0];
    let id = rung.info().id;
    let before = alloc::stats();
    // The profile shows what the runs allocated and left live, as the app's memory view does.
    let mark = alloc::mark();
    let cancel = CancelToken::new();
    let mut failed = false;
    for run in 1..=args.runs {
        alloc::reset_peak();
        let report = runner.run_one(0, rung.as_ref(), &|_| {}, &cancel);
        failed |= report.is_failure();
        let s = alloc::stats();
        // Since before the first run, in words: what stayed behind is the point.
        let grew = s.live_bytes.cast_signed() - before.live_bytes.cast_signed();
        sayln!(
            "run {run}: {id} {}; live {} ({}{} since before the first run), peak {}",
            report::time_cell(&report),
            ladder::workload::human_bytes(s.live_bytes),
            if grew < 0 { "−" } else { "+" },
            ladder::workload::human_bytes(grew.unsigned_abs()),
            ladder::workload::human_bytes(s.peak_bytes)
        );
    }
    // Totals first: resolving the stacks' symbols allocates (and keeps a cache).
    let after = alloc::stats();
    let profile = alloc::live_profile_since(Some(&mark));
    let bytes = if format == "folded" {
        profile.to_folded_file(args.view()).into_bytes()
    } else {
        let meta = WorkloadMeta::from(runner.workload());
        let title = format!(
            "ladder · live bytes after {} runs of {id} · {} × {} {}",
            args.runs, meta.n, meta.d, meta.source
        );
        let subtitle = format!(
            "allocated during the runs and still live: {} (peak {}); stacks sampled about every {} allocated",
            ladder::workload::human_bytes(after.live_bytes.saturating_sub(before.live_bytes)),
            ladder::workload::human_bytes(after.peak_bytes),
            ladder::workload::human_bytes(alloc::SAMPLE_INTERVAL as u64)
        );
        let mut svg = Vec::new();
        profile.write_svg_counting(&title, &subtitle, "bytes", args.view(), &mut svg)?;
        svg
    };
    report::write_atomic(output, &bytes)
        .with_context(|| format!("could not write {}", output.display()))?;
    sayln!("wrote {} (memory, {format})", output.display());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `ladder flame --peer ID`: the peer run under py-spy, its stacks drawn like a rung's.
fn flame_peer(args: &FlameArgs, id: &str) -> Result<ExitCode> {
    use ladder::peers::{Peer, Spy, shipped, spy_folded, which};
    let spec = shipped()?
        .into_iter()
        .find(|p| p.id == id)
        .with_context(|| format!("unknown peer '{id}' (ladder peers lists them)"))?;
    let mut peer = Peer::new(spec);
    if !peer.is_python() {
        bail!("{id} is not a Python program: py-spy profiles Python peers only");
    }
    let exe = which("py-spy").context("py-spy is not installed (pip install py-spy)")?;
    let tmp = ladder::fsio::private_temp_dir("ladder-spy-")?;
    let dir = tmp.path().to_path_buf();
    peer.spy = Some(Spy {
        exe,
        rate: args.frequency,
        dir: dir.clone(),
    });
    super::common::install_interrupt_handler();
    let by_ext = args
        .output
        .as_deref()
        .and_then(|o| o.extension())
        .is_some_and(|e| e.eq_ignore_ascii_case("folded") || e.eq_ignore_ascii_case("txt"));
    let folded = match args.format.as_deref() {
        Some("pprof") => bail!("a peer's profile (py-spy's) is written as SVG or folded stacks"),
        Some(f) => f == "folded",
        None => by_ext,
    };
    let output = args.output.clone().unwrap_or_else(|| {
        PathBuf::from(format!("{id}.{}", if folded { "folded" } else { "svg" }))
    });
    let exts: &[&str] = if folded { &["folded", "txt"] } else { &["svg"] };
    let input: Vec<&std::path::Path> = args.input.input.as_deref().into_iter().collect();
    super::common::check_output(&output, &input, Some(exts))
        .with_context(|| format!("-o (a {} file)", if folded { "folded" } else { "svg" }))?;
    let Prepared {
        workload,
        machine,
        runner,
    } = prepare(&args.workload, &args.input, true)?;
    sayln!("{id}: running under py-spy…");
    let mut report = runner.run_one(0, &peer, &|_| {}, &CancelToken::new());
    if matches!(report.status, ladder::run::RunStatus::Failed(_)) {
        // py-spy itself now and then dies on a process that exits under it: once more.
        sayln!("{id}: the profiled run failed; trying once more");
        for f in ladder::fsio::files_with_extension(&dir, "folded").unwrap_or_default() {
            let _ = std::fs::remove_file(f);
        }
        report = runner.run_one(0, &peer, &|_| {}, &CancelToken::new());
    }
    let text = spy_folded(&dir).unwrap_or_default();
    drop(tmp);
    if let ladder::run::RunStatus::Failed(why) | ladder::run::RunStatus::Unavailable(why) =
        &report.status
    {
        bail!("{id} did not run: {why}");
    }
    if text.trim().is_empty() {
        bail!("py-spy recorded no samples of {id} (a run too short, or no permission to trace)");
    }
    let profile = ladder::profile::Profile::from_folded(&text, args.frequency)?;
    let bytes = if folded {
        profile.to_folded_file(args.view()).into_bytes()
    } else {
        let meta = WorkloadMeta::from(workload.as_ref());
        let mut svg = Vec::new();
        profile.write_svg(
            &report::flame_title(id, &meta, &machine),
            &format!(
                "Python stacks of the whole process sampled by py-spy ({} samples{}); {}",
                profile.total_samples(),
                profile
                    .import_words()
                    .map_or_else(String::new, |w| format!(", {w}")),
                report::verified_cell(&report)
            ),
            args.view(),
            &mut svg,
        )?;
        svg
    };
    report::write_atomic(&output, &bytes)
        .with_context(|| format!("could not write {}", output.display()))?;
    sayln!("wrote {}", output.display());
    Ok(ExitCode::SUCCESS)
}
