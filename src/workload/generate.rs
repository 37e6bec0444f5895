//! Seeded synthetic data. The generator is our own (xoshiro256++ seeded by splitmix64, normals by
//! Box–Muller) so that a seed gives the same vectors on every machine and every crate version.

use std::fmt;
use std::str::FromStr;

use super::{Matrix, WorkloadError};

/// The synthetic distributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distribution {
    /// Independent standard normal entries: no structure, every pair nearly orthogonal.
    Normal,
    /// A mixture of Gaussian clusters, like real embeddings: near neighbours exist.
    Clustered,
}

impl fmt::Display for Distribution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Distribution::Normal => "normal",
            Distribution::Clustered => "clustered",
        })
    }
}

impl FromStr for Distribution {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "normal" => Ok(Distribution::Normal),
            "clustered" => Ok(Distribution::Clustered),
            other => Err(format!(
                "unknown data source '{other}': use 'normal' or 'clustered' (or --input FILE)"
            )),
        }
    }
}

/// splitmix64: spreads a small seed over the whole state.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256++, a small fast generator with good statistical quality.
pub(crate) struct Rng {
    s: [u64; 4],
    spare: Option<f64>,
}

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        let mut sm = seed;
        let s = [
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
            splitmix64(&mut sm),
        ];
        Self { s, spare: None }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[0]
            .wrapping_add(self.s[3])
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in (0, 1]: never 0, so the logarithm below is finite.
    fn uniform_open0(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in 0..bound (bound > 0); the tiny modulo bias is irrelevant here.
    pub(crate) fn below(&mut self, bound: usize) -> usize {
        (self.next_u64() % bound as u64) as usize
    }

    /// A standard normal sample (Box–Muller, both halves used).
    pub(crate) fn normal(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let u1 = self.uniform_open0();
        let u2 = self.uniform_open0();
        let r = (-2.0 * u1.ln()).sqrt();
        let theta = std::f64::consts::TAU * u2;
        self.spare = Some(r * theta.sin());
        r * theta.cos()
    }
}

/// Spread of points around their cluster centre, relative to the spread of the centres.
const CLUSTER_SPREAD: f64 = 0.35;

/// Generates `n` vectors of dimension `d` from `dist` with `seed`.
pub fn generate(
    dist: Distribution,
    n: usize,
    d: usize,
    seed: u64,
) -> Result<Matrix, WorkloadError> {
    let len = n.checked_mul(d).ok_or_else(|| {
        WorkloadError::InvalidSize(format!(
            "{n} × {d} values overflow this machine's address space"
        ))
    })?;
    if n == 0 || d == 0 {
        return Err(WorkloadError::InvalidSize(format!(
            "n and d must be at least 1 (got n = {n}, d = {d})"
        )));
    }
    let mut rng = Rng::new(seed);
    let mut data = Vec::with_capacity(len);
    match dist {
        Distribution::Normal => data.extend((0..len).map(|_| rng.normal() as f32)),
        Distribution::Clustered => {
            // About 100 points a cluster, between 1 and 256 clusters.
            let k = (n / 100).clamp(1, 256);
            let centres: Vec<f64> = (0..k * d).map(|_| rng.normal()).collect();
            for _ in 0..n {
                let c = rng.below(k);
                let centre = &centres[c * d..(c + 1) * d];
                data.extend(
                    centre
                        .iter()
                        .map(|&m| (m + CLUSTER_SPREAD * rng.normal()) as f32),
                );
            }
        }
    }
    Matrix::from_vec(n, d, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_data_other_seed_other_data() {
        let a = generate(Distribution::Normal, 5, 7, 1).unwrap();
        let b = generate(Distribution::Normal, 5, 7, 1).unwrap();
        let c = generate(Distribution::Normal, 5, 7, 2).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn normal_has_unit_variance() {
        let m = generate(Distribution::Normal, 200, 500, 3).unwrap();
        let v = m.as_slice();
        let mean = v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len() as f64;
        let var = v
            .iter()
            .map(|&x| (f64::from(x) - mean).powi(2))
            .sum::<f64>()
            / v.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn clustered_points_have_close_neighbours() {
        let m = generate(Distribution::Clustered, 400, 64, 0).unwrap();
        // The best cosine of row 0 with any other row is high: it shares a cluster.
        let r0 = m.row(0);
        let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
        let best = (1..m.n())
            .map(|j| dot(r0, m.row(j)) / (dot(r0, r0).sqrt() * dot(m.row(j), m.row(j)).sqrt()))
            .fold(f32::MIN, f32::max);
        assert!(best > 0.8, "best neighbour cosine {best}");
    }
}
