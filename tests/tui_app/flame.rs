//! The flamegraph screen: zoom, search and exports, and the live memory of the leak rungs.

use crossterm::event::KeyCode;
use ladder::tui::app::{Command, Msg, Screen, Status};

use super::common::{ch, key, ready_app, report};
use super::error_notice;

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
