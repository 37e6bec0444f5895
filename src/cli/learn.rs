//! `ladder learn`: the lessons, in the app or on the command line (list, check, export, reset,
//! show one step).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use ladder::machine::MachineInfo;
use ladder::report;

use super::app::{AppArgs, AppLessons};

#[derive(Args)]
pub struct LearnArgs {
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
    /// Print one step in the terminal: LESSON/STEP, each an id or a number as `--list` and the
    /// app count them (`3/2`, `find-the-leak/py-predict`); LESSON alone lists its steps. A
    /// bytecode step shows its bytecode.
    #[arg(long, value_name = "LESSON/STEP")]
    show: Option<String>,
    /// Run the leak lesson's Python service (`leaky` or `fixed`) for three requests under memray
    /// (tracemalloc without it) and print what each request left behind, by Python stack.
    #[arg(long, value_name = "PROGRAM")]
    leak: Option<String>,
    /// With --leak: write the memory flamegraph SVG and memray's own HTML into DIR.
    #[arg(long, value_name = "DIR", requires = "leak")]
    out: Option<PathBuf>,
    /// Use an instructor's lesson folder instead of the shipped lessons.
    #[arg(long, value_name = "DIR")]
    lessons: Option<PathBuf>,
    /// Your name, saved in the progress file: the export carries it, and it fixes the order of
    /// each question's options (the app asks for it on first use).
    #[arg(long, value_name = "NAME", value_parser = ladder::run::limits::parse_name)]
    name: Option<String>,
    /// The progress file (default: $LADDER_PROGRESS, else the user's data folder).
    #[arg(long, value_name = "FILE")]
    progress: Option<PathBuf>,
    #[command(flatten)]
    app: AppArgs,
}

fn load_lessons(dir: Option<&Path>) -> Result<Vec<ladder::lessons::Lesson>> {
    Ok(match dir {
        Some(d) => ladder::lessons::load_dir(d)?,
        None => ladder::lessons::shipped()?,
    })
}

