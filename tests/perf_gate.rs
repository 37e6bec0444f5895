//! The regression gate's decisions on fixed inputs, and the history file's tolerance.

use ladder::machine::MachineKey;
use ladder::report::WorkloadMeta;
use ladder::report::gate::{
    self, Baseline, BaselineFile, BaselineRung, BaselineWorkload, GateReport, Verdict,
};
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
        machine: Some(key("Xeon", Some("family 6 model 143"))),
        workload: BaselineWorkload { n: 1000, d: 768 },
        baseline_rung: "naive".into(),
        recorded_on: "test".into(),
        peak_measure: ladder::report::gate::PEAK_MEASURE,
        rungs: vec![
            rung("naive", 1.0, 0.05),
            rung("native", 70.0, 0.55),
            rung("threads", 120.0, 0.50),
        ],
    }
}

fn key(cpu: &str, model: Option<&str>) -> MachineKey {
    MachineKey {
        cpu: cpu.into(),
        model: model.map(Into::into),
        cores: 2,
        isa: "avx512".into(),
    }
}

fn file(baselines: Vec<Baseline>) -> BaselineFile {
    BaselineFile {
        schema_version: gate::BASELINE_SCHEMA,
        baselines,
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
        load_elsewhere: None,
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
fn fractions_of_a_peak_measured_another_way_are_not_compared() {
    // Every fraction halved, as a truer (higher) peak does; the speedups kept.
    let run = [
        measured("naive", 1.0, 0.025, 0.02),
        measured("native", 70.0, 0.27, 0.02),
        measured("threads", 120.0, 0.25, 0.02),
    ];
    assert!(!gate::check(&baseline(), &run).passed());
    let older = Baseline {
        peak_measure: 0,
        ..baseline()
    };
    let report = gate::check(&older, &run);
    assert!(report.passed(), "{}", report.render("naive"));
    // A speedup that fell still fails.
    let slower = [
        measured("naive", 1.0, 0.025, 0.02),
        measured("native", 35.0, 0.27, 0.02),
        measured("threads", 120.0, 0.25, 0.02),
    ];
    assert!(!gate::check(&older, &slower).passed());
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
fn noise_does_not_excuse_a_drop_far_beyond_it() {
    // A hundredth of the baseline's speedup: no spread of 60% explains that.
    let run = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("native", 0.7, 0.005, 0.6),
        measured("threads", 120.0, 0.5, 0.02),
    ];
    assert_eq!(verdicts(&run)[1], Verdict::Regressed);
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
    let b = Baseline::from_run(
        key("Xeon", None),
        BaselineWorkload { n: 1000, d: 768 },
        "here".into(),
        &run,
        Some(&prev),
    );
    assert_eq!(b.baseline_rung, "naive");
    assert_eq!(b.rungs[1].threshold, 0.25);
    assert_eq!(b.rungs[2].threshold, gate::DEFAULT_THRESHOLD);
    assert_eq!(b.rungs[1].speedup_vs_baseline, 130.0);
}

#[test]
fn bad_baseline_files_are_explained() {
    let dir = TempDir::new().unwrap();
    let missing = BaselineFile::load(&dir.path().join("none.json")).unwrap_err();
    assert!(
        missing.to_string().contains("--update-baseline"),
        "{missing}"
    );
    let p = dir.path().join("bad.json");
    std::fs::write(&p, "{ not json").unwrap();
    assert!(
        BaselineFile::load(&p)
            .unwrap_err()
            .to_string()
            .contains("not a valid baseline")
    );
    let mut b = baseline();
    b.rungs[1].threshold = 1.5;
    std::fs::write(&p, serde_json::to_string(&file(vec![b])).unwrap()).unwrap();
    let e = BaselineFile::load(&p).unwrap_err().to_string();
    assert!(e.contains("threshold 1.5"), "{e}");
    std::fs::write(&p, serde_json::to_string(&file(vec![])).unwrap()).unwrap();
    let e = BaselineFile::load(&p).unwrap_err().to_string();
    assert!(e.contains("holds no baselines"), "{e}");
    std::fs::write(&p, r#"{"schema_version": 7, "baselines": []}"#).unwrap();
    let e = BaselineFile::load(&p).unwrap_err().to_string();
    assert!(e.contains("schema_version 7"), "{e}");
}

#[test]
fn a_file_of_the_first_layout_still_reads_as_one_unnamed_baseline() {
    let dir = TempDir::new().unwrap();
    let p = dir.path().join("old.json");
    let rungs = serde_json::to_value(&baseline().rungs).unwrap();
    let old = serde_json::json!({
        "schema_version": 1,
        "workload": {"n": 1000, "d": 768},
        "baseline_rung": "naive",
        "recorded_on": "Xeon (2 cores, avx512), 2026-11-25",
        "rungs": rungs,
    });
    std::fs::write(&p, old.to_string()).unwrap();
    let f = BaselineFile::load(&p).unwrap();
    assert_eq!(f.baselines.len(), 1);
    assert_eq!(f.baselines[0].machine, None);
    assert_eq!(f.baselines[0].rungs, baseline().rungs);
    // An unnamed baseline judges any machine, but not as its own.
    let (_, same) = f.pick(&key("Anything", None)).unwrap();
    assert!(!same);
}

#[test]
fn each_machine_is_judged_by_its_own_baseline() {
    let mut amd = baseline();
    amd.machine = Some(key("EPYC", Some("family 26 model 2")));
    amd.recorded_on = "amd".into();
    let mut xeon = baseline();
    xeon.machine = Some(key("Xeon", None)); // recorded where the model was not known
    xeon.recorded_on = "xeon".into();
    let f = file(vec![xeon, amd]);
    let pick = |k: MachineKey| {
        let (b, same) = f.pick(&k).unwrap();
        (b.recorded_on.clone(), same)
    };
    assert_eq!(
        pick(key("EPYC", Some("family 26 model 2"))),
        ("amd".into(), true)
    );
    // A baseline without a model stands for every model of its CPU.
    assert_eq!(
        pick(key("Xeon", Some("family 6 model 143"))),
        ("xeon".into(), true)
    );
    // Another model of a named CPU is another machine: the nearest (its brand's) is used, and
    // said not to be its own.
    assert_eq!(
        pick(key("EPYC", Some("family 25 model 1"))),
        ("amd".into(), false)
    );
    // Another brand: the first with the same cores and ISA.
    assert_eq!(pick(key("Graviton", None)), ("xeon".into(), false));
    let mut four = key("EPYC", Some("family 26 model 2"));
    four.cores = 4;
    assert_eq!(
        pick(four),
        ("amd".into(), false),
        "its brand, whatever its cores"
    );
    let mut odd = key("Graviton", None);
    odd.cores = 64;
    assert_eq!(
        pick(odd),
        ("xeon".into(), false),
        "nothing alike: the first"
    );
}

#[test]
fn an_unseen_cpu_is_judged_by_its_vendor_s_baseline_first() {
    // The shipped file's two machines, as they name themselves.
    let mut amd = baseline();
    amd.machine = Some(key("AMD EPYC", Some("family 26 model 2")));
    amd.recorded_on = "amd".into();
    let mut xeon = baseline();
    xeon.machine = Some(key("Intel(R) Xeon(R) Processor", None));
    xeon.recorded_on = "xeon".into();
    let f = file(vec![xeon, amd]);
    let pick = |cpu: &str, isa: &str| {
        let mut k = key(cpu, Some("family 25 model 1"));
        isa.clone_into(&mut k.isa);
        let (b, same) = f.pick(&k).unwrap();
        (b.recorded_on.clone(), same)
    };
    // A Zen 3 with AVX2 only: the AMD baseline, though the Xeon shares nothing less with it.
    assert_eq!(
        pick("AMD EPYC 7B13 64-Core Processor", "avx2+fma"),
        ("amd".into(), false)
    );
    assert_eq!(
        pick("Intel(R) Core(TM) i7-8700", "avx2+fma"),
        ("xeon".into(), false)
    );
    assert_eq!(pick("unknown CPU", "avx512"), ("xeon".into(), false));
}

#[test]
fn recording_replaces_only_this_machine_s_baseline() {
    let mut amd = baseline();
    amd.machine = Some(key("EPYC", Some("family 26 model 2")));
    let mut f = file(vec![baseline(), amd.clone()]);
    let mut newer = amd.clone();
    newer.recorded_on = "newer".into();
    f.record(newer);
    assert_eq!(f.baselines.len(), 2);
    assert_eq!(
        f.baselines[0],
        baseline(),
        "the other machine's stays first and untouched"
    );
    assert_eq!(f.baselines[1].recorded_on, "newer");
    let mut third = amd;
    third.machine = Some(key("Graviton", None));
    f.record(third);
    assert_eq!(f.baselines.len(), 3);
}

/// The gate after a first run where native and threads fell short, and `second`.
fn suspects_after(second: &[RungBench]) -> GateReport {
    let first = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("native", 40.0, 0.40, 0.02),
        measured("threads", 60.0, 0.25, 0.02),
    ];
    let mut report = gate::check(&baseline(), &first);
    assert_eq!(
        report.suspects(),
        vec!["native".to_string(), "threads".to_string()]
    );
    report.recheck(&gate::check(&baseline(), second));
    report
}

#[test]
fn a_rung_fails_only_when_it_falls_twice() {
    // native recovers on the second run; threads falls again.
    let second = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("native", 69.0, 0.54, 0.02),
        measured("threads", 70.0, 0.30, 0.02),
    ];
    let report = suspects_after(&second);
    let verdicts: Vec<Verdict> = report.rows.iter().map(|r| r.verdict.clone()).collect();
    assert_eq!(verdicts, vec![Verdict::Ok, Verdict::Ok, Verdict::Regressed]);
    assert!(
        report.suspects().is_empty(),
        "a rung is measured again once, not forever"
    );
    assert!(!report.passed());
    let text = report.render("naive");
    assert!(text.contains("ok on a second run (first -42.9%)"), "{text}");
    assert!(
        text.contains("REGRESSED again on a second run (first -50.0%)"),
        "{text}"
    );
    assert!(text.ends_with("gate: FAILED (threads)\n"), "{text}");
}

#[test]
fn a_second_run_that_recovers_passes_and_an_unmeasured_suspect_still_fails() {
    let both_fine = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("native", 70.0, 0.55, 0.02),
        measured("threads", 118.0, 0.49, 0.02),
    ];
    assert!(suspects_after(&both_fine).passed());
    // The second run was cut short after native: threads keeps its first verdict.
    let cut = [
        measured("naive", 1.0, 0.05, 0.02),
        measured("native", 70.0, 0.55, 0.02),
    ];
    let report = suspects_after(&cut);
    assert_eq!(report.decision(), "gate: FAILED (threads)\n");
}

