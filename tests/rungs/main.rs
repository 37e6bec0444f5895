//! One correctness test applied to every rung and every instruction set, on awkward shapes,
//! against the float64 reference: every entry of S is checked.

#[path = "../common/mod.rs"]
mod common;

use std::sync::mpsc;
use std::time::Duration;

use ladder::run::{CancelToken, RunStatus};
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

mod runs;
mod topk;

use topk::{assert_exact_topk, compute_topk};
