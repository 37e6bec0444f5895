//! The lab in the app, driven through `App::update` alone: saving a step's file runs that step
//! (and only it) once the file is quiet, a quick check comes first, and the verdicts are those
//! of `ladder lab check`. No Python runs here: the runs' reports are made up, as the effects
//! would send them.

mod common;

use std::time::Duration;

use common::{ch, key, lab_app, report, step_report};
use crossterm::event::KeyCode;
use ladder::lab::grade::Verdict;
use ladder::lab::lint::{Finding, Lint};
use ladder::run::RunStatus;
use ladder::rungs::Step;
use ladder::tui::app::{App, Command, Msg, Notice, Screen, Status};
use ladder::tui::screens::lab::SAVE_QUIET_TICKS;

fn row(app: &App, step: usize) -> usize {
    app.lab.as_ref().unwrap().first_row + step
}

fn ticks(app: &mut App, n: u64) -> Vec<Command> {
    let mut cmds = Vec::new();
    for _ in 0..n {
        cmds.extend(app.update(Msg::Tick));
    }
    cmds
}

/// The commands that start something (a finished step is also kept for the next launch).
fn starts(cmds: Vec<Command>) -> Vec<Command> {
    cmds.into_iter()
        .filter(|c| !matches!(c, Command::KeepLabResults { .. }))
        .collect()
}

fn verdict(app: &App, step: usize) -> Verdict {
    app.lab.as_ref().unwrap().results[step].verdict.clone()
}

fn notice(app: &App) -> String {
    match &app.notice {
        Some(Notice::Info(s) | Notice::Error(s)) => s.clone(),
        None => String::new(),
    }
}

/// Runs step `step` to the end: Enter, the quick check passes, the full run takes `seconds`.
fn run_step(app: &mut App, step: usize, id: &str, seconds: f64) {
    let lab = app.lab.as_mut().unwrap();
    lab.selected = step;
    let cmds = app.update(key(KeyCode::Enter));
    assert!(
        cmds.iter().any(|c| matches!(c, Command::QuickCheck { .. })),
        "{cmds:?} / {}",
        notice(app)
    );
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(id, 0.01, true))));
    assert!(
        matches!(cmds[..], [Command::Run { index, .. }] if index == row(app, step)),
        "{cmds:?}"
    );
    let _ = app.update(Msg::RungFinished(Box::new(step_report(id, seconds, true))));
}

#[test]
fn the_lab_opens_on_its_steps_with_only_the_first_runnable() {
    let tmp = tempfile::tempdir().unwrap();
    let app = lab_app(&tmp.path().join("lab"));
    assert_eq!(app.screen, Screen::Lab);
    let lab = app.lab.as_ref().unwrap();
    assert_eq!(lab.results.len(), lab.lab.steps.len());
    assert!(matches!(verdict(&app, 0), Verdict::NotYet(_)));
    assert!(
        (1..lab.results.len()).all(|i| matches!(verdict(&app, i), Verdict::Locked(_))),
        "{:?}",
        lab.results
    );
    // Every step's file is linted at start.
    let cmds = app.start();
    let lints = cmds
        .iter()
        .filter(|c| matches!(c, Command::Lint { .. }))
        .count();
    assert_eq!(lints, lab.lab.steps.len());
}