fn entry(commit: &str) -> HistoryEntry {
    HistoryEntry {
        schema_version: history::HISTORY_SCHEMA,
        date: "2026-11-25T10:00:00Z".into(),
        commit: commit.into(),
        machine: ladder::machine::MachineInfo {
            cpu: "cpu".into(),
            model: None,
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
            peak_origin: ladder::machine::PeakOrigin::default(),
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
            load_elsewhere: None,
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

#[test]
fn history_is_read_one_kind_of_machine_at_a_time() {
    let on = |commit: &str, cpu: &str, model: Option<&str>| {
        let mut e = entry(commit);
        e.machine.cpu = cpu.into();
        e.machine.model = model.map(Into::into);
        e
    };
    let entries = [
        on("a", "Xeon", None), // recorded before models were read
        on("b", "EPYC", Some("family 26 model 2")),
        on("c", "Xeon", Some("family 6 model 143")),
        on("d", "EPYC", Some("family 25 model 1")),
        on("e", "EPYC", Some("family 26 model 2")),
    ];
    let groups = history::by_machine(&entries);
    let shown: Vec<(String, Vec<usize>)> = groups
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    assert_eq!(
        shown,
        vec![
            // The model-less record joins the Xeon that has one, and the group names it.
            (
                "Xeon family 6 model 143 (2 cores, avx2+fma)".to_string(),
                vec![0, 2]
            ),
            (
                "EPYC family 26 model 2 (2 cores, avx2+fma)".to_string(),
                vec![1, 4]
            ),
            (
                "EPYC family 25 model 1 (2 cores, avx2+fma)".to_string(),
                vec![3]
            ),
        ]
    );
}
