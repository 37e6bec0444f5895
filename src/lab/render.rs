//! `ladder lab check`'s outputs: a table for people, one JSON document for scripts and CI.

use std::fmt::Write as _;

use super::grade::{Verdict, measured, times};
use super::lint::Lint;
use super::{StepResult, all_count};
use crate::machine::MachineInfo;
use crate::report::{WorkloadMeta, human_speedup, time_cell};
use crate::run::RunReport;

/// The last lines of a failed step's detail (its traceback, its prints) under its row.
const DETAIL_SHOWN: usize = 12;

/// The lab's table: one row a step, the verdict last (it may be long).
#[must_use]
pub fn table(
    dir: &str,
    meta: &WorkloadMeta,
    machine: &MachineInfo,
    results: &[StepResult],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "lab {dir} · {} × {} {} seed {} · {} ({} cores, {})",
        meta.n,
        meta.d,
        meta.source,
        meta.seed,
        machine.cpu,
        machine.logical_cores,
        machine.kernel_isa
    );
    let base = results.first().map_or("-", |r| r.id.as_str());
    let _ = writeln!(
        s,
        "{:<13} {:<18} {:>20} {:>9} {:>8} {:<28} verdict",
        "step",
        "file",
        "time",
        format!("vs {base}"),
        "vs prev",
        "floor"
    );
    let marks = topk_marks(results);
    for (i, r) in results.iter().enumerate() {
        let rep = r.report.as_ref().filter(|x| x.has_time());
        let floor = r.floor.as_ref().map_or_else(
            || "-".to_string(),
            |f| {
                let got = f
                    .measured
                    .map_or_else(String::new, |m| format!(" ({})", measured(m)));
                format!("{} over {}{got}", times(f.floor.at_least), f.floor.over)
            },
        );
        let mark = match &r.verdict {
            Verdict::Counts => "✓",
            Verdict::NotYet(_) => "✗",
            Verdict::Locked(_) => "·",
        };
        let optional = if r.optional { " (optional)" } else { "" };
        let _ = writeln!(
            s,
            "{:<13} {:<18} {:>20} {:>9} {:>8} {:<28} {mark} {}{optional}",
            r.id,
            r.file,
            rep.map_or_else(|| "-".into(), time_cell),
            rep.map_or_else(
                || "-".into(),
                |x| marked(x.speedup_vs_baseline, marks[i][0])
            ),
            rep.map_or_else(
                || "-".into(),
                |x| marked(x.speedup_vs_previous, marks[i][1])
            ),
            floor,
            r.verdict.line()
        );
        if let Some(printed) = r
            .report
            .as_ref()
            .and_then(|x| x.peer.as_ref())
            .and_then(|p| p.printed.as_deref())
        {
            for l in printed.lines() {
                let _ = writeln!(s, "{:<13} {} printed: {l}", "", r.file);
            }
        }
        // A step that failed: what it said under the one-line reason (its traceback, its
        // prints), as the app shows on Enter, so a headless check needs no second run.
        if let Verdict::NotYet(why) = &r.verdict {
            let said: Vec<&str> = why
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .collect();
            let shown = said.len().min(DETAIL_SHOWN);
            if said.len() > shown {
                let _ = writeln!(
                    s,
                    "{:<13} │ … {} earlier lines (--format json has them all)",
                    "",
                    said.len() - shown
                );
            }
            for l in &said[said.len() - shown..] {
                let _ = writeln!(s, "{:<13} │ {l}", "");
            }
        }
    }
    if marks.iter().flatten().any(|m| *m) {
        let _ = writeln!(s, "{TOPK_NOTE}");
    }
    // The stretch steps are not part of what the lab asks.
    let required = results.iter().filter(|r| !r.optional);
    let counted = required.clone().filter(|r| r.verdict.counts()).count();
    let stretch = results
        .iter()
        .filter(|r| r.optional && r.verdict.counts())
        .count();
    // An optional step that does not count is named, so the count under a longer table adds up.
    let left: Vec<&str> = results
        .iter()
        .filter(|r| r.optional && !r.verdict.counts())
        .map(|r| r.id.as_str())
        .collect();
    let _ = writeln!(
        s,
        "{counted} of {} steps count{}{}",
        required.count(),
        if stretch > 0 {
            format!(" (and {stretch} optional)")
        } else if !left.is_empty() {
            format!(" ({} optional, not counted)", left.join(", "))
        } else {
            String::new()
        },
        if all_count(results) {
            ": the ladder is climbed"
        } else {
            ""
        }
    );
    // What a `!` beside a time means, as under `ladder run`'s table.
    for r in results {
        if let Some(note) = r.report.as_ref().filter(|x| x.has_time()).and_then(|x| {
            crate::report::time_load_note(x).map(|n| n.replacen(x.rung.as_str(), &r.file, 1))
        }) {
            let _ = writeln!(s, "{note}");
        }
    }
    // Said once, not on every row.
    if let Some(why) = results.iter().find_map(|r| match &r.lint {
        Lint::Unavailable(why) => Some(why),
        _ => None,
    }) {
        let _ = writeln!(s, "note: {why}");
    }
    s
}

