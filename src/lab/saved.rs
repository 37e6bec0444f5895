//! The lab's last results, kept in ladder's cache folder (`labs/<lab>.json` under
//! `$LADDER_CACHE_DIR`, `$XDG_CACHE_HOME/ladder` or `~/.cache/ladder`; never in the lab, which
//! holds only what the student and `init`, `notes` and `--record` wrote), so that the app
//! opens on the grades a student earned last time and `ladder lab check` and the app share
//! them. A step's result comes back only while its file is byte for byte what ran, on the same
//! kind of machine, workload and threads; anything else is run again, never trusted.
//!
//! The format (version 1): `{"format_version": 1, "machine": {cpu, model, cores, isa}, "n",
//! "d", "seed", "threads", "steps": [{"id", "file_hash", "ran_at", "report", "lint",
//! "profile"}]}`, where `file_hash` is FNV-1a (64 bits, hex) of the step's file, `ran_at`
//! seconds since the epoch and `profile` (absent when there was none) the app's py-spy profile
//! of the step as `{"frequency", "folded"}` folded stacks, so `f` and `d` work on a reopened
//! lab. A file that cannot be read is ignored (the steps simply run again).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::Attempt;
use super::lint::Lint;
use super::spec::Lab;
use crate::machine::MachineKey;
use crate::profile::Profile;
use crate::run::RunReport;

const FORMAT_VERSION: u32 = 1;

/// What a step's time depends on besides its file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setting {
    pub machine: MachineKey,
    pub n: usize,
    pub d: usize,
    pub seed: u64,
    pub threads: usize,
}

impl Setting {
    /// The lab's own workload on this machine with `threads`.
    #[must_use]
    pub fn of(lab: &Lab, threads: usize) -> Self {
        Self {
            machine: MachineKey::this(),
            n: lab.workload.n,
            d: lab.workload.d,
            seed: lab.workload.seed,
            threads,
        }
    }

