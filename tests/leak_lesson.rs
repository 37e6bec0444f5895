//! The leak lesson's Python side: its steps validated, its question judged by the measured
//! stacks (not by the file's order), its prediction scored against the measurement, and a full
//! run of the real service under memray and under tracemalloc where Python can run it (the
//! test says why when it skips).

mod common;

use std::path::Path;
use std::process::Command as Std;

use assert_cmd::Command as Cmd;
use common::{ch, key, ready_app};
use crossterm::event::KeyCode;
use ladder::lessons::leak::{self, LeakOptions, LeakRun, Tool, parse_reader};
use ladder::lessons::progress::Progress;
use ladder::lessons::{self, parse};
use ladder::tui::app::{App, Msg, Screen};
use ladder::tui::screens::lessons::LessonsState;

const MEMRAY: &str = include_str!("fixtures/leak/memray.txt");

fn ladder() -> Cmd {
    Cmd::cargo_bin("ladder").unwrap()
}

fn fixture_run(program: &str, folded: Option<&str>) -> LeakRun {
    let (tool, one_off, f) = parse_reader(MEMRAY).unwrap();
    LeakRun {
        program: program.into(),
        file: "leak_service.py".into(),
        tool,
        requests: 3,
        rss_after: vec![70_000_000, 76_150_000, 82_300_000],
        folded: folded.map_or(f, str::to_string),
        one_off,
        html: None,
        note: None,
    }
}

fn app_at(learner: &str, step: &str) -> App {
    let mut app = ready_app();
    let progress = Progress {
        learner: Some(learner.into()),
        ..Progress::default()
    };
    app.lessons = LessonsState::new(lessons::shipped().unwrap(), progress, None);
    let _ = app.update(ch('l'));
    let li = app
        .lessons
        .lessons
        .iter()
        .position(|l| l.id == "find-the-leak")
        .unwrap();
    app.lessons.selected = li;
    let _ = app.update(key(KeyCode::Enter));
    let si = app.lessons.lessons[li]
        .steps
        .iter()
        .position(|s| s.id == step)
        .unwrap();
    app.lessons.step = si;
    app
}

const GOOD: &str = r#"format_version = 1
id = "t"
title = "T"
criterion = "c"
"#;

#[test]
fn program_steps_are_validated() {
    let bad = |step: &str, why: &str| {
        let e = parse(&format!("{GOOD}{step}"), Path::new("t.toml")).unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
    };
    bad(
        "[[step]]\nid = \"a\"\nkind = \"run\"\nprogram = \"nope\"\n",
        "program 'nope' is not one of leaky, fixed",
    );
    bad(
        "[[step]]\nid = \"a\"\nkind = \"run\"\nprogram = \"leaky\"\nrung = \"naive\"\n",
        "one or the other",
    );
    bad(
        "[[step]]\nid = \"a\"\nkind = \"predict\"\nmeasure = \"leak:bogus\"\nwithin = 1.5\n\
         question = \"q\"\n",
        "leak measure 'bogus'",
    );
    bad(
        "[[step]]\nid = \"a\"\nkind = \"choice\"\nquestion = \"q\"\n\
         [[step.choices]]\ntext = \"x\"\nfunction = \"f\"\ncorrect = true\nexplain = \"e\"\n\
         [[step.choices]]\ntext = \"y\"\nexplain = \"e\"\n",
        "names a function, but the step runs no program",
    );
    let ok = "[[step]]\nid = \"a\"\nkind = \"run\"\nprogram = \"fixed\"\n";
    parse(&format!("{GOOD}{ok}"), Path::new("t.toml")).unwrap();
}

/// The shown number of the option naming `function`.
fn key_of(app: &App, function: &str) -> char {
    let step = app.lessons.current().unwrap().clone();
    let shown = app
        .lessons
        .order(&step)
        .iter()
        .position(|&i| step.choices[i].function.as_deref() == Some(function))
        .unwrap();
    char::from(b'1' + u8::try_from(shown).unwrap())
}

#[test]
fn the_question_cannot_be_answered_before_the_stacks_are_measured() {
    let mut app = app_at("Ada", "py-who-holds-it");
    let right = key_of(&app, "normalise_rows");
    let _ = app.update(ch(right));
    assert!(
        !app.lessons
            .progress
            .passed("find-the-leak", "py-who-holds-it")
    );
    // Nor does f open anything: there is nothing measured to show.
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Lessons);
}

