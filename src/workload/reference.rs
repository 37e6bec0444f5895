//! The float64 oracle every rung is checked against.
//!
//! Computing the whole float64 matrix would cost more than the rungs it checks, so a check
//! samples: a few whole rows plus random entries inside the rows a rung computed.

use super::Matrix;
use super::generate::Rng;

/// Float64 norms of every row, computed once.
#[derive(Clone, Debug)]
pub struct Reference {
    norms: Vec<f64>,
}

impl Reference {
    #[must_use]
    pub fn new(x: &Matrix) -> Self {
        let norms = (0..x.n())
            .map(|i| {
                x.row(i)
                    .iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    .sqrt()
            })
            .collect();
        Self { norms }
    }

    /// cos(x_i, x_j) in float64; 0 when either vector is zero.
    #[must_use]
    pub fn cosine(&self, x: &Matrix, i: usize, j: usize) -> f64 {
        let (ni, nj) = (self.norms[i], self.norms[j]);
        if ni == 0.0 || nj == 0.0 {
            return 0.0;
        }
        let dot: f64 = x
            .row(i)
            .iter()
            .zip(x.row(j))
            .map(|(&a, &b)| f64::from(a) * f64::from(b))
            .sum();
        dot / (ni * nj)
    }
}

/// The largest absolute error accepted for a float32 result of dimension `d`.
///
/// Float32 sums of d products of unit-scale terms drift by about sqrt(d)·ε; 1e-4 is far above
/// that for every practical d and far below any real bug (a wrong row or a missing norm is off
/// by 1e-2 or more).
#[must_use]
pub fn tolerance(d: usize) -> f64 {
    (8.0 * (d as f64).sqrt() * f64::from(f32::EPSILON)).max(1e-4)
}

/// How many entries a check looks at.
#[derive(Clone, Copy, Debug)]
pub struct SamplePlan {
    /// Whole rows checked (spread over the computed prefix, first and last included).
    pub full_rows: usize,
    /// Extra random entries.
    pub random_entries: usize,
    pub seed: u64,
}

impl Default for SamplePlan {
    fn default() -> Self {
        Self {
            full_rows: 4,
            random_entries: 4096,
            seed: 0x001a_dde5,
        }
    }
}

/// The outcome of checking a rung's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Verification {
    pub checked: usize,
    pub max_abs_err: f64,
    /// Where the largest error was (row, column), and what was found there.
    pub worst: Option<(usize, usize)>,
    /// At `worst`: what the reference says and what was found, when the error is a wrong
    /// value (not a missing or repeated neighbour).
    pub worst_values: Option<(f64, f64)>,
    pub tolerance: f64,
    /// NaN or infinity found in the output.
    pub non_finite: Option<(usize, usize)>,
    /// For an approximate top-k: the share of the true k nearest found, on the sampled rows.
    pub recall: Option<f64>,
}

/// The least recall@k an approximate rung must reach to pass.
pub const RECALL_FLOOR: f64 = 0.9;

impl Verification {
    #[must_use]
    pub fn passed(&self) -> bool {
        self.non_finite.is_none()
            && self.max_abs_err <= self.tolerance
            && self.checked > 0
            && self.recall.is_none_or(|r| r >= RECALL_FLOOR)
    }
}

/// Multiply-adds (rows × n × d) up to which a check looks at every entry computed, not a
/// sample: about half a second of float64 here. The lab's 2000 × 128 and a ladder up to
/// 1000 × 768 are checked whole, so one wrong entry fails; larger outputs are sampled (whole
/// rows spread over them, and random entries), which catches a wrong row, not a wrong cell.
pub const FULL_CHECK_WORK: u64 = 1_000_000_000;

/// Checks the first `rows` rows of a row-major n×n output `s` against the reference: every
/// entry while that is at most [`FULL_CHECK_WORK`], else `plan`'s sample. Rows at and past
/// `rows` were not computed and are ignored.
#[must_use]
pub fn verify_rows(
    x: &Matrix,
    reference: &Reference,
    s: &[f32],
    rows: usize,
    plan: SamplePlan,
) -> Verification {
    let n = x.n();
    assert_eq!(s.len(), n * n, "output must be n × n");
    let rows = rows.min(n);
    let mut v = Verification {
        checked: 0,
        max_abs_err: 0.0,
        worst: None,
        worst_values: None,
        tolerance: tolerance(x.d()),
        non_finite: None,
        recall: None,
    };
    if rows == 0 {
        return v;
    }
    let check = |i: usize, j: usize, v: &mut Verification| {
        check_entry(x, reference, s[i * n + j], (i, j), v);
    };
    let work = (rows as u64)
        .saturating_mul(n as u64)
        .saturating_mul(x.d() as u64);
    if work <= FULL_CHECK_WORK {
        for i in 0..rows {
            for j in 0..n {
                check(i, j, &mut v);
            }
        }
        return v;
    }
    let full = plan.full_rows.min(rows);
    for t in 0..full {
        let i = if full == 1 {
            0
        } else {
            t * (rows - 1) / (full - 1)
        };
        for j in 0..n {
            check(i, j, &mut v);
        }
    }
    let mut rng = Rng::new(plan.seed);
    for _ in 0..plan.random_entries {
        let i = rng.below(rows);
        let j = rng.below(n);
        check(i, j, &mut v);
    }
    v
}

