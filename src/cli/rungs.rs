//! `ladder rungs`: the ladder in order, each rung's step, what changed and why.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Result;

use ladder::rungs;

pub fn exec() -> Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    for (i, r) in rungs::ladder().iter().enumerate() {
        let info = r.info();
        writeln!(
            out,
            "{i}  {:<12} {:<10}  {}",
            info.id, info.step, info.what_changed
        )?;
        writeln!(out, "   {:<12} {:<10}  why: {}", "", "", info.why)?;
    }
    writeln!(
        out,
        "\noutside the climb (run by name: the leak lesson's pair, and an approximate index whose \
         answers depend on the data):"
    )?;
    for r in rungs::extras() {
        let info = r.info();
        writeln!(
            out,
            "-  {:<12} {:<10}  {}",
            info.id, info.step, info.what_changed
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
