//! Rung 3 (and the engine of rung 4): a hand-written float32 kernel.
//!
//! Rows are normalised once, then packed into panels so the inner loop reads memory
//! sequentially: `a` holds panels of [`MR`] rows interleaved by k, `b` holds panels of [`NR`]
//! rows interleaved by k. A register tile of MR×NR cosines is computed over the whole
//! dimension d, then written to S\[i\]\[j\] and mirrored to S\[j\]\[i\]. Only tiles that touch
//! the upper triangle (j ≥ i) are computed. Column blocks of [`NC`] keep the packed B in L2.
//!
//! The instruction set is chosen at run time: AVX2+FMA where the CPU has it, a portable
//! kernel (whatever the compiler vectorises for the baseline target) otherwise.

#[cfg(target_arch = "x86_64")]
mod avx2;
mod portable;
pub mod tuning;

use std::fmt;
use std::ops::Range;

use super::output::RawOut;
use super::{Context, Coverage, Kernel, Rung, RungError, RungInfo, SimMatrix, Step};
use crate::workload::Matrix;
pub use tuning::{MR, NC, NR, ROWS_PER_TASK};

/// The instruction set a native kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// 256-bit AVX2 vectors with fused multiply-add.
    Avx2Fma,
    /// Plain Rust the compiler vectorises for the baseline target; runs everywhere.
    Portable,
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Isa::Avx2Fma => "avx2+fma",
            Isa::Portable => "portable",
        })
    }
}

impl Isa {
    /// The best instruction set this CPU supports. Set `LADDER_ISA=portable` to force the
    /// fallback (to compare, or to rule the SIMD kernel out when hunting a bug).
    #[must_use]
    pub fn detect() -> Self {
        if std::env::var("LADDER_ISA").is_ok_and(|v| v == "portable") {
            return Isa::Portable;
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Isa::Avx2Fma;
        }
        Isa::Portable
    }

    /// Every instruction set this CPU can run, best first (for tests and benchmarks).
    #[must_use]
    pub fn available() -> Vec<Self> {
        let mut v = Vec::new();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            v.push(Isa::Avx2Fma);
        }
        v.push(Isa::Portable);
        v
    }
}

/// One 64-byte line of a packed B panel: the NR values of one k.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(crate) struct Line([f32; NR]);

/// Unit rows packed for the micro-kernel.
pub(crate) struct Packed {
    n: usize,
    d: usize,
    /// Panel p, step k, row r at `(p * d + k) * MR + r`; rows past n are zero.
    a: Vec<f32>,
    /// Panel q, step k at `q * d + k`; rows past n are zero.
    b: Vec<Line>,
}

impl Packed {
    pub(crate) fn new(x: &Matrix) -> Self {
        let (n, d) = (x.n(), x.d());
        let inv: Vec<f32> = (0..n)
            .map(|i| {
                let norm = x
                    .row(i)
                    .iter()
                    .map(|&v| f64::from(v) * f64::from(v))
                    .sum::<f64>()
                    .sqrt();
                // A zero row stays zero, so its cosines come out 0, never NaN.
                if norm == 0.0 { 0.0 } else { (1.0 / norm) as f32 }
            })
            .collect();
        let a_panels = n.div_ceil(MR);
        let mut a = vec![0f32; a_panels * d * MR];
        for i in 0..n {
            let (p, r) = (i / MR, i % MR);
            for (k, &v) in x.row(i).iter().enumerate() {
                a[(p * d + k) * MR + r] = v * inv[i];
            }
        }
        let b_panels = n.div_ceil(NR);
        let mut b = vec![Line([0.0; NR]); b_panels * d];
        for i in 0..n {
            let (q, c) = (i / NR, i % NR);
            for (k, &v) in x.row(i).iter().enumerate() {
                b[q * d + k].0[c] = v * inv[i];
            }
        }
        Self { n, d, a, b }
    }

