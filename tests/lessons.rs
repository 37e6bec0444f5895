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
        [
            "profile-first",
            "bytecode",
            "find-the-leak",
            "concurrency",
            "profilers"
        ]
    );
    ladder()
        .args(["learn", "--check"])
        .assert()
        .success()
        .stdout(predicates::str::contains("5 lessons"));
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

/// The app on the lesson list, for a learner whose name is already set.
fn lesson_app() -> App {
    lesson_app_for("Ada")
}

fn lesson_app_for(learner: &str) -> App {
    let mut app = ready_app();
    let progress = Progress {
        learner: Some(learner.into()),
        ..Progress::default()
    };
    app.lessons = LessonsState::new(lessons::shipped().unwrap(), progress, None);
    let _ = app.update(ch('l'));
    assert_eq!(app.screen, Screen::Lessons);
    app
}

fn step_kind(app: &App) -> Kind {
    app.lessons.current().unwrap().kind
}

/// The key that picks option `index` (in the lesson file) of the current step, as shown to
/// this learner.
fn key_for(app: &App, index: usize) -> char {
    let step = app.lessons.current().unwrap();
    let shown = app
        .lessons
        .order(step)
        .iter()
        .position(|&i| i == index)
        .unwrap();
    char::from(b'1' + u8::try_from(shown).unwrap())
}

/// The indices (in the lesson file) of the current step's right and first wrong options.
fn right_and_wrong(app: &App) -> (usize, usize) {
    let step = app.lessons.current().unwrap();
    let right = step.choices.iter().position(|c| c.correct).unwrap();
    let wrong = step.choices.iter().position(|c| !c.correct).unwrap();
    (right, wrong)
}

/// Opens lesson `lesson` at step `step` (as a learner who passed the rest would be).
fn at_step(app: &mut App, lesson: &str, step: &str) {
    if app.lessons.open.is_some() {
        let _ = app.update(key(KeyCode::Esc));
    }
    let li = app
        .lessons
        .lessons
        .iter()
        .position(|l| l.id == lesson)
        .unwrap();
    app.lessons.selected = li;
    let _ = app.update(key(KeyCode::Enter));
    app.lessons.step = app.lessons.lessons[li]
        .steps
        .iter()
        .position(|s| s.id == step)
        .unwrap();
    app.lessons.feedback = None;
    app.lessons.input.clear();
    app.lessons.typing = false;
}

fn screen_of(app: &App, w: u16, h: u16) -> String {
    use ratatui::{Terminal, backend::TestBackend};
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal
        .draw(|f| ladder::tui::ui::draw(f, app, &ladder::tui::theme::Theme::DARK))
        .unwrap();
    terminal.backend().to_string()
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
    // A wrong answer does not pass, and reveals only that it is wrong; the right one passes.
    let (right, wrong) = right_and_wrong(&app);
    let _ = app.update(ch(key_for(&app, wrong)));
    assert_eq!(
        app.lessons.feedback,
        Some(Feedback::Chose {
            wrong: vec![wrong],
            right: None,
            revealed: false
        })
    );
    assert!(!app.lessons.passed(app.lessons.current().unwrap()));
    let _ = app.update(ch(key_for(&app, right)));
    assert!(app.lessons.passed(app.lessons.current().unwrap()));
    // Hints on request.
    let _ = app.update(key(KeyCode::Right));
    assert_eq!(step_kind(&app), Kind::Predict);
    let _ = app.update(ch('h'));
    assert_eq!(app.lessons.hints_shown(app.lessons.current().unwrap()), 1);
    // Predict 6x; the measurement needs algorithmic, so the app runs it.
    let _ = app.update(key(KeyCode::Enter));
    for c in "6x".chars() {
        let _ = app.update(ch(c)); // the unit may follow the number
    }
    assert_eq!(app.lessons.input, "6x");
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
            practice: false,
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
    // Fifteen words of nothing are refused too, with the reason.
    let mut saved = app.lessons.input.clone();
    app.lessons.input = vec!["a"; 15].join(" ");
    let _ = app.update(key(KeyCode::Enter));
    assert!(app.lessons.typing, "refused: one word repeated");
    assert!(
        matches!(&app.notice, Some(ladder::tui::app::Notice::Error(e)) if e.contains("different words")),
        "{:?}",
        app.notice
    );
    std::mem::swap(&mut app.lessons.input, &mut saved);
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
    // Saved for review, never marked right: prose is the instructor's to judge.
    let screen = screen_of(&app, 100, 30);
    assert!(screen.contains("saved for review"), "{screen}");
    assert!(screen.contains("for review"), "{screen}");
    assert!(!screen.contains("saved ✓"), "{screen}");
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
    // R on the list asks first: any key but y keeps the lesson, y resets it.
    let _ = app.update(key(KeyCode::Esc));
    let _ = app.update(ch('R'));
    assert_eq!(app.lessons.done_in(0), 1, "R alone wipes nothing");
    let _ = app.update(ch('n'));
    assert_eq!(app.lessons.done_in(0), 1);
    let _ = app.update(ch('R'));
    let _ = app.update(ch('y'));
    assert_eq!(app.lessons.done_in(0), 0);
    assert_eq!(
        app.lessons.progress.lesson("profile-first").unwrap().resets,
        1
    );
    let _ = app.update(key(KeyCode::Enter));
    assert_eq!(app.lessons.step, 0);
}

