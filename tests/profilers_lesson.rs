//! The profilers lesson: its fields validated, its predictions made before the measurement and
//! judged by it (within the noise), recorded as not measurable where fewer than two profilers
//! ran, exported as such, its table fitting 80 columns, and a real small measurement run
//! through the lesson where Python with numpy is here (the test says so when it skips).

mod common;

use std::path::PathBuf;

use common::{ch, key, ready_app};
use crossterm::event::KeyCode;
use ladder::lessons::profilers::{self, Comparison, Running};
use ladder::lessons::progress::{Progress, export};
use ladder::lessons::{self, parse};
use ladder::tui::app::{App, Command, Msg, Screen};
use ladder::tui::screens::lessons::{Feedback, LessonsState};

fn app() -> App {
    let mut app = ready_app();
    let progress = Progress {
        learner: Some("Ada".into()),
        ..Progress::default()
    };
    app.lessons = LessonsState::new(lessons::shipped().unwrap(), progress, None);
    let _ = app.update(ch('l'));
    assert_eq!(app.screen, Screen::Lessons);
    app.lessons.selected = app
        .lessons
        .lessons
        .iter()
        .position(|l| l.id == "profilers")
        .unwrap();
    let _ = app.update(key(KeyCode::Enter));
    app
}

fn go_to(app: &mut App, step: &str) {
    app.lessons.step = app
        .lessons
        .lesson()
        .unwrap()
        .steps
        .iter()
        .position(|s| s.id == step)
        .unwrap();
    app.lessons.feedback = None;
}

/// The key that picks the option naming `profiler` on the current step, as shown to Ada.
fn key_for(app: &App, profiler: &str) -> char {
    let step = app.lessons.current().unwrap();
    let index = step
        .choices
        .iter()
        .position(|c| c.profiler.as_deref() == Some(profiler))
        .unwrap();
    let shown = app
        .lessons
        .order(step)
        .iter()
        .position(|&i| i == index)
        .unwrap();
    char::from(b'1' + u8::try_from(shown).unwrap())
}

/// A measured comparison: (profiler, median seconds of the timed section); the plain run took
/// 1 s, and each round lies within 2% of its median. Profilers not listed are not installed.
fn comparison(rows: &[(&str, f64)]) -> Comparison {
    let row = |id: &str, t: Option<f64>| {
        serde_json::json!({
            "id": id, "method": "sampling", "level": "line", "resource": "CPU",
            "status": if t.is_some() { "measured" } else { "not_installed" },
            "note": if t.is_some() { None } else { Some(format!("not installed: pip install {id}")) },
            "kernel_s": t, "kernel_range_s": t.map(|t| [t * 0.98, t * 1.02]),
            "wall_s": t.map(|t| t + 0.5),
            "kernel_overhead_pct": t.map(|t| (t - 1.0) * 100.0),
            "wall_overhead_pct": t.map(|t| (t - 1.0) * 70.0),
            "top": t.map(|_| "dot (prog.py)"), "share": t.map(|_| 0.5),
            "peak_bytes": null, "claim": null,
        })
    };
    let mut all = vec![row("plain", Some(1.0))];
    for p in profilers::PROFILERS {
        let t = rows.iter().find(|r| r.0 == p.id).map(|r| r.1);
        all.push(row(p.id, t));
    }
    serde_json::from_value(serde_json::json!({
        "python": "python3", "n": 300, "d": 64, "rounds": 3, "rule": "a claim holds when …",
        "rows": all,
    }))
    .unwrap()
}

