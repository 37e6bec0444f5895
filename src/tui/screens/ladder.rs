//! The ladder screen: the rungs in order, their speedups, what each one changed, and the live
//! panel. Enter runs the selected rung, `a` climbs the whole ladder; the other letters open
//! the other screens.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};

use super::{Nav, Outcome, live};
use crate::report::{human_speedup, time_cell, vs_baseline_cell, vs_previous_cell};
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, Status};
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, eighths_bar, status_cell};

/// The ladder's keys.
pub fn on_key(m: &mut Model, key: KeyEvent) -> Outcome {
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => {
            m.selected = m.selected.saturating_sub(1);
            Outcome::default()
        }
        KeyCode::Down | KeyCode::Char('j') => {
            m.selected = (m.selected + 1).min(m.rows.len() - 1);
            Outcome::default()
        }
        KeyCode::Enter => m.try_start(m.selected).into(),
        KeyCode::Char('a') => m.climb_all().into(),
        KeyCode::Esc => m.cancel().into(),
        KeyCode::Char('s') => {
            if m.running() {
                m.notice = Some(Notice::Error(
                    "a rung is running: wait for it, or Esc to cancel, before changing settings"
                        .into(),
                ));
                Outcome::default()
            } else {
                Outcome::go(Nav::Settings)
            }
        }
        KeyCode::Char('r') => Outcome::go(Nav::Results),
        KeyCode::Char('h') => Outcome {
            cmds: vec![Command::LoadHistory(m.history_path.clone())],
            nav: Some(Nav::History),
        },
        KeyCode::Char('g') => Outcome::go(Nav::Scale),
        KeyCode::Char('l') => Outcome::go(Nav::Lessons),
        KeyCode::Char('f') => {
            if m.profiles[m.selected].is_some() {
                Outcome::go(Nav::Flame {
                    rung: m.selected,
                    memory: false,
                })
            } else {
                m.notice = Some(Notice::Error(no_profile(m, m.selected)));
                Outcome::default()
            }
        }
        KeyCode::Char('m') => m.export().into(),
        KeyCode::Char('w') => m.export_report().into(),
        _ => Outcome::default(),
    }
}

/// Why row `i` has no flamegraph, and what to do. A peer runs outside this process: its
/// profile comes from py-spy, when installed, and only for a Python program.
fn no_profile(m: &Model, i: usize) -> String {
    let row = &m.rows[i];
    let id = row.info.id;
    if !row.peer {
        format!("no profile of {id} yet: run it (Enter), then f shows where its time went")
    } else if crate::peers::which("py-spy").is_none() {
        format!("no profile of {id}: pip install py-spy, then run it again (Enter)")
    } else if row.report.is_some() {
        format!(
            "no profile of {id}: py-spy took no Python stacks (not a Python program, or its run failed)"
        )
    } else {
        format!("no profile of {id} yet: run it (Enter); py-spy samples it")
    }
}

/// The table on top, the speedups and the selected rung's story below left, live on the right.
pub fn draw(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    // Every rung keeps a line in the chart; the table takes what is left (it scrolls to the
    // selected row when that is too little).
    let table_h = (m.rows.len() as u16 + 3)
        .min(area.height.saturating_sub(m.ladder_len() as u16))
        .max(4);
    let [table, bottom] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(0)]).areas(area);
    draw_table(f, m, theme, table, area.width >= 100, false);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    let chart_h = m.ladder_len() as u16 + 2;
    // A short terminal (80×24) has no room for both: before any speedup there is nothing to
    // chart, and what the selected rung changes, and why, is what to read.
    let measured = m.rows.iter().any(|r| {
        r.report
            .as_ref()
            .is_some_and(|x| x.speedup_vs_baseline.is_some())
    });
    if left.height < chart_h + 4 && !measured {
        draw_about(f, m, theme, left);
        live::draw(f, m, theme, right);
        return;
    }
    let [chart, about] =
        Layout::vertical([Constraint::Length(chart_h), Constraint::Min(0)]).areas(left);
    draw_speedups(f, m, theme, chart);
    draw_about(f, m, theme, about);
    live::draw(f, m, theme, right);
}

