//! The regression gate: a benchmark run against a committed baseline of ratios.
//!
//! Seconds differ between machines and from minute to minute on a shared one, so the gate never
//! compares them. It compares two ratios measured inside one run: each rung's speedup over the
//! run's baseline rung, and its fraction of the machine's peak measured in the same run. A rung
//! regresses when either falls below the baseline by more than the rung's threshold.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use serde::Serialize;

use crate::machine::MachineKey;
use crate::run::bench::{self, NOISY_SPREAD, RungBench};
use crate::run::{CancelToken, Runner};

mod baseline;

pub use baseline::{
    BASELINE_SCHEMA, Baseline, BaselineError, BaselineFile, BaselineRung, BaselineWorkload,
    DEFAULT_THRESHOLD, PEAK_MEASURE,
};

/// What the gate concluded for one rung.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Ok,
    /// Better than the baseline by more than the threshold: consider re-recording it.
    Improved,
    /// Fell by more than the threshold.
    Regressed,
    /// Fell by more than the threshold, but the measurement itself was too noisy to trust.
    Noisy,
    /// In the baseline, not in the run.
    Missing,
    /// Gave a wrong answer.
    Unverified,
}

impl Verdict {
    #[must_use]
    pub fn fails(&self) -> bool {
        matches!(
            self,
            Verdict::Regressed | Verdict::Missing | Verdict::Unverified
        )
    }
}

/// One rung's line in the gate's table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GateRow {
    pub rung: String,
    pub baseline_speedup: f64,
    pub speedup: Option<f64>,
    pub baseline_peak: f64,
    pub peak: Option<f64>,
    /// The worse of now / baseline over both ratios.
    pub ratio: Option<f64>,
    pub threshold: f64,
    pub spread: Option<f64>,
    pub verdict: Verdict,
    /// Where the row was measured again: the first measurement's ratio.
    pub first_ratio: Option<f64>,
    /// The most CPU other processes used while one of its runs was measured, in cores: its
    /// ratios are then not to be trusted as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load_elsewhere: Option<f64>,
}

impl GateRow {
    /// Whether its measurement was taken under load (see [`crate::run::LOADED_CORES`]).
    #[must_use]
    pub fn under_load(&self) -> bool {
        self.load_elsewhere
            .is_some_and(|l| l >= crate::run::LOADED_CORES)
    }
}

/// "measured under load: 40% of a core busy elsewhere".
#[must_use]
pub fn load_words(cores: f64) -> String {
    format!(
        "measured under load: {:.0}% of a core busy elsewhere",
        cores * 100.0
    )
}

/// The gate's decision.
#[derive(Clone, Debug, PartialEq)]
pub struct GateReport {
    pub rows: Vec<GateRow>,
}

fn signed_pct(x: f64) -> String {
    format!("{:+.1}%", (x - 1.0) * 100.0)
}

impl GateReport {
    #[must_use]
    pub fn passed(&self) -> bool {
        !self.rows.iter().any(|r| r.verdict.fails())
    }

