//! Running rungs on the ladder: navigation, locks, results, cancels, climbs, the demo, repeats,
//! peers, the gauges and quitting.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ladder::run::{Phase, RunEvent, RunStatus};
use ladder::rungs::Step;
use ladder::tui::app::{Command, Msg, Notice, Screen, Status};

use super::common::{self, ch, key, ready_app, report};
use super::error_notice;

#[test]
fn locked_rungs_refuse_with_the_reason() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Down));
    let _ = app.update(key(KeyCode::Down));
    assert_eq!(app.selected, 2);
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    let e = error_notice(&app);
    assert!(
        e.contains("vectorized is locked") && e.contains("run algorithmic first"),
        "{e}"
    );
    assert!(e.contains("--unlock-all"), "{e}");
}

#[test]
fn navigation_stays_in_bounds() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Up));
    assert_eq!(app.selected, 0);
    for _ in 0..10 {
        let _ = app.update(ch('j'));
    }
    assert_eq!(app.selected, app.rows.len() - 1);
    let _ = app.update(ch('k'));
    assert_eq!(app.selected, app.rows.len() - 2);
}

#[test]
fn a_finished_rung_unlocks_the_next_and_fills_speedups() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::Run(RunEvent::Phase {
        index: 0,
        rung: "naive",
        phase: Phase::Kernel,
    }));
    assert_eq!(app.rows[0].status, Status::Running(Phase::Kernel));
    let _ = app.update(Msg::Run(RunEvent::Progress {
        index: 0,
        rows_done: 100,
        rows_total: 10_000,
        work_done: 0.01,
        kernel_elapsed: Duration::from_secs(1),
    }));
    let live = app.live.as_ref().unwrap();
    assert_eq!(live.rows_done, 100);
    // 1% of 2·n²·d in one second.
    assert!((live.gflops_avg - 0.01 * 2.0 * 1e8 * 768.0 / 1e9).abs() < 1e-6);
    assert!(live.eta().is_some());
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        100.0,
        true,
    ))));
    assert_eq!(app.rows[0].status, Status::Done);
    assert_eq!(app.rows[1].status, Status::Ready);
    assert!(!app.running());
    let _ = app.update(key(KeyCode::Down));
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "algorithmic",
        Step::Algorithm,
        25.0,
        false,
    ))));
    let r = app.rows[1].report.as_ref().unwrap();
    assert_eq!(r.speedup_vs_baseline, Some(4.0));
    assert_eq!(r.speedup_vs_previous, Some(4.0));
    assert_eq!(app.rows[2].status, Status::Ready);
}

#[test]
fn a_rung_that_cannot_run_here_is_unavailable_not_failed() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let mut missing = report("naive", Step::Baseline, 1.0, false);
    missing.status = RunStatus::Unavailable("numba is not installed (pip install numba)".into());
    missing.verification = None;
    let _ = app.update(Msg::RungFinished(Box::new(missing)));
    assert!(
        matches!(&app.rows[0].status, Status::Unavailable(w) if w.contains("pip install numba"))
    );
    assert!(matches!(&app.notice, Some(Notice::Info(n)) if n.contains("cannot run here")));
}

#[test]
fn a_wrong_answer_is_a_failure_not_a_result() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let mut bad = report("naive", Step::Baseline, 1.0, false);
    bad.verification.as_mut().unwrap().passed = false;
    let _ = app.update(Msg::RungFinished(Box::new(bad)));
    assert!(matches!(app.rows[0].status, Status::Failed(_)));
    assert!(error_notice(&app).contains("naive failed"));
}

#[test]
fn esc_cancels_the_run_and_the_rest_of_a_climb() {
    let mut app = ready_app();
    let cmds = app.update(ch('a'));
    assert!(matches!(cmds[..], [Command::Run { index: 0, .. }]));
    assert_eq!(app.queue, (1..app.ladder_len()).collect::<Vec<_>>());
    assert_eq!(app.rows[1].status, Status::Queued);
    assert_eq!(app.update(key(KeyCode::Esc)), vec![Command::Cancel]);
    assert!(app.queue.is_empty());
    let mut cancelled = report("naive", Step::Baseline, 1.0, false);
    cancelled.status = RunStatus::Cancelled;
    cancelled.verification = None;
    let cmds = app.update(Msg::RungFinished(Box::new(cancelled)));
    assert!(cmds.is_empty(), "nothing else starts after a cancel");
    assert_eq!(app.rows[0].status, Status::Cancelled);
    assert_eq!(
        app.rows[1].status,
        Status::Locked,
        "a cancelled rung unlocks nothing"
    );
    // Esc with nothing running does nothing.
    assert!(app.update(key(KeyCode::Esc)).is_empty());
}

