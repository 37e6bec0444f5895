//! The class view as text: a table for the terminal and Markdown, and the cells, headers and
//! notes the page shares (see `page`). Figures are ratios only: students' machines differ.

use std::fmt::Write as _;

use super::{Class, LabStep, LabSummary, LessonsSummary, RunSummary, Student, UsualSizes};
use crate::report::human_speedup;

pub(super) const HEADER: [&str; 8] = [
    "student",
    "machine",
    "lab: highest step that counts",
    "lab: its speedup",
    "run: best % of machine peak",
    "run: best speedup",
    "predictions close (median off by)",
    "questions right first time",
];

/// The same columns, narrow enough for a laptop's terminal.
const SHORT_HEADER: [&str; 8] = [
    "student",
    "machine",
    "lab step",
    "lab x",
    "% of machine peak",
    "run x",
    "predictions",
    "first try",
];

/// Said above every form: why there are no seconds.
pub(super) const INTRO: &str = "Students ran on different machines, so only ratios compare: speedups over \
                     each student's own first step, and shares of the peak measured on their own \
                     machine. Seconds are never compared.";

/// Above the students' explanations.
pub(super) const EXPLAIN_NOTE: &str = "What each student wrote, by question, as written (their latest \
                            text): saved for you to read, never scored.";

/// What the summary's cells hold, said under it.
pub(super) const LEGEND: &str = "lab (step, x): the highest step of the student's own lab that counts \
                      (steps counting / steps), and its speedup over their step 1. run (% of \
                      peak, x): the rung doing the most of the peak measured on their machine (all \
                      its cores at their widest vectors), and the one furthest above their \
                      baseline; a rung's own % of peak, below, is of the cores and vectors it \
                      used. predictions: first attempts close / \
                      predictions made (how far off the median one was). questions (first \
                      try): right at the first attempt / answered. ! beside a figure: its \
                      time, or the time it is over, was measured under load (a quarter of a core \
                      or more busy elsewhere), so it may be off by that much: ask for a run on an \
                      idle machine before comparing it.";

/// A share of the peak: small ones keep a digit that says they are not zero.
fn pct(p: f64) -> String {
    if p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

fn lab_step(l: &LabSummary) -> String {
    let counting = format!("{}/{}", l.counted, l.steps);
    match &l.highest {
        Some(h) => format!("{} ({counting})", h.id),
        None => format!("none ({counting})"),
    }
}

/// " !" for a figure measured under load.
fn bang(loaded: bool) -> &'static str {
    if loaded { " !" } else { "" }
}

fn run_peak(r: &RunSummary) -> String {
    r.best_peak.as_ref().map_or_else(
        || "-".into(),
        |(id, p)| format!("{} {id}{}", pct(*p), bang(r.best_peak_loaded)),
    )
}

fn run_speedup(r: &RunSummary) -> String {
    r.best_speedup.as_ref().map_or_else(
        || "-".into(),
        |(id, x)| {
            format!(
                "{} {id}{}",
                human_speedup(Some(*x)),
                bang(r.best_speedup_loaded)
            )
        },
    )
}

fn predictions(l: &LessonsSummary) -> String {
    if l.predictions.is_empty() {
        return "none made".into();
    }
    let mut s = format!("{}/{}", l.scored(), l.judged());
    if let Some(off) = l.median_off_by() {
        let _ = write!(s, " ({})", human_speedup(Some(off)));
    }
    if l.unjudged() > 0 {
        let _ = write!(s, " + {} not counted", l.unjudged());
    }
    s
}

fn questions(l: &LessonsSummary) -> String {
    if l.answered == 0 {
        return "none answered".into();
    }
    format!("{}/{}", l.right_first_time, l.answered)
}

