//! Fixtures shared by the TUI tests: a fixed machine, workload and reports, so that state and
//! screens are deterministic.
#![allow(dead_code)]

use std::path::PathBuf;

use ladder::machine::MachineInfo;
use ladder::report::WorkloadMeta;
use ladder::run::{RunReport, RunStatus, VerificationReport};
use ladder::rungs::Step;
use ladder::tui::app::{App, Msg, Settings};

/// A runner over `n` generated vectors of dimension `d`, on the fixed machine, with small
/// blocks (so progress and budgets show on tiny workloads).
pub fn runner_on(
    dist: ladder::workload::Distribution,
    n: usize,
    d: usize,
    seed: u64,
    budget: std::time::Duration,
) -> ladder::run::Runner {
    use std::sync::Arc;
    let x = ladder::workload::generate(dist, n, d, seed).unwrap();
    let w = Arc::new(ladder::workload::Workload::from_matrix(
        ladder::workload::Source::Generated(dist),
        seed,
        x,
    ));
    ladder::run::Runner::new(
        w,
        Arc::new(machine()),
        ladder::run::RunConfig {
            budget,
            threads: 2,
            block_target: std::time::Duration::from_millis(5),
            ..ladder::run::RunConfig::default()
        },
    )
}

pub fn machine() -> MachineInfo {
    MachineInfo {
        cpu: "Test CPU".into(),
        model: None,
        arch: "x86_64".into(),
        logical_cores: 2,
        physical_cores: Some(2),
        simd: vec!["avx2".into(), "fma".into()],
        kernel_isa: "avx2+fma".into(),
        peak_gflops_core: 100.0,
        peak_gflops_all: 200.0,
        peak_gflops_core_128: 50.0,
        peak_gflops_all_128: 100.0,
        mem_read_gbs: None,
        peak_origin: ladder::machine::PeakOrigin::default(),
    }
}

pub fn meta() -> WorkloadMeta {
    WorkloadMeta {
        n: 10_000,
        d: 768,
        seed: 0,
        source: "normal".into(),
        zero_rows: 0,
    }
}

/// A finished report for rung `id` whose kernel took `seconds`.
pub fn report(id: &str, step: Step, seconds: f64, extrapolated: bool) -> RunReport {
    let n = 10_000.0_f64;
    RunReport {
        rung: id.to_string(),
        title: id.to_string(),
        step,
        what_changed: String::new(),
        status: if extrapolated {
            RunStatus::Extrapolated
        } else {
            RunStatus::Completed
        },
        threads: 1,
        setup_s: 0.1,
        kernel_s: seconds.min(8.0),
        rows_done: if extrapolated { 600 } else { 10_000 },
        rows_total: 10_000,
        estimated_s: seconds,
        extrapolated,
        pairs_per_s: n * n / seconds,
        gflops_effective: 2.0 * n * n * 768.0 / seconds / 1e9,
        gflops_work: 1.0,
        peak_pct: 50.0,
        speedup_vs_baseline: None,
        speedup_vs_previous: None,
        peak_rss_bytes: 450 << 20,
        rss_after_bytes: 0,
        verification: Some(VerificationReport {
            passed: true,
            entries_checked: 44_096,
            max_abs_err: 1.2e-7,
            tolerance: 1e-4,
            worst: Some((3, 4)),
            expected_found: None,
            non_finite: false,
            recall: None,
        }),
        compile: None,
        peer: None,
        flamegraph: None,
        load_elsewhere: None,
        speedup_vs_baseline_overlaps: false,
        speedup_vs_previous_overlaps: false,
        repeat: None,
    }
}

pub const TIMES: [(&str, Step, f64, bool); 8] = [
    ("naive", Step::Baseline, 125.0, true),
    ("algorithmic", Step::Algorithm, 53.0, true),
    ("vectorized", Step::Vectorize, 2.15, false),
    ("native", Step::Native, 0.44, false),
    ("threads", Step::Threads, 0.23, false),
    ("jit", Step::Jit, 0.74, false),
    ("library", Step::Library, 0.45, false),
    ("topk", Step::Algorithm, 0.44, false),
];

