//! One correctness test applied to every rung and every instruction set, on awkward shapes,
//! against the float64 reference: every entry of S is checked.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use ladder::run::{CancelToken, RunStatus, Runner};
use ladder::rungs::{self, Context, Isa, Native, Output, OutputKind, Rung, SimMatrix, Threads};
use ladder::workload::reference::{Reference, tolerance};
use ladder::workload::{Distribution, Matrix, generate};

/// Every rung of the ladder, plus the native rungs forced to every ISA this CPU runs.
fn all_rungs() -> Vec<Box<dyn Rung>> {
    let mut v: Vec<Box<dyn Rung>> = rungs::ladder()
        .into_iter()
        .chain(rungs::extras())
        .filter(|r| r.output() == OutputKind::Full)
        .collect();
    for isa in Isa::available() {
        v.push(Box::new(Native::with_isa(isa)));
        v.push(Box::new(Threads::with_isa(isa)));
    }
    v
}

/// Runs `rung` over `x` the way the runner does (consecutive aligned blocks, uneven sizes).
fn compute(rung: &dyn Rung, x: &Matrix, threads: usize) -> SimMatrix {
    let mut kernel = rung
        .prepare(x, &Context::with_threads(threads))
        .expect("prepare");
    let n = x.n();
    let mut out = Output::Full(SimMatrix::new(n));
    let align = rung.row_align();
    let mut start = 0;
    let mut step = 1;
    while start < n {
        let end = (start + step * align).min(n);
        kernel.rows(start..end, &mut out);
        start = end;
        step += 2; // uneven blocks: 1, 3, 5... aligned units
    }
    match out {
        Output::Full(s) => s,
        Output::TopK(_) => unreachable!(),
    }
}

fn check_all(rung: &dyn Rung, x: &Matrix, what: &str) {
    let r = Reference::new(x);
    for threads in [1, 3] {
        let out = compute(rung, x, threads);
        let tol = tolerance(x.d());
        for i in 0..x.n() {
            for j in 0..x.n() {
                let got = out.get(i, j);
                let want = r.cosine(x, i, j);
                assert!(
                    got.is_finite() && (f64::from(got) - want).abs() <= tol,
                    "{} on {what} ({} × {}), threads {threads}: S[{i}][{j}] = {got}, want {want}",
                    rung.info().id,
                    x.n(),
                    x.d()
                );
            }
        }
    }
}

#[test]
fn every_rung_matches_the_reference_on_awkward_shapes() {
    let shapes = [
        (1, 1),
        (1, 768),
        (2, 3),
        (3, 1),
        (5, 8),
        (7, 13),
        (17, 31),
        (33, 65),
        (50, 7),
        (97, 100),
        (131, 33),
    ];
    for rung in all_rungs() {
        for (n, d) in shapes {
            let x = generate(Distribution::Normal, n, d, (n * 1000 + d) as u64).unwrap();
            check_all(rung.as_ref(), &x, "normal data");
        }
    }
}

#[test]
fn every_rung_handles_larger_blocks_and_clustered_data() {
    // Large enough to cross the native kernels' cache blocks (several column blocks).
    let x = generate(Distribution::Clustered, 600, 77, 9).unwrap();
    for rung in all_rungs() {
        if rung.info().id == "naive" {
            continue; // covered on the small shapes; too slow to check 360k entries here
        }
        check_all(rung.as_ref(), &x, "clustered data");
    }
}

#[test]
#[allow(clippy::float_cmp)] // exactly 0 by definition
fn zero_vectors_give_zero_cosines_never_nan() {
    let mut rows: Vec<Vec<f32>> = (0..23)
        .map(|i| {
            (0..19)
                .map(|k| ((i * 7 + k * 3) % 11) as f32 - 5.0)
                .collect()
        })
        .collect();
    for i in [0, 6, 7, 22] {
        rows[i] = vec![0.0; 19];
    }
    let x = Matrix::from_rows(&rows).unwrap();
    for rung in all_rungs() {
        check_all(rung.as_ref(), &x, "zero vectors");
        let out = compute(rung.as_ref(), &x, 2);
        for j in 0..x.n() {
            assert_eq!(out.get(6, j), 0.0, "{}", rung.info().id);
            assert_eq!(out.get(j, 22), 0.0, "{}", rung.info().id);
        }
    }
}