fn first_attempt(app: &App, step: &str) -> ladder::lessons::progress::Answer {
    app.lessons
        .progress
        .attempts("profilers", step)
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("no attempt at {step}"))
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
fn the_lessons_profiler_fields_are_validated() {
    let f = PathBuf::from("lessons/x.toml");
    let lesson = |steps: &str| {
        format!("format_version = 1\nid = \"t\"\ntitle = \"T\"\ncriterion = \"c\"\n\n{steps}")
    };
    let choice = |extra: &str, opt: &str| {
        lesson(&format!(
            "[[step]]\nid = \"q\"\nkind = \"choice\"\nquestion = \"?\"\n{extra}\n\
             [[step.choices]]\ntext = \"a\"\ncorrect = true\nexplain = \"e\"\n{opt}\n\
             [[step.choices]]\ntext = \"b\"\nexplain = \"e\"\nprofiler = \"cProfile\"\n"
        ))
    };
    for (text, why) in [
        (
            choice("overhead = \"fastest\"", "profiler = \"py-spy\""),
            "overhead 'fastest' is not one of least, most",
        ),
        (
            choice("overhead = \"least\"", ""),
            "choice 'a' names no profiler",
        ),
        (
            choice("overhead = \"least\"", "profiler = \"yappi\""),
            "profiler 'yappi' is not one of cProfile",
        ),
        (
            choice("", "profiler = \"py-spy\""),
            "names a profiler, but the step has no overhead",
        ),
        (
            choice(
                "overhead = \"least\"\nshow = \"chart\"",
                "profiler = \"py-spy\"",
            ),
            "show 'chart' is not one of table, claims",
        ),
        (
            lesson("[[step]]\nid = \"m\"\nkind = \"profilers\"\nn = 1\n"),
            "n 1 is out of range",
        ),
        (
            lesson("[[step]]\nid = \"r\"\nkind = \"read\"\ntext = \"x\"\nrounds = 2\n"),
            "only profilers steps have n and rounds",
        ),
        (
            lesson("[[step]]\nid = \"r\"\nkind = \"run\"\nrung = \"naive\"\nshow = \"table\"\n"),
            "only choice, explain and read steps show the profilers",
        ),
    ] {
        let e = parse(&text, &f).unwrap_err().to_string();
        assert!(e.contains(why), "{e}\n---\n{text}");
        assert!(e.starts_with("lessons/x.toml:"), "{e}");
    }
    let shipped = lessons::shipped().unwrap();
    let l = shipped.iter().find(|l| l.id == "profilers").unwrap();
    let measure = l.steps.iter().find(|s| s.id == "measure").unwrap();
    assert_eq!(measure.kind, lessons::Kind::Profilers);
    // Both predictions come before the measurement, and name every profiler.
    let at = |id: &str| l.steps.iter().position(|s| s.id == id).unwrap();
    assert!(at("predict-least") < at("measure") && at("predict-most") < at("measure"));
    for id in ["predict-least", "predict-most"] {
        let s = &l.steps[at(id)];
        let mut named: Vec<&str> = s
            .choices
            .iter()
            .filter_map(|c| c.profiler.as_deref())
            .collect();
        named.sort_unstable();
        assert_eq!(
            named,
            ["cProfile", "memray", "py-spy", "pyinstrument", "scalene"]
        );
    }
}