/// The lab as one JSON document.
#[must_use]
pub fn json(
    dir: &str,
    meta: &WorkloadMeta,
    machine: &MachineInfo,
    results: &[StepResult],
) -> serde_json::Value {
    let marks = topk_marks(results);
    let steps: Vec<serde_json::Value> = results
        .iter()
        .zip(&marks)
        .map(|(r, marks)| {
            let rep = r.report.as_ref();
            serde_json::json!({
                "id": r.id,
                "file": r.file,
                "title": r.title,
                "optional": r.optional,
                "counts": r.verdict.counts(),
                "verdict": r.verdict,
                "reason": match &r.verdict { Verdict::Counts => None, v => Some(v.line()) },
                "floor": r.floor,
                "lint": r.lint,
                "seconds": r.seconds(),
                "extrapolated": rep.map(|x| x.extrapolated),
                "speedup_vs_baseline": rep.and_then(|x| x.speedup_vs_baseline),
                "speedup_vs_previous": rep.and_then(|x| x.speedup_vs_previous),
                // Which speedups compare a top-k answer with a full matrix's (the table's `*`).
                "topk_vs_full": marks,
                "verified": rep.map(crate::run::RunReport::verified),
                "run": rep,
            })
        })
        .collect();
    serde_json::json!({
        "schema_version": 1,
        "lab": dir,
        "workload": meta,
        "machine": machine,
        "all_count": all_count(results),
        "steps": steps,
    })
}

/// Under a table whose speedups include a top-k step's (marked `*`).
pub const TOPK_NOTE: &str = "* top-k answers another question: each row's k nearest, not all of \
                             S. Its speedup over a full-matrix step is what changing the \
                             question buys, not a faster way to the same answer";

/// Whether a run answered top-k (its check is a recall), not the full matrix.
#[must_use]
pub fn answers_topk(x: &RunReport) -> bool {
    x.verification.as_ref().is_some_and(|v| v.recall.is_some())
}

/// Per step, whether its "vs first" and its "vs prev" compare a top-k answer with a full
/// matrix's (marked `*`, [`TOPK_NOTE`]): the steps paired as their speedups were.
#[must_use]
pub fn topk_marks(results: &[StepResult]) -> Vec<[bool; 2]> {
    let topk = |r: &StepResult| r.report.as_ref().is_some_and(answers_topk);
    let first_full = results.first().is_some_and(|r| !topk(r));
    // Whether the step "vs prev" refers to answered the full matrix (None: no time to compare).
    let mut prev_full: Option<bool> = None;
    results
        .iter()
        .map(|r| {
            let t = r.seconds();
            let mine = t.is_some() && topk(r);
            let marks = [mine && first_full, mine && prev_full == Some(true)];
            if t.is_some() || !r.optional {
                prev_full = t.map(|_| !topk(r));
            }
            marks
        })
        .collect()
}

