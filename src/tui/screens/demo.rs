//! Demo mode: the ladder climbs itself, with a large figure a room can read. Space pauses,
//! `n` starts the next rung now, `r` climbs again from the bottom.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Nav, Outcome, ladder, live};
use crate::report::human_speedup;
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, Status};
use crate::tui::theme::Theme;
use crate::tui::widgets::block;

/// Ticks (of 100 ms) the demo waits between rungs.
pub const DEMO_PAUSE_TICKS: u32 = 30;

/// Demo mode: the ladder climbs itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Demo {
    pub paused: bool,
    /// Ticks left before the next rung starts.
    pub countdown: u32,
}

impl Demo {
    /// A demo about to start: a short wait, then the climb.
    #[must_use]
    pub fn new() -> Self {
        Self {
            paused: false,
            countdown: DEMO_PAUSE_TICKS / 3,
        }
    }
}

impl Default for Demo {
    fn default() -> Self {
        Self::new()
    }
}

/// The steady clock: once everything is ready, climb the whole ladder, a pause between rungs.
pub fn on_tick(demo: &mut Demo, m: &mut Model) -> Vec<Command> {
    let ready = m.ready_to_run().is_ok();
    let running = m.running();
    let ladder_len = m.ladder_len();
    if !ready || running || demo.paused {
        return vec![];
    }
    // At the start of a demo, queue the whole ladder.
    if m.queue.is_empty() && m.rows.iter().all(|r| r.report.is_none()) {
        m.queue = (0..ladder_len).collect();
    }
    if m.queue.is_empty() {
        return vec![];
    }
    if demo.countdown > 0 {
        demo.countdown -= 1;
        return vec![];
    }
    m.start_next_queued()
}

/// The demo's keys (it takes the ladder screen's place).
pub fn on_key(demo: &mut Demo, m: &mut Model, key: KeyEvent) -> Outcome {
    match key.code {
        KeyCode::Char(' ' | 'p') => {
            demo.paused = !demo.paused;
            m.notice = Some(Notice::Info(
                if demo.paused {
                    "demo paused"
                } else {
                    "demo resumed"
                }
                .into(),
            ));
            Outcome::default()
        }
        KeyCode::Char('n') | KeyCode::Right => {
            demo.countdown = 0;
            if m.running() {
                Outcome::default()
            } else {
                m.start_next_queued().into()
            }
        }
        KeyCode::Char('r') => {
            if m.running() {
                return Outcome::default();
            }
            for row in &mut m.rows {
                row.report = None;
                row.status = Status::Locked;
            }
            m.live = None;
            m.refresh_locks();
            m.queue = (0..m.ladder_len()).collect();
            demo.countdown = DEMO_PAUSE_TICKS / 3;
            // Repeating is climbing again, whatever paused it before.
            demo.paused = false;
            Outcome::default()
        }
        KeyCode::Esc => m.cancel().into(),
        // The last rung's flamegraph, for a question from the room: the climb waits for it.
        KeyCode::Char('f') => {
            if m.running() {
                m.notice = Some(Notice::Info(
                    "a rung is running: f shows its flamegraph once it ends".into(),
                ));
                return Outcome::default();
            }
            let Some(i) = m
                .live
                .as_ref()
                .map(|l| l.index)
                .filter(|&i| m.profiles.get(i).is_some_and(Option::is_some))
            else {
                m.notice = Some(Notice::Info("no rung has run yet: nothing to show".into()));
                return Outcome::default();
            };
            m.selected = i;
            // Mid-climb, the climb waits; a finished climb has nothing to hold.
            if !m.queue.is_empty() {
                demo.paused = true;
                m.notice = Some(Notice::Info(
                    "demo paused: Esc back to it, then space resumes the climb".into(),
                ));
            }
            Outcome::go(Nav::Flame {
                rung: i,
                memory: false,
            })
        }
        KeyCode::Char('m') => m.export().into(),
        // The room's handout, straight from the demo.
        KeyCode::Char('w') => m.export_report().into(),
        _ => Outcome::default(),
    }
}

