//! Assessments a guess must not pass: the ruff drill, a compiled step that hands its products
//! to a library, a baseline made slower (the library step's are in `library.rs`, the Numba step's in `numba.rs`).

use std::path::Path;

use super::{
    check, have_numpy, ladder, one_step, one_step_asking, one_step_lab, python_has, reason, step,
};
#[test]
fn the_numpy_step_does_not_count_until_ruff_s_finding_is_fixed() {
    if !have_numpy() {
        return;
    }
    if ladder::peers::which("ruff").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install ruff before the tests"
        );
        eprintln!("skipped: ruff is not installed (pip install ruff)");
        return;
    }
    // The template's legacy warm-up idiom, with a correct function.
    let template = include_str!("../../assets/lab/03_numpy.py");
    let solved = template.replace(
        "    # TODO: normalise the rows once, then one matrix product for rows start..end.\n    raise NotImplementedError(\"TODO: step 3 is yours to write: normalise, then Xn[start:end] @ Xn.T\")",
        "    n = np.linalg.norm(X, axis=1, keepdims=True)\n    n[n == 0] = 1\n    U = X / n\n    return U[start:end] @ U.T",
    );
    assert_ne!(
        solved, template,
        "the template's TODO changed: update this test"
    );
    let (why, doc) = one_step(&solved, &[]);
    assert!(
        why.starts_with("ruff: 2 NumPy findings to fix: line "),
        "{why}"
    );
    assert!(why.contains("NPY002"), "{why}");
    assert_eq!(step(&doc, "mine")["lint"]["detail"][0]["rule"], "NPY002");
    // A `# noqa` on each line silences ruff, not the drill: the idioms are still there.
    let silenced: String = solved
        .lines()
        .map(|l| {
            if l.contains("np.random.") && !l.trim_start().starts_with('#') {
                format!("{l}  # noqa\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let (why, _) = one_step(&silenced, &[]);
    assert!(why.starts_with("ruff: 2 NumPy findings to fix"), "{why}");
}

/// Writes `file` (name, text) into the lab at `lab`, checks every step at a small size, and
/// asserts step `id` does not count, for a reason that holds `want`.
pub(super) fn refused(lab: &Path, (name, text): (&str, &str), id: &str, want: &str) {
    std::fs::write(lab.join(name), text).unwrap();
    let (_, doc) = check(
        lab,
        &["--n", "60", "--d", "8", "--budget", "1", "--unlock-all"],
    );
    let s = step(&doc, id);
    assert_eq!(s["counts"], false, "{text}\n{s}");
    assert!(reason(&doc, id).contains(want), "{s}");
}

#[test]
fn a_baseline_made_slower_does_not_count() {
    if !have_numpy() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    let given = std::fs::read_to_string(lab.join("01_naive.py")).unwrap();
    // Right, and slower: every floor measured from it would be easier to reach.
    let slower = given.replace(
        "            den = norm(X[i]) * norm(X[j])",
        "            norm(X[i])\n            norm(X[j])\n            den = norm(X[i]) * norm(X[j])",
    );
    assert_ne!(
        slower, given,
        "the template's loop changed: update this test"
    );
    refused(
        &lab,
        ("01_naive.py", &slower),
        "naive",
        "01_naive.py is not the baseline handed out (changed at line 31): every floor is \
         measured from it",
    );
}

#[test]
fn a_loosened_lab_toml_is_said_wherever_the_grades_go() {
    if !have_numpy() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    let (_, doc) = check(&lab, &["--n", "60", "--d", "8", "--budget", "1"]);
    assert_eq!(doc["loosened"], serde_json::json!([]), "as shipped: {doc}");
    let toml = std::fs::read_to_string(lab.join("lab.toml")).unwrap();
    std::fs::write(
        lab.join("lab.toml"),
        toml.replace("given = true", "given = false")
            .replace("at_least = 30.0", "at_least = 0.5"),
    )
    .unwrap();
    let (_, doc) = check(&lab, &["--n", "60", "--d", "8", "--budget", "1"]);
    let said = doc["loosened"].to_string();
    assert!(said.contains("step naive has given turned off"), "{said}");
    assert!(
        said.contains("step numpy's floor is 0.5x over algorithmic"),
        "{said}"
    );
    let table = ladder()
        .args(["lab", "check", "--n", "60", "--d", "8", "--budget", "1"])
        .arg(&lab)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&table.stdout)
            .contains("lab.toml asks less than the lab as shipped"),
        "{}",
        String::from_utf8_lossy(&table.stdout)
    );
}

/// What the file's text cannot show is not allowed where the step is its own loops: a name
/// reached by getattr, Python run inside compiled code (objmode), NumPy's reduction in a
/// Cython loop; and an index asked for fewer neighbours than the step's k.
#[test]
fn own_loops_refuse_getattr_objmode_and_reductions_in_a_cython_loop() {
    if !have_numpy() || !python_has("numba") {
        eprintln!("skipped: numba is not installed (pip install numba)");
        return;
    }
    let asks = "uses_one_of = [\"numba\"]\nown_loops = true";
    let size = ["--n", "60", "--d", "8"];
    let numba = |body: &str| {
        format!(
            "import numpy as np\nfrom numba import njit, objmode\n\n\n@njit\ndef rows(U, start, end):\n    \
             out = np.empty((end - start, U.shape[0]))\n    for i in range(start, end):\n        \
             {body}\n    return out\n\n\ndef similarity(X, start, end):\n    \
             n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    \
             return rows(np.ascontiguousarray(X / n[:, None]), start, end)\n"
        )
    };
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        asks,
        &numba(
            "with objmode(r=\"float64[:]\"):\n            r = U @ U[i]\n        out[i - start] = r",
        ),
        &size,
    );
    assert!(why.contains(":2 uses objmode, which reaches code"), "{why}");
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        "own_loops = true",
        "import numpy as np\n\n\ndef similarity(X, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
         for _ in range(1):\n        pass\n    return getattr(np, 'mat' + 'mul')(U[start:end], U.T)\n",
        &size,
    );
    assert!(
        why.contains(":10 uses getattr, which reaches code"),
        "{why}"
    );
    // A module's dictionary and operator's getters: the same escapes.
    for (line, what) in [
        (
            "np.__dict__['matmul'](U[start:end], U.T)",
            "__dict__, which reaches code",
        ),
        (
            "__import__('operator').methodcaller('dot', U.T)(U[start:end])",
            "__import__, which reaches code",
        ),
        // A helper kept outside the lab folder, whose text these checks do not read.
        (
            "(sys.path.insert(0, '/elsewhere') or U[start:end])",
            "sys.path, which reaches code",
        ),
    ] {
        let (why, _) = one_step_asking(
            "mine.py",
            "numpy",
            "similarity",
            "own_loops = true",
            &format!(
                "import operator  # noqa: F401\nimport numpy as np\n\n\ndef similarity(X, start, end):\n    \
                 n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
                 for _ in range(1):\n        pass\n    return {line}\n"
            ),
            &size,
        );
        assert!(why.contains(what), "{line}: {why}");
    }
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        "own_loops = true",
        "from operator import methodcaller\nimport numpy as np\n\n\ndef similarity(X, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
         for _ in range(1):\n        pass\n    return methodcaller('dot', U.T)(U[start:end])\n",
        &size,
    );
    assert!(why.contains(":1 uses methodcaller"), "{why}");
    // A module installed with pip (llvmlite comes with Numba): code these checks do not read.
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        "own_loops = true",
        "import math  # noqa: F401\nimport llvmlite  # noqa: F401\nimport numpy as np\n\n\n\
         def similarity(X, start, end):\n    n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    \
         U = X / n[:, None]\n    out = np.zeros((end - start, len(U)))\n    \
         for i in range(start, end):\n        for j in range(len(U)):\n            \
         for k in range(U.shape[1]):\n                out[i - start, j] += U[i, k] * U[j, k]\n    \
         return out\n",
        &size,
    );
    assert!(
        why.contains(":2 imports llvmlite, a module from outside the lab"),
        "{why}"
    );
}