/// Checks every entry of rows `range` of a row-major n×n output `s` into `v` (rows computed
/// apart from the first ones: a program's last rows, run after its budget).
pub fn verify_row_range(
    x: &Matrix,
    reference: &Reference,
    s: &[f32],
    range: std::ops::Range<usize>,
    v: &mut Verification,
) {
    let n = x.n();
    if s.len() != n * n {
        return;
    }
    for i in range.start.min(n)..range.end.min(n) {
        for j in 0..n {
            check_entry(x, reference, s[i * n + j], (i, j), v);
        }
    }
}

/// Checks one entry `got` of S at `(i, j)` against the reference into `v`: counted, a
/// non-finite one noted, and the worst error kept with its values.
fn check_entry(
    x: &Matrix,
    reference: &Reference,
    got: f32,
    (i, j): (usize, usize),
    v: &mut Verification,
) {
    v.checked += 1;
    if !got.is_finite() {
        v.non_finite.get_or_insert((i, j));
        return;
    }
    let want = reference.cosine(x, i, j);
    let err = (f64::from(got) - want).abs();
    if err > v.max_abs_err || v.worst.is_none() {
        v.max_abs_err = v.max_abs_err.max(err);
        v.worst = Some((i, j));
        v.worst_values = Some((want, f64::from(got)));
    }
}