/// Valid inputs whose scale breaks a float32 norm: |row|² underflows (subnormal rows, rows of
/// scale 1e-30), overflows (rows of scale 3e19, one entry of 1e38), or both in one matrix.
/// Every rung must normalise them to the same unit rows as rows of scale 1.
fn awkward_scales(n: usize, d: usize, seed: u64) -> Vec<(&'static str, Matrix)> {
    let base = generate(Distribution::Normal, n, d, seed).unwrap();
    let scaled = |f: &dyn Fn(usize) -> f32| {
        let rows: Vec<Vec<f32>> = (0..n)
            .map(|i| base.row(i).iter().map(|&v| v * f(i)).collect())
            .collect();
        Matrix::from_rows(&rows).unwrap()
    };
    let mut huge_entry = scaled(&|_| 1.0);
    let mut rows: Vec<Vec<f32>> = (0..n).map(|i| huge_entry.row(i).to_vec()).collect();
    rows[n / 2][d / 2] = 1e38;
    huge_entry = Matrix::from_rows(&rows).unwrap();
    let subnormal = scaled(&|_| 1e-40);
    assert!(subnormal.as_slice().iter().any(|v| v.is_subnormal()));
    vec![
        ("rows of scale 1e-40 (subnormal)", subnormal),
        ("rows of scale 1e-30", scaled(&|_| 1e-30)),
        ("rows of scale 3e19", scaled(&|_| 3e19)),
        ("a row with a 1e38 entry", huge_entry),
        (
            "rows of scale 1e-25 and 1e15",
            scaled(&|i| if i % 2 == 0 { 1e-25 } else { 1e15 }),
        ),
    ]
}

#[test]
fn every_rung_is_right_on_rows_whose_norm_under_or_overflows_in_float32() {
    for (n, d) in [(23, 19), (40, 768)] {
        for (what, x) in awkward_scales(n, d, 77) {
            for rung in all_rungs() {
                check_all(rung.as_ref(), &x, what);
            }
        }
    }
}

#[test]
fn top_k_rungs_are_right_on_rows_whose_norm_under_or_overflows_in_float32() {
    use ladder::rungs::ann::{Ann, AnnParams};
    for (what, x) in awkward_scales(37, 48, 5) {
        let r = Reference::new(&x);
        let mut rungs: Vec<Box<dyn Rung>> = Isa::available()
            .into_iter()
            .map(|isa| Box::new(ladder::rungs::TopK::with_isa(isa)) as Box<dyn Rung>)
            .collect();
        // Searched exhaustively, so its answer must be exact.
        rungs.push(Box::new(Ann::new(AnnParams {
            m: 8,
            ef_construction: 32,
            ef_search: x.n(),
        })));
        for rung in rungs {
            let got = compute_topk(rung.as_ref(), &x, 5, 2);
            assert_exact_topk(&got, &x, &r, 5, &format!("{} on {what}", rung.info().id));
        }
    }
}

#[test]
fn all_zero_input_is_all_zero_output() {
    let x = Matrix::from_vec(9, 5, vec![0.0; 45]).unwrap();
    for rung in all_rungs() {
        let out = compute(rung.as_ref(), &x, 2);
        assert!(
            out.as_slice().iter().all(|&v| v == 0.0),
            "{}",
            rung.info().id
        );
    }
}

fn runner(n: usize, d: usize, budget: Duration) -> Runner {
    common::runner_on(Distribution::Normal, n, d, 1, budget)
}

#[test]
fn the_runner_verifies_every_rung_and_fills_speedups() {
    let r = runner(150, 40, Duration::from_mins(1));
    let (tx, rx) = mpsc::channel();
    let reports = r.run_all(
        &rungs::ladder(),
        &|e| tx.send(e).unwrap(),
        &CancelToken::new(),
    );
    drop(tx);
    assert_eq!(reports.len(), rungs::ladder().len());
    for rep in &reports {
        assert_eq!(rep.status, RunStatus::Completed, "{}", rep.rung);
        assert!(rep.verified(), "{}: {:?}", rep.rung, rep.verification);
        assert_eq!(rep.rows_done, 150);
        assert!(!rep.extrapolated);
        assert!(rep.speedup_vs_baseline.is_some());
    }
    assert_eq!(reports[0].speedup_vs_baseline, Some(1.0));
    assert!(reports[0].speedup_vs_previous.is_none());
    // Progress arrives in order and ends at n for each rung.
    let events: Vec<_> = rx.iter().collect();
    assert!(events.iter().any(|e| matches!(
        e,
        ladder::run::RunEvent::Progress {
            rows_done: 150,
            rows_total: 150,
            ..
        }
    )));
}

