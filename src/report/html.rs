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
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use super::charts::{palette, scale_svg, speedup_svg, step_color};
use super::{
    Results, any_repeated, compile_note, gflops_cell, human_seconds, load_note, peak_cell,
    range_cell, repeat_note, spread_note, time_cell, verified_cell, vs_baseline_cell,
    vs_previous_cell,
};
use crate::profile::{Profile, StackView};
use crate::run::scale::Sweep;
use crate::workload::human_bytes;

/// Below this many samples a flamegraph's proportions are noise, and the page says so.
use super::flame::FEW_SAMPLES;

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
    pub results: Results,
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

/// Escapes text, and shows the lessons' `code` spans (paired backticks) as code, as the
/// terminal does: "How many times faster will `algorithmic` be?".
#[must_use]
pub fn esc_code_spans(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    // An odd backtick is no span: the text is kept as it is.
    if parts.len().is_multiple_of(2) {
        return esc(s);
    }
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i.is_multiple_of(2) {
                esc(p)
            } else {
                format!("<code>{}</code>", esc(p))
            }
        })
        .collect()
}

/// Escapes text for HTML content and attribute values.
#[must_use]
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The look of every page ladder writes (the report, the class view): large type on black,
/// for a projector; printed, black on white (the charts keep their dark ground: their
/// palette is drawn for it).
pub(super) const STYLE: &str = r"
body{background:#000;color:#fff;font:18px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1300px;padding:0 24px 48px}
h1{font-size:34px;margin:28px 0 6px}h2{font-size:26px;margin:40px 0 10px;border-bottom:2px solid #555}
h3{font-size:20px;margin:26px 0 8px}a{color:#8af}
nav a{margin-right:18px}
table{border-collapse:collapse;margin:8px 0;font-size:17px}th,td{padding:5px 7px;border-bottom:1px solid #444;text-align:right;vertical-align:top}
th{color:#ffff64;text-align:right}td.t,th.t{text-align:left}td{white-space:nowrap}td.long{white-space:normal;min-width:14em}tr.what td{white-space:normal;color:#ccc;font-size:16px;padding-top:0}tr.main td{border-bottom:0}
dl{display:grid;grid-template-columns:max-content auto;gap:4px 22px}dt{color:#ffff64}dd{margin:0}
.chart svg{max-width:100%;height:auto;display:block}
.flame{width:100%;border:0;background:#fff;display:block}
.note{color:#ccc}tr.bad td{color:#ff6e6e}.swatch{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:-1px}
code{font-size:16px}.wide{overflow-x:auto}
td.wrap{white-space:normal;min-width:16em}td.v{white-space:normal;min-width:5em}span.nw{white-space:nowrap}table.summary td+td{white-space:normal}span.bad{color:#ff6e6e}blockquote{margin:6px 0 18px;padding:6px 14px;border-left:4px solid #8af;white-space:pre-wrap}
@media (max-width:1100px){table{font-size:15px}th,td{padding:4px 5px}tr.what td{font-size:14px}}
@media print{body{background:#fff;color:#000;font-size:12pt;max-width:none}th,dt{color:#000}.note,tr.what td{color:#333}
a{color:#004}tr.bad td,span.bad{color:#a00}th,td{border-color:#999}.wide{overflow:visible}
.swatch{outline:1px solid #000}.chart svg{background:#000}h2,h3{break-after:avoid}tr,.chart,iframe.flame,.flamebox{break-inside:avoid}}
";

/// Marks the page as rendered once its script has run, counting the flamegraphs whose own
/// script (inferno's `init`) ran and that fill their frame's width (an inline SVG whose width
/// inferno removed shrinks to 300 pixels unless styled): a browser check reads `data-ladder`
/// from the DOM.
const SCRIPT: &str = r#"
window.addEventListener("load", function () {
  var frames = document.querySelectorAll("iframe.flame"), ready = 0;
  for (var i = 0; i < frames.length; i++) {
    try {
      var doc = frames[i].contentDocument, svg = doc.querySelector("svg");
      if (typeof frames[i].contentWindow.zoom === "function" && doc.getElementById("frames") &&
          svg.getBoundingClientRect().width >= 0.9 * frames[i].clientWidth) ready++;
    } catch (e) {}
  }
  document.documentElement.setAttribute("data-ladder", "rendered flames " + ready + "/" + frames.length);
});
"#;

impl HtmlReport {
    /// The whole page.
    #[must_use]
    pub fn render(&self) -> String {
        let r = &self.results;
        let mut h = String::new();
        let title = format!(
            "ladder: {} × {} on {}",
            r.workload.n, r.workload.d, r.machine.cpu
        );
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
            esc(&title),
            esc(&title)
        );
        // Whose run it is, when it was named (`--name`): a handed-in report says so.
        let by = r
            .learner
            .as_deref()
            .map(|n| format!(" Run by {}.", esc(n)))
            .unwrap_or_default();
        let _ = writeln!(
            h,
            "<p class=\"note\">Pairwise cosine similarity, climbed rung by rung.{by} Made by \
             ladder {}.</p>",
            env!("CARGO_PKG_VERSION")
        );
        let mut nav = vec![
            ("machine", "Machine"),
            ("table", "Speedups"),
            ("chart", "Ladder"),
        ];
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
        self.machine(&mut h);
        self.table(&mut h);
        self.chart(&mut h);
        self.flames(&mut h);
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

    fn machine(&self, h: &mut String) {
        let r = &self.results;
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
                m.peak_gflops_core,
                m.peak_gflops_all,
                m.peak_gflops_core_128,
                m.peak_gflops_all_128
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

    fn table(&self, h: &mut String) {
        let r = &self.results;
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
                 style=\"background:{}\"></span>{}</td><td>{}</td><td>{}</td>{range}<td>{}</td><td>{}</td>\
                 <td>{}</td><td>{}</td><td>{}</td><td class=\"t v\">{}</td></tr>\
                 <tr class=\"what\"><td></td><td class=\"t\" colspan=\"{}\">{}</td></tr>",
                esc(&x.rung),
                palette::css(step_color(x.step)),
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
        notes.extend(r.rungs.iter().filter_map(load_note));
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

    fn chart(&self, h: &mut String) {
        let _ = writeln!(h, "<h2 id=\"chart\">The ladder</h2>");
        match speedup_svg(&self.results) {
            Some(svg) => {
                let _ = writeln!(
                    h,
                    "<div class=\"chart\">{}</div><p class=\"note\">Filled bars were measured; \
                     hollow ones are estimates, extrapolated from the rows done within the \
                     budget. The red line is all of S at the measured peak of every core, \
                     computing its upper triangle only.</p>",
                    embed::svg_body(&svg)
                );
            }
            None => {
                let _ = writeln!(h, "<p class=\"note\">No rung has a time to draw.</p>");
            }
        }
    }

    /// Consecutive sampled profiles of one kind (a Python peer's stacks against another
    /// peer's, a rung's against a rung's): the differences drawn.
    fn diff_pairs(&self) -> Vec<(&RungProfile, &RungProfile)> {
        let sampled: Vec<&RungProfile> = self
            .profiles
            .iter()
            .filter(|p| p.profile.total_samples() > 0)
            .collect();
        sampled
            .windows(2)
            .filter(|w| w[0].python == w[1].python)
            .map(|w| (w[0], w[1]))
            .collect()
    }

    fn flames(&self, h: &mut String) {
        if self.profiles.is_empty() {
            // Said, so a reader does not look for them: a saved run brings them only when it
            // was profiled.
            let _ = writeln!(
                h,
                "<h2 id=\"flames\">Flamegraphs</h2><p class=\"note\">{NOT_PROFILED}</p>"
            );
            return;
        }
        let r = &self.results;
        let _ = writeln!(
            h,
            "<h2 id=\"flames\">Flamegraphs</h2><p class=\"note\">Click a frame to zoom, \
             “Reset Zoom” to go back, “Search” to highlight frames by name. The standard \
             library's scaffolding is folded away and stacks too rare to see are dropped, as in \
             the terminal.</p>"
        );
        for p in &self.profiles {
            if p.profile.total_samples() == 0 {
                let _ = writeln!(
                    h,
                    "<h3>{}</h3><p class=\"note\">No samples: the run was too short to profile \
                     (a larger n gives one).</p>",
                    esc(&p.rung)
                );
                continue;
            }
            let title = super::flame_title(&p.rung, &r.workload, &r.machine);
            let samples = p.profile.total_samples();
            let subtitle =
                super::flame_subtitle(&p.profile, r.rungs.iter().find(|x| x.rung == p.rung));
            let mut svg = Vec::new();
            if p.profile
                .write_svg(&title, &subtitle, StackView::Slide, &mut svg)
                .is_ok()
            {
                // One block, so a printed page never ends on a heading whose picture moved on.
                let _ = writeln!(h, "<div class=\"flamebox\"><h3>{}</h3>", esc(&p.rung));
                if samples < FEW_SAMPLES {
                    let _ = writeln!(
                        h,
                        "<p class=\"note\">Only {samples} sample{}: too few to read proportions \
                         from (set-up and verification may outweigh the kernel). A larger n gives \
                         more.</p>",
                        if samples == 1 { "" } else { "s" }
                    );
                }
                embed::flame_frame(h, &String::from_utf8_lossy(&svg));
                let _ = writeln!(h, "</div>");
            }
        }
        // Like with like: a Python peer's stacks against another peer's.
        let pairs = self.diff_pairs();
        if !pairs.is_empty() {
            let _ = writeln!(
                h,
                "<h2 id=\"diffs\">What each step changed</h2><p class=\"note\">The shape of the \
                 later rung; red grew and blue shrank against the earlier one (sample counts \
                 normalised). Frames a step removed are absent.</p>"
            );
        }
        for (before, after) in pairs {
            let what = format!("{} → {}", before.rung, after.rung);
            let title = super::flame_title(&what, &r.workload, &r.machine);
            let mut svg = Vec::new();
            if Profile::write_diff_svg(
                &before.profile,
                &after.profile,
                &title,
                &super::flame::diff_subtitle(&before.profile, &after.profile, &before.rung),
                StackView::Slide,
                &mut svg,
            )
            .is_ok()
            {
                let _ = writeln!(h, "<div class=\"flamebox\"><h3>{}</h3>", esc(&what));
                embed::flame_frame(h, &String::from_utf8_lossy(&svg));
                let _ = writeln!(h, "</div>");
            }
        }
    }

    fn scale(&self, h: &mut String) {
        let Some(s) = &self.scale else { return };
        let _ = writeln!(h, "<h2 id=\"scale\">Scaling (d = {})</h2>", s.d);
        let ids: Vec<&str> = s.ids.iter().map(String::as_str).collect();
        if let Some(svg) = scale_svg(&s.sweep, &ids) {
            let _ = writeln!(h, "<div class=\"chart\">{}</div>", embed::svg_body(&svg));
        }
        let mut sizes: Vec<usize> = s.sweep.points.iter().map(|p| p.n).collect();
        sizes.sort_unstable();
        sizes.dedup();
        let _ = write!(h, "<table><thead><tr><th class=\"t\">rung</th>");
        for n in &sizes {
            let _ = write!(h, "<th>n = {n}</th>");
        }
        let _ = writeln!(h, "<th>exponent</th></tr></thead><tbody>");
        for id in &ids {
            let _ = write!(h, "<tr><td class=\"t\"><code>{}</code></td>", esc(id));
            for n in &sizes {
                let cell = s
                    .sweep
                    .points
                    .iter()
                    .find(|p| p.rung == *id && p.n == *n)
                    .map_or_else(
                        || "-".to_string(),
                        |p| {
                            format!(
                                "{}{}{}",
                                if p.extrapolated { "~" } else { "" },
                                human_seconds(p.seconds),
                                if p.verified { "" } else { " ✗" }
                            )
                        },
                    );
                let _ = write!(h, "<td>{}</td>", esc(&cell));
            }
            let b = s
                .sweep
                .exponent_of(id)
                .map_or_else(|| "-".into(), |b| format!("{b:.2}"));
            let _ = writeln!(h, "<td>{b}</td></tr>");
        }
        let _ = writeln!(
            h,
            "</tbody></table><p class=\"note\">exponent: b in time ≈ a·nᵇ, fitted on a log-log \
             scale (2 for an O(n²) kernel); ~ extrapolated from the budget (a hollow point in the \
             chart); ✗ failed its check. Each rung keeps its step's colour from the ladder \
             chart; a second rung of one step (topk after algorithmic) takes one of its own.</p>"
        );
        if let Some(note) = super::scale::flat_note(&s.sweep, &ids) {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&note));
        }
        for sk in &s.sweep.skipped {
            let _ = writeln!(
                h,
                "<p class=\"note\">n = {}, {} skipped: {}</p>",
                sk.n,
                esc(&sk.rung),
                esc(&sk.reason)
            );
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
