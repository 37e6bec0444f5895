//! Colour palettes: the default dark one, a light one and a high-contrast one for projectors.

use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};

/// The colours every view draws with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: &'static str,
    pub fg: Color,
    pub bg: Color,
    pub dim: Color,
    pub accent: Color,
    pub good: Color,
    pub bad: Color,
    pub warn: Color,
    pub bar: Color,
    pub selected_bg: Color,
    pub selected_fg: Color,
}

impl Theme {
    pub const DARK: Theme = Theme {
        name: "dark",
        fg: Color::Gray,
        bg: Color::Reset,
        dim: Color::DarkGray,
        accent: Color::Cyan,
        good: Color::Green,
        bad: Color::Red,
        warn: Color::Yellow,
        bar: Color::Cyan,
        selected_bg: Color::DarkGray,
        selected_fg: Color::White,
    };

    pub const LIGHT: Theme = Theme {
        name: "light",
        fg: Color::Black,
        bg: Color::White,
        dim: Color::Gray,
        accent: Color::Blue,
        good: Color::Green,
        bad: Color::Red,
        warn: Color::Magenta,
        bar: Color::Blue,
        selected_bg: Color::LightBlue,
        selected_fg: Color::Black,
    };

    pub const HIGH_CONTRAST: Theme = Theme {
        name: "high-contrast",
        fg: Color::White,
        bg: Color::Black,
        dim: Color::White,
        accent: Color::LightYellow,
        good: Color::LightGreen,
        bad: Color::LightRed,
        warn: Color::LightYellow,
        bar: Color::LightYellow,
        selected_bg: Color::White,
        selected_fg: Color::Black,
    };

    /// A step's colour, as the report's charts draw it (`report::charts::Look`): the bright
    /// colours on a dark ground, the plain ones on a light one. Named colours, which every
    /// terminal has.
    #[must_use]
    pub fn step(&self, step: crate::rungs::Step) -> Color {
        use crate::rungs::Step;
        let light = self.bg == Color::White;
        match step {
            Step::Baseline => self.fg,
            Step::Algorithm if light => Color::Red,
            Step::Algorithm => Color::LightRed,
            Step::Vectorize if light => Color::Yellow,
            Step::Vectorize => Color::LightYellow,
            Step::Native if light => Color::Green,
            Step::Native => Color::LightGreen,
            Step::Threads if light => Color::Cyan,
            Step::Threads => Color::LightCyan,
            Step::Jit if light => Color::Magenta,
            Step::Jit => Color::LightMagenta,
            Step::Library if light => Color::Blue,
            Step::Library => Color::LightBlue,
            Step::Peer => self.dim,
        }
    }

    #[must_use]
    pub fn base(&self) -> Style {
        Style::default().fg(self.fg).bg(self.bg)
    }

    #[must_use]
    pub fn title(&self) -> Style {
        Style::default()
            .fg(self.accent)
            .bg(self.bg)
            .add_modifier(Modifier::BOLD)
    }

    #[must_use]
    pub fn dim(&self) -> Style {
        Style::default().fg(self.dim).bg(self.bg)
    }

    #[must_use]
    pub fn selected(&self) -> Style {
        Style::default()
            .fg(self.selected_fg)
            .bg(self.selected_bg)
            .add_modifier(Modifier::BOLD)
    }
}

impl FromStr for Theme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "dark" => Ok(Theme::DARK),
            "light" => Ok(Theme::LIGHT),
            "high-contrast" | "contrast" => Ok(Theme::HIGH_CONTRAST),
            other => Err(format!(
                "unknown theme '{other}': use dark, light or high-contrast"
            )),
        }
    }
}
