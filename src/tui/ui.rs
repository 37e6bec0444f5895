//! The views: they read `&App` and draw; they never change state or call a kernel.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, LineGauge, Paragraph, Row, Sparkline, Table, Wrap};

use super::app::{App, Notice, Screen, Status, WorkloadState};
use super::help::HELP;
use super::theme::Theme;
use super::widgets::{block, eighths_bar, status_cell};
use crate::report::{human_seconds, human_speedup, time_cell};
use crate::run::Phase;
use crate::workload::human_bytes;

/// The smallest terminal the app draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 18;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    f.render_widget(Block::default().style(theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "The terminal is too small: {}×{}.\nladder needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n\
             Enlarge the window (or shrink the font). q quits.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(theme.base())
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [title, body, notice, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_title(f, app, theme, title);
    match app.screen {
        Screen::Ladder if app.demo.is_some() => draw_demo(f, app, theme, body),
        Screen::Ladder => draw_ladder(f, app, theme, body),
        Screen::Settings => draw_settings(f, app, theme, body),
        Screen::Results => draw_results(f, app, theme, body),
        Screen::History => draw_history(f, app, theme, body),
        Screen::Flame => draw_flame(f, app, theme, body),
        Screen::Scale => draw_scale(f, app, theme, body),
        Screen::Lessons => super::lessons_view::draw(f, app, theme, body),
    }
    draw_notice(f, app, theme, notice);
    draw_keys(f, app, theme, keys);
    if app.show_help {
        draw_help(f, app, theme, area);
    }
}

fn draw_title(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let workload = match &app.workload {
        WorkloadState::Loading => "preparing the workload…".to_string(),
        WorkloadState::Ready(m) => format!("{} × {} {} seed {}", m.n, m.d, m.source, m.seed),
        WorkloadState::Failed(_) => "no workload (s: settings)".to_string(),
    };
    let machine = match &app.machine {
        None => "measuring the machine…".to_string(),
        Some(m) => format!(
            "{} cores {} · peak {:.0}/{:.0} GFLOP/s",
            m.logical_cores, m.kernel_isa, m.peak_gflops_core, m.peak_gflops_all
        ),
    };
    let line = Line::from(vec![
        Span::styled(" ladder ", theme.title()),
        Span::styled(format!("· {workload} · {machine}"), theme.dim()),
    ]);
    f.render_widget(Paragraph::new(line).style(theme.base()), area);
}

