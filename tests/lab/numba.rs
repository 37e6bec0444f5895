//! The Numba step's assessments: its loops must be what Numba compiled, where its time goes,
//! and computed from each call's X, never kept from its first call.

use super::integrity::refused;
use super::{check, have_numpy, ladder, one_step_asking, one_step_lab, python_has};

#[test]
fn the_numba_step_needs_a_loop_numba_compiled() {
    if !have_numpy() || !python_has("numba") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    // Right and fast, with numba imported: NumPy's product under the step's name.
    refused(
        &lab,
        (
            "05_numba.py",
            "import numba  # noqa: F401\nimport numpy as np\n\n\ndef similarity(X, start, end):\n    \
             n = np.linalg.norm(X, axis=1, keepdims=True)\n    n[n == 0] = 1\n    U = X / n\n    \
             return U[start:end] @ U.T\n",
        ),
        "numba",
        "nothing in it called numba, which this step is about",
    );
    // Compiled by Numba, but the product is still the whole matrix's, in one call.
    refused(
        &lab,
        (
            "05_numba.py",
            "import numpy as np\nfrom numba import njit\n\n\n@njit\ndef normalise(X):\n    \
             U = np.empty_like(X)\n    for i in range(X.shape[0]):\n        \
             n = np.sqrt((X[i] * X[i]).sum())\n        U[i] = X[i] / n if n > 0 else X[i]\n    \
             return U\n\n\ndef similarity(X, start, end):\n    U = normalise(X)\n    \
             return U[start:end] @ U.T\n",
        ),
        "numba",
        "05_numba.py:16 uses the @ operator, a library's product",
    );
    // A loop compiled for the norms, and NumPy's product beside it under another name.
    refused(
        &lab,
        (
            "05_numba.py",
            "import numpy as np\nfrom numba import njit\n\n\n@njit\ndef fix(n):\n    \
             for i in range(n.shape[0]):\n        if n[i] == 0:\n            n[i] = 1.0\n\n\n\
             def similarity(X, start, end):\n    n = np.linalg.norm(X, axis=1)\n    fix(n)\n    \
             U = X / n[:, None]\n    return np.inner(U[start:end], U)\n",
        ),
        "numba",
        "05_numba.py:16 uses inner, a library's product",
    );
    // The same under another name: the import names it.
    refused(
        &lab,
        (
            "05_numba.py",
            "import numpy as np\nfrom numpy import matmul as mm\nfrom numba import njit\n\n\n\
             @njit\ndef touch(n):\n    s = 0\n    for i in range(n):\n        s += i\n    \
             return s\n\n\ndef similarity(X, start, end):\n    touch(3)\n    \
             n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    U = X / n[:, None]\n    \
             return mm(U[start:end], U.T)\n",
        ),
        "numba",
        "05_numba.py:2 uses matmul, a library's product",
    );
}

