//! `ladder scale`: each rung at each size, and the exponent of its cost against n.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use ladder::machine::MachineInfo;
use ladder::report::scale::{scale_csv, scale_json, scale_table};
use ladder::run::CancelToken;
use ladder::run::scale::{SweepEvent, sweep};
use ladder::workload::{Distribution, Source, WorkloadSpec};

use super::args::{Sizes, WorkloadArgs, shown};
use super::common::{select_some_rungs, write_output};

/// Kernel seconds per rung and size: a sweep runs each rung many times.
const BUDGET_S: f64 = 4.0;

#[derive(Args, Clone)]
#[command(
    mut_arg("d", |a| a.default_value(shown(&ladder::workload::DEFAULT_D)).help("Dimension")),
    mut_arg("budget", |a| a
        .default_value(shown(&BUDGET_S))
        .help("Kernel seconds per rung and size before extrapolating")),
)]
pub struct ScaleArgs {
    /// Rungs to sweep: `all` or ids separated by commas.
    #[arg(long, default_value = "all")]
    rungs: String,
    #[command(flatten)]
    workload: WorkloadArgs<Sizes>,
    /// Output format: table, json or csv.
    #[arg(long, default_value = "table", value_parser = ["table", "json", "csv"])]
    format: String,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also draw the sweep as a log-log chart (SVG) in FILE, each rung's exponent in its legend.
    #[arg(long, value_name = "FILE")]
    plot: Option<PathBuf>,
}

pub fn exec(args: &ScaleArgs) -> Result<ExitCode> {
    let w = &args.workload;
    let mut sizes: Vec<usize> = w
        .size
        .n
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            ladder::run::limits::parse_n(s).ok().with_context(|| {
                format!(
                    "--n: '{s}' is not a size from 1 to {} (give sizes like 1000,2000,5000)",
                    ladder::run::limits::MAX_N
                )
            })
        })
        .collect::<Result<_>>()?;
    if sizes.is_empty() {
        bail!("--n names no size");
    }
    // One point per size: a size twice would be two points at one n, and the fit would count
    // it twice.
    if let Some(twice) = sizes
        .iter()
        .enumerate()
        .find_map(|(i, n)| sizes[..i].contains(n).then_some(n))
    {
        bail!("--n names {twice} twice: give each size once");
    }
    // Climbed smallest first, as the table and the chart read.
    sizes.sort_unstable();
    // Where the table and the plot go is checked before the sweep, and they are two files.
    if let Some(out) = &args.output {
        super::common::check_output(out, &[], None)?;
    }
    if let Some(plot) = &args.plot {
        let table: Vec<&std::path::Path> = args.output.as_deref().into_iter().collect();
        super::common::check_output(plot, &table, Some(&["svg"]))?;
    }
    let rungs = select_some_rungs(&args.rungs)?;
    let machine = Arc::new(MachineInfo::probe(false));
    let available = ladder::monitor::available_memory();
    let config = w.run_config();
    let dist: Distribution = w.data().parse().map_err(anyhow::Error::msg)?;
    // Always set: the flag has a default here.
    let d = w.d.unwrap_or(ladder::workload::DEFAULT_D);
    if d == 0 {
        bail!("--d must be at least 1");
    }
    let spec = WorkloadSpec {
        n: 0,
        d,
        seed: w.seed(),
        source: Source::Generated(dist),
    };
    let progress = |e: SweepEvent| match e {
        SweepEvent::Running { n, rung } => sayln!("n = {n}: {rung}"),
        SweepEvent::Skipped(s) => sayln!("n = {}: {} skipped ({})", s.n, s.rung, s.reason),
        SweepEvent::Preparing { .. } | SweepEvent::Point(_) => {}
    };
    let result = sweep(
        &rungs,
        &sizes,
        &spec,
        &machine,
        &config,
        available,
        &progress,
        &CancelToken::new(),
    )?;
    if result.points.is_empty()
        && let Some(s) = result.skipped.first()
    {
        bail!("nothing could run at any size: {}", s.reason);
    }
    let ids: Vec<&str> = rungs.iter().map(|r| r.info().id).collect();
    let text = match args.format.as_str() {
        "json" => scale_json(&result, &ids, &sizes, d, &machine)?,
        "csv" => scale_csv(&result),
        _ => scale_table(&result, &ids, &sizes, w.budget),
    };
    write_output(args.output.as_deref(), &text)?;
    if let Some(path) = &args.plot {
        if let Some(svg) = ladder::report::charts::scale_svg(&result, &ids) {
            write_output(Some(path), &svg)?;
        } else {
            sayln!("note: no point was measured: {} not drawn", path.display());
        }
    }
    if result.points.iter().any(|p| !p.verified) {
        sayln!("error: a rung failed verification at some size");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
