//! The argument groups several commands share: the workload and the run's limits, and a file
//! of vectors instead of generated ones.
//!
//! A group states the defaults of the app and of `run`; a command whose defaults differ (bench,
//! scale) overrides them with `mut_arg` on its own arguments struct, so `--help` shows each
//! command's own.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, FromArgMatches};

use ladder::run::{self, RunConfig, limits};

/// What to run on and the run's limits: the flags of every command that runs rungs. `N` is
/// the flavour of `--n`: one size ([`Size`]) or a list of them ([`Sizes`]).
#[derive(Args, Clone, Debug)]
pub struct WorkloadArgs<N: Args + FromArgMatches = Size> {
    #[command(flatten)]
    pub size: N,
    /// Dimension of each generated vector.
    #[arg(long, value_parser = limits::parse_d, allow_negative_numbers = true)]
    pub d: Option<usize>,
    /// Seed of the generator [default: 0].
    #[arg(long, value_parser = limits::parse_seed, allow_negative_numbers = true)]
    pub seed: Option<u64>,
    /// Generated data: normal or clustered [default: normal].
    #[arg(long, value_parser = ["normal", "clustered"])]
    pub data: Option<String>,
    /// Kernel seconds per rung before it stops and its full time is extrapolated.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = run::DEFAULT_BUDGET.as_secs_f64(),
        value_parser = limits::parse_budget,
        allow_negative_numbers = true
    )]
    pub budget: f64,
    /// Threads for the threaded rungs (default: all logical cores).
    #[arg(long, value_parser = limits::parse_threads, allow_negative_numbers = true)]
    pub threads: Option<usize>,
}

/// One workload's size.
#[derive(Args, Clone, Debug, Default)]
pub struct Size {
    /// Number of vectors (with --input: keep only the first N rows).
    #[arg(long, value_parser = limits::parse_n, allow_negative_numbers = true)]
    pub n: Option<usize>,
}

/// The sizes of a sweep, as given (`scale` parses them, to name a bad one in its own words).
#[derive(Args, Clone, Debug)]
pub struct Sizes {
    /// Sizes, separated by commas.
    #[arg(long, default_value = "1000,2000,5000,10000")]
    pub n: String,
}

/// Vectors from a file instead of generated ones, and the top-k rungs' k (the app, run and
/// flame).
#[derive(Args, Clone, Debug)]
pub struct InputArgs {
    /// Load vectors from a .npy (float32/float64, 2-D) or .fvecs file instead of generating.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Neighbours per row for the top-k rungs.
    #[arg(long, default_value_t = run::DEFAULT_K, value_parser = limits::parse_k, allow_negative_numbers = true)]
    pub k: usize,
}

impl Default for WorkloadArgs {
    fn default() -> Self {
        defaults()
    }
}

impl Default for InputArgs {
    fn default() -> Self {
        defaults()
    }
}

/// An argument group as an empty command line fills it: the defaults are stated once, in
/// the `#[arg]` attributes, and whatever builds the group without a command line (the app's
/// headless fallback, bench) gets exactly what `--help` shows.
pub fn defaults<T: Args + FromArgMatches>() -> T {
    T::augment_args(clap::Command::new("defaults"))
        .try_get_matches_from(["defaults"])
        .and_then(|m| T::from_arg_matches(&m))
        // Only groups without a required argument come here; a test parses each.
        .expect("an argument group without required arguments parses from nothing")
}

impl<N: Args + FromArgMatches> WorkloadArgs<N> {
    /// The generated data's distribution, as named (normal unless --data says).
    pub fn data(&self) -> &str {
        self.data.as_deref().unwrap_or("normal")
    }

    /// The generator's seed.
    pub fn seed(&self) -> u64 {
        self.seed.unwrap_or(0)
    }

    /// Refuses a budget that is not a positive number of seconds.
    pub fn check_budget(&self) -> Result<()> {
        if !(self.budget.is_finite() && self.budget > 0.0) {
            bail!(
                "--budget must be a positive number of seconds (got {})",
                self.budget
            );
        }
        Ok(())
    }

    /// The run's limits: the budget and the threads (default: all cores). More threads than
    /// cores is allowed (it is a lesson in itself) and said once: they take turns.
    pub fn run_config(&self) -> RunConfig {
        let config = RunConfig {
            budget: Duration::from_secs_f64(self.budget),
            threads: self.threads.unwrap_or(RunConfig::default().threads),
            ..RunConfig::default()
        };
        let cores = RunConfig::default().threads;
        if config.threads > cores {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                sayln!(
                    "note: {} threads on {cores} logical core{}: the threaded rungs' threads take \
                     turns on the cores, so more than {cores} adds no arithmetic, only switching",
                    config.threads,
                    if cores == 1 { "" } else { "s" }
                );
            });
        }
        config
    }
}

/// A default value computed at start-up, for `mut_arg`: clap keeps defaults as `&'static str`.
pub fn shown(value: &dyn std::fmt::Display) -> &'static str {
    value.to_string().leak()
}