#[test]
fn a_step_is_checked_small_first_then_timed_then_graded_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    // A locked step refuses with the reason.
    app.lab.as_mut().unwrap().selected = 1;
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(
        notice(&app).contains("02_algorithmic.py is locked until 01_naive.py counts"),
        "{}",
        notice(&app)
    );

    app.lab.as_mut().unwrap().selected = 0;
    let cmds = app.update(key(KeyCode::Enter));
    let r0 = row(&app, 0);
    assert!(
        matches!(&cmds[..], [Command::Lint { step: 0, .. }, Command::QuickCheck { index, n, budget, .. }]
            if *index == r0 && *n <= 200 && *budget <= Duration::from_secs(1)),
        "{cmds:?}"
    );
    // While it is checked, nothing else starts.
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(
        "naive", 0.01, true,
    ))));
    assert!(matches!(cmds[..], [Command::Run { index, .. }] if index == r0));
    let _ = app.update(Msg::RungFinished(Box::new(step_report(
        "naive", 40.0, true,
    ))));
    assert_eq!(verdict(&app, 0), Verdict::Counts);
    assert!(notice(&app).contains("01_naive.py counts"));

    // 1.2x over naive is well short of the 2x floor: ran, but does not count; the next stays
    // locked.
    run_step(&mut app, 1, "algorithmic", 40.0 / 1.2);
    match verdict(&app, 1) {
        Verdict::NotYet(why) => assert!(why.contains("1.2x faster than naive"), "{why}"),
        v => panic!("{v:?}"),
    }
    assert!(matches!(verdict(&app, 2), Verdict::Locked(_)));
    // 4x does count, and unlocks the step after it.
    run_step(&mut app, 1, "algorithmic", 10.0);
    assert_eq!(verdict(&app, 1), Verdict::Counts);
    assert!(matches!(verdict(&app, 2), Verdict::NotYet(_)));
    let lab = app.lab.as_ref().unwrap();
    let speedup = lab.results[1].report.as_ref().unwrap().speedup_vs_baseline;
    assert!((speedup.unwrap() - 4.0).abs() < 1e-9);
}

#[test]
fn a_wrong_quick_check_is_said_at_once_and_the_full_size_decides() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    let _ = app.update(key(KeyCode::Enter));
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(
        "naive", 0.01, false,
    ))));
    // As `ladder lab check` would, the run at the lab's size gives the verdict.
    assert!(
        matches!(cmds[..], [Command::Run { index, .. }] if index == row(&app, 0)),
        "{cmds:?}"
    );
    assert!(
        notice(&app).contains("on 200 rows: wrong answer: S[7][9] is off by 3.50e0"),
        "{}",
        notice(&app)
    );
    let _ = app.update(Msg::RungFinished(Box::new(step_report(
        "naive", 40.0, false,
    ))));
    match verdict(&app, 0) {
        Verdict::NotYet(why) => assert!(why.contains("S[7][9] is off by 3.50e0"), "{why}"),
        v => panic!("{v:?}"),
    }
    assert!(matches!(app.rows[row(&app, 0)].status, Status::Failed(_)));
    // A wrong answer's time is no step's speed.
    assert_eq!(app.lab.as_ref().unwrap().results[0].seconds(), None);
    // The app is free again.
    assert!(!app.lab.as_ref().unwrap().busy(&app));

    // A step that cannot run here (a module missing) is told at once: no full run.
    let _ = app.update(key(KeyCode::Enter));
    let mut missing = step_report("naive", 0.0, true);
    missing.status = RunStatus::Unavailable("numpy is not installed (pip install numpy)".into());
    assert!(starts(app.update(Msg::QuickChecked(Box::new(missing)))).is_empty());
    assert!(!app.lab.as_ref().unwrap().busy(&app));
}

#[test]
fn saving_a_step_s_file_runs_only_that_step_once_the_file_is_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    run_step(&mut app, 0, "naive", 40.0);
    let step2 = dir.join("02_algorithmic.py");

    // Other files in the folder (an editor's swap file, the README) run nothing.
    for other in [".02_algorithmic.py.swp", "README.md", "4913"] {
        assert!(app.update(Msg::FileSaved(dir.join(other))).is_empty());
    }
    // An editor writes in bursts: nothing runs until the file has been quiet a moment.
    assert!(app.update(Msg::FileSaved(step2.clone())).is_empty());
    assert!(ticks(&mut app, SAVE_QUIET_TICKS - 1).is_empty());
    assert!(app.update(Msg::FileSaved(step2.clone())).is_empty());
    assert!(ticks(&mut app, SAVE_QUIET_TICKS - 1).is_empty());
    let cmds = ticks(&mut app, 1);
    let r1 = row(&app, 1);
    assert!(
        matches!(&cmds[..], [Command::Lint { step: 1, .. }, Command::QuickCheck { index, .. }] if *index == r1),
        "{cmds:?}"
    );
    assert!(ticks(&mut app, 10).is_empty(), "only once");
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(
        "algorithmic",
        0.01,
        true,
    ))));
    assert!(matches!(cmds[..], [Command::Run { index, .. }] if index == r1));

    // Saved again while its run goes on: that run is of the old file, so it is cancelled,
    // and the new file runs once the cancelled run has ended.
    let cmds = app.update(Msg::FileSaved(step2.clone()));
    assert_eq!(cmds, vec![Command::Cancel]);
    assert!(
        ticks(&mut app, SAVE_QUIET_TICKS + 2).is_empty(),
        "waits for the run to end"
    );
    let mut cancelled = step_report("algorithmic", 0.0, true);
    cancelled.status = RunStatus::Cancelled;
    let cmds = app.update(Msg::RungFinished(Box::new(cancelled)));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::QuickCheck { index, .. } if *index == r1)),
        "{cmds:?}"
    );
}

