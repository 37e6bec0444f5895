//! The class view: students' saved files (`ladder run --format json`, `ladder lab check
//! --format json`, `ladder learn --export`) merged into one row per student.
//!
//! Students ran on different machines, so they are compared by ratios only (speedups, and %
//! of the peak measured on their own machine), never by seconds. A file that is not one of the
//! three is skipped with the reason, never fatal: one bad hand-in must not cost the class view.
//!
//! The lab's and the lessons' documents are read here through their own small, tolerant
//! shapes (every field but the ones that identify the kind may be missing), so that the
//! report depends on neither the lab nor the lessons.

mod gather;
mod page;
mod read;
mod render;
#[cfg(test)]
mod tests;

pub use read::{
    AnswerDoc, AttemptDoc, Input, LabDoc, LabStep, LessonDoc, LessonsDoc, ScoreDoc, Skip, file_key,
    read,
};

use super::Results;
use crate::machine::MachineInfo;
use crate::run::RunReport;

/// A student's run, as ratios: the best share of their own machine's peak, and the furthest
/// speedup over their own baseline.
#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub workload: String,
    pub rungs: usize,
    pub verified: usize,
    /// The rung nearest the machine's whole peak (every core, the widest vectors), and its %:
    /// one ceiling for every rung, so a one-core or 128-bit rung's share of its own smaller
    /// ceiling does not outrank the rung that does the most of what the machine can.
    pub best_peak: Option<(String, f64)>,
    /// The rung furthest above the baseline, and how many times faster.
    pub best_speedup: Option<(String, f64)>,
    /// Whether the best % of peak's time, or the best speedup's or its baseline's, was
    /// measured under load: the figure is then marked, never silently trusted.
    pub best_peak_loaded: bool,
    pub best_speedup_loaded: bool,
    /// The rung the speedups are over: the first with a right time.
    pub base: Option<String>,
    /// Every rung with a time.
    pub rows: Vec<RunRow>,
}

/// One rung of a student's run, as the class view shows it.
#[derive(Clone, Debug, Default)]
pub struct RunRow {
    pub id: String,
    /// % of peak (None for approximate ones).
    pub pct: Option<f64>,
    pub speedup: Option<f64>,
    pub verified: bool,
    /// Whether its time, or its baseline's, was measured under load.
    pub loaded: bool,
}

impl RunSummary {
    fn of(r: &Results) -> Self {
        let mut s = Self {
            workload: format!("{} × {}", r.workload.n, r.workload.d),
            rungs: r.rungs.len(),
            ..Self::default()
        };
        // Speedups from the times themselves, over the first rung with a right time: a
        // hand-in's stored ratios are not taken on trust.
        let first = r
            .rungs
            .iter()
            .find(|x| x.has_time() && x.verified() && x.estimated_s > 0.0);
        s.base = first.map(|x| x.rung.clone());
        let base = first.map(|x| x.estimated_s);
        let base_loaded = first.is_some_and(RunReport::under_load);
        for x in r.rungs.iter().filter(|x| x.has_time()) {
            let ok = x.verified();
            let speedup = base
                .filter(|_| x.estimated_s > 0.0)
                .map(|b| b / x.estimated_s);
            s.verified += usize::from(ok);
            // A top-k rung's figure is of the work it skips, not of the whole matrix.
            let approximate = x.verification.as_ref().is_some_and(|v| v.recall.is_some());
            let pct = (!approximate).then_some(x.peak_pct);
            let loaded = x.under_load() || base_loaded;
            s.rows.push(RunRow {
                id: x.rung.clone(),
                pct,
                speedup,
                verified: ok,
                loaded,
            });
            if !ok {
                continue;
            }
            let whole = r.machine.peak_gflops_all;
            let of_machine = pct.map(|p| {
                if whole > 0.0 {
                    100.0 * x.gflops_work / whole
                } else {
                    p
                }
            });
            if let Some(p) = of_machine.filter(|p| s.best_peak.as_ref().is_none_or(|b| *p > b.1)) {
                s.best_peak = Some((x.rung.clone(), p));
                s.best_peak_loaded = x.under_load();
            }
            if let Some(v) = speedup.filter(|v| s.best_speedup.as_ref().is_none_or(|b| *v > b.1)) {
                s.best_speedup = Some((x.rung.clone(), v));
                s.best_speedup_loaded = loaded;
            }
        }
        s
    }
}

