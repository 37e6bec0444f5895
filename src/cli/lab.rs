//! `ladder lab`: the student's own ladder. `init` writes a lab folder; `check` climbs it
//! headless (verified, timed, graded, in order) for people and for CI.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand, ValueEnum};

use ladder::lab;
use ladder::machine::MachineInfo;
use ladder::report::WorkloadMeta;
use ladder::run::{CancelToken, RunConfig, Runner, limits};
use ladder::workload::{Distribution, Source, Workload, WorkloadSpec};

use super::common::install_interrupt_handler;

mod check;
use check::{check, notes};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LabArgs {
    #[command(subcommand)]
    command: Option<LabCommand>,
    #[command(flatten)]
    open: OpenArgs,
}

/// `ladder lab [DIR]`: the app on the lab, watching its files.
#[derive(Args)]
struct OpenArgs {
    /// The lab folder (made by `ladder lab init`); default: this folder if it holds a
    /// lab.toml, else ./ladder-lab.
    dir: Option<PathBuf>,
    /// Let every step run in any order (for instructors); normally a step unlocks when the
    /// ones before it count.
    #[arg(long)]
    unlock_all: bool,
    /// Colours: dark, light, or high-contrast (for projectors).
    #[arg(long, default_value = "dark", value_parser = ["dark", "light", "high-contrast"])]
    theme: String,
    /// The app climbs at lab.toml's size; a quick size is `ladder lab check --n N --d D`.
    #[arg(long, hide = true, allow_negative_numbers = true)]
    n: Option<String>,
    #[arg(long, hide = true, allow_negative_numbers = true)]
    d: Option<String>,
}

#[derive(Subcommand)]
enum LabCommand {
    /// Write a new lab folder: a README, lab.toml (the steps and their floors), one file per
    /// step (only step 1 solved), tests/ and perf/. Never overwrites a file.
    Init {
        /// Where (made if missing; default ./ladder-lab, or with --missing this folder when
        /// it is a lab).
        dir: Option<PathBuf>,
        /// Write only the lab's files that are missing (one deleted by mistake), as `init`
        /// first wrote them; every file there is left as it is.
        #[arg(long)]
        missing: bool,
    },
    /// Climb the lab headless: each step verified, timed and graded in order. Exit 0 only when
    /// every step counts.
    Check(CheckCmd),
    /// Climb the lab and our rungs on its workload, and write NOTES.md: your speedup table,
    /// ours beside it, and the course's claims checked against your numbers (default file:
    /// NOTES.md in the lab folder; always Markdown: --format json is refused). Exits as
    /// `check` does: 0 only when every step counts, 1 otherwise (the notes are written either
    /// way).
    // The options only `check` honours are refused here with a reason, and not listed.
    #[command(
        mut_arg("format", |a| a.hide(true)),
        mut_arg("record", |a| a.hide(true)),
        mut_arg("gate", |a| a.hide(true)),
        mut_arg("output", |a| a.help("Write the notes to FILE (atomically; default: NOTES.md in the lab folder, your own text in it kept)"))
    )]
    Notes(CheckArgs),
}

#[derive(Args)]
struct CheckCmd {
    #[command(flatten)]
    args: CheckArgs,
    /// Your name, carried in the JSON, so that `ladder class` puts your lab with your run and
    /// lessons (1 to 40 characters).
    #[arg(long, value_name = "NAME", value_parser = ladder::run::limits::parse_name)]
    name: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Args)]
