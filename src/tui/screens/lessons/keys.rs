//! The Lessons screen's keys: the list, moving between steps, and doing a step (running its
//! rung, opening its flamegraph, answering).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Feedback, LessonsState, answers, measure};
use crate::lessons::progress::Measured;
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
    // A wait for a quieter machine is the step's it was in.
    ls.retimed.clear();
    ls.waiting_quiet = false;
    let Some(step) = ls.current().cloned() else {
        return vec![];
    };
    // The live panel goes back to the app's own memory, but for the leak program's steps.
    if step.program.is_none() && !matches!(step.measure(), Some(crate::lessons::Measure::Leak(_))) {
        m.program_rss = None;
    }
    // Show the earlier answer again when coming back to a step.
    ls.feedback = restored_feedback(ls, &step);
    if let (Some(Feedback::Saved), Some(t)) =
        (&ls.feedback, ls.answer(&step).and_then(|a| a.text.clone()))
    {
        ls.input = t;
    }
    super::profilers::restore(ls);
    if (step.kind == Kind::Concurrency || step.workload.is_some()) && ls.concurrency.is_none() {
        ls.concurrency = saved_concurrency(ls).map(Ok);
    }
    match (step.kind, &step.pair) {
        (Kind::Bytecode, Some(pair)) if !ls.bytecode.contains_key(pair) => {
            vec![Command::LoadBytecode(pair.clone())]
        }
        // A prediction left waiting for its measurement: scored now if the measurement came
        // meanwhile, else measured.
        (Kind::Predict, _) if matches!(ls.feedback, Some(Feedback::Measuring { .. })) => {
            measure::try_measure(ls, m, &step)
        }
        // A prediction from a bytecode pair shows the pair's listing.
        (Kind::Predict, _) => match step.measure() {
            Some(crate::lessons::Measure::Python(pair)) if !ls.bytecode.contains_key(&pair) => {
                vec![Command::LoadBytecode(pair)]
            }
            _ => vec![],
        },
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

/// What a reopened step shows of its earlier answers. A question not yet passed shows only the
/// wrong picks (never the answer); one passed shows everything.
fn restored_feedback(ls: &LessonsState, step: &Step) -> Option<Feedback> {
    let attempts = ls.attempts(step);
    let passed = ls.passed(step);
    if step.kind.has_choices() {
        let mut wrong = Vec::new();
        for a in attempts {
            if let (Some(c), Some(false)) = (a.choice, a.correct)
                && !wrong.contains(&c)
            {
                wrong.push(c);
            }
        }
        let latest = ls.answer(step);
        // A prediction not judged yet, or that cannot be here, shows as made.
        if let Some(a) = latest
            .filter(|a| step.overhead.is_some() && (a.correct.is_none() || a.unjudged.is_some()))
            && let Some(c) = a.choice
        {
            return Some(Feedback::Predicted(c));
        }
        let right = latest
            .filter(|a| passed && a.correct == Some(true))
            .and_then(|a| a.choice);
        let revealed = passed && latest.is_some_and(|a| a.revealed == Some(true));
        return (!wrong.is_empty() || right.is_some() || revealed).then_some(Feedback::Chose {
            wrong,
            right,
            revealed,
        });
    }
    let a = ls.answer(step)?;
    match (a.predicted, a.measured, &a.text) {
        (Some(p), Some(m), _) => Some(Feedback::Scored {
            predicted: p,
            measured: m,
            scored: a.scored.unwrap_or(false),
            practice: attempts.iter().filter(|a| a.measured.is_some()).count() > 1,
        }),
        (_, _, Some(_)) => Some(Feedback::Saved),
        // Predicted, then left before its measurement came: it is still waiting for one.
        (Some(p), None, _) => Some(Feedback::Measuring { predicted: p }),
        _ => None,
    }
}

/// The concurrency table saved with the progress of the open lesson, latest first.
pub(super) fn saved_concurrency(ls: &LessonsState) -> Option<crate::lessons::python::Concurrency> {
    let l = ls.progress.lesson(&ls.lesson()?.id)?;
    l.measurements.iter().rev().find_map(|m| match &m.what {
        Measured::Concurrency { table } => Some((**table).clone()),
        _ => None,
    })
}

/// The screen is entered: a warning from loading the progress file is shown, once.
pub fn open(ls: &mut LessonsState, m: &mut Model) {
    if let Some(w) = ls.warning.take() {
        m.notice = Some(Notice::Error(w));
    }
}

/// The lessons' keys: the list's, or the open step's (an answer being typed takes them all).
pub fn on_key(ls: &mut LessonsState, m: &mut Model, key: KeyEvent) -> Outcome {
    if ls.naming() {
        return on_name_key(ls, m, key).into();
    }
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
        if let Some(p) = &step.program {
            return open_program_flame(ls, m, p);
        }
        return open_step_flame(m, &step);
    }
    on_step_key(ls, m, key, &step).into()
}

