//! The app's state machine: every key in every state, driven through `App::update` alone.

mod common;

use std::time::Duration;

use common::{ch, climbed_app, key, load_history, machine, meta, ready_app, report};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ladder::run::{Phase, RunEvent, RunStatus};
use ladder::rungs::Step;
use ladder::tui::app::{App, Command, Msg, Notice, Screen, Settings, Status, WorkloadState};

fn error_notice(app: &App) -> String {
    match &app.notice {
        Some(Notice::Error(e)) => e.clone(),
        other => panic!("expected an error notice, got {other:?}"),
    }
}

#[test]
fn starts_by_loading_the_workload_with_only_the_first_rung_unlocked() {
    let app = App::new(Settings::default(), false, "NOTES.md".into());
    assert_eq!(app.workload, WorkloadState::Loading);
    assert!(matches!(app.start()[..], [Command::LoadWorkload(_)]));
    assert_eq!(app.rows[0].status, Status::Ready);
    let ladder = app.ladder_len();
    assert!(
        app.rows[1..ladder]
            .iter()
            .all(|r| r.status == Status::Locked)
    );
    // The leak lesson's rungs sit outside the ladder, always open.
    assert!(
        app.rows[ladder..]
            .iter()
            .all(|r| r.extra && r.status == Status::Ready)
    );
    let app = App::new(Settings::default(), true, "NOTES.md".into());
    assert!(
        app.rows.iter().all(|r| r.status == Status::Ready),
        "--unlock-all"
    );
}

#[test]
fn enter_waits_for_the_workload_and_the_machine() {
    let mut app = App::new(Settings::default(), false, "NOTES.md".into());
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(error_notice(&app).contains("a moment"));
    let _ = app.update(Msg::MachineReady(machine()));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(error_notice(&app).contains("workload"));
    let _ = app.update(Msg::WorkloadReady(meta()));
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(
        cmds,
        vec![Command::Run {
            index: 0,
            budget: Duration::from_secs(8),
            threads: Settings::default().threads,
            k: 10,
            repeat: 1,
        }]
    );
    assert!(app.running());
}

#[test]
fn locked_rungs_refuse_with_the_reason() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Down));
    let _ = app.update(key(KeyCode::Down));
    assert_eq!(app.selected, 2);
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    let e = error_notice(&app);
    assert!(
        e.contains("vectorized is locked") && e.contains("run algorithmic first"),
        "{e}"
    );
    assert!(e.contains("--unlock-all"), "{e}");
}

#[test]
fn navigation_stays_in_bounds() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Up));
    assert_eq!(app.selected, 0);
    for _ in 0..10 {
        let _ = app.update(ch('j'));
    }
    assert_eq!(app.selected, app.rows.len() - 1);
    let _ = app.update(ch('k'));
    assert_eq!(app.selected, app.rows.len() - 2);
}

#[test]
fn a_finished_rung_unlocks_the_next_and_fills_speedups() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::Run(RunEvent::Phase {
        index: 0,
        rung: "naive",
        phase: Phase::Kernel,
    }));
    assert_eq!(app.rows[0].status, Status::Running(Phase::Kernel));
    let _ = app.update(Msg::Run(RunEvent::Progress {
        index: 0,
        rows_done: 100,
        rows_total: 10_000,
        work_done: 0.01,
        kernel_elapsed: Duration::from_secs(1),
    }));
    let live = app.live.as_ref().unwrap();
    assert_eq!(live.rows_done, 100);
    // 1% of 2·n²·d in one second.
    assert!((live.gflops_avg - 0.01 * 2.0 * 1e8 * 768.0 / 1e9).abs() < 1e-6);
    assert!(live.eta().is_some());
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        100.0,
        true,
    ))));
    assert_eq!(app.rows[0].status, Status::Done);
    assert_eq!(app.rows[1].status, Status::Ready);
    assert!(!app.running());
    let _ = app.update(key(KeyCode::Down));
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "algorithmic",
        Step::Algorithm,
        25.0,
        false,
    ))));
    let r = app.rows[1].report.as_ref().unwrap();
    assert_eq!(r.speedup_vs_baseline, Some(4.0));
    assert_eq!(r.speedup_vs_previous, Some(4.0));
    assert_eq!(app.rows[2].status, Status::Ready);
}