#[test]
fn saving_a_locked_step_or_with_watching_off_runs_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    assert!(
        app.update(Msg::FileSaved(dir.join("03_numpy.py")))
            .is_empty()
    );
    assert!(ticks(&mut app, SAVE_QUIET_TICKS + 1).is_empty());
    assert!(
        notice(&app).contains("saved 03_numpy.py") && notice(&app).contains("locked"),
        "{}",
        notice(&app)
    );
    let _ = app.update(ch('w'));
    assert!(!app.lab.as_ref().unwrap().watch);
    assert!(
        app.update(Msg::FileSaved(dir.join("01_naive.py")))
            .is_empty()
    );
    assert!(ticks(&mut app, SAVE_QUIET_TICKS + 1).is_empty());
}

#[test]
fn numpy_findings_keep_a_fast_right_step_from_counting() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    run_step(&mut app, 0, "naive", 40.0);
    let _ = app.update(Msg::Linted {
        step: 0,
        lint: Lint::Checked(vec![Finding {
            line: 3,
            rule: "NPY002".into(),
            message: "Replace legacy `np.random.rand` call".into(),
        }]),
    });
    match verdict(&app, 0) {
        Verdict::NotYet(why) => assert!(why.contains("line 3 NPY002"), "{why}"),
        v => panic!("{v:?}"),
    }
    let _ = app.update(Msg::Linted {
        step: 0,
        lint: Lint::Checked(vec![]),
    });
    assert_eq!(verdict(&app, 0), Verdict::Counts);
}

#[test]
fn a_climb_runs_the_steps_in_order_and_stops_at_the_first_that_does_not_count() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    let cmds = app.update(ch('a'));
    assert!(cmds.iter().any(|c| matches!(c, Command::QuickCheck { .. })));
    let _ = app.update(Msg::QuickChecked(Box::new(step_report(
        "naive", 0.01, true,
    ))));
    let cmds = app.update(Msg::RungFinished(Box::new(step_report(
        "naive", 40.0, true,
    ))));
    let r1 = row(&app, 1);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::QuickCheck { index, .. } if *index == r1)),
        "the climb goes on to step 2: {cmds:?}"
    );
    // Step 2 is wrong: the climb stops there.
    let _ = app.update(Msg::QuickChecked(Box::new(step_report(
        "algorithmic",
        0.01,
        false,
    ))));
    let _ = app.update(Msg::RungFinished(Box::new(step_report(
        "algorithmic",
        10.0,
        false,
    ))));
    assert!(ticks(&mut app, 5).is_empty());
    assert!(matches!(verdict(&app, 2), Verdict::Locked(_)));
}

#[test]
fn our_rungs_can_be_listed_beside_the_steps_and_run() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    let steps = app.lab.as_ref().unwrap().lab.steps.len();
    for _ in 0..steps + 3 {
        let _ = app.update(key(KeyCode::Down));
    }
    assert_eq!(
        app.lab.as_ref().unwrap().selected,
        steps - 1,
        "stays on the steps"
    );
    let _ = app.update(ch('o'));
    let _ = app.update(key(KeyCode::Down));
    assert_eq!(app.lab.as_ref().unwrap().selected_row(), 0, "our naive");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(
        matches!(cmds[..], [Command::Run { index: 0, .. }]),
        "{cmds:?}"
    );
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        20.0,
        true,
    ))));
    assert_eq!(app.rows[0].status, Status::Done);
    // Hidden again, the selection comes back onto the steps.
    let _ = app.update(ch('o'));
    assert_eq!(app.lab.as_ref().unwrap().selected, steps - 1);
}

#[test]
fn a_missing_step_file_says_how_to_get_a_fresh_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    std::fs::remove_file(dir.join("01_naive.py")).unwrap();
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(
        notice(&app).contains("01_naive.py is missing") && notice(&app).contains("lab init"),
        "{}",
        notice(&app)
    );
}

