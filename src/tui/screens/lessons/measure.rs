//! A prediction measured: the rungs, program or bytecode pair it names run (again, where the
//! machine was busy), and the first measured attempt is scored against them.

use super::typed::miss_reason;
use super::{Feedback, LessonsState};
use crate::lessons::progress::{Answer, Measured};
use crate::lessons::{Measure, Step, scores, scores_amount};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, Status};

/// Why a prediction made with its measurement on screen is not counted.
pub(super) const SEEN: &str = "practice: its measurement was on screen before it";

/// Scores the current prediction when its measurement is available, else starts taking it.
pub(super) fn try_measure(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    let Some(Feedback::Measuring { predicted }) = ls.feedback else {
        return vec![];
    };
    match step.measure() {
        Some(Measure::Speedup { before, after }) => {
            let time = |id: &str| {
                m.rung_index(id)
                    .and_then(|i| m.rows[i].report.as_ref())
                    .filter(|r| r.has_time() && r.verified())
                    .map(|r| (r.estimated_s, r.under_load()))
            };
            match (time(&before), time(&after)) {
                // A time taken while the machine was busy elsewhere is not this machine's: the
                // prediction waits for a quiet one (and its ratio is not shown meanwhile).
                (Some((_, before_loaded)), Some((_, after_loaded)))
                    if before_loaded || after_loaded =>
                {
                    let busy: Vec<&str> = [(&before, before_loaded), (&after, after_loaded)]
                        .into_iter()
                        .filter(|(_, loaded)| *loaded)
                        .map(|(id, _)| id.as_str())
                        .collect();
                    retime_busy(ls, m, &busy)
                }
                (Some((a, before_loaded)), Some((b, after_loaded))) => {
                    let what = Measured::Speedup {
                        before,
                        after,
                        before_s: a,
                        after_s: b,
                        ratio: a / b,
                        before_loaded,
                        after_loaded,
                    };
                    score(ls, m, step, predicted, a / b, what)
                }
                (None, _) => run_for_measure(m, &before),
                (_, None) => run_for_measure(m, &after),
            }
        }
        Some(Measure::Python(pair)) => match ls.bytecode.get(&pair) {
            Some((Some(b), _)) => {
                let (ratio, what) = (b.ratio, super::bytecode::measured(&pair, b));
                score(ls, m, step, predicted, ratio, what)
            }
            _ => vec![Command::LoadBytecode(pair)],
        },
        Some(Measure::Leak(program)) => match ls.leak.get(&program) {
            Some(Ok(run)) => {
                let (mb, what) = (run.mb_per_request(), super::leak::leak_measured(run));
                score(ls, m, step, predicted, mb, what)
            }
            _ => super::leak::run_program(ls, m, &program),
        },
        None => vec![],
    }
}

/// A prediction's rungs, `busy` of them timed while the machine was busy elsewhere: each
/// timed again, once, one at a time (its end measures again); busy still, the prediction
/// waits unscored, its ratio unshown, until `m`.
fn retime_busy(ls: &mut LessonsState, m: &mut Model, busy: &[&str]) -> Vec<Command> {
    // Something is running (a rung timed again, a climb): its end measures again.
    if m.running() || !m.queue.is_empty() {
        return vec![];
    }
    if let Some(id) = busy.iter().find(|id| !ls.retimed.iter().any(|r| r == *id)) {
        let Some(i) = m.rung_index(id) else {
            return vec![];
        };
        let cmds = m.try_start(i);
        // Refused (say, a workload loading): its own notice says why, and `m` tries again.
        if m.running() {
            ls.retimed.push((*id).to_string());
            ls.waiting_quiet = false;
            m.notice = Some(Notice::Info(format!(
                "the machine was busy elsewhere while {id} ran: timing it again before your \
                 prediction is scored…"
            )));
        }
        return cmds;
    }
    ls.waiting_quiet = true;
    m.notice = Some(Notice::Error(format!(
        "the machine was still busy elsewhere while {} ran (! on the ladder): your prediction \
         is kept, not scored yet, and the ratio is not shown, as it would not be this \
         machine's. Press m to time them again once it is quieter",
        busy.join(" and ")
    )));
    vec![]
}

