//! Profiles drawn as flamegraph SVGs (inferno): a slide's names and colours as the terminal
//! shows them, the root bar labelled, and a picture that says why it is empty.

use std::collections::HashMap;
use std::io::{self, Write};

use super::{FrameKind, Profile, StackView, distinct_short_names, frame_kind, view};

impl Profile {
    /// A flamegraph SVG titled `title` (name the rung, workload and machine in it) of the
    /// stacks as `view` shows them; the subtitle says which.
    pub fn write_svg(
        &self,
        title: &str,
        subtitle: &str,
        view: StackView,
        out: impl Write,
    ) -> io::Result<()> {
        self.write_svg_counting(title, subtitle, "samples", view, out)
    }

    /// A flamegraph SVG whose counts are `unit` (e.g. "bytes" for a memory profile).
    pub fn write_svg_counting(
        &self,
        title: &str,
        subtitle: &str,
        unit: &str,
        view: StackView,
        out: impl Write,
    ) -> io::Result<()> {
        let mut opts = svg_options(title, &view.subtitled(subtitle));
        opts.count_name = unit.to_string();
        let shown = self.view(view);
        let names = slide_names(view, &[&shown]);
        let folded = renamed(&shown, &names).to_folded();
        if self.stacks.is_empty() {
            // A memory picture is empty when the runs kept nothing, not when they were short.
            let why = match unit {
                "bytes" => {
                    "Nothing the runs allocated is still live: they kept no memory (a rung \
                     that leaks, such as leaky, shows here)."
                }
                u if u.starts_with("bytes") => {
                    "Nothing allocated after the first request is still live: no leak was found."
                }
                _ => NO_CPU_SAMPLES,
            };
            return write_empty_svg(title, why, out);
        }
        // Our frames in the terminal's colours, by kind: the kernel apart from the runner and
        // its check, and from the libraries (one crate's colour would paint them alike).
        // A Python process's frames keep inferno's palette.
        let mut kinds = (!self.is_python()).then(|| kind_palette(&shown, &names));
        opts.palette_map = kinds.as_mut();
        draw(&mut opts, folded.lines(), out)
    }

    /// The differential folded stacks inferno draws: `stack before after` per line, counts
    /// normalised to the larger total.
    pub fn diff_folded(before: &Profile, after: &Profile) -> io::Result<String> {
        let mut diff = Vec::new();
        inferno::differential::from_readers(
            inferno::differential::Options {
                normalize: true,
                strip_hex: false,
            },
            before.to_folded().as_bytes(),
            after.to_folded().as_bytes(),
            &mut diff,
        )?;
        Ok(String::from_utf8_lossy(&diff).into_owned())
    }

    /// A differential flamegraph: the shape of `after`, coloured by what grew (red) and shrank
    /// (blue) since `before`. Sample counts are normalised, so runs of different lengths compare.
    pub fn write_diff_svg(
        before: &Profile,
        after: &Profile,
        title: &str,
        subtitle: &str,
        view: StackView,
        out: impl Write,
    ) -> io::Result<()> {
        let (before, after) = (before.view_aligned(view), after.view_aligned(view));
        let names = slide_names(view, &[&before, &after]);
        let (before, after) = (renamed(&before, &names), renamed(&after, &names));
        // A run too short to be sampled has nothing to compare (inferno would fail with "No
        // stack counts found"): the picture says so, as a single profile's does.
        if [&before, &after]
            .iter()
            .any(|p| p.to_folded().trim().is_empty())
        {
            return write_empty_svg(title, NO_CPU_SAMPLES, out);
        }
        let text = Self::diff_folded(&before, &after)?;
        if text.trim().is_empty() {
            return write_empty_svg(title, NO_CPU_SAMPLES, out);
        }
        let mut opts = svg_options(title, &view.subtitled(subtitle));
        draw(&mut opts, text.lines(), out)
    }
}

/// For a slide, each frame's name as the terminal shows it (`NativeKernel::rows`, not
/// `<ladder::rungs::native::NativeKernel as ladder::rungs::Kernel>::rows`, which a bar cuts
/// to `<ladder::rungs::n..`), told apart where two would read alike; the full stacks keep
/// every name whole. Over every profile of one picture, so a diff's two sides agree.
fn slide_names(view: StackView, profiles: &[&Profile]) -> HashMap<String, String> {
    if view == StackView::Full {
        return HashMap::new();
    }
    let mut all: Vec<&str> = profiles
        .iter()
        .flat_map(|p| {
            p.stacks
                .iter()
                .flat_map(|(s, _)| s.iter().map(String::as_str))
        })
        .collect();
    all.sort_unstable();
    all.dedup();
    let short = distinct_short_names(&all);
    all.into_iter()
        .zip(short)
        .filter(|(full, short)| full != short)
        .map(|(full, short)| (full.to_string(), short))
        .collect()
}