#[test]
fn climbing_runs_every_rung_in_order() {
    let mut app = ready_app();
    let _ = app.update(ch('a'));
    for (i, (id, step, secs, extra)) in common::TIMES.iter().enumerate() {
        assert!(app.running());
        assert_eq!(app.live.as_ref().unwrap().index, i);
        let cmds = app.update(Msg::RungFinished(Box::new(report(
            id, *step, *secs, *extra,
        ))));
        if i + 1 < common::TIMES.len() {
            assert!(matches!(cmds[..], [Command::Run { index, .. }] if index == i + 1));
        } else {
            assert!(cmds.is_empty());
        }
    }
    assert!(
        app.rows
            .iter()
            .filter(|r| !r.extra)
            .all(|r| r.status == Status::Done)
    );
    assert!(
        app.rows
            .iter()
            .filter(|r| r.extra)
            .all(|r| r.report.is_none()),
        "climbs skip the extras"
    );
    // A second run while one is running is refused.
    let _ = app.update(key(KeyCode::Enter));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(error_notice(&app).contains("already running"));
}

#[test]
fn quitting_cancels_a_running_rung_first() {
    let mut app = ready_app();
    assert_eq!(app.update(ch('q')), vec![Command::Quit]);
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let ctrl_c = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(app.update(ctrl_c), vec![Command::Cancel, Command::Quit]);
    assert!(app.quit);
}

#[test]
fn demo_climbs_by_itself_and_obeys_pause_step_and_repeat() {
    let mut app = ready_app();
    app.enable_demo();
    let mut started = None;
    for _ in 0..20 {
        if let [Command::Run { index, .. }] = app.update(Msg::Tick)[..] {
            started = Some(index);
            break;
        }
    }
    assert_eq!(
        started,
        Some(0),
        "the demo starts the first rung after a short pause"
    );
    let cmds = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        100.0,
        true,
    ))));
    assert!(cmds.is_empty(), "it pauses between rungs");
    // Paused: ticks do nothing.
    let _ = app.update(ch(' '));
    for _ in 0..100 {
        assert!(app.update(Msg::Tick).is_empty());
    }
    let _ = app.update(ch(' '));
    // n starts the next one at once.
    assert!(matches!(
        app.update(ch('n'))[..],
        [Command::Run { index: 1, .. }]
    ));
    let _ = app.update(Msg::Profiled {
        rung: "algorithmic".into(),
        profile: std::sync::Arc::new(
            ladder::profile::Profile::from_folded(
                "ladder-runner;ladder::rungs::algorithmic::rows 400\n",
                997,
            )
            .unwrap(),
        ),
    });
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "algorithmic",
        Step::Algorithm,
        40.0,
        true,
    ))));
    // f shows the last rung's flamegraph for a question from the room; the climb waits.
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Flame);
    assert_eq!(app.flame.rung, 1);
    for _ in 0..100 {
        assert!(app.update(Msg::Tick).is_empty());
    }
    let _ = app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Ladder);
    // r repeats from the bottom.
    let _ = app.update(ch('r'));
    assert!(app.rows.iter().all(|r| r.report.is_none()));
    assert_eq!(app.queue, (0..app.ladder_len()).collect::<Vec<_>>());
}

#[test]
fn samples_feed_the_gauges() {
    let mut app = ready_app();
    for i in 0..5u32 {
        let _ = app.update(Msg::Sample(ladder::monitor::Sample {
            cpu: vec![10.0 * i as f32, 50.0],
            rss: u64::from(i) << 20,
            total_memory: 1 << 34,
            peer_rss: None,
            elsewhere: Some(0.05),
        }));
    }
    assert_eq!(app.cpu.len(), 2);
    assert_eq!(app.cpu[0].last(), Some(40.0));
    assert_eq!(app.rss.last(), Some(4 << 20));
    assert_eq!(app.total_memory, 1 << 34);
}

