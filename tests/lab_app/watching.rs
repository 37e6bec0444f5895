//! Watching the folder: a saved step's file runs once it is quiet, deleted and restored files,
//! watching off and on, and `lab.toml` reloaded.

use crossterm::event::KeyCode;
use ladder::lab::grade::Verdict;
use ladder::run::RunStatus;
use ladder::tui::app::{Command, Msg};
use ladder::tui::screens::lab::SAVE_QUIET_TICKS;

use super::common::{ch, key, lab_app, step_report};
use super::{notice, row, run_step, starts, ticks, verdict};

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
fn a_floor_changed_while_its_step_runs_judges_that_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    run_step(&mut app, 0, "naive", 40.0);
    // Step 2's full run starts...
    app.lab.as_mut().unwrap().selected = 1;
    let _ = app.update(key(KeyCode::Enter));
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(
        "algorithmic",
        0.01,
        true,
    ))));
    assert!(matches!(cmds[..], [Command::Run { .. }]), "{cmds:?}");
    // ...the instructor raises its floor meanwhile...
    let toml = dir.join("lab.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let raised = text.replacen("at_least = 2.0", "at_least = 5.0", 1);
    assert_ne!(raised, text);
    std::fs::write(&toml, &raised).unwrap();
    let _ = app.update(Msg::FileSaved(toml.clone()));
    // ...and the run that ends is judged by the new floor: 3x is short of 5x (far enough that
    // it is not measured once more).
    let _ = app.update(Msg::RungFinished(Box::new(step_report(
        "algorithmic",
        40.0 / 3.0,
        true,
    ))));
    assert!(
        matches!(verdict(&app, 1), Verdict::NotYet(_)),
        "{}",
        notice(&app)
    );
    assert!(
        notice(&app).contains("5.0x") || notice(&app).contains("5x"),
        "{}",
        notice(&app)
    );
}

#[test]
fn a_file_changed_while_not_watching_stops_counting_until_put_back() {
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
    // Its result is of the file before: it does not count (nor would NOTES.md say so).
    match verdict(&app, 0) {
        Verdict::NotYet(why) => assert!(why.contains("changed since it was measured"), "{why}"),
        v => panic!("a changed file's old result still counts: {v:?}"),
    }

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