/// `m` on a speedup prediction that waits (for a quieter machine, or a rung that failed or
/// was cancelled): its rungs timed again.
pub(super) fn measure_again(ls: &mut LessonsState, m: &mut Model, step: &Step) -> Vec<Command> {
    if m.running() {
        m.notice = Some(Notice::Error(
            "something is running: wait for it to end, then m again".into(),
        ));
        return vec![];
    }
    // A key, not a rung's end: a queue with nothing running is left from a start that was
    // refused, and would hold the measurement back for good.
    if !m.queue.is_empty() {
        let _ = m.cancel();
    }

    ls.retimed.clear();
    ls.waiting_quiet = false;
    // A rung that failed or was cancelled is run again now (automatically, it is not).
    if let Some(Measure::Speedup { before, after }) = step.measure() {
        for id in [before, after] {
            if let Some(i) = m.rung_index(&id)
                && matches!(
                    m.rows[i].status,
                    Status::Failed(_) | Status::Cancelled | Status::Unavailable(_)
                )
            {
                return m.climb_to(i);
            }
        }
    }
    try_measure(ls, m, step)
}

fn run_for_measure(m: &mut Model, rung: &str) -> Vec<Command> {
    let Some(i) = m.rung_index(rung) else {
        m.notice = Some(Notice::Error(format!(
            "this step measures {rung}, which is not on this ladder: the lesson file names a \
             rung that does not exist"
        )));
        return vec![];
    };
    // A climb under way: its end measures again (its queue is not ours to replace).
    if m.running() || !m.queue.is_empty() {
        return vec![];
    }
    // Not run again and again by itself: one that failed or was cancelled waits for `m`.
    if matches!(
        m.rows[i].status,
        Status::Failed(_) | Status::Cancelled | Status::Unavailable(_)
    ) {
        m.notice = Some(Notice::Error(format!(
            "{rung} gave no verified time ({}): your prediction waits; m runs it again",
            if m.rows[i].status == Status::Cancelled {
                "cancelled"
            } else {
                "it failed"
            }
        )));
        return vec![];
    }
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
    what: Measured,
) -> Vec<Command> {
    let within = step.within.unwrap_or(2.0);
    let amount = matches!(step.measure(), Some(Measure::Leak(_)));
    let scored = if amount {
        scores_amount(predicted, measured, within)
    } else {
        scores(predicted, measured, within)
    };
    // An amount (MB) has no side of 1x: only how far off it was.
    let why = |p: f64, x: f64| {
        if amount {
            let off = crate::lessons::off_by(p, x, within);
            format!("{p} MB against {x:.2} MB measured: {off}")
        } else {
            miss_reason(p, x, within)
        }
    };
    // Only the first measured attempt is scored; later ones are practice, labelled as such, as
    // is one made with its measurement on screen (said on the attempt when it was made).
    let seen = ls.attempts(step).last().is_some_and(|a| {
        a.measured.is_none()
            && a.predicted == Some(predicted)
            && a.unjudged.as_deref() == Some(SEEN)
    });
    let practice = seen || ls.attempts(step).iter().any(|a| a.measured.is_some());
    ls.feedback = Some(Feedback::Scored {
        predicted,
        measured,
        scored,
        practice,
    });
    ls.record_measured(Answer {
        predicted: Some(predicted),
        measured: Some(measured),
        scored: Some(scored),
        // Kept as made, never counted: the measurement was there to read.
        unjudged: seen.then(|| SEEN.into()),
        ..Answer::default()
    });
    ls.measured(what);
    m.notice = Some(Notice::Info(match (practice, scored) {
        (true, _) if seen => format!(
            "practice: the ladder had measured both rungs before you predicted ({measured:.2}x \
             was on screen); a prediction is scored when made before its measurement ({}). \
             → for the next step",
            if scored {
                "this one was within the tolerance".to_string()
            } else {
                why(predicted, measured)
            }
        ),
        (true, _) => format!(
            "practice ({}): the first prediction stays the scored one. → for the next step",
            if scored {
                "within the tolerance".to_string()
            } else {
                why(predicted, measured)
            }
        ),
        (false, true) if amount => {
            format!("within {within}x: well predicted. → for the next step")
        }
        (false, true) => format!(
            "within {within}x and on the right side of 1x: well predicted. → for the next step"
        ),
        (false, false) => format!(
            "missed: {}. The hints below say why; → for the next step",
            why(predicted, measured)
        ),
    }));
    ls.pass_current()
}
