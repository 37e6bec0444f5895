//! The results screen: the full speedup table, with the columns a narrow terminal can hold.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::widgets::{Paragraph, Row, Table, Wrap};

use super::{Nav, Outcome};
use crate::report::{human_seconds, time_cell, vs_baseline_cell, vs_previous_cell};
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
    header.push("time");
    widths.push(Constraint::Length(17));
    // The fastest and slowest runs beside the median, when a rung ran more than once.
    let reports: Vec<crate::run::RunReport> =
        m.rows.iter().filter_map(|r| r.report.clone()).collect();
    let spread = crate::report::any_repeated(&reports);
    if spread {
        header.push("min–max");
        widths.push(Constraint::Length(15));
    }
    // A narrow terminal gives the min–max column the place of GFLOP/s (% of peak stays).
    let gflops = mid || !spread;
    if gflops {
        header.push("GFLOP/s");
        widths.push(Constraint::Length(8));
    }
    header.extend(["% pk", "vs base", "vs prev"]);
    widths.extend([
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
            cells.push(time_cell(x));
            if spread {
                cells.push(crate::report::range_cell(x));
            }
            if gflops {
                cells.push(crate::report::gflops_cell(x));
            }
            cells.extend([
                crate::report::peak_cell(x),
                vs_baseline_cell(x),
                vs_previous_cell(x),
            ]);
            if all {
                cells.push(human_bytes(x.peak_rss_bytes));
            }
            // A narrow terminal with the min–max column has room for the mark of a check that
            // passed, not its error (a failure keeps its words: they are what to read).
            let verified = crate::report::verified_cell(x);
            cells.push(if !mid && spread && verified.starts_with('✓') {
                "✓".to_string()
            } else {
                verified
            });
            Row::new(cells).style(theme.base())
        })
        .collect();
    let empty = rows.is_empty();
    let text = if empty {
        "No results yet: run a rung from the ladder (Esc, then Enter).".to_string()
    } else {
        let mut said = format!(
            "m writes this table as Markdown to {} (atomically), w the HTML report beside it. ~ marks times extrapolated from the budget. GFLOP/s is effective: all of S's 2·n²·d over the time, whatever shortcut a rung takes, so a rung that computes half of S can pass the peak; % pk counts the arithmetic it did.",
            m.notes_path.display()
        );
        if reports.iter().any(crate::run::RunReport::under_load) {
            said.push_str(
                " ! marks a time measured under load (a quarter of a core or more busy elsewhere).",
            );
        }
        if spread {
            said.push_str(" Times are medians of the runs; ± marks a speedup within their spread.");
        }
        said
    };
    // The note's lines at this width (words wrap, so a little more than the characters say).
    let per_line = usize::from(area.width.max(20)) - 4;
    let note_h = (text.chars().count() / per_line + 2).max(3) as u16;
    let [table, note] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(note_h)]).areas(area);
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme.dim().add_modifier(Modifier::BOLD)))
            .block(block("Results", theme)),
        table,
    );
    f.render_widget(
        Paragraph::new(text)
            .style(theme.dim())
            .wrap(Wrap { trim: true }),
        note,
    );
}
