//! The body of a lesson's step, by kind: what to do, the choices, the prediction and its
//! score, the bytecode side by side.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::{Feedback, LessonsState, wrapped};
use crate::lessons::python::Bytecode;
use crate::lessons::{Kind, Measure, Step};
use crate::tui::model::{Model, Status};
use crate::tui::theme::Theme;

/// What the step shows below its text.
pub fn step_body(
    ls: &LessonsState,
    m: &Model,
    step: &Step,
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    let dim = theme.dim();
    match step.kind {
        Kind::Read => {
            let mut v = with_table(ls, step, theme, width);
            v.push(Line::from(Span::styled("Enter: next", dim)));
            v
        }
        Kind::Run if step.program.is_some() => super::leak::program_body(ls, step, theme, width),
        Kind::Run => {
            let id = step.rung.clone().unwrap_or_default();
            let row = m.rows.iter().find(|r| r.info.id == id);
            let status = row.map_or("?".to_string(), |r| match &r.status {
                Status::Locked => "locked: run the rung before it first (climb in order)".into(),
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
            let rss = run_rss(ls, step);
            if let Some(rep) = row.and_then(|r| r.report.as_ref()).filter(|r| r.has_time()) {
                // The run's sampled peak can miss its last moments; the RSS measured at its end
                // is a floor for it. Both leave out the profiler's tables, as the results
                // table's peak RSS does, so the two screens give one figure: in the results'
                // unit, but for a step that watches memory run after run (the leak lesson's),
                // whose lines below and prediction count in MB.
                let at_end = rss.last().and_then(|r| r.1).or_else(|| m.rss.last());
                // A peer's peak is its own process's, which this one's RSS says nothing of.
                let at_end = at_end
                    .filter(|_| rep.peer.is_none())
                    .map_or(0, |b| b.saturating_sub(crate::run::profiler_resident()));
                let peak = rep.peak_rss_bytes.max(at_end);
                v.push(Line::from(Span::styled(
                    format!(
                        "last run: {} · {} · peak RSS {}",
                        crate::report::time_cell(rep),
                        crate::report::verified_cell(rep),
                        if want > 1 {
                            crate::lessons::leak::human_mb(peak)
                        } else {
                            crate::workload::human_bytes(peak)
                        }
                    ),
                    dim,
                )));
            }
            // Memory run after run is what a step that asks for several runs watches; one run
            // of another lesson has no growth to read.
            if want > 1 {
                v.extend(rss_growth(&rss, theme, width));
            }
            v.push(Line::from(Span::styled(
                "Enter: run it · Esc cancels a run",
                dim,
            )));
            v
        }
        Kind::Flame | Kind::Choice => {
            let mut v = with_table(ls, step, theme, width);
            if let Some(Ok(run)) = step.program.as_ref().and_then(|p| ls.leak.get(p))
                && let Some(h) = &run.html
            {
                v.extend(wrapped(
                    &format!(
                        "f: the flamegraph here · memray's own (--leaks) is {}",
                        h.display()
                    ),
                    "",
                    2,
                    width,
                    theme.dim(),
                ));
            }
            v.extend(choices_body(ls, step, theme, width));
            v
        }
        Kind::Predict => predict_body(ls, step, theme, width, m.running()),
        Kind::Explain => {
            let words = ls.input.split_whitespace().count();
            let mut v = with_table(ls, step, theme, width);
            v.extend(wrapped(
                &format!("{}{}", ls.input, if ls.typing { "▏" } else { "" }),
                "",
                0,
                width,
                theme.title(),
            ));
            v.push(Line::from(Span::styled(
                format!(
                    "{words} words (at least {}) · {}",
                    step.min_words.unwrap_or(1),
                    if ls.typing {
                        "Enter saves, Esc stops typing"
                    } else if step.workload.is_some() && ls.feedback != Some(Feedback::Saved) {
                        "Enter: start typing · m: measure again"
                    } else if ls.feedback == Some(Feedback::Saved) {
                        "saved for review: your instructor reads it (Enter edits it)"
                    } else {
                        "Enter: start typing"
                    }
                ),
                dim,
            )));
            v
        }
        Kind::Bytecode => bytecode_body(ls, step, theme, width),
        Kind::Concurrency => super::table::concurrency_body(ls, theme, width),
        Kind::Profilers => super::profilers::body(ls, theme, width),
        Kind::Notes => vec![Line::from(Span::styled(
            format!(
                "Enter writes the speedup table to {} (as m does on the ladder screen)",
                m.notes_path.display()
            ),
            dim,
        ))],
    }
}

/// RSS (before, after) of the run step's runs, oldest first: those of this visit to the step,
/// else its last `times`.
fn run_rss(ls: &LessonsState, step: &Step) -> Vec<(Option<u64>, Option<u64>)> {
    use crate::lessons::progress::Measured;
    let Some(l) = ls.lesson().and_then(|l| ls.progress.lesson(&l.id)) else {
        return vec![];
    };
    let all: Vec<_> = l
        .measurements
        .iter()
        .filter(|x| x.step == step.id)
        .filter_map(|x| match x.what {
            Measured::Run {
                rss_before,
                rss_after,
                ..
            } => Some((rss_before, rss_after)),
            _ => None,
        })
        .collect();
    let keep = if ls.runs > 0 {
        ls.runs as usize
    } else {
        step.times.unwrap_or(1) as usize
    };
    all[all.len().saturating_sub(keep)..].to_vec()
}

/// The RSS after each run, and what it says: the first run's jump (a one-off: the data and
/// caches it first touches) apart from the growth of each run after it (a leak's signature).
fn rss_growth(
    runs: &[(Option<u64>, Option<u64>)],
    theme: &Theme,
    width: usize,
) -> Vec<Line<'static>> {
    // Lessons count memory in MB, the unit the leak lesson's prediction is typed in.
    use crate::lessons::leak::human_mb;
    let signed = |d: i64| {
        format!(
            "{}{}",
            if d < 0 { "-" } else { "+" },
            human_mb(d.unsigned_abs())
        )
    };
    let after: Vec<u64> = runs.iter().filter_map(|r| r.1).collect();
    if after.len() != runs.len() || after.is_empty() {
        return vec![];
    }
    let list: Vec<String> = after.iter().map(|&b| human_mb(b)).collect();
    let mut v = wrapped(
        &format!("RSS after each run: {}", list.join(", ")),
        "",
        2,
        width,
        theme.base(),
    );
    if let Some(before) = runs[0].0 {
        v.extend(wrapped(
            &format!(
                "run 1: {}, a one-off (the data and caches it touches first)",
                signed(after[0].cast_signed() - before.cast_signed())
            ),
            "  ",
            4,
            width,
            theme.base(),
        ));
    }
    let steps: Vec<i64> = after
        .windows(2)
        .map(|w| w[1].cast_signed() - w[0].cast_signed())
        .collect();
    if !steps.is_empty() {
        let mut sorted = steps.clone();
        sorted.sort_unstable();
        // The median; of an even count, the middle two's mean (of two steps, not the larger).
        let mid = sorted.len() / 2;
        let per_run = if sorted.len().is_multiple_of(2) {
            i64::midpoint(sorted[mid - 1], sorted[mid])
        } else {
            sorted[mid]
        };
        let each: Vec<String> = steps.iter().map(|&d| signed(d)).collect();
        v.extend(wrapped(
            &format!(
                "runs 2–{}: {}: {} per run, what each run leaves behind",
                after.len(),
                each.join(", "),
                signed(per_run)
            ),
            "  ",
            4,
            width,
            Style::default().fg(theme.warn),
        ));
    }
    v
}

/// The measured row of the workload the step discusses, if it discusses one.
fn with_table(ls: &LessonsState, step: &Step, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let mut v = super::profilers::shown(ls, step, theme, width);
    if let Some(w) = step.workload.as_deref() {
        v.extend(super::table::workload(ls, w, theme, width));
    }
    v
}

/// A question's options in this learner's order. Before the right one is picked only the
/// wrong picks are marked, each with why it is wrong; after it (or when the answer was asked
/// for), every option with its explanation.
fn choices_body(ls: &LessonsState, step: &Step, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let dim = theme.dim();
    let good = Style::default().fg(theme.good);
    let bad = Style::default().fg(theme.bad);
    let (wrong, right, revealed) = match &ls.feedback {
        Some(Feedback::Chose {
            wrong,
            right,
            revealed,
        }) => (wrong.clone(), *right, *revealed),
        _ => (Vec::new(), None, false),
    };
    let all = right.is_some() || revealed;
    let mut v = Vec::new();
    for (k, &i) in ls.order(step).iter().enumerate() {
        let Some(c) = step.choices.get(i) else {
            continue;
        };
        let picked = wrong.contains(&i) || right == Some(i);
        let style = if picked { theme.title() } else { theme.base() };
        let mut lines = wrapped(&c.text, &format!("  {}. ", k + 1), 5, width, style);
        let mark = if (all && ls.accepted(step, i)) || right == Some(i) {
            Some(Span::styled(" ✓", good))
        } else if all || wrong.contains(&i) {
            Some(Span::styled(" ✗", bad))
        } else if ls.feedback == Some(Feedback::Predicted(i)) {
            Some(Span::styled(" ← your prediction", theme.title()))
        } else {
            None
        };
        if let (Some(mark), Some(last)) = (mark, lines.last_mut()) {
            last.spans.push(mark);
        }
        v.extend(lines);
        if all || wrong.contains(&i) {
            v.extend(wrapped(&c.explain, "     ", 5, width, dim));
            if let Some(m) = super::table::option_measured(ls, step, i)
                .or_else(|| super::profilers::option_measured(ls, step, i))
            {
                v.extend(wrapped(&m, "     ", 5, width, theme.base()));
            }
        }
    }
    v.push(Line::from(""));
    let predicted = matches!(ls.feedback, Some(Feedback::Predicted(_)));
    let keys = match (all, step.kind == Kind::Flame) {
        _ if step.overhead.is_some() && predicted => "→: next step · r: predict again".into(),
        _ if step.overhead.is_some() && ls.profilers.is_none() => {
            format!(
                "1–{}: predict (the measurement judges it)",
                step.choices.len()
            )
        }
        (true, _) => "→: next step · r: answer it again".to_string(),
        (false, flame) => format!(
            "{}1–{}: answer · a: show the answer (recorded as shown){}",
            if flame {
                "f: open the flamegraph · "
            } else {
                ""
            },
            step.choices.len(),
            if step.workload.is_some() {
                " · m: measure again"
            } else {
                ""
            }
        ),
    };
    v.extend(wrapped(&keys, "", 0, width, dim));
    v
}

/// The prediction being typed, the scored (first) attempt against its measurement with the
/// two timings, and a practice attempt after it.
fn predict_body(
    ls: &LessonsState,
    step: &Step,
    theme: &Theme,
    width: usize,
    running: bool,
) -> Vec<Line<'static>> {
    let dim = theme.dim();
    let good = Style::default().fg(theme.good);
    let bad = Style::default().fg(theme.bad);
    let within = step.within.unwrap_or(2.0);
    // A leak's prediction is an amount (MB per request); the others are ratios.
    let leak = matches!(step.measure(), Some(Measure::Leak(_)));
    let unit = if leak { " MB" } else { "x" };
    let mut v = vec![Line::from(vec![
        Span::styled("your prediction: ", dim),
        Span::styled(
            format!("{}{}{unit}", ls.input, if ls.typing { "▏" } else { "" }),
            theme.title(),
        ),
    ])];
    let verdict = |label: &str, p: f64, m: f64| -> Line<'static> {
        let ok = if leak {
            crate::lessons::scores_amount(p, m, within)
        } else {
            crate::lessons::scores(p, m, within)
        };
        let why = if leak {
            crate::lessons::off_by(p, m, within)
        } else {
            super::typed::miss_reason(p, m, within)
        };
        Line::from(vec![
            Span::raw(format!(
                "{label}: predicted {p:.2}{unit} · measured {m:.2}{unit} · "
            )),
            if ok {
                Span::styled(format!("within {within}x ✓"), good)
            } else {
                Span::styled(format!("{why} ✗"), bad)
            },
        ])
    };
    let first_measured = ls.attempts(step).iter().find(|a| a.measured.is_some());
    // Made with its measurement on screen: kept, never scored.
    let seen = first_measured.is_some_and(|a| a.unjudged.is_some());
    let first = first_measured.and_then(|a| Some((a.predicted?, a.measured?)));
    if let Some((p, m)) = first.filter(|_| !seen) {
        v.push(verdict("scored (your first)", p, m));
    }
    match ls.feedback {
        Some(Feedback::Measuring { predicted }) if ls.waiting_quiet => v.extend(wrapped(
            &format!(
                "predicted {predicted}{unit}: waiting for a quieter machine (its rungs were \
                 timed while it was busy elsewhere): m times them again"
            ),
            "",
            2,
            width,
            Style::default(),
        )),
        // Nothing running for it (a run cancelled or failed, or another task in the way):
        // `m` is the way on.
        Some(Feedback::Measuring { predicted })
            if !running && matches!(step.measure(), Some(Measure::Speedup { .. })) =>
        {
            v.extend(wrapped(
                &format!("predicted {predicted}{unit}: not measured yet: m measures it"),
                "",
                2,
                width,
                Style::default(),
            ));
        }
        Some(Feedback::Measuring { predicted }) => v.push(Line::from(format!(
            "predicted {predicted}{unit}: measuring on this machine…"
        ))),
        Some(Feedback::Scored {
            predicted,
            measured,
            practice: true,
            ..
        }) => v.push(verdict("practice", predicted, measured)),
        _ => {}
    }
    if let Some(t) = measured_times(ls, step) {
        v.extend(wrapped(&t, "", 2, width, dim));
    }
    let keys = if leak && ls.typing {
        "type a number of MB (like 2.5), Enter to submit, Esc to stop typing"
    } else if leak && first.is_none() {
        "Enter: type your prediction (MB each request leaves behind) · h: a hint"
    } else if ls.typing {
        "type a number (below 1 means slower), Enter to submit, Esc to stop typing"
    } else if ls.waiting_quiet {
        "m: time its rungs again once the machine is quieter · h: a hint"
    } else if matches!(ls.feedback, Some(Feedback::Measuring { .. })) {
        "m: measure it · h: a hint"
    } else if seen {
        "Enter: predict again (practice: the measurement was on screen before) · h: a hint"
    } else if first.is_some() {
        "Enter: predict again as practice (the first stays scored) · h: a hint"
    } else {
        "Enter: type your prediction (how many times faster; below 1 means slower) · h: a hint"
    };
    v.extend(wrapped(keys, "", 0, width, dim));
    // A bytecode pair's listing stays in view while predicting: it is what the prediction
    // is read from.
    if let Some(Measure::Python(pair)) = step.measure() {
        v.push(Line::from(""));
        match ls.bytecode.get(&pair) {
            Some((Some(b), _)) => {
                v.extend(wrapped(
                    "The two versions and their bytecode (↑↓ scroll, while typing too):",
                    "",
                    0,
                    width,
                    dim,
                ));
                v.extend(listing(b, theme, width));
            }
            Some((None, why)) => v.extend(wrapped(
                &format!("no bytecode: {}", why.clone().unwrap_or_default()),
                "",
                0,
                width,
                bad,
            )),
            None => v.push(Line::from(Span::styled(
                "running python3 for the bytecode…",
                dim,
            ))),
        }
    }
    v
}

