//! The scaling sweep as a chart: time against n on log-log axes, one line per rung with its
//! fitted exponent.

use plotters::coord::combinators::BindKeyPoints;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Look, WIDTH, tick_seconds};
use crate::run::scale::{ScalePoint, Sweep};

/// The scaling sweep on log-log axes: one line per rung (`ids`, in order), hollow points where
/// a time was extrapolated, and each rung's fitted exponent in the legend; a file of its own
/// (`ladder scale --plot`), so an exponent far from 2 is explained under the plot, as the
/// table does. None when no point was measured.
#[must_use]
pub fn scale_svg(sweep: &Sweep, ids: &[&str]) -> Option<String> {
    let note = crate::report::scale::exponent_note_brief(sweep, ids);
    scale_svg_drawn(sweep, ids, &Look::SCREEN, note.as_deref())
}

/// [`scale_svg`] in `look`'s colours, for a page whose text says what its exponents mean.
#[must_use]
pub fn scale_svg_in(sweep: &Sweep, ids: &[&str], look: &Look) -> Option<String> {
    scale_svg_drawn(sweep, ids, look, None)
}

fn scale_svg_drawn(sweep: &Sweep, ids: &[&str], look: &Look, note: Option<&str>) -> Option<String> {
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
        look,
        (nlo / 1.3, nhi * 1.3),
        (tlo / 2.0, thi * 2.0),
        note,
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

/// Round times for a log time axis from `lo` to `hi`: each decade (1 ms, 10 ms), and 2 and 5
/// of it where the axis spans two decades or less. plotters' own log ticks crowd one decade
/// (70, 80, 90 ms, and 100 ms twice) and leave the next one bare.
fn time_ticks(lo: f64, hi: f64) -> Vec<f64> {
    if !(lo > 0.0 && hi > lo && hi.is_finite()) {
        return Vec::new();
    }
    let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let steps: &[f64] = if b - a <= 2 { &[1.0, 2.0, 5.0] } else { &[1.0] };
    (a..=b)
        .flat_map(|k| steps.iter().map(move |m| m * 10f64.powi(k)))
        .filter(|t| (lo..=hi).contains(t))
        .collect()
}

/// Each swept rung's colour: its step's, as in the ladder chart, so one rung is one colour
/// across a report; where two rungs share a step, the later ones take series colours not used
/// yet, so every line stays apart.
pub(super) fn series_colors(ids: &[&str], look: &Look) -> Vec<RGBColor> {
    let mut out: Vec<RGBColor> = Vec::new();
    for id in ids {
        let own = crate::rungs::find(id)
            .map(|r| look.step(r.info().step))
            .filter(|c| !out.contains(c));
        let color = own.unwrap_or_else(|| {
            look.series
                .iter()
                .copied()
                .find(|c| !out.contains(c))
                .unwrap_or(look.series[out.len() % look.series.len()])
        });
        out.push(color);
    }
    out
}

fn draw_scale(
    sweep: &Sweep,
    ids: &[&str],
    look: &Look,
    (nlo, nhi): (f64, f64),
    (tlo, thi): (f64, f64),
    note: Option<&str>,
    svg: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    // The note, in lines of about 105 characters of 22 px type, under the plot.
    let lines = note.map(|n| wrap_words(n, 105)).unwrap_or_default();
    let foot = if lines.is_empty() {
        0
    } else {
        20 + 32 * lines.len() as u32
    };
    let whole = SVGBackend::with_string(svg, (WIDTH, 760 + foot)).into_drawing_area();
    whole.fill(&look.bg)?;
    let (root, under) = whole.split_vertically(760);
    for (line, y) in lines.iter().zip((8..).step_by(32)) {
        under.draw(&Text::new(line.clone(), (24, y), look.text(22)))?;
    }
    // The picture travels without the page that explains its marks.
    let drawn = || sweep.points.iter().filter(|p| p.seconds > 0.0);
    let mut marks = Vec::new();
    if drawn().any(|p| p.extrapolated) {
        marks.push("hollow points: estimates");
    }
    if drawn().any(ScalePoint::under_load) {
        marks.push("!: under load");
    }
    let caption = if marks.is_empty() {
        "How the time grows with n (log-log)".to_string()
    } else {
        format!("How the time grows with n (log-log; {})", marks.join("; "))
    };
    let root = root.titled(&caption, look.text(34))?;
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
            (tlo..thi).log_scale().with_key_points(time_ticks(tlo, thi)),
        )?;
    chart
        .configure_mesh()
        .x_label_formatter(&|n| format!("{n:.0}"))
        .y_label_formatter(&|t| tick_seconds(*t))
        .x_desc("n (vectors)")
        .y_desc("kernel time")
        .label_style(look.text(24))
        .axis_desc_style(look.text(24))
        .axis_style(look.fg)
        .bold_line_style(look.grid)
        .light_line_style(look.bg)
        .draw()?;
    let colors = series_colors(ids, look);
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
        legend.draw(&(EmptyElement::at((24, y)) + marker(k, color.filled())))?;
        legend.draw(&Text::new(
            format!("{id}{exponent}"),
            (50, y - 12),
            look.text(22),
        ))?;
        // Each rung's points its own shape: two lines that nearly lie on one another (two
        // rungs of one speed) still show both.
        chart.draw_series(line.iter().map(|p| {
            let style = if p.extrapolated {
                color.stroke_width(3)
            } else {
                color.filled()
            };
            EmptyElement::at((p.n as f64, p.seconds)) + marker(k, style)
        }))?;
        chart.draw_series(line.iter().filter(|p| p.under_load()).map(|p| {
            EmptyElement::at((p.n as f64, p.seconds))
                + Text::new(
                    "!",
                    (12, -14),
                    look.text(26).pos(Pos::new(HPos::Left, VPos::Center)),
                )
        }))?;
    }
    whole.present()?;
    Ok(())
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrap_words(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= width => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

/// The `k`th series' point: a circle, a square, a triangle or a diamond, about 16 pixels.
fn marker<DB: DrawingBackend>(k: usize, style: ShapeStyle) -> DynElement<'static, DB, (i32, i32)> {
    match k % 4 {
        0 => Circle::new((0, 0), 8, style).into_dyn(),
        1 => Rectangle::new([(-7, -7), (7, 7)], style).into_dyn(),
        2 => Polygon::new(vec![(0, -9), (9, 7), (-9, 7)], style).into_dyn(),
        _ => Polygon::new(vec![(0, -10), (10, 0), (0, 10), (-10, 0)], style).into_dyn(),
    }
}

/// The scaling chart's legend column, pixels: "vectorized · b = 2.01" at 22 px.
const LEGEND_W: u32 = 300;
