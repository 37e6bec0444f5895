//! Scaling sweeps: how each rung's time grows with n, and the exponent a log-log fit gives.

use serde::{Deserialize, Serialize};

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
}

/// A size that was not run, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub n: usize,
    pub reason: String,
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
