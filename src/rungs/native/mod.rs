//! Rung 3 (and the engine of rung 4): a hand-written float32 kernel.
//!
//! Rows are normalised once, then packed so that the inner loop reads memory sequentially:
//! `a` holds panels of `mr` rows interleaved by k, `b` holds panels of `nr` rows interleaved by
//! k (64-byte aligned). S is cut into tasks of [`MC`] rows × [`NC`] columns; only tasks and
//! register tiles that touch the upper triangle (j ≥ i) are computed. A task accumulates its
//! block over slices of d (see [`tuning`]), then writes the upper-triangle entries to S\[i\]\[j\]
//! and mirrors them to S\[j\]\[i\] with contiguous stores.
//!
//! The instruction set is chosen at run time: AVX-512, else AVX2+FMA, else a portable kernel
//! (whatever the compiler vectorises for the baseline target).

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod peak;
mod portable;
pub mod tuning;

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use super::hugepages::HugeBuf;
use super::output::RawOut;
use super::{Context, Coverage, Kernel, Output, Rung, RungError, RungInfo, Step};
use crate::workload::Matrix;
pub use peak::{fma_peak_flops, fma_peak_flops_128, fma_peak_probe, fma_peak_probe_128};
pub use tuning::{MC, NC, Shape};

/// The instruction set a native kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    /// 512-bit vectors with fused multiply-add (AVX-512F).
    Avx512,
    /// 256-bit AVX2 vectors with fused multiply-add.
    Avx2Fma,
    /// Plain Rust the compiler vectorises for the baseline target; runs everywhere.
    Portable,
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Isa::Avx512 => "avx512",
            Isa::Avx2Fma => "avx2+fma",
            Isa::Portable => "portable",
        })
    }
}

impl Isa {
    /// The best instruction set this CPU supports. `LADDER_ISA=avx2` or `=portable` caps it
    /// (to compare, or to rule the SIMD kernel out when hunting a bug).
    #[must_use]
    pub fn detect() -> Self {
        let available = Self::available();
        let cap = match std::env::var("LADDER_ISA").as_deref() {
            Ok("portable") => Some(Isa::Portable),
            Ok("avx2") => Some(Isa::Avx2Fma),
            _ => None,
        };
        match cap {
            Some(cap) => available
                .into_iter()
                .find(|&i| i.rank() <= cap.rank())
                .unwrap_or(Isa::Portable),
            None => available[0],
        }
    }

    fn rank(self) -> u8 {
        match self {
            Isa::Avx512 => 2,
            Isa::Avx2Fma => 1,
            Isa::Portable => 0,
        }
    }

    /// Every instruction set this CPU can run, best first (for tests and benchmarks).
    #[must_use]
    pub fn available() -> Vec<Self> {
        let mut v = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                v.push(Isa::Avx512);
            }
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                v.push(Isa::Avx2Fma);
            }
        }
        v.push(Isa::Portable);
        v
    }

    /// The register tile and depth slice of this instruction set's micro-kernel.
    #[must_use]
    pub fn shape(self) -> Shape {
        match self {
            Isa::Avx512 => tuning::AVX512,
            Isa::Avx2Fma => tuning::AVX2,
            Isa::Portable => tuning::PORTABLE,
        }
    }

    /// Float32 lanes of one vector register.
    #[must_use]
    pub fn lanes(self) -> usize {
        match self {
            Isa::Avx512 => 16,
            Isa::Avx2Fma | Isa::Portable => 8,
        }
    }
}

/// A register-tile micro-kernel from elsewhere (the JIT), driven by the same packing, blocking
/// and stores as the built-in ones.
pub(crate) trait MicroTile: Send + Sync {
    /// Its register tile and depth slice.
    fn shape(&self) -> Shape;

    /// `c[r][col] (+)= Σ_k a[k·mr + r] · b[k·nr + col]` for k < kc, rows of c [`NC`] apart.
    ///
    /// # Safety
    /// The contract of [`micro_tile`] ([`B_ALIGN`] included), for this tile's `shape()`; `kc`
    /// at most `shape().kc`.
    unsafe fn tile(&self, kc: usize, a: *const f32, b: *const f32, c: *mut f32, accumulate: bool);
}

