//! The history screen: each rung's benchmarked speedup over the recorded runs
//! (perf/history.jsonl), one machine at a time.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Nav, Outcome};
use crate::machine::MachineInfo;
use crate::tui::model::Model;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;

/// The history screen's keys: ← → pick another machine's runs.
pub fn on_key(m: &mut Model, key: KeyEvent) -> Outcome {
    let machines = crate::report::history::by_machine(&m.history).len();
    match key.code {
        KeyCode::Esc | KeyCode::Char('h' | 'l') => return Outcome::go(Nav::Ladder),
        KeyCode::Right if machines > 0 => {
            m.history_machine = (m.history_machine + 1) % machines;
        }
        KeyCode::Left if machines > 0 => {
            m.history_machine = (m.history_machine + machines - 1) % machines;
        }
        _ => {}
    }
    Outcome::default()
}

/// The history file was read: show this machine's runs first; a machine with none sees the
/// latest run's.
pub fn on_loaded(m: &mut Model, h: crate::report::history::History) {
    m.history = h.entries;
    m.history_warnings = h.warnings;
    let groups = crate::report::history::by_machine(&m.history);
    let here = m.machine.as_ref().map(MachineInfo::key);
    m.history_machine = groups
        .iter()
        .position(|(k, _)| here.as_ref().is_some_and(|h| h.same_kind(k)))
        .or_else(|| {
            let last = m.history.len().checked_sub(1)?;
            groups.iter().position(|(_, v)| v.contains(&last))
        })
        .unwrap_or(0);
}

/// Each rung's benchmarked speedup over the recorded runs, on a log scale.
pub fn draw(f: &mut Frame, m: &Model, theme: &Theme, area: Rect) {
    use ratatui::symbols::Marker;
    use ratatui::widgets::{Axis, Chart, Dataset, GraphType};

    let groups = crate::report::history::by_machine(&m.history);
    let Some((machine, picked)) = groups.get(m.history_machine).or_else(|| groups.first()) else {
        let mut lines = vec![Line::from(format!(
            "No history in {}. Record runs with `ladder bench --record`.",
            m.history_path.display()
        ))];
        lines.extend(m.history_warnings.iter().map(|w| Line::from(w.as_str())));
        let b = block("Benchmark history", theme);
        f.render_widget(Paragraph::new(lines).style(theme.dim()).block(b), area);
        return;
    };
    // Speedups move between CPUs, so one machine's runs at a time.
    let others = if groups.len() > 1 {
        format!(
            " · {}/{} ← →",
            m.history_machine.min(groups.len() - 1) + 1,
            groups.len()
        )
    } else {
        String::new()
    };
    let b = block(&format!("Benchmark history · {machine}{others}"), theme);
    let entries: Vec<&crate::report::history::HistoryEntry> =
        picked.iter().map(|&i| &m.history[i]).collect();
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
            // A speedup measured under load is marked, never silently trusted.
            let load = r
                .load_elsewhere
                .filter(|_| r.under_load())
                .map(|l| format!("   ! {}", crate::report::gate::load_words(l)))
                .unwrap_or_default();
            Line::from(format!(
                "  {:<12} {:>8} over {}   {:>5.1}% of peak{load}",
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
    let ids: Vec<&str> = m.rows.iter().map(|r| r.info.id).collect();
    let series: Vec<(&str, Vec<(f64, f64)>)> = ids
        .iter()
        .map(|id| {
            let pts = entries
                .iter()
                .enumerate()
                .filter_map(|(i, e)| {
                    e.rungs
                        .iter()
                        .find(|r| r.rung == *id && r.speedup_vs_baseline.is_finite())
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
    // Speedups measured under load, marked over their lines: never silently trusted.
    let loaded: Vec<(f64, f64)> = entries
        .iter()
        .enumerate()
        .flat_map(|(i, e)| {
            e.rungs
                .iter()
                .filter(|r| r.under_load() && r.speedup_vs_baseline.is_finite())
                .map(move |r| (i as f64, r.speedup_vs_baseline.max(1e-3).log10()))
        })
        .collect();
    let mut datasets: Vec<Dataset> = series
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
    if !loaded.is_empty() {
        datasets.push(
            Dataset::default()
                .name("• under load")
                .marker(Marker::Dot)
                .graph_type(GraphType::Scatter)
                .style(Style::default().fg(theme.warn))
                .data(&loaded),
        );
    }
    let last = entries.len() - 1;
    let commit = |i: usize| entries[i].commit.chars().take(12).collect::<String>();
    let x_labels = if last == 0 {
        vec![Span::raw(commit(0))]
    } else {
        vec![Span::raw(commit(0)), Span::raw(commit(last))]
    };
    let (top, y_labels) = decades(top);
    let top = f64::from(top);
    let y_labels: Vec<Span> = y_labels.into_iter().map(Span::raw).collect();
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

/// The labels of a log axis reaching 10^`top`, and the bound they end at: at most eight, at
/// powers of ten evenly spaced (a chart spreads its labels evenly between the bounds), so a
/// speedup of 1e300 gets a readable axis rather than hundreds of labels.
fn decades(top: f64) -> (u32, Vec<String>) {
    const MAX_LABELS: u32 = 8;
    // A finite f64 is below 1e309.
    let top = if top.is_finite() {
        top.clamp(1.0, 309.0).ceil() as u32
    } else {
        1
    };
    let step = top.div_ceil(MAX_LABELS - 1);
    let last = top.div_ceil(step) * step;
    let labels = (0..=last)
        .step_by(step as usize)
        .map(|p| {
            if p <= 6 {
                format!("{}x", 10_u64.pow(p))
            } else {
                format!("1e{p}x")
            }
        })
        .collect();
    (last, labels)
}

#[cfg(test)]
mod tests {
    use super::decades;

    #[test]
    fn a_log_axis_has_at_most_eight_labels_at_powers_of_ten() {
        assert_eq!(
            decades(2.0),
            (2, vec!["1x".into(), "10x".into(), "100x".into()])
        );
        for top in [
            1.0,
            7.0,
            8.0,
            9.0,
            22.0,
            300.0,
            308.3,
            f64::INFINITY,
            f64::NAN,
        ] {
            let (bound, labels) = decades(top);
            assert!((2..=8).contains(&labels.len()), "{top}: {labels:?}");
            assert!(
                f64::from(bound) >= top.min(309.0) || !top.is_finite(),
                "{top}: {bound}"
            );
        }
        let (bound, labels) = decades(300.0);
        assert_eq!(bound, 301);
        assert_eq!(labels.first().map(String::as_str), Some("1x"));
        assert_eq!(labels.last().map(String::as_str), Some("1e301x"));
    }
}