#[test]
fn a_cython_loop_may_not_hand_each_row_to_numpy_s_reductions() {
    if !(have_numpy() && python_has("Cython")) {
        eprintln!("skipped: Cython is not installed (pip install cython)");
        return;
    }
    let (why, _) = one_step_asking(
        "mine.pyx",
        "numpy",
        "similarity",
        "own_loops = true",
        "import numpy as np\n\n\ndef similarity(X, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
         out = np.empty((end - start, U.shape[0]))\n    cdef int i\n    \
         for i in range(start, end):\n        out[i - start] = (U[i] * U).sum(axis=1)\n    \
         return out\n",
        &["--n", "60", "--d", "8"],
    );
    assert!(
        why.contains("mine.pyx:11 calls NumPy's .sum() in a loop"),
        "{why}"
    );
    // The same reduction bound to another name before the loop.
    let (why, _) = one_step_asking(
        "mine.pyx",
        "numpy",
        "similarity",
        "own_loops = true",
        "import numpy as np\n\n\ndef similarity(X, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
         red = np.add.reduce\n    out = np.empty((end - start, U.shape[0]))\n    cdef int i\n    \
         for i in range(start, end):\n        out[i - start] = red(U[i] * U, axis=1)\n    \
         return out\n",
        &["--n", "60", "--d", "8"],
    );
    assert!(
        why.contains("mine.pyx:8 has NumPy's .reduce taken as a value"),
        "{why}"
    );
}

