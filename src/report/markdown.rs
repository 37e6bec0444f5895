//! The speedup table a student pastes into NOTES.md.

use std::io::{self, Write};

use super::{Export, Results, gflops_cell, human_speedup, peak_cell, time_cell, verified_cell};

/// A GitHub-flavoured Markdown table with a line naming the workload and machine, and the
/// speedup chart on top when `chart` names its file (relative to the Markdown's folder).
#[derive(Default)]
pub struct Markdown {
    pub chart: Option<String>,
}

impl Export for Markdown {
    fn write(&self, r: &Results, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "Pairwise cosine similarity of {} vectors × {} dimensions ({}, seed {}), on {} \
             ({} logical cores, {}; measured float32 peak {:.0} GFLOP/s per core, {:.0} on all cores).",
            r.workload.n,
            r.workload.d,
            r.workload.source,
            r.workload.seed,
            r.machine.cpu,
            r.machine.logical_cores,
            r.machine.kernel_isa,
            r.machine.peak_gflops_core,
            r.machine.peak_gflops_all
        )?;
        writeln!(out)?;
        if let Some(chart) = &self.chart {
            writeln!(
                out,
                "![The ladder: kernel time per rung]({})",
                chart.replace(' ', "%20")
            )?;
            writeln!(out)?;
        }
        let flames = r.rungs.iter().any(|x| x.flamegraph.is_some());
        writeln!(
            out,
            "| rung | step | time | GFLOP/s | % of peak | vs baseline | vs previous | verified |{}",
            if flames { " flamegraph |" } else { "" }
        )?;
        writeln!(
            out,
            "|---|---|---:|---:|---:|---:|---:|---|{}",
            if flames { "---|" } else { "" }
        )?;
        for x in &r.rungs {
            let flame = match (&x.flamegraph, flames) {
                (Some(p), _) => format!(" [svg]({}) |", p.replace(' ', "%20")),
                (None, true) => " - |".to_string(),
                (None, false) => String::new(),
            };
            writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} | {} | {} |{flame}",
                x.rung,
                x.step,
                time_cell(x),
                gflops_cell(x),
                peak_cell(x),
                human_speedup(x.speedup_vs_baseline),
                human_speedup(x.speedup_vs_previous),
                verified_cell(x).replace('|', "\\|"),
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "GFLOP/s is effective: the full matrix's 2·n²·d over the time, whatever shortcut a rung takes. \
             % of peak counts the arithmetic a rung really does against the measured peak of the cores it used."
        )?;
        for n in r.rungs.iter().filter_map(super::compile_note) {
            writeln!(out, "{n}")?;
        }
        for n in r.rungs.iter().filter_map(super::load_note) {
            writeln!(out, "{n}")?;
        }
        if r.rungs.iter().any(|x| x.extrapolated) {
            writeln!(
                out,
                "Times marked ~ (est.) stopped at the {:.0} s budget and are extrapolated from the rows done.",
                r.budget_s
            )?;
        }
        Ok(())
    }
}
