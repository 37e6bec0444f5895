//! `ladder profilers`: each profiler's output read from recorded fixtures, the missing-tool
//! path, and a real small run (where Python with numpy is here). No timing is asserted: the
//! figures are whatever this machine measures.

use std::path::PathBuf;
use std::process::Command;

use ladder::lessons::profilers::parse;

fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/profilers")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn ladder() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ladder"))
}

/// Python with numpy, or why the test is skipped (printed).
fn python_here() -> bool {
    let ok = ladder::peers::python().is_some_and(|p| ladder::peers::probe::imports(&p, "numpy"));
    if !ok {
        eprintln!("skipped: no python3 with numpy here");
    }
    ok
}

#[test]
fn cprofile_reader_output_names_the_dot_product() {
    let s = parse::cprofile(&fixture("cprofile_reader.txt")).unwrap();
    assert_eq!(s.top, "dot (prog.py)");
    assert!(s.share > 0.0 && s.share <= 1.0);
}

#[test]
fn pyspy_raw_folded_counts_name_the_dot_product() {
    let s = parse::pyspy_raw(&fixture("pyspy.txt")).unwrap();
    assert_eq!(s.top, "dot (prog.py)");
    assert!(s.share > 0.0 && s.share <= 1.0);
}

#[test]
fn pyinstrument_json_tree_is_read_by_self_time() {
    let s = parse::pyinstrument_json(&fixture("pyinstrument.json")).unwrap();
    assert!(!s.top.is_empty());
    assert!(s.share > 0.0 && s.share <= 1.0);
}

#[test]
fn memray_stats_give_the_top_allocation_and_the_peak() {
    let s = parse::memray_stats(&fixture("memray_stats.json")).unwrap();
    assert!(s.top.contains(" ("), "{}", s.top);
    assert!(s.peak_bytes.is_some_and(|p| p > 0));
    assert!(s.share > 0.0 && s.share <= 1.0);
}

#[test]
fn scalene_json_names_the_function_with_the_most_time() {
    // Recorded with scalene 2.4.0 (`scalene run -o`) on the workload at n=300, cut to the
    // fields read: `dot` has 26% of the program's time, `main` 13%, `similarity` 8%.
    let s = parse::scalene_json(&fixture("scalene.json")).unwrap();
    assert_eq!(s.top, "dot (prog.py)");
    assert!((s.share - 0.2634).abs() < 0.001, "{}", s.share);
    assert!(parse::scalene_json(r#"{"files": {}}"#).is_err());
    assert!(parse::scalene_json("Scalene: error").is_err());
}

#[test]
fn out_of_range_sizes_exit_2_with_a_message() {
    for args in [
        ["--rounds", "0"],
        ["--rounds", "1000"],
        ["--n", "1"],
        ["--n", "-3"],
    ] {
        let out = ladder().arg("profilers").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
}

fn json_run(without: &str) -> Option<serde_json::Value> {
    if !python_here() {
        return None;
    }
    let out = ladder()
        .args([
            "profilers",
            "--n",
            "60",
            "--rounds",
            "1",
            "--format",
            "json",
        ])
        .env("LADDER_WITHOUT", without)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

fn row<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no row {id}"))
}

#[test]
fn a_small_real_run_measures_plain_and_cprofile() {
    let Some(v) = json_run("") else { return };
    assert_eq!(v["n"], 60);
    assert_eq!(v["rounds"], 1);
    assert!(v["rule"].as_str().is_some_and(|r| r.contains("factor")));
    let ids: Vec<_> = v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        [
            "plain",
            "cProfile",
            "py-spy",
            "scalene",
            "memray",
            "pyinstrument"
        ]
    );
    for id in ["plain", "cProfile"] {
        let r = row(&v, id);
        assert_eq!(r["status"], "measured", "{r}");
        assert!(r["kernel_s"].as_f64().is_some_and(|s| s > 0.0), "{r}");
        assert!(r["wall_s"].as_f64().is_some_and(|s| s > 0.0), "{r}");
    }
    let c = row(&v, "cProfile");
    assert!(c["kernel_overhead_pct"].is_number());
    assert!(c["top"].is_string());
    assert_eq!(c["claim"]["claimed_pct"], 10.0);
    assert!(c["claim"]["held"].is_boolean());
    // Every row is measured, missing (with how to install) or failed (with why).
    for r in v["rows"].as_array().unwrap() {
        match r["status"].as_str().unwrap() {
            "measured" => {}
            "not_installed" => assert!(r["note"].as_str().unwrap().contains("pip install")),
            "failed" => assert!(r["note"].is_string()),
            other => panic!("status {other}"),
        }
    }
}

#[test]
fn hidden_profilers_are_rows_that_say_how_to_install_them() {
    let Some(v) = json_run("py-spy,pyinstrument,memray,scalene") else {
        return;
    };
    for (id, pkg) in [
        ("py-spy", "pip install py-spy"),
        ("pyinstrument", "pip install pyinstrument"),
        ("memray", "pip install memray"),
        ("scalene", "pip install scalene"),
    ] {
        let r = row(&v, id);
        assert_eq!(r["status"], "not_installed");
        assert!(r["note"].as_str().unwrap().contains(pkg), "{r}");
        assert!(r["kernel_s"].is_null());
    }
    assert_eq!(row(&v, "cProfile")["status"], "measured");
}

#[test]
fn the_table_lists_missing_profilers_without_failing() {
    if !python_here() {
        return;
    }
    let out = ladder()
        .args(["profilers", "--n", "40", "--rounds", "1"])
        .env("LADDER_WITHOUT", "py-spy,memray,pyinstrument")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("pip install py-spy"), "{text}");
    assert!(text.contains("cProfile ~10%"), "{text}");
}

#[test]
fn a_python_that_cannot_run_is_said_as_such() {
    let out = ladder()
        .args(["profilers", "--n", "40", "--rounds", "1"])
        .env("LADDER_PYTHON", "/no/such/python3")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("could not run /no/such/python3 as Python"),
        "{err}"
    );
}

/// Stopped mid-measurement (a kill, Ctrl-C), `ladder profilers` ends with the signal's status,
/// not an error of its own, and leaves no temporary folder behind.
#[cfg(target_os = "linux")]
#[test]
fn a_measurement_stopped_by_a_signal_leaves_no_temporary_folder() {
    if !python_here() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut child = ladder()
        .args([
            "profilers",
            "--n",
            "400",
            "--rounds",
            "50",
            "--format",
            "json",
        ])
        .env("TMPDIR", tmp.path())
        .env("LADDER_WITHOUT", "scalene,memray,pyinstrument")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let ours = || {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("ladder-profilers")
            })
            .count()
    };
    let started = std::time::Instant::now();
    while ours() == 0 {
        assert!(
            started.elapsed() < std::time::Duration::from_mins(1),
            "no measurement started"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "ended before measuring"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = i32::try_from(child.id()).unwrap();
    // SAFETY: kill(2) with a child's pid and a signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGTERM), "{status:?}");
    assert_eq!(
        ours(),
        0,
        "a temporary folder was left in {}",
        tmp.path().display()
    );
}
