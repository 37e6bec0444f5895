//! Scaling sweeps: how each rung's time grows with n, and the exponent a log-log fit gives.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{CancelToken, RunConfig, Runner, check_fits, check_vectors_fit};
use crate::machine::MachineInfo;
use crate::rungs::{OutputKind, Rung};
use crate::workload::{Workload, WorkloadSpec};

/// One rung at one size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalePoint {
    pub rung: String,
    pub n: usize,
    /// Kernel seconds for all n rows (extrapolated when the budget stopped the run).
    pub seconds: f64,
    pub extrapolated: bool,
    pub gflops_effective: f64,
    pub verified: bool,
    /// Other processes' CPU while it ran, in cores (absent in files written before it was
    /// saved).
    #[serde(default)]
    pub load_elsewhere: Option<f64>,
}

impl ScalePoint {
    /// Whether its time was measured under load (see [`super::report::LOADED_CORES`]).
    #[must_use]
    pub fn under_load(&self) -> bool {
        self.load_elsewhere
            .is_some_and(|l| l >= super::report::LOADED_CORES)
    }
}

/// A size that was not run for a rung, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub n: usize,
    #[serde(default)]
    pub rung: String,
    pub reason: String,
}

/// What a sweep reports as it goes.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepEvent {
    /// Generating the vectors for size n.
    Preparing {
        n: usize,
    },
    /// Running `rung` at size n.
    Running {
        n: usize,
        rung: String,
    },
    Point(ScalePoint),
    Skipped(Skipped),
}

/// Everything a sweep measured.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    pub points: Vec<ScalePoint>,
    pub skipped: Vec<Skipped>,
    /// True when it was cancelled before the end (absent in files written before it was
    /// saved: read as not cancelled).
    #[serde(default)]
    pub cancelled: bool,
}

impl Sweep {
    /// The fitted exponent of one rung's points.
    #[must_use]
    pub fn exponent_of(&self, rung: &str) -> Option<f64> {
        let pts: Vec<(usize, f64)> = self
            .points
            .iter()
            .filter(|p| p.rung == rung)
            .map(|p| (p.n, p.seconds))
            .collect();
        exponent(&pts)
    }
}

/// Runs every rung at every size of generated data (`spec`'s d, seed and distribution; its n
/// is ignored). A rung skips, with the reason, sizes whose vectors (or, for a full-matrix
/// rung, whose matrix) would not fit in `available` bytes.
#[allow(clippy::too_many_arguments)] // the sweep's whole definition, passed once
pub fn sweep(
    rungs: &[Box<dyn Rung>],
    sizes: &[usize],
    spec: &WorkloadSpec,
    machine: &Arc<MachineInfo>,
    config: &RunConfig,
    available: Option<u64>,
    events: &dyn Fn(SweepEvent),
    cancel: &CancelToken,
) -> Result<Sweep, crate::workload::WorkloadError> {
    let mut out = Sweep::default();
    for &n in sizes {
        if cancel.is_cancelled() {
            out.cancelled = true;
            break;
        }
        let runnable: Vec<(usize, &dyn Rung)> = rungs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                // The vectors themselves must fit for every rung, the matrix for full ones
                // (checked first: its message says what else would fit).
                let fits = if r.output() == OutputKind::Full {
                    check_fits(n, spec.d, available)
                } else {
                    Ok(())
                }
                .and_then(|()| check_vectors_fit(n, spec.d, available));
                match fits {
                    Ok(()) => Some((i, r.as_ref())),
                    Err(e) => {
                        let s = Skipped {
                            n,
                            rung: r.info().id.to_string(),
                            reason: e.to_string(),
                        };
                        events(SweepEvent::Skipped(s.clone()));
                        out.skipped.push(s);
                        None
                    }
                }
            })
            .collect();
        if runnable.is_empty() {
            continue;
        }
        events(SweepEvent::Preparing { n });
        let w = Workload::build(&WorkloadSpec { n, ..spec.clone() })?;
        let runner = Runner::new(Arc::new(w), Arc::clone(machine), config.clone());
        for (i, rung) in runnable {
            if cancel.is_cancelled() {
                out.cancelled = true;
                return Ok(out);
            }
            let id = rung.info().id.to_string();
            events(SweepEvent::Running { n, rung: id });
            let r = runner.run_one(i, rung, &|_| {}, cancel);
            if r.has_time() {
                let p = ScalePoint {
                    rung: r.rung.clone(),
                    n,
                    seconds: r.estimated_s,
                    extrapolated: r.extrapolated,
                    gflops_effective: r.gflops_effective,
                    verified: r.verified(),
                    load_elsewhere: r.load_elsewhere,
                };
                events(SweepEvent::Point(p.clone()));
                out.points.push(p);
            }
        }
    }
    out.cancelled |= cancel.is_cancelled();
    Ok(out)
}

/// The exponent b of t ≈ a·nᵇ, by least squares on (ln n, ln t); `None` with fewer than two
/// sizes. An O(n²) kernel gives about 2, until caches or set-up costs bend the line.
#[must_use]
pub fn exponent(points: &[(usize, f64)]) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points
        .iter()
        .filter(|(n, t)| *n > 0 && *t > 0.0)
        .map(|&(n, t)| ((n as f64).ln(), t.ln()))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let k = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / k;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / k;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fits_the_exponent_of_a_power_law() {
        let quadratic: Vec<(usize, f64)> = [1000, 2000, 4000, 8000]
            .iter()
            .map(|&n| (n, 3e-9 * (n as f64).powi(2)))
            .collect();
        assert!((exponent(&quadratic).unwrap() - 2.0).abs() < 1e-9);
        let linear = [(10, 1.0), (100, 10.0)];
        assert!((exponent(&linear).unwrap() - 1.0).abs() < 1e-9);
        assert!(exponent(&[(10, 1.0)]).is_none());
        assert!(exponent(&[(10, 1.0), (10, 2.0)]).is_none());
    }
}
