//! The class view as one self-contained HTML page, in the report's own style and escaping:
//! no script, no link, nothing fetched.

use std::fmt::Write as _;

use super::Class;
use super::Student;
use super::render::{
    EXPLAIN_NOTE, HEADER, INTRO, LEGEND, PREDICTION_HEADER, by_question, counts, lab_heading,
    lab_rows, lessons_line, prediction_rows, row, run_rows,
};
use crate::report::html::{STYLE, esc, esc_code_spans};

impl Class {
    /// One self-contained page (no script, no link, nothing fetched): the summary, each
    /// student's details, the explanations to read, and the files skipped.
    #[must_use]
    pub fn html(&self) -> String {
        let mut h = String::new();
        let title = format!("ladder: the class, {}", counts(self));
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{t}</title><style>{STYLE}</style></head><body>\n<h1>{t}</h1>\n\
             <p class=\"note\">{}</p>\n",
            esc(INTRO),
            t = esc(&title)
        );
        let _ = write!(h, "<h2 id=\"summary\">Summary</h2>");
        for c in self.cautions() {
            let _ = writeln!(
                h,
                "<p class=\"note\"><span class=\"bad\">Compare with care:</span> {}</p>",
                esc(&c)
            );
        }
        let _ = write!(h, "<div class=\"wide\">");
        let usual = self.usual_sizes();
        let rows: Vec<Vec<String>> = self
            .students
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut r: Vec<String> = row(s, &usual)
                    .iter()
                    .map(|c| esc(c).replace(" !", "&nbsp;!"))
                    .collect();
                r[0] = format!("<a href=\"#student-{i}\">{}</a>", r[0]);
                r
            })
            .collect();
        html_table(
            &mut h,
            "<table class=\"summary\">",
            &HEADER,
            &rows,
            &[0, 1, 2, 6],
            None,
        );
        let _ = writeln!(h, "</div><p class=\"note\">{}</p>", esc(LEGEND));
        if !self.skipped.is_empty() {
            let _ = writeln!(
                h,
                "<h2 id=\"skipped\">Skipped files</h2><p class=\"note\">Not read: ask for \
                 these again.</p><table><tbody>"
            );
            for k in &self.skipped {
                let _ = writeln!(
                    h,
                    "<tr class=\"bad\"><td class=\"t\"><code>{}</code></td><td class=\"t wrap\">{}</td></tr>",
                    esc(&k.file),
                    esc_code_spans(&k.why.to_string())
                );
            }
            let _ = writeln!(h, "</tbody></table>");
        }
        let questions = by_question(self);
        if !questions.is_empty() {
            let _ = writeln!(
                h,
                "<h2 id=\"explanations\">Explanations, for review</h2><p class=\"note\">{}</p>",
                esc(EXPLAIN_NOTE)
            );
        }
        for ((lesson, question), answers) in questions {
            let _ = writeln!(
                h,
                "<h3><span class=\"note\">{}:</span> {}</h3>",
                esc(lesson),
                crate::report::html::esc_code_spans(question)
            );
            for (i, name, text) in answers {
                let _ = writeln!(
                    h,
                    "<p><a href=\"#student-{i}\">{}</a></p><blockquote>{}</blockquote>",
                    esc(name),
                    esc(text)
                );
            }
        }
        for (i, s) in self.students.iter().enumerate() {
            student_html(&mut h, i, s);
        }
        let _ = writeln!(
            h,
            "<p class=\"note\">Made by ladder {}.</p>\n</body></html>",
            env!("CARGO_PKG_VERSION")
        );
        h
    }
}

/// A table of cells already escaped; the columns in `text` align left, and the `wrap` one
/// holds prose that wraps.
fn html_table(
    h: &mut String,
    open: &str,
    header: &[&str],
    rows: &[Vec<String>],
    text: &[usize],
    wrap: Option<usize>,
) {
    let class = |i: usize| {
        if text.contains(&i) {
            " class=\"t\""
        } else {
            ""
        }
    };
    let _ = write!(h, "{open}<thead><tr>");
    for (i, c) in header.iter().enumerate() {
        let _ = write!(h, "<th{}>{}</th>", class(i), esc(c));
    }
    let _ = writeln!(h, "</tr></thead><tbody>");
    for r in rows {
        let _ = write!(h, "<tr>");
        for (i, c) in r.iter().enumerate() {
            if wrap == Some(i) {
                let _ = write!(h, "<td class=\"t wrap\">{c}</td>");
            } else {
                let _ = write!(h, "<td{}>{c}</td>", class(i));
            }
        }
        let _ = writeln!(h, "</tr>");
    }
    let _ = writeln!(h, "</tbody></table>");
}

/// Cells as the page shows them: `code` spans as code, as the terminal does, and a time's load
/// mark `!` kept on its time's line.
fn escaped(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|r| {
            r.iter()
                .map(|c| esc_code_spans(c).replace(" !", "&nbsp;!"))
                .collect()
        })
        .collect()
}

fn student_html(h: &mut String, i: usize, s: &Student) {
    let _ = writeln!(h, "<h2 id=\"student-{i}\">{}</h2><dl>", esc(&s.name));
    let files: Vec<String> = s
        .files
        .iter()
        .map(|f| format!("<code>{}</code>", esc(f)))
        .collect();
    let _ = writeln!(h, "<dt>files</dt><dd>{}</dd>", files.join(", "));
    if !s.machines.is_empty() {
        let _ = writeln!(
            h,
            "<dt>machine</dt><dd>{}</dd>",
            esc(&s.machines.join(" / "))
        );
    }
    let _ = writeln!(h, "</dl>");
    for n in &s.notes {
        let _ = writeln!(h, "<p class=\"note\">{}</p>", esc_code_spans(n));
    }
    if let Some(l) = &s.lab {
        let _ = writeln!(h, "<h3>Lab ({})</h3>", esc(&lab_heading(l)));
        let mut rows = escaped(lab_rows(l));
        for (r, x) in rows.iter_mut().zip(&l.rows) {
            r[0] = format!("<code>{}</code>", r[0]);
            if !x.counts {
                r[1] = format!("<span class=\"bad\">{}</span>", r[1]);
            }
        }
        html_table(
            h,
            "<table>",
            &["step", "counts", "vs first step"],
            &rows,
            &[0, 1],
            Some(1),
        );
    }
    if let Some(r) = &s.run {
        let _ = writeln!(h, "<h3>Run ({})</h3>", esc(&r.workload));
        let mut rows = escaped(run_rows(r));
        for row in &mut rows {
            row[0] = format!("<code>{}</code>", row[0]);
        }
        html_table(
            h,
            "<table>",
            &[
                "rung",
                "% of peak (the cores and vectors it used)",
                "vs first rung",
                "verified",
            ],
            &rows,
            &[0, 3],
            None,
        );
    }
    if let Some(l) = &s.lessons {
        let _ = writeln!(
            h,
            "<h3>Lessons</h3><p class=\"note\">{}</p>",
            esc(&lessons_line(l))
        );
        if !l.predictions.is_empty() {
            html_table(
                h,
                "<table>",
                &PREDICTION_HEADER,
                &escaped(prediction_rows(l)),
                &[0, 1, 5],
                Some(1),
            );
        }
    }
}