/// The summary row of one student, one cell per [`HEADER`] column. A lab or run measured at
/// another size than most of the class's says its size in its cell, where the eye compares.
pub(super) fn row(s: &Student, usual: &UsualSizes) -> Vec<String> {
    let dash = || "-".to_string();
    let at = |size: &str, usual: &Option<String>| match usual {
        Some(u) if !size.is_empty() && size != u => format!(" (at {size})"),
        _ => String::new(),
    };
    let lab_at = s
        .lab
        .as_ref()
        .map_or_else(String::new, |l| at(&l.workload, &usual.lab));
    let run_at = s
        .run
        .as_ref()
        .map_or_else(String::new, |r| at(&r.workload, &usual.run));
    // A hand-in that looks copied, or named for someone else, is flagged where the eye goes
    // first; the notes below say which file and why.
    let flagged = s
        .notes
        .iter()
        .any(|n| n.contains("holds the same measurements as") || n.contains(", named for "));
    vec![
        if flagged {
            format!("{} (see notes: a copy?)", s.name)
        } else {
            s.name.clone()
        },
        if !s.read_anything() {
            "nothing readable (see the skipped files)".into()
        } else if s.machines.is_empty() {
            dash()
        } else {
            s.machines.join(" / ")
        },
        s.lab.as_ref().map_or_else(dash, lab_step) + &lab_at,
        s.lab
            .as_ref()
            .and_then(|l| l.highest.as_ref().map(|h| (h, l.loaded)))
            .map_or_else(dash, |(h, loaded)| {
                human_speedup(h.speedup_vs_baseline) + bang(loaded)
            }),
        s.run.as_ref().map_or_else(dash, run_peak) + &run_at,
        s.run.as_ref().map_or_else(dash, run_speedup),
        s.lessons.as_ref().map_or_else(dash, predictions),
        s.lessons.as_ref().map_or_else(dash, questions),
    ]
}

/// `text` in lines of at most `width` characters, broken between words.
fn wrapped(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if line > 0 && line + 1 + n > width {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += n;
    }
    out
}

/// "1 student", "3 students".
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "3 students: 5 files read, 1 skipped" (a student whose every file was skipped has a row
/// too, so the students are not counted "from" the files read).
pub(super) fn counts(c: &Class) -> String {
    // Files read: a student with nothing readable has only skipped ones, counted apart.
    let files: usize = c
        .students
        .iter()
        .filter(|s| s.read_anything())
        .map(|s| s.files.len())
        .sum();
    let mut s = format!(
        "{}: {} read",
        plural(c.students.len(), "student", "students"),
        plural(files, "file", "files")
    );
    if !c.skipped.is_empty() {
        let _ = write!(s, ", {} skipped", c.skipped.len());
    }
    s
}

fn explanations(c: &Class) -> usize {
    c.students
        .iter()
        .filter_map(|s| s.lessons.as_ref())
        .map(|l| l.explanations.len())
        .sum()
}

/// One question, (lesson, question), and each student's answer: (index, name, text).
pub(super) type Question<'a> = ((&'a str, &'a str), Vec<(usize, &'a str, &'a str)>);

/// Every explanation, grouped by question in the order first met: (lesson, question), then
/// each student's (index, name, text). An instructor reads one question across the class.
pub(super) fn by_question(c: &Class) -> Vec<Question<'_>> {
    let mut out: Vec<Question<'_>> = Vec::new();
    for (i, s) in c.students.iter().enumerate() {
        for e in s.lessons.iter().flat_map(|l| &l.explanations) {
            let key = (e.lesson.as_str(), e.question.as_str());
            let answer = (i, s.name.as_str(), e.text.as_str());
            match out.iter_mut().find(|(k, _)| *k == key) {
                Some((_, v)) => v.push(answer),
                None => out.push((key, vec![answer])),
            }
        }
    }
    out
}

impl Class {
    /// Aligned columns for a terminal: the summary and what merging noticed. Skipped files
    /// are the caller's to say (on standard error).
    #[must_use]
    pub fn text(&self) -> String {
        let mut out = format!(
            "The class: {}.\nMachines differ, so only ratios compare: speedups over each \
             student's own first step, % of their own machine's peak.\n\n",
            counts(self)
        );
        let usual = self.usual_sizes();
        let rows: Vec<Vec<String>> = self.students.iter().map(|s| row(s, &usual)).collect();
        let mut widths: Vec<usize> = SHORT_HEADER.iter().map(|h| h.chars().count()).collect();
        for r in &rows {
            for (w, c) in widths.iter_mut().zip(r) {
                *w = (*w).max(c.chars().count());
            }
        }
        let header: Vec<String> = SHORT_HEADER.iter().map(ToString::to_string).collect();
        for r in std::iter::once(&header).chain(&rows) {
            let line: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
                .collect();
            let _ = writeln!(out, "{}", line.join("  ").trim_end());
        }
        let _ = writeln!(out, "\n{}", wrapped(LEGEND, 100));
        for s in &self.students {
            for n in &s.notes {
                let _ = writeln!(out, "{}: {n}", s.name);
            }
        }
        let n = explanations(self);
        if n > 0 {
            let _ = writeln!(
                out,
                "\n{} saved for review: write the view with -o class.html (or class.md) to \
                 read {}.",
                plural(n, "explanation", "explanations"),
                if n == 1 { "it" } else { "them" }
            );
        }
        out
    }

