//! The scaling sweep's output: a table of times by size with the fitted exponents, JSON or CSV.

use std::fmt::Write as _;

use super::human_seconds;
use crate::machine::MachineInfo;
use crate::run::scale::Sweep;

/// One row per rung (`ids`, in order), one column per size that ran at all, then the fitted
/// exponent; `~` marks a time extrapolated from the `budget_s` budget, `✗` a failed check. The
/// sizes skipped follow, with why.
#[must_use]
pub fn scale_table(sweep: &Sweep, ids: &[&str], sizes: &[usize], budget_s: f64) -> String {
    let points = &sweep.points;
    let ran: Vec<usize> = sizes
        .iter()
        .copied()
        .filter(|n| points.iter().any(|p| p.n == *n))
        .collect();
    let mut text = String::new();
    let _ = write!(text, "{:<12}", "rung");
    for n in &ran {
        let _ = write!(text, " {:>16}", format!("n = {n}"));
    }
    let _ = writeln!(text, "  {:>8}", "exponent");
    for id in ids {
        let _ = write!(text, "{id:<12}");
        for n in &ran {
            let cell = points
                .iter()
                .find(|p| p.rung == *id && p.n == *n)
                .map_or_else(
                    || "-".to_string(),
                    |p| {
                        let t = human_seconds(p.seconds);
                        let t = if p.extrapolated { format!("~{t}") } else { t };
                        let t = if p.under_load() { format!("{t} !") } else { t };
                        if p.verified { t } else { format!("{t} ✗") }
                    },
                );
            let _ = write!(text, " {cell:>16}");
        }
        let e = sweep
            .exponent_of(id)
            .map_or_else(|| "-".to_string(), |e| format!("{e:.2}"));
        let _ = writeln!(text, "  {e:>8}");
    }
    let _ = writeln!(
        text,
        "exponent: b in time ≈ a·nᵇ, fitted on a log-log scale (2 for an O(n²) kernel); ~ extrapolated from the {budget_s} s budget"
    );
    if let Some(note) = exponent_note(sweep, ids) {
        let _ = writeln!(text, "{note}");
    }
    if let Some(note) = load_note(sweep) {
        let _ = writeln!(text, "{note}");
    }
    for s in &sweep.skipped {
        let _ = writeln!(text, "n = {}, {} skipped: {}", s.n, s.rung, s.reason);
    }
    text
}

/// Said when a point was measured under load: its time may be long, and the exponent fitted
/// through it bent.
#[must_use]
pub fn load_note(sweep: &Sweep) -> Option<String> {
    let loaded: Vec<&crate::run::scale::ScalePoint> =
        sweep.points.iter().filter(|p| p.under_load()).collect();
    if loaded.is_empty() {
        return None;
    }
    let pct = |p: &crate::run::scale::ScalePoint| 100.0 * p.load_elsewhere.unwrap_or(0.0);
    // Every point, or each rung's: a list of twenty-four points is a wall, not a note.
    let which = if loaded.len() == sweep.points.len() {
        let (lo, hi) = loaded.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), p| {
            (lo.min(pct(p)), hi.max(pct(p)))
        });
        format!("every point ({lo:.0}–{hi:.0}% of a core)")
    } else {
        // Each rung once, in the order first met (the points go size by size).
        let mut rungs: Vec<&str> = Vec::new();
        for p in &loaded {
            if !rungs.contains(&p.rung.as_str()) {
                rungs.push(p.rung.as_str());
            }
        }
        rungs
            .iter()
            .map(|r| {
                let at: Vec<String> = loaded
                    .iter()
                    .filter(|p| p.rung == *r)
                    .map(|p| format!("{} ({:.0}%)", p.n, pct(p)))
                    .collect();
                format!("{r} at n = {}", at.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    Some(format!(
        "! measured under load (busy elsewhere): {which}: those times may be long by up to \
         that much, and an exponent fitted through them bent; sweep again on an idle machine"
    ))
}

/// Below this, an O(n²) rung's fitted exponent says its fixed costs still weigh.
const FLAT: f64 = 1.7;
/// Above this, an O(n²) rung's fitted exponent says something besides its n² work grew.
const STEEP: f64 = 2.5;

/// Said when an O(n²) rung's exponent came out well below 2 (at the sizes swept its fixed
/// costs, threads starting, packing, set-up, weigh as much as its n² work) or well above it
/// (a short time at a small n, noise, or a larger n leaving a cache): b is not yet the
/// kernel's, and a room should not read it as another complexity. The approximate index
/// (`ann`) grows slower by design and is left out.
#[must_use]
pub fn exponent_note(sweep: &Sweep, ids: &[&str]) -> Option<String> {
    let flat = off_n_squared(sweep, ids, |b| b < FLAT).map(|(rungs, one)| {
        format!(
            "{rungs} grow{} slower than n² here: at these sizes something besides the n² work \
             still weighs (fixed costs such as set-up, threads starting or packing; or noise: \
             a busy machine, a point extrapolated from a few rows), so b is not yet the \
             kernel's; sweep larger n, on an idle machine, before reading it as a complexity",
            if one { "s" } else { "" }
        )
    });
    let steep = off_n_squared(sweep, ids, |b| b > STEEP).map(|(rungs, one)| {
        format!(
            "{rungs} grow{} faster than n² here: a time too short to measure well at the \
             smallest n, noise (a busy machine), or a larger n that no longer fits a cache bends \
             the fit, so b is not the kernel's; sweep more and larger n, on an idle machine, \
             before reading it as a complexity",
            if one { "s" } else { "" }
        )
    });
    join_notes(flat, steep, "\n")
}

/// The same in a line or two, for the app's status under its chart.
#[must_use]
pub fn exponent_note_brief(sweep: &Sweep, ids: &[&str]) -> Option<String> {
    let flat = off_n_squared(sweep, ids, |b| b < FLAT).map(|(rungs, one)| {
        format!(
            "{rungs} grow{} slower than n²: fixed costs or noise still weigh at these sizes",
            if one { "s" } else { "" }
        )
    });
    let steep = off_n_squared(sweep, ids, |b| b > STEEP).map(|(rungs, one)| {
        format!(
            "{rungs} grow{} faster than n²: short times, noise or a cache bend the fit",
            if one { "s" } else { "" }
        )
    });
    join_notes(flat, steep, " · ")
}

fn join_notes(a: Option<String>, b: Option<String>, between: &str) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a}{between}{b}")),
        (a, b) => a.or(b),
    }
}