struct CheckArgs {
    /// The lab folder; default: this folder if it holds a lab.toml, else ./ladder-lab.
    dir: Option<PathBuf>,
    /// Number of vectors (default: the lab file's).
    #[arg(long, value_parser = limits::parse_n, allow_negative_numbers = true)]
    n: Option<usize>,
    /// Dimension (default: the lab file's).
    #[arg(long, value_parser = limits::parse_d, allow_negative_numbers = true)]
    d: Option<usize>,
    /// Seed of the generator (default: the lab file's).
    #[arg(long, value_parser = limits::parse_seed, allow_negative_numbers = true)]
    seed: Option<u64>,
    /// Kernel seconds per step before its time is extrapolated (default: the lab file's).
    #[arg(long, value_name = "SECONDS", value_parser = limits::parse_budget, allow_negative_numbers = true)]
    budget: Option<f64>,
    /// Threads the steps may use (default: all logical cores).
    #[arg(long, value_parser = limits::parse_threads, allow_negative_numbers = true)]
    threads: Option<usize>,
    /// Neighbours per row for a top-k step.
    #[arg(long, default_value_t = ladder::run::DEFAULT_K, value_parser = limits::parse_k, allow_negative_numbers = true)]
    k: usize,
    /// Run every step this many times and judge it by the median time (a shared machine's
    /// noise can move one run by half; the JSON keeps every run).
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = limits::parse_repeat, allow_negative_numbers = true)]
    repeat: usize,
    /// Run every step, even after one that does not count yet (for instructors).
    #[arg(long)]
    unlock_all: bool,
    /// Append this climb to the lab's perf/history.jsonl (the gate's reference next time).
    #[arg(long)]
    record: bool,
    /// Fail (exit 1) when a step that counted in the last climb recorded on this machine no
    /// longer counts, or lost more than 25% of its speedup over step 1.
    #[arg(long, alias = "check")]
    gate: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Write the output to FILE (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn exec(args: &LabArgs) -> Result<ExitCode> {
    match &args.command {
        Some(LabCommand::Init { dir, missing }) => init(dir.as_ref(), *missing),
        Some(LabCommand::Check(c)) => check(&c.args, c.name.as_deref()),
        Some(LabCommand::Notes(c)) => notes(c),
        None => open(&args.open),
    }
}

/// The lab folder a command means: the one named, else this folder when it is a lab (a
/// student runs `ladder lab` inside it), else `./ladder-lab` (where `init` puts it).
fn lab_dir(dir: Option<&PathBuf>) -> PathBuf {
    match dir {
        Some(d) => d.clone(),
        None if std::path::Path::new(lab::spec::LAB_FILE).is_file() => PathBuf::from("."),
        None => PathBuf::from("ladder-lab"),
    }
}

/// Opens the app on the lab: the steps as rows, each run again when its file is saved.
fn open(args: &OpenArgs) -> Result<ExitCode> {
    if args.n.is_some() || args.d.is_some() {
        bail!(
            "the lab's app climbs at its own size, lab.toml's [workload] (the size its floors \
             were set for): for a quick try at another, use `ladder lab check --n N --d D`, or \
             edit lab.toml"
        );
    }
    let dir = lab_dir(args.dir.as_ref());
    let lab = lab::load(&dir)?;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        sayln!("ladder: not a terminal, so checking the lab headless (`ladder lab check`)");
        return check(
            &CheckArgs {
                dir: Some(dir),
                n: None,
                d: None,
                seed: None,
                budget: None,
                threads: None,
                k: ladder::run::DEFAULT_K,
                repeat: 1,
                unlock_all: args.unlock_all,
                record: false,
                gate: false,
                format: Format::Table,
                output: None,
            },
            None,
        );
    }
    let theme: ladder::tui::theme::Theme = args.theme.parse().map_err(anyhow::Error::msg)?;
    let w = lab.workload;
    ladder::run::check_fits(w.n, w.d, ladder::monitor::available_memory())?;
    let settings = ladder::tui::app::Settings {
        n: w.n,
        d: w.d,
        seed: w.seed,
        budget_s: w.budget,
        ..ladder::tui::app::Settings::default()
    };
    let signal = ladder::tui::run(&ladder::tui::Options {
        settings,
        unlock_all: args.unlock_all,
        demo: false,
        theme,
        notes_path: lab.dir.join("NOTES.md"),
        lessons_dir: None,
        progress_path: ladder::lessons::progress::default_path(),
        open_lessons: false,
        peers: Vec::new(),
        lab: Some(lab),
    })?;
    // Ended by a signal: the status a shell expects of a program that signal stopped.
    Ok(signal.map_or(ExitCode::SUCCESS, |sig| {
        ExitCode::from(u8::try_from(128 + sig).unwrap_or(u8::MAX))
    }))
}

