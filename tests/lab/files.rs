//! The lab's files: what `-o` may write, a broken lab.toml named, NOTES.md, and the lab's own
//! perf history and gate.

use serde_json::Value;

use super::{have_numpy, ladder, solutions};

#[test]
fn the_output_file_never_lands_on_the_lab_s_own_files() {
    let dir = tempfile::tempdir().unwrap();
    ladder()
        .args(["lab", "init"])
        .arg(dir.path())
        .assert()
        .success();
    let refused = |victim: &str| {
        let file = dir.path().join(victim);
        let before = std::fs::read(&file).ok();
        let out = ladder()
            .args(["lab", "check"])
            .arg(dir.path())
            .arg("-o")
            .arg(&file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{victim}: {err}");
        assert!(
            err.contains("would write over your lab's"),
            "{victim}: {err}"
        );
        assert_eq!(std::fs::read(&file).ok(), before, "{victim}");
    };
    for victim in [
        "lab.toml",
        "02_algorithmic.py",
        "README.md",
        "tests/test_bench.py",
        ".gitignore",
        "06_pyo3/Cargo.toml",
        // The gate's history, before its first climb is recorded and after.
        "perf/history.jsonl",
        // The student's notes (only `lab notes` writes there, keeping their text).
        "NOTES.md",
    ] {
        refused(victim);
    }
    std::fs::create_dir_all(dir.path().join("flamegraphs")).unwrap();
    let out = ladder()
        .args(["lab", "check"])
        .arg(dir.path())
        .arg("-o")
        .arg(dir.path().join("flamegraphs/naive.svg"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("your NOTES.md links to"));
    std::fs::write(dir.path().join("perf/history.jsonl"), "{}\n").unwrap();
    refused("perf/history.jsonl");
    // A folder that is not there is said before any work.
    let out = ladder()
        .args(["lab", "check"])
        .arg(dir.path())
        .args(["-o", "/no/such/folder/out.txt"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    // A folder is said before any work too, by notes as by check.
    let out = ladder()
        .args(["lab", "notes"])
        .arg(dir.path())
        .arg("-o")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a folder"));
    assert!(
        !dir.path().join("NOTES.md").exists(),
        "nothing climbed, nothing written"
    );
    // A step file given instead of the folder.
    let out = ladder()
        .args(["lab", "check"])
        .arg(dir.path().join("01_naive.py"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("this is a file: give the lab's folder"));
}

#[test]
fn a_broken_lab_file_names_itself_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let out = ladder()
        .args(["lab", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("holds no lab") && err.contains("ladder lab init"),
        "{err}"
    );
    // A mistyped folder is said to be missing, not to be an empty lab.
    let out = ladder()
        .args(["lab", "check"])
        .arg(dir.path().join("ladder-lba"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ladder-lba does not exist"), "{err}");
    let cases = [
        (
            "format_version = 1\n[workload]\nn = 10\nd = 4\nbudget = 1.0\n",
            "steps",
        ),
        (
            "format_version = 1\n[workload]\nn = 10\nd = 4\nbudget = 1.0\n[[steps]]\nid = \"a\"\nfile = \"../a.py\"\ntitle = \"t\"\nstep = \"baseline\"\n",
            "inside the lab folder",
        ),
        (
            "format_version = 1\n[workload]\nn = 10\nd = 4\nbudget = 1.0\n[[steps]]\nid = \"a\"\nfile = \"a.py\"\ntitle = \"t\"\nstep = \"baseline\"\nfloor = { over = \"b\", at_least = 2.0, why = \"w\" }\n",
            "not an earlier step",
        ),
        (
            "format_version = 1\n[workload]\nn = 10\nd = 4\nbudget = -1.0\n[[steps]]\nid = \"a\"\nfile = \"a.py\"\ntitle = \"t\"\nstep = \"baseline\"\n",
            "budget",
        ),
    ];
    for (text, want) in cases {
        std::fs::write(dir.path().join("lab.toml"), text).unwrap();
        let out = ladder()
            .args(["lab", "check"])
            .arg(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains("lab.toml") && err.contains(want),
            "{err} (want {want})"
        );
    }
}

#[test]
fn lab_notes_writes_the_table_ours_beside_and_the_claims() {
    if !have_numpy() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    std::fs::copy(
        solutions().join("02_algorithmic.py"),
        lab.join("02_algorithmic.py"),
    )
    .unwrap();
    let out = ladder()
        .args(["lab", "notes"])
        .arg(&lab)
        .args(["--n", "60", "--d", "8", "--budget", "1", "--unlock-all"])
        .output()
        .unwrap();
    // Steps 3 on are unsolved: the lab does not pass, but the notes are written.
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let notes = std::fs::read_to_string(lab.join("NOTES.md")).unwrap();
    assert!(notes.contains("| `naive` | `01_naive.py` |"), "{notes}");
    assert!(
        notes.contains("## Our rungs on the same workload"),
        "{notes}"
    );
    assert!(notes.contains("| `native` |"), "{notes}");
    assert!(
        notes.contains("## The course's claims, on my numbers"),
        "{notes}"
    );
    assert!(
        notes.contains("\"vectorizing wins ~100x\": not measured yet"),
        "{notes}"
    );
    // Climbed at another size than the floors are set for: the hand-in says so.
    assert!(
        notes.contains("**Not the lab's size:** the floors are set for 2000 × 128"),
        "{notes}"
    );
    // The stretch step's untouched template is not a failure.
    assert!(notes.contains("| optional, not tried |"), "{notes}");
    // What the student writes in their notes is theirs: the next export keeps it.
    std::fs::write(
        lab.join("NOTES.md"),
        format!("{notes}\n## My reflections\nnorms once was the big win\n"),
    )
    .unwrap();
    let again = ladder()
        .args(["lab", "notes"])
        .arg(&lab)
        .args(["--n", "60", "--d", "8", "--budget", "1", "--unlock-all"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(1), "{again:?}");
    let notes = std::fs::read_to_string(lab.join("NOTES.md")).unwrap();
    assert!(
        notes.ends_with("## My reflections\nnorms once was the big win\n"),
        "{notes}"
    );
    assert_eq!(notes.matches("# My ladder").count(), 1, "{notes}");
}

#[test]
fn lab_notes_links_the_flamegraphs_the_app_took_of_unchanged_files() {
    if !have_numpy() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (lab, cache) = (tmp.path().join("lab"), tmp.path().join("cache"));
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    // The lab's own workload, small: kept results are of the lab's size only.
    let toml = std::fs::read_to_string(lab.join("lab.toml")).unwrap();
    let toml = toml
        .replace("n = 2000", "n = 60")
        .replace("d = 128", "d = 8")
        .replace("budget = 4.0", "budget = 1.0");
    std::fs::write(lab.join("lab.toml"), toml).unwrap();
    let climb = |cmd: &str| {
        ladder()
            .args(["lab", cmd])
            .arg(&lab)
            .args(["--threads", "2"])
            .env("LADDER_CACHE_DIR", &cache)
            .output()
            .unwrap()
    };
    assert_eq!(climb("check").status.code(), Some(1));
    // The app profiled step 1 (py-spy) and kept the profile with its result.
    let kept = std::fs::read_dir(cache.join("labs"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .next()
        .unwrap_or_else(|| panic!("no kept results in {}", cache.display()));
    let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(&kept).unwrap()).unwrap();
    doc["steps"][0]["profile"] = serde_json::json!({
        "frequency": 250,
        "folded": "similarity (01_naive.py:31) 40\n",
    });
    std::fs::write(&kept, doc.to_string()).unwrap();

    let out = climb("notes");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let notes = std::fs::read_to_string(lab.join("NOTES.md")).unwrap();
    assert!(
        notes.contains("[`naive`](flamegraphs/naive.svg)"),
        "{notes}"
    );
    let svg = std::fs::read_to_string(lab.join("flamegraphs/naive.svg")).unwrap();
    assert!(
        svg.contains("similarity"),
        "the step's own function is in it"
    );
    // Away from the app, a step not run is said without the app's keys.
    assert!(!notes.contains("Enter"), "{notes}");
    assert!(notes.contains("| `naive` |"), "{notes}");
}

#[test]
fn record_appends_the_climb_and_gate_compares_with_the_last_one_on_this_machine() {
    if !have_numpy() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    let climb = |extra: &[&str]| {
        ladder()
            .args(["lab", "check"])
            .arg(&lab)
            .args(["--n", "60", "--d", "8", "--budget", "1"])
            .args(extra)
            .output()
            .unwrap()
    };
    let first = climb(&["--gate", "--record"]);
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(err.contains("nothing recorded on this machine"), "{err}");
    let history = lab.join("perf/history.jsonl");
    assert_eq!(
        std::fs::read_to_string(&history).unwrap().lines().count(),
        1
    );
    // Step 1 counted then; deleting it makes the gate fail, whatever else the lab says.
    std::fs::remove_file(lab.join("01_naive.py")).unwrap();
    let second = climb(&["--check", "--record"]);
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("gate FAILED: naive: counted before and does not count now"),
        "{err}"
    );
    assert_eq!(second.status.code(), Some(1));
    // A fall is not recorded: it would be the next gate's reference.
    assert!(err.contains("not recorded: the gate failed"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&history).unwrap().lines().count(),
        1
    );
}

#[test]
fn init_missing_inside_a_lab_writes_back_there_and_init_refuses_a_lab_in_a_lab() {
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("ladder-lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    std::fs::remove_file(lab.join("03_numpy.py")).unwrap();
    // Run from inside the lab, as a student in it would.
    let out = ladder()
        .current_dir(&lab)
        .args(["lab", "init", "--missing"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(lab.join("03_numpy.py").is_file());
    assert!(!lab.join("ladder-lab").exists(), "a lab inside the lab");
    let out = ladder()
        .current_dir(&lab)
        .args(["lab", "init"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("this folder is a lab already") && err.contains("--missing"),
        "{err}"
    );
    assert!(!lab.join("ladder-lab").exists());
}

/// An output the check cannot write is refused before the climb (which takes minutes), not
/// after it.
#[test]
fn lab_check_refuses_an_output_it_cannot_write_before_climbing() {
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    let out = ladder()
        .args(["lab", "check"])
        .arg(&lab)
        .args(["--format", "json", "-o"])
        .arg(tmp.path().join("no-such-folder/lab.json"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("does not exist"), "{err}");
    // No step ran: none was announced ("[1/7] naive ...").
    assert!(!err.contains("[1/"), "{err}");
}