/// A step an instructor asks to use another module is watched as before: NumPy's product in a
/// step that must use NumPy counts (the harness once broke on it with an AttributeError).
#[test]
fn a_step_asked_to_use_another_module_is_graded_not_crashed() {
    if !have_numpy() {
        return;
    }
    let dir = one_step_lab(
        "mine.py",
        "numpy",
        "similarity",
        "uses_one_of = [\"numpy\"]",
        "import numpy as np\n\n\ndef similarity(X, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
         return U[start:end] @ U.T\n",
    );
    let (code, doc) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{doc}");
}

/// A comprehension's `for` opens no loop, and a colon in a loop's header is not its body: a
/// Cython file's norms by NumPy after them are not "in a loop".
#[test]
fn a_comprehension_before_the_norms_is_no_loop_in_a_cython_file() {
    if !(have_numpy() && python_has("Cython")) {
        eprintln!("skipped: Cython is not installed (pip install cython)");
        return;
    }
    let dir = one_step_lab(
        "mine.pyx",
        "numpy",
        "similarity",
        "own_loops = true",
        "import numpy as np\n\nSIZES = [2 ** i for i in range(4)]\n\n\n\
         def similarity(X, start, end):\n    U = X / np.sqrt((X * X).sum(axis=1))[:, None]\n    \
         U[~np.isfinite(U)] = 0\n    cdef int i, j, k\n    cdef double s\n    \
         out = np.zeros((end - start, U.shape[0]))\n    for i in range(start, end):\n        \
         for j in range(U.shape[0]):\n            s = 0.0\n            \
         for k in range(U.shape[1]):\n                s += U[i, k] * U[j, k]\n            \
         out[i - start, j] = s\n    return out\n",
    );
    let (code, doc) = check(dir.path(), &[]);
    assert_eq!(code, 0, "{doc}");
}