/// Demo mode: a large figure for the room, the ladder and the live panel.
pub fn draw(f: &mut Frame, demo: &Demo, m: &Model, theme: &Theme, area: Rect) {
    // Tall screens frame the figure; short ones (large projector fonts) give it every line.
    let framed = area.height >= 30;
    let big_h = if framed { 9 } else { 6 };
    let mut table_h = m.ladder_len() as u16 + 3;
    // Too short for the table and every rung's bar (80×24): the bars, which the room reads
    // from across it, keep their lines; the figure above says what is running.
    if area.height < big_h + table_h + m.ladder_len() as u16 {
        table_h = 0;
    }
    let [big, table, bottom] = Layout::vertical([
        Constraint::Length(big_h),
        Constraint::Length(table_h),
        Constraint::Min(0),
    ])
    .areas(area);
    // The climb's end shows its best rung, the result a room takes away; until then, the last.
    let done = m.queue.is_empty() && m.live.as_ref().is_none_or(|l| l.finished);
    let timed = || {
        m.rows
            .iter()
            .filter_map(|r| r.report.as_ref().filter(|x| x.has_time()))
    };
    let last = if done && timed().count() > 1 {
        timed().max_by(|a, b| {
            a.speedup_vs_baseline
                .unwrap_or(0.0)
                .total_cmp(&b.speedup_vs_baseline.unwrap_or(0.0))
        })
    } else {
        timed().next_back()
    };
    let (figure, caption) = match (last, &m.live) {
        (_, Some(l)) if !l.finished => (
            format!("{:.0}", l.gflops_avg),
            format!("GFLOP/s · {} running", m.rows[l.index].info.id),
        ),
        // The baseline against itself says nothing: it is what the others are measured by.
        // The room reads the big line, not the table: an estimate or a busy machine is said.
        (Some(r), _) if r.rung == m.rows[0].info.id => (
            human_speedup(r.speedup_vs_baseline),
            format!(
                "{} · {}: the baseline every speedup is measured against{}",
                r.rung,
                crate::report::time_cell(r).trim_end_matches(" !"),
                if r.under_load() {
                    " (! busy machine)"
                } else {
                    ""
                }
            ),
        ),
        (Some(r), _) => {
            let base = m.rows[0].report.as_ref();
            let estimated = r.extrapolated || base.is_some_and(|b| b.extrapolated);
            let loaded = r.under_load() || base.is_some_and(crate::run::RunReport::under_load);
            let caption = format!(
                "{}{} · {} faster than {}{}",
                if done { "climbed, fastest: " } else { "" },
                r.rung,
                human_speedup(r.speedup_vs_baseline),
                m.rows[0].info.id,
                match (estimated, loaded) {
                    (true, true) => " (estimated; ! busy machine)",
                    (true, false) => " (estimated)",
                    (false, true) => " (! busy machine)",
                    (false, false) => "",
                }
            );
            (human_speedup(r.speedup_vs_baseline), caption)
        }
        (None, _) => (
            "ladder".to_string(),
            "the demo starts in a moment".to_string(),
        ),
    };
    let paused = demo.paused;
    let caption = if paused {
        format!("{caption} · PAUSED")
    } else {
        caption
    };
    let inner = if framed {
        let b = block("Demo", theme);
        let inner = b.inner(big);
        f.render_widget(b, big);
        inner
    } else {
        big
    };
    let mut lines: Vec<Line> = big_text(&figure)
        .into_iter()
        .map(|l| Line::from(Span::styled(l, Style::default().fg(theme.accent))))
        .collect();
    lines.push(Line::from(Span::styled(caption, theme.title())));
    f.render_widget(Paragraph::new(lines).alignment(Alignment::Center), inner);
    if table_h > 0 {
        ladder::draw_table(f, m, theme, table, area.width >= 100, true);
    }
    // On a small screen (a projector's large font) the speedups matter more than the gauges.
    if bottom.height < m.ladder_len() as u16 + 4 {
        ladder::draw_speedups(f, m, theme, bottom);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(bottom);
    ladder::draw_speedups(f, m, theme, left);
    live::draw(f, m, theme, right);
}

/// Five rows of block glyphs, for figures a room can read.
fn big_text(s: &str) -> Vec<String> {
    fn glyph(c: char) -> [&'static str; 5] {
        match c {
            '0' => ["███", "█ █", "█ █", "█ █", "███"],
            '1' => [" █ ", "██ ", " █ ", " █ ", "███"],
            '2' => ["███", "  █", "███", "█  ", "███"],
            '3' => ["███", "  █", "███", "  █", "███"],
            '4' => ["█ █", "█ █", "███", "  █", "  █"],
            '5' => ["███", "█  ", "███", "  █", "███"],
            '6' => ["███", "█  ", "███", "█ █", "███"],
            '7' => ["███", "  █", "  █", "  █", "  █"],
            '8' => ["███", "█ █", "███", "█ █", "███"],
            '9' => ["███", "█ █", "███", "  █", "███"],
            '.' => ["   ", "   ", "   ", "   ", " █ "],
            'x' => ["   ", "█ █", " █ ", "█ █", "   "],
            '-' => ["   ", "   ", "███", "   ", "   "],
            _ => ["   ", "   ", "   ", "   ", "   "],
        }
    }
    if !s.chars().all(|c| c.is_ascii_digit() || ".x-".contains(c)) {
        return vec![
            String::new(),
            String::new(),
            s.to_string(),
            String::new(),
            String::new(),
        ];
    }
    (0..5)
        .map(|row| {
            s.chars()
                .map(|c| glyph(c)[row])
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_text_draws_digits_and_falls_back_for_words() {
        let t = big_text("10x");
        assert_eq!(t.len(), 5);
        assert_eq!(t[0], " █  ███    ");
        assert_eq!(big_text("ladder")[2], "ladder");
    }
}
