//! The frame: the title line, the screen in front (each screen draws itself, in its room
//! under `screens/`), the notice line, the keys that apply, and the help overlay. Views read
//! `&App` and draw; they never change state or call a kernel.

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::app::App;
use super::model::{Notice, Screen, WorkloadState};
use super::screens::{demo, flame, help, history, lab, ladder, lessons, results, scale, settings};
use super::theme::Theme;
use super::widgets::wrapped_rows;

/// The smallest terminal the app draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// Draws the whole screen.
pub fn draw(f: &mut Frame, app: &App, theme: &Theme) {
    let area = f.area();
    f.render_widget(Block::default().style(theme.base()), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "The terminal is too small: {}×{}.\nladder needs at least {MIN_WIDTH}×{MIN_HEIGHT}.\n\
             Enlarge the window (or shrink the font). q quits.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(msg)
                .style(theme.base())
                .alignment(Alignment::Center)
                .wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    let [title, body, notice, keys] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(notice_height(app, area.width)),
        Constraint::Length(keys_height(app, area.width)),
    ])
    .areas(area);
    draw_title(f, app, theme, title);
    let m = &app.model;
    match (app.screen, &app.demo) {
        (Screen::Ladder, Some(d)) => demo::draw(f, d, m, theme, body),
        (Screen::Ladder, None) => ladder::draw(f, m, theme, body),
        (Screen::Settings, _) => settings::draw(f, &app.form, m, theme, body),
        (Screen::Results, _) => results::draw(f, m, theme, body),
        (Screen::History, _) => history::draw(f, m, theme, body),
        (Screen::Flame, _) => flame::draw(f, &app.flame, m, theme, body),
        (Screen::Scale, _) => scale::draw(f, m, theme, body),
        (Screen::Lessons, _) => lessons::draw(f, &app.lessons, m, theme, body),
        (Screen::Lab, _) => {
            if let Some(l) = &app.lab {
                lab::draw(f, l, m, theme, body);
            }
        }
    }
    draw_notice(f, app, theme, notice);
    draw_keys(f, app, theme, keys);
    if app.show_help {
        help::draw(
            f,
            help::section_title(app.screen, app.demo.is_some()),
            app.lab.is_some(),
            app.help_scroll,
            &app.help_rows,
            theme,
            area,
        );
    }
}

fn draw_title(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let workload = match &app.workload {
        WorkloadState::Loading => "preparing the workload…".to_string(),
        WorkloadState::Ready(m) => format!("{} × {} {}", m.n, m.d, m.origin()),
        WorkloadState::Failed(_) => "no workload (s: settings)".to_string(),
    };
    let machine = match &app.machine {
        None if app.measuring_peak => super::model::PEAK_ONCE.to_string(),
        None => "measuring the machine…".to_string(),
        Some(m) => format!(
            "{} cores {} · peak {:.0}/{:.0} GFLOP/s",
            m.logical_cores, m.kernel_isa, m.peak_gflops_core, m.peak_gflops_all
        ),
    };
    let line = Line::from(vec![
        Span::styled(" ladder ", theme.title()),
        Span::styled(format!("· {workload} · {machine}"), theme.dim()),
    ]);
    f.render_widget(Paragraph::new(line).style(theme.base()), area);
}

/// Rows the notice takes: as many as it needs to be read whole, up to three.
fn notice_height(app: &App, width: u16) -> u16 {
    match &app.notice {
        Some(Notice::Info(s) | Notice::Error(s)) => wrapped_rows(s, width.saturating_sub(1), 3),
        // No notice and two lines of keys: the empty line goes to the screen.
        None if keys_height(app, width) > 1 => 0,
        None => 1,
    }
}

fn draw_notice(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    let line = match &app.notice {
        Some(Notice::Info(s)) => Span::styled(format!(" {s}"), Style::default().fg(theme.accent)),
        Some(Notice::Error(s)) => Span::styled(format!(" {s}"), Style::default().fg(theme.bad)),
        None => Span::raw(""),
    };
    f.render_widget(
        Paragraph::new(Line::from(line))
            .style(theme.base())
            .wrap(Wrap { trim: false }),
        area,
    );
}