#[test]
fn the_export_holds_every_attempt_the_hints_and_the_measurements() {
    // Through the app: a wrong pick then the right one, a hint, a run and a prediction.
    let mut app = lesson_app_for("Grace Hopper");
    at_step(&mut app, "profile-first", "run-naive");
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        120.0,
        true,
    ))));
    let _ = app.update(key(KeyCode::Right));
    let _ = app.update(ch('h'));
    let (right, wrong) = right_and_wrong(&app);
    let _ = app.update(ch(key_for(&app, wrong)));
    let _ = app.update(ch(key_for(&app, right)));
    let _ = app.update(key(KeyCode::Right));
    let _ = app.update(key(KeyCode::Enter));
    for c in "11".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "algorithmic",
        Step::Algorithm,
        24.0,
        true,
    ))));
    let p = app.lessons.progress.clone();
    let ls = lessons::shipped().unwrap();
    let doc = export(&p, &ls, "test machine", "Grace Hopper");
    let json = serde_json::to_value(&doc).unwrap();
    assert_eq!(json["learner"], "Grace Hopper");
    let first = &json["lessons"][0];
    assert_eq!(first["id"], "profile-first");
    let answers = first["answers"].as_array().unwrap();
    let hot = answers.iter().find(|a| a["step"] == "hot-frame").unwrap();
    let attempts = hot["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 2, "{hot}");
    assert_eq!(attempts[0]["correct"], false);
    assert!(attempts[0]["chosen"].as_str().unwrap().len() > 3);
    assert!(attempts[0]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(attempts[1]["correct"], true);
    assert!(attempts[1]["chosen"].as_str().unwrap().starts_with("norm"));
    assert_eq!(
        hot["first_attempt_right"], false,
        "a wrong first pick stays wrong"
    );
    assert_eq!(hot["hints_used"], 1);
    assert_eq!(attempts[0]["hints"], 1);
    let predict = answers
        .iter()
        .find(|a| a["step"] == "predict-algorithm")
        .unwrap();
    assert_eq!(predict["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(predict["attempts"][0]["predicted"], 11.0);
    assert_eq!(predict["attempts"][0]["measured"], 5.0);
    assert_eq!(
        predict["first_attempt_right"], false,
        "11x against 5x is outside 2x"
    );
    assert_eq!(first["score"]["right_first_time"], 0);
    assert_eq!(first["score"]["questions"], 2);
    let measurements = first["measurements"].as_array().unwrap();
    assert!(
        measurements
            .iter()
            .any(|m| m["what"] == "run" && m["rung"] == "naive"),
        "{measurements:?}"
    );
    assert!(
        measurements
            .iter()
            .any(|m| m["what"] == "speedup" && m["before_s"] == 120.0 && m["after_s"] == 24.0),
        "{measurements:?}"
    );
    // Through the CLI, from the progress file: the name saved with --name, every attempt.
    let dir = tempfile::tempdir().unwrap();
    let prog = dir.path().join("progress.json");
    let mut unnamed = p.clone();
    unnamed.learner = None;
    unnamed.save(&prog).unwrap();
    let out = dir.path().join("answers.json");
    let export_cmd = || {
        let mut c = ladder();
        c.args(["learn", "--progress", prog.to_str().unwrap(), "--export"])
            .arg(&out)
            .env_remove("USER")
            .env_remove("USERNAME");
        c
    };
    // No name anywhere: refused, saying how to give one (never "unknown").
    export_cmd()
        .assert()
        .failure()
        .stderr(predicates::str::contains("--name"));
    export_cmd()
        .args(["--name", "Grace Hopper"])
        .assert()
        .success()
        .stdout(predicates::str::contains(
            "2 answers (3 attempts) by Grace Hopper",
        ));
    // Saved: the next export needs no --name.
    export_cmd().assert().success();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("\"learner\": \"Grace Hopper\""), "{text}");
    assert!(text.contains("\"measured\": 5.0"), "{text}");
    ladder()
        .args(["learn", "--progress", prog.to_str().unwrap(), "--name", " "])
        .assert()
        .failure()
        .stderr(predicates::str::contains("1 to 40 printable characters"));
    ladder()
        .args(["learn", "--progress", prog.to_str().unwrap(), "--list"])
        .assert()
        .success()
        .stdout(predicates::str::contains("3/13"));
}

#[test]
fn progress_files_from_earlier_versions_still_load_and_export() {
    // Written before names, attempts and measurements were kept.
    let old = r#"{"format_version": 1, "lessons": {"profile-first": {"done": ["intro", "hot-frame"],
        "answers": {"hot-frame": {"choice": 0, "correct": true}}, "hints": {"hot-frame": 2}}}}"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    std::fs::write(&path, old).unwrap();
    let (p, warning) = Progress::load(&path);
    assert!(warning.is_none(), "{warning:?}");
    assert!(p.passed("profile-first", "hot-frame"));
    assert_eq!(p.learner, None);
    let doc = export(&p, &lessons::shipped().unwrap(), "m", "Ada");
    let hot = &doc.lessons[0].answers[0];
    assert_eq!(hot.attempts.len(), 1);
    assert_eq!(hot.hints_used, 2);
}

