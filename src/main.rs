//! The `ladder` command line: each subcommand is a thin call into the library.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use clap::{Args, Parser, Subcommand};

use ladder::machine::MachineInfo;
use ladder::report::{self, Results, WorkloadMeta};
use ladder::run::{self, CancelToken, Phase, RunConfig, RunEvent, Runner};
use ladder::rungs::{self, Rung};
use ladder::tui::{self, app::Settings, theme::Theme};
use ladder::workload::{Distribution, Source, Workload, WorkloadSpec};

/// Counts live bytes and samples allocation stacks once `flame --memory` turns it on; until
/// then it costs one atomic load per allocation.
#[global_allocator]
static ALLOCATOR: ladder::profile::alloc::TrackingAllocator =
    ladder::profile::alloc::TrackingAllocator;

/// Climb the performance-optimisation ladder on pairwise cosine similarity.
///
/// With no subcommand, opens the terminal app on the default workload.
#[derive(Parser)]
#[command(
    name = "ladder",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    app: AppArgs,
}

/// Options of the terminal app (and of `ladder demo`).
#[derive(Args, Clone)]
struct AppArgs {
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Let every rung run in any order (for instructors); normally a rung unlocks when the one
    /// below it has run.
    #[arg(long)]
    unlock_all: bool,
    /// Colours: dark, light, or high-contrast (for projectors).
    #[arg(long, default_value = "dark")]
    theme: String,
    /// Where `m` writes the speedup table.
    #[arg(long, value_name = "FILE", default_value = "NOTES.md")]
    notes: PathBuf,
    /// Peers (programs outside the process) to list after the rungs: `all`, ids separated by
    /// commas, or a folder of peer files (see `ladder peers`).
    #[arg(long, value_name = "all|IDS|DIR", default_value = "none")]
    peers: String,
}

