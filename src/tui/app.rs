//! The application: the shared state, each screen's own state, which screen is in front, and
//! the one entry point, [`App::update`]: a message in, state changed, commands out. Nothing here
//! blocks, spawns or draws; the event loop carries the commands out and the views only read
//! `&App`. Each screen's keys and view live in its room under `screens/`; this file routes
//! keys and messages to them and moves between screens.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

pub use super::message::{Command, Msg};
pub use super::model::{Model, Notice, Screen, Settings, Status, WorkloadState};
use super::screens::demo::{self, DEMO_PAUSE_TICKS, Demo};
use super::screens::flame::{self, FlameView};
use super::screens::lab::{self, LabState};
use super::screens::lessons::{self, LessonsState};
use super::screens::settings::{self, SettingsForm};
use super::screens::{Nav, Outcome, help, history, ladder, results, scale};
use crate::profile::Profile;

/// Everything the app knows.
#[derive(Clone, Debug)]
pub struct App {
    /// The state every screen reads; `App` derefs to it (see the `Deref` impl).
    pub model: Model,
    pub screen: Screen,
    pub show_help: bool,
    /// The first help line shown (the overlay scrolls when it is taller than the terminal).
    pub help_scroll: usize,
    /// Help lines the last draw could show, so scrolling stops at the last line.
    pub help_rows: std::cell::Cell<usize>,
    pub form: SettingsForm,
    pub demo: Option<Demo>,
    pub flame: FlameView,
    /// Where Esc in the flamegraph returns to.
    pub flame_return: Screen,
    pub lessons: LessonsState,
    /// The student's lab, when the app was opened on one (`ladder lab DIR`).
    pub lab: Option<LabState>,
    pub quit: bool,
}

// `App` derefs to its `Model` so that the shared state reads as it always has (`app.rows`,
// `app.notice`, `app.running()`, in the views and the tests) while the screens, which must not
// know `App`, take `&mut Model` alone. The model is one field, not copied; `App` adds only
// navigation and the screens' own states.
impl Deref for App {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.model
    }
}

impl DerefMut for App {
    fn deref_mut(&mut self) -> &mut Model {
        &mut self.model
    }
}

impl App {
    #[must_use]
    pub fn new(settings: Settings, unlock_all: bool, notes_path: PathBuf) -> Self {
        Self {
            model: Model::new(settings, unlock_all, notes_path),
            screen: Screen::Ladder,
            show_help: false,
            help_scroll: 0,
            help_rows: std::cell::Cell::new(help::HELP.len()),
            form: SettingsForm::default(),
            demo: None,
            flame: FlameView::default(),
            flame_return: Screen::Ladder,
            lessons: LessonsState::default(),
            lab: None,
            quit: false,
        }
    }

    /// The commands to run at start: load the workload (and lint a lab's files).
    #[must_use]
    pub fn start(&self) -> Vec<Command> {
        let mut cmds = vec![Command::LoadWorkload(self.settings.spec())];
        if let Some(l) = &self.lab {
            cmds.extend(lab::start(l));
        }
        cmds
    }

    /// Opens the app on a lab: its steps become rows after ours (each a peer the shipped
    /// harness runs), and the lab screen is in front.
    pub fn open_lab(
        &mut self,
        the_lab: crate::lab::spec::Lab,
        specs: &[crate::peers::PeerSpec],
        unlock_all: bool,
    ) {
        let first_row = self.rows.len();
        self.model.add_peers(specs);
        self.lab = Some(LabState::new(the_lab, first_row, unlock_all));
        self.model.may_resample = false;
        self.model.idle_hint =
            "Save a step's file, or select it and press Enter; a runs every step in order.";
        self.screen = Screen::Lab;
    }

    /// Shows the lab results kept from the last launch (see [`crate::lab::saved`]).
    pub fn restore_lab(&mut self, kept: Vec<Option<crate::lab::saved::Kept>>) {
        if let Some(l) = self.lab.as_mut() {
            lab::restore(l, &mut self.model, kept);
        }
    }