#[test]
fn pressing_the_first_option_everywhere_does_not_pass_the_questions() {
    for learner in ["Ada", "Grace", "Linus", "Barbara", "x"] {
        let mut app = lesson_app_for(learner);
        let (mut asked, mut passed) = (0, 0);
        let lessons = app.lessons.lessons.clone();
        for l in &lessons {
            // A profiler prediction passes on any pick: the measurement judges it later
            // (tests/profilers_lesson.rs).
            for s in l
                .steps
                .iter()
                .filter(|s| s.kind.has_choices() && s.overhead.is_none())
            {
                at_step(&mut app, &l.id, &s.id);
                let _ = app.update(ch('1'));
                asked += 1;
                passed += usize::from(app.lessons.progress.passed(&l.id, &s.id));
                // Pressing 1 again changes nothing.
                let _ = app.update(ch('1'));
                let _ = app.update(key(KeyCode::Esc));
            }
        }
        assert_eq!(asked, 15);
        assert!(
            passed < asked,
            "{learner}: the first option passed all {asked} questions"
        );
    }
    // Nor is the right option the first for everyone: the orders differ between learners.
    let l = &lessons::shipped().unwrap()[0];
    let firsts: std::collections::BTreeSet<Vec<usize>> = ["Ada", "Grace", "Linus", "Barbara"]
        .iter()
        .map(|n| lessons::option_order(n, &l.id, "hot-frame", 4))
        .collect();
    assert!(firsts.len() > 1);
}

