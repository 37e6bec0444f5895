//! The bytecode lesson's measurement: a pair's timing recorded with the progress, `m` measuring
//! it again, and the first prediction judged against the median of every measurement taken.

use super::typed::miss_reason;
use super::{Feedback, LessonsState};
use crate::lessons::progress::Measured;
use crate::lessons::python::Bytecode;
use crate::lessons::{Measure, Step, scores};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice};

/// What a pair's timing records with the progress.
pub(super) fn measured(pair: &str, b: &Bytecode) -> Measured {
    Measured::Bytecode {
        pair: pair.to_string(),
        python: b.python.clone(),
        a_s: b.a_s,
        b_s: b.b_s,
        ratio: b.ratio,
        ratio_low: b.ratio_low,
        ratio_high: b.ratio_high,
        rounds: b.rounds,
        recorded_on: b.recorded_on.clone(),
    }
}

/// `m` on a prediction timed by Python: measure again (the first prediction is then judged
/// against the median of every measurement taken, so one disturbed run cannot decide it).
pub(super) fn measure_again(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    let pair = match step.measure() {
        Some(Measure::Python(pair)) => pair,
        Some(Measure::Leak(program)) => {
            m.notice = Some(Notice::Info(format!(
                "this step measures {program}'s requests: its run step runs it again (Enter there)"
            )));
            return vec![];
        }
        _ => {
            m.notice = Some(Notice::Info(
                "this step's measurement is a rung's run: rerun it on the ladder".into(),
            ));
            return vec![];
        }
    };
    if ls.attempts(step).iter().all(|a| a.measured.is_none()) {
        m.notice = Some(Notice::Error(
            "predict first (Enter): the measurement comes after your prediction".into(),
        ));
        return vec![];
    }
    ls.bytecode.remove(&pair);
    m.notice = Some(Notice::Info("measuring again with python3…".into()));
    vec![Command::LoadBytecode(pair)]
}

/// Judges the step's first prediction against the median of the ratios measured for it.
pub(super) fn rejudge(ls: &mut LessonsState, m: &mut Model) {
    let (Some(step), Some(lesson)) = (ls.current().cloned(), ls.lesson().map(|l| l.id.clone()))
    else {
        return;
    };
    let mut ratios: Vec<f64> = ls
        .progress
        .lesson(&lesson)
        .map(|l| {
            l.measurements
                .iter()
                .filter(|x| x.step == step.id)
                .filter_map(|x| match x.what {
                    Measured::Bytecode { ratio, .. } => Some(ratio),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if ratios.is_empty() {
        return;
    }
    ratios.sort_by(f64::total_cmp);
    let n = ratios.len();
    let median = if n % 2 == 1 {
        ratios[n / 2]
    } else {
        f64::midpoint(ratios[n / 2 - 1], ratios[n / 2])
    };
    let within = step.within.unwrap_or(2.0);
    let l = ls.progress.lesson_mut(&lesson);
    let Some(first) = l
        .attempts
        .get_mut(&step.id)
        .and_then(|a| a.iter_mut().find(|a| a.measured.is_some()))
    else {
        return;
    };
    let Some(predicted) = first.predicted else {
        return;
    };
    first.measured = Some(median);
    first.scored = Some(scores(predicted, median, within));
    let scored = first.scored == Some(true);
    m.notice = Some(Notice::Info(format!(
        "measured {n} times: median {median:.2}x; your first prediction ({predicted}x) is {}",
        if scored {
            "within the tolerance ✓".to_string()
        } else {
            miss_reason(predicted, median, within)
        }
    )));
    if let Some(Feedback::Scored {
        practice: false, ..
    }) = ls.feedback
    {
        ls.feedback = Some(Feedback::Scored {
            predicted,
            measured: median,
            scored,
            practice: false,
        });
    }
}
