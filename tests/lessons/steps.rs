//! The engine's step logic: reading, running, choosing, predicting, explaining, hints, redo,
//! and the learner's name.

use crossterm::event::KeyCode;
use ladder::lessons::progress::{Progress, export};
use ladder::lessons::{self, Kind};
use ladder::rungs::Step;
use ladder::tui::app::{App, Command, Msg};
use ladder::tui::screens::lessons::{Feedback, LessonsState};

use super::common::{ch, key, ready_app, report};
use super::{at_step, key_for, lesson_app, lesson_app_for, right_and_wrong, screen_of, step_kind};

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

fn notice_of(app: &App) -> String {
    match &app.notice {
        Some(ladder::tui::app::Notice::Info(s) | ladder::tui::app::Notice::Error(s)) => s.clone(),
        None => String::new(),
    }
}

#[test]
fn a_prediction_scores_only_at_its_first_attempt_and_on_the_right_side_of_1x() {
    let mut app = lesson_app();
    // The baseline ran with half a core busy elsewhere: not this machine's time.
    let busy_naive = || {
        let mut naive = report("naive", Step::Baseline, 120.0, true);
        naive.load_elsewhere = Some(0.5);
        Box::new(naive)
    };
    let _ = app.update(Msg::RungFinished(busy_naive()));
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
    // The busy baseline is timed again before anything is scored.
    assert!(matches!(
        app.lessons.feedback,
        Some(Feedback::Measuring { .. })
    ));
    assert!(
        notice_of(&app).contains("timing it again"),
        "{}",
        notice_of(&app)
    );
    // Busy again: the prediction waits, unscored, its ratio not shown.
    let _ = app.update(Msg::RungFinished(busy_naive()));
    assert!(matches!(
        app.lessons.feedback,
        Some(Feedback::Measuring { .. })
    ));
    let screen = screen_of(&app, 100, 30);
    assert!(screen.contains("not scored yet"), "{screen}");
    assert!(!screen.contains("5.00x"), "{screen}");
    let step = app.lessons.current().unwrap().clone();
    assert!(app.lessons.attempts(&step)[0].measured.is_none());
    // m times it again; quiet now, the first prediction is scored.
    let _ = app.update(ch('m'));
    assert!(
        notice_of(&app).contains("timing it again"),
        "{}",
        notice_of(&app)
    );
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        120.0,
        true,
    ))));
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
    assert!(
        screen.contains("timed here: naive 2 min 0 s, algorithmic 24.0 s"),
        "{screen}"
    );
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

/// A sample of the app's process at `mib` MiB of RSS, on a quiet machine.
fn sample_rss(app: &mut App, mib: u64) {
    let _ = app.update(Msg::Sample(ladder::monitor::Sample {
        cpu: vec![50.0, 50.0],
        rss: mib << 20,
        total_memory: 16 << 30,
        peer_rss: None,
        elsewhere: Some(0.05),
    }));
}

#[test]
fn one_run_of_lesson_one_shows_the_results_peak_and_no_leak_lines() {
    let mut app = lesson_app();
    at_step(&mut app, "profile-first", "run-naive");
    sample_rss(&mut app, 40);
    let cmds = app.update(key(KeyCode::Enter));
    assert!(
        cmds.iter().any(|c| matches!(c, Command::Run { .. })),
        "{cmds:?}"
    );
    sample_rss(&mut app, 230);
    let mut r = report("naive", Step::Baseline, 0.5, false);
    r.peak_rss_bytes = 250 << 20;
    let _ = app.update(Msg::RungFinished(Box::new(r)));
    let screen = screen_of(&app, 120, 40);
    // The results table's figure and unit; the leak lesson's run-by-run lines are its own.
    assert!(screen.contains("peak RSS 250.0 MiB"), "{screen}");
    assert!(!screen.contains("a one-off"), "{screen}");
    assert!(!screen.contains("RSS after each run"), "{screen}");
}