#[test]
fn a_wrong_pick_shows_why_it_is_wrong_and_never_the_answer() {
    let mut app = lesson_app();
    at_step(&mut app, "find-the-leak", "why-not-gc");
    let step = app.lessons.current().unwrap().clone();
    let (right, wrong) = right_and_wrong(&app);
    let _ = app.update(ch(key_for(&app, wrong)));
    let screen = screen_of(&app, 100, 30);
    let first_words = |t: &str| t.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
    assert!(
        screen.contains(&first_words(&step.choices[wrong].explain)),
        "why the pick is wrong:\n{screen}"
    );
    assert!(
        !screen.contains(&first_words(&step.choices[right].explain)),
        "the right answer's explanation is shown:\n{screen}"
    );
    let right_line = screen
        .lines()
        .find(|l| l.contains(&first_words(&step.choices[right].text)))
        .unwrap_or_else(|| panic!("the right option is listed:\n{screen}"));
    assert!(!right_line.contains('✓'), "{screen}");
    // The same wrong pick twice is not a new attempt.
    let _ = app.update(ch(key_for(&app, wrong)));
    assert_eq!(app.lessons.attempts(&step).len(), 1);
    // Asking for the answer shows it, is recorded as such, and lets the lesson go on.
    let _ = app.update(ch('a'));
    assert!(app.lessons.passed(&step));
    let screen = screen_of(&app, 100, 30);
    assert!(screen.contains("answer shown"), "{screen}");
    assert!(
        screen.contains(&first_words(&step.choices[right].explain)),
        "{screen}"
    );
    let doc = export(
        &app.lessons.progress,
        &lessons::shipped().unwrap(),
        "m",
        "Ada",
    );
    let leak = doc
        .lessons
        .iter()
        .find(|l| l.id == "find-the-leak")
        .unwrap();
    assert_eq!(leak.score.revealed, 1);
    assert_eq!(leak.score.right_first_time, 0);
}

#[test]
fn a_prediction_scores_only_at_its_first_attempt_and_on_the_right_side_of_1x() {
    let mut app = lesson_app();
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        120.0,
        true,
    ))));
    at_step(&mut app, "profile-first", "predict-algorithm");
    // 0.8x says slower; the change is 5x faster.
    let _ = app.update(key(KeyCode::Enter));
    for c in "0.8".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "algorithmic",
        Step::Algorithm,
        24.0,
        true,
    ))));
    let step = app.lessons.current().unwrap().clone();
    assert!(matches!(
        app.lessons.feedback,
        Some(Feedback::Scored {
            scored: false,
            practice: false,
            ..
        })
    ));
    let screen = screen_of(&app, 100, 30);
    assert!(screen.contains("says slower"), "{screen}");
    assert!(screen.contains("missed"), "{screen}");
    // The hints explain the miss, all of them.
    assert!(screen.contains("hint 2"), "{screen}");
    // The measurement is on screen now: typing it is practice, and the first stays scored.
    let _ = app.update(key(KeyCode::Enter));
    for c in "5".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Enter));
    assert!(matches!(
        app.lessons.feedback,
        Some(Feedback::Scored {
            scored: true,
            practice: true,
            ..
        })
    ));
    let attempts = app.lessons.attempts(&step);
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0].scored, Some(false));
    let doc = export(
        &app.lessons.progress,
        &lessons::shipped().unwrap(),
        "m",
        "Ada",
    );
    assert_eq!(doc.lessons[0].score.predictions_scored, 0);
    // A redo keeps the attempts: the first is still the scored one.
    let _ = app.update(ch('r'));
    assert_eq!(app.lessons.attempts(&step).len(), 2);
}

#[test]
fn the_app_asks_the_learners_name_before_the_first_lesson() {
    let mut app = ready_app();
    app.lessons = LessonsState::new(lessons::shipped().unwrap(), Progress::default(), None);
    let _ = app.update(ch('l'));
    let _ = app.update(key(KeyCode::Enter));
    assert!(app.lessons.open.is_none(), "no lesson before a name");
    assert!(app.lessons.naming());
    assert!(screen_of(&app, 80, 24).contains("Your name"));
    // An empty name is refused; q and ? are letters of a name.
    let _ = app.update(key(KeyCode::Enter));
    assert!(app.lessons.naming());
    for c in "Quinn ?".chars() {
        let _ = app.update(ch(c));
    }
    assert!(!app.quit && !app.show_help);
    let _ = app.update(key(KeyCode::Enter));
    assert_eq!(app.lessons.progress.learner.as_deref(), Some("Quinn ?"));
    assert_eq!(app.lessons.open, Some(0));
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
    assert!(c.rounds.is_some_and(|r| r >= 2), "{c:?}");
    for w in ["cpu", "io", "shared"] {
        for way in ["sequential", "threads", "processes", "asyncio"] {
            // Every way is measured in every round: a median between the fastest and slowest.
            let t = c
                .timing(w, way)
                .unwrap_or_else(|| panic!("{w} {way}: {c:?}"));
            assert!(t.low <= t.median && t.median <= t.high, "{w} {way}: {t:?}");
        }
        // What the timings are of is said: the pool sizes, in numbers and in words.
        assert!(c.pools[w]["processes"] >= 2, "{c:?}");
        assert!(c.about[w].contains("processes"), "{c:?}");
    }
    assert!(c.includes.as_deref().is_some_and(|i| i.contains("pool")));
    // Overlapped waits beat sequential ones by far.
    assert!(c.results["io"]["asyncio"] < c.results["io"]["sequential"] / 4.0);
}

