//! The plain-text table printed to a terminal.

use std::io::{self, Write};

use super::{
    Export, Results, gflops_cell, peak_cell, range_cell, time_cell, verified_cell,
    vs_baseline_cell, vs_previous_cell,
};
use crate::workload::human_bytes;

/// Aligned columns for a terminal.
pub struct Table;

impl Export for Table {
    fn write(&self, r: &Results, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{} vectors × {} dims ({}) on {} ({} threads, {}); peak {:.0} GFLOP/s per core, {:.0} all cores",
            r.workload.n,
            r.workload.d,
            r.workload.origin(),
            r.machine.cpu,
            r.threads,
            r.machine.kernel_isa,
            r.machine.peak_gflops_core,
            r.machine.peak_gflops_all
        )?;
        // The min–max column when a rung ran more than once.
        let spread = super::any_repeated(&r.rungs);
        let mut header = vec!["rung", "step", "setup", "time"];
        if spread {
            header.push("min–max");
        }
        header.extend([
            "GFLOP/s", "% peak", "vs base", "vs prev", "peak RSS", "verified",
        ]);
        let rows: Vec<Vec<String>> = r
            .rungs
            .iter()
            .map(|x| {
                let timed = x.has_time();
                let mut row = vec![
                    x.rung.clone(),
                    x.step.to_string(),
                    if timed {
                        super::human_seconds(x.setup_s)
                    } else {
                        "-".into()
                    },
                    time_cell(x),
                ];
                if spread {
                    row.push(range_cell(x));
                }
                row.extend([
                    gflops_cell(x),
                    peak_cell(x),
                    vs_baseline_cell(x),
                    vs_previous_cell(x),
                    human_bytes(x.peak_rss_bytes),
                    verified_cell(x),
                ]);
                row
            })
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        // Text columns align left, numbers right.
        let left: Vec<bool> = header
            .iter()
            .map(|h| matches!(*h, "rung" | "step" | "verified"))
            .collect();
        let line = |cells: &[String]| -> String {
            cells
                .iter()
                .zip(&widths)
                .zip(&left)
                .map(|((c, w), left)| {
                    let pad = w - c.chars().count();
                    if *left {
                        format!("{c}{}", " ".repeat(pad))
                    } else {
                        format!("{}{c}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        writeln!(
            out,
            "{}",
            line(&header.iter().map(ToString::to_string).collect::<Vec<_>>())
        )?;
        for row in &rows {
            writeln!(out, "{}", line(row))?;
        }
        if let Some(n) = super::spread_note(&r.rungs) {
            writeln!(out, "{n}")?;
        }
        for n in r.rungs.iter().filter_map(super::repeat_note) {
            writeln!(out, "{n}")?;
        }
        for n in r.rungs.iter().filter_map(super::compile_note) {
            writeln!(out, "{n}")?;
        }
        if let Some(n) = super::load_notes(&r.rungs) {
            writeln!(out, "{n}")?;
        }
        if r.rungs.iter().any(|x| x.extrapolated) {
            writeln!(
                out,
                "~ (est.): stopped at the {} s budget after a prefix of rows; full time extrapolated from the work done.",
                r.budget_s
            )?;
        }
        Ok(())
    }
}
