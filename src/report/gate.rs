//! The regression gate: a benchmark run against a committed baseline of ratios.
//!
//! Seconds differ between machines and from minute to minute on a shared one, so the gate never
//! compares them. It compares two ratios measured inside one run: each rung's speedup over the
//! run's baseline rung, and its fraction of the machine's peak measured in the same run. A rung
//! regresses when either falls below the baseline by more than the rung's threshold.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::machine::MachineKey;
use crate::run::bench::{self, NOISY_SPREAD, RungBench};
use crate::run::{CancelToken, Runner};

/// Version of the baseline file's layout (1: a single baseline, for whatever machine ran it;
/// 2: one baseline per machine).
pub const BASELINE_SCHEMA: u32 = 2;

/// The default threshold for a newly recorded rung: a drop of more than 15% fails (runs on one
/// machine vary by about ±5%).
pub const DEFAULT_THRESHOLD: f64 = 0.15;

/// The workload a baseline was recorded on; a check must run the same one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineWorkload {
    pub n: usize,
    pub d: usize,
}

/// One rung's expected ratios and how far they may fall.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineRung {
    pub rung: String,
    pub speedup_vs_baseline: f64,
    pub peak_fraction: f64,
    /// The largest accepted drop, as a fraction (0.3: may fall to 70% of the baseline).
    pub threshold: f64,
}

/// One machine's baseline: the ratios a run on that machine is expected to reach.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// The machine it was recorded on; absent in files written before machines were told
    /// apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<MachineKey>,
    pub workload: BaselineWorkload,
    /// The rung every speedup is measured against (the first rung of the run).
    pub baseline_rung: String,
    /// When (and, in old files, where) it was recorded, for people.
    pub recorded_on: String,
    /// How the peak its fractions divide by was measured ([`PEAK_MEASURE`]; 0 in files
    /// recorded before it was said): fractions of peaks measured another way do not compare.
    #[serde(default, skip_serializing_if = "unsaid")]
    pub peak_measure: u32,
    pub rungs: Vec<BaselineRung>,
}

/// An old baseline rewritten keeps its text: a measure never said stays unsaid.
#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn unsaid(measure: &u32) -> bool {
    *measure == 0
}

/// The way this build measures the peak: 2 = the best of several short trials, each thread
/// timed by its own CPU time (1 and 0: one trial, by the wall clock).
pub const PEAK_MEASURE: u32 = 2;

/// `perf/baseline.json`: a baseline per machine the project is measured on. Ratios are
/// steadier than seconds but still move between micro-architectures (a library that sizes its
/// blocks to the caches most of all), so each machine is judged against its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BaselineFile {
    pub schema_version: u32,
    pub baselines: Vec<Baseline>,
}

/// The layout of schema 1: one baseline at the top level.
#[derive(Deserialize)]
struct BaselineV1 {
    workload: BaselineWorkload,
    baseline_rung: String,
    recorded_on: String,
    rungs: Vec<BaselineRung>,
}

/// Why a baseline could not be used.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    #[error("{}: {source}; record one with `ladder bench --update-baseline`", path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a valid baseline ({reason}); fix it or re-record it with `ladder bench --update-baseline`", path.display())]
    Invalid {
        path: std::path::PathBuf,
        reason: String,
    },
}

impl BaselineFile {
    /// Reads a baseline file of either schema and checks every value the gate relies on.
    pub fn load(path: &Path) -> Result<Self, BaselineError> {
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = |reason: String| BaselineError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let file = match value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
        {
            Some(1) => {
                let b: BaselineV1 =
                    serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?;
                BaselineFile {
                    schema_version: BASELINE_SCHEMA,
                    baselines: vec![Baseline {
                        machine: None,
                        workload: b.workload,
                        baseline_rung: b.baseline_rung,
                        recorded_on: b.recorded_on,
                        peak_measure: 0,
                        rungs: b.rungs,
                    }],
                }
            }
            Some(2) => serde_json::from_value(value).map_err(|e| invalid(e.to_string()))?,
            other => {
                return Err(invalid(match other {
                    Some(v) => format!("schema_version {v} (this ladder reads 1 and 2)"),
                    None => "no schema_version".into(),
                }));
            }
        };
        if file.baselines.is_empty() {
            return Err(invalid("it holds no baselines".into()));
        }
        for b in &file.baselines {
            b.check().map_err(invalid)?;
        }
        Ok(file)
    }

