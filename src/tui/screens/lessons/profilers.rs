//! The profilers lesson in the Lessons screen: predictions of which profiler costs least and
//! most, made before the measurement and judged by it; the measurement itself, run in the
//! background with its progress live; the table, and the course's claims against it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Feedback, LessonsState, wrapped};
use crate::lessons::profilers::rank::Verdict;
use crate::lessons::profilers::{Comparison, PROFILERS, Running, Status};
use crate::lessons::progress::{Answer, Measured};
use crate::lessons::{Kind, Step};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice};
use crate::tui::theme::Theme;

/// Rounds a profilers step runs when its file does not say.
const ROUNDS: usize = 3;

/// The measured comparison, if there is one.
fn measured(ls: &LessonsState) -> Option<&Comparison> {
    ls.profilers.as_ref()?.as_ref().ok()
}

/// Enter on the profilers step: measure (again) in the background.
pub(super) fn measure(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    if ls.profilers_running.is_some() {
        m.notice = Some(Notice::Info("already measuring…".into()));
        return vec![];
    }
    let n = step.n.unwrap_or(crate::lessons::profilers::DEFAULT_N);
    let rounds = step.rounds.unwrap_or(ROUNDS);
    ls.profilers_running = Some(Running {
        round: 0,
        rounds,
        id: "python3".into(),
        done: 0,
        total: 0,
    });
    ls.profilers_error = None;
    ls.ask("profilers");
    m.notice = None;
    vec![Command::MeasureProfilers { n, rounds }]
}

/// A run of the measurement is about to start.
pub fn on_progress(ls: &mut LessonsState, r: Running) {
    if ls.profilers_running.is_some() {
        ls.profilers_running = Some(r);
    }
}

/// The measurement arrived: kept with the progress, the predictions made before it judged,
/// and the step that asked for it passed.
pub fn on_profilers(
    ls: &mut LessonsState,
    m: &mut Model,
    r: Result<Box<Comparison>, String>,
) -> Vec<Command> {
    ls.profilers_running = None;
    let r = r.map(|b| *b);
    // The learner may have stepped back, or left the lesson, while it ran: it belongs to the
    // profilers step of the lesson that asked all the same.
    let lesson = ls.answered("profilers").map(|((lid, _), _)| lid);
    let asked = lesson.as_ref().and_then(|lid| {
        let l = ls.lessons.iter().find(|l| &l.id == lid)?;
        let s = l.steps.iter().find(|s| s.kind == Kind::Profilers)?;
        Some((l.id.clone(), s.id.clone()))
    });
    match r {
        Ok(c) => {
            if let Some((lid, sid)) = &asked {
                let table = Box::new(c.clone());
                ls.measured_and_passed(lid, sid, Measured::Profilers { table });
            }
            ls.profilers = Some(Ok(c));
            if let Some((lid, _)) = &asked {
                judge_predictions(ls, lid);
            }
            m.notice = Some(Notice::Info(
                match measured(ls).and_then(Comparison::no_ranking) {
                    Some(why) => why,
                    None => "measured: your predictions are judged below · → next".into(),
                },
            ));
            ls.save_progress()
        }
        Err(e) => {
            m.notice = Some(Notice::Error(format!("could not measure: {e}")));
            // A failed measurement again keeps the table the predictions were judged on.
            if measured(ls).is_some() {
                ls.profilers_error = Some(e);
            } else {
                ls.profilers = Some(Err(e));
            }
            vec![]
        }
    }
}

/// The predictions not yet judged, in every step of lesson `lid`, judged by the
/// measurement: right or wrong where the profilers could be ranked, else said why not.
fn judge_predictions(ls: &mut LessonsState, lid: &str) {
    let lesson = ls.lessons.iter().find(|l| l.id == lid).cloned();
    let (Some(lesson), Some(c)) = (lesson, measured(ls).cloned()) else {
        return;
    };
    for step in lesson.steps.iter().filter(|s| s.overhead.is_some()) {
        let end = step.overhead.as_deref().unwrap_or("least");
        let l = ls.progress.lesson_mut(&lesson.id);
        let Some(attempts) = l.attempts.get_mut(&step.id) else {
            continue;
        };
        for a in attempts
            .iter_mut()
            .filter(|a| a.correct.is_none() && a.unjudged.is_none())
        {
            let Some(id) = a
                .choice
                .and_then(|i| step.choices.get(i))
                .and_then(|o| o.profiler.as_deref())
            else {
                continue;
            };
            match c.verdict(id, end) {
                Verdict::AtEnd { .. } => a.correct = Some(true),
                Verdict::Not { .. } => a.correct = Some(false),
                Verdict::NotMeasured(why) | Verdict::NoRanking(why) => a.unjudged = Some(why),
            }
        }
        if let Some(last) = attempts.last().cloned() {
            l.answers.insert(step.id.clone(), last);
        }
    }
}

