//! The Lessons screen's answers: choices, predictions scored against measurements, written
//! explanations, and what arrives for them from the event loop (finished runs, bytecode,
//! concurrency timings, the notes file).

use crossterm::event::{KeyCode, KeyEvent};

use super::{Feedback, LessonsState};
use crate::lessons::progress::Answer;
use crate::lessons::python::{Bytecode, Concurrency};
use crate::lessons::{Kind, Measure, Step, scores};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice};

/// A choice picked (1–9): right passes the step, wrong shows why.
pub(super) fn choose(
    ls: &mut LessonsState,
    m: &mut Model,
    step: &Step,
    index: usize,
) -> Vec<Command> {
    let Some(choice) = step.choices.get(index) else {
        return vec![];
    };
    let correct = choice.correct;
    ls.record(Answer {
        choice: Some(index),
        correct: Some(correct),
        ..Answer::default()
    });
    ls.feedback = Some(Feedback::Chose { index, correct });
    if correct {
        m.notice = Some(Notice::Info("right: → for the next step".into()));
        ls.pass_current()
    } else {
        m.notice = Some(Notice::Error(
            "not quite: read the explanations and try another".into(),
        ));
        ls.save_progress()
    }
}

/// Keys while an answer is typed: they all go into it, Enter submits.
pub(super) fn on_answer_key(ls: &mut LessonsState, m: &mut Model, key: KeyEvent) -> Vec<Command> {
    let Some(step) = ls.current().cloned() else {
        return vec![];
    };
    match key.code {
        KeyCode::Esc => {
            ls.typing = false;
            vec![]
        }
        KeyCode::Backspace => {
            ls.input.pop();
            vec![]
        }
        KeyCode::Char(c) => {
            if step.kind != Kind::Predict || c.is_ascii_digit() || c == '.' {
                ls.input.push(c);
            }
            vec![]
        }
        KeyCode::Enter => match step.kind {
            Kind::Predict => submit_prediction(ls, m, &step),
            _ => submit_explanation(ls, m, &step),
        },
        _ => vec![],
    }
}

fn submit_explanation(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    let words = ls.input.split_whitespace().count();
    let min = step.min_words.unwrap_or(1);
    if words < min {
        m.notice = Some(Notice::Error(format!(
            "{words} words: write at least {min} (a real justification, in your words)"
        )));
        return vec![];
    }
    ls.typing = false;
    let text = ls.input.trim().to_string();
    ls.record(Answer {
        text: Some(text),
        ..Answer::default()
    });
    ls.feedback = Some(Feedback::Saved);
    m.notice = Some(Notice::Info("saved: → for the next step".into()));
    ls.pass_current()
}

fn submit_prediction(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    let Some(predicted) = ls
        .input
        .parse::<f64>()
        .ok()
        .filter(|v| *v > 0.0 && v.is_finite())
    else {
        m.notice = Some(Notice::Error(
            "type a number above 0, like 4 or 2.5, then Enter".into(),
        ));
        return vec![];
    };
    ls.typing = false;
    ls.feedback = Some(Feedback::Measuring { predicted });
    ls.record(Answer {
        predicted: Some(predicted),
        ..Answer::default()
    });
    let mut cmds = ls.save_progress();
    cmds.extend(try_measure(ls, m, step));
    cmds
}

/// Scores the current prediction when its measurement is available, else starts taking it.
fn try_measure(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    let Some(Feedback::Measuring { predicted }) = ls.feedback else {
        return vec![];
    };
    match step.measure() {
        Some(Measure::Speedup { before, after }) => {
            let time = |id: &str| {
                m.rung_index(id)
                    .and_then(|i| m.rows[i].report.as_ref())
                    .filter(|r| r.has_time() && r.verified())
                    .map(|r| r.estimated_s)
            };
            match (time(&before), time(&after)) {
                (Some(a), Some(b)) => score(ls, m, step, predicted, a / b),
                (None, _) => run_for_measure(m, &before),
                (_, None) => run_for_measure(m, &after),
            }
        }
        Some(Measure::Python(pair)) => match ls.bytecode.get(&pair) {
            Some((Some(b), _)) => {
                let ratio = b.ratio;
                score(ls, m, step, predicted, ratio)
            }
            _ => vec![Command::LoadBytecode(pair)],
        },
        None => vec![],
    }
}

fn run_for_measure(m: &mut Model, rung: &str) -> Vec<Command> {
    let Some(i) = m.rung_index(rung) else {
        return vec![];
    };
    let cmds = m.climb_to(i);
    if m.running() {
        m.notice = Some(Notice::Info(format!("measuring: running up to {rung}…")));
    }
    cmds
}

fn score(
    ls: &mut LessonsState,
    m: &mut Model,
    step: &Step,
    predicted: f64,
    measured: f64,
) -> Vec<Command> {
    let scored = scores(predicted, measured, step.within.unwrap_or(2.0));
    ls.feedback = Some(Feedback::Scored {
        predicted,
        measured,
        scored,
    });
    ls.record(Answer {
        predicted: Some(predicted),
        measured: Some(measured),
        scored: Some(scored),
        ..Answer::default()
    });
    m.notice = Some(if scored {
        Notice::Info(format!(
            "within {}x of the measurement: well predicted. → for the next step",
            step.within.unwrap_or(2.0)
        ))
    } else {
        Notice::Info("outside the tolerance: see why below. → for the next step".into())
    });
    ls.pass_current()
}

/// A rung finished while the Lessons screen is in front (called from `update`): counts
/// verified runs of a run step, and completes a measurement a prediction was waiting for.
pub fn on_finished(
    ls: &mut LessonsState,
    m: &mut Model,
    rung: &str,
    verified: bool,
) -> Vec<Command> {
    let Some(step) = ls.current().cloned() else {
        return vec![];
    };
    match step.kind {
        Kind::Run if step.rung.as_deref() == Some(rung) && verified => {
            ls.runs += 1;
            let want = step.times.unwrap_or(1);
            if ls.runs >= want {
                m.notice = Some(Notice::Info("done: → for the next step".into()));
                ls.pass_current()
            } else {
                m.notice = Some(Notice::Info(format!(
                    "run {} of {want}: Enter runs it again",
                    ls.runs
                )));
                vec![]
            }
        }
        Kind::Predict => try_measure(ls, m, &step),
        _ => vec![],
    }
}

/// A bytecode pair arrived: a prediction waiting for its ratio is scored.
pub fn on_bytecode(
    ls: &mut LessonsState,
    m: &mut Model,
    pair: String,
    loaded: (Option<Bytecode>, Option<String>),
) -> Vec<Command> {
    ls.bytecode.insert(pair, loaded);
    match ls.current().cloned() {
        Some(step) if step.kind == Kind::Predict => try_measure(ls, m, &step),
        _ => vec![],
    }
}

/// The concurrency measurements arrived: they pass the step that asked for them.
pub fn on_concurrency(ls: &mut LessonsState, r: Result<Concurrency, String>) -> Vec<Command> {
    ls.measuring_concurrency = false;
    let ok = r.is_ok();
    ls.concurrency = Some(r);
    match ls.current() {
        Some(s) if s.kind == Kind::Concurrency && ok => ls.pass_current(),
        _ => vec![],
    }
}

/// NOTES.md was written while the Lessons screen is in front (called from `update`): passes
/// a notes step.
pub fn on_exported(ls: &mut LessonsState) -> Vec<Command> {
    match ls.current() {
        Some(s) if s.kind == Kind::Notes => ls.pass_current(),
        _ => vec![],
    }
}
