//! The concurrency lesson's measured table: each workload's median time every way, the
//! fastest and slowest round beneath it, what each timing includes, and the learner's choice
//! checked against the numbers. Shown whole on the measuring step, one workload's row on the
//! steps that discuss it; and the measurement arriving.

use std::fmt::Write as _;

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

use super::{LessonsState, wrapped};
use crate::lessons::Kind;
use crate::lessons::Step;
use crate::lessons::progress::Measured;
use crate::lessons::python::{Concurrency, Verdict, WORKLOADS};
use crate::report::human_seconds;
use crate::tui::message::Command;
use crate::tui::theme::Theme;

// Column widths: the table and the longest verdict fit in 76 columns, the text panel's width
// in an 80-column terminal. Each cell has a space before it, so even a long one ("20 min 34
// s") never runs into the next.
const NAME: usize = 9;
const CELL: usize = 10;
const WAYS: [&str; 4] = ["sequential", "threads", "processes", "asyncio"];

/// `lo–hi` in one unit, at most [`CELL`] wide: "480–510 ms", "0.98–1.1 s".
#[must_use]
pub fn range_cell(lo: f64, hi: f64) -> String {
    let (scale, unit) = if hi >= 1.0 {
        (1.0, "s")
    } else if hi >= 1e-3 {
        (1e3, "ms")
    } else {
        (1e6, "µs")
    };
    // Three significant digits where they fit ("1.01–1.02s"), fewer where they do not.
    for less in 0..3 {
        let num = |v: f64| {
            let v = v * scale;
            let digits: usize = if v >= 100.0 {
                0
            } else if v >= 10.0 {
                1
            } else {
                2
            };
            format!("{v:.*}", digits.saturating_sub(less))
        };
        let (a, b) = (num(lo), num(hi));
        for text in [format!("{a}–{b} {unit}"), format!("{a}–{b}{unit}")] {
            if text.chars().count() <= CELL {
                return text;
            }
        }
    }
    "-".into()
}

/// The measured table, if there is one.
fn measured(ls: &LessonsState) -> Option<&Concurrency> {
    ls.concurrency.as_ref()?.as_ref().ok()
}

/// The step of the open lesson that asks for a choice on `workload`.
fn choice_step<'a>(ls: &'a LessonsState, workload: &str) -> Option<&'a Step> {
    ls.lesson()?
        .steps
        .iter()
        .find(|s| s.workload.as_deref() == Some(workload) && s.kind == crate::lessons::Kind::Choice)
}

/// The learner's first pick on `workload`'s choice step, checked against the table: "✓ way"
/// when that way measured fastest here (within the noise), "✗ way" when it did not.
fn choice_cell(ls: &LessonsState, workload: &str) -> String {
    let Some(step) = choice_step(ls, workload) else {
        return "-".into();
    };
    let Some(first) = ls.attempts(step).iter().find_map(|a| a.choice) else {
        return "-".into();
    };
    let Some(c) = step.choices.get(first) else {
        return "-".into();
    };
    let label = c.way.clone().unwrap_or_else(|| {
        let t = c.text.split([':', ',']).next().unwrap_or(&c.text);
        t.chars().take(17).collect()
    });
    let mark = if ls.accepted(step, first) {
        "✓"
    } else {
        "✗"
    };
    format!("{mark} {label}")
}

/// Whether the machine was busy with other work when measured: a load of about the cores
/// leaves the parallel ways no free core to win with.
fn busy(c: &Concurrency) -> Option<f64> {
    let cores = c.cores? as f64;
    c.load.filter(|&l| l >= cores - 0.5)
}

/// The first lines: the Python, the cores and their load, the rounds; `again` ends the
/// warning of a busy machine.
fn header(c: &Concurrency, theme: &Theme, width: usize, again: &str) -> Vec<Line<'static>> {
    let mut text = format!(
        "Python {}{}{} · {} cores",
        c.python,
        c.executable
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default(),
        if c.free_threaded {
            " (free-threaded)"
        } else {
            ""
        },
        c.cores.unwrap_or(0)
    );
    if let Some(l) = c.load {
        let _ = write!(text, " · load {l:.1}");
    }
    let _ = match c.rounds {
        Some(n) => write!(text, " · median of {n} rounds (range below)"),
        None => write!(text, " · each way run once (an earlier version's table)"),
    };
    let mut v = wrapped(&text, "", 0, width, theme.dim());
    if let Some(l) = busy(c) {
        v.extend(wrapped(
            &format!(
                "busy: load {l:.1} on {} cores left the parallel ways no free core{again}",
                c.cores.unwrap_or(0)
            ),
            "",
            0,
            width,
            Style::default().fg(theme.warn),
        ));
    }
    v
}

