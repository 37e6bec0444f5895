//! What the lab writes: the student's notes, and the results kept for the next launch.

use crossterm::event::KeyCode;
use ladder::lab::grade::Verdict;
use ladder::tui::app::{Command, Msg, Screen, Status};

use super::common::{ch, key, lab_app, step_report};
use super::{notice, row, run_step, verdict};

#[test]
fn m_writes_the_student_s_notes_with_the_claims_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    assert!(app.update(ch('m')).is_empty(), "nothing has run yet");
    assert!(
        notice(&app).contains("run a step first"),
        "{}",
        notice(&app)
    );
    run_step(&mut app, 0, "naive", 40.0);
    run_step(&mut app, 1, "algorithmic", 10.0);
    // Step 1 was profiled (py-spy); step 2 was not.
    let profiled = row(&app, 0);
    app.profiles[profiled] = Some(std::sync::Arc::new(
        ladder::profile::Profile::from_folded("similarity (01_naive.py:31) 40\n", 250).unwrap(),
    ));
    let cmds = app.update(ch('m'));
    let [
        Command::ExportLabNotes {
            path,
            dir: lab_dir,
            meta,
            machine,
            results,
            ours,
            flames,
        },
    ] = &cmds[..]
    else {
        panic!("{cmds:?}");
    };
    assert_eq!(path, &dir.join("NOTES.md"));
    let ids: Vec<&str> = flames.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["naive"]);
    // What the effect writes: each flamegraph beside the notes, linked.
    let mut results = results.clone();
    results[0].report.as_mut().unwrap().flamegraph = Some("flamegraphs/naive.svg".into());
    let lab = ladder::lab::notes::LabOf {
        dir: lab_dir,
        floors_for: (meta.n, meta.d),
    };
    let text = &ladder::lab::notes::markdown(lab, meta, machine, &results, ours);
    assert!(!text.contains("Not the lab's size"), "{text}");
    assert!(text.contains("[`naive`](flamegraphs/naive.svg)"), "{text}");
    assert!(
        text.contains("| `algorithmic` | `02_algorithmic.py` |"),
        "{text}"
    );
    assert!(text.contains("4.00x"), "{text}");
    // Our rungs did not run here: said, with what runs them. A step not run is said without
    // the app's keys (the notes are read away from it).
    assert!(text.contains("Not run beside these steps"), "{text}");
    assert!(text.contains("| ✗ not run yet |"), "{text}");
    assert!(!text.contains("Enter"), "{text}");
    // Claims whose steps have not run say so instead of guessing.
    assert!(
        text.contains("\"vectorizing wins ~100x\": not measured yet"),
        "{text}"
    );
}