#[test]
fn the_right_option_is_the_function_the_measured_stacks_name() {
    // Measured: normalise_rows holds the bytes. A distractor is refused, the right one passes.
    let mut app = app_at("Grace", "py-who-holds-it");
    let _ = app.update(Msg::LeakRan(
        "leaky".into(),
        Ok(Box::new(fixture_run("leaky", None))),
    ));
    let _ = app.update(ch(key_of(&app, "similarity")));
    assert!(
        !app.lessons
            .progress
            .passed("find-the-leak", "py-who-holds-it")
    );
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Flame);
    // The program's bytes: their total above the icicle, a search's share in bytes, no legend
    // of our own Rust frames' colours.
    let _ = app.update(ch('/'));
    for c in "normalise".chars() {
        let _ = app.update(ch(c));
    }
    let screen = {
        use ratatui::{Terminal, backend::TestBackend};
        let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
        t.draw(|f| ladder::tui::ui::draw(f, &app, &ladder::tui::theme::Theme::DARK))
            .unwrap();
        t.backend().to_string()
    };
    assert!(screen.contains("(100.0% of 11.7 MiB)"), "{screen}");
    assert!(screen.contains("% of bytes"), "{screen}");
    assert!(!screen.contains("kernel runner"), "{screen}");
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(key(KeyCode::Esc));
    let _ = app.update(key(KeyCode::Esc));
    assert_ne!(app.screen, Screen::Flame, "Esc goes back to the lesson");
    let _ = app.update(ch(key_of(&app, "normalise_rows")));
    assert!(
        app.lessons
            .progress
            .passed("find-the-leak", "py-who-holds-it")
    );

    // Had the stacks named another function, that one would be the answer: the check follows
    // the measurement, not the lesson file.
    let mut app = app_at("Grace", "py-who-holds-it");
    let other = "leak_service.py;main (leak_service.py:66);handle (leak_service.py:54);\
                 similarity (leak_service.py:42) 32000000\n";
    let _ = app.update(Msg::LeakRan(
        "leaky".into(),
        Ok(Box::new(fixture_run("leaky", Some(other)))),
    ));
    let _ = app.update(ch(key_of(&app, "normalise_rows")));
    assert!(
        !app.lessons
            .progress
            .passed("find-the-leak", "py-who-holds-it")
    );
    let _ = app.update(ch(key_of(&app, "similarity")));
    assert!(
        app.lessons
            .progress
            .passed("find-the-leak", "py-who-holds-it")
    );
}

#[test]
fn the_prediction_is_scored_in_mb_against_the_memory_measured() {
    for (typed, scores) in [("6", true), ("0.5", false), ("60", false)] {
        let mut app = app_at("Linus", "py-predict");
        let _ = app.update(key(KeyCode::Enter));
        for c in typed.chars() {
            let _ = app.update(ch(c));
        }
        let out = app.update(key(KeyCode::Enter));
        assert!(
            format!("{out:?}").contains("RunLeak"),
            "the prediction runs the service: {out:?}"
        );
        let _ = app.update(Msg::LeakRan(
            "leaky".into(),
            Ok(Box::new(fixture_run("leaky", None))),
        ));
        let a = &app.lessons.progress.attempts("find-the-leak", "py-predict")[0];
        assert_eq!(a.scored, Some(scores), "{typed}: {a:?}");
        // 6.15 MB: the growth from request 2 on, measured from outside.
        assert!((a.measured.unwrap() - 6.15).abs() < 1e-9);
    }
}

#[test]
fn a_failed_run_says_why_and_passes_nothing() {
    let mut app = app_at("Ada", "py-run-fixed");
    let _ = app.update(Msg::LeakRan(
        "fixed".into(),
        Err("no Python interpreter (python3) on PATH".into()),
    ));
    assert!(!app.lessons.progress.passed("find-the-leak", "py-run-fixed"));
    assert!(format!("{:?}", app.model.notice).contains("no Python"));
}

/// Why the real service cannot run here, if it cannot.
fn cannot_run() -> Option<String> {
    let python = ladder::peers::python()?;
    let ok = Std::new(&python)
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    (!ok).then(|| format!("{} cannot import numpy", python.display()))
}