fn column_header(theme: &Theme) -> Line<'static> {
    Line::from(Span::styled(
        format!(
            "{:<NAME$} {:>CELL$} {:>CELL$} {:>CELL$} {:>CELL$}  your choice",
            "workload", WAYS[0], WAYS[1], WAYS[2], WAYS[3]
        ),
        theme.title(),
    ))
}

/// A workload's medians (the fastest within the noise in green) and its spread beneath.
fn rows(
    c: &Concurrency,
    ls: &LessonsState,
    w: &str,
    label: &str,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut top = vec![Span::raw(format!("{label:<NAME$}"))];
    let mut under = vec![Span::raw(" ".repeat(NAME))];
    let mut spread = false;
    for way in WAYS {
        // Threads on a free-threaded main Python are measured, but as `free-threads`.
        let shown = if c.free_threaded && way == "threads" {
            "free-threads"
        } else {
            way
        };
        if let Some(t) = c.timing(w, shown) {
            let style = match c.verdict(w, shown) {
                Verdict::Fastest(_) => Style::default().fg(theme.good).add_modifier(Modifier::BOLD),
                _ => theme.base(),
            };
            top.push(Span::styled(
                format!(" {:>CELL$}", human_seconds(t.median)),
                style,
            ));
            spread |= t.low < t.high;
            under.push(Span::styled(
                format!(" {:>CELL$}", range_cell(t.low, t.high)),
                theme.dim(),
            ));
        } else {
            top.push(Span::raw(format!(" {:>CELL$}", "-")));
            under.push(Span::raw(format!(" {:>CELL$}", "")));
        }
    }
    top.push(Span::styled(
        format!("  {}", choice_cell(ls, w)),
        theme.dim(),
    ));
    let mut v = vec![Line::from(top)];
    if spread {
        v.push(Line::from(under));
    }
    v
}

/// The free-threaded Python's cpu row, or why there is none (in a line when `short`).
fn free_row(c: &Concurrency, theme: &Theme, width: usize, short: bool) -> Vec<Line<'static>> {
    if let Some(e) = &c.free_error {
        return wrapped(&format!("free threads: {e}"), "", 0, width, theme.dim());
    }
    match &c.free {
        Some(ft) if ft.results.contains_key("cpu") => {
            let mut v = wrapped(
                &format!(
                    "cpu, threads on free-threaded Python {} ({}, sys._is_gil_enabled() = \
                     {}):",
                    ft.python,
                    ft.executable.as_deref().unwrap_or("?"),
                    match ft.gil_enabled {
                        Some(true) => "True",
                        Some(false) => "False",
                        None => "absent",
                    }
                ),
                "",
                0,
                width,
                theme.dim(),
            );
            v.extend(rows(ft, &LessonsState::default(), "cpu", "cpu (t)", theme));
            v
        }
        Some(ft) => wrapped(
            &format!(
                "free-threaded Python {} found, but its cpu row could not be measured",
                ft.python
            ),
            "",
            0,
            width,
            theme.dim(),
        ),
        None if !c.free_threaded && short => wrapped(
            "free threads: not measured (no python3.13t or python3.14t on PATH, no \
             LADDER_PYTHON_FT): uv python install 3.14t",
            "",
            0,
            width,
            theme.dim(),
        ),
        None if !c.free_threaded => wrapped(
            &format!(
                "free threads: not measured, no free-threaded Python on PATH (python3.13t, \
                 python3.14t) or in LADDER_PYTHON_FT. To get one: {}. On one, the cpu row's \
                 threads would run on every core, sharing memory, with no processes to start.",
                crate::lessons::python::GET_FREE_THREADED
            ),
            "",
            0,
            width,
            theme.dim(),
        ),
        None => vec![],
    }
}

/// What a workload is and what its timings include, in the script's words.
fn about(c: &Concurrency, w: &str, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    c.about
        .get(w)
        .map(|a| wrapped(a, &format!("{w}: "), 2, width, theme.dim()))
        .unwrap_or_default()
}

/// When the usual answer measured slower here: said, so a right reading is not marked wrong.
fn disagreement(
    ls: &LessonsState,
    c: &Concurrency,
    w: &str,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let Some(step) = choice_step(ls, w).filter(|s| ls.passed(s)) else {
        return vec![];
    };
    let usual: Vec<&str> = step
        .choices
        .iter()
        .filter(|ch| ch.correct)
        .filter_map(|ch| ch.way.as_deref())
        .filter(|way| c.timing(w, way).is_some())
        .collect();
    let Some(&slow) = usual
        .iter()
        .find(|way| matches!(c.verdict(w, way), Verdict::Slower { .. }))
    else {
        return vec![];
    };
    if usual
        .iter()
        .any(|way| matches!(c.verdict(w, way), Verdict::Fastest(_)))
    {
        return vec![];
    }
    let fastest = c.ranked(w).first().map_or("", |r| r.0);
    wrapped(
        &format!(
            "{w}: the usual answer, {slow}, measured slower here than {fastest}: this table is \
             what your choice is checked against{}",
            if busy(c).is_some() {
                " (the machine was busy)"
            } else {
                ""
            }
        ),
        "",
        2,
        width,
        Style::default().fg(theme.warn),
    )
}

