//! The state every screen reads and may change: the rungs and their results, what is running,
//! the workload, the machine, the samples, the notice line. It sits below the screens and
//! imports none of them; `App` owns it beside each screen's own state (cursors, forms, zoom).

mod runs;
mod settings;
mod sweep;

use std::path::PathBuf;
use std::sync::Arc;

pub use runs::{Live, THIN_PROFILE};
pub use settings::Settings;
pub use sweep::{SCALE_BUDGET_S, SCALE_RUNGS, SCALE_SIZES, ScaleView, scale_sizes};

use std::fmt::Write as _;

use super::message::Command;
use crate::machine::MachineInfo;
use crate::monitor::{History, Sample};
use crate::profile::Profile;
use crate::report::{Results, WorkloadMeta};
use crate::run::{Phase, RunReport, RunStatus};
use crate::rungs::{self, RungInfo};

/// What the app says while it measures the peak on its first start on a machine.
pub const PEAK_ONCE: &str = "measuring this machine's peak once (cached for next time)…";

/// The HTML report's file, beside NOTES.md (`w`).
pub const REPORT_FILE: &str = "report.html";

/// Points kept for sparklines (at 10 samples a second: the last 30 seconds).
pub const HISTORY: usize = 300;

/// The screen in front.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Ladder,
    Settings,
    Results,
    /// Each rung's benchmarked speedup over the recorded history (perf/history.jsonl).
    History,
    /// The CPU flamegraph of a rung's last run.
    Flame,
    /// How time grows with n: a sweep of a few rungs on log-log axes.
    Scale,
    /// The lessons: a list, or one lesson open at a step.
    Lessons,
    /// The student's own lab: their steps, run on save, graded in order.
    Lab,
}

/// Where a rung stands.
#[derive(Clone, Debug, PartialEq)]
pub enum Status {
    /// The rung below has not run yet.
    Locked,
    Ready,
    /// Waiting its turn in a climb.
    Queued,
    Running(Phase),
    /// Ran (completely or to its budget) and verified.
    Done,
    /// Could not run, or gave a wrong answer.
    Failed(String),
    /// Cannot run on this machine (a peer's module or program is missing): not a failure; the
    /// reason says what installs it.
    Unavailable(String),
    Cancelled,
}

impl Status {
    /// How a finished run stands: the same whether it just ended or was kept from before.
    #[must_use]
    pub fn of(report: &RunReport) -> Self {
        match &report.status {
            RunStatus::Cancelled => Status::Cancelled,
            RunStatus::Failed(why) => Status::Failed(why.clone()),
            RunStatus::Unavailable(why) => Status::Unavailable(why.clone()),
            _ if !report.verified() => Status::Failed("wrong answer: failed verification".into()),
            _ => Status::Done,
        }
    }
}

/// One rung as the app shows it.
#[derive(Clone, Debug)]
pub struct RungRow {
    pub info: RungInfo,
    pub status: Status,
    pub report: Option<RunReport>,
    /// Outside the ladder (the leak lesson's rungs): always unlocked, not climbed, not in the
    /// speedup chain.
    pub extra: bool,
    /// A program outside the process: its CPU profile is not ours to take here.
    pub peer: bool,
}

/// Where the workload stands.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkloadState {
    Loading,
    Ready(WorkloadMeta),
    Failed(String),
}

/// A line in the footer.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Info(String),
    Error(String),
}