#[test]
fn a_rung_that_cannot_run_here_is_unavailable_not_failed() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let mut missing = report("naive", Step::Baseline, 1.0, false);
    missing.status = RunStatus::Unavailable("numba is not installed (pip install numba)".into());
    missing.verification = None;
    let _ = app.update(Msg::RungFinished(Box::new(missing)));
    assert!(
        matches!(&app.rows[0].status, Status::Unavailable(w) if w.contains("pip install numba"))
    );
    assert!(matches!(&app.notice, Some(Notice::Info(n)) if n.contains("cannot run here")));
}

#[test]
fn a_wrong_answer_is_a_failure_not_a_result() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let mut bad = report("naive", Step::Baseline, 1.0, false);
    bad.verification.as_mut().unwrap().passed = false;
    let _ = app.update(Msg::RungFinished(Box::new(bad)));
    assert!(matches!(app.rows[0].status, Status::Failed(_)));
    assert!(error_notice(&app).contains("naive failed"));
}

#[test]
fn esc_cancels_the_run_and_the_rest_of_a_climb() {
    let mut app = ready_app();
    let cmds = app.update(ch('a'));
    assert!(matches!(cmds[..], [Command::Run { index: 0, .. }]));
    assert_eq!(app.queue, (1..app.ladder_len()).collect::<Vec<_>>());
    assert_eq!(app.rows[1].status, Status::Queued);
    assert_eq!(app.update(key(KeyCode::Esc)), vec![Command::Cancel]);
    assert!(app.queue.is_empty());
    let mut cancelled = report("naive", Step::Baseline, 1.0, false);
    cancelled.status = RunStatus::Cancelled;
    cancelled.verification = None;
    let cmds = app.update(Msg::RungFinished(Box::new(cancelled)));
    assert!(cmds.is_empty(), "nothing else starts after a cancel");
    assert_eq!(app.rows[0].status, Status::Cancelled);
    assert_eq!(
        app.rows[1].status,
        Status::Locked,
        "a cancelled rung unlocks nothing"
    );
    // Esc with nothing running does nothing.
    assert!(app.update(key(KeyCode::Esc)).is_empty());
}

#[test]
fn climbing_runs_every_rung_in_order() {
    let mut app = ready_app();
    let _ = app.update(ch('a'));
    for (i, (id, step, secs, extra)) in common::TIMES.iter().enumerate() {
        assert!(app.running());
        assert_eq!(app.live.as_ref().unwrap().index, i);
        let cmds = app.update(Msg::RungFinished(Box::new(report(
            id, *step, *secs, *extra,
        ))));
        if i + 1 < common::TIMES.len() {
            assert!(matches!(cmds[..], [Command::Run { index, .. }] if index == i + 1));
        } else {
            assert!(cmds.is_empty());
        }
    }
    assert!(
        app.rows
            .iter()
            .filter(|r| !r.extra)
            .all(|r| r.status == Status::Done)
    );
    assert!(
        app.rows
            .iter()
            .filter(|r| r.extra)
            .all(|r| r.report.is_none()),
        "climbs skip the extras"
    );
    // A second run while one is running is refused.
    let _ = app.update(key(KeyCode::Enter));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(error_notice(&app).contains("already running"));
}

