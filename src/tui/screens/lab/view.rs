//! The lab's view: the steps (and our rungs, when shown) with their verdicts on top; the
//! selected step's whole story below left (the error in full, the floor, ruff's findings);
//! the live panel below right.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, Wrap};

use super::LabState;
use crate::lab::grade::{Verdict, measured, times};
use crate::lab::lint::Lint;
use crate::lab::render::marked;
use crate::report::{human_speedup, time_cell};
use crate::run::RunStatus;
use crate::tui::model::{Model, Status};
use crate::tui::screens::live;
use crate::tui::theme::Theme;
use crate::tui::widgets::{block, status_cell};

/// Table on top, the selected line's story and the live panel below.
pub fn draw(f: &mut Frame, lab: &LabState, m: &Model, theme: &Theme, area: Rect) {
    let lines = lab.lines(m) as u16;
    let table_h = (lines + 3).min(area.height.saturating_sub(8)).max(4);
    let [table, bottom] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Min(0)]).areas(area);
    draw_table(f, lab, m, theme, table);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(bottom);
    draw_story(f, lab, m, theme, left);
    let checking = lab.checking.map(|i| {
        format!(
            "Checking {} on {} × {} first: is it right? Then the timed run at the lab's size.",
            lab.lab.steps[i].file_name(),
            m.settings.n.min(super::QUICK_N),
            m.settings.d
        )
    });
    live::draw_with(
        f,
        m,
        theme,
        right,
        checking.as_deref().unwrap_or(m.idle_hint),
    );
}

fn draw_table(f: &mut Frame, lab: &LabState, m: &Model, theme: &Theme, area: Rect) {
    let wide = area.width >= 100;
    let first = lab.results.first().map_or("1st", |r| r.id.as_str());
    let vs_first = format!("vs {}", first.chars().take(5).collect::<String>());
    let mut header = vec!["", "file", "status", "time", vs_first.as_str(), "vs prev"];
    if wide {
        header.push("floor");
    }
    header.push("grade");
    let mut rows: Vec<Row> = Vec::new();
    let marks = crate::lab::render::topk_marks(&lab.results);
    for (i, r) in lab.results.iter().enumerate() {
        let row = &m.rows[lab.first_row + i];
        // A wrong answer's time is not shown: it is no step's speed.
        // Nor is a locked step's: it was measured against an earlier step that no longer counts.
        let rep = r
            .report
            .as_ref()
            .filter(|x| x.has_time() && x.verified() && !matches!(r.verdict, Verdict::Locked(_)));
        let status = match (&row.status, &r.verdict) {
            // Locked is what a step is now, whatever its last run was.
            (s, Verdict::Locked(_)) if !matches!(s, Status::Running(_)) => Status::Locked,
            (s, _) => s.clone(),
        };
        // A template still raising its TODO is a step to write, not a failure.
        let untouched =
            matches!(&status, Status::Failed(why) if why.contains("NotImplementedError: TODO"));
        // A deleted file says so in its row, not only when selected.
        let missing = !matches!(status, Status::Running(_) | Status::Locked)
            && !lab.lab.steps[i].file.is_file();
        let mut cells = vec![
            Cell::from(if lab.selected == i { "▶" } else { " " }),
            Cell::from(r.file.clone()),
            if missing {
                Cell::from("missing").style(Style::default().fg(theme.warn))
            } else if untouched {
                Cell::from("to write").style(theme.dim())
            } else if matches!(status, Status::Unavailable(_)) {
                // Something this machine lacks (a module, a compiler), not the file.
                Cell::from("can't run").style(Style::default().fg(theme.warn))
            } else {
                status_cell(&status, theme)
            },
            Cell::from(rep.map(time_cell).unwrap_or_default()),
            Cell::from(
                rep.map(|x| marked(x.speedup_vs_baseline, marks[i][0]))
                    .unwrap_or_default(),
            ),
            Cell::from(
                rep.map(|x| marked(x.speedup_vs_previous, marks[i][1]))
                    .unwrap_or_default(),
            ),
        ];
        if wide {
            cells.push(Cell::from(r.floor.as_ref().map_or_else(String::new, |f| {
                format!("{} over {}", times(f.floor.at_least), f.floor.over)
            })));
        }
        let (grade, style) = match &r.verdict {
            _ if lab.changed[i] => ("changed", Style::default().fg(theme.warn)),
            _ if r.report.is_none() && lab.edited_while_closed.contains(&i) => {
                ("changed", Style::default().fg(theme.warn))
            }
            Verdict::Counts => ("✓ counts", Style::default().fg(theme.good)),
            // A stretch step not tried yet is that, not a gap in the climb.
            Verdict::NotYet(_) | Verdict::Locked(_)
                if r.optional && rep.is_none() && r.report.is_none() =>
            {
                ("optional", theme.dim())
            }
            Verdict::NotYet(_) if rep.is_none() && r.report.is_none() => ("not yet", theme.dim()),
            Verdict::NotYet(_) => ("✗ not yet", Style::default().fg(theme.bad)),
            Verdict::Locked(_) => ("locked", theme.dim()),
        };
        cells.push(Cell::from(grade).style(style));
        rows.push(styled(Row::new(cells), lab.selected == i, theme));
    }
    if lab.show_ours {
        // Ours beside theirs: the same workload, timed the same way.
        let base = lab
            .results
            .first()
            .and_then(crate::lab::StepResult::seconds);
        for j in 0..m.ladder_len() {
            let line = lab.lab.steps.len() + j;
            let row = &m.rows[j];
            let rep = row.report.as_ref().filter(|x| x.has_time());
            let mut cells = vec![
                Cell::from(if lab.selected == line { "▶" } else { " " }),
                Cell::from(format!("ours: {}", row.info.id)).style(theme.dim()),
                status_cell(&row.status, theme),
                Cell::from(rep.map(time_cell).unwrap_or_default()),
                Cell::from(
                    rep.map(|x| human_speedup(base.map(|b| b / x.estimated_s)))
                        .unwrap_or_default(),
                ),
                Cell::from(""),
            ];
            if wide {
                cells.push(Cell::from(row.info.step.to_string()).style(theme.dim()));
            }
            cells.push(Cell::from(""));
            rows.push(styled(Row::new(cells), lab.selected == line, theme));
        }
    }
    let mut widths = vec![
        Constraint::Length(1),
        Constraint::Length(19),
        Constraint::Length(10),
        Constraint::Length(17),
        Constraint::Length(8),
        Constraint::Length(7),
    ];
    if wide {
        widths.push(Constraint::Length(20));
    }
    widths.push(Constraint::Min(9));
    // The stretch steps are not part of what the lab asks.
    let required = lab.results.iter().filter(|r| !r.optional);
    let counted = required.clone().filter(|r| r.verdict.counts()).count();
    let title = format!(
        "Your lab · {counted}/{} count · {}",
        required.count(),
        if lab.watch {
            "watching your files"
        } else {
            "not watching"
        }
    );
    let table = Table::new(rows, widths)
        .header(Row::new(header).style(theme.dim().add_modifier(Modifier::BOLD)))
        .column_spacing(1)
        .block(block(&title, theme));
    let mut state = ratatui::widgets::TableState::default().with_selected(Some(lab.selected));
    f.render_stateful_widget(table, area, &mut state);
}