#[test]
fn the_leak_run_step_separates_the_first_runs_jump_from_the_growth_per_run() {
    let mut app = lesson_app();
    at_step(&mut app, "find-the-leak", "run-leaky");
    // 140 MiB before; the first run adds 26 MiB (its data, caches), then 6 MiB each run.
    sample_rss(&mut app, 140);
    for after in [166, 172, 178] {
        let cmds = app.update(key(KeyCode::Enter));
        assert!(
            cmds.iter().any(|c| matches!(c, Command::Run { .. })),
            "{cmds:?}"
        );
        sample_rss(&mut app, after);
        let mut r = report("leaky", Step::Native, 0.5, false);
        // The run's sampled peak missed its end: below the RSS measured after it.
        r.peak_rss_bytes = 100 << 20;
        let _ = app.update(Msg::RungFinished(Box::new(r)));
    }
    let step = app.lessons.current().unwrap().clone();
    assert!(app.lessons.passed(&step));
    let screen = screen_of(&app, 120, 40);
    // The lesson counts in MB (10^6 bytes), the unit its prediction is typed in.
    assert!(screen.contains("run 1: +27.3 MB, a one-off"), "{screen}");
    assert!(screen.contains("+6.29 MB, +6.29 MB"), "{screen}");
    assert!(screen.contains("+6.29 MB per run"), "{screen}");
    // The peak is the results table's figure, in the lesson's MB: the sampled peak (100 MiB
    // here) never reads below the RSS measured at the run's end (less the profiler's tables,
    // none in this test process).
    assert!(screen.contains("peak RSS 186.6 MB"), "{screen}");
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
        ("1e-300", "too small"),
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

#[test]
fn a_busy_machine_times_each_rung_again_and_esc_or_a_wait_never_leaves_it_stuck() {
    let busy = |id: &str, step: Step, seconds: f64| {
        let mut r = report(id, step, seconds, true);
        r.load_elsewhere = Some(1.0);
        Box::new(r)
    };
    let quiet = |id: &str, step: Step, seconds: f64| Box::new(report(id, step, seconds, true));
    let running = |app: &App, id: &str| {
        let i = app.rung_index(id).unwrap();
        matches!(app.rows[i].status, ladder::tui::app::Status::Running(_))
    };
    let mut app = lesson_app();
    let _ = app.update(Msg::RungFinished(busy("naive", Step::Baseline, 120.0)));
    at_step(&mut app, "profile-first", "predict-algorithm");
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(ch('4'));
    let _ = app.update(key(KeyCode::Enter));
    assert!(running(&app, "algorithmic"));
    let _ = app.update(Msg::RungFinished(busy(
        "algorithmic",
        Step::Algorithm,
        24.0,
    )));
    // Both busy: the first is timed again, alone.
    assert!(running(&app, "naive"), "{}", notice_of(&app));
    assert!(app.queue.is_empty());
    // Esc stops it; the prediction waits, and nothing is left queued or running.
    let cmds = app.update(key(KeyCode::Esc));
    assert!(cmds.iter().any(|c| matches!(c, Command::Cancel)));
    let mut cancelled = report("naive", Step::Baseline, 120.0, true);
    cancelled.status = ladder::run::RunStatus::Cancelled;
    let _ = app.update(Msg::RungFinished(Box::new(cancelled)));
    assert!(!app.running() && app.queue.is_empty());
    assert!(matches!(
        app.lessons.feedback,
        Some(Feedback::Measuring { .. })
    ));
    // m runs the cancelled rung again; then the other busy one is timed again.
    let _ = app.update(ch('m'));
    assert!(running(&app, "naive"), "{}", notice_of(&app));
    let _ = app.update(Msg::RungFinished(quiet("naive", Step::Baseline, 100.0)));
    assert!(running(&app, "algorithmic"), "{}", notice_of(&app));
    // Busy again: it waits, and another prediction is refused meanwhile.
    let _ = app.update(Msg::RungFinished(busy(
        "algorithmic",
        Step::Algorithm,
        24.0,
    )));
    assert!(!app.running());
    assert!(app.lessons.waiting_quiet);
    let screen = screen_of(&app, 100, 30);
    assert!(screen.contains("waiting for a quieter machine"), "{screen}");
    let _ = app.update(key(KeyCode::Enter));
    assert!(!app.lessons.typing);
    assert!(notice_of(&app).contains("waits for a quieter machine"));
    // Quiet at last: the first prediction is the scored one, not practice.
    let _ = app.update(ch('m'));
    assert!(running(&app, "algorithmic"), "{}", notice_of(&app));
    let _ = app.update(Msg::RungFinished(quiet(
        "algorithmic",
        Step::Algorithm,
        25.0,
    )));
    // Scored against the quiet times (100 s / 25 s), not the busy ones (120 s / 24 s).
    assert!(matches!(
        app.lessons.feedback,
        Some(Feedback::Scored {
            scored: true,
            practice: false,
            measured,
            ..
        }) if (measured - 4.0).abs() < 1e-9
    ));
    let step = app.lessons.current().unwrap().clone();
    let attempts = app.lessons.attempts(&step);
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0].unjudged.is_none());
    assert_eq!(attempts[0].measured, Some(4.0));
}

/// A prediction made with its measurement on screen (the ladder had run both rungs) is
/// practice: kept, never scored, and the notice says why.
#[test]
fn a_prediction_made_with_its_measurement_on_screen_is_practice() {
    let mut app = lesson_app();
    for (rung, step, seconds) in [
        ("naive", Step::Baseline, 120.0),
        ("algorithmic", Step::Algorithm, 24.0),
    ] {
        let _ = app.update(Msg::RungFinished(Box::new(report(
            rung, step, seconds, true,
        ))));
    }
    at_step(&mut app, "profile-first", "predict-algorithm");
    let _ = app.update(key(KeyCode::Enter));
    // The right answer, read off the ladder: 5x.
    let _ = app.update(ch('5'));
    let _ = app.update(key(KeyCode::Enter));
    assert!(matches!(
        app.lessons.feedback,
        Some(Feedback::Scored { practice: true, .. })
    ));
    let screen = screen_of(&app, 100, 30);
    assert!(
        screen.contains("practice: the ladder had measured both rungs before you predicted"),
        "{screen}"
    );
    assert!(!screen.contains("scored (your first)"), "{screen}");
    let doc = export(
        &app.lessons.progress,
        &lessons::shipped().unwrap(),
        "m",
        "Ada",
    );
    assert_eq!(doc.lessons[0].score.predictions_scored, 0);
}
