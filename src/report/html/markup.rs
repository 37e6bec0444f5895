//! Markup every page ladder writes shares: escaping, the look, and the script a browser
//! check reads.

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
/// for a projector; printed, black on white (the charts and the swatches in their paper
/// colours).
pub const STYLE: &str = r"
body{background:#000;color:#fff;font:18px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1300px;padding:0 24px 48px}
h1{font-size:34px;margin:28px 0 6px}h2{font-size:26px;margin:40px 0 10px;border-bottom:2px solid #555}
h3{font-size:20px;margin:26px 0 8px}a{color:#8af}
nav a{margin-right:18px}
table{border-collapse:collapse;margin:8px 0;font-size:17px}th,td{padding:5px 7px;border-bottom:1px solid #444;text-align:right;vertical-align:top}
th{color:#ffff64;text-align:right}td.t,th.t{text-align:left}td{white-space:nowrap}td.long{white-space:normal;min-width:14em}tr.what td{white-space:normal;color:#ccc;font-size:16px;padding-top:0}tr.main td{border-bottom:0}
dl{display:grid;grid-template-columns:max-content auto;gap:4px 22px}dt{color:#ffff64}dd{margin:0}
.chart svg{max-width:100%;height:auto;display:block}.chart .paper{display:none}
.flame{width:100%;border:0;background:#fff;display:block}
.note{color:#ccc}tr.bad td{color:#ff6e6e}.swatch{display:inline-block;width:14px;height:14px;margin-right:6px;vertical-align:-1px}
code{font-size:16px}.wide{overflow-x:auto}
td.wrap{white-space:normal;min-width:16em}td.v{white-space:normal;min-width:5em}span.nw{white-space:nowrap}table.summary td+td{white-space:normal}span.bad{color:#ff6e6e}blockquote{margin:6px 0 18px;padding:6px 14px;border-left:4px solid #8af;white-space:pre-wrap}
@media (max-width:1100px){table{font-size:15px}th,td{padding:4px 5px}tr.what td{font-size:14px}}
@media print{body{background:#fff;color:#000;font-size:12pt;max-width:none}th,dt{color:#000}.note,tr.what td{color:#333}
a{color:#004}tr.bad td,span.bad{color:#a00}th,td{border-color:#999}.wide{overflow:visible}
.swatch{outline:1px solid #000;background:var(--paper)!important}.chart .screen,.note .screen{display:none}.chart .paper{display:block}h2,h3{break-after:avoid}tr,.chart,iframe.flame,.flamebox{break-inside:avoid}
table{font-size:9.5pt}th,td{padding:3px 4px}td.v{white-space:nowrap}tr.main{break-after:avoid}tr.what td{font-size:9pt}code{font-size:9.5pt}.wide+.note,table+.note{break-before:avoid}p{orphans:2;widows:2}}
";

/// Marks the page as rendered once its script has run, counting the flamegraphs whose own
/// script (inferno's `init`) ran and that fill their frame's width (an inline SVG whose width
/// inferno removed shrinks to 300 pixels unless styled): a browser check reads `data-ladder`
/// from the DOM.
pub(super) const SCRIPT: &str = r#"
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