/// A speedup, with `*` when it compares a top-k answer with a full matrix's.
#[must_use]
pub fn marked(speedup: Option<f64>, mark: bool) -> String {
    let s = human_speedup(speedup);
    if mark && speedup.is_some() {
        format!("{s}*")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::VerificationReport;

    /// The workload the tables here are made for.
    fn small_meta() -> WorkloadMeta {
        WorkloadMeta {
            n: 100,
            d: 8,
            seed: 0,
            source: "normal".into(),
            zero_rows: 0,
        }
    }

    #[test]
    fn only_a_top_k_answer_against_a_full_matrix_is_marked() {
        let info = crate::rungs::ladder()[0].info();
        let step = |id: &str, recall: Option<f64>, optional: bool, timed: bool| {
            let mut report = crate::run::RunReport::new(&info, 2, 100);
            report.estimated_s = 1.0;
            report.status = if timed {
                crate::run::RunStatus::Completed
            } else {
                crate::run::RunStatus::Failed("TODO".into())
            };
            report.rows_done = 100;
            report.verification = Some(VerificationReport::passed_for_tests(recall));
            StepResult {
                id: id.into(),
                file: format!("{id}.py"),
                title: "t".into(),
                optional,
                verdict: Verdict::Counts,
                floor: None,
                lint: Lint::NotApplicable,
                report: Some(report),
            }
        };
        let full = |id| step(id, None, false, true);
        // The shipped order: the library step against the naive one and the step before it,
        // with an untried optional step between them left out, as its speedups are.
        let results = [
            full("naive"),
            full("numba"),
            step("pyo3", None, true, false),
            step("library", Some(0.99), false, true),
        ];
        assert_eq!(
            topk_marks(&results),
            [[false; 2], [false; 2], [false; 2], [true, true]]
        );
        // A top-k step after another compares like with like against it; one with no time
        // before it has no "vs prev" to mark.
        let results = [
            full("naive"),
            step("index", Some(0.99), false, true),
            step("better", Some(0.99), false, true),
            step("broken", None, false, false),
            step("after", Some(0.99), false, true),
        ];
        assert_eq!(
            topk_marks(&results),
            [
                [false; 2],
                [true, true],
                [true, false],
                [false; 2],
                [true, false]
            ]
        );
        assert_eq!(
            marked(Some(400.0), true),
            format!("{}*", human_speedup(Some(400.0)))
        );
        assert_eq!(marked(None, true), human_speedup(None));
    }

    #[test]
    fn a_time_measured_under_load_is_explained_under_the_table() {
        let info = crate::rungs::ladder()[0].info();
        let mut report = crate::run::RunReport::new(&info, 2, 100);
        report.estimated_s = 1.0;
        report.status = crate::run::RunStatus::Completed;
        report.rows_done = 100;
        report.load_elsewhere = Some(0.8);
        let step = |report: crate::run::RunReport| StepResult {
            id: "naive".into(),
            file: "01_naive.py".into(),
            title: "t".into(),
            optional: false,
            verdict: Verdict::Counts,
            floor: None,
            lint: Lint::NotApplicable,
            report: Some(report),
        };
        let meta = small_meta();
        let machine = MachineInfo::for_tests();
        let text = table("lab", &meta, &machine, &[step(report.clone())]);
        assert!(
            text.contains("01_naive.py !: measured under load: 80% of a core busy elsewhere"),
            "{text}"
        );
        // The lab's table has no % of peak column to speak of.
        assert!(!text.contains("% of peak"), "{text}");
        report.load_elsewhere = Some(0.01);
        let quiet = table("lab", &meta, &machine, &[step(report.clone())]);
        assert!(!quiet.contains("under load"), "{quiet}");
        // A step that failed has no time to be long: nothing to explain.
        report.load_elsewhere = Some(0.8);
        report.status = crate::run::RunStatus::Failed("NotImplementedError".into());
        let failed = table("lab", &meta, &machine, &[step(report.clone())]);
        assert!(!failed.contains("under load"), "{failed}");
        // An optional step left undone is named beside the count, which leaves it out.
        let mut stretch = step(report);
        stretch.id = "pyo3".into();
        stretch.optional = true;
        stretch.verdict = Verdict::NotYet("TODO".into());
        let mut done = step(crate::run::RunReport::new(&info, 2, 100));
        done.verdict = Verdict::Counts;
        let text = table("lab", &meta, &machine, &[done, stretch]);
        assert!(
            text.contains("1 of 1 steps count (pyo3 optional, not counted)"),
            "{text}"
        );
    }

    #[test]
    fn a_failed_step_s_traceback_and_prints_are_under_its_row_the_last_lines_kept() {
        let info = crate::rungs::ladder()[0].info();
        let meta = small_meta();
        let failed = |reason: String| StepResult {
            id: "algorithmic".into(),
            file: "02_algorithmic.py".into(),
            title: "t".into(),
            optional: false,
            verdict: Verdict::NotYet(reason),
            floor: None,
            lint: Lint::NotApplicable,
            report: Some(crate::run::RunReport::new(&info, 2, 100)),
        };
        let machine = MachineInfo::for_tests();
        let text = table(
            "lab",
            &meta,
            &machine,
            &[failed(
                "02_algorithmic.py: similarity returned shape (1, 3)\nhello from step 2\n\n".into(),
            )],
        );
        assert!(
            text.contains("✗ 02_algorithmic.py: similarity returned shape (1, 3)\n"),
            "{text}"
        );
        assert!(text.contains("│ hello from step 2\n"), "{text}");
        // A long traceback keeps its end (the error) and says where the rest is.
        let long: String = (0..20).fold("boom".into(), |t, i| t + &format!("\nline {i}"));
        let text = table("lab", &meta, &machine, &[failed(long)]);
        assert!(
            text.contains("│ … 8 earlier lines (--format json has them all)"),
            "{text}"
        );
        assert!(
            text.contains("│ line 19") && !text.contains("│ line 7\n"),
            "{text}"
        );
    }
}
