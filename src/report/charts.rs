//! Charts as SVG, drawn with plotters: the ladder (time per rung on a log axis, the measured
//! peak as the limit) and the scaling sweep (log-log, one line per rung with its exponent).
//!
//! They are made to be projected: large type, light colours on black, the app's high-contrast
//! palette. The same strings go beside NOTES.md, to `ladder scale --plot` and, inline, into
//! the HTML report.

use plotters::coord::combinators::BindKeyPoints;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Results, human_seconds, human_speedup};
use crate::run::scale::Sweep;
use crate::rungs::Step;

/// Space between a bar or an axis and its words: no-break spaces, which an SVG keeps.
const GAP: &str = "\u{a0}\u{a0}";
/// After a trailing gap: a word joiner, drawn as nothing but not white space, so renderers
/// that trim a line's trailing spaces (librsvg, as pandoc and office suites use) keep it.
const KEEP: &str = "\u{2060}";
/// Pixels between a bar's end (or the limit line) and the words after it.
const GAP_PX: i32 = 12;
/// The high-contrast theme's colours (`tui::theme::Theme::HIGH_CONTRAST`: white on black,
/// the terminal's bright colours), as RGB.
pub mod palette {
    use plotters::style::RGBColor;

    pub const BG: RGBColor = RGBColor(0, 0, 0);
    pub const FG: RGBColor = RGBColor(255, 255, 255);
    pub const GRID: RGBColor = RGBColor(90, 90, 90);
    pub const LIGHT_RED: RGBColor = RGBColor(255, 110, 110);
    pub const LIGHT_YELLOW: RGBColor = RGBColor(255, 255, 100);
    pub const LIGHT_GREEN: RGBColor = RGBColor(100, 255, 100);
    pub const LIGHT_CYAN: RGBColor = RGBColor(100, 255, 255);
    pub const LIGHT_MAGENTA: RGBColor = RGBColor(255, 120, 255);
    pub const LIGHT_BLUE: RGBColor = RGBColor(130, 170, 255);
    pub const ORANGE: RGBColor = RGBColor(255, 170, 60);
    pub const GRAY: RGBColor = RGBColor(190, 190, 190);

    /// Distinct colours for series that have no colour of their own, in order.
    pub const SERIES: [RGBColor; 8] = [
        LIGHT_YELLOW,
        LIGHT_CYAN,
        LIGHT_GREEN,
        LIGHT_MAGENTA,
        LIGHT_RED,
        LIGHT_BLUE,
        ORANGE,
        GRAY,
    ];

    /// `#rrggbb`, for the HTML around the charts.
    #[must_use]
    pub fn css(c: RGBColor) -> String {
        format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
    }
}

/// The colour of a step of the ladder, the same in every chart and in the HTML table.
#[must_use]
pub fn step_color(step: Step) -> RGBColor {
    use palette::{
        FG, LIGHT_BLUE, LIGHT_CYAN, LIGHT_GREEN, LIGHT_MAGENTA, LIGHT_RED, LIGHT_YELLOW, ORANGE,
    };
    match step {
        Step::Baseline => FG,
        Step::Algorithm => LIGHT_RED,
        Step::Vectorize => LIGHT_YELLOW,
        Step::Native => LIGHT_GREEN,
        Step::Threads => LIGHT_CYAN,
        Step::Jit => LIGHT_MAGENTA,
        Step::Library => LIGHT_BLUE,
        Step::Peer => ORANGE,
    }
}

const FONT: &str = "sans-serif";
const WIDTH: u32 = 1280;

fn text(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&palette::FG)
}

/// Seconds all of S takes at the measured peak of every core, computing only its upper
/// triangle (S is symmetric, so n·(n+1)/2 dot products of 2·d flops): no rung that produces
/// all of S can be faster, the ones that mirror the triangle included.
#[must_use]
pub fn peak_seconds(r: &Results) -> Option<f64> {
    let n = r.workload.n as f64;
    let flops = n * (n + 1.0) * r.workload.d as f64;
    let peak = r.machine.peak_gflops_all;
    (peak > 0.0 && flops > 0.0).then(|| flops / (peak * 1e9))
}