/// A prediction step's option picked. Before the measurement the pick is the prediction,
/// judged when the measurement comes; where the profilers cannot be ranked it passes, said so
/// and recorded as not measurable. None: judged now, as any choice.
pub(super) fn predict(
    ls: &mut LessonsState,
    m: &mut Model,
    step: &Step,
    index: usize,
) -> Option<Vec<Command>> {
    step.overhead.as_ref()?;
    if let Some(Feedback::Predicted(_)) = ls.feedback {
        m.notice = Some(Notice::Info(
            "your prediction is in: the measurement judges it (r predicts again) · → next".into(),
        ));
        return Some(vec![]);
    }
    let why = match measured(ls) {
        Some(c) => Some(c.no_ranking()?),
        None => None,
    };
    let chose = step.choices.get(index)?;
    ls.record(Answer {
        choice: Some(index),
        unjudged: why.clone(),
        ..Answer::default()
    });
    ls.feedback = Some(Feedback::Predicted(index));
    m.notice = Some(Notice::Info(match why {
        Some(why) => why,
        None => format!(
            "predicted: {}; the measurement (the next steps) judges it · → next",
            chose.profiler.as_deref().unwrap_or("?")
        ),
    }));
    Some(ls.pass_current())
}

/// Whether option `c` of a prediction step is right by the measurement; None where it cannot
/// say (nothing measured, or no ranking).
pub(super) fn accepted(ls: &LessonsState, step: &Step, i: usize) -> Option<bool> {
    let end = step.overhead.as_deref()?;
    let id = step.choices.get(i)?.profiler.as_deref()?;
    match measured(ls)?.verdict(id, end) {
        Verdict::AtEnd { .. } => Some(true),
        Verdict::Not { .. } | Verdict::NotMeasured(_) => Some(false),
        Verdict::NoRanking(_) => None,
    }
}

/// What a picked option measured, in words that never name the right one.
pub(super) fn option_measured(ls: &LessonsState, step: &Step, i: usize) -> Option<String> {
    let end = step.overhead.as_deref()?;
    let id = step.choices.get(i)?.profiler.as_deref()?;
    Some(match measured(ls)?.verdict(id, end) {
        Verdict::AtEnd { overhead_pct } => {
            format!("Measured here: {id} {overhead_pct:+.0}%, the {end} (within the noise).")
        }
        Verdict::Not { overhead_pct, .. } => {
            format!("Measured here: {id} {overhead_pct:+.0}%, not the {end}.")
        }
        Verdict::NotMeasured(why) | Verdict::NoRanking(why) => why,
    })
}

/// The saved measurement of the open lesson, latest first (a reopened lesson shows it again).
pub(super) fn restore(ls: &mut LessonsState) {
    if ls.profilers.is_some() {
        return;
    }
    let Some(l) = ls.lesson().and_then(|l| ls.progress.lesson(&l.id)) else {
        return;
    };
    let saved = l.measurements.iter().rev().find_map(|m| match &m.what {
        Measured::Profilers { table } => Some((**table).clone()),
        _ => None,
    });
    if let Some(c) = saved {
        ls.profilers = Some(Ok(c));
    }
}

fn bad(theme: &Theme) -> Style {
    Style::default().fg(theme.bad)
}

/// The profilers step: its progress while measuring, then the table and the predictions.
pub fn body(ls: &LessonsState, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let dim = theme.dim();
    let mut v = Vec::new();
    if let Some(r) = &ls.profilers_running {
        v.extend(progress(r, theme, width));
    }
    match &ls.profilers {
        None if ls.profilers_running.is_none() => v.push(Line::from(Span::styled(
            "Enter: measure (under a minute; scalene and memray start slowly)",
            dim,
        ))),
        Some(Err(e)) => {
            v.extend(wrapped(
                &format!("could not measure: {e}"),
                "",
                0,
                width,
                bad(theme),
            ));
            if ls.profilers_running.is_none() {
                v.push(Line::from(Span::styled("Enter: try again", dim)));
            }
        }
        Some(Ok(c)) => {
            if let Some(e) = &ls.profilers_error {
                v.extend(wrapped(
                    &format!("measuring again failed ({e}); the table below is the last one"),
                    "",
                    0,
                    width,
                    bad(theme),
                ));
            }
            v.extend(table(c, theme, width));
            v.push(Line::from(""));
            let judged = predictions(ls, c, theme, width);
            if !judged.is_empty() {
                v.extend(judged);
                v.push(Line::from(""));
            }
            if ls.profilers_running.is_none() {
                v.push(Line::from(Span::styled(
                    "Enter: measure again · → next",
                    dim,
                )));
            }
        }
        None => {}
    }
    v
}