#[test]
fn m_writes_the_student_s_notes_with_the_claims_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    assert!(app.update(ch('m')).is_empty(), "nothing has run yet");
    assert!(
        notice(&app).contains("run a step first"),
        "{}",
        notice(&app)
    );
    run_step(&mut app, 0, "naive", 40.0);
    run_step(&mut app, 1, "algorithmic", 10.0);
    // Step 1 was profiled (py-spy); step 2 was not.
    let profiled = row(&app, 0);
    app.profiles[profiled] = Some(std::sync::Arc::new(
        ladder::profile::Profile::from_folded("similarity (01_naive.py:31) 40\n", 250).unwrap(),
    ));
    let cmds = app.update(ch('m'));
    let [
        Command::ExportLabNotes {
            path,
            dir: lab_dir,
            meta,
            machine,
            results,
            ours,
            flames,
        },
    ] = &cmds[..]
    else {
        panic!("{cmds:?}");
    };
    assert_eq!(path, &dir.join("NOTES.md"));
    let ids: Vec<&str> = flames.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["naive"]);
    // What the effect writes: each flamegraph beside the notes, linked.
    let mut results = results.clone();
    results[0].report.as_mut().unwrap().flamegraph = Some("flamegraphs/naive.svg".into());
    let text = &ladder::lab::notes::markdown(lab_dir, meta, machine, &results, ours);
    assert!(text.contains("[`naive`](flamegraphs/naive.svg)"), "{text}");
    assert!(
        text.contains("| `algorithmic` | `02_algorithmic.py` |"),
        "{text}"
    );
    assert!(text.contains("4.00x"), "{text}");
    // Claims whose steps have not run say so instead of guessing.
    assert!(
        text.contains("\"vectorizing wins ~100x\": not measured yet"),
        "{text}"
    );
}

#[test]
fn a_step_just_short_of_its_floor_is_measured_once_more_and_the_faster_run_stands() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    run_step(&mut app, 0, "naive", 40.0);
    let r1 = row(&app, 1);
    app.lab.as_mut().unwrap().selected = 1;
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::QuickChecked(Box::new(step_report(
        "algorithmic",
        0.01,
        true,
    ))));
    // 1.8x against a 2x floor: close enough to be noise, so it runs again at once.
    let cmds = app.update(Msg::RungFinished(Box::new(step_report(
        "algorithmic",
        40.0 / 1.8,
        true,
    ))));
    assert!(
        matches!(cmds[..], [Command::Run { index, .. }] if index == r1),
        "{cmds:?}"
    );
    assert!(
        notice(&app).contains("measuring once more"),
        "{}",
        notice(&app)
    );
    // The second run is faster: it stands, and the step counts.
    let cmds = app.update(Msg::RungFinished(Box::new(step_report(
        "algorithmic",
        40.0 / 2.6,
        true,
    ))));
    let cmds = starts(cmds);
    assert!(cmds.is_empty(), "only once: {cmds:?}");
    assert_eq!(verdict(&app, 1), Verdict::Counts);

    // Measured twice and slower the second time: the first stands, and it is not retried
    // again.
    run_step(&mut app, 1, "algorithmic", 40.0 / 1.9);
    let cmds = app.update(Msg::RungFinished(Box::new(step_report(
        "algorithmic",
        40.0 / 1.5,
        true,
    ))));
    let cmds = starts(cmds);
    assert!(cmds.is_empty(), "{cmds:?}");
    match verdict(&app, 1) {
        Verdict::NotYet(why) => assert!(why.contains("1.9x faster"), "{why}"),
        v => panic!("{v:?}"),
    }
}