/// The ladder table: one row a rung.
/// The ladder table; `ladder_only` leaves out the lesson rungs (the demo climbs the ladder).
fn draw_table(f: &mut Frame, app: &App, theme: &Theme, area: Rect, wide: bool, ladder_only: bool) {
    let mut header = vec!["", "rung"];
    if wide {
        header.push("step");
    }
    header.extend([
        "status", "time", "GFLOP/s", "% pk", "vs base", "vs prev", "ok",
    ]);
    let rows: Vec<Row> = app
        .rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !(ladder_only && r.extra))
        .map(|(i, r)| {
            let rep = r.report.as_ref().filter(|rep| rep.has_time());
            let mut cells = vec![
                Cell::from(if i == app.selected { "▶" } else { " " }),
                Cell::from(r.info.id),
            ];
            if wide {
                cells.push(Cell::from(r.info.step.to_string()));
            }
            cells.push(status_cell(&r.status, theme));
            cells.push(Cell::from(rep.map(time_cell).unwrap_or_default()));
            cells.push(Cell::from(
                rep.map(|x| format!("{:.1}", x.gflops_effective))
                    .unwrap_or_default(),
            ));
            // Approximate rungs and peers read "-", as in the CLI's tables.
            cells.push(Cell::from(
                rep.map(crate::report::peak_cell).unwrap_or_default(),
            ));
            cells.push(Cell::from(
                rep.map(|x| human_speedup(x.speedup_vs_baseline))
                    .unwrap_or_default(),
            ));
            cells.push(Cell::from(
                rep.map(|x| human_speedup(x.speedup_vs_previous))
                    .unwrap_or_default(),
            ));
            let ok = match rep.and_then(|x| x.verification.as_ref()) {
                Some(v) if v.passed => Cell::from("✓").style(Style::default().fg(theme.good)),
                Some(_) => Cell::from("✗").style(Style::default().fg(theme.bad)),
                None => Cell::from(""),
            };
            cells.push(ok);
            let row = Row::new(cells);
            if i == app.selected {
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
    let shown = app.rows.iter().filter(|r| !(ladder_only && r.extra));
    let shown_len = shown.clone().count();
    // When the rows do not all fit, the table scrolls so that the selected one stays in view.
    let selected = app.rows[..app.selected.min(app.rows.len())]
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
        let inside = Rect {
            x: area.x + 1,
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(1),
            ..area
        };
        f.render_stateful_widget(table, inside, &mut state);
    }
}

/// Horizontal bars of the speedup against the baseline on a log scale, so 10x and 1000x are
/// both readable.
fn draw_speedups(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    const TITLE: &str = "Speedup vs baseline (log scale)";
    // Every rung gets a line: when the box does not fit, the title takes one line, unframed;
    // when even that does not fit, the bars go without a title.
    let rungs = app.ladder_len() as u16;
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
    let values: Vec<(&str, Option<f64>)> = app
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

fn draw_about(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let row = &app.rows[app.selected];
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
    if let Status::Failed(why) = &row.status {
        lines.push(Line::from(Span::styled(
            format!("failed: {why}"),
            Style::default().fg(theme.bad),
        )));
    }
    if row.status == Status::Locked {
        lines.push(Line::from(Span::styled(
            "locked until the rung below has run: climb in order",
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

/// The live panel, for other views (the lessons' run steps).
pub(crate) fn draw_live_panel(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    draw_live(f, app, theme, area);
}

/// Progress, throughput, CPU and memory, live.
fn draw_live(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let title = match &app.live {
        Some(l) if !l.finished => format!("Live: {}", app.rows[l.index].info.id),
        Some(l) => format!("Last run: {}", app.rows[l.index].info.id),
        None => "Live".to_string(),
    };
    let b = block(&title, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let cores = app.cpu.len().max(1) as u16;
    // Lines left for the two sparklines: two thirds to throughput, the rest to memory.
    // Gauges first; the sparklines get what is left (nothing on a short screen).
    let spare = inner.height.saturating_sub(4 + cores);
    let spark_h = spare * 2 / 3;
    let mem_spark_h = spare.saturating_sub(spark_h);
    let [status, gauge, rate, spark, cpu, mem, mem_spark, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(spark_h),
        Constraint::Length(cores),
        Constraint::Length(1),
        Constraint::Length(mem_spark_h),
        Constraint::Min(0),
    ])
    .areas(inner);

    match &app.live {
        None => {
            f.render_widget(
                Paragraph::new("Select a rung and press Enter; a climbs the whole ladder.")
                    .style(theme.dim())
                    .wrap(Wrap { trim: true }),
                Rect {
                    height: 3,
                    ..status
                },
            );
        }
        Some(l) => {
            let phase = match (l.finished, l.phase) {
                (true, _) => "finished",
                (_, Phase::Setup) => "setting up (not timed as kernel)",
                (_, Phase::Kernel) => "running",
                (_, Phase::Verify) => "verifying against float64",
            };
            let eta = match l.eta() {
                Some((s, true)) => format!(" · budget stop in {}", human_seconds(s)),
                Some((s, false)) => format!(" · ETA {}", human_seconds(s)),
                None => String::new(),
            };
            f.render_widget(
                Paragraph::new(format!(
                    "{phase} · rows {}/{}{eta}",
                    l.rows_done, l.rows_total
                ))
                .style(theme.base()),
                status,
            );
            f.render_widget(
                LineGauge::default()
                    .ratio(l.work_done.clamp(0.0, 1.0))
                    .filled_style(Style::default().fg(theme.accent))
                    .unfilled_style(theme.dim())
                    .label(format!("{:>3.0}%", l.work_done * 100.0)),
                gauge,
            );
            let mut line = format!(
                "{:.3e} pairs/s · {:.1} GFLOP/s effective",
                l.pairs_per_s, l.gflops_avg
            );
            if line.chars().count() > usize::from(rate.width) {
                // A narrow panel drops the qualifier rather than cutting a word.
                line.truncate(line.len() - " effective".len());
            }
            f.render_widget(Paragraph::new(line).style(theme.base()), rate);
            let data: Vec<u64> = l
                .gflops
                .tail(spark.width as usize)
                .map(|g| g.max(0.0).round() as u64)
                .collect();
            f.render_widget(
                Sparkline::default()
                    .data(&data)
                    .style(Style::default().fg(theme.bar)),
                spark,
            );
        }
    }

    let cpu_rows = Layout::vertical(vec![Constraint::Length(1); app.cpu.len().max(1)]).split(cpu);
    for (i, h) in app.cpu.iter().enumerate() {
        let v = h.last().unwrap_or(0.0);
        f.render_widget(
            LineGauge::default()
                .ratio(f64::from(v / 100.0).clamp(0.0, 1.0))
                .filled_style(Style::default().fg(if v > 90.0 { theme.good } else { theme.accent }))
                .unfilled_style(theme.dim())
                .label(format!("cpu{i} {v:>3.0}%")),
            cpu_rows[i],
        );
    }
    if app.cpu.is_empty() {
        f.render_widget(Paragraph::new("cpu: sampling…").style(theme.dim()), cpu);
    }
    if app.total_memory == 0 {
        f.render_widget(Paragraph::new("memory: sampling…").style(theme.dim()), mem);
        return;
    }
    // While a peer runs, the gauge shows its process: that is where the work and memory are.
    let (rss, who) = match app.peer_rss {
        Some(r) if app.running() => (r, "peer RSS"),
        _ => (app.rss.last().unwrap_or(0), "RSS"),
    };
    let total = app.total_memory.max(1);
    f.render_widget(
        LineGauge::default()
            .ratio((rss as f64 / total as f64).clamp(0.0, 1.0))
            .filled_style(Style::default().fg(theme.warn))
            .unfilled_style(theme.dim())
            .label(format!(
                "{who} {} of {}",
                human_bytes(rss),
                human_bytes(app.total_memory)
            )),
        mem,
    );
    if mem_spark.height > 0 {
        let data: Vec<u64> = app
            .rss
            .tail(mem_spark.width as usize)
            .map(|b| b >> 20)
            .collect();
        // Headroom above the highest point, so a flat line does not fill the box.
        let top = data.iter().copied().max().unwrap_or(1).max(1);
        f.render_widget(
            Sparkline::default()
                .data(&data)
                .max(top + top / 4)
                .style(Style::default().fg(theme.warn)),
            mem_spark,
        );
    }
}

fn draw_ladder(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    // Every rung keeps a line in the chart; the table takes what is left (it scrolls to the
    // selected row when that is too little).
    let table_h = (app.rows.len() as u16 + 3)
        .min(area.height.saturating_sub(app.ladder_len() as u16))
        .max(4);
    let [table, bottom] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(0)]).areas(area);
    draw_table(f, app, theme, table, area.width >= 100, false);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    let chart_h = app.ladder_len() as u16 + 2;
    let [chart, about] =
        Layout::vertical([Constraint::Length(chart_h), Constraint::Min(0)]).areas(left);
    draw_speedups(f, app, theme, chart);
    draw_about(f, app, theme, about);
    draw_live(f, app, theme, right);
}

/// Demo mode: a large figure for the room, the ladder and the live panel.
fn draw_demo(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    // Tall screens frame the figure; short ones (large projector fonts) give it every line.
    let framed = area.height >= 30;
    let big_h = if framed { 9 } else { 6 };
    let table_h = app.ladder_len() as u16 + 3;
    let [big, table, bottom] = Layout::vertical([
        Constraint::Length(big_h),
        Constraint::Length(table_h),
        Constraint::Min(0),
    ])
    .areas(area);
    let last = app
        .rows
        .iter()
        .filter_map(|r| r.report.as_ref().filter(|x| x.has_time()))
        .next_back();
    let (figure, caption) = match (last, &app.live) {
        (_, Some(l)) if !l.finished => (
            format!("{:.0}", l.gflops_avg),
            format!("GFLOP/s · {} running", app.rows[l.index].info.id),
        ),
        (Some(r), _) => (
            human_speedup(r.speedup_vs_baseline),
            format!(
                "{} · {} faster than {}",
                r.rung,
                human_speedup(r.speedup_vs_baseline),
                app.rows[0].info.id
            ),
        ),
        (None, _) => (
            "ladder".to_string(),
            "the demo starts in a moment".to_string(),
        ),
    };
    let paused = app.demo.as_ref().is_some_and(|d| d.paused);
    let caption = if paused {
        format!("{caption} · PAUSED")
    } else {
        caption
    };
    let inner = if framed {
        let b = block("Demo", theme);
        let inner = b.inner(big);
        f.render_widget(b, big);
        inner
    } else {
        big
    };
    let mut lines: Vec<Line> = big_text(&figure)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, Style::default().fg(theme.accent))))
        .collect();
    lines.push(Line::from(Span::styled(caption, theme.title())));
    f.render_widget(Paragraph::new(lines).alignment(Alignment::Center), inner);
    draw_table(f, app, theme, table, area.width >= 100, true);
    // On a small screen (a projector's large font) the speedups matter more than the gauges.
    if bottom.height < app.ladder_len() as u16 + 4 {
        draw_speedups(f, app, theme, bottom);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    draw_speedups(f, app, theme, left);
    draw_live(f, app, theme, right);
}

/// Five rows of block glyphs, for figures a room can read.
fn big_text(s: &str) -> Vec<String> {
    fn glyph(c: char) -> [&'static str; 5] {
        match c {
            '0' => ["███", "█ █", "█ █", "█ █", "███"],
            '1' => [" █ ", "██ ", " █ ", " █ ", "███"],
            '2' => ["███", "  █", "███", "█  ", "███"],
            '3' => ["███", "  █", "███", "  █", "███"],
            '4' => ["█ █", "█ █", "███", "  █", "  █"],
            '5' => ["███", "█  ", "███", "  █", "███"],
            '6' => ["███", "█  ", "███", "█ █", "███"],
            '7' => ["███", "  █", "  █", "  █", "  █"],
            '8' => ["███", "█ █", "███", "█ █", "███"],
            '9' => ["███", "█ █", "███", "  █", "███"],
            '.' => ["   ", "   ", "   ", "   ", " █ "],
            'x' => ["   ", "█ █", " █ ", "█ █", "   "],
            '-' => ["   ", "   ", "███", "   ", "   "],
            _ => ["   ", "   ", "   ", "   ", "   "],
        }
    }
    if !s.chars().all(|c| c.is_ascii_digit() || ".x-".contains(c)) {
        return vec![
            String::new(),
            String::new(),
            s.to_string(),
            String::new(),
            String::new(),
        ];
    }
    (0..5)
        .map(|row| {
            s.chars()
                .map(|c| glyph(c)[row])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn draw_settings(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let mut lines = vec![
        Line::from(Span::styled(
            "Changing n, d, seed or data prepares a new workload and clears the results.",
            theme.dim(),
        )),
        Line::from(""),
    ];
    for (i, (label, value, hint)) in app.shown_settings().fields().iter().enumerate() {
        let selected = i == app.form.selected;
        let shown = match (&app.form.editing, selected) {
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
            if let Some(e) = &app.form.error {
                lines.push(Line::from(Span::styled(
                    format!("    ✗ {e}"),
                    Style::default().fg(theme.bad),
                )));
            }
        }
    }
    lines.push(Line::from(""));
    let state = match &app.workload {
        _ if app.pending.is_some() => "workload: preparing the new one…".to_string(),
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

fn draw_results(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
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
    let rows: Vec<Row> = app
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
            "m writes this table as Markdown to {} (atomically). ~ marks times extrapolated from the budget.",
            app.notes_path.display()
        )
    };
    f.render_widget(
        Paragraph::new(text)
            .style(theme.dim())
            .wrap(Wrap { trim: true }),
        note,
    );
}

/// Each rung's benchmarked speedup over the recorded runs, on a log scale.
/// "1k", "4.5k", "20k": sizes for an axis.
fn human_n(n: f64) -> String {
    if n >= 1000.0 {
        let k = n / 1000.0;
        if (k - k.round()).abs() < 0.05 {
            format!("{:.0}k", k.round())
        } else {
            format!("{k:.1}k")
        }
    } else {
        format!("{n:.0}")
    }
}

/// The scaling sweep on log-log axes: time against n, one line a rung, its fitted exponent in
/// the legend.
fn draw_scale(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    use crate::tui::app::{SCALE_RUNGS, SCALE_SIZES};
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType};

    let sw = &app.scale;
    let title = if sw.data.is_empty() {
        "How time grows with n (log-log)".to_string()
    } else {
        format!("How time grows with n (log-log) · {}", sw.data)
    };
    let b = block(&title, theme);
    if sw.sweep.points.is_empty() && !sw.running {
        let mut lines = vec![
            Line::from(format!(
                "Enter sweeps {} over n = {} (about a minute; Esc cancels).",
                SCALE_RUNGS.join(", "),
                SCALE_SIZES.map(|n| n.to_string()).join(", ")
            )),
            Line::from(""),
            Line::from(
                "On log-log axes a cost that grows as nᵇ is a straight line of slope b: 2 for \
                 the all-pairs rungs. The index answers each query in less than linear time, \
                 so its line is flatter: where it crosses the others is where it starts to pay.",
            ),
        ];
        if !sw.status.is_empty() {
            lines.push(Line::from(""));
            lines.push(Line::from(sw.status.as_str()));
        }
        f.render_widget(
            Paragraph::new(lines)
                .style(theme.base())
                .wrap(Wrap { trim: true })
                .block(b),
            area,
        );
        return;
    }
    let skipped_h = u16::from(!sw.sweep.skipped.is_empty());
    let [chart_area, status_area, skipped_area] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(1),
        Constraint::Length(skipped_h),
    ])
    .areas(area);
    let palette = [theme.accent, theme.good, theme.warn, theme.bad, theme.bar];
    let series: Vec<(String, Vec<(f64, f64)>)> = SCALE_RUNGS
        .iter()
        .filter_map(|id| {
            let mut pts: Vec<_> = sw.sweep.points.iter().filter(|p| p.rung == *id).collect();
            if pts.is_empty() {
                return None;
            }
            pts.sort_by_key(|p| p.n);
            let mut name = match sw.sweep.exponent_of(id) {
                Some(e) => format!("{id} n^{e:.2}"),
                None => (*id).to_string(),
            };
            if pts.iter().any(|p| !p.verified) {
                name.push_str(" ✗");
            }
            let data = pts
                .iter()
                .map(|p| ((p.n as f64).log10(), p.seconds.max(1e-6).log10()))
                .collect();
            Some((name, data))
        })
        .collect();
    let (lo_t, hi_t) = series
        .iter()
        .flat_map(|(_, d)| d.iter().map(|&(_, y)| y))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), y| {
            (lo.min(y), hi.max(y))
        });
    let (y0, y1) = if lo_t.is_finite() {
        (lo_t.floor(), hi_t.ceil().max(lo_t.floor() + 1.0))
    } else {
        (-3.0, 0.0)
    };
    let x0 = (SCALE_SIZES[0] as f64).log10();
    let x1 = (SCALE_SIZES[SCALE_SIZES.len() - 1] as f64).log10();
    let datasets: Vec<Dataset> = series
        .iter()
        .enumerate()
        .map(|(i, (name, pts))| {
            Dataset::default()
                .name(name.clone())
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(palette[i % palette.len()]))
                .data(pts)
        })
        .collect();
    // Labels are spread evenly along an axis, so each names the value at its own place.
    let x_labels: Vec<Span> = (0..3)
        .map(|i| Span::raw(human_n(10f64.powf(x0 + (x1 - x0) * f64::from(i) / 2.0))))
        .collect();
    let y_labels: Vec<Span> = (y0 as i32..=y1 as i32)
        .map(|p| Span::raw(crate::report::human_seconds(10f64.powi(p))))
        .collect();
    let chart = Chart::new(datasets)
        .block(b)
        .style(theme.base())
        .legend_position(Some(ratatui::widgets::LegendPosition::TopLeft))
        .hidden_legend_constraints((Constraint::Ratio(1, 1), Constraint::Ratio(1, 1)))
        .x_axis(
            Axis::default()
                .title("n (log)")
                .style(theme.dim())
                .bounds([x0, x1])
                .labels(x_labels),
        )
        .y_axis(
            Axis::default()
                .title("time (log)")
                .style(theme.dim())
                .bounds([y0, y1])
                .labels(y_labels),
        );
    f.render_widget(chart, chart_area);
    let status = if sw.running {
        format!(" sweeping · {}", sw.status)
    } else {
        format!(" {}", sw.status)
    };
    f.render_widget(
        Paragraph::new(Span::styled(status, theme.dim())).style(theme.base()),
        status_area,
    );
    if skipped_h > 0 {
        let text = sw
            .sweep
            .skipped
            .iter()
            .map(|s| format!("{} at n = {}", s.rung, s.n))
            .collect::<Vec<_>>()
            .join(", ");
        f.render_widget(
            Paragraph::new(Span::styled(
                format!(" skipped (too large for memory): {text}"),
                Style::default().fg(theme.warn),
            ))
            .style(theme.base()),
            skipped_area,
        );
    }
}

