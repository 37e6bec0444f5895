//! Exports: the notes (m) and the HTML report (w).

use crossterm::event::KeyCode;
use ladder::tui::app::{Command, Msg, Notice, Screen};

use super::common::{self, ch, climbed_app, key, ready_app};
use super::error_notice;

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