    /// Rungs that fell past their threshold in a measurement not yet repeated: a shared machine
    /// can slow one rung for seconds, so these are measured again before the gate fails.
    #[must_use]
    pub fn suspects(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.verdict == Verdict::Regressed && r.first_ratio.is_none())
            .map(|r| r.rung.clone())
            .collect()
    }

    /// Takes the verdicts of `again`, a fresh measurement, for the suspects it measured. A
    /// suspect fails only when it falls past its threshold twice.
    pub fn recheck(&mut self, again: &GateReport) {
        for row in &mut self.rows {
            if row.verdict != Verdict::Regressed || row.first_ratio.is_some() {
                continue;
            }
            let Some(new) = again.rows.iter().find(|n| n.rung == row.rung) else {
                continue;
            };
            if new.verdict == Verdict::Missing {
                continue; // not measured again (cancelled): the first verdict stands
            }
            let first = row.ratio;
            *row = new.clone();
            row.first_ratio = first;
        }
    }

    /// The table for people; `rows` picks which rows to show.
    #[must_use]
    pub fn render_table(&self, baseline_rung: &str, rows: &dyn Fn(&GateRow) -> bool) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<12} {:>14} {:>14} {:>10} {:>10} {:>8} {:>9}  verdict",
            "rung",
            format!("vs {baseline_rung} (base)"),
            "now",
            "peak base",
            "now",
            "change",
            "threshold"
        );
        for r in self.rows.iter().filter(|r| rows(r)) {
            let fmt_x = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}x"));
            let fmt_p = |v: Option<f64>| {
                v.map_or_else(|| "-".to_string(), |v| format!("{:.1}%", v * 100.0))
            };
            let change = r.ratio.map_or_else(|| "-".to_string(), signed_pct);
            let mut verdict = match r.verdict {
                Verdict::Ok => "ok".to_string(),
                Verdict::Improved => "improved (re-record the baseline?)".to_string(),
                Verdict::Regressed => "REGRESSED".to_string(),
                Verdict::Noisy => format!(
                    "undecided: spread {:.0}% > {:.0}%, rerun",
                    r.spread.unwrap_or(0.0) * 100.0,
                    NOISY_SPREAD * 100.0
                ),
                Verdict::Missing => "MISSING from the run".to_string(),
                Verdict::Unverified => "WRONG ANSWER (failed verification)".to_string(),
            };
            if let Some(first) = r.first_ratio {
                let again = if r.verdict == Verdict::Regressed {
                    " again"
                } else {
                    ""
                };
                let _ = write!(
                    verdict,
                    "{again} on a second run (first {})",
                    signed_pct(first)
                );
            }
            // After the verdict's own words, which read as one phrase.
            if r.under_load() {
                let _ = write!(verdict, "; {}", load_words(r.load_elsewhere.unwrap_or(0.0)));
            }
            let _ = writeln!(
                s,
                "{:<12} {:>14} {:>14} {:>10} {:>10} {:>8} {:>9}  {verdict}",
                r.rung,
                fmt_x(Some(r.baseline_speedup)),
                fmt_x(r.speedup),
                fmt_p(Some(r.baseline_peak)),
                fmt_p(r.peak),
                change,
                format!("-{:.0}%", r.threshold * 100.0),
            );
        }
        s
    }

    /// The decision line.
    #[must_use]
    pub fn decision(&self) -> String {
        let failed: Vec<&str> = self
            .rows
            .iter()
            .filter(|r| r.verdict.fails())
            .map(|r| r.rung.as_str())
            .collect();
        if failed.is_empty() {
            "gate: passed\n".to_string()
        } else {
            format!("gate: FAILED ({})\n", failed.join(", "))
        }
    }

    /// Every row, then the decision.
    #[must_use]
    pub fn render(&self, baseline_rung: &str) -> String {
        self.render_table(baseline_rung, &|_| true) + &self.decision()
    }
}

/// Under a gate table where a rung was measured under load: which, and what that means for
/// its verdict (a run under load is marked, never silently trusted).
fn load_line(report: &GateReport, out: &mut dyn io::Write) -> io::Result<()> {
    let loaded: Vec<&str> = report
        .rows
        .iter()
        .filter(|r| r.under_load())
        .map(|r| r.rung.as_str())
        .collect();
    if loaded.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "note: {} {} measured under load (other programs busy on the cores): {} ratios may \
         read low for that alone; rerun on an idle machine before trusting {}",
        loaded.join(", "),
        if loaded.len() == 1 { "was" } else { "were" },
        if loaded.len() == 1 { "its" } else { "their" },
        if loaded.len() == 1 {
            "its verdict"
        } else {
            "their verdicts"
        },
    )
}

/// Compares a run with the baseline.
#[must_use]
pub fn check(baseline: &Baseline, run: &[RungBench]) -> GateReport {
    let rows = baseline
        .rungs
        .iter()
        .map(|b| {
            let Some(m) = run.iter().find(|m| m.rung == b.rung) else {
                return GateRow {
                    rung: b.rung.clone(),
                    baseline_speedup: b.speedup_vs_baseline,
                    speedup: None,
                    baseline_peak: b.peak_fraction,
                    peak: None,
                    ratio: None,
                    threshold: b.threshold,
                    spread: None,
                    verdict: Verdict::Missing,
                    first_ratio: None,
                    load_elsewhere: None,
                };
            };
            let speed_ratio = m.speedup_vs_baseline / b.speedup_vs_baseline;
            // A fraction of a peak measured another way is not comparable: then the speedup
            // alone judges (the baseline rung's is 1 by definition).
            let peak_ratio =
                (baseline.peak_measure == PEAK_MEASURE).then(|| m.peak_fraction / b.peak_fraction);
            // The baseline rung's speedup is 1 by definition: only its peak fraction says anything.
            let ratio = if b.rung == baseline.baseline_rung {
                peak_ratio.unwrap_or(1.0)
            } else {
                peak_ratio.map_or(speed_ratio, |p| speed_ratio.min(p))
            };
            let verdict = if !m.verified {
                Verdict::Unverified
            } else if ratio < 1.0 - b.threshold {
                // Noise excuses a shortfall it could explain, not one far past it: a rung at a
                // hundredth of its baseline is slower whatever the spread of its runs.
                if m.noisy && ratio * (1.0 + m.time.spread) >= 1.0 - b.threshold {
                    Verdict::Noisy
                } else {
                    Verdict::Regressed
                }
            } else if ratio > 1.0 + b.threshold {
                Verdict::Improved
            } else {
                Verdict::Ok
            };
            GateRow {
                rung: b.rung.clone(),
                baseline_speedup: b.speedup_vs_baseline,
                speedup: Some(m.speedup_vs_baseline),
                baseline_peak: b.peak_fraction,
                peak: Some(m.peak_fraction),
                ratio: Some(ratio),
                threshold: b.threshold,
                spread: Some(m.time.spread),
                verdict,
                first_ratio: None,
                load_elsewhere: m.load_elsewhere,
            }
        })
        .collect();
    GateReport { rows }
}

