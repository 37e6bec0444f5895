//! `ladder machine`: this machine's cores, SIMD features, measured peak and bandwidth.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use ladder::machine::MachineInfo;

#[derive(Args)]
pub struct MachineArgs {
    /// Output format: table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
}

pub fn exec(args: &MachineArgs) -> Result<ExitCode> {
    eprintln!("measuring the FMA peak and memory bandwidth (about two seconds)...");
    let m = MachineInfo::probe(true);
    let mut out = std::io::stdout().lock();
    match args.format.as_str() {
        "json" => writeln!(out, "{}", serde_json::to_string_pretty(&m)?)?,
        "table" => {
            writeln!(out, "cpu               {}", m.cpu)?;
            writeln!(out, "arch              {}", m.arch)?;
            let phys = m
                .physical_cores
                .map_or_else(|| "unknown".to_string(), |p| p.to_string());
            writeln!(
                out,
                "cores             {} logical, {phys} physical",
                m.logical_cores
            )?;
            writeln!(out, "simd              {}", m.simd.join(" "))?;
            writeln!(out, "kernel isa        {}", m.kernel_isa)?;
            writeln!(out, "fp32 peak, 1 core {:.1} GFLOP/s", m.peak_gflops_core)?;
            writeln!(out, "fp32 peak, all    {:.1} GFLOP/s", m.peak_gflops_all)?;
            writeln!(
                out,
                "128-bit peak      {:.1} GFLOP/s one core, {:.1} all (the JIT's ceiling)",
                m.peak_gflops_core_128, m.peak_gflops_all_128
            )?;
            if let Some(bw) = m.mem_read_gbs {
                writeln!(out, "memory read       {bw:.1} GB/s (all cores)")?;
            }
        }
        other => bail!("unknown format '{other}': use table or json"),
    }
    Ok(ExitCode::SUCCESS)
}
