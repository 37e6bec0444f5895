//! One CSV row per rung, for spreadsheets and plotting.

use std::io::{self, Write};

use super::{Export, Results};
use crate::run::RunStatus;

/// Comma-separated values with a header row.
pub struct Csv;

const HEADER: &str = "rung,step,status,threads,n,d,setup_s,kernel_s,rows_done,rows_total,estimated_s,extrapolated,\
pairs_per_s,gflops_effective,gflops_work,peak_pct,speedup_vs_baseline,speedup_vs_previous,peak_rss_bytes,\
verified,max_abs_err,tolerance,load_elsewhere,runs,median_s,min_s,max_s,spread,\
speedup_vs_baseline_overlaps,speedup_vs_previous_overlaps";

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x}")).unwrap_or_default()
}

impl Export for Csv {
    fn write(&self, r: &Results, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "{HEADER}")?;
        for x in &r.rungs {
            let status = match &x.status {
                RunStatus::Completed => "completed".to_string(),
                RunStatus::Extrapolated => "extrapolated".to_string(),
                RunStatus::Cancelled => "cancelled".to_string(),
                RunStatus::Failed(why) => format!("failed: {why}"),
                RunStatus::Unavailable(why) => format!("unavailable: {why}"),
            };
            let v = x.verification.as_ref();
            // One run is a range of one point.
            let timed = x.has_time();
            let (min, max) = x.time_range();
            let spread = x.repeat.as_ref().map_or(0.0, |r| r.spread);
            let when = |v: String| if timed { v } else { String::new() };
            let fields = [
                quote(&x.rung),
                x.step.to_string(),
                quote(&status),
                x.threads.to_string(),
                r.workload.n.to_string(),
                r.workload.d.to_string(),
                format!("{}", x.setup_s),
                format!("{}", x.kernel_s),
                x.rows_done.to_string(),
                x.rows_total.to_string(),
                format!("{}", x.estimated_s),
                x.extrapolated.to_string(),
                format!("{}", x.pairs_per_s),
                format!("{}", x.gflops_effective),
                format!("{}", x.gflops_work),
                format!("{}", x.peak_pct),
                opt(x.speedup_vs_baseline),
                opt(x.speedup_vs_previous),
                x.peak_rss_bytes.to_string(),
                v.map(|v| v.passed.to_string()).unwrap_or_default(),
                opt(v.map(|v| v.max_abs_err)),
                opt(v.map(|v| v.tolerance)),
                opt(x.load_elsewhere),
                when(x.runs().to_string()),
                when(format!("{}", x.estimated_s)),
                when(format!("{min}")),
                when(format!("{max}")),
                when(format!("{spread}")),
                x.speedup_vs_baseline_overlaps.to_string(),
                x.speedup_vs_previous_overlaps.to_string(),
            ];
            writeln!(out, "{}", fields.join(","))?;
        }
        Ok(())
    }
}
