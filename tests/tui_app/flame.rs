//! The flamegraph screen: zoom, search and exports, and the live memory of the leak rungs.

use crossterm::event::KeyCode;
use ladder::tui::app::{Command, Msg, Screen, Status};

use super::common::{ch, key, ready_app, report};
use super::{error_notice, info_notice};

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
    // Naive is the first: nothing below it to compare with.
    assert!(error_notice(&app).contains("naive is the first"));
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
fn f_on_a_thin_or_check_heavy_picture_runs_the_rung_again_once_and_e_waits_for_it() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::Profiled {
        rung: "naive".into(),
        profile: folded_profile("ladder-runner;ladder::rungs::naive::dot 12\n"),
    });
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        ladder::rungs::Step::Baseline,
        0.01,
        false,
    ))));
    // Twelve samples: f asks for runs of its own, and the rest of the app waits for them.
    let cmds = app.update(ch('f'));
    assert!(
        matches!(&cmds[..], [Command::Resample { index: 0, .. }]),
        "{cmds:?}"
    );
    assert_eq!(app.resampling, Some(0));
    assert!(app.update(ch('e')).is_empty());
    assert!(
        info_notice(&app).contains("running naive again")
            && info_notice(&app).contains("press e again"),
        "{:?}",
        app.notice
    );
    let _ = app.update(key(KeyCode::Esc));
    let _ = app.update(key(KeyCode::Down));
    assert!(
        app.update(key(KeyCode::Enter)).is_empty(),
        "no run meanwhile"
    );
    assert!(error_notice(&app).contains("naive is running again for its flamegraph"));
    // Its answer replaces the run's picture, once: f does not ask again.
    let mut more = ladder::profile::Profile::from_folded(
        "ladder-runner;ladder::rungs::naive::dot 150\nladder-runner;ladder::rungs::naive::norm 50\n",
        997,
    )
    .unwrap();
    more.runs = 40;
    let _ = app.update(Msg::Resampled {
        rung: "naive".into(),
        profile: Ok(std::sync::Arc::new(more)),
        cancelled: false,
    });
    assert_eq!(app.resampling, None);
    assert_eq!(app.profiles[0].as_ref().map(|p| p.runs), Some(40));
    let _ = app.update(key(KeyCode::Up));
    assert!(app.update(ch('f')).is_empty());
    assert!(matches!(
        &app.update(ch('e'))[..],
        [Command::ExportFlame { .. }]
    ));
}

#[test]
fn a_picture_that_is_mostly_the_check_is_sampled_again_and_a_failure_is_said() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    // Plenty of samples, but most of them the float64 check, which is left out: the kernel's
    // own picture is thin.
    let profile = ladder::profile::Profile::from_folded(
        "ladder-runner;ladder::rungs::naive::dot 40\nladder-runner;ladder::workload::reference::verify_rows 300\n",
        997,
    )
    .unwrap()
    .without_check();
    let _ = app.update(Msg::Profiled {
        rung: "naive".into(),
        profile: std::sync::Arc::new(profile),
    });
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        ladder::rungs::Step::Baseline,
        0.01,
        false,
    ))));
    assert!(matches!(
        &app.update(ch('f'))[..],
        [Command::Resample { index: 0, .. }]
    ));
    let _ = app.update(Msg::Resampled {
        rung: "naive".into(),
        profile: Err("naive did not complete a run this time".into()),
        cancelled: false,
    });
    assert_eq!(app.resampling, None);
    assert!(
        info_notice(&app).contains("did not complete a run"),
        "{:?}",
        app.notice
    );
    assert_eq!(
        app.profiles[0].as_ref().map(|p| p.total_samples()),
        Some(40),
        "its run's stays"
    );
    // Once tried, not again at each key: e exports the run's picture.
    let _ = app.update(key(KeyCode::Esc));
    assert!(app.update(ch('f')).is_empty());
    assert!(matches!(
        &app.update(ch('e'))[..],
        [Command::ExportFlame { .. }]
    ));
    // A wrong answer's picture is not run again (there is no verified run to repeat).
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::Profiled {
        rung: "naive".into(),
        profile: folded_profile("ladder-runner;ladder::rungs::naive::dot 3\n"),
    });
    let mut wrong = report("naive", ladder::rungs::Step::Baseline, 0.01, false);
    wrong.verification.as_mut().unwrap().passed = false;
    wrong.status = ladder::run::RunStatus::Failed("wrong".into());
    let _ = app.update(Msg::RungFinished(Box::new(wrong)));
    assert!(app.update(ch('f')).is_empty());
    assert_eq!(app.resampling, None);
    // Nor the leak lesson's rung, whose every run keeps what it made.
    let mut app = ready_app();
    let leaky = app.rows.iter().position(|r| r.info.id == "leaky").unwrap();
    let _ = app.update(Msg::Profiled {
        rung: "leaky".into(),
        profile: folded_profile("ladder-runner;ladder::rungs::leak::rows 3\n"),
    });
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "leaky",
        ladder::rungs::Step::Native,
        0.01,
        false,
    ))));
    app.selected = leaky;
    assert!(app.update(ch('f')).is_empty());
    assert!(matches!(
        &app.update(ch('e'))[..],
        [Command::ExportFlame { .. }]
    ));
}
