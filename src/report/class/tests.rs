use std::path::{Path, PathBuf};

use super::{Class, Skip, file_key};

#[test]
fn a_file_is_its_students_by_its_name_or_its_folder() {
    for (path, key) in [
        ("hand-ins/ada-run.json", "ada"),
        ("ada_lab.json", "ada"),
        ("Ada.Lessons.json", "Ada"),
        ("ada-lab-check.json", "ada"),
        ("hand-ins/grace/run.json", "grace"),
        ("grace hopper.json", "grace hopper"),
        // A name that only ends like a kind word keeps it.
        ("bjorn.json", "bjorn"),
        ("maryrun.json", "maryrun"),
        ("run.json", "run"),
    ] {
        assert_eq!(file_key(Path::new(path)), key, "{path}");
    }
}

#[test]
fn files_merge_by_name_and_by_learner_and_bad_ones_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let lessons = |learner: &str| {
        format!(
            r#"{{"schema_version": 2, "learner": "{learner}", "machine": "cpu (2 cores, avx2)",
               "lessons": [{{"title": "Profile first", "steps_done": 3, "steps_total": 9,
               "score": {{"right_first_time": 1, "questions": 2, "predictions": 1}},
               "answers": [{{"kind": "predict", "question": "How many times faster?",
                 "first_attempt_right": true, "attempts": [{{"predicted": 4.0, "measured": 5.0}}]}},
                 {{"kind": "explain", "question": "Why?", "attempts": [{{"text": "first"}},
                 {{"text": "  norms once  "}}]}}]}}]}}"#
        )
    };
    let lab = r#"{"lab": "ladder-lab", "all_count": false, "steps": [
        {"id": "naive", "counts": true, "speedup_vs_baseline": 1.0},
        {"id": "algorithmic", "counts": true, "speedup_vs_baseline": 3.2},
        {"id": "numpy", "counts": false, "reason": "too slow"},
        {"id": "pyo3", "optional": true, "counts": false, "reason": "locked"}]}"#;
    let files = vec![
        write("ada-lab.json", lab),
        write("broken.json", "{\"rungs\": ["),
        // Named by its learner, not its file: joins Ada's lab through the other export.
        write("ada-lessons.json", &lessons("Ada Lovelace")),
        write("x.json", &lessons("ada lovelace")),
        write("foreign.json", r#"{"name": "something else"}"#),
        // Grace's own lab (the same figures, not the same file), from a loosened lab.toml.
        write(
            "grace_lab.json",
            &lab.replace(
                "\"all_count\": false,",
                "\"all_count\": false, \"loosened\": [\"step naive has given turned off\"],",
            ),
        ),
        write("grace_lab2.json", r#"{"lab": "l", "steps": "not a list"}"#),
        // Linus handed in only a file cut short: he has a row, saying so.
        write("linus-run.json", "{\"rungs\": ["),
    ];
    let class = Class::gather(&files);
    let names: Vec<&str> = class.students.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Ada Lovelace", "grace", "linus"]);
    // A loosened lab.toml is said above the table and in the student's section.
    assert!(
        class
            .cautions()
            .iter()
            .any(|c| c.contains("The lab.toml of grace asks less")),
        "{:?}",
        class.cautions()
    );
    assert!(
        class.students[1]
            .notes
            .iter()
            .any(|n| n.contains("step naive has given turned off"))
    );
    assert!(!class.students[2].read_anything());
    assert_eq!(class.students[2].notes, [super::NOTHING_READABLE]);
    let ada = &class.students[0];
    assert_eq!(ada.files.len(), 3, "{:?}", ada.files);
    assert_eq!(ada.notes.len(), 1, "the second export replaces the first");
    let lab = ada.lab.as_ref().unwrap();
    assert_eq!(lab.highest.as_ref().unwrap().id, "algorithmic");
    // The optional step is not counted, as `ladder lab check` does not count it.
    assert_eq!((lab.counted, lab.steps), (2, 3));
    let l = ada.lessons.as_ref().unwrap();
    assert_eq!(l.scored(), 1);
    assert_eq!(l.median_off_by(), Some(1.25));
    assert_eq!(
        l.explanations[0].text, "norms once",
        "the latest text, trimmed"
    );
    let skipped: Vec<(String, String)> = class
        .skipped
        .iter()
        .map(|k| {
            (
                PathBuf::from(&k.file)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                k.why.to_string(),
            )
        })
        .collect();
    assert_eq!(skipped.len(), 4, "{skipped:?}");
    assert_eq!(skipped[0].0, "broken.json");
    assert!(skipped[0].1.starts_with("not JSON"), "{}", skipped[0].1);
    assert!(matches!(class.skipped[1].why, Skip::Foreign));
    assert!(
        skipped[2].1.contains("a lab's results") && skipped[2].1.contains("cut short"),
        "{}",
        skipped[2].1
    );
    // Why a file was skipped is our own words: its commands stay code in the Markdown.
    let md = class.markdown();
    assert!(md.contains("`ladder run --format json`"), "{md}");
    assert!(!md.contains("\\`"), "{md}");
}

#[test]
fn files_called_alike_stay_apart_when_they_record_different_names() {
    let dir = tempfile::tempdir().unwrap();
    let lab = |learner: &str| {
        format!(
            r#"{{"lab": "ladder-lab", "learner": "{learner}", "steps": [
                {{"id": "naive", "counts": true, "speedup_vs_baseline": 1.0}}]}}"#
        )
    };
    let mut files = Vec::new();
    for (folder, learner) in [("s1", "Ada"), ("s2", "Grace")] {
        std::fs::create_dir(dir.path().join(folder)).unwrap();
        let p = dir.path().join(folder).join("results.json");
        std::fs::write(&p, lab(learner)).unwrap();
        files.push(p);
    }
    // A file that records no name joins by its file's name (Ada's folder).
    let p = dir.path().join("ada.json");
    std::fs::write(&p, lab("")).unwrap();
    files.push(p);
    let class = Class::gather(&files);
    let names: Vec<&str> = class.students.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["Ada", "Grace"],
        "{:?}",
        class.students.iter().map(|s| &s.files).collect::<Vec<_>>()
    );
    assert_eq!(class.students[0].files.len(), 2);
}