/// A Numba step's compiled functions are timed as it runs: NumPy doing the products in a
/// Python loop beside a do-nothing @njit is not the step; a compiled kernel per row is.
#[test]
fn the_numba_step_spends_its_time_in_what_numba_compiled() {
    if !have_numpy() || !python_has("numba") {
        eprintln!("skipped: numba is not installed (pip install numba)");
        return;
    }
    let asks = "uses_one_of = [\"numba\"]\nown_loops = true";
    let size = ["--n", "600", "--d", "128"];
    let file = |inner: &str, kernel: &str| {
        format!(
            "import numpy as np\nfrom numba import njit\n\n\n{kernel}\n\n\n\
             def similarity(X, start, end):\n    n = np.linalg.norm(X, axis=1)\n    \
             n[n == 0] = 1.0\n    U = np.ascontiguousarray(X / n[:, None])\n    \
             out = np.empty((end - start, U.shape[0]))\n    for i in range(start, end):\n        \
             {inner}\n    return out\n"
        )
    };
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        asks,
        &file(
            "out[i - start] = keep((U * U[i]).sum(axis=1))",
            "@njit\ndef keep(x):\n    for _ in range(1):\n        pass\n    return x",
        ),
        &size,
    );
    // Told by the time check, or, in the call the native probe watches, by where the time
    // went: NumPy's element-wise arithmetic.
    assert!(
        why.contains("of the call ran outside the functions Numba compiled")
            || why.contains("of its time was NumPy's element-wise arithmetic"),
        "{why}"
    );
    // The honest row loop: each row's products in a compiled kernel.
    let row = "@njit\ndef row(U, i, out):\n    for j in range(U.shape[0]):\n        s = 0.0\n        \
               for k in range(U.shape[1]):\n            s += U[i, k] * U[j, k]\n        out[j] = s";
    let dir = one_step_lab(
        "mine.py",
        "numpy",
        "similarity",
        asks,
        &file("row(U, i, out[i - start])", row),
    );
    let (code, doc) = check(dir.path(), &size);
    assert_eq!(code, 0, "{doc}");
    // A kernel handed to another compiled function as a value is still a compiled function to
    // Numba while watched, so the honest call runs, timed.
    let table = format!(
        "{row}\n\n\n@njit\ndef table(f, U, start, out):\n    for i in range(start, start + out.shape[0]):\n        \
         f(U, i, out[i - start])"
    );
    let dir = one_step_lab(
        "mine.py",
        "numpy",
        "similarity",
        asks,
        &file("pass\n    table(row, U, start, out)", &table),
    );
    let (code, doc) = check(dir.path(), &size);
    assert_eq!(code, 0, "{doc}");
    // A gufunc Numba compiled (@guvectorize) is the student's loops too, timed like a call.
    let gufunc = "from numba import guvectorize\n\n\n\
                  @guvectorize([\"void(float64[:], float64[:, :], float64[:])\"], \"(d),(n,d)->(n)\")\n\
                  def sims(u, U, out):\n    for j in range(U.shape[0]):\n        s = 0.0\n        \
                  for k in range(U.shape[1]):\n            s += u[k] * U[j, k]\n        out[j] = s";
    let dir = one_step_lab(
        "mine.py",
        "numpy",
        "similarity",
        asks,
        &file("pass\n    out[:] = sims(U[start:end], U)", gufunc),
    );
    let (code, doc) = check(dir.path(), &size);
    assert_eq!(code, 0, "{doc}");
    // A step that sees it is watched and raises is told its own error: no run goes unwatched.
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        asks,
        &file(
            "out[i - start] = keep((U * U[i]).sum(axis=1))\n    \
             if not hasattr(keep, \"py_func\") or type(keep).__module__.startswith(\"_lab\"):\n        \
             raise TypeError(\"watched\")",
            "@njit\ndef keep(x):\n    for _ in range(1):\n        pass\n    return x",
        ),
        &size,
    );
    assert!(why.contains("TypeError: watched"), "{why}");
}

/// A Numba step that keeps what its first call worked out, whatever X the next call brings,
/// is told so: the first call (which compiles) is given other data.
#[test]
fn a_numba_step_that_keeps_its_first_calls_rows_is_told_so() {
    if !have_numpy() || !python_has("numba") {
        eprintln!("skipped: numba is not installed (pip install numba)");
        return;
    }
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "similarity",
        "uses_one_of = [\"numba\"]\nown_loops = true",
        "import numpy as np\nfrom numba import njit\n\n_U = None\n\n\n@njit\n\
         def rows(U, start, end):\n    out = np.empty((end - start, U.shape[0]))\n    \
         for i in range(start, end):\n        for j in range(U.shape[0]):\n            \
         s = 0.0\n            for k in range(U.shape[1]):\n                \
         s += U[i, k] * U[j, k]\n            out[i - start, j] = s\n    return out\n\n\n\
         def similarity(X, start, end):\n    global _U\n    if _U is None:\n        \
         n = np.linalg.norm(X, axis=1)\n        n[n == 0] = 1.0\n        \
         _U = np.ascontiguousarray(X / n[:, None])\n    return rows(_U, start, end)\n",
        &["--n", "60", "--d", "8"],
    );
    assert!(
        why.contains("returned rows of the data its first call was given"),
        "{why}"
    );
}
