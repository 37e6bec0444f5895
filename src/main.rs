//! The `ladder` command line: parse, then hand each subcommand to its room in `cli`.

use std::process::ExitCode;

use clap::Parser;

/// Standard error, for a person (progress, notes, errors): a write that fails (a closed pipe,
/// `2>&1 | head -1`) is dropped, where `eprintln!` would panic and stop the work half done.
macro_rules! sayln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `sayln!` without the new line (a progress line that `\r` rewrites).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

/// Standard output, likewise: `ladder learn --list | head -1` ends quietly.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `outln!` without the new line.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), $($arg)*);
    }};
}

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
            sayln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