/// The O(n²) rungs whose fitted exponent is `off`, "threads (1.49), topk (1.59)", and whether
/// there is one.
fn off_n_squared(sweep: &Sweep, ids: &[&str], off: impl Fn(f64) -> bool) -> Option<(String, bool)> {
    let rungs: Vec<String> = ids
        .iter()
        .filter(|id| **id != "ann")
        .filter_map(|id| {
            sweep
                .exponent_of(id)
                .filter(|b| off(*b))
                .map(|b| format!("{id} ({b:.2})"))
        })
        .collect();
    (!rungs.is_empty()).then(|| (rungs.join(", "), rungs.len() == 1))
}

/// One line per point, with a header.
#[must_use]
pub fn scale_csv(sweep: &Sweep) -> String {
    let mut text =
        String::from("rung,n,seconds,extrapolated,gflops_effective,verified,load_elsewhere\n");
    for p in &sweep.points {
        let _ = writeln!(
            text,
            "{},{},{},{},{},{},{}",
            p.rung,
            p.n,
            p.seconds,
            p.extrapolated,
            p.gflops_effective,
            p.verified,
            p.load_elsewhere
                .map_or_else(String::new, |l| format!("{l:.3}"))
        );
    }
    text
}

/// One JSON document: the sizes asked for, the points, the sizes skipped, the machine and each
/// rung's fitted exponent (null where fewer than two sizes ran).
pub fn scale_json(
    sweep: &Sweep,
    ids: &[&str],
    sizes: &[usize],
    d: usize,
    machine: &MachineInfo,
) -> serde_json::Result<String> {
    let slopes: serde_json::Map<String, serde_json::Value> = ids
        .iter()
        .map(|id| ((*id).to_string(), serde_json::json!(sweep.exponent_of(id))))
        .collect();
    let doc = serde_json::json!({
        "schema_version": 1,
        "d": d,
        "sizes": sizes,
        "skipped": sweep.skipped,
        "machine": machine,
        "points": sweep.points,
        "cancelled": sweep.cancelled,
        "exponents": slopes,
    });
    Ok(serde_json::to_string_pretty(&doc)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::scale::{ScalePoint, Skipped};

    fn sweep() -> Sweep {
        let point = |rung: &str, n: usize, seconds: f64, verified: bool| ScalePoint {
            rung: rung.into(),
            n,
            seconds,
            extrapolated: n == 2000,
            gflops_effective: 1.0,
            verified,
            load_elsewhere: None,
        };
        Sweep {
            points: vec![
                point("naive", 1000, 1.0, true),
                point("naive", 2000, 4.0, true),
                point("topk", 1000, 0.5, false),
            ],
            skipped: vec![Skipped {
                n: 4000,
                rung: "naive".into(),
                reason: "S would not fit".into(),
            }],
            cancelled: false,
        }
    }

    #[test]
    fn the_table_has_a_column_per_size_that_ran_and_the_exponent() {
        let text = scale_table(&sweep(), &["naive", "topk"], &[1000, 2000, 4000], 4.0);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("n = 1000") && lines[0].contains("n = 2000"));
        assert!(
            !lines[0].contains("n = 4000"),
            "no column for a size nothing ran at"
        );
        assert!(lines[1].starts_with("naive") && lines[1].contains("~4.00 s"));
        assert!(lines[1].ends_with("2.00"), "{}", lines[1]);
        assert!(lines[2].contains("500.0 ms ✗") && lines[2].ends_with('-'));
        assert!(lines[3].ends_with("from the 4 s budget"));
        assert_eq!(lines[4], "n = 4000, naive skipped: S would not fit");
    }

    #[test]
    fn a_point_measured_under_load_is_marked_and_said() {
        let mut s = sweep();
        assert_eq!(load_note(&s), None);
        // Half a core busy elsewhere at n = 2000; a tenth at n = 1000 is not load.
        s.points[1].load_elsewhere = Some(0.5);
        s.points[0].load_elsewhere = Some(0.1);
        let text = scale_table(&s, &["naive", "topk"], &[1000, 2000], 4.0);
        let naive = text.lines().nth(1).unwrap();
        assert!(naive.contains("~4.00 s !"), "{naive}");
        assert!(
            naive.contains("1.00 s ") && !naive.contains("1.00 s !"),
            "{naive}"
        );
        assert!(
            text.contains("! measured under load (busy elsewhere): naive at n = 2000 (50%)"),
            "{text}"
        );
        let csv = scale_csv(&s);
        assert!(csv.lines().next().unwrap().ends_with(",load_elsewhere"));
        assert!(csv.contains("naive,2000,4,true,1,true,0.500"), "{csv}");
        // Points go size by size: each rung is named once, with its sizes.
        let mut by_size = sweep();
        by_size.points.swap(1, 2);
        let mut quiet = by_size.points[1].clone();
        quiet.n = 2000;
        by_size.points.push(quiet);
        for p in &mut by_size.points[..3] {
            p.load_elsewhere = Some(0.5);
        }
        let note = load_note(&by_size).unwrap();
        assert!(
            note.contains(": naive at n = 1000 (50%), 2000 (50%); topk at n = 1000 (50%):"),
            "{note}"
        );
        // Every point under load is said in two words and a range, not one by one.
        for p in &mut s.points {
            p.load_elsewhere = Some(0.9);
        }
        s.points[0].load_elsewhere = Some(1.2);
        let note = load_note(&s).unwrap();
        assert!(
            note.contains(": every point (90–120% of a core):"),
            "{note}"
        );
    }

    #[test]
    fn an_n_squared_rung_growing_slower_than_n_squared_is_said_but_the_index_is_not() {
        let mut s = sweep();
        assert_eq!(exponent_note(&s, &["naive", "topk"]), None);
        let point = |rung: &str, n: usize, seconds: f64| ScalePoint {
            rung: rung.into(),
            n,
            seconds,
            extrapolated: false,
            gflops_effective: 1.0,
            verified: true,
            load_elsewhere: None,
        };
        // Threads at small n: twice the size, 2.1x the time (b ≈ 1.07); the index's b is its own.
        s.points.extend([
            point("threads", 1000, 1.0),
            point("threads", 2000, 2.1),
            point("ann", 1000, 1.0),
            point("ann", 2000, 2.2),
        ]);
        let note = exponent_note(&s, &["naive", "threads", "ann"]).unwrap();
        assert!(
            note.starts_with("threads (1.07) grows slower than n² here"),
            "{note}"
        );
        assert!(!note.contains("ann") && !note.contains("naive"), "{note}");
        let table = scale_table(&s, &["naive", "threads", "ann"], &[1000, 2000], 4.0);
        assert!(table.contains("sweep larger n"), "{table}");
        // One growing far faster than n² (8x the time for twice the size: b = 3) is said too.
        s.points
            .extend([point("native", 1000, 1.0), point("native", 2000, 8.0)]);
        let note = exponent_note(&s, &["threads", "native"]).unwrap();
        assert!(
            note.contains("\nnative (3.00) grows faster than n² here"),
            "{note}"
        );
        let brief = exponent_note_brief(&s, &["threads", "native"]).unwrap();
        assert!(
            brief.contains(" · native (3.00) grows faster than n²: short times"),
            "{brief}"
        );
    }

    #[test]
    fn csv_and_json_carry_every_point() {
        let csv = scale_csv(&sweep());
        assert_eq!(csv.lines().count(), 4);
        assert_eq!(csv.lines().nth(2), Some("naive,2000,4,true,1,true,"));
        let json = scale_json(
            &sweep(),
            &["naive", "topk"],
            &[1000, 2000, 4000],
            768,
            &crate::report::test_machine("cpu"),
        )
        .unwrap();
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(doc["points"].as_array().unwrap().len(), 3);
        assert_eq!(doc["d"], 768);
        assert!((doc["exponents"]["naive"].as_f64().unwrap() - 2.0).abs() < 1e-9);
        assert!(doc["exponents"]["topk"].is_null());
    }
}
