//! The body of a lesson's step, by kind: what to do, the choices, the prediction and its
//! score, the bytecode side by side, the concurrency table.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Feedback, LessonsState};
use crate::lessons::{Kind, Step};
use crate::tui::model::{Model, Status};
use crate::tui::theme::Theme;

/// What the step shows below its text.
pub fn step_body(
    ls: &LessonsState,
    m: &Model,
    step: &Step,
    theme: &Theme,
    col_w: usize,
) -> Vec<Line<'static>> {
    let dim = theme.dim();
    let good = Style::default().fg(theme.good);
    let bad = Style::default().fg(theme.bad);
    match step.kind {
        Kind::Read => vec![Line::from(Span::styled("Enter: next", dim))],
        Kind::Run => {
            let id = step.rung.clone().unwrap_or_default();
            let row = m.rows.iter().find(|r| r.info.id == id);
            let status = row.map_or("?".to_string(), |r| match &r.status {
                Status::Locked => "locked: run the rung below it first (climb in order)".into(),
                Status::Ready => "ready".into(),
                Status::Queued => "queued".into(),
                Status::Running(_) => "running…".into(),
                Status::Done => "done ✓".into(),
                Status::Failed(w) => format!("failed: {w}"),
                Status::Unavailable(w) => format!("cannot run here: {w}"),
                Status::Cancelled => "cancelled".into(),
            });
            let want = step.times.unwrap_or(1);
            let mut v = vec![Line::from(vec![
                Span::styled(format!("{id}: "), theme.title()),
                Span::styled(status, theme.base()),
            ])];
            if want > 1 {
                v.push(Line::from(format!(
                    "verified runs in this step: {}/{want}",
                    ls.runs
                )));
            }
            if let Some(rep) = row.and_then(|r| r.report.as_ref()).filter(|r| r.has_time()) {
                v.push(Line::from(Span::styled(
                    format!(
                        "last run: {} · {} · peak memory {}",
                        crate::report::time_cell(rep),
                        crate::report::verified_cell(rep),
                        crate::workload::human_bytes(rep.peak_rss_bytes)
                    ),
                    dim,
                )));
            }
            v.push(Line::from(Span::styled(
                "Enter: run it · Esc cancels a run",
                dim,
            )));
            v
        }
        Kind::Flame | Kind::Choice => {
            let chosen = match ls.feedback {
                Some(Feedback::Chose { index, .. }) => Some(index),
                _ => None,
            };
            let mut v = Vec::new();
            for (i, c) in step.choices.iter().enumerate() {
                let mark = match chosen {
                    Some(_) if c.correct => Span::styled(" ✓", good),
                    Some(k) if k == i => Span::styled(" ✗", bad),
                    _ => Span::raw(""),
                };
                let style = if chosen == Some(i) {
                    theme.title()
                } else {
                    theme.base()
                };
                v.push(Line::from(vec![
                    Span::styled(format!("  {}. {}", i + 1, c.text), style),
                    mark,
                ]));
                if chosen.is_some() {
                    v.push(Line::from(Span::styled(format!("     {}", c.explain), dim)));
                }
            }
            v.push(Line::from(""));
            v.push(Line::from(Span::styled(
                if step.kind == Kind::Flame {
                    "f: open the flamegraph · 1–9: answer"
                } else {
                    "1–9: answer"
                },
                dim,
            )));
            v
        }
        Kind::Predict => {
            let mut v = vec![Line::from(vec![
                Span::styled("your prediction: ", dim),
                Span::styled(
                    format!("{}{}x", ls.input, if ls.typing { "▏" } else { "" }),
                    theme.title(),
                ),
            ])];
            match ls.feedback {
                Some(Feedback::Measuring { predicted }) => v.push(Line::from(format!(
                    "predicted {predicted}x: measuring on this machine…"
                ))),
                Some(Feedback::Scored {
                    predicted,
                    measured,
                    scored,
                }) => {
                    let off = (predicted / measured).max(measured / predicted);
                    v.push(Line::from(vec![
                        Span::raw(format!(
                            "predicted {predicted:.2}x · measured {measured:.2}x · "
                        )),
                        if scored {
                            Span::styled(format!("within {}x ✓", step.within.unwrap_or(2.0)), good)
                        } else {
                            Span::styled(format!("off by {off:.1}x ✗"), bad)
                        },
                    ]));
                }
                _ => {}
            }
            v.push(Line::from(Span::styled(
                if ls.typing {
                    "type a number, Enter to submit, Esc to stop typing"
                } else {
                    "Enter: type your prediction · h: a hint"
                },
                dim,
            )));
            v
        }
        Kind::Explain => {
            let words = ls.input.split_whitespace().count();
            let mut v = vec![Line::from(Span::styled(
                format!("{}{}", ls.input, if ls.typing { "▏" } else { "" }),
                theme.title(),
            ))];
            v.push(Line::from(Span::styled(
                format!(
                    "{words} words (at least {}) · {}",
                    step.min_words.unwrap_or(1),
                    if ls.typing {
                        "Enter saves, Esc stops typing"
                    } else if ls.feedback == Some(Feedback::Saved) {
                        "saved ✓ (Enter edits it)"
                    } else {
                        "Enter: start typing"
                    }
                ),
                dim,
            )));
            v
        }
        Kind::Bytecode => bytecode_body(ls, step, theme, col_w),
        Kind::Concurrency => concurrency_body(ls, theme),
        Kind::Notes => vec![Line::from(Span::styled(
            format!(
                "Enter writes the speedup table to {} (as m does on the ladder screen)",
                m.notes_path.display()
            ),
            dim,
        ))],
    }
}

