//! The files the lab screen writes: its NOTES.md with each step's flamegraph, and the results
//! kept for the next launch.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::write_into;
use crate::lab::{Attempt, StepResult, saved, spec::Lab};
use crate::machine::MachineInfo;
use crate::profile::{Profile, StackView};
use crate::report::WorkloadMeta;
use crate::run::RunReport;

/// The lab's NOTES.md (`m`), each profiled step's flamegraph written to `flamegraphs/` beside
/// it and linked.
pub(super) fn notes(
    path: &Path,
    dir: &str,
    meta: &WorkloadMeta,
    machine: &MachineInfo,
    mut results: Vec<StepResult>,
    ours: &[RunReport],
    flames: &[(String, Arc<Profile>)],
) -> Result<PathBuf, String> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    for (id, profile) in flames {
        let Some(r) = results.iter_mut().find(|r| &r.id == id) else {
            continue;
        };
        let rel = format!("flamegraphs/{id}.svg");
        let title = crate::report::flame_title(&format!("step {id} ({})", r.file), meta, machine);
        let mut svg = Vec::new();
        let written = profile
            .write_svg(
                &title,
                "py-spy's samples, from the step's own function up",
                StackView::Slide,
                &mut svg,
            )
            .and_then(|()| write_into(&folder.join(&rel), &svg));
        if let (Ok(()), Some(report)) = (written, r.report.as_mut()) {
            report.flamegraph = Some(rel);
        }
    }
    let text = crate::lab::notes::markdown(dir, meta, machine, &results, ours);
    write_into(path, text.as_bytes())
        .map(|()| path.to_path_buf())
        .map_err(|e| format!("could not write {}: {e}", path.display()))
}

/// Keeps the lab's results in its folder; `None` attempts are left out (their files changed
/// since they ran). The files are hashed now: a changed one was left out already.
pub(super) fn keep(
    lab: &Lab,
    threads: usize,
    attempts: &[Option<Attempt>],
    profiles: &[Option<Arc<Profile>>],
) -> Result<(), String> {
    let hashes: Vec<_> = lab
        .steps
        .iter()
        .zip(attempts)
        .map(|(s, a)| a.as_ref().and_then(|_| saved::file_hash(&s.file)))
        .collect();
    let refs: Vec<_> = attempts.iter().map(Option::as_ref).collect();
    let profiles: Vec<Option<&Profile>> = profiles.iter().map(Option::as_deref).collect();
    let text = saved::text(
        lab,
        &saved::Setting::of(lab, threads),
        &refs,
        &hashes,
        &profiles,
    );
    // Without a cache folder the results last until the app quits.
    let Some(file) = saved::path(&lab.dir) else {
        return Ok(());
    };
    write_into(&file, text.as_bytes()).map_err(|e| {
        format!(
            "could not keep the lab's results in {} ({e}): they last until you quit",
            file.display()
        )
    })
}