/// The ladder as horizontal bars: one row per rung in order, its kernel time on a log axis,
/// coloured by step; an extrapolated time is drawn hollow and marked "est."; the vertical line
/// is the full matrix at the measured peak. None when no rung has a time.
#[must_use]
pub fn speedup_svg(r: &Results) -> Option<String> {
    let timed: Vec<f64> = r
        .rungs
        .iter()
        .filter(|x| x.has_time() && x.estimated_s > 0.0)
        .map(|x| x.estimated_s)
        .collect();
    if timed.is_empty() {
        return None;
    }
    let peak = peak_seconds(r);
    let lo = timed
        .iter()
        .copied()
        .chain(peak)
        .fold(f64::INFINITY, f64::min)
        / 3.0;
    let hi = right_edge(r, lo);
    let rows = r.rungs.len();
    // Each row names its step after its figures, and the limit is labelled on its line: no
    // legend box, so no rows are kept empty for one.
    let height = (190 + 56 * (rows + 1) as u32).max(360);
    let mut svg = String::new();
    draw_speedups(r, (lo, hi), peak, height, &mut svg).ok()?;
    Some(svg)
}

/// The axis's right end: far enough past every bar for the figures written after it. On a
/// log axis a label's room is a share of the decades shown, so the end is solved for the
/// bar that needs most: (h - x) · plot ≥ label · (h - a), with a = log lo, x = log t.
fn right_edge(r: &Results, lo: f64) -> f64 {
    // The plot's width, and a conservative width of one character of the figures' type.
    let plot = f64::from(WIDTH) - 200.0 - 2.0 * 24.0;
    let char_px = 10.0;
    let a = lo.log10();
    let mut h = r
        .rungs
        .iter()
        .filter(|x| x.has_time() && x.estimated_s > 0.0)
        .map(|x| x.estimated_s.log10())
        .fold(a + 1.0, f64::max)
        + 0.5;
    for x in r
        .rungs
        .iter()
        .filter(|x| x.has_time() && x.estimated_s > 0.0)
    {
        let label =
            (figures_words(x).chars().count() as f64 * char_px + f64::from(GAP_PX)).min(plot * 0.7);
        let at = x.estimated_s.log10();
        h = h.max((at * plot - label * a) / (plot - label));
    }
    10f64.powf(h)
}

/// The figures written after a rung's bar, as the terminal shows them.
fn figures_words(x: &crate::run::RunReport) -> String {
    if x.has_time() {
        let est = if x.extrapolated { "~ est. " } else { "" };
        // The picture travels without the table that explains its marks: said in words.
        let load = if x.under_load() {
            " (! under load)"
        } else {
            ""
        };
        format!(
            "{est}{}{load} · {} vs base · {}",
            human_seconds(x.estimated_s),
            human_speedup(x.speedup_vs_baseline),
            x.step
        )
    } else {
        super::verified_cell(x)
    }
}

/// A tick on the time axis: seconds stay seconds past one (`1000 s`, not `16 min 40 s`
/// beside `100.0 s`), so the axis reads in one unit.
fn tick_seconds(x: f64) -> String {
    if x >= 1.0 {
        format!("{x:.0} s")
    } else {
        // A round tick reads as one ("10 ms", as "1 s"), not "10.0 ms".
        let s = human_seconds(x);
        match s.split_once(' ') {
            Some((v, unit)) if v.ends_with(".0") => {
                format!("{} {unit}", v.trim_end_matches(".0"))
            }
            _ => s,
        }
    }
}

type Plot<'a> = ChartContext<'a, SVGBackend<'a>, Cartesian2d<LogCoord<f64>, RangedCoordf64>>;