/// A measured table: (workload, way, median seconds), each round within 2% of its median.
fn table(rows: &[(&str, &str, f64)]) -> ladder::lessons::python::Concurrency {
    let mut results = serde_json::Map::new();
    let mut spread = serde_json::Map::new();
    for (w, way, t) in rows {
        results
            .entry(*w)
            .or_insert_with(|| serde_json::json!({}))
            .as_object_mut()
            .unwrap()
            .insert((*way).into(), serde_json::json!(t));
        spread
            .entry(*w)
            .or_insert_with(|| serde_json::json!({}))
            .as_object_mut()
            .unwrap()
            .insert((*way).into(), serde_json::json!([t * 0.98, t * 1.02]));
    }
    serde_json::from_value(serde_json::json!({
        "python": "3.11.7", "free_threaded": false, "cores": 2, "rounds": 3, "load": 0.2,
        "results": results, "spread": spread,
        "about": {"numpy": "4 products of one matrix; threads share it, processes receive it"},
        "includes": "every time includes making the pool",
    }))
    .unwrap()
}

/// The option of the current step that names `way`.
fn option_with_way(app: &App, way: &str) -> usize {
    let step = app.lessons.current().unwrap();
    step.choices
        .iter()
        .position(|c| c.way.as_deref() == Some(way))
        .unwrap()
}

#[test]
fn a_concurrency_choice_is_judged_by_the_measured_table() {
    let mut app = lesson_app();
    at_step(&mut app, "concurrency", "numpy-choice");
    let step = app.lessons.current().unwrap().clone();
    // The lesson file expects threads; on this table threads measured slower than processes.
    let threads = option_with_way(&app, "threads");
    assert!(step.choices[threads].correct);
    app.lessons.concurrency = Some(Ok(table(&[
        ("numpy", "sequential", 0.200),
        ("numpy", "threads", 0.180),
        ("numpy", "processes", 0.110),
        ("numpy", "asyncio", 0.200),
    ])));
    let screen = screen_of(&app, 80, 40);
    // The numbers are in view while choosing: the row, its spread, what the pools were.
    assert!(screen.contains("110.0 ms"), "{screen}");
    assert!(screen.contains("176–184 ms"), "{screen}");
    assert!(screen.contains("processes receive it"), "{screen}");
    let _ = app.update(ch(key_for(&app, threads)));
    assert!(
        !app.lessons.passed(&step),
        "threads measured slower: not the fastest"
    );
    assert_eq!(app.lessons.attempts(&step)[0].correct, Some(false));
    let screen = screen_of(&app, 80, 40);
    assert!(
        screen.contains("1.6x slower than processes"),
        "the measurement says why:\n{screen}"
    );
    // Processes measured fastest here: the right reading of this table is accepted, and the
    // disagreement with the usual answer is said rather than hidden.
    let processes = option_with_way(&app, "processes");
    let _ = app.update(ch(key_for(&app, processes)));
    assert!(app.lessons.passed(&step));
    let screen = screen_of(&app, 80, 40);
    assert!(
        screen.contains("the usual answer, threads, measured slower here"),
        "{screen}"
    );
    // The table's column keeps the first pick, the one scored.
    assert!(screen.contains("✗ threads"), "{screen}");
}

