//! The Lessons screen's answers: choices, predictions (measured and scored in `measure`),
//! written explanations, and what arrives for them from the event loop (finished runs,
//! bytecode, the notes file; a leak program's run is read in `leak`, a bytecode pair's in
//! `bytecode`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::typed::{EXPLANATION_MAX, PREDICTION_MAX, prediction};
use super::{Feedback, LessonsState, measure};
use crate::lessons::leak::LeakRun;
use crate::lessons::progress::{Answer, Measured};
use crate::lessons::python::Bytecode;
use crate::lessons::{Kind, Measure, Step, check_justification};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice};

/// An option picked (by its index in the lesson file; the keys map the shown order to it). A
/// right pick passes the step and shows every option's explanation; a wrong one shows only why
/// that option is wrong, and the learner tries again.
pub(super) fn choose(
    ls: &mut LessonsState,
    m: &mut Model,
    step: &Step,
    index: usize,
) -> Vec<Command> {
    if index >= step.choices.len() {
        m.notice = Some(Notice::Error(format!(
            "there is no option {}: pick 1–{}",
            shown_number(ls, step, index),
            step.choices.len()
        )));
        return vec![];
    }
    if let Some(cmds) = super::profilers::predict(ls, m, step, index) {
        return cmds;
    }
    let mut wrong = match &ls.feedback {
        Some(Feedback::Chose { right: Some(_), .. } | Feedback::Chose { revealed: true, .. }) => {
            m.notice = Some(Notice::Info(
                "already answered: → for the next step (r redoes it)".into(),
            ));
            return vec![];
        }
        Some(Feedback::Chose { wrong, .. }) => wrong.clone(),
        _ => Vec::new(),
    };
    if wrong.contains(&index) {
        m.notice = Some(Notice::Error(
            "you tried that one: why it is wrong is below; pick another".into(),
        ));
        return vec![];
    }
    // Judged against the measured table where the option names a measured way.
    let correct = ls.accepted(step, index);
    ls.record(Answer {
        choice: Some(index),
        correct: Some(correct),
        ..Answer::default()
    });
    if correct {
        ls.feedback = Some(Feedback::Chose {
            wrong,
            right: Some(index),
            revealed: false,
        });
        m.notice = Some(Notice::Info("right: → for the next step".into()));
        ls.pass_current()
    } else {
        wrong.push(index);
        ls.feedback = Some(Feedback::Chose {
            wrong,
            right: None,
            revealed: false,
        });
        m.notice = Some(Notice::Error(
            "not quite: why that one is wrong is below; try another (a shows the answer)".into(),
        ));
        ls.save_progress()
    }
}

/// The number an option is shown with (its index in the lesson file may differ).
fn shown_number(ls: &LessonsState, step: &Step, index: usize) -> usize {
    ls.order(step)
        .iter()
        .position(|&i| i == index)
        .unwrap_or(index)
        + 1
}

