//! `ladder machine`: the peak, measured once per machine and cached.

use tempfile::TempDir;

use super::ladder;

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
    let file = dir
        .path()
        .read_dir()
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    // A higher figure in the cache (an earlier, undisturbed measurement) stands against a
    // measurement that came out lower, with a note, and keeps its age.
    let mut cached: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let higher = cached["peak_gflops_core"].as_f64().unwrap() * 3.0;
    cached["peak_gflops_core"] = higher.into();
    cached["measured_unix"] = (cached["measured_unix"].as_u64().unwrap() - 3600).into();
    std::fs::write(&file, cached.to_string()).unwrap();
    let (kept, err) = machine_json(dir.path(), &["--measure"]);
    // Through JSON twice: equal to a part in a billion, not to the last bit.
    let close = |v: &serde_json::Value| v.as_f64().is_some_and(|x| (x / higher - 1.0).abs() < 1e-9);
    assert!(close(&kept["peak_gflops_core"]), "{kept} {err}");
    assert!(err.contains("the higher figures stand"), "{err}");
    assert!(
        kept["peak_method"]
            .as_str()
            .unwrap()
            .contains("the best of the measurements on this machine since"),
        "{kept}"
    );
    let back: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert!(close(&back["peak_gflops_core"]), "{back}");
    assert_eq!(
        back["measured_unix"], cached["measured_unix"],
        "aged from the kept figure"
    );
    // A corrupt cache is set aside with a note, measured again, and replaced.
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
