//! The Lessons screen: the list with progress, and a lesson open at a step.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::LessonsState;
use super::body::step_body;
use crate::lessons::Kind;
use crate::tui::model::Model;
use crate::tui::screens::live;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;

/// A little Markdown for the terminal: `# ` headings, `- ` bullets, `**bold**`, `*emphasis*`
/// and `code`. Lines of one paragraph or bullet are joined, so the text reflows to the width
/// (lesson files wrap their text at any column); lines indented four spaces stay as they are.
#[must_use]
pub fn markdown(text: &str, theme: &Theme) -> Vec<Line<'static>> {
    reflow(text).iter().map(|l| md_line(l, theme)).collect()
}

/// Joins each paragraph's and bullet's lines into one.
fn reflow(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut open = false; // the last line may take a continuation
    for line in text.trim().lines() {
        let t = line.trim();
        let starts_block = t.is_empty()
            || t.starts_with("# ")
            || t.starts_with("- ")
            || line.starts_with("    ")
            || line.starts_with('\t');
        match out.last_mut() {
            Some(last) if open && !starts_block => {
                last.push(' ');
                last.push_str(t);
            }
            _ => out.push(if line.starts_with("    ") {
                line.to_string()
            } else {
                t.to_string()
            }),
        }
        open = !t.is_empty() && !t.starts_with("# ") && !line.starts_with("    ");
    }
    out
}

fn md_line(line: &str, theme: &Theme) -> Line<'static> {
    if let Some(h) = line.strip_prefix("# ") {
        return Line::from(Span::styled(
            h.to_string(),
            theme.title().add_modifier(Modifier::BOLD),
        ));
    }
    let (prefix, rest) = match line.strip_prefix("- ") {
        Some(r) => ("  • ", r),
        None => ("", line),
    };
    let mut spans = vec![Span::raw(prefix.to_string())];
    // Split on **, * and ` markers, toggling styles; inside `code` only ` ends it. A lone *
    // with a space after it (as in "2 * 3") is a character, not emphasis.
    let (mut bold, mut em, mut code) = (false, false, false);
    let mut cur = String::new();
    let mut chars = rest.chars().peekable();
    let flush = |cur: &mut String, spans: &mut Vec<Span<'static>>, (bold, em, code)| {
        if !cur.is_empty() {
            let mut st = theme.base();
            if bold {
                st = st.add_modifier(Modifier::BOLD);
            }
            if em {
                st = st.add_modifier(Modifier::ITALIC);
            }
            if code {
                st = Style::default().fg(theme.accent);
            }
            spans.push(Span::styled(std::mem::take(cur), st));
        }
    };
    while let Some(c) = chars.next() {
        if c == '`' {
            flush(&mut cur, &mut spans, (bold, em, code));
            code = !code;
        } else if code || c != '*' {
            cur.push(c);
        } else if chars.peek() == Some(&'*') {
            chars.next();
            flush(&mut cur, &mut spans, (bold, em, code));
            bold = !bold;
        } else if em || chars.peek().is_some_and(|n| !n.is_whitespace()) {
            flush(&mut cur, &mut spans, (bold, em, code));
            em = !em;
        } else {
            cur.push(c);
        }
    }
    flush(&mut cur, &mut spans, (bold, em, code));
    Line::from(spans)
}

/// The list, or the open lesson at its step.
pub fn draw(f: &mut Frame, ls: &LessonsState, m: &Model, theme: &Theme, area: Rect) {
    if ls.open.is_some() {
        draw_lesson(f, ls, m, theme, area);
    } else {
        draw_list(f, ls, theme, area);
    }
}

