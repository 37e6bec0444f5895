//! The settings screen: n, d, seed, data, budget, threads, k and repeat, edited in place. A value is
//! checked before it is applied; a change of data prepares a new workload.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Nav, Outcome};
use crate::run::{self, limits};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, WorkloadState};
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::workload::Distribution;

/// The settings screen's cursor and edit buffer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsForm {
    pub selected: usize,
    pub editing: Option<String>,
    pub error: Option<String>,
}

/// The settings screen's keys, when no value is being edited.
pub fn on_key(form: &mut SettingsForm, m: &mut Model, key: KeyEvent) -> Outcome {
    let count = m.settings.fields().len();
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => {
            form.selected = form.selected.saturating_sub(1);
        }
        KeyCode::Down | KeyCode::Char('j') => {
            form.selected = (form.selected + 1).min(count - 1);
        }
        KeyCode::Enter => {
            let (_, value, _) = &m.shown_settings().fields()[form.selected];
            form.editing = Some(value.clone());
            form.error = None;
        }
        KeyCode::Esc | KeyCode::Char('s') => return Outcome::go(Nav::Ladder),
        _ => {}
    }
    Outcome::default()
}

/// Keys while a value is being edited: they all go into the value, Enter applies it.
pub fn on_edit_key(form: &mut SettingsForm, m: &mut Model, key: KeyEvent) -> Vec<Command> {
    let Some(buf) = form.editing.as_mut() else {
        return vec![];
    };
    match key.code {
        KeyCode::Esc => {
            form.editing = None;
            form.error = None;
            vec![]
        }
        KeyCode::Backspace => {
            buf.pop();
            vec![]
        }
        KeyCode::Char(c) => {
            buf.push(c);
            vec![]
        }
        KeyCode::Enter => {
            let value = buf.trim().to_string();
            match apply_field(m, form.selected, &value) {
                Ok(cmds) => {
                    form.editing = None;
                    form.error = None;
                    cmds
                }
                Err(e) => {
                    form.error = Some(e);
                    vec![]
                }
            }
        }
        _ => vec![],
    }
}

/// Validates and applies one settings field; a change of data reloads the workload.
fn apply_field(m: &mut Model, field: usize, value: &str) -> Result<Vec<Command>, String> {
    let mut next = m.shown_settings().clone();
    // The command line's bounds, in its words (run::limits).
    match field {
        0 => next.n = limits::parse_n(value)?,
        1 => next.d = limits::parse_d(value)?,
        2 => next.seed = limits::parse_seed(value)?,
        3 => {
            if value.is_empty() {
                return Err("give normal, clustered, or a path to a .npy / .fvecs file".into());
            }
            if value.parse::<Distribution>().is_err() && !std::path::Path::new(value).exists() {
                return Err(format!(
                    "'{value}' is neither normal, clustered, nor an existing file"
                ));
            }
            value.clone_into(&mut next.data);
        }
        4 => next.budget_s = limits::parse_budget(value)?,
        6 => next.k = limits::parse_k(value)?,
        7 => next.repeat = limits::parse_repeat(value)?,
        _ => next.threads = limits::parse_threads(value)?,
    }
    let generated = next.data.parse::<Distribution>().is_ok();
    if generated && (next.n != m.settings.n || next.d != m.settings.d) {
        run::check_fits(next.n, next.d, m.available_memory).map_err(|e| e.in_app())?;
    }
    let reload = next.n != m.settings.n
        || next.d != m.settings.d
        || next.seed != m.settings.seed
        || next.data != m.settings.data;
    if reload {
        let spec = next.spec();
        m.pending = Some(next);
        m.notice = Some(Notice::Info("preparing the new workload…".into()));
        Ok(vec![Command::LoadWorkload(spec)])
    } else {
        m.settings = next;
        Ok(vec![])
    }
}

/// The fields, the one selected with its hint (and why a value was refused), the workload's state.
pub fn draw(f: &mut Frame, form: &SettingsForm, m: &Model, theme: &Theme, area: Rect) {
    let mut lines = vec![
        Line::from(Span::styled(
            "Changing n, d, seed or data prepares a new workload and clears the results.",
            theme.dim(),
        )),
        Line::from(""),
    ];
    for (i, (label, value, hint)) in m.shown_settings().fields().iter().enumerate() {
        let selected = i == form.selected;
        let shown = match (&form.editing, selected) {
            (Some(buf), true) => format!("{buf}▏"),
            _ => value.clone(),
        };
        let style = if selected {
            theme.selected()
        } else {
            theme.base()
        };
        lines.push(Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, style),
            Span::styled(format!("{label:<8}"), style),
            Span::styled(format!("{shown:<30}"), style),
        ]));
        if selected {
            lines.push(Line::from(Span::styled(format!("    {hint}"), theme.dim())));
            if let Some(e) = &form.error {
                lines.push(Line::from(Span::styled(
                    format!("    ✗ {e}"),
                    Style::default().fg(theme.bad),
                )));
            }
        }
    }
    lines.push(Line::from(""));
    let state = match &m.workload {
        _ if m.pending.is_some() => "workload: preparing the new one…".to_string(),
        WorkloadState::Loading => "workload: preparing…".to_string(),
        WorkloadState::Ready(m) => format!("workload: {} × {} ({}), ready", m.n, m.d, m.source),
        WorkloadState::Failed(e) => format!("workload: failed: {e}"),
    };
    lines.push(Line::from(Span::styled(state, theme.dim())));
    f.render_widget(
        Paragraph::new(lines)
            .block(block("Settings", theme))
            .wrap(Wrap { trim: false }),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::model::Settings;

    #[test]
    fn a_size_too_large_for_memory_is_refused_in_the_app_s_words() {
        let mut m = Model::new(Settings::default(), false, "NOTES.md".into());
        m.available_memory = Some(1 << 30);
        let why = apply_field(&mut m, 0, "100000").unwrap_err();
        assert!(
            why.contains("about n = ") && why.contains("fits here"),
            "{why}"
        );
        // Its own fields are no flags: n is not called --n (the command line that goes
        // further, topk alone, is named as a command).
        assert!(!why.contains("--n") && !why.contains("--d"), "{why}");
        assert!(why.contains("ladder run --rungs topk"), "{why}");
    }

    #[test]
    fn a_file_smaller_than_n_is_said_and_the_settings_show_its_shape() {
        let mut m = Model::new(Settings::default(), false, "NOTES.md".into());
        m.settings.n = 1000;
        m.settings.data = "good.npy".into();
        m.on_workload_ready(crate::report::WorkloadMeta {
            n: 500,
            d: 64,
            seed: 0,
            source: "good.npy".into(),
            zero_rows: 0,
        });
        assert_eq!((m.settings.n, m.settings.d), (500, 64));
        let Some(crate::tui::model::Notice::Info(said)) = &m.notice else {
            panic!("{:?}", m.notice)
        };
        assert!(
            said.contains("holds 500 vectors, fewer than the n = 1000 asked"),
            "{said}"
        );
    }
}
