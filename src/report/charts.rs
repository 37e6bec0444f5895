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
use crate::run::scale::{ScalePoint, Sweep};
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

/// The colours a chart is drawn in: light on black for a projector (the app's high-contrast
/// theme), or dark on white for paper. Printed, the screen's colours inverted would turn
/// yellow into an olive next to black.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    pub bg: RGBColor,
    pub fg: RGBColor,
    pub grid: RGBColor,
    /// The limit line (the measured peak): no step's colour.
    pub limit: RGBColor,
    /// Each step's colour, in the order of [`Step`].
    steps: [RGBColor; 8],
    /// Distinct colours for series that have no colour of their own, in order.
    series: [RGBColor; 8],
}

impl Look {
    /// For a screen or a projector: the app's high-contrast theme.
    pub const SCREEN: Look = {
        use palette::{
            BG, FG, GRID, LIGHT_BLUE, LIGHT_CYAN, LIGHT_GREEN, LIGHT_MAGENTA, LIGHT_RED,
            LIGHT_YELLOW, ORANGE,
        };
        Look {
            bg: BG,
            fg: FG,
            grid: GRID,
            limit: FG,
            steps: [
                FG,
                LIGHT_RED,
                LIGHT_YELLOW,
                LIGHT_GREEN,
                LIGHT_CYAN,
                LIGHT_MAGENTA,
                LIGHT_BLUE,
                ORANGE,
            ],
            series: palette::SERIES,
        }
    };

    /// For paper: dark, saturated colours on white, each its own hue and told from black.
    pub const PAPER: Look = {
        let black = RGBColor(0, 0, 0);
        let red = RGBColor(200, 30, 30);
        let amber = RGBColor(225, 135, 0);
        let green = RGBColor(20, 140, 40);
        let teal = RGBColor(0, 130, 160);
        let purple = RGBColor(150, 50, 180);
        let blue = RGBColor(30, 80, 220);
        let brown = RGBColor(140, 85, 30);
        let gray = RGBColor(110, 110, 110);
        Look {
            bg: RGBColor(255, 255, 255),
            fg: black,
            grid: RGBColor(205, 205, 205),
            limit: black,
            steps: [black, red, amber, green, teal, purple, blue, brown],
            series: [amber, teal, green, purple, red, blue, brown, gray],
        }
    };

    /// The colour of a step of the ladder, the same in every chart of this look.
    #[must_use]
    pub fn step(&self, step: Step) -> RGBColor {
        let i = match step {
            Step::Baseline => 0,
            Step::Algorithm => 1,
            Step::Vectorize => 2,
            Step::Native => 3,
            Step::Threads => 4,
            Step::Jit => 5,
            Step::Library => 6,
            Step::Peer => 7,
        };
        self.steps[i]
    }

    fn text(&self, size: u32) -> TextStyle<'static> {
        (FONT, size).into_font().color(&self.fg)
    }
}

/// The colour of a step of the ladder on screen, the same in every chart and in the HTML table.
#[must_use]
pub fn step_color(step: Step) -> RGBColor {
    Look::SCREEN.step(step)
}

const FONT: &str = "sans-serif";
const WIDTH: u32 = 1280;

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
    speedup_svg_in(r, &Look::SCREEN)
}

/// [`speedup_svg`] in `look`'s colours.
#[must_use]
pub fn speedup_svg_in(r: &Results, look: &Look) -> Option<String> {
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
    let (hi, inside) = figures_layout(r, lo);
    let rows = r.rungs.len();
    // Each row names its step after its figures, and the limit is labelled on its line: no
    // legend box, so no rows are kept empty for one.
    let height = (190 + 56 * (rows + 1) as u32).max(360);
    let mut svg = String::new();
    draw_speedups(r, look, (lo, hi), &inside, peak, height, &mut svg).ok()?;
    Some(svg)
}

