//! The regression gate's decisions on fixed inputs, and the history file's tolerance.

use ladder::report::WorkloadMeta;
use ladder::report::gate::{self, Baseline, BaselineRung, BaselineWorkload, Verdict};
use ladder::report::history::{self, HistoryEntry, HistoryRung};
use ladder::run::bench::{RungBench, Summary};
use tempfile::TempDir;

fn baseline() -> Baseline {
    let rung = |id: &str, speedup: f64, peak: f64| BaselineRung {
        rung: id.into(),
        speedup_vs_baseline: speedup,
        peak_fraction: peak,
        threshold: 0.15,
    };
    Baseline {
        schema_version: gate::BASELINE_SCHEMA,
        workload: BaselineWorkload { n: 1000, d: 768 },
        baseline_rung: "naive".into(),
        recorded_on: "test".into(),
        rungs: vec![
            rung("naive", 1.0, 0.05),
            rung("native", 70.0, 0.55),
            rung("threads", 120.0, 0.50),
        ],
    }
}

fn measured(id: &str, speedup: f64, peak: f64, spread: f64) -> RungBench {
    RungBench {
        rung: id.into(),
        time: Summary {
            median: 1.0,
            min: 1.0,
            max: 1.0 + spread,
            spread,
        },
        extrapolated: false,
        gflops: 1.0,
        peak_fraction: peak,
        speedup_vs_baseline: speedup,
        verified: true,
        noisy: spread > ladder::run::bench::NOISY_SPREAD,
    }
}

fn verdicts(run: &[RungBench]) -> Vec<Verdict> {
    gate::check(&baseline(), run)
        .rows
        .into_iter()
        .map(|r| r.verdict)
        .collect()
}

#[test]
fn within_the_threshold_passes() {
    let run = [
        measured("naive", 1.0, 0.048, 0.02),
        measured("native", 65.0, 0.52, 0.03),
        measured("threads", 125.0, 0.51, 0.05),
    ];
    assert_eq!(verdicts(&run), vec![Verdict::Ok; 3]);
    assert!(gate::check(&baseline(), &run).passed());
}

#[test]
fn a_drop_past_the_threshold_fails_by_either_ratio() {
    // Speedup fell 30%, peak fraction fine.
    let run = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("native", 49.0, 0.55, 0.02),
        measured("threads", 120.0, 0.30, 0.02), // peak fraction fell 40%
    ];
    let report = gate::check(&baseline(), &run);
    assert_eq!(
        report
            .rows
            .iter()
            .map(|r| r.verdict.clone())
            .collect::<Vec<_>>(),
        vec![Verdict::Ok, Verdict::Regressed, Verdict::Regressed]
    );
    assert!(!report.passed());
    let text = report.render("naive");
    assert!(
        text.contains("REGRESSED") && text.contains("gate: FAILED (native, threads)"),
        "{text}"
    );
    assert!(text.contains("-30.0%"), "{text}");
}

#[test]
fn the_baseline_rung_is_judged_by_its_peak_fraction_only() {
    let run = [
        measured("naive", 1.0, 0.02, 0.02), // 60% below its peak fraction
        measured("native", 70.0, 0.55, 0.02),
        measured("threads", 120.0, 0.5, 0.02),
    ];
    assert_eq!(verdicts(&run)[0], Verdict::Regressed);
}

#[test]
fn improvements_pass_and_say_so() {
    let run = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("native", 100.0, 0.80, 0.02),
        measured("threads", 120.0, 0.5, 0.02),
    ];
    assert_eq!(verdicts(&run)[1], Verdict::Improved);
    let report = gate::check(&baseline(), &run);
    assert!(report.passed());
    assert!(report.render("naive").contains("re-record"));
}

#[test]
fn a_noisy_drop_is_undecided_not_failed() {
    let run = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("native", 40.0, 0.3, 0.6),
        measured("threads", 120.0, 0.5, 0.02),
    ];
    assert_eq!(verdicts(&run)[1], Verdict::Noisy);
    let report = gate::check(&baseline(), &run);
    assert!(report.passed());
    assert!(report.render("naive").contains("undecided: spread 60%"));
}

#[test]
fn a_missing_or_wrong_rung_fails() {
    let mut wrong = measured("native", 70.0, 0.55, 0.02);
    wrong.verified = false;
    let run = [measured("naive", 1.0, 0.05, 0.02), wrong];
    assert_eq!(
        verdicts(&run),
        vec![Verdict::Ok, Verdict::Unverified, Verdict::Missing]
    );
    let text = gate::check(&baseline(), &run).render("naive");
    assert!(
        text.contains("MISSING") && text.contains("WRONG ANSWER"),
        "{text}"
    );
}

