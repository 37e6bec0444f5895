//! Change the question: most users want each vector's k nearest neighbours, not 100 million
//! similarities. The native kernel computes blocks of S into cache, a bounded selection keeps
//! each row's k best, and S itself is never stored: memory is O(n·k), so n = 100,000 and beyond
//! fit where the full matrix (40 GB) cannot.
//!
//! Only the upper triangle is computed, as in the full-matrix rungs: a block of rows R against
//! the columns j ≥ R's first row offers S[i][j] to row i and, for j past R, the same value to
//! row j's pending candidates. When R's turn comes, its rows already hold every candidate
//! from the columns to their left.

use std::cell::RefCell;
use std::ops::Range;

use rayon::prelude::*;

use super::native::{Isa, MC, NC, Packed};
use super::{Context, Coverage, Kernel, Output, OutputKind, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;

/// Exact top-k by cosine, on every core.
pub struct TopK {
    isa: Isa,
}

isa_constructors!(TopK);

impl Rung for TopK {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "topk",
            title: "Change the question: exact top-k",
            step: Step::Algorithm,
            what_changed: "each row's k best neighbours kept by a bounded selection; S is computed block by block in cache and never stored",
            why: "O(n·k) memory instead of n²: no n × n matrix to write (400 MB at n = 10,000), and sizes the full matrix cannot reach",
        }
    }

    fn coverage(&self) -> Coverage {
        // Each pair is computed once and offered to both of its rows.
        Coverage::UpperTriangle
    }

    fn output(&self) -> OutputKind {
        OutputKind::TopK
    }

    fn row_align(&self) -> usize {
        MC
    }

    fn threads(&self, ctx: &Context) -> usize {
        ctx.threads.max(1)
    }

    fn prepare<'a>(&self, x: &'a Matrix, ctx: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        let pool = super::worker_pool(ctx.threads, "topk")?;
        Ok(Box::new(TopKKernel {
            packed: Packed::new(x, self.isa),
            n: x.n(),
            pool,
            pending: Vec::new(),
        }))
    }
}

struct TopKKernel {
    packed: Packed,
    n: usize,
    pool: rayon::ThreadPool,
    /// For every row not finished yet, its best candidates among the columns of the row blocks
    /// above it (offered by symmetry: S[j][i] = S[i][j]).
    pending: Vec<Best>,
}

/// What one task found: the k best of its rows among its columns, and for its columns past
/// its rows (`col_from..`), the k best among its rows.
struct Partial {
    row_start: usize,
    rows: Vec<Best>,
    col_from: usize,
    cols: Vec<Best>,
}

