//! The lab: the student's own code becomes the ladder. Each step is a plain function in a
//! plain file of a lab folder (`similarity(X, start, end)`, or `topk(X, k, start, end)`); the
//! shipped harness calls it through the peers' machinery, so it is verified, timed, measured
//! and profiled exactly like our rungs, then graded in order against the floors of the lab's
//! `lab.toml`.
//!
//! The rooms: [`spec`] (the lab file), [`scaffold`] (`ladder lab init`), [`step`] (a step as a
//! rung), [`lint`] (ruff's NPY rules), [`grade`] (counts, not yet, locked), [`render`] (the
//! table and JSON of `ladder lab check`). This part uses peers, run, report and below; never
//! the app.

pub mod edits;
pub mod grade;
pub mod history;
pub mod lint;
pub mod notes;
pub mod render;
pub mod saved;
pub mod scaffold;
pub mod spec;
pub mod step;

use serde::Serialize;

use self::grade::{FloorCheck, Verdict, lock_reason};
use self::lint::Lint;
use self::spec::{Lab, LabStep};
use crate::run::{CancelToken, RunEvent, RunReport, Runner};

pub use spec::{LabError, load};

/// One step after a climb: what ran, what linting found, and the verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepResult {
    pub id: String,
    pub file: String,
    pub title: String,
    pub optional: bool,
    pub verdict: Verdict,
    pub floor: Option<FloorCheck>,
    pub lint: Lint,
    /// The run (absent for a locked or missing step).
    pub report: Option<RunReport>,
}

impl StepResult {
    /// Seconds for the whole workload (extrapolated past the budget), when it has a time and
    /// was right: a wrong answer's time is no step's speed.
    #[must_use]
    pub fn seconds(&self) -> Option<f64> {
        self.report
            .as_ref()
            .filter(|r| r.has_time() && r.verified())
            .map(|r| r.estimated_s)
    }
}

/// Whether every step that is not optional counts: the lab is done.
#[must_use]
pub fn all_count(results: &[StepResult]) -> bool {
    results.iter().all(|r| r.optional || r.verdict.counts())
}

/// How a step that has not run yet is said (the app adds how to run it).
pub const NOT_RUN: &str = "not run yet";

/// What happened when a step was tried: it ran, or it could not be started.
#[derive(Clone, Debug, PartialEq)]
pub enum Attempt {
    Ran { report: Box<RunReport>, lint: Lint },
    CouldNotStart { why: String, lint: Lint },
}

/// Climbs the lab in order with `runner`: each step linted, run, graded; a step after one that
/// does not count is locked and not run, unless `unlock_all`. `started` is told each step as it
/// begins; `events` gets the runner's events.
pub fn climb(
    lab: &Lab,
    runner: &Runner,
    unlock_all: bool,
    started: &dyn Fn(usize, &LabStep),
    events: &dyn Fn(RunEvent),
    cancel: &CancelToken,
) -> Vec<StepResult> {
    let mut out: Vec<StepResult> = Vec::new();
    for (i, step) in lab.steps.iter().enumerate() {
        let runs = (unlock_all || lock_reason(&out).is_none())
            && !cancel.is_cancelled()
            && step.file.is_file();
        let attempt = runs.then(|| {
            started(i, step);
            let lint = lint::check(&step.file);
            match step::peer(step) {
                Ok(peer) => {
                    let mut report = runner.run_one(i, &peer, events, cancel);
                    // Just short of its floor: measured once more, the faster run kept.
                    let first = judge(
                        step,
                        Some(&Attempt::Ran {
                            report: Box::new(report.clone()),
                            lint: lint.clone(),
                        }),
                        &out,
                        unlock_all,
                        "",
                    );
                    if grade::short_by_noise(&first) && !cancel.is_cancelled() {
                        let again = runner.run_one(i, &peer, events, cancel);
                        if again.verified()
                            && again.has_time()
                            && again.estimated_s < report.estimated_s
                        {
                            report = again;
                        }
                    }
                    Attempt::Ran {
                        report: Box::new(report),
                        lint,
                    }
                }
                Err(e) => Attempt::CouldNotStart {
                    why: e.to_string(),
                    lint,
                },
            }
        });
        let not_run = if cancel.is_cancelled() {
            "cancelled"
        } else {
            NOT_RUN
        };
        out.push(judge(step, attempt.as_ref(), &out, unlock_all, not_run));
    }
    fill_speedups(&mut out);
    out
}

/// The lab's standing from what each step's last attempt was (None: not tried), graded in
/// order exactly as [`climb`] grades: the app calls this after every run, so the verdicts
/// on its screen are those of `ladder lab check`.
#[must_use]
pub fn assess(lab: &Lab, attempts: &[Option<&Attempt>], unlock_all: bool) -> Vec<StepResult> {
    assess_stale(lab, attempts, unlock_all, &[])
}

