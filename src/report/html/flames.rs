//! The report's flamegraphs: each profiled rung's, and what each step changed against the
//! one before it.

use std::fmt::Write as _;

use super::{HtmlReport, NOT_PROFILED, RungProfile, embed, esc};
use crate::profile::{Profile, StackView};
use crate::report::{FEW_SAMPLES, Results};

impl HtmlReport {
    /// Consecutive sampled profiles of one kind (a Python peer's stacks against another
    /// peer's, a rung's against a rung's): the differences drawn.
    pub(super) fn diff_pairs(&self) -> Vec<(&RungProfile, &RungProfile)> {
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

    pub(super) fn flames(&self, r: &Results, h: &mut String) {
        if self.profiles.is_empty() {
            // Said, so a reader does not look for them: a saved run brings them only when it
            // was profiled.
            let _ = writeln!(
                h,
                "<h2 id=\"flames\">Flamegraphs</h2><p class=\"note\">{NOT_PROFILED}</p>"
            );
            return;
        }
        let _ = writeln!(
            h,
            "<h2 id=\"flames\">Flamegraphs</h2><p class=\"note\"><span class=\"screen\">Click a \
             frame to zoom, “Reset Zoom” to go back, “Search” to highlight frames by name. \
             </span>The standard library's scaffolding is folded away and stacks too rare to see \
             are dropped, as in the terminal. The kernel is green, libraries blue, the runner \
             amber; the float64 check, ladder's and not the rung's, is left out.</p>"
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
            let title = crate::report::flame_title(&p.rung, &r.workload, &r.machine);
            let samples = p.profile.total_samples();
            let subtitle = crate::report::flame_subtitle(
                &p.profile,
                r.rungs.iter().find(|x| x.rung == p.rung),
            );
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
                         from (set-up may outweigh the kernel). A larger n gives \
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
        // The earlier rung's time over the later's, as the table shows them.
        let time = |id: &str| {
            r.rungs
                .iter()
                .find(|x| x.rung == id && x.has_time() && x.estimated_s > 0.0)
                .map(|x| x.estimated_s)
        };
        let speedup = |b: &str, a: &str| time(b).zip(time(a)).map(|(b, a)| b / a);
        if !pairs.is_empty() {
            let _ = writeln!(
                h,
                "<h2 id=\"diffs\">What each step changed</h2><p class=\"note\">The shape of the \
                 later rung; red grew and blue shrank against the earlier one, as shares of each run \
                 (so a faster step's kernel grows red: the speedup is in each subtitle). Frames a \
                 step removed are absent.</p>"
            );
        }
        for (before, after) in pairs {
            let what = format!("{} → {}", before.rung, after.rung);
            let title = crate::report::flame_title(&what, &r.workload, &r.machine);
            let mut svg = Vec::new();
            if Profile::write_diff_svg(
                &before.profile,
                &after.profile,
                &title,
                &crate::report::diff_subtitle(
                    &before.profile,
                    &after.profile,
                    &before.rung,
                    speedup(&before.rung, &after.rung),
                ),
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
}
