//! The terminal app (`ladder` with no subcommand) and `ladder demo`, where it climbs by itself.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use ladder::run;
use ladder::tui::{self, app::Settings, theme::Theme};
use ladder::workload::Distribution;

use super::args::{InputArgs, WorkloadArgs};
use super::common::select_peer_specs;
use super::run::RunArgs;

/// Where `m` writes the speedup table unless `--notes` says.
const NOTES: &str = "NOTES.md";

/// Options of the terminal app (and of `ladder demo`).
#[derive(Args, Clone)]
pub struct AppArgs {
    #[command(flatten)]
    pub workload: WorkloadArgs,
    #[command(flatten)]
    pub input: InputArgs,
    /// Let every rung run in any order (for instructors); normally a rung unlocks when the one
    /// below it has run.
    #[arg(long)]
    pub unlock_all: bool,
    /// Colours: dark, light, or high-contrast (for projectors).
    #[arg(long, default_value = "dark", value_parser = ["dark", "light", "high-contrast"])]
    pub theme: String,
    /// Where `m` writes the speedup table (default NOTES.md). Without a terminal, the
    /// headless climb writes its table there as Markdown instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub notes: Option<PathBuf>,
    /// Peers (programs outside the process) to list after the rungs: `all`, ids separated by
    /// commas, or a folder of peer files (see `ladder peers`).
    #[arg(long, value_name = "all|IDS|DIR", default_value = "none")]
    pub peers: String,
    /// Runs of each rung (1 to 100; `s` changes it in the app): the time shown is their
    /// median, with the fastest and slowest beside it.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = run::limits::parse_repeat, allow_negative_numbers = true)]
    pub repeat: usize,
}

/// Opens the app on the ladder.
pub fn exec(args: &AppArgs) -> Result<ExitCode> {
    open(args, false, AppLessons::default())
}

/// Opens the app climbing the ladder by itself.
pub fn demo(args: &AppArgs) -> Result<ExitCode> {
    open(args, true, AppLessons::default())
}

/// Opens the app (or, without a terminal, runs the ladder headless); `lessons` says which
/// lessons it loads and whether it opens on them.
pub(super) fn open(args: &AppArgs, demo: bool, lessons: AppLessons) -> Result<ExitCode> {
    let theme: Theme = args.theme.parse().map_err(anyhow::Error::msg)?;
    // The notes are Markdown: a name that says otherwise (notes.pdf) is refused before the
    // app opens, not found out when `m` writes Markdown into it.
    if let Some(notes) = &args.notes {
        super::common::check_output(notes, &[], Some(&["md", "markdown"]))?;
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        // No terminal to draw in (a pipe, CI): climb the ladder headless instead, with what
        // was asked of the app: its peers, and its notes file as the Markdown table.
        sayln!("ladder: not a terminal, so running headless (`ladder run` does this explicitly)");
        let defaults = RunArgs::default();
        return super::run::exec(&RunArgs {
            workload: args.workload.clone(),
            input: args.input.clone(),
            peers: args.peers.clone(),
            format: if args.notes.is_some() {
                "markdown".into()
            } else {
                defaults.format.clone()
            },
            output: args.notes.clone(),
            repeat: args.repeat,
            ..defaults
        });
    }
    let w = &args.workload;
    w.check_budget()?;
    if w.threads == Some(0) || w.size.n == Some(0) || w.d == Some(0) {
        bail!("--n, --d and --threads must be at least 1");
    }
    let data = if let Some(p) = &args.input.input {
        if w.data.is_some() || w.seed.is_some() {
            bail!(
                "--data and --seed apply to generated vectors: with --input, the file's are used"
            );
        }
        p.display().to_string()
    } else {
        w.data()
            .parse::<Distribution>()
            .map_err(anyhow::Error::msg)?;
        w.data().to_string()
    };
    let defaults = Settings::default();
    let settings = Settings {
        n: w.size.n.unwrap_or(if args.input.input.is_some() {
            usize::MAX
        } else {
            defaults.n
        }),
        d: w.d.unwrap_or(defaults.d),
        seed: w.seed(),
        data,
        budget_s: w.budget,
        threads: w.threads.unwrap_or(defaults.threads),
        k: args.input.k,
        repeat: args.repeat,
    };
    if args.input.input.is_none() {
        run::check_fits(settings.n, settings.d, ladder::monitor::available_memory())?;
    }
    let signal = tui::run(&tui::Options {
        settings,
        unlock_all: args.unlock_all,
        demo,
        theme,
        notes_path: args.notes.clone().unwrap_or_else(|| PathBuf::from(NOTES)),
        lessons_dir: lessons.dir,
        progress_path: lessons
            .progress
            .unwrap_or_else(ladder::lessons::progress::default_path),
        open_lessons: lessons.open,
        peers: select_peer_specs(&args.peers)?,
        lab: None,
    })?;
    // Ended by a signal: the status a shell expects of a program that signal stopped.
    Ok(signal.map_or(ExitCode::SUCCESS, |sig| {
        ExitCode::from(u8::try_from(128 + sig).unwrap_or(u8::MAX))
    }))
}

/// Which lessons the app loads and whether it opens on them.
#[derive(Default)]
pub(super) struct AppLessons {
    pub dir: Option<PathBuf>,
    pub progress: Option<PathBuf>,
    pub open: bool,
}
