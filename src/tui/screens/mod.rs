//! One room per screen: its own state, its keys and its view. A screen reads and changes the
//! shared [`Model`](super::model::Model) and its own state; it never sees the `App`. Moving
//! between screens is the app's to decide: a key asks for it with a [`Nav`].

pub mod demo;
pub mod flame;
pub mod help;
pub mod history;
pub mod lab;
pub mod ladder;
pub mod lessons;
pub mod live;
pub mod results;
pub mod scale;
pub mod settings;

use super::message::Command;

/// A screen a key asks to go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nav {
    Ladder,
    /// The settings, with a fresh form.
    Settings,
    Results,
    History,
    Scale,
    Lessons,
    /// The flamegraph of row `rung`: its CPU profile, or the snapshot of the bytes still live.
    Flame {
        rung: usize,
        memory: bool,
    },
    /// The flamegraph of a Python program's leaked bytes (the model's `python_flame`).
    PythonFlame,
    /// Back from the flamegraph to the screen that opened it.
    Back,
}

/// What a key did besides changing state: commands for the event loop, and maybe another
/// screen.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    pub cmds: Vec<Command>,
    pub nav: Option<Nav>,
}

impl Outcome {
    /// Go to another screen, with no command.
    #[must_use]
    pub fn go(nav: Nav) -> Self {
        Self {
            cmds: Vec::new(),
            nav: Some(nav),
        }
    }
}

impl From<Vec<Command>> for Outcome {
    fn from(cmds: Vec<Command>) -> Self {
        Self { cmds, nav: None }
    }
}
