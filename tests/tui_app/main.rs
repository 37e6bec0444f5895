//! The app's state machine: every key in every state, driven through `App::update` alone.

#[path = "../common/mod.rs"]
mod common;

mod export;
mod flame;
mod rungs;
mod screens;
mod settings;
mod startup;

use ladder::tui::app::{App, Notice};

fn error_notice(app: &App) -> String {
    match &app.notice {
        Some(Notice::Error(e)) => e.clone(),
        other => panic!("expected an error notice, got {other:?}"),
    }
}

fn info_notice(app: &App) -> String {
    match &app.notice {
        Some(Notice::Info(e)) => e.clone(),
        other => panic!("expected an info notice, got {other:?}"),
    }
}
