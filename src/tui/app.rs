//! The application state and its one entry point, [`App::update`]: a message in, state changed,
//! commands out. Nothing here blocks, spawns or draws; the event loop carries the commands out
//! and the views only read `&App`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

pub use super::message::{Command, Msg};
use crate::machine::MachineInfo;
use crate::monitor::History;
use crate::profile::Profile;
use crate::report::{Results, WorkloadMeta};
use crate::run::{self, Phase, RunEvent, RunReport, RunStatus};
use crate::rungs::{self, RungInfo};
use crate::workload::{Distribution, Source, WorkloadSpec};

/// Points kept for sparklines (at 10 samples a second: the last 30 seconds).
pub const HISTORY: usize = 300;

/// Ticks (of 100 ms) the demo waits between rungs.
pub const DEMO_PAUSE_TICKS: u32 = 30;

/// What the user can change on the settings screen.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub n: usize,
    pub d: usize,
    pub seed: u64,
    /// `normal`, `clustered`, or a path to a `.npy` / `.fvecs` file.
    pub data: String,
    pub budget_s: f64,
    pub threads: usize,
    /// Neighbours per row for the top-k rung.
    pub k: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            n: crate::workload::DEFAULT_N,
            d: crate::workload::DEFAULT_D,
            seed: 0,
            data: "normal".into(),
            budget_s: run::DEFAULT_BUDGET.as_secs_f64(),
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            k: run::DEFAULT_K,
        }
    }
}

impl Settings {
    /// The workload these settings describe.
    #[must_use]
    pub fn spec(&self) -> WorkloadSpec {
        let source = match self.data.parse::<Distribution>() {
            Ok(dist) => Source::Generated(dist),
            Err(_) => Source::File(PathBuf::from(&self.data)),
        };
        WorkloadSpec {
            n: self.n,
            d: self.d,
            seed: self.seed,
            source,
        }
    }

    /// The fields as (label, value, hint) for the settings screen.
    #[must_use]
    pub fn fields(&self) -> [(&'static str, String, &'static str); 7] {
        [
            (
                "n",
                self.n.to_string(),
                "number of vectors (rows of a file to keep)",
            ),
            ("d", self.d.to_string(), "dimension of generated vectors"),
            ("seed", self.seed.to_string(), "seed of the generator"),
            (
                "data",
                self.data.clone(),
                "normal, clustered, or a .npy / .fvecs path",
            ),
            (
                "budget",
                format!("{}", self.budget_s),
                "kernel seconds per rung before extrapolating",
            ),
            (
                "threads",
                self.threads.to_string(),
                "threads for the threaded rungs",
            ),
            (
                "k",
                self.k.to_string(),
                "neighbours per row for the topk rung",
            ),
        ]
    }
}

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
}

/// Kernel seconds per rung and size in the sweep (at most; the settings' budget if lower):
/// slow points are extrapolated, as everywhere.
pub const SCALE_BUDGET_S: f64 = 2.0;

/// The rungs the scaling screen sweeps: a library product, our threaded kernel, exact top-k
/// (all O(n²)) and the index, whose queries grow slower.
pub const SCALE_RUNGS: [&str; 4] = ["vectorized", "threads", "topk", "ann"];

/// The sizes the scaling screen sweeps.
pub const SCALE_SIZES: [usize; 5] = [1000, 2000, 5000, 10_000, 20_000];

/// The scaling screen's state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScaleView {
    pub sweep: crate::run::scale::Sweep,
    pub running: bool,
    /// What the sweep is doing now, or how it ended.
    pub status: String,
    /// The data it ran on, for the title.
    pub data: String,
}

/// The flamegraph view's cursor, zoom and search.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FlameView {
    /// The rung whose profile is shown.
    pub rung: usize,
    /// Frames from the root to the zoomed frame.
    pub path: Vec<String>,
    /// Which child of the zoomed frame is selected.
    pub cursor: usize,
    pub search: String,
    /// Typing into the search box.
    pub typing: bool,
    /// Showing the memory profile (bytes still live) instead of the rung's CPU profile.
    pub memory: bool,
    /// Comparing with this rung's profile (the functions table shows what changed).
    pub diff_with: Option<usize>,
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
    Cancelled,
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

/// The rung being run (or the last one run), as the live panel shows it.
#[derive(Clone, Debug)]
pub struct Live {
    pub index: usize,
    pub phase: Phase,
    pub rows_done: usize,
    pub rows_total: usize,
    pub work_done: f64,
    pub kernel_elapsed: Duration,
    pub budget: Duration,
    /// Effective GFLOP/s between consecutive progress reports.
    pub gflops: History<f64>,
    /// Effective GFLOP/s over the whole run so far.
    pub gflops_avg: f64,
    pub pairs_per_s: f64,
    pub finished: bool,
    last: (f64, Duration),
}

impl Live {
    /// Seconds left: to the end at the current rate, or to the budget if that comes first.
    #[must_use]
    pub fn eta(&self) -> Option<(f64, bool)> {
        if self.work_done <= 0.0 || self.finished {
            return None;
        }
        let el = self.kernel_elapsed.as_secs_f64();
        let to_end = el * (1.0 - self.work_done) / self.work_done;
        let to_budget = (self.budget.as_secs_f64() - el).max(0.0);
        Some(if to_budget < to_end {
            (to_budget, true)
        } else {
            (to_end, false)
        })
    }
}

