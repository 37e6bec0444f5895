//! `ladder profilers`: the course's Python profilers measured side by side on this machine.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use clap::Args;
use ladder::lessons::profilers;

#[derive(Args)]
pub struct ProfilersArgs {
    /// table (for people) or json (for programs).
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// Interleaved rounds (plain, then each profiler, then again), 1 to 50; medians are
    /// reported.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Vectors in the workload, 2 to 5000 (its cost grows as n squared; the default takes
    /// about 1-2 s plain on a 2-core cloud machine; below a few hundred the overheads are
    /// mostly noise).
    #[arg(long, default_value_t = profilers::DEFAULT_N)]
    n: usize,
}

pub fn exec(args: &ProfilersArgs) -> Result<ExitCode> {
    profilers::check_sizes(args.n, args.rounds).map_err(|e| anyhow!(e))?;
    // Ctrl-C or a kill mid-measurement: the profiled programs and their folders go too.
    super::common::install_interrupt_handler();
    if args.format == "table" {
        sayln!(
            "measuring: the workload plain and under each profiler installed, {} round(s)...",
            args.rounds
        );
    }
    let c = profilers::compare(args.n, args.rounds).map_err(|e| anyhow!(e))?;
    let mut out = std::io::stdout().lock();
    if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, &c)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", profilers::table::render(&c))?;
    }
    Ok(ExitCode::SUCCESS)
}
