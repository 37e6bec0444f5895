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

/// Seconds the whole matrix (2·n²·d flops) takes at the measured peak of every core: no rung
/// that computes all of S can be faster.
#[must_use]
pub fn peak_seconds(r: &Results) -> Option<f64> {
    let flops = 2.0 * (r.workload.n as f64).powi(2) * r.workload.d as f64;
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
        format!(
            "{est}{} · {} vs base · {}",
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
        human_seconds(x)
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
                        "limit: the whole matrix at the measured peak ({:.0} GFLOP/s, {})",
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
    let mut chart = ChartBuilder::on(&root)
        .caption("How the time grows with n (log-log)", text(34))
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
        .y_label_formatter(&|t| human_seconds(*t))
        .x_desc("n (vectors)")
        .y_desc("kernel time")
        .label_style(text(24))
        .axis_desc_style(text(24))
        .axis_style(palette::FG)
        .bold_line_style(palette::GRID)
        .light_line_style(palette::BG)
        .draw()?;
    let colors = series_colors(ids);
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
        chart
            .draw_series(LineSeries::new(
                line.iter().map(|p| (p.n as f64, p.seconds)),
                color.stroke_width(4),
            ))?
            .label(format!("{id}{exponent}"))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 26, y)], color.stroke_width(4)));
        chart.draw_series(line.iter().map(|p| {
            let style = if p.extrapolated {
                color.stroke_width(3)
            } else {
                color.filled()
            };
            Circle::new((p.n as f64, p.seconds), 8, style)
        }))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .label_font(text(22))
        .background_style(palette::BG.mix(0.85))
        .border_style(palette::GRID)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{WorkloadMeta, test_machine};
    use crate::run::scale::ScalePoint;
    use crate::run::{RunReport, RunStatus, fill_speedups};

    /// Parses `svg` as XML; returns each element's name with its attributes.
    fn elements(svg: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut reader = quick_xml::Reader::from_str(svg);
        let mut out = Vec::new();
        let mut depth = 0i32;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Start(e)) => {
                    depth += 1;
                    out.push(element(&e));
                }
                Ok(quick_xml::events::Event::Empty(e)) => out.push(element(&e)),
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("not well-formed: {e}"),
            }
        }
        assert_eq!(depth, 0, "unclosed elements");
        out
    }

    fn element(e: &quick_xml::events::BytesStart) -> (String, Vec<(String, String)>) {
        let attrs = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    String::from_utf8_lossy(&a.value).into_owned(),
                )
            })
            .collect();
        (
            String::from_utf8_lossy(e.name().as_ref()).into_owned(),
            attrs,
        )
    }

    fn attr<'a>(e: &'a (String, Vec<(String, String)>), key: &str) -> &'a str {
        e.1.iter().find(|(k, _)| k == key).map_or("", |(_, v)| v)
    }

    fn results() -> Results {
        let rung = |id: &str, s: f64, extrapolated: bool| {
            let mut r = RunReport::new(&crate::rungs::find(id).unwrap().info(), 1, 100);
            r.rows_done = 100;
            r.estimated_s = s;
            r.extrapolated = extrapolated;
            r
        };
        let mut failed = rung("library", 0.0, false);
        failed.status = RunStatus::Failed("no".into());
        let mut rungs = vec![
            rung("naive", 3.0, true),
            rung("algorithmic", 0.5, false),
            rung("native", 0.01, false),
            failed,
        ];
        fill_speedups(&mut rungs);
        Results {
            workload: WorkloadMeta {
                n: 1000,
                d: 768,
                seed: 0,
                source: "normal".into(),
                zero_rows: 0,
            },
            machine: test_machine("cpu"),
            budget_s: 1.0,
            threads: 1,
            rungs,
            learner: None,
        }
    }

    #[test]
    fn the_ladder_chart_has_a_bar_per_timed_rung_coloured_by_step_and_the_limit() {
        let r = results();
        let svg = speedup_svg(&r).unwrap();
        let els = elements(&svg);
        let texts: String = svg.split("<text").skip(1).collect::<Vec<_>>().join("|");
        for id in ["naive", "algorithmic", "native", "library"] {
            assert!(
                texts.contains(&format!(">\n{id}{GAP}{KEEP}\n<")),
                "{id} labels a row"
            );
        }
        for step in ["Baseline", "Algorithm", "Native"] {
            assert!(
                texts.contains(&format!("vs base · {step}")),
                "{step} names its rows"
            );
        }
        assert!(texts.contains("~ est. 3.00 s"), "the estimate is marked");
        assert!(texts.contains("failed: no"), "an untimed rung says why");
        // 2·1000²·768 flops at 200 GFLOP/s.
        assert!(texts.contains("(200 GFLOP/s, 7.7 ms)"), "{texts}");
        let color = |step| palette::css(step_color(step)).to_uppercase();
        let bars = |fill: &str, stroke: &str| {
            els.iter()
                .filter(|e| e.0 == "rect")
                .filter(|e| attr(e, "fill") == fill && attr(e, "stroke") == stroke)
                .count()
        };
        // Measured bars are filled; the estimate is hollow.
        assert_eq!(bars(&color(Step::Algorithm), "none"), 1);
        assert_eq!(bars(&color(Step::Native), "none"), 1);
        assert_eq!(bars("none", &color(Step::Baseline)), 1);
        let none = Results {
            rungs: vec![r.rungs[3].clone()],
            learner: None,
            ..r
        };
        assert_eq!(speedup_svg(&none), None, "nothing timed, nothing drawn");
    }

    #[test]
    fn the_scaling_chart_has_a_line_per_rung_with_its_exponent() {
        let p = |rung: &str, n: usize, seconds: f64, extrapolated| ScalePoint {
            rung: rung.into(),
            n,
            seconds,
            extrapolated,
            gflops_effective: 1.0,
            verified: true,
        };
        let sweep = Sweep {
            points: vec![
                p("naive", 1000, 1.0, false),
                p("naive", 2000, 4.0, true),
                p("native", 1000, 0.01, false),
                p("native", 2000, 0.02, false),
            ],
            ..Sweep::default()
        };
        let svg = scale_svg(&sweep, &["naive", "native"]).unwrap();
        let els = elements(&svg);
        assert!(svg.contains("naive · b = 2.00") && svg.contains("native · b = 1.00"));
        let colors = series_colors(&["naive", "native"]);
        assert_ne!(colors[0], colors[1]);
        assert_eq!(
            colors[1],
            step_color(crate::rungs::Step::Native),
            "as in the ladder"
        );
        for (k, hollow) in [(0, 1), (1, 0)] {
            let c = palette::css(colors[k]).to_uppercase();
            let lines = els
                .iter()
                .filter(|e| e.0 == "polyline" && attr(e, "stroke") == c)
                .filter(|e| attr(e, "points").split_whitespace().count() == 2)
                .count();
            // The series' line and its legend's sample.
            assert!(lines >= 2, "rung {k}: {lines} lines");
            let circles = |fill: &str| {
                els.iter()
                    .filter(|e| e.0 == "circle" && attr(e, "fill") == fill)
                    .count()
            };
            let hollows = els
                .iter()
                .filter(|e| e.0 == "circle" && attr(e, "fill") == "none")
                .filter(|e| attr(e, "stroke") == c)
                .count();
            assert_eq!(hollows, hollow, "rung {k}: extrapolated points are hollow");
            assert_eq!(circles(&c), 2 - hollow);
        }
        assert_eq!(scale_svg(&Sweep::default(), &["naive"]), None);
    }
}
