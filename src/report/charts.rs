//! Charts as SVG, drawn with plotters: the ladder (time per rung on a log axis, the measured
//! peak as the limit) and the scaling sweep (log-log, one line per rung with its exponent).
//!
//! They are made to be projected: large type, light colours on black, the app's high-contrast
//! palette. The same strings go beside NOTES.md, to `ladder scale --plot` and, inline, into
//! the HTML report.

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Results, human_seconds, human_speedup};
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

mod scale;

pub use scale::{scale_svg, scale_svg_in};

#[cfg(test)]
mod tests;