fn progress(r: &Running, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let text = if r.total == 0 {
        "measuring: finding python3 and the profilers installed…".to_string()
    } else {
        let bar_w = 20;
        let filled = r.done * bar_w / r.total.max(1);
        format!(
            "measuring: round {}/{} · {} running · {}{} {}/{} runs",
            r.round,
            r.rounds,
            r.id,
            "█".repeat(filled),
            "░".repeat(bar_w - filled),
            r.done,
            r.total
        )
    };
    wrapped(&text, "", 2, width, theme.title())
}

fn pct(v: Option<f64>) -> String {
    // No "-0%": a figure that rounds to nothing is nothing.
    v.map_or_else(
        || "-".into(),
        |p| format!("{:+.0}%", if p.abs() < 0.5 { 0.0 } else { p }),
    )
}

/// The table: one line a profiler (kind, timed section's median and overhead, the whole
/// process's overhead), what it saw beneath; rows not measured say how to install or why.
fn table(c: &Comparison, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let dim = theme.dim();
    let mut v = wrapped(
        &format!(
            "n={} d={}, {} interleaved round(s), medians. timed: the workload's own section; \
             whole: the process, start-up included.",
            c.n, c.d, c.rounds
        ),
        "",
        0,
        width,
        dim,
    );
    v.push(Line::from(Span::styled(
        format!(
            "{:<12} {:<13} {:<8} {:<10} {:>7} {:>8} {:>8}",
            "profiler", "kind", "level", "measures", "timed s", "overhead", "whole"
        ),
        theme.title(),
    )));
    for r in &c.rows {
        let head = format!(
            "{:<12} {:<13} {:<8} {:<10} ",
            r.id, r.method, r.level, r.resource
        );
        match r.status {
            Status::Measured => {
                v.push(Line::from(Span::styled(
                    format!(
                        "{head}{:>7} {:>8} {:>8}",
                        r.kernel_s.map_or("-".into(), |s| format!("{s:.2}")),
                        pct(r.kernel_overhead_pct),
                        pct(r.wall_overhead_pct)
                    ),
                    theme.base(),
                )));
                if let (Some(top), Some(share)) = (&r.top, r.share) {
                    let of = if r.peak_bytes.is_some() {
                        "of the bytes it saw allocated"
                    } else {
                        "of the time it saw"
                    };
                    v.extend(wrapped(
                        &format!("saw: {top}, {:.0}% {of}", share * 100.0),
                        "  ",
                        4,
                        width,
                        dim,
                    ));
                }
            }
            Status::NotInstalled | Status::Failed => v.extend(wrapped(
                &format!(
                    "{}{}",
                    if r.status == Status::Failed {
                        "failed: "
                    } else {
                        ""
                    },
                    r.note.as_deref().unwrap_or("-")
                ),
                &format!("{:<12} ", r.id),
                13,
                width,
                Style::default().fg(theme.warn),
            )),
        }
    }
    let missing: Vec<&str> = c
        .rows
        .iter()
        .filter(|r| r.status == Status::NotInstalled && r.id != "cProfile")
        .map(|r| r.id.as_str())
        .collect();
    if !missing.is_empty() {
        v.extend(wrapped(
            &format!(
                "not installed here: {}. To measure them: pip install {}",
                missing.join(", "),
                missing.join(" ")
            ),
            "",
            0,
            width,
            Style::default().fg(theme.warn),
        ));
    }
    v
}

/// The learner's predictions against the measurement: each right or wrong, and for a wrong
/// one why that option is wrong.
fn predictions(
    ls: &LessonsState,
    c: &Comparison,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let Some(lesson) = ls.lesson() else {
        return vec![];
    };
    let good = Style::default().fg(theme.good);
    let mut v = Vec::new();
    if let Some(why) = c.no_ranking() {
        v.extend(wrapped(
            &format!("Your predictions: {why}"),
            "",
            0,
            width,
            Style::default().fg(theme.warn),
        ));
        return v;
    }
    for step in lesson.steps.iter().filter(|s| s.overhead.is_some()) {
        let end = step.overhead.as_deref().unwrap_or("least");
        // The first prediction is the one judged; later picks are practice.
        let Some((i, a)) = ls.attempts(step).iter().find_map(|a| Some((a.choice?, a))) else {
            continue;
        };
        let Some(o) = step.choices.get(i) else {
            continue;
        };
        let id = o.profiler.clone().unwrap_or_default();
        let extreme = c
            .extreme(end)
            .map(|r| format!("{} {}", r.id, pct(r.kernel_overhead_pct)));
        let (mark, style, line) = match (a.correct, &a.unjudged) {
            (_, Some(why)) => ("·", theme.dim(), why.clone()),
            (Some(true), _) => ("✓", good, format!("it cost {end} here")),
            (Some(false), _) => (
                "✗",
                bad(theme),
                format!("the {end} here was {}", extreme.clone().unwrap_or_default()),
            ),
            (None, _) => ("·", theme.dim(), "not judged yet".into()),
        };
        v.extend(wrapped(
            &format!("you predicted {id} would cost {end}: {mark} {line}"),
            "",
            2,
            width,
            style,
        ));
        if a.correct == Some(false) {
            v.extend(wrapped(&o.explain, "  ", 2, width, theme.dim()));
        }
    }
    v
}

