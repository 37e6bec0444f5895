//! `ladder jit`: the code the JIT rung generates for one dimension, and its compile time.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

#[derive(Args)]
pub struct JitArgs {
    /// Print the Cranelift IR and the machine code of every generated function.
    #[arg(long)]
    show_ir: bool,
    /// The dimension to generate code for.
    #[arg(long, default_value_t = ladder::workload::DEFAULT_D, value_parser = ladder::run::limits::parse_d, allow_negative_numbers = true)]
    d: usize,
}

pub fn exec(args: &JitArgs) -> Result<ExitCode> {
    if args.d == 0 {
        bail!("--d must be at least 1");
    }
    // Compiled twice: once as the rung does (no listing), for the honest compile time, then
    // with the listing kept.
    let timed = ladder::rungs::jit::compile(args.d, false)?;
    let c = ladder::rungs::jit::compile(args.d, true)?;
    let mut out = std::io::stdout().lock();
    let shape = ladder::rungs::native::tuning::JIT;
    writeln!(
        out,
        "d = {}: {} function(s), tile {} rows × {} columns ({} float32 lanes per vector), \
         {}-step unroll; compiled in {:.2} ms",
        args.d,
        c.listings.len(),
        shape.mr,
        shape.nr,
        ladder::rungs::jit::LANES,
        ladder::rungs::jit::UNROLL,
        timed.compile_time().as_secs_f64() * 1e3
    )?;
    writeln!(out, "host features Cranelift uses: {}", c.features)?;
    for l in &c.listings {
        writeln!(
            out,
            "\n;; tile for kc = {} ({} bytes of machine code)",
            l.kc, l.code_bytes
        )?;
        if args.show_ir {
            writeln!(out, "\n;; Cranelift IR\n{}", l.ir)?;
            match &l.machine_code {
                Some(m) => writeln!(out, ";; machine code (after register allocation)\n{m}")?,
                None => writeln!(out, ";; (no machine-code listing from this backend)")?,
            }
        }
    }
    if !args.show_ir {
        writeln!(out, "\n(--show-ir prints the IR and the machine code)")?;
    }
    Ok(ExitCode::SUCCESS)
}
