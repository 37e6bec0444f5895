//! The `ladder` command line: parse, then hand each subcommand to its room in `cli`.

use std::process::ExitCode;

use clap::Parser;

mod cli;

use cli::{Cli, Command};

/// Counts live bytes and samples allocation stacks once `flame --memory` turns it on; until
/// then it costs one atomic load per allocation.
#[global_allocator]
static ALLOCATOR: ladder::profile::alloc::TrackingAllocator =
    ladder::profile::alloc::TrackingAllocator;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Some(Command::Rungs) => cli::rungs::exec(),
        Some(Command::Run(args)) => cli::run::exec(args),
        Some(Command::Machine(args)) => cli::machine::exec(args),
        Some(Command::Jit(args)) => cli::jit::exec(args),
        Some(Command::Peers(args)) => cli::peers::exec(args),
        Some(Command::Profilers(args)) => cli::profilers::exec(args),
        Some(Command::Learn(args)) => cli::learn::exec(args),
        Some(Command::Worker(args)) => cli::worker::exec(args),
        Some(Command::Demo(args)) => cli::app::demo(args),
        Some(Command::Bench(args)) => cli::bench::exec(args),
        Some(Command::Scale(args)) => cli::scale::exec(args),
        Some(Command::Flame(args)) => cli::flame::exec(args),
        Some(Command::Lab(args)) => cli::lab::exec(args),
        Some(Command::Report(args)) => cli::report::exec(args),
        Some(Command::Class(args)) => cli::class::exec(args),
        None => cli::app::exec(&cli.app),
    };
    // Interrupted: the signal thread ends the process, not what its kills made fail here.
    cli::common::wait_if_signalled();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