fn bytecode_body(
    ls: &LessonsState,
    step: &Step,
    theme: &Theme,
    col_w: usize,
) -> Vec<Line<'static>> {
    let pair = step.pair.clone().unwrap_or_default();
    let dim = theme.dim();
    let Some((loaded, why)) = ls.bytecode.get(&pair) else {
        return vec![Line::from(Span::styled(
            "running python3 for the bytecode and timings…",
            dim,
        ))];
    };
    let Some(b) = loaded else {
        return vec![Line::from(Span::styled(
            format!("no bytecode: {}", why.clone().unwrap_or_default()),
            Style::default().fg(theme.bad),
        ))];
    };
    let mut v = vec![match &b.recorded_on {
        Some(r) => Line::from(Span::styled(
            format!(
                "RECORDED, not measured here ({}): {r}",
                why.clone().unwrap_or_default()
            ),
            Style::default().fg(theme.warn),
        )),
        None => Line::from(Span::styled(
            format!("Python {}, measured live on this machine", b.python),
            dim,
        )),
    }];
    // Side by side: source then bytecode, in two columns.
    let w = col_w.max(20);
    let col = |s: &str, dis: &str| -> Vec<String> {
        s.lines()
            .map(ToString::to_string)
            .chain(std::iter::once(String::new()))
            .chain(dis.lines().map(ToString::to_string))
            .collect()
    };
    let (a, bb) = (col(&b.a_src, &b.a_dis), col(&b.b_src, &b.b_dis));
    for i in 0..a.len().max(bb.len()) {
        let l = a.get(i).map_or("", String::as_str);
        let r = bb.get(i).map_or("", String::as_str);
        let l: String = l.chars().take(w - 1).collect();
        let r: String = r.chars().take(w - 1).collect();
        v.push(Line::from(vec![
            Span::styled(format!("{l:<w$}"), Style::default().fg(theme.accent)),
            Span::styled(r, Style::default().fg(theme.good)),
        ]));
    }
    v.push(Line::from(""));
    v.push(Line::from(Span::styled(
        "↑↓ scroll · Enter: next (the timings come with the prediction)",
        dim,
    )));
    v
}