/// The two timings behind the step's latest measured ratio, in words.
fn measured_times(ls: &LessonsState, step: &Step) -> Option<String> {
    use crate::lessons::progress::Measured;
    use crate::report::human_seconds;
    let l = ls.progress.lesson(&ls.lesson()?.id)?;
    l.measurements
        .iter()
        .rev()
        .filter(|m| m.step == step.id)
        .find_map(|m| match &m.what {
            Measured::Speedup {
                before,
                after,
                before_s,
                after_s,
                before_loaded,
                after_loaded,
                ..
            } => {
                // The run step's `!` carried here: a ratio over a loaded time is not trusted
                // silently.
                let mark = |loaded: bool| if loaded { " !" } else { "" };
                Some(format!(
                    "timed here: {before} {}{}, {after} {}{}{}",
                    human_seconds(*before_s),
                    mark(*before_loaded),
                    human_seconds(*after_s),
                    mark(*after_loaded),
                    if *before_loaded || *after_loaded {
                        " (! measured under load: a quarter of a core or more busy elsewhere, \
                         so the ratio may be off by that much; run both again on an idle \
                         machine before trusting it)"
                    } else {
                        ""
                    }
                ))
            }
            Measured::Bytecode {
                a_s,
                b_s,
                ratio_low,
                ratio_high,
                rounds,
                recorded_on,
                ..
            } => Some(format!(
                "timed{}: first version {:.2} µs per call, second {:.2} µs{} · m: measure again",
                if recorded_on.is_some() {
                    " (recorded elsewhere, no python3 here)"
                } else {
                    " here"
                },
                a_s * 1e6,
                b_s * 1e6,
                match (ratio_low, ratio_high, rounds) {
                    (Some(lo), Some(hi), Some(n)) => format!(
                        " (medians of {n} alternating rounds; the middle half of the ratios \
                         {lo:.2}x–{hi:.2}x)"
                    ),
                    _ => String::new(),
                }
            )),
            Measured::Leak {
                rss_after,
                traced_per_request,
                tool,
                ..
            } => Some(format!(
                "measured here: the process's RSS after each request {} (read from outside); \
                 {tool} traced {:.2} MB left live by each request after the first",
                rss_after
                    .iter()
                    .map(|&b| crate::lessons::leak::human_mb(b))
                    .collect::<Vec<_>>()
                    .join(", "),
                *traced_per_request as f64 / crate::lessons::leak::MB
            )),
            _ => None,
        })
}

