//! Lessons: every shipped lesson validates; malformed files get precise errors; the engine's
//! step logic (choices, predictions scored against measurements, explanations, hints, redo,
//! reset, resume, export); the progress file; the Python-backed steps with and without Python.

mod common;

use std::path::PathBuf;

use assert_cmd::Command as Cmd;
use common::{ch, key, ready_app, report};
use crossterm::event::KeyCode;
use ladder::lessons::progress::{Answer, Progress, export};
use ladder::lessons::{self, Kind, parse};
use ladder::rungs::Step;
use ladder::tui::app::{App, Command, Msg, Screen};
use ladder::tui::screens::lessons::{Feedback, LessonsState};

fn ladder() -> Cmd {
    Cmd::cargo_bin("ladder").unwrap()
}

#[test]
fn every_shipped_lesson_loads_and_validates() {
    let ls = lessons::shipped().expect("shipped lessons are valid");
    let ids: Vec<&str> = ls.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        ["profile-first", "bytecode", "find-the-leak", "concurrency"]
    );
    ladder()
        .args(["learn", "--check"])
        .assert()
        .success()
        .stdout(predicates::str::contains("4 lessons"));
    // The lessons/ folder in the repository is the same set.
    ladder()
        .args(["learn", "--check", "lessons"])
        .assert()
        .success();
}

const GOOD: &str = r#"format_version = 1
id = "t"
title = "T"
criterion = "c"

[[step]]
id = "a"
kind = "read"
text = "hello"

[[step]]
id = "b"
kind = "run"
rung = "naive"
"#;

#[test]
fn malformed_lessons_name_the_file_the_line_and_the_problem() {
    let f = PathBuf::from("lessons/x.toml");
    assert!(parse(GOOD, &f).is_ok());
    let cases = [
        // (text, line, what the message says)
        (
            GOOD.replace("\"naive\"", "\"warp\""),
            Some(11),
            "rung 'warp' does not exist",
        ),
        (
            GOOD.replace("kind = \"run\"", "kind = \"dance\""),
            Some(13),
            "dance",
        ),
        (
            GOOD.replace("id = \"b\"", "id = \"a\""),
            Some(11),
            "used by an earlier step",
        ),
        (GOOD.replace("text = \"hello\"", ""), Some(6), "has no text"),
        (
            GOOD.replace("format_version = 1", "format_version = 9"),
            Some(1),
            "format_version 9",
        ),
        (format!("{GOOD}colour = 3\n"), None, "colour"),
        (
            format!(
                "{GOOD}\n[[step]]\nid = \"p\"\nkind = \"predict\"\nquestion = \"q\"\nwithin = 2.0\n"
            ),
            Some(16),
            "needs measure",
        ),
        (
            format!(
                "{GOOD}\n[[step]]\nid = \"c\"\nkind = \"choice\"\nquestion = \"q\"\n[[step.choices]]\ntext = \"x\"\nexplain = \"e\"\n[[step.choices]]\ntext = \"y\"\nexplain = \"e\"\n"
            ),
            Some(16),
            "no choice is marked correct",
        ),
    ];
    for (text, line, want) in cases {
        let e = parse(&text, &f).expect_err(want);
        let msg = e.to_string();
        assert!(msg.starts_with("lessons/x.toml"), "{msg}");
        assert!(msg.contains(want), "{msg} (want {want})");
        if let Some(l) = line {
            assert_eq!(e.line, Some(l), "{msg}");
        }
    }
    // The CLI check exits non-zero and says where.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.toml"), GOOD).unwrap();
    std::fs::write(
        dir.path().join("broken.toml"),
        GOOD.replace("\"naive\"", "\"warp\""),
    )
    .unwrap();
    ladder()
        .args(["learn", "--check", dir.path().to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicates::str::contains("broken.toml:11"))
        .stderr(predicates::str::contains("warp"));
}

#[test]
fn progress_survives_corruption_and_interrupted_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("progress.json");
    let mut p = Progress::default();
    p.pass("profile-first", "intro");
    p.answer(
        "profile-first",
        "predict-algorithm",
        Answer {
            predicted: Some(6.0),
            measured: Some(5.2),
            scored: Some(true),
            ..Answer::default()
        },
    );
    p.save(&path).unwrap();
    let (back, warning) = Progress::load(&path);
    assert_eq!(back, p);
    assert!(warning.is_none());
    // A write killed half-way leaves only its temporary file: the saved progress is intact.
    std::fs::write(
        path.with_file_name(".progress.json.tmp-999"),
        "{\"format_version\": 1, \"less",
    )
    .unwrap();
    assert_eq!(Progress::load(&path).0, p);
    // A corrupt file is set aside with a warning, never a crash.
    std::fs::write(&path, "{ not json").unwrap();
    let (fresh, warning) = Progress::load(&path);
    assert_eq!(fresh, Progress::default());
    let w = warning.expect("a warning");
    assert!(w.contains("moved to") && w.contains("corrupt"), "{w}");
    assert!(path.with_extension("json.corrupt").exists());
    // A missing file is a fresh start, silently.
    let (fresh, warning) = Progress::load(&dir.path().join("none.json"));
    assert_eq!(fresh, Progress::default());
    assert!(warning.is_none());
}

