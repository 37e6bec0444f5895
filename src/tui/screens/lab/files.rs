//! The lab's files: a saved step file runs its step, a saved `lab.toml` applies its floors,
//! and the results are kept for the next launch and restored from it.

use std::path::Path;
use std::sync::Arc;

use super::{LabState, SAVE_QUIET_TICKS};
use crate::lab::Attempt;
use crate::lab::saved::Kept;
use crate::tui::message::Command;
use crate::tui::model::{Model, Notice, Status};

/// The command that keeps the lab's results for the next launch: every step's last run but
/// those whose file changed since (they must run again).
pub(super) fn keep(lab: &LabState, m: &Model) -> Command {
    let attempts: Vec<Option<Attempt>> = lab
        .attempts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            a.clone()
                .filter(|_| !lab.changed[i] && !lab.saved.iter().any(|&(s, _)| s == i))
        })
        .collect();
    // A profile goes with its step's result, and is left out where the result is.
    let profiles = attempts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            a.as_ref()
                .and(m.profiles.get(lab.first_row + i).cloned().flatten())
        })
        .collect();
    Command::KeepLabResults {
        lab: Box::new(lab.lab.clone()),
        threads: m.settings.threads,
        attempts,
        profiles,
    }
}

/// The results kept from the last launch (`ladder lab check`'s or the app's), for the steps
/// whose files are unchanged: shown as if just run, so a student opens on the grades they earned.
pub fn restore(lab: &mut LabState, m: &mut Model, kept: Vec<Option<Kept>>) {
    let mut back = 0;
    for (i, kept) in kept.into_iter().enumerate().take(lab.attempts.len()) {
        let Some(Kept { attempt, profile }) = kept else {
            continue;
        };
        if let Attempt::Ran { report, .. } = &attempt {
            let row = &mut m.rows[lab.first_row + i];
            row.report = Some((**report).clone());
            row.status = Status::of(report);
        }
        if let Some(slot) = m.profiles.get_mut(lab.first_row + i) {
            *slot = profile.map(Arc::new);
        }
        lab.attempts[i] = Some(attempt);
        lab.ran_hash[i] = crate::lab::saved::file_hash(&lab.lab.steps[i].file);
        back += 1;
    }
    if back == 0 {
        return;
    }
    lab.reassess();
    lab.edited_while_closed = crate::lab::saved::changed_since(&lab.lab);
    let changed: Vec<String> = lab
        .edited_while_closed
        .iter()
        .filter_map(|&i| {
            lab.lab
                .steps
                .get(i)
                .map(crate::lab::spec::LabStep::file_name)
        })
        .collect();
    let also = match changed.len() {
        0 => ": save a file or press Enter to run it again".to_string(),
        1 => format!("; {} changed since it ran: run it again", changed[0]),
        _ => format!(
            "; {} changed since they ran: run them again",
            changed.join(", ")
        ),
    };
    // A kept result may be a failure: how many of them count is said, not left to guess.
    let counting = lab
        .results
        .iter()
        .enumerate()
        .filter(|(i, r)| r.verdict.counts() && !lab.edited_while_closed.contains(i))
        .count();
    let said = format!(
        "{back} {} kept from last time ({counting} {}; the files are unchanged since){also}",
        if back == 1 {
            "step's result"
        } else {
            "steps' results"
        },
        if counting == 1 { "counts" } else { "count" }
    );
    m.notice = Some(Notice::Info(said.clone()));
    // Said again when the workload is ready, whose own notice would hide it.
    lab.kept_notice = Some(said);
}

/// The workload is ready, and the model forgot every row's result: the steps' results stand
/// (the lab's data is what they ran on, and what a kept result was kept for), so their rows
/// show them again.
pub fn on_workload_ready(lab: &mut LabState, m: &mut Model) {
    for (i, attempt) in lab.attempts.iter().enumerate() {
        if let (Some(Attempt::Ran { report, .. }), Some(row)) =
            (attempt, m.rows.get_mut(lab.first_row + i))
        {
            row.report = Some((**report).clone());
            row.status = Status::of(report);
        }
    }
    if let Some(said) = lab.kept_notice.take() {
        m.notice = Some(Notice::Info(said));
    }
}

