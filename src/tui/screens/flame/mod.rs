//! The flamegraph screen: a rung's CPU profile (or the bytes still live) as an icicle, zoomed
//! frame by frame, searched, exported as SVG or compared with the rung below.

mod tree;
mod view;

use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent};

pub use tree::Node;
pub use view::draw;

use super::{Nav, Outcome};
use crate::profile::Profile;
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, WorkloadState};

/// The flamegraph view's cursor, zoom and search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlameView {
    /// The rung whose profile is shown.
    pub rung: usize,
    /// Frames from the root to the zoomed frame.
    pub path: Vec<String>,
    /// Which child of the zoomed frame is selected.
    pub cursor: usize,
    pub search: String,
    /// Typing into the search box.
    pub typing: bool,
    /// Showing the memory profile (bytes still live) instead of the rung's CPU profile.
    pub memory: bool,
    /// Comparing with this rung's profile (the functions table shows what changed).
    pub diff_with: Option<usize>,
    /// Showing a Python program's memory flamegraph (the model's `python_flame`), not a rung's.
    pub python: bool,
}

/// The profile the flamegraph shows: the rung's CPU profile, or the memory snapshot.
#[must_use]
pub fn profile_of<'m>(view: &FlameView, m: &'m Model) -> Option<&'m Arc<Profile>> {
    if view.python {
        return m.python_flame.as_ref().map(|p| &p.profile);
    }
    if view.memory {
        m.memory.as_ref().map(|(p, _)| p)
    } else {
        m.profiles.get(view.rung)?.as_ref()
    }
}

/// The tree of the shown profile.
#[must_use]
pub fn tree_of(view: &FlameView, m: &Model) -> Option<Node> {
    profile_of(view, m).map(|p| Node::from_profile_simplified(p))
}

/// The flamegraph's keys, when no search is being typed.
pub fn on_key(view: &mut FlameView, m: &mut Model, key: KeyEvent) -> Outcome {
    if view.python && matches!(key.code, KeyCode::Char('t' | 'd')) {
        // A Python program's own stacks: there is no CPU profile of it here to switch to, and
        // no rung below to compare with.
        m.notice = Some(Notice::Info(
            "this is the Python program's memory: e exports it as SVG".into(),
        ));
        return Outcome::default();
    }
    if key.code == KeyCode::Char('t')
        && !view.memory
        && m.rows.get(view.rung).is_some_and(|r| r.peer)
    {
        // The memory view is this process's own allocations: a program outside it (a peer, a
        // lab step) has none there, and showing ours would mislead.
        m.notice = Some(Notice::Info(format!(
            "{} runs in a process of its own: its memory is the live panel's RSS, not this \
             view (which shows ladder's own allocations)",
            m.rows[view.rung].info.id
        )));
        return Outcome::default();
    }
    if key.code == KeyCode::Char('t') {
        // Toggle CPU time / live memory; the memory snapshot is taken now.
        view.memory = !view.memory;
        view.path.clear();
        view.cursor = 0;
        return if view.memory {
            vec![Command::SnapshotMemory].into()
        } else {
            Outcome::default()
        };
    }
    let Some(tree) = tree_of(view, m) else {
        if key.code == KeyCode::Esc || key.code == KeyCode::Char('f') {
            return Outcome::go(Nav::Back);
        }
        return Outcome::default();
    };
    let children = tree.at(&view.path).children.len();
    match key.code {
        KeyCode::Left | KeyCode::Up => {
            view.cursor = view.cursor.saturating_sub(1);
        }
        KeyCode::Right | KeyCode::Down => {
            view.cursor = (view.cursor + 1).min(children.saturating_sub(1));
        }
        KeyCode::Enter => {
            let node = tree.at(&view.path);
            if let Some(child) = node.children.get(view.cursor) {
                view.path.push(child.name.clone());
                view.cursor = 0;
            }
        }
        KeyCode::Backspace => {
            if let Some(name) = view.path.pop() {
                let parent = tree.at(&view.path);
                view.cursor = parent
                    .children
                    .iter()
                    .position(|c| c.name == name)
                    .unwrap_or(0);
            }
        }
        KeyCode::Char('/') => {
            view.typing = true;
            view.search.clear();
        }
        KeyCode::Char('e') if !view.memory && !view.python => {
            if let Some(wait) = samples_first(m, view.rung, 'e') {
                return wait.into();
            }
            return export_flame(view, m).into();
        }
        KeyCode::Char('e') => return export_flame(view, m).into(),
        KeyCode::Char('d') => {
            if let Some(wait) = [view.rung]
                .into_iter()
                .chain(rung_before(m, view.rung))
                .find_map(|i| samples_first(m, i, 'd'))
            {
                return wait.into();
            }
            return export_diff(view, m).into();
        }
        KeyCode::Esc if !view.search.is_empty() => view.search.clear(),
        KeyCode::Esc | KeyCode::Char('f') => return Outcome::go(Nav::Back),
        _ => {}
    }
    Outcome::default()
}