#[test]
fn ways_within_the_noise_of_the_fastest_are_all_accepted() {
    let mut app = lesson_app();
    at_step(&mut app, "concurrency", "cpu-choice");
    // Threads and sequential within 5% of each other: either is a right reading; processes,
    // twice as fast, is the fastest; free threads were not measured and cannot be backed.
    app.lessons.concurrency = Some(Ok(table(&[
        ("cpu", "sequential", 1.00),
        ("cpu", "threads", 1.05),
        ("cpu", "processes", 0.52),
        ("cpu", "asyncio", 1.01),
    ])));
    let step = app.lessons.current().unwrap().clone();
    let accepted: Vec<&str> = (0..step.choices.len())
        .filter(|&i| app.lessons.accepted(&step, i))
        .filter_map(|i| step.choices[i].way.as_deref())
        .collect();
    assert_eq!(accepted, ["processes"]);
    app.lessons.concurrency = Some(Ok(table(&[
        ("cpu", "sequential", 1.00),
        ("cpu", "threads", 1.05),
        ("cpu", "processes", 1.40),
        ("cpu", "asyncio", 1.01),
    ])));
    let mut accepted: Vec<&str> = (0..step.choices.len())
        .filter(|&i| app.lessons.accepted(&step, i))
        .filter_map(|i| step.choices[i].way.as_deref())
        .collect();
    accepted.sort_unstable();
    assert_eq!(accepted, ["asyncio", "sequential", "threads"]);
    // Without a measurement the lesson file's answer stands.
    app.lessons.concurrency = None;
    let mut usual: Vec<&str> = (0..step.choices.len())
        .filter(|&i| app.lessons.accepted(&step, i))
        .filter_map(|i| step.choices[i].way.as_deref())
        .collect();
    usual.sort_unstable();
    assert_eq!(usual, ["free-threads", "processes"]);
}

#[test]
fn a_table_measured_once_by_an_earlier_version_still_loads_and_shows() {
    // A progress file from before the rounds: medians only, no spread, pools or rounds.
    let old = r#"{"format_version": 1, "learner": "Ada", "lessons": {"concurrency": {
        "done": ["intro", "measure"],
        "measurements": [{"at": "2026-01-01T00:00:00Z", "step": "measure", "what": "concurrency",
          "table": {"python": "3.11.7", "free_threaded": false, "cores": 2,
                    "results": {"cpu": {"sequential": 0.978, "threads": 0.869,
                                        "processes": 0.5, "asyncio": 0.97}}}}]}}}"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("progress.json");
    std::fs::write(&path, old).unwrap();
    let (p, warning) = Progress::load(&path);
    assert!(warning.is_none(), "{warning:?}");
    let mut app = ready_app();
    app.lessons = LessonsState::new(lessons::shipped().unwrap(), p, None);
    let _ = app.update(ch('l'));
    at_step(&mut app, "concurrency", "cpu-choice");
    let screen = screen_of(&app, 80, 30);
    assert!(screen.contains("each way run once"), "{screen}");
    assert!(screen.contains("978.0 ms"), "{screen}");
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
    let mut app = lesson_app();
    at_step(&mut app, "concurrency", "measure");
    let lesson = app.lessons.lesson().unwrap().clone();
    // The widest verdict, and every cell at its widest.
    let cpu = lesson.steps.iter().find(|s| s.id == "cpu-choice").unwrap();
    let widest = cpu
        .choices
        .iter()
        .position(|c| c.way.as_deref() == Some("free-threads"))
        .unwrap();
    app.lessons.progress.attempt(
        &lesson.id,
        "cpu-choice",
        Answer {
            choice: Some(widest),
            correct: Some(true),
            ..Answer::default()
        },
    );
    let mut rows = Vec::new();
    for w in ["cpu", "numpy", "io", "shared"] {
        rows.extend([
            (w, "sequential", 123.4),
            (w, "threads", 1234.5),
            (w, "processes", 0.0123),
            (w, "asyncio", 2.01),
        ]);
    }
    let mut t = table(&rows);
    t.rust = serde_json::from_str(
        r#"{"n": 4000, "workers": 2, "sequential": 0.084, "threads": 0.047, "processes": 0.244}"#,
    )
    .unwrap();
    app.lessons.concurrency = Some(Ok(t));
    let screen = screen_of(&app, 80, 40);
    let line = screen
        .lines()
        .find(|l| l.starts_with("\"│cpu "))
        .unwrap_or_else(|| panic!("no cpu row:\n{screen}"));
    // Free threads were not measured: the choice cannot be backed by the numbers.
    assert!(line.contains("✗ free-threads"), "cut or wrapped:\n{screen}");
    assert!(
        line.contains("2 min 3 s 20 min 35 s"),
        "cells run together:\n{screen}"
    );
    let spread = screen
        .lines()
        .skip_while(|l| !l.starts_with("\"│cpu "))
        .nth(1)
        .unwrap();
    assert!(spread.contains("1210–1259s"), "{spread}");
    let rust = screen.lines().find(|l| l.starts_with("\"│rust ")).unwrap();
    assert!(rust.contains("no GIL"), "cut or wrapped:\n{screen}");
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
fn a_way_names_one_of_the_measured_ways_of_a_workload_step() {
    let f = PathBuf::from("lessons/x.toml");
    let lesson = |workload: &str, way: &str| {
        format!(
            "format_version = 1\nid = \"t\"\ntitle = \"T\"\ncriterion = \"c\"\n\n[[step]]\nid = \"c\"\nkind = \"choice\"\n{workload}question = \"q\"\n\n[[step.choices]]\ntext = \"a\"\nway = \"{way}\"\ncorrect = true\nexplain = \"e\"\n\n[[step.choices]]\ntext = \"b\"\nexplain = \"e\"\n"
        )
    };
    assert!(parse(&lesson("workload = \"cpu\"\n", "processes"), &f).is_ok());
    let e = parse(&lesson("", "processes"), &f).unwrap_err().to_string();
    assert!(
        e.contains("names a way, but the step has no workload"),
        "{e}"
    );
    let e = parse(&lesson("workload = \"cpu\"\n", "fibers"), &f)
        .unwrap_err()
        .to_string();
    assert!(e.contains("way 'fibers' is not one of"), "{e}");
    let e = parse(&lesson("workload = \"gpu\"\n", "threads"), &f)
        .unwrap_err()
        .to_string();
    assert!(e.contains("workload 'gpu'"), "{e}");
}