fn draw_history(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType};

    let groups = crate::report::history::by_machine(&app.history);
    let Some((machine, picked)) = groups.get(app.history_machine).or_else(|| groups.first()) else {
        let mut lines = vec![Line::from(format!(
            "No history in {}. Record runs with `ladder bench --record`.",
            app.history_path.display()
        ))];
        lines.extend(app.history_warnings.iter().map(|w| Line::from(w.as_str())));
        let b = block("Benchmark history", theme);
        f.render_widget(Paragraph::new(lines).style(theme.dim()).block(b), area);
        return;
    };
    // Speedups move between CPUs, so one machine's runs at a time.
    let others = if groups.len() > 1 {
        format!(
            " · {}/{} ← →",
            app.history_machine.min(groups.len() - 1) + 1,
            groups.len()
        )
    } else {
        String::new()
    };
    let b = block(&format!("Benchmark history · {machine}{others}"), theme);
    let entries: Vec<&crate::report::history::HistoryEntry> =
        picked.iter().map(|&i| &app.history[i]).collect();
    if let [only] = entries[..] {
        // One run draws no line: list it, and say how a trend starts.
        let mut lines = vec![
            Line::from(format!(
                "One recorded run: commit {} on {}, n = {}",
                only.commit.chars().take(12).collect::<String>(),
                only.date.get(..10).unwrap_or(&only.date),
                only.workload.n
            )),
            Line::from(""),
        ];
        lines.extend(only.rungs.iter().map(|r| {
            Line::from(format!(
                "  {:<12} {:>8} over {}   {:>5.1}% of peak",
                r.rung,
                crate::report::human_speedup(Some(r.speedup_vs_baseline)),
                only.baseline_rung,
                r.peak_fraction * 100.0
            ))
        }));
        lines.push(Line::from(""));
        lines.push(Line::from(
            "Record more with `ladder bench --record` to see a trend here.",
        ));
        f.render_widget(Paragraph::new(lines).style(theme.base()).block(b), area);
        return;
    }
    let palette = [
        theme.accent,
        theme.good,
        theme.warn,
        theme.bar,
        theme.bad,
        theme.fg,
    ];
    let ids: Vec<&str> = app.rows.iter().map(|r| r.info.id).collect();
    let series: Vec<(&str, Vec<(f64, f64)>)> = ids
        .iter()
        .map(|id| {
            let pts = entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| {
                    e.rungs
                        .iter()
                        .find(|r| r.rung == *id)
                        .map(|r| (i as f64, r.speedup_vs_baseline.max(1e-3).log10()))
                })
                .collect();
            (*id, pts)
        })
        .filter(|(_, pts): &(&str, Vec<(f64, f64)>)| !pts.is_empty())
        .collect();
    let top = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(_, y)| y))
        .fold(1.0_f64, f64::max)
        .ceil();
    let datasets: Vec<Dataset> = series
        .iter()
        .enumerate()
        .map(|(i, (id, pts))| {
            Dataset::default()
                .name(*id)
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::default().fg(palette[i % palette.len()]))
                .data(pts)
        })
        .collect();
    let last = entries.len() - 1;
    let commit = |i: usize| entries[i].commit.chars().take(12).collect::<String>();
    let x_labels = if last == 0 {
        vec![Span::raw(commit(0))]
    } else {
        vec![Span::raw(commit(0)), Span::raw(commit(last))]
    };
    let y_labels: Vec<Span> = (0..=top as i32)
        .map(|p| Span::raw(format!("{}x", 10_u64.pow(p as u32))))
        .collect();
    let chart = Chart::new(datasets)
        .block(b)
        .style(theme.base())
        .legend_position(Some(ratatui::widgets::LegendPosition::Right))
        .hidden_legend_constraints((Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)))
        .x_axis(
            Axis::default()
                .title("recorded runs (oldest → newest)")
                .style(theme.dim())
                .bounds([0.0, last.max(1) as f64])
                .labels(x_labels),
        )
        .y_axis(
            Axis::default()
                .title("speedup over the baseline rung (log)")
                .style(theme.dim())
                .bounds([0.0, top])
                .labels(y_labels),
        );
    f.render_widget(chart, area);
}

