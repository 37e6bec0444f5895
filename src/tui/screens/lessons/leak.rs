//! The leak lesson's Python steps in the Lessons screen: a program's run (its memory after
//! each request, measured from outside) and where its flamegraphs are.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Feedback, LessonsState, wrapped};
use crate::lessons::leak::{LeakRun, MB};
use crate::lessons::progress::Measured;
use crate::lessons::{Kind, Measure, Step};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice};
use crate::tui::theme::Theme;
use crate::workload::human_bytes;

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
    let rss: Vec<String> = run.rss_after.iter().map(|&b| human_bytes(b)).collect();
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
            human_bytes(run.one_off)
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

/// A leak lesson's program ran (called from `update`): kept for its flamegraph and question,
/// recorded with the progress, and it passes the run step or scores the prediction that asked
/// for it.
pub fn on_leak(
    ls: &mut LessonsState,
    m: &mut Model,
    program: String,
    r: Result<Box<LeakRun>, String>,
) -> Vec<Command> {
    ls.leak_running = None;
    if let Some(p) = &mut m.program_rss {
        p.running = false;
    }
    let r = r.map(|b| *b);
    if let Some(((lid, sid), false)) = ls.answered("leak") {
        return leak_elsewhere(ls, m, &lid, &sid, program, r);
    }
    let step = ls.current().cloned();
    let Some(step) = step else {
        ls.leak.insert(program, r);
        return vec![];
    };
    let run = match r {
        Ok(run) => run,
        Err(e) => {
            m.notice = Some(Notice::Error(format!("{program} could not run: {e}")));
            if matches!(ls.feedback, Some(Feedback::Measuring { .. })) {
                ls.feedback = None;
            }
            ls.leak.insert(program, Err(e));
            return vec![];
        }
    };
    let mine = step.program.as_deref() == Some(program.as_str());
    let predicting = matches!(step.measure(), Some(Measure::Leak(p)) if p == program);
    if mine || predicting {
        ls.measured(leak_measured(&run));
    }
    let note = run.note.clone();
    let summary = format!(
        "{program}: {:+.2} MB per request after the first",
        run.mb_per_request()
    );
    ls.leak.insert(program, Ok(run));
    if predicting {
        return super::answers::try_measure(ls, m, &step);
    }
    if mine && step.kind == Kind::Run {
        m.notice = Some(Notice::Info(match note {
            Some(n) => format!("{summary} · {n}"),
            None => format!("{summary}: → for the next step"),
        }));
        return ls.pass_current();
    }
    vec![]
}

/// A leak program's run arrived after the learner left the step that ran it: the step keeps
/// it (a run step is passed); a prediction waiting for it is scored from it when they come
/// back to that step.
fn leak_elsewhere(
    ls: &mut LessonsState,
    m: &mut Model,
    lid: &str,
    sid: &str,
    program: String,
    r: Result<LeakRun, String>,
) -> Vec<Command> {
    let mut cmds = vec![];
    if let (Ok(run), Some(step)) = (&r, ls.step_of(lid, sid).cloned())
        && step.program.as_deref() == Some(program.as_str())
    {
        ls.progress.measured(lid, sid, leak_measured(run));
        if step.kind == Kind::Run {
            ls.progress.pass(lid, sid);
        }
        m.notice = Some(Notice::Info(format!(
            "{program} finished: {:+.2} MB per request after the first (kept with its step)",
            run.mb_per_request()
        )));
        cmds = ls.save_progress();
    } else if let Err(e) = &r {
        m.notice = Some(Notice::Error(format!("{program} could not run: {e}")));
    }
    ls.leak.insert(program, r);
    cmds
}