#[test]
fn a_deleted_step_no_longer_counts_and_saves_while_not_watching_run_when_watching_again() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    run_step(&mut app, 0, "naive", 40.0);
    assert_eq!(verdict(&app, 0), Verdict::Counts);
    std::fs::remove_file(dir.join("01_naive.py")).unwrap();
    assert!(
        app.update(Msg::FileSaved(dir.join("01_naive.py")))
            .is_empty()
    );
    match verdict(&app, 0) {
        Verdict::NotYet(why) => assert!(why.contains("01_naive.py is missing"), "{why}"),
        v => panic!("{v:?}"),
    }
    assert!(notice(&app).contains("was deleted"), "{}", notice(&app));
    assert!(
        ticks(&mut app, SAVE_QUIET_TICKS + 1).is_empty(),
        "nothing to run"
    );

    // Not watching: a save is marked, not run; watching again runs it.
    std::fs::write(
        dir.join("01_naive.py"),
        "def similarity(X, start, end):\n    pass\n",
    )
    .unwrap();
    let _ = app.update(ch('w'));
    assert!(
        app.update(Msg::FileSaved(dir.join("01_naive.py")))
            .is_empty()
    );
    assert!(ticks(&mut app, SAVE_QUIET_TICKS + 1).is_empty());
    assert!(app.lab.as_ref().unwrap().changed[0]);
    let _ = app.update(ch('w'));
    let cmds = ticks(&mut app, 1);
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::QuickCheck { index, .. } if *index == row(&app, 0))),
        "{cmds:?}"
    );
    assert!(!app.lab.as_ref().unwrap().changed[0]);
}

#[test]
fn results_are_kept_for_the_next_launch_while_the_files_are_unchanged() {
    use ladder::lab::saved;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    app.lab.as_mut().unwrap().selected = 0;
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::QuickChecked(Box::new(step_report(
        "naive", 0.01, true,
    ))));
    let cmds = app.update(Msg::RungFinished(Box::new(step_report(
        "naive", 40.0, true,
    ))));
    let (lab, threads, attempts) = cmds
        .into_iter()
        .find_map(|c| match c {
            Command::KeepLabResults {
                lab,
                threads,
                attempts,
            } => Some((lab, threads, attempts)),
            _ => None,
        })
        .expect("a finished step is kept for the next launch");
    assert!(attempts[0].is_some(), "{attempts:?}");
    assert!(attempts[1..].iter().all(Option::is_none));
    // What the effect writes.
    let hashes: Vec<_> = lab
        .steps
        .iter()
        .map(|s| saved::file_hash(&s.file))
        .collect();
    let refs: Vec<_> = attempts.iter().map(Option::as_ref).collect();
    let setting = saved::Setting::of(&lab, threads);
    let file = saved::path(&dir).unwrap();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, saved::text(&lab, &setting, &refs, &hashes)).unwrap();

    // The next launch opens on the grade earned, and says where it came from.
    let mut again = lab_app(&dir);
    again.restore_lab(saved::load(&lab, &setting));
    assert_eq!(verdict(&again, 0), Verdict::Counts);
    assert_eq!(again.rows[row(&again, 0)].status, Status::Done);
    assert!(
        notice(&again).contains("kept from last time"),
        "{}",
        notice(&again)
    );
    // Step 2 is unlocked by it, and not run.
    assert!(matches!(verdict(&again, 1), Verdict::NotYet(_)));

    // An edited file is run again, never trusted.
    std::fs::write(
        &lab.steps[0].file,
        "def similarity(X, start, end):\n    return []\n",
    )
    .unwrap();
    let mut third = lab_app(&dir);
    third.restore_lab(saved::load(&lab, &setting));
    assert!(!matches!(verdict(&third, 0), Verdict::Counts));
}

#[test]
fn a_saved_lab_toml_applies_its_floors_at_once_and_a_broken_one_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    run_step(&mut app, 0, "naive", 40.0);
    run_step(&mut app, 1, "algorithmic", 40.0 / 3.0);
    assert_eq!(verdict(&app, 1), Verdict::Counts);
    let toml = dir.join("lab.toml");
    let text = std::fs::read_to_string(&toml).unwrap();

    // A higher floor: step 2's 3x no longer counts, without running anything.
    let raised = text.replacen("at_least = 2.0", "at_least = 5.0", 1);
    assert_ne!(raised, text);
    std::fs::write(&toml, &raised).unwrap();
    assert!(starts(app.update(Msg::FileSaved(toml.clone()))).is_empty());
    assert!(matches!(verdict(&app, 1), Verdict::NotYet(_)));
    assert!(
        notice(&app).contains("lab.toml reloaded"),
        "{}",
        notice(&app)
    );

    // A broken file is said, and the lab opened with stays.
    std::fs::write(&toml, "format_version = 1\n[workload\n").unwrap();
    let _ = app.update(Msg::FileSaved(toml.clone()));
    assert!(notice(&app).contains("lab.toml"), "{}", notice(&app));
    assert!(notice(&app).contains("keeps the lab"), "{}", notice(&app));
    assert!(matches!(verdict(&app, 1), Verdict::NotYet(_)));

    // Another workload needs the app opened again.
    std::fs::write(&toml, raised.replacen("n = 2000", "n = 3000", 1)).unwrap();
    let _ = app.update(Msg::FileSaved(toml.clone()));
    assert!(
        notice(&app).contains("run `ladder lab` again"),
        "{}",
        notice(&app)
    );
}