/// A frame name for narrow bars: `<a::b::Type as c::Trait>::method` → `Type::method`, and
/// otherwise the last two path segments.
fn short_name(name: &str) -> std::borrow::Cow<'_, str> {
    if let (Some(rest), Some(close)) = (name.strip_prefix('<'), name.find(">::"))
        && let Some(as_at) = rest.find(" as ")
    {
        let ty = &rest[..as_at];
        let ty = ty.rsplit("::").next().unwrap_or(ty);
        return format!("{ty}::{}", &name[close + 3..]).into();
    }
    last_segments(name).into()
}

fn last_segments(name: &str) -> &str {
    let mut cut = name.len();
    let mut seen = 0;
    for (i, _) in name
        .match_indices("::")
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        seen += 1;
        cut = i + 2;
        if seen == 2 {
            break;
        }
    }
    if seen < 2 { name } else { &name[cut..] }
}

/// The icicle of the selected rung's profile, the search, and the top functions.
fn draw_flame(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    use crate::profile::FrameKind;
    let Some(tree) = app.flame_tree() else {
        return;
    };
    let id = app.rows[app.flame.rung].info.id;
    let zoomed = tree.at(&app.flame.path);
    let total = tree.total.max(1);
    let memory = app.flame.memory;
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(66), Constraint::Percentage(34)]).areas(area);
    let title = match (&app.memory, memory) {
        (Some((_, st)), true) => format!(
            "Memory: bytes still live · live {} · peak {} · {} allocations",
            human_bytes(st.live_bytes),
            human_bytes(st.peak_bytes),
            st.allocations
        ),
        _ => format!("Flamegraph: {id} ({} samples)", tree.total),
    };
    let b = block(&title, theme);
    let inner = b.inner(left);
    f.render_widget(b, left);
    let [crumbs, info, icicle] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let mut crumb = String::from("all");
    for p in &app.flame.path {
        crumb.push_str(" › ");
        crumb.push_str(&short_name(p));
    }
    let unit = if memory { "bytes" } else { "samples" };
    f.render_widget(
        Paragraph::new(format!(
            "{crumb}  ({:.1}% of {unit})",
            100.0 * zoomed.total as f64 / total as f64
        ))
        .style(theme.dim()),
        crumbs,
    );
    let selected = zoomed.children.get(app.flame.cursor);
    let search = if app.flame.search.is_empty() {
        String::new()
    } else {
        let hits = app
            .flame_profile()
            .map_or(0, |p| p.matching_samples(&app.flame.search));
        format!(
            " · search '{}'{}: {:.1}% of samples",
            app.flame.search,
            if app.flame.typing { "▏" } else { "" },
            100.0 * hits as f64 / total as f64
        )
    };
    let sel = selected.map_or_else(String::new, |c| {
        format!(
            "▶ {} {:.1}%",
            short_name(&c.name),
            100.0 * c.total as f64 / total as f64
        )
    });
    f.render_widget(
        Paragraph::new(format!("{sel}{search}")).style(theme.base()),
        info,
    );
    // The zoomed frame on the first row, its children below, and so on down.
    let bars = super::flame::layout(zoomed, icicle.width, icicle.height as usize);
    let needle = app.flame.search.to_lowercase();
    for bar in &bars {
        let kind_style = match bar.kind {
            FrameKind::Kernel => Style::default().fg(theme.bg).bg(theme.good),
            FrameKind::Runner => Style::default().fg(theme.bg).bg(theme.warn),
            FrameKind::Library => Style::default().fg(theme.bg).bg(theme.bar),
            FrameKind::System => Style::default().fg(theme.fg).bg(theme.selected_bg),
        };
        let hit = !needle.is_empty() && bar.name.to_lowercase().contains(&needle);
        let is_cursor = bar.depth == 1 && selected.is_some_and(|c| c.name == bar.name);
        let style = if hit {
            Style::default()
                .fg(theme.bg)
                .bg(theme.bad)
                .add_modifier(Modifier::BOLD)
        } else if is_cursor {
            kind_style.add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        } else {
            kind_style
        };
        let w = bar.width as usize;
        let label: String = short_name(&bar.name)
            .chars()
            .take(w.saturating_sub(1))
            .collect();
        let text = format!("{label:<w$}");
        let rect = Rect {
            x: icicle.x + bar.x,
            y: icicle.y + bar.depth as u16,
            width: bar.width.min(icicle.width.saturating_sub(bar.x)),
            height: 1,
        };
        f.render_widget(Paragraph::new(Span::styled(text, style)), rect);
    }
    // Against the rung below (after d): what this step changed, function by function.
    if let (Some(j), false) = (app.flame.diff_with, memory)
        && let (Some(before), Some(after)) = (
            app.profiles.get(j).and_then(Option::as_ref),
            app.profiles[app.flame.rung].as_ref(),
        )
    {
        let diff = crate::profile::Profile::diff_functions(
            before,
            after,
            right.height.saturating_sub(3) as usize,
        );
        let rows: Vec<Row> = diff
            .iter()
            .map(|(name, b, a)| {
                let delta = a - b;
                let colour = if delta > 0.0 { theme.bad } else { theme.accent };
                Row::new([
                    Cell::from(format!("{:>5.1}", b * 100.0)),
                    Cell::from(format!("{:>5.1}", a * 100.0)),
                    Cell::from(format!("{:>+6.1}", delta * 100.0))
                        .style(Style::default().fg(colour)),
                    Cell::from(short_name(name).into_owned()),
                ])
            })
            .collect();
        let title = format!("Self time: {} → {id}", app.rows[j].info.id);
        f.render_widget(
            Table::new(
                rows,
                [
                    Constraint::Length(6),
                    Constraint::Length(6),
                    Constraint::Length(7),
                    Constraint::Min(10),
                ],
            )
            .header(
                Row::new(["before", "after", "change", "function"])
                    .style(theme.dim().add_modifier(Modifier::BOLD)),
            )
            .block(block(&title, theme)),
            right,
        );
        return;
    }
    // Top functions, with a legend of the colours.
    let top = app
        .flame_profile()
        .map(|p| p.top_functions(right.height.saturating_sub(5) as usize))
        .unwrap_or_default();
    let mut rows: Vec<Row> = top
        .iter()
        .map(|fc| {
            Row::new([
                Cell::from(format!(
                    "{:>5.1}",
                    100.0 * fc.self_samples as f64 / total as f64
                )),
                Cell::from(format!(
                    "{:>5.1}",
                    100.0 * fc.total_samples as f64 / total as f64
                )),
                Cell::from(short_name(&fc.name).into_owned()).style(
                    match crate::profile::frame_kind(&fc.name) {
                        FrameKind::Kernel => Style::default().fg(theme.good),
                        FrameKind::Runner => Style::default().fg(theme.warn),
                        FrameKind::Library => Style::default().fg(theme.bar),
                        FrameKind::System => theme.dim(),
                    },
                ),
            ])
        })
        .collect();
    rows.push(Row::new([Cell::from(""), Cell::from(""), Cell::from("")]));
    rows.push(Row::new([
        Cell::from(""),
        Cell::from(""),
        Cell::from(Line::from(vec![
            Span::styled("kernel ", Style::default().fg(theme.good)),
            Span::styled("runner ", Style::default().fg(theme.warn)),
            Span::styled("library ", Style::default().fg(theme.bar)),
            Span::styled("system", theme.dim()),
        ])),
    ]));
    f.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(6),
                Constraint::Length(6),
                Constraint::Min(10),
            ],
        )
        .header(
            Row::new(["self%", "total%", "function"])
                .style(theme.dim().add_modifier(Modifier::BOLD)),
        )
        .block(block("Top functions", theme)),
        right,
    );
}