/// The whole table: every workload, the free-threaded and Rust rows, what the timings include.
#[must_use]
pub fn full(ls: &LessonsState, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let Some(c) = measured(ls) else {
        return vec![];
    };
    let mut v = header(c, theme, width, " (Enter measures again)");
    v.push(column_header(theme));
    for w in WORKLOADS {
        if c.results.contains_key(w) {
            v.extend(rows(c, ls, w, w, theme));
        } else if w == "numpy" {
            v.push(Line::from(Span::styled(
                format!("{w:<NAME$} not measured: NumPy is not installed for this python3"),
                theme.dim(),
            )));
        }
    }
    if let Some(r) = &c.rust {
        let cell = |t: Option<f64>, best: bool| match t {
            Some(t) => Span::styled(
                format!(" {:>CELL$}", human_seconds(t)),
                if best {
                    Style::default().fg(theme.good)
                } else {
                    theme.base()
                },
            ),
            None => Span::raw(format!(" {:>CELL$}", "-")),
        };
        let vals = [Some(r.sequential), Some(r.threads), r.processes];
        let best = vals.iter().flatten().copied().fold(f64::INFINITY, f64::min);
        let mut spans = vec![Span::raw(format!("{:<NAME$}", "rust"))];
        spans.extend(vals.iter().map(|t| cell(*t, t.is_some_and(|t| t <= best))));
        spans.push(cell(None, false));
        spans.push(Span::styled(format!("  n = {}, no GIL", r.n), theme.dim()));
        v.push(Line::from(spans));
    }
    v.extend(free_row(c, theme, width, false));
    v.push(Line::from(""));
    for w in WORKLOADS {
        v.extend(about(c, w, theme, width));
    }
    if let Some(i) = &c.includes {
        v.extend(wrapped(i, "", 0, width, theme.dim()));
    }
    for w in WORKLOADS {
        v.extend(disagreement(ls, c, w, theme, width));
    }
    v
}

/// One workload's row, for the steps that discuss it: the numbers stay in view while the
/// learner chooses and justifies.
#[must_use]
pub fn workload(ls: &LessonsState, w: &str, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut v = if w == "all" {
        full(ls, theme, width)
    } else {
        row_of(ls, w, theme, width)
    };
    if ls.measuring_concurrency {
        v.push(Line::from(Span::styled(
            "measuring again with python3…",
            theme.dim(),
        )));
    } else if let Some(e) = &ls.concurrency_error {
        v.extend(wrapped(
            &format!("measuring again failed ({e}); the table above is the last one"),
            "",
            0,
            width,
            Style::default().fg(theme.bad),
        ));
    }
    v.push(Line::from(""));
    v
}

fn row_of(ls: &LessonsState, w: &str, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let warn = Style::default().fg(theme.warn);
    let Some(c) = measured(ls) else {
        return wrapped(
            "not measured yet: the measuring step (←) takes the numbers this step is judged on",
            "",
            0,
            width,
            warn,
        );
    };
    if !c.results.contains_key(w) {
        return wrapped(
            &format!("{w} was not measured here (see the measuring step)"),
            "",
            0,
            width,
            warn,
        );
    }
    let mut v = header(c, theme, width, "");
    v.push(column_header(theme));
    v.extend(rows(c, ls, w, w, theme));
    if w == "cpu" {
        v.extend(free_row(c, theme, width, true));
    }
    // What the timings include is on the measuring step; here the pools, in the script's words.
    v.extend(about(c, w, theme, width));
    v.extend(disagreement(ls, c, w, theme, width));
    v
}

/// What option `i` of a workload's choice step measured here, in words, beside its
/// explanation: the verdict is the table's, so it says why.
#[must_use]
pub fn option_measured(ls: &LessonsState, step: &Step, i: usize) -> Option<String> {
    let w = step.workload.as_deref()?;
    let way = step.choices.get(i)?.way.as_deref()?;
    let c = measured(ls).filter(|c| c.results.contains_key(w))?;
    Some(match c.verdict(w, way) {
        Verdict::Fastest(t) => format!(
            "Measured here: {way} {}, the fastest (within the noise).",
            human_seconds(t.median)
        ),
        Verdict::Slower {
            timing,
            fastest,
            best,
        } => format!(
            "Measured here: {way} {}, {:.1}x slower than {fastest} ({}).",
            human_seconds(timing.median),
            timing.median / best.median,
            human_seconds(best.median)
        ),
        Verdict::NotMeasured if way == "free-threads" => {
            "Not measured here: no free-threaded Python on PATH, so the numbers cannot back \
             this choice on this machine."
                .into()
        }
        Verdict::NotMeasured => format!("Not measured here: {way} has no timing in the table."),
    })
}

