//! The baseline file the gate judges by: one baseline per machine (CPU, model, cores, ISA),
//! each rung's speedup and fraction of peak with its threshold; read, chosen for a machine,
//! checked and written.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::machine::MachineKey;
use crate::run::bench::RungBench;

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
