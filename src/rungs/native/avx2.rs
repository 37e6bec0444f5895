//! The AVX2+FMA micro-kernel.

use std::arch::x86_64::{
    __m256, _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_load_ps, _mm256_setzero_ps,
    _mm256_storeu_ps,
};

use super::{MR, NR};

/// Computes `tile[r][c] = Σ_k a[k·MR + r] · b[k·NR + c]` for k in 0..d.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `a` must be valid for `d * MR` reads and `b` for
/// `d * NR` reads, and `b` must be 32-byte aligned.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn tile(a: *const f32, b: *const f32, d: usize, tile: &mut [[f32; NR]; MR]) {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    for k in 0..d {
        // SAFETY: k < d, so both loads and all MR broadcasts are inside the panels the caller
        // vouched for; b + 16k is 64-byte aligned (one packed line per k).
        unsafe {
            let b0 = _mm256_load_ps(b.add(k * NR));
            let b1 = _mm256_load_ps(b.add(k * NR + 8));
            let ak = a.add(k * MR);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let ar = _mm256_broadcast_ss(&*ak.add(r));
                acc_r[0] = _mm256_fmadd_ps(ar, b0, acc_r[0]);
                acc_r[1] = _mm256_fmadd_ps(ar, b1, acc_r[1]);
            }
        }
    }
    for (row, acc_r) in tile.iter_mut().zip(acc) {
        // SAFETY: each row of the tile holds NR = 16 floats: two unaligned 8-lane stores.
        unsafe {
            _mm256_storeu_ps(row.as_mut_ptr(), acc_r[0]);
            _mm256_storeu_ps(row.as_mut_ptr().add(8), acc_r[1]);
        }
    }
}

/// Runs `iterations` rounds of 12 independent 8-lane FMAs (enough chains to cover the FMA
/// latency on both ports) and returns the floating-point operations performed.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn peak_loop(iterations: u64) -> f64 {
    let x = std::hint::black_box(_mm256_setzero_ps());
    let y = std::hint::black_box(_mm256_setzero_ps());
    let mut acc: [__m256; 12] = [_mm256_setzero_ps(); 12];
    for _ in 0..iterations {
        for a in &mut acc {
            *a = _mm256_fmadd_ps(x, y, *a);
        }
    }
    std::hint::black_box(acc);
    iterations as f64 * 12.0 * 8.0 * 2.0
}
