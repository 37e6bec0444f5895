//! The scaling screen: a sweep of a few rungs over n, time against n on log-log axes, each
//! line's fitted exponent in the legend.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Nav, Outcome};
use crate::tui::message::Command;
use crate::tui::model::{
    Model, Notice, SCALE_BUDGET_S, SCALE_RUNGS, ScaleView, WorkloadState, scale_sizes,
};
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, wrapped_rows};
use crate::workload::{Distribution, Source};

/// The scaling screen's keys: Enter sweeps, Esc cancels a sweep or goes back.
pub fn on_key(m: &mut Model, key: KeyEvent) -> Outcome {
    match key.code {
        KeyCode::Esc if m.scale.running => {
            m.scale.status = "cancelling…".into();
            vec![Command::Cancel].into()
        }
        KeyCode::Esc | KeyCode::Char('g' | 'l') => Outcome::go(Nav::Ladder),
        KeyCode::Enter => start_sweep(m).into(),
        _ => Outcome::default(),
    }
}

fn start_sweep(m: &mut Model) -> Vec<Command> {
    if m.running() {
        m.notice = Some(Notice::Error(
            "something is already running (Esc cancels it)".into(),
        ));
        return vec![];
    }
    if let Err(e) = m.ready_to_run() {
        m.notice = Some(Notice::Error(e));
        return vec![];
    }
    let mut spec = m.settings.spec();
    if let Source::File(_) = spec.source {
        // A file has one size; the sweep needs many, so it generates data of its d.
        spec.source = Source::Generated(Distribution::Normal);
        if let WorkloadState::Ready(w) = &m.workload {
            spec.d = w.d;
        }
    }
    let sizes = scale_sizes(ladder_n(m));
    m.scale = ScaleView {
        running: true,
        status: "starting…".into(),
        data: format!("{} × d {} seed {}", spec.source, spec.d, spec.seed),
        sizes: sizes.clone(),
        ..ScaleView::default()
    };
    vec![Command::Sweep {
        spec,
        sizes,
        budget: Duration::from_secs_f64(m.settings.budget_s.min(SCALE_BUDGET_S)),
        threads: m.settings.threads,
        k: m.settings.k,
    }]
}