#[test]
fn settings_refuse_invalid_values_in_place() {
    let mut app = ready_app();
    let _ = app.update(ch('s'));
    assert_eq!(app.screen, Screen::Settings);
    // n: typing replaces nothing until Enter; a bad value is refused with the reason.
    let _ = app.update(key(KeyCode::Enter));
    for _ in 0..5 {
        let _ = app.update(key(KeyCode::Backspace));
    }
    for c in "abc".chars() {
        let _ = app.update(ch(c));
    }
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.form.error.as_ref().unwrap().contains("whole number"));
    assert!(app.form.editing.is_some(), "stays in the field to fix it");
    // q types while editing; it does not quit.
    let _ = app.update(ch('q'));
    assert!(!app.quit);
    let _ = app.update(key(KeyCode::Esc));
    assert!(app.form.editing.is_none() && app.form.error.is_none());

    // A size that cannot fit in memory is refused with what it needs.
    let _ = app.update(key(KeyCode::Enter));
    for _ in 0..5 {
        let _ = app.update(key(KeyCode::Backspace));
    }
    for c in "1000000".chars() {
        let _ = app.update(ch(c));
    }
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(
        app.form.error.as_ref().unwrap().contains("needs"),
        "{:?}",
        app.form.error
    );
    let _ = app.update(key(KeyCode::Esc));

    // Budget: not a positive number.
    for _ in 0..4 {
        let _ = app.update(key(KeyCode::Down));
    }
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(key(KeyCode::Backspace));
    let _ = app.update(ch('0'));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.form.error.as_ref().unwrap().contains("budget"));
    let _ = app.update(key(KeyCode::Esc));

    // Data: neither a distribution nor a file.
    let _ = app.update(key(KeyCode::Up));
    let _ = app.update(key(KeyCode::Enter));
    for c in "/no/such.npy".chars() {
        let _ = app.update(ch(c));
    }
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(app.form.error.as_ref().unwrap().contains("neither"));
    assert_eq!(app.settings, ready_app().settings, "nothing applied");
}

#[test]
fn a_valid_setting_reloads_and_a_failed_load_keeps_the_old_workload() {
    let mut app = climbed_app();
    let _ = app.update(ch('s'));
    let _ = app.update(key(KeyCode::Enter));
    for _ in 0..5 {
        let _ = app.update(key(KeyCode::Backspace));
    }
    for c in "2000".chars() {
        let _ = app.update(ch(c));
    }
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(&cmds[..], [Command::LoadWorkload(spec)] if spec.n == 2000));
    assert_eq!(app.shown_settings().n, 2000);
    assert_eq!(app.settings.n, 10_000, "applies once the workload is ready");
    // Runs wait for it.
    let _ = app.update(key(KeyCode::Esc));
    assert!(app.update(key(KeyCode::Enter)).is_empty());

    // The load fails: the error shows, the old workload and settings stay.
    let _ = app.update(Msg::WorkloadFailed("vectors.npy: truncated".into()));
    assert_eq!(app.settings.n, 10_000);
    assert!(matches!(app.workload, WorkloadState::Ready(_)));
    assert!(app.form.error.as_ref().unwrap().contains("truncated"));
    assert!(app.rows[4].report.is_some(), "results kept");

    // A successful load applies the settings and clears results that no longer apply.
    let _ = app.update(ch('s'));
    let _ = app.update(key(KeyCode::Enter));
    for _ in 0..5 {
        let _ = app.update(key(KeyCode::Backspace));
    }
    for c in "2000".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Enter));
    let mut m = meta();
    m.n = 2000;
    let _ = app.update(Msg::WorkloadReady(m));
    assert_eq!(app.settings.n, 2000);
    assert!(app.rows.iter().all(|r| r.report.is_none()));
    assert_eq!(app.rows[1].status, Status::Locked);
}

#[test]
fn budget_and_threads_apply_to_the_next_run_without_reloading() {
    let mut app = ready_app();
    let _ = app.update(ch('s'));
    for _ in 0..5 {
        let _ = app.update(key(KeyCode::Down));
    }
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(key(KeyCode::Backspace));
    let _ = app.update(ch('1'));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert_eq!(app.settings.threads, 1);
    let _ = app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Ladder);
    assert!(matches!(
        app.update(key(KeyCode::Enter))[..],
        [Command::Run { threads: 1, .. }]
    ));
    // Settings cannot be opened mid-run.
    let _ = app.update(ch('s'));
    assert_eq!(app.screen, Screen::Ladder);
    assert!(error_notice(&app).contains("Esc to cancel"));
}