/// Where the workload stands.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkloadState {
    Loading,
    Ready(WorkloadMeta),
    Failed(String),
}

/// The settings screen's cursor and edit buffer.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsForm {
    pub selected: usize,
    pub editing: Option<String>,
    pub error: Option<String>,
}

/// Demo mode: the ladder climbs itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Demo {
    pub paused: bool,
    /// Ticks left before the next rung starts.
    pub countdown: u32,
}

/// A line in the footer.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    Info(String),
    Error(String),
}

/// Everything the app knows.
#[derive(Clone, Debug)]
pub struct App {
    pub screen: Screen,
    pub show_help: bool,
    /// The first help line shown (the overlay scrolls when it is taller than the terminal).
    pub help_scroll: usize,
    /// Help lines the last draw could show, so scrolling stops at the last line.
    pub help_rows: std::cell::Cell<usize>,
    pub rows: Vec<RungRow>,
    pub selected: usize,
    pub unlock_all: bool,
    pub settings: Settings,
    pub form: SettingsForm,
    /// Settings whose workload is being prepared; they replace `settings` once it is ready.
    pub pending: Option<Settings>,
    pub workload: WorkloadState,
    pub machine: Option<MachineInfo>,
    pub live: Option<Live>,
    /// Rungs waiting to run, in order.
    pub queue: Vec<usize>,
    pub cpu: Vec<History<f32>>,
    pub rss: History<u64>,
    pub total_memory: u64,
    pub notice: Option<Notice>,
    pub notes_path: PathBuf,
    /// Bytes free for a new workload (for refusing sizes that will not fit).
    pub available_memory: Option<u64>,
    pub demo: Option<Demo>,
    /// Benchmark history, oldest first, and why lines were skipped.
    pub history: Vec<crate::report::history::HistoryEntry>,
    pub history_warnings: Vec<String>,
    pub history_path: PathBuf,
    /// Which machine's runs the history chart shows (an index into `history::by_machine`).
    pub history_machine: usize,
    /// The last CPU profile of each rung (every run in the app is profiled).
    pub profiles: Vec<Option<Arc<Profile>>>,
    pub flame: FlameView,
    /// The latest snapshot of the bytes still live, by allocating stack, and the totals.
    pub memory: Option<(Arc<Profile>, crate::profile::alloc::AllocStats)>,
    pub scale: ScaleView,
    pub lessons: super::lessons::LessonsState,
    /// Where Esc in the flamegraph returns to.
    pub flame_return: Screen,
    /// Resident bytes of the peer process running now.
    pub peer_rss: Option<u64>,
    pub quit: bool,
}

impl App {
    #[must_use]
    pub fn new(settings: Settings, unlock_all: bool, notes_path: PathBuf) -> Self {
        let ladder = rungs::ladder();
        let rows = ladder
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
        let mut app = Self {
            screen: Screen::Ladder,
            show_help: false,
            help_scroll: 0,
            help_rows: std::cell::Cell::new(super::help::HELP.len()),
            rows,
            selected: 0,
            unlock_all,
            settings,
            form: SettingsForm::default(),
            pending: None,
            workload: WorkloadState::Loading,
            machine: None,
            live: None,
            queue: Vec::new(),
            cpu: Vec::new(),
            rss: History::new(HISTORY),
            total_memory: 0,
            notice: None,
            notes_path,
            available_memory: None,
            demo: None,
            history: Vec::new(),
            history_warnings: Vec::new(),
            history_path: PathBuf::from("perf/history.jsonl"),
            history_machine: 0,
            profiles: Vec::new(),
            flame: FlameView::default(),
            memory: None,
            scale: ScaleView::default(),
            lessons: super::lessons::LessonsState::default(),
            flame_return: Screen::Ladder,
            peer_rss: None,
            quit: false,
        };
        app.profiles = vec![None; app.rows.len()];
        app.refresh_locks();
        app
    }

    /// Adds rows for peers (programs outside the process) after the extras: they run like
    /// any rung, in any order.
    pub fn add_peers(&mut self, peers: &[crate::rungs::external::PeerSpec]) {
        for p in peers {
            let rung = crate::rungs::external::Peer::new(p.clone());
            self.rows.push(RungRow {
                info: crate::rungs::Rung::info(&rung),
                status: Status::Ready,
                report: None,
                extra: true,
                peer: true,
            });
            self.profiles.push(None);
        }
    }

    /// The commands to run at start: load the workload.
    #[must_use]
    pub fn start(&self) -> Vec<Command> {
        vec![Command::LoadWorkload(self.settings.spec())]
    }

    /// Turns on demo mode: the ladder climbs itself once everything is ready.
    pub fn enable_demo(&mut self) {
        self.demo = Some(Demo {
            paused: false,
            countdown: DEMO_PAUSE_TICKS / 3,
        });
        self.unlock_all = false;
    }

    /// The settings as the user last set them (pending ones while their workload loads).
    #[must_use]
    pub fn shown_settings(&self) -> &Settings {
        self.pending.as_ref().unwrap_or(&self.settings)
    }

