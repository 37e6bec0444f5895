//! `ladder bench`: interleaved repeats and medians; the history file; the regression gate and
//! its baseline.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use ladder::machine::{MachineInfo, MachineKey};
use ladder::report::gate::{self, Baseline, BaselineFile, BaselineWorkload, GateRun};
use ladder::report::{self, WorkloadMeta, history};
use ladder::run::bench::RungBench;
use ladder::run::{CancelToken, Runner, bench};

use super::args::{InputArgs, Size, WorkloadArgs};
use super::common::{any_full, build_workload, select_some_rungs};

/// The workload when no baseline sets it (`--help` states them).
const N: usize = 1000;
const D: usize = ladder::workload::DEFAULT_D;

// Each flag is an independent switch of the command line.
#[allow(clippy::struct_excessive_bools)]
#[derive(Args, Clone)]
#[command(
    mut_arg("n", |a| a.help(format!("Number of vectors (default {N}; with --check: the baseline's)"))),
    mut_arg("d", |a| a.help(format!("Dimension (default {D}; with --check: the baseline's)"))),
    mut_arg("budget", |a| a.help("Kernel seconds per run before extrapolating")),
)]
pub struct BenchArgs {
    /// Rungs to measure: `all` or ids separated by commas. The first is the baseline every
    /// speedup is measured against. With --check: the baseline file's rungs.
    #[arg(long)]
    rungs: Option<String>,
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Measured runs of each rung (1 to 100).
    #[arg(long, default_value_t = 5, value_parser = ladder::run::limits::parse_repeat, allow_negative_numbers = true)]
    repeat: usize,
    /// Unmeasured runs of each rung first.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Output format: table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// Append this run to the history file.
    #[arg(long)]
    record: bool,
    /// The history file.
    #[arg(long, value_name = "FILE", default_value = "perf/history.jsonl")]
    history_file: PathBuf,
    /// Print the recorded history instead of running.
    #[arg(long)]
    history: bool,
    /// The regression gate: compare with the baseline, exit 1 on a regression.
    #[arg(long)]
    check: bool,
    /// The baseline file.
    #[arg(long, value_name = "FILE", default_value = "perf/baseline.json")]
    baseline: PathBuf,
    /// Rewrite the baseline from this run (atomically; thresholds kept).
    #[arg(long)]
    update_baseline: bool,
}