#[test]
fn export_needs_results_and_names_the_file() {
    let mut app = ready_app();
    assert!(app.update(ch('m')).is_empty());
    assert!(error_notice(&app).contains("run a rung first"));
    let mut app = climbed_app();
    let cmds = app.update(ch('m'));
    match &cmds[..] {
        [Command::Export(path, results, _)] => {
            assert_eq!(path.to_str(), Some("NOTES.md"));
            assert_eq!(results.rungs.len(), common::TIMES.len());
        }
        other => panic!("{other:?}"),
    }
    let _ = app.update(Msg::Exported(Ok("NOTES.md".into())));
    assert!(matches!(&app.notice, Some(Notice::Info(s)) if s.contains("NOTES.md")));
    let _ = app.update(Msg::Exported(
        Err("could not write NOTES.md: denied".into()),
    ));
    assert!(error_notice(&app).contains("denied"));
    // From the results screen too.
    let _ = app.update(ch('r'));
    assert_eq!(app.screen, Screen::Results);
    assert_eq!(app.update(ch('m')).len(), 1);
    let _ = app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Ladder);
}

#[test]
fn w_writes_the_html_report_beside_the_notes() {
    let mut app = ready_app();
    assert!(app.update(ch('w')).is_empty());
    assert!(error_notice(&app).contains("run a rung first"));
    let mut app = climbed_app();
    match &app.update(ch('w'))[..] {
        [Command::ExportReport(path, results, _)] => {
            assert_eq!(path.to_str(), Some("report.html"));
            assert_eq!(results.rungs.len(), common::TIMES.len());
        }
        other => panic!("{other:?}"),
    }
    let _ = app.update(Msg::Exported(Ok("report.html".into())));
    assert!(matches!(&app.notice, Some(Notice::Info(s)) if s.contains("the HTML report")));
    let _ = app.update(ch('r'));
    assert!(matches!(
        app.update(ch('w'))[..],
        [Command::ExportReport(..)]
    ));
}

#[test]
fn help_opens_anywhere_and_any_key_closes_it() {
    let mut app = ready_app();
    let _ = app.update(ch('?'));
    assert!(app.show_help);
    assert!(
        app.update(key(KeyCode::Enter)).is_empty(),
        "the key only closes help"
    );
    assert!(!app.show_help);
    let _ = app.update(ch('s'));
    let _ = app.update(ch('?'));
    assert!(app.show_help);
}

#[test]
fn help_opens_at_the_screen_s_keys_and_scrolls_to_the_last_line() {
    use ladder::tui::screens::help::{HELP, ordered, section_title};
    let mut app = ready_app();
    // A terminal that shows 10 lines of it (as the last draw found).
    app.help_rows.set(10);
    let _ = app.update(ch('s'));
    let _ = app.update(ch('?'));
    // Its own section is on top, before any other screen's keys.
    assert_eq!(app.help_scroll, 0);
    assert_eq!(ordered(section_title(app.screen, false))[0].0, "Settings");
    let _ = app.update(key(KeyCode::Esc));
    // Scrolling stops at the last line; arrows and page keys do not close it.
    let _ = app.update(ch('?'));
    let _ = app.update(key(KeyCode::End));
    assert!(app.show_help);
    assert_eq!(app.help_scroll, HELP.len() - 10);
    let _ = app.update(key(KeyCode::Down));
    assert_eq!(app.help_scroll, HELP.len() - 10);
    let _ = app.update(key(KeyCode::Home));
    let _ = app.update(key(KeyCode::PageDown));
    assert_eq!(app.help_scroll, 10);
    let _ = app.update(key(KeyCode::Up));
    assert_eq!(app.help_scroll, 9);
    let _ = app.update(ch('x'));
    assert!(!app.show_help);
}

#[test]
fn quitting_cancels_a_running_rung_first() {
    let mut app = ready_app();
    assert_eq!(app.update(ch('q')), vec![Command::Quit]);
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_c), vec![Command::Cancel, Command::Quit]);
    assert!(app.quit);
}