#[test]
fn a_progress_file_that_cannot_be_read_is_never_silently_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    // Not UTF-8: moved aside, like any corrupt file.
    let path = dir.path().join("progress.json");
    std::fs::write(&path, b"\xff\xfe{}").unwrap();
    let (_, warning) = Progress::load(&path);
    let w = warning.expect("a warning");
    assert!(w.contains("not UTF-8") && w.contains("moved to"), "{w}");
    assert_eq!(
        std::fs::read(path.with_extension("json.corrupt")).unwrap(),
        b"\xff\xfe{}"
    );
    // Unreadable and impossible to move aside (a folder stands where the file should be, and
    // one is already at the corrupt name): left alone, and saving refuses to replace it.
    let stuck = dir.path().join("stuck.json");
    std::fs::create_dir_all(stuck.join("inside")).unwrap();
    std::fs::create_dir_all(stuck.with_extension("json.corrupt").join("x")).unwrap();
    let (mut fresh, warning) = Progress::load(&stuck);
    let w = warning.expect("a warning");
    assert!(w.contains("left as it is"), "{w}");
    fresh.pass("profile-first", "intro");
    let e = fresh.save(&stuck).unwrap_err().to_string();
    assert!(e.contains("not saved"), "{e}");
    assert!(stuck.join("inside").is_dir());
}

fn lesson_app() -> App {
    let mut app = ready_app();
    app.lessons = LessonsState::new(lessons::shipped().unwrap(), Progress::default(), None);
    let _ = app.update(ch('l'));
    assert_eq!(app.screen, Screen::Lessons);
    app
}

fn step_kind(app: &App) -> Kind {
    app.lessons.current().unwrap().kind
}

#[test]
fn the_first_lesson_runs_answers_predicts_and_explains() {
    let mut app = lesson_app();
    let _ = app.update(key(KeyCode::Enter)); // open lesson 1 at its first step
    assert_eq!(step_kind(&app), Kind::Read);
    // Skipping ahead is refused until the step is done.
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(app.lessons.step, 0);
    let _ = app.update(key(KeyCode::Enter)); // read: passes and moves on
    assert_eq!(step_kind(&app), Kind::Run);
    // Run naive: the step starts the rung and passes when it verifies.
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds[..], [Command::Run { index: 0, .. }]));
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        120.0,
        true,
    ))));
    assert!(app.lessons.passed(app.lessons.current().unwrap()));
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(step_kind(&app), Kind::Flame);
    // A wrong answer shows every explanation and does not pass; the right one does.
    let _ = app.update(ch('2'));
    assert_eq!(
        app.lessons.feedback,
        Some(Feedback::Chose {
            index: 1,
            correct: false
        })
    );
    assert!(!app.lessons.passed(app.lessons.current().unwrap()));
    let _ = app.update(ch('1'));
    assert!(app.lessons.passed(app.lessons.current().unwrap()));
    // Hints on request.
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(step_kind(&app), Kind::Predict);
    let _ = app.update(ch('h'));
    assert_eq!(app.lessons.hints_shown(app.lessons.current().unwrap()), 1);
    // Predict 6x; the measurement needs algorithmic, so the app runs it.
    let _ = app.update(key(KeyCode::Enter));
    for c in "6x".chars() {
        let _ = app.update(ch(c)); // letters are ignored in a number
    }
    assert_eq!(app.lessons.input, "6");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(
        matches!(cmds[..], [Command::Run { index: 1, .. }]),
        "{cmds:?}"
    );
    assert_eq!(
        app.lessons.feedback,
        Some(Feedback::Measuring { predicted: 6.0 })
    );
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "algorithmic",
        Step::Algorithm,
        24.0,
        true,
    ))));
    match app.lessons.feedback {
        Some(Feedback::Scored {
            predicted,
            measured,
            scored,
        }) => {
            assert!((predicted - 6.0).abs() < 1e-9);
            assert!((measured - 5.0).abs() < 1e-9, "{measured}");
            assert!(scored);
        }
        ref other => panic!("{other:?}"),
    }
    // The run step for algorithmic passes at once: it has just run and verified.
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(step_kind(&app), Kind::Run);
    assert!(app.lessons.passed(app.lessons.current().unwrap()));
    // Redo forgets the step.
    let _ = app.update(ch('r'));
    assert!(!app.lessons.passed(app.lessons.current().unwrap()));
}