fn draw_notice(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let line = match &app.notice {
        Some(Notice::Info(s)) => Span::styled(format!(" {s}"), Style::default().fg(theme.accent)),
        Some(Notice::Error(s)) => Span::styled(format!(" {s}"), Style::default().fg(theme.bad)),
        None => Span::raw(""),
    };
    f.render_widget(Paragraph::new(Line::from(line)).style(theme.base()), area);
}

/// The keys that apply on the current screen (abbreviated for narrow terminals).
#[must_use]
pub fn footer_keys(app: &App, width: u16) -> &'static str {
    if width < 100 && app.screen == Screen::Ladder && app.demo.is_none() && !app.show_help {
        return "Enter · a climb · Esc · l lessons · s set · r res · h hist · g scale · ? · q";
    }
    match app.screen {
        _ if app.show_help => "↑↓ PgUp PgDn scroll · any other key: close help",
        Screen::Settings if app.form.editing.is_some() => "type a value · Enter apply · Esc cancel",
        Screen::Settings => "↑↓ field · Enter edit · Esc back · ? help · q quit",
        Screen::Results => "m write NOTES.md · Esc back · ? help · q quit",
        Screen::History => "←→ machine · Esc back · ? help · q quit",
        Screen::Scale if app.scale.running => "Esc cancel the sweep · ? help · q quit",
        Screen::Lessons if app.lessons.typing => "type · Enter submit · Esc stop typing",
        Screen::Lessons if app.lessons.open.is_none() => {
            "↑↓ choose · Enter open · R reset lesson · Esc back · ? help · q quit"
        }
        Screen::Lessons => {
            "←→ step · Enter do it · 1–9 answer · f flame · h hint · r redo · Esc list · q"
        }
        Screen::Scale => "Enter sweep · Esc back · ? help · q quit",
        Screen::Flame if app.flame.typing => "type to search · Enter keep · Esc clear",
        Screen::Flame => {
            "←→ frame · Enter zoom · ⌫ out · / search · t CPU/memory · e SVG · d diff · Esc"
        }
        Screen::Ladder if app.demo.is_some() => {
            "space pause · n next · r repeat · Esc cancel · m NOTES.md · ? help · q quit"
        }
        Screen::Ladder => {
            "↑↓ select · Enter run · a climb all · Esc cancel · l lessons · f flamegraph · s settings · r results · h history · g scaling · m NOTES.md · ? help · q quit"
        }
    }
}