#[test]
fn demo_climbs_by_itself_and_obeys_pause_step_and_repeat() {
    let mut app = ready_app();
    app.enable_demo();
    let mut started = None;
    for _ in 0..20 {
        if let [Command::Run { index, .. }] = app.update(Msg::Tick)[..] {
            started = Some(index);
            break;
        }
    }
    assert_eq!(
        started,
        Some(0),
        "the demo starts the first rung after a short pause"
    );
    let cmds = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        100.0,
        true,
    ))));
    assert!(cmds.is_empty(), "it pauses between rungs");
    // Paused: ticks do nothing.
    let _ = app.update(ch(' '));
    for _ in 0..100 {
        assert!(app.update(Msg::Tick).is_empty());
    }
    let _ = app.update(ch(' '));
    // n starts the next one at once.
    assert!(matches!(
        app.update(ch('n'))[..],
        [Command::Run { index: 1, .. }]
    ));
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "algorithmic",
        Step::Algorithm,
        40.0,
        true,
    ))));
    // r repeats from the bottom.
    let _ = app.update(ch('r'));
    assert!(app.rows.iter().all(|r| r.report.is_none()));
    assert_eq!(app.queue, (0..app.ladder_len()).collect::<Vec<_>>());
}

#[test]
fn samples_feed_the_gauges() {
    let mut app = ready_app();
    for i in 0..5u32 {
        let _ = app.update(Msg::Sample(ladder::monitor::Sample {
            cpu: vec![10.0 * i as f32, 50.0],
            rss: u64::from(i) << 20,
            total_memory: 1 << 34,
            peer_rss: None,
            elsewhere: Some(0.05),
        }));
    }
    assert_eq!(app.cpu.len(), 2);
    assert_eq!(app.cpu[0].last(), Some(40.0));
    assert_eq!(app.rss.last(), Some(4 << 20));
    assert_eq!(app.total_memory, 1 << 34);
}

#[test]
fn h_opens_the_benchmark_history() {
    let mut app = ready_app();
    let cmds = app.update(ch('h'));
    assert_eq!(app.screen, Screen::History);
    assert!(matches!(&cmds[..], [Command::LoadHistory(p)] if p.ends_with("history.jsonl")));
    let _ = app.update(Msg::HistoryLoaded(ladder::report::history::parse(
        "not json\n",
        "history.jsonl",
    )));
    assert!(app.history.is_empty());
    assert_eq!(app.history_warnings.len(), 1);
    // With no runs, the arrows do nothing.
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(app.history_machine, 0);
    let _ = app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Ladder);
}

#[test]
fn the_history_opens_on_this_machine_s_runs_and_the_arrows_change_machine() {
    let mut app = ready_app(); // on "Test CPU"
    let _ = app.update(ch('h'));
    let runs = [
        ("1", "Other CPU", 50.0),
        ("2", "Test CPU", 60.0),
        ("3", "Third CPU", 70.0),
    ];
    load_history(&mut app, &runs);
    assert_eq!(app.history_machine, 1, "this machine's runs first");
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(app.history_machine, 2);
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(app.history_machine, 0, "wraps around");
    let _ = app.update(key(KeyCode::Left));
    assert_eq!(app.history_machine, 2);
    // A machine with no runs of its own sees the latest run's.
    let mut elsewhere = machine();
    elsewhere.cpu = "Unseen CPU".into();
    let _ = app.update(Msg::MachineReady(elsewhere));
    load_history(&mut app, &runs);
    assert_eq!(app.history_machine, 2);
}

fn folded_profile(text: &str) -> std::sync::Arc<ladder::profile::Profile> {
    std::sync::Arc::new(ladder::profile::Profile::from_folded(text, 997).unwrap())
}