/// What the regression gate judges a run by.
pub struct GateRun<'a> {
    pub baseline: &'a Baseline,
    /// Whether the baseline was recorded on this kind of machine.
    pub same_machine: bool,
    pub this_machine: &'a MachineKey,
    /// The baseline file, to name it.
    pub path: &'a Path,
    /// Measured runs per rung in the run judged; a suspect is measured again with twice as many.
    pub repeat: usize,
}

/// Why the gate could not reach a decision.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    #[error(transparent)]
    Io(#[from] io::Error),
    #[error("unknown rung '{id}': choose from {known} (or all)")]
    UnknownRung { id: String, known: String },
}

/// Measures rungs again, by id: (ids, warm-up runs, measured runs) to their benchmarks.
pub type MeasureAgain<'a> =
    dyn FnMut(&[String], usize, usize) -> Result<Vec<RungBench>, GateError> + 'a;

/// The gate's second measurement, on `runner`'s workload, without progress or cancellation.
pub fn measure_again(
    runner: &Runner,
) -> impl FnMut(&[String], usize, usize) -> Result<Vec<RungBench>, GateError> + '_ {
    move |ids, warmup, repeat| {
        let rungs = ids
            .iter()
            .map(|id| {
                crate::rungs::find(id).ok_or_else(|| GateError::UnknownRung {
                    id: id.clone(),
                    known: crate::rungs::ladder()
                        .iter()
                        .map(|r| r.info().id)
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(bench::bench(
            runner,
            &rungs,
            warmup,
            repeat,
            &|_, _| {},
            &CancelToken::new(),
        ))
    }
}

/// The regression gate on `results`. A rung that falls past its threshold is measured again
/// (by `again`), side by side with the baseline rung, before it fails: one slow stretch of a
/// shared machine can hold back one rung for seconds. The tables go to `out`.
pub fn run_gate(
    g: &GateRun,
    results: &[RungBench],
    again: &mut MeasureAgain,
    out: &mut dyn io::Write,
) -> Result<GateReport, GateError> {
    let b = g.baseline;
    let mut report = check(b, results);
    writeln!(out)?;
    writeln!(
        out,
        "regression gate against {} (n = {}, d = {}; recorded on {})",
        g.path.display(),
        b.workload.n,
        b.workload.d,
        b.describe()
    )?;
    if !g.same_machine {
        writeln!(
            out,
            "note: no baseline was recorded on this machine ({}); ratios move between machines (a library sized to the caches most), so record one here with `ladder bench --update-baseline` and commit it",
            g.this_machine
        )?;
    }
    if b.peak_measure != PEAK_MEASURE {
        writeln!(
            out,
            "note: this baseline's peak was measured another way than this build measures it, so its fractions of peak are not compared (speedups are); re-record it with `ladder bench --update-baseline`"
        )?;
    }
    write!(out, "{}", report.render_table(&b.baseline_rung, &|_| true))?;
    load_line(&report, out)?;
    let suspects = report.suspects();
    if !suspects.is_empty() {
        let again_repeat = g.repeat * 2;
        writeln!(
            out,
            "{} fell past the threshold: measuring {} again beside {} ({again_repeat} runs each)",
            suspects.join(", "),
            if suspects.len() == 1 { "it" } else { "them" },
            b.baseline_rung
        )?;
        out.flush()?;
        let mut ids = vec![b.baseline_rung.clone()];
        ids.extend(suspects.iter().filter(|s| **s != b.baseline_rung).cloned());
        let second = again(&ids, 1, again_repeat)?;
        report.recheck(&check(b, &second));
        write!(
            out,
            "{}",
            report.render_table(&b.baseline_rung, &|r| r.first_ratio.is_some())
        )?;
        load_line(&report, out)?;
    }
    write!(out, "{}", report.decision())?;
    Ok(report)
}

#[cfg(test)]
mod tests;