    #[must_use]
    pub fn running(&self) -> bool {
        self.live.as_ref().is_some_and(|l| !l.finished) || self.scale.running
    }

    fn ready_to_run(&self) -> Result<(), String> {
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
    fn has_run(&self, i: usize) -> bool {
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

    fn refresh_locks(&mut self) {
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

    /// The message in, the state changed, the commands out.
    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Key(_) => vec![],
            Msg::Tick => self.on_tick(),
            Msg::Run(ev) => {
                self.on_run_event(&ev);
                vec![]
            }
            Msg::RungFinished(report) => self.on_finished(*report),
            Msg::Sample(s) => {
                if self.cpu.len() != s.cpu.len() {
                    self.cpu = vec![History::new(HISTORY); s.cpu.len()];
                }
                for (h, &v) in self.cpu.iter_mut().zip(&s.cpu) {
                    h.push(v);
                }
                self.rss.push(s.rss);
                self.total_memory = s.total_memory;
                self.peer_rss = s.peer_rss;
                vec![]
            }
            Msg::WorkloadReady(meta) => {
                // New data: earlier results no longer describe it.
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
                if let Some(next) = self.pending.take() {
                    self.settings = next;
                }
                // A file may hold fewer rows than asked for (or "all" was asked for).
                self.settings.n = self.settings.n.min(meta.n);
                self.workload = WorkloadState::Ready(meta);
                self.refresh_locks();
                vec![]
            }
            Msg::WorkloadFailed(e) => {
                // Keep the settings of the workload we have; show why the new one failed.
                self.pending = None;
                self.form.error = Some(e.clone());
                self.notice = Some(Notice::Error(e.clone()));
                if !matches!(self.workload, WorkloadState::Ready(_)) {
                    self.workload = WorkloadState::Failed(e);
                }
                vec![]
            }
            Msg::MachineReady(m) => {
                self.machine = Some(m);
                vec![]
            }
            Msg::Exported(Ok(path)) => {
                let what = if path.extension().is_some_and(|e| e == "svg") {
                    "the flamegraph"
                } else {
                    "the speedup table"
                };
                self.notice = Some(Notice::Info(format!("wrote {what} to {}", path.display())));
                if what == "the speedup table" {
                    self.lessons_on_exported()
                } else {
                    vec![]
                }
            }
            Msg::Exported(Err(e)) | Msg::ProgressNotSaved(e) => {
                self.notice = Some(Notice::Error(e));
                vec![]
            }
            Msg::MemoryProfiled(profile, stats) => {
                self.memory = Some((profile, stats));
                vec![]
            }
            Msg::Profiled { rung, profile } => {
                // A peer's profile is its own stacks, sampled by py-spy.
                if let Some(i) = self.rows.iter().position(|r| r.info.id == rung) {
                    self.profiles[i] = Some(profile);
                }
                vec![]
            }
            Msg::HistoryLoaded(h) => {
                self.history = h.entries;
                self.history_warnings = h.warnings;
                // This machine's runs first; a machine with none sees the latest run's.
                let groups = crate::report::history::by_machine(&self.history);
                let here = self.machine.as_ref().map(MachineInfo::key);
                self.history_machine = groups
                    .iter()
                    .position(|(k, _)| here.as_ref().is_some_and(|h| h.same_kind(k)))
                    .or_else(|| {
                        let last = self.history.len().checked_sub(1)?;
                        groups.iter().position(|(_, v)| v.contains(&last))
                    })
                    .unwrap_or(0);
                vec![]
            }
            Msg::Sweep(ev) => {
                use crate::run::scale::SweepEvent;
                let sw = &mut self.scale;
                match ev {
                    SweepEvent::Preparing { n } => {
                        sw.status = format!("n = {n}: generating the vectors");
                    }
                    SweepEvent::Running { n, rung } => sw.status = format!("n = {n}: {rung}"),
                    SweepEvent::Point(p) => sw.sweep.points.push(p),
                    SweepEvent::Skipped(s) => sw.sweep.skipped.push(s),
                }
                vec![]
            }
            Msg::BytecodeLoaded(pair, loaded) => self.lessons_on_bytecode(pair, loaded),
            Msg::ConcurrencyMeasured(r) => self.lessons_on_concurrency(r),
            Msg::SweepFinished { cancelled, error } => {
                let sw = &mut self.scale;
                sw.running = false;
                sw.sweep.cancelled = cancelled;
                sw.status = match (error, cancelled) {
                    (Some(e), _) => format!("the sweep failed: {e}"),
                    (None, true) => "cancelled (Enter starts again)".into(),
                    (None, false) => format!(
                        "done: {} points, {} skipped (Enter runs it again)",
                        sw.sweep.points.len(),
                        sw.sweep.skipped.len()
                    ),
                };
                if sw.sweep.points.iter().any(|p| !p.verified) {
                    sw.status.push_str(
                        " · ✗ failed its check (an index on unclustered data misses its recall \
                         floor: try data = clustered)",
                    );
                }
                vec![]
            }
        }
    }

    fn on_scale_key(&mut self, key: KeyEvent) -> Vec<Command> {
        match key.code {
            KeyCode::Esc if self.scale.running => {
                self.scale.status = "cancelling…".into();
                vec![Command::Cancel]
            }
            KeyCode::Esc | KeyCode::Char('g' | 'l') => {
                self.screen = Screen::Ladder;
                vec![]
            }
            KeyCode::Enter => self.start_sweep(),
            _ => vec![],
        }
    }

    fn start_sweep(&mut self) -> Vec<Command> {
        if self.running() {
            self.notice = Some(Notice::Error(
                "something is already running (Esc cancels it)".into(),
            ));
            return vec![];
        }
        if let Err(e) = self.ready_to_run() {
            self.notice = Some(Notice::Error(e));
            return vec![];
        }
        let mut spec = self.settings.spec();
        if let Source::File(_) = spec.source {
            // A file has one size; the sweep needs many, so it generates data of its d.
            spec.source = Source::Generated(Distribution::Normal);
            if let WorkloadState::Ready(m) = &self.workload {
                spec.d = m.d;
            }
        }
        self.scale = ScaleView {
            running: true,
            status: "starting…".into(),
            data: format!("{} × d {} seed {}", spec.source, spec.d, spec.seed),
            ..ScaleView::default()
        };
        vec![Command::Sweep {
            spec,
            budget: Duration::from_secs_f64(self.settings.budget_s.min(SCALE_BUDGET_S)),
            threads: self.settings.threads,
            k: self.settings.k,
        }]
    }

    /// Arrows and page keys scroll the help; any other key closes it.
    fn on_help_key(&mut self, key: KeyEvent) {
        let page = isize::try_from(self.help_rows.get().max(1)).unwrap_or(isize::MAX);
        let by = match key.code {
            KeyCode::Up | KeyCode::Char('k') => -1,
            KeyCode::Down | KeyCode::Char('j') => 1,
            KeyCode::PageUp => -page,
            KeyCode::PageDown | KeyCode::Char(' ') => page,
            KeyCode::Home => isize::MIN / 2,
            KeyCode::End => isize::MAX / 2,
            _ => {
                self.show_help = false;
                return;
            }
        };
        self.scroll_help(by);
    }

    fn scroll_help(&mut self, by: isize) {
        let last = super::help::HELP
            .len()
            .saturating_sub(self.help_rows.get().max(1));
        self.help_scroll = self
            .help_scroll
            .min(last)
            .saturating_add_signed(by)
            .min(last);
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c'));
        if ctrl_c {
            return self.quit_now();
        }
        if self.show_help {
            self.on_help_key(key);
            return vec![];
        }
        if self.screen == Screen::Settings && self.form.editing.is_some() {
            return self.on_edit_key(key);
        }
        if self.screen == Screen::Flame && self.flame.typing {
            return self.on_search_key(key);
        }
        // An explanation being typed takes every key, q and ? included.
        if self.screen == Screen::Lessons && self.lessons.typing {
            return self.on_lessons_key(key);
        }
        self.notice = None;
        match key.code {
            KeyCode::Char('?') => {
                self.show_help = true;
                // The draw keeps it within the list for the terminal's height.
                self.help_scroll = super::help::section_start(self.screen, self.demo.is_some());
                vec![]
            }
            KeyCode::Char('q') => self.quit_now(),
            _ => match self.screen {
                Screen::Ladder if self.demo.is_some() => self.on_demo_key(key),
                Screen::Ladder => self.on_ladder_key(key),
                Screen::Settings => self.on_settings_key(key),
                Screen::Results => self.on_results_key(key),
                Screen::History => self.on_history_key(key),
                Screen::Flame => self.on_flame_key(key),
                Screen::Scale => self.on_scale_key(key),
                Screen::Lessons => self.on_lessons_key(key),
            },
        }
    }

    fn quit_now(&mut self) -> Vec<Command> {
        self.quit = true;
        if self.running() {
            vec![Command::Cancel, Command::Quit]
        } else {
            vec![Command::Quit]
        }
    }

    fn on_ladder_key(&mut self, key: KeyEvent) -> Vec<Command> {
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.selected = self.selected.saturating_sub(1);
                vec![]
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.selected = (self.selected + 1).min(self.rows.len() - 1);
                vec![]
            }
            KeyCode::Enter => self.try_start(self.selected),
            KeyCode::Char('a') => self.climb_all(),
            KeyCode::Esc => self.cancel(),
            KeyCode::Char('s') => {
                if self.running() {
                    self.notice = Some(Notice::Error(
                        "a rung is running: wait for it, or Esc to cancel, before changing settings"
                            .into(),
                    ));
                } else {
                    self.screen = Screen::Settings;
                    self.form = SettingsForm::default();
                }
                vec![]
            }
            KeyCode::Char('r') => {
                self.screen = Screen::Results;
                vec![]
            }
            KeyCode::Char('h') => {
                self.screen = Screen::History;
                vec![Command::LoadHistory(self.history_path.clone())]
            }
            KeyCode::Char('g') => {
                self.screen = Screen::Scale;
                vec![]
            }
            KeyCode::Char('l') => self.open_lessons(),
            KeyCode::Char('f') => {
                if self.profiles[self.selected].is_some() {
                    self.flame = FlameView {
                        rung: self.selected,
                        ..FlameView::default()
                    };
                    self.screen = Screen::Flame;
                } else {
                    self.notice = Some(Notice::Error(self.no_profile(self.selected)));
                }
                vec![]
            }
            KeyCode::Char('m') => self.export(),
            _ => vec![],
        }
    }

    /// Why row `i` has no flamegraph, and what to do. A peer runs outside this process: its
    /// profile comes from py-spy, when installed, and only for a Python program.
    fn no_profile(&self, i: usize) -> String {
        let row = &self.rows[i];
        let id = row.info.id;
        if !row.peer {
            format!("no profile of {id} yet: run it (Enter), then f shows where its time went")
        } else if crate::rungs::external::which("py-spy").is_none() {
            format!("no profile of {id}: pip install py-spy, then run it again (Enter)")
        } else if row.report.is_some() {
            format!(
                "no profile of {id}: py-spy took no Python stacks (not a Python program, or its run failed)"
            )
        } else {
            format!("no profile of {id} yet: run it (Enter); py-spy samples it")
        }
    }

    /// The profile the flamegraph view shows: the rung's CPU profile, or the memory snapshot.
    #[must_use]
    pub fn flame_profile(&self) -> Option<&Arc<Profile>> {
        if self.flame.memory {
            self.memory.as_ref().map(|(p, _)| p)
        } else {
            self.profiles.get(self.flame.rung)?.as_ref()
        }
    }

    /// The tree of the shown profile.
    #[must_use]
    pub fn flame_tree(&self) -> Option<super::flame::Node> {
        self.flame_profile()
            .map(|p| super::flame::Node::from_profile_simplified(p))
    }

    fn on_flame_key(&mut self, key: KeyEvent) -> Vec<Command> {
        if key.code == KeyCode::Char('t') {
            // Toggle CPU time / live memory; the memory snapshot is taken now.
            self.flame.memory = !self.flame.memory;
            self.flame.path.clear();
            self.flame.cursor = 0;
            return if self.flame.memory {
                vec![Command::SnapshotMemory]
            } else {
                vec![]
            };
        }
        let Some(tree) = self.flame_tree() else {
            if key.code == KeyCode::Esc || key.code == KeyCode::Char('f') {
                self.screen = std::mem::replace(&mut self.flame_return, Screen::Ladder);
            }
            return vec![];
        };
        let children = tree.at(&self.flame.path).children.len();
        match key.code {
            KeyCode::Left | KeyCode::Up => {
                self.flame.cursor = self.flame.cursor.saturating_sub(1);
            }
            KeyCode::Right | KeyCode::Down => {
                self.flame.cursor = (self.flame.cursor + 1).min(children.saturating_sub(1));
            }
            KeyCode::Enter => {
                let node = tree.at(&self.flame.path);
                if let Some(child) = node.children.get(self.flame.cursor) {
                    self.flame.path.push(child.name.clone());
                    self.flame.cursor = 0;
                }
            }
            KeyCode::Backspace => {
                if let Some(name) = self.flame.path.pop() {
                    let parent = tree.at(&self.flame.path);
                    self.flame.cursor = parent
                        .children
                        .iter()
                        .position(|c| c.name == name)
                        .unwrap_or(0);
                }
            }
            KeyCode::Char('/') => {
                self.flame.typing = true;
                self.flame.search.clear();
            }
            KeyCode::Char('e') => return self.export_flame(),
            KeyCode::Char('d') => return self.export_diff(),
            KeyCode::Esc if !self.flame.search.is_empty() => self.flame.search.clear(),
            KeyCode::Esc | KeyCode::Char('f') => {
                self.screen = std::mem::replace(&mut self.flame_return, Screen::Ladder);
            }
            _ => {}
        }
        vec![]
    }

    fn on_search_key(&mut self, key: KeyEvent) -> Vec<Command> {
        match key.code {
            KeyCode::Enter => self.flame.typing = false,
            KeyCode::Esc => {
                self.flame.typing = false;
                self.flame.search.clear();
            }
            KeyCode::Backspace => {
                self.flame.search.pop();
            }
            KeyCode::Char(c) => self.flame.search.push(c),
            _ => {}
        }
        vec![]
    }

    fn flame_title(&self, what: &str) -> String {
        match (&self.workload, &self.machine) {
            (WorkloadState::Ready(m), Some(machine)) => {
                crate::report::flame_title(what, m, machine)
            }
            _ => format!("ladder · {what}"),
        }
    }

    fn export_flame(&mut self) -> Vec<Command> {
        let i = self.flame.rung;
        let Some(profile) = self.flame_profile().cloned() else {
            return vec![];
        };
        let id = self.rows[i].info.id;
        if self.flame.memory {
            return vec![Command::ExportFlame {
                path: PathBuf::from("flamegraphs").join("memory-live.svg"),
                profile,
                title: self.flame_title("bytes still live"),
                unit: "bytes",
            }];
        }
        // A peer's samples are its Python stacks, taken by py-spy: the title says so.
        let what = if self.rows[i].peer {
            format!("{id} (Python stacks, sampled by py-spy)")
        } else {
            id.to_string()
        };
        vec![Command::ExportFlame {
            path: PathBuf::from("flamegraphs").join(format!("{id}.svg")),
            profile,
            title: self.flame_title(&what),
            unit: "samples",
        }]
    }

    /// The difference from the rung below: what this step removed and what it added.
    fn export_diff(&mut self) -> Vec<Command> {
        let i = self.flame.rung;
        // Like with like: a peer's Python stacks against another peer's, a rung's against a
        // rung's.
        let below = (0..i)
            .rev()
            .find(|&j| self.profiles[j].is_some() && self.rows[j].peer == self.rows[i].peer);
        let (Some(j), Some(after)) = (below, self.profiles[i].clone()) else {
            self.notice = Some(Notice::Error(
                "no rung below has a profile to compare with: run it first".into(),
            ));
            return vec![];
        };
        let Some(before) = self.profiles[j].clone() else {
            return vec![];
        };
        let (a, b) = (self.rows[j].info.id, self.rows[i].info.id);
        self.flame.diff_with = Some(j);
        vec![Command::ExportDiff {
            path: PathBuf::from("flamegraphs").join(format!("diff-{a}-{b}.svg")),
            before,
            after,
            title: self.flame_title(&format!("{a} → {b}")),
        }]
    }

    fn on_history_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let machines = crate::report::history::by_machine(&self.history).len();
        match key.code {
            KeyCode::Esc | KeyCode::Char('h' | 'l') => {
                self.screen = Screen::Ladder;
            }
            KeyCode::Right if machines > 0 => {
                self.history_machine = (self.history_machine + 1) % machines;
            }
            KeyCode::Left if machines > 0 => {
                self.history_machine = (self.history_machine + machines - 1) % machines;
            }
            _ => {}
        }
        vec![]
    }

    fn on_results_key(&mut self, key: KeyEvent) -> Vec<Command> {
        match key.code {
            KeyCode::Esc | KeyCode::Char('r' | 'l') => {
                self.screen = Screen::Ladder;
                vec![]
            }
            KeyCode::Char('m') => self.export(),
            _ => vec![],
        }
    }

    fn on_demo_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(demo) = self.demo.as_mut() else {
            return vec![];
        };
        match key.code {
            KeyCode::Char(' ' | 'p') => {
                demo.paused = !demo.paused;
                self.notice = Some(Notice::Info(
                    if demo.paused {
                        "demo paused"
                    } else {
                        "demo resumed"
                    }
                    .into(),
                ));
                vec![]
            }
            KeyCode::Char('n') | KeyCode::Right => {
                demo.countdown = 0;
                if self.running() {
                    vec![]
                } else {
                    self.start_next_queued()
                }
            }
            KeyCode::Char('r') => {
                if self.running() {
                    return vec![];
                }
                for row in &mut self.rows {
                    row.report = None;
                    row.status = Status::Locked;
                }
                self.live = None;
                self.refresh_locks();
                self.queue = (0..self.ladder_len()).collect();
                if let Some(d) = self.demo.as_mut() {
                    d.countdown = DEMO_PAUSE_TICKS / 3;
                }
                vec![]
            }
            KeyCode::Esc => self.cancel(),
            KeyCode::Char('m') => self.export(),
            _ => vec![],
        }
    }

    fn on_settings_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let count = self.settings.fields().len();
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => {
                self.form.selected = self.form.selected.saturating_sub(1);
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.form.selected = (self.form.selected + 1).min(count - 1);
            }
            KeyCode::Enter => {
                let (_, value, _) = &self.shown_settings().fields()[self.form.selected];
                self.form.editing = Some(value.clone());
                self.form.error = None;
            }
            KeyCode::Esc | KeyCode::Char('s') => self.screen = Screen::Ladder,
            _ => {}
        }
        vec![]
    }

    fn on_edit_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let Some(buf) = self.form.editing.as_mut() else {
            return vec![];
        };
        match key.code {
            KeyCode::Esc => {
                self.form.editing = None;
                self.form.error = None;
                vec![]
            }
            KeyCode::Backspace => {
                buf.pop();
                vec![]
            }
            KeyCode::Char(c) => {
                buf.push(c);
                vec![]
            }
            KeyCode::Enter => {
                let value = buf.trim().to_string();
                match self.apply_field(self.form.selected, &value) {
                    Ok(cmds) => {
                        self.form.editing = None;
                        self.form.error = None;
                        cmds
                    }
                    Err(e) => {
                        self.form.error = Some(e);
                        vec![]
                    }
                }
            }
            _ => vec![],
        }
    }

    /// Validates and applies one settings field; a change of data reloads the workload.
    fn apply_field(&mut self, field: usize, value: &str) -> Result<Vec<Command>, String> {
        let mut next = self.shown_settings().clone();
        match field {
            0 => {
                next.n = value
                    .parse()
                    .ok()
                    .filter(|&n| n >= 1)
                    .ok_or_else(|| format!("n must be a whole number ≥ 1, not '{value}'"))?;
            }
            1 => {
                next.d = value
                    .parse()
                    .ok()
                    .filter(|&d| d >= 1)
                    .ok_or_else(|| format!("d must be a whole number ≥ 1, not '{value}'"))?;
            }
            2 => {
                next.seed = value
                    .parse()
                    .map_err(|_| format!("the seed must be a whole number ≥ 0, not '{value}'"))?;
            }
            3 => {
                if value.is_empty() {
                    return Err("give normal, clustered, or a path to a .npy / .fvecs file".into());
                }
                if value.parse::<Distribution>().is_err() && !std::path::Path::new(value).exists() {
                    return Err(format!(
                        "'{value}' is neither normal, clustered, nor an existing file"
                    ));
                }
                value.clone_into(&mut next.data);
            }
            4 => {
                next.budget_s = value
                    .parse::<f64>()
                    .ok()
                    .filter(|b| b.is_finite() && *b > 0.0 && *b <= 3600.0)
                    .ok_or_else(|| {
                        format!("the budget must be seconds between 0 and 3600, not '{value}'")
                    })?;
            }
            6 => {
                next.k = value
                    .parse()
                    .ok()
                    .filter(|&k| (1..=10_000).contains(&k))
                    .ok_or_else(|| format!("k must be between 1 and 10000, not '{value}'"))?;
            }
            _ => {
                next.threads = value
                    .parse()
                    .ok()
                    .filter(|&t| (1..=1024).contains(&t))
                    .ok_or_else(|| format!("threads must be between 1 and 1024, not '{value}'"))?;
            }
        }
        let generated = next.data.parse::<Distribution>().is_ok();
        if generated && (next.n != self.settings.n || next.d != self.settings.d) {
            run::check_fits(next.n, next.d, self.available_memory).map_err(|e| e.to_string())?;
        }
        let reload = next.n != self.settings.n
            || next.d != self.settings.d
            || next.seed != self.settings.seed
            || next.data != self.settings.data;
        if reload {
            let spec = next.spec();
            self.pending = Some(next);
            self.notice = Some(Notice::Info("preparing the new workload…".into()));
            Ok(vec![Command::LoadWorkload(spec)])
        } else {
            self.settings = next;
            Ok(vec![])
        }
    }

    /// Starts rung `index` (Enter, a climb, the lessons' run steps), if the rules allow.
    pub(super) fn try_start(&mut self, index: usize) -> Vec<Command> {
        if self.running() {
            self.notice = Some(Notice::Error(
                "a rung is already running (Esc cancels it)".into(),
            ));
            return vec![];
        }
        if let Err(e) = self.ready_to_run() {
            self.notice = Some(Notice::Error(e));
            return vec![];
        }
        if !self.unlocked(index) {
            let below = self.rows[index - 1].info.id;
            self.notice = Some(Notice::Error(format!(
                "{} is locked: run {below} first. The ladder is climbed in order, one measured step \
                 at a time (an instructor can start with --unlock-all)",
                self.rows[index].info.id
            )));
            return vec![];
        }
        self.selected = index;
        let budget = Duration::from_secs_f64(self.settings.budget_s);
        self.rows[index].status = Status::Running(Phase::Setup);
        self.live = Some(Live {
            index,
            phase: Phase::Setup,
            rows_done: 0,
            rows_total: match &self.workload {
                WorkloadState::Ready(m) => m.n,
                _ => 0,
            },
            work_done: 0.0,
            kernel_elapsed: Duration::ZERO,
            budget,
            gflops: History::new(HISTORY),
            gflops_avg: 0.0,
            pairs_per_s: 0.0,
            finished: false,
            last: (0.0, Duration::ZERO),
        });
        vec![Command::Run {
            index,
            budget,
            threads: self.settings.threads,
            k: self.settings.k,
        }]
    }

    fn climb_all(&mut self) -> Vec<Command> {
        if self.running() {
            self.notice = Some(Notice::Error(
                "a rung is already running (Esc cancels it)".into(),
            ));
            return vec![];
        }
        if let Err(e) = self.ready_to_run() {
            self.notice = Some(Notice::Error(e));
            return vec![];
        }
        self.queue = (1..self.ladder_len()).collect();
        for &i in &self.queue {
            self.rows[i].status = Status::Queued;
        }
        self.try_start(0)
    }

    fn start_next_queued(&mut self) -> Vec<Command> {
        if self.queue.is_empty() {
            return vec![];
        }
        let next = self.queue.remove(0);
        self.try_start(next)
    }

    fn cancel(&mut self) -> Vec<Command> {
        for &i in &self.queue {
            self.rows[i].status = Status::Locked;
        }
        self.queue.clear();
        self.refresh_locks();
        if self.running() {
            self.notice = Some(Notice::Info("cancelling…".into()));
            vec![Command::Cancel]
        } else {
            vec![]
        }
    }

    fn on_tick(&mut self) -> Vec<Command> {
        let ready = self.ready_to_run().is_ok();
        let running = self.running();
        let ladder_len = self.ladder_len();
        let Some(demo) = self.demo.as_mut() else {
            return vec![];
        };
        if !ready || running || demo.paused {
            return vec![];
        }
        // At the start of a demo, queue the whole ladder.
        if self.queue.is_empty() && self.rows.iter().all(|r| r.report.is_none()) {
            self.queue = (0..ladder_len).collect();
        }
        if self.queue.is_empty() {
            return vec![];
        }
        if demo.countdown > 0 {
            demo.countdown -= 1;
            return vec![];
        }
        self.start_next_queued()
    }

    fn on_run_event(&mut self, ev: &RunEvent) {
        let Some(live) = self.live.as_mut() else {
            return;
        };
        let (n, d) = match &self.workload {
            WorkloadState::Ready(m) => (m.n as f64, m.d as f64),
            _ => (0.0, 0.0),
        };
        match *ev {
            RunEvent::Phase { index, phase, .. } if index == live.index => {
                live.phase = phase;
                self.rows[index].status = Status::Running(phase);
            }
            RunEvent::Progress {
                index,
                rows_done,
                rows_total,
                work_done,
                kernel_elapsed,
            } if index == live.index => {
                let (w0, t0) = live.last;
                let dt = kernel_elapsed.saturating_sub(t0).as_secs_f64();
                let full = 2.0 * n * n * d;
                if dt > 0.0 {
                    live.gflops.push((work_done - w0) * full / dt / 1e9);
                }
                let el = kernel_elapsed.as_secs_f64();
                if el > 0.0 {
                    live.gflops_avg = work_done * full / el / 1e9;
                    live.pairs_per_s = work_done * n * n / el;
                }
                live.last = (work_done, kernel_elapsed);
                live.rows_done = rows_done;
                live.rows_total = rows_total;
                live.work_done = work_done;
                live.kernel_elapsed = kernel_elapsed;
            }
            _ => {}
        }
    }

    fn on_finished(&mut self, report: RunReport) -> Vec<Command> {
        let Some(index) = self.rows.iter().position(|r| r.info.id == report.rung) else {
            return vec![];
        };
        let status = match &report.status {
            RunStatus::Cancelled => Status::Cancelled,
            RunStatus::Failed(why) | RunStatus::Unavailable(why) => Status::Failed(why.clone()),
            _ if !report.verified() => Status::Failed("wrong answer: failed verification".into()),
            _ => Status::Done,
        };
        let cancelled = status == Status::Cancelled;
        if let Some(live) = self.live.as_mut().filter(|l| l.index == index) {
            // The final figures replace the running estimates.
            live.finished = true;
            live.rows_done = report.rows_done;
            live.rows_total = report.rows_total;
            if report.has_time() {
                live.work_done = report.kernel_s / report.estimated_s.max(1e-12);
                live.gflops_avg = report.gflops_effective;
                live.pairs_per_s = report.pairs_per_s;
            }
        }
        self.notice = Some(match &status {
            Status::Done => Notice::Info(format!(
                "{} done in {}",
                report.rung,
                crate::report::time_cell(&report)
            )),
            Status::Cancelled => Notice::Info(format!("{} cancelled", report.rung)),
            Status::Failed(why) => Notice::Error(format!("{} failed: {why}", report.rung)),
            _ => Notice::Info(String::new()),
        });
        // A cancelled run keeps the earlier result, if there was one.
        if !cancelled || self.rows[index].report.is_none() {
            self.rows[index].report = Some(report);
        }
        self.rows[index].status = status;
        self.fill_speedups();
        self.refresh_locks();
        if cancelled {
            return vec![];
        }
        if let Some(demo) = self.demo.as_mut() {
            demo.countdown = DEMO_PAUSE_TICKS;
            return vec![];
        }
        let id = self.rows[index].info.id;
        let verified = self.rows[index].status == Status::Done;
        let mut cmds = self.lessons_on_finished(id, verified);
        cmds.extend(self.start_next_queued());
        cmds
    }

    /// Speedups against the lowest rung that has run and against the rung below.
    fn fill_speedups(&mut self) {
        let mut reports: Vec<(usize, RunReport)> = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.extra)
            .filter_map(|(i, r)| r.report.clone().filter(RunReport::has_time).map(|r| (i, r)))
            .collect();
        let base = reports.first().map(|(_, r)| r.estimated_s);
        for row in self.rows.iter_mut().filter(|r| r.extra) {
            if let Some(rep) = row.report.as_mut().filter(|r| r.has_time()) {
                rep.speedup_vs_baseline = base.map(|b| b / rep.estimated_s);
                rep.speedup_vs_previous = None;
            }
        }
        let mut only: Vec<RunReport> = reports.iter().map(|(_, r)| r.clone()).collect();
        run::fill_speedups(&mut only);
        for ((i, r), filled) in reports.iter_mut().zip(only) {
            // "Previous" is the rung directly below; if it has not run there is none.
            let prev_ran = *i > 0 && self.has_run(*i - 1);
            r.speedup_vs_baseline = filled.speedup_vs_baseline;
            r.speedup_vs_previous = filled.speedup_vs_previous.filter(|_| prev_ran);
            if let Some(row) = self.rows[*i].report.as_mut() {
                row.speedup_vs_baseline = r.speedup_vs_baseline;
                row.speedup_vs_previous = r.speedup_vs_previous;
            }
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
        })
    }

    /// Writes NOTES.md (`m`, the lessons' notes step).
    pub(super) fn export(&mut self) -> Vec<Command> {
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
