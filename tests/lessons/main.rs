//! Lessons: every shipped lesson validates; malformed files get precise errors; the engine's
//! step logic (choices, predictions scored against measurements, explanations, hints, redo,
//! reset, resume, export); the progress file; the Python-backed steps with and without Python.

#[path = "../common/mod.rs"]
mod common;

mod bytecode;
mod concurrency;
mod files;
mod progress;
mod steps;

use assert_cmd::Command as Cmd;
use common::{ch, key, ready_app};
use crossterm::event::KeyCode;
use ladder::lessons::progress::Progress;
use ladder::lessons::{self, Kind};
use ladder::tui::app::{App, Screen};
use ladder::tui::screens::lessons::LessonsState;

fn ladder() -> Cmd {
    Cmd::cargo_bin("ladder").unwrap()
}

/// The app on the lesson list, for a learner whose name is already set.
fn lesson_app() -> App {
    lesson_app_for("Ada")
}

fn lesson_app_for(learner: &str) -> App {
    let mut app = ready_app();
    let progress = Progress {
        learner: Some(learner.into()),
        ..Progress::default()
    };
    app.lessons = LessonsState::new(lessons::shipped().unwrap(), progress, None);
    let _ = app.update(ch('l'));
    assert_eq!(app.screen, Screen::Lessons);
    app
}

fn step_kind(app: &App) -> Kind {
    app.lessons.current().unwrap().kind
}

/// The key that picks option `index` (in the lesson file) of the current step, as shown to
/// this learner.
fn key_for(app: &App, index: usize) -> char {
    let step = app.lessons.current().unwrap();
    let shown = app
        .lessons
        .order(step)
        .iter()
        .position(|&i| i == index)
        .unwrap();
    char::from(b'1' + u8::try_from(shown).unwrap())
}

/// The indices (in the lesson file) of the current step's right and first wrong options.
fn right_and_wrong(app: &App) -> (usize, usize) {
    let step = app.lessons.current().unwrap();
    let right = step.choices.iter().position(|c| c.correct).unwrap();
    let wrong = step.choices.iter().position(|c| !c.correct).unwrap();
    (right, wrong)
}

/// Opens lesson `lesson` at step `step` (as a learner who passed the rest would be).
fn at_step(app: &mut App, lesson: &str, step: &str) {
    if app.lessons.open.is_some() {
        let _ = app.update(key(KeyCode::Esc));
    }
    let li = app
        .lessons
        .lessons
        .iter()
        .position(|l| l.id == lesson)
        .unwrap();
    app.lessons.selected = li;
    let _ = app.update(key(KeyCode::Enter));
    app.lessons.step = app.lessons.lessons[li]
        .steps
        .iter()
        .position(|s| s.id == step)
        .unwrap();
    app.lessons.feedback = None;
    app.lessons.input.clear();
    app.lessons.typing = false;
}

fn screen_of(app: &App, w: u16, h: u16) -> String {
    use ratatui::{Terminal, backend::TestBackend};
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| ladder::tui::ui::draw(f, app, &ladder::tui::theme::Theme::DARK))
        .unwrap();
    terminal.backend().to_string()
}
