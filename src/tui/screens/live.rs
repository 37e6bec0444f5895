//! The live panel: the running rung's progress and throughput, each core's load and the
//! memory in use. The ladder, the demo and the lessons' run steps show it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{LineGauge, Paragraph, Sparkline, Wrap};

use crate::report::human_seconds;
use crate::run::Phase;
use crate::tui::model::{Model, Status};
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::workload::human_bytes;

/// Progress, throughput, CPU and memory, live.
pub fn draw(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    draw_with(f, m, theme, area, m.idle_hint);
}

/// The same, saying `idle` while nothing has run (a screen's own words for what shows here).
pub fn draw_with(f: &mut Frame, m: &Model, theme: &Theme, area: Rect, idle: &str) {
    draw_inner(f, m, theme, area, idle, false);
}

/// The same for a lesson's step: a program it runs (the leak lesson's service) is what the
/// panel is about, not the rung that ran last.
pub fn draw_for_lesson(f: &mut Frame, m: &Model, theme: &Theme, area: Rect, idle: &str) {
    draw_inner(f, m, theme, area, idle, true);
}

fn draw_inner(f: &mut Frame, m: &Model, theme: &Theme, area: Rect, idle: &str, lesson: bool) {
    // The program the panel is titled by: one the lesson ran, with its memory read.
    let program = m
        .program_rss
        .as_ref()
        .filter(|p| lesson && !m.running() && p.history.last().is_some());
    let titled_by_program = program.is_some();
    let title = match (&m.live, program) {
        (_, Some(p)) if p.running => format!("Live: {}", p.name),
        (_, Some(p)) => format!("Last run: {}", p.name),
        (Some(l), None) if !l.finished => format!("Live: {}", m.rows[l.index].info.id),
        (Some(l), None) => format!("Last run: {}", m.rows[l.index].info.id),
        (None, None) => "Live".to_string(),
    };
    let b = block(&title, theme);
    let inner = b.inner(area);
    f.render_widget(b, area);
    let cores = m.cpu.len().max(1) as u16;
    // Lines left for the two sparklines: two thirds to throughput, the rest to memory.
    // Gauges first; the sparklines get what is left (nothing on a short screen).
    // The load line only where the gauges all fit beside it: a core's gauge comes first.
    let load_h = u16::from(inner.height > 4 + cores);
    let spare = inner.height.saturating_sub(4 + load_h + cores);
    let spark_h = spare * 2 / 3;
    let mem_spark_h = spare.saturating_sub(spark_h);
    let [status, gauge, rate, spark, cpu, load, mem, mem_spark, _] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(spark_h),
        Constraint::Length(cores),
        Constraint::Length(load_h),
        Constraint::Length(1),
        Constraint::Length(mem_spark_h),
        Constraint::Min(0),
    ])
    .areas(inner);

    draw_load(f, m, theme, load);
    // Words where no run's figures are: three dim lines, wrapped.
    let say = |f: &mut Frame, words: &str| {
        f.render_widget(
            Paragraph::new(words.to_string())
                .style(theme.dim())
                .wrap(Wrap { trim: true }),
            Rect {
                height: 3,
                ..status
            },
        );
    };
    match (&m.live, program) {
        (_, Some(p)) => {
            let how = if p.running { "is running" } else { "ran" };
            say(
                f,
                &format!(
                    "{} {how}: its memory, read from outside the program, is below.",
                    p.name
                ),
            );
        }
        (None, None) => say(
            f,
            if m.measuring_peak {
                "Measuring this machine's peak once (about two seconds; cached for next time): \
                 every % of peak divides by it."
            } else {
                idle
            },
        ),
        (Some(l), None) => {
            // A run that ended without a right answer is not "finished" to a reader.
            let ended = match &m.rows[l.index].status {
                Status::Failed(_) => "failed",
                Status::Cancelled => "cancelled",
                Status::Unavailable(_) => "could not run here",
                _ => "finished",
            };
            let phase = match (l.finished, l.phase) {
                (true, _) => ended,
                (_, Phase::Setup) => "setting up (not timed as kernel)",
                (_, Phase::Kernel) => "running",
                (_, Phase::Verify) => "verifying against float64",
            };
            let eta = match l.eta() {
                Some((s, true)) => format!(" · budget stop in {}", human_seconds(s)),
                Some((s, false)) => format!(" · ETA {}", human_seconds(s)),
                None => String::new(),
            };
            // Which run of a rung run more than once.
            let run = match l.run {
                Some((run, runs)) if !l.finished => format!("run {}/{runs} · ", run + 1),
                _ => String::new(),
            };
            // A peer's rows after the first come back in one call, with no progress inside
            // it: the gauge moves at the rate so far, marked as an estimate ("~").
            let estimate = m
                .rows
                .get(l.index)
                .filter(|r| r.peer && l.phase == Phase::Kernel)
                .and_then(|_| l.estimated_work(std::time::Instant::now()));
            let in_call = if estimate.is_some() {
                " · in one call"
            } else {
                ""
            };
            let mut line = format!(
                "{run}{phase} · rows {}/{}{in_call}{eta}",
                l.rows_done, l.rows_total
            );
            // A narrow panel drops the word "rows" before it would cut the ETA's unit off.
            if line.chars().count() > usize::from(status.width) {
                line = format!("{run}{phase} · {}/{}{eta}", l.rows_done, l.rows_total);
            }
            f.render_widget(Paragraph::new(line).style(theme.base()), status);
            let (work, label) = match estimate {
                Some(w) => (w, format!("~{:>2.0}%", w * 100.0)),
                None => (l.work_done, format!("{:>3.0}%", l.work_done * 100.0)),
            };
            f.render_widget(
                LineGauge::default()
                    .ratio(work.clamp(0.0, 1.0))
                    .filled_style(Style::default().fg(theme.accent))
                    .unfilled_style(theme.dim())
                    .label(label),
                gauge,
            );
            let mut line = if l.finished && l.rows_done == 0 {
                "no rows done: no rate to show".to_string()
            } else {
                format!(
                    "{:.3e} pairs/s · {} GFLOP/s effective",
                    l.pairs_per_s,
                    crate::report::human_gflops(l.gflops_avg)
                )
            };
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
    // No line of its own for the load (a short panel): it goes in the last core's label.
    let compact = (load_h == 0)
        .then(|| load_said(m))
        .and_then(|(_, short, loaded, known)| known.then_some((short, loaded)));
    for (i, h) in m.cpu.iter().enumerate() {
        let v = h.last().unwrap_or(0.0);
        let mut label = Line::from(format!("cpu{i} {v:>3.0}%"));
        if let Some((said, loaded)) = compact.as_ref().filter(|_| i + 1 == m.cpu.len()) {
            let style = if *loaded {
                Style::default().fg(theme.warn)
            } else {
                theme.dim()
            };
            label.push_span(Span::styled(format!(" · {said}"), style));
        }
        f.render_widget(
            LineGauge::default()
                .ratio(f64::from(v / 100.0).clamp(0.0, 1.0))
                .filled_style(Style::default().fg(if v > 90.0 { theme.good } else { theme.accent }))
                .unfilled_style(theme.dim())
                .label(label),
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
        (Some(p), _) if p.running => (p.history.last().unwrap_or(0), format!("{} RSS", p.name)),
        // Ended: what it reached, which the step's figures are of, not its last moments' RSS
        // while it exited.
        (Some(p), _) => (
            p.history.tail(usize::MAX).max().unwrap_or(0),
            // A lesson's panel is titled by the program already ("Last run: …").
            if titled_by_program {
                format!("{} peak RSS", p.name)
            } else {
                format!("{} peak RSS (ended)", p.name)
            },
        ),
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
    let of_total = format!(
        "{who} {} of {}",
        human_bytes(rss),
        human_bytes(m.total_memory)
    );
    // Our own process holds the profiler's symbol tables, which a rung's peak RSS leaves out.
    let tables = crate::run::profiler_resident();
    let mut forms = vec![];
    if who == "RSS" && tables >= 1 << 20 && rss > tables {
        forms.push(format!(
            "{of_total} ({}: profiler tables)",
            human_bytes(tables)
        ));
        forms.push(format!(
            "{who} {} ({}: profiler)",
            human_bytes(rss),
            human_bytes(tables)
        ));
    }
    forms.push(of_total);
    forms.push(format!("{who} {}", human_bytes(rss)));
    // The longest form that leaves the gauge a few cells: a cut figure would mislead.
    let room = usize::from(mem.width).saturating_sub(6);
    let label = forms
        .iter()
        .find(|l| l.chars().count() <= room)
        .unwrap_or_else(|| &forms[forms.len() - 1])
        .clone();
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
                .max(top + (top / 4).max(1))
                .style(Style::default().fg(theme.warn)),
            spark,
        );
    }
}

/// CPU other programs are using: live while a rung runs (the last second's samples), the run's
/// own figure once it has finished with a time. From a quarter of a core it is a warning: the
/// time will be (or was) marked `!`. A narrow panel gets the short form.
fn draw_load(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    if area.height == 0 {
        return;
    }
    let (long, short, loaded, _) = load_said(m);
    let text = if long.chars().count() > usize::from(area.width) {
        short
    } else {
        long
    };
    let style = if loaded {
        Style::default().fg(theme.warn)
    } else {
        theme.dim()
    };
    f.render_widget(Paragraph::new(text).style(style), area);
}

/// The load line, long and short, whether it is a warning, and whether it holds a figure.
fn load_said(m: &Model) -> (String, String, bool, bool) {
    let finished = m
        .live
        .as_ref()
        .filter(|l| l.finished)
        .and_then(|l| m.rows[l.index].report.as_ref())
        .filter(|r| r.has_time());
    let pct = |x: f64| format!("{:.0}%", x * 100.0);
    match finished {
        Some(r) => match r.load_elsewhere {
            Some(x) if r.under_load() => (
                format!(
                    "busy elsewhere while it ran: {} of a core (time marked !)",
                    pct(x)
                ),
                // Said of the run that ended, not of now: the gauges above are live.
                format!("its run: elsewhere {} !", pct(x)),
                true,
                true,
            ),
            Some(x) => (
                format!("busy elsewhere while it ran: {} of a core", pct(x)),
                format!("its run: elsewhere {}", pct(x)),
                false,
                true,
            ),
            None => (
                "busy elsewhere: the run was too short to tell".to_string(),
                "elsewhere: too short".to_string(),
                false,
                false,
            ),
        },
        None => match m.recent_elsewhere() {
            Some(x) => {
                let loaded = x >= crate::run::LOADED_CORES;
                let running = m.live.as_ref().is_some_and(|l| !l.finished);
                let warn = match (loaded, running) {
                    (true, true) => ": this time will be marked !",
                    (true, false) => ": times taken now will be marked !",
                    _ => "",
                };
                (
                    format!("busy elsewhere: {} of a core{warn}", pct(x)),
                    format!("elsewhere {}{}", pct(x), if loaded { " !" } else { "" }),
                    loaded,
                    true,
                )
            }
            None if m.peer_rss.is_some() && m.running() => (
                "busy elsewhere: told when the peer ends".to_string(),
                "elsewhere: at the end".to_string(),
                false,
                false,
            ),
            None => (
                "busy elsewhere: sampling…".to_string(),
                "elsewhere: sampling…".to_string(),
                false,
                false,
            ),
        },
    }
}