#[cfg(unix)]
#[test]
fn a_device_handed_in_as_json_is_skipped_not_read_forever() {
    let dir = tempfile::tempdir().unwrap();
    let zero = dir.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let class = Class::gather(&[zero]);
    assert!(class.students.is_empty());
    assert!(
        class.skipped[0]
            .why
            .to_string()
            .contains("not a regular file"),
        "{}",
        class.skipped[0].why
    );
}

#[test]
fn a_copied_hand_in_and_a_file_named_for_someone_else_are_said() {
    let dir = tempfile::tempdir().unwrap();
    let lab = |learner: &str| {
        format!(
            r#"{{"lab": "l", "learner": "{learner}", "steps": [
               {{"id": "naive", "counts": true, "speedup_vs_baseline": 1.0}}]}}"#
        )
    };
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let ada = write("ada-lab.json", &lab("Ada"));
    // Bob handed in Ada's file, as it was; Cy's records Ada's name in a file of Cy's own.
    let bob = write("bob-lab.json", &lab("Ada"));
    let cy = write("cy-lab.json", &format!("{} ", lab("Ada")));
    let class = Class::gather(&[ada, bob, cy]);
    let notes = class.students[0].notes.join("\n");
    assert!(
        notes.contains("bob-lab.json holds the same measurements as")
            && notes.contains("ada-lab.json"),
        "{notes}"
    );
    assert!(
        notes.contains("named for cy, records the name Ada"),
        "{notes}"
    );
    assert!(!notes.contains("cy-lab.json holds the same"), "{notes}");
    // Ada's own file, named for her, is not said to be anyone else's.
    assert!(!notes.contains("named for ada"), "{notes}");
}