    fn same(&self, other: &Setting) -> bool {
        self.machine.same_kind(&other.machine)
            && (self.n, self.d, self.seed, self.threads)
                == (other.n, other.d, other.seed, other.threads)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedFile {
    format_version: u32,
    #[serde(flatten)]
    setting: Setting,
    steps: Vec<SavedStep>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedStep {
    id: String,
    file_hash: String,
    ran_at: u64,
    report: RunReport,
    lint: Lint,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    profile: Option<SavedProfile>,
}

#[derive(Debug, Serialize, Deserialize)]
struct SavedProfile {
    frequency: u32,
    folded: String,
}

/// A step's result kept from an earlier launch, with the profile of its run when the app took
/// one (`ladder lab check` takes none).
#[derive(Clone, Debug, PartialEq)]
pub struct Kept {
    pub attempt: Attempt,
    pub profile: Option<Profile>,
}

/// The results file of lab folder `dir` (named by its full path), when this user has a cache
/// folder.
#[must_use]
pub fn path(dir: &Path) -> Option<PathBuf> {
    let full = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let h = crate::fsio::fnv1a(full.to_string_lossy().bytes());
    Some(
        crate::machine::cache::cache_dir()?
            .join("labs")
            .join(format!("{h:016x}.json")),
    )
}

/// FNV-1a of a file's bytes, or `None` when it cannot be read.
#[must_use]
pub fn file_hash(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    Some(format!("{:016x}", crate::fsio::fnv1a(bytes)))
}

/// The file's text for `attempts` (one per step; `hashes` the step files' hashes when they
/// ran; `profiles` their runs' profiles, where taken). Steps that did not run, or could not
/// start, are left out: they run again.
#[must_use]
pub fn text(
    lab: &Lab,
    setting: &Setting,
    attempts: &[Option<&Attempt>],
    hashes: &[Option<String>],
    profiles: &[Option<&Profile>],
) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let steps = lab
        .steps
        .iter()
        .zip(attempts)
        .zip(hashes)
        .enumerate()
        .filter_map(|(i, ((step, attempt), hash))| match (attempt, hash) {
            // A step that could not run here (a module not installed, no compiler) is about
            // the machine, not the file: once it is fixed, the step must run again, not show
            // the old reason as if the file still earned it.
            (Some(Attempt::Ran { report, .. }), _)
                if matches!(report.status, crate::run::RunStatus::Unavailable(_)) =>
            {
                None
            }
            (Some(Attempt::Ran { report, lint }), Some(hash)) => Some(SavedStep {
                id: step.id.clone(),
                file_hash: hash.clone(),
                ran_at: now,
                report: (**report).clone(),
                lint: lint.clone(),
                profile: profiles.get(i).copied().flatten().map(|p| SavedProfile {
                    frequency: p.frequency,
                    folded: p.to_folded(),
                }),
            }),
            _ => None,
        })
        .collect();
    let file = SavedFile {
        format_version: FORMAT_VERSION,
        setting: setting.clone(),
        steps,
    };
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

/// The results kept for `lab` under `setting` (one per step, `None` where nothing fits).
#[must_use]
pub fn load(lab: &Lab, setting: &Setting) -> Vec<Option<Kept>> {
    let mut out = vec![None; lab.steps.len()];
    let Some(Ok(text)) = path(&lab.dir).map(std::fs::read_to_string) else {
        return out;
    };
    let Ok(file) = serde_json::from_str::<SavedFile>(&text) else {
        return out;
    };
    if file.format_version != FORMAT_VERSION || !file.setting.same(setting) {
        return out;
    }
    for s in file.steps {
        let Some(i) = lab.steps.iter().position(|st| st.id == s.id) else {
            continue;
        };
        // Only while the file is what ran: an edit since means it must run again.
        if file_hash(&lab.steps[i].file).as_deref() == Some(s.file_hash.as_str()) {
            // A profile that does not parse is dropped, not the result with it.
            let profile = s
                .profile
                .and_then(|p| Profile::from_folded(&p.folded, p.frequency).ok())
                .filter(|p| p.total_samples() > 0);
            out[i] = Some(Kept {
                attempt: Attempt::Ran {
                    report: Box::new(s.report),
                    lint: s.lint,
                },
                profile,
            });
        }
    }
    out
}

/// The steps whose files changed since their kept results ran (those results are not
/// trusted: the steps run again), by index.
#[must_use]
pub fn changed_since(lab: &Lab) -> Vec<usize> {
    let Some(Ok(text)) = path(&lab.dir).map(std::fs::read_to_string) else {
        return Vec::new();
    };
    let Ok(file) = serde_json::from_str::<SavedFile>(&text) else {
        return Vec::new();
    };
    let mut out: Vec<usize> = file
        .steps
        .iter()
        .filter_map(|s| {
            let i = lab.steps.iter().position(|st| st.id == s.id)?;
            let now = file_hash(&lab.steps[i].file)?;
            (now != s.file_hash).then_some(i)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lab_in(dir: &Path) -> Lab {
        crate::lab::scaffold::init(dir).unwrap();
        crate::lab::load(dir).unwrap()
    }

    fn ran() -> Attempt {
        let info = crate::rungs::ladder()[0].info();
        let mut report = RunReport::new(&info, 2, 100);
        report.estimated_s = 1.5;
        Attempt::Ran {
            report: Box::new(report),
            lint: Lint::Checked(Vec::new()),
        }
    }

    #[test]
    fn a_result_comes_back_only_while_its_file_and_setting_are_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let lab = lab_in(dir.path());
        let setting = Setting::of(&lab, 2);
        let attempts = [Some(ran()), Some(ran())];
        let mut refs: Vec<Option<&Attempt>> = attempts.iter().map(Option::as_ref).collect();
        refs.resize(lab.steps.len(), None);
        let hashes: Vec<_> = lab.steps.iter().map(|s| file_hash(&s.file)).collect();
        let file = path(&lab.dir).unwrap();
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        // Step 1 ran in the app under py-spy: its profile is kept with it; step 2 has none.
        let profile = Profile {
            measured_hz: None,
            runs: 0,
            check_samples: 0,
            frequency: 250,
            stacks: vec![
                (vec!["<module>".into(), "similarity".into()], 40),
                (
                    vec!["<module>".into(), "similarity".into(), "dot".into()],
                    2,
                ),
            ],
        };
        let mut profiles = vec![Some(&profile)];
        profiles.resize(lab.steps.len(), None);
        std::fs::write(&file, text(&lab, &setting, &refs, &hashes, &profiles)).unwrap();

        let back = load(&lab, &setting);
        assert!(back[0].is_some() && back[1].is_some());
        assert!(back[2..].iter().all(Option::is_none));
        let kept = back[0].as_ref().unwrap();
        assert_eq!(kept.attempt, ran());
        let back_profile = kept.profile.as_ref().expect("the profile came back");
        assert_eq!(back_profile.frequency, 250);
        assert_eq!(back_profile.to_folded(), profile.to_folded());
        assert_eq!(back[1].as_ref().unwrap().profile, None);

        // An edit to step 2's file: it must run again; step 1 still stands.
        std::fs::write(
            &lab.steps[1].file,
            "def similarity(X, s, e):\n    return []\n",
        )
        .unwrap();
        let back = load(&lab, &setting);
        assert!(back[0].is_some() && back[1].is_none());

        // Another workload or thread count: nothing comes back.
        let other = Setting {
            threads: 1,
            ..setting.clone()
        };
        assert!(load(&lab, &other).iter().all(Option::is_none));

        // A damaged file is as good as none.
        std::fs::write(&file, "{ not json").unwrap();
        assert!(load(&lab, &setting).iter().all(Option::is_none));

        // A step that could not run here (numpy missing for that Python) is not kept: once
        // numpy is installed, it runs again.
        let Attempt::Ran { report, lint } = ran() else {
            unreachable!()
        };
        let mut report = *report;
        report.status = crate::run::RunStatus::Unavailable("numpy is not installed".into());
        let unavailable = Attempt::Ran {
            report: Box::new(report),
            lint,
        };
        let mut refs: Vec<Option<&Attempt>> = vec![Some(&unavailable)];
        refs.resize(lab.steps.len(), None);
        std::fs::write(&file, text(&lab, &setting, &refs, &hashes, &[])).unwrap();
        assert!(load(&lab, &setting).iter().all(Option::is_none));
    }
}