    /// Turns on demo mode: the ladder climbs itself once everything is ready.
    pub fn enable_demo(&mut self) {
        self.demo = Some(Demo::new());
        self.unlock_all = false;
    }

    /// The profile the flamegraph view shows: the rung's CPU profile, or the memory snapshot.
    #[must_use]
    pub fn flame_profile(&self) -> Option<&Arc<Profile>> {
        flame::profile_of(&self.flame, &self.model)
    }

    /// The tree of the shown profile.
    #[must_use]
    pub fn flame_tree(&self) -> Option<flame::Node> {
        flame::tree_of(&self.flame, &self.model)
    }

    /// The message in, the state changed, the commands out.
    pub fn update(&mut self, msg: Msg) -> Vec<Command> {
        let m = &mut self.model;
        match msg {
            Msg::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Msg::Key(_) => vec![],
            Msg::Tick => match (self.demo.as_mut(), self.lab.as_mut()) {
                (Some(d), _) => demo::on_tick(d, m),
                (None, Some(l)) => lab::on_tick(l, m),
                (None, None) => vec![],
            },
            Msg::Run(ev) => {
                m.on_run_event(&ev);
                vec![]
            }
            Msg::RungFinished(report) => self.on_finished(*report),
            Msg::Sample(s) => {
                m.on_sample(&s);
                vec![]
            }
            Msg::WorkloadReady(meta) => {
                m.on_workload_ready(meta);
                if let Some(l) = self.lab.as_mut() {
                    lab::on_workload_ready(l, m);
                }
                vec![]
            }
            Msg::WorkloadFailed(e) => {
                self.form.error = Some(e.clone());
                m.on_workload_failed(e);
                vec![]
            }
            Msg::MeasuringPeak(note) => {
                m.on_measuring_peak(note);
                vec![]
            }
            Msg::MachineReady(machine) => {
                if m.measuring_peak {
                    m.notice = Some(Notice::Info(format!(
                        "peak measured: {:.0} GFLOP/s on one core, {:.0} on all; {}",
                        machine.peak_gflops_core,
                        machine.peak_gflops_all,
                        if machine.peak_plausible() {
                            "cached for next time"
                        } else {
                            "too low against one core's (a busy machine), so not cached"
                        }
                    )));
                }
                m.measuring_peak = false;
                m.machine = Some(machine);
                vec![]
            }
            Msg::Exported(Ok(wrote)) => {
                let path = &wrote.path;
                let what = match path.extension().and_then(|e| e.to_str()) {
                    Some("svg") => "the flamegraph",
                    Some("html") => "the HTML report",
                    _ => "the speedup table",
                };
                // A relative path is said with the folder it is in: the room's projector shows
                // where to look, whichever folder the app was started from.
                let at = match std::env::current_dir() {
                    Ok(here) if path.is_relative() => {
                        format!("{} (in {})", path.display(), here.display())
                    }
                    _ => path.display().to_string(),
                };
                m.notice = Some(Notice::Info(format!("wrote {what} to {at}{}", wrote.also)));
                if what == "the speedup table" && self.screen == Screen::Lessons {
                    lessons::on_exported(&mut self.lessons)
                } else {
                    vec![]
                }
            }
            Msg::Exported(Err(e)) | Msg::ProgressNotSaved(e) => {
                m.notice = Some(Notice::Error(e));
                vec![]
            }
            Msg::MemoryProfiled(profile, stats) => {
                m.memory = Some((profile, stats));
                vec![]
            }
            Msg::Profiled { rung, profile } => {
                // A peer's profile is its own stacks, sampled by py-spy.
                if let Some(i) = m.rung_index(&rung) {
                    m.profiles[i] = Some(profile);
                    // A new picture may be run again for more samples, once.
                    if let Some(tried) = m.resampled.get_mut(i) {
                        *tried = false;
                    }
                    if let Some(l) = self.lab.as_mut() {
                        l.profiled = Some(i);
                    }
                }
                vec![]
            }
            Msg::Resampled {
                rung,
                profile,
                cancelled,
            } => {
                let index = m.resampling.take();
                match profile {
                    Ok(p) => {
                        if let Some(i) = index.filter(|&i| m.rows[i].info.id == rung) {
                            m.profiles[i] = Some(p);
                        }
                    }
                    // The run's own picture stays.
                    Err(_) if cancelled => {
                        m.notice = Some(Notice::Info(format!(
                            "stopped running {rung} again: its flamegraph is its run's"
                        )));
                    }
                    Err(why) => {
                        m.notice = Some(Notice::Info(format!(
                            "{rung}'s flamegraph stays its run's: running it again for more \
                             samples did not work ({why})"
                        )));
                    }
                }
                vec![]
            }
            Msg::HistoryLoaded(h) => {
                history::on_loaded(m, h);
                vec![]
            }
            Msg::Sweep(ev) => {
                m.scale.on_event(ev);
                vec![]
            }
            Msg::SweepFinished { cancelled, error } => {
                m.scale.on_finished(cancelled, error);
                vec![]
            }
            Msg::BytecodeLoaded(pair, loaded) => {
                lessons::on_bytecode(&mut self.lessons, m, pair, loaded)
            }
            Msg::ConcurrencyMeasured(r) => lessons::on_concurrency(&mut self.lessons, r),
            Msg::ProfilersProgress(r) => {
                lessons::on_profilers_progress(&mut self.lessons, r);
                vec![]
            }
            Msg::ProfilersMeasured(r) => lessons::on_profilers(&mut self.lessons, m, r),
            Msg::LeakRan(program, r) => lessons::on_leak(&mut self.lessons, m, program, r),
            Msg::FileSaved(path) => match self.lab.as_mut() {
                Some(l) => lab::on_file_saved(l, m, &path),
                None => vec![],
            },
            Msg::Linted { step, lint } => {
                if let Some(l) = self.lab.as_mut() {
                    lab::on_linted(l, step, lint);
                }
                vec![]
            }
            Msg::QuickChecked(report) => match self.lab.as_mut() {
                Some(l) => lab::on_quick_checked(l, m, *report),
                None => vec![],
            },
        }
    }

