//! The leak lesson's Python steps in the Lessons screen: a program's run (its memory after
//! each request, measured from outside) and where its flamegraphs are.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{LessonsState, wrapped};
use crate::lessons::Step;
use crate::lessons::leak::{LeakRun, MB, human_mb};
use crate::lessons::progress::Measured;
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice};
use crate::tui::theme::Theme;

/// Runs the leak lesson's Python program (three requests): its memory shows in the live panel
/// as it runs, and what it left behind arrives as [`crate::tui::app::Msg::LeakRan`].
pub(super) fn run_program(ls: &mut LessonsState, m: &mut Model, program: &str) -> Vec<Command> {
    if let Some(p) = &ls.leak_running {
        m.notice = Some(Notice::Info(format!("{p} is running…")));
        return vec![];
    }
    if m.running() {
        m.notice = Some(Notice::Error(
            "a run is in progress: wait for it (or Esc cancels it)".into(),
        ));
        return vec![];
    }
    ls.leak_running = Some(program.to_string());
    ls.ask("leak");
    let file = crate::lessons::leak::program(program).map_or(program, |p| p.0);
    m.program_rss = Some(crate::tui::model::ProgramRss::new(file));
    m.notice = Some(Notice::Info(format!(
        "running {program}: three requests; watch its memory in the live panel…"
    )));
    vec![Command::RunLeak {
        program: program.to_string(),
        html_dir: crate::tui::screens::flame::flame_dir(m),
    }]
}

/// A run step with a `program`: its state, then what the run measured.
pub fn program_body(
    ls: &LessonsState,
    step: &Step,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let dim = theme.dim();
    let program = step.program.clone().unwrap_or_default();
    let file = crate::lessons::leak::program(&program).map_or("?", |p| p.0);
    let status = match (ls.leak_running.as_deref(), ls.leak.get(&program)) {
        (Some(p), _) if p == program => "running three requests…".to_string(),
        (_, Some(Ok(_))) => "done ✓".to_string(),
        (_, Some(Err(e))) => format!("could not run: {e}"),
        (_, None) => "not run yet".to_string(),
    };
    let mut v = wrapped(
        &format!("{file} ({program}): {status}"),
        "",
        2,
        width,
        theme.title(),
    );
    if let Some(Ok(run)) = ls.leak.get(&program) {
        v.extend(measured(run, theme, width));
    }
    v.push(Line::from(Span::styled(
        "Enter: run it (three requests; its memory climbs, or not, in the live panel)",
        dim,
    )));
    v
}

/// What a run measured: the memory after each request, the growth per request apart from
/// the first request's one-off jump, what the tool traced, and where memray's page is.
pub fn measured(run: &LeakRun, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let dim = theme.dim();
    let rss: Vec<String> = run.rss_after.iter().map(|&b| human_mb(b)).collect();
    let mut v = wrapped(
        &format!(
            "RSS after each request (read from outside): {}",
            rss.join(", ")
        ),
        "",
        2,
        width,
        theme.base(),
    );
    let per = run.mb_per_request();
    let flat = per.abs() < 0.5;
    v.extend(wrapped(
        &format!(
            "requests 2–{}: {per:+.2} MB each{}; {} traced {:.2} MB left live by each",
            run.requests,
            if flat { ", flat" } else { ", climbing" },
            run.tool.name(),
            run.traced_per_request() as f64 / MB
        ),
        "  ",
        4,
        width,
        Style::default().fg(if flat { theme.good } else { theme.warn }),
    ));
    v.extend(wrapped(
        &format!(
            "one-offs of start-up and request 1, still live at the end: {} (imports, BLAS \
             buffers: they do not grow)",
            human_mb(run.one_off)
        ),
        "  ",
        4,
        width,
        dim,
    ));
    if let Some(h) = &run.html {
        v.extend(wrapped(
            &format!("memray's own flamegraph (--leaks): {}", h.display()),
            "",
            2,
            width,
            dim,
        ));
    }
    if let Some(n) = &run.note {
        v.extend(wrapped(n, "", 2, width, Style::default().fg(theme.warn)));
    }
    v
}

pub(super) fn leak_measured(run: &LeakRun) -> Measured {
    Measured::Leak {
        program: run.program.clone(),
        tool: run.tool.name().to_string(),
        rss_after: run.rss_after.clone(),
        mb_per_request: run.mb_per_request(),
        traced_per_request: run.traced_per_request(),
        holder: run.holder(),
    }
}
