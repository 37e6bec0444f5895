//! The Lessons screen's keys: the list, moving between steps, and doing a step (running its
//! rung, opening its flamegraph, answering).

use crossterm::event::{KeyCode, KeyEvent};

use super::{Feedback, LessonsState, answers};
use crate::lessons::{Kind, Step};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, Status};
use crate::tui::screens::{Nav, Outcome};

/// Moves to step `i` of the open lesson and starts what it needs (bytecode loading).
fn enter_step(ls: &mut LessonsState, m: &mut Model, i: usize) -> Vec<Command> {
    enter_step_with(ls, m, i, true)
}

/// As [`enter_step`]; `auto` lets a run step whose rung has already verified pass
/// at once (not when the learner asked to redo it).
fn enter_step_with(ls: &mut LessonsState, m: &mut Model, i: usize, auto: bool) -> Vec<Command> {
    ls.step = i;
    ls.scroll = 0;
    ls.typing = false;
    ls.input.clear();
    ls.feedback = None;
    ls.runs = 0;
    let Some(step) = ls.current().cloned() else {
        return vec![];
    };
    // Show the earlier answer again when coming back to a step.
    if let Some(a) = ls.answer(&step).cloned() {
        ls.feedback = match (a.choice, a.predicted, a.measured, &a.text) {
            (Some(c), ..) => Some(Feedback::Chose {
                index: c,
                correct: a.correct.unwrap_or(false),
            }),
            (_, Some(p), Some(m), _) => Some(Feedback::Scored {
                predicted: p,
                measured: m,
                scored: a.scored.unwrap_or(false),
            }),
            (_, _, _, Some(t)) => {
                ls.input.clone_from(t);
                Some(Feedback::Saved)
            }
            _ => None,
        };
    }
    match (step.kind, &step.pair) {
        (Kind::Bytecode, Some(pair)) if !ls.bytecode.contains_key(pair) => {
            vec![Command::LoadBytecode(pair.clone())]
        }
        // A rung already run and verified (say, to measure a prediction) need not run
        // again, unless the step asks for several runs.
        (Kind::Run, _) if auto && step.times.unwrap_or(1) <= 1 && !ls.passed(&step) => {
            let verified = step
                .rung
                .as_deref()
                .and_then(|r| m.rung_index(r))
                .is_some_and(|i| m.rows[i].status == Status::Done);
            if verified {
                m.notice = Some(Notice::Info("already run and verified: → next".into()));
                ls.pass_current()
            } else {
                vec![]
            }
        }
        _ => vec![],
    }
}

/// The screen is entered: a warning from loading the progress file is shown, once.
pub fn open(ls: &mut LessonsState, m: &mut Model) {
    if let Some(w) = ls.warning.take() {
        m.notice = Some(Notice::Error(w));
    }
}

/// The lessons' keys: the list's, or the open step's (an answer being typed takes them all).
pub fn on_key(ls: &mut LessonsState, m: &mut Model, key: KeyEvent) -> Outcome {
    if ls.typing {
        return answers::on_answer_key(ls, m, key).into();
    }
    if ls.open.is_none() {
        return on_list_key(ls, m, key);
    }
    let Some(step) = ls.current().cloned() else {
        return Outcome::default();
    };
    if key.code == KeyCode::Char('f') && step.kind == Kind::Flame {
        return open_step_flame(m, &step);
    }
    on_step_key(ls, m, key, &step).into()
}

/// The open step's keys.
fn on_step_key(ls: &mut LessonsState, m: &mut Model, key: KeyEvent, step: &Step) -> Vec<Command> {
    match key.code {
        KeyCode::Esc => {
            if m.running() {
                return vec![Command::Cancel];
            }
            ls.open = None;
            vec![]
        }
        KeyCode::Up | KeyCode::Char('k') => {
            ls.scroll = ls.scroll.saturating_sub(1);
            vec![]
        }
        KeyCode::Down | KeyCode::Char('j') => {
            ls.scroll = ls.scroll.saturating_add(1).min(200);
            vec![]
        }
        KeyCode::Left | KeyCode::Char('p') => {
            let i = ls.step.saturating_sub(1);
            enter_step(ls, m, i)
        }
        KeyCode::Right | KeyCode::Char('n') => next_step(ls, m, step),
        KeyCode::Char('h') => {
            let lid = ls.lesson().map(|l| l.id.clone()).unwrap_or_default();
            if step.hints.is_empty() {
                m.notice = Some(Notice::Info("no hints for this step".into()));
            } else {
                let n = ls.progress.hint(&lid, &step.id, step.hints.len());
                m.notice = Some(Notice::Info(format!("hint {n}/{}", step.hints.len())));
            }
            ls.save_progress()
        }
        KeyCode::Char('r') => {
            let lid = ls.lesson().map(|l| l.id.clone()).unwrap_or_default();
            ls.progress.redo(&lid, &step.id);
            let i = ls.step;
            let mut cmds = enter_step_with(ls, m, i, false);
            cmds.extend(ls.save_progress());
            m.notice = Some(Notice::Info("step reset: do it again".into()));
            cmds
        }
        KeyCode::Char(c) if c.is_ascii_digit() && step.kind.has_choices() => {
            let index = (c as usize).wrapping_sub('1' as usize);
            answers::choose(ls, m, step, index)
        }
        KeyCode::Enter => act(ls, m, step),
        _ => vec![],
    }
}