/// Unit rows packed for one micro-kernel.
pub(crate) struct Packed {
    /// The instruction set of the stores and transposes (and of the micro-kernel, unless
    /// `tile` brings its own).
    isa: Isa,
    shape: Shape,
    tile: Option<Arc<dyn MicroTile>>,
    n: usize,
    d: usize,
    /// Panel p, step k, row r at `(p * d + k) * mr + r`; rows past n are zero.
    a: HugeBuf<f32>,
    /// Panel q, step k, row c at `(q * d + k) * nr + c`; rows past n are zero. Starts 2 MiB
    /// aligned, so every step starts on a multiple of nr floats (64 bytes for the AVX2 and
    /// AVX-512 tiles).
    b: HugeBuf<f32>,
}

impl Packed {
    pub(crate) fn new(x: &Matrix, isa: Isa) -> Self {
        Self::build(x, isa, isa.shape(), None)
    }

    /// Packs for `tile`'s shape; stores and transposes still use `isa`.
    pub(crate) fn with_tile(x: &Matrix, isa: Isa, tile: Arc<dyn MicroTile>) -> Self {
        Self::build(x, isa, tile.shape(), Some(tile))
    }

    fn build(x: &Matrix, isa: Isa, shape: Shape, tile: Option<Arc<dyn MicroTile>>) -> Self {
        Self::from_rows(x.n(), x.d(), &|i| x.row(i), isa, shape, tile)
    }

