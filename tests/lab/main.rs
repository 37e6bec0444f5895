//! The lab: a student's own steps, verified, timed and graded in order through the binary, as
//! `ladder lab init` and `ladder lab check` do it. Reference solutions live here, in
//! `tests/lab_solutions/`, never in the scaffold.

use std::path::{Path, PathBuf};
use std::process::Command as Std;

use assert_cmd::Command;
use serde_json::Value;

mod files;
mod integrity;
mod library;
mod numba;

fn ladder() -> Command {
    Command::cargo_bin("ladder").unwrap()
}

fn python_has(module: &str) -> bool {
    let python = ladder::peers::python();
    python.is_some_and(|p| {
        Std::new(p)
            .args(["-c", &format!("import {module}")])
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// The lab needs Python with NumPy; CI installs both before the tests, so there a missing
/// one fails instead of skipping.
fn have_numpy() -> bool {
    let ok = python_has("numpy");
    assert!(
        ok || std::env::var_os("CI").is_none(),
        "CI must install NumPy before the tests"
    );
    if !ok {
        eprintln!("skipped: the lab's harness needs Python with NumPy (pip install numpy)");
    }
    ok
}

fn solutions() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lab_solutions")
}

/// `ladder lab check DIR ARGS --format json`: the exit code and the document.
fn check(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = ladder()
        .args(["lab", "check"])
        .arg(dir)
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap(), doc)
}

fn step<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {doc}"))
}

fn reason(doc: &Value, id: &str) -> String {
    step(doc, id)["reason"].as_str().unwrap_or("").to_string()
}

