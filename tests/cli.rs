//! The command line as a user meets it: exit codes, the JSON schema, error messages.

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

fn ladder() -> Command {
    Command::cargo_bin("ladder").unwrap()
}

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

#[test]
fn a_repeat_out_of_range_is_refused_with_the_range() {
    for bad in ["0", "101", "-3", "two"] {
        ladder()
            .args(["run", "--repeat", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "repeat must be a whole number from 1 to 100",
            ));
    }
}

#[test]
fn bad_arguments_exit_2_with_a_reason() {
    ladder()
        .args(["run", "--rungs", "naive,turbo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rung 'turbo'"))
        .stderr(predicate::str::contains("naive, algorithmic"));
    ladder()
        .args(["run", "--format", "xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'xml' for '--format",
        ))
        .stderr(predicate::str::contains(
            "possible values: table, json, csv, markdown",
        ));
    ladder()
        .args(["run", "--n", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "n must be a whole number from 1 to",
        ));
    ladder()
        .args(["run", "--budget", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the budget must be seconds, more than 0 and at most 3600",
        ));
    ladder()
        .args(["run", "--data", "uniform"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "possible values: normal, clustered",
        ));
}

/// One bad invocation of each class: exit 2 and one line that says what is wrong, never a
/// panic, an abort or a hang.
#[test]
fn every_class_of_bad_argument_exits_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--budget", "nan"], "more than 0 and at most 3600"),
        (&["run", "--budget", "-1"], "more than 0 and at most 3600"),
        (&["run", "--budget", "1e20"], "more than 0 and at most 3600"),
        (
            &["flame", "--rung", "naive", "--budget", "inf"],
            "more than 0 and at most 3600",
        ),
        (&["bench", "--budget", "0"], "more than 0 and at most 3600"),
        (
            &["run", "--threads", "0"],
            "threads must be a whole number from 1",
        ),
        (
            &["run", "--threads", "100000"],
            "threads must be a whole number from 1",
        ),
        (&["run", "--k", "0"], "k must be a whole number from 1"),
        (
            &["run", "--d", "99999999999"],
            "d must be a whole number from 1",
        ),
        (&["bench", "--rungs", "none"], "name at least one rung"),
        (&["flame", "--rung", "none"], "name at least one rung"),
        (&["scale", "--n", "0"], "is not a size from 1"),
        (
            &["run", "--rungs", "topk", "--n", "90000000", "--d", "100000"],
            "vectors of dimension 100000 need",
        ),
        (
            &["worker", "--n", "1000", "--d", "8", "--rows", "3:50"],
            "on multiples of",
        ),
        (
            &["lab", "check", ".", "--budget", "nan"],
            "more than 0 and at most 3600",
        ),
        (&["--budget", "nan"], "more than 0 and at most 3600"),
        (
            &["run", "--threads", "1e9"],
            "threads must be a whole number from 1",
        ),
        (
            &["flame", "--rung", "naive", "--k", "0"],
            "k must be a whole number from 1",
        ),
        (&["scale", "--rungs", "none"], "name at least one rung"),
        (
            &["run", "--rungs", "ann", "--n", "90000000", "--d", "100000"],
            "vectors of dimension 100000 need",
        ),
        (
            &[
                "flame", "--rung", "topk", "--n", "90000000", "--d", "100000",
            ],
            "vectors of dimension 100000 need",
        ),
        (&["scale", "--n", "200000000"], "is not a size from 1"),
        (
            &["scale", "--d", "99999999999"],
            "d must be a whole number from 1",
        ),
        (
            &[
                "scale", "--rungs", "topk", "--n", "90000000", "--d", "100000",
            ],
            "vectors of dimension 100000 need",
        ),
        (
            &["run", "--format", "xml"],
            "invalid value 'xml' for '--format",
        ),
        (
            &["bench", "--format", "csv"],
            "invalid value 'csv' for '--format",
        ),
        (
            &["flame", "--rung", "naive", "--format", "png"],
            "invalid value 'png' for '--format",
        ),
        (
            &["run", "--data", "uniform"],
            "invalid value 'uniform' for '--data",
        ),
        (&["--theme", "neon"], "invalid value 'neon' for '--theme"),
        (
            &["run", "--repeat", "0"],
            "repeat must be a whole number from 1 to 100",
        ),
        (
            &["bench", "--repeat", "1000"],
            "repeat must be a whole number from 1 to 100",
        ),
        (
            &["--repeat", "0"],
            "repeat must be a whole number from 1 to 100",
        ),
        (&["run", "--name", "  "], "1 to 40 printable characters"),
        (
            &["lab", "check", "--name", ""],
            "1 to 40 printable characters",
        ),
        (&["learn", "--name", "a\tb"], "1 to 40 printable characters"),
    ];
    // A peer file whose module name is code, not a name.
    let peers = TempDir::new().unwrap();
    std::fs::write(
        peers.path().join("p.toml"),
        "format_version = 1\nid = \"p\"\ntitle = \"t\"\nstep = \"baseline\"\n\
         output = \"full\"\nwhat_changed = \"w\"\nwhy = \"y\"\ncommand = [\"x\"]\n\
         [needs]\nmodules = [\"os; os.system('x')\"]\n",
    )
    .unwrap();
    let peer_dir = peers.path().to_str().unwrap();
    let with_peers: &[(&[&str], &str)] = &[
        (&["peers", "--dir", peer_dir], "not a Python module name"),
        (
            &["run", "--rungs", "none", "--peers", peer_dir],
            "not a Python module name",
        ),
    ];
    for (args, want) in cases.iter().chain(with_peers) {
        let out = ladder().args(*args).write_stdin("").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        // What is wrong is said once, on one line (progress may come before it, and clap
        // adds its hints below).
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {err}");
        assert!(errors[0].contains(want), "{args:?}: {err} (want {want})");
    }
}