#[test]
fn the_measured_table_is_kept_with_the_progress_and_exported() {
    use ladder::lessons::progress::Measured;
    let mut app = lesson_app();
    at_step(&mut app, "concurrency", "measure");
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(cmds, vec![Command::MeasureConcurrency]);
    let t = table(&[
        ("io", "sequential", 1.0),
        ("io", "threads", 0.06),
        ("io", "processes", 0.55),
        ("io", "asyncio", 0.012),
    ]);
    let _ = app.update(Msg::ConcurrencyMeasured(Ok(t.clone())));
    let step = app.lessons.current().unwrap().clone();
    assert!(app.lessons.passed(&step));
    let doc = export(&app.lessons.progress, &app.lessons.lessons, "m", "Ada");
    let l = doc.lessons.iter().find(|l| l.id == "concurrency").unwrap();
    let saved = l
        .measurements
        .iter()
        .find_map(|m| match &m.what {
            Measured::Concurrency { table } => Some(table.clone()),
            _ => None,
        })
        .expect("exported");
    assert_eq!(*saved, t, "medians, ranges, pools and rounds kept");
    // A failed measurement later keeps the table the choices are judged on.
    let _ = app.update(key(KeyCode::Right));
    let _ = app.update(ch('m'));
    let _ = app.update(Msg::ConcurrencyMeasured(Err("python3 vanished".into())));
    assert!(matches!(&app.lessons.concurrency, Some(Ok(c)) if *c == t));
    let screen = screen_of(&app, 80, 30);
    assert!(screen.contains("python3 vanished"), "{screen}");
}