#[test]
fn f_shows_the_flamegraph_with_zoom_search_and_exports() {
    let mut app = ready_app();
    assert!(app.update(ch('f')).is_empty());
    assert!(error_notice(&app).contains("no profile of naive yet"));
    let _ = app.update(Msg::Profiled {
        rung: "naive".into(),
        profile: folded_profile(
            "ladder-runner;ladder::rungs::naive::norm 60\nladder-runner;ladder::rungs::naive::dot 30\nladder-worker-0;ladder::run::verify 10\n",
        ),
    });
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Flame);
    // Zoom into the first thread, then move to its second child and back out.
    let _ = app.update(key(KeyCode::Enter));
    assert_eq!(app.flame.path, vec!["ladder-runner".to_string()]);
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(app.flame.cursor, 1);
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(app.flame.cursor, 1, "stays on the last child");
    let _ = app.update(key(KeyCode::Backspace));
    assert!(app.flame.path.is_empty());
    assert_eq!(app.flame.cursor, 0, "back on the frame it zoomed into");
    // Search: typing goes to the box, not to the keys (q does not quit).
    let _ = app.update(ch('/'));
    for c in "norq".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Backspace));
    let _ = app.update(ch('m'));
    let _ = app.update(key(KeyCode::Enter));
    assert!(!app.quit);
    assert_eq!(app.flame.search, "norm");
    // Export the SVG; the diff needs a profiled rung below.
    assert!(
        matches!(&app.update(ch('e'))[..], [Command::ExportFlame { path, .. }] if path.ends_with("naive.svg"))
    );
    assert!(app.update(ch('d')).is_empty());
    assert!(error_notice(&app).contains("no rung below"));
    // Esc clears the search first, then leaves.
    let _ = app.update(key(KeyCode::Esc));
    assert!(app.flame.search.is_empty());
    assert_eq!(app.screen, Screen::Flame);
    let _ = app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Ladder);
    // With the rung below profiled, d exports the difference.
    let _ = app.update(Msg::Profiled {
        rung: "algorithmic".into(),
        profile: folded_profile("ladder-runner;ladder::rungs::algorithmic::rows 40\n"),
    });
    let _ = app.update(key(KeyCode::Down));
    let _ = app.update(ch('f'));
    assert_eq!(app.flame.rung, 1);
    assert!(matches!(
        &app.update(ch('d'))[..],
        [Command::ExportDiff { path, title, .. }] if path.ends_with("diff-naive-algorithmic.svg") && title.contains("naive → algorithmic")
    ));
    assert_eq!(
        app.flame.diff_with,
        Some(0),
        "the terminal shows the comparison too"
    );
}

#[test]
fn the_leak_lesson_rungs_run_any_time_and_t_shows_live_memory() {
    let mut app = ready_app();
    let leaky = app.rows.iter().position(|r| r.info.id == "leaky").unwrap();
    app.selected = leaky;
    assert!(
        matches!(app.update(key(KeyCode::Enter))[..], [Command::Run { index, .. }] if index == leaky)
    );
    let mut r = report("leaky", ladder::rungs::Step::Native, 0.5, false);
    r.speedup_vs_previous = Some(3.0);
    let _ = app.update(Msg::RungFinished(Box::new(r)));
    let rep = app.rows[leaky].report.as_ref().unwrap();
    assert!(
        rep.speedup_vs_previous.is_none(),
        "outside the ladder: no rung below it"
    );
    assert_eq!(
        app.rows[1].status,
        Status::Locked,
        "running an extra unlocks nothing"
    );
    let _ = app.update(Msg::Profiled {
        rung: "leaky".into(),
        profile: folded_profile("ladder-runner;ladder::rungs::leaky::prepare 10\n"),
    });
    let _ = app.update(ch('f'));
    assert_eq!(app.update(ch('t')), vec![Command::SnapshotMemory]);
    assert!(app.flame.memory);
    let _ = app.update(Msg::MemoryProfiled(
        folded_profile("live;ladder::rungs::leaky::remember_normalised 6000000\n"),
        ladder::profile::alloc::AllocStats {
            live_bytes: 6_000_000,
            peak_bytes: 9_000_000,
            allocations: 10,
            since_mark: Some(5_900_000),
        },
    ));
    let tree = app.flame_tree().unwrap();
    assert_eq!(tree.total, 6_000_000);
    assert!(
        matches!(&app.update(ch('e'))[..], [Command::ExportFlame { unit: "bytes", path, .. }] if path.ends_with("memory-live.svg"))
    );
    let _ = app.update(ch('t'));
    assert!(!app.flame.memory);
    assert_eq!(app.flame_tree().unwrap().total, 10);
}