#[test]
fn a_rung_past_its_budget_is_extrapolated_and_marked() {
    let r = runner(400, 256, Duration::from_millis(1));
    let (tx, _rx) = mpsc::channel();
    let rung = rungs::find("naive").unwrap();
    let rep = r.run_one(
        0,
        rung.as_ref(),
        &|e| tx.send(e).unwrap(),
        &CancelToken::new(),
    );
    assert_eq!(rep.status, RunStatus::Extrapolated);
    assert!(rep.extrapolated);
    assert!(
        rep.rows_done > 0 && rep.rows_done < 400,
        "{}",
        rep.rows_done
    );
    assert!(rep.estimated_s > rep.kernel_s);
    // The prefix that was computed is still checked.
    assert!(rep.verified(), "{:?}", rep.verification);
}

#[test]
fn cancelling_stops_the_rung_and_the_rest() {
    let r = runner(200, 64, Duration::from_mins(1));
    let (tx, _rx) = mpsc::channel();
    let cancel = CancelToken::new();
    cancel.cancel();
    let reports = r.run_all(&rungs::ladder(), &|e| tx.send(e).unwrap(), &cancel);
    assert_eq!(
        reports.len(),
        1,
        "the rungs after a cancelled one do not run"
    );
    assert_eq!(reports[0].status, RunStatus::Cancelled);
    assert!(reports[0].speedup_vs_baseline.is_none());
}

/// The runner with `repeat` runs of each rung.
fn repeating(n: usize, d: usize, budget: Duration, repeat: usize) -> Runner {
    let r = runner(n, d, budget);
    r.reconfigured(ladder::run::RunConfig {
        repeat,
        ..r.config().clone()
    })
}

