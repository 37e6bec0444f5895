//! The gate run: what it prints, and when it measures again.

use super::*;
use crate::run::bench::Summary;

fn measured(id: &str, speedup: f64) -> RungBench {
    let time = Summary {
        median: 1.0,
        min: 1.0,
        max: 1.0,
        spread: 0.0,
    };
    RungBench {
        rung: id.into(),
        time,
        extrapolated: false,
        gflops: 1.0,
        peak_fraction: 0.5,
        speedup_vs_baseline: speedup,
        verified: true,
        noisy: false,
        load_elsewhere: None,
    }
}

/// The second measurements asked for: (ids, warm-up, repeat).
type Asked = Vec<(Vec<String>, usize, usize)>;

/// Runs the gate on `first` (naive, then native at `first`x against a 10x baseline),
/// answering a second measurement with native at `second`x: the output, the verdict
/// and the second measurements asked for.
fn gate(first: f64, second: f64) -> (String, bool, Asked) {
    let rung = |id: &str, speedup| BaselineRung {
        rung: id.into(),
        speedup_vs_baseline: speedup,
        peak_fraction: 0.5,
        threshold: 0.15,
    };
    let baseline = Baseline {
        machine: None,
        workload: BaselineWorkload { n: 1000, d: 768 },
        baseline_rung: "naive".into(),
        recorded_on: "test".into(),
        peak_measure: super::PEAK_MEASURE,
        rungs: vec![rung("naive", 1.0), rung("native", 10.0)],
    };
    let key = MachineKey {
        cpu: "cpu".into(),
        model: None,
        cores: 2,
        isa: "avx2+fma".into(),
    };
    let g = GateRun {
        baseline: &baseline,
        same_machine: true,
        this_machine: &key,
        path: Path::new("b.json"),
        repeat: 5,
    };
    let mut asked = Vec::new();
    let mut again = |ids: &[String], warmup, repeat| {
        asked.push((ids.to_vec(), warmup, repeat));
        Ok(vec![measured("naive", 1.0), measured("native", second)])
    };
    let mut out = Vec::new();
    let first = [measured("naive", 1.0), measured("native", first)];
    let report = run_gate(&g, &first, &mut again, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), report.passed(), asked)
}

#[test]
fn a_run_without_suspects_is_not_measured_again() {
    let (out, passed, asked) = gate(10.0, 1.0);
    assert!(passed && asked.is_empty(), "{out}");
    assert!(out.contains("regression gate against b.json (n = 1000, d = 768"));
    assert!(
        out.ends_with("gate: passed\n") && !out.contains("measuring"),
        "{out}"
    );
}

#[test]
fn a_suspect_is_measured_again_beside_the_baseline_rung_and_judged_twice() {
    let (out, passed, asked) = gate(5.0, 10.0);
    assert!(passed, "{out}");
    assert_eq!(
        asked,
        vec![(vec!["naive".to_string(), "native".to_string()], 1, 10)]
    );
    assert!(out.contains(
        "native fell past the threshold: measuring it again beside naive (10 runs each)"
    ));
    let (out, passed, _) = gate(5.0, 5.0);
    assert!(!passed && out.ends_with("gate: FAILED (native)\n"), "{out}");
}

#[test]
fn a_rung_measured_under_load_says_so_in_the_gate_s_text() {
    let baseline = Baseline {
        machine: None,
        workload: BaselineWorkload { n: 1000, d: 768 },
        baseline_rung: "naive".into(),
        recorded_on: "test".into(),
        peak_measure: super::PEAK_MEASURE,
        rungs: vec![
            BaselineRung {
                rung: "naive".into(),
                speedup_vs_baseline: 1.0,
                peak_fraction: 0.5,
                threshold: 0.15,
            },
            BaselineRung {
                rung: "native".into(),
                speedup_vs_baseline: 10.0,
                peak_fraction: 0.5,
                threshold: 0.15,
            },
        ],
    };
    let key = MachineKey {
        cpu: "cpu".into(),
        model: None,
        cores: 2,
        isa: "avx2+fma".into(),
    };
    let g = GateRun {
        baseline: &baseline,
        same_machine: true,
        this_machine: &key,
        path: Path::new("b.json"),
        repeat: 5,
    };
    let mut loaded = measured("native", 10.0);
    loaded.load_elsewhere = Some(0.4);
    let mut idle = measured("naive", 1.0);
    idle.load_elsewhere = Some(0.05);
    let mut out = Vec::new();
    let report = run_gate(
        &g,
        &[idle, loaded],
        &mut |_: &[String], _, _| unreachable!("nothing to measure again"),
        &mut out,
    )
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    let native = out.lines().find(|l| l.starts_with("native")).unwrap();
    assert!(
        native.ends_with("ok; measured under load: 40% of a core busy elsewhere"),
        "{out}"
    );
    let naive = out.lines().find(|l| l.starts_with("naive")).unwrap();
    assert!(!naive.contains("under load"), "{out}");
    assert!(
        out.contains("note: native was measured under load"),
        "{out}"
    );
    assert_eq!(report.rows[1].load_elsewhere, Some(0.4));
    assert!(report.passed());
}