/// Keys while a search is typed: they all go into it.
pub fn on_search_key(view: &mut FlameView, key: KeyEvent) -> Vec<Command> {
    match key.code {
        KeyCode::Enter => view.typing = false,
        KeyCode::Esc => {
            view.typing = false;
            view.search.clear();
        }
        KeyCode::Backspace => {
            view.search.pop();
        }
        KeyCode::Char(c) => view.search.push(c),
        _ => {}
    }
    vec![]
}

/// The title of an exported flamegraph: what, on which data and machine.
fn title(m: &Model, what: &str) -> String {
    match (&m.workload, &m.machine) {
        (WorkloadState::Ready(w), Some(machine)) => crate::report::flame_title(what, w, machine),
        _ => format!("ladder · {what}"),
    }
}

/// The shown flamegraph as an SVG (`e`).
fn export_flame(view: &FlameView, m: &Model) -> Vec<Command> {
    let i = view.rung;
    let Some(profile) = profile_of(view, m).cloned() else {
        return vec![];
    };
    if let (true, Some(p)) = (view.python, &m.python_flame) {
        return vec![Command::ExportFlame {
            path: flame_dir(m).join(&p.file),
            profile,
            title: p.title.clone(),
            // Every allocation traced, not sampled: the export's subtitle says so.
            unit: "bytes leaked",
        }];
    }
    let id = m.rows[i].info.id;
    if view.memory {
        return vec![Command::ExportFlame {
            path: flame_dir(m).join("memory-live.svg"),
            profile,
            title: title(m, "bytes still live"),
            unit: "bytes",
        }];
    }
    // A peer's samples are its Python stacks, taken by py-spy: the title says so.
    let what = if m.rows[i].peer {
        format!("{id} (Python stacks, sampled by py-spy)")
    } else {
        id.to_string()
    };
    vec![Command::ExportFlame {
        path: flame_dir(m).join(format!("{}.svg", export_stem(m, i))),
        profile,
        title: title(m, &what),
        unit: "samples",
    }]
}

/// The file name an exported flamegraph of row `i` takes: a lab step's is its step's id, as
/// NOTES.md names it (`e` then writes over the same file, not a second copy); our rungs beside
/// a lab are `ours-ID`, so ours and the student's step of the same name stay apart.
fn export_stem(m: &Model, i: usize) -> String {
    let id = m.rows[i].info.id;
    if let Some(step) = id.strip_prefix("lab-") {
        step.to_string()
    } else if !m.rows[i].peer && m.rows.iter().any(|r| r.info.id.starts_with("lab-")) {
        format!("ours-{id}")
    } else {
        id.to_string()
    }
}

/// Where exported flamegraphs go: `flamegraphs/` beside the notes (the lab's folder for a
/// lab; the working folder otherwise, as `m` writes NOTES.md there).
pub fn flame_dir(m: &Model) -> PathBuf {
    m.notes_path
        .parent()
        .map_or_else(PathBuf::new, std::path::Path::to_path_buf)
        .join("flamegraphs")
}

/// The difference from the rung below: what this step removed and what it added.
/// When rung `i`'s picture is being sampled over more runs, or is too thin and now starts to
/// be: the commands, and a notice to press `key` again once it is. None: export now.
fn samples_first(m: &mut Model, i: usize, key: char) -> Option<Vec<Command>> {
    let cmds = if m.resampling == Some(i) {
        vec![]
    } else {
        let cmds = m.resample_if_thin(i);
        if cmds.is_empty() {
            return None;
        }
        cmds
    };
    m.notice = Some(Notice::Info(format!(
        "running {} again for a picture with more samples: press {key} again in a moment",
        m.rows[i].info.id
    )));
    Some(cmds)
}

/// The rung a diff compares rung `i` with: the nearest before it with a profile, of its kind
/// (a peer's Python stacks against another peer's, a rung's against a rung's).
fn rung_before(m: &Model, i: usize) -> Option<usize> {
    (0..i)
        .rev()
        .find(|&j| m.profiles[j].is_some() && m.rows[j].peer == m.rows[i].peer)
}

fn export_diff(view: &mut FlameView, m: &mut Model) -> Vec<Command> {
    let i = view.rung;
    let (Some(j), Some(after)) = (rung_before(m, i), m.profiles[i].clone()) else {
        let first = !(0..i).any(|j| m.rows[j].peer == m.rows[i].peer);
        m.notice = Some(Notice::Error(if first {
            format!(
                "{} is the first: d compares a step with the step before it in the ladder",
                export_stem(m, i)
            )
        } else {
            "no rung before it has a profile to compare with: run it first".into()
        }));
        return vec![];
    };
    let Some(before) = m.profiles[j].clone() else {
        return vec![];
    };
    let (a, b) = (m.rows[j].info.id, m.rows[i].info.id);
    view.diff_with = Some(j);
    let (sa, sb) = (export_stem(m, j), export_stem(m, i));
    let time = |k: usize| {
        m.rows[k]
            .report
            .as_ref()
            .filter(|r| r.has_time() && r.estimated_s > 0.0)
            .map(|r| r.estimated_s)
    };
    vec![Command::ExportDiff {
        path: flame_dir(m).join(format!("diff-{sa}-{sb}.svg")),
        before: (before, a.to_string()),
        after,
        title: title(m, &format!("{a} → {b}")),
        speedup: time(j).zip(time(i)).map(|(b, a)| b / a),
    }]
}