#[test]
fn the_scaling_screen_sweeps_cancels_and_blocks_other_runs() {
    let mut app = ready_app();
    let _ = app.update(ch('g'));
    assert_eq!(app.screen, Screen::Scale);
    let cmds = app.update(key(KeyCode::Enter));
    match &cmds[..] {
        [Command::Sweep { spec, threads, .. }] => {
            assert_eq!(spec.d, 768);
            assert_eq!(*threads, 2);
        }
        other => panic!("{other:?}"),
    }
    assert!(app.scale.running && app.running());
    // A second sweep, or a rung, waits for this one.
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(error_notice(&app).contains("already running"));
    // Esc cancels the sweep and stays on the screen; the next Esc goes back.
    assert_eq!(app.update(key(KeyCode::Esc)), vec![Command::Cancel]);
    assert_eq!(app.screen, Screen::Scale);
    let _ = app.update(Msg::SweepFinished {
        cancelled: true,
        error: None,
    });
    assert!(!app.running());
    assert!(app.scale.status.contains("cancelled"));
    let _ = app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Ladder);
    let _ = app.update(ch('g'));
    let _ = app.update(ch('g'));
    assert_eq!(app.screen, Screen::Ladder, "g toggles back");
}

#[test]
fn a_sweep_that_fails_says_why() {
    let mut app = ready_app();
    let _ = app.update(ch('g'));
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::SweepFinished {
        cancelled: false,
        error: Some("no memory".into()),
    });
    assert!(!app.running());
    assert!(app.scale.status.contains("failed: no memory"));
}

#[test]
fn peers_get_rows_after_the_extras_and_run_like_rungs() {
    let mut app = ready_app();
    let before = app.rows.len();
    let peers = ladder::peers::shipped().unwrap();
    app.add_peers(&peers[..2]);
    assert_eq!(app.rows.len(), before + 2);
    let i = before;
    assert_eq!(app.rows[i].info.id, peers[0].id);
    assert_eq!(app.rows[i].status, Status::Ready, "peers are never locked");
    app.selected = i;
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds[..], [Command::Run { index, .. }] if index == i));
    // No profile yet: f says why (not run yet, or py-spy missing) and stays.
    let id = app.rows[i].info.id;
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Ladder);
    assert!(error_notice(&app).contains(&format!("no profile of {id}")));
    // Its Python stacks, sampled by py-spy, arrive like a rung's profile: f shows them.
    let stacks = "<module> (numpy_peer.py:20);matmul 40\n<module> (numpy_peer.py:12);load 10\n";
    let _ = app.update(Msg::Profiled {
        rung: id.to_string(),
        profile: std::sync::Arc::new(ladder::profile::Profile::from_folded(stacks, 250).unwrap()),
    });
    let _ = app.update(Msg::RungFinished(Box::new(common::report(
        id,
        ladder::rungs::Step::Vectorize,
        0.5,
        false,
    ))));
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Flame);
}

/// Moves the settings cursor to `label` and types `value` into it; returns the commands.
fn set(app: &mut App, label: &str, value: &str) -> Vec<Command> {
    let at = app
        .settings
        .fields()
        .iter()
        .position(|(l, _, _)| *l == label)
        .unwrap();
    for _ in 0..10 {
        let _ = app.update(key(KeyCode::Up));
    }
    for _ in 0..at {
        let _ = app.update(key(KeyCode::Down));
    }
    let _ = app.update(key(KeyCode::Enter));
    for _ in 0..10 {
        let _ = app.update(key(KeyCode::Backspace));
    }
    for c in value.chars() {
        let _ = app.update(ch(c));
    }
    app.update(key(KeyCode::Enter))
}