fn init(dir: Option<&PathBuf>, missing: bool) -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let here_is_a_lab = std::path::Path::new(lab::spec::LAB_FILE).is_file();
    if dir.is_none() && here_is_a_lab && !missing {
        // Inside a lab, a second one inside it is never what was meant.
        bail!(
            "this folder is a lab already ({}): `ladder lab init --missing` writes back the \
             files deleted from it; for a new lab, name another folder",
            lab::spec::LAB_FILE
        );
    }
    // `--missing` means the lab a student is in, as `check` does, even when the file that
    // says so (lab.toml) is what was deleted.
    let dir = &if missing {
        if dir.is_none() && std::path::Path::new("01_naive.py").is_file() {
            PathBuf::from(".")
        } else {
            lab_dir(dir)
        }
    } else {
        dir.cloned().unwrap_or_else(|| PathBuf::from("ladder-lab"))
    };
    if missing {
        let written = lab::scaffold::restore_missing(dir)?;
        if written.is_empty() {
            writeln!(out, "nothing missing in {}: nothing written", dir.display())?;
        }
        for w in &written {
            writeln!(out, "wrote {}", w.display())?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let written = lab::scaffold::init(dir)?;
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

/// A lab climbed: what `check` and `notes` report.
struct Climbed {
    lab: lab::spec::Lab,
    threads: usize,
    dir: String,
    meta: WorkloadMeta,
    machine: Arc<MachineInfo>,
    runner: Runner,
    results: Vec<lab::StepResult>,
}

/// Loads the lab, makes its workload and climbs it (the progress on standard error).
/// `notes`: the output is NOTES.md's writer, which keeps the student's text around its part.
fn climb(args: &CheckArgs, notes: bool) -> Result<Climbed> {
    let lab_dir = lab_dir(args.dir.as_ref());
    let lab = lab::load(&lab_dir)?;
    if let Some(out) = &args.output {
        refuse_to_overwrite_the_lab(out, &lab, notes)?;
    }
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
    if n >= 2
        && args.k >= n
        && lab
            .steps
            .iter()
            .any(|s| s.output == ladder::rungs::OutputKind::TopK)
    {
        let others = n - 1;
        sayln!(
            "note: --k {} but only {others} other vector{}: a top-k step lists {others} per row",
            args.k,
            if others == 1 { "" } else { "s" }
        );
    }
    let available = ladder::monitor::available_memory();
    ladder::run::check_vectors_fit(n, d, available)?;
    if lab
        .steps
        .iter()
        .any(|s| s.output == ladder::rungs::OutputKind::Full)
    {
        ladder::run::check_fits(n, d, available)?;
    }
    let workload = Arc::new(
        Workload::build(&WorkloadSpec {
            n,
            d,
            seed: args.seed.unwrap_or(w.seed),
            source: Source::Generated(Distribution::Normal),
        })
        .context("could not make the lab's workload")?
        // Zero vectors are valid input: row 1 meets every step's first row at once.
        .with_zero_rows(&[1, n.saturating_sub(1)]),
    );
    let machine = Arc::new(MachineInfo::probe(false));
    let config = RunConfig {
        budget: std::time::Duration::from_secs_f64(budget),
        threads: args.threads.unwrap_or(RunConfig::default().threads),
        k: args.k,
        repeat: args.repeat,
        ..RunConfig::default()
    };
    let threads = config.threads;
    let runner = Runner::new(Arc::clone(&workload), Arc::clone(&machine), config);
    install_interrupt_handler();
    let total = lab.steps.len();
    let interactive = std::io::stderr().is_terminal();
    let started = |i: usize, s: &lab::spec::LabStep| {
        if interactive {
            say!("\r\x1b[2K[{}/{total}] {} ({})", i + 1, s.id, s.file_name());
        } else {
            sayln!("[{}/{total}] {} ({})", i + 1, s.id, s.file_name());
        }
    };
    // The files as they were when they ran: what a kept result stands for.
    let hashes: Vec<_> = lab
        .steps
        .iter()
        .map(|s| lab::saved::file_hash(&s.file))
        .collect();
    let results = lab::climb(
        &lab,
        &runner,
        args.unlock_all,
        &started,
        &|_| {},
        &CancelToken::new(),
    );
    if interactive {
        say!("\r\x1b[2K");
    }
    keep_results(&lab, threads, &workload, &results, &hashes);
    Ok(Climbed {
        threads,
        meta: WorkloadMeta::from(workload.as_ref()),
        // "." names no lab: its folder's own name does, as NOTES.md says it.
        dir: match lab_dir
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(std::borrow::ToOwned::to_owned))
        {
            Some(name) if lab_dir == std::path::Path::new(".") => {
                name.to_string_lossy().into_owned()
            }
            _ => lab_dir.display().to_string(),
        },
        lab,
        machine,
        runner,
        results,
    })
}

/// Keeps a climb at the lab's own workload for the app to open on (a quick try at another
/// size is not the lab's result; another budget only extrapolates more or less of the same). A lab folder that cannot be written to only loses that.
fn keep_results(
    lab: &lab::spec::Lab,
    threads: usize,
    workload: &Workload,
    results: &[lab::StepResult],
    hashes: &[Option<String>],
) {
    let w = lab.workload;
    if (workload.n(), workload.d(), workload.seed) != (w.n, w.d, w.seed) {
        return;
    }
    let setting = lab::saved::Setting::of(lab, threads);
    // `lab check` takes no profiles: the app's, of these same files, stay with the new results.
    let before = lab::saved::load(lab, &setting);
    // A step this climb did not run (locked behind one that fell back) keeps what it earned
    // before, while its file is unchanged: a headless check must not throw the app's away.
    let mut hashes = hashes.to_vec();
    let attempts: Vec<Option<lab::Attempt>> = results
        .iter()
        .zip(&before)
        .enumerate()
        .map(|(i, (r, kept))| match (&r.report, kept) {
            (Some(report), _) => Some(lab::Attempt::Ran {
                report: Box::new(report.clone()),
                lint: r.lint.clone(),
            }),
            (None, Some(kept)) => {
                hashes[i] = lab::saved::file_hash(&lab.steps[i].file);
                Some(kept.attempt.clone())
            }
            (None, None) => None,
        })
        .collect();
    let refs: Vec<Option<&lab::Attempt>> = attempts.iter().map(Option::as_ref).collect();
    let profiles: Vec<Option<&ladder::profile::Profile>> = before
        .iter()
        .zip(&attempts)
        .map(|(kept, now)| now.as_ref().and(kept.as_ref()?.profile.as_ref()))
        .collect();
    let Some(file) = lab::saved::path(&lab.dir) else {
        return;
    };
    let written = file
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| {
            ladder::fsio::write_atomic(
                &file,
                lab::saved::text(lab, &setting, &refs, &hashes, &profiles).as_bytes(),
            )
        });
    if let Err(e) = written {
        sayln!(
            "note: could not keep these results in {} ({e}); the app will run the steps again",
            file.display()
        );
    }
}