#[test]
fn the_best_share_of_peak_is_of_one_ceiling_for_every_rung() {
    use crate::run::{RunReport, RunStatus, VerificationReport};
    let rung = |id: &str, gflops: f64, own_pct: f64| {
        let info = crate::rungs::find(id).unwrap().info();
        let mut r = RunReport::new(&info, 2, 300);
        r.rows_done = 300;
        r.estimated_s = 1.0;
        r.status = RunStatus::Completed;
        r.gflops_work = gflops;
        r.peak_pct = own_pct;
        r.verification = Some(VerificationReport::passed_for_tests(None));
        r
    };
    let mut machine = crate::report::test_machine("cpu");
    machine.peak_gflops_all = 200.0;
    let results = crate::report::Results {
        workload: crate::report::WorkloadMeta {
            n: 300,
            d: 64,
            seed: 0,
            source: "normal".into(),
            zero_rows: 0,
        },
        machine,
        budget_s: 1.0,
        threads: 2,
        // The JIT's 128-bit, one-core ceiling is small: 60% of it is less work than the
        // threaded rung's 40% of the whole machine.
        rungs: vec![rung("jit", 12.0, 60.0), rung("threads", 80.0, 40.0)],
        learner: None,
    };
    let s = super::RunSummary::of(&results);
    let (id, pct) = s.best_peak.unwrap();
    assert_eq!(id, "threads");
    assert!((pct - 40.0).abs() < 1e-9, "{pct}");
    assert!(!s.best_peak_loaded && !s.best_speedup_loaded);

    // A baseline measured under load marks every speedup over it, in the summary's cells
    // and in the student's own table; a share of peak only when its own time was.
    let mut loaded = results.clone();
    loaded.rungs[0].estimated_s = 4.0;
    loaded.rungs[0].load_elsewhere = Some(1.1);
    let s = super::RunSummary::of(&loaded);
    assert!(s.best_speedup_loaded && !s.best_peak_loaded);
    let student = super::Student {
        name: "ada".into(),
        run: Some(s.clone()),
        ..super::Student::default()
    };
    let cells = super::render::row(&student, &super::UsualSizes::default());
    assert_eq!(cells[5], "4.00x threads !");
    assert_eq!(cells[4], "40% threads");
    assert!(super::render::run_rows(&s)[1][2].ends_with(" !"));

    // A renamed copy (only its name changed) is told by its times, to the nanosecond.
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (who, name) in [("ada", "Ada"), ("gus", "Gus")] {
        let mut r = results.clone();
        r.learner = Some(name.into());
        for x in &mut r.rungs {
            x.kernel_s = 0.123_456_789;
        }
        let path = dir.path().join(format!("{who}-run.json"));
        std::fs::write(&path, serde_json::to_string(&r).unwrap()).unwrap();
        files.push(path);
    }
    let class = Class::gather(&files);
    assert_eq!(class.students.len(), 2);
    let gus = class.students.iter().find(|s| s.name == "Gus").unwrap();
    assert!(
        gus.notes
            .iter()
            .any(|n| n.contains("holds the same measurements as")),
        "{:?}",
        gus.notes
    );
    // Flagged in the summary row, where the eye goes first.
    assert_eq!(
        super::render::row(gus, &super::UsualSizes::default())[0],
        "Gus (see notes: a copy?)"
    );
}

#[test]
fn a_lab_grade_that_stood_near_its_floor_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ada-lab.json");
    std::fs::write(
        &path,
        r#"{"lab": "l", "steps": [
           {"id": "naive", "counts": true, "speedup_vs_baseline": 1.0},
           {"id": "algorithmic", "counts": true,
            "floor": {"over": "naive", "at_least": 2.0, "why": "w", "measured": 2.3}},
           {"id": "numpy", "counts": true,
            "floor": {"over": "algorithmic", "at_least": 30.0, "why": "w", "measured": 300.0}}]}"#,
    )
    .unwrap();
    let class = Class::gather(&[path]);
    let notes = class.students[0].notes.join("\n");
    assert!(
        notes.contains("lab step algorithmic measured 2.30x over naive against a floor of 2.00x"),
        "{notes}"
    );
    // Ten times its floor is no noise's doing.
    assert!(!notes.contains("numpy"), "{notes}");
}