#[test]
fn the_real_service_leaks_one_batch_per_request_and_its_twin_does_not() {
    if ladder::peers::python().is_none() {
        eprintln!("skipped: no python3 on PATH");
        return;
    }
    if let Some(why) = cannot_run() {
        eprintln!("skipped: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let opts = LeakOptions {
        html_dir: Some(dir.path().to_path_buf()),
        ..LeakOptions::default()
    };
    let leaky = leak::run("leaky", &opts, None).unwrap();
    let fixed = leak::run("fixed", &opts, None).unwrap();
    if !leak::has_memray(&ladder::peers::python().unwrap()) {
        eprintln!("memray is not installed: both runs were read by tracemalloc");
    }
    assert_eq!(leaky.holder().as_deref(), Some("normalise_rows"));
    // One 2,000 × 768 float32 batch per request, as traced: exactly.
    let batch = 2000 * 768 * 4;
    let traced = leaky.traced_per_request();
    assert!(traced >= batch && traced < batch + 4096, "{traced}");
    assert_eq!(leaky.rss_after.len(), 3);
    #[cfg(target_os = "linux")]
    {
        // Read from outside: the process grows by about one batch per request.
        let mb = leaky.mb_per_request();
        assert!((4.0..9.0).contains(&mb), "{mb} MB per request");
        assert!(fixed.mb_per_request().abs() < 1.0, "{:?}", fixed.rss_after);
    }
    assert!(fixed.traced_per_request() < 64 * 1024, "{}", fixed.folded);
    if leaky.tool == Tool::Memray {
        let html = leaky.html.as_ref().expect("memray's page written");
        assert!(std::fs::read_to_string(html).unwrap().contains("<html"));
    }
    // Only memray's page is kept: the capture went with its temporary folder.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter().all(|n| n.to_string_lossy().ends_with(".html")),
        "{left:?}"
    );
}

#[test]
fn without_memray_the_same_stacks_come_from_tracemalloc_and_it_says_how_to_get_memray() {
    if let Some(why) =
        ladder::peers::python().map_or(Some("no python3 on PATH".to_string()), |_| cannot_run())
    {
        eprintln!("skipped: {why}");
        return;
    }
    ladder()
        .args(["learn", "--leak", "leaky"])
        .env("LADDER_WITHOUT", "memray")
        .assert()
        .success()
        .stdout(predicates::str::contains("read by tracemalloc"))
        .stdout(predicates::str::contains("pip install memray"))
        .stdout(predicates::str::contains(
            "the function holding it: normalise_rows",
        ));
    ladder()
        .args(["learn", "--leak", "nope"])
        .assert()
        .failure()
        .stderr(predicates::str::contains(
            "--leak takes one of leaky, fixed",
        ));
}

#[test]
fn a_prediction_whose_run_ends_after_the_learner_left_is_scored_on_their_return() {
    let mut app = app_at("Linus", "py-predict");
    let _ = app.update(key(KeyCode::Enter));
    for c in "6".chars() {
        let _ = app.update(ch(c));
    }
    let _ = app.update(key(KeyCode::Enter));
    // On to the next step while the service runs; its run arrives there.
    let _ = app.update(key(KeyCode::Esc));
    let _ = app.update(Msg::LeakRan(
        "leaky".into(),
        Ok(Box::new(fixture_run("leaky", None))),
    ));
    assert_eq!(
        app.lessons.progress.attempts("find-the-leak", "py-predict")[0].measured,
        None
    );
    // Back in the lesson, on the prediction still waiting: scored from the run that came,
    // with no new run.
    let _ = app.update(key(KeyCode::Enter));
    let at = app
        .lessons
        .lesson()
        .unwrap()
        .steps
        .iter()
        .position(|s| s.id == "py-predict");
    app.lessons.step = at.unwrap() + 1;
    let out = app.update(key(KeyCode::Left));
    assert_eq!(app.lessons.current().unwrap().id, "py-predict");
    assert!(!format!("{out:?}").contains("RunLeak"), "{out:?}");
    let a = &app.lessons.progress.attempts("find-the-leak", "py-predict")[0];
    assert_eq!(a.scored, Some(true), "{a:?}");
    assert!((a.measured.unwrap() - 6.15).abs() < 1e-9);
}
