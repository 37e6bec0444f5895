//! The concurrency lesson: its measurements, the table they make, and choices judged by it.

use crossterm::event::KeyCode;
use ladder::lessons;
use ladder::lessons::progress::{Progress, export};
use ladder::tui::app::{App, Command, Msg};
use ladder::tui::screens::lessons::LessonsState;

use super::common::{ch, key, ready_app};
use super::{at_step, key_for, ladder, lesson_app, screen_of};

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
