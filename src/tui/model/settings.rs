//! The settings the app runs with: the workload to prepare, the budget, threads and k.

use std::path::PathBuf;

use crate::run;
use crate::workload::{Distribution, Source, WorkloadSpec};

/// What the user can change on the settings screen.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub n: usize,
    pub d: usize,
    pub seed: u64,
    /// `normal`, `clustered`, or a path to a `.npy` / `.fvecs` file.
    pub data: String,
    pub budget_s: f64,
    pub threads: usize,
    /// Neighbours per row for the top-k rung.
    pub k: usize,
    /// Runs of each rung: the time shown is their median, with the min–max beside it.
    pub repeat: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            n: crate::workload::DEFAULT_N,
            d: crate::workload::DEFAULT_D,
            seed: 0,
            data: "normal".into(),
            budget_s: run::DEFAULT_BUDGET.as_secs_f64(),
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            k: run::DEFAULT_K,
            repeat: 1,
        }
    }
}

impl Settings {
    /// The workload these settings describe.
    #[must_use]
    pub fn spec(&self) -> WorkloadSpec {
        let source = match self.data.parse::<Distribution>() {
            Ok(dist) => Source::Generated(dist),
            Err(_) => Source::File(PathBuf::from(&self.data)),
        };
        WorkloadSpec {
            n: self.n,
            d: self.d,
            seed: self.seed,
            source,
        }
    }

    /// The fields as (label, value, hint) for the settings screen.
    #[must_use]
    pub fn fields(&self) -> [(&'static str, String, &'static str); 8] {
        [
            (
                "n",
                self.n.to_string(),
                "number of vectors (rows of a file to keep)",
            ),
            ("d", self.d.to_string(), "dimension of generated vectors"),
            ("seed", self.seed.to_string(), "seed of the generator"),
            (
                "data",
                self.data.clone(),
                "normal, clustered, or a .npy / .fvecs path",
            ),
            (
                "budget",
                format!("{}", self.budget_s),
                "kernel seconds per rung before extrapolating",
            ),
            (
                "threads",
                self.threads.to_string(),
                "threads for the threaded rungs",
            ),
            (
                "k",
                self.k.to_string(),
                "neighbours per row for the topk rung",
            ),
            (
                "repeat",
                self.repeat.to_string(),
                "runs per rung, 1 to 100: the median is shown, min–max beside it",
            ),
        ]
    }
}