#[test]
fn explanations_need_enough_words_and_are_saved() {
    let mut app = lesson_app();
    let _ = app.update(key(KeyCode::Enter));
    let id = app.lessons.lesson().unwrap().id.clone();
    // Jump to the explain step (as a learner who passed the rest would be).
    let i = app
        .lessons
        .lesson()
        .unwrap()
        .steps
        .iter()
        .position(|s| s.kind == Kind::Explain)
        .unwrap();
    app.lessons.step = i;
    let _ = app.update(key(KeyCode::Enter));
    assert!(app.lessons.typing);
    for c in "too short".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Enter));
    assert!(app.lessons.typing, "refused: fewer words than asked");
    // Every letter is text while typing: q does not quit, ? does not open help.
    let text = " because removing work beats doing it faster? quite: every later rung multiplies what remains";
    for c in text.chars() {
        assert!(
            app.update(ch(c)).is_empty(),
            "{c:?} did something besides typing"
        );
        assert!(!app.show_help);
    }
    assert!(!app.show_help);
    let _ = app.update(key(KeyCode::Enter));
    assert!(!app.lessons.typing);
    let step = app.lessons.current().unwrap().id.clone();
    assert!(app.lessons.progress.passed(&id, &step));
    let saved = app.lessons.progress.lesson(&id).unwrap().answers[&step]
        .text
        .clone()
        .unwrap();
    assert!(saved.starts_with("too short because"), "{saved}");
    assert!(saved.contains("faster? quite:"), "{saved}");
}

#[test]
fn progress_is_saved_after_every_step_and_lessons_resume_and_reset() {
    let mut app = lesson_app();
    app.lessons.path = Some(PathBuf::from("/tmp/p.json"));
    let _ = app.update(key(KeyCode::Enter));
    let cmds = app.update(key(KeyCode::Enter)); // pass the read step
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::SaveProgress(p, prog) if p.ends_with("p.json") && prog.passed("profile-first", "intro"))),
        "{cmds:?}"
    );
    // Back to the list and in again: resumes at the first step not passed.
    let _ = app.update(key(KeyCode::Esc));
    assert!(app.lessons.open.is_none());
    let _ = app.update(key(KeyCode::Enter));
    assert_eq!(app.lessons.step, 1);
    // R on the list resets the lesson.
    let _ = app.update(key(KeyCode::Esc));
    let _ = app.update(ch('R'));
    assert_eq!(app.lessons.done_in(0), 0);
    let _ = app.update(key(KeyCode::Enter));
    assert_eq!(app.lessons.step, 0);
}