/// A student's lab: how far up their own ladder counts.
#[derive(Clone, Debug, Default)]
pub struct LabSummary {
    pub workload: String,
    pub counted: usize,
    pub steps: usize,
    pub all_count: bool,
    /// The highest step that counts.
    pub highest: Option<LabStep>,
    pub rows: Vec<LabStep>,
    /// Steps measured so near their floor that a busier or quieter machine could change
    /// their grade, said so an instructor does not read a noise flip as a student's doing.
    pub near_floor: Vec<String>,
    /// How the student's lab.toml asks less than the shipped one.
    pub loosened: Vec<String>,
    /// Said when the lab was climbed at another size than its lab.toml asks (`--n`, `--d`):
    /// its floors are set for that size, so its grades are not the lab's.
    pub off_size: Option<String>,
    /// Whether the highest step's time, or step 1's that its speedup is over, was measured
    /// under load.
    pub loaded: bool,
}

impl LabSummary {
    fn of(l: &LabDoc) -> Self {
        Self {
            workload: l
                .workload
                .as_ref()
                .map_or_else(String::new, |w| format!("{} × {}", w.n, w.d)),
            // As `ladder lab check` counts: the stretch steps are not part of what it asks.
            counted: l.steps.iter().filter(|s| s.counts && !s.optional).count(),
            steps: l.steps.iter().filter(|s| !s.optional).count(),
            all_count: l.all_count,
            highest: l.steps.iter().rev().find(|s| s.counts).cloned(),
            rows: l.steps.clone(),
            near_floor: l
                .steps
                .iter()
                .filter_map(|s| {
                    let f = s.floor.as_ref()?;
                    let m = f.measured?;
                    let margin = crate::report::FLOOR_NOISE_MARGIN;
                    (m * margin >= f.at_least && m <= f.at_least * margin).then(|| {
                        format!(
                            "lab step {} measured {} over {} against a floor of {}: {} by a \
                             margin a busier or quieter machine can change",
                            s.id,
                            crate::report::human_speedup(Some(m)),
                            f.over,
                            crate::report::human_speedup(Some(f.at_least)),
                            if s.counts {
                                "it counts"
                            } else {
                                "it does not count"
                            }
                        )
                    })
                })
                .collect(),
            loosened: l.loosened.clone(),
            off_size: match (&l.workload, l.lab_size) {
                (Some(w), Some(asks)) if (w.n, w.d) != (asks.n, asks.d) => Some(format!(
                    "its lab was climbed at {} × {}, not at the {} × {} its lab.toml asks and \
                     sets the floors for: fixed costs weigh differently there, so a step may \
                     count or not by the size alone",
                    w.n, w.d, asks.n, asks.d
                )),
                _ => None,
            },
            loaded: l.steps.iter().rev().find(|s| s.counts).is_some_and(|h| {
                h.under_load() || l.steps.first().is_some_and(LabStep::under_load)
            }),
        }
    }
}

/// One prediction's first attempt: both are ratios, so they compare across machines.
#[derive(Clone, Debug)]
pub struct Prediction {
    pub lesson: String,
    pub question: String,
    pub predicted: Option<f64>,
    pub measured: Option<f64>,
    /// What predicted and measured count where they are not speedups ("MB").
    pub unit: Option<String>,
    pub scored: Option<bool>,
    /// Why it is not judged (the export's `unjudged`: made with its measurement on screen, or
    /// not measurable there): kept, never counted.
    pub unjudged: Option<String>,
}

impl Prediction {
    /// How many times off the prediction was, whichever way: 1 is exact.
    #[must_use]
    pub fn off_by(&self) -> Option<f64> {
        let (p, m) = (self.predicted?, self.measured?);
        (p > 0.0 && m > 0.0).then(|| (p / m).max(m / p))
    }
}

/// A justification saved for the instructor to read.
#[derive(Clone, Debug)]
pub struct Explanation {
    pub lesson: String,
    pub question: String,
    pub text: String,
}

/// A student's lessons: predictions against measurements, questions, explanations.
#[derive(Clone, Debug, Default)]
pub struct LessonsSummary {
    pub steps_done: usize,
    pub steps_total: usize,
    /// Questions in the lessons, and those answered, and of these right at the first try.
    pub questions: usize,
    pub answered: usize,
    pub right_first_time: usize,
    /// Predictions in the lessons, made or not.
    pub predictions_total: usize,
    pub predictions: Vec<Prediction>,
    pub explanations: Vec<Explanation>,
}

