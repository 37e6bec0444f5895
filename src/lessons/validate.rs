//! The checks of a lesson that its schema cannot make: ids, references to rungs, programs and
//! workloads, and the fields each kind of step needs.

use super::{BYTECODE_PAIRS, Kind, Lesson, check_measure, known_rungs, leak, python};

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
        if s.kind == Kind::Explain && s.text.trim().is_empty() && s.question.is_empty() {
            return fail("needs text or a question saying what to explain".into());
        }
        if s.kind == Kind::Read && s.text.trim().is_empty() {
            return fail("has no text".into());
        }
    }
    Ok(())
}
