//! Small widgets several screens draw with: the rounded block, a rung's status cell, a bar of
//! eighth blocks.

use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders, Cell};

use super::model::Status;
use super::theme::Theme;
use crate::run::Phase;

/// The frame around every panel: rounded, its title in the accent colour.
#[must_use]
pub fn block<'a>(title: &str, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(theme.dim())
        .title(Span::styled(format!(" {title} "), theme.title()))
        .style(theme.base())
}

/// A rung's status, coloured by how it stands.
#[must_use]
pub fn status_cell(status: &Status, theme: &Theme) -> Cell<'static> {
    let (text, style) = match status {
        Status::Locked => ("locked", theme.dim()),
        Status::Ready => ("ready", theme.base()),
        Status::Queued => ("queued", theme.dim()),
        Status::Running(Phase::Setup) => ("setting up", Style::default().fg(theme.warn)),
        Status::Running(Phase::Kernel) => ("running", Style::default().fg(theme.warn)),
        Status::Running(Phase::Verify) => ("verifying", Style::default().fg(theme.warn)),
        Status::Done => ("done", Style::default().fg(theme.good)),
        Status::Failed(_) => ("FAILED", Style::default().fg(theme.bad)),
        // "missing", as `ladder peers` says it: the status column is ten wide.
        Status::Unavailable(_) => ("missing", theme.dim()),
        Status::Cancelled => ("cancelled", theme.dim()),
    };
    Cell::from(text).style(style)
}

/// A bar `cells` long (fractional), drawn with eighth blocks; never empty.
#[must_use]
pub fn eighths_bar(cells: f64) -> String {
    const PARTS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
    let eighths = ((cells * 8.0).round() as usize).max(1);
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8 - 1]);
    }
    s
}

/// Rows a line of `text` takes when wrapped to `width` columns (one column kept for the
/// leading space), at least one and at most `max`.
#[must_use]
pub fn wrapped_rows(text: &str, width: u16, max: u16) -> u16 {
    let chars = text.chars().count() + 1;
    let rows = chars.div_ceil(usize::from(width.saturating_sub(1).max(1)));
    u16::try_from(rows).unwrap_or(max).clamp(1, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_grow_with_the_log_and_are_never_empty() {
        assert_eq!(eighths_bar(0.0), "▏");
        assert_eq!(eighths_bar(1.0), "█");
        assert_eq!(eighths_bar(2.5), "██▌");
    }
}