#[derive(Subcommand)]
enum Command {
    /// List the rungs of the ladder, in order.
    Rungs,
    /// Run rungs on a workload and print the speedup table.
    Run(RunArgs),
    /// For instructors: the app climbs the ladder by itself, pausing between rungs, with large
    /// figures (space pauses, n steps, r repeats).
    Demo(AppArgs),
    /// Profile a rung (or two, as a difference) and write its flamegraph: SVG, folded or pprof.
    Flame(FlameArgs),
    /// Benchmark rungs (interleaved repeats, medians), record history, gate regressions.
    Bench(BenchArgs),
    /// How cost grows with n: each rung at each size, with the fitted exponent.
    Scale(ScaleArgs),
    /// The JIT rung's generated code for a dimension: what Cranelift was asked for (IR) and
    /// what it produced (machine code), with the compile time.
    Jit(JitArgs),
    /// The lessons: the course's exit criteria, each ending in checks against live
    /// measurements. Without options, opens the app on the Lessons screen.
    Learn(LearnArgs),
    /// The peers: programs outside the process (the course's Python ladder), and which of
    /// them can run here.
    Peers {
        /// A folder of peer files instead of the shipped ones.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// One worker process of the concurrency lesson: rows START:END of the native kernel.
    #[command(hide = true)]
    Worker {
        #[arg(long)]
        n: usize,
        #[arg(long)]
        d: usize,
        #[arg(long, value_name = "START:END")]
        rows: String,
    },
    /// Describe this machine: cores, SIMD features, measured FMA peak and memory bandwidth.
    Machine {
        /// Output format: table or json.
        #[arg(long, default_value = "table")]
        format: String,
    },
}

#[derive(Args)]
struct LearnArgs {
    /// List the lessons with your progress.
    #[arg(long)]
    list: bool,
    /// Validate a lesson set (the shipped one, or DIR) and exit non-zero on any error.
    #[arg(long, value_name = "DIR", num_args = 0..=1, default_missing_value = "")]
    check: Option<String>,
    /// Write your answers, predictions against measurements, and justifications as JSON.
    #[arg(long, value_name = "FILE")]
    export: Option<PathBuf>,
    /// Forget your progress in one lesson.
    #[arg(long, value_name = "LESSON")]
    reset: Option<String>,
    /// Print one step in the terminal: LESSON/STEP (a bytecode step shows its bytecode).
    #[arg(long, value_name = "LESSON/STEP")]
    show: Option<String>,
    /// Use an instructor's lesson folder instead of the shipped lessons.
    #[arg(long, value_name = "DIR")]
    lessons: Option<PathBuf>,
    /// The progress file (default: $LADDER_PROGRESS, else the user's data folder).
    #[arg(long, value_name = "FILE")]
    progress: Option<PathBuf>,
    #[command(flatten)]
    app: AppArgs,
}

#[derive(Args)]
struct JitArgs {
    /// Print the Cranelift IR and the machine code of every generated function.
    #[arg(long)]
    show_ir: bool,
    /// The dimension to generate code for.
    #[arg(long, default_value_t = ladder::workload::DEFAULT_D)]
    d: usize,
}

/// What to run on: the workload and the run's limits (shared by the app, run and flame).
#[derive(Args, Clone)]
struct WorkloadArgs {
    /// Number of vectors (with --input: keep only the first N rows).
    #[arg(long)]
    n: Option<usize>,
    /// Dimension of each generated vector.
    #[arg(long)]
    d: Option<usize>,
    /// Seed of the generator.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Generated data: normal or clustered.
    #[arg(long, default_value = "normal")]
    data: String,
    /// Load vectors from a .npy (float32/float64, 2-D) or .fvecs file instead of generating.
    #[arg(long, value_name = "FILE")]
    input: Option<PathBuf>,
    /// Kernel seconds per rung before it stops and its full time is extrapolated.
    #[arg(long, value_name = "SECONDS", default_value_t = run::DEFAULT_BUDGET.as_secs_f64())]
    budget: f64,
    /// Threads for the threaded rungs (default: all logical cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Neighbours per row for the top-k rungs.
    #[arg(long, default_value_t = run::DEFAULT_K)]
    k: usize,
}

impl Default for WorkloadArgs {
    fn default() -> Self {
        Self {
            n: None,
            d: None,
            seed: 0,
            data: "normal".into(),
            input: None,
            budget: run::DEFAULT_BUDGET.as_secs_f64(),
            threads: None,
            k: run::DEFAULT_K,
        }
    }
}

#[derive(Args, Clone)]
struct RunArgs {
    /// Rungs to run: `all`, `none`, or ids separated by commas (see `ladder rungs`).
    #[arg(long, default_value = "all")]
    rungs: String,
    /// Peers (programs outside the process) to run after the rungs: `all` shipped ones, ids
    /// separated by commas, or a folder of peer files (see `ladder peers`).
    #[arg(long, value_name = "all|IDS|DIR", default_value = "none")]
    peers: String,
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Output format: table, json, csv or markdown.
    #[arg(long, default_value = "table")]
    format: String,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Capture a CPU profile of each rung and write its flamegraph SVG to --flamegraphs.
    #[arg(long)]
    profile: bool,
    /// Folder for the flamegraph SVGs (implies --profile; default `flamegraphs`). The markdown
    /// table links each rung's SVG.
    #[arg(long, value_name = "DIR")]
    flamegraphs: Option<PathBuf>,
    /// Profiler sampling rate, Hz.
    #[arg(long, default_value_t = ladder::profile::DEFAULT_FREQUENCY)]
    frequency: u32,
    /// The ann rung's links per node (HNSW's M).
    #[arg(long, default_value_t = ladder::rungs::ann::AnnParams::default().m)]
    ann_m: usize,
    /// The ann rung's candidates explored while building.
    #[arg(long, default_value_t = ladder::rungs::ann::AnnParams::default().ef_construction)]
    ann_ef_construction: usize,
    /// The ann rung's candidates explored per query.
    #[arg(long, default_value_t = ladder::rungs::ann::AnnParams::default().ef_search)]
    ann_ef_search: usize,
}

#[derive(Args, Clone)]
struct FlameArgs {
    /// Profile this rung.
    #[arg(long, conflicts_with_all = ["diff", "peer"], required_unless_present_any = ["diff", "peer"])]
    rung: Option<String>,
    /// Profile a Python peer with py-spy instead (`ladder peers` lists them).
    #[arg(long, value_name = "ID", conflicts_with = "diff")]
    peer: Option<String>,
    /// Profile two rungs, `before,after`, and draw what changed (a differential flamegraph).
    #[arg(long, value_name = "BEFORE,AFTER")]
    diff: Option<String>,
    #[command(flatten)]
    workload: WorkloadArgs,
    /// Sampling rate, Hz.
    #[arg(long, default_value_t = ladder::profile::DEFAULT_FREQUENCY)]
    frequency: u32,
    /// Output file; its extension picks the format unless --format says: .svg, .folded, .pb
    /// (pprof protobuf, for `go tool pprof` and speedscope).
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// svg, folded or pprof.
    #[arg(long)]
    format: Option<String>,
    /// A memory flamegraph instead: the bytes still live after the runs, by the call stack
    /// that allocated them (try `--rung leaky --runs 3`).
    #[arg(long, conflicts_with = "diff")]
    memory: bool,
    /// With --memory: how many times to run the rung first.
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

#[derive(Args, Clone)]
struct ScaleArgs {
    /// Rungs to sweep: `all` or ids separated by commas.
    #[arg(long, default_value = "all")]
    rungs: String,
    /// Sizes, separated by commas.
    #[arg(long, default_value = "1000,2000,5000,10000")]
    n: String,
    /// Dimension.
    #[arg(long, default_value_t = ladder::workload::DEFAULT_D)]
    d: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Generated data: normal or clustered.
    #[arg(long, default_value = "normal")]
    data: String,
    /// Kernel seconds per rung and size before extrapolating.
    #[arg(long, value_name = "SECONDS", default_value_t = 4.0)]
    budget: f64,
    /// Threads for the threaded rungs.
    #[arg(long)]
    threads: Option<usize>,
    /// Output format: table, json or csv.
    #[arg(long, default_value = "table")]
    format: String,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

// Each flag is an independent switch of the command line.
#[allow(clippy::struct_excessive_bools)]
#[derive(Args, Clone)]
struct BenchArgs {
    /// Rungs to measure: `all` or ids separated by commas. The first is the baseline every
    /// speedup is measured against. With --check: the baseline file's rungs.
    #[arg(long)]
    rungs: Option<String>,
    /// Number of vectors (default 1000; with --check: the baseline's).
    #[arg(long)]
    n: Option<usize>,
    /// Dimension (default 768; with --check: the baseline's).
    #[arg(long)]
    d: Option<usize>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Generated data: normal or clustered.
    #[arg(long, default_value = "normal")]
    data: String,
    /// Measured runs of each rung.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Unmeasured runs of each rung first.
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// Threads for the threaded rungs (default: all logical cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Kernel seconds per run before extrapolating.
    #[arg(long, value_name = "SECONDS", default_value_t = run::DEFAULT_BUDGET.as_secs_f64())]
    budget: f64,
    /// Output format: table or json.
    #[arg(long, default_value = "table")]
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

impl Default for RunArgs {
    fn default() -> Self {
        Self {
            rungs: "all".into(),
            peers: "none".into(),
            workload: WorkloadArgs::default(),
            format: "table".into(),
            output: None,
            profile: false,
            flamegraphs: None,
            frequency: ladder::profile::DEFAULT_FREQUENCY,
            ann_m: ladder::rungs::ann::AnnParams::default().m,
            ann_ef_construction: ladder::rungs::ann::AnnParams::default().ef_construction,
            ann_ef_search: ladder::rungs::ann::AnnParams::default().ef_search,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Rungs) => cmd_rungs(),
        Some(Command::Run(args)) => cmd_run(&args),
        Some(Command::Machine { format }) => cmd_machine(&format),
        Some(Command::Jit(args)) => cmd_jit(&args),
        Some(Command::Peers { dir }) => cmd_peers(dir.as_deref()),
        Some(Command::Learn(args)) => cmd_learn(&args),
        Some(Command::Worker { n, d, rows }) => cmd_worker(n, d, &rows),
        Some(Command::Demo(args)) => cmd_app(&args, true),
        Some(Command::Bench(args)) => cmd_bench(&args),
        Some(Command::Scale(args)) => cmd_scale(&args),
        Some(Command::Flame(args)) => cmd_flame(&args),
        None => cmd_app(&cli.app, false),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn cmd_app(args: &AppArgs, demo: bool) -> Result<ExitCode> {
    cmd_app_with(args, demo, AppLessons::default())
}

fn cmd_app_with(args: &AppArgs, demo: bool, lessons: AppLessons) -> Result<ExitCode> {
    let theme: Theme = args.theme.parse().map_err(anyhow::Error::msg)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        // No terminal to draw in (a pipe, CI): climb the ladder headless instead.
        eprintln!(
            "ladder: not a terminal, so running headless (`ladder run` does this explicitly)"
        );
        return cmd_run(&RunArgs {
            workload: args.workload.clone(),
            ..RunArgs::default()
        });
    }
    if !(args.workload.budget.is_finite() && args.workload.budget > 0.0) {
        bail!(
            "--budget must be a positive number of seconds (got {})",
            args.workload.budget
        );
    }
    if args.workload.threads == Some(0) || args.workload.n == Some(0) || args.workload.d == Some(0)
    {
        bail!("--n, --d and --threads must be at least 1");
    }
    let data = if let Some(p) = &args.workload.input {
        p.display().to_string()
    } else {
        args.workload
            .data
            .parse::<Distribution>()
            .map_err(anyhow::Error::msg)?;
        args.workload.data.clone()
    };
    let defaults = Settings::default();
    let settings = Settings {
        n: args.workload.n.unwrap_or(if args.workload.input.is_some() {
            usize::MAX
        } else {
            defaults.n
        }),
        d: args.workload.d.unwrap_or(defaults.d),
        seed: args.workload.seed,
        data,
        budget_s: args.workload.budget,
        threads: args.workload.threads.unwrap_or(defaults.threads),
        k: args.workload.k,
    };
    if args.workload.input.is_none() {
        run::check_fits(settings.n, settings.d, ladder::monitor::available_memory())?;
    }
    tui::run(&tui::Options {
        settings,
        unlock_all: args.unlock_all,
        demo,
        theme,
        notes_path: args.notes.clone(),
        lessons_dir: lessons.dir,
        progress_path: lessons
            .progress
            .unwrap_or_else(ladder::lessons::progress::default_path),
        open_lessons: lessons.open,
        peers: select_peer_specs(&args.peers)?,
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Which lessons the app loads and whether it opens on them.
#[derive(Default)]
struct AppLessons {
    dir: Option<PathBuf>,
    progress: Option<PathBuf>,
    open: bool,
}

fn cmd_learn_app(
    args: &LearnArgs,
    _lessons: Vec<ladder::lessons::Lesson>,
    path: PathBuf,
) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "the lessons are interactive: run `ladder learn` in a terminal (or `ladder learn --list`)"
        );
    }
    cmd_app_with(
        &args.app,
        false,
        AppLessons {
            dir: args.lessons.clone(),
            progress: Some(path),
            open: true,
        },
    )
}

fn cmd_bench(args: &BenchArgs) -> Result<ExitCode> {
    use ladder::machine::MachineKey;
    use ladder::report::gate::{self, Baseline, BaselineFile, BaselineWorkload};
    use ladder::report::history;
    use ladder::run::bench;

    if args.history {
        let h = history::read(&args.history_file)
            .with_context(|| format!("could not read {}", args.history_file.display()))?;
        for w in &h.warnings {
            eprintln!("warning: {w}");
        }
        print!("{}", history::render_history(&h.entries));
        return Ok(ExitCode::SUCCESS);
    }
    if !matches!(args.format.as_str(), "table" | "json") {
        bail!("unknown format '{}': use table or json", args.format);
    }
    if args.repeat == 0 {
        bail!("--repeat must be at least 1");
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
    let rungs = select_rungs(&spec_rungs)?;
    let (n, d) = match &baseline {
        Some(b) => {
            let n = args.n.unwrap_or(b.workload.n);
            let d = args.d.unwrap_or(b.workload.d);
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
        None => (args.n.unwrap_or(1000), args.d.unwrap_or(768)),
    };
    let run_args = WorkloadArgs {
        n: Some(n),
        d: Some(d),
        seed: args.seed,
        data: args.data.clone(),
        input: None,
        budget: args.budget,
        threads: args.threads,
        k: run::DEFAULT_K,
    };
    let workload = Arc::new(build_workload(&run_args, any_full(&rungs))?);
    eprintln!("measuring this machine's peak...");
    let machine = Arc::new(MachineInfo::probe_peak_thorough());
    let config = run_config(args.budget, args.threads);
    let runner = Runner::new(Arc::clone(&workload), Arc::clone(&machine), config);
    let total = args.warmup + args.repeat;
    let interactive = std::io::stderr().is_terminal();
    let progress = |rep: usize, id: &str| {
        let what = if rep < args.warmup { "warm-up" } else { "run" };
        if interactive {
            eprint!("\r\x1b[2K[{}/{total}] {what}: {id}", rep + 1);
        } else if id == rungs[0].info().id {
            eprintln!("[{}/{total}] {what}", rep + 1);
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
        eprint!("\r\x1b[2K");
    }
    let meta = WorkloadMeta::from(workload.as_ref());
    let baseline_rung = rungs[0].info().id.to_string();
    let json = args.format == "json";
    if !json {
        print!(
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
        eprintln!("recorded in {}", args.history_file.display());
    }
    if args.update_baseline {
        // Other machines' baselines in the file stay; a file that is there but unreadable is
        // not silently replaced.
        let mut file = match BaselineFile::load(&args.baseline) {
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
            BaselineWorkload { n, d },
            history::utc_now(),
            &results,
            previous.as_ref(),
        );
        eprintln!("baseline for {}", b.describe());
        file.record(b);
        let text = serde_json::to_string_pretty(&file)? + "\n";
        if let Some(dir) = args.baseline.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        report::write_atomic(&args.baseline, text.as_bytes())
            .with_context(|| format!("could not write {}", args.baseline.display()))?;
        eprintln!(
            "wrote {} ({} machine{})",
            args.baseline.display(),
            file.baselines.len(),
            if file.baselines.len() == 1 { "" } else { "s" }
        );
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
                &gate::GateRun {
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
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    if gate.is_some_and(|(_, _, g)| !g.passed()) {
        return Ok(ExitCode::from(1));
    }
    if !unverified.is_empty() {
        eprintln!("error: {} failed verification", unverified.join(", "));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_scale(args: &ScaleArgs) -> Result<ExitCode> {
    use ladder::report::scale::{scale_csv, scale_json, scale_table};
    use ladder::run::scale::{SweepEvent, sweep};

    if !matches!(args.format.as_str(), "table" | "json" | "csv") {
        bail!("unknown format '{}': use table, json or csv", args.format);
    }
    let sizes: Vec<usize> = args
        .n
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>().ok().filter(|&n| n > 0).with_context(|| {
                format!("--n: '{s}' is not a size ≥ 1 (give sizes like 1000,2000,5000)")
            })
        })
        .collect::<Result<_>>()?;
    if sizes.is_empty() {
        bail!("--n names no size");
    }
    let rungs = select_rungs(&args.rungs)?;
    let machine = Arc::new(MachineInfo::probe(false));
    let available = ladder::monitor::available_memory();
    let config = run_config(args.budget, args.threads);
    let dist: ladder::workload::Distribution = args.data.parse().map_err(anyhow::Error::msg)?;
    if args.d == 0 {
        bail!("--d must be at least 1");
    }
    let spec = WorkloadSpec {
        n: 0,
        d: args.d,
        seed: args.seed,
        source: Source::Generated(dist),
    };
    let progress = |e: SweepEvent| match e {
        SweepEvent::Running { n, rung } => eprintln!("n = {n}: {rung}"),
        SweepEvent::Skipped(s) => eprintln!("n = {}: {} skipped ({})", s.n, s.rung, s.reason),
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
    let ids: Vec<&str> = rungs.iter().map(|r| r.info().id).collect();
    let text = match args.format.as_str() {
        "json" => scale_json(&result, &ids, &sizes, args.d, &machine)?,
        "csv" => scale_csv(&result),
        _ => scale_table(&result, &ids, &sizes, args.budget),
    };
    match &args.output {
        Some(path) => {
            report::write_atomic(path, text.as_bytes())
                .with_context(|| format!("could not write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => print!("{text}"),
    }
    if result.points.iter().any(|p| !p.verified) {
        eprintln!("error: a rung failed verification at some size");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_rungs() -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for (i, r) in rungs::ladder().iter().enumerate() {
        let info = r.info();
        writeln!(
            out,
            "{i}  {:<12} {:<10} {}",
            info.id, info.step, info.what_changed
        )?;
        writeln!(out, "   {:<12} {:<10} why: {}", "", "", info.why)?;
    }
    writeln!(out, "\noutside the ladder (for the lessons):")?;
    for r in rungs::extras() {
        let info = r.info();
        writeln!(
            out,
            "-  {:<12} {:<10} {}",
            info.id, info.step, info.what_changed
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_jit(args: &JitArgs) -> Result<ExitCode> {
    if args.d == 0 {
        bail!("--d must be at least 1");
    }
    // Compiled twice: once as the rung does (no listing), for the honest compile time, then
    // with the listing kept.
    let timed = ladder::rungs::jit::compile(args.d, false)?;
    let c = ladder::rungs::jit::compile(args.d, true)?;
    let mut out = std::io::stdout().lock();
    let shape = ladder::rungs::native::tuning::JIT;
    writeln!(
        out,
        "d = {}: {} function(s), tile {} rows × {} columns ({} float32 lanes per vector), \
         {}-step unroll; compiled in {:.2} ms",
        args.d,
        c.listings.len(),
        shape.mr,
        shape.nr,
        ladder::rungs::jit::LANES,
        ladder::rungs::jit::UNROLL,
        timed.compile_time().as_secs_f64() * 1e3
    )?;
    writeln!(out, "host features Cranelift uses: {}", c.features)?;
    for l in &c.listings {
        writeln!(
            out,
            "\n;; tile for kc = {} ({} bytes of machine code)",
            l.kc, l.code_bytes
        )?;
        if args.show_ir {
            writeln!(out, "\n;; Cranelift IR\n{}", l.ir)?;
            match &l.machine_code {
                Some(m) => writeln!(out, ";; machine code (after register allocation)\n{m}")?,
                None => writeln!(out, ";; (no machine-code listing from this backend)")?,
            }
        }
    }
    if !args.show_ir {
        writeln!(out, "\n(--show-ir prints the IR and the machine code)")?;
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_machine(format: &str) -> Result<ExitCode> {
    eprintln!("measuring the FMA peak and memory bandwidth (about two seconds)...");
    let m = MachineInfo::probe(true);
    let mut out = std::io::stdout().lock();
    match format {
        "json" => writeln!(out, "{}", serde_json::to_string_pretty(&m)?)?,
        "table" => {
            writeln!(out, "cpu               {}", m.cpu)?;
            writeln!(out, "arch              {}", m.arch)?;
            let phys = m
                .physical_cores
                .map_or_else(|| "unknown".to_string(), |p| p.to_string());
            writeln!(
                out,
                "cores             {} logical, {phys} physical",
                m.logical_cores
            )?;
            writeln!(out, "simd              {}", m.simd.join(" "))?;
            writeln!(out, "kernel isa        {}", m.kernel_isa)?;
            writeln!(out, "fp32 peak, 1 core {:.1} GFLOP/s", m.peak_gflops_core)?;
            writeln!(out, "fp32 peak, all    {:.1} GFLOP/s", m.peak_gflops_all)?;
            writeln!(
                out,
                "128-bit peak      {:.1} GFLOP/s one core, {:.1} all (the JIT's ceiling)",
                m.peak_gflops_core_128, m.peak_gflops_all_128
            )?;
            if let Some(bw) = m.mem_read_gbs {
                writeln!(out, "memory read       {bw:.1} GB/s (all cores)")?;
            }
        }
        other => bail!("unknown format '{other}': use table or json"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether any of `rungs` produces the full n×n matrix.
fn any_full(rungs: &[Box<dyn Rung>]) -> bool {
    rungs
        .iter()
        .any(|r| r.output() == ladder::rungs::OutputKind::Full)
}

/// The run's limits from the command line: the budget and the threads (default: all cores).
fn run_config(budget_s: f64, threads: Option<usize>) -> RunConfig {
    RunConfig {
        budget: Duration::from_secs_f64(budget_s),
        threads: threads.unwrap_or(RunConfig::default().threads),
        ..RunConfig::default()
    }
}

/// Parses `--rungs`.
fn select_rungs(spec: &str) -> Result<Vec<Box<dyn Rung>>> {
    if spec == "all" {
        return Ok(rungs::ladder());
    }
    if spec == "none" {
        return Ok(Vec::new());
    }
    let known: Vec<&str> = rungs::ladder().iter().map(|r| r.info().id).collect();
    spec.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|id| {
            rungs::find(id).with_context(|| {
                format!(
                    "unknown rung '{id}': choose from {} (or all)",
                    known.join(", ")
                )
            })
        })
        .collect::<Result<Vec<_>>>()
        .and_then(|v| {
            if v.is_empty() {
                bail!(
                    "--rungs names no rung: choose from {} (or all)",
                    known.join(", ")
                )
            }
            Ok(v)
        })
}

/// Parses `--peers`: none, all, ids of shipped peers, or a folder of peer files.
fn select_peers(spec: &str) -> Result<Vec<Box<dyn Rung>>> {
    Ok(select_peer_specs(spec)?
        .into_iter()
        .map(|spec| Box::new(ladder::rungs::external::Peer::new(spec)) as Box<dyn Rung>)
        .collect())
}

/// The peer files `--peers` names.
fn select_peer_specs(spec: &str) -> Result<Vec<ladder::rungs::external::PeerSpec>> {
    use ladder::rungs::external::{load_dir, shipped};
    match spec.trim() {
        "" | "none" => return Ok(Vec::new()),
        "all" => return Ok(shipped()?),
        _ => {}
    }
    let path = Path::new(spec);
    if path.is_dir() {
        let peers = load_dir(path)?;
        if peers.is_empty() {
            bail!("{} holds no peer files (*.toml)", path.display());
        }
        return Ok(peers);
    }
    let all = shipped()?;
    let known: Vec<&str> = all.iter().map(|p| p.id.as_str()).collect();
    let mut out = Vec::new();
    for id in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let p = all.iter().find(|p| p.id == id).with_context(|| {
            format!(
                "unknown peer '{id}': choose from {} (or all, or a folder of peer files)",
                known.join(", ")
            )
        })?;
        out.push(p.clone());
    }
    Ok(out)
}

fn cmd_worker(n: usize, d: usize, rows: &str) -> Result<ExitCode> {
    let (a, b) = rows
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
        .filter(|(a, b)| a < b && *b <= n && n > 0 && d > 0)
        .context("--rows START:END within 0..n")?;
    let x = ladder::lessons::rust_side::workload(n, d, 7);
    let t = ladder::lessons::rust_side::kernel_rows(&x, a..b);
    println!("{}", t.as_secs_f64());
    Ok(ExitCode::SUCCESS)
}

fn load_lessons(dir: Option<&Path>) -> Result<Vec<ladder::lessons::Lesson>> {
    Ok(match dir {
        Some(d) => ladder::lessons::load_dir(d)?,
        None => ladder::lessons::shipped()?,
    })
}

fn cmd_learn(args: &LearnArgs) -> Result<ExitCode> {
    use ladder::lessons::progress::{Progress, default_path, export};
    if let Some(dir) = &args.check {
        let dir = (!dir.is_empty()).then(|| PathBuf::from(dir));
        return match load_lessons(dir.as_deref().or(args.lessons.as_deref())) {
            Ok(ls) => {
                let steps: usize = ls.iter().map(|l| l.steps.len()).sum();
                println!("{} lessons, {steps} steps: all valid", ls.len());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::FAILURE)
            }
        };
    }
    let lessons = load_lessons(args.lessons.as_deref())?;
    let path = args.progress.clone().unwrap_or_else(default_path);
    let (mut progress, warning) = Progress::load(&path);
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    if let Some(id) = &args.reset {
        if !lessons.iter().any(|l| &l.id == id) {
            bail!(
                "no lesson '{id}': choose from {}",
                lessons
                    .iter()
                    .map(|l| l.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        progress.reset(id);
        progress
            .save(&path)
            .with_context(|| format!("could not write {}", path.display()))?;
        println!("reset {id} (in {})", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(out) = &args.export {
        let machine = MachineInfo::probe(false);
        let doc = export(
            &progress,
            &lessons,
            &format!(
                "{} ({} cores, {})",
                machine.cpu, machine.logical_cores, machine.kernel_isa
            ),
        );
        let text = serde_json::to_string_pretty(&doc)? + "\n";
        report::write_atomic(out, text.as_bytes())
            .with_context(|| format!("could not write {}", out.display()))?;
        let answered: usize = doc.lessons.iter().map(|l| l.answers.len()).sum();
        println!("wrote {answered} answers to {}", out.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(spec) = &args.show {
        let (lid, sid) = spec
            .split_once('/')
            .context("--show takes LESSON/STEP, e.g. bytecode/dot-bytecode")?;
        let lesson = lessons
            .iter()
            .find(|l| l.id == lid)
            .with_context(|| format!("no lesson '{lid}'"))?;
        let step = lesson
            .steps
            .iter()
            .find(|s| s.id == sid)
            .with_context(|| format!("lesson {lid} has no step '{sid}'"))?;
        print!("{}", ladder::lessons::render_plain(step));
        return Ok(ExitCode::SUCCESS);
    }
    if args.list {
        for (i, l) in lessons.iter().enumerate() {
            let done = progress.lesson(&l.id).map_or(0, |p| {
                l.steps.iter().filter(|s| p.done.contains(&s.id)).count()
            });
            let mark = if done == l.steps.len() { "✓" } else { " " };
            println!(
                "{mark} {}. {:<16} {:>2}/{:<2} steps  {}",
                i + 1,
                l.id,
                done,
                l.steps.len(),
                l.title
            );
        }
        println!("\nprogress: {}", path.display());
        println!("open one in the app: ladder learn (then Enter on a lesson)");
        return Ok(ExitCode::SUCCESS);
    }
    cmd_learn_app(args, lessons, path)
}

fn cmd_peers(dir: Option<&Path>) -> Result<ExitCode> {
    let peers = match dir {
        Some(d) => ladder::rungs::external::load_dir(d)?,
        None => ladder::rungs::external::shipped()?,
    };
    let python = ladder::rungs::external::python();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Python: {}",
        python.as_ref().map_or_else(
            || "none on PATH (set LADDER_PYTHON)".to_string(),
            |p| p.display().to_string()
        )
    )?;
    writeln!(
        out,
        "{:<12} {:<10} {:<6} {:<10} title",
        "peer", "step", "output", "here"
    )?;
    let mut missing = Vec::new();
    for p in &peers {
        let avail = p.availability();
        writeln!(
            out,
            "{:<12} {:<10} {:<6} {:<10} {}",
            p.id,
            p.step.to_string(),
            match p.output {
                ladder::rungs::OutputKind::Full => "full",
                ladder::rungs::OutputKind::TopK => "top-k",
            },
            if avail.0.is_none() {
                "available"
            } else {
                "missing"
            },
            p.title
        )?;
        if let Some(why) = avail.0 {
            missing.push(format!("  {}: {why}", p.id));
        }
    }
    if !missing.is_empty() {
        writeln!(
            out,
            "
not available here:
{}",
            missing.join("\n")
        )?;
        writeln!(
            out,
            "(everything at once: pip install -r assets/peers/requirements.txt)"
        )?;
    }
    writeln!(
        out,
        "
run them beside the rungs: ladder run --peers all (or ids, or a folder of peer files)"
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Builds the workload; `full` says a full-matrix rung will run, so S must fit in memory.
fn build_workload(args: &WorkloadArgs, full: bool) -> Result<Workload> {
    if args.n == Some(0) {
        bail!("--n must be at least 1");
    }
    if args.d == Some(0) {
        bail!("--d must be at least 1");
    }
    let available = ladder::monitor::available_memory();
    let spec = if let Some(path) = &args.input {
        if args.d.is_some() {
            bail!(
                "--d applies to generated data only: the file {} sets d",
                path.display()
            );
        }
        WorkloadSpec {
            n: args.n.unwrap_or(usize::MAX),
            d: 0,
            seed: args.seed,
            source: Source::File(path.clone()),
        }
    } else {
        let dist: Distribution = args.data.parse().map_err(anyhow::Error::msg)?;
        let spec = WorkloadSpec {
            n: args.n.unwrap_or(ladder::workload::DEFAULT_N),
            d: args.d.unwrap_or(ladder::workload::DEFAULT_D),
            seed: args.seed,
            source: Source::Generated(dist),
        };
        // Refuse before generating anything.
        if full {
            run::check_fits(spec.n, spec.d, available)?;
        }
        spec
    };
    let w = Workload::build(&spec)?;
    if args.input.is_some() && full {
        run::check_fits(w.n(), w.d(), available)?;
    }
    if !w.zero_rows.is_empty() {
        let shown: Vec<String> = w
            .zero_rows
            .iter()
            .take(8)
            .map(ToString::to_string)
            .collect();
        let more = if w.zero_rows.len() > 8 { ", ..." } else { "" };
        eprintln!(
            "warning: {} zero vector(s) (rows {}{more}): their cosine with anything is defined as 0",
            w.zero_rows.len(),
            shown.join(", ")
        );
    }
    Ok(w)
}

type Profiled = Option<Result<ladder::profile::Profile, ladder::profile::ProfileError>>;

/// Runs `rungs` on a worker thread with progress on stderr; profiles each when `frequency`
/// is given. Speedups are filled in.
fn run_rungs(
    runner: Runner,
    rungs: Vec<Box<dyn Rung>>,
    frequency: Option<u32>,
    interactive: bool,
) -> Result<(Vec<ladder::run::RunReport>, Vec<Profiled>)> {
    let (tx, rx) = mpsc::channel();
    let cancel = CancelToken::new();
    let ids: Vec<&'static str> = rungs.iter().map(|r| r.info().id).collect();
    let worker = std::thread::Builder::new()
        .name("ladder-runner".into())
        .spawn(move || {
            // The receiver may be gone (an early exit); the reports are returned regardless.
            let send = |e| {
                let _ = tx.send(e);
            };
            let mut reports = Vec::new();
            let mut profiles = Vec::new();
            for (i, rung) in rungs.iter().enumerate() {
                let (report, profile) = match frequency {
                    Some(hz) => {
                        let (r, p) = runner.run_one_profiled(i, rung.as_ref(), &send, &cancel, hz);
                        (r, Some(p))
                    }
                    None => (runner.run_one(i, rung.as_ref(), &send, &cancel), None),
                };
                reports.push(report);
                profiles.push(profile);
            }
            ladder::run::fill_speedups(&mut reports);
            (reports, profiles)
        })
        .context("could not start the runner thread")?;
    let mut progress = Progress::new(interactive, ids);
    for event in rx {
        progress.show(&event);
    }
    progress.clear();
    worker
        .join()
        .map_err(|_| anyhow::anyhow!("the runner thread panicked"))
}

fn flame_subtitle(
    profile: &ladder::profile::Profile,
    report: Option<&ladder::run::RunReport>,
) -> String {
    let mut s = format!(
        "{} samples at {} Hz (set-up, kernel and verification; each thread is a root)",
        profile.total_samples(),
        profile.frequency
    );
    if let Some(r) = report {
        s.push_str(" · kernel ");
        s.push_str(&report::time_cell(r));
    }
    s
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
    let cancel = CancelToken::new();
    let mut failed = false;
    for run in 1..=args.runs.max(1) {
        alloc::reset_peak();
        let report = runner.run_one(0, rung.as_ref(), &|_| {}, &cancel);
        failed |= report.is_failure();
        let s = alloc::stats();
        eprintln!(
            "run {run}: {id} {}; live {} ({:+}), peak {}",
            report::time_cell(&report),
            ladder::workload::human_bytes(s.live_bytes),
            s.live_bytes.cast_signed() - before.live_bytes.cast_signed(),
            ladder::workload::human_bytes(s.peak_bytes)
        );
    }
    // Totals first: resolving the stacks' symbols allocates (and keeps a cache).
    let after = alloc::stats();
    let profile = alloc::live_profile();
    let bytes = if format == "folded" {
        profile.to_folded().into_bytes()
    } else {
        let meta = WorkloadMeta::from(runner.workload());
        let title = format!(
            "ladder · live bytes after {} runs of {id} · {} × {} {}",
            args.runs.max(1),
            meta.n,
            meta.d,
            meta.source
        );
        let subtitle = format!(
            "allocated during the runs and still live: {} (peak {}); stacks sampled about every {} allocated",
            ladder::workload::human_bytes(after.live_bytes.saturating_sub(before.live_bytes)),
            ladder::workload::human_bytes(after.peak_bytes),
            ladder::workload::human_bytes(alloc::SAMPLE_INTERVAL as u64)
        );
        let mut svg = Vec::new();
        profile.write_svg_counting(&title, &subtitle, "bytes", &mut svg)?;
        svg
    };
    report::write_atomic(output, &bytes)
        .with_context(|| format!("could not write {}", output.display()))?;
    eprintln!("wrote {} (memory, {format})", output.display());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `ladder flame --peer ID`: the peer run under py-spy, its stacks drawn like a rung's.
fn flame_peer(args: &FlameArgs, id: &str) -> Result<ExitCode> {
    use ladder::rungs::external::{Peer, Spy, shipped, spy_folded, which};
    let spec = shipped()?
        .into_iter()
        .find(|p| p.id == id)
        .with_context(|| format!("unknown peer '{id}' (ladder peers lists them)"))?;
    let mut peer = Peer::new(spec);
    if !peer.is_python() {
        bail!("{id} is not a Python program: py-spy profiles Python peers only");
    }
    let exe = which("py-spy").context("py-spy is not installed (pip install py-spy)")?;
    let dir = std::env::temp_dir().join(format!("ladder-spy-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    peer.spy = Some(Spy {
        exe,
        rate: args.frequency.min(1000),
        dir: dir.clone(),
    });
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!("{id}.svg")));
    let workload = Arc::new(build_workload(&args.workload, true)?);
    let machine = Arc::new(MachineInfo::probe(false));
    let config = run_config(args.workload.budget, args.workload.threads);
    let runner = Runner::new(Arc::clone(&workload), Arc::clone(&machine), config);
    eprintln!("{id}: running under py-spy…");
    let mut report = runner.run_one(0, &peer, &|_| {}, &CancelToken::new());
    if matches!(report.status, ladder::run::RunStatus::Failed(_)) {
        // py-spy itself now and then dies on a process that exits under it: once more.
        eprintln!("{id}: the profiled run failed; trying once more");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        report = runner.run_one(0, &peer, &|_| {}, &CancelToken::new());
    }
    let text = spy_folded(&dir).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    if let ladder::run::RunStatus::Failed(why) | ladder::run::RunStatus::Unavailable(why) =
        &report.status
    {
        bail!("{id} did not run: {why}");
    }
    if text.trim().is_empty() {
        bail!("py-spy recorded no samples of {id} (a run too short, or no permission to trace)");
    }
    let profile = ladder::profile::Profile::from_folded(&text, args.frequency.min(1000))?;
    let bytes = if output.extension().is_some_and(|e| e == "folded") {
        profile.to_folded().into_bytes()
    } else {
        let meta = WorkloadMeta::from(workload.as_ref());
        let mut svg = Vec::new();
        profile.write_svg(
            &report::flame_title(id, &meta, &machine),
            &format!(
                "Python stacks sampled by py-spy ({} samples); {}",
                profile.total_samples(),
                report::verified_cell(&report)
            ),
            &mut svg,
        )?;
        svg
    };
    report::write_atomic(&output, &bytes)
        .with_context(|| format!("could not write {}", output.display()))?;
    eprintln!("wrote {}", output.display());
    Ok(ExitCode::SUCCESS)
}

fn cmd_flame(args: &FlameArgs) -> Result<ExitCode> {
    if !(args.workload.budget.is_finite() && args.workload.budget > 0.0) {
        bail!(
            "--budget must be a positive number of seconds (got {})",
            args.workload.budget
        );
    }
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
    let rungs = select_rungs(&ids)?;
    let names: Vec<&'static str> = rungs.iter().map(|r| r.info().id).collect();
    let output = args.output.clone().unwrap_or_else(|| {
        PathBuf::from(if diff {
            format!("diff-{}-{}.svg", names[0], names[1])
        } else {
            format!("{}.svg", names[0])
        })
    });
    let format = match &args.format {
        Some(f) => f.clone(),
        None => match output.extension().and_then(|e| e.to_str()) {
            Some("folded" | "txt") => "folded".into(),
            Some("pb" | "pprof") => "pprof".into(),
            _ => "svg".into(),
        },
    };
    if !matches!(format.as_str(), "svg" | "folded" | "pprof") {
        bail!("unknown format '{format}': use svg, folded or pprof");
    }
    if diff && format != "svg" {
        bail!("a difference is drawn as SVG only (-o diff.svg)");
    }
    if args.memory && format == "pprof" {
        bail!("a memory profile is written as SVG or folded stacks");
    }
    let interactive = std::io::stderr().is_terminal();
    let workload = Arc::new(build_workload(&args.workload, any_full(&rungs))?);
    let machine = Arc::new(MachineInfo::probe(false));
    let config = run_config(args.workload.budget, args.workload.threads);
    let runner = Runner::new(Arc::clone(&workload), Arc::clone(&machine), config);
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
        let subtitle = format!(
            "the shape of {}; red grew and blue shrank against {} (sample counts normalised)",
            names[1], names[0]
        );
        ladder::profile::Profile::write_diff_svg(&got[0], &got[1], &title, &subtitle, &mut bytes)?;
    } else {
        let p = &got[0];
        match format.as_str() {
            "folded" => bytes = p.to_folded().into_bytes(),
            "pprof" => {
                let nanos = (reports[0].setup_s + reports[0].kernel_s) * 1e9;
                bytes = p.to_pprof(nanos as i64);
            }
            _ => p.write_svg(
                &report::flame_title(names[0], &meta, &machine),
                &flame_subtitle(p, reports.first()),
                &mut bytes,
            )?,
        }
    }
    report::write_atomic(&output, &bytes)
        .with_context(|| format!("could not write {}", output.display()))?;
    let samples: Vec<String> = got.iter().map(|p| p.total_samples().to_string()).collect();
    eprintln!(
        "wrote {} ({format}, {} samples)",
        output.display(),
        samples.join(" and ")
    );
    if reports.iter().any(ladder::run::RunReport::is_failure) {
        eprintln!("error: a profiled rung failed verification");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn cmd_run(args: &RunArgs) -> Result<ExitCode> {
    let exporter = report::exporter(&args.format).with_context(|| {
        format!(
            "unknown format '{}': use table, json, csv or markdown",
            args.format
        )
    })?;
    if !(args.workload.budget.is_finite() && args.workload.budget > 0.0) {
        bail!(
            "--budget must be a positive number of seconds (got {})",
            args.workload.budget
        );
    }
    if args.workload.threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    let ann = ladder::rungs::ann::AnnParams {
        m: args.ann_m,
        ef_construction: args.ann_ef_construction,
        ef_search: args.ann_ef_search,
    };
    ann.check().map_err(anyhow::Error::msg)?;
    // The ann rung with the parameters asked for.
    let rungs: Vec<Box<dyn Rung>> = select_rungs(&args.rungs)?
        .into_iter()
        .map(|r| -> Box<dyn Rung> {
            if r.info().id == "ann" {
                Box::new(ladder::rungs::ann::Ann::new(ann))
            } else {
                r
            }
        })
        .chain(select_peers(&args.peers)?)
        .collect();
    if rungs.is_empty() {
        bail!("nothing to run: --rungs none and no --peers");
    }
    let interactive = std::io::stderr().is_terminal();
    if interactive {
        eprint!("preparing the workload...\r");
    }
    let workload = Arc::new(build_workload(&args.workload, any_full(&rungs))?);
    let machine = Arc::new(MachineInfo::probe(false));
    let config = run_config(args.workload.budget, args.workload.threads);
    let runner = Runner::new(Arc::clone(&workload), Arc::clone(&machine), config.clone());
    let flame_dir = args
        .flamegraphs
        .clone()
        .or_else(|| args.profile.then(|| PathBuf::from("flamegraphs")));
    let frequency = flame_dir.as_ref().map(|_| args.frequency);
    let (mut reports, profiles) = run_rungs(runner, rungs, frequency, interactive)?;
    if let Some(dir) = &flame_dir {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
        let meta = WorkloadMeta::from(workload.as_ref());
        for (report, profile) in reports.iter_mut().zip(profiles) {
            let profile = match profile {
                Some(Ok(p)) => p,
                Some(Err(e)) => {
                    eprintln!("warning: no profile of {}: {e}", report.rung);
                    continue;
                }
                None => continue,
            };
            let path = dir.join(format!("{}.svg", report.rung));
            let mut svg = Vec::new();
            profile.write_svg(
                &report::flame_title(&report.rung, &meta, &machine),
                &flame_subtitle(&profile, Some(report)),
                &mut svg,
            )?;
            report::write_atomic(&path, &svg)
                .with_context(|| format!("could not write {}", path.display()))?;
            report.flamegraph = Some(path.display().to_string());
        }
        eprintln!("wrote flamegraphs to {}", dir.display());
    }

    let results = Results {
        workload: WorkloadMeta::from(workload.as_ref()),
        machine: (*machine).clone(),
        budget_s: args.workload.budget,
        threads: config.threads,
        rungs: reports,
    };
    let text = exporter.render(&results);
    match &args.output {
        Some(path) => {
            report::write_atomic(path, text.as_bytes())
                .with_context(|| format!("could not write {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        None => std::io::stdout().lock().write_all(text.as_bytes())?,
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
        eprintln!(
            "error: {} failed verification against the float64 reference (or could not run)",
            failed.join(", ")
        );
        Ok(ExitCode::from(1))
    }
}

/// Progress on stderr: a redrawn bar on a terminal, one line per finished rung otherwise.
struct Progress {
    interactive: bool,
    ids: Vec<&'static str>,
    last_draw: Instant,
    drawn: bool,
}

impl Progress {
    fn new(interactive: bool, ids: Vec<&'static str>) -> Self {
        Self {
            interactive,
            ids,
            last_draw: Instant::now(),
            drawn: false,
        }
    }

    fn show(&mut self, event: &RunEvent) {
        let total = self.ids.len();
        match event {
            RunEvent::Phase { index, rung, phase } => {
                let what = match phase {
                    Phase::Setup => "setting up",
                    Phase::Kernel => "running",
                    Phase::Verify => "verifying",
                };
                if self.interactive {
                    self.draw(&format!("[{}/{total}] {rung:<12} {what}", index + 1));
                } else if *phase == Phase::Setup {
                    eprintln!("[{}/{total}] {rung}", index + 1);
                }
            }
            RunEvent::Progress {
                index,
                rows_done,
                rows_total,
                work_done,
                kernel_elapsed,
            } => {
                if self.interactive && self.last_draw.elapsed() >= Duration::from_millis(100) {
                    let width = 30;
                    let filled = ((work_done * width as f64) as usize).min(width);
                    self.draw(&format!(
                        "[{}/{total}] {:<12} [{}{}] {:>3.0}%  rows {rows_done}/{rows_total}  {:.1} s",
                        index + 1,
                        self.ids.get(*index).copied().unwrap_or("?"),
                        "#".repeat(filled),
                        "-".repeat(width - filled),
                        work_done * 100.0,
                        kernel_elapsed.as_secs_f64()
                    ));
                }
            }
            RunEvent::Finished(_) => {}
        }
    }

    fn draw(&mut self, line: &str) {
        eprint!("\r\x1b[2K{line}");
        let _ = std::io::stderr().flush();
        self.last_draw = Instant::now();
        self.drawn = true;
    }

    fn clear(&mut self) {
        if self.interactive && self.drawn {
            eprint!("\r\x1b[2K");
        }
    }
}
