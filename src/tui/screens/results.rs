//! The results screen: the full speedup table, with the columns a narrow terminal can hold.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::widgets::{Paragraph, Row, Table, Wrap};

use super::{Nav, Outcome};
use crate::report::{human_seconds, human_speedup, time_cell};
use crate::tui::model::Model;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::workload::human_bytes;

/// The results screen's keys.
pub fn on_key(m: &mut Model, key: KeyEvent) -> Outcome {
    match key.code {
        KeyCode::Esc | KeyCode::Char('r' | 'l') => Outcome::go(Nav::Ladder),
        KeyCode::Char('m') => m.export().into(),
        KeyCode::Char('w') => m.export_report().into(),
        _ => Outcome::default(),
    }
}

/// Every report so far, a row each; narrow terminals drop the least important columns.
pub fn draw(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    // Columns by importance; narrow terminals drop the least important.
    let all = area.width >= 130;
    let mid = area.width >= 95;
    let mut header = vec!["rung"];
    let mut widths = vec![Constraint::Length(12)];
    if all {
        header.push("step");
        widths.push(Constraint::Length(10));
    }
    if mid {
        header.push("setup");
        widths.push(Constraint::Length(9));
    }
    header.extend(["time", "GFLOP/s", "% pk", "vs base", "vs prev"]);
    widths.extend([
        Constraint::Length(17),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(7),
    ]);
    if all {
        header.push("peak RSS");
        widths.push(Constraint::Length(10));
    }
    header.push("verified");
    widths.push(Constraint::Min(8));
    let rows: Vec<Row> = m
        .rows
        .iter()
        .filter_map(|r| r.report.as_ref())
        .map(|x| {
            let timed = x.has_time();
            let mut cells = vec![x.rung.clone()];
            if all {
                cells.push(x.step.to_string());
            }
            if mid {
                cells.push(if timed {
                    human_seconds(x.setup_s)
                } else {
                    "-".into()
                });
            }
            cells.extend([
                time_cell(x),
                crate::report::gflops_cell(x),
                crate::report::peak_cell(x),
                human_speedup(x.speedup_vs_baseline),
                human_speedup(x.speedup_vs_previous),
            ]);
            if all {
                cells.push(human_bytes(x.peak_rss_bytes));
            }
            cells.push(crate::report::verified_cell(x));
            Row::new(cells).style(theme.base())
        })
        .collect();
    let [table, note] = Layout::vertical([Constraint::Min(0), Constraint::Length(3)]).areas(area);
    let empty = rows.is_empty();
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.dim().add_modifier(Modifier::BOLD)))
            .block(block("Results", theme)),
        table,
    );
    let text = if empty {
        "No results yet: run a rung from the ladder (Esc, then Enter).".to_string()
    } else {
        format!(
            "m writes this table as Markdown to {} (atomically), w the HTML report beside it. ~ marks times extrapolated from the budget.",
            m.notes_path.display()
        )
    };
    f.render_widget(
        Paragraph::new(text)
            .style(theme.dim())
            .wrap(Wrap { trim: true }),
        note,
    );
}