/// The ladder's n: the workload's once loaded (a file's own), else the settings'.
fn ladder_n(m: &Model) -> usize {
    match &m.workload {
        WorkloadState::Ready(w) => w.n,
        _ => m.settings.n,
    }
}

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
pub fn draw(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType};

    let sw = &m.scale;
    let title = if sw.data.is_empty() {
        "How time grows with n (log-log)".to_string()
    } else {
        format!("How time grows with n (log-log) · {}", sw.data)
    };
    let b = block(&title, theme);
    if sw.sweep.points.is_empty() && !sw.running {
        let mut lines = vec![
            Line::from(format!(
                "Enter sweeps {} over n = {} (a minute or more; Esc cancels).",
                SCALE_RUNGS.join(", "),
                scale_sizes(ladder_n(m))
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
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
    let status = if sw.running {
        format!(" sweeping · {}", sw.status)
    } else {
        format!(" {}", sw.status)
    };
    let skipped = (!sw.sweep.skipped.is_empty()).then(|| {
        let text = sw
            .sweep
            .skipped
            .iter()
            .map(|s| format!("{} at n = {}", s.rung, s.n))
            .collect::<Vec<_>>()
            .join(", ");
        format!(" skipped (too large for memory): {text}")
    });
    // Points measured under load (their rung's legend marked "!"), said beside the skipped.
    // Grouped by rung, and said in one word when it is every point: a list of twenty points
    // would not fit the lines it has.
    let loaded_points = sw.sweep.points.iter().filter(|p| p.under_load()).count();
    let loaded: Vec<String> = SCALE_RUNGS
        .iter()
        .filter_map(|id| {
            let ns: Vec<String> = sw
                .sweep
                .points
                .iter()
                .filter(|p| p.rung == *id && p.under_load())
                .map(|p| p.n.to_string())
                .collect();
            (!ns.is_empty()).then(|| format!("{id} at n = {}", ns.join(", ")))
        })
        .collect();
    let skipped = if loaded.is_empty() {
        skipped
    } else {
        let which = if loaded_points == sw.sweep.points.len() {
            "every point".to_string()
        } else {
            loaded.join("; ")
        };
        let load = format!(
            " ! measured under load (busy elsewhere): {which}: times may be long; sweep again \
             on an idle machine"
        );
        Some(skipped.map_or(load.clone(), |s| format!("{s};{load}")))
    };
    let skipped_h = skipped
        .as_deref()
        .map_or(0, |s| wrapped_rows(s, area.width, 3));
    let [chart_area, status_area, skipped_area] = Layout::vertical([
        Constraint::Min(0),
        Constraint::Length(wrapped_rows(&status, area.width, 5)),
        Constraint::Length(skipped_h),
    ])
    .areas(area);
    // Each line in its step's colour, as the report's charts draw it (vectorized yellow,
    // threads cyan, topk red, ann blue), so one rung is one colour in the app and on paper.
    let palette: Vec<ratatui::style::Color> = SCALE_RUNGS
        .iter()
        .filter(|id| sw.sweep.points.iter().any(|p| p.rung == **id))
        .map(|id| crate::rungs::find(id).map_or(theme.accent, |r| theme.step(r.info().step)))
        .collect();
    let palette = if palette.is_empty() {
        vec![theme.accent]
    } else {
        palette
    };
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
            if pts.iter().any(|p| p.under_load()) {
                name.push_str(" !");
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
    // The legend is drawn under the chart: the axis spans the data alone.
    let (y0, y1) = if lo_t.is_finite() {
        let y0 = lo_t.floor();
        (y0, hi_t.ceil().max(y0 + 1.0))
    } else {
        (-3.0, 0.0)
    };
    let legend: Vec<Span> = series
        .iter()
        .enumerate()
        .flat_map(|(i, (name, _))| {
            [
                Span::styled("━━ ", Style::default().fg(palette[i % palette.len()])),
                Span::styled(format!("{name}   "), theme.base()),
            ]
        })
        .collect();
    let legend_text: String = legend.iter().map(|s| s.content.as_ref()).collect();
    let legend_h = if series.is_empty() {
        0
    } else {
        wrapped_rows(&legend_text, chart_area.width, 3)
    };
    let [chart_area, legend_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(legend_h)]).areas(chart_area);
    let sizes = if sw.sizes.is_empty() {
        scale_sizes(ladder_n(m))
    } else {
        sw.sizes.clone()
    };
    let x0 = (sizes[0] as f64).log10();
    let x1 = (sizes[sizes.len() - 1] as f64).log10();
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
    // Labels are spread evenly along an axis, so each names the value at its own place: the
    // ends, and the middle only where a size was swept there (1k, 2k, 4k), never a size that
    // was not (the log-middle of 1k and 10k, "3.2k").
    let mid = f64::midpoint(x0, x1);
    let swept_mid = sizes
        .iter()
        .find(|&&n| ((n as f64).log10() - mid).abs() <= 0.01 * (x1 - x0).max(1e-9));
    let x_labels: Vec<Span> = std::iter::once(sizes[0])
        .chain(swept_mid.copied())
        .chain(std::iter::once(sizes[sizes.len() - 1]))
        .map(|n| Span::raw(human_n(n as f64)))
        .collect();
    let y_labels: Vec<Span> = (y0 as i32..=y1 as i32)
        .map(|p| Span::raw(crate::report::human_seconds(10f64.powi(p))))
        .collect();
    let chart = Chart::new(datasets)
        .block(b)
        .style(theme.base())
        .legend_position(None)
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
    f.render_widget(
        Paragraph::new(Line::from(legend))
            .style(theme.base())
            .wrap(Wrap { trim: false }),
        legend_area,
    );
    f.render_widget(
        Paragraph::new(Span::styled(status, theme.dim()))
            .style(theme.base())
            .wrap(Wrap { trim: false }),
        status_area,
    );
    if let Some(text) = skipped {
        f.render_widget(
            Paragraph::new(Span::styled(text, Style::default().fg(theme.warn)))
                .style(theme.base())
                .wrap(Wrap { trim: false }),
            skipped_area,
        );
    }
}
