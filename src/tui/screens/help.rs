//! The keys overlay (`?`): every screen's keys in one list, the section of the screen the user
//! is on first (then the keys that work anywhere, then the other screens), scrolled with the
//! arrows when it is taller than the terminal.

use std::cell::Cell;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::tui::model::Screen;
use crate::tui::theme::Theme;
use crate::tui::widgets::block;

/// One line each: a section heading (empty description) or a key and what it does. A
/// description fits the overlay's 78 columns (62 characters at most).
pub const HELP: &[(&str, &str)] = &[
    ("Ladder", ""),
    ("↑ ↓ / k j", "select a rung"),
    (
        "Enter",
        "run it (it unlocks once the rung before it has run)",
    ),
    ("a", "climb the whole ladder in order"),
    ("Esc", "cancel the running rung (and the rest of a climb)"),
    ("f", "flamegraph of the selected rung's last run"),
    (
        "s",
        "settings: n, d, seed, data, budget, threads, k, repeat",
    ),
    ("r", "results: the full speedup table"),
    ("h", "history: benchmarked speedups over commits (perf/)"),
    ("g", "scaling: time against n, log-log"),
    ("l", "lessons: the course's exit criteria, step by step"),
    (
        "m",
        "write NOTES.md (the speedup table), speedup.svg beside it",
    ),
    (
        "w",
        "write report.html to hand out: table, charts, flamegraphs",
    ),
    ("Demo", ""),
    ("space / p", "pause or resume the climb"),
    ("n / →", "start the next rung now"),
    ("r", "repeat the climb from the bottom"),
    ("f", "the last rung's flamegraph (the demo pauses)"),
    ("Results and history", ""),
    ("m", "write the speedup table as Markdown (NOTES.md)"),
    ("w", "results: write the HTML report (report.html)"),
    ("← →", "history: another machine's runs"),
    ("Esc", "back to the ladder"),
    ("Scaling", ""),
    (
        "Enter",
        "sweep the rungs over n = 1k up to twice the ladder's n",
    ),
    ("Esc", "cancel the sweep, or go back"),
    ("Flamegraph", ""),
    ("← →", "choose a frame under the zoomed one"),
    ("Enter / ⌫", "zoom into it / zoom out"),
    ("/", "search: matching frames light up, with their share"),
    ("t", "switch CPU time ↔ memory (the bytes still live)"),
    ("", "a thin picture: the rung runs again for more samples"),
    (
        "e / d",
        "export the SVG / the difference from the rung before",
    ),
    ("Esc", "back"),
    ("Lessons", ""),
    ("↑ ↓", "choose a lesson; in a lesson, scroll its text"),
    ("Enter", "open or resume it; in a lesson, do the step"),
    ("R", "reset the chosen lesson's progress (y confirms)"),
    (
        "← →",
        "previous / next step (forward once a step is passed)",
    ),
    ("1–9 / a", "answer a question / show its answer (recorded)"),
    ("h / r / f", "hints / redo the step / open its flamegraph"),
    (
        "m",
        "measure again (a prediction's timing, the concurrency table)",
    ),
    ("Esc", "back to the list, or to the ladder"),
    ("Settings", ""),
    ("↑ ↓", "choose a field"),
    (
        "Enter",
        "edit it; Enter again applies (invalid values are refused)",
    ),
    ("Esc", "cancel the edit, or go back"),
    ("Lab", ""),
    ("↑ ↓ / k j", "select a step (or one of our rungs, with o)"),
    (
        "Enter",
        "run it: a quick check first, then timed and graded",
    ),
    (
        "save a file",
        "runs that step again by itself (while watching)",
    ),
    (
        "PgUp PgDn",
        "scroll the selected step's story (a long traceback)",
    ),
    ("a", "run every step in order, while each one counts"),
    ("Esc", "cancel the running step"),
    ("f / d", "its flamegraph / compared with the step before"),
    ("o", "list our rungs beside your steps"),
    ("w", "watch your files, or not"),
    (
        "m",
        "write NOTES.md: your steps, ours once run, the claims, SVGs",
    ),
    ("Anywhere", ""),
    (
        "! (a time)",
        "measured while other programs kept the CPU busy: trust it less",
    ),
    (
        "?",
        "this help (↑ ↓ PgUp PgDn scroll it, any other key closes)",
    ),
    (
        "q / Ctrl-C",
        "quit (whatever is running is cancelled first)",
    ),
];

/// The heading of the section for `screen`.
#[must_use]
pub fn section_title(screen: Screen, demo: bool) -> &'static str {
    match screen {
        Screen::Ladder if demo => "Demo",
        Screen::Ladder => "Ladder",
        Screen::Results | Screen::History => "Results and history",
        Screen::Scale => "Scaling",
        Screen::Flame => "Flamegraph",
        Screen::Lessons => "Lessons",
        Screen::Settings => "Settings",
        Screen::Lab => "Lab",
    }
}

/// The help's lines with the section titled `first` on top, then "Anywhere", then the rest
/// in their usual order: a key another screen uses for something else never comes first.
#[must_use]
pub fn ordered(first: &str) -> Vec<(&'static str, &'static str)> {
    ordered_in(first, false)
}