pub fn exec(args: &BenchArgs) -> Result<ExitCode> {
    if args.history {
        let h = history::read(&args.history_file)
            .with_context(|| format!("could not read {}", args.history_file.display()))?;
        for w in &h.warnings {
            sayln!("warning: {w}");
        }
        out!("{}", history::render_history(&h.entries));
        return Ok(ExitCode::SUCCESS);
    }
    let this_machine = MachineKey::this();
    let baseline_file = if args.check {
        Some(BaselineFile::load(&args.baseline)?)
    } else {
        None
    };
    let picked = match &baseline_file {
        Some(f) => Some(
            f.pick(&this_machine)
                .with_context(|| format!("{} holds no baseline", args.baseline.display()))?,
        ),
        None => None,
    };
    let baseline = picked.map(|(b, _)| b);
    let spec_rungs = match (&args.rungs, &baseline) {
        (Some(r), _) => r.clone(),
        (None, Some(b)) => b
            .rungs
            .iter()
            .map(|r| r.rung.as_str())
            .collect::<Vec<_>>()
            .join(","),
        (None, None) => "all".into(),
    };
    let rungs = select_some_rungs(&spec_rungs)?;
    let w = &args.workload;
    let (n, d) = match &baseline {
        Some(b) => {
            let n = w.size.n.unwrap_or(b.workload.n);
            let d = w.d.unwrap_or(b.workload.d);
            if (n, d) != (b.workload.n, b.workload.d) {
                bail!(
                    "{} was recorded at n = {}, d = {}; check at that size (drop --n/--d) or re-record with --update-baseline",
                    args.baseline.display(),
                    b.workload.n,
                    b.workload.d
                );
            }
            if rungs.first().map(|r| r.info().id) != Some(b.baseline_rung.as_str()) {
                bail!(
                    "the baseline's speedups are against {}: put it first in --rungs",
                    b.baseline_rung
                );
            }
            (n, d)
        }
        None => (w.size.n.unwrap_or(N), w.d.unwrap_or(D)),
    };
    let sized = WorkloadArgs {
        size: Size { n: Some(n) },
        d: Some(d),
        ..w.clone()
    };
    let workload = Arc::new(build_workload(
        &sized,
        &InputArgs::default(),
        any_full(&rungs),
    )?);
    // The gate compares fractions of the peak measured in this run: a peak kept from an idle
    // hour reads every rung low once the host slows, though no rung regressed.
    let machine = Arc::new(if args.check || args.update_baseline {
        sayln!("measuring this machine's peak now, for the gate's fractions of peak");
        MachineInfo::measure(false)
    } else {
        super::common::machine_with_note()
    });
    let config = w.run_config();
    let runner = Runner::new(Arc::clone(&workload), Arc::clone(&machine), config);
    let total = args.warmup + args.repeat;
    let interactive = std::io::stderr().is_terminal();
    let progress = |rep: usize, id: &str| {
        let what = if rep < args.warmup { "warm-up" } else { "run" };
        if interactive {
            say!("\r\x1b[2K[{}/{total}] {what}: {id}", rep + 1);
        } else if id == rungs[0].info().id {
            sayln!("[{}/{total}] {what}", rep + 1);
        }
    };
    let results = bench::bench(
        &runner,
        &rungs,
        args.warmup,
        args.repeat,
        &progress,
        &CancelToken::new(),
    );
    if interactive {
        say!("\r\x1b[2K");
    }
    let meta = WorkloadMeta::from(workload.as_ref());
    let baseline_rung = rungs[0].info().id.to_string();
    let json = args.format == "json";
    if !json {
        out!(
            "{}",
            report::bench::render_bench(&results, &meta, &machine, args.warmup, args.repeat)
        );
    }
    if args.record {
        let entry = history::HistoryEntry {
            schema_version: history::HISTORY_SCHEMA,
            date: history::utc_now(),
            commit: history::current_commit(),
            machine: (*machine).clone(),
            workload: meta.clone(),
            warmup: args.warmup,
            repeat: args.repeat,
            baseline_rung: baseline_rung.clone(),
            rungs: results.iter().map(history::HistoryRung::from).collect(),
        };
        history::append(&args.history_file, &entry)
            .with_context(|| format!("could not append to {}", args.history_file.display()))?;
        sayln!("recorded in {}", args.history_file.display());
    }
    if args.update_baseline {
        update_baseline(
            &args.baseline,
            &machine,
            BaselineWorkload { n, d },
            &results,
        )?;
    }
    let unverified: Vec<&str> = results
        .iter()
        .filter(|r| !r.verified)
        .map(|r| r.rung.as_str())
        .collect();
    // In JSON mode stdout holds one document; the gate's tables go to stderr.
    let mut out: Box<dyn std::io::Write> = if json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let gate = match picked {
        Some((b, same)) => {
            let verdict = gate::run_gate(
                &GateRun {
                    baseline: b,
                    same_machine: same,
                    this_machine: &this_machine,
                    path: &args.baseline,
                    repeat: args.repeat,
                },
                &results,
                &mut gate::measure_again(&runner),
                &mut out,
            )?;
            Some((b, same, verdict))
        }
        None => None,
    };
    if json {
        let gate_doc = gate.as_ref().map(|(b, same, g)| {
            serde_json::json!({
                "baseline_file": args.baseline,
                "recorded_on": b.describe(),
                "same_machine": same,
                "passed": g.passed(),
                "rows": g.rows,
            })
        });
        let doc = serde_json::json!({
            "schema_version": 1,
            "workload": meta,
            "machine": *machine,
            "warmup": args.warmup,
            "repeat": args.repeat,
            "baseline_rung": baseline_rung,
            "rungs": results,
            "gate": gate_doc,
        });
        outln!("{}", serde_json::to_string_pretty(&doc)?);
    }
    if gate.is_some_and(|(_, _, g)| !g.passed()) {
        return Ok(ExitCode::from(1));
    }
    if !unverified.is_empty() {
        sayln!("error: {} failed verification", unverified.join(", "));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Rewrites `path` with this machine's baseline from `results` (thresholds kept).
fn update_baseline(
    path: &Path,
    machine: &MachineInfo,
    workload: BaselineWorkload,
    results: &[RungBench],
) -> Result<()> {
    // Other machines' baselines in the file stay; a file that is there but unreadable is
    // not silently replaced.
    let mut file = match BaselineFile::load(path) {
        Ok(f) => f,
        Err(gate::BaselineError::Io { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            BaselineFile {
                schema_version: gate::BASELINE_SCHEMA,
                baselines: Vec::new(),
            }
        }
        Err(e) => bail!("{e}; it was left as it is"),
    };
    let key = machine.key();
    let previous = file.pick(&key).map(|(b, _)| b.clone());
    let b = Baseline::from_run(
        key,
        workload,
        history::utc_now(),
        results,
        previous.as_ref(),
    );
    if let Err(why) = b.check() {
        bail!(
            "{why}: leave it out of --rungs; {} was not written",
            path.display()
        );
    }
    sayln!("baseline for {}", b.describe());
    file.record(b);
    let text = serde_json::to_string_pretty(&file)? + "\n";
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    report::write_atomic(path, text.as_bytes())
        .with_context(|| format!("could not write {}", path.display()))?;
    sayln!(
        "wrote {} ({} machine{})",
        path.display(),
        file.baselines.len(),
        if file.baselines.len() == 1 { "" } else { "s" }
    );
    Ok(())
}
