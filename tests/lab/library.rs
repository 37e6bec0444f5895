//! The library step's assessments: it must search an index of the rows (not NumPy's sort),
//! over every row and vector, for k neighbours, and build its index once.

use std::path::Path;

use super::integrity::refused;
use super::{check, have_numpy, ladder, one_step_asking, one_step_lab, python_has};

#[test]
fn the_library_step_needs_a_library_not_numpy_s_argsort() {
    if !have_numpy() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let lab = tmp.path().join("lab");
    ladder().args(["lab", "init"]).arg(&lab).assert().success();
    // Right answers, but the full matrix sorted: the question asked, not the step's lesson.
    let sorted = "import numpy as np\n\n\ndef topk(X, k, start, end):\n    \
         n = np.linalg.norm(X.astype(np.float64), axis=1)\n    n[n == 0] = 1.0\n    \
         U = X / n[:, None]\n    S = U[start:end] @ U.T\n    \
         S[np.arange(end - start), np.arange(start, end)] = -np.inf\n    \
         ids = np.argsort(-S, axis=1, kind='stable')[:, :k]\n    \
         return ids, np.take_along_axis(S, ids, axis=1).astype(np.float32)\n";
    // The same with the library imported and never called (imported is not used), or
    // called for a helper, not a search.
    let mut files = vec![sorted.to_string()];
    if python_has("faiss") {
        files.push(format!("import faiss  # noqa: F401\n{sorted}"));
        files.push(sorted.replace(
            "U = X / n[:, None]",
            "U = np.ascontiguousarray(X / n[:, None], dtype=np.float32)\n    \
             import faiss\n    faiss.normalize_L2(U)",
        ));
    }
    for file in files {
        refused(
            &lab,
            ("07_library.py", &file),
            "library",
            "nothing in it searched with faiss or hnswlib, which this step is about",
        );
    }
}

/// A library step's searches are counted as it runs: a search on the side of NumPy's sort
/// (one row, or an index of one vector) is not the step.
#[test]
fn the_library_step_searches_every_row_over_every_vector() {
    if !have_numpy() || !python_has("faiss") {
        eprintln!("skipped: faiss is not installed (pip install faiss-cpu)");
        return;
    }
    let asks = "uses_one_of = [\"faiss\", \"hnswlib\"]";
    let size = ["--n", "300", "--d", "16"];
    // The whole index, searched for one row beside the sort of every row.
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "topk",
        asks,
        &sorted_beside(
            "index = faiss.IndexFlatIP(U.shape[1]); index.add(U); index.search(U[:1], k)",
        ),
        &size,
    );
    assert!(
        why.contains("its index searches were asked for 1 row, but topk was asked for rows "),
        "{why}"
    );
    // Every row searched, in an index of one vector.
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "topk",
        asks,
        &sorted_beside(
            "index = faiss.IndexFlatIP(U.shape[1]); index.add(U[:1]); index.search(U[start:end], k)",
        ),
        &size,
    );
    assert!(
        why.contains("the index searched holds 1 vector, but each row's top-k is over all 300"),
        "{why}"
    );
    // faiss's raw search_c is a search too, counted once where search calls it: half the rows
    // searched through search (whose search_c must not count them again) still falls short.
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "topk",
        asks,
        &sorted_beside(
            "index = faiss.IndexFlatIP(U.shape[1]); index.add(U); \
             index.search(U[start:end - (end - start) // 2], k)",
        ),
        &size,
    );
    assert!(why.contains("were asked for 150 rows"), "{why}");
    let raw = "import faiss\nimport numpy as np\n\n\ndef topk(X, k, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    \
         U = np.ascontiguousarray(X / n[:, None], dtype=np.float32)\n    \
         index = faiss.IndexFlatIP(U.shape[1])\n    index.add(U)\n    m = end - start\n    \
         q = np.ascontiguousarray(U[start:end])\n    \
         D = np.empty((m, k + 1), dtype=np.float32)\n    I = np.empty((m, k + 1), dtype=np.int64)\n    \
         index.search_c(m, faiss.swig_ptr(q), k + 1, faiss.swig_ptr(D), faiss.swig_ptr(I))\n    \
         keep = I != np.arange(start, end)[:, None]\n    \
         order = np.argsort(~keep, axis=1, kind='stable')[:, :k]\n    \
         return np.take_along_axis(I, order, axis=1), np.take_along_axis(D, order, axis=1)\n";
    let dir = one_step_lab("mine.py", "numpy", "topk", asks, raw);
    let (code, doc) = check(dir.path(), &size);
    assert_eq!(code, 0, "{doc}");
}

