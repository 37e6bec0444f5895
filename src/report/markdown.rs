//! The speedup table a student pastes into NOTES.md.

use std::io::{self, Write};

use super::{
    Export, Results, gflops_cell, peak_cell, range_cell, time_cell, verified_cell,
    vs_baseline_cell, vs_previous_cell,
};

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
        // The min–max column when a rung ran more than once.
        let spread = super::any_repeated(&r.rungs);
        writeln!(
            out,
            "| rung | step | time |{} GFLOP/s | % of peak | vs baseline | vs previous | verified |{}",
            if spread { " min–max |" } else { "" },
            if flames { " flamegraph |" } else { "" }
        )?;
        writeln!(
            out,
            "|---|---|---:|{}---:|---:|---:|---:|---|{}",
            if spread { "---:|" } else { "" },
            if flames { "---|" } else { "" }
        )?;
        for x in &r.rungs {
            let flame = match (&x.flamegraph, flames) {
                (Some(p), _) => format!(" [svg]({}) |", p.replace(' ', "%20")),
                (None, true) => " - |".to_string(),
                (None, false) => String::new(),
            };
            let range = if spread {
                format!(" {} |", range_cell(x))
            } else {
                String::new()
            };
            writeln!(
                out,
                "| `{}` | {} | {} |{range} {} | {} | {} | {} | {} |{flame}",
                x.rung,
                x.step,
                time_cell(x),
                gflops_cell(x),
                peak_cell(x),
                vs_baseline_cell(x),
                vs_previous_cell(x),
                verified_cell(x).replace('|', "\\|"),
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "GFLOP/s is effective: the full matrix's 2·n²·d over the time, whatever shortcut a rung takes. \
             % of peak counts the arithmetic a rung really does against the measured peak of the cores it used."
        )?;
        if let Some(n) = super::spread_note(&r.rungs) {
            writeln!(out, "{}.", capitalised(&n))?;
        }
        for n in r.rungs.iter().filter_map(super::repeat_note) {
            writeln!(out, "{n}")?;
        }
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

/// "Time: ..." from "time: ...".
fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}
