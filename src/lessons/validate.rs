//! The checks of a lesson that its schema cannot make: ids, references to rungs, programs and
//! workloads, and the fields each kind of step needs.

use super::{BYTECODE_PAIRS, Kind, Lesson, Step, check_measure, known_rungs, leak, python};
use crate::lessons::profilers::{self, rank};

/// Checks what the schema cannot: ids, references and the fields each kind needs. The error
/// carries the index of the step at fault.
pub(super) fn validate(l: &Lesson) -> Result<(), (Option<usize>, String)> {
    let id_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !id_ok(&l.id) {
        return Err((
            None,
            format!("lesson id '{}' must be letters, digits, - or _", l.id),
        ));
    }
    if l.steps.is_empty() {
        return Err((None, "the lesson has no [[step]]".into()));
    }
    let rungs = known_rungs();
    for (i, s) in l.steps.iter().enumerate() {
        let fail = |why: String| Err((Some(i), format!("step '{}' ({:?}): {why}", s.id, s.kind)));
        if !id_ok(&s.id) {
            return fail("the id must be letters, digits, - or _".into());
        }
        if l.steps[..i].iter().any(|o| o.id == s.id) {
            return fail("this id is used by an earlier step".into());
        }
        let needs_rung = matches!(s.kind, Kind::Run | Kind::Flame) && s.program.is_none();
        if let Some(p) = &s.program {
            if !leak::PROGRAMS.contains(&p.as_str()) {
                return fail(format!(
                    "program '{p}' is not one of {}",
                    leak::PROGRAMS.join(", ")
                ));
            }
            if !matches!(s.kind, Kind::Run | Kind::Flame) {
                return fail("only run and flame steps run a program".into());
            }
            if s.rung.is_some() {
                return fail("names both a rung and a program: one or the other".into());
            }
            if s.times.is_some() {
                return fail("a program's run is already several requests: no times".into());
            }
        }
        if let Some(c) = s.choices.iter().find(|c| c.function.is_some())
            && s.program.is_none()
        {
            return fail(format!(
                "choice '{}' names a function, but the step runs no program",
                c.text
            ));
        }
        match (&s.rung, needs_rung) {
            (None, true) => return fail("needs rung = \"…\" (or program = \"…\")".into()),
            (Some(r), _) if !rungs.contains(&r.as_str()) => {
                return fail(format!(
                    "rung '{r}' does not exist (known: {})",
                    rungs.join(", ")
                ));
            }
            _ => {}
        }
        if matches!(s.kind, Kind::Flame | Kind::Choice) {
            if s.question.is_empty() {
                return fail("needs a question".into());
            }
            if s.choices.len() < 2 {
                return fail("needs at least two choices".into());
            }
            if !s.choices.iter().any(|c| c.correct) {
                return fail("no choice is marked correct = true".into());
            }
            if let Some(c) = s.choices.iter().find(|c| c.explain.trim().is_empty()) {
                return fail(format!("choice '{}' has no explanation", c.text));
            }
        } else if !s.choices.is_empty() {
            return fail("only flame and choice steps have choices".into());
        }
        if s.kind == Kind::Predict {
            let Some(m) = &s.measure else {
                return fail(
                    "needs measure = \"speedup:A:B\", \"python:NAME\" or \"leak:PROGRAM\"".into(),
                );
            };
            check_measure(m, &rungs).map_err(|why| (Some(i), format!("step '{}': {why}", s.id)))?;
            match s.within {
                Some(w) if w > 1.0 => {}
                Some(w) => return fail(format!("within = {w} must be a factor above 1")),
                None => return fail("needs within = FACTOR (e.g. 2.0: within 2x)".into()),
            }
            if s.question.is_empty() {
                return fail("needs a question".into());
            }
        } else if s.measure.is_some() {
            return fail("only predict steps measure".into());
        }
        if s.kind == Kind::Bytecode {
            match &s.pair {
                Some(p) if BYTECODE_PAIRS.contains(&p.as_str()) => {}
                Some(p) => {
                    return fail(format!(
                        "pair '{p}' is not one of {}",
                        BYTECODE_PAIRS.join(", ")
                    ));
                }
                None => return fail("needs pair = \"…\"".into()),
            }
        }
        if let Some(w) = &s.workload {
            if w != "all" && !python::WORKLOADS.contains(&w.as_str()) {
                return fail(format!(
                    "workload '{w}' is not one of all, {}",
                    python::WORKLOADS.join(", ")
                ));
            }
            if !matches!(s.kind, Kind::Choice | Kind::Explain | Kind::Read) {
                return fail("only choice, explain and read steps show a workload".into());
            }
        }
        for c in &s.choices {
            match &c.way {
                Some(_) if s.workload.is_none() => {
                    return fail(format!(
                        "choice '{}' names a way, but the step has no workload",
                        c.text
                    ));
                }
                Some(w) if !python::WAYS.contains(&w.as_str()) => {
                    return fail(format!(
                        "way '{w}' is not one of {}",
                        python::WAYS.join(", ")
                    ));
                }
                _ => {}
            }
        }
        if let Err(why) = profiler_fields(s) {
            return fail(why);
        }
        if s.kind == Kind::Explain && s.text.trim().is_empty() && s.question.is_empty() {
            return fail("needs text or a question saying what to explain".into());
        }
        if s.kind == Kind::Read && s.text.trim().is_empty() {
            return fail("has no text".into());
        }
    }
    Ok(())
}

/// The profilers lesson's fields: predictions (`overhead`, options' `profiler`), what a step
/// shows of the measurement (`show`) and its size (`n`, `rounds`).
fn profiler_fields(s: &Step) -> Result<(), String> {
    let ids: Vec<&str> = profilers::PROFILERS.iter().map(|p| p.id).collect();
    if let Some(end) = &s.overhead {
        if !rank::ENDS.contains(&end.as_str()) {
            return Err(format!(
                "overhead '{end}' is not one of {}",
                rank::ENDS.join(", ")
            ));
        }
        if s.kind != Kind::Choice {
            return Err("only choice steps predict an overhead".into());
        }
        if let Some(c) = s.choices.iter().find(|c| c.profiler.is_none()) {
            return Err(format!(
                "choice '{}' names no profiler: a prediction is judged by the measurement",
                c.text
            ));
        }
    }
    for c in &s.choices {
        match &c.profiler {
            Some(_) if s.overhead.is_none() => {
                return Err(format!(
                    "choice '{}' names a profiler, but the step has no overhead",
                    c.text
                ));
            }
            Some(p) if !ids.contains(&p.as_str()) => {
                return Err(format!("profiler '{p}' is not one of {}", ids.join(", ")));
            }
            _ => {}
        }
    }
    if let Some(show) = &s.show {
        if !["table", "claims"].contains(&show.as_str()) {
            return Err(format!("show '{show}' is not one of table, claims"));
        }
        if !matches!(s.kind, Kind::Choice | Kind::Explain | Kind::Read) {
            return Err("only choice, explain and read steps show the profilers".into());
        }
    }
    if s.kind == Kind::Profilers {
        let n = s.n.unwrap_or(profilers::DEFAULT_N);
        let rounds = s.rounds.unwrap_or(3);
        profilers::check_sizes(n, rounds).map_err(|e| e.replace("--", ""))?;
    } else if s.n.is_some() || s.rounds.is_some() {
        return Err("only profilers steps have n and rounds".into());
    }
    Ok(())
}