/// `p` with its frames renamed by `names` (a frame not in it keeps its name).
fn renamed(p: &Profile, names: &HashMap<String, String>) -> Profile {
    if names.is_empty() {
        return p.clone();
    }
    let stacks = p
        .stacks
        .iter()
        .map(|(s, c)| {
            let s = s
                .iter()
                .map(|f| names.get(f).cloned().unwrap_or_else(|| f.clone()))
                .collect();
            (s, *c)
        })
        .collect();
    view::merged(p, stacks)
}

/// The colour of each frame of `p` by its [`FrameKind`], as the terminal draws them: the
/// kernel green, the runner and its check amber, libraries blue, the rest grey; a little
/// lighter or darker by name, so two neighbours of one kind still read as two.
fn kind_palette(
    p: &Profile,
    names: &HashMap<String, String>,
) -> inferno::flamegraph::color::PaletteMap {
    let mut lines = String::new();
    let mut seen = std::collections::HashSet::new();
    for (stack, _) in &p.stacks {
        for frame in stack {
            // inferno's map is `name->rgb(r,g,b)` a line: a name with an arrow cannot be one.
            if frame.contains("->") || !seen.insert(frame.as_str()) {
                continue;
            }
            let (r, g, b) = match frame_kind(frame) {
                FrameKind::Kernel => (95, 195, 95),
                FrameKind::Runner => (235, 185, 70),
                FrameKind::Library => (95, 165, 230),
                FrameKind::System => (185, 185, 185),
            };
            let shade = i32::from(
                frame
                    .bytes()
                    .fold(0u8, |h, c| h.wrapping_mul(31).wrapping_add(c))
                    % 25,
            ) - 12;
            let c = |v: i32| (v + shade).clamp(0, 255);
            let frame = names.get(frame).unwrap_or(frame);
            let _ = std::fmt::Write::write_fmt(
                &mut lines,
                format_args!("{frame}->rgb({},{},{})\n", c(r), c(g), c(b)),
            );
        }
    }
    inferno::flamegraph::color::PaletteMap::from_reader(&mut lines.as_bytes()).unwrap_or_default()
}

/// inferno's SVG, with its Search button as visible as its title: inferno draws it at 10%
/// opacity until hovered, which a projector (or a reader who does not know to hover the top
/// right corner) never shows.
fn draw<'a>(
    opts: &mut inferno::flamegraph::Options<'_>,
    lines: impl IntoIterator<Item = &'a str>,
    mut out: impl Write,
) -> io::Result<()> {
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(opts, lines, &mut svg)?;
    let text = String::from_utf8_lossy(&svg).replacen(
        "#search { text-anchor:end; opacity:0.1;",
        "#search { text-anchor:end; opacity:0.85;",
        1,
    );
    out.write_all(labelled_root(text).as_bytes())
}

/// inferno leaves the root bar's text empty (its name and count only in the hover title): a
/// slide or a printout shows a blank bar under the picture. It reads "all (205 samples)".
fn labelled_root(svg: String) -> String {
    // inferno writes the root last: a frame of ours named `all` comes before it.
    let Some(at) = svg.rfind("<title>all (") else {
        return svg;
    };
    let title = &svg[at + "<title>".len()..];
    // "all (1,024 bytes, 100%)": the count's own commas stay.
    let title = &title[..title.find("</title>").unwrap_or(0)];
    let Some(label) = title.rfind(", ").map(|end| format!("{})", &title[..end])) else {
        return svg;
    };
    let Some(text) = svg[at..].find("<text ").map(|t| at + t) else {
        return svg;
    };
    let Some(open_end) = svg[text..].find('>').map(|e| text + e + 1) else {
        return svg;
    };
    if !svg[open_end..].starts_with("</text>") {
        return svg;
    }
    format!("{}{label}{}", &svg[..open_end], &svg[open_end..])
}

fn svg_options(title: &str, subtitle: &str) -> inferno::flamegraph::Options<'static> {
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = title.to_string();
    if !subtitle.is_empty() {
        opts.subtitle = Some(subtitle.to_string());
    }
    opts.count_name = "samples".into();
    // Colour by crate, so the rungs, the runner and the libraries stand apart.
    opts.colors =
        inferno::flamegraph::color::Palette::Multi(inferno::flamegraph::color::MultiPalette::Rust);
    opts.deterministic = true;
    // A little larger than inferno's 12 px on 16 px rows, for a page or a slide; the
    // subtitle's longest line (report::flame's SUBTITLE_MAX) must still fit 1200 px.
    opts.font_size = 13;
    opts.frame_height = 18;
    opts
}

/// Why a CPU picture is empty.
const NO_CPU_SAMPLES: &str =
    "No samples: the run was too short to profile. Use a larger --n, or a higher --frequency.";

/// A valid SVG saying there was nothing to draw, and `why`.
fn write_empty_svg(title: &str, why: &str, mut out: impl Write) -> io::Result<()> {
    let esc = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    writeln!(
        out,
        r#"<?xml version="1.0" standalone="no"?>
<svg version="1.1" width="1200" height="120" xmlns="http://www.w3.org/2000/svg">
<text x="600" y="40" text-anchor="middle" font-size="17">{esc}</text>
<text x="600" y="80" text-anchor="middle" font-size="14">{why}</text>
</svg>"#
    )
}
