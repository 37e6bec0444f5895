//! SVG made fit to sit inside the report: charts inline, flamegraphs in a frame of their own.

use std::fmt::Write as _;

use super::esc;

/// The `<svg>` element alone: no XML prolog, DOCTYPE or comments (whose links would be the
/// only addresses in the page; an HTML document takes none of them).
#[must_use]
pub fn svg_body(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let mut out = String::with_capacity(svg.len());
    let mut rest = &svg[start..];
    while let Some(at) = rest.find("<!--") {
        out.push_str(&rest[..at]);
        match rest[at..].find("-->") {
            Some(end) => rest = &rest[at + end + 3..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// A chart twice: in the screen's colours, and in paper's for print (`.paper`, shown by the
/// print style instead). Without a paper version, the screen's alone.
#[must_use]
pub fn chart(screen: &str, paper: &str) -> String {
    if paper.is_empty() {
        return format!("<div class=\"chart\">{}</div>", svg_body(screen));
    }
    format!(
        "<div class=\"chart\"><div class=\"screen\">{}</div><div class=\"paper\">{}</div></div>",
        svg_body(screen),
        svg_body(paper)
    )
}

/// The text of the SVG's `<text id="…">` element (inferno's title and subtitle).
fn text_of<'a>(svg: &'a str, id: &str) -> Option<&'a str> {
    let at = svg.find(&format!("<text id=\"{id}\""))?;
    let open = at + svg[at..].find('>')? + 1;
    let close = open + svg[open..].find("</text>")?;
    Some(&svg[open..close])
}

/// The height an SVG asks for, in pixels (its root element's `height`).
fn svg_height(svg: &str) -> Option<u32> {
    let root = &svg[svg.find("<svg")?..];
    let root = &root[..root.find('>')?];
    let at = root.find(" height=\"")? + " height=\"".len();
    let digits: String = root[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// An inferno flamegraph in an `<iframe srcdoc>`: its script runs in a document of its own, as
/// in a standalone file. Printed, its buttons go and its titles shrink: the page is narrower
/// than the screen, and inferno's text keeps its size as the picture narrows. It keeps its zoom and search in the address (`history.replaceState`),
/// which a document inside a page may not change: that one call becomes a no-op there.
pub fn flame_frame(h: &mut String, svg: &str) {
    // inferno sizes its frames and cuts their names for the width the page had when it
    // loaded (and again on `resize`); a printout is narrower or wider: the frames follow the
    // page (the CSS below), and a `resize` cuts the names again for it. The title and the
    // subtitle shrink with a narrow frame, each by its own length, so they stay whole.
    const PRINT_WIDTH: &str = "function ladderRefit() { window.dispatchEvent(new \
        Event('resize')); }\
        window.addEventListener('beforeprint', ladderRefit);\
        window.addEventListener('afterprint', ladderRefit);\
        window.matchMedia('print').addEventListener('change', ladderRefit);";
    let body = svg_body(svg);
    let height = svg_height(&body).unwrap_or(600) + 8;
    // Each line's own length sets how small it may get: monospace is 0.6 em a character,
    // and a little room is left at the sides.
    let per_em = |id: &str, fallback: usize| {
        // An entity (`&amp;`) is one character drawn.
        let chars = text_of(&body, id).map_or(fallback, |t| {
            [
                ("&lt;", "<"),
                ("&gt;", ">"),
                ("&quot;", "\""),
                ("&apos;", "'"),
                ("&#39;", "'"),
                ("&amp;", "&"),
            ]
            .iter()
            .fold(t.to_string(), |t, (entity, c)| t.replace(entity, c))
            .chars()
            .count()
        });
        (chars as f64 * 0.6 + 3.0).ceil() as usize
    };
    let (title_em, subtitle_em) = (per_em("title", 80), per_em("subtitle", 141));
    let doc = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>body{{margin:0}}body>svg{{display:block;width:100%}}\
         svg #title{{font-size:min(18px,calc(100vw / {title_em}))}}svg #subtitle{{font-size:min(13px,calc(100vw / {subtitle_em}))}}\
         @media print{{#search,#unzoom,#matched,#details{{display:none}}\
         #frames{{width:calc(100% - 20px)}}}}</style>\
         <script>history.replaceState = function () {{}};{PRINT_WIDTH}</script></head><body>{body}</body></html>"
    );
    let _ = writeln!(
        h,
        "<iframe class=\"flame\" style=\"height:{height}px\" srcdoc=\"{}\"></iframe>",
        esc(&doc)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prolog_and_comments_go_and_the_height_is_read() {
        let svg = "<?xml version=\"1.0\"?><!DOCTYPE svg PUBLIC \"x\" \"http://a\">\
                   <svg width=\"10\" height=\"398\" xmlns=\"http://www.w3.org/2000/svg\">\
                   <!--see https://example.com--><g/></svg>";
        let body = svg_body(svg);
        assert_eq!(
            body,
            "<svg width=\"10\" height=\"398\" xmlns=\"http://www.w3.org/2000/svg\"><g/></svg>"
        );
        assert_eq!(svg_height(&body), Some(398));
        let mut h = String::new();
        flame_frame(&mut h, svg);
        assert!(h.starts_with(
            "<iframe class=\"flame\" style=\"height:406px\" srcdoc=\"&lt;!DOCTYPE html&gt;"
        ));
        // Printed, the frames follow the page's width and inferno cuts the names again.
        assert!(h.contains("#frames{width:calc(100% - 20px)}"), "{h}");
        // The title and subtitle shrink with the frame, so a narrow one keeps them whole.
        assert!(
            h.contains("svg #subtitle{font-size:min(13px,calc(100vw / 88))}"),
            "{h}"
        );
        assert!(h.contains("beforeprint"), "{h}");
        // Each line by its own length: 60 characters need 39 em, and a frame 39 em wide.
        let titled = format!(
            "<svg height=\"100\"><text id=\"title\" x=\"50%\">{}</text>\
             <text id=\"subtitle\" x=\"50%\">{}</text></svg>",
            "t".repeat(60),
            "s".repeat(120)
        );
        let mut h = String::new();
        flame_frame(&mut h, &titled);
        assert!(
            h.contains("svg #title{font-size:min(18px,calc(100vw / 39))}"),
            "{h}"
        );
        assert!(
            h.contains("svg #subtitle{font-size:min(13px,calc(100vw / 75))}"),
            "{h}"
        );
        assert!(
            !h[h.find("srcdoc=\"").unwrap() + 8..]
                .trim_end()
                .trim_end_matches("\"></iframe>")
                .contains('"')
        );
    }
}