#[test]
fn runs_at_different_sizes_or_over_different_first_rungs_are_flagged() {
    use super::{RunSummary, Student};
    let student = |name: &str, workload: &str, base: &str| Student {
        name: name.into(),
        run: Some(RunSummary {
            workload: workload.into(),
            base: Some(base.into()),
            ..RunSummary::default()
        }),
        ..Student::default()
    };
    let alike = Class {
        students: vec![
            student("ada", "10000 × 768", "naive"),
            student("bob", "10000 × 768", "naive"),
        ],
        skipped: vec![],
    };
    assert!(alike.cautions().is_empty(), "{:?}", alike.cautions());
    let unlike = Class {
        students: vec![
            student("ada", "10000 × 768", "naive"),
            student("bob", "2000 × 768", "naive"),
            student("cy", "10000 × 768", "vectorized"),
        ],
        skipped: vec![],
    };
    let c = unlike.cautions();
    assert_eq!(c.len(), 2, "{c:?}");
    assert!(
        c[0].contains("10000 × 768 (ada, cy); 2000 × 768 (bob)"),
        "{}",
        c[0]
    );
    assert!(
        c[1].contains("naive (ada, bob); vectorized (cy)"),
        "{}",
        c[1]
    );
    assert!(
        unlike
            .markdown()
            .contains("**Compare with care:** The runs are at different sizes")
    );
    assert!(
        unlike
            .html()
            .contains("Compare with care:</span> The runs are at different sizes")
    );
}

#[test]
fn a_lab_or_run_at_another_size_than_the_class_says_its_size_in_its_row() {
    use super::{LabSummary, RunSummary, Student};
    let student = |name: &str, lab: &str, run: &str| Student {
        name: name.into(),
        lab: Some(LabSummary {
            workload: lab.into(),
            ..LabSummary::default()
        }),
        run: Some(RunSummary {
            workload: run.into(),
            ..RunSummary::default()
        }),
        ..Student::default()
    };
    let class = Class {
        students: vec![
            student("ada", "2000 × 768", "10000 × 768"),
            student("bob", "300 × 768", "10000 × 768"),
            student("cy", "2000 × 768", "10000 × 768"),
        ],
        skipped: vec![],
    };
    let text = class.markdown();
    let line = |who: &str| {
        text.lines()
            .find(|l| l.starts_with(&format!("| {who} ")))
            .unwrap_or_else(|| panic!("{who} in {text}"))
            .to_string()
    };
    assert!(line("bob").contains("(at 300 × 768)"), "{}", line("bob"));
    assert!(!line("ada").contains("(at "), "{}", line("ada"));
    // One size for every run: nothing to say.
    assert!(!text.contains("(at 10000"), "{text}");
    assert!(class.html().contains("(at 300 × 768)"));
    // One each at two sizes: neither is the odd one out.
    let tie = Class {
        students: vec![
            student("ada", "2000 × 768", "10000 × 768"),
            student("bob", "300 × 768", "10000 × 768"),
        ],
        skipped: vec![],
    };
    assert!(!tie.markdown().contains("(at "), "{}", tie.markdown());
}

#[test]
fn two_names_that_may_be_one_student_are_said() {
    let student = |name: &str| super::Student {
        name: name.into(),
        ..super::Student::default()
    };
    let class = Class {
        students: vec![student("grace"), student("Ada"), student("Grace Hopper")],
        skipped: vec![],
    };
    let c = class.cautions();
    assert!(
        c.iter()
            .any(|x| x.starts_with("grace and Grace Hopper may be one student")),
        "{c:?}"
    );
    let apart = Class {
        students: vec![
            student("grace"),
            student("Ada"),
            student("Alex Smith"),
            student("Alex Jones"),
            student("team-01"),
            student("team-02"),
        ],
        skipped: vec![],
    };
    assert!(apart.cautions().is_empty(), "{:?}", apart.cautions());
}