#[test]
fn a_new_lab_counts_step_one_and_says_what_to_write_next() {
    if !have_numpy() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path().join("lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    // Never over a file that is there.
    let again = ladder().args(["lab", "init"]).arg(&lab).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds README.md"));

    let (code, doc) = check(&lab, &["--n", "120", "--d", "16", "--budget", "1"]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(doc["all_count"], false);
    assert_eq!(step(&doc, "naive")["counts"], true);
    // The unsolved template: its own file and line, and its TODO.
    let why = reason(&doc, "algorithmic");
    assert!(
        why.starts_with("02_algorithmic.py:") && why.contains("NotImplementedError: TODO"),
        "{why}"
    );
    // Later steps are not run until the earlier ones count.
    for id in ["numpy", "cython", "numba", "pyo3", "library"] {
        assert_eq!(step(&doc, id)["verdict"]["kind"], "locked", "{id}");
        assert!(reason(&doc, id).contains("02_algorithmic.py does not count yet"));
    }
    // With everything unlocked, every unsolved template is reported not done, none passes.
    let (_, doc) = check(
        &lab,
        &["--n", "60", "--d", "8", "--budget", "1", "--unlock-all"],
    );
    for id in ["algorithmic", "numpy", "cython", "numba", "pyo3", "library"] {
        assert_eq!(step(&doc, id)["counts"], false, "{id}: {doc}");
    }
    // The Rust template builds (cargo fetches PyO3 the first time) and raises its TODO.
    let why = reason(&doc, "pyo3");
    assert!(
        why.starts_with("06_pyo3/src/lib.rs") && why.contains("TODO"),
        "{why}"
    );
}

#[test]
fn reference_solutions_climb_the_whole_ladder() {
    if !have_numpy() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path();
    ladder().args(["lab", "init"]).arg(lab).assert().success();
    let mut expected = vec!["naive", "algorithmic", "numpy"];
    for (file, into, id, needs) in [
        ("02_algorithmic.py", "02_algorithmic.py", "", ""),
        ("03_numpy.py", "03_numpy.py", "", ""),
        ("04_cython.pyx", "04_cython.pyx", "cython", "Cython"),
        ("05_numba.py", "05_numba.py", "numba", "numba"),
        // The stretch step, in Rust: cargo is here, since cargo runs these tests.
        ("06_pyo3_lib.rs", "06_pyo3/src/lib.rs", "pyo3", ""),
        ("07_library.py", "07_library.py", "library", "faiss"),
    ] {
        if !needs.is_empty() && !python_has(needs) {
            eprintln!("skipped the {id} step: the Python module {needs} is not installed");
            continue;
        }
        std::fs::copy(solutions().join(file), lab.join(into)).unwrap();
        if !id.is_empty() {
            expected.push(id);
        }
    }
    // At the lab's own workload, which the floors are calibrated for; a short budget (the
    // slow steps are extrapolated).
    let (_, mut doc) = check(lab, &["--budget", "1", "--unlock-all"]);
    // A ratio measured while the other tests load both cores can fall short by noise alone:
    // a step short of its floor (right, but not fast enough) is measured once more, as the
    // perf gate does; a wrong or failing step is never retried.
    let short = |doc: &Value| {
        expected.iter().any(|id| {
            let s = step(doc, id);
            s["counts"] != true
                && s["verified"] == true
                && s["reason"]
                    .as_str()
                    .is_some_and(|r| r.contains("it counts from"))
        })
    };
    if short(&doc) {
        eprintln!("a step fell short of its floor; measuring once more");
        doc = check(lab, &["--budget", "1", "--unlock-all"]).1;
    }
    for id in &expected {
        let s = step(&doc, id);
        assert_eq!(s["counts"], true, "{id} does not count: {s}");
        assert_eq!(s["verified"], true);
    }
    // The climb at the lab's own workload is kept for the app to open on (in the cache folder:
    // the lab holds only what the student wrote).
    let kept = std::fs::read_to_string(ladder::lab::saved::path(lab).unwrap()).unwrap();
    for id in &expected {
        assert!(kept.contains(&format!("\"id\": \"{id}\"")), "{id}: {kept}");
    }
    // Floors are ratios over the named earlier step, measured here.
    let numpy = step(&doc, "numpy");
    assert_eq!(numpy["floor"]["over"], "algorithmic");
    assert!(
        numpy["floor"]["measured"].as_f64().unwrap() >= 30.0,
        "{numpy}"
    );
    if expected.len() == 7 {
        assert_eq!(doc["all_count"], true);
    }
}

/// A lab of one step whose file says `body`: the step's reason after a check.
fn one_step(body: &str, extra: &[&str]) -> (String, Value) {
    one_step_as("numpy", "similarity", body, extra)
}

/// The same with X handed over as `input` (lists or numpy), and the step's output (topk or
/// the full matrix, by `function`).
fn one_step_as(input: &str, function: &str, body: &str, extra: &[&str]) -> (String, Value) {
    one_step_in("mine.py", input, function, body, extra)
}

/// The same, the step's file named `file` (its extension says how it is loaded).
fn one_step_in(
    file: &str,
    input: &str,
    function: &str,
    body: &str,
    extra: &[&str],
) -> (String, Value) {
    one_step_asking(file, input, function, "", body, extra)
}

/// The same, the step asking `asks` besides (lab.toml lines: `own_loops = true`...).
fn one_step_asking(
    file: &str,
    input: &str,
    function: &str,
    asks: &str,
    body: &str,
    extra: &[&str],
) -> (String, Value) {
    let dir = one_step_lab(file, input, function, asks, body);
    let (code, doc) = check(dir.path(), extra);
    assert_eq!(code, 1, "{doc}");
    (reason(&doc, "mine"), doc)
}

/// A lab of one step, `mine`, in a temporary folder: `file` holding `body`, given X as `input`
/// (lists or numpy), answering `function` (topk, or the full matrix), asking `asks` besides.
fn one_step_lab(
    file: &str,
    input: &str,
    function: &str,
    asks: &str,
    body: &str,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lab.toml"),
        r#"format_version = 1
[workload]
n = 50
d = 8
budget = 1.0

[[steps]]
id = "mine"
file = "{file}"
title = "a step under test"
step = "vectorize"
"#
        .replace("{file}", file)
            + &format!(
                "input = \"{input}\"\noutput = \"{}\"\n{asks}\n",
                if function == "topk" { "topk" } else { "full" }
            ),
    )
    .unwrap();
    std::fs::write(dir.path().join(file), body).unwrap();
    dir
}

#[test]
fn a_cython_step_s_traceback_names_its_functions_as_written() {
    if !(have_numpy() && python_has("Cython")) {
        eprintln!("skipped: Cython is not installed (pip install cython)");
        return;
    }
    let (why, doc) = one_step_in(
        "mine.pyx",
        "numpy",
        "similarity",
        "def helper(x):\n    return x.nosuch\n\n\
         def similarity(X, int start, int end):\n    return helper(X)\n",
        &[],
    );
    assert!(why.starts_with("mine.pyx:2: AttributeError:"), "{why}");
    let full = doc["steps"][0]["verdict"]["reason"].as_str().unwrap();
    // The compiled copy's module is ladder's business, not the student's.
    assert!(full.contains("line 2, in helper"), "{full}");
    assert!(!full.contains("lab_step_"), "{full}");
}

#[test]
fn a_slow_step_wrong_only_on_its_last_rows_is_caught() {
    if !have_numpy() {
        return;
    }
    // Slow enough that the budget stops it early (its full time is extrapolated), right on
    // the rows it reaches, wrong on the last: those are run after the budget and checked.
    let (why, doc) = one_step(
        "import time\nimport numpy as np\n\n\
         def similarity(X, start, end):\n\
         \x20   time.sleep(0.05 * (end - start))\n\
         \x20   n = np.linalg.norm(X, axis=1)\n\
         \x20   n[n == 0] = 1\n\
         \x20   U = X / n[:, None]\n\
         \x20   S = U[start:end] @ U.T\n\
         \x20   if end > 45:\n\
         \x20       S[:] = 0.5\n\
         \x20   return S\n",
        &["--budget", "0.5"],
    );
    assert!(
        doc["steps"][0]["extrapolated"] == true,
        "the budget stopped it: {doc}"
    );
    assert!(why.contains("wrong answer: S[4"), "{why}");
}

#[test]
fn each_kind_of_broken_step_gets_its_own_one_line_reason() {
    if !have_numpy() {
        return;
    }
    let cases: &[(&str, &str)] = &[
        (
            "def similarity(X, start, end)\n    return X\n",
            "mine.py:1: SyntaxError",
        ),
        (
            "import not_a_module_anywhere\n",
            "mine.py:1: ModuleNotFoundError: No module named 'not_a_module_anywhere'",
        ),
        (
            "def similarty(X, start, end):\n    return None\n",
            "mine.py has no function similarity(X, start, end): define it (functions found: similarty)",
        ),
        (
            "def similarity(X, start, end):\n    pass\n",
            "mine.py: similarity(X, 0, 1) returned None; return row 0 of S",
        ),
        (
            "import numpy as np\ndef similarity(X, start, end):\n    return np.zeros((end - start, 3))\n",
            "expected (",
        ),
        (
            "import numpy as np\ndef similarity(X, start, end):\n    return np.full((end - start, X.shape[0]), np.nan)\n",
            "returned nan at row",
        ),
        (
            "def similarity(X, start, end):\n    return [[1.0] * len(X) for _ in range(start, end)]\n",
            "] is 1.000000 where it should be ",
        ),
        (
            "def helper():\n    raise ValueError('boom')\ndef similarity(X, start, end):\n    return helper()\n",
            "mine.py:2: ValueError: boom",
        ),
        // Its process ended before the harness could say why: how it ended, and its last
        // print, never that print taken for the reason.
        (
            "import os\ndef similarity(X, start, end):\n    print('hello')\n    print('bye')\n    os._exit(3)\n",
            "it exited with status 3 before it returned, without an error (the last line it printed: \"bye\")",
        ),
        (
            "import ctypes\ndef similarity(X, start, end):\n    print('hello')\n    return ctypes.string_at(0)\n",
            "crashed: a segmentation fault, signal 11 (the last line it printed: \"hello\")",
        ),
    ];
    for (body, want) in cases {
        let (why, _) = one_step(body, &[]);
        assert!(
            why.contains(want),
            "{body:?}\n  said: {why}\n  want: {want}"
        );
        assert!(!why.contains('\n'), "one line: {why}");
        // The student's frames only: never the harness's.
        assert!(!why.contains("_lab_harness"), "{why}");
    }
}

#[test]
fn what_a_right_step_prints_is_kept_for_the_student() {
    if !have_numpy() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lab.toml"),
        "format_version = 1\n[workload]\nn = 40\nd = 8\nbudget = 1.0\n\n[[steps]]\n\
         id = \"mine\"\nfile = \"mine.py\"\ntitle = \"t\"\nstep = \"baseline\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("mine.py"),
        "import numpy as np\ndef similarity(X, start, end):\n    for i in range(13):\n        \
         print('rows', start, end, 'x' * 300 * (i == 12))\n    \
         norm = np.linalg.norm(X, axis=1, keepdims=True)\n    norm[norm == 0] = 1\n    \
         U = X / norm\n    return U[start:end] @ U.T\n",
    )
    .unwrap();
    let (code, doc) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    let printed = step(&doc, "mine")["run"]["peer"]["printed"]
        .as_str()
        .unwrap_or_else(|| panic!("no print kept: {doc}"))
        .to_string();
    // Cut where it is said: the lines above the last twelve counted, a long line ended "…".
    assert!(
        printed.starts_with("… 1 line above these\nrows 0 "),
        "{printed}"
    );
    assert!(printed.ends_with("x…"), "{printed}");
}