/// The ladder table; `ladder_only` leaves out the lesson rungs (the demo climbs the ladder).
pub fn draw_table(
    f: &mut Frame,
    m: &Model,
    theme: &Theme,
    area: Rect,
    wide: bool,
    ladder_only: bool,
) {
    let mut header = vec!["", "rung"];
    if wide {
        header.push("step");
    }
    header.extend([
        "status", "time", "GFLOP/s", "% pk", "vs base", "vs prev", "ok",
    ]);
    let rows: Vec<Row> = m
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !(ladder_only && r.extra))
        .map(|(i, r)| {
            let rep = r.report.as_ref().filter(|rep| rep.has_time());
            let mut cells = vec![
                Cell::from(if i == m.selected { "▶" } else { " " }),
                Cell::from(r.info.id),
            ];
            if wide {
                cells.push(Cell::from(r.info.step.to_string()));
            }
            cells.push(status_cell(&r.status, theme));
            cells.push(Cell::from(rep.map(time_cell).unwrap_or_default()));
            cells.push(Cell::from(
                rep.map(|x| crate::report::human_gflops(x.gflops_effective))
                    .unwrap_or_default(),
            ));
            // Approximate rungs and peers read "-", as in the CLI's tables.
            cells.push(Cell::from(
                rep.map(crate::report::peak_cell).unwrap_or_default(),
            ));
            // "±": within the spread of the two rungs' runs.
            cells.push(Cell::from(rep.map(vs_baseline_cell).unwrap_or_default()));
            cells.push(Cell::from(rep.map(vs_previous_cell).unwrap_or_default()));
            let ok = match rep.and_then(|x| x.verification.as_ref()) {
                Some(v) if v.passed => Cell::from("✓").style(Style::default().fg(theme.good)),
                Some(_) => Cell::from("✗").style(Style::default().fg(theme.bad)),
                None => Cell::from(""),
            };
            cells.push(ok);
            let row = Row::new(cells);
            if i == m.selected {
                row.style(theme.selected())
            } else {
                row.style(theme.base())
            }
        })
        .collect();
    let mut widths = vec![Constraint::Length(1), Constraint::Length(12)];
    if wide {
        widths.push(Constraint::Length(10));
    }
    widths.extend([
        Constraint::Length(10),
        Constraint::Length(17),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(7),
        Constraint::Length(7),
        Constraint::Length(2),
    ]);
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim().add_modifier(Modifier::BOLD)))
        .column_spacing(1);
    let framed = block("The ladder", theme);
    let shown = m.rows.iter().filter(|r| !(ladder_only && r.extra));
    let shown_len = shown.clone().count();
    // When the rows do not all fit, the table scrolls so that the selected one stays in view.
    let selected = m.rows[..m.selected.min(m.rows.len())]
        .iter()
        .filter(|r| !(ladder_only && r.extra))
        .count();
    let mut state = ratatui::widgets::TableState::default().with_selected(Some(selected));
    if area.height >= shown_len as u16 + 3 {
        f.render_stateful_widget(table.block(framed), area, &mut state);
    } else {
        // Short terminals: the column headings take the place of the top border's title,
        // which gives the line to the speedup chart below.
        f.render_widget(block("", theme).title(""), area);
        // The border's line under the headings is blanked: the headings read as a line of
        // their own between the corners, not words strung on a rule.
        let top = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(2),
            height: 1,
            ..area
        };
        f.render_widget(ratatui::widgets::Clear, top);
        f.render_widget(Block::default().style(theme.base()), top);
        let inside = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(1),
            ..area
        };
        f.render_stateful_widget(table, inside, &mut state);
        // Rows out of view are said on the bottom border, so none goes unnoticed.
        let visible = usize::from(inside.height.saturating_sub(1));
        let above = state.offset();
        let below = shown_len.saturating_sub(above + visible);
        let hint = match (above, below) {
            (0, 0) => String::new(),
            (0, b) => format!(" ↓ {b} more "),
            (a, 0) => format!(" ↑ {a} more "),
            (a, b) => format!(" ↑ {a} · ↓ {b} more "),
        };
        if !hint.is_empty() && area.height > 1 {
            let width = (hint.chars().count() as u16).min(area.width.saturating_sub(2));
            let at = Rect {
                x: area.x + area.width.saturating_sub(width + 2),
                y: area.y + area.height - 1,
                width,
                height: 1,
            };
            f.render_widget(
                ratatui::widgets::Paragraph::new(hint).style(theme.dim()),
                at,
            );
        }
    }
}