/// What a read, choice or explain step shows of the measurement (`show`), and a prediction
/// step's state before its options.
pub fn shown(ls: &LessonsState, step: &Step, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut v = Vec::new();
    let c = measured(ls);
    if step.overhead.is_some() {
        let text = match (&ls.feedback, c) {
            (Some(Feedback::Predicted(i)), _) => {
                let id = step
                    .choices
                    .get(*i)
                    .and_then(|o| o.profiler.clone())
                    .unwrap_or_default();
                match ls.answer(step).and_then(|a| a.unjudged.clone()) {
                    Some(why) => format!("You predicted {id}: {why}"),
                    None => format!(
                        "You predicted {id}: the measurement judges it. → next; r predicts again."
                    ),
                }
            }
            (_, None) => "Predict now: nothing is measured yet, and the first pick is the one \
                          judged."
                .into(),
            (_, Some(c)) => match c.no_ranking() {
                Some(why) => format!("{why}. Any pick passes this step, recorded as such."),
                None if ls.attempts(step).iter().any(|a| a.choice.is_some()) => {
                    "Measured: your first prediction is the one that counts; a pick now is \
                     practice, judged by the table."
                        .into()
                }
                None => "Measured already: a pick is judged now by the table.".into(),
            },
        };
        v.extend(wrapped(&text, "", 0, width, theme.dim()));
        v.push(Line::from(""));
    }
    match (step.show.as_deref(), c) {
        // While writing, the figures in a line or two, so that the answer stays in view.
        (Some("table"), Some(c)) if step.kind == Kind::Explain => {
            let each: Vec<String> = c
                .measured()
                .iter()
                .map(|r| format!("{} {}", r.id, pct(r.kernel_overhead_pct)))
                .collect();
            v.extend(wrapped(
                &format!(
                    "Measured here (overhead on the timed section, n={}): {}",
                    c.n,
                    each.join(", ")
                ),
                "",
                0,
                width,
                theme.base(),
            ));
            v.push(Line::from(""));
        }
        (Some("table"), Some(c)) => v.extend(table(c, theme, width)),
        (Some("claims"), Some(c)) => v.extend(claims(c, theme, width)),
        (Some(_), None) => v.extend(wrapped(
            "Not measured yet: the profilers step measures them.",
            "",
            0,
            width,
            bad(theme),
        )),
        _ => {}
    }
    v
}

/// The course's claims against the measurement: held or not, and by how much.
fn claims(c: &Comparison, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut v = Vec::new();
    for p in PROFILERS.iter().filter(|p| p.claim_pct.is_some()) {
        let claimed = p.claim_pct.unwrap_or_default();
        let row = c.rows.iter().find(|r| r.id == p.id);
        let (text, style) = match row.and_then(|r| r.claim.as_ref()) {
            Some(cl) => {
                let off = cl.measured_pct - cl.claimed_pct;
                let times = if cl.measured_pct > 0.0 && cl.claimed_pct > 0.0 {
                    format!(", {:.1}x the claim", cl.measured_pct / cl.claimed_pct)
                } else {
                    String::new()
                };
                (
                    format!(
                        "{} ~{claimed:.0}%: {} here: measured {:+.1}%{}",
                        p.id,
                        if cl.held { "held" } else { "did not hold" },
                        cl.measured_pct,
                        if cl.measured_pct < 0.0 {
                            crate::lessons::profilers::BELOW_ZERO.to_string()
                        } else {
                            format!(", {off:+.1} points from the claim{times}")
                        }
                    ),
                    Style::default().fg(if cl.held { theme.good } else { theme.bad }),
                )
            }
            None => (
                format!(
                    "{} ~{claimed:.0}%: not measured here ({})",
                    p.id,
                    row.and_then(|r| r.note.clone())
                        .unwrap_or_else(|| p.install.to_string())
                ),
                Style::default().fg(theme.warn),
            ),
        };
        v.extend(wrapped(&text, "", 2, width, style));
    }
    v.extend(wrapped(&format!("({})", c.rule), "", 0, width, theme.dim()));
    v.push(Line::from(""));
    v
}
