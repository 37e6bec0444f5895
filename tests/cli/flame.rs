//! Flamegraphs: `ladder flame` in every format, and the ones `ladder run` links.

use predicates::prelude::*;
use tempfile::TempDir;

use super::ladder;

#[test]
fn flame_writes_svg_folded_pprof_and_diff() {
    let dir = TempDir::new().unwrap();
    let svg = dir.path().join("algo.svg");
    ladder()
        .args([
            "flame",
            "--rung",
            "algorithmic",
            "--n",
            "300",
            "--d",
            "64",
            "-o",
        ])
        .arg(&svg)
        .assert()
        .success()
        // "(svg, 1 sample)", "(svg, 12 samples)", or the note that none came.
        .stderr(predicate::str::contains("sample"));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<?xml") && text.contains("algorithmic"));
    let folded = dir.path().join("naive.folded");
    ladder()
        .args(["flame", "--rung", "naive", "--n", "400", "--d", "256", "-o"])
        .arg(&folded)
        .assert()
        .success();
    let text = std::fs::read_to_string(&folded).unwrap();
    assert!(text.contains("ladder::rungs::naive::norm"), "{text}");
    assert!(text.lines().all(|l| l.rsplit_once(' ').is_some()));
    let pb = dir.path().join("algo.pb");
    ladder()
        .args(["flame", "--rung", "native", "--n", "300", "--d", "64", "-o"])
        .arg(&pb)
        .assert()
        .success();
    assert!(!std::fs::read(&pb).unwrap().is_empty());
    let diff = dir.path().join("diff.svg");
    ladder()
        .args([
            "flame",
            "--diff",
            "naive,algorithmic",
            "--n",
            "600",
            "--d",
            "64",
            "-o",
        ])
        .arg(&diff)
        .assert()
        .success();
    assert!(
        std::fs::read_to_string(&diff)
            .unwrap()
            .contains("naive → algorithmic")
    );
    ladder()
        .args(["flame", "--diff", "naive"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("two rungs"));
}

#[test]
fn run_with_flamegraphs_links_them_from_the_table() {
    let dir = TempDir::new().unwrap();
    let flames = dir.path().join("flames");
    let out = ladder()
        .args([
            "run",
            "--n",
            "1000",
            "--d",
            "64",
            "--rungs",
            "naive,native",
            "--format",
            "markdown",
            "--flamegraphs",
        ])
        .arg(&flames)
        .assert()
        .success()
        .get_output()
        .clone();
    let md = String::from_utf8(out.stdout).unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(md.contains("| flamegraph |"), "{md}");
    assert!(md.contains("naive.svg)"), "{md}");
    assert!(flames.join("naive.svg").exists());
    // A rung too quick for one sample gets no empty picture, and is said to have none.
    if flames.join("native.svg").exists() {
        assert!(md.contains("native.svg)"), "{md}");
    } else {
        assert!(err.contains("native ran too briefly"), "{err}");
        assert!(!md.contains("native.svg"), "{md}");
    }
}

#[test]
fn flamegraphs_elsewhere_are_linked_from_the_output_s_own_folder() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    ladder()
        .current_dir(dir.path())
        .args(["run", "--n", "800", "--d", "64", "--rungs", "naive"])
        .args([
            "--flamegraphs",
            "flames",
            "--format",
            "markdown",
            "-o",
            "sub/notes.md",
        ])
        .assert()
        .success();
    let md = std::fs::read_to_string(dir.path().join("sub/notes.md")).unwrap();
    // From sub/, the flamegraphs are one folder up.
    assert!(md.contains("(../flames/naive.svg)"), "{md}");
    assert!(dir.path().join("flames/naive.svg").is_file());
}