#[test]
fn the_repeat_setting_is_checked_and_goes_with_the_next_run() {
    let mut app = ready_app();
    assert_eq!(app.settings.repeat, 1, "one run per rung unless asked");
    let _ = app.update(ch('s'));
    for bad in ["0", "101", "x"] {
        assert!(set(&mut app, "repeat", bad).is_empty());
        let e = app.form.error.clone().unwrap();
        assert!(
            e.contains("repeat must be a whole number from 1 to 100"),
            "{e}"
        );
        let _ = app.update(key(KeyCode::Esc));
    }
    assert!(
        set(&mut app, "repeat", "3").is_empty(),
        "no reload for a repeat"
    );
    assert_eq!(app.settings.repeat, 3);
    let _ = app.update(key(KeyCode::Esc));
    assert!(matches!(
        app.update(key(KeyCode::Enter))[..],
        [Command::Run { repeat: 3, .. }]
    ));
    // Each run starts afresh in the live panel, with its own budget.
    let _ = app.update(Msg::Run(RunEvent::Repeat {
        index: 0,
        run: 1,
        runs: 3,
        budget: Duration::from_secs(4),
    }));
    let live = app.live.as_ref().unwrap();
    assert_eq!(live.run, Some((1, 3)));
    assert_eq!(live.budget, Duration::from_secs(4));
    assert_eq!(live.rows_done, 0);
}

/// A report of `id` made of runs taking `times` seconds (their median is its time).
fn repeated(id: &str, step: Step, times: &[f64]) -> ladder::run::RunReport {
    let runs: Vec<_> = times.iter().map(|&t| report(id, step, t, false)).collect();
    ladder::run::repeat::combine(&runs, times.len(), false, None)
}

#[test]
fn a_repeated_rung_shows_its_median_and_a_speedup_within_the_spread_is_marked() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(repeated(
        "naive",
        Step::Baseline,
        &[10.0, 12.0, 11.0],
    ))));
    app.selected = 1;
    let _ = app.update(key(KeyCode::Enter));
    // 10.5 s: faster by its median, but inside naive's 10–12 s.
    let _ = app.update(Msg::RungFinished(Box::new(repeated(
        "algorithmic",
        Step::Algorithm,
        &[10.2, 10.5, 11.5],
    ))));
    let r = app.rows[1].report.as_ref().unwrap();
    assert!((r.estimated_s - 10.5).abs() < 1e-12);
    assert!((r.speedup_vs_previous.unwrap() - 11.0 / 10.5).abs() < 1e-12);
    assert!(r.speedup_vs_previous_overlaps && r.speedup_vs_baseline_overlaps);
    assert_eq!(ladder::report::vs_previous_cell(r), "1.05x ±");
    match &app.notice {
        Some(Notice::Info(s)) => assert!(
            s.contains("algorithmic done: median 10.5 s of 3 runs, 10.2–11.5 s"),
            "{s}"
        ),
        other => panic!("{other:?}"),
    }
    // A clear step is not marked.
    app.selected = 2;
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(repeated(
        "vectorized",
        Step::Vectorize,
        &[1.0, 1.1, 1.2],
    ))));
    let r = app.rows[2].report.as_ref().unwrap();
    assert!(!r.speedup_vs_previous_overlaps);
    assert_eq!(ladder::report::vs_previous_cell(r), "9.55x");
}

#[test]
fn the_first_start_says_it_measures_the_peak_once() {
    let mut app = App::new(Settings::default(), false, "NOTES.md".into());
    let _ = app.update(Msg::MeasuringPeak(None));
    assert!(app.measuring_peak);
    let said = |app: &App| match &app.notice {
        Some(Notice::Info(s)) => s.clone(),
        other => panic!("{other:?}"),
    };
    assert!(said(&app).starts_with("measuring this machine's peak once (cached for next time)"));
    // The workload coming first does not hide why the app is still waiting.
    let _ = app.update(Msg::WorkloadReady(meta()));
    assert!(said(&app).contains("workload ready") && said(&app).contains("peak once"));
    let _ = app.update(Msg::MachineReady(machine()));
    assert!(!app.measuring_peak);
    assert!(
        said(&app).starts_with("peak measured: 100 GFLOP/s on one core"),
        "{}",
        said(&app)
    );
    // A cache that was there but ignored says why.
    let mut app = App::new(Settings::default(), false, "NOTES.md".into());
    let _ = app.update(Msg::MeasuringPeak(Some(
        "ignored the cached peak: older than 30 days".into(),
    )));
    assert!(said(&app).contains("older than 30 days"));
}
