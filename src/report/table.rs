//! The plain-text table printed to a terminal.

use std::io::{self, Write};

use super::{Export, Results, gflops_cell, human_speedup, peak_cell, time_cell, verified_cell};
use crate::workload::human_bytes;

/// Aligned columns for a terminal.
pub struct Table;

impl Export for Table {
    fn write(&self, r: &Results, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "{} vectors × {} dims ({}, seed {}) on {} ({} threads, {}); peak {:.0} GFLOP/s per core, {:.0} all cores",
            r.workload.n,
            r.workload.d,
            r.workload.source,
            r.workload.seed,
            r.machine.cpu,
            r.threads,
            r.machine.kernel_isa,
            r.machine.peak_gflops_core,
            r.machine.peak_gflops_all
        )?;
        let header = [
            "rung", "step", "setup", "time", "GFLOP/s", "% peak", "vs base", "vs prev", "peak RSS",
            "verified",
        ];
        let rows: Vec<[String; 10]> = r
            .rungs
            .iter()
            .map(|x| {
                let timed = x.has_time();
                [
                    x.rung.clone(),
                    x.step.to_string(),
                    if timed {
                        super::human_seconds(x.setup_s)
                    } else {
                        "-".into()
                    },
                    time_cell(x),
                    gflops_cell(x),
                    peak_cell(x),
                    human_speedup(x.speedup_vs_baseline),
                    human_speedup(x.speedup_vs_previous),
                    human_bytes(x.peak_rss_bytes),
                    verified_cell(x),
                ]
            })
            .collect();
        let mut widths = header.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            cells
                .iter()
                .zip(widths)
                .enumerate()
                .map(|(i, (c, w))| {
                    let pad = w - c.chars().count();
                    // Text columns align left, numbers right.
                    if i <= 1 || i == 9 {
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
        writeln!(out, "{}", line(&header.map(String::from)))?;
        for row in &rows {
            writeln!(out, "{}", line(row))?;
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
                "~ (est.): stopped at the {:.0} s budget after a prefix of rows; full time extrapolated from the work done.",
                r.budget_s
            )?;
        }
        Ok(())
    }
}