#[test]
fn zero_vectors_pure_python_and_neighbour_lists_are_checked() {
    if !have_numpy() {
        return;
    }
    // The check's data holds zero vectors (row 1 among them): dividing by a norm crashes.
    let (why, _) = one_step_as(
        "lists",
        "similarity",
        "import math\ndef similarity(X, start, end):\n    n = [math.sqrt(sum(v * v for v in x)) for x in X]\n    return [[sum(a * b for a, b in zip(X[i], X[j])) / (n[i] * n[j]) for j in range(len(X))] for i in range(start, end)]\n",
        &[],
    );
    assert!(why.starts_with("mine.py:4: ZeroDivisionError"), "{why}");
    // A pure-Python step that reaches for NumPy is refused as such.
    let (why, _) = one_step_as(
        "lists",
        "similarity",
        "import numpy as np\ndef similarity(X, start, end):\n    return None\n",
        &[],
    );
    assert!(
        why.contains("imports NumPy: this step is pure Python"),
        "{why}"
    );
    // Top-k: each row itself left out, row numbers first, best first.
    let exact = "import numpy as np\ndef topk(X, k, start, end):\n    U = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30)\n    S = U[start:end] @ U.T\n";
    for (tail, want) in [
        (
            "    ids = np.argsort(-S, axis=1)[:, :k]\n    return ids, np.take_along_axis(S, ids, 1)\n",
            "lists itself among its neighbours",
        ),
        (
            "    S[np.arange(end - start), np.arange(start, end)] = -2\n    ids = np.argsort(-S, axis=1)[:, :k]\n    return np.take_along_axis(S, ids, 1), ids\n",
            "not row numbers",
        ),
        (
            "    S[np.arange(end - start), np.arange(start, end)] = -2\n    ids = np.argsort(S, axis=1)[:, -k:]\n    return ids, np.take_along_axis(S, ids, 1)\n",
            "not best first",
        ),
    ] {
        let (why, _) = one_step_as("numpy", "topk", &format!("{exact}{tail}"), &[]);
        assert!(why.contains(want), "{why} (want {want})");
    }
}

