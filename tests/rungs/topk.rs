//! The top-k rungs and the approximate index: exact neighbours on awkward shapes, recall,
//! parameters refused with the reason.

use super::runs::runner;
use super::*;

/// Runs a top-k rung over `x` the way the runner does and returns its neighbour lists.
pub(crate) fn compute_topk(
    rung: &dyn Rung,
    x: &Matrix,
    k: usize,
    threads: usize,
) -> ladder::rungs::Neighbours {
    let mut kernel = rung
        .prepare(x, &Context::with_threads(threads))
        .expect("prepare");
    let n = x.n();
    let mut out = Output::TopK(ladder::rungs::Neighbours::new(n, k));
    let align = rung.row_align();
    let mut start = 0;
    let mut step = 1;
    while start < n {
        // Uneven blocks (1, 3, 5... aligned units): several row chunks in one call too.
        let end = (start + step * align).min(n);
        kernel.rows(start..end, &mut out);
        start = end;
        step += 2;
    }
    match out {
        Output::TopK(t) => t,
        Output::Full(_) => unreachable!(),
    }
}

/// Shapes that trip top-k selections: a single row, ties, a zero vector, d = 1, rows that do
/// not fill a block.
fn topk_cases() -> Vec<Matrix> {
    let mut rows: Vec<Vec<f32>> = (0..40)
        .map(|i| {
            (0..9)
                .map(|k| ((i * 5 + k * 7) % 13) as f32 - 6.0)
                .collect()
        })
        .collect();
    rows[3] = vec![0.0; 9]; // a zero vector: cosine 0 with everything
    let (head, tail) = rows.split_at_mut(11);
    head[10].clone_from(&tail[0]); // an exact tie
    let with_zero = Matrix::from_rows(&rows).unwrap();
    let mut cases: Vec<Matrix> = [
        (1, 4),
        (2, 3),
        (3, 1),
        (17, 31),
        (300, 20),
        (613, 65),
        (1500, 8),
    ]
    .iter()
    .map(|&(n, d)| generate(Distribution::Clustered, n, d, n as u64).unwrap())
    .collect();
    cases.push(with_zero);
    cases
}

/// Every row of `got` holds k distinct other rows, each similarity right, and the t-th as
/// good as the t-th best (ties allowed).
pub(crate) fn assert_exact_topk(
    got: &ladder::rungs::Neighbours,
    x: &Matrix,
    r: &Reference,
    k: usize,
    what: &str,
) {
    let k = k.min(x.n() - 1);
    let tol = tolerance(x.d());
    assert_eq!(got.k(), k);
    for i in 0..x.n() {
        let mut exact: Vec<f64> = (0..x.n())
            .filter(|&j| j != i)
            .map(|j| r.cosine(x, i, j))
            .collect();
        exact.sort_by(|a, b| b.total_cmp(a));
        let row = got.row(i);
        assert_eq!(row.len(), k);
        let mut seen = std::collections::HashSet::new();
        for (t, &(j, s)) in row.iter().enumerate() {
            assert!(
                j != i && j < x.n() && seen.insert(j),
                "{what} n={} row {i}: bad index {j}",
                x.n()
            );
            let truth = r.cosine(x, i, j);
            assert!(
                (f64::from(s) - truth).abs() <= tol,
                "{what}: S[{i}][{j}] = {s}, want {truth}"
            );
            assert!(
                truth >= exact[t] - tol,
                "{what} n={} row {i}: place {t} holds {truth}, want {}",
                x.n(),
                exact[t]
            );
        }
    }
}

#[test]
fn top_k_finds_the_true_neighbours_on_awkward_shapes() {
    let cases = topk_cases();
    for isa in Isa::available() {
        let rung = ladder::rungs::TopK::with_isa(isa);
        for x in &cases {
            let r = Reference::new(x);
            for k in [1, 3, 10, 1000] {
                for threads in [1, 3] {
                    let got = compute_topk(&rung, x, k, threads);
                    assert_exact_topk(&got, x, &r, k, &isa.to_string());
                }
            }
        }
    }
}

#[test]
fn the_ann_index_searched_exhaustively_is_exact_on_awkward_shapes() {
    use ladder::rungs::ann::{Ann, AnnParams};
    // With ef at least n a walk visits every node reachable on layer 0, so the answer must be
    // the exact top k: this checks the graph reaches every node, built on one thread and on
    // several at once, and that every reported similarity is right.
    for x in &topk_cases() {
        let r = Reference::new(x);
        let rung = Ann::new(AnnParams {
            m: 8,
            ef_construction: 32,
            ef_search: x.n(),
        });
        for threads in [1, 3] {
            for k in [1, 10] {
                let got = compute_topk(&rung, x, k, threads);
                assert_exact_topk(&got, x, &r, k, &format!("ann, {threads} threads"));
            }
        }
    }
}

#[test]
fn the_runner_verifies_top_k_without_the_full_matrix() {
    let r = runner(900, 48, Duration::from_mins(1));
    let (tx, _rx) = mpsc::channel();
    let rung = rungs::find("topk").unwrap();
    let rep = r.run_one(
        0,
        rung.as_ref(),
        &|e| tx.send(e).unwrap(),
        &CancelToken::new(),
    );
    assert_eq!(rep.status, RunStatus::Completed);
    assert!(rep.verified(), "{:?}", rep.verification);
    assert!(rep.verification.as_ref().unwrap().entries_checked >= 10);
}

#[test]
fn the_ann_index_reaches_the_recall_floor_on_clustered_data() {
    let r = common::runner_on(Distribution::Clustered, 1500, 48, 5, Duration::from_mins(1));
    let rung = rungs::find("ann").unwrap();
    assert!(rung.approximate());
    let rep = r.run_one(0, rung.as_ref(), &|_| {}, &CancelToken::new());
    let v = rep.verification.clone().unwrap();
    let recall = v.recall.expect("an approximate rung reports recall");
    assert!(
        recall >= ladder::workload::reference::RECALL_FLOOR,
        "recall {recall}"
    );
    assert!(
        v.max_abs_err <= v.tolerance,
        "reported similarities are exact: {v:?}"
    );
    assert!(rep.verified());
}

#[test]
fn bad_ann_parameters_are_refused_with_the_reason() {
    use ladder::rungs::ann::{Ann, AnnParams};
    let x = generate(Distribution::Normal, 50, 8, 1).unwrap();
    for (params, expect) in [
        (
            AnnParams {
                m: 300,
                ..AnnParams::default()
            },
            "--ann-m",
        ),
        (
            AnnParams {
                m: 32,
                ef_construction: 8,
                ..AnnParams::default()
            },
            "--ann-ef-construction",
        ),
        (
            AnnParams {
                ef_search: 0,
                ..AnnParams::default()
            },
            "--ann-ef-search",
        ),
    ] {
        let e = Ann::new(params)
            .prepare(&x, &Context::with_threads(1))
            .err()
            .expect("refused");
        assert!(e.to_string().contains(expect), "{e}");
    }
}
