//! The command line: the parser, and one room per command, each with its arguments and its
//! `exec`. Shared argument groups live in `args`, shared helpers in `common`; everything that
//! is not about arguments lives in the library.

pub mod app;
pub mod args;
pub mod bench;
pub mod class;
pub mod common;
pub mod flame;
pub mod jit;
pub mod lab;
pub mod learn;
pub mod machine;
pub mod peers;
pub mod profilers;
pub mod report;
pub mod run;
pub mod rungs;
pub mod scale;
pub mod worker;

use clap::{Parser, Subcommand};

/// Climb the performance-optimisation ladder on pairwise cosine similarity.
///
/// With no subcommand, opens the terminal app on the default workload.
#[derive(Parser)]
#[command(
    name = "ladder",
    version,
    about,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub app: app::AppArgs,
}

#[derive(Subcommand)]
pub enum Command {
    /// List the rungs of the ladder, in order.
    Rungs,
    /// Run rungs on a workload and print the speedup table.
    Run(run::RunArgs),
    /// For instructors: the app climbs the ladder by itself, pausing between rungs, with large
    /// figures (space pauses, n steps, r repeats).
    Demo(app::AppArgs),
    /// Profile a rung (or two, as a difference) and write its flamegraph: SVG, folded or pprof.
    Flame(flame::FlameArgs),
    /// Benchmark rungs (interleaved repeats, medians), record history, gate regressions.
    Bench(bench::BenchArgs),
    /// How cost grows with n: each rung at each size, with the fitted exponent.
    Scale(scale::ScaleArgs),
    /// The JIT rung's generated code for a dimension: what Cranelift was asked for (IR) and
    /// what it produced (machine code), with the compile time.
    Jit(jit::JitArgs),
    /// The lessons: the course's exit criteria, each ending in checks against live
    /// measurements. Without options, opens the app on the Lessons screen.
    Learn(learn::LearnArgs),
    /// The peers: programs outside the process (the course's Python ladder), and which of
    /// them can run here.
    Peers(peers::PeersArgs),
    /// The course's Python profilers (cProfile, py-spy, scalene, memray, pyinstrument) run
    /// on one pure-Python workload: measured overhead, what each saw, the claims checked.
    Profilers(profilers::ProfilersArgs),
    /// One worker process of the concurrency lesson: rows START:END of the native kernel.
    #[command(hide = true)]
    Worker(worker::WorkerArgs),
    /// The one-file HTML report to hand out, from saved `ladder run --format json` outputs
    /// (and a `ladder scale --format json` sweep): table, charts, interactive flamegraphs.
    Report(report::ReportArgs),
    /// For instructors: students' runs, labs and lessons merged, a row per student, compared
    /// by ratios (a table here, or -o class.html or class.md).
    ///
    /// Each student's machine, the highest step of their lab that counts, % of peak, their
    /// predictions in the lessons and the explanations they wrote.
    Class(class::ClassArgs),
    /// Describe this machine: cores, SIMD features, measured FMA peak and memory bandwidth.
    Machine(machine::MachineArgs),
    /// Your own ladder: write each step as a function in a lab folder; `check` verifies, times
    /// and grades them in order.
    Lab(lab::LabArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// clap's own checks of the definition (clashing flags, defaults its parsers refuse); they
    /// run only where debug assertions are on.
    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }

    /// The groups built without a command line parse from an empty one (see `args::defaults`).
    #[test]
    fn argument_groups_have_their_defaults_from_clap() {
        let run = super::run::RunArgs::default();
        assert_eq!((run.rungs.as_str(), run.peers.as_str()), ("all", "none"));
        assert_eq!(run.format, "table");
        let w = super::args::WorkloadArgs::default();
        assert!((w.budget - ladder::run::DEFAULT_BUDGET.as_secs_f64()).abs() < 1e-12);
        assert_eq!(super::args::InputArgs::default().k, ladder::run::DEFAULT_K);
    }
}
