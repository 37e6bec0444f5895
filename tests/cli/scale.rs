//! `ladder scale`: sizes swept, exponents fitted, what cannot fit skipped.

use predicates::prelude::*;

use super::ladder;

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