/// The shared state.
#[derive(Clone, Debug)]
pub struct Model {
    pub rows: Vec<RungRow>,
    pub selected: usize,
    pub unlock_all: bool,
    pub settings: Settings,
    /// Settings whose workload is being prepared; they replace `settings` once it is ready.
    pub pending: Option<Settings>,
    pub workload: WorkloadState,
    pub machine: Option<MachineInfo>,
    pub live: Option<Live>,
    /// Rungs waiting to run, in order.
    pub queue: Vec<usize>,
    pub cpu: Vec<History<f32>>,
    /// Cores' worth of CPU other processes used, a sample each (`None`: not known then).
    pub elsewhere: History<Option<f64>>,
    pub rss: History<u64>,
    pub total_memory: u64,
    pub notice: Option<Notice>,
    pub notes_path: PathBuf,
    /// Bytes free for a new workload (for refusing sizes that will not fit).
    pub available_memory: Option<u64>,
    /// Benchmark history, oldest first, and why lines were skipped.
    pub history: Vec<crate::report::history::HistoryEntry>,
    pub history_warnings: Vec<String>,
    pub history_path: PathBuf,
    /// Which machine's runs the history chart shows (an index into `history::by_machine`).
    pub history_machine: usize,
    /// The last CPU profile of each rung (every run in the app is profiled).
    pub profiles: Vec<Option<Arc<Profile>>>,
    /// The rung being run again, unseen, for a flamegraph with enough samples to read.
    pub resampling: Option<usize>,
    /// Rows whose picture has been run again once (or tried to be): not again until a new
    /// profile of theirs arrives.
    pub resampled: Vec<bool>,
    /// Whether `f` may run a rung again for its picture. Not in a lab: there the worker also
    /// runs a saved step's check, which a rerun would hold back.
    pub may_resample: bool,
    /// The latest snapshot of the bytes still live, by allocating stack, and the totals.
    pub memory: Option<(Arc<Profile>, crate::profile::alloc::AllocStats)>,
    /// A Python program's memory flamegraph (the leak lesson's), with its title and the file
    /// name its SVG is exported as.
    pub python_flame: Option<PythonFlame>,
    pub scale: ScaleView,
    /// Resident bytes of the peer process running now.
    pub peer_rss: Option<u64>,
    /// A lesson's program run outside (the leak lesson's service): its memory, measured from
    /// outside, drawn in the live panel instead of the app's own while the lesson shows it.
    pub program_rss: Option<ProgramRss>,
    /// What the live panel says before anything has run.
    pub idle_hint: &'static str,
    /// The peak is being measured (no cache for this machine yet): the first start's pause.
    pub measuring_peak: bool,
}

impl Model {
    /// The ladder's rungs, then the extras, all locked but the first.
    #[must_use]
    pub fn new(settings: Settings, unlock_all: bool, notes_path: PathBuf) -> Self {
        let ladder = rungs::ladder();
        let rows: Vec<RungRow> = ladder
            .iter()
            .map(|r| (r, false))
            .chain(
                rungs::extras()
                    .iter()
                    .map(|r| (r, true))
                    .collect::<Vec<_>>(),
            )
            .map(|(r, extra)| RungRow {
                info: r.info(),
                status: Status::Locked,
                report: None,
                extra,
                peer: false,
            })
            .collect();
        let mut model = Self {
            profiles: vec![None; rows.len()],
            resampling: None,
            resampled: vec![false; rows.len()],
            may_resample: true,
            rows,
            selected: 0,
            unlock_all,
            settings,
            pending: None,
            workload: WorkloadState::Loading,
            machine: None,
            live: None,
            queue: Vec::new(),
            cpu: Vec::new(),
            elsewhere: History::new(HISTORY),
            rss: History::new(HISTORY),
            total_memory: 0,
            notice: None,
            notes_path,
            available_memory: None,
            history: Vec::new(),
            history_warnings: Vec::new(),
            history_path: PathBuf::from("perf/history.jsonl"),
            history_machine: 0,
            memory: None,
            python_flame: None,
            scale: ScaleView::default(),
            peer_rss: None,
            program_rss: None,
            idle_hint: "Select a rung and press Enter; a climbs the whole ladder.",
            measuring_peak: false,
        };
        model.refresh_locks();
        model
    }

    /// Adds rows for peers (programs outside the process) after the extras: they run like
    /// any rung, in any order.
    pub fn add_peers(&mut self, peers: &[crate::peers::PeerSpec]) {
        for p in peers {
            let rung = crate::peers::Peer::new(p.clone());
            self.rows.push(RungRow {
                info: crate::rungs::Rung::info(&rung),
                status: Status::Ready,
                report: None,
                extra: true,
                peer: true,
            });
            self.profiles.push(None);
            self.resampled.push(false);
        }
    }

    /// The settings as the user last set them (pending ones while their workload loads).
    #[must_use]
    pub fn shown_settings(&self) -> &Settings {
        self.pending.as_ref().unwrap_or(&self.settings)
    }

    /// Is a rung or the scaling sweep running?
    #[must_use]
    pub fn running(&self) -> bool {
        self.live.as_ref().is_some_and(|l| !l.finished)
            || self.scale.running
            || self.resampling.is_some()
    }