pub fn exec(args: &LearnArgs) -> Result<ExitCode> {
    use ladder::lessons::progress::{Progress, default_path, export};
    if let Some(dir) = &args.check {
        let dir = (!dir.is_empty()).then(|| PathBuf::from(dir));
        return match load_lessons(dir.as_deref().or(args.lessons.as_deref())) {
            Ok(ls) => {
                let steps: usize = ls.iter().map(|l| l.steps.len()).sum();
                outln!("{} lessons, {steps} steps: all valid", ls.len());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                sayln!("error: {e}");
                Ok(ExitCode::FAILURE)
            }
        };
    }
    if let Some(program) = &args.leak {
        return leak(program, args.out.as_deref());
    }
    let lessons = load_lessons(args.lessons.as_deref())?;
    let path = args.progress.clone().unwrap_or_else(default_path);
    // The export is JSON, and never lands on a folder, the progress file or a file of another
    // kind (a lab.toml, a README): checked before anything is saved.
    if let Some(out) = &args.export {
        super::common::check_output(out, &[path.as_path()], Some(&["json"]))?;
        // Nothing to hand in: said as that, not as a question of whose answers they are.
        if !path.exists() && args.name.is_none() {
            anyhow::bail!(
                "{} does not exist: there is no progress to export yet (answer the lessons in                  the app, `ladder learn`, first; or give the file your progress is in with                  --progress FILE)",
                path.display()
            );
        }
    }
    // A file named on the command line is the student's to keep: one that is not a progress
    // file (a hand-in, a run's JSON) is refused, never moved aside and started over.
    if let Some(given) = &args.progress
        && let Err(why) = Progress::read(given)
    {
        anyhow::bail!(
            "{} could not be read as a ladder progress file ({why}), so it is left as it is: \
             give the file `ladder learn` keeps your progress in (by default {}), or a new file \
             name to start one",
            given.display(),
            default_path().display()
        );
    }
    let (mut progress, warning) = Progress::load(&path);
    if let Some(w) = warning {
        sayln!("warning: {w}");
    }
    if let Some(name) = args.name.as_deref()
        && progress.learner.as_deref() != Some(name)
    {
        progress.learner = Some(name.to_string());
        progress
            .save(&path)
            .with_context(|| format!("could not write {}", path.display()))?;
        sayln!("learner: {name} (saved in {})", path.display());
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
        outln!("reset {id} (in {})", path.display());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(out) = &args.export {
        let Some(learner) = progress.learner_or_login() else {
            bail!(
                "whose answers are these? no name was given in the app and $USER is not set: \
                 add --name NAME (it is saved for next time)"
            );
        };
        let machine = MachineInfo::probe(false);
        let doc = export(
            &progress,
            &lessons,
            &format!(
                "{} ({} cores, {})",
                machine.cpu, machine.logical_cores, machine.kernel_isa
            ),
            &learner,
        );
        let text = serde_json::to_string_pretty(&doc)? + "\n";
        report::write_atomic(out, text.as_bytes())
            .with_context(|| format!("could not write {}", out.display()))?;
        let answered: usize = doc.lessons.iter().map(|l| l.answers.len()).sum();
        let attempts: usize = doc
            .lessons
            .iter()
            .flat_map(|l| &l.answers)
            .map(|a| a.attempts.len())
            .sum();
        outln!(
            "wrote {answered} answers ({attempts} attempts) by {learner} to {}",
            out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(spec) = &args.show {
        let (lid, sid) = spec.split_once('/').unwrap_or((spec, ""));
        // A lesson or step by id, or by its number as `--list` and the app count them.
        let nth = |id: &str, len: usize| {
            id.parse::<usize>()
                .ok()
                .filter(|i| (1..=len).contains(i))
                .map(|i| i - 1)
        };
        let lesson = lessons
            .iter()
            .position(|l| l.id == lid)
            .or_else(|| nth(lid, lessons.len()))
            .map(|i| &lessons[i])
            .with_context(|| {
                let ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
                format!(
                    "no lesson '{lid}': the lessons are {} (or their numbers, 1 to {})",
                    ids.join(", "),
                    lessons.len()
                )
            })?;
        if sid.is_empty() {
            outln!("{}: {}", lesson.id, lesson.title);
            for (i, s) in lesson.steps.iter().enumerate() {
                outln!("  {:>2}. {:<18} {:?}", i + 1, s.id, s.kind);
            }
            outln!(
                "\nshow one: ladder learn --show {}/1 (a number or an id)",
                lesson.id
            );
            return Ok(ExitCode::SUCCESS);
        }
        let step = lesson
            .steps
            .iter()
            .position(|s| s.id == sid)
            .or_else(|| nth(sid, lesson.steps.len()))
            .map(|i| &lesson.steps[i])
            .with_context(|| {
                let ids: Vec<&str> = lesson.steps.iter().map(|s| s.id.as_str()).collect();
                format!(
                    "lesson {} has no step '{sid}': its steps are {} (or their numbers, 1 to {})",
                    lesson.id,
                    ids.join(", "),
                    lesson.steps.len()
                )
            })?;
        let (lid, sid) = (lesson.id.as_str(), step.id.as_str());
        // The options in the order this learner sees them in the app.
        let order = ladder::lessons::option_order(
            progress.learner.as_deref().unwrap_or(""),
            &lesson.id,
            &step.id,
            step.choices.len(),
        );
        out!("{}", ladder::lessons::render_plain(step, &order));
        // The concurrency lesson's steps discuss the table measured in the app, kept with the
        // progress: shown here as the app shows it.
        match ladder::tui::screens::lessons::plain_table(
            lessons.clone(),
            progress.clone(),
            lid,
            sid,
            100,
        ) {
            Some(Ok(table)) => out!("\n{table}"),
            Some(Err(why)) => outln!("\n{why}"),
            None => {}
        }
        return Ok(ExitCode::SUCCESS);
    }
    if args.list {
        for (i, l) in lessons.iter().enumerate() {
            let done = progress.lesson(&l.id).map_or(0, |p| {
                l.steps.iter().filter(|s| p.done.contains(&s.id)).count()
            });
            let mark = if done == l.steps.len() { "✓" } else { " " };
            outln!(
                "{mark} {}. {:<16} {:>2}/{:<2} steps  {}",
                i + 1,
                l.id,
                done,
                l.steps.len(),
                l.title
            );
        }
        outln!("\nprogress: {}", path.display());
        outln!("open one in the app: ladder learn (then Enter on a lesson)");
        return Ok(ExitCode::SUCCESS);
    }
    open_app(args, lessons, path)
}

/// `--leak PROGRAM`: the leak lesson's measurement, headless.
fn leak(program: &str, out: Option<&Path>) -> Result<ExitCode> {
    use ladder::lessons::leak::{self, LeakOptions, MB, human_mb};
    if leak::program(program).is_none() {
        bail!(
            "--leak takes one of {} (the service, and its fixed twin)",
            leak::PROGRAMS.join(", ")
        );
    }
    // The folder is made, and found writable, before the service runs, not after.
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("could not make the folder {}: {e}", dir.display()))?;
        super::common::check_output(&dir.join(format!("memory-leaks-{program}.svg")), &[], None)?;
    }
    let opts = LeakOptions {
        html_dir: out.map(Path::to_path_buf),
        ..LeakOptions::default()
    };
    super::common::install_interrupt_handler();
    let run = leak::run(program, &opts, None).map_err(anyhow::Error::msg)?;
    outln!(
        "{}, {} requests, read by {}",
        run.file,
        run.requests,
        run.tool.name()
    );
    if let Some(n) = &run.note {
        outln!("note: {n}");
    }
    let rss: Vec<String> = run.rss_after.iter().map(|&b| human_mb(b)).collect();
    outln!(
        "RSS after each request (measured from outside): {}",
        rss.join(", ")
    );
    outln!(
        "each request after the first: {:+.2} MB (the process's RSS); {:.2} MB still live by \
         {}",
        run.mb_per_request(),
        run.traced_per_request() as f64 / MB,
        run.tool.name()
    );
    outln!(
        "one-offs (start-up and the first request, still live): {}",
        human_mb(run.one_off)
    );
    let profile = run.profile()?;
    outln!("what the requests after the first left behind, by Python stack:");
    let mut stacks = profile.stacks.clone();
    stacks.sort_by_key(|s| std::cmp::Reverse(s.1));
    for (frames, bytes) in stacks.iter().take(5) {
        let n = frames.len().saturating_sub(1);
        let mut shown: Vec<&str> = frames[1..n.max(1)]
            .iter()
            .map(|f| leak::function_of(f))
            .collect();
        shown.extend(frames.last().filter(|_| n >= 1).map(String::as_str));
        outln!("  {:>10}  {}", human_mb(*bytes), shown.join(" › "));
    }
    if let Some(h) = run.holder() {
        outln!("the function holding it: {h}");
    } else {
        outln!("nothing allocated after the first request is still live: flat");
    }
    if let Some(dir) = out {
        let svg = dir.join(format!("memory-leaks-{program}.svg"));
        let mut bytes = Vec::new();
        profile.write_svg_counting(
            &format!(
                "{}: bytes each request left live ({})",
                run.file,
                run.tool.name()
            ),
            "allocated after the first request and never freed, by Python stack",
            "bytes",
            ladder::profile::StackView::Slide,
            &mut bytes,
        )?;
        report::write_atomic(&svg, &bytes)
            .with_context(|| format!("could not write {}", svg.display()))?;
        outln!("memory flamegraph: {}", svg.display());
    }
    if let Some(h) = &run.html {
        outln!("memray's own flamegraph (--leaks): {}", h.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn open_app(
    args: &LearnArgs,
    _lessons: Vec<ladder::lessons::Lesson>,
    path: PathBuf,
) -> Result<ExitCode> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "the lessons are interactive: run `ladder learn` in a terminal (or `ladder learn --list`)"
        );
    }
    super::app::open(
        &args.app,
        false,
        AppLessons {
            dir: args.lessons.clone(),
            progress: Some(path),
            open: true,
        },
    )
}