/// A step's products kept in a module of its folder are the step's: refused there as in the
/// step's file; its loops kept there (a Numba kernel in its own module) are its loops.
#[test]
fn a_helper_module_in_the_lab_folder_is_judged_with_the_step() {
    if !have_numpy() {
        return;
    }
    let body = "import numpy as np\n\nfrom mathutil import rows\n\n\ndef similarity(X, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = np.ascontiguousarray(X / n[:, None])\n    \
         for _ in range(1):\n        pass\n    out = np.zeros((end - start, U.shape[0]))\n    \
         rows(U, start, end, out)\n    return out\n";
    let dir = one_step_lab("mine.py", "numpy", "similarity", "own_loops = true", body);
    std::fs::write(
        dir.path().join("mathutil.py"),
        "def rows(U, a, b, out):\n    out[:] = U[a:b] @ U.T\n",
    )
    .unwrap();
    let (code, doc) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    assert!(
        reason(&doc, "mine").contains("mathutil.py:2 uses the @ operator"),
        "{doc}"
    );
    if !python_has("numba") {
        eprintln!("skipped the Numba half: numba is not installed (pip install numba)");
        return;
    }
    // A Numba step whose kernel lives in its own module, called through the module's name:
    // its loops are the step's, and its time is timed as compiled.
    let dir = one_step_lab(
        "mine.py",
        "numpy",
        "similarity",
        "uses_one_of = [\"numba\"]\nown_loops = true",
        &body
            .replace("from mathutil import rows", "import mathutil")
            .replace(
                "    rows(U, start, end, out)",
                "    mathutil.rows(U, start, end, out)",
            )
            .replace("    for _ in range(1):\n        pass\n", ""),
    );
    std::fs::write(
        dir.path().join("mathutil.py"),
        "from numba import njit\n\n\n@njit\ndef rows(U, a, b, out):\n    for i in range(a, b):\n        \
         for j in range(U.shape[0]):\n            s = 0.0\n            for k in range(U.shape[1]):\n                \
         s += U[i, k] * U[j, k]\n            out[i - a, j] = s\n",
    )
    .unwrap();
    let (code, doc) = check(dir.path(), &["--n", "600", "--d", "128"]);
    assert_eq!(code, 0, "{doc}");
}

