//! The files the lab screen writes: its NOTES.md with each step's flamegraph, and the results
//! kept for the next launch.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::write_into;
use crate::lab::{Attempt, StepResult, saved, spec::Lab};
use crate::machine::MachineInfo;
use crate::profile::Profile;
use crate::report::WorkloadMeta;
use crate::run::RunReport;

/// The lab's NOTES.md (`m`), each profiled step's flamegraph written beside it and linked.
pub(super) fn notes(
    path: &Path,
    dir: &str,
    meta: &WorkloadMeta,
    machine: &MachineInfo,
    results: Vec<StepResult>,
    ours: &[RunReport],
    flames: &[(String, Arc<Profile>)],
) -> Result<PathBuf, String> {
    let flames: Vec<(String, &Profile)> = flames
        .iter()
        .map(|(id, p)| (id.clone(), p.as_ref()))
        .collect();
    // The app climbs at the lab's own size: its floors' size is the workload's.
    let lab = crate::lab::notes::LabOf {
        dir,
        floors_for: (meta.n, meta.d),
    };
    crate::lab::notes::write(path, lab, meta, machine, results, ours, &flames)
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