/// An app with its workload and machine ready, nothing run yet.
pub fn ready_app() -> App {
    let mut app = App::new(
        Settings {
            threads: 2,
            ..Settings::default()
        },
        false,
        PathBuf::from("NOTES.md"),
    );
    app.available_memory = Some(16 << 30);
    let _ = app.update(Msg::MachineReady(machine()));
    let _ = app.update(Msg::WorkloadReady(meta()));
    app.notice = None;
    app
}

/// An app in which every rung has run, with the times above.
pub fn climbed_app() -> App {
    let mut app = ready_app();
    for (i, (id, step, secs, extra)) in TIMES.iter().enumerate() {
        app.selected = i;
        let _ = app.update(key(crossterm::event::KeyCode::Enter));
        let _ = app.update(Msg::RungFinished(Box::new(report(
            id, *step, *secs, *extra,
        ))));
    }
    app
}

pub fn key(code: crossterm::event::KeyCode) -> Msg {
    Msg::Key(crossterm::event::KeyEvent::new(
        code,
        crossterm::event::KeyModifiers::NONE,
    ))
}

pub fn ch(c: char) -> Msg {
    key(crossterm::event::KeyCode::Char(c))
}

/// Gives the app a history of `runs`: (commit, CPU, native's speedup over naive) each.
pub fn load_history(app: &mut App, runs: &[(&str, &str, f64)]) {
    let text: Vec<String> = runs
        .iter()
        .map(|&(commit, cpu, native)| history_line(commit, cpu, native))
        .collect();
    let _ = app.update(Msg::HistoryLoaded(ladder::report::history::parse(
        &text.join("\n"),
        "history.jsonl",
    )));
}

/// One line of `perf/history.jsonl`: a run on `cpu` where native was `native`x naive.
fn history_line(commit: &str, cpu: &str, native: f64) -> String {
    let rung = |id: &str, speedup: f64| {
        serde_json::json!({
            "rung": id, "median_s": 0.4 / speedup, "min_s": 0.4 / speedup,
            "max_s": 0.4 / speedup, "spread": 0.0, "gflops": 3.8 * speedup,
            "speedup_vs_baseline": speedup, "peak_fraction": 0.05, "noisy": false
        })
    };
    serde_json::json!({
        "schema_version": 1,
        "date": format!("2026-11-2{commit}T10:00:00Z"),
        "commit": format!("c{commit}"),
        "machine": {
            "cpu": cpu, "arch": "x86_64", "logical_cores": 2, "physical_cores": 2,
            "simd": [], "kernel_isa": "avx2+fma", "peak_gflops_core": 100.0,
            "peak_gflops_all": 200.0, "mem_read_gbs": null
        },
        "workload": {"n": 1000, "d": 768, "seed": 0, "source": "normal", "zero_rows": 0},
        "warmup": 1,
        "repeat": 5,
        "baseline_rung": "naive",
        "rungs": [rung("naive", 1.0), rung("native", native)]
    })
    .to_string()
}

/// An app opened on a new lab in `dir`, its workload and machine ready.
pub fn lab_app(dir: &std::path::Path) -> App {
    // A new lab, or the one a test made before (a second launch).
    if !dir.join("lab.toml").exists() {
        ladder::lab::scaffold::init(dir).unwrap();
    }
    let lab = ladder::lab::load(dir).unwrap();
    let specs: Vec<_> = lab
        .steps
        .iter()
        .map(|s| ladder::lab::step::spec(s).unwrap())
        .collect();
    let mut app = App::new(
        Settings {
            n: lab.workload.n,
            d: lab.workload.d,
            budget_s: lab.workload.budget,
            threads: 2,
            ..Settings::default()
        },
        false,
        dir.join("NOTES.md"),
    );
    app.open_lab(lab, &specs, false);
    let _ = app.update(Msg::MachineReady(machine()));
    let _ = app.update(Msg::WorkloadReady(meta()));
    app.notice = None;
    app
}

/// A report of lab step `id` (`lab-{id}`) that took `seconds`, right or wrong.
pub fn step_report(id: &str, seconds: f64, right: bool) -> RunReport {
    let mut r = report(&format!("lab-{id}"), Step::Baseline, seconds, true);
    if !right {
        let v = r.verification.as_mut().unwrap();
        v.passed = false;
        v.max_abs_err = 3.5;
        v.worst = Some((7, 9));
    }
    r
}
