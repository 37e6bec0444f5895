//! The live panel: the running rung's progress and throughput, each core's load and the
//! memory in use. The ladder, the demo and the lessons' run steps show it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::widgets::{LineGauge, Paragraph, Sparkline, Wrap};

use crate::report::human_seconds;
use crate::run::Phase;
use crate::tui::model::Model;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::workload::human_bytes;

/// Progress, throughput, CPU and memory, live.
pub fn draw(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    let title = match &m.live {
        Some(l) if !l.finished => format!("Live: {}", m.rows[l.index].info.id),
        Some(l) => format!("Last run: {}", m.rows[l.index].info.id),
        None => "Live".to_string(),
    };
    let b = block(&title, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let cores = m.cpu.len().max(1) as u16;
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

    match &m.live {
        None => {
            f.render_widget(
                Paragraph::new(m.idle_hint)
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
            let mut line = format!("{phase} · rows {}/{}{eta}", l.rows_done, l.rows_total);
            // A narrow panel drops the word "rows" before it would cut the ETA's unit off.
            if line.chars().count() > usize::from(status.width) {
                line = format!("{phase} · {}/{}{eta}", l.rows_done, l.rows_total);
            }
            f.render_widget(Paragraph::new(line).style(theme.base()), status);
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

    let cpu_rows = Layout::vertical(vec![Constraint::Length(1); m.cpu.len().max(1)]).split(cpu);
    for (i, h) in m.cpu.iter().enumerate() {
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
    if m.cpu.is_empty() {
        f.render_widget(Paragraph::new("cpu: sampling…").style(theme.dim()), cpu);
    }
    if m.total_memory == 0 {
        f.render_widget(Paragraph::new("memory: sampling…").style(theme.dim()), mem);
        return;
    }
    // While a peer runs, the gauge shows its process: that is where the work and memory are.
    // A lesson's program (the leak lesson's service) is drawn while the lesson shows it: its
    // climb is the point.
    let program = m
        .program_rss
        .as_ref()
        .filter(|p| p.history.last().is_some());
    let (rss, who) = match (program, m.peer_rss) {
        (Some(p), _) => (p.history.last().unwrap_or(0), format!("{} RSS", p.name)),
        (None, Some(r)) if m.running() => (r, "peer RSS".to_string()),
        _ => (m.rss.last().unwrap_or(0), "RSS".to_string()),
    };
    let series = program.map_or(&m.rss, |p| &p.history);
    let total = m.total_memory.max(1);
    // The history is drawn from just below its lowest point, not from zero: a leak of a few
    // MiB a run on a process of a hundred and more is then a visible step. A line above it
    // says the scale.
    let data: Vec<u64> = series
        .tail(mem_spark.width as usize)
        .map(|b| b >> 20)
        .collect();
    let (lo, hi) = (
        data.iter().copied().min().unwrap_or(0),
        data.iter().copied().max().unwrap_or(0),
    );
    let floor = lo.saturating_sub(((hi - lo) / 8).max(1));
    let label = format!(
        "{who} {} of {}",
        human_bytes(rss),
        human_bytes(m.total_memory)
    );
    f.render_widget(
        LineGauge::default()
            .ratio((rss as f64 / total as f64).clamp(0.0, 1.0))
            .filled_style(Style::default().fg(theme.warn))
            .unfilled_style(theme.dim())
            .label(label),
        mem,
    );
    if mem_spark.height > 2 && !data.is_empty() {
        let [said, spark] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(mem_spark);
        f.render_widget(
            Paragraph::new(format!("{who} history, {lo}–{hi} MiB")).style(theme.dim()),
            said,
        );
        let shifted: Vec<u64> = data.iter().map(|v| v - floor).collect();
        // Headroom above the highest point, so a flat line does not fill the box.
        let top = (hi - floor).max(1);
        f.render_widget(
            Sparkline::default()
                .data(&shifted)
                .max(top + top / 4)
                .style(Style::default().fg(theme.warn)),
            spark,
        );
    }
}
