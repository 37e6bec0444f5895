//! Every tuning constant of the native kernels, in one place.
//!
//! Measured on a 2-core AVX2+FMA machine with 48 KiB L1d and 2 MiB L2 per core.

/// Rows of the register tile: 6 rows × 2 vectors of 8 = 12 accumulators, plus 2 registers for
/// B and 1 broadcast, fits the 16 ymm registers.
pub const MR: usize = 6;
/// Columns of the register tile (two 8-lane float32 vectors).
pub const NR: usize = 16;
/// Columns per cache block: NC × d float32 of packed B stay in L2 (256 × 768 × 4 = 768 KiB)
/// while every row panel of a block streams past them.
pub const NC: usize = 256;
/// Rows per threaded task (a multiple of MR): small enough to balance two cores over the
/// triangle, large enough to reuse each B block many times.
pub const ROWS_PER_TASK: usize = 48;