#[test]
fn results_are_kept_for_the_next_launch_while_the_files_are_unchanged() {
    use ladder::lab::saved;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    app.lab.as_mut().unwrap().selected = 0;
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::QuickChecked(Box::new(step_report(
        "naive", 0.01, true,
    ))));
    // The run was profiled (py-spy): its profile is kept with it.
    let _ = app.update(Msg::Profiled {
        rung: app.rows[row(&app, 0)].info.id.to_string(),
        profile: std::sync::Arc::new(
            ladder::profile::Profile::from_folded("similarity (01_naive.py:31) 40\n", 250).unwrap(),
        ),
    });
    let cmds = app.update(Msg::RungFinished(Box::new(step_report(
        "naive", 40.0, true,
    ))));
    let (lab, threads, attempts, profiles) = cmds
        .into_iter()
        .find_map(|c| match c {
            Command::KeepLabResults {
                lab,
                threads,
                attempts,
                profiles,
            } => Some((lab, threads, attempts, profiles)),
            _ => None,
        })
        .expect("a finished step is kept for the next launch");
    assert!(attempts[0].is_some(), "{attempts:?}");
    assert!(attempts[1..].iter().all(Option::is_none));
    assert!(profiles[0].is_some() && profiles[1..].iter().all(Option::is_none));
    // What the effect writes.
    let hashes: Vec<_> = lab
        .steps
        .iter()
        .map(|s| saved::file_hash(&s.file))
        .collect();
    let refs: Vec<_> = attempts.iter().map(Option::as_ref).collect();
    let profile_refs: Vec<_> = profiles.iter().map(Option::as_deref).collect();
    let setting = saved::Setting::of(&lab, threads);
    let file = saved::path(&dir).unwrap();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        saved::text(&lab, &setting, &refs, &hashes, &profile_refs),
    )
    .unwrap();

    // The next launch opens on the grade earned, and says where it came from.
    let mut again = lab_app(&dir);
    again.restore_lab(saved::load(&lab, &setting));
    assert_eq!(verdict(&again, 0), Verdict::Counts);
    assert_eq!(again.rows[row(&again, 0)].status, Status::Done);
    assert!(
        notice(&again).contains("kept from last time (1 counts;"),
        "{}",
        notice(&again)
    );
    // Step 2 is unlocked by it, and not run.
    assert!(matches!(verdict(&again, 1), Verdict::NotYet(_)));
    // The workload, loaded after the results came back, leaves them standing and said.
    let _ = again.update(Msg::WorkloadReady(ladder::report::WorkloadMeta {
        n: 2000,
        d: 128,
        seed: 0,
        source: "normal".into(),
        zero_rows: 2,
    }));
    assert_eq!(again.rows[row(&again, 0)].status, Status::Done);
    assert!(again.rows[row(&again, 0)].report.is_some());
    assert_eq!(verdict(&again, 0), Verdict::Counts);
    assert!(
        notice(&again).contains("kept from last time"),
        "{}",
        notice(&again)
    );
    // Its profile came back with it: f shows where its time went without a new run.
    again.lab.as_mut().unwrap().selected = 0;
    let _ = again.update(ch('f'));
    assert_eq!(again.screen, Screen::Flame, "{}", notice(&again));
    assert!(again.flame_profile().is_some());

    // An edited file is run again, never trusted.
    std::fs::write(
        &lab.steps[0].file,
        "def similarity(X, start, end):\n    return []\n",
    )
    .unwrap();
    let mut third = lab_app(&dir);
    third.restore_lab(saved::load(&lab, &setting));
    assert!(!matches!(verdict(&third, 0), Verdict::Counts));
}

#[test]
fn a_run_that_brought_no_profile_leaves_none_of_the_file_before() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let mut app = lab_app(&dir);
    let r = row(&app, 0);
    let profile = std::sync::Arc::new(
        ladder::profile::Profile::from_folded("similarity (01_naive.py:31) 40\n", 250).unwrap(),
    );
    app.lab.as_mut().unwrap().selected = 0;
    let _ = app.update(key(KeyCode::Enter));
    let _ = app.update(Msg::QuickChecked(Box::new(step_report(
        "naive", 0.01, true,
    ))));
    let _ = app.update(Msg::Profiled {
        rung: app.rows[r].info.id.to_string(),
        profile,
    });
    let _ = app.update(Msg::RungFinished(Box::new(step_report(
        "naive", 40.0, true,
    ))));
    assert!(app.profiles[r].is_some());
    // Run again, and py-spy recorded nothing this time: f must not show the old stacks.
    run_step(&mut app, 0, "naive", 40.0);
    assert!(app.profiles[r].is_none());
}

/// Keeps `kept` (step index, report) as the effect would, for a second launch of `dir`'s lab.
fn keep(dir: &std::path::Path, kept: &[(usize, ladder::run::RunReport)]) {
    use ladder::lab::{Attempt, lint::Lint, saved};
    let lab = ladder::lab::load(dir).unwrap();
    let mut attempts: Vec<Option<Attempt>> = vec![None; lab.steps.len()];
    for (i, report) in kept {
        attempts[*i] = Some(Attempt::Ran {
            report: Box::new(report.clone()),
            lint: Lint::NotApplicable,
        });
    }
    let hashes: Vec<_> = lab
        .steps
        .iter()
        .map(|s| saved::file_hash(&s.file))
        .collect();
    let refs: Vec<_> = attempts.iter().map(Option::as_ref).collect();
    let file = saved::path(dir).unwrap();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(
        &file,
        saved::text(
            &lab,
            &saved::Setting::of(&lab, 2),
            &refs,
            &hashes,
            &vec![None; lab.steps.len()],
        ),
    )
    .unwrap();
}