    /// A run ended: the model records it; then the demo pauses, or a lesson step counts it,
    /// and a climb goes on.
    fn on_finished(&mut self, report: crate::run::RunReport) -> Vec<Command> {
        let Some(index) = self.model.finish(report) else {
            return vec![];
        };
        if let Some(l) = self.lab.as_mut() {
            return lab::on_finished(l, &mut self.model, index);
        }
        let status = self.rows[index].status.clone();
        if status == Status::Cancelled {
            return vec![];
        }
        if let Some(demo) = self.demo.as_mut() {
            demo.countdown = DEMO_PAUSE_TICKS;
            return vec![];
        }
        let mut cmds = if self.screen == Screen::Lessons {
            let id = self.rows[index].info.id;
            let verified = status == Status::Done;
            lessons::on_finished(&mut self.lessons, &mut self.model, id, verified)
        } else {
            vec![]
        };
        cmds.extend(self.model.start_next_queued());
        cmds
    }

    /// Keys: Ctrl-C, the help overlay and text being typed first; then `?` and `q` anywhere;
    /// then the screen in front.
    fn on_key(&mut self, key: KeyEvent) -> Vec<Command> {
        let ctrl_c =
            key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c'));
        if ctrl_c {
            return self.quit_now();
        }
        let m = &mut self.model;
        if self.show_help {
            self.show_help = help::on_key(&mut self.help_scroll, self.help_rows.get(), key);
            return vec![];
        }
        if self.screen == Screen::Settings && self.form.editing.is_some() {
            return settings::on_edit_key(&mut self.form, m, key);
        }
        if self.screen == Screen::Flame && self.flame.typing {
            return flame::on_search_key(&mut self.flame, key);
        }
        // An explanation being typed takes every key, q and ? included.
        if self.screen == Screen::Lessons && self.lessons.typing {
            let out = lessons::on_key(&mut self.lessons, m, key);
            return self.go(out);
        }
        m.notice = None;
        let out = match key.code {
            KeyCode::Char('?') => {
                self.show_help = true;
                // Its own screen's keys come first.
                self.help_scroll = 0;
                return vec![];
            }
            KeyCode::Char('q') => return self.quit_now(),
            _ => match (self.screen, self.demo.as_mut()) {
                (Screen::Ladder, Some(d)) => demo::on_key(d, m, key),
                (Screen::Ladder, None) => ladder::on_key(m, key),
                (Screen::Settings, _) => settings::on_key(&mut self.form, m, key),
                (Screen::Results, _) => results::on_key(m, key),
                (Screen::History, _) => history::on_key(m, key),
                (Screen::Flame, _) => flame::on_key(&mut self.flame, m, key),
                (Screen::Scale, _) => scale::on_key(m, key),
                (Screen::Lessons, _) => lessons::on_key(&mut self.lessons, m, key),
                (Screen::Lab, _) => match self.lab.as_mut() {
                    Some(l) => {
                        let out = lab::on_key(l, m, key);
                        // `d`: the flamegraph, compared with the earlier step's (and that
                        // comparison written as SVG), as `d` does in the flamegraph.
                        if key.code == KeyCode::Char('d') && out.nav.is_some() {
                            let mut cmds = self.go(out);
                            let d = KeyEvent::from(KeyCode::Char('d'));
                            cmds.extend(flame::on_key(&mut self.flame, &mut self.model, d).cmds);
                            return cmds;
                        }
                        out
                    }
                    None => Outcome::default(),
                },
            },
        };
        self.go(out)
    }