#[test]
fn predictions_wait_for_the_measurement_and_are_judged_by_it() {
    let mut app = app();
    go_to(&mut app, "predict-least");
    // No answer to show before the measurement: a prediction is a guess on record.
    let _ = app.update(ch('a'));
    assert!(
        app.lessons
            .attempts(app.lessons.current().unwrap())
            .is_empty()
    );
    let _ = app.update(ch(key_for(&app, "cProfile")));
    assert!(matches!(app.lessons.feedback, Some(Feedback::Predicted(_))));
    assert_eq!(first_attempt(&app, "predict-least").correct, None);
    assert!(app.lessons.progress.passed("profilers", "predict-least"));
    // A second pick does not replace the first.
    let _ = app.update(ch(key_for(&app, "py-spy")));
    assert_eq!(
        app.lessons
            .progress
            .attempts("profilers", "predict-least")
            .len(),
        1
    );
    let screen = screen_of(&app, 80, 24);
    assert!(screen.contains("← your prediction"), "{screen}");
    assert!(screen.contains("· predicted"), "{screen}");

    go_to(&mut app, "predict-most");
    let _ = app.update(ch(key_for(&app, "pyinstrument")));

    go_to(&mut app, "measure");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(
        cmds.contains(&Command::MeasureProfilers { n: 300, rounds: 3 }),
        "{cmds:?}"
    );
    let _ = app.update(Msg::ProfilersProgress(Running {
        round: 2,
        rounds: 3,
        id: "scalene".into(),
        done: 8,
        total: 18,
    }));
    let screen = screen_of(&app, 80, 24);
    assert!(screen.contains("round 2/3 · scalene running"), "{screen}");
    // py-spy least; pyinstrument within the noise of cProfile at the top.
    let c = comparison(&[
        ("cProfile", 2.60),
        ("py-spy", 1.01),
        ("scalene", 1.70),
        ("memray", 1.40),
        ("pyinstrument", 2.45),
    ]);
    let _ = app.update(Msg::ProfilersMeasured(Ok(Box::new(c.clone()))));
    assert!(app.lessons.progress.passed("profilers", "measure"));
    assert_eq!(first_attempt(&app, "predict-least").correct, Some(false));
    assert_eq!(first_attempt(&app, "predict-most").correct, Some(true));
    let screen = screen_of(&app, 80, 40);
    assert!(
        screen.contains("you predicted cProfile would cost least: ✗ the least here was py-spy +1%"),
        "{screen}"
    );
    assert!(screen.contains("would cost most: ✓"), "{screen}");
    // A wrong prediction says why that option is wrong.
    assert!(
        screen.contains("cProfile runs a hook on every call"),
        "{screen}"
    );
    // Each row fits the text panel whole at 80 columns.
    let row = screen
        .lines()
        .find(|l| l.contains("│pyinstrument "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains("2.45") && row.contains("+145%"), "{row}");

    // The claims step shows the claims against the measurement, with how far off they were.
    go_to(&mut app, "claims");
    let screen = screen_of(&app, 80, 40);
    assert!(screen.contains("py-spy ~1%:"), "{screen}");

    // Back on the prediction: the first pick stays the judged one; a pick now is practice.
    go_to(&mut app, "predict-least");
    let _ = app.update(key(KeyCode::Right));
    let _ = app.update(key(KeyCode::Left));
    let screen = screen_of(&app, 80, 24);
    assert!(screen.contains("✗ missed"), "{screen}");
    let _ = app.update(ch(key_for(&app, "py-spy")));
    let attempts = app.lessons.progress.attempts("profilers", "predict-least");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[1].correct, Some(true));

    // The export holds the judged predictions and the table.
    let doc = export(&app.lessons.progress, &app.lessons.lessons, "m", "Ada");
    let l = doc.lessons.iter().find(|l| l.id == "profilers").unwrap();
    let least = l
        .answers
        .iter()
        .find(|a| a.step == "predict-least")
        .unwrap();
    assert_eq!(least.first_attempt_right, Some(false));
    assert!(
        l.measurements
            .iter()
            .any(|m| matches!(&m.what, ladder::lessons::progress::Measured::Profilers { table } if **table == c))
    );
}

#[test]
fn with_fewer_than_two_profilers_predictions_are_not_measurable_and_say_what_to_install() {
    let mut app = app();
    go_to(&mut app, "predict-least");
    let _ = app.update(ch(key_for(&app, "py-spy")));
    go_to(&mut app, "measure");
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::ProfilersMeasured(Ok(Box::new(comparison(&[(
        "cProfile", 1.9,
    )])))));
    assert!(app.lessons.progress.passed("profilers", "measure"));
    let a = first_attempt(&app, "predict-least");
    assert_eq!(a.correct, None);
    let why = a.unjudged.expect("recorded as not measurable");
    assert!(why.contains("not measurable here"), "{why}");
    assert!(
        why.contains("pip install py-spy pyinstrument memray scalene"),
        "{why}"
    );
    let screen = screen_of(&app, 80, 40);
    assert!(
        screen.contains("not installed: pip install scalene"),
        "{screen}"
    );
    // A prediction made now passes as not measurable, recorded so, never an error.
    go_to(&mut app, "predict-most");
    let _ = app.update(ch(key_for(&app, "memray")));
    assert!(app.lessons.progress.passed("profilers", "predict-most"));
    assert!(first_attempt(&app, "predict-most").unjudged.is_some());
    let screen = screen_of(&app, 80, 24);
    assert!(screen.contains("not measurable here"), "{screen}");
    let doc = export(&app.lessons.progress, &app.lessons.lessons, "m", "Ada");
    let l = doc.lessons.iter().find(|l| l.id == "profilers").unwrap();
    for step in ["predict-least", "predict-most"] {
        let a = l.answers.iter().find(|a| a.step == step).unwrap();
        assert_eq!(a.first_attempt_right, None, "{step}");
        assert!(a.attempts[0].answer.unjudged.is_some(), "{step}");
    }
    assert_eq!(l.score.right_first_time, 0);
}