fn draw_keys(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    f.render_widget(
        Paragraph::new(Span::styled(
            format!(" {}", footer_keys(app, area.width)),
            theme.dim(),
        ))
        .style(theme.base()),
        area,
    );
}

/// Every key, by screen.
fn draw_help(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let total = HELP.len();
    let h = (total as u16 + 2).min(area.height);
    let w = 78.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let rows = usize::from(h.saturating_sub(2)).max(1);
    app.help_rows.set(rows);
    let top = app.help_scroll.min(total.saturating_sub(rows));
    let lines: Vec<Line> = HELP
        .iter()
        .skip(top)
        .take(rows)
        .map(|(k, v)| {
            if v.is_empty() {
                Line::from(Span::styled(*k, theme.title()))
            } else {
                Line::from(vec![
                    Span::styled(
                        format!("  {k:<12}"),
                        theme.base().add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(*v, theme.base()),
                ])
            }
        })
        .collect();
    let mut frame = block("Keys", theme);
    if rows < total {
        // Taller than the terminal: say where the rest is.
        let more = match (top > 0, top + rows < total) {
            (true, true) => " ↑ ↓ more ",
            (true, false) => " ↑ more ",
            _ => " ↓ more ",
        };
        frame = frame.title_bottom(Line::from(Span::styled(more, theme.dim())).right_aligned());
    }
    f.render_widget(Clear, popup);
    f.render_widget(Paragraph::new(lines).block(frame), popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_text_draws_digits_and_falls_back_for_words() {
        let t = big_text("10x");
        assert_eq!(t.len(), 5);
        assert_eq!(t[0], " █  ███    ");
        assert_eq!(big_text("ladder")[2], "ladder");
    }
}