/// A file in the lab folder was written: its step runs once the file is quiet.
pub fn on_file_saved(lab: &mut LabState, m: &mut Model, path: &Path) -> Vec<Command> {
    if lab.is_lab_file(path) {
        on_lab_file_saved(lab, m);
        return vec![];
    }
    let Some(i) = lab.step_of_file(path) else {
        return vec![];
    };
    let file = lab.lab.steps[i].file_name();
    if !lab.lab.steps[i].file.is_file() {
        // Deleted (or renamed away): its verdict is "missing" now, not its last run's, and
        // neither its run's status nor its lint stand for a file that is not there.
        lab.saved.retain(|&(s, _)| s != i);
        lab.lints[i] = crate::lab::lint::Lint::NotApplicable;
        let row = &mut m.rows[lab.first_row + i];
        if !matches!(row.status, Status::Running(_)) {
            row.status = Status::Ready;
        }
        lab.reassess();
        m.notice = Some(Notice::Error(format!(
            "{file} was deleted: it no longer counts (`ladder lab init --missing` writes its \
             template back)"
        )));
        return vec![];
    }
    if !lab.watch {
        let now = crate::lab::saved::file_hash(&lab.lab.steps[i].file);
        if lab.attempts[i].is_some() && now.is_some() && now == lab.ran_hash[i] {
            // Put back as it was when it ran (an undo): its result stands again.
            lab.changed[i] = false;
            lab.reassess();
            m.notice = Some(Notice::Info(format!(
                "{file} is back to what ran last: its result stands"
            )));
            return vec![];
        }
        lab.changed[i] = true;
        // Its result is of the file before: it no longer counts, until it runs again.
        lab.reassess();
        m.notice = Some(Notice::Info(format!(
            "{file} changed; not watching: Enter runs it (w watches again)"
        )));
        return vec![];
    }
    let due = lab.ticks + SAVE_QUIET_TICKS;
    match lab.saved.iter_mut().find(|(s, _)| *s == i) {
        Some(entry) => entry.1 = due,
        None => lab.saved.push((i, due)),
    }
    // The run going on is of the old file: stop it, the new one follows.
    let running = m.live.as_ref().filter(|l| !l.finished).map(|l| l.index);
    if lab.checking == Some(i) || running == Some(lab.first_row + i) {
        return vec![Command::Cancel];
    }
    vec![]
}

/// `lab.toml` was saved: floors, titles and the budget take effect at once; new steps or
/// another workload need the app opened again (its rows and data are made at start); a
/// broken file is said, and the lab opened with stays.
fn on_lab_file_saved(lab: &mut LabState, m: &mut Model) {
    let new = match crate::lab::load(&lab.lab.dir) {
        Ok(new) => new,
        Err(e) => {
            m.notice = Some(Notice::Error(format!(
                "{e} (the app keeps the lab it opened with until lab.toml is fixed)"
            )));
            return;
        }
    };
    // What the rows were made from: the steps' files and how they are run, and the data.
    let runs_alike = |a: &crate::lab::spec::LabStep, b: &crate::lab::spec::LabStep| {
        (
            &a.id,
            &a.file,
            a.step,
            a.output,
            a.input,
            &a.needs,
            &a.programs,
        ) == (
            &b.id,
            &b.file,
            b.step,
            b.output,
            b.input,
            &b.needs,
            &b.programs,
        ) && (&a.uses_one_of, a.own_loops, a.given) == (&b.uses_one_of, b.own_loops, b.given)
    };
    let old = &lab.lab;
    let same_rows = new.steps.len() == old.steps.len()
        && new
            .steps
            .iter()
            .zip(&old.steps)
            .all(|(a, b)| runs_alike(a, b));
    let same_data = (new.workload.n, new.workload.d, new.workload.seed)
        == (old.workload.n, old.workload.d, old.workload.seed);
    if !(same_rows && same_data) {
        m.notice = Some(Notice::Info(format!(
            "lab.toml changed its {}: quit (q) and run `ladder lab` again to use them",
            if same_rows { "workload" } else { "steps" }
        )));
        return;
    }
    m.settings.budget_s = new.workload.budget;
    lab.lab = new;
    lab.reassess();
    m.notice = Some(Notice::Info(
        "lab.toml reloaded: the floors and the budget in it apply now".into(),
    ));
}
