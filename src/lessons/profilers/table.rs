//! The comparison as a plain-text table, then the course's claims judged, then the notes.

use std::fmt::Write as _;

use super::{Comparison, Status};

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |p| format!("{p:+.0}%"))
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |s| format!("{s:.2}"))
}

/// A plain run shorter than this (seconds) is said to be too short to judge by.
const SHORT_S: f64 = 0.2;

/// The table people read.
#[must_use]
pub fn render(c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Pure-Python similarity (norms once, then dot products), n={} d={}, {} interleaved \
         round(s), medians; Python: {}",
        c.n, c.d, c.rounds, c.python
    );
    let _ = writeln!(
        out,
        "{:<13} {:<14} {:<9} {:<11} {:>8} {:>9} {:>8} {:>9}  what it saw",
        "profiler", "kind", "level", "measures", "timed s", "overhead", "whole s", "overhead"
    );
    for r in &c.rows {
        let saw = match (&r.top, r.share, r.peak_bytes) {
            (Some(t), Some(s), Some(peak)) => format!(
                "{t} {:.0}% of bytes; peak {:.1} MB",
                s * 100.0,
                peak as f64 / 1e6
            ),
            (Some(t), Some(s), None) => format!("{t} {:.0}%", s * 100.0),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "{:<13} {:<14} {:<9} {:<11} ",
            r.id, r.method, r.level, r.resource
        );
        let _ = match r.status {
            Status::Measured => writeln!(
                out,
                "{:>8} {:>9} {:>8} {:>9}  {saw}",
                secs(r.kernel_s),
                pct(r.kernel_overhead_pct),
                secs(r.wall_s),
                pct(r.wall_overhead_pct),
            ),
            Status::NotInstalled | Status::Failed => {
                writeln!(out, "{}", r.note.as_deref().unwrap_or("-"))
            }
        };
    }
    let claims: Vec<_> = c
        .rows
        .iter()
        .filter_map(|r| r.claim.as_ref().map(|cl| (r, cl)))
        .collect();
    if !claims.is_empty() {
        let _ = writeln!(out, "\nThe course's claims ({}):", c.rule);
        for (r, cl) in claims {
            let _ = writeln!(
                out,
                "  {} ~{:.0}%: {} (measured {:+.1}%{})",
                r.id,
                cl.claimed_pct,
                if cl.held { "held" } else { "did not hold" },
                cl.measured_pct,
                if cl.measured_pct < 0.0 {
                    super::BELOW_ZERO
                } else {
                    ""
                }
            );
        }
    }
    // Too short a workload and the start-up and the scheduler's noise are most of the figure.
    if let Some(plain) = c.rows.first().and_then(|r| r.kernel_s)
        && plain < SHORT_S
    {
        let _ = writeln!(
            out,
            "\nnote: the plain run's timed section took {:.0} ms: at this size an overhead is \
             mostly noise; --n 300 or more gives figures to judge claims by",
            plain * 1e3
        );
    }
    let notes: Vec<_> = c
        .rows
        .iter()
        .filter(|r| r.status == Status::Measured)
        .filter_map(|r| r.note.as_ref().map(|n| (r, n)))
        .collect();
    if !notes.is_empty() {
        let _ = writeln!(out, "\nNotes:");
        for (r, n) in notes {
            let _ = writeln!(out, "  {}: {n}", r.id);
        }
    }
    out
}
