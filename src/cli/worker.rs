//! `ladder worker` (hidden): one worker process of the concurrency lesson.

use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;

#[derive(Args)]
pub struct WorkerArgs {
    #[arg(long)]
    n: usize,
    #[arg(long)]
    d: usize,
    #[arg(long, value_name = "START:END")]
    rows: String,
}

pub fn exec(args: &WorkerArgs) -> Result<ExitCode> {
    let (n, d) = (args.n, args.d);
    let (a, b) = args
        .rows
        .split_once(':')
        .and_then(|(a, b)| Some((a.parse::<usize>().ok()?, b.parse::<usize>().ok()?)))
        .filter(|(a, b)| a < b && *b <= n && n > 0 && d > 0)
        .context("--rows START:END within 0..n")?;
    let x = ladder::lessons::rust_side::workload(n, d, 7);
    let t = ladder::lessons::rust_side::kernel_rows(&x, a..b);
    println!("{}", t.as_secs_f64());
    Ok(ExitCode::SUCCESS)
}
