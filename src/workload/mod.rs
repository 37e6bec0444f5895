//! The workload: n vectors of dimension d, float32, row-major, and where they came from.
//!
//! Everything the ladder computes is S\[i\]\[j\] = x_i·x_j / (|x_i| |x_j|), with the cosine of a
//! zero vector with anything defined as 0. This module owns the data, its sources (a seeded
//! generator and file loaders) and the float64 reference every rung is checked against.
//! It depends on nothing else in the crate.

mod generate;
mod load;
pub mod reference;

use std::fmt;
use std::path::{Path, PathBuf};

pub use generate::{Distribution, generate};
pub use load::{load_file, load_fvecs, load_npy, save_npy};

/// Default number of vectors.
pub const DEFAULT_N: usize = 10_000;
/// Default dimension.
pub const DEFAULT_D: usize = 768;

/// A dense row-major float32 matrix: `n` rows (the vectors) of `d` columns.
#[derive(Clone, PartialEq)]
pub struct Matrix {
    n: usize,
    d: usize,
    data: Vec<f32>,
}

impl fmt::Debug for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Matrix({} x {})", self.n, self.d)
    }
}

impl Matrix {
    /// Wraps row-major data. Fails when the length is not `n * d` or a dimension is zero.
    pub fn from_vec(n: usize, d: usize, data: Vec<f32>) -> Result<Self, WorkloadError> {
        if n == 0 || d == 0 {
            return Err(WorkloadError::InvalidSize(format!(
                "a workload needs at least one vector of at least one dimension (got n = {n}, d = {d})"
            )));
        }
        if n.checked_mul(d) != Some(data.len()) {
            return Err(WorkloadError::InvalidSize(format!(
                "{} values cannot form {n} vectors of dimension {d}",
                data.len()
            )));
        }
        Ok(Self { n, d, data })
    }

    /// Builds a matrix from rows (handy in tests). Rows must all have the same length.
    pub fn from_rows(rows: &[Vec<f32>]) -> Result<Self, WorkloadError> {
        let d = rows.first().map_or(0, Vec::len);
        if rows.iter().any(|r| r.len() != d) {
            return Err(WorkloadError::InvalidSize(
                "rows have different lengths".to_string(),
            ));
        }
        Self::from_vec(rows.len(), d, rows.concat())
    }

    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    #[must_use]
    pub fn d(&self) -> usize {
        self.d
    }

    #[must_use]
    pub fn as_slice(&self) -> &[f32] {
        &self.data
    }

    #[must_use]
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.d..(i + 1) * self.d]
    }

    /// The first `rows` vectors as a new matrix.
    #[must_use]
    pub fn prefix(&self, rows: usize) -> Self {
        let rows = rows.clamp(1, self.n);
        Self {
            n: rows,
            d: self.d,
            data: self.data[..rows * self.d].to_vec(),
        }
    }

    /// The first non-finite value as (row, column), if any.
    #[must_use]
    pub fn first_non_finite(&self) -> Option<(usize, usize)> {
        let at = self.data.iter().position(|v| !v.is_finite())?;
        Some((at / self.d, at % self.d))
    }

    /// Sets row `i` to zeros (a zero vector: valid input, whose cosine with anything is 0).
    pub fn zero_row(&mut self, i: usize) {
        if i < self.n {
            self.data[i * self.d..(i + 1) * self.d].fill(0.0);
        }
    }

    /// Indices of the all-zero rows (valid input: their cosine with anything is 0).
    #[must_use]
    pub fn zero_rows(&self) -> Vec<usize> {
        (0..self.n)
            .filter(|&i| self.row(i).iter().all(|&v| v == 0.0))
            .collect()
    }

    /// Rows holding a non-zero value that float32 cannot represent once the row is scaled to
    /// unit length (below about 1e-45 of the row's norm: next to a 1e38 entry, anything under
    /// 1e-7 say). The rungs compute norms in float64, so such a value becomes 0, changing
    /// cosines by less than float32 can show; the user is told all the same.
    #[must_use]
    pub fn vanishing_rows(&self) -> Vec<usize> {
        (0..self.n)
            .filter(|&i| {
                let row = self.row(i);
                let norm = row
                    .iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    .sqrt();
                row.iter()
                    .any(|&v| v != 0.0 && (f64::from(v) / norm) as f32 == 0.0)
            })
            .collect()
    }
}