    /// Computes the upper-triangle entries of rows `rows` × columns `cols` and their mirrors.
    /// `rows.start` must be a multiple of MR and `cols.start` of NR.
    pub(crate) fn compute_block(&self, isa: Isa, rows: Range<usize>, cols: Range<usize>, out: RawOut) {
        debug_assert_eq!(rows.start % MR, 0);
        debug_assert_eq!(cols.start % NR, 0);
        debug_assert_eq!(out.n(), self.n);
        let (n, d) = (self.n, self.d);
        let cols_end = cols.end.min(n);
        let first_col = cols.start.max(rows.start / NR * NR);
        let mut tile = [[0f32; NR]; MR];
        let mut jc = first_col;
        while jc < cols_end {
            let jc_end = (jc + NC).min(cols_end);
            for i0 in rows.clone().step_by(MR) {
                let a = &self.a[(i0 / MR) * d * MR..(i0 / MR + 1) * d * MR];
                let mut j0 = jc.max(i0 / NR * NR);
                while j0 < jc_end {
                    let b = &self.b[(j0 / NR) * d..(j0 / NR + 1) * d];
                    micro_tile(isa, a, b, d, &mut tile);
                    store_tile(&tile, i0, rows.end.min(n), j0, jc_end, out);
                    j0 += NR;
                }
            }
            jc = jc_end;
        }
    }
}

/// The MR×NR register tile for one A panel and one B panel, over all of d.
#[inline]
fn micro_tile(isa: Isa, a: &[f32], b: &[Line], d: usize, tile: &mut [[f32; NR]; MR]) {
    assert!(a.len() >= d * MR && b.len() >= d);
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => {
            // SAFETY: Isa::Avx2Fma is only constructed after detecting AVX2 and FMA (or by a
            // caller that checked `Isa::available`), and the slices hold d steps (asserted).
            unsafe { avx2::tile(a.as_ptr(), b.as_ptr().cast(), d, tile) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        Isa::Avx2Fma => portable::tile(a, b, d, tile),
        Isa::Portable => portable::tile(a, b, d, tile),
    }
}

/// Writes the part of a tile that lies in the upper triangle, inside rows < `row_end` and
/// columns < `col_end`, and mirrors it.
#[inline]
fn store_tile(tile: &[[f32; NR]; MR], i0: usize, row_end: usize, j0: usize, col_end: usize, out: RawOut) {
    for (r, vals) in tile.iter().enumerate() {
        let i = i0 + r;
        if i >= row_end {
            break;
        }
        let from = i.max(j0);
        for j in from..col_end.min(j0 + NR) {
            let v = vals[j - j0];
            // SAFETY: i, j < n; each (i, j ≥ i) belongs to exactly one tile of one task, and
            // so does its mirror (j, i), so no two writers touch the same entry.
            unsafe {
                out.write(i, j, v);
                if j != i {
                    out.write(j, i, v);
                }
            }
        }
    }
}

/// Measures the float32 FMA throughput of one core with independent accumulator chains
/// (the roofline every kernel is shown against). Returns FLOP/s.
#[must_use]
pub fn fma_peak_probe(isa: Isa, iterations: u64) -> f64 {
    let start = std::time::Instant::now();
    let flops = match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: Avx2Fma is only used where the CPU has AVX2 and FMA.
        Isa::Avx2Fma => unsafe { avx2::peak_loop(iterations) },
        _ => portable::peak_loop(iterations),
    };
    flops / start.elapsed().as_secs_f64()
}

/// Rung 3: the native kernel on one thread.
pub struct Native {
    isa: Isa,
}

impl Native {
    #[must_use]
    pub fn detect() -> Self {
        Self { isa: Isa::detect() }
    }

    #[must_use]
    pub fn with_isa(isa: Isa) -> Self {
        Self { isa }
    }

    #[must_use]
    pub fn isa(&self) -> Isa {
        self.isa
    }
}

impl Rung for Native {
    fn info(&self) -> RungInfo {
        RungInfo {
            id: "native",
            title: "Hand-written SIMD, cache-blocked",
            step: Step::Native,
            what_changed: "float32 AVX2+FMA micro-kernel (6×16 register tile), packed panels, L2 blocks, triangle only",
            why: "12 independent FMA chains fill both FMA units; packing and blocking keep them fed from cache",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::UpperTriangle
    }

    fn row_align(&self) -> usize {
        MR
    }

    fn prepare<'a>(&self, x: &'a Matrix, _: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        Ok(Box::new(NativeKernel {
            isa: self.isa,
            packed: Packed::new(x),
        }))
    }
}

struct NativeKernel {
    isa: Isa,
    packed: Packed,
}

impl Kernel for NativeKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut SimMatrix) {
        let n = out.n();
        self.packed.compute_block(self.isa, rows, 0..n, out.raw());
    }
}
