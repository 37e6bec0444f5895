//! The one-file HTML report to hand out: the machine and workload, the speedup table, the
//! ladder and scaling charts, each profiled rung's interactive flamegraph and the differences
//! between consecutive ones, and any further tables (the lab's results, the lessons'
//! predictions).
//!
//! Self-contained: no network, no file beside it (it must open from a USB stick). Everything
//! that came from a file or a user is escaped. Flamegraphs are inferno's own SVG, each in an
//! `<iframe srcdoc>`: a document of its own, so its script (click to zoom, search) runs as in a
//! standalone file, and several do not share globals or element ids.

mod embed;
mod flames;
mod markup;
mod scale;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use self::markup::SCRIPT;
pub use self::markup::{STYLE, esc, esc_code_spans};
use super::charts::{Look, palette, speedup_svg, speedup_svg_in, step_color};
use super::{
    Results, any_repeated, compile_note, gflops_cell, human_seconds, load_notes, peak_cell,
    range_cell, repeat_note, spread_note, time_cell, verified_cell, vs_baseline_cell,
    vs_previous_cell,
};
use crate::profile::Profile;
use crate::run::scale::Sweep;
use crate::workload::human_bytes;

/// Why a report has no flamegraphs, and how to get them.
pub const NOT_PROFILED: &str = "No flamegraphs: these runs were not profiled. `ladder run \
     --report report.html` profiles every rung; for a report from saved runs, save them with \
     `ladder run --profile --format json -o run.json`.";

/// One rung's CPU profile, drawn as its flamegraph.
#[derive(Clone, Debug)]
pub struct RungProfile {
    pub rung: String,
    pub profile: Profile,
    /// Python stacks sampled by py-spy (a peer): compared only with other peers.
    pub python: bool,
}

/// A scaling sweep, as `ladder scale --format json` writes it.
#[derive(Clone, Debug, Default)]
pub struct ScaleSection {
    pub sweep: Sweep,
    /// Rungs in the order swept.
    pub ids: Vec<String>,
    pub d: usize,
}

/// A further table: the lab's results, the lessons' predictions against measurements. Cells
/// are plain text (escaped when written).
#[derive(Clone, Debug, Default)]
pub struct TableSection {
    pub title: String,
    pub intro: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Everything a report shows.
#[derive(Clone, Debug)]
pub struct HtmlReport {
    /// The runs' table, charts and flamegraphs; None for a report of a lab's or the lessons'
    /// tables (or a sweep) alone.
    pub results: Option<Results>,
    /// Whose tables these are, for a report without runs (a run names its own learner).
    pub tables_by: Option<String>,
    /// Profiles of the rungs that have one, in ladder order.
    pub profiles: Vec<RungProfile>,
    pub scale: Option<ScaleSection>,
    pub sections: Vec<TableSection>,
    /// Where the figures come from (files read), said at the bottom.
    pub sources: Vec<String>,
    /// What a reader must know before trusting the figures (runs from another machine merged
    /// in), said at the top.
    pub warnings: Vec<String>,
    /// Where a merged report's rows come from, when a later file ran a rung again: said at
    /// the bottom, beside the files read.
    pub notes: Vec<String>,
}

impl HtmlReport {
    /// The whole page.
    #[must_use]
    pub fn render(&self) -> String {
        let mut h = String::new();
        let title = if let Some(r) = &self.results {
            format!(
                "ladder: {} × {} on {}",
                r.workload.n, r.workload.d, r.machine.cpu
            )
        } else {
            // No runs: named by what it holds.
            let mut held: Vec<&str> = self.sections.iter().map(|s| s.title.as_str()).collect();
            if self.scale.is_some() {
                held.push("Scaling");
            }
            format!("ladder: {}", held.join(" · "))
        };
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
            esc(&title),
            esc(&title)
        );
        // Whose run it is, when it was named (`--name`): a handed-in report says so.
        let by = match &self.results {
            Some(r) => r.learner.as_deref().map(|n| format!(" Run by {}.", esc(n))),
            None => self
                .tables_by
                .as_deref()
                .map(|n| format!(" By {}.", esc(n))),
        }
        .unwrap_or_default();
        let _ = writeln!(
            h,
            "<p class=\"note\">Pairwise cosine similarity, climbed rung by rung.{by} Made by \
             ladder {}.</p>",
            env!("CARGO_PKG_VERSION")
        );
        let mut nav = Vec::new();
        if self.results.is_some() {
            nav.extend([
                ("machine", "Machine"),
                ("table", "Speedups"),
                ("chart", "Ladder"),
            ]);
        }
        if !self.profiles.is_empty() {
            nav.push(("flames", "Flamegraphs"));
        }
        if !self.diff_pairs().is_empty() {
            nav.push(("diffs", "What each step changed"));
        }
        if self.scale.is_some() {
            nav.push(("scale", "Scaling"));
        }
        let _ = write!(h, "<nav>");
        for (id, name) in nav {
            let _ = write!(h, "<a href=\"#{id}\">{name}</a>");
        }
        for (i, s) in self.sections.iter().enumerate() {
            let _ = write!(h, "<a href=\"#section-{i}\">{}</a>", esc(&s.title));
        }
        let _ = writeln!(h, "</nav>");
        for w in &self.warnings {
            let _ = writeln!(
                h,
                "<p class=\"note\"><span class=\"bad\">Warning:</span> {}</p>",
                esc(w)
            );
        }
        if let Some(r) = &self.results {
            machine(r, &mut h);
            table(r, &mut h);
            chart(r, &mut h);
            self.flames(r, &mut h);
        }
        self.scale(&mut h);
        for (i, s) in self.sections.iter().enumerate() {
            section(&mut h, i, s);
        }
        if !self.sources.is_empty() {
            let files: Vec<String> = self
                .sources
                .iter()
                .map(|s| format!("<code>{}</code>", esc(s)))
                .collect();
            let _ = writeln!(h, "<p class=\"note\">From {}.</p>", files.join(", "));
        }
        for n in &self.notes {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(n));
        }
        let _ = writeln!(h, "<script>{SCRIPT}</script>\n</body></html>");
        h
    }
}

