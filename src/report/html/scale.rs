//! The report's scaling section: the log-log chart and its table of times and exponents.

use std::fmt::Write as _;

use super::{HtmlReport, embed, esc};
use crate::report::charts::{Look, scale_svg_in};
use crate::report::human_seconds;

impl HtmlReport {
    pub(super) fn scale(&self, h: &mut String) {
        let Some(s) = &self.scale else { return };
        let _ = writeln!(h, "<h2 id=\"scale\">Scaling (d = {})</h2>", s.d);
        let ids: Vec<&str> = s.ids.iter().map(String::as_str).collect();
        if let Some(svg) = scale_svg_in(&s.sweep, &ids, &Look::SCREEN) {
            let paper = scale_svg_in(&s.sweep, &ids, &Look::PAPER).unwrap_or_default();
            let _ = writeln!(h, "{}", embed::chart(&svg, &paper));
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
                                "{}{}{}{}",
                                if p.extrapolated { "~" } else { "" },
                                human_seconds(p.seconds),
                                if p.under_load() { " !" } else { "" },
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
        if let Some(note) = crate::report::scale::exponent_note(&s.sweep, &ids) {
            let _ = writeln!(h, "<p class=\"note\">{}</p>", esc(&note));
        }
        if let Some(note) = crate::report::scale::load_note(&s.sweep) {
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