/// Horizontal bars of the speedup against the baseline on a log scale, so 10x and 1000x are
/// both readable.
pub fn draw_speedups(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    const TITLE: &str = "Speedup vs baseline (log scale)";
    // Every rung gets a line: when the box does not fit, the title takes one line, unframed;
    // when even that does not fit, the bars go without a title.
    let rungs = m.ladder_len() as u16;
    let inner = if area.height >= rungs + 2 {
        let b = block(TITLE, theme);
        let inner = b.inner(area);
        f.render_widget(b, area);
        inner
    } else if area.height > rungs {
        let [title, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
        f.render_widget(
            Paragraph::new(Span::styled(format!(" {TITLE}"), theme.title())),
            title,
        );
        rest
    } else {
        area
    };
    let values: Vec<(&str, Option<f64>)> = m
        .rows
        .iter()
        .filter(|r| !r.extra)
        .map(|r| {
            (
                r.info.id,
                r.report.as_ref().and_then(|x| x.speedup_vs_baseline),
            )
        })
        .collect();
    let max = values
        .iter()
        .filter_map(|(_, v)| *v)
        .fold(10.0_f64, f64::max);
    let label_w = 12usize;
    let value_w = 7usize;
    let bar_w = (inner.width as usize).saturating_sub(label_w + value_w + 1);
    let lines: Vec<Line> = values
        .iter()
        .take(inner.height as usize)
        .map(|(id, v)| {
            let mut spans = vec![Span::styled(format!("{id:<label_w$}"), theme.base())];
            if let Some(s) = v {
                // log10(1) = 0 gets a sliver so the baseline is visible.
                let frac = (s.max(1.0).log10() / max.log10()).clamp(0.0, 1.0);
                spans.push(Span::styled(
                    eighths_bar(frac * bar_w as f64),
                    Style::default().fg(theme.bar),
                ));
                spans.push(Span::styled(
                    format!(" {}", human_speedup(Some(*s))),
                    theme.title(),
                ));
            } else {
                spans.push(Span::styled("·", theme.dim()));
            }
            Line::from(spans)
        })
        .collect();
    f.render_widget(Paragraph::new(lines).style(theme.base()), inner);
}

fn draw_about(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    let row = &m.rows[m.selected];
    let mut lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", row.info.title), theme.title()),
            Span::styled(format!("({})", row.info.step), theme.dim()),
        ]),
        Line::from(vec![
            Span::styled("changed: ", theme.dim()),
            Span::styled(row.info.what_changed, theme.base()),
        ]),
        Line::from(vec![
            Span::styled("why: ", theme.dim()),
            Span::styled(row.info.why, theme.base()),
        ]),
    ];
    if let Some(c) = row.report.as_ref().and_then(|r| r.compile) {
        let text = if c.cached {
            "reused from an earlier run".to_string()
        } else {
            format!(
                "{} (part of set-up)",
                crate::report::human_seconds(c.seconds)
            )
        };
        lines.push(Line::from(vec![
            Span::styled("compile: ", theme.dim()),
            Span::styled(text, theme.base()),
        ]));
    }
    if let Some(r) = row.report.as_ref().filter(|r| r.has_time()) {
        if let Some(rep) = &r.repeat {
            lines.push(Line::from(vec![
                Span::styled("runs: ", theme.dim()),
                Span::styled(
                    format!(
                        "median of {}{}, {} (spread {:.0}%)",
                        r.runs(),
                        if r.runs() < rep.asked {
                            format!(" of {} asked", rep.asked)
                        } else {
                            String::new()
                        },
                        crate::report::range_cell(r),
                        rep.spread * 100.0
                    ),
                    theme.base(),
                ),
            ]));
        }
        // A rung that skips work (the triangle, a top-k's block) shows GFLOP/s past the
        // peak in the title: said where the figure is read, as the report's note says it.
        if r.gflops_work > 0.0 && r.gflops_effective > 1.5 * r.gflops_work {
            lines.push(Line::from(vec![
                Span::styled("GFLOP/s: ", theme.dim()),
                Span::styled(
                    format!(
                        "effective, the full matrix's 2·n²·d over its time; it does {:.1}x less \
                         arithmetic, so it can pass the peak (% pk counts what it did)",
                        r.gflops_effective / r.gflops_work
                    ),
                    theme.base(),
                ),
            ]));
        }
        if let Some(l) = r.load_elsewhere.filter(|_| r.under_load()) {
            lines.push(Line::from(Span::styled(
                format!(
                    "! {}: its time and % of peak may read low",
                    crate::report::gate::load_words(l)
                ),
                Style::default().fg(theme.warn),
            )));
        }
    }
    if let Status::Failed(why) = &row.status {
        lines.push(Line::from(Span::styled(
            format!("failed: {why}"),
            Style::default().fg(theme.bad),
        )));
    }
    if let Status::Unavailable(why) = &row.status {
        lines.push(Line::from(Span::styled(
            format!("cannot run here: {why}"),
            theme.dim(),
        )));
    }
    if row.status == Status::Locked {
        lines.push(Line::from(Span::styled(
            "locked until the rung before it has run: climb in order",
            theme.dim(),
        )));
    }
    f.render_widget(
        Paragraph::new(lines)
            .block(block("About this rung", theme))
            .wrap(Wrap { trim: true }),
        area,
    );
}
