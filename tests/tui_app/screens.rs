//! The other screens: help, the benchmark history, and the scaling sweep.

use crossterm::event::KeyCode;
use ladder::tui::app::{Command, Msg, Screen};

use super::common::{ch, key, load_history, machine, ready_app};
use super::error_notice;

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
