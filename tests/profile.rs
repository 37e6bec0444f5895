//! CPU profiles: capture, folded stacks, SVG, differential and pprof exports.

mod common;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use ladder::profile::{CpuProfiler, Profile, StackView};

/// The profiler is process-wide: one test at a time may run it.
static PROFILER: Mutex<()> = Mutex::new(());

#[inline(never)]
fn busy_spin_for_profile(d: Duration) -> f64 {
    let start = Instant::now();
    let mut x = 1.0f64;
    while start.elapsed() < d {
        for _ in 0..10_000 {
            x = std::hint::black_box(x * 1.000_000_1 + 1e-9);
        }
    }
    x
}

fn capture(d: Duration) -> Profile {
    let _one = PROFILER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let p = CpuProfiler::start(997).expect("profiler starts");
    std::hint::black_box(busy_spin_for_profile(d));
    p.finish().expect("profile")
}

/// Checks that `svg` is well-formed XML (every element closed, attributes quoted).
fn assert_well_formed(svg: &str) {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unclosed elements");
}

#[test]
fn a_profile_names_the_busy_function_and_round_trips() {
    let p = capture(Duration::from_millis(400));
    assert!(
        p.total_samples() >= 20,
        "only {} samples",
        p.total_samples()
    );
    let folded = p.to_folded();
    let busy = p.matching_samples("busy_spin_for_profile");
    assert!(
        busy * 2 > p.total_samples(),
        "busy_spin_for_profile in {busy} of {} samples:\n{folded}",
        p.total_samples()
    );
    // Folded output parses back to the same profile.
    assert_eq!(Profile::from_folded(&folded, p.frequency).unwrap(), p);
    // The top function table has it.
    assert!(
        p.top_functions(20)
            .iter()
            .any(|f| f.name.contains("busy_spin_for_profile"))
    );

    // SVG: well-formed, titled with the rung.
    let mut svg = Vec::new();
    p.write_svg(
        "ladder · busyrung · 10 × 10",
        "subtitle",
        StackView::Full,
        &mut svg,
    )
    .unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert_well_formed(&svg);
    assert!(svg.contains("busyrung"));
    assert!(svg.contains("busy_spin_for_profile"));

    // Diff with itself: every stack has the same count before and after.
    let diff = Profile::diff_folded(&p, &p).unwrap();
    assert!(!diff.trim().is_empty());
    for line in diff.lines() {
        let mut parts = line.rsplitn(3, ' ');
        let after = parts.next().unwrap();
        let before = parts.next().unwrap();
        assert_eq!(before, after, "{line}");
    }
    let mut dsvg = Vec::new();
    Profile::write_diff_svg(&p, &p, "same → same", "", StackView::Slide, &mut dsvg).unwrap();
    assert_well_formed(&String::from_utf8(dsvg).unwrap());

    // pprof protobuf: non-empty, names the function in its string table.
    let pb = p.to_pprof(400_000_000, StackView::Full);
    assert!(String::from_utf8_lossy(&pb).contains("busy_spin_for_profile"));
}

#[test]
fn an_empty_profile_still_makes_a_valid_svg() {
    let mut svg = Vec::new();
    Profile::default()
        .write_svg("ladder · nothing", "", StackView::Slide, &mut svg)
        .unwrap();
    let svg = String::from_utf8(svg).unwrap();
    assert_well_formed(&svg);
    assert!(svg.contains("too short"));
}

#[test]
fn a_fast_rung_is_run_again_for_an_export_s_profile_but_not_for_a_live_run() {
    let _one = PROFILER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let runner = common::runner_on(
        ladder::workload::Distribution::Normal,
        60,
        64,
        1,
        Duration::from_secs(5),
    );
    let rung = ladder::rungs::find("algorithmic").unwrap();
    let cancel = ladder::run::CancelToken::new();
    let (report, profile) = runner.run_one_profiled(0, rung.as_ref(), &|_| {}, &cancel, 997, true);
    let profile = profile.expect("profiled");
    // The float64 check is ladder's, not the rung's: never in its picture.
    assert_eq!(profile.matching_samples("reference::verify_"), 0);
    // One run of 60 vectors lasts well under a millisecond: a picture of a sample or two.
    assert!(profile.runs > 1, "runs: {}", profile.runs);
    // The figures are the first run's, as an unprofiled run's would be.
    assert_eq!(report.status, ladder::run::RunStatus::Completed);
    assert!(report.verification.as_ref().is_some_and(|v| v.passed));
    let (_, live) = runner.run_one_profiled(0, rung.as_ref(), &|_| {}, &cancel, 997, false);
    assert_eq!(
        live.expect("profiled").runs,
        1,
        "a live run's next rung waits"
    );
    // The leak lesson's rung keeps its rows each run: run again, it would leak more.
    let leaky = ladder::rungs::find("leaky").unwrap();
    let (_, once) = runner.run_one_profiled(0, leaky.as_ref(), &|_| {}, &cancel, 997, true);
    assert_eq!(once.expect("profiled").runs, 1, "leaky is not run again");
    // The app's `f` on a thin picture: runs of its own, none of them checked.
    let more = runner
        .profile_more(rung.as_ref(), &cancel, 997)
        .expect("profiled");
    assert!(more.runs > 1, "runs: {}", more.runs);
    assert_eq!(more.matching_samples("reference::verify_"), 0);
    cancel.cancel();
    let stopped = runner.profile_more(rung.as_ref(), &cancel, 997);
    assert!(
        stopped.is_err_and(|e| e.to_string() == "cancelled"),
        "a cancel before its first run leaves no picture"
    );
}