fn draw_list(f: &mut Frame, ls: &LessonsState, theme: &Theme, area: Rect) {
    if ls.lessons.is_empty() {
        f.render_widget(
            Paragraph::new("No lessons loaded.").block(block("Lessons", theme)),
            area,
        );
        return;
    }
    let [list, about] = Layout::vertical([
        Constraint::Length(ls.lessons.len() as u16 + 2),
        Constraint::Min(0),
    ])
    .areas(area);
    let title_w = ls
        .lessons
        .iter()
        .map(|l| l.title.chars().count())
        .max()
        .unwrap_or(0)
        + 1;
    let lines: Vec<Line> = ls
        .lessons
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let done = ls.done_in(i);
            let total = l.steps.len();
            let bar_w = 12usize;
            let filled = done * bar_w / total.max(1);
            let mark = if done == total { "✓" } else { " " };
            let sel = i == ls.selected;
            let style = if sel { theme.selected() } else { theme.base() };
            Line::from(vec![
                Span::styled(if sel { "▶ " } else { "  " }, style),
                Span::styled(format!("{}. {:<title_w$}", i + 1, l.title), style),
                Span::styled(
                    format!("{}{}", "█".repeat(filled), "░".repeat(bar_w - filled)),
                    Style::default().fg(theme.bar),
                ),
                Span::styled(format!(" {done:>2}/{total:<2} {mark}"), style),
            ])
        })
        .collect();
    f.render_widget(Paragraph::new(lines).block(block("Lessons", theme)), list);
    let l = &ls.lessons[ls.selected];
    if ls.naming() {
        let text = vec![
            Line::from(Span::styled(
                "Your name, as your instructor knows you:",
                theme.title(),
            )),
            Line::from(Span::styled(format!("{}▏", ls.input), theme.title())),
            Line::from(""),
            Line::from(Span::styled(
                "It goes into the export of your answers (ladder learn --export), and it \
                 fixes the order of each question's options for you. Enter saves it and opens \
                 the lesson; Esc goes back. (ladder learn --name NAME changes it later.)",
                theme.dim(),
            )),
        ];
        f.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .block(block(&l.title, theme)),
            about,
        );
        return;
    }
    let mut text = vec![
        Line::from(vec![
            Span::styled("exit criterion: ", theme.dim()),
            Span::styled(l.criterion.clone(), theme.base()),
        ]),
        Line::from(""),
        Line::from(Span::styled(
            "Enter opens it where you left off · R resets it (asks first) · Esc back to the ladder",
            theme.dim(),
        )),
    ];
    if let Some(p) = &ls.path {
        text.push(Line::from(Span::styled(
            format!("progress is saved after every step to {}", p.display()),
            theme.dim(),
        )));
    }
    if let Some(name) = &ls.progress.learner {
        text.push(Line::from(Span::styled(
            format!("learner: {name}"),
            theme.dim(),
        )));
    }
    f.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(block(&l.title, theme)),
        about,
    );
}

fn draw_lesson(f: &mut Frame, ls: &LessonsState, m: &Model, theme: &Theme, area: Rect) {
    let (Some(lesson), Some(step)) = (ls.lesson(), ls.current()) else {
        return;
    };
    let n = ls.open.unwrap_or(0) + 1;
    // Run steps show the live panel beside the text: the learner watches the run.
    // A leak prediction keeps it too: the program's climb stays in view beside the score.
    let show_live = step.kind == Kind::Run
        || m.running()
        || ls.leak_running.is_some()
        || matches!(step.measure(), Some(crate::lessons::Measure::Leak(_)));
    let (main, side) = if show_live && area.width >= 60 {
        let [m, s] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(area);
        (m, Some(s))
    } else {
        (area, None)
    };
    let mut lines = markdown(&step.text, theme);
    if !step.question.is_empty() {
        if !lines.is_empty() {
            lines.push(Line::from(""));
        }
        lines.push(md_line(&step.question, theme));
    }
    lines.push(Line::from(""));
    let width = main.width.saturating_sub(2) as usize;
    lines.extend(step_body(ls, m, step, theme, width));
    // A missed prediction shows every hint: they explain the measurement.
    let hints = if missed_prediction(ls, step) {
        step.hints.len()
    } else {
        ls.hints_shown(step)
    };
    if hints > 0 {
        lines.push(Line::from(""));
        for (i, h) in step.hints.iter().take(hints).enumerate() {
            lines.push(Line::from(Span::styled(
                format!("hint {}: {h}", i + 1),
                Style::default().fg(theme.warn),
            )));
        }
    }
    let title = step_title(ls, n, lesson, step, width);
    // Rows the text takes once wrapped (near enough: words wrap a little earlier): below the
    // box, the border says there is more and how to reach it.
    let rows: usize = lines
        .iter()
        .map(|l| l.width().div_ceil(width.max(1)).max(1))
        .sum();
    let shown = usize::from(main.height.saturating_sub(2)) + usize::from(ls.scroll);
    let mut b = block(&title, theme);
    if rows > shown {
        b = b.title_bottom(Line::from(" ↓ more (↓ scrolls) ").right_aligned());
    } else if ls.scroll > 0 {
        b = b.title_bottom(Line::from(" ↑ more ").right_aligned());
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((ls.scroll, 0))
            .block(b),
        main,
    );
    if let Some(side) = side {
        live::draw_for_lesson(
            f,
            m,
            theme,
            side,
            "A step that runs something (a rung, a Python program) shows it here as it runs: its \
             progress, the cores, its memory.",
        );
    }
}