/// Where the vectors come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Generated(Distribution),
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Generated(dist) => write!(f, "{dist}"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// What to build: size, seed and source. For a file the size comes from the file, except that
/// `n` (when given) keeps only the first `n` rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadSpec {
    pub n: usize,
    pub d: usize,
    pub seed: u64,
    pub source: Source,
}

impl Default for WorkloadSpec {
    fn default() -> Self {
        Self {
            n: DEFAULT_N,
            d: DEFAULT_D,
            seed: 0,
            source: Source::Generated(Distribution::Normal),
        }
    }
}

/// A loaded workload, ready for the rungs.
#[derive(Clone, Debug)]
pub struct Workload {
    pub source: Source,
    pub seed: u64,
    pub x: Matrix,
    /// Rows that are all zero; reported to the user as a warning.
    pub zero_rows: Vec<usize>,
    /// Rows with a value too small to survive normalising in float32 (see
    /// [`Matrix::vanishing_rows`]); reported to the user as a warning.
    pub vanishing_rows: Vec<usize>,
}

impl Workload {
    /// The same workload with rows `rows` set to zero vectors (those past n are ignored): the
    /// lab's checks include them, so a step that divides by a zero norm is caught.
    #[must_use]
    pub fn with_zero_rows(mut self, rows: &[usize]) -> Self {
        for &i in rows {
            self.x.zero_row(i);
        }
        self.zero_rows = self.x.zero_rows();
        self
    }

    /// Generates or loads the vectors described by `spec`.
    pub fn build(spec: &WorkloadSpec) -> Result<Self, WorkloadError> {
        let x = match &spec.source {
            Source::Generated(dist) => generate(*dist, spec.n, spec.d, spec.seed)?,
            Source::File(path) => {
                let m = load_file(path)?;
                if spec.n < m.n() { m.prefix(spec.n) } else { m }
            }
        };
        Ok(Self::from_matrix(spec.source.clone(), spec.seed, x))
    }

    /// Wraps an existing matrix (already checked for finiteness by its constructor's caller).
    #[must_use]
    pub fn from_matrix(source: Source, seed: u64, x: Matrix) -> Self {
        let zero_rows = x.zero_rows();
        let vanishing_rows = x.vanishing_rows();
        Self {
            source,
            seed,
            x,
            zero_rows,
            vanishing_rows,
        }
    }

    #[must_use]
    pub fn n(&self) -> usize {
        self.x.n()
    }

    #[must_use]
    pub fn d(&self) -> usize {
        self.x.d()
    }

    /// Bytes of the full n×n float32 similarity matrix, or `None` when that overflows.
    #[must_use]
    pub fn full_matrix_bytes(n: usize) -> Option<u64> {
        (n as u64).checked_mul(n as u64)?.checked_mul(4)
    }
}

/// Why a workload could not be built. Every message names the problem and what to do.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    // The I/O error is said in the message, not chained as a source too (it was said twice).
    #[error("{}: {io}", path.display())]
    Io { path: PathBuf, io: std::io::Error },
    #[error("{}: {reason}", path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error(
        "{}: row {row} (0-based), column {col} is {value}: cosine similarity needs finite values; clean or drop that row",
        path.display()
    )]
    NonFinite {
        path: PathBuf,
        row: usize,
        col: usize,
        value: String,
    },
    #[error("{}: the file holds no vectors (shape {shape}); ladder needs at least one vector of at least one dimension", path.display())]
    Empty { path: PathBuf, shape: String },
    #[error("{0}")]
    InvalidSize(String),
}

impl WorkloadError {
    pub(crate) fn malformed(path: &Path, reason: impl Into<String>) -> Self {
        Self::Malformed {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// Formats a byte count for people: "381.5 MiB".
#[must_use]
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}