/// `-o` must not land on the lab's own files (a step, lab.toml), and its folder must exist
/// before minutes of checking, not after.
fn refuse_to_overwrite_the_lab(
    out: &std::path::Path,
    lab: &lab::spec::Lab,
    notes: bool,
) -> Result<()> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if !parent.is_dir() {
        bail!(
            "-o {}: the folder {} does not exist",
            out.display(),
            parent.display()
        );
    }
    // The same file, whether or not it exists yet (the history before the first --record).
    let full = |p: &std::path::Path| {
        std::fs::canonicalize(p).ok().or_else(|| {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty())?;
            Some(std::fs::canonicalize(dir).ok()?.join(p.file_name()?))
        })
    };
    let same = |a: &std::path::Path| full(a).is_some_and(|a| full(out) == Some(a));
    if out.is_dir() {
        bail!("-o {} is a folder: give a file name in it", out.display());
    }
    let lab_file = lab.dir.join(lab::spec::LAB_FILE);
    // What --record appends to and the gate reads; the student's notes (`lab notes` writes
    // its part between marks, keeping theirs: a plain -o would not).
    let history = lab.dir.join(lab::history::HISTORY_FILE);
    let notes_file = lab.dir.join("NOTES.md");
    // The flamegraphs the notes link to.
    if let (Some(out), Some(flames)) = (full(out), full(&lab.dir.join("flamegraphs")))
        && out.starts_with(&flames)
    {
        bail!(
            "-o {} would write over the flamegraphs your NOTES.md links to: choose another file",
            out.display()
        );
    }
    // Every file `lab init` wrote is the lab's too (its README, the tests, the PyO3 crate).
    let scaffold: Vec<std::path::PathBuf> = lab::scaffold::FILES
        .iter()
        .map(|(name, _)| lab.dir.join(name))
        .collect();
    if let Some(mine) = lab
        .steps
        .iter()
        .map(|s| s.file.as_path())
        .chain([lab_file.as_path(), history.as_path()])
        .chain((!notes).then_some(notes_file.as_path()))
        .chain(scaffold.iter().map(std::path::PathBuf::as_path))
        .find(|f| same(f))
    {
        bail!(
            "-o {} would write over your lab's {}: choose another file",
            out.display(),
            mine.display()
        );
    }
    Ok(())
}