/// `a` on a question: the answer is shown, and recorded as shown, not found. The step counts
/// as done so the lesson goes on.
pub(super) fn reveal(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    if step.overhead.is_some() && ls.profilers.is_none() {
        m.notice = Some(Notice::Error(
            "no answer yet: the measurement decides it".into(),
        ));
        return vec![];
    }
    let wrong = match &ls.feedback {
        Some(Feedback::Chose { right: Some(_), .. } | Feedback::Chose { revealed: true, .. }) => {
            return vec![];
        }
        Some(Feedback::Chose { wrong, .. }) => wrong.clone(),
        _ => Vec::new(),
    };
    ls.record(Answer {
        revealed: Some(true),
        ..Answer::default()
    });
    ls.feedback = Some(Feedback::Chose {
        wrong,
        right: None,
        revealed: true,
    });
    let right: Vec<String> = ls
        .order(step)
        .iter()
        .enumerate()
        .filter(|&(_, &i)| ls.accepted(step, i))
        .map(|(k, _)| (k + 1).to_string())
        .collect();
    m.notice = Some(Notice::Info(format!(
        "the answer is {} (recorded as shown, not found): → for the next step",
        right.join(" and ")
    )));
    ls.pass_current()
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
        // A prediction is typed with the listing below it: the arrows scroll to read it.
        KeyCode::Up if step.kind == Kind::Predict => {
            ls.scroll = ls.scroll.saturating_sub(1);
            vec![]
        }
        KeyCode::Down if step.kind == Kind::Predict => {
            ls.scroll = ls.scroll.saturating_add(1).min(200);
            vec![]
        }
        KeyCode::Backspace => {
            ls.input.pop();
            vec![]
        }
        // Ctrl-U clears, as in a shell; other control keys type nothing.
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            ls.input.clear();
            vec![]
        }
        KeyCode::Char(_) if key.modifiers.contains(KeyModifiers::CONTROL) => vec![],
        // Kept as typed, judged on Enter: a value is never made from part of what was typed.
        KeyCode::Char(c) => {
            let most = if step.kind == Kind::Predict {
                PREDICTION_MAX
            } else {
                EXPLANATION_MAX
            };
            if ls.input.chars().count() < most {
                ls.input.push(c);
            } else {
                m.notice = Some(Notice::Error(format!("at most {most} characters here")));
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
    if let Err(why) = check_justification(step, &ls.input) {
        m.notice = Some(Notice::Error(why));
        return vec![];
    }
    ls.typing = false;
    let text = ls.input.trim().to_string();
    ls.record(Answer {
        text: Some(text),
        ..Answer::default()
    });
    ls.feedback = Some(Feedback::Saved);
    m.notice = Some(Notice::Info(
        "saved for your instructor to review: → for the next step".into(),
    ));
    ls.pass_current()
}

fn submit_prediction(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    let predicted = match prediction(&ls.input, step) {
        Ok(v) => v,
        Err(why) => {
            m.notice = Some(Notice::Error(why));
            return vec![];
        }
    };
    ls.typing = false;
    // A speedup the ladder had measured already was on screen: predicting it is reading it.
    // Kept with the attempt, so a prediction that waits for its measurement (or the app
    // closed meanwhile) is still known as practice when it is scored.
    let seen = match step.measure() {
        Some(Measure::Speedup { before, after }) => [before, after].iter().all(|id| {
            m.rung_index(id)
                .and_then(|i| m.rows[i].report.as_ref())
                .is_some_and(|r| r.has_time() && r.verified())
        }),
        _ => false,
    };
    ls.feedback = Some(Feedback::Measuring { predicted });
    ls.retimed.clear();
    ls.waiting_quiet = false;
    // Saved before it is measured: the prediction is on record even if the app is closed.
    ls.record(Answer {
        predicted: Some(predicted),
        unjudged: seen.then(|| measure::SEEN.into()),
        ..Answer::default()
    });
    let mut cmds = ls.save_progress();
    cmds.extend(measure::try_measure(ls, m, step));
    cmds
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
        ls.measured(super::leak::leak_measured(&run));
    }
    let note = run.note.clone();
    let summary = format!(
        "{program}: {:+.2} MB per request after the first",
        run.mb_per_request()
    );
    ls.leak.insert(program, Ok(run));
    if predicting {
        return measure::try_measure(ls, m, &step);
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
        ls.progress
            .measured(lid, sid, super::leak::leak_measured(run));
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
            if let Some(r) = m
                .rung_index(rung)
                .and_then(|i| m.rows[i].report.as_ref())
                .filter(|r| r.has_time())
            {
                let rss_before = ls.run_rss_before.take();
                // Measured by the runner once the run's freed memory was handed back; the last
                // sample, taken while it ran, would count its buffers as left behind.
                let rss_after = Some(r.rss_after_bytes)
                    .filter(|&b| b > 0)
                    .or_else(|| m.rss.last());
                ls.measured(Measured::Run {
                    rung: rung.to_string(),
                    seconds: r.estimated_s,
                    verified,
                    rss_before,
                    rss_after,
                });
            }
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
        Kind::Predict => measure::try_measure(ls, m, &step),
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
    if let (Some(b), Some(step)) = (&loaded.0, ls.current())
        && step.pair.as_deref() == Some(pair.as_str())
    {
        let what = super::bytecode::measured(&pair, b);
        ls.measured(what);
    }
    // Measured again after a prediction (m); a pair loaded only to show its listing before
    // the prediction is not a measurement of it.
    let remeasured = matches!(
        ls.current().and_then(Step::measure),
        Some(Measure::Python(p)) if p == pair
    ) && !matches!(ls.feedback, Some(Feedback::Measuring { .. }))
        && ls
            .current()
            .is_some_and(|s| ls.attempts(s).iter().any(|a| a.measured.is_some()));
    if let (true, Some(b)) = (remeasured, &loaded.0) {
        let what = super::bytecode::measured(&pair, b);
        ls.measured(what);
        super::bytecode::rejudge(ls, m);
    }
    ls.bytecode.insert(pair, loaded);
    match ls.current().cloned() {
        Some(step) if step.kind == Kind::Predict => measure::try_measure(ls, m, &step),
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