/// The keys that apply on the current screen: the longest wording that fits `width`
/// (a leading space is drawn before it), shorter ones for narrower terminals.
#[must_use]
pub fn footer_keys(app: &App, width: u16) -> &'static str {
    let options: &[&'static str] = match app.screen {
        _ if app.show_help => &["↑↓ PgUp PgDn scroll · any other key: close help"],
        Screen::Settings if app.form.editing.is_some() => {
            &["type a value · Enter apply · Esc cancel"]
        }
        Screen::Settings => &["↑↓ field · Enter edit · Esc back · ? help · q quit"],
        Screen::Results => &[
            "m write the notes · w the HTML report · Esc back · ? help · q quit",
            "m notes · w report · Esc back · ? help · q quit",
        ],
        Screen::History => &["←→ machine · Esc back · ? help · q quit"],
        Screen::Scale if app.scale.running => &["Esc cancel the sweep · ? help · q quit"],
        Screen::Lessons if app.lessons.typing => &["type · Enter submit · Esc stop typing"],
        Screen::Lessons if app.lessons.open.is_none() => {
            &["↑↓ choose · Enter open · R reset lesson · Esc back · ? help · q quit"]
        }
        Screen::Lessons => &[
            "←→ step · Enter do it · 1–9 answer · f flame · h hint · r redo · Esc list · ? help · q quit",
            "←→ step · Enter do it · 1–9 answer · f flame · h hint · r redo · Esc list\n? help · q quit",
        ],
        Screen::Scale => &["Enter sweep · Esc back · ? help · q quit"],
        Screen::Lab => &[
            "↑↓ select · Enter run · a all in order · Esc cancel · f flame · d diff · o ours · w watch · m NOTES.md · ? help · q quit",
            "↑↓ select · Enter run · a all in order · Esc cancel · f flame · d diff · o ours · w watch · m notes · ?",
            "Enter run · a all · Esc · f flame · d diff · o ours · w watch · m notes · ?",
        ],
        Screen::Flame if app.flame.typing => &["type to search · Enter keep · Esc clear"],
        Screen::Flame => &[
            "←→ frame · Enter zoom · ⌫ out · / search · t CPU/memory · e SVG · d diff · Esc back · ? help",
            "←→ frame · Enter zoom · ⌫ out · / search · t CPU/memory · e SVG · d diff\n\
             Esc back · ? help · q quit",
        ],
        Screen::Ladder if app.demo.is_some() => &[
            "space pause · n next · r repeat · Esc cancel · f flamegraph · m NOTES.md · w report · ? help · q quit",
            "space pause · n next · r repeat · Esc cancel · f flame · m notes · w report · ? help · q quit",
            "space pause · n next · r repeat · Esc cancel · f flame · m notes · w report\n? help · q quit",
        ],
        Screen::Ladder => &[
            "↑↓ select · Enter run · a climb all · Esc cancel · l lessons · f flamegraph · s settings · r results · h history · g scaling · m NOTES.md · w report · ? help · q quit",
            "↑↓ select · Enter run · a climb all · Esc cancel · l lessons · f flame · s set · r results · h history · g scaling · m notes · w report · ? help · q quit",
            // Narrower: every key still, on two lines (the body gives up one row).
            "↑↓ select · Enter run · a climb all · Esc cancel · f flame · l lessons · s set\n\
             r results · h history · g scaling · m NOTES.md · w report · ? help · q quit",
        ],
    };
    let room = usize::from(width.saturating_sub(1));
    options
        .iter()
        .find(|o| o.lines().all(|l| l.chars().count() <= room))
        .or(options.last())
        .copied()
        .unwrap_or_default()
}

/// Rows the keys take: one, or two where a screen's keys do not fit one at this width.
fn keys_height(app: &App, width: u16) -> u16 {
    if footer_keys(app, width).contains('\n') {
        2
    } else {
        1
    }
}

fn draw_keys(f: &mut Frame, app: &App, theme: &Theme, area: Rect) {
    f.render_widget(
        Paragraph::new(
            footer_keys(app, area.width)
                .lines()
                .map(|l| Line::from(Span::styled(format!(" {l}"), theme.dim())))
                .collect::<Vec<_>>(),
        )
        .style(theme.base()),
        area,
    );
}