#[test]
fn a_kept_failure_reads_as_it_did_when_it_ran() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let _ = lab_app(&dir);
    keep(&dir, &[(0, step_report("naive", 40.0, false))]);
    let lab = ladder::lab::load(&dir).unwrap();
    let mut again = lab_app(&dir);
    again.restore_lab(ladder::lab::saved::load(
        &lab,
        &ladder::lab::saved::Setting::of(&lab, 2),
    ));
    let failed = |app: &ladder::tui::app::App| matches!(&app.rows[row(app, 0)].status, Status::Failed(why) if why.contains("wrong answer"));
    assert!(failed(&again), "{:?}", again.rows[row(&again, 0)].status);
    let _ = again.update(Msg::WorkloadReady(super::common::meta()));
    assert!(failed(&again), "{:?}", again.rows[row(&again, 0)].status);
}

#[test]
fn a_step_whose_previous_step_has_no_time_has_no_vs_previous() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("lab");
    let _ = lab_app(&dir);
    keep(
        &dir,
        &[
            (0, step_report("naive", 40.0, true)),
            (1, step_report("algorithmic", 10.0, true)),
            (2, step_report("numpy", 0.1, true)),
        ],
    );
    // Step 2 is edited while the app is closed: its kept result is not trusted.
    let lab = ladder::lab::load(&dir).unwrap();
    std::fs::write(
        &lab.steps[1].file,
        "def similarity(X, start, end):\n    return X\n",
    )
    .unwrap();
    let mut again = lab_app(&dir);
    again.lab.as_mut().unwrap().unlock_all = true;
    again.restore_lab(ladder::lab::saved::load(
        &lab,
        &ladder::lab::saved::Setting::of(&lab, 2),
    ));
    // The notice names the file that changed: its result was not kept.
    assert!(
        notice(&again).contains("02_algorithmic.py changed since it ran"),
        "{}",
        notice(&again)
    );
    // Its row and story say it changed, not merely that it has not run.
    assert_eq!(again.lab.as_ref().unwrap().edited_while_closed, [1]);
    let results = &again.lab.as_ref().unwrap().results;
    assert!(results[1].report.is_none());
    let numpy = results[2]
        .report
        .as_ref()
        .expect("step 3's result was kept");
    assert!((numpy.speedup_vs_baseline.unwrap() - 400.0).abs() < 1e-6);
    // Not 400x "over the previous step": there is no previous time to be faster than.
    assert_eq!(numpy.speedup_vs_previous, None, "{numpy:?}");
}

#[test]
fn a_fast_step_s_flamegraph_says_its_function_is_a_small_part_of_the_run() {
    let tmp = tempfile::tempdir().unwrap();
    let mut app = lab_app(&tmp.path().join("lab"));
    run_step(&mut app, 0, "naive", 40.0);
    let profiled = row(&app, 0);
    let outside = ladder::lab::step::OUTSIDE;
    app.profiles[profiled] = Some(std::sync::Arc::new(
        ladder::profile::Profile::from_folded(
            &format!("{outside} 95\nsimilarity (01_naive.py:31) 5\n"),
            250,
        )
        .unwrap(),
    ));
    app.lab.as_mut().unwrap().selected = 0;
    let _ = app.update(ch('f'));
    assert_eq!(app.screen, Screen::Flame);
    assert!(
        notice(&app).contains("own function took 5% of the samples"),
        "{}",
        notice(&app)
    );
}