fn machine(r: &Results, h: &mut String) {
    let m = &r.machine;
    let w = &r.workload;
    let _ = writeln!(h, "<h2 id=\"machine\">Machine and workload</h2><dl>");
    let mut item = |k: &str, v: String| {
        let _ = writeln!(h, "<dt>{k}</dt><dd>{}</dd>", esc(&v));
    };
    item(
        "CPU",
        match &m.model {
            Some(model) => format!("{} ({model})", m.cpu),
            None => m.cpu.clone(),
        },
    );
    item(
        "cores",
        format!(
            "{} logical{}, {}",
            m.logical_cores,
            m.physical_cores
                .map_or_else(String::new, |p| format!(", {p} physical")),
            m.arch
        ),
    );
    item("SIMD", m.simd.join(", "));
    item("kernels' instruction set", m.kernel_isa.clone());
    item(
        "measured float32 peak",
        format!(
            "{:.1} GFLOP/s per core, {:.1} on all cores ({:.1} and {:.1} with 128-bit vectors)",
            m.peak_gflops_core, m.peak_gflops_all, m.peak_gflops_core_128, m.peak_gflops_all_128
        ),
    );
    if let Some(bw) = m.mem_read_gbs {
        item("memory read bandwidth", format!("{bw:.1} GB/s"));
    }
    let origin = &m.peak_origin;
    item(
        "peak measured",
        [
            Some(format!("{:?}", origin.peak_source).to_lowercase()),
            origin.measured_at.clone(),
            origin.peak_method.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · "),
    );
    item(
        "workload",
        format!(
            "{} vectors × {} dimensions, float32, {}{}",
            w.n,
            w.d,
            w.origin(),
            if w.zero_rows > 0 {
                format!(", {} zero vectors", w.zero_rows)
            } else {
                String::new()
            }
        ),
    );
    item(
        "run",
        format!("{} s budget per rung, {} threads", r.budget_s, r.threads),
    );
    let _ = writeln!(h, "</dl>");
}

fn table(r: &Results, h: &mut String) {
    // As in the terminal: the min–max column when a rung ran more than once.
    let spread = any_repeated(&r.rungs);
    let _ = writeln!(
        h,
        "<h2 id=\"table\">Speedups</h2><div class=\"wide\"><table><thead><tr><th class=\"t\">rung</th>\
             <th class=\"t\">step</th><th>setup</th><th>time</th>{}<th>GFLOP/s</th><th>% of peak</th>\
             <th>vs baseline</th><th>vs previous</th><th>peak RSS</th><th class=\"t\">verified</th>\
             </tr></thead><tbody>",
        if spread { "<th>min–max</th>" } else { "" }
    );
    for x in &r.rungs {
        let timed = x.has_time();
        let bad = if x.is_failure() { " bad" } else { "" };
        let range = if spread {
            format!("<td>{}</td>", esc(&range_cell(x)))
        } else {
            String::new()
        };
        let _ = writeln!(
            h,
            "<tr class=\"main{bad}\"><td class=\"t\"><code>{}</code></td><td class=\"t\"><span class=\"swatch\" \
                 style=\"background:{};--paper:{}\"></span>{}</td><td>{}</td><td>{}</td>{range}<td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td class=\"t v\">{}</td></tr>\
                 <tr class=\"what\"><td></td><td class=\"t\" colspan=\"{}\">{}</td></tr>",
            esc(&x.rung),
            palette::css(step_color(x.step)),
            palette::css(Look::PAPER.step(x.step)),
            x.step,
            if timed {
                human_seconds(x.setup_s)
            } else {
                "-".into()
            },
            esc(&time_cell(x)),
            gflops_cell(x),
            peak_cell(x),
            esc(&vs_baseline_cell(x)),
            esc(&vs_previous_cell(x)),
            human_bytes(x.peak_rss_bytes),
            verified_html(x),
            if spread { 10 } else { 9 },
            esc(&x.what_changed),
        );
    }
    let _ = writeln!(h, "</tbody></table></div>");
    let mut notes = vec![
        "GFLOP/s is effective: the full matrix's 2·n²·d over the time, whatever shortcut a \
             rung takes. % of peak counts the arithmetic a rung really does against the measured \
             peak of the cores it used."
            .to_string(),
    ];
    notes.extend(spread_note(&r.rungs));
    notes.extend(r.rungs.iter().filter_map(repeat_note));
    notes.extend(r.rungs.iter().filter_map(compile_note));
    notes.extend(load_notes(&r.rungs));
    if r.rungs.iter().any(|x| x.extrapolated) {
        notes.push(format!(
            "~ (est.): stopped at the {} s budget after a prefix of rows; the full time is \
                 extrapolated from the work done.",
            r.budget_s
        ));
    }
    for n in notes {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&n));
    }
}

