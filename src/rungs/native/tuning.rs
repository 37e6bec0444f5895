//! Every tuning constant of the native kernels, in one place.
//!
//! Measured on a 2-core Xeon with AVX-512, 48 KiB L1d and 2 MiB L2 per core. The loop nest is
//! the classic one for matrix products: a task is an [`MC`]-row × [`NC`]-column block of S;
//! d is cut into slices of `kc`; for each slice one packed B micro-panel (`kc` × `nr`) stays in
//! L1 while every packed A micro-panel (`mr` × `kc`) of the task streams past it from L2.

/// Register-tile shape and depth slice for one instruction set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Rows of the register tile.
    pub mr: usize,
    /// Columns of the register tile (a multiple of the vector width).
    pub nr: usize,
    /// Depth slice: `kc × nr` floats of B must fit L1 with room to spare.
    pub kc: usize,
}

/// AVX-512: 12 rows × 2 vectors of 16 = 24 accumulators of the 32 zmm registers;
/// B micro-panel 192 × 32 × 4 B = 24 KiB.
pub const AVX512: Shape = Shape {
    mr: 12,
    nr: 32,
    kc: 192,
};

/// AVX2: 6 rows × 2 vectors of 8 = 12 accumulators, plus 2 for B and 1 broadcast, of the 16
/// ymm registers; B micro-panel 384 × 16 × 4 B = 24 KiB.
pub const AVX2: Shape = Shape {
    mr: 6,
    nr: 16,
    kc: 384,
};

/// Portable: the AVX2 shape, which also suits 128-bit targets.
pub const PORTABLE: Shape = Shape {
    mr: 6,
    nr: 16,
    kc: 384,
};

/// The JIT's tile at 128-bit vectors: 4 rows × 2 vectors of 4 = 8 accumulators of the 16 xmm
/// registers Cranelift allocates. 6 rows (AVX2's shape) spill, because Cranelift's FMA ties its
/// result to a multiplicand and needs a copy of each broadcast: 0.94 s against 0.76 s at
/// 10k × 768. A B micro-panel of 768 × 8 × 4 B = 24 KiB, so d = 768 is one slice and one
/// generated function.
pub const JIT: Shape = Shape {
    mr: 4,
    nr: 8,
    kc: 768,
};

/// Rows per task: a multiple of every `mr`. Large enough that each B micro-panel in L1 serves
/// many A micro-panels and mirrored runs are long; small enough for two cores to balance the
/// triangle. 288 beat 48, 96, 192 and 384 at 10,000 × 768 (AVX-512, 2 cores).
pub const MC: usize = 288;

/// Columns per task: a multiple of every `nr`. The task's MC × NC float32 accumulator block
/// and its transpose (2 × 288 KiB) stay in L2; 256 beat 128 and 512.
pub const NC: usize = 256;

/// Below this n, tasks take [`MC_SMALL`] rows instead of [`MC`], so that small matrices still
/// give every core several tasks.
pub const SMALL_N: usize = 4096;

/// Rows per task for small matrices: a multiple of every `mr` that divides [`MC`].
pub const MC_SMALL: usize = 48;