/// [`assess`], where `stale[i]` says step i's file changed since its attempt ran (saved while
/// the app was not watching): that result is of another file, so it does not count, and the
/// steps after it lock as behind any step that does not count.
#[must_use]
pub fn assess_stale(
    lab: &Lab,
    attempts: &[Option<&Attempt>],
    unlock_all: bool,
    stale: &[bool],
) -> Vec<StepResult> {
    let mut out: Vec<StepResult> = Vec::new();
    for (i, step) in lab.steps.iter().enumerate() {
        let attempt = attempts.get(i).copied().flatten();
        let mut r = judge(
            step,
            attempt,
            &out,
            unlock_all,
            &format!("{NOT_RUN}: Enter runs it, and saving the file runs it again"),
        );
        if stale.get(i) == Some(&true) && r.verdict.counts() {
            r.verdict = Verdict::NotYet(format!(
                "{} changed since it was measured: Enter runs it again",
                step.file_name()
            ));
        }
        out.push(r);
    }
    fill_speedups(&mut out);
    out
}

/// One step's result: locked behind an earlier step, missing, not run, or graded.
fn judge(
    step: &LabStep,
    attempt: Option<&Attempt>,
    earlier: &[StepResult],
    unlock_all: bool,
    not_run: &str,
) -> StepResult {
    let unmeasured = step.floor.clone().map(|floor| FloorCheck {
        floor,
        measured: None,
    });
    let locked = if unlock_all {
        None
    } else {
        lock_reason(earlier)
    };
    let (report, lint, verdict, floor) = match (locked, attempt) {
        // A step that ran before an earlier one fell back keeps its run (and what its floor
        // measured), but is locked again.
        (Some(why), Some(Attempt::Ran { report, lint })) => {
            let (_, floor) = grade::grade(step, report, earlier, lint);
            (
                Some(report.as_ref().clone()),
                Lint::NotApplicable,
                Verdict::Locked(why),
                floor,
            )
        }
        (Some(why), _) => (None, Lint::NotApplicable, Verdict::Locked(why), unmeasured),
        (None, _) if !step.file.is_file() => (
            None,
            Lint::NotApplicable,
            Verdict::NotYet(format!(
                "{} is missing: write it, or `ladder lab init --missing` writes its template \
                 back",
                step.file_name()
            )),
            unmeasured,
        ),
        (None, None) => (
            None,
            Lint::NotApplicable,
            Verdict::NotYet(not_run.into()),
            unmeasured,
        ),
        (None, Some(Attempt::CouldNotStart { why, lint })) => {
            (None, lint.clone(), Verdict::NotYet(why.clone()), unmeasured)
        }
        (None, Some(Attempt::Ran { report, lint })) => {
            let (verdict, floor) = grade::grade(step, report, earlier, lint);
            let verdict = match given_changed(step) {
                Some(line) if verdict.counts() => Verdict::NotYet(format!(
                    "{} is not the baseline handed out (changed at line {line}): every floor \
                     is measured from it, so it counts only as given; put it back (delete it, \
                     then `ladder lab init --missing`)",
                    step.file_name()
                )),
                _ => verdict,
            };
            (Some(report.as_ref().clone()), lint.clone(), verdict, floor)
        }
    };
    result(step, verdict, floor, lint, report)
}

/// For a step handed out solved (`given`), the line where its file first differs from what
/// `init` wrote; None when it is as given, or is not a given step.
fn given_changed(step: &LabStep) -> Option<usize> {
    if !step.given {
        return None;
    }
    let name = step.file.file_name()?.to_string_lossy().into_owned();
    // Read as bytes: a file Python reads in another encoding is still compared.
    let text = String::from_utf8_lossy(&std::fs::read(&step.file).ok()?).into_owned();
    scaffold::differs_from_template(&name, &text)
}

fn result(
    step: &LabStep,
    verdict: Verdict,
    floor: Option<FloorCheck>,
    lint: Lint,
    report: Option<RunReport>,
) -> StepResult {
    StepResult {
        id: step.id.clone(),
        file: step.file_name(),
        title: step.title.clone(),
        optional: step.optional,
        verdict,
        floor,
        lint,
        report,
    }
}

/// Speedups against the first step and against the previous step with a time. An optional
/// step without one is passed over; any other step without one leaves the next with no
/// "previous" (a step compared with one two rungs back would claim both rungs' gain).
fn fill_speedups(results: &mut [StepResult]) {
    let base = results.first().and_then(StepResult::seconds);
    let mut prev: Option<f64> = None;
    for r in results.iter_mut() {
        let t = r.seconds();
        if let Some(rep) = r.report.as_mut() {
            rep.speedup_vs_baseline = base.zip(t).map(|(b, t)| b / t);
            rep.speedup_vs_previous = prev.zip(t).map(|(p, t)| p / t);
        }
        if t.is_some() || !r.optional {
            prev = t;
        }
    }
}
