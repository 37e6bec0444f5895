//! `ladder machine`: this machine's cores, SIMD features, measured peak and bandwidth.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;

use ladder::machine::{MachineInfo, PeakSource};

#[derive(Args)]
pub struct MachineArgs {
    /// Output format: table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    format: String,
    /// Measure the peak and bandwidth again and cache them (otherwise the cached ones are
    /// shown, measured on a first run); a cached figure higher than this measurement stands.
    #[arg(long)]
    measure: bool,
}

pub fn exec(args: &MachineArgs) -> Result<ExitCode> {
    let cached = if args.measure {
        Err(None)
    } else {
        MachineInfo::cached()
    };
    let m = match cached {
        Ok(m) => m,
        Err(why) => {
            if let Some(why) = why {
                sayln!("note: {why}");
            }
            sayln!("measuring the FMA peak and memory bandwidth (about two seconds)...");
            let (m, note) = MachineInfo::measure_and_cache(true);
            if let Some(note) = note {
                sayln!("note: {note}");
            }
            m
        }
    };
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
            writeln!(out, "peak              {}", peak_origin(&m))?;
        }
        other => bail!("unknown format '{other}': use table or json"),
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the peak comes from, in words: "cached, measured 2026-01-02T03:04:05Z (best of ...)".
#[must_use]
pub fn peak_origin(m: &MachineInfo) -> String {
    let o = &m.peak_origin;
    let source = match o.peak_source {
        PeakSource::Cached => "cached, measured",
        PeakSource::Measured => "measured",
    };
    let when = o.measured_at.as_deref().unwrap_or("at an unknown time");
    let how = o
        .peak_method
        .as_deref()
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    let refresh = if o.peak_source == PeakSource::Cached {
        "; `ladder machine --measure` measures again"
    } else {
        ""
    };
    format!("{source} {when}{how}{refresh}")
}