#[test]
fn the_export_holds_answers_predictions_and_measurements() {
    let ls = lessons::shipped().unwrap();
    let mut p = Progress::default();
    p.pass("profile-first", "hot-frame");
    p.answer(
        "profile-first",
        "hot-frame",
        Answer {
            choice: Some(0),
            correct: Some(true),
            ..Answer::default()
        },
    );
    p.answer(
        "profile-first",
        "predict-algorithm",
        Answer {
            predicted: Some(4.0),
            measured: Some(5.5),
            scored: Some(true),
            ..Answer::default()
        },
    );
    let doc = export(&p, &ls, "test machine");
    let json = serde_json::to_value(&doc).unwrap();
    let first = &json["lessons"][0];
    assert_eq!(first["id"], "profile-first");
    assert_eq!(first["steps_done"], 1);
    let answers = first["answers"].as_array().unwrap();
    assert_eq!(answers[0]["step"], "hot-frame");
    assert!(answers[0]["chosen"].as_str().unwrap().starts_with("norm"));
    assert_eq!(answers[1]["predicted"], 4.0);
    assert_eq!(answers[1]["measured"], 5.5);
    // Through the CLI, from a progress file.
    let dir = tempfile::tempdir().unwrap();
    let prog = dir.path().join("progress.json");
    p.save(&prog).unwrap();
    let out = dir.path().join("answers.json");
    ladder()
        .args(["learn", "--progress", prog.to_str().unwrap(), "--export"])
        .arg(&out)
        .assert()
        .success()
        .stdout(predicates::str::contains("wrote 2 answers"));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("\"measured\": 5.5"), "{text}");
    ladder()
        .args(["learn", "--progress", prog.to_str().unwrap(), "--list"])
        .assert()
        .success()
        .stdout(predicates::str::contains("1/13"));
}

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
fn the_concurrency_measurements_run_where_python_does() {
    let c = ladder::lessons::python::concurrency(true).expect("python3 is on PATH here");
    for w in ["cpu", "io", "shared"] {
        assert!(c.results[w].contains_key("sequential"), "{w}");
    }
    // Overlapped waits beat sequential ones by far.
    assert!(c.results["io"]["asyncio"] < c.results["io"]["sequential"] / 4.0);
}

#[test]
fn the_rust_side_runs_the_kernel_on_threads_and_on_worker_processes() {
    let exe = assert_cmd::cargo::cargo_bin("ladder");
    let r = ladder::lessons::rust_side::measure(600, 32, 2, Some(&exe));
    assert!(r.sequential > 0.0 && r.threads > 0.0);
    assert!(r.processes.is_some_and(|p| p > 0.0), "{r:?}");
    ladder()
        .args(["worker", "--n", "300", "--d", "16", "--rows", "0:288"])
        .assert()
        .success();
    ladder()
        .args(["worker", "--n", "300", "--d", "16", "--rows", "5:2"])
        .assert()
        .failure();
}

#[test]
fn the_concurrency_table_fits_an_80_column_terminal() {
    use ladder::lessons::progress::Answer;
    use ratatui::{Terminal, backend::TestBackend};
    let mut app = lesson_app();
    let li = app
        .lessons
        .lessons
        .iter()
        .position(|l| l.id == "concurrency")
        .unwrap();
    app.lessons.open = Some(li);
    let lesson = app.lessons.lessons[li].clone();
    app.lessons.step = lesson
        .steps
        .iter()
        .position(|s| s.kind == Kind::Concurrency)
        .unwrap();
    // The longest choice, and every cell at its widest.
    let io = lesson.steps.iter().find(|s| s.id == "io-choice").unwrap();
    let longest = io
        .choices
        .iter()
        .position(|c| c.text == "Sequential is fine")
        .unwrap();
    app.lessons.progress.answer(
        &lesson.id,
        "io-choice",
        Answer {
            choice: Some(longest),
            ..Answer::default()
        },
    );
    let row = r#"{"sequential": 123.4, "threads": 1234.5, "processes": 0.0123, "asyncio": 2.01}"#;
    let json = format!(
        r#"{{"python": "3.11.7", "free_threaded": false, "cores": 2, "results": {{"cpu": {row}, "numpy": {row}, "io": {row}, "shared": {row}}}, "rust": {{"n": 4000, "workers": 2, "sequential": 0.084, "threads": 0.047, "processes": 0.244}}}}"#
    );
    app.lessons.concurrency = Some(Ok(serde_json::from_str(&json).unwrap()));
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal
        .draw(|f| ladder::tui::ui::draw(f, &app, &ladder::tui::theme::Theme::DARK))
        .unwrap();
    let screen = terminal.backend().to_string();
    let line = screen
        .lines()
        .find(|l| l.starts_with("\"│io "))
        .unwrap_or_else(|| panic!("no io row:\n{screen}"));
    assert!(
        line.contains("Sequential is fine"),
        "cut or wrapped:\n{screen}"
    );
    assert!(
        line.contains("2 min 3 s 20 min 35 s"),
        "cells run together:\n{screen}"
    );
    let rust = screen.lines().find(|l| l.starts_with("\"│rust ")).unwrap();
    assert!(rust.contains("no GIL"), "cut or wrapped:\n{screen}");
}