#[test]
fn a_size_that_cannot_fit_is_refused_before_any_work() {
    ladder()
        .args(["run", "--n", "10000000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("n = 10000000 needs"))
        .stderr(predicate::str::contains("smaller --n"));
}

#[test]
fn a_bad_input_file_is_named_with_its_problem() {
    let dir = TempDir::new().unwrap();
    let bad = dir.path().join("vectors.npy");
    std::fs::write(&bad, b"\x93NUMPY\x01\x00\x10\x00{'descr': '<i4',").unwrap();
    ladder()
        .args(["run", "--input"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("vectors.npy"))
        .stderr(predicate::str::contains("error:"))
        .stderr(predicate::str::contains("panicked").not());
}

#[test]
fn zero_vectors_in_a_file_warn_and_still_verify() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("z.fvecs");
    let mut bytes = Vec::new();
    for i in 0..20 {
        bytes.extend(4i32.to_le_bytes());
        for k in 0..4 {
            let v = if i == 3 {
                0.0f32
            } else {
                (i * 4 + k) as f32 - 30.0
            };
            bytes.extend(v.to_le_bytes());
        }
    }
    std::fs::write(&path, bytes).unwrap();
    ladder()
        .args(["run", "--format", "json", "--input"])
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 zero vector(s) (rows 3)"))
        .stdout(predicate::str::contains("\"zero_rows\": 1"));
}

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
        .stderr(predicate::str::contains("samples"));
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
            "200",
            "--d",
            "32",
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
        .stdout
        .clone();
    let md = String::from_utf8(out).unwrap();
    assert!(md.contains("| flamegraph |"), "{md}");
    assert!(md.contains("naive.svg)"), "{md}");
    assert!(flames.join("naive.svg").exists() && flames.join("native.svg").exists());
}

#[test]
fn scale_sweeps_sizes_fits_exponents_and_skips_what_cannot_fit() {
    let out = ladder()
        .args([
            "scale",
            "--rungs",
            "algorithmic,native",
            "--n",
            "64,128,256,9000000",
            "--d",
            "32",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["points"].as_array().unwrap().len(), 6);
    assert_eq!(doc["skipped"][0]["n"], 9_000_000);
    assert!(
        doc["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("smaller --n")
    );
    assert_eq!(doc["skipped"][0]["rung"], "algorithmic");
    let e = doc["exponents"]["algorithmic"].as_f64().unwrap();
    assert!((1.0..3.0).contains(&e), "exponent {e}");
    // Where the full matrix cannot fit, the top-k rung still runs (within its budget).
    let out = ladder()
        .args([
            "scale",
            "--rungs",
            "native,topk",
            "--n",
            "300000",
            "--d",
            "8",
            "--budget",
            "0.05",
            "--format",
            "json",
        ])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let doc: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(doc["skipped"][0]["rung"], "native");
    let points = doc["points"].as_array().unwrap();
    assert_eq!(points.len(), 1, "{points:?}");
    assert_eq!(points[0]["rung"], "topk");
    assert_eq!(points[0]["extrapolated"], true);
    ladder()
        .args(["scale", "--n", "10,x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'x' is not a size"));
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

/// `ladder machine --format json` with the peak cache in `dir`: the JSON and stderr.
fn machine_json(dir: &std::path::Path, extra: &[&str]) -> (serde_json::Value, String) {
    let out = ladder()
        .env("LADDER_CACHE_DIR", dir)
        .args(["machine", "--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_peak_is_measured_once_per_machine_then_read_from_the_cache() {
    let dir = TempDir::new().unwrap();
    let (first, _) = machine_json(dir.path(), &[]);
    // A busy machine's implausible peak is not cached; the rest of this test needs one that is.
    if !dir.path().read_dir().unwrap().any(|e| e.is_ok()) {
        eprintln!("skipped: the machine is too busy for a plausible peak");
        return;
    }
    assert_eq!(first["peak_source"], "measured");
    assert!(first["peak_method"].as_str().unwrap().contains("best of"));
    let (second, err) = machine_json(dir.path(), &[]);
    assert_eq!(second["peak_source"], "cached", "{err}");
    assert!(
        !err.contains("measuring"),
        "a cached peak is not measured: {err}"
    );
    // The same figures and time as the measurement: every run divides by the same peak.
    for f in [
        "peak_gflops_core",
        "peak_gflops_all",
        "peak_gflops_all_128",
        "measured_at",
    ] {
        assert_eq!(first[f], second[f], "{f}");
    }
    // A run uses the cached figure too, and says so in its JSON.
    let run = ladder()
        .env("LADDER_CACHE_DIR", dir.path())
        .args([
            "run", "--n", "40", "--d", "16", "--rungs", "naive", "--format", "json",
        ])
        .output()
        .unwrap();
    let run: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(run["machine"]["peak_source"], "cached");
    assert_eq!(run["machine"]["peak_gflops_all"], first["peak_gflops_all"]);
    // --measure measures again and replaces the cache.
    let (fresh, err) = machine_json(dir.path(), &["--measure"]);
    assert_eq!(fresh["peak_source"], "measured");
    assert!(err.contains("measuring"), "{err}");
    // A corrupt cache is set aside with a note, measured again, and replaced.
    let file = dir
        .path()
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::write(&file, "{ not json").unwrap();
    let (again, err) = machine_json(dir.path(), &[]);
    assert_eq!(again["peak_source"], "measured");
    assert!(
        err.contains("ignored the cached peak") && err.contains("not a peak cache"),
        "{err}"
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("peak_gflops_core"), "replaced: {text}");
}

#[test]
fn an_output_that_would_replace_an_input_or_cannot_be_written_is_refused_before_any_work() {
    let dir = TempDir::new().unwrap();
    let run = dir.path().join("run.json");
    ladder()
        .args([
            "run", "--n", "40", "--d", "8", "--budget", "1", "--rungs", "naive",
        ])
        .args(["--format", "json", "-o"])
        .arg(&run)
        .assert()
        .success();
    let before = std::fs::read_to_string(&run).unwrap();
    ladder()
        .arg("report")
        .arg(&run)
        .arg("-o")
        .arg(&run)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would replace it"));
    assert_eq!(std::fs::read_to_string(&run).unwrap(), before);
    let same = dir.path().join("same.html");
    for (args, want) in [
        (
            vec![
                "--format",
                "json",
                "-o",
                same.to_str().unwrap(),
                "--report",
                same.to_str().unwrap(),
            ],
            "would replace it",
        ),
        (vec!["--report", "no-such-folder/r.html"], "does not exist"),
        (vec!["--report", "r.pdf"], "must end in .html"),
        (vec!["-o", dir.path().to_str().unwrap()], "is a folder"),
    ] {
        ladder()
            .current_dir(dir.path())
            .args(["run", "--n", "40", "--d", "8", "--budget", "1"])
            .args(&args)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(want));
    }
    assert!(!same.exists());
}