fn styled<'a>(row: Row<'a>, selected: bool, theme: &Theme) -> Row<'a> {
    if selected {
        row.style(theme.selected())
    } else {
        row.style(theme.base())
    }
}

/// The selected line's story: what the step asks, where it stands and why, in full.
fn draw_story(f: &mut Frame, lab: &LabState, m: &Model, theme: &Theme, area: Rect) {
    let steps = lab.lab.steps.len();
    let mut text: Vec<Line> = Vec::new();
    let title;
    if lab.selected < steps {
        let step = &lab.lab.steps[lab.selected];
        let r = &lab.results[lab.selected];
        title = r.file.clone();
        text.push(Line::from(Span::styled(step.title.clone(), theme.title())));
        // While it runs, what is below is the last result, not this run's.
        let running = lab.checking == Some(lab.selected)
            || matches!(
                m.rows[lab.first_row + lab.selected].status,
                Status::Running(_)
            );
        if running {
            text.push(Line::from(Span::styled(
                "running now; below, its last result:",
                Style::default().fg(theme.warn),
            )));
        }
        let (head, style) = match &r.verdict {
            Verdict::Counts => ("counts ✓".to_string(), Style::default().fg(theme.good)),
            Verdict::NotYet(_) => ("not yet".to_string(), Style::default().fg(theme.bad)),
            Verdict::Locked(_) => ("locked".to_string(), theme.dim()),
        };
        text.push(Line::from(Span::styled(head, style)));
        if let Verdict::NotYet(why) | Verdict::Locked(why) = &r.verdict {
            // ruff's findings are listed in full below: said once.
            let why = if why.starts_with("ruff: ") {
                "right and fast enough: fix ruff's findings below and it counts".to_string()
            } else if r.report.is_none() && lab.edited_while_closed.contains(&lab.selected) {
                "changed since its last result (while the app was closed): Enter runs it, and \
                 saving it runs it"
                    .to_string()
            } else {
                why.clone()
            };
            for l in why.lines() {
                text.push(Line::from(l.to_string()));
            }
        }
        if let Some(fc) = &r.floor {
            let got = fc.measured.map_or_else(
                || "not measured yet".to_string(),
                |x| format!("measured {}", measured(x)),
            );
            text.push(Line::from(format!(
                "floor: {} over {} ({got})",
                times(fc.floor.at_least),
                fc.floor.over
            )));
            // A step short of its floor already said why the floor is there.
            if !matches!(&r.verdict, Verdict::NotYet(w) if w.contains(&fc.floor.why)) {
                text.push(Line::from(Span::styled(fc.floor.why.clone(), theme.dim())));
            }
        }
        // The `*` beside a top-k step's "vs prev", said where the step is read.
        if crate::lab::render::topk_marks(&lab.results)[lab.selected]
            .iter()
            .any(|m| *m)
        {
            text.push(Line::from(Span::styled(
                crate::lab::render::TOPK_NOTE,
                theme.dim(),
            )));
        }
        // A JIT's first call, timed apart: not in the step's time, but paid once per process.
        if let Some(c) = r
            .report
            .as_ref()
            .and_then(|x| x.peer.as_ref())
            .and_then(|p| p.compile_s)
        {
            text.push(Line::from(Span::styled(
                format!(
                    "compiled on its first call in {} (one row, timed apart: not in its time)",
                    crate::report::human_seconds(c)
                ),
                theme.dim(),
            )));
        }
        match &lab.lints[lab.selected] {
            Lint::Checked(found) if found.is_empty() => {
                text.push(Line::from("ruff NPY: clean"));
            }
            Lint::Checked(found) => {
                text.push(Line::from(Span::styled(
                    format!("ruff NPY: {} finding(s) to fix", found.len()),
                    Style::default().fg(theme.bad),
                )));
                for x in found {
                    text.push(Line::from(format!(
                        "  line {} {}: {}",
                        x.line, x.rule, x.message
                    )));
                }
            }
            Lint::Unavailable(why) => {
                text.push(Line::from(Span::styled(
                    format!("ruff NPY: {why}"),
                    theme.dim(),
                )));
            }
            Lint::NotApplicable => {}
        }
        if let Some(printed) = r
            .report
            .as_ref()
            .and_then(|x| x.peer.as_ref())
            .and_then(|p| p.printed.as_deref())
        {
            text.push(Line::from(
                "it printed (its last lines, in its first call):",
            ));
            for l in printed.lines() {
                text.push(Line::from(Span::styled(format!("  {l}"), theme.dim())));
            }
        }
        // Only of a time shown: a wrong answer's is not.
        if let Some(note) = r
            .report
            .as_ref()
            .filter(|x| x.verified())
            .and_then(crate::report::time_load_note)
        {
            // The rung's id is the step's row name; the student knows the step by its file.
            let said = note
                .split_once(": ")
                .map_or(note.as_str(), |(_, rest)| rest);
            text.push(Line::from(Span::styled(
                format!("! {said}"),
                Style::default().fg(theme.warn),
            )));
        }
        if let Some(rep) = r.report.as_ref()
            && matches!(rep.status, RunStatus::Extrapolated)
        {
            text.push(Line::from(Span::styled(
                format!(
                    "timed on {} of {} rows within the budget, the rest extrapolated",
                    rep.rows_done, rep.rows_total
                ),
                theme.dim(),
            )));
        }
    } else {
        let row = &m.rows[lab.selected - steps];
        title = format!("ours: {}", row.info.id);
        text.push(Line::from(Span::styled(
            row.info.what_changed.to_string(),
            theme.title(),
        )));
        text.push(Line::from(row.info.why.to_string()));
    }
    // A long traceback scrolls (PgDn / PgUp); the title says when there is more. Lines are
    // counted as the paragraph wraps them (at words, not at the width in characters).
    let inner_w = area.width.saturating_sub(2).max(1);
    let inner_h = area.height.saturating_sub(2);
    let story = Paragraph::new(text)
        .style(theme.base())
        .wrap(Wrap { trim: false });
    let wrapped = story.line_count(inner_w);
    let most = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .saturating_sub(inner_h);
    lab.story_room.set(most);
    let scroll = if lab.story_of == lab.selected {
        lab.story_scroll.min(most)
    } else {
        0
    };
    let more = match (scroll > 0, scroll < most) {
        (false, true) => " · PgDn more",
        (true, true) => " · PgUp PgDn",
        (true, false) => " · PgUp back",
        (false, false) => "",
    };
    f.render_widget(
        story
            .scroll((scroll, 0))
            .block(block(&format!("{title}{more}"), theme)),
        area,
    );
}