/// The concurrency measurements arrived: they pass the step that asked for them.
/// The step that asked for them keeps them, even if the learner has moved on meanwhile.
pub fn on_concurrency(ls: &mut LessonsState, r: Result<Concurrency, String>) -> Vec<Command> {
    ls.measuring_concurrency = false;
    let asked = ls
        .answered("concurrency")
        .map(|(ids, _)| ids)
        .filter(|(lid, sid)| {
            ls.step_of(lid, sid)
                .is_some_and(|s| s.kind == Kind::Concurrency)
        });
    let mut save = false;
    // Kept with the progress: the table is shown again when the step is reopened.
    if let (Ok(c), Some((lid, sid))) = (&r, &asked) {
        let table = Box::new(c.clone());
        ls.measured_and_passed(lid, sid, Measured::Concurrency { table });
        save = true;
    }
    // A failed re-measurement keeps the table the choices were judged on.
    if r.is_ok() || !matches!(ls.concurrency, Some(Ok(_))) {
        ls.concurrency = Some(r);
    } else if let Err(e) = r {
        ls.concurrency_error = Some(e);
    }
    if save { ls.save_progress() } else { vec![] }
}

/// The measuring step: its progress, then the whole table.
pub(super) fn concurrency_body(
    ls: &LessonsState,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let dim = theme.dim();
    let mut v = Vec::new();
    if ls.measuring_concurrency {
        v.push(Line::from(Span::styled(
            "measuring with python3 (about half a minute)…",
            dim,
        )));
    }
    match &ls.concurrency {
        None if !ls.measuring_concurrency => {
            v.push(Line::from(Span::styled("Enter: measure", dim)));
        }
        Some(Err(e)) => v.extend(wrapped(
            &format!("could not measure: {e}"),
            "",
            0,
            width,
            Style::default().fg(theme.bad),
        )),
        Some(Ok(_)) => {
            if let Some(e) = &ls.concurrency_error {
                v.extend(wrapped(
                    &format!("measuring again failed ({e}); the table below is the last one"),
                    "",
                    0,
                    width,
                    Style::default().fg(theme.bad),
                ));
            }
            v.extend(super::table::full(ls, theme, width));
            if !ls.measuring_concurrency {
                v.push(Line::from(Span::styled(
                    "Enter: measure again · → next: choose with these numbers",
                    dim,
                )));
            }
        }
        None => {}
    }
    v
}

/// The table as `ladder learn --show` prints it for step `sid` of lesson `lid`: the whole table
/// on the measuring step, the workload's row on a step about one, from the table saved with
/// `progress`. `None` when the step shows no table; `Err` says how to measure one.
#[must_use]
pub fn plain(
    lessons: Vec<crate::lessons::Lesson>,
    progress: crate::lessons::progress::Progress,
    lid: &str,
    sid: &str,
    width: usize,
) -> Option<Result<String, String>> {
    let open = lessons.iter().position(|l| l.id == lid)?;
    let step = lessons[open].steps.iter().position(|s| s.id == sid)?;
    let s = &lessons[open].steps[step];
    let shows = match (s.kind, s.workload.clone()) {
        (Kind::Concurrency, _) => "all".to_string(),
        (_, Some(w)) => w,
        _ => return None,
    };
    let measure = lessons[open]
        .steps
        .iter()
        .find(|s| s.kind == Kind::Concurrency)
        .map_or_else(
            || "its measuring step".into(),
            |s| format!("step '{}'", s.id),
        );
    let mut ls = LessonsState::new(lessons, progress, None);
    ls.open = Some(open);
    ls.step = step;
    ls.concurrency = super::keys::saved_concurrency(&ls).map(Ok);
    if ls.concurrency.is_none() {
        return Some(Err(format!(
            "no table measured yet: open the lesson in the app (ladder learn) and measure on \
             {measure}; the table is kept with your progress"
        )));
    }
    let lines = workload(&ls, &shows, &Theme::DARK, width);
    let text = lines.iter().fold(String::new(), |mut acc, line| {
        let s: String = line.spans.iter().map(|sp| sp.content.as_ref()).collect();
        let _ = writeln!(acc, "{}", s.trim_end());
        acc
    });
    Some(Ok(text))
}
