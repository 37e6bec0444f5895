//! `ladder bench`: medians, the history, and the per-machine baseline behind the gate.

use predicates::prelude::*;
use tempfile::TempDir;

use super::ladder;

#[test]
fn bench_reports_medians_and_records_history() {
    let dir = TempDir::new().unwrap();
    let hist = dir.path().join("history.jsonl");
    let out = ladder()
        .args([
            "bench",
            "--n",
            "64",
            "--d",
            "16",
            "--repeat",
            "3",
            "--warmup",
            "0",
            "--rungs",
            "algorithmic,native",
            "--format",
            "json",
            "--record",
            "--history-file",
        ])
        .arg(&hist)
        .assert()
        .success()
        .stderr(predicate::str::contains("recorded in"))
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["baseline_rung"], "algorithmic");
    let rungs = doc["rungs"].as_array().unwrap();
    assert_eq!(rungs.len(), 2);
    assert_eq!(rungs[0]["speedup_vs_baseline"], 1.0);
    assert!(rungs[1]["time"]["median"].as_f64().unwrap() > 0.0);
    // The history holds one line, and --history prints it; a corrupt line is reported.
    let mut text = std::fs::read_to_string(&hist).unwrap();
    assert_eq!(text.lines().count(), 1);
    text.push_str("{\"truncated\n");
    std::fs::write(&hist, text).unwrap();
    ladder()
        .args(["bench", "--history", "--history-file"])
        .arg(&hist)
        .assert()
        .success()
        .stdout(predicate::str::contains("algorithmic"))
        .stderr(predicate::str::contains("line 2: not a history entry"));
}

#[test]
fn bench_check_without_a_baseline_says_how_to_make_one() {
    let dir = TempDir::new().unwrap();
    ladder()
        .args(["bench", "--check", "--baseline"])
        .arg(dir.path().join("baseline.json"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--update-baseline"));
}

#[test]
fn a_baseline_is_kept_per_machine_and_the_gate_measures_a_suspect_twice() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("baseline.json");
    // Another machine's baseline, expecting algorithmic to be 1000x naive there.
    let other = serde_json::json!({
        "schema_version": 2,
        "baselines": [{
            "machine": {"cpu": "Elsewhere CPU", "model": "family 1 model 1", "cores": 64, "isa": "neon"},
            "workload": {"n": 120, "d": 16},
            "baseline_rung": "naive",
            "recorded_on": "2026-01-01T00:00:00Z",
            "rungs": [
                {"rung": "naive", "speedup_vs_baseline": 1.0, "peak_fraction": 0.0001, "threshold": 0.15},
                {"rung": "algorithmic", "speedup_vs_baseline": 1000.0, "peak_fraction": 0.0001, "threshold": 0.15}
            ]
        }]
    });
    std::fs::write(&path, other.to_string()).unwrap();
    let bench = |extra: &[&str]| {
        let mut c = ladder();
        c.args(["bench", "--repeat", "1", "--baseline"])
            .arg(&path)
            .args(extra);
        c
    };
    // Judged against the other machine's baseline: algorithmic falls short, is measured again,
    // falls short again, and the gate fails, saying why.
    bench(&["--check"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(
            "no baseline was recorded on this machine",
        ))
        .stdout(predicate::str::contains(
            "algorithmic fell past the threshold: measuring it again beside naive (2 runs each)",
        ))
        .stdout(predicate::str::contains("REGRESSED again on a second run"))
        .stdout(predicate::str::contains("gate: FAILED (algorithmic)"));
    // In JSON, stdout is one document with the gate in it; the tables go to stderr.
    let out = bench(&["--check", "--format", "json"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("gate: FAILED (algorithmic)"))
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let gate = &doc["gate"];
    assert_eq!(gate["passed"], false);
    assert_eq!(gate["same_machine"], false);
    let algo = &gate["rows"][1];
    assert_eq!(algo["rung"], "algorithmic");
    assert_eq!(algo["verdict"], "regressed");
    assert!(algo["first_ratio"].as_f64().unwrap() < 0.85, "{algo}");
    // Recording here adds this machine and keeps the other.
    bench(&[
        "--update-baseline",
        "--rungs",
        "naive,algorithmic",
        "--n",
        "120",
        "--d",
        "16",
    ])
    .assert()
    .success()
    .stderr(predicate::str::contains("(2 machines)"));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let baselines = doc["baselines"].as_array().unwrap();
    assert_eq!(baselines.len(), 2);
    assert_eq!(baselines[0], other["baselines"][0]);
    // Now this machine is judged by its own: no note, and its thresholds come from the other's.
    assert_eq!(baselines[1]["rungs"][1]["threshold"], 0.15);
    bench(&["--check"])
        .assert()
        .stdout(predicate::str::contains("no baseline was recorded").not());
}

#[test]
fn updating_an_unreadable_baseline_leaves_it_alone() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("baseline.json");
    std::fs::write(&path, "{ half a file").unwrap();
    ladder()
        .args([
            "bench",
            "--update-baseline",
            "--rungs",
            "naive",
            "--n",
            "50",
            "--d",
            "8",
        ])
        .args(["--repeat", "1", "--baseline"])
        .arg(&path)
        .assert()
        .failure()
        .stderr(predicate::str::contains("not a valid baseline"))
        .stderr(predicate::str::contains("left as it is"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{ half a file");
}

/// A baseline is written only if the gate can read it back: an approximate rung has no share
/// of the peak, which the gate divides by.
#[test]
fn a_baseline_the_gate_would_refuse_is_not_written() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("baseline.json");
    ladder()
        .args(["bench", "--update-baseline", "--rungs", "naive,ann"])
        .args(["--n", "60", "--d", "8", "--repeat", "1", "--warmup", "0"])
        .arg("--baseline")
        .arg(&path)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "rung ann: its fraction of the machine's peak is 0",
        ))
        .stderr(predicate::str::contains("was not written"));
    assert!(!path.exists());
}
