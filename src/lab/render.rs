//! `ladder lab check`'s outputs: a table for people, one JSON document for scripts and CI.

use std::fmt::Write as _;

use super::grade::{Verdict, times};
use super::lint::Lint;
use super::{StepResult, all_count};
use crate::machine::MachineInfo;
use crate::report::{WorkloadMeta, human_speedup, time_cell};
use crate::run::RunReport;

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
    for r in results {
        let rep = r.report.as_ref().filter(|x| x.has_time());
        let floor = r.floor.as_ref().map_or_else(
            || "-".to_string(),
            |f| {
                let got = f
                    .measured
                    .map_or_else(String::new, |m| format!(" ({})", times(m)));
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
            rep.map_or_else(|| "-".into(), |x| human_speedup(x.speedup_vs_baseline)),
            rep.map_or_else(|| "-".into(), vs_previous),
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
    }
    if results
        .iter()
        .filter_map(|r| r.report.as_ref())
        .any(|x| x.has_time() && answers_topk(x))
    {
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
    let steps: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
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

/// A step's "vs prev": marked `*` where a top-k answer is compared with the step before.
#[must_use]
pub fn vs_previous(x: &RunReport) -> String {
    let s = human_speedup(x.speedup_vs_previous);
    if answers_topk(x) && x.speedup_vs_previous.is_some() {
        format!("{s}*")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let meta = WorkloadMeta {
            n: 100,
            d: 8,
            seed: 0,
            source: "normal".into(),
            zero_rows: 0,
        };
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
}