    /// Why nothing can run yet, if so.
    pub fn ready_to_run(&self) -> Result<(), String> {
        if self.pending.is_some() {
            return Err("the new workload is still being prepared; a moment…".into());
        }
        if self.machine.is_none() {
            return Err("still measuring this machine's peak; a moment…".into());
        }
        match &self.workload {
            WorkloadState::Ready(_) => Ok(()),
            WorkloadState::Loading => Err("the workload is still being prepared; a moment…".into()),
            WorkloadState::Failed(e) => Err(format!("no workload: {e} (press s to change it)")),
        }
    }

    /// Has rung `i` run (to completion or to its budget)?
    #[must_use]
    pub fn has_run(&self, i: usize) -> bool {
        self.rows[i]
            .report
            .as_ref()
            .is_some_and(RunReport::has_time)
    }

    #[must_use]
    pub fn unlocked(&self, i: usize) -> bool {
        self.unlock_all || i == 0 || self.rows[i].extra || self.has_run(i - 1)
    }

    /// How many rows are rungs of the ladder (the extras follow them).
    #[must_use]
    pub fn ladder_len(&self) -> usize {
        self.rows.iter().filter(|r| !r.extra).count()
    }

    /// The row of rung `id`.
    #[must_use]
    pub fn rung_index(&self, id: &str) -> Option<usize> {
        self.rows.iter().position(|r| r.info.id == id)
    }

    pub fn refresh_locks(&mut self) {
        for i in 0..self.rows.len() {
            let unlocked = self.unlocked(i);
            let row = &mut self.rows[i];
            match row.status {
                Status::Locked if unlocked => row.status = Status::Ready,
                Status::Ready if !unlocked => row.status = Status::Locked,
                _ => {}
            }
        }
    }

    /// A sample of the CPUs and memory.
    pub fn on_sample(&mut self, s: &Sample) {
        if self.cpu.len() != s.cpu.len() {
            self.cpu = vec![History::new(HISTORY); s.cpu.len()];
        }
        for (h, &v) in self.cpu.iter_mut().zip(&s.cpu) {
            h.push(v);
        }
        self.rss.push(s.rss);
        self.elsewhere.push(s.elsewhere);
        self.total_memory = s.total_memory;
        self.peer_rss = s.peer_rss;
        if let (Some(p), Some(r)) = (&mut self.program_rss, s.peer_rss)
            && p.running
        {
            p.history.push(r);
        }
    }

    /// Cores' worth of CPU other processes used over the last second (the samples that say),
    /// or `None` when none of them does.
    #[must_use]
    pub fn recent_elsewhere(&self) -> Option<f64> {
        let known: Vec<f64> = self.elsewhere.tail(10).flatten().collect();
        (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64)
    }

    /// No cached peak for this machine: it is being measured now (about two seconds, once);
    /// `note` says why a cache was ignored, if one was.
    pub fn on_measuring_peak(&mut self, note: Option<String>) {
        self.measuring_peak = true;
        let mut said = PEAK_ONCE.to_string();
        if let Some(n) = note {
            said = format!("{said} ({n})");
        }
        self.notice = Some(Notice::Info(said));
    }