fn concurrency_body(ls: &LessonsState, theme: &Theme) -> Vec<Line<'static>> {
    // Column widths: the table and the longest choice ("Sequential is fine") fit in 76
    // columns, the text panel's width in an 80-column terminal. Each time has a space before
    // it, so even a long one ("20 min 34 s") never runs into the next.
    const NAME: usize = 9;
    const CELL: usize = 10;
    let dim = theme.dim();
    if ls.measuring_concurrency {
        return vec![Line::from(Span::styled(
            "measuring with python3 (about half a minute)…",
            dim,
        ))];
    }
    let Some(r) = &ls.concurrency else {
        return vec![Line::from(Span::styled("Enter: measure", dim))];
    };
    let c = match r {
        Ok(c) => c,
        Err(e) => {
            return vec![Line::from(Span::styled(
                format!("could not measure: {e}"),
                Style::default().fg(theme.bad),
            ))];
        }
    };
    // The learner's choices, by workload (steps named <workload>-choice).
    let lesson = ls.lesson();
    let choice_of = |w: &str| -> String {
        lesson
            .and_then(|l| {
                let s = l.steps.iter().find(|s| s.id == format!("{w}-choice"))?;
                let a = ls.progress.lesson(&l.id)?.answers.get(&s.id)?;
                Some(s.choices.get(a.choice?)?.text.clone())
            })
            .unwrap_or_else(|| "-".into())
    };
    let ways = ["sequential", "threads", "processes", "asyncio"];
    let mut v = vec![Line::from(Span::styled(
        format!(
            "Python {}{} · {} cores",
            c.python,
            if c.free_threaded {
                " (free-threaded)"
            } else {
                ""
            },
            c.cores.unwrap_or(0)
        ),
        dim,
    ))];
    v.push(Line::from(Span::styled(
        format!(
            "{:<NAME$} {:>CELL$} {:>CELL$} {:>CELL$} {:>CELL$}  your choice",
            "workload", ways[0], ways[1], ways[2], ways[3]
        ),
        theme.title(),
    )));
    for w in ["cpu", "numpy", "io", "shared"] {
        let row = c.results.get(w);
        let best = row.and_then(|r| {
            r.iter()
                .min_by(|a, b| a.1.total_cmp(b.1))
                .map(|(k, _)| k.clone())
        });
        let mut spans = vec![Span::raw(format!("{w:<NAME$}"))];
        for way in ways {
            let cell = row
                .and_then(|r| r.get(way))
                .map_or("-".to_string(), |t| crate::report::human_seconds(*t));
            let style = if best.as_deref() == Some(way) {
                Style::default().fg(theme.good)
            } else {
                theme.base()
            };
            spans.push(Span::styled(format!(" {cell:>CELL$}"), style));
        }
        spans.push(Span::styled(format!("  {}", choice_of(w)), dim));
        v.push(Line::from(spans));
    }
    let cells = |vals: [Option<f64>; 4]| -> Vec<Span<'static>> {
        let best = vals.iter().flatten().copied().fold(f64::INFINITY, f64::min);
        vals.iter()
            .map(|t| match t {
                Some(t) => Span::styled(
                    format!(" {:>CELL$}", crate::report::human_seconds(*t)),
                    if (*t - best).abs() < 1e-12 {
                        Style::default().fg(theme.good)
                    } else {
                        theme.base()
                    },
                ),
                None => Span::raw(format!(" {:>CELL$}", "-")),
            })
            .collect()
    };
    match &c.free {
        Some(ft) => {
            if let Some(r) = ft.results.get("cpu") {
                let mut spans = vec![Span::raw(format!("{:<NAME$}", "cpu (t)"))];
                spans.extend(cells(ways.map(|w| r.get(w).copied())));
                spans.push(Span::styled(
                    format!("  free-threaded Python {}", ft.python),
                    dim,
                ));
                v.push(Line::from(spans));
            }
        }
        None if !c.free_threaded => v.push(Line::from(Span::styled(
            "no free-threaded Python on PATH (python3.13t or later would run the cpu row's threads in parallel)",
            dim,
        ))),
        None => {}
    }
    if let Some(r) = &c.rust {
        let mut spans = vec![Span::raw(format!("{:<NAME$}", "rust"))];
        spans.extend(cells([
            Some(r.sequential),
            Some(r.threads),
            r.processes,
            None,
        ]));
        spans.push(Span::styled(format!("  n = {}, no GIL", r.n), dim));
        v.push(Line::from(spans));
    }
    v
}