    /// Moves to the screen a key asked for, if any; the commands pass through.
    fn go(&mut self, out: Outcome) -> Vec<Command> {
        let Outcome { mut cmds, nav } = out;
        let Some(nav) = nav else {
            return cmds;
        };
        self.screen = match nav {
            Nav::Ladder => self.home(),
            Nav::Settings => {
                self.form = SettingsForm::default();
                Screen::Settings
            }
            Nav::Results => Screen::Results,
            Nav::History => Screen::History,
            Nav::Scale => Screen::Scale,
            Nav::Lessons => {
                lessons::open(&mut self.lessons, &mut self.model);
                Screen::Lessons
            }
            Nav::PythonFlame => {
                self.flame = FlameView {
                    python: true,
                    ..FlameView::default()
                };
                self.flame_return = self.screen;
                Screen::Flame
            }
            Nav::Flame { rung, memory } => {
                self.flame = FlameView {
                    rung,
                    memory,
                    ..FlameView::default()
                };
                self.flame_return = self.screen;
                if memory {
                    cmds.push(Command::SnapshotMemory);
                } else {
                    cmds.extend(self.model.resample_if_thin(rung));
                }
                Screen::Flame
            }
            Nav::Back => {
                let home = self.home();
                std::mem::replace(&mut self.flame_return, home)
            }
        };
        cmds
    }

    /// The screen the app opened on, where Esc from the others leads.
    #[must_use]
    pub fn home(&self) -> Screen {
        if self.lab.is_some() {
            Screen::Lab
        } else {
            Screen::Ladder
        }
    }

    /// Quits: a running rung is cancelled first (`q`, Ctrl-C, or a signal to end).
    pub fn quit_now(&mut self) -> Vec<Command> {
        self.quit = true;
        if self.running() {
            vec![Command::Cancel, Command::Quit]
        } else {
            vec![Command::Quit]
        }
    }
}