#[test]
fn a_step_that_hangs_is_killed_and_says_so() {
    if !have_numpy() {
        return;
    }
    let started = std::time::Instant::now();
    let (why, _) = one_step(
        "import time\ndef similarity(X, start, end):\n    time.sleep(600)\n",
        &["--budget", "0.5"],
    );
    assert!(why.contains("killed"), "{why}");
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn a_rust_step_that_does_not_compile_names_its_line_in_rustc_s_words() {
    if !have_numpy() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let scaffold = dir.path().join("scaffold");
    ladder()
        .args(["lab", "init"])
        .arg(&scaffold)
        .assert()
        .success();
    let lab = dir.path().join("lab");
    std::fs::create_dir_all(lab.join("06_pyo3/src")).unwrap();
    for f in ["Cargo.toml", "src/lib.rs"] {
        std::fs::copy(
            scaffold.join("06_pyo3").join(f),
            lab.join("06_pyo3").join(f),
        )
        .unwrap();
    }
    std::fs::write(
        lab.join("lab.toml"),
        "format_version = 1\n[workload]\nn = 40\nd = 8\nbudget = 1.0\n\n[[steps]]\n\
         id = \"mine\"\nfile = \"06_pyo3/src/lib.rs\"\ntitle = \"Rust\"\nstep = \"native\"\n",
    )
    .unwrap();
    let lib = lab.join("06_pyo3/src/lib.rs");
    let text = std::fs::read_to_string(&lib).unwrap();
    let broken = text.replacen("let n = x.nrows();", "let n = x.nrows() + not_defined;", 1);
    assert_ne!(
        broken, text,
        "the template changed: update this test's edit"
    );
    std::fs::write(&lib, broken).unwrap();
    let (code, doc) = check(&lab, &[]);
    assert_eq!(code, 1, "{doc}");
    let why = reason(&doc, "mine");
    let line = text
        .lines()
        .position(|l| l.contains("let n = x.nrows();"))
        .unwrap()
        + 1;
    assert!(
        why.starts_with(&format!("06_pyo3/src/lib.rs:{line}:")) && why.contains("rustc:"),
        "{why}"
    );
    assert!(why.contains("not_defined"), "{why}");
}

#[test]
fn a_check_that_locks_a_step_keeps_what_it_earned_before() {
    if !have_numpy() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lab = dir.path();
    std::fs::write(
        lab.join("lab.toml"),
        "format_version = 1\n[workload]\nn = 40\nd = 8\nbudget = 1.0\n\n\
         [[steps]]\nid = \"first\"\nfile = \"a.py\"\ntitle = \"t\"\nstep = \"baseline\"\ninput = \"lists\"\n\n\
         [[steps]]\nid = \"second\"\nfile = \"b.py\"\ntitle = \"t\"\nstep = \"algorithm\"\ninput = \"lists\"\n",
    )
    .unwrap();
    let right = "def similarity(X, start, end):\n    \
                 norms = [sum(v * v for v in x) ** 0.5 or 1.0 for x in X]\n    \
                 return [[sum(a * b for a, b in zip(X[i], y)) / (norms[i] * m) for y, m in zip(X, norms)]\n            \
                 for i in range(start, end)]\n";
    std::fs::write(lab.join("a.py"), right).unwrap();
    std::fs::write(lab.join("b.py"), right).unwrap();
    let kept = || std::fs::read_to_string(ladder::lab::saved::path(lab).unwrap()).unwrap();
    let (code, doc) = check(lab, &[]);
    assert_eq!(code, 0, "{doc}");
    assert!(kept().contains("\"id\": \"second\""));
    // Step 1 broken: step 2 is locked, not run, and what it earned stays kept.
    std::fs::write(
        lab.join("a.py"),
        "def similarity(X, start, end):\n    return None\n",
    )
    .unwrap();
    let (code, doc) = check(lab, &[]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(step(&doc, "second")["verdict"]["kind"], "locked", "{doc}");
    assert!(kept().contains("\"id\": \"second\""), "{}", kept());
}
