//! `ladder run` and its kin: the rungs and peers listed and run, the JSON, Markdown and CSV
//! they write, repeats, and the app without a terminal.

use predicates::prelude::*;
use tempfile::TempDir;

use super::ladder;

#[test]
fn rungs_lists_the_ladder_in_order() {
    let out = ladder()
        .arg("rungs")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    let ids: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            l.split_whitespace()
                .nth(1)
                .filter(|_| l.starts_with(char::is_numeric))
        })
        .collect();
    assert_eq!(
        ids,
        [
            "naive",
            "algorithmic",
            "vectorized",
            "native",
            "threads",
            "jit",
            "library",
            "topk"
        ]
    );
    assert!(
        text.contains("leaky") && text.contains("leak-fixed"),
        "{text}"
    );
}

#[test]
fn jit_shows_the_generated_ir_and_machine_code() {
    let out = ladder()
        .args(["jit", "--show-ir", "--d", "1000"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    // d = 1000 is two depth slices: two functions, each with its IR and machine code.
    assert!(
        text.contains("tile for kc = 768") && text.contains("tile for kc = 232"),
        "{text}"
    );
    assert!(text.contains("f32x4") && text.contains("fma"), "{text}");
    assert!(text.contains("compiled in"), "{text}");
    assert!(text.contains("machine code"), "{text}");
    ladder()
        .args(["jit", "--d", "0"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "d must be a whole number from 1 to",
        ));
}

#[test]
fn peers_are_listed_and_run_beside_the_rungs() {
    let out = ladder()
        .arg("peers")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).unwrap();
    for id in ["py-naive", "numpy", "numba", "faiss-flat", "hnswlib"] {
        assert!(text.contains(id), "{text}");
    }
    let out = ladder()
        .args([
            "run",
            "--rungs",
            "naive",
            "--peers",
            "py-builtins",
            "--n",
            "30",
            "--d",
            "8",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rungs = doc["rungs"].as_array().unwrap();
    assert_eq!(rungs.len(), 2);
    assert_eq!(rungs[1]["rung"], "py-builtins");
    assert_eq!(rungs[1]["verification"]["passed"], true);
    assert!(rungs[1]["peer"]["wall_s"].as_f64().unwrap() > 0.0);
    ladder()
        .args(["run", "--peers", "nosuch", "--n", "10", "--d", "4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown peer 'nosuch'"));
    ladder()
        .args(["run", "--rungs", "none", "--n", "10", "--d", "4"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to run"));
}

#[test]
fn run_json_carries_every_figure_with_a_schema_version() {
    let out = ladder()
        .args(["run", "--n", "120", "--d", "24", "--format", "json"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["workload"]["n"], 120);
    assert_eq!(doc["workload"]["d"], 24);
    assert_eq!(doc["workload"]["source"], "normal");
    assert!(doc["machine"]["peak_gflops_core"].as_f64().unwrap() > 0.0);
    let rungs = doc["rungs"].as_array().unwrap();
    assert_eq!(rungs.len(), 8);
    for r in rungs {
        for field in [
            "rung",
            "step",
            "status",
            "threads",
            "setup_s",
            "kernel_s",
            "rows_done",
            "rows_total",
            "estimated_s",
            "extrapolated",
            "pairs_per_s",
            "gflops_effective",
            "gflops_work",
            "peak_pct",
            "speedup_vs_baseline",
            "speedup_vs_previous",
            "peak_rss_bytes",
            "verification",
        ] {
            assert!(r.get(field).is_some(), "missing {field} in {r}");
        }
        assert_eq!(r["status"]["kind"], "completed");
        assert_eq!(r["verification"]["passed"], true);
    }
    assert_eq!(rungs[0]["speedup_vs_baseline"], 1.0);
    // Only the JIT generates code, and its compile time is reported apart.
    for r in rungs {
        assert_eq!(r["rung"] == "jit", r.get("compile").is_some(), "{r}");
    }
    let jit = rungs.iter().find(|r| r["rung"] == "jit").unwrap();
    assert!(jit["compile"]["seconds"].as_f64().unwrap() > 0.0);
    assert_eq!(jit["compile"]["cached"], false);
    assert!(doc["machine"]["peak_gflops_core_128"].as_f64().unwrap() > 0.0);
}

#[test]
fn markdown_csv_and_output_file() {
    let dir = TempDir::new().unwrap();
    let notes = dir.path().join("NOTES.md");
    // The student's own notes, which the table is written beside, never over.
    std::fs::write(&notes, "# My lecture notes\n\nWhy threads lost.\n").unwrap();
    ladder()
        .args([
            "run",
            "--n",
            "50",
            "--d",
            "8",
            "--rungs",
            "naive,native",
            "--format",
            "markdown",
            "-o",
        ])
        .arg(&notes)
        .assert()
        .success()
        .stderr(predicate::str::contains("wrote"));
    let md = std::fs::read_to_string(&notes).unwrap();
    assert!(md.contains(
        "| rung | step | time | GFLOP/s | % of peak | vs baseline | vs previous | verified |"
    ));
    assert!(md.contains("| `naive` |") && md.contains("| `native` |"));
    assert!(
        md.contains("# My lecture notes\n\nWhy threads lost."),
        "{md}"
    );
    // Its chart beside it, and no temporary file.
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["NOTES.md", "speedup.svg"]);

    ladder()
        .args([
            "run",
            "--n",
            "30",
            "--d",
            "5",
            "--rungs",
            "algorithmic",
            "--format",
            "csv",
        ])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("rung,step,status,"))
        .stdout(predicate::str::contains(
            "algorithmic,Algorithm,completed,1,30,5,",
        ));
}

#[test]
fn repeat_reports_medians_with_their_spread_and_every_run_s_verification() {
    let out = ladder()
        .args([
            "run",
            "--n",
            "80",
            "--d",
            "16",
            "--rungs",
            "naive,native",
            "--repeat",
            "3",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rungs = doc["rungs"].as_array().unwrap();
    assert_eq!(rungs.len(), 2);
    for r in rungs {
        let rep = &r["repeat"];
        assert_eq!(rep["asked"], 3, "{r}");
        assert_eq!(rep["cancelled"], false);
        let (median, min, max) = (
            rep["median_s"].as_f64().unwrap(),
            rep["min_s"].as_f64().unwrap(),
            rep["max_s"].as_f64().unwrap(),
        );
        assert!(min <= median && median <= max, "{rep}");
        assert_eq!(
            r["estimated_s"].as_f64().unwrap().to_bits(),
            median.to_bits()
        );
        assert!(rep["spread"].as_f64().unwrap() >= 0.0);
        let runs = rep["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 3);
        for run in runs {
            assert_eq!(run["status"]["kind"], "completed");
            assert_eq!(run["verification"]["passed"], true, "{run}");
            assert!(run.get("load_elsewhere").is_some());
        }
        assert_eq!(r["verification"]["passed"], true);
        assert!(r["speedup_vs_previous_overlaps"].is_boolean());
    }
    // Speedups are of the medians.
    let speedup = rungs[1]["speedup_vs_baseline"].as_f64().unwrap();
    let want =
        rungs[0]["estimated_s"].as_f64().unwrap() / rungs[1]["estimated_s"].as_f64().unwrap();
    assert!((speedup - want).abs() < 1e-9 * want);

    // The table and the CSV carry the spread too.
    let table = ladder()
        .args([
            "run", "--n", "40", "--d", "8", "--rungs", "native", "--repeat", "2",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(table).unwrap();
    assert!(table.lines().nth(1).unwrap().contains("min–max"), "{table}");
    assert!(
        table.contains("time: the median of 2 runs, min–max beside it"),
        "{table}"
    );
    let csv = ladder()
        .args([
            "run", "--n", "40", "--d", "8", "--rungs", "native", "--repeat", "2", "--format", "csv",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let csv = String::from_utf8(csv).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("runs"), "2");
    assert_eq!(col("median_s"), col("estimated_s"));
    assert!(col("min_s").parse::<f64>().unwrap() <= col("max_s").parse::<f64>().unwrap());
    assert!(header.contains(&"load_elsewhere"));
}

/// Without a terminal the app climbs headless with what was asked of it: its peers, and its
/// notes file as the Markdown table.
#[test]
fn the_app_without_a_terminal_runs_its_peers_and_writes_its_notes() {
    let out = ladder()
        .args([
            "--peers",
            "py-builtins",
            "--n",
            "50",
            "--d",
            "8",
            "--budget",
            "1",
        ])
        .write_stdin("")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("running headless"), "{stderr}");
    assert!(stdout.contains("py-builtins"), "{stdout}");
    let dir = TempDir::new().unwrap();
    let notes = dir.path().join("climb.md");
    ladder()
        .args(["--peers", "py-builtins", "--n", "40", "--d", "8", "--notes"])
        .arg(&notes)
        .write_stdin("")
        .assert()
        .success();
    let md = std::fs::read_to_string(&notes).unwrap();
    assert!(
        md.contains("| `naive` |") && md.contains("| `py-builtins` |"),
        "{md}"
    );
}

/// A profiled run's memory figure is the rung's, not the profiler's sample tables' (pprof
/// keeps about 180 MB resident once started): it stays near the unprofiled run's.
#[test]
fn a_profiled_run_s_peak_memory_is_the_rung_s_not_the_profiler_s() {
    let dir = TempDir::new().unwrap();
    let peak = |extra: &[&str]| -> f64 {
        let out = ladder()
            .current_dir(dir.path())
            .args(["run", "--rungs", "naive", "--n", "300", "--d", "32"])
            .args(["--format", "json"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        doc["rungs"][0]["peak_rss_bytes"].as_f64().unwrap() / f64::from(1 << 20)
    };
    let plain = peak(&[]);
    let profiled = peak(&["--report", "r.html"]);
    assert!(
        profiled < plain + 60.0,
        "profiled {profiled:.1} MiB against {plain:.1} MiB unprofiled"
    );
}
