//! `ladder worker` (hidden): one worker process of the concurrency lesson.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;

#[derive(Args)]
pub struct WorkerArgs {
    #[arg(long, value_parser = ladder::run::limits::parse_n, allow_negative_numbers = true)]
    n: usize,
    #[arg(long, value_parser = ladder::run::limits::parse_d, allow_negative_numbers = true)]
    d: usize,
    #[arg(long, value_name = "START:END")]
    rows: String,
}

pub fn exec(args: &WorkerArgs) -> Result<ExitCode> {
    let (n, d) = (args.n, args.d);
    // The kernel takes blocks that start, and end unless at n, on its row tile.
    let align = ladder::rungs::Rung::row_align(&ladder::rungs::Native::detect());
    let (a, b) = args
        .rows
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
        .filter(|(a, b)| a < b && *b <= n && a % align == 0 && (*b == n || b % align == 0))
        .with_context(|| {
            format!("--rows START:END within 0..n, on multiples of {align} (or ending at n)")
        })?;
    let x = ladder::lessons::rust_side::workload(n, d, 7);
    let t = ladder::lessons::rust_side::kernel_rows(&x, a..b);
    outln!("{}", t.as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