    /// The summary table, then each student's details, for notes or a course page.
    #[must_use]
    pub fn markdown(&self) -> String {
        // Cells stay on one line and never end a column early.
        let cell = |s: &str| md_text(s).replace('|', "\\|").replace(['\n', '\r'], " ");
        // Our own words (a lesson's question, why a file was skipped): their `code` spans are
        // meant as code, so only what would break the table or make a tag is escaped.
        let ours = |s: &str| {
            s.replace('<', "\\<")
                .replace('|', "\\|")
                .replace(['\n', '\r'], " ")
        };
        let table_of = |out: &mut String,
                        header: &[&str],
                        rows: &[Vec<String>],
                        cell: &dyn Fn(&str) -> String| {
            let _ = writeln!(out, "| {} |", header.join(" | "));
            let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
            for r in rows {
                let cells: Vec<String> = r.iter().map(|c| cell(c)).collect();
                let _ = writeln!(out, "| {} |", cells.join(" | "));
            }
            out.push('\n');
        };
        let table = |out: &mut String, header: &[&str], rows: &[Vec<String>]| {
            table_of(out, header, rows, &cell);
        };
        let mut out = format!("# The class\n\n{}. {INTRO}\n\n", counts(self));
        let usual = self.usual_sizes();
        let rows: Vec<Vec<String>> = self.students.iter().map(|s| row(s, &usual)).collect();
        for c in self.cautions() {
            let _ = writeln!(out, "**Compare with care:** {}\n", md_text(&c));
        }
        table(&mut out, &HEADER, &rows);
        let _ = writeln!(out, "{LEGEND}\n");
        let questions = by_question(self);
        if !questions.is_empty() {
            let _ = writeln!(out, "## Explanations, for review\n\n{EXPLAIN_NOTE}\n");
        }
        for ((lesson, question), answers) in questions {
            let _ = writeln!(out, "### {}: {}\n", cell(lesson), cell(question));
            for (_, name, text) in answers {
                let _ = writeln!(out, "**{}**\n", cell(name));
                // A backslash ends a line without ending the paragraph: the student's lines
                // stay lines.
                let lines: Vec<String> = text.lines().map(md_text).collect();
                let _ = writeln!(out, "> {}", lines.join("\\\n> "));
                out.push('\n');
            }
        }
        for s in &self.students {
            let _ = writeln!(out, "## {}\n", cell(&s.name));
            let files: Vec<String> = s.files.iter().map(|f| code_span(f)).collect();
            let _ = writeln!(out, "From {}.\n", files.join(", "));
            for n in &s.notes {
                let _ = writeln!(out, "Note: {}\n", cell(n));
            }
            if let Some(l) = &s.lab {
                let _ = writeln!(out, "### Lab ({})\n", lab_heading(l));
                table(&mut out, &["step", "counts", "vs first step"], &lab_rows(l));
            }
            if let Some(r) = &s.run {
                let _ = writeln!(out, "### Run ({})\n", r.workload);
                table(
                    &mut out,
                    &[
                        "rung",
                        "% of peak (the cores and vectors it used)",
                        "vs first rung",
                        "verified",
                    ],
                    &run_rows(r),
                );
            }
            if let Some(l) = &s.lessons {
                let _ = writeln!(out, "### Lessons\n\n{}\n", lessons_line(l));
                if !l.predictions.is_empty() {
                    table_of(&mut out, &PREDICTION_HEADER, &prediction_rows(l), &ours);
                }
            }
        }
        if !self.skipped.is_empty() {
            let _ = writeln!(out, "## Skipped files\n");
            for k in &self.skipped {
                let _ = writeln!(
                    out,
                    "- {}: {}",
                    code_span(&k.file),
                    ours(&k.why.to_string())
                );
            }
        }
        // A text file ends its last line.
        if !out.ends_with('\n') {
            out.push('\n');
        }
        out
    }
}