fn draw_speedups(
    r: &Results,
    (lo, hi): (f64, f64),
    peak: Option<f64>,
    height: u32,
    svg: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = r.rungs.len();
    // A lane under the last bar for the limit's label.
    let bottom = -1.2;
    let names: Vec<String> = r.rungs.iter().map(|x| x.rung.clone()).collect();
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&palette::BG)?;
    let caption = format!(
        "{} × {}: kernel time per rung (log scale; shorter is faster)",
        r.workload.n, r.workload.d
    );
    // Row i is drawn at y = rows - 1 - i, so the ladder reads top to bottom.
    let label = move |y: &f64| -> String {
        let i = rows as f64 - 1.0 - y.round();
        if (y - y.round()).abs() < 1e-6 && i >= 0.0 && (i as usize) < rows {
            // A gap before the axis: an SVG collapses ordinary spaces, not no-break ones.
            format!("{}{GAP}{KEEP}", names[i as usize])
        } else {
            String::new()
        }
    };
    let mut chart: Plot = ChartBuilder::on(&root)
        .caption(caption, text(34))
        .margin(24)
        .x_label_area_size(70)
        .y_label_area_size(200)
        .build_cartesian_2d((lo..hi).log_scale(), bottom..rows as f64 - 0.4)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels((rows + 1).max(2) * 4 + 1)
        // The rows are named; ticks between them would only be marks without names.
        .set_tick_mark_size(LabelAreaPosition::Left, 0)
        .y_label_formatter(&label)
        // A tick at the very end would be cut by the picture's edge.
        .x_label_formatter(&|x| {
            if *x * 3.0 > hi {
                String::new()
            } else {
                tick_seconds(*x)
            }
        })
        .x_desc("kernel time for the whole matrix")
        .label_style(text(24))
        .axis_desc_style(text(24))
        .axis_style(palette::FG)
        .bold_line_style(palette::GRID)
        .light_line_style(palette::BG)
        .draw()?;
    let mut steps: Vec<Step> = Vec::new();
    for x in &r.rungs {
        if !steps.contains(&x.step) && x.has_time() {
            steps.push(x.step);
        }
    }
    for step in steps {
        let color = step_color(step);
        let bars = r
            .rungs
            .iter()
            .enumerate()
            .filter(|(_, x)| x.step == step && x.has_time() && x.estimated_s > 0.0)
            .map(|(i, x)| {
                let y = (rows - 1 - i) as f64;
                let style = if x.extrapolated {
                    color.stroke_width(3)
                } else {
                    color.filled()
                };
                Rectangle::new([(lo, y - 0.32), (x.estimated_s, y + 0.32)], style)
            });
        chart.draw_series(bars)?;
    }
    // The figures after each bar, as the terminal shows them.
    let figures = r.rungs.iter().enumerate().map(|(i, x)| {
        let y = (rows - 1 - i) as f64;
        let words = figures_words(x);
        let at = if x.has_time() { x.estimated_s } else { lo };
        // Set off from the bar's end by pixels, not by spaces a renderer may drop.
        EmptyElement::at((at, y))
            + Text::new(
                words,
                (GAP_PX, 0),
                text(22).pos(Pos::new(HPos::Left, VPos::Center)),
            )
    });
    chart.draw_series(figures)?;
    if let Some(t) = peak {
        let top = rows as f64 - 0.4;
        chart.draw_series(LineSeries::new(
            [(t, bottom), (t, top)],
            palette::LIGHT_RED.stroke_width(3),
        ))?;
        chart.draw_series(std::iter::once(
            EmptyElement::at((t, -0.85))
                + Text::new(
                    format!(
                        "limit: all of S (its upper triangle) at the measured peak ({:.0} GFLOP/s, {})",
                        r.machine.peak_gflops_all,
                        human_seconds(t)
                    ),
                    (GAP_PX, 0),
                    text(20)
                        .color(&palette::LIGHT_RED)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ),
        ))?;
    }
    root.present()?;
    Ok(())
}

/// The scaling sweep on log-log axes: one line per rung (`ids`, in order), hollow points where
/// a time was extrapolated, and each rung's fitted exponent in the legend. None when no point
/// was measured.
#[must_use]
pub fn scale_svg(sweep: &Sweep, ids: &[&str]) -> Option<String> {
    let pts: Vec<_> = sweep.points.iter().filter(|p| p.seconds > 0.0).collect();
    if pts.is_empty() {
        return None;
    }
    let (mut nlo, mut nhi, mut tlo, mut thi) = (f64::INFINITY, 0.0f64, f64::INFINITY, 0.0f64);
    for p in &pts {
        nlo = nlo.min(p.n as f64);
        nhi = nhi.max(p.n as f64);
        tlo = tlo.min(p.seconds);
        thi = thi.max(p.seconds);
    }
    // The legend has a column of its own, beside the plot: the axis spans the data alone.
    let mut svg = String::new();
    draw_scale(
        sweep,
        ids,
        (nlo / 1.3, nhi * 1.3),
        (tlo / 2.0, thi * 2.0),
        &mut svg,
    )
    .ok()?;
    Some(svg)
}