/// The list's keys.
fn on_list_key(ls: &mut LessonsState, m: &mut Model, key: KeyEvent) -> Outcome {
    let n = ls.lessons.len();
    let cmds = match key.code {
        KeyCode::Esc | KeyCode::Char('l') => return Outcome::go(Nav::Ladder),
        KeyCode::Up | KeyCode::Char('k') => {
            ls.selected = ls.selected.saturating_sub(1);
            vec![]
        }
        KeyCode::Down | KeyCode::Char('j') => {
            ls.selected = (ls.selected + 1).min(n.saturating_sub(1));
            vec![]
        }
        KeyCode::Enter if n > 0 => {
            let i = ls.selected;
            ls.open = Some(i);
            // Resume at the first step not yet passed.
            let first = {
                let l = &ls.lessons[i];
                l.steps
                    .iter()
                    .position(|s| !ls.progress.passed(&l.id, &s.id))
                    .unwrap_or(0)
            };
            enter_step(ls, m, first)
        }
        KeyCode::Char('R') if n > 0 => {
            let id = ls.lessons[ls.selected].id.clone();
            ls.progress.reset(&id);
            m.notice = Some(Notice::Info(format!("lesson {id} reset")));
            ls.save_progress()
        }
        _ => vec![],
    };
    cmds.into()
}

fn next_step(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    let last = ls.lesson().map_or(0, |l| l.steps.len() - 1);
    if !ls.passed(step) {
        m.notice = Some(Notice::Error(
            "finish this step first (Enter); h shows a hint".into(),
        ));
        return vec![];
    }
    if ls.step >= last {
        m.notice = Some(Notice::Info(
            "that was the last step: Esc for the list".into(),
        ));
        return vec![];
    }
    let i = ls.step + 1;
    enter_step(ls, m, i)
}

/// Enter on a step: do what it asks.
fn act(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    match step.kind {
        Kind::Read | Kind::Bytecode => {
            let mut cmds = ls.pass_current();
            cmds.extend(next_step(ls, m, step));
            cmds
        }
        Kind::Run => run_step_rung(m, step),
        Kind::Predict | Kind::Explain => {
            ls.typing = true;
            vec![]
        }
        Kind::Flame | Kind::Choice => {
            m.notice = Some(Notice::Info(if step.kind == Kind::Flame {
                "f opens the flamegraph; answer with a number".into()
            } else {
                "answer with a number".into()
            }));
            vec![]
        }
        Kind::Concurrency => {
            if ls.measuring_concurrency {
                return vec![];
            }
            ls.measuring_concurrency = true;
            vec![Command::MeasureConcurrency]
        }
        Kind::Notes => m.export(),
    }
}

/// A run step: run its rung, climbing to it in order.
fn run_step_rung(m: &mut Model, step: &Step) -> Vec<Command> {
    let Some(i) = step.rung.as_deref().and_then(|r| m.rung_index(r)) else {
        return vec![];
    };
    m.climb_to(i)
}

/// A flamegraph question's `f`: the flamegraph of its rung, which Esc leaves for the lesson.
fn open_step_flame(m: &mut Model, step: &Step) -> Outcome {
    let Some(i) = step.rung.as_deref().and_then(|r| m.rung_index(r)) else {
        return Outcome::default();
    };
    if m.profiles[i].is_none() {
        m.notice = Some(Notice::Error(format!(
            "no profile of {} yet: run it first (its run step, or Enter on the ladder)",
            m.rows[i].info.id
        )));
        return Outcome::default();
    }
    Outcome::go(Nav::Flame {
        rung: i,
        memory: step.memory,
    })
}
