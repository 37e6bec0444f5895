//! Grading, in order: a step counts when it verifies, reaches its floor over the earlier step
//! the floor names, and has no NumPy findings; a step stays locked until every earlier step
//! that is not optional counts.

use serde::Serialize;

use super::StepResult;
use super::lint::Lint;
use super::spec::{Floor, LabStep};
use crate::run::{RunReport, RunStatus};

/// Where a step stands.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "reason")]
pub enum Verdict {
    /// Verified, fast enough, clean: the step counts.
    Counts,
    /// Ran (or tried to) and does not count yet; the reason says what to do.
    NotYet(String),
    /// An earlier step does not count yet, so this one is not run.
    Locked(String),
}

impl Verdict {
    #[must_use]
    pub fn counts(&self) -> bool {
        matches!(self, Verdict::Counts)
    }

    /// One line for a table.
    #[must_use]
    pub fn line(&self) -> String {
        match self {
            Verdict::Counts => "counts".into(),
            Verdict::NotYet(r) | Verdict::Locked(r) => r.lines().next().unwrap_or("").to_string(),
        }
    }
}

/// A step's floor against what was measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FloorCheck {
    #[serde(flatten)]
    pub floor: Floor,
    /// The measured speedup over `floor.over`, when both have a time.
    pub measured: Option<f64>,
}

/// How far under its floor a right step may measure and still be measured once more: closer
/// than this, the shortfall may be the machine's noise (another process, a slow core).
pub const NOISE_MARGIN: f64 = crate::report::FLOOR_NOISE_MARGIN;

/// Did `r` verify and fall short of its floor by no more than [`NOISE_MARGIN`]? Then one
/// more measurement decides, the faster of the two kept, as the perf gate measures a
/// regression twice before it believes it.
#[must_use]
pub fn short_by_noise(r: &StepResult) -> bool {
    let verified = r.report.as_ref().is_some_and(RunReport::verified);
    let near = r.floor.as_ref().is_some_and(|f| {
        f.measured
            .is_some_and(|x| x < f.floor.at_least && x * NOISE_MARGIN >= f.floor.at_least)
    });
    verified && near && !r.verdict.counts()
}

/// Why the next step is locked: the first earlier step, not optional, that does not count.
#[must_use]
pub fn lock_reason(earlier: &[StepResult]) -> Option<String> {
    earlier
        .iter()
        .find(|r| !r.optional && !r.verdict.counts())
        .map(|r| format!("locked: {} does not count yet", r.file))
}

/// The verdict on `step`, run as `report`, against the results of the steps before it.
#[must_use]
pub fn grade(
    step: &LabStep,
    report: &RunReport,
    earlier: &[StepResult],
    lint: &Lint,
) -> (Verdict, Option<FloorCheck>) {
    let floor = step.floor.as_ref().map(|f| {
        // Only a step that counts is a reference: a baseline made slower, or a file changed
        // since its time, would make the floor easier to reach.
        let over = earlier
            .iter()
            .find(|r| r.id == f.over)
            .filter(|r| r.verdict.counts())
            .and_then(|r| r.report.as_ref());
        // Only a verified time is a fair reference.
        let measured = over
            .filter(|o| {
                o.has_time()
                    && o.verified()
                    && report.has_time()
                    && report.verified()
                    && report.estimated_s > 0.0
            })
            .map(|o| o.estimated_s / report.estimated_s);
        FloorCheck {
            floor: f.clone(),
            measured,
        }
    });
    let verdict = match &report.status {
        // The harness's own words (exit 3, 4, 5: it could not load, it raised, it returned the
        // wrong thing) without the process's name; a crash keeps how it died.
        RunStatus::Failed(why) => Verdict::NotYet(
            [
                "exit status 3",
                "exit status 4",
                "exit status 5",
                crate::peers::rung::SPY_HIDDEN_STATUS,
            ]
            .iter()
            .find_map(|code| why.strip_prefix(&format!("lab-{} ({code}): ", step.id)))
            .map_or_else(
                || {
                    let rest = why
                        .strip_prefix(&format!("lab-{}: ", step.id))
                        .or_else(|| why.strip_prefix(&format!("lab-{} ", step.id)))
                        .unwrap_or(why);
                    // "(crashed: …): what it said" reads better without the brackets.
                    rest.strip_prefix('(')
                        .and_then(|r| r.split_once("): "))
                        .map_or_else(|| rest.to_string(), |(how, said)| format!("{how}: {said}"))
                },
                str::to_string,
            ),
        ),
        RunStatus::Unavailable(why) => Verdict::NotYet(format!("cannot run here: {why}")),
        RunStatus::Cancelled => Verdict::NotYet("cancelled".into()),
        RunStatus::Completed | RunStatus::Extrapolated if !report.verified() => {
            let v = report.verification.as_ref();
            Verdict::NotYet(match v {
                Some(v) if v.recall.is_some() => format!(
                    "wrong neighbours: recall {:.3}; it counts from {:.2} (the share of the \
                     true top-k found, on sampled rows)",
                    v.recall.unwrap_or(0.0),
                    crate::workload::reference::RECALL_FLOOR
                ),
                Some(v) if v.non_finite => "wrong answer: it returned NaN or infinity".into(),
                Some(v) => match (v.worst, v.expected_found) {
                    (Some((r, c)), Some((want, got))) => format!(
                        "wrong answer: S[{r}][{c}] is {got:.6} where it should be {want:.6} \
                         (off by {:.2e}, allowed {:.1e})",
                        v.max_abs_err, v.tolerance
                    ),
                    (Some((r, c)), None) => format!(
                        "wrong answer: S[{r}][{c}] is off by {:.2e} (allowed {:.1e})",
                        v.max_abs_err, v.tolerance
                    ),
                    (None, _) => format!(
                        "wrong answer: off by {:.2e} (allowed {:.1e})",
                        v.max_abs_err, v.tolerance
                    ),
                },
                None => "not verified".into(),
            })
        }
        RunStatus::Completed | RunStatus::Extrapolated => match &floor {
            Some(fc) => match fc.measured {
                None if earlier
                    .iter()
                    .any(|r| r.id == fc.floor.over && !r.verdict.counts()) =>
                {
                    Verdict::NotYet(format!(
                        "needs {} to count first: its time is what this step is measured against",
                        fc.floor.over
                    ))
                }
                None => Verdict::NotYet(format!(
                    "needs a verified time of {} to compare with",
                    fc.floor.over
                )),
                Some(x) if x < fc.floor.at_least => Verdict::NotYet(format!(
                    "{} {}; it counts from {} faster ({}){}",
                    if (0.95..=1.05).contains(&x) {
                        "about as fast as".to_string()
                    } else if x < 1.0 {
                        format!("{} slower than", measured(1.0 / x))
                    } else {
                        format!("{} faster than", measured(x))
                    },
                    fc.floor.over,
                    times(fc.floor.at_least),
                    fc.floor.why,
                    // Prints in a loop cost more than the arithmetic around them. Only many
                    // lines (more than are kept) say so: a warning or two is not a loop.
                    if report
                        .peer
                        .as_ref()
                        .and_then(|p| p.printed.as_deref())
                        .is_some_and(|p| p.starts_with("… "))
                    {
                        "; it printed while timed, and printing costs time: take the prints \
                         out to time the step itself"
                    } else {
                        ""
                    }
                )),
                Some(_) => lint_verdict(lint),
            },
            None => lint_verdict(lint),
        },
    };
    (verdict, floor)
}