#[test]
fn a_repeated_rung_reports_the_median_of_its_runs_each_verified() {
    let r = repeating(120, 32, Duration::from_mins(1), 3);
    let (tx, rx) = mpsc::channel();
    let rungs: Vec<Box<dyn Rung>> = ["algorithmic", "native"]
        .iter()
        .map(|id| rungs::find(id).unwrap())
        .collect();
    let reports = r.run_all(&rungs, &|e| tx.send(e).unwrap(), &CancelToken::new());
    drop(tx);
    for rep in &reports {
        let runs = rep.repeat.as_ref().expect("the runs are kept");
        assert_eq!((runs.asked, runs.runs.len(), rep.runs()), (3, 3, 3));
        assert!(!runs.cancelled && runs.shared_budget_s.is_none());
        assert!(
            runs.runs
                .iter()
                .all(|x| x.verification.as_ref().unwrap().passed)
        );
        let mut times: Vec<f64> = runs.runs.iter().map(|x| x.estimated_s).collect();
        times.sort_by(f64::total_cmp);
        assert_eq!(
            rep.estimated_s.to_bits(),
            times[1].to_bits(),
            "the median of three"
        );
        assert_eq!(rep.time_range(), (times[0], times[2]));
        assert!(rep.verified() && rep.status == RunStatus::Completed);
    }
    // Speedups are of medians.
    let want = reports[0].estimated_s / reports[1].estimated_s;
    assert!((reports[1].speedup_vs_previous.unwrap() - want).abs() < 1e-12);
    // Each run is announced, with its budget.
    let starts: Vec<(usize, usize)> = rx
        .iter()
        .filter_map(|e| match e {
            ladder::run::RunEvent::Repeat { index, run, .. } => Some((index, run)),
            _ => None,
        })
        .collect();
    assert_eq!(starts, vec![(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]);
}

#[test]
fn the_later_runs_of_a_rung_the_budget_stopped_share_one_more_budget() {
    let budget = Duration::from_millis(2);
    let r = repeating(400, 256, budget, 5);
    let (tx, rx) = mpsc::channel();
    let rung = rungs::find("naive").unwrap();
    let rep = r.run_one(
        0,
        rung.as_ref(),
        &|e| tx.send(e).unwrap(),
        &CancelToken::new(),
    );
    drop(tx);
    assert!(rep.extrapolated && rep.status == RunStatus::Extrapolated);
    let runs = rep.repeat.as_ref().unwrap();
    assert_eq!(runs.runs.len(), 5);
    assert!(runs.runs.iter().all(|x| x.extrapolated && x.rows_done > 0));
    // Four later runs, one more budget between them: a quarter each.
    assert_eq!(runs.shared_budget_s, Some(budget.as_secs_f64() / 4.0));
    let budgets: Vec<Duration> = rx
        .iter()
        .filter_map(|e| match e {
            ladder::run::RunEvent::Repeat { budget, .. } => Some(budget),
            _ => None,
        })
        .collect();
    assert_eq!(budgets[0], budget);
    assert!(budgets[1..].iter().all(|b| *b == budget / 4), "{budgets:?}");
}

#[test]
fn a_cancel_between_repeats_keeps_the_runs_done_and_stops_the_rest() {
    let r = repeating(100, 16, Duration::from_mins(1), 4);
    let cancel = CancelToken::new();
    let runs_started = std::cell::Cell::new(0);
    let events = |e: ladder::run::RunEvent| {
        if let ladder::run::RunEvent::Repeat { run, .. } = e {
            runs_started.set(run + 1);
            // Cancel as the third run starts: two are done.
            if run == 2 {
                cancel.cancel();
            }
        }
    };
    let rungs: Vec<Box<dyn Rung>> = ["algorithmic", "native"]
        .iter()
        .map(|id| rungs::find(id).unwrap())
        .collect();
    let reports = r.run_all(&rungs, &events, &cancel);
    assert_eq!(reports.len(), 1, "the rungs after the cancel do not run");
    let rep = &reports[0];
    let runs = rep.repeat.as_ref().unwrap();
    assert!(runs.cancelled && runs.asked == 4);
    assert_eq!(rep.runs(), 2, "{runs:?}");
    assert!(rep.has_time() && rep.verified());
    assert_eq!(runs_started.get(), 3);
}

/// Runs a top-k rung over `x` the way the runner does and returns its neighbour lists.
fn compute_topk(
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
fn assert_exact_topk(
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

#[test]
fn the_jit_is_right_for_every_d_and_compiles_once_per_d() {
    // 1000 crosses the depth slice (two generated functions, the second accumulating).
    for d in [1, 7, 8, 768, 1000] {
        let x = generate(Distribution::Normal, 41, d, d as u64).unwrap();
        check_all(&rungs::Jit::detect(), &x, "normal data");
    }
    let x = generate(Distribution::Normal, 8, 123, 1).unwrap();
    let ctx = Context::with_threads(1);
    let first = rungs::Jit::detect().prepare(&x, &ctx).unwrap().compile();
    let second = rungs::Jit::detect().prepare(&x, &ctx).unwrap().compile();
    let (first, second) = (first.expect("compile time"), second.expect("compile time"));
    assert!(!first.cached && first.seconds > 0.0, "{first:?}");
    assert!(second.cached && second.seconds == 0.0, "{second:?}");
}

#[test]
fn the_library_entry_point_computes_any_rows_of_s() {
    let x = generate(Distribution::Normal, 613, 37, 4).unwrap();
    let r = Reference::new(&x);
    let data: Vec<f32> = (0..x.n()).flat_map(|i| x.row(i).to_vec()).collect();
    for rows in [0..1, 1..300, 5..6, 290..613, 0..613, 600..600] {
        let mut out = vec![f32::NAN; rows.len() * x.n()];
        ladder::rungs::native::rows_of_s(&data, x.n(), x.d(), rows.clone(), &mut out, 2);
        for (a, i) in rows.clone().enumerate() {
            for j in 0..x.n() {
                let got = out[a * x.n() + j];
                let want = r.cosine(&x, i, j);
                assert!(
                    (f64::from(got) - want).abs() <= tolerance(x.d()),
                    "rows {rows:?}: S[{i}][{j}] = {got}, want {want}"
                );
            }
        }
    }
}
