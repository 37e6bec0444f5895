//! The benchmark's table: each rung's median, spread and speedup over the first rung.

use std::fmt::Write as _;

use super::{WorkloadMeta, human_seconds, human_speedup};
use crate::machine::MachineInfo;
use crate::run::bench::RungBench;

/// The table `ladder bench` prints: a line on what ran where, then one row per rung, with
/// what makes a figure doubtful (noise, extrapolation, a failed verification) beside it.
#[must_use]
pub fn render_bench(
    results: &[RungBench],
    meta: &WorkloadMeta,
    machine: &MachineInfo,
    warmup: usize,
    repeat: usize,
) -> String {
    let mut s = String::new();
    let base = results.first().map_or("-", |r| r.rung.as_str());
    let _ = writeln!(
        s,
        "{} × {} {} · {repeat} runs each after {warmup} warm-up, interleaved · {} ({} cores, {}, peak {:.0}/{:.0} GFLOP/s)",
        meta.n,
        meta.d,
        meta.source,
        machine.cpu,
        machine.logical_cores,
        machine.kernel_isa,
        machine.peak_gflops_core,
        machine.peak_gflops_all
    );
    let _ = writeln!(
        s,
        "{:<12} {:>11} {:>11} {:>11} {:>7} {:>8} {:>7} {:>10}",
        "rung",
        "median",
        "min",
        "max",
        "spread",
        "GFLOP/s",
        "% peak",
        format!("vs {base}")
    );
    for r in results {
        let load = r
            .load_elsewhere
            .filter(|_| r.under_load())
            .map(super::gate::load_words);
        let mut flags: Vec<&str> = Vec::new();
        if let Some(l) = &load {
            flags.push(l);
        }
        if r.noisy {
            flags.push("noisy: rerun on a quieter machine");
        }
        if r.extrapolated {
            flags.push("extrapolated");
        }
        if !r.verified {
            flags.push("FAILED verification");
        }
        let _ = writeln!(
            s,
            "{:<12} {:>11} {:>11} {:>11} {:>6.1}% {:>8.1} {:>6.1}% {:>10}  {}",
            r.rung,
            human_seconds(r.time.median),
            human_seconds(r.time.min),
            human_seconds(r.time.max),
            r.time.spread * 100.0,
            r.gflops,
            r.peak_fraction * 100.0,
            human_speedup(Some(r.speedup_vs_baseline)),
            flags.join(", ")
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::bench::Summary;

    fn rung(id: &str, median: f64, speedup: f64, noisy: bool, verified: bool) -> RungBench {
        RungBench {
            rung: id.into(),
            time: Summary {
                median,
                min: median * 0.9,
                max: median * 1.1,
                spread: 0.2,
            },
            extrapolated: false,
            gflops: 1.5,
            peak_fraction: 0.25,
            speedup_vs_baseline: speedup,
            verified,
            noisy,
            load_elsewhere: None,
        }
    }

    #[test]
    fn one_row_per_rung_against_the_first_with_its_doubts() {
        let meta = WorkloadMeta {
            n: 1000,
            d: 768,
            seed: 0,
            source: "normal".into(),
            zero_rows: 0,
        };
        let text = render_bench(
            &[
                rung("naive", 2.0, 1.0, false, true),
                rung("native", 0.02, 100.0, true, false),
            ],
            &meta,
            &crate::report::test_machine("cpu-a"),
            1,
            5,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[0].starts_with("1000 × 768 normal · 5 runs each after 1 warm-up"));
        assert!(lines[0].contains("cpu-a (2 cores, avx2+fma, peak 100/200 GFLOP/s)"));
        assert!(lines[1].starts_with("rung") && lines[1].ends_with("vs naive"));
        assert!(lines[2].starts_with("naive") && lines[2].contains("2.00 s"));
        assert!(lines[2].contains("20.0%") && lines[2].contains("25.0%"));
        assert!(lines[3].contains("100x"));
        assert!(lines[3].ends_with("noisy: rerun on a quieter machine, FAILED verification"));
    }

    #[test]
    fn a_rung_measured_under_load_says_how_much() {
        let meta = WorkloadMeta {
            n: 1000,
            d: 768,
            seed: 0,
            source: "normal".into(),
            zero_rows: 0,
        };
        let mut loaded = rung("native", 0.02, 100.0, false, true);
        loaded.load_elsewhere = Some(0.4);
        let mut idle = rung("threads", 0.01, 200.0, false, true);
        idle.load_elsewhere = Some(0.1);
        let text = render_bench(
            &[rung("naive", 2.0, 1.0, false, true), loaded, idle],
            &meta,
            &crate::report::test_machine("cpu-a"),
            1,
            5,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[3].ends_with("measured under load: 40% of a core busy elsewhere"),
            "{text}"
        );
        assert!(!lines[4].contains("under load"), "{text}");
    }
}
