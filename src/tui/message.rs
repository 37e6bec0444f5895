//! What goes in and what comes out of `App::update`: the messages the event loop delivers and
//! the commands it carries out. Below the screens, so that a screen's key handling can return
//! commands without knowing the `App`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyEvent;

use crate::machine::MachineInfo;
use crate::monitor::Sample;
use crate::profile::Profile;
use crate::report::{Results, WorkloadMeta};
use crate::run::{RunEvent, RunReport};
use crate::workload::WorkloadSpec;

/// What happened.
#[derive(Clone, Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The steady clock (every 100 ms).
    Tick,
    Run(RunEvent),
    RungFinished(Box<RunReport>),
    Sample(Sample),
    WorkloadReady(WorkloadMeta),
    WorkloadFailed(String),
    /// No usable cached peak: it is being measured now, once (the note: why a cache was
    /// ignored).
    MeasuringPeak(Option<String>),
    MachineReady(MachineInfo),
    Exported(Result<Wrote, String>),
    HistoryLoaded(crate::report::history::History),
    /// The CPU profile of a run that just ended (it arrives before `RungFinished`).
    Profiled {
        rung: String,
        profile: Arc<Profile>,
    },
    /// A snapshot of the bytes still live.
    MemoryProfiled(Arc<Profile>, crate::profile::alloc::AllocStats),
    /// Progress of the scaling sweep.
    Sweep(crate::run::scale::SweepEvent),
    /// The sweep ended: cancelled, or failed with the reason.
    SweepFinished {
        cancelled: bool,
        error: Option<String>,
    },
    /// A bytecode pair for the lessons: measured live, or the recording and why.
    BytecodeLoaded(
        String,
        (Option<crate::lessons::python::Bytecode>, Option<String>),
    ),
    ConcurrencyMeasured(Result<crate::lessons::python::Concurrency, String>),
    /// A run of the profilers' measurement is about to start.
    ProfilersProgress(crate::lessons::profilers::Running),
    ProfilersMeasured(Result<Box<crate::lessons::profilers::Comparison>, String>),
    /// A leak lesson's program ran: what it left behind, or why it could not run.
    LeakRan(String, Result<Box<crate::lessons::leak::LeakRun>, String>),
    /// Saving the lesson progress failed.
    ProgressNotSaved(String),
    /// A file in the lab's folder was written (watch mode).
    FileSaved(PathBuf),
    /// Ruff's NumPy findings on lab step `step`.
    Linted {
        step: usize,
        lint: crate::lab::lint::Lint,
    },
    /// A lab step's quick check on the small workload ended.
    QuickChecked(Box<RunReport>),
    /// Rung `rung` was profiled again over runs of its own (`f` on a thin picture), or why not.
    Resampled {
        rung: String,
        profile: Result<Arc<Profile>, String>,
        /// Esc (or quitting) stopped it.
        cancelled: bool,
    },
}

/// What the event loop must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    LoadWorkload(WorkloadSpec),
    /// Run rung `index` of the ladder with these settings.
    Run {
        index: usize,
        budget: Duration,
        threads: usize,
        /// Neighbours per row, for a top-k rung.
        k: usize,
        /// Runs of the rung: its time is their median.
        repeat: usize,
    },
    Cancel,
    /// Profile rung `index` again over runs of its own, unchecked: its picture from the run
    /// was too thin to read.
    Resample {
        index: usize,
        budget: Duration,
        threads: usize,
        k: usize,
    },
    /// Sweep the scaling screen's rungs over its sizes on generated data like `spec`.
    Sweep {
        spec: WorkloadSpec,
        sizes: Vec<usize>,
        budget: Duration,
        threads: usize,
        k: usize,
    },
    /// Write the lesson progress file (atomically).
    SaveProgress(PathBuf, Box<crate::lessons::progress::Progress>),
    /// Load a bytecode pair for the lessons (runs Python).
    LoadBytecode(String),
    /// Measure the concurrency lesson's workloads (runs Python).
    MeasureConcurrency,
    /// Measure the course's profilers on `n` vectors, in `rounds` interleaved rounds.
    MeasureProfilers {
        n: usize,
        rounds: usize,
    },
    /// Run the leak lesson's Python program (`leaky`, `fixed`) under memray or tracemalloc;
    /// memray's own HTML flamegraph goes into `html_dir`.
    RunLeak {
        program: String,
        html_dir: PathBuf,
    },
    /// Write the speedup table as Markdown, with the flamegraph SVG of each profiled rung
    /// beside it (linked from its row).
    Export(PathBuf, Box<Results>, Vec<(String, Arc<Profile>)>),
    /// Write the one-file HTML report: the table, the charts and each profiled rung's
    /// flamegraph (`true`: Python stacks, a peer's).
    ExportReport(PathBuf, Box<Results>, Vec<(String, Arc<Profile>, bool)>),
    /// Read the benchmark history file.
    LoadHistory(PathBuf),
    /// Write a rung's flamegraph SVG (`unit`: samples or bytes).
    ExportFlame {
        path: PathBuf,
        profile: Arc<Profile>,
        title: String,
        unit: &'static str,
    },
    /// Take a snapshot of the bytes still live (the memory flamegraph).
    SnapshotMemory,
    /// Write the differential flamegraph of two rungs.
    ExportDiff {
        path: PathBuf,
        /// The earlier rung's profile, and its id (what is gone since it is named).
        before: (Arc<Profile>, String),
        after: Arc<Profile>,
        title: String,
        /// The earlier rung's time over the later's, when both were timed.
        speedup: Option<f64>,
    },
    /// Write a finished text (a lab's NOTES.md) to a file, atomically.
    WriteText(PathBuf, String),
    /// Write the lab's NOTES.md to `path`, each profiled step's flamegraph (id, profile)
    /// beside it in `flamegraphs/`, linked from the notes.
    ExportLabNotes {
        path: PathBuf,
        dir: String,
        meta: WorkloadMeta,
        machine: Box<MachineInfo>,
        results: Vec<crate::lab::StepResult>,
        ours: Vec<RunReport>,
        flames: Vec<(String, Arc<Profile>)>,
    },
    /// Keep the lab's results in its folder for the next launch (`None`: a step not to keep,
    /// e.g. its file changed since it ran).
    KeepLabResults {
        lab: Box<crate::lab::spec::Lab>,
        threads: usize,
        attempts: Vec<Option<crate::lab::Attempt>>,
        /// Each step's profile, kept so `f` and `d` work when the lab is opened again.
        profiles: Vec<Option<Arc<Profile>>>,
    },
    /// Check lab step `step`'s file with ruff's NumPy rules.
    Lint {
        step: usize,
        path: PathBuf,
    },
    /// Run row `index` (a lab step) on a small workload first, so a wrong answer shows in a
    /// second or two; the full run follows only if it verifies.
    QuickCheck {
        index: usize,
        n: usize,
        budget: Duration,
        threads: usize,
        k: usize,
    },
    Quit,
}

/// A file the app wrote, and what it says beside the path: the files written with it, and how
/// many of them replaced files that were there (flamegraphs are written over, never merged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrote {
    pub path: PathBuf,
    pub also: String,
}

impl Wrote {
    /// The same, with more said after it.
    #[must_use]
    pub fn and(mut self, more: &str) -> Self {
        self.also.push_str(more);
        self
    }
}

impl From<PathBuf> for Wrote {
    fn from(path: PathBuf) -> Self {
        Self {
            path,
            also: String::new(),
        }
    }
}

impl From<&str> for Wrote {
    fn from(path: &str) -> Self {
        PathBuf::from(path).into()
    }
}
