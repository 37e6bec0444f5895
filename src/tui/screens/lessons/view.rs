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

/// A little Markdown for the terminal: `# ` headings, `- ` bullets, `**bold**` and `code`.
#[must_use]
pub fn markdown(text: &str, theme: &Theme) -> Vec<Line<'static>> {
    text.trim().lines().map(|l| md_line(l, theme)).collect()
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
    // Split on ** and ` markers, toggling styles.
    let (mut bold, mut code) = (false, false);
    let mut cur = String::new();
    let mut chars = rest.chars().peekable();
    let flush = |cur: &mut String, spans: &mut Vec<Span<'static>>, bold: bool, code: bool| {
        if !cur.is_empty() {
            let mut st = theme.base();
            if bold {
                st = st.add_modifier(Modifier::BOLD);
            }
            if code {
                st = Style::default().fg(theme.accent);
            }
            spans.push(Span::styled(std::mem::take(cur), st));
        }
    };
    while let Some(c) = chars.next() {
        if c == '*' && chars.peek() == Some(&'*') {
            chars.next();
            flush(&mut cur, &mut spans, bold, code);
            bold = !bold;
        } else if c == '`' {
            flush(&mut cur, &mut spans, bold, code);
            code = !code;
        } else {
            cur.push(c);
        }
    }
    flush(&mut cur, &mut spans, bold, code);
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
    let mut text = vec![
        Line::from(vec![
            Span::styled("exit criterion: ", theme.dim()),
            Span::styled(l.criterion.clone(), theme.base()),
        ]),
        Line::from(""),
        Line::from(Span::styled(
            "Enter opens it where you left off · R resets it · Esc back to the ladder",
            theme.dim(),
        )),
    ];
    if let Some(p) = &ls.path {
        text.push(Line::from(Span::styled(
            format!("progress is saved after every step to {}", p.display()),
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
    let done = if ls.passed(step) { " ✓" } else { "" };
    let title = format!(
        "{n}. {} · step {}/{} · {}{done}",
        lesson.title,
        ls.step + 1,
        lesson.steps.len(),
        kind_name(step.kind)
    );
    // Run steps show the live panel beside the text: the learner watches the run.
    let show_live = step.kind == Kind::Run || m.running();
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
    let col_w = (main.width.saturating_sub(4) / 2) as usize;
    lines.extend(step_body(ls, m, step, theme, col_w));
    let hints = ls.hints_shown(step);
    if hints > 0 {
        lines.push(Line::from(""));
        for (i, h) in step.hints.iter().take(hints).enumerate() {
            lines.push(Line::from(Span::styled(
                format!("hint {}: {h}", i + 1),
                Style::default().fg(theme.warn),
            )));
        }
    }
    f.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((ls.scroll, 0))
            .block(block(&title, theme)),
        main,
    );
    if let Some(side) = side {
        live::draw(f, m, theme, side);
    }
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
        Kind::Concurrency => "measure",
        Kind::Notes => "notes",
    }
}
