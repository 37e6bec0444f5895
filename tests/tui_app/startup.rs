//! Starting up: the workload and the machine come first, and the peak is measured once.

use std::time::Duration;

use crossterm::event::KeyCode;
use ladder::tui::app::{App, Command, Msg, Notice, Settings, Status, WorkloadState};

use super::common::{key, machine, meta};
use super::error_notice;

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
