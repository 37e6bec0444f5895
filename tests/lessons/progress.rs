//! The progress file: saved, resumed and reset, kept through corruption, exported.

use std::path::PathBuf;

use crossterm::event::KeyCode;
use ladder::lessons;
use ladder::lessons::progress::{Answer, Progress, export};
use ladder::rungs::Step;
use ladder::tui::app::{Command, Msg};

use super::common::{ch, key, report};
use super::{at_step, key_for, ladder, lesson_app, lesson_app_for, right_and_wrong};

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
    // A file named as the progress file that is not one (a student's hand-in) is refused and
    // left where it is, never moved aside and written over.
    let hand_in = dir.path().join("ada-run.json");
    std::fs::write(&hand_in, "{\"rungs\": [], \"workload\": {}}").unwrap();
    ladder()
        .args([
            "learn",
            "--progress",
            hand_in.to_str().unwrap(),
            "--name",
            "x",
        ])
        .arg("--export")
        .arg(dir.path().join("x.json"))
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "could not be read as a ladder progress file",
        ));
    assert_eq!(
        std::fs::read_to_string(&hand_in).unwrap(),
        "{\"rungs\": [], \"workload\": {}}"
    );
    assert!(!hand_in.with_extension("json.corrupt").exists());
    // A progress file that is not there has nothing to hand in: said as that.
    ladder()
        .args(["learn", "--progress"])
        .arg(dir.path().join("typo.json"))
        .arg("--export")
        .arg(dir.path().join("y.json"))
        .env_remove("USER")
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "typo.json does not exist: there is no progress to export yet",
        ));
    assert!(!dir.path().join("y.json").exists());
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