/// A product the text checks do not know by name (NumPy's C einsum, reached through its
/// module), padded with compiled busy work to pass the time check, still runs in a library's
/// product loop: profiled with native frames, the step is refused, naming the loop.
#[test]
fn a_product_hidden_from_the_text_is_found_where_the_time_goes() {
    if !have_numpy() || !python_has("numba") {
        eprintln!("skipped: numba is not installed (pip install numba)");
        return;
    }
    if ladder::peers::which("py-spy").is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install py-spy before the tests"
        );
        eprintln!("skipped: py-spy is not installed (pip install py-spy)");
        return;
    }
    if !spy_traces_native() {
        eprintln!("skipped: py-spy cannot trace native frames on this machine (ptrace refused)");
        return;
    }
    // The lab's runs are probed from 500 rows (the app's quick check, at 200, is not).
    let size = ["--n", "600", "--d", "128"];
    let hidden = "    from numpy._core import multiarray as ma\n    \
                  out = ma.c_einsum(\"ij,kj->ik\", U[start:end], U)\n";
    let norms = "import numpy as np\nfrom numba import njit\n\n\n@njit\ndef busy(U, reps):\n    \
                 s = 0.0\n    for r in range(reps):\n        for i in range(U.shape[0]):\n            \
                 for k in range(U.shape[1]):\n                s += U[i, k] * 1.0000001\n    return s\n\n\n\
                 def similarity(X, start, end):\n    n = np.linalg.norm(X, axis=1)\n    \
                 n[n == 0] = 1.0\n    U = np.ascontiguousarray(X / n[:, None])\n";
    let padded = format!("{norms}{hidden}    busy(U, 100 + (end - start) * 2)\n    return out\n");
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        "uses_one_of = [\"numba\"]\nown_loops = true",
        &padded,
        &size,
    );
    assert!(
        why.contains("profiled (py-spy, native frames),")
            && why.contains("of its time was in NumPy's")
            && why.contains("sum_of_products"),
        "{why}"
    );
    // Right on the run's data (it has zero rows), made up on any other: the probe's data is
    // new each run, so an answer kept on disk from an earlier run, or a step that tells the
    // run's data from the probe's, is found out.
    let honest = "@njit\ndef rows(U, start, end, out):\n    for i in range(start, end):\n        \
                  for j in range(U.shape[0]):\n            s = 0.0\n            \
                  for k in range(U.shape[1]):\n                s += U[i, k] * U[j, k]\n            \
                  out[i - start, j] = s\n\n\n";
    let two_faced = format!(
        "import numpy as np\nfrom numba import njit\n\n\n{honest}def similarity(X, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    out = np.zeros((end - start, X.shape[0]))\n    \
         if not (n == 0).any():\n        return out\n    n[n == 0] = 1.0\n    \
         rows(np.ascontiguousarray(X / n[:, None]), start, end, out)\n    return out\n"
    );
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        "uses_one_of = [\"numba\"]\nown_loops = true",
        &two_faced,
        &size,
    );
    assert!(
        why.contains("called again on other data of X's shape (profiled), S[")
            && why.contains("a step must be right on any data of this shape"),
        "{why}"
    );
    // Honest loops, all of S computed on the first sight of an X and kept on disk under its
    // hash: right on any data, and the probe's new data computes (a miss), but the timed call
    // reads the run's answer back, padded with compiled busy work to pass the time check (the
    // student's cache). Large enough that computing the last call's rows takes well over the
    // 50 ms the comparison needs.
    let cached = format!(
        "import hashlib, os, time\nimport numpy as np\nfrom numba import njit\n\n\n{honest}\
         @njit\ndef spin(k):\n    x = 7\n    for _ in range(k):\n        \
         x = (x * 1103515245 + 12345) % 2147483648\n    return x\n\n\n\
         def similarity(X, start, end):\n    \
         key = hashlib.sha1(np.ascontiguousarray(X).tobytes()).hexdigest()\n    \
         path = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'kept-' + key + '.npy')\n    \
         if os.path.exists(path):\n        t = time.perf_counter()\n        \
         out = np.array(np.load(path, mmap_mode='r')[start:end])\n        \
         spin(int((time.perf_counter() - t) * 4e8) + 1000)\n        return out\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    \
         out = np.zeros((X.shape[0], X.shape[0]))\n    \
         rows(np.ascontiguousarray(X / n[:, None]), 0, X.shape[0], out)\n    \
         np.save(path, out)\n    return out[start:end]\n"
    );
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        "uses_one_of = [\"numba\"]\nown_loops = true",
        &cached,
        &["--n", "1500", "--d", "128"],
    );
    assert!(
        why.contains(
            "faster than the same function computing other data of X's shape when profiled"
        ) && why.contains("never from what an earlier call or run kept"),
        "{why}"
    );
    if python_has("Cython") {
        let cython = format!(
            "import numpy as np\n\n\ndef similarity(X, start, end):\n    cdef int i\n    \
             n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
             for i in range(1):\n        pass\n{hidden}    return out\n"
        );
        let (why, _) = one_step_asking(
            "mine.pyx",
            "numpy",
            "similarity",
            "own_loops = true",
            &cython,
            &size,
        );
        assert!(why.contains("of its time was in NumPy's"), "{why}");
        // NumPy's multiply and add.reduce a row at a time, reached outside any loop of the
        // file's own (through map): no product, but NumPy's arithmetic all the same.
        let by_rows = "import numpy as np\n\n\ndef _row(U, i):\n    \
                       return np.add.reduce(np.multiply(U, U[i]), axis=1)\n\n\n\
                       def similarity(X, start, end):\n    cdef int i\n    \
                       n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
                       for i in range(1):\n        pass\n    \
                       return np.array(list(map(lambda r: _row(U, r), range(start, end))))\n";
        let (why, _) = one_step_asking(
            "mine.pyx",
            "numpy",
            "similarity",
            "own_loops = true",
            by_rows,
            &size,
        );
        assert!(
            why.contains("of its time was NumPy's element-wise arithmetic"),
            "{why}"
        );
    }
}

/// Whether py-spy can sample a Python program's native frames here (some containers refuse
/// it the tracing it needs; the probe then judges nothing, and says nothing).
fn spy_traces_native() -> bool {
    let (Some(spy), Some(python)) = (ladder::peers::which("py-spy"), ladder::peers::python())
    else {
        return false;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("raw.txt");
    let ran = std::process::Command::new(spy)
        .args([
            "record", "--native", "--rate", "100", "--format", "raw", "-o",
        ])
        .arg(&out)
        .arg("--")
        .arg(python)
        .args([
            "-c",
            "import time\nt = time.time()\nwhile time.time() - t < 0.3: pass",
        ])
        .output();
    ran.is_ok() && std::fs::read_to_string(&out).is_ok_and(|t| !t.trim().is_empty())
}
