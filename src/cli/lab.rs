//! `ladder lab`: the student's own ladder. `init` writes a lab folder; `check` climbs it
//! headless (verified, timed, graded, in order) for people and for CI.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand, ValueEnum};

use ladder::lab::{self, render};
use ladder::machine::MachineInfo;
use ladder::report::WorkloadMeta;
use ladder::run::{CancelToken, RunConfig, Runner};
use ladder::workload::{Distribution, Source, Workload, WorkloadSpec};

use super::common::{install_interrupt_handler, write_output};

#[derive(Args)]
pub struct LabArgs {
    #[command(subcommand)]
    command: LabCommand,
}

#[derive(Subcommand)]
enum LabCommand {
    /// Write a new lab folder: a README, lab.toml (the steps and their floors), one file per
    /// step (only step 1 solved), tests/ and perf/. Never overwrites a file.
    Init {
        /// Where (made if missing).
        #[arg(default_value = "ladder-lab")]
        dir: PathBuf,
    },
    /// Climb the lab headless: each step verified, timed and graded in order. Exit 0 only when
    /// every step counts.
    Check(CheckArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Args)]
struct CheckArgs {
    /// The lab folder.
    #[arg(default_value = "ladder-lab")]
    dir: PathBuf,
    /// Number of vectors (default: the lab file's).
    #[arg(long)]
    n: Option<usize>,
    /// Dimension (default: the lab file's).
    #[arg(long)]
    d: Option<usize>,
    /// Seed of the generator (default: the lab file's).
    #[arg(long)]
    seed: Option<u64>,
    /// Kernel seconds per step before its time is extrapolated (default: the lab file's).
    #[arg(long, value_name = "SECONDS")]
    budget: Option<f64>,
    /// Threads the steps may use (default: all logical cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Neighbours per row for a top-k step.
    #[arg(long, default_value_t = ladder::run::DEFAULT_K)]
    k: usize,
    /// Run every step, even after one that does not count yet (for instructors).
    #[arg(long)]
    unlock_all: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn exec(args: &LabArgs) -> Result<ExitCode> {
    match &args.command {
        LabCommand::Init { dir } => init(dir),
        LabCommand::Check(c) => check(c),
    }
}

fn init(dir: &std::path::Path) -> Result<ExitCode> {
    let written = lab::scaffold::init(dir)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "wrote a lab in {} ({} files)",
        dir.display(),
        written.len()
    )?;
    writeln!(
        out,
        "next: read {}, then `ladder lab check {}`",
        dir.join("README.md").display(),
        dir.display()
    )?;
    Ok(ExitCode::SUCCESS)
}

fn check(args: &CheckArgs) -> Result<ExitCode> {
    let lab = lab::load(&args.dir)?;
    let w = lab.workload;
    let (n, d) = (args.n.unwrap_or(w.n), args.d.unwrap_or(w.d));
    let budget = args.budget.unwrap_or(w.budget);
    if n == 0 || d == 0 {
        bail!("--n and --d must be at least 1");
    }
    if !(budget.is_finite() && budget > 0.0 && budget <= 3600.0) {
        bail!("--budget must be seconds between 0 and 3600 (got {budget})");
    }
    if args.threads == Some(0) || args.k == 0 {
        bail!("--threads and --k must be at least 1");
    }
    if lab
        .steps
        .iter()
        .any(|s| s.output == ladder::rungs::OutputKind::Full)
    {
        ladder::run::check_fits(n, d, ladder::monitor::available_memory())?;
    }
    let workload = Arc::new(
        Workload::build(&WorkloadSpec {
            n,
            d,
            seed: args.seed.unwrap_or(w.seed),
            source: Source::Generated(Distribution::Normal),
        })
        .context("could not make the lab's workload")?,
    );
    let machine = Arc::new(MachineInfo::probe(false));
    let config = RunConfig {
        budget: std::time::Duration::from_secs_f64(budget),
        threads: args.threads.unwrap_or(RunConfig::default().threads),
        k: args.k,
        ..RunConfig::default()
    };
    let runner = Runner::new(Arc::clone(&workload), Arc::clone(&machine), config);
    install_interrupt_handler();
    let total = lab.steps.len();
    let interactive = std::io::stderr().is_terminal();
    let started = |i: usize, s: &lab::spec::LabStep| {
        if interactive {
            eprint!("\r\x1b[2K[{}/{total}] {} ({})", i + 1, s.id, s.file_name());
        } else {
            eprintln!("[{}/{total}] {} ({})", i + 1, s.id, s.file_name());
        }
    };
    let results = lab::climb(
        &lab,
        &runner,
        args.unlock_all,
        &started,
        &|_| {},
        &CancelToken::new(),
    );
    if interactive {
        eprint!("\r\x1b[2K");
    }
    let meta = WorkloadMeta::from(workload.as_ref());
    let dir = args.dir.display().to_string();
    let text = match args.format {
        Format::Table => render::table(&dir, &meta, &machine, &results),
        Format::Json => {
            serde_json::to_string_pretty(&render::json(&dir, &meta, &machine, &results))? + "\n"
        }
    };
    write_output(args.output.as_deref(), &text)?;
    Ok(if lab::all_count(&results) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