#[test]
#[allow(clippy::float_cmp)] // values copied, not computed
fn an_updated_baseline_keeps_its_thresholds() {
    let mut prev = baseline();
    prev.rungs[2].threshold = 0.25;
    let run = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("threads", 130.0, 0.52, 0.02),
        measured("vectorized", 20.0, 0.3, 0.02),
    ];
    let b = Baseline::from_run(1000, 768, "here".into(), &run, Some(&prev));
    assert_eq!(b.baseline_rung, "naive");
    assert_eq!(b.rungs[1].threshold, 0.25);
    assert_eq!(b.rungs[2].threshold, gate::DEFAULT_THRESHOLD);
    assert_eq!(b.rungs[1].speedup_vs_baseline, 130.0);
}

#[test]
fn bad_baseline_files_are_explained() {
    let dir = TempDir::new().unwrap();
    let missing = gate::Baseline::load(&dir.path().join("none.json")).unwrap_err();
    assert!(
        missing.to_string().contains("--update-baseline"),
        "{missing}"
    );
    let p = dir.path().join("bad.json");
    std::fs::write(&p, "{ not json").unwrap();
    assert!(
        gate::Baseline::load(&p)
            .unwrap_err()
            .to_string()
            .contains("not a valid baseline")
    );
    let mut b = baseline();
    b.rungs[1].threshold = 1.5;
    std::fs::write(&p, serde_json::to_string(&b).unwrap()).unwrap();
    let e = gate::Baseline::load(&p).unwrap_err().to_string();
    assert!(e.contains("threshold 1.5"), "{e}");
}

fn entry(commit: &str) -> HistoryEntry {
    HistoryEntry {
        schema_version: history::HISTORY_SCHEMA,
        date: "2026-11-25T10:00:00Z".into(),
        commit: commit.into(),
        machine: ladder::machine::MachineInfo {
            cpu: "cpu".into(),
            arch: "x86_64".into(),
            logical_cores: 2,
            physical_cores: Some(2),
            simd: vec![],
            kernel_isa: "avx2+fma".into(),
            peak_gflops_core: 100.0,
            peak_gflops_all: 200.0,
            peak_gflops_core_128: 50.0,
            peak_gflops_all_128: 100.0,
            mem_read_gbs: None,
        },
        workload: WorkloadMeta {
            n: 1000,
            d: 768,
            seed: 0,
            source: "normal".into(),
            zero_rows: 0,
        },
        warmup: 1,
        repeat: 5,
        baseline_rung: "naive".into(),
        rungs: vec![HistoryRung {
            rung: "naive".into(),
            median_s: 0.4,
            min_s: 0.39,
            max_s: 0.41,
            spread: 0.05,
            gflops: 3.8,
            speedup_vs_baseline: 1.0,
            peak_fraction: 0.05,
            noisy: false,
        }],
    }
}

#[test]
fn history_appends_and_skips_corrupt_lines() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("perf").join("history.jsonl");
    history::append(&path, &entry("aaa")).unwrap();
    // A crash in some other writer left a truncated line without a newline.
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str("{\"schema_version\": 1, \"date\": \"2026");
    std::fs::write(&path, text).unwrap();
    history::append(&path, &entry("bbb")).unwrap();
    std::fs::write(
        dir.path().join("extra.jsonl"),
        "garbage\n\n{\"schema_version\": 9}\n",
    )
    .unwrap();

    let h = history::read(&path).unwrap();
    assert_eq!(
        h.entries
            .iter()
            .map(|e| e.commit.as_str())
            .collect::<Vec<_>>(),
        ["aaa", "bbb"]
    );
    assert_eq!(h.warnings.len(), 1);
    assert!(h.warnings[0].contains("line 2"), "{:?}", h.warnings);

    let h = history::read(&dir.path().join("extra.jsonl")).unwrap();
    assert!(h.entries.is_empty());
    assert_eq!(h.warnings.len(), 2, "{:?}", h.warnings);
    // No temporary files are left behind.
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );
    // A missing history is empty, not an error.
    assert!(
        history::read(&dir.path().join("none.jsonl"))
            .unwrap()
            .entries
            .is_empty()
    );
}