/// A file name as code: inside one, Markdown takes backslashes as they are, so nothing is
/// escaped but a backtick, which would end it.
fn code_span(s: &str) -> String {
    format!("`{}`", s.replace('`', "'").replace(['\n', '\r'], " "))
}

/// A student's text shown as written: a tag in it is text, not markup.
fn md_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        // Markdown's own marks, escaped: `*bold*` in a name stays two stars.
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(super) const PREDICTION_HEADER: [&str; 6] = [
    "lesson",
    "question",
    "predicted",
    "measured",
    "off by",
    "scored",
];

pub(super) fn lab_heading(l: &LabSummary) -> String {
    let mut s = if l.workload.is_empty() {
        String::new()
    } else {
        format!("{}, ", l.workload)
    };
    s.push_str(if l.all_count {
        "every step counts"
    } else {
        "not every step counts yet"
    });
    s
}

pub(super) fn lab_rows(l: &LabSummary) -> Vec<Vec<String>> {
    let base_loaded = l.rows.first().is_some_and(LabStep::under_load);
    l.rows
        .iter()
        .map(|x| {
            vec![
                if x.optional {
                    format!("{} (optional)", x.id)
                } else {
                    x.id.clone()
                },
                if x.counts {
                    "✓ counts".into()
                } else {
                    format!("✗ {}", x.reason.as_deref().unwrap_or("does not count"))
                },
                // A load mark on a step with no speedup would mark nothing.
                human_speedup(x.speedup_vs_baseline)
                    + bang(x.speedup_vs_baseline.is_some() && (x.under_load() || base_loaded)),
            ]
        })
        .collect()
}

pub(super) fn run_rows(r: &RunSummary) -> Vec<Vec<String>> {
    r.rows
        .iter()
        .map(|x| {
            vec![
                x.id.clone(),
                x.pct.map_or_else(|| "-".into(), pct),
                human_speedup(x.speedup) + bang(x.speedup.is_some() && x.loaded),
                if x.verified { "✓" } else { "✗" }.into(),
            ]
        })
        .collect()
}

pub(super) fn lessons_line(l: &LessonsSummary) -> String {
    let questions = if l.answered == 0 {
        format!("no question answered yet ({} in the lessons)", l.questions)
    } else {
        format!(
            "{} of {} questions answered right first time ({} in the lessons)",
            l.right_first_time, l.answered, l.questions
        )
    };
    let predictions = if l.predictions.is_empty() {
        format!(
            "no prediction made yet ({} in the lessons)",
            l.predictions_total
        )
    } else {
        format!(
            "{} of {} predictions close ({} in the lessons){}{}",
            l.scored(),
            l.judged(),
            l.predictions_total,
            l.median_off_by().map_or_else(String::new, |x| format!(
                ", off by {} at the median",
                human_speedup(Some(x))
            )),
            match l.unjudged() {
                0 => String::new(),
                k => format!(
                    "; {k} more not counted (made with the measurement on screen, or not \
                     measurable on that machine)"
                ),
            }
        )
    };
    format!(
        "{} of {} steps done; {questions}; {predictions}; {} for review.",
        l.steps_done,
        l.steps_total,
        plural(l.explanations.len(), "explanation", "explanations")
    )
}

pub(super) fn prediction_rows(l: &LessonsSummary) -> Vec<Vec<String>> {
    let ratio = |x: Option<f64>| x.map_or_else(|| "-".into(), |v| human_speedup(Some(v)));
    l.predictions
        .iter()
        .map(|p| {
            // An amount (MB per request) is no speedup: said in its unit.
            let amount = |x: Option<f64>| match (&p.unit, x) {
                (Some(u), Some(v)) => format!("{v:.2} {u}"),
                _ => ratio(x),
            };
            vec![
                p.lesson.clone(),
                p.question.clone(),
                amount(p.predicted),
                amount(p.measured),
                ratio(p.off_by()),
                match p.scored {
                    _ if p
                        .unjudged
                        .as_deref()
                        .is_some_and(|w| w.starts_with("practice")) =>
                    {
                        "practice (measured first)".into()
                    }
                    _ if p.unjudged.is_some() => "not judged here".into(),
                    Some(true) => "✓ close".into(),
                    Some(false) => "✗ off".into(),
                    None => "not measured".into(),
                },
            ]
        })
        .collect()
}