thread_local! {
    /// Each worker's block of S.
    static BLOCK: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// The k best (similarity, index) seen so far, best first; ties broken by the lower index.
struct Best {
    k: usize,
    items: Vec<(f32, u32)>,
}

impl Best {
    fn new(k: usize) -> Self {
        Self {
            k,
            items: Vec::with_capacity(k + 1),
        }
    }

    /// The similarity a candidate must beat (−∞ until k are held).
    #[inline]
    fn threshold(&self) -> f32 {
        if self.items.len() < self.k {
            f32::NEG_INFINITY
        } else {
            self.items[self.k - 1].0
        }
    }

    #[inline]
    fn offer(&mut self, sim: f32, j: u32) {
        // Exact ties are broken by the lower index, so the result is deterministic.
        let better =
            |a: (f32, u32), b: (f32, u32)| a.0 > b.0 || (a.0.total_cmp(&b.0).is_eq() && a.1 < b.1);
        if self.items.len() == self.k && !better((sim, j), self.items[self.k - 1]) {
            return;
        }
        let at = self
            .items
            .iter()
            .position(|&it| better((sim, j), it))
            .unwrap_or(self.items.len());
        self.items.insert(at, (sim, j));
        self.items.truncate(self.k);
    }
}

impl TopKKernel {
    /// Rows `rows` against columns `cols` (whose start is at or past `rows.start`).
    fn partial(&self, rows: Range<usize>, cols: Range<usize>, k: usize) -> Partial {
        let mut best: Vec<Best> = rows.clone().map(|_| Best::new(k)).collect();
        // Columns of rows below this block get this block's values by symmetry.
        let col_from = cols.start.max(rows.end).min(cols.end);
        let mut col_best: Vec<Best> = (col_from..cols.end).map(|_| Best::new(k)).collect();
        // A candidate below a row's pending k-th best can never make its final list: starting
        // from those thresholds skips most insertions.
        let mut col_thr: Vec<f32> = (col_from..cols.end)
            .map(|j| self.pending[j].threshold())
            .collect();
        BLOCK.with_borrow_mut(|block| {
            block.resize(MC * NC, 0.0);
            for c0 in cols.clone().step_by(NC) {
                let c1 = (c0 + NC).min(cols.end);
                self.packed.accumulate(rows.clone(), c0..c1, block, false);
                let side = c0.max(col_from)..c1;
                for (i, b) in rows.clone().zip(&mut best) {
                    let row = &block[(i - rows.start) * NC..(i - rows.start) * NC + (c1 - c0)];
                    let floor = self.pending[i].threshold();
                    let mut thr = b.threshold().max(floor);
                    for (j, &v) in (c0..c1).zip(row) {
                        // Most candidates fail this one comparison.
                        if v >= thr && j != i {
                            b.offer(v, j as u32);
                            thr = b.threshold().max(floor);
                        }
                    }
                    if side.is_empty() {
                        continue;
                    }
                    let (vals, thrs, bests) = (
                        &row[side.start - c0..],
                        &mut col_thr[side.start - col_from..side.end - col_from],
                        &mut col_best[side.start - col_from..side.end - col_from],
                    );
                    for ((&v, t), b) in vals.iter().zip(thrs).zip(bests) {
                        if v >= *t {
                            b.offer(v, i as u32);
                            *t = t.max(b.threshold());
                        }
                    }
                }
            }
        });
        Partial {
            row_start: rows.start,
            rows: best,
            col_from,
            cols: col_best,
        }
    }
}

impl Kernel for TopKKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.topk_mut();
        let (k, n) = (out.k(), self.n);
        if k == 0 || rows.is_empty() {
            return;
        }
        if rows.start == 0 || self.pending.len() != n {
            self.pending = (0..n).map(|_| Best::new(k)).collect();
        }
        // Tasks: row chunks × segments of the columns right of each chunk's first row, so
        // that even one chunk keeps every core busy; merged afterwards (k is small).
        let segments = self.pool.current_num_threads() * 2;
        let mut tasks = Vec::new();
        for r0 in rows.clone().step_by(MC) {
            let r1 = (r0 + MC).min(rows.end);
            let seg_len = (n - r0).div_ceil(segments).next_multiple_of(NC);
            for s0 in (r0..n).step_by(seg_len) {
                tasks.push((r0..r1, s0..(s0 + seg_len).min(n)));
            }
        }
        let partials: Vec<Partial> = self.pool.install(|| {
            tasks
                .into_par_iter()
                .with_max_len(1)
                .map(|(r, c)| self.partial(r, c, k))
                .collect()
        });
        let start = rows.start;
        let mut merged: Vec<Best> = rows
            .clone()
            .map(|i| std::mem::replace(&mut self.pending[i], Best::new(0)))
            .collect();
        for p in partials {
            for (r, b) in p.rows.into_iter().enumerate() {
                let m = &mut merged[p.row_start - start + r];
                for (v, j) in b.items {
                    m.offer(v, j);
                }
            }
            for (t, b) in p.cols.into_iter().enumerate() {
                let j = p.col_from + t;
                // A later chunk of this call, or a row still to come.
                let m = if j < rows.end {
                    &mut merged[j - start]
                } else {
                    &mut self.pending[j]
                };
                for (v, i) in b.items {
                    m.offer(v, i);
                }
            }
        }
        let (idx, sim) = out.rows_mut(rows);
        for (r, b) in merged.iter().enumerate() {
            for (t, &(v, j)) in b.items.iter().enumerate() {
                idx[r * k + t] = j;
                sim[r * k + t] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_keeps_the_k_largest_in_order_with_ties_by_index() {
        let mut b = Best::new(3);
        for (v, j) in [(0.1, 0), (0.9, 1), (0.5, 2), (0.9, 3), (0.2, 4), (0.5, 5)] {
            b.offer(v, j);
        }
        assert_eq!(b.items, vec![(0.9, 1), (0.9, 3), (0.5, 2)]);
        assert!((b.threshold() - 0.5).abs() < f32::EPSILON);
    }
}