#[test]
fn a_lab_climbed_at_another_size_than_its_lab_toml_asks_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let doc = |n: usize| {
        format!(
            r#"{{"lab": "ladder-lab", "all_count": true,
               "workload": {{"n": {n}, "d": 768, "seed": 0, "source": "normal", "zero_rows": 2}},
               "lab_size": {{"n": 2000, "d": 768}},
               "steps": [{{"id": "naive", "counts": true}}]}}"#
        )
    };
    let ada = dir.path().join("ada-lab.json");
    let bob = dir.path().join("bob-lab.json");
    std::fs::write(&ada, doc(2000)).unwrap();
    std::fs::write(&bob, doc(300)).unwrap();
    let class = Class::gather(&[ada, bob]);
    let cautions = class.cautions().join("\n");
    assert!(
        cautions.contains("The lab of bob was climbed at another size"),
        "{cautions}"
    );
    assert!(!cautions.contains("ada was climbed"), "{cautions}");
    let bob = class.students.iter().find(|s| s.name == "bob").unwrap();
    assert!(
        bob.notes
            .iter()
            .any(|n| n.contains("climbed at 300 × 768, not at the 2000 × 768")),
        "{:?}",
        bob.notes
    );
    // A second lab file replaces the first, and what the first said goes with it: once.
    std::fs::create_dir(dir.path().join("bob")).unwrap();
    let again = dir.path().join("bob").join("lab.json");
    std::fs::write(&again, doc(400)).unwrap();
    let class = Class::gather(&[dir.path().join("bob-lab.json"), again.clone()]);
    let notes = &class.students[0].notes;
    assert_eq!(
        notes.iter().filter(|n| n.contains("climbed at")).count(),
        1,
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("climbed at 400 × 768")),
        "{notes:?}"
    );
    // Whichever name sorts first, the file written later is the one shown.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_hours(1);
    written_at(&again, hour_ago);
    let class = Class::gather(&[dir.path().join("bob-lab.json"), again.clone()]);
    let notes = &class.students[0].notes;
    assert!(
        notes.iter().any(|n| n.contains("climbed at 300 × 768")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("older than") && n.contains("which is shown")),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|n| n.contains("climbed at 400 × 768")),
        "the older file's notes go with it: {notes:?}"
    );
    // Files of one time (unzipped hand-ins): the one given later is shown, and not said to be
    // written later.
    let first = dir.path().join("bob-lab.json");
    written_at(&first, hour_ago);
    let class = Class::gather(&[first, again]);
    let notes = &class.students[0].notes;
    assert!(
        notes.iter().any(|n| n.contains("climbed at 400 × 768")),
        "{notes:?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.contains("of the same time as (or no time known) and given after")),
        "{notes:?}"
    );
}

/// Sets when `path` was last written, as an unzipped or copied hand-in's time would be.
fn written_at(path: &std::path::Path, when: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(when)
        .unwrap();
}

#[test]
fn a_prediction_made_after_its_measurement_is_practice_not_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ada.json");
    // The first prediction was made with both rungs measured (the app says "practice"); the
    // second before its measurement, and close.
    std::fs::write(
        &p,
        r#"{"schema_version": 2, "learner": "Ada", "machine": "cpu (2 cores, avx2)",
           "lessons": [{"title": "Profile first", "steps_done": 3, "steps_total": 9,
           "score": {"right_first_time": 0, "questions": 0, "predictions": 2},
           "answers": [
             {"kind": "predict", "question": "How many times faster?", "attempts": [{"predicted": 6.0,
              "measured": 6.33, "scored": true,
              "unjudged": "practice: its measurement was on screen before it"}]},
             {"kind": "predict", "question": "And threads?", "first_attempt_right": true,
              "attempts": [{"predicted": 2.0, "measured": 1.9, "scored": true}]},
             {"kind": "predict", "question": "How many MB does each request leave?",
              "first_attempt_right": true, "unit": "MB",
              "attempts": [{"predicted": 6.0, "measured": 6.15, "scored": true}]}]}]}"#,
    )
    .unwrap();
    let class = Class::gather(&[p]);
    let l = class.students[0].lessons.as_ref().unwrap();
    assert_eq!((l.scored(), l.judged(), l.unjudged()), (2, 2, 1));
    let rows = super::render::prediction_rows(l);
    assert_eq!(rows[0][5], "practice (measured first)");
    assert_eq!(rows[1][5], "✓ close");
    assert_eq!(rows[1][2], "2.00x");
    // A leak's prediction is an amount in MB, not a speedup.
    assert_eq!(rows[2][2..4], ["6.00 MB", "6.15 MB"]);
    let md = class.markdown();
    assert!(md.contains("2 of 2 predictions close"), "{md}");
    assert!(md.contains("1 more not counted"), "{md}");
}

#[test]
fn a_file_named_as_a_hand_in_is_its_students_whatever_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let carol = dir.path().join("carol-lab.json");
    let package = dir.path().join("package.json");
    std::fs::write(&carol, r#"{"a": 1}"#).unwrap();
    std::fs::write(&package, r#"{"name": "left-pad"}"#).unwrap();
    let class = Class::gather(&[carol, package]);
    // Carol handed in the wrong file: she has a row saying so; package.json is no one's.
    let names: Vec<&str> = class.students.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["carol"]);
    assert_eq!(class.students[0].notes, [super::NOTHING_READABLE]);
    assert_eq!(class.skipped.len(), 2);
}