/// Whether the step's scored (first) prediction missed.
fn missed_prediction(ls: &LessonsState, step: &crate::lessons::Step) -> bool {
    step.kind == Kind::Predict
        && ls
            .attempts(step)
            .iter()
            .find(|a| a.measured.is_some())
            .is_some_and(|a| a.scored == Some(false))
}

/// How the step went, for its title: a question right at the first attempt or later, or its
/// answer shown; a prediction scored or missed; a justification awaiting review.
fn verdict(ls: &LessonsState, step: &crate::lessons::Step) -> String {
    if !ls.passed(step) {
        return String::new();
    }
    let attempts = ls.attempts(step);
    // A profiler prediction is judged by its first pick, when the measurement comes.
    if step.overhead.is_some() {
        return match attempts.iter().find(|a| a.choice.is_some()) {
            Some(a) if a.unjudged.is_some() => " · not measurable here".into(),
            Some(a) if a.correct == Some(true) => " ✓".into(),
            Some(a) if a.correct == Some(false) => " ✗ missed".into(),
            _ => " · predicted".into(),
        };
    }
    match step.kind {
        k if k.has_choices() => {
            if attempts.iter().any(|a| a.revealed == Some(true)) {
                " · answer shown".into()
            } else {
                match attempts.iter().position(|a| a.correct == Some(true)) {
                    Some(0) | None => " ✓".into(),
                    Some(i) => format!(" ✓ at try {}", i + 1),
                }
            }
        }
        // Made with its measurement on screen: practice, not a score.
        Kind::Predict
            if attempts
                .iter()
                .find(|a| a.measured.is_some())
                .is_some_and(|a| a.unjudged.is_some()) =>
        {
            " · practice".into()
        }
        Kind::Predict if missed_prediction(ls, step) => " ✗ missed".into(),
        Kind::Explain => " · for review".into(),
        _ => " ✓".into(),
    }
}

/// The step's title, shortened to fit `width`: the lesson's title goes first, never the step.
fn step_title(
    ls: &LessonsState,
    n: usize,
    lesson: &crate::lessons::Lesson,
    step: &crate::lessons::Step,
    width: usize,
) -> String {
    let (i, total, kind, verdict) = (
        ls.step + 1,
        lesson.steps.len(),
        kind_name(step.kind),
        verdict(ls, step),
    );
    [
        format!("{n}. {} · step {i}/{total} · {kind}{verdict}", lesson.title),
        format!("{n}. step {i}/{total} · {kind}{verdict}"),
        format!("{i}/{total} {kind}{verdict}"),
    ]
    .into_iter()
    .find(|t| t.chars().count() + 2 <= width)
    .unwrap_or_else(|| format!("{i}/{total} {kind}{verdict}"))
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Read => "read",
        Kind::Run => "run",
        Kind::Flame => "flamegraph question",
        Kind::Choice => "choose",
        Kind::Predict => "predict",
        Kind::Explain => "explain",
        Kind::Bytecode => "bytecode",
        Kind::Concurrency | Kind::Profilers => "measure",
        Kind::Notes => "notes",
    }
}