/// The open step's keys.
fn on_step_key(ls: &mut LessonsState, m: &mut Model, key: KeyEvent, step: &Step) -> Vec<Command> {
    match key.code {
        KeyCode::Esc => {
            // As on the ladder: the run and what was queued after it.
            if m.running() {
                return m.cancel();
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
        KeyCode::Char(c)
            if c.is_ascii_digit()
                && step
                    .program
                    .as_ref()
                    .is_some_and(|p| !matches!(ls.leak.get(p), Some(Ok(_)))) =>
        {
            // The answer is in the measured stacks: read them before answering.
            m.notice = Some(Notice::Error(
                "run the program first (its run step), then open its flamegraph (f)".into(),
            ));
            vec![]
        }
        KeyCode::Char(c) if c.is_ascii_digit() && step.kind.has_choices() => {
            // Options are shown shuffled for this learner: the key picks the shown one.
            let shown = (c as usize).wrapping_sub('1' as usize);
            if let Some(&index) = ls.order(step).get(shown) {
                answers::choose(ls, m, step, index)
            } else {
                m.notice = Some(Notice::Error(format!(
                    "there is no option {c}: pick 1–{}",
                    step.choices.len()
                )));
                vec![]
            }
        }
        KeyCode::Char(c)
            if step.kind == Kind::Predict
                && (c.is_ascii_digit() || c == '.')
                && matches!(ls.feedback, Some(Feedback::Measuring { .. })) =>
        {
            refuse_while_measuring(ls, m);
            vec![]
        }
        // A prediction step takes its number at once: the first digit starts the typing.
        KeyCode::Char(c)
            if step.kind == Kind::Predict
                && (c.is_ascii_digit() || c == '.')
                && !key.modifiers.contains(KeyModifiers::CONTROL) =>
        {
            ls.input.clear();
            ls.input.push(c);
            ls.typing = true;
            vec![]
        }
        KeyCode::Char('a') if step.kind.has_choices() => answers::reveal(ls, m, step),
        // A speedup prediction kept unscored because the machine was busy: its rungs timed
        // again.
        KeyCode::Char('m')
            if step.kind == Kind::Predict
                && matches!(
                    step.measure(),
                    Some(crate::lessons::Measure::Speedup { .. })
                )
                && matches!(ls.feedback, Some(Feedback::Measuring { .. })) =>
        {
            measure::measure_again(ls, m, step)
        }
        KeyCode::Char('m') if step.kind == Kind::Predict => {
            super::bytecode::measure_again(ls, m, step)
        }
        KeyCode::Char('m') if step.workload.is_some() => measure_concurrency(ls, m),
        KeyCode::Enter => act(ls, m, step),
        _ => vec![],
    }
}

/// Said to a new prediction typed while the last is measured.
fn refuse_while_measuring(ls: &LessonsState, m: &mut Model) {
    m.notice = Some(Notice::Error(if ls.waiting_quiet {
        "your prediction waits for a quieter machine to be measured: m times its rungs again".into()
    } else if m.running() {
        "your prediction is being measured: it is the one that counts, so another waits for \
         its result"
            .into()
    } else {
        "your prediction is not measured yet, and it is the one that counts: m measures it".into()
    }));
}

/// The list's keys.
fn on_list_key(ls: &mut LessonsState, m: &mut Model, key: KeyEvent) -> Outcome {
    let n = ls.lessons.len();
    // A reset asked for: y confirms, any other key keeps the lesson.
    if let Some(i) = ls.confirm_reset.take() {
        let Some(id) = ls.lessons.get(i).map(|l| l.id.clone()) else {
            return Outcome::default();
        };
        if key.code == KeyCode::Char('y') {
            ls.progress.reset(&id);
            m.notice = Some(Notice::Info(format!("lesson {id} reset")));
            return ls.save_progress().into();
        }
        m.notice = Some(Notice::Info(format!("lesson {id} kept")));
        return Outcome::default();
    }
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
        KeyCode::Enter if n > 0 && ls.progress.learner.is_none() => {
            // The name goes into the export and fixes the order of the options: asked once.
            ls.typing = true;
            ls.input.clear();
            m.notice = Some(Notice::Info(
                "your name first (for your instructor's export), then Enter".into(),
            ));
            vec![]
        }
        KeyCode::Enter if n > 0 => open_selected(ls, m),
        // Resume at the first step not yet passed.
        KeyCode::Char('R') if n > 0 => {
            let l = &ls.lessons[ls.selected];
            let answered = ls.progress.lesson(&l.id).map_or(0, |p| p.attempts.len());
            m.notice = Some(Notice::Error(format!(
                "reset \"{}\"? its progress and {answered} answered steps are forgotten: y \
                 resets, any other key keeps it",
                l.title
            )));
            ls.confirm_reset = Some(ls.selected);
            vec![]
        }
        _ => vec![],
    };
    cmds.into()
}

/// Opens the selected lesson at the first step not yet passed.
fn open_selected(ls: &mut LessonsState, m: &mut Model) -> Vec<Command> {
    let i = ls.selected;
    ls.open = Some(i);
    let first = {
        let l = &ls.lessons[i];
        l.steps
            .iter()
            .position(|s| !ls.progress.passed(&l.id, &s.id))
            .unwrap_or(0)
    };
    enter_step(ls, m, first)
}

/// The longest name accepted (it is shown in a title and written in the export).
const NAME_MAX: usize = 40;

/// Keys while the learner types their name: Enter saves it and opens the lesson.
fn on_name_key(ls: &mut LessonsState, m: &mut Model, key: KeyEvent) -> Vec<Command> {
    match key.code {
        KeyCode::Esc => {
            ls.typing = false;
            ls.input.clear();
            vec![]
        }
        KeyCode::Backspace => {
            ls.input.pop();
            vec![]
        }
        KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
            ls.input.clear();
            vec![]
        }
        KeyCode::Char(c) if !c.is_control() && !key.modifiers.contains(KeyModifiers::CONTROL) => {
            if ls.input.chars().count() < NAME_MAX {
                ls.input.push(c);
            } else {
                m.notice = Some(Notice::Error(format!("at most {NAME_MAX} characters")));
            }
            vec![]
        }
        KeyCode::Enter => {
            let name = ls.input.trim().to_string();
            if name.is_empty() {
                m.notice = Some(Notice::Error(
                    "type your name (as your instructor knows you), then Enter; Esc goes back"
                        .into(),
                ));
                return vec![];
            }
            m.notice = Some(Notice::Info(format!(
                "saved as {name}: your exports carry it (ladder learn --name changes it)"
            )));
            ls.progress.learner = Some(name);
            ls.typing = false;
            ls.input.clear();
            let mut cmds = ls.save_progress();
            cmds.extend(open_selected(ls, m));
            cmds
        }
        _ => vec![],
    }
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
        Kind::Run if step.program.is_some() => {
            let program = step.program.clone().unwrap_or_default();
            super::leak::run_program(ls, m, &program)
        }
        Kind::Run => {
            let cmds = run_step_rung(m, step);
            if m.running() {
                ls.run_rss_before = m.rss.last();
            }
            cmds
        }
        // A prediction still being measured (or waiting for a quiet machine) is the one that
        // counts: another now would leave it unscored.
        Kind::Predict if matches!(ls.feedback, Some(Feedback::Measuring { .. })) => {
            refuse_while_measuring(ls, m);
            vec![]
        }
        Kind::Predict | Kind::Explain => {
            // A new prediction starts empty; an explanation is edited where it was left.
            if step.kind == Kind::Predict {
                ls.input.clear();
            }
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
        Kind::Concurrency => measure_concurrency(ls, m),
        Kind::Profilers => super::profilers::measure(ls, m, step),
        Kind::Notes => m.export(),
    }
}