/// A top-k step that answers with NumPy's sort of the full matrix, after `search` (a line
/// that builds and searches an index, or pretends to).
fn sorted_beside(search: &str) -> String {
    format!(
        "import faiss\nimport numpy as np\n\n\ndef topk(X, k, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    \
         U = np.ascontiguousarray(X / n[:, None], dtype=np.float32)\n    {search}\n    \
         S = U[start:end] @ U.T\n    \
         S[np.arange(end - start), np.arange(start, end)] = -np.inf\n    \
         ids = np.argsort(-S, axis=1, kind='stable')[:, :k]\n    \
         return ids, np.take_along_axis(S, ids, axis=1)\n"
    )
}

#[test]
fn the_library_step_asks_the_index_for_k_neighbours() {
    if !have_numpy() || !python_has("hnswlib") {
        eprintln!("skipped: hnswlib is not installed (pip install hnswlib)");
        return;
    }
    // Every row searched over every vector, for one neighbour each, beside NumPy's sort.
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "topk",
        "uses_one_of = [\"faiss\", \"hnswlib\"]",
        "import hnswlib\nimport numpy as np\n\n\ndef topk(X, k, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    \
         U = np.ascontiguousarray(X / n[:, None], dtype=np.float32)\n    \
         p = hnswlib.Index(space='ip', dim=U.shape[1])\n    p.init_index(max_elements=len(U))\n    \
         p.add_items(U)\n    p.knn_query(U[start:end], k=1)\n    S = U[start:end] @ U.T\n    \
         S[np.arange(end - start), np.arange(start, end)] = -np.inf\n    \
         ids = np.argsort(-S, axis=1, kind='stable')[:, :k]\n    \
         return ids, np.take_along_axis(S, ids, axis=1)\n",
        &["--n", "200", "--d", "16"],
    );
    assert!(
        why.contains("its index searches asked for 1 neighbour a row, but topk asks for k = 10"),
        "{why}"
    );
}

/// An index of other vectors than X's rows, or one searched and then ignored for NumPy's
/// sort, is not the step: its dimension and its answer are checked.
#[test]
fn the_library_step_returns_what_an_index_of_the_rows_found() {
    if !have_numpy() || !python_has("faiss") {
        eprintln!("skipped: faiss is not installed (pip install faiss-cpu)");
        return;
    }
    let asks = "uses_one_of = [\"faiss\", \"hnswlib\"]";
    let size = ["--n", "300", "--d", "16"];
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "topk",
        asks,
        &sorted_beside(
            "index = faiss.IndexFlatIP(1); index.add(np.ascontiguousarray(U[:, :1])); \
             index.search(np.ascontiguousarray(U[start:end, :1]), k + 1)",
        ),
        &size,
    );
    assert!(
        why.contains("the index searched holds vectors of 1 dimension, but X's rows have 16"),
        "{why}"
    );
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "topk",
        asks,
        &sorted_beside(
            "index = faiss.IndexLSH(U.shape[1], 1); index.add(U); index.search(U[start:end], k + 1)",
        ),
        &size,
    );
    assert!(
        why.contains("of the neighbours topk returned are ones its index searches found"),
        "{why}"
    );
    // The same with one more search asked for every vector: all found, none told apart.
    let (why, _) = one_step_asking(
        "mine.py",
        "numpy",
        "topk",
        asks,
        &sorted_beside(
            "index = faiss.IndexLSH(U.shape[1], 1); index.add(U); index.search(U[start:end], k + 1); \
             index.search(U[start:start + 1], U.shape[0])",
        ),
        &size,
    );
    assert!(
        why.contains("of the neighbours topk returned are ones its index searches found"),
        "{why}"
    );
    // Honest: more candidates asked of the index than k, itself left out of them.
    let honest = "import faiss\nimport numpy as np\n\n\ndef topk(X, k, start, end):\n    \
         n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    \
         U = np.ascontiguousarray(X / n[:, None], dtype=np.float32)\n    \
         index = faiss.IndexFlatIP(U.shape[1])\n    index.add(U)\n    \
         D, I = index.search(U[start:end], 4 * k)\n    \
         keep = I != np.arange(start, end)[:, None]\n    \
         order = np.argsort(~keep, axis=1, kind='stable')[:, :k]\n    \
         return np.take_along_axis(I, order, axis=1), np.take_along_axis(D, order, axis=1)\n";
    let dir = one_step_lab("mine.py", "numpy", "topk", asks, honest);
    let (code, doc) = check(dir.path(), &["--n", "2000", "--d", "128", "--k", "40"]);
    assert_eq!(code, 0, "{doc}");
}

