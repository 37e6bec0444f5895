//! The bytecode lesson: live with Python, recorded without, its listing and its predictions.

use crossterm::event::KeyCode;
use ladder::tui::app::{Command, Msg};

use super::common::{ch, key};
use super::{at_step, ladder, lesson_app, screen_of};

#[test]
fn the_bytecode_step_is_live_with_python_and_recorded_without() {
    let live = ladder::lessons::python::bytecode_live("dot").expect("python3 is on PATH here");
    assert!(live.recorded_on.is_none());
    assert!(live.a_dis.contains("BINARY_SUBSCR") || live.a_dis.contains("BINARY_OP"));
    assert!(live.ratio > 0.0);
    // No Python on PATH: the recording, clearly marked as such.
    ladder()
        .args(["learn", "--show", "bytecode/dot-bytecode"])
        .env("PATH", "")
        .env_remove("LADDER_PYTHON")
        .assert()
        .success()
        .stdout(predicates::str::contains("RECORDED, not measured here"))
        .stdout(predicates::str::contains("no Python interpreter"));
}

#[test]
fn the_bytecode_listing_is_whole_at_80_columns() {
    let mut app = lesson_app();
    at_step(&mut app, "bytecode", "dot-bytecode");
    let b = ladder::lessons::python::bytecode_recorded("dot").unwrap();
    app.lessons
        .bytecode
        .insert("dot".into(), (Some(b.clone()), Some("no python3".into())));
    let screen = screen_of(&app, 80, 120);
    for line in b.a_dis.lines().chain(b.b_dis.lines()) {
        let line = line.trim_end();
        assert!(screen.contains(line), "cut or missing: {line:?}\n{screen}");
    }
}

#[test]
fn a_bytecode_prediction_can_be_measured_again_and_is_judged_on_the_median() {
    let mut app = lesson_app();
    at_step(&mut app, "bytecode", "dot-predict");
    let step = app.lessons.current().unwrap().clone();
    // Nothing to measure again before a prediction.
    assert!(app.update(ch('m')).is_empty());
    let _ = app.update(key(KeyCode::Enter));
    for c in "1.5".chars() {
        let _ = app.update(ch(c));
    }
    let cmds = app.update(key(KeyCode::Enter));
    assert!(
        cmds.contains(&Command::LoadBytecode("dot".into())),
        "{cmds:?}"
    );
    let timed = |ratio: f64| {
        let mut b = ladder::lessons::python::bytecode_recorded("dot").unwrap();
        b.recorded_on = None;
        b.ratio = ratio;
        Msg::BytecodeLoaded("dot".into(), (Some(b), None))
    };
    // One disturbed run measures the faster version as slower: the prediction misses...
    let _ = app.update(timed(0.9));
    assert_eq!(app.lessons.attempts(&step)[0].scored, Some(false));
    // ...and two more measurements outvote it.
    for r in [1.4, 1.5] {
        let cmds = app.update(ch('m'));
        assert_eq!(cmds, vec![Command::LoadBytecode("dot".into())]);
        let _ = app.update(timed(r));
    }
    let first = &app.lessons.attempts(&step)[0];
    assert_eq!(first.measured, Some(1.4), "the median of 0.9, 1.4 and 1.5");
    assert_eq!(first.scored, Some(true));
    assert_eq!(
        app.lessons.attempts(&step).len(),
        1,
        "measuring is not answering"
    );
    let measured = &app
        .lessons
        .progress
        .lesson("bytecode")
        .unwrap()
        .measurements;
    assert_eq!(
        measured.iter().filter(|m| m.step == "dot-predict").count(),
        3
    );
}

#[test]
fn the_bytecode_listing_stays_in_view_while_predicting() {
    let mut app = lesson_app();
    at_step(&mut app, "bytecode", "dot-bytecode");
    app.lessons.bytecode.clear();
    // Arriving at the prediction with no listing loaded loads it...
    let _ = app.update(key(KeyCode::Enter)); // the bytecode step passes and moves on
    let cmds = app.update(key(KeyCode::Left));
    assert_eq!(cmds, vec![Command::LoadBytecode("dot".into())]);
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(app.lessons.current().unwrap().id, "dot-predict");
    let step = app.lessons.current().unwrap().clone();
    let mut b = ladder::lessons::python::bytecode_recorded("dot").unwrap();
    b.recorded_on = None;
    let _ = app.update(Msg::BytecodeLoaded("dot".into(), (Some(b.clone()), None)));
    // ...which is not a measurement: nothing is shown or saved before the prediction.
    let saved = app.lessons.progress.lesson("bytecode").map_or(0, |l| {
        l.measurements.iter().filter(|m| m.step == step.id).count()
    });
    assert_eq!(saved, 0);
    // While typing, the listing is there, whole at 80 columns (stacked), and the arrows
    // scroll to it.
    let _ = app.update(key(KeyCode::Enter));
    assert!(app.lessons.typing);
    let screen = screen_of(&app, 80, 120);
    assert!(screen.contains("── second version ──"), "{screen}");
    for line in b.a_dis.lines().chain(b.b_dis.lines()) {
        assert!(
            screen.contains(line.trim_end()),
            "cut or missing: {line:?}\n{screen}"
        );
    }
    assert!(
        !screen.contains("µs per call"),
        "no timing before the prediction:\n{screen}"
    );
    let _ = app.update(key(KeyCode::Down));
    assert_eq!(app.lessons.scroll, 1);
    assert!(app.lessons.typing && app.lessons.input.is_empty());
}

#[test]
fn show_takes_the_numbers_the_list_shows_and_a_lesson_alone_lists_its_steps() {
    let show = |spec: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ladder"))
            .env(
                "XDG_DATA_HOME",
                std::env::temp_dir().join("ladder-show-numbers"),
            )
            .args(["learn", "--show", spec])
            .output()
            .unwrap();
        assert!(out.status.success(), "{spec}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let list = std::process::Command::new(env!("CARGO_BIN_EXE_ladder"))
        .env(
            "XDG_DATA_HOME",
            std::env::temp_dir().join("ladder-show-numbers"),
        )
        .args(["learn", "--list"])
        .output()
        .unwrap();
    let list = String::from_utf8(list.stdout).unwrap();
    let number = list
        .lines()
        .find(|l| l.contains("bytecode"))
        .and_then(|l| l.trim_start_matches(['✓', ' ']).split('.').next())
        .unwrap()
        .to_string();
    let steps = show(&number);
    assert!(steps.contains(" 1. intro"), "{steps}");
    // Step 2 by numbers is the second step listed, by id (its header; its timings are live).
    let second = steps
        .lines()
        .nth(2)
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap();
    let header = |s: String| s.lines().next().unwrap().to_string();
    assert_eq!(
        header(show(&format!("{number}/2"))),
        format!("[Bytecode] {second}")
    );
}
