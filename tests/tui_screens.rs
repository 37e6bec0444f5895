//! Whole-screen snapshots of every screen at 80×24 and 160×48 (ratatui's TestBackend + insta).
//! States are built from fixed reports, so no timing reaches a snapshot.
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always cargo test`, then diff).

mod common;

use std::time::Duration;

use common::{ch, climbed_app, key, load_history, ready_app, report};
use crossterm::event::KeyCode;
use ladder::monitor::Sample;
use ladder::run::{Phase, RunEvent};
use ladder::tui::app::{App, Command, Msg, Settings};
use ladder::tui::theme::Theme;
use ladder::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn render(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| ui::draw(f, app, &Theme::DARK)).unwrap();
    terminal.backend().to_string()
}

fn both_sizes(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_160x48"), render(app, 160, 48));
}

fn with_samples(mut app: App) -> App {
    for i in 0..40u64 {
        let _ = app.update(Msg::Sample(Sample {
            cpu: vec![95.0, 90.0 + (i % 3) as f32],
            rss: (400 + 2 * i) << 20,
            total_memory: 16 << 30,
            peer_rss: None,
            elsewhere: Some(0.05),
        }));
    }
    app
}

/// The native rung a third of the way through, after the rungs below it ran.
fn running_app() -> App {
    let mut app = ready_app();
    for (i, (id, step, secs, extra)) in common::TIMES.iter().take(3).enumerate() {
        app.selected = i;
        let _ = app.update(key(KeyCode::Enter));
        let _ = app.update(Msg::RungFinished(Box::new(common::report(
            id, *step, *secs, *extra,
        ))));
    }
    app.selected = 3;
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::Run(RunEvent::Phase {
        index: 3,
        rung: "native",
        phase: Phase::Kernel,
    }));
    for step in 1..=20u32 {
        let _ = app.update(Msg::Run(RunEvent::Progress {
            index: 3,
            rows_done: step as usize * 100,
            rows_total: 10_000,
            work_done: f64::from(step) * 0.017,
            kernel_elapsed: Duration::from_millis(u64::from(step) * 10),
        }));
    }
    with_samples(app)
}

#[test]
fn ladder_before_anything_is_ready() {
    let app = App::new(Settings::default(), false, "NOTES.md".into());
    both_sizes("loading", &app);
}

#[test]
fn ladder_ready() {
    both_sizes("ready", &with_samples(ready_app()));
}

#[test]
fn ladder_while_a_rung_runs() {
    both_sizes("running", &running_app());
}

#[test]
fn ladder_after_a_climb() {
    both_sizes("climbed", &with_samples(climbed_app()));
}

#[test]
fn results_screen() {
    let mut app = climbed_app();
    let _ = app.update(ch('r'));
    both_sizes("results", &app);
}

#[test]
fn settings_with_a_refused_value() {
    let mut app = ready_app();
    let _ = app.update(ch('s'));
    let _ = app.update(key(KeyCode::Down));
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(ch('x'));
    let _ = app.update(key(KeyCode::Enter));
    both_sizes("settings_error", &app);
}

#[test]
fn help_overlay() {
    let mut app = ready_app();
    let _ = app.update(ch('?'));
    both_sizes("help", &app);
    // At 80×24 the list is taller than the screen: the keys that work anywhere come right
    // after the screen's own, and the end is reachable and says so.
    let top = render(&app, 80, 24);
    assert!(top.contains("q / Ctrl-C"), "{top}");
    let _ = app.update(key(KeyCode::End));
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Lab"), "{screen}");
    assert!(
        screen.contains("↑ more") && !screen.contains("↓ more"),
        "{screen}"
    );
}

#[test]
fn demo_mode() {
    let mut app = ready_app();
    app.enable_demo();
    for (id, step, secs, extra) in common::TIMES.iter().take(4) {
        while app.update(Msg::Tick).is_empty() {}
        let _ = app.update(Msg::RungFinished(Box::new(common::report(
            id, *step, *secs, *extra,
        ))));
    }
    both_sizes("demo", &with_samples(app));
}

#[test]
fn a_terminal_too_small_gets_a_message() {
    insta::assert_snapshot!("too_small", render(&ready_app(), 50, 12));
}

#[test]
fn history_chart() {
    let mut app = ready_app();
    let _ = app.update(ch('h'));
    // Two machines' runs: the chart shows this one's (Test CPU), and ← → the other's.
    load_history(
        &mut app,
        &[
            ("1", "Test CPU", 40.0),
            ("2", "Other CPU", 90.0),
            ("3", "Test CPU", 60.0),
            ("4", "Test CPU", 72.0),
        ],
    );
    assert_eq!(app.history.len(), 4);
    both_sizes("history", &app);
    // The other machine has one run: a list, not a chart of a single point.
    let _ = app.update(key(KeyCode::Right));
    insta::assert_snapshot!("history_one_run_80x24", render(&app, 80, 24));
}

/// A huge recorded speedup still gets a readable axis: a handful of labels at powers of ten.
#[test]
fn a_huge_speedup_in_the_history_gets_a_few_axis_labels() {
    let mut app = ready_app();
    let _ = app.update(ch('h'));
    load_history(
        &mut app,
        &[("1", "Test CPU", 40.0), ("2", "Test CPU", 1e300)],
    );
    let screen = render(&app, 160, 48);
    let labels = screen
        .lines()
        .filter_map(|l| l.split('│').nth(1))
        .map(|l| l.trim_start_matches('"').trim())
        .filter(|l| {
            l.strip_suffix('x').is_some_and(|v| {
                let digits = v.strip_prefix("1e").unwrap_or(v);
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
            })
        })
        .count();
    assert!((2..=8).contains(&labels), "{labels} labels:\n{screen}");
}

#[test]
fn flamegraph_view() {
    let mut app = ready_app();
    let profile = ladder::profile::Profile::from_folded(
        "ladder-runner;clone3;std::rt::x;ladder::run::Runner::run_one;ladder::rungs::naive::NaiveKernel::rows;ladder::rungs::naive::norm 620\n\
         ladder-runner;clone3;std::rt::x;ladder::run::Runner::run_one;ladder::rungs::naive::NaiveKernel::rows;ladder::rungs::naive::dot 310\n\
         ladder-runner;clone3;std::rt::x;ladder::run::Runner::run_one;ladder::workload::reference::verify_rows 50\n\
         ladder-sampler;sysinfo::refresh 20\n",
        997,
    )
    .unwrap();
    let _ = app.update(Msg::Profiled {
        rung: "naive".into(),
        profile: std::sync::Arc::new(profile),
    });
    let _ = app.update(ch('f'));
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(ch('/'));
    for c in "norm".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Enter));
    both_sizes("flame", &app);
}

/// `d` beside the flamegraph: what the step changed, function by function; at 80 columns
/// each name whole above its figures, the speedup said where the title has no room.
#[test]
fn flamegraph_diff_view() {
    let mut app = ready_app();
    for (rung, folded, seconds) in [
        (
            "naive",
            "ladder-runner;ladder::rungs::naive::NaiveKernel::rows;ladder::rungs::naive::norm 620\n\
             ladder-runner;ladder::rungs::naive::NaiveKernel::rows;ladder::rungs::naive::dot 310\n",
            100.0,
        ),
        (
            "algorithmic",
            "ladder-runner;ladder::rungs::algorithmic::AlgorithmicKernel::rows 900\n\
             ladder-runner;ladder::workload::reference::verify_rows 30\n",
            20.0,
        ),
    ] {
        let profile = ladder::profile::Profile::from_folded(folded, 997).unwrap();
        let _ = app.update(Msg::Profiled {
            rung: rung.into(),
            profile: std::sync::Arc::new(profile),
        });
        let step = if rung == "naive" {
            ladder::rungs::Step::Baseline
        } else {
            ladder::rungs::Step::Algorithm
        };
        let _ = app.update(Msg::RungFinished(Box::new(report(
            rung, step, seconds, false,
        ))));
    }
    let _ = app.update(key(KeyCode::Down));
    let _ = app.update(ch('f'));
    let _ = app.update(ch('d'));
    both_sizes("flame_diff", &app);
}

#[test]
fn scaling_chart() {
    use ladder::run::scale::{ScalePoint, Skipped, SweepEvent};
    let mut app = ready_app();
    let _ = app.update(ch('g'));
    both_sizes("scale_empty", &app);
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds[..], [Command::Sweep { .. }]));
    // Fixed points: O(n²) rungs and a flatter index, so the snapshot has no timing in it.
    for (rung, c, b) in [
        ("threads", 2.2e-9, 2.0),
        ("topk", 4.4e-9, 2.0),
        ("ann", 1.5e-5, 1.2),
    ] {
        for n in [1000usize, 2000, 5000, 10_000, 20_000] {
            let _ = app.update(Msg::Sweep(SweepEvent::Point(ScalePoint {
                rung: rung.into(),
                n,
                seconds: c * (n as f64).powf(b),
                extrapolated: false,
                gflops_effective: 1.0,
                verified: true,
                load_elsewhere: None,
            })));
        }
    }
    let _ = app.update(Msg::Sweep(SweepEvent::Skipped(Skipped {
        n: 20_000,
        rung: "vectorized".into(),
        reason: "too large".into(),
    })));
    let _ = app.update(Msg::SweepFinished {
        cancelled: false,
        error: None,
    });
    both_sizes("scale_done", &app);
}

#[test]
fn a_sweep_under_load_says_so_whole_at_80_columns() {
    use ladder::run::scale::{ScalePoint, SweepEvent};
    let mut app = ready_app();
    let _ = app.update(ch('g'));
    let _ = app.update(key(KeyCode::Enter));
    let point = |rung: &str, n: usize, load: f64| {
        Msg::Sweep(SweepEvent::Point(ScalePoint {
            rung: rung.into(),
            n,
            seconds: 1e-9 * (n as f64).powi(2),
            extrapolated: false,
            gflops_effective: 1.0,
            verified: true,
            load_elsewhere: Some(load),
        }))
    };
    for rung in ["vectorized", "threads", "topk", "ann"] {
        for n in [1000usize, 2000, 5000, 10_000, 20_000] {
            let busy = if rung == "ann" { 0.0 } else { 1.0 };
            let _ = app.update(point(rung, n, busy));
        }
    }
    let _ = app.update(Msg::SweepFinished {
        cancelled: false,
        error: None,
    });
    let screen = render(&app, 80, 24);
    // Grouped by rung, so fifteen points read in the lines the notice has, ending whole.
    assert!(
        screen.contains("20000; threads at n = 1000, 2000, 5000, 10000, 20000; topk"),
        "{screen}"
    );
    assert!(
        screen.contains("sweep again on an idle machine"),
        "{screen}"
    );
    assert!(!screen.contains("ann at n"), "{screen}");
}

#[test]
fn lessons_list_and_steps() {
    use ladder::lessons::progress::Progress;
    use ladder::tui::screens::lessons::LessonsState;
    let mut app = ready_app();
    let mut progress = Progress {
        learner: Some("Ada".into()),
        ..Progress::default()
    };
    progress.pass("profile-first", "intro");
    progress.pass("profile-first", "run-naive");
    app.lessons = LessonsState::new(ladder::lessons::shipped().unwrap(), progress, None);
    let _ = app.update(ch('l'));
    both_sizes("lessons_list", &app);
    // Resumes at the flamegraph question; a wrong answer shows why it is wrong, nothing more.
    let _ = app.update(key(KeyCode::Enter));
    let step = app.lessons.current().unwrap();
    let shown = app
        .lessons
        .order(step)
        .iter()
        .position(|&i| !step.choices[i].correct)
        .unwrap();
    let _ = app.update(ch(char::from(b'1' + u8::try_from(shown).unwrap())));
    both_sizes("lesson_choice", &app);
}

#[test]
fn extra_rows_scroll_the_table_and_never_push_rungs_off_the_chart() {
    let mut app = climbed_app();
    let peers = ladder::peers::shipped().unwrap();
    app.add_peers(&peers[..3]);
    app.selected = app.rows.len() - 1;
    let screen = render(&app, 80, 24);
    assert!(screen.contains(&format!("▶ {}", peers[2].id)), "{screen}");
    // Every ladder rung keeps its bar (the chart lines start at the left edge).
    for id in ["naive", "algorithmic", "jit", "topk"] {
        assert!(
            screen.lines().any(|l| l.starts_with(&format!("\"{id} "))),
            "{id} has no chart line:\n{screen}"
        );
    }
}

#[test]
fn an_approximate_rung_shows_no_percent_of_peak() {
    let mut app = climbed_app();
    app.selected = app.rows.iter().position(|r| r.info.id == "ann").unwrap();
    let _ = app.update(key(KeyCode::Enter));
    let mut rep = common::report("ann", ladder::rungs::Step::Library, 0.8, false);
    rep.peak_pct = 0.0;
    rep.verification.as_mut().unwrap().recall = Some(1.0);
    let _ = app.update(Msg::RungFinished(Box::new(rep)));
    let screen = render(&app, 160, 48);
    let line = screen
        .lines()
        .find(|l| l.contains(" ann "))
        .expect("the ann row");
    // Its arithmetic depends on the data, so a share of the peak would mislead (the CLI's
    // tables say "-" too).
    assert!(!line.contains('%'), "{line}");
    assert!(line.contains(" - "), "{line}");
}

#[test]
fn lab_screen() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = common::lab_app(&tmp.path().join("lab"));
    let first = app.lab.as_ref().unwrap().first_row;
    app.selected = first;
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::QuickChecked(Box::new(common::step_report(
        "naive", 0.01, true,
    ))));
    let _ = app.update(Msg::RungFinished(Box::new(common::step_report(
        "naive", 41.5, true,
    ))));
    // Step 2 raised: its row says so in a line; below, the student's traceback in full.
    let _ = app.update(key(KeyCode::Down));
    let _ = app.update(key(KeyCode::Enter));
    let mut raised = common::step_report("algorithmic", 0.0, true);
    raised.status = ladder::run::RunStatus::Failed(
        "lab-algorithmic (exit status 4): 02_algorithmic.py:9: ZeroDivisionError: float \
         division by zero\nTraceback (the frames in 02_algorithmic.py):\n  File \
         \"02_algorithmic.py\", line 9, in similarity\n    row.append(dot / (norms[i] * \
         norms[j]))\nZeroDivisionError: float division by zero"
            .into(),
    );
    // A traceback on the quick check is the verdict: nothing more is run.
    let _ = app.update(Msg::QuickChecked(Box::new(raised)));
    both_sizes("lab", &app);
    // At 80x24 the traceback runs past the story's panel: PgDn shows the failing line.
    let small = render(&app, 80, 24);
    assert!(
        small.contains("PgDn more") && !small.contains("row.append"),
        "{small}"
    );
    let _ = app.update(key(KeyCode::PageDown));
    let scrolled = render(&app, 80, 24);
    assert!(scrolled.contains("row.append"), "{scrolled}");
}

#[test]
fn the_live_panel_says_which_run_and_how_busy_the_rest_of_the_machine_is() {
    let mut app = running_app();
    let _ = app.update(Msg::Run(RunEvent::Repeat {
        index: 3,
        run: 1,
        runs: 3,
        budget: Duration::from_secs(8),
    }));
    let _ = app.update(Msg::Run(RunEvent::Phase {
        index: 3,
        rung: "native",
        phase: Phase::Kernel,
    }));
    for _ in 0..10 {
        let _ = app.update(Msg::Sample(Sample {
            cpu: vec![100.0, 100.0],
            rss: 400 << 20,
            total_memory: 16 << 30,
            peer_rss: None,
            elsewhere: Some(0.4),
        }));
    }
    let screen = render(&app, 160, 48);
    assert!(screen.contains("run 2/3 · running"), "{screen}");
    assert!(
        screen.contains("busy elsewhere: 40% of a core: this time will be marked !"),
        "{screen}"
    );
    // Quiet: the figure, no warning.
    let screen = render(&with_samples(running_app()), 160, 48);
    assert!(screen.contains("busy elsewhere: 5% of a core"), "{screen}");
    assert!(!screen.contains("marked !"), "{screen}");
    // A short panel has no line for it: the last core's gauge says it.
    let screen = render(&app, 80, 24);
    assert!(screen.contains("cpu1 100% · elsewhere 40% !"), "{screen}");
}

#[test]
fn a_first_start_says_why_it_waits() {
    let mut app = App::new(Settings::default(), false, "NOTES.md".into());
    let _ = app.update(Msg::MeasuringPeak(None));
    let screen = render(&app, 160, 48);
    assert!(
        screen.contains("measuring this machine's peak once (cached for next time)"),
        "{screen}"
    );
    assert!(
        screen.contains("Measuring this machine's peak once (about two seconds"),
        "{screen}"
    );
}

#[test]
fn the_results_screen_shows_the_spread_of_repeated_rungs() {
    let mut app = ready_app();
    let runs = |id: &str, step, times: &[f64]| {
        let runs: Vec<_> = times
            .iter()
            .map(|&t| common::report(id, step, t, false))
            .collect();
        ladder::run::repeat::combine(&runs, times.len(), false, None)
    };
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(runs(
        "naive",
        ladder::rungs::Step::Baseline,
        &[10.0, 12.0, 11.0],
    ))));
    app.selected = 1;
    let _ = app.update(key(KeyCode::Enter));
    let mut loaded = runs(
        "algorithmic",
        ladder::rungs::Step::Algorithm,
        &[10.2, 10.5, 11.5],
    );
    loaded.load_elsewhere = Some(0.5);
    let _ = app.update(Msg::RungFinished(Box::new(loaded)));
    let _ = app.update(ch('r'));
    let screen = render(&app, 160, 48);
    assert!(screen.contains("min–max"), "{screen}");
    assert!(
        screen.contains("10.0–12.0 s") && screen.contains("10.2–11.5 s"),
        "{screen}"
    );
    assert!(screen.contains("1.05x ±"), "{screen}");
    assert!(screen.contains("10.5 s !"), "{screen}");
    assert!(
        screen.contains("measured under load (a quarter of a core"),
        "{screen}"
    );
    // 80 columns: the range whole, in the place of GFLOP/s.
    let screen = render(&app, 80, 24);
    let header = screen.lines().nth(2).unwrap();
    assert!(
        screen.contains("10.2–11.5 s") && header.contains("min–max") && !header.contains("GFLOP"),
        "{screen}"
    );
}

#[test]
fn the_profilers_lesson_table_with_a_prediction_judged() {
    use ladder::lessons::progress::Progress;
    use ladder::tui::screens::lessons::LessonsState;
    let mut app = ready_app();
    let mut progress = Progress {
        learner: Some("Ada".into()),
        ..Progress::default()
    };
    for s in ["intro", "predict-least", "predict-most"] {
        progress.pass("profilers", s);
    }
    app.lessons = LessonsState::new(ladder::lessons::shipped().unwrap(), progress, None);
    let _ = app.update(ch('l'));
    app.lessons.selected = 4;
    let _ = app.update(key(KeyCode::Enter));
    assert_eq!(app.lessons.current().unwrap().id, "measure");
    // Figures of a real run (n=300, 3 rounds, a shared 2-core machine), fixed for the picture.
    let row = |id: &str, kind: [&str; 3], t: Option<f64>, top: &str, note: Option<&str>| {
        serde_json::json!({
            "id": id, "method": kind[0], "level": kind[1], "resource": kind[2],
            "status": if t.is_some() { "measured" } else { "not_installed" }, "note": note,
            "kernel_s": t, "wall_s": t.map(|t| t + 0.4),
            "kernel_overhead_pct": t.filter(|_| id != "plain").map(|t| (t / 0.18 - 1.0) * 100.0),
            "wall_overhead_pct": t.filter(|_| id != "plain").map(|t| ((t + 0.4) / 0.58 - 1.0) * 100.0),
            "top": (!top.is_empty()).then_some(top), "share": (!top.is_empty()).then_some(0.66),
            "peak_bytes": null, "claim": null,
        })
    };
    let c = serde_json::json!({"python": "python3", "n": 300, "d": 64, "rounds": 3, "rule": "r",
    "rows": [
        row("plain", ["-", "-", "-"], Some(0.18), "", None),
        row("cProfile", ["deterministic", "function", "CPU"], Some(0.52), "dot (profilers_workload.py)", None),
        row("py-spy", ["sampling", "line", "CPU"], Some(0.18), "dot (profilers_workload.py)", None),
        row("scalene", ["sampling", "line", "CPU+memory"], None, "", Some("not installed: pip install scalene")),
        row("memray", ["deterministic", "function", "memory"], Some(0.64), "", None),
        row("pyinstrument", ["sampling", "function", "CPU"], Some(0.67), "dot (profilers_workload.py)", None),
    ]});
    let _ = app.update(Msg::ProfilersMeasured(Ok(Box::new(
        serde_json::from_value(c).unwrap(),
    ))));
    both_sizes("profilers_measured", &app);
}

#[test]
fn below_80x24_the_screen_says_it_is_too_small_instead_of_drawing_garbled() {
    let app = ready_app();
    for (w, h) in [(79, 24), (80, 23), (40, 12)] {
        let screen = render(&app, w, h);
        assert!(screen.contains("too small"), "{w}×{h}:\n{screen}");
    }
    assert!(!render(&app, 80, 24).contains("too small"));
}

#[test]
fn a_long_notice_is_read_whole_at_80_columns() {
    let mut app = ready_app();
    app.notice = Some(ladder::tui::app::Notice::Error(
        "on 200 rows: S[3][7] is 0.41 where it should be 0.52 (off by 0.11, allowed 1e-4); \
         running the full size, which decides the verdict of this step"
            .into(),
    ));
    let screen = render(&app, 80, 24);
    assert!(
        screen.contains("which decides the verdict of this step"),
        "{screen}"
    );
}

#[test]
fn an_ended_program_s_memory_shows_the_most_it_reached() {
    let mut app = ready_app();
    let mut p = ladder::tui::model::ProgramRss::new("leak_service.py");
    for mib in [60u64, 70, 80, 62] {
        p.history.push(mib << 20);
    }
    p.running = false;
    app.program_rss = Some(p);
    let screen = render(&with_samples(app), 160, 48);
    assert!(
        screen.contains("leak_service.py peak RSS (ended) 80.0 MiB"),
        "{screen}"
    );
}

#[test]
fn every_screens_keys_fit_the_bottom_line_from_80_columns_up() {
    use ladder::tui::app::Screen;
    let mut app = ready_app();
    for screen in [
        Screen::Ladder,
        Screen::Settings,
        Screen::Results,
        Screen::History,
        Screen::Flame,
        Screen::Scale,
        Screen::Lessons,
        Screen::Lab,
    ] {
        app.screen = screen;
        for width in (80..=200).step_by(4) {
            let keys = ui::footer_keys(&app, width);
            // One column goes to the leading space; a screen with many keys takes two lines.
            assert!(
                keys.lines().count() <= 2
                    && keys.lines().all(|l| l.chars().count() < usize::from(width)),
                "{screen:?} at {width} columns: {keys}"
            );
        }
        // The widest terminals get the full wording, with help.
        assert!(ui::footer_keys(&app, 200).contains('?'), "{screen:?}");
    }
    // An open lesson's keys, and every screen's, end with the way out in words: never a bare
    // "q" the reader must guess.
    app.screen = Screen::Lessons;
    app.lessons.open = Some(0);
    for width in 80..=200 {
        let keys = ui::footer_keys(&app, width);
        assert!(
            keys.lines().count() <= 2
                && keys.lines().all(|l| l.chars().count() < usize::from(width))
                && keys.ends_with("q quit"),
            "an open lesson at {width} columns: {keys}"
        );
    }
    app.lessons.open = None;
    // The ladder's every key is shown at every width, the notes, report and sweep among them.
    app.screen = Screen::Ladder;
    for width in 80..=200 {
        let keys = ui::footer_keys(&app, width);
        for key in [
            "↑↓ select",
            "Enter run",
            "a climb",
            "Esc",
            "l lessons",
            "f flame",
            "s set",
            "r res",
            "h hist",
            "g scal",
            "m ",
            "w report",
            "? help",
            "q quit",
        ] {
            assert!(keys.contains(key), "{key} at {width}: {keys}");
        }
    }
}
