//! `ladder peers`: the programs outside the process, and which of them can run here.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

#[derive(Args)]
pub struct PeersArgs {
    /// A folder of peer files instead of the shipped ones.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

pub fn exec(args: &PeersArgs) -> Result<ExitCode> {
    let peers = match &args.dir {
        Some(d) => ladder::peers::load_dir(d)?,
        None => ladder::peers::shipped()?,
    };
    let python = ladder::peers::python();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Python: {}",
        python.as_ref().map_or_else(
            || "none on PATH (set LADDER_PYTHON)".to_string(),
            |p| p.display().to_string()
        )
    )?;
    writeln!(
        out,
        "{:<12} {:<10} {:<6} {:<10} title",
        "peer", "step", "output", "here"
    )?;
    let mut missing = Vec::new();
    for p in &peers {
        let avail = p.availability();
        writeln!(
            out,
            "{:<12} {:<10} {:<6} {:<10} {}",
            p.id,
            p.step.to_string(),
            match p.output {
                ladder::rungs::OutputKind::Full => "full",
                ladder::rungs::OutputKind::TopK => "top-k",
            },
            if avail.0.is_none() {
                "available"
            } else {
                "missing"
            },
            p.title
        )?;
        if let Some(why) = avail.0 {
            missing.push(format!("  {}: {why}", p.id));
        }
    }
    if !missing.is_empty() {
        writeln!(
            out,
            "
not available here:
{}",
            missing.join("\n")
        )?;
        writeln!(
            out,
            "(everything at once: pip install numpy numba cython faiss-cpu hnswlib py-spy, as \
             assets/peers/requirements.txt in the source lists)"
        )?;
    }
    writeln!(
        out,
        "
run them beside the rungs: ladder run --peers all (or ids, or a folder of peer files)"
    )?;
    Ok(ExitCode::SUCCESS)
}