fn lint_verdict(lint: &Lint) -> Verdict {
    let f = lint.findings();
    if f.is_empty() {
        return Verdict::Counts;
    }
    let shown: Vec<String> = f
        .iter()
        .take(3)
        .map(|f| format!("line {} {}: {}", f.line, f.rule, f.message))
        .collect();
    Verdict::NotYet(format!(
        "ruff: {} NumPy finding{} to fix: {}",
        f.len(),
        if f.len() == 1 { "" } else { "s" },
        shown.join("; ")
    ))
}

/// A measured ratio, as the tables show it (three figures: "1.96x", never "2.0x" beside a
/// floor of 2.0x that it does not reach).
#[must_use]
pub fn measured(x: f64) -> String {
    crate::report::human_speedup(Some(x))
}

/// A ratio as people say it: 3.2x, 45x, 1200x.
#[must_use]
pub fn times(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}x")
    } else {
        format!("{x:.0}x")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::VerificationReport;

    #[test]
    fn a_step_short_of_its_floor_that_printed_while_timed_is_told_prints_cost_time() {
        let info = crate::rungs::ladder()[0].info();
        let timed = |seconds: f64, printed: Option<&str>| {
            let mut r = RunReport::new(&info, 1, 100);
            r.status = RunStatus::Completed;
            r.rows_done = 100;
            r.estimated_s = seconds;
            r.verification = Some(VerificationReport::passed_for_tests(None));
            r.peer = Some(crate::rungs::PeerStats {
                printed: printed.map(str::to_string),
                ..Default::default()
            });
            r
        };
        let naive = StepResult {
            id: "naive".into(),
            file: "01_naive.py".into(),
            title: "t".into(),
            optional: false,
            verdict: Verdict::Counts,
            floor: None,
            lint: Lint::NotApplicable,
            report: Some(timed(10.0, None)),
        };
        let step = LabStep {
            id: "algorithmic".into(),
            file: "02_algorithmic.py".into(),
            title: "t".into(),
            step: crate::rungs::Step::Algorithm,
            output: crate::rungs::OutputKind::Full,
            input: super::super::spec::Input::Lists,
            floor: Some(Floor {
                over: "naive".into(),
                at_least: 2.0,
                why: "norms once".into(),
            }),
            needs: vec![],
            programs: vec![],
            install: String::new(),
            optional: false,
            uses_one_of: vec![],
            own_loops: false,
            given: false,
        };
        let earlier = [naive];
        let (quiet, _) = grade(&step, &timed(8.0, None), &earlier, &Lint::NotApplicable);
        assert!(!quiet.line().contains("printed"), "{}", quiet.line());
        // A warning's few lines are not a loop of prints.
        let (warned, _) = grade(
            &step,
            &timed(8.0, Some("NumbaPerformanceWarning: ...")),
            &earlier,
            &Lint::NotApplicable,
        );
        assert!(!warned.line().contains("printed"), "{}", warned.line());
        let (loud, _) = grade(
            &step,
            &timed(8.0, Some("… 3000 lines above these\ni 0")),
            &earlier,
            &Lint::NotApplicable,
        );
        assert!(
            loud.line()
                .contains("it printed while timed, and printing costs time"),
            "{}",
            loud.line()
        );
        // One that reaches its floor counts, prints or not.
        let (fast, _) = grade(
            &step,
            &timed(2.0, Some("i 0")),
            &earlier,
            &Lint::NotApplicable,
        );
        assert!(fast.counts(), "{fast:?}");
    }
}