/// Each call of a step is a process of its own, so the library step builds its index in every
/// call; the whole workload builds it once, and once is what is timed: the first call's (rows
/// from 0). A later call's time inside the index's build (faiss's add and train, hnswlib's
/// add_items) is set-up; what it does around the build is timed.
#[test]
fn the_library_step_s_index_build_is_timed_once() {
    if !have_numpy() {
        return;
    }
    let harness = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/lab/_lab_harness.py");
    let python = ladder::peers::python().expect("python");
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("X.npy");
    let made = std::process::Command::new(&python)
        .args([
            "-c",
            "import numpy as np, sys\nnp.save(sys.argv[1], np.random.default_rng(0)\
             .standard_normal((2000, 32)).astype(np.float32))",
        ])
        .arg(&x)
        .status()
        .unwrap();
    assert!(made.success());
    // A build that outweighs the searches: a graph index built with a wide candidate list.
    let tail = "    D, I = search(U[start:end], k + 1)\n    \
                keep = I != np.arange(start, end)[:, None]\n    \
                order = np.argsort(~keep, axis=1, kind='stable')[:, :k]\n    \
                return np.take_along_axis(I, order, axis=1), np.take_along_axis(D, order, axis=1)\n";
    let head = "import numpy as np\n\n\ndef topk(X, k, start, end):\n    \
                n = np.linalg.norm(X, axis=1)\n    n[n == 0] = 1.0\n    \
                U = np.ascontiguousarray(X / n[:, None], dtype=np.float32)\n";
    let mut steps = Vec::new();
    if python_has("hnswlib") {
        steps.push(format!(
            "{head}    import hnswlib\n    index = hnswlib.Index(space='ip', dim=U.shape[1])\n    \
             index.init_index(max_elements=U.shape[0], ef_construction=400, M=32)\n    \
             index.add_items(U)\n    index.set_ef(100)\n    \
             def search(q, kk):\n        I, D = index.knn_query(q, k=kk)\n        return 1 - D, I\n{tail}"
        ));
    }
    if python_has("faiss") {
        steps.push(format!(
            "{head}    import faiss\n    index = faiss.IndexHNSWFlat(U.shape[1], 32, \
             faiss.METRIC_INNER_PRODUCT)\n    index.hnsw.efConstruction = 400\n    index.add(U)\n    \
             index.hnsw.efSearch = 100\n    search = index.search\n{tail}"
        ));
    }
    if steps.is_empty() {
        eprintln!(
            "skipped: neither faiss nor hnswlib is installed (pip install faiss-cpu hnswlib)"
        );
        return;
    }
    for step in steps {
        let file = dir.path().join("mine.py");
        std::fs::write(&file, &step).unwrap();
        let kernel = |rows: &str| {
            let out = std::process::Command::new(&python)
                .arg(&harness)
                .arg("--step")
                .arg(&file)
                .args(["--function", "topk", "--k", "10", "--uses", "faiss,hnswlib"])
                .arg("--input")
                .arg(&x)
                .args(["--rows", rows, "--output"])
                .arg(dir.path().join("ids.npy"))
                .arg("--sims")
                .arg(dir.path().join("sims.npy"))
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let last = text.lines().last().unwrap_or_default().to_string();
            let doc: serde_json::Value = serde_json::from_str(&last).unwrap_or_else(|_| {
                panic!("{step}\n{text}\n{}", String::from_utf8_lossy(&out.stderr))
            });
            doc["kernel_s"].as_f64().unwrap()
        };
        // The same rows but one, side by side: the call from row 0 builds in its time.
        let (first, later) = (kernel("0:2000"), kernel("1:2000"));
        assert!(
            later < 0.6 * first,
            "{step}\nfirst {first} s, later {later} s"
        );
    }
}