/// Measures the concurrency workloads (again): the steps that discuss one are then judged
/// on the new table.
fn measure_concurrency(ls: &mut LessonsState, m: &mut Model) -> Vec<Command> {
    if ls.measuring_concurrency {
        m.notice = Some(Notice::Info("already measuring…".into()));
        return vec![];
    }
    ls.measuring_concurrency = true;
    ls.ask("concurrency");
    ls.concurrency_error = None;
    m.notice = None;
    vec![Command::MeasureConcurrency]
}

/// A leak question's `f`: the memory flamegraph of what the program's requests left behind.
fn open_program_flame(ls: &LessonsState, m: &mut Model, program: &str) -> Outcome {
    let Some(Ok(run)) = ls.leak.get(program) else {
        m.notice = Some(Notice::Error(format!(
            "no run of the {program} program yet: run it first (its run step)"
        )));
        return Outcome::default();
    };
    let profile = match run.profile() {
        Ok(p) => p,
        Err(e) => {
            m.notice = Some(Notice::Error(format!("its stacks cannot be read: {e}")));
            return Outcome::default();
        }
    };
    m.python_flame = Some(crate::tui::model::PythonFlame {
        profile: std::sync::Arc::new(profile),
        title: format!(
            "Memory: what requests 2–{} of {} left live ({})",
            run.requests,
            run.file,
            run.tool.name()
        ),
        file: format!("memory-leaks-{program}.svg"),
    });
    Outcome::go(Nav::PythonFlame)
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
