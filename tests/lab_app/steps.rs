//! Running a step: checked small first, then timed, then graded in order; climbs, our rungs
//! beside the steps, lint findings, a second measurement near the floor, Esc.

use std::time::Duration;

use crossterm::event::KeyCode;
use ladder::lab::grade::Verdict;
use ladder::lab::lint::{Finding, Lint};
use ladder::run::RunStatus;
use ladder::rungs::Step;
use ladder::tui::app::{Command, Msg, Screen, Status};

use super::common::{ch, key, lab_app, report, step_report};
use super::{notice, row, run_step, starts, ticks, verdict};

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
        Verdict::NotYet(why) => assert!(why.contains("1.20x faster than naive"), "{why}"),
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
fn a_wrong_quick_check_is_the_verdict_and_nothing_is_timed() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    let _ = app.update(key(KeyCode::Enter));
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(
        "naive", 0.01, false,
    ))));
    // A wrong matrix on 200 rows is wrong code: no full run to wait for.
    assert!(starts(cmds).is_empty());
    assert!(
        notice(&app).contains("01_naive.py, on 200 rows: wrong answer: S[7][9] is off by 3.50e0")
            && notice(&app).contains("so no time is taken on the lab's size: fix it and save"),
        "{}",
        notice(&app)
    );
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
        Verdict::NotYet(why) => assert!(why.contains("1.90x faster"), "{why}"),
        v => panic!("{v:?}"),
    }
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
fn a_top_k_step_wrong_on_200_rows_is_still_judged_at_the_lab_s_size() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    let library = app
        .lab
        .as_ref()
        .unwrap()
        .lab
        .steps
        .iter()
        .position(|s| s.id == "library")
        .unwrap();
    let lab = app.lab.as_mut().unwrap();
    lab.unlock_all = true;
    lab.reassess();
    lab.selected = library;
    let _ = app.update(key(KeyCode::Enter));
    // An index trained on 200 rows may miss neighbours it finds among the lab's 2000.
    let cmds = app.update(Msg::QuickChecked(Box::new(step_report(
        "library", 0.01, false,
    ))));
    assert!(
        matches!(cmds[..], [Command::Run { index, .. }] if index == row(&app, library)),
        "{cmds:?}"
    );
    assert!(notice(&app).contains("running the full size, which decides"));
}