/// The axis's right end, and which rungs' figures are written inside their bar. The axis
/// ends a little past the slowest bar; a rung's figures go after its bar where they fit, else
/// inside it (a long bar is a slow rung: room inside), else the axis is stretched for them.
/// On a log axis a label's room is a share of the decades shown: after the bar it needs
/// (h - x) · plot ≥ label · (h - a), inside it, right of the limit line at c,
/// (x - c) · plot ≥ label · (h - a), with a = log lo, x = log t, h = log of the end.
fn figures_layout(r: &Results, lo: f64) -> (f64, Vec<bool>) {
    // The plot's width, and a conservative width of one character of the figures' type.
    let plot = f64::from(WIDTH) - 200.0 - 2.0 * 24.0;
    let char_px = 10.0;
    let a = lo.log10();
    let bars: Vec<Option<(f64, f64)>> = r
        .rungs
        .iter()
        .map(|x| {
            (x.has_time() && x.estimated_s > 0.0).then(|| {
                let label = (figures_words(x).chars().count() as f64 * char_px
                    + 2.0 * f64::from(GAP_PX))
                .min(plot * 0.7);
                (x.estimated_s.log10(), label)
            })
        })
        .collect();
    let slowest = bars.iter().flatten().map(|b| b.0).fold(a + 1.0, f64::max);
    // Inside a bar, the figures keep to the right of the limit line, drawn across every bar.
    let clear = peak_seconds(r).map_or(a, |p| p.log10().max(a));
    let mut h = slowest + 0.25;
    // Stretching the axis shortens every bar in pixels: settle in as many rounds as bars.
    for _ in 0..=bars.len() {
        let mut need = h;
        for (x, label) in bars.iter().flatten() {
            let after = (h - x) * plot >= label * (h - a);
            let inside = (x - clear) * plot >= label * (h - a);
            if !after && !inside {
                need = need.max((x * plot - label * a) / (plot - label));
            }
        }
        if need <= h {
            break;
        }
        h = need;
    }
    let inside = bars
        .iter()
        .map(|b| {
            b.is_some_and(|(x, label)| {
                (h - x) * plot < label * (h - a) && (x - clear) * plot >= label * (h - a)
            })
        })
        .collect();
    (10f64.powf(h), inside)
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
    look: &Look,
    (lo, hi): (f64, f64),
    inside: &[bool],
    peak: Option<f64>,
    height: u32,
    svg: &mut String,
) -> Result<(), Box<dyn std::error::Error>> {
    let rows = r.rungs.len();
    // A lane under the last bar for the limit's label.
    let bottom = -1.2;
    let names: Vec<String> = r.rungs.iter().map(|x| x.rung.clone()).collect();
    let root = SVGBackend::with_string(svg, (WIDTH, height)).into_drawing_area();
    root.fill(&look.bg)?;
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
        .caption(caption, look.text(34))
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
        .label_style(look.text(24))
        .axis_desc_style(look.text(24))
        .axis_style(look.fg)
        .bold_line_style(look.grid)
        .light_line_style(look.bg)
        .draw()?;
    let mut steps: Vec<Step> = Vec::new();
    for x in &r.rungs {
        if !steps.contains(&x.step) && x.has_time() {
            steps.push(x.step);
        }
    }
    for step in steps {
        let color = look.step(step);
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
    // The figures after each bar, as the terminal shows them, or inside a long bar where
    // they would run past the axis: in the ground's colour on a filled bar.
    let figures = r.rungs.iter().enumerate().map(|(i, x)| {
        let y = (rows - 1 - i) as f64;
        let words = figures_words(x);
        let within = inside.get(i).copied().unwrap_or(false);
        let at = if x.has_time() { x.estimated_s } else { lo };
        // Inside, they end at the bar's end, right of the limit line (see figures_layout).
        let (pos, offset) = if within {
            (HPos::Right, -GAP_PX)
        } else {
            (HPos::Left, GAP_PX)
        };
        let style = look.text(22).pos(Pos::new(pos, VPos::Center));
        let style = if within && !x.extrapolated {
            style.color(&look.bg)
        } else {
            style
        };
        // Set off from the bar's end by pixels, not by spaces a renderer may drop.
        EmptyElement::at((at, y)) + Text::new(words, (offset, 0), style)
    });
    chart.draw_series(figures)?;
    if let Some(t) = peak {
        let top = rows as f64 - 0.4;
        // Dashed, in the text's colour: no step's colour, so never read as a bar's.
        chart.draw_series(DashedLineSeries::new(
            [(t, bottom), (t, top)],
            14,
            8,
            look.limit.stroke_width(3),
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
                    look.text(20)
                        .color(&look.limit)
                        .pos(Pos::new(HPos::Left, VPos::Center)),
                ),
        ))?;
    }
    root.present()?;
    Ok(())
}

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
fn series_colors(ids: &[&str], look: &Look) -> Vec<RGBColor> {
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

#[cfg(test)]
mod tests;
