//! The settings screen: invalid values refused in place, valid ones applied when they can be.

use std::time::Duration;

use crossterm::event::KeyCode;
use ladder::run::RunEvent;
use ladder::tui::app::{App, Command, Msg, Screen, Status, WorkloadState};

use super::common::{ch, climbed_app, key, meta, ready_app};
use super::error_notice;

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