    /// New data: earlier results no longer describe it.
    pub fn on_workload_ready(&mut self, meta: WorkloadMeta) {
        for row in &mut self.rows {
            row.report = None;
            row.status = Status::Locked;
        }
        self.live = None;
        self.queue.clear();
        self.notice = Some(Notice::Info(format!(
            "workload ready: {} × {} ({})",
            meta.n, meta.d, meta.source
        )));
        if meta.zero_rows > 0 {
            self.notice = Some(Notice::Info(format!(
                "workload ready; {} zero vector(s): their cosine with anything is 0",
                meta.zero_rows
            )));
        }
        // Clamped, not refused (as `ladder run` says): a top-k answer of a tiny workload
        // holds fewer than k neighbours, and a student should not take it for a bug.
        // The k of the settings this workload comes with: pending ones are applied below.
        let k = self.pending.as_ref().unwrap_or(&self.settings).k;
        if meta.n >= 2
            && k >= meta.n
            && let Some(Notice::Info(said)) = &mut self.notice
        {
            let others = meta.n - 1;
            let _ = write!(
                said,
                "; k = {k} but only {others} other vector{}: topk and ann list {others} per row",
                if others == 1 { "" } else { "s" }
            );
        }
        if self.measuring_peak {
            // Still measuring: the first start's pause keeps its reason on screen.
            if let Some(Notice::Info(said)) = &mut self.notice {
                said.push_str("; ");
                said.push_str(PEAK_ONCE);
            }
        }
        if let Some(next) = self.pending.take() {
            self.settings = next;
        }
        // A file may hold fewer rows than asked for (or "all" was asked for): said, as the
        // command line refuses it, and the settings show what was loaded, its d included.
        let asked = self.settings.n;
        self.settings.n = asked.min(meta.n);
        if asked > meta.n
            && asked != usize::MAX
            && let Some(Notice::Info(said)) = &mut self.notice
        {
            let _ = write!(
                said,
                "; the file holds {} vectors, fewer than the n = {asked} asked: n is {}",
                meta.n, meta.n
            );
        }
        if self
            .settings
            .data
            .parse::<crate::workload::Distribution>()
            .is_err()
        {
            self.settings.d = meta.d;
        }
        self.workload = WorkloadState::Ready(meta);
        self.refresh_locks();
    }

    /// The new workload failed: keep the settings of the one we have; show why.
    pub fn on_workload_failed(&mut self, e: String) {
        self.pending = None;
        self.notice = Some(Notice::Error(e.clone()));
        if !matches!(self.workload, WorkloadState::Ready(_)) {
            self.workload = WorkloadState::Failed(e);
        }
    }

    /// The reports so far, as the exports want them.
    #[must_use]
    pub fn results(&self) -> Option<Results> {
        let WorkloadState::Ready(meta) = &self.workload else {
            return None;
        };
        Some(Results {
            workload: meta.clone(),
            machine: self.machine.clone()?,
            budget_s: self.settings.budget_s,
            threads: self.settings.threads,
            rungs: self.rows.iter().filter_map(|r| r.report.clone()).collect(),
            learner: None,
        })
    }

    /// Writes the HTML report beside NOTES.md (`w`): the table, the charts and each profiled
    /// rung's flamegraph.
    pub fn export_report(&mut self) -> Vec<Command> {
        match self.results() {
            Some(r) if !r.rungs.is_empty() => {
                let flames = self
                    .rows
                    .iter()
                    .zip(&self.profiles)
                    .filter(|(row, _)| row.report.is_some())
                    .filter_map(|(row, p)| {
                        p.clone().map(|p| (row.info.id.to_string(), p, row.peer))
                    })
                    .collect();
                let path = self.notes_path.with_file_name(REPORT_FILE);
                vec![Command::ExportReport(path, Box::new(r), flames)]
            }
            _ => {
                self.notice = Some(Notice::Error(
                    "nothing to report yet: run a rung first (Enter)".into(),
                ));
                vec![]
            }
        }
    }

    /// Writes NOTES.md (`m` on several screens, the lessons' notes step).
    pub fn export(&mut self) -> Vec<Command> {
        match self.results() {
            Some(r) if !r.rungs.is_empty() => {
                let flames = self
                    .rows
                    .iter()
                    .zip(&self.profiles)
                    .filter(|(row, _)| row.report.is_some())
                    .filter_map(|(row, p)| p.clone().map(|p| (row.info.id.to_string(), p)))
                    .collect();
                vec![Command::Export(
                    self.notes_path.clone(),
                    Box::new(r),
                    flames,
                )]
            }
            _ => {
                self.notice = Some(Notice::Error(
                    "nothing to write yet: run a rung first (Enter)".into(),
                ));
                vec![]
            }
        }
    }
}

/// A memory flamegraph of a Python program's stacks, read by memray or tracemalloc.
#[derive(Clone, Debug)]
pub struct PythonFlame {
    pub profile: Arc<Profile>,
    pub title: String,
    /// The exported SVG's file name.
    pub file: String,
}

/// The memory of a lesson's program run outside, sample by sample.
#[derive(Clone, Debug)]
pub struct ProgramRss {
    /// Its file name, for the live panel's label.
    pub name: String,
    pub history: History<u64>,
    pub running: bool,
}

impl ProgramRss {
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            history: History::new(HISTORY),
            running: true,
        }
    }
}