#[test]
fn peers_get_rows_after_the_extras_and_run_like_rungs() {
    let mut app = ready_app();
    let before = app.rows.len();
    let peers = ladder::peers::shipped().unwrap();
    app.add_peers(&peers[..2]);
    assert_eq!(app.rows.len(), before + 2);
    let i = before;
    assert_eq!(app.rows[i].info.id, peers[0].id);
    assert_eq!(app.rows[i].status, Status::Ready, "peers are never locked");
    app.selected = i;
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds[..], [Command::Run { index, .. }] if index == i));
    // No profile yet: f says why (not run yet, or py-spy missing) and stays.
    let id = app.rows[i].info.id;
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Ladder);
    assert!(error_notice(&app).contains(&format!("no profile of {id}")));
    // Its Python stacks, sampled by py-spy, arrive like a rung's profile: f shows them.
    let stacks = "<module> (numpy_peer.py:20);matmul 40\n<module> (numpy_peer.py:12);load 10\n";
    let _ = app.update(Msg::Profiled {
        rung: id.to_string(),
        profile: std::sync::Arc::new(ladder::profile::Profile::from_folded(stacks, 250).unwrap()),
    });
    let _ = app.update(Msg::RungFinished(Box::new(common::report(
        id,
        ladder::rungs::Step::Vectorize,
        0.5,
        false,
    ))));
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Flame);
}

/// A report of `id` made of runs taking `times` seconds (their median is its time).
fn repeated(id: &str, step: Step, times: &[f64]) -> ladder::run::RunReport {
    let runs: Vec<_> = times.iter().map(|&t| report(id, step, t, false)).collect();
    ladder::run::repeat::combine(&runs, times.len(), false, None)
}

#[test]
fn a_repeated_rung_shows_its_median_and_a_speedup_within_the_spread_is_marked() {
    let mut app = ready_app();
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(repeated(
        "naive",
        Step::Baseline,
        &[10.0, 12.0, 11.0],
    ))));
    app.selected = 1;
    let _ = app.update(key(KeyCode::Enter));
    // 10.5 s: faster by its median, but inside naive's 10–12 s.
    let _ = app.update(Msg::RungFinished(Box::new(repeated(
        "algorithmic",
        Step::Algorithm,
        &[10.2, 10.5, 11.5],
    ))));
    let r = app.rows[1].report.as_ref().unwrap();
    assert!((r.estimated_s - 10.5).abs() < 1e-12);
    assert!((r.speedup_vs_previous.unwrap() - 11.0 / 10.5).abs() < 1e-12);
    assert!(r.speedup_vs_previous_overlaps && r.speedup_vs_baseline_overlaps);
    assert_eq!(ladder::report::vs_previous_cell(r), "1.05x ±");
    match &app.notice {
        Some(Notice::Info(s)) => assert!(
            s.contains("algorithmic done: median 10.5 s of 3 runs, 10.2–11.5 s"),
            "{s}"
        ),
        other => panic!("{other:?}"),
    }
    // A clear step is not marked.
    app.selected = 2;
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(repeated(
        "vectorized",
        Step::Vectorize,
        &[1.0, 1.1, 1.2],
    ))));
    let r = app.rows[2].report.as_ref().unwrap();
    assert!(!r.speedup_vs_previous_overlaps);
    assert_eq!(ladder::report::vs_previous_cell(r), "9.55x");
}

#[test]
fn a_peers_vs_previous_is_the_peer_above_it_as_on_the_command_line() {
    let mut app = ready_app();
    let peers = ladder::peers::shipped().unwrap();
    app.add_peers(&peers[..2]);
    let first = app.rows.len() - 2;
    // Our naive rung ran: it is the baseline of everything, peers included.
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::RungFinished(Box::new(report(
        "naive",
        Step::Baseline,
        100.0,
        false,
    ))));
    for (i, t) in [(first, 50.0), (first + 1, 10.0)] {
        app.selected = i;
        let _ = app.update(key(KeyCode::Enter));
        let mut r = report(app.rows[i].info.id, Step::Baseline, t, false);
        r.peer = Some(ladder::rungs::PeerStats::default());
        let _ = app.update(Msg::RungFinished(Box::new(r)));
    }
    let (a, b) = (
        app.rows[first].report.as_ref().unwrap(),
        app.rows[first + 1].report.as_ref().unwrap(),
    );
    assert_eq!(a.speedup_vs_baseline, Some(2.0));
    assert_eq!(a.speedup_vs_previous, None, "the row above is not a peer");
    assert_eq!(b.speedup_vs_baseline, Some(10.0));
    assert_eq!(b.speedup_vs_previous, Some(5.0), "against the peer above");
    // The same reports in a `ladder run`'s order get the same figures.
    let mut cli = vec![app.rows[0].report.clone().unwrap(), a.clone(), b.clone()];
    ladder::run::fill_speedups(&mut cli);
    let figures = |r: &ladder::run::RunReport| (r.speedup_vs_baseline, r.speedup_vs_previous);
    assert_eq!(figures(&cli[1]), figures(a));
    assert_eq!(figures(&cli[2]), figures(b));
}
