//! The flamegraph screen's view: the icicle of the zoomed frame, the search, and the top
//! functions (or, after `d`, what changed from the rung below).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

use super::tree::layout;
use super::{FlameView, profile_of, tree_of};
use crate::profile::{FrameKind, short_name};
use crate::tui::model::Model;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;
use crate::workload::human_bytes;

/// The icicle of the selected rung's profile, the search, and the top functions.
pub fn draw(f: &mut Frame, view: &FlameView, m: &Model, theme: &Theme, area: Rect) {
    let Some(tree) = tree_of(view, m) else {
        return;
    };
    let id = m.rows[view.rung].info.id;
    let zoomed = tree.at(&view.path);
    let total = tree.total.max(1);
    let memory = view.memory;
    // The top functions' names need about 40 columns to be told apart; the icicle gets the rest.
    let side = (area.width * 34 / 100).max(area.width.min(100) * 40 / 100);
    let [left, right] =
        Layout::horizontal([Constraint::Min(0), Constraint::Length(side)]).areas(area);
    let memory = memory || view.python;
    let title = match (&m.memory, view.memory) {
        _ if view.python => m
            .python_flame
            .as_ref()
            .map_or_else(String::new, |p| p.title.clone()),
        // What the runs left live (memray's --leaks), not the workload or the app around them.
        // The picture's own total, not the heap's growth since the first run: that also
        // holds ladder's own (the profiler's symbol tables, results kept), which the picture
        // leaves out, and read beside an empty picture it said +135 MiB.
        (Some((_, st)), true) => match st.since_mark {
            Some(_) => {
                let (long, short) = if tree.total == 0 {
                    (
                        format!(
                            "Memory: nothing the runs allocated is still live · process heap {} \
                             (ladder's own included)",
                            human_bytes(st.live_bytes),
                        ),
                        "Memory: nothing the runs left is live".to_string(),
                    )
                } else {
                    (
                        format!(
                            "Memory: allocated during the runs, still live: {} · process heap \
                             {} (ladder's own included)",
                            human_bytes(tree.total),
                            human_bytes(st.live_bytes),
                        ),
                        format!("Memory the runs left live: {}", human_bytes(tree.total)),
                    )
                };
                if long.chars().count() + 4 <= usize::from(left.width) {
                    long
                } else {
                    short
                }
            }
            None => format!(
                "Memory: bytes still live (no run yet: the whole process) · live {}",
                human_bytes(st.live_bytes),
            ),
        },
        // The CPU picture's title, in full where the panel is wide enough, else short.
        _ => {
            let (long, short) = cpu_title(view, m, id, tree.total);
            if long.chars().count() + 4 <= usize::from(left.width) {
                long
            } else {
                short
            }
        }
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
    for p in &view.path {
        crumb.push_str(" › ");
        crumb.push_str(&short_name(p));
    }
    let unit = if memory { "bytes" } else { "samples" };
    // A program's bytes are all in this picture: their total says how much the whole is.
    let of = if view.python {
        human_bytes(tree.total)
    } else {
        unit.to_string()
    };
    f.render_widget(
        Paragraph::new(format!(
            "{crumb}  ({:.1}% of {of})",
            100.0 * zoomed.total as f64 / total as f64
        ))
        .style(theme.dim()),
        crumbs,
    );
    let selected = zoomed.children.get(view.cursor);
    let search = if view.search.is_empty() {
        String::new()
    } else {
        let hits = profile_of(view, m).map_or(0, |p| p.matching_samples(&view.search));
        format!(
            " · search '{}'{}: {:.1}% of {unit}",
            view.search,
            if view.typing { "▏" } else { "" },
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
    let bars = layout(zoomed, icicle.width, icicle.height as usize);
    let needle = view.search.to_lowercase();
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
        // A bar's last column is left to the ground: two neighbours of one colour
        // (naive::norm beside naive::dot) read as two, as the SVG's one-pixel gaps do.
        let shown = if bar.width >= 2 {
            bar.width - 1
        } else {
            bar.width
        };
        let text = format!("{label:<0$}", usize::from(shown));
        let rect = Rect {
            x: icicle.x + bar.x,
            y: icicle.y + bar.depth as u16,
            width: shown.min(icicle.width.saturating_sub(bar.x)),
            height: 1,
        };
        f.render_widget(Paragraph::new(Span::styled(text, style)), rect);
    }
    // Against the rung below (after d): what this step changed, function by function.
    if let (Some(j), false) = (view.diff_with, memory)
        && let (Some(before), Some(after)) = (
            m.profiles.get(j).and_then(Option::as_ref),
            m.profiles[view.rung].as_ref(),
        )
    {
        let diff = crate::profile::Profile::diff_functions(
            before,
            after,
            right.height.saturating_sub(3) as usize,
        );
        let names: Vec<&str> = diff.iter().map(|(name, _, _)| name.as_str()).collect();
        let names = crate::profile::distinct_short_names(&names);
        let inner = usize::from(right.width.saturating_sub(2));
        // The rows a two-line name takes are counted: a name cut off at the panel's foot
        // would read as a whole, wrong one.
        let mut room = right.height.saturating_sub(3);
        let rows: Vec<Row> = diff
            .iter()
            .zip(&names)
            .map(|((_, b, a), name)| (b, a, name_lines(name, inner.saturating_sub(22))))
            .take_while(|(_, _, lines)| {
                let fits = lines.len() as u16 <= room;
                room = room.saturating_sub(lines.len() as u16);
                fits
            })
            .map(|(b, a, lines)| {
                let delta = a - b;
                let colour = if delta > 0.0 { theme.bad } else { theme.accent };
                let height = lines.len() as u16;
                Row::new([
                    Cell::from(format!("{:>5.1}", b * 100.0)),
                    Cell::from(format!("{:>5.1}", a * 100.0)),
                    Cell::from(format!("{:>+6.1}", delta * 100.0))
                        .style(Style::default().fg(colour)),
                    Cell::from(Text::from(
                        lines.into_iter().map(Line::from).collect::<Vec<_>>(),
                    )),
                ])
                .height(height)
            })
            .collect();
        // The columns are shares of each run's samples; how much faster the run became is
        // the times' ratio, said first (a share that fell may be of a run that got slower).
        let seconds = |r: usize| {
            m.rows[r]
                .report
                .as_ref()
                .filter(|x| x.has_time() && x.estimated_s > 0.0)
                .map(|x| x.estimated_s)
        };
        let faster = match (seconds(j), seconds(view.rung)) {
            (Some(b), Some(a)) if b >= a => {
                format!("{} faster", crate::report::human_speedup(Some(b / a)))
            }
            (Some(b), Some(a)) => {
                format!("{} slower", crate::report::human_speedup(Some(a / b)))
            }
            _ => String::new(),
        };
        let name = |r: usize| {
            let id = m.rows[r].info.id;
            id.strip_prefix("lab-").unwrap_or(id).to_string()
        };
        // The longest title that fits the panel: the rungs are never cut for the words.
        let pair = format!("{} → {}", name(j), name(view.rung));
        let sep = if faster.is_empty() { "" } else { " · " };
        let title = [
            format!("{faster}{sep}% of samples: {pair}"),
            format!("{faster}{sep}{pair}"),
            format!("{pair}{sep}{faster}"),
        ]
        .into_iter()
        .find(|t| t.chars().count() + 4 <= usize::from(right.width))
        .unwrap_or(pair);
        // Too narrow for names beside their figures: each name above them. Decided by the
        // width alone, so the panel keeps one layout from rung to rung.
        if inner < NAMES_BESIDE + 22 {
            let entries = diff
                .iter()
                .zip(&names)
                .map(|((_, b, a), name)| {
                    let delta = a - b;
                    let colour = if delta > 0.0 { theme.bad } else { theme.accent };
                    (
                        name_lines(name, inner)
                            .into_iter()
                            .map(Line::from)
                            .collect(),
                        Line::from(vec![
                            Span::raw(format!("  {:>5.1}  {:>5.1}  ", b * 100.0, a * 100.0)),
                            Span::styled(
                                format!("{:>+6.1}", delta * 100.0),
                                Style::default().fg(colour),
                            ),
                        ]),
                    )
                })
                .collect();
            // What the title had no room for, said above the figures.
            let mut header = Vec::new();
            if !faster.is_empty() && !title.contains(&faster) {
                header.push(faster.clone());
            }
            if !title.contains("% of samples") {
                header.push("% of samples:".to_string());
            }
            header.push("  before  after  change".to_string());
            stacked(f, right, &title, &header, entries, vec![], theme);
            return;
        }
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
    // Top functions, with a legend of the colours: of the stacks the graph draws, so the
    // table lists no scaffolding the graph folded away.
    let top = profile_of(view, m)
        .map(|p| {
            p.without_scaffolding()
                .top_functions(right.height.saturating_sub(5) as usize)
        })
        .unwrap_or_default();
    // Two functions of one short name (std's and hashbrown's `HashMap::remove`) told apart.
    let names: Vec<&str> = top.iter().map(|fc| fc.name.as_str()).collect();
    let names = crate::profile::distinct_short_names(&names);
    let name_of = |fc: &crate::profile::FunctionCost| {
        top.iter()
            .position(|t| std::ptr::eq(t, fc))
            .map_or_else(|| short_name(&fc.name).into_owned(), |i| names[i].clone())
    };
    let inner = usize::from(right.width.saturating_sub(2));
    // The rows a two-line name takes are counted, so the legend (of Rust frames' colours)
    // stays in the panel.
    let mut room = right.height.saturating_sub(if view.python { 3 } else { 5 });
    let mut rows: Vec<Row> = top
        .iter()
        // A function with too little to show as 0.1% only crowds out the ones that matter.
        .filter(|fc| fc.total_samples as f64 * 1000.0 >= total as f64)
        .map(|fc| (fc, name_lines(&name_of(fc), inner.saturating_sub(14))))
        .take_while(|(_, lines)| {
            let fits = lines.len() as u16 <= room;
            room = room.saturating_sub(lines.len() as u16);
            fits
        })
        .map(|(fc, lines)| {
            let height = lines.len() as u16;
            Row::new([
                Cell::from(format!(
                    "{:>5.1}",
                    100.0 * fc.self_samples as f64 / total as f64
                )),
                Cell::from(format!(
                    "{:>5.1}",
                    100.0 * fc.total_samples as f64 / total as f64
                )),
                Cell::from(Text::from(
                    lines.into_iter().map(Line::from).collect::<Vec<_>>(),
                ))
                .style(match crate::profile::frame_kind(&fc.name) {
                    FrameKind::Kernel => Style::default().fg(theme.good),
                    FrameKind::Runner => Style::default().fg(theme.warn),
                    FrameKind::Library => Style::default().fg(theme.bar),
                    FrameKind::System => theme.dim(),
                }),
            ])
            .height(height)
        })
        .collect();
    let kind_style = |name: &str| match crate::profile::frame_kind(name) {
        FrameKind::Kernel => Style::default().fg(theme.good),
        FrameKind::Runner => Style::default().fg(theme.warn),
        FrameKind::Library => Style::default().fg(theme.bar),
        FrameKind::System => theme.dim(),
    };
    // Too narrow for names beside their figures (80 columns; from 100 they fit): each name
    // above them. Decided by the width alone, so the panel keeps one layout from rung to rung.
    let shown: Vec<_> = top
        .iter()
        .filter(|fc| fc.total_samples as f64 * 1000.0 >= total as f64)
        .collect();
    if inner < NAMES_BESIDE + 14 {
        let entries = shown
            .iter()
            .map(|fc| {
                (
                    name_lines(&name_of(fc), inner)
                        .into_iter()
                        .map(|l| Line::from(Span::styled(l, kind_style(&fc.name))))
                        .collect(),
                    Line::from(format!(
                        "  {:>5.1}  {:>5.1}",
                        100.0 * fc.self_samples as f64 / total as f64,
                        100.0 * fc.total_samples as f64 / total as f64
                    )),
                )
            })
            .collect();
        let legend = if view.python {
            vec![]
        } else {
            vec![
                Line::from(""),
                Line::from(vec![
                    Span::styled("kernel ", Style::default().fg(theme.good)),
                    Span::styled("runner ", Style::default().fg(theme.warn)),
                    Span::styled("library ", Style::default().fg(theme.bar)),
                    Span::styled("system", theme.dim()),
                ]),
            ]
        };
        let header = ["  self%  total%".to_string()];
        stacked(f, right, "Top functions", &header, entries, legend, theme);
        return;
    }
    // The colours sort our own Rust frames; a Python program's stacks are not sorted so.
    if !view.python {
        rows.push(Row::new([Cell::from(""), Cell::from(""), Cell::from("")]));
        // One word per column, so the legend fits however narrow the function column is.
        rows.push(Row::new([
            Cell::from(Span::styled("kernel", Style::default().fg(theme.good))),
            Cell::from(Span::styled("runner", Style::default().fg(theme.warn))),
            Cell::from(Line::from(vec![
                Span::styled("library ", Style::default().fg(theme.bar)),
                Span::styled("system", theme.dim()),
            ])),
        ]));
    }
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

/// The fewest columns a function's name gets beside its figures; a narrower panel puts each
/// name above its figures instead.
const NAMES_BESIDE: usize = 24;

/// A function's name in a column `width` wide: whole on one line where it fits, else on two,
/// broken after a `::` where both halves fit (else where the first line ends); a name too long
/// for two lines keeps its end, the function, after a `…`.
fn name_lines(name: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let chars: Vec<char> = name.chars().collect();
    let len = chars.len();
    if len <= width {
        return vec![name.to_string()];
    }
    // Where each `::` ends, in characters.
    let breaks: Vec<usize> = (2..=len)
        .filter(|&c| chars[c - 2] == ':' && chars[c - 1] == ':' && c <= width)
        .collect();
    let cut = match breaks.iter().rev().find(|&&c| len - c <= width) {
        Some(&c) => c,
        None if len <= 2 * width => width,
        // The second line is cut anyway: the first ends at a segment where one is near.
        None => breaks
            .last()
            .copied()
            .filter(|&c| c >= width / 3)
            .unwrap_or(width),
    };
    let first: String = chars[..cut].iter().collect();
    let rest = &chars[cut..];
    let second = if rest.len() <= width {
        rest.iter().collect()
    } else {
        let tail: String = rest[rest.len() - (width - 1)..].iter().collect();
        format!("…{tail}")
    };
    vec![first, second]
}

/// A table whose names do not fit beside their figures: each entry's name (on a line or two)
/// above its figures (under `header`), as many entries as fit, then `extra` lines.
fn stacked(
    f: &mut Frame,
    area: Rect,
    title: &str,
    header: &[String],
    entries: Vec<(Vec<Line<'static>>, Line<'static>)>,
    extra: Vec<Line<'static>>,
    theme: &Theme,
) {
    let mut room =
        usize::from(area.height.saturating_sub(2)).saturating_sub(header.len() + extra.len());
    let mut lines: Vec<Line> = header
        .iter()
        .map(|h| {
            Line::from(Span::styled(
                h.clone(),
                theme.dim().add_modifier(Modifier::BOLD),
            ))
        })
        .collect();
    for (name, figures) in entries {
        if name.len() + 1 > room {
            break;
        }
        room -= name.len() + 1;
        lines.extend(name);
        lines.push(figures);
    }
    lines.extend(extra);
    f.render_widget(
        Paragraph::new(lines)
            .style(theme.base())
            .block(block(title, theme)),
        area,
    );
}

/// A CPU picture's title, long and short: whether it is being sampled again, too thin to read,
/// how much of it the float64 check was (left out), over how many runs.
fn cpu_title(view: &FlameView, m: &Model, id: &str, total: u64) -> (String, String) {
    let profile = profile_of(view, m);
    let samples = format!("{total} sample{}", if total == 1 { "" } else { "s" });
    // Its run's picture stays until the one over runs of its own arrives.
    if m.resampling == Some(view.rung) {
        return (
            format!("Flamegraph: {id} ({samples}; running it again for more…)"),
            format!("{id} (running again for more…)"),
        );
    }
    // As the exported picture's subtitle says: a handful of samples is noise, not a shape to
    // read.
    if total < crate::report::FEW_SAMPLES {
        return (
            format!("Flamegraph: {id} ({samples}: too few to read; a larger n gives more)"),
            format!("{id} ({samples}: too few to read)"),
        );
    }
    // At a small n the float64 check, which looks at every entry, can outweigh a fast kernel:
    // it is left out of the picture, and said when it weighed, as an export's subtitle says.
    let share = profile.map_or(0.0, |p| (p.check_share() * 100.0).round());
    if share >= 30.0 {
        return (
            format!(
                "Flamegraph: {id} ({samples}; the float64 check, {share:.0}% of them, left out)"
            ),
            format!("{id} (check left out: {share:.0}%)"),
        );
    }
    match profile.map_or(0, |p| p.runs) {
        runs if runs > 1 => (
            format!("Flamegraph: {id} ({samples} over {runs} runs)"),
            format!("{id} ({total} samples, {runs} runs)"),
        ),
        _ => (
            format!("Flamegraph: {id} ({samples})"),
            format!("{id} ({samples})"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::name_lines;

    #[test]
    fn a_long_name_breaks_after_a_path_segment_and_keeps_its_end() {
        assert_eq!(name_lines("naive::dot", 30), ["naive::dot"]);
        assert_eq!(
            name_lines("AlgorithmicKernel::rows::{{closure}}", 30),
            ["AlgorithmicKernel::rows::", "{{closure}}"]
        );
        // Two lines that hold it all are better than a break after `::` that loses some.
        assert_eq!(
            name_lines("PackedKernel::compute_task_for_rows::{{closure}}", 30),
            ["PackedKernel::compute_task_for", "_rows::{{closure}}"]
        );
        assert_eq!(
            name_lines("PackedKernel::compute_task_for_rows::{{closure}}", 40),
            ["PackedKernel::compute_task_for_rows::", "{{closure}}"]
        );
        // Too long for two lines: the end is kept.
        assert_eq!(
            name_lines("aaaaaaaaaa::bbbbbbbbbb::cccccccccc::dddddddddd", 16),
            ["aaaaaaaaaa::", "…ccc::dddddddddd"]
        );
        // A name with no path breaks where the column ends.
        let lines = name_lines(&"x".repeat(50), 20);
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert!(lines[1].starts_with('…'));
    }
}