/// The sizes a sweep measured, in order.
fn sizes(sweep: &Sweep) -> Vec<f64> {
    let mut n: Vec<usize> = sweep.points.iter().map(|p| p.n).collect();
    n.sort_unstable();
    n.dedup();
    n.into_iter().map(|n| n as f64).collect()
}

/// Each swept rung's colour: its step's, as in the ladder chart, so one rung is one colour
/// across a report; where two rungs share a step, the later ones take series colours not used
/// yet, so every line stays apart.
fn series_colors(ids: &[&str]) -> Vec<RGBColor> {
    let mut out: Vec<RGBColor> = Vec::new();
    for id in ids {
        let own = crate::rungs::find(id)
            .map(|r| step_color(r.info().step))
            .filter(|c| !out.contains(c));
        let color = own.unwrap_or_else(|| {
            palette::SERIES
                .iter()
                .copied()
                .find(|c| !out.contains(c))
                .unwrap_or(palette::SERIES[out.len() % palette::SERIES.len()])
        });
        out.push(color);
    }
    out
}

fn draw_scale(
    sweep: &Sweep,
    ids: &[&str],
    (nlo, nhi): (f64, f64),
    (tlo, thi): (f64, f64),
    svg: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(svg, (WIDTH, 760)).into_drawing_area();
    root.fill(&palette::BG)?;
    // The picture travels without the page that explains its marks.
    let caption = if sweep
        .points
        .iter()
        .any(|p| p.extrapolated && p.seconds > 0.0)
    {
        "How the time grows with n (log-log; hollow points: estimates)"
    } else {
        "How the time grows with n (log-log)"
    };
    let root = root.titled(caption, text(34))?;
    // The legend's column, right of the plot: no line runs through it, and the axis need
    // not reach decades past the data to make room for it.
    let (plot, legend) = root.split_horizontally(WIDTH - LEGEND_W);
    let mut chart = ChartBuilder::on(&plot)
        .margin(24)
        .x_label_area_size(70)
        .y_label_area_size(130)
        // A tick at every size swept: a log axis over one decade has few of its own.
        .build_cartesian_2d(
            (nlo..nhi).log_scale().with_key_points(sizes(sweep)),
            (tlo..thi).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_label_formatter(&|n| format!("{n:.0}"))
        .y_label_formatter(&|t| tick_seconds(*t))
        .x_desc("n (vectors)")
        .y_desc("kernel time")
        .label_style(text(24))
        .axis_desc_style(text(24))
        .axis_style(palette::FG)
        .bold_line_style(palette::GRID)
        .light_line_style(palette::BG)
        .draw()?;
    let colors = series_colors(ids);
    let mut shown = 0;
    for (k, id) in ids.iter().enumerate() {
        let mut line: Vec<_> = sweep
            .points
            .iter()
            .filter(|p| p.rung == *id && p.seconds > 0.0)
            .collect();
        if line.is_empty() {
            continue;
        }
        line.sort_by_key(|p| p.n);
        let color = colors[k];
        let exponent = sweep
            .exponent_of(id)
            .map_or_else(String::new, |b| format!(" · b = {b:.2}"));
        chart.draw_series(LineSeries::new(
            line.iter().map(|p| (p.n as f64, p.seconds)),
            color.stroke_width(4),
        ))?;
        let y = 60 + 40 * shown;
        shown += 1;
        legend.draw(&PathElement::new([(8, y), (40, y)], color.stroke_width(4)))?;
        legend.draw(&Text::new(
            format!("{id}{exponent}"),
            (50, y - 12),
            text(22),
        ))?;
        chart.draw_series(line.iter().map(|p| {
            let style = if p.extrapolated {
                color.stroke_width(3)
            } else {
                color.filled()
            };
            Circle::new((p.n as f64, p.seconds), 8, style)
        }))?;
    }
    root.present()?;
    Ok(())
}

/// The scaling chart's legend column, pixels: "vectorized · b = 2.01" at 22 px.
const LEGEND_W: u32 = 300;

#[cfg(test)]
mod tests;