#[test]
fn a_file_put_back_as_it_ran_while_not_watching_keeps_its_result() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    let file = dir.join("01_naive.py");
    let ran = std::fs::read_to_string(&file).unwrap();
    run_step(&mut app, 0, "naive", 40.0);
    let _ = app.update(ch('w'));
    assert!(!app.lab.as_ref().unwrap().watch);

    std::fs::write(&file, format!("{ran}\n# trying something\n")).unwrap();
    let _ = app.update(Msg::FileSaved(file.clone()));
    assert!(app.lab.as_ref().unwrap().changed[0]);
    assert!(notice(&app).contains("Enter runs it"), "{}", notice(&app));

    // Undone in the editor: the file is what ran, so its result stands and nothing is pending.
    std::fs::write(&file, &ran).unwrap();
    let _ = app.update(Msg::FileSaved(file.clone()));
    assert!(!app.lab.as_ref().unwrap().changed[0]);
    assert!(
        notice(&app).contains("back to what ran last"),
        "{}",
        notice(&app)
    );
    assert_eq!(verdict(&app, 0), Verdict::Counts);
    let _ = app.update(ch('w'));
    assert!(starts(ticks(&mut app, SAVE_QUIET_TICKS + 1)).is_empty());
}

#[test]
fn esc_during_the_quick_check_starts_no_full_run_even_if_the_check_had_just_ended() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    app.lab.as_mut().unwrap().selected = 0;
    let cmds = app.update(key(KeyCode::Enter));
    assert!(cmds.iter().any(|c| matches!(c, Command::QuickCheck { .. })));
    let cmds = app.update(key(KeyCode::Esc));
    assert!(cmds.contains(&Command::Cancel), "{cmds:?}");
    // The check had already finished, right, when the Esc reached it.
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(
        "naive", 0.01, true,
    ))));
    assert!(starts(cmds).is_empty(), "a full run started after Esc");
    assert!(
        matches!(app.rows[row(&app, 0)].status, Status::Cancelled),
        "{:?}",
        app.rows[row(&app, 0)].status
    );
    // The next Enter checks and runs it as usual.
    run_step(&mut app, 0, "naive", 40.0);
    assert_eq!(verdict(&app, 0), Verdict::Counts);
}

#[test]
fn a_cancelled_run_of_a_changed_file_leaves_it_still_to_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    let file = dir.join("01_naive.py");
    let ran = std::fs::read_to_string(&file).unwrap();
    run_step(&mut app, 0, "naive", 40.0);
    let _ = app.update(ch('w'));
    // Changed, run, and the run cancelled: the result shown is of the file before.
    std::fs::write(&file, format!("{ran}\n# faster?\n")).unwrap();
    let _ = app.update(Msg::FileSaved(file.clone()));
    app.lab.as_mut().unwrap().selected = 0;
    let _ = app.update(key(KeyCode::Enter));
    let mut cancelled = step_report("naive", 0.01, true);
    cancelled.status = RunStatus::Cancelled;
    let _ = app.update(Msg::QuickChecked(Box::new(cancelled)));
    assert!(app.lab.as_ref().unwrap().changed[0]);
    // Undone to what had run: its result stands again; the cancelled version never counted.
    std::fs::write(&file, &ran).unwrap();
    let _ = app.update(Msg::FileSaved(file.clone()));
    assert!(
        notice(&app).contains("back to what ran last"),
        "{}",
        notice(&app)
    );
    std::fs::write(&file, format!("{ran}\n# faster?\n")).unwrap();
    let _ = app.update(Msg::FileSaved(file.clone()));
    assert!(notice(&app).contains("Enter runs it"), "{}", notice(&app));
}