impl LessonsSummary {
    fn of(doc: &LessonsDoc) -> Self {
        let mut s = Self::default();
        for l in &doc.lessons {
            s.steps_done += l.steps_done;
            s.steps_total += l.steps_total;
            s.questions += l.score.questions;
            s.predictions_total += l.score.predictions;
            for a in &l.answers {
                match a.kind.as_str() {
                    "choice" | "flame" if !a.attempts.is_empty() => {
                        s.answered += 1;
                        s.right_first_time += usize::from(a.first_attempt_right == Some(true));
                    }
                    "predict" => {
                        let Some(first) = a.attempts.first() else {
                            continue;
                        };
                        s.predictions.push(Prediction {
                            lesson: l.title.clone(),
                            question: a.question.clone(),
                            predicted: first.predicted,
                            measured: first.measured,
                            // An export from before units were written: its question says MB.
                            unit: a
                                .unit
                                .clone()
                                .or_else(|| a.question.contains(" MB ").then(|| "MB".to_string())),
                            scored: a.first_attempt_right,
                            unjudged: first.unjudged.clone(),
                        });
                    }
                    "explain" => {
                        // The latest text is the one the student stands by.
                        if let Some(text) = a
                            .attempts
                            .iter()
                            .rev()
                            .find_map(|t| t.text.as_deref())
                            .map(str::trim)
                            .filter(|t| !t.is_empty())
                        {
                            s.explanations.push(Explanation {
                                lesson: l.title.clone(),
                                question: a.question.clone(),
                                text: text.to_string(),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
        s
    }

    /// Predictions whose first attempt scored.
    #[must_use]
    pub fn scored(&self) -> usize {
        self.predictions
            .iter()
            .filter(|p| p.unjudged.is_none() && p.scored == Some(true))
            .count()
    }

    /// The predictions that count: made before their measurement, and measured.
    #[must_use]
    pub fn judged(&self) -> usize {
        self.predictions
            .iter()
            .filter(|p| p.unjudged.is_none())
            .count()
    }

    /// The predictions kept but not counted (see [`Prediction::unjudged`]).
    #[must_use]
    pub fn unjudged(&self) -> usize {
        self.predictions.len() - self.judged()
    }

    /// The median of how many times off the predictions were.
    #[must_use]
    pub fn median_off_by(&self) -> Option<f64> {
        let mut v: Vec<f64> = self
            .predictions
            .iter()
            .filter(|p| p.unjudged.is_none())
            .filter_map(Prediction::off_by)
            .collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        Some(if v.len() % 2 == 1 {
            v[mid]
        } else {
            f64::midpoint(v[mid - 1], v[mid])
        })
    }
}

/// One student: everything their files say, merged.
#[derive(Clone, Debug, Default)]
pub struct Student {
    pub name: String,
    pub files: Vec<String>,
    /// Each machine their files were made on, as "CPU (N cores, ISA)".
    pub machines: Vec<String>,
    pub run: Option<RunSummary>,
    pub lab: Option<LabSummary>,
    pub lessons: Option<LessonsSummary>,
    /// What merging noticed (a second file of one kind replaced the first).
    pub notes: Vec<String>,
}

/// The note on a student whose every file was skipped.
pub const NOTHING_READABLE: &str =
    "nothing readable: every file handed in was skipped (see the skipped files for why)";

impl Student {
    /// Whether any of their files could be read (else they have a row saying so).
    #[must_use]
    pub fn read_anything(&self) -> bool {
        self.run.is_some() || self.lab.is_some() || self.lessons.is_some()
    }
}

/// A file that was left out, and why.
#[derive(Debug)]
pub struct Skipped {
    pub file: String,
    pub why: Skip,
}

/// The whole class.
#[derive(Debug, Default)]
pub struct Class {
    pub students: Vec<Student>,
    pub skipped: Vec<Skipped>,
}

/// Students grouped by a value they differ in, as "value (ada, bob); other (cy)", when more
/// than one value is seen.
fn split_by(students: &[Student], value: impl Fn(&Student) -> Option<String>) -> Option<String> {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for st in students {
        let Some(v) = value(st).filter(|v| !v.is_empty()) else {
            continue;
        };
        match groups.iter_mut().find(|(g, _)| *g == v) {
            Some((_, names)) => names.push(&st.name),
            None => groups.push((v, vec![&st.name])),
        }
    }
    (groups.len() > 1).then(|| {
        groups
            .iter()
            .map(|(v, names)| format!("{v} ({})", names.join(", ")))
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// A machine as the lessons export names it.
fn machine_line(m: &MachineInfo) -> String {
    format!("{} ({} cores, {})", m.cpu, m.logical_cores, m.kernel_isa)
}

/// The size most of the class's labs, and most of its runs, were measured at: a student's
/// row names theirs where it is another.
#[derive(Clone, Debug, Default)]
pub(super) struct UsualSizes {
    pub lab: Option<String>,
    pub run: Option<String>,
}

/// The value most students share (the first seen of the most common), when some differ.
fn usual(students: &[Student], value: impl Fn(&Student) -> Option<String>) -> Option<String> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for v in students.iter().filter_map(&value).filter(|v| !v.is_empty()) {
        match counts.iter_mut().find(|(g, _)| *g == v) {
            Some((_, n)) => *n += 1,
            None => counts.push((v, 1)),
        }
    }
    let most = counts.iter().map(|(_, n)| *n).max()?;
    // A tie has no usual size: no row is the odd one out.
    let at_most: Vec<_> = counts.iter().filter(|(_, n)| *n == most).collect();
    (counts.len() > 1 && at_most.len() == 1).then(|| at_most[0].0.clone())
}

impl Class {
    pub(super) fn usual_sizes(&self) -> UsualSizes {
        UsualSizes {
            lab: usual(&self.students, |s| {
                s.lab.as_ref().map(|l| l.workload.clone())
            }),
            run: usual(&self.students, |s| {
                s.run.as_ref().map(|r| r.workload.clone())
            }),
        }
    }

    /// What the summary compares that is not like with like: runs or labs at different sizes,
    /// speedups over different first rungs. Ratios move with the size (a library sized to
    /// the caches most), so these are said above the table, not left to be read as skill.
    #[must_use]
    pub fn cautions(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(groups) = split_by(&self.students, |s| {
            s.run.as_ref().map(|r| r.workload.clone())
        }) {
            out.push(format!(
                "The runs are at different sizes: {groups}. Speedups and % of peak move with the \
                 size; compare students within one size, or ask for runs at one."
            ));
        }
        if let Some(groups) = split_by(&self.students, |s| {
            s.run.as_ref().and_then(|r| r.base.clone())
        }) {
            out.push(format!(
                "The runs' speedups are over different first rungs: {groups}. A speedup over a \
                 faster first rung reads smaller; compare the ones over the same rung."
            ));
        }
        if let Some(groups) = split_by(&self.students, |s| {
            s.lab.as_ref().map(|l| l.workload.clone())
        }) {
            out.push(format!(
                "The labs were checked at different sizes: {groups}. The floors are set for the \
                 lab's own size; a grade at another may differ."
            ));
        }
        // "grace" (from a file's name) and "Grace Hopper" (recorded by --name) are two rows
        // that may be one student: one name a single word, the other's first. Said, never
        // merged on a guess; "Alex Smith" and "Alex Jones" are two people.
        let words = |name: &str| -> Vec<String> {
            name.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect()
        };
        let one_in = |a: &[String], b: &[String]| a.len() == 1 && b.len() > 1 && b[0] == a[0];
        let mut alike: Vec<String> = Vec::new();
        for (i, a) in self.students.iter().enumerate() {
            for b in &self.students[i + 1..] {
                let (wa, wb) = (words(&a.name), words(&b.name));
                if one_in(&wa, &wb) || one_in(&wb, &wa) {
                    alike.push(format!("{} and {}", a.name, b.name));
                }
            }
        }
        if !alike.is_empty() {
            out.push(format!(
                "{} may be one student under two names: their rows stay apart; ask for one \
                 --name on every file (ladder run, lab check and learn --export take it).",
                alike.join("; ")
            ));
        }
        let loose: Vec<&str> = self
            .students
            .iter()
            .filter(|s| s.lab.as_ref().is_some_and(|l| !l.loosened.is_empty()))
            .map(|s| s.name.as_str())
            .collect();
        if !loose.is_empty() {
            out.push(format!(
                "The lab.toml of {} asks less than the lab as shipped (a lower floor, a check \
                 turned off): {} grades are not the others'; {} sections say how.",
                and_list(&loose),
                if loose.len() == 1 { "its" } else { "their" },
                if loose.len() == 1 { "its" } else { "their" },
            ));
        }
        let off: Vec<&str> = self
            .students
            .iter()
            .filter(|s| s.lab.as_ref().is_some_and(|l| l.off_size.is_some()))
            .map(|s| s.name.as_str())
            .collect();
        if !off.is_empty() {
            let one = off.len() == 1;
            out.push(format!(
                "The {} of {} {} climbed at another size than {} lab.toml asks (--n or --d): \
                 the floors are set for the lab's size, so those grades are not the lab's: ask \
                 for a lab check without --n and --d.",
                if one { "lab" } else { "labs" },
                and_list(&off),
                if one { "was" } else { "were" },
                if one { "its" } else { "their" },
            ));
        }
        out
    }
}

/// Names as a sentence lists them: "ada", "ada and grace", "ada, bob and grace".
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}