    /// The baseline to judge `machine` by, and whether it was recorded on that kind of
    /// machine. Without one of its own, the nearest, brand first: a baseline of the same
    /// vendor (AMD, Intel...; the same CPU name before another, then the same ISA and cores,
    /// then the same cores), else one with the same ISA and cores, else the first. A CPU's
    /// ratios to its own peak follow its vendor's micro-architecture more than its ISA.
    #[must_use]
    pub fn pick(&self, machine: &MachineKey) -> Option<(&Baseline, bool)> {
        if let Some(b) = self
            .baselines
            .iter()
            .find(|b| b.machine.as_ref().is_some_and(|k| k.same_kind(machine)))
        {
            return Some((b, true));
        }
        let vendor = vendor(&machine.cpu);
        let nearness = |k: &MachineKey| {
            (
                vendor.is_some() && vendor == self::vendor(&k.cpu),
                k.cpu == machine.cpu,
                k.isa == machine.isa && k.cores == machine.cores,
                k.cores == machine.cores,
            )
        };
        // The nearest; among equals, the first in the file.
        self.baselines
            .iter()
            .enumerate()
            .max_by_key(|(i, b)| {
                let near = b.machine.as_ref().map(nearness);
                (near, std::cmp::Reverse(*i))
            })
            .map(|(_, b)| (b, false))
    }

    /// Puts `b` in place of the baseline of its machine (and of any older, unnamed one), or
    /// adds it: other machines' baselines stay as they were, in their order.
    pub fn record(&mut self, b: Baseline) {
        let mine = |old: &Baseline| match (&old.machine, &b.machine) {
            (Some(o), Some(n)) => o.same_kind(n),
            _ => true,
        };
        let at = self.baselines.iter().position(mine);
        self.baselines.retain(|old| !mine(old));
        match at {
            Some(i) => self.baselines.insert(i, b),
            None => self.baselines.push(b),
        }
    }
}

/// The vendor a CPU name starts with, lower case ("intel" for "Intel(R) Xeon(R)", "amd" for
/// "AMD EPYC 7B13"); `None` for a name that says nothing.
fn vendor(cpu: &str) -> Option<String> {
    let first = cpu.split_whitespace().next()?;
    let word: String = first
        .split('(')
        .next()
        .unwrap_or(first)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    (!word.is_empty() && word != "unknown").then_some(word)
}

impl BaselineRung {
    /// Why the gate cannot judge a run by this rung, if it cannot: it divides by both ratios.
    fn problem(&self) -> Option<String> {
        let rung = &self.rung;
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Some(format!(
                "rung {rung}: threshold {} must be between 0 and 1",
                self.threshold
            ));
        }
        if !(self.speedup_vs_baseline.is_finite() && self.speedup_vs_baseline > 0.0) {
            return Some(format!(
                "rung {rung}: its speedup {} must be a positive number",
                self.speedup_vs_baseline
            ));
        }
        if !(self.peak_fraction.is_finite() && self.peak_fraction > 0.0) {
            return Some(format!(
                "rung {rung}: its fraction of the machine's peak is {} and the gate needs a \
                 positive one (an approximate rung such as ann has none: its arithmetic depends \
                 on the data)",
                self.peak_fraction
            ));
        }
        None
    }
}

impl Baseline {
    /// Refuses a baseline the gate could not judge by: the one check of a baseline, made when
    /// a file is read and before one is written, so that what is written can be read.
    pub fn check(&self) -> Result<(), String> {
        self.rungs
            .iter()
            .find_map(BaselineRung::problem)
            .map_or(Ok(()), Err)
    }

    /// A baseline from a run on `machine`, keeping the thresholds of `previous` for rungs it
    /// already had.
    #[must_use]
    pub fn from_run(
        machine: MachineKey,
        workload: BaselineWorkload,
        recorded_on: String,
        run: &[RungBench],
        previous: Option<&Baseline>,
    ) -> Self {
        let threshold_of = |id: &str| {
            previous
                .and_then(|p| p.rungs.iter().find(|r| r.rung == id))
                .map_or(DEFAULT_THRESHOLD, |r| r.threshold)
        };
        Self {
            machine: Some(machine),
            workload,
            baseline_rung: run.first().map(|r| r.rung.clone()).unwrap_or_default(),
            recorded_on,
            peak_measure: PEAK_MEASURE,
            rungs: run
                .iter()
                .map(|r| BaselineRung {
                    rung: r.rung.clone(),
                    speedup_vs_baseline: r.speedup_vs_baseline,
                    peak_fraction: r.peak_fraction,
                    threshold: threshold_of(&r.rung),
                })
                .collect(),
        }
    }

    /// Where and when it was recorded, for people.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.machine {
            Some(m) => format!("{m}, {}", self.recorded_on),
            None => self.recorded_on.clone(),
        }
    }
}

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
            if r.under_load() {
                let _ = write!(verdict, "; {}", load_words(r.load_elsewhere.unwrap_or(0.0)));
            }
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