fn bytecode_body(
    ls: &LessonsState,
    step: &Step,
    theme: &Theme,
    width: usize,
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
    v.extend(listing(b, theme, width));
    v.push(Line::from(""));
    v.push(Line::from(Span::styled(
        "↑↓ scroll · Enter: next (the timings come with the prediction)",
        dim,
    )));
    v
}

/// The two versions' source and bytecode: side by side when nothing is cut (the arguments are
/// what the learner must read), otherwise one above the other, each line whole.
fn listing(b: &Bytecode, theme: &Theme, width: usize) -> Vec<Line<'static>> {
    let col = |s: &str, dis: &str| -> Vec<String> {
        s.lines()
            .map(ToString::to_string)
            .chain(std::iter::once(String::new()))
            .chain(dis.lines().map(ToString::to_string))
            .collect()
    };
    let (a, bb) = (col(&b.a_src, &b.a_dis), col(&b.b_src, &b.b_dis));
    let longest = a.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let w = width / 2;
    let mut v = Vec::new();
    if longest + 2 > w {
        for (name, lines, colour) in [("first", &a, theme.accent), ("second", &bb, theme.good)] {
            v.push(Line::from(Span::styled(
                format!("── {name} version ──"),
                theme.title(),
            )));
            v.extend(
                lines
                    .iter()
                    .map(|l| Line::from(Span::styled(l.clone(), Style::default().fg(colour)))),
            );
        }
        return v;
    }
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
    v
}