    /// Packs `n` rows of `d` values read through `row` (so callers with borrowed data, a
    /// NumPy array say, need no copy of their own).
    fn from_rows<'r>(
        n: usize,
        d: usize,
        row: &dyn Fn(usize) -> &'r [f32],
        isa: Isa,
        shape: Shape,
        tile: Option<Arc<dyn MicroTile>>,
    ) -> Self {
        assert!(MC.is_multiple_of(shape.mr) && tuning::MC_SMALL.is_multiple_of(shape.mr));
        assert!(NC.is_multiple_of(shape.nr));
        let (mr, nr) = (shape.mr, shape.nr);
        let a_panels = n.div_ceil(mr);
        let b_panels = n.div_ceil(nr);
        let mut a_buf = HugeBuf::zeroed(a_panels * d * mr);
        let mut b_buf = HugeBuf::zeroed(b_panels * d * nr);
        // What every micro-kernel's aligned loads of b stand on (see `micro_tile`): checked,
        // not assumed.
        assert!(
            (b_buf.as_slice().as_ptr() as usize).is_multiple_of(B_ALIGN),
            "packed panels must start {B_ALIGN}-byte aligned"
        );
        let (a, b) = (a_buf.as_mut_slice(), b_buf.as_mut_slice());
        for (i, row) in (0..n).map(|i| (i, row(i))) {
            let inv = super::inv_norm(row);
            let (p, r) = (i / mr, i % mr);
            let (q, c) = (i / nr, i % nr);
            for (k, &v) in row.iter().enumerate() {
                let u = super::scaled(v, inv);
                a[(p * d + k) * mr + r] = u;
                b[(q * d + k) * nr + c] = u;
            }
        }
        Self {
            isa,
            shape,
            tile,
            n,
            d,
            a: a_buf,
            b: b_buf,
        }
    }

    fn b_ptr(&self) -> *const f32 {
        self.b.as_slice().as_ptr()
    }

    /// The tasks covering the upper-triangle part of rows `rows` (whose start is a multiple of
    /// `MC`): (row chunk of at most MC rows, column block of at most NC columns).
    pub(crate) fn tasks(&self, rows: Range<usize>) -> Vec<(Range<usize>, Range<usize>)> {
        let nr = self.shape.nr;
        // Small matrices have too few MC-row chunks to keep every core busy: cut finer.
        let chunk_rows = if self.n >= tuning::SMALL_N {
            MC
        } else {
            tuning::MC_SMALL
        };
        let mut tasks = Vec::new();
        let mut r0 = rows.start;
        while r0 < rows.end {
            let chunk = r0..(r0 + chunk_rows).min(rows.end);
            let mut c0 = r0 / nr * nr;
            while c0 < self.n {
                tasks.push((chunk.clone(), c0..(c0 + NC).min(self.n)));
                c0 += NC;
            }
            r0 = chunk.end;
        }
        tasks
    }

    /// Computes the block `rows` × `cols` of S into `acc` (row stride NC), over all of d.
    /// With `triangle`, tiles wholly below the diagonal are skipped (their entries are left
    /// as they were). `rows.start` must be a multiple of `mr`, `cols.start` of `nr`; at most
    /// MC × NC.
    pub(crate) fn accumulate(
        &self,
        rows: Range<usize>,
        cols: Range<usize>,
        acc: &mut [f32],
        triangle: bool,
    ) {
        let Shape { mr, nr, kc } = self.shape;
        let d = self.d;
        assert!(rows.start.is_multiple_of(mr) && cols.start.is_multiple_of(nr));
        assert!(rows.len() <= MC && cols.len() <= NC && acc.len() >= MC * NC);
        assert!(rows.end <= self.n && cols.end <= self.n);
        let (r0, c0) = (rows.start, cols.start);
        let mut pc = 0;
        while pc < d {
            let kcc = kc.min(d - pc);
            for j0 in cols.clone().step_by(nr) {
                let b = self.b_ptr().wrapping_add((j0 / nr * d + pc) * nr);
                // Pull the next B micro-panel into L2 a little at a time while this one
                // works from L1: otherwise its first tile stalls on memory.
                let next_b = self.b_ptr().wrapping_add(((j0 / nr + 1) * d + pc) * nr);
                let lines = kcc * nr / 16;
                let per_tile = lines.div_ceil(MC / mr);
                for (t, i0) in rows.clone().step_by(mr).enumerate() {
                    if triangle && j0 + nr <= i0 {
                        break; // this tile and the ones below it lie under the diagonal
                    }
                    if j0 + nr < cols.end {
                        for l in t * per_tile..((t + 1) * per_tile).min(lines) {
                            prefetch_l2(next_b.wrapping_add(l * 16));
                        }
                    }
                    let a = &self.a.as_slice()[(i0 / mr * d + pc) * mr..];
                    let c = &mut acc[(i0 - r0) * NC + (j0 - c0)..];
                    let (a, c, more) = (a.as_ptr(), c.as_mut_ptr(), pc > 0);
                    // SAFETY: a holds kcc steps of mr rows from (panel i0/mr, step pc); b
                    // points at kcc steps of nr values inside panel j0/nr (pc + kcc <= d),
                    // b_align(nr)-aligned because the buffer's start is B_ALIGN-aligned
                    // (asserted in `from_rows`) and b is a whole number of nr-float steps
                    // past it; c has mr rows of stride NC with nr columns each inside `acc`
                    // (i0 - r0 + mr <= MC because MC is a multiple of mr, j0 - c0 + nr <= NC
                    // likewise). The ISA was detected on this CPU; kcc <= kc.
                    unsafe {
                        match &self.tile {
                            Some(t) => t.tile(kcc, a, b, c, more),
                            None => micro_tile(self.isa, kcc, a, b, c, more),
                        }
                    }
                }
            }
            pc += kcc;
        }
    }

    /// Computes one task: the upper-triangle entries of `rows` × `cols` and their mirrors.
    /// `rows.start` must be a multiple of `mr`, `cols.start` of `nr`; at most MC × NC;
    /// `acc` is scratch space of 2 × MC × NC floats.
    pub(crate) fn compute_task(
        &self,
        rows: Range<usize>,
        cols: Range<usize>,
        acc: &mut [f32],
        out: RawOut,
    ) {
        assert!(acc.len() >= 2 * MC * NC && out.n() == self.n);
        self.accumulate(rows.clone(), cols.clone(), &mut acc[..MC * NC], true);
        let (r0, c0) = (rows.start, cols.start);
        let rows_len = rows.len();
        let (acc, acc_t) = acc.split_at_mut(MC * NC);
        // Upper triangle, row by row: contiguous copies into S[i][max(i, c0)..c1].
        for i in rows.clone() {
            let from = i.max(c0);
            if from < cols.end {
                let src = &acc[(i - r0) * NC + (from - c0)..(i - r0) * NC + (cols.end - c0)];
                // SAFETY: i < n and from..cols.end < n; entries (i, j ≥ i) of this block
                // belong to this task alone.
                unsafe { stream_run(self.isa, out.at(i, from), src) };
            }
        }
        // Mirror: transpose the block in cache (8 × 8 squares keep both sides in L1), then
        // store contiguous runs S[j][r0..min(r1, j)].
        for jb in (0..cols.len()).step_by(8) {
            for ib in (0..rows_len).step_by(8) {
                let whole = jb + 8 <= cols.len() && ib + 8 <= rows_len;
                match self.isa {
                    #[cfg(target_arch = "x86_64")]
                    // SAFETY: an 8 × 8 block inside acc (rows < MC, columns < NC) and inside
                    // acc_t (rows < NC, columns < MC); AVX comes with AVX2 and AVX-512.
                    Isa::Avx512 | Isa::Avx2Fma if whole => unsafe {
                        avx2::transpose8x8(
                            acc.as_ptr().add(ib * NC + jb),
                            NC,
                            acc_t.as_mut_ptr().add(jb * MC + ib),
                            MC,
                        );
                    },
                    _ => {
                        for j in jb..(jb + 8).min(cols.len()) {
                            for i in ib..(ib + 8).min(rows_len) {
                                acc_t[j * MC + i] = acc[i * NC + j];
                            }
                        }
                    }
                }
            }
        }
        for j in cols.clone() {
            let end = rows.end.min(j);
            if end > r0 {
                let src = &acc_t[(j - c0) * MC..(j - c0) * MC + (end - r0)];
                // SAFETY: j > i for every i written, so (j, i) mirrors this task's (i, j)
                // and no other task's; j < n, end <= n.
                unsafe { stream_run(self.isa, out.at(j, r0), src) };
            }
        }
        // Non-temporal stores are weakly ordered: fence them before the task is reported done.
        #[cfg(target_arch = "x86_64")]
        // SAFETY: sfence has no preconditions (SSE is part of x86_64).
        unsafe {
            std::arch::x86_64::_mm_sfence();
        }
    }
}