/// [`ordered`], with the lab's keys right after the screen's when a lab is open (its `f`
/// view's help is read by a student in the lab, to whom the ladder's keys do not apply).
#[must_use]
pub fn ordered_in(first: &str, lab: bool) -> Vec<(&'static str, &'static str)> {
    let mut sections: Vec<&[(&str, &str)]> = Vec::new();
    let mut start = 0;
    for i in 1..=HELP.len() {
        if i == HELP.len() || HELP[i].1.is_empty() {
            sections.push(&HELP[start..i]);
            start = i;
        }
    }
    let rank = |sec: &&[(&str, &str)]| match sec[0].0 {
        t if t == first => 0,
        "Lab" if lab => 1,
        "Anywhere" => 2,
        _ => 3,
    };
    sections.sort_by_key(rank);
    // In a lab only its own screens' keys and those that work anywhere apply: the ladder's,
    // the lessons' and the settings' would only mislead (`w` is "watch" here).
    if lab {
        sections.retain(|sec| rank(sec) < 3);
    }
    sections.concat()
}

/// Arrows and page keys scroll the help; any other key closes it (false). `shown` is how many
/// lines the last draw could show, so that a page is a page and scrolling stops at the end.
pub fn on_key(scroll: &mut usize, shown: usize, key: KeyEvent) -> bool {
    let page = isize::try_from(shown.max(1)).unwrap_or(isize::MAX);
    let by = match key.code {
        KeyCode::Up | KeyCode::Char('k') => -1,
        KeyCode::Down | KeyCode::Char('j') => 1,
        KeyCode::PageUp => -page,
        KeyCode::PageDown | KeyCode::Char(' ') => page,
        KeyCode::Home => isize::MIN / 2,
        KeyCode::End => isize::MAX / 2,
        _ => return false,
    };
    let last = HELP.len().saturating_sub(shown.max(1));
    *scroll = (*scroll).min(last).saturating_add_signed(by).min(last);
    true
}

/// Every key, by screen.
pub fn draw(
    f: &mut Frame,
    first: &str,
    lab: bool,
    scroll: usize,
    shown: &Cell<usize>,
    theme: &Theme,
    area: Rect,
) {
    let help = ordered_in(first, lab);
    let total = help.len();
    let h = (total as u16 + 2).min(area.height);
    let w = 78.min(area.width);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let rows = usize::from(h.saturating_sub(2)).max(1);
    shown.set(rows);
    let top = scroll.min(total.saturating_sub(rows));
    let lines: Vec<Line> = help
        .iter()
        .skip(top)
        .take(rows)
        .map(|(k, v)| {
            if v.is_empty() {
                Line::from(Span::styled(*k, theme.title()))
            } else {
                Line::from(vec![
                    Span::styled(
                        format!("  {k:<12}"),
                        theme.base().add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(*v, theme.base()),
                ])
            }
        })
        .collect();
    let mut frame = block("Keys", theme);
    if rows < total {
        // Taller than the terminal: say where the rest is.
        let more = match (top > 0, top + rows < total) {
            (true, true) => " ↑ ↓ more ",
            (true, false) => " ↑ more ",
            _ => " ↓ more ",
        };
        frame = frame.title_bottom(Line::from(Span::styled(more, theme.dim())).right_aligned());
    }
    f.render_widget(Clear, popup);
    f.render_widget(Paragraph::new(lines).block(frame), popup);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_fits_the_overlay_and_every_screen_has_a_section() {
        for (k, v) in HELP {
            assert!(k.chars().count() <= 12 || v.is_empty(), "{k}");
            assert!(v.chars().count() <= 62, "{k}: {v}");
        }
        for s in [
            Screen::Ladder,
            Screen::Settings,
            Screen::Results,
            Screen::History,
            Screen::Flame,
            Screen::Scale,
            Screen::Lessons,
            Screen::Lab,
        ] {
            let help = ordered(section_title(s, false));
            assert_eq!(help.len(), HELP.len(), "{s:?}: every line, once");
            assert_eq!(help[0].0, section_title(s, false), "{s:?} comes first");
            assert!(help[0].1.is_empty(), "{s:?} has no section");
        }
        // Help opened from the lab's flamegraph: the lab's keys come right after the view's.
        let from_flame = ordered_in("Flamegraph", true);
        let lab_at = from_flame.iter().position(|(k, _)| *k == "Lab").unwrap();
        assert!(lab_at > 0, "{from_flame:?}");
        // The ladder's keys do not work in a lab: not listed there.
        assert!(
            !from_flame.iter().any(|(k, _)| *k == "Ladder"),
            "{from_flame:?}"
        );
        assert!(
            ordered_in("Lab", true)
                .iter()
                .any(|(k, _)| *k == "Anywhere")
        );
        let lab = ordered("Lab");
        let w = lab.iter().position(|(k, _)| *k == "w").unwrap();
        assert!(
            lab[w].1.contains("watch"),
            "in the lab, w is the lab's: {}",
            lab[w].1
        );
        assert_eq!(ordered(section_title(Screen::Ladder, true))[0].0, "Demo");
    }
}
