use super::*;
use crate::workload::{Distribution, Source};

/// A thread that cannot start: far more stack than any address space holds.
fn unstartable(name: &str) -> std::thread::Builder {
    named(name).stack_size(1 << 62)
}

fn machine() -> MachineInfo {
    MachineInfo::for_tests()
}

#[test]
fn a_run_whose_thread_cannot_start_ends_failed_saying_why() {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut effects = Effects::new(tx, Vec::new());
    effects.thread = unstartable;
    let x = crate::workload::generate(Distribution::Normal, 10, 4, 0).unwrap();
    let w = Workload::from_matrix(Source::Generated(Distribution::Normal), 0, x);
    let _ = effects.workload_loaded(0, Arc::new(w));
    let _ = effects.machine_loaded(machine());
    effects.execute(Command::Run {
        index: 0,
        budget: std::time::Duration::from_secs(1),
        threads: 1,
        k: 5,
        repeat: 1,
    });
    let Ok(Event::App(Msg::RungFinished(report))) = rx.try_recv() else {
        panic!("no report of the run that never started");
    };
    assert_eq!(report.rung, "naive");
    match &report.status {
        crate::run::RunStatus::Failed(why) => {
            assert!(why.contains("could not start a thread"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    // Every other worker says so in its own message, so nothing waits for it.
    effects.execute(Command::Sweep {
        spec: crate::workload::WorkloadSpec {
            n: 10,
            d: 4,
            seed: 0,
            source: Source::Generated(Distribution::Normal),
        },
        sizes: vec![10],
        budget: std::time::Duration::from_secs(1),
        threads: 1,
        k: 5,
    });
    assert!(matches!(
        rx.try_recv(),
        Ok(Event::App(Msg::SweepFinished { error: Some(_), .. }))
    ));
    effects.execute(Command::LoadWorkload(crate::workload::WorkloadSpec {
        n: 10,
        d: 4,
        seed: 0,
        source: Source::Generated(Distribution::Normal),
    }));
    assert!(matches!(
        rx.try_recv(),
        Ok(Event::App(Msg::WorkloadFailed(_)))
    ));
}

#[test]
fn the_lab_s_notes_link_each_step_s_flamegraph_written_beside_them_and_results_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    crate::lab::scaffold::init(dir.path()).unwrap();
    let lab = crate::lab::load(dir.path()).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let mut effects = Effects::new(tx, Vec::new());
    let info = crate::rungs::ladder()[0].info();
    let mut report = crate::run::RunReport::new(&info, 2, 100);
    report.estimated_s = 2.0;
    let attempt = crate::lab::Attempt::Ran {
        report: Box::new(report),
        lint: crate::lab::lint::Lint::NotApplicable,
    };
    let mut attempts = vec![None; lab.steps.len()];
    attempts[0] = Some(attempt.clone());
    let profile =
        crate::profile::Profile::from_folded("similarity (01_naive.py:31) 40\n", 250).unwrap();
    let notes = dir.path().join("NOTES.md");
    let export = || Command::ExportLabNotes {
        path: notes.clone(),
        dir: dir.path().display().to_string(),
        meta: crate::report::WorkloadMeta {
            n: 100,
            d: 8,
            seed: 0,
            source: "normal".into(),
            zero_rows: 0,
        },
        machine: Box::new(machine()),
        results: crate::lab::assess(&lab, &[Some(&attempt)], false),
        ours: Vec::new(),
        flames: vec![("naive".into(), Arc::new(profile.clone()))],
    };
    effects.execute(export());
    let Ok(Event::App(Msg::Exported(Ok(wrote)))) = rx.try_recv() else {
        panic!("the notes were not written");
    };
    assert_eq!(wrote.also, " with 1 flamegraph beside it", "{wrote:?}");
    // Written again, the notice says the flamegraph there was written over.
    effects.execute(export());
    let Ok(Event::App(Msg::Exported(Ok(again)))) = rx.try_recv() else {
        panic!("the notes were not written again");
    };
    assert_eq!(
        again.also, " with 1 flamegraph beside it (replacing the old one there)",
        "{again:?}"
    );
    let svg = std::fs::read_to_string(dir.path().join("flamegraphs/naive.svg")).unwrap();
    assert!(
        svg.contains("similarity"),
        "the step's own function is in it"
    );
    let text = std::fs::read_to_string(&notes).unwrap();
    assert!(text.contains("[`naive`](flamegraphs/naive.svg)"), "{text}");

    // A step's profile is kept with its result; none is kept for a step without one.
    let mut profiles = vec![None; lab.steps.len()];
    profiles[0] = Some(Arc::new(profile.clone()));
    profiles[1] = Some(Arc::new(profile.clone()));
    effects.execute(Command::KeepLabResults {
        lab: Box::new(lab.clone()),
        threads: 2,
        attempts,
        profiles,
    });
    let setting = crate::lab::saved::Setting::of(&lab, 2);
    let back = crate::lab::saved::load(&lab, &setting);
    let kept = back[0].as_ref().expect("step 1 kept");
    assert_eq!(kept.attempt, attempt);
    assert_eq!(
        kept.profile
            .as_ref()
            .map(crate::profile::Profile::to_folded),
        Some(profile.to_folded())
    );
    assert!(back[1..].iter().all(Option::is_none));
}

#[test]
fn the_notes_notice_names_which_files_were_written_over() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("NOTES.md");
    let chart = dir.path().join(crate::report::CHART_FILE);
    std::fs::write(&chart, "old").unwrap();
    let before = export::beside(&notes, &["naive", "native"], true);
    for p in [
        "flamegraphs/naive.svg",
        "flamegraphs/native.svg",
        crate::report::CHART_FILE,
    ] {
        write_into(&dir.path().join(p), b"new").unwrap();
    }
    assert_eq!(
        export::also_wrote(&before),
        " with speedup.svg and 2 flamegraphs beside it (replacing the old speedup.svg there)"
    );
}

#[test]
fn an_export_whose_folder_cannot_be_written_in_goes_to_ladder_exports_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    // A folder that can be made, and one that cannot (a file stands where it would be: no
    // permission bits are needed, so this holds for root too).
    let fine = dir.path().join("new/NOTES.md");
    assert_eq!(export::writable(fine.clone()), (fine, String::new()));
    let file = dir.path().join("stick");
    std::fs::write(&file, "").unwrap();
    let (moved, note) = export::writable(file.join("NOTES.md"));
    assert!(
        moved.ends_with("ladder-exports/NOTES.md"),
        "{}",
        moved.display()
    );
    assert!(
        note.contains("stick cannot be written in:") && note.contains("ladder-exports"),
        "{note}"
    );
}

#[test]
fn notes_asked_for_under_a_file_are_written_whole_where_they_fall_back() {
    let results = one_rung_results;
    let flames = || {
        let profile =
            crate::profile::Profile::from_folded("t;ladder::rungs::naive::norm 30\n", 997).unwrap();
        // A fast rung profiled once at a small n: two samples, noise to hand out.
        let thin =
            crate::profile::Profile::from_folded("t;ladder::rungs::native::tile 2\n", 997).unwrap();
        vec![
            ("naive".to_string(), Arc::new(profile)),
            ("native".to_string(), Arc::new(thin)),
        ]
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gone");
    std::fs::write(&file, "").unwrap();
    // No notes can be under a file: none to keep, and the export is whole where it went.
    let there = dir.path().join("exports/NOTES.md");
    let wrote = export::notes(there.clone(), &file.join("NOTES.md"), results(), &flames())
        .expect("written where it fell back");
    assert_eq!(wrote.path, there);
    assert!(there.is_file());
    assert!(dir.path().join("exports/flamegraphs/naive.svg").is_file());
    assert!(!dir.path().join("exports/flamegraphs/native.svg").exists());
    assert!(
        wrote
            .also
            .contains("no flamegraph of native: too few samples"),
        "{wrote:?}"
    );
    // Notes that cannot be read (a folder where the file would be) stop it before any file.
    let blocked = dir.path().join("blocked/NOTES.md");
    std::fs::create_dir_all(&blocked).unwrap();
    let out = dir.path().join("out/NOTES.md");
    assert!(export::notes(out, &blocked, results(), &flames()).is_err());
    assert!(!dir.path().join("out").exists(), "nothing written");
}

/// Results of one run of naive on 300 vectors.
fn one_rung_results() -> crate::report::Results {
    let info = crate::rungs::find("naive").unwrap().info();
    let mut naive = crate::run::RunReport::new(&info, 2, 300);
    naive.rows_done = 300;
    naive.estimated_s = 1.0;
    naive.status = crate::run::RunStatus::Completed;
    crate::report::test_results(vec![naive])
}

#[test]
fn a_report_from_before_the_session_is_kept_and_the_app_s_own_is_written_again() {
    let (tx, rx) = std::sync::mpsc::channel();
    let mut effects = Effects::new(tx, Vec::new());
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("report.html");
    std::fs::write(&mine, "made with ladder report and a sweep").unwrap();
    let mut export = || {
        effects.execute(Command::ExportReport(
            mine.clone(),
            Box::new(one_rung_results()),
            Vec::new(),
        ));
        match rx.try_recv() {
            Ok(Event::App(Msg::Exported(Ok(w)))) => w,
            _ => panic!("no export said"),
        }
    };
    let first = export();
    assert_eq!(first.path, dir.path().join("report-2.html"));
    assert!(
        first.also.contains("report.html, from before, is kept"),
        "{first:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&mine).unwrap(),
        "made with ladder report and a sweep"
    );
    // Its own file, written again: replaced, not a third.
    let again = export();
    assert_eq!(again.path, first.path);
    assert!(!dir.path().join("report-3.html").exists());
}

#[test]
fn a_report_with_thin_flamegraphs_says_which_and_how_to_thicken_them() {
    let dir = tempfile::tempdir().unwrap();
    let thin =
        crate::profile::Profile::from_folded("t;ladder::rungs::naive::dot 12\n", 997).unwrap();
    let wrote = export::report(
        dir.path().join("report.html"),
        one_rung_results(),
        vec![("naive".into(), Arc::new(thin), false)],
    )
    .unwrap();
    assert!(
        wrote
            .also
            .contains("thin flamegraphs: naive (f on a rung runs it again"),
        "{wrote:?}"
    );
}