/// Rows `rows` of S for the `n` × `d` row-major vectors in `data`, written to `out` (rows.len()
/// × n, row-major), with the native kernel on `threads` threads: the library entry point for
/// callers outside the ladder (the PyO3 extension hands NumPy arrays straight in).
///
/// # Panics
/// When `data` is not n × d, `out` not rows.len() × n, or `rows` not inside 0..n.
pub fn rows_of_s(
    data: &[f32],
    n: usize,
    d: usize,
    rows: Range<usize>,
    out: &mut [f32],
    threads: usize,
) {
    use rayon::prelude::*;
    assert!(n > 0 && d > 0 && data.len() == n * d, "data must be n × d");
    assert!(
        rows.end <= n && rows.start <= rows.end,
        "rows must lie inside 0..n"
    );
    assert_eq!(out.len(), rows.len() * n, "out must be rows × n");
    if rows.is_empty() {
        return;
    }
    let isa = Isa::detect();
    let packed = Packed::from_rows(n, d, &|i| &data[i * d..(i + 1) * d], isa, isa.shape(), None);
    let mr = packed.shape.mr;
    // Chunks of at most MC rows starting on the tile grid; each owns its slice of `out`.
    let mut chunks: Vec<(Range<usize>, &mut [f32])> = Vec::new();
    let mut rest = out;
    let mut c0 = rows.start / mr * mr;
    while c0 < rows.end {
        let c1 = (c0 + MC).min(rows.end);
        let mine = c1 - c0.max(rows.start);
        let (head, tail) = rest.split_at_mut(mine * n);
        chunks.push((c0..c1, head));
        rest = tail;
        c0 = c1;
    }
    let run = || {
        chunks
            .into_par_iter()
            .with_max_len(1)
            .for_each(|(chunk, dst)| {
                let mut acc = vec![0f32; MC * NC];
                let first = chunk.start.max(rows.start);
                for c in (0..n).step_by(NC) {
                    let cols = c..(c + NC).min(n);
                    packed.accumulate(chunk.clone(), cols.clone(), &mut acc, false);
                    for i in first..chunk.end {
                        let src = &acc[(i - chunk.start) * NC..(i - chunk.start) * NC + cols.len()];
                        dst[(i - first) * n + cols.start..(i - first) * n + cols.end]
                            .copy_from_slice(src);
                    }
                }
            });
    };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
    {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

/// Hints the cache line at `p` into L2 (no effect where there is no such instruction).
#[inline]
fn prefetch_l2(p: *const f32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T1 }>(p.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Copies `src` to `dst` with non-temporal stores where the CPU has them: S is far larger
/// than the caches and is not read again here, so bypassing the cache saves the
/// read-for-ownership of every line.
///
/// # Safety
/// `dst` valid for `src.len()` writes that no other thread touches concurrently; `isa`
/// supported by this CPU.
#[inline]
unsafe fn stream_run(isa: Isa, dst: *mut f32, src: &[f32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: forwarded; AVX-512 and AVX2 machines have AVX.
        Isa::Avx512 | Isa::Avx2Fma => unsafe { avx2::stream_copy(dst, src) },
        // SAFETY: forwarded; `src` is scratch space, separate from S.
        _ => unsafe { std::ptr::copy_nonoverlapping(src.as_ptr(), dst, src.len()) },
    }
}

/// The alignment, in bytes, of `b` at every step of a micro-kernel with `nr` columns: packed
/// panels start 2 MiB aligned and every step is `nr` floats long, so each step is aligned to
/// `4·nr` bytes, and to 64 (AVX-512's aligned loads) once `nr` reaches 16.
#[must_use]
pub(crate) const fn b_align(nr: usize) -> usize {
    let step = 4 * nr;
    if step < B_ALIGN { step } else { B_ALIGN }
}

/// The most alignment a micro-kernel may ask of `b` (64 bytes: an AVX-512 vector).
pub(crate) const B_ALIGN: usize = 64;

/// One register tile: `c[r][col] (+)= Σ_k a[k·mr + r] · b[k·nr + col]` for k < kc, rows of c
/// `NC` apart.
///
/// # Safety
/// `a` valid for `kc * mr` reads; `b` valid for `kc * nr` reads and aligned to
/// [`b_align`]`(nr)` bytes; `c` valid for reads and writes of `mr` rows of `nr` floats, `NC`
/// apart, aligned to a float only; `isa` supported by this CPU.
#[inline]
unsafe fn micro_tile(isa: Isa, kc: usize, a: *const f32, b: *const f32, c: *mut f32, acc: bool) {
    // SAFETY: forwarded from the caller; b_align(nr) is each kernel's need or more (AVX2's
    // 32 bytes at nr 16, AVX-512's 64 at nr 32; the portable kernel needs none).
    unsafe {
        match isa {
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => avx512::tile(kc, a, b, c, NC, acc),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2Fma => avx2::tile(kc, a, b, c, NC, acc),
            _ => portable::tile(kc, a, b, c, NC, acc),
        }
    }
}

/// Rung 3: the native kernel on one thread.
pub struct Native {
    isa: Isa,
}

isa_constructors!(Native);

impl Native {
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
            what_changed: "float32 FMA micro-kernel (register tile), packed panels, cache blocks, triangle only; ISA picked at run time",
            why: "independent FMA chains fill the vector units; packing and blocking keep them fed from L1 and L2",
        }
    }

    fn coverage(&self) -> Coverage {
        Coverage::UpperTriangle
    }

    fn row_align(&self) -> usize {
        MC
    }

    fn prepare<'a>(&self, x: &'a Matrix, _: &Context) -> Result<Box<dyn Kernel + 'a>, RungError> {
        Ok(Box::new(NativeKernel::new(Packed::new(x, self.isa))))
    }
}

/// The single-threaded native kernel (also the engine of the leak lesson's rungs).
pub(crate) struct NativeKernel {
    packed: Packed,
    acc: Vec<f32>,
}

impl NativeKernel {
    pub(crate) fn new(packed: Packed) -> Self {
        Self {
            packed,
            acc: vec![0.0; 2 * MC * NC],
        }
    }
}

impl Kernel for NativeKernel {
    fn rows(&mut self, rows: Range<usize>, out: &mut Output) {
        let out = out.full_mut();
        let raw = out.raw();
        for (r, c) in self.packed.tasks(rows) {
            self.packed.compute_task(r, c, &mut self.acc, raw);
        }
    }
}