#[test]
fn learn_show_prints_the_measured_table_a_concurrency_step_discusses() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("progress.json");
    let show = |step: &str| {
        let out = ladder()
            .args(["learn", "--progress"])
            .arg(&file)
            .args(["--show", &format!("concurrency/{step}")])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // Nothing measured yet: the step says where the table comes from.
    let before = show("io-choice");
    assert!(before.contains("no table measured yet"), "{before}");
    assert!(before.contains("step 'measure'"), "{before}");

    let mut app = lesson_app();
    at_step(&mut app, "concurrency", "measure");
    let _ = app.update(key(KeyCode::Enter));
    let t = table(&[
        ("io", "sequential", 1.0),
        ("io", "threads", 0.06),
        ("io", "processes", 0.55),
        ("io", "asyncio", 0.012),
        ("cpu", "sequential", 2.5),
        ("cpu", "threads", 2.6),
        ("cpu", "processes", 1.3),
        ("cpu", "asyncio", 2.55),
    ]);
    let _ = app.update(Msg::ConcurrencyMeasured(Ok(t)));
    app.lessons.progress.save(&file).unwrap();

    // A step about one workload: that workload's row, with its times, and not the others.
    let io = show("io-choice");
    assert!(io.contains("sequential") && io.contains("asyncio"), "{io}");
    let row = io
        .lines()
        .find(|l| l.starts_with("io "))
        .expect("the io row");
    assert!(row.contains("1.00 s") && row.contains("12.0 ms"), "{io}");
    assert!(!io.lines().any(|l| l.starts_with("cpu ")), "{io}");
    // The measuring step: the whole table.
    let all = show("measure");
    assert!(all.lines().any(|l| l.starts_with("cpu ")), "{all}");
    assert!(all.lines().any(|l| l.starts_with("io ")), "{all}");
    // A step with no table prints none.
    assert!(!show("intro").contains("no table measured yet"));
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
fn the_leak_run_step_separates_the_first_runs_jump_from_the_growth_per_run() {
    let mut app = lesson_app();
    at_step(&mut app, "find-the-leak", "run-leaky");
    let rss = |app: &mut App, mib: u64| {
        let _ = app.update(Msg::Sample(ladder::monitor::Sample {
            cpu: vec![50.0, 50.0],
            rss: mib << 20,
            total_memory: 16 << 30,
            peer_rss: None,
            elsewhere: Some(0.05),
        }));
    };
    // 140 MiB before; the first run adds 26 MiB (its data, caches), then 6 MiB each run.
    rss(&mut app, 140);
    for after in [166, 172, 178] {
        let cmds = app.update(key(KeyCode::Enter));
        assert!(
            cmds.iter().any(|c| matches!(c, Command::Run { .. })),
            "{cmds:?}"
        );
        rss(&mut app, after);
        let mut r = report("leaky", Step::Native, 0.5, false);
        // The run's sampled peak missed its end: below the RSS measured after it.
        r.peak_rss_bytes = 100 << 20;
        let _ = app.update(Msg::RungFinished(Box::new(r)));
    }
    let step = app.lessons.current().unwrap().clone();
    assert!(app.lessons.passed(&step));
    let screen = screen_of(&app, 120, 40);
    assert!(screen.contains("run 1: +26.0 MiB, a one-off"), "{screen}");
    assert!(screen.contains("+6.0 MiB, +6.0 MiB"), "{screen}");
    assert!(screen.contains("+6.0 MiB per run"), "{screen}");
    // Peak memory never reads below the RSS beside it.
    assert!(screen.contains("peak RSS 178.0 MiB"), "{screen}");
    // The live panel's history is drawn from its lowest point, with its scale said.
    assert!(screen.contains("RSS history, 140–178 MiB"), "{screen}");
}

#[test]
fn a_prediction_is_judged_as_typed_never_made_from_part_of_it() {
    use crossterm::event::{KeyEvent, KeyModifiers};
    let notice = |app: &App| match &app.notice {
        Some(ladder::tui::app::Notice::Info(s) | ladder::tui::app::Notice::Error(s)) => s.clone(),
        None => String::new(),
    };
    let mut app = lesson_app();
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        120.0,
        true,
    ))));
    at_step(&mut app, "profile-first", "predict-algorithm");
    let step = app.lessons.current().unwrap().clone();
    // The first digit starts the typing; what is typed stays whole.
    for (typed, said) in [
        ("1e400", "too large"),
        ("-5", "-5 is not above 0"),
        ("four", "\"four\" is not a number"),
        ("0", "not above 0"),
    ] {
        let _ = app.update(ch('1'));
        let _ = app.update(Msg::Key(KeyEvent::new(
            KeyCode::Char('u'),
            KeyModifiers::CONTROL,
        )));
        assert!(app.lessons.input.is_empty(), "Ctrl-U clears");
        for c in typed.chars() {
            let _ = app.update(ch(c));
        }
        assert_eq!(app.lessons.input, typed);
        let _ = app.update(key(KeyCode::Enter));
        assert!(notice(&app).contains(said), "{typed}: {}", notice(&app));
        assert!(
            app.lessons.attempts(&step).is_empty(),
            "{typed} was recorded"
        );
        let _ = app.update(key(KeyCode::Esc));
    }
    // The unit as the lesson writes it may follow the number.
    for c in "4.5x".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Enter));
    assert_eq!(app.lessons.attempts(&step)[0].predicted, Some(4.5));
}