#[test]
fn a_failed_measurement_is_said_and_the_step_stays_open() {
    let mut app = app();
    go_to(&mut app, "measure");
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::ProfilersMeasured(Err(
        "no Python interpreter (python3) on PATH".into(),
    )));
    assert!(!app.lessons.progress.passed("profilers", "measure"));
    let screen = screen_of(&app, 80, 24);
    assert!(screen.contains("could not measure: no Python"), "{screen}");
}

#[test]
fn ties_within_the_noise_are_at_the_same_end() {
    use profilers::rank::Verdict;
    let c = comparison(&[("cProfile", 2.0), ("py-spy", 1.00), ("pyinstrument", 1.08)]);
    assert!(matches!(
        c.verdict("py-spy", "least"),
        Verdict::AtEnd { .. }
    ));
    assert!(matches!(
        c.verdict("pyinstrument", "least"),
        Verdict::AtEnd { .. }
    ));
    assert!(matches!(
        c.verdict("cProfile", "least"),
        Verdict::Not { .. }
    ));
    assert!(matches!(
        c.verdict("cProfile", "most"),
        Verdict::AtEnd { .. }
    ));
    assert!(matches!(c.verdict("py-spy", "most"), Verdict::Not { .. }));
    assert!(matches!(
        c.verdict("scalene", "least"),
        Verdict::NotMeasured(_)
    ));
    let one = comparison(&[("cProfile", 2.0)]);
    assert!(matches!(
        one.verdict("cProfile", "least"),
        Verdict::NoRanking(_)
    ));
}

/// Python with numpy, or why the test is skipped (printed).
fn python_here() -> bool {
    let ok = ladder::peers::python().is_some_and(|p| ladder::peers::probe::imports(&p, "numpy"));
    if !ok {
        eprintln!("skipped: no python3 with numpy here");
    }
    ok
}

#[test]
fn a_real_small_measurement_runs_through_the_lesson() {
    if !python_here() {
        return;
    }
    let mut seen: Vec<Running> = Vec::new();
    let c = profilers::compare_with(60, 1, &mut |r| seen.push(r.clone())).unwrap();
    // Told before every run: plain and each profiler installed, in order.
    let live = c
        .rows
        .iter()
        .filter(|r| r.status != profilers::Status::NotInstalled)
        .count();
    assert_eq!(seen.len(), live, "{seen:?}");
    assert_eq!(seen[0].id, "plain");
    assert!(
        seen.iter()
            .enumerate()
            .all(|(i, r)| r.done == i && r.total == live)
    );
    let mut app = app();
    go_to(&mut app, "predict-least");
    let _ = app.update(ch(key_for(&app, "py-spy")));
    go_to(&mut app, "measure");
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::ProfilersMeasured(Ok(Box::new(c.clone()))));
    assert!(app.lessons.progress.passed("profilers", "measure"));
    let a = first_attempt(&app, "predict-least");
    // Judged by what this machine measured, or said why it cannot be.
    match c.no_ranking() {
        Some(_) => assert!(a.unjudged.is_some(), "{a:?}"),
        None => assert!(a.correct.is_some() || a.unjudged.is_some(), "{a:?}"),
    }
}

#[test]
fn a_measurement_that_ends_after_the_learner_stepped_back_still_counts() {
    let mut app = app();
    go_to(&mut app, "measure");
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(key(KeyCode::Left));
    assert_eq!(app.lessons.current().unwrap().id, "predict-most");
    let _ = app.update(Msg::ProfilersMeasured(Ok(Box::new(comparison(&[
        ("cProfile", 2.0),
        ("py-spy", 1.0),
    ])))));
    assert!(app.lessons.progress.passed("profilers", "measure"));
    let kept = app.lessons.progress.lesson("profilers").unwrap();
    assert!(kept.measurements.iter().any(|m| m.step == "measure"));
}

#[test]
fn a_measurement_that_ends_after_the_learner_left_the_lesson_judges_its_predictions() {
    let mut app = app();
    go_to(&mut app, "predict-least");
    let _ = app.update(ch(key_for(&app, "cProfile")));
    go_to(&mut app, "measure");
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(key(KeyCode::Esc));
    assert!(app.lessons.lesson().is_none(), "back on the lesson list");
    let _ = app.update(Msg::ProfilersMeasured(Ok(Box::new(comparison(&[
        ("cProfile", 2.0),
        ("py-spy", 1.0),
    ])))));
    assert!(app.lessons.progress.passed("profilers", "measure"));
    assert_eq!(first_attempt(&app, "predict-least").correct, Some(false));
}
