//! The lab in the app, driven through `App::update` alone: saving a step's file runs that step
//! (and only it) once the file is quiet, a quick check comes first, and the verdicts are those
//! of `ladder lab check`. No Python runs here: the runs' reports are made up, as the effects
//! would send them.

#[path = "../common/mod.rs"]
mod common;

mod outputs;
mod steps;
mod watching;

use common::{key, step_report};
use crossterm::event::KeyCode;
use ladder::lab::grade::Verdict;
use ladder::tui::app::{App, Command, Msg, Notice};

fn row(app: &App, step: usize) -> usize {
    app.lab.as_ref().unwrap().first_row + step
}

fn ticks(app: &mut App, n: u64) -> Vec<Command> {
    let mut cmds = Vec::new();
    for _ in 0..n {
        cmds.extend(app.update(Msg::Tick));
    }
    cmds
}

/// The commands that start something (a finished step is also kept for the next launch).
fn starts(cmds: Vec<Command>) -> Vec<Command> {
    cmds.into_iter()
        .filter(|c| !matches!(c, Command::KeepLabResults { .. }))
        .collect()
}

fn verdict(app: &App, step: usize) -> Verdict {
    app.lab.as_ref().unwrap().results[step].verdict.clone()
}

fn notice(app: &App) -> String {
    match &app.notice {
        Some(Notice::Info(s) | Notice::Error(s)) => s.clone(),
        None => String::new(),
    }
}

/// Runs step `step` to the end: Enter, the quick check passes, the full run takes `seconds`.
fn run_step(app: &mut App, step: usize, id: &str, seconds: f64) {
    let lab = app.lab.as_mut().unwrap();
    lab.selected = step;
    let cmds = app.update(key(KeyCode::Enter));
    assert!(
        cmds.iter().any(|c| matches!(c, Command::QuickCheck { .. })),
        "{cmds:?} / {}",
        notice(app)
    );
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(id, 0.01, true))));
    assert!(
        matches!(cmds[..], [Command::Run { index, .. }] if index == row(app, step)),
        "{cmds:?}"
    );
    let _ = app.update(Msg::RungFinished(Box::new(step_report(id, seconds, true))));
}