fn chart(r: &Results, h: &mut String) {
    let _ = writeln!(h, "<h2 id=\"chart\">The ladder</h2>");
    match speedup_svg(r) {
        Some(svg) => {
            let paper = speedup_svg_in(r, &Look::PAPER).unwrap_or_default();
            let _ = writeln!(
                h,
                "{}<p class=\"note\">Filled bars were measured; \
                     hollow ones are estimates, extrapolated from the rows done within the \
                     budget. The dashed line is all of S at the measured peak of every core, \
                     computing its upper triangle only.</p>",
                embed::chart(&svg, &paper)
            );
        }
        None => {
            let _ = writeln!(h, "<p class=\"note\">No rung has a time to draw.</p>");
        }
    }
}

/// The verified cell, free to wrap between its mark and its figures but not inside them
/// ("(err 6.3e-9)" would break at its hyphen).
fn verified_html(x: &crate::run::RunReport) -> String {
    verified_cell(x)
        .split(" (")
        .enumerate()
        .map(|(i, part)| {
            let part = if i == 0 {
                part.to_string()
            } else {
                format!("({part}")
            };
            format!("<span class=\"nw\">{}</span>", esc(&part))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn section(h: &mut String, i: usize, s: &TableSection) {
    let _ = writeln!(h, "<h2 id=\"section-{i}\">{}</h2>", esc(&s.title));
    if !s.intro.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&s.intro));
    }
    // A table of nothing (lessons opened, no prediction made yet) says so, not a bare header.
    if s.rows.is_empty() {
        let _ = writeln!(h, "<p class=\"note\">Nothing is recorded in it yet.</p>");
        return;
    }
    let _ = write!(h, "<div class=\"wide\"><table><thead><tr>");
    for c in &s.header {
        let _ = write!(h, "<th class=\"t\">{}</th>", esc(c));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for row in &s.rows {
        let _ = write!(h, "<tr>");
        for c in row {
            // A sentence (a step's reason, a lesson's question) wraps in its cell; the page
            // stays as wide as the window and its printout.
            let class = if c.chars().count() > 40 {
                "t long"
            } else {
                "t"
            };
            let _ = write!(h, "<td class=\"{class}\">{}</td>", esc(c));
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table></div>");
}