/// Checks a top-k result on sampled rows of the first `rows`: every reported similarity is
/// right (within the tolerance), and every reported neighbour really is among the k most
/// similar (ties at the k-th place accepted). With `approximate`, missing true neighbours are
/// not errors but lower the recall, which must reach [`RECALL_FLOOR`]. `neighbours(i)` gives
/// row i's list.
#[must_use]
pub fn verify_topk(
    x: &Matrix,
    reference: &Reference,
    k: usize,
    rows: usize,
    neighbours: &dyn Fn(usize) -> Vec<(usize, f32)>,
    plan: SamplePlan,
    approximate: bool,
) -> Verification {
    let n = x.n();
    let rows = rows.min(n);
    let mut v = Verification {
        checked: 0,
        max_abs_err: 0.0,
        worst: None,
        worst_values: None,
        tolerance: tolerance(x.d()),
        non_finite: None,
        recall: None,
    };
    let (mut hits, mut wanted) = (0usize, 0usize);
    if rows == 0 || k == 0 {
        v.checked = usize::from(rows > 0 && k == 0);
        return v;
    }
    let mut rng = Rng::new(plan.seed);
    let mut sample: Vec<usize> = vec![0, rows - 1, rows / 2];
    // Whole-row checks cost n·d each: a few dozen rows say enough.
    sample.extend((0..plan.full_rows.max(1) * 4).map(|_| rng.below(rows)));
    sample.sort_unstable();
    sample.dedup();
    for i in sample {
        let mut exact: Vec<(usize, f64)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| (j, reference.cosine(x, i, j)))
            .collect();
        exact.sort_by(|a, b| b.1.total_cmp(&a.1));
        let kth = exact[k - 1].1;
        let got = neighbours(i);
        let mut seen = std::collections::HashSet::new();
        let note = |err: f64, at: (usize, usize), values, v: &mut Verification| {
            if err > v.max_abs_err || v.worst.is_none() {
                v.max_abs_err = v.max_abs_err.max(err);
                v.worst = Some(at);
                v.worst_values = values;
            }
        };
        wanted += k;
        if got.len() != k {
            note(f64::INFINITY, (i, 0), None, &mut v);
            continue;
        }
        for (j, s) in got {
            v.checked += 1;
            if j >= n || j == i || !seen.insert(j) {
                note(f64::INFINITY, (i, j.min(n - 1)), None, &mut v);
                continue;
            }
            if !s.is_finite() {
                v.non_finite.get_or_insert((i, j));
                continue;
            }
            let truth = reference.cosine(x, i, j);
            let is_hit = truth >= kth - v.tolerance;
            hits += usize::from(is_hit);
            // A wrong value is always an error; a neighbour outside the k best is one unless
            // the rung is approximate (then it only lowers the recall).
            let value_err = (f64::from(s) - truth).abs();
            let err = if approximate {
                value_err
            } else {
                value_err.max(kth - truth)
            };
            // Values only when the value is what is wrong, not the choice of neighbour.
            let values = (value_err >= err).then_some((truth, f64::from(s)));
            note(err, (i, j), values, &mut v);
        }
    }
    if approximate && wanted > 0 {
        v.recall = Some(hits as f64 / wanted as f64);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::float_cmp)] // 0 is exact by definition
    fn zero_vectors_have_cosine_zero() {
        let x = Matrix::from_rows(&[vec![0.0, 0.0], vec![1.0, 2.0]]).unwrap();
        let r = Reference::new(&x);
        assert_eq!(r.cosine(&x, 0, 1), 0.0);
        assert_eq!(r.cosine(&x, 0, 0), 0.0);
        assert!((r.cosine(&x, 1, 1) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn a_wrong_neighbour_fails_the_top_k_check() {
        let x = Matrix::from_rows(&[
            vec![1.0, 0.0],
            vec![0.9, 0.1],
            vec![0.0, 1.0],
            vec![-1.0, 0.0],
        ])
        .unwrap();
        let r = Reference::new(&x);
        let plan = SamplePlan::default();
        let right = |i: usize| -> Vec<(usize, f32)> {
            let mut v: Vec<(usize, f32)> = (0..4)
                .filter(|&j| j != i)
                .map(|j| (j, r.cosine(&x, i, j) as f32))
                .collect();
            v.sort_by(|a, b| b.1.total_cmp(&a.1));
            v.truncate(1);
            v
        };
        assert!(verify_topk(&x, &r, 1, 4, &right, plan, false).passed());
        // Row 0's best is row 1; answering row 2 (cosine 0) is wrong even with its true value.
        let wrong = |i: usize| {
            if i == 0 { vec![(2, 0.0)] } else { right(i) }
        };
        let v = verify_topk(&x, &r, 1, 4, &wrong, plan, false);
        assert!(!v.passed());
        assert_eq!(v.worst, Some((0, 2)));
        // Itself as a neighbour, or a repeat, is wrong too.
        assert!(!verify_topk(&x, &r, 1, 4, &|i| vec![(i, 1.0)], plan, false).passed());
        // Approximate: the wrong neighbour with its true value lowers recall below the floor.
        let v = verify_topk(&x, &r, 1, 4, &wrong, plan, true);
        assert!(v.max_abs_err <= v.tolerance);
        assert!(v.recall.unwrap() < 1.0);
    }

    #[test]
    fn a_wrong_entry_fails_and_is_located() {
        let x = Matrix::from_rows(&[vec![1.0, 0.0], vec![1.0, 1.0], vec![0.0, 1.0]]).unwrap();
        let r = Reference::new(&x);
        let mut s: Vec<f32> = (0..9).map(|k| r.cosine(&x, k / 3, k % 3) as f32).collect();
        let plan = SamplePlan {
            full_rows: 3,
            random_entries: 0,
            seed: 0,
        };
        assert!(verify_rows(&x, &r, &s, 3, plan).passed());
        s[5] += 0.01; // row 1, column 2
        let v = verify_rows(&x, &r, &s, 3, plan);
        assert!(!v.passed());
        assert_eq!(v.worst, Some((1, 2)));
        s[5] = f32::NAN;
        assert_eq!(verify_rows(&x, &r, &s, 3, plan).non_finite, Some((1, 2)));
    }

    #[test]
    fn one_wrong_entry_of_a_small_output_fails_whatever_the_sample() {
        let rows: Vec<Vec<f32>> = (0..60)
            .map(|i| {
                (0..8)
                    .map(|k| ((i * 7 + k * 3) % 11) as f32 - 5.0)
                    .collect()
            })
            .collect();
        let x = Matrix::from_rows(&rows).unwrap();
        let r = Reference::new(&x);
        let n = 60;
        let mut s: Vec<f32> = (0..n * n)
            .map(|k| r.cosine(&x, k / n, k % n) as f32)
            .collect();
        // A sample of one whole row and no random entries would miss row 37's one bad cell.
        let plan = SamplePlan {
            full_rows: 1,
            random_entries: 0,
            seed: 0,
        };
        assert!(verify_rows(&x, &r, &s, n, plan).passed());
        s[37 * n + 11] += 0.5;
        let v = verify_rows(&x, &r, &s, n, plan);
        assert!(!v.passed());
        assert_eq!(v.worst, Some((37, 11)));
        assert_eq!(v.checked, n * n);
    }
}
