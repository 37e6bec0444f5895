//! The AVX2+FMA micro-kernel: a 6 × 16 register tile.

use std::arch::x86_64::{
    __m256, _mm256_add_ps, _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_load_ps, _mm256_loadu_ps,
    _mm256_setzero_ps, _mm256_storeu_ps, _mm256_stream_ps,
};

const MR: usize = super::tuning::AVX2.mr;
const NR: usize = super::tuning::AVX2.nr;

/// `c[r][col] (+)= Σ_k a[k·MR + r] · b[k·NR + col]`, k < kc; rows of `c` are `ldc` apart.
///
/// # Safety
/// The CPU must support AVX2 and FMA; `a` valid for `kc * MR` reads; `b` valid for `kc * NR`
/// reads and 32-byte aligned; `c` valid for MR rows of NR floats, `ldc` apart.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn tile(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    for k in 0..kc {
        // SAFETY: k < kc, so both loads and all MR broadcasts stay inside the panels the
        // caller vouched for; b + NR·k is 32-byte aligned (NR·4 = 64 bytes a step).
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
    for (r, acc_r) in acc.iter().enumerate() {
        // SAFETY: row r of c holds NR = 16 floats (two 8-lane vectors).
        unsafe {
            let row = c.add(r * ldc);
            let (mut v0, mut v1) = (acc_r[0], acc_r[1]);
            if accumulate {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(row));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(row.add(8)));
            }
            _mm256_storeu_ps(row, v0);
            _mm256_storeu_ps(row.add(8), v1);
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

/// Copies `src` to `dst`: plain stores up to a 32-byte boundary, then non-temporal 8-lane
/// stores, then plain stores for the tail.
///
/// # Safety
/// The CPU must support AVX; `dst` valid for `src.len()` writes, not overlapping `src`.
#[target_feature(enable = "avx")]
pub(super) unsafe fn stream_copy(dst: *mut f32, src: &[f32]) {
    let len = src.len();
    let head = (dst.align_offset(32)).min(len);
    // SAFETY: every index below is < len; dst + head is 32-byte aligned for the streams.
    unsafe {
        for (k, &v) in src[..head].iter().enumerate() {
            *dst.add(k) = v;
        }
        let mut k = head;
        while k + 8 <= len {
            _mm256_stream_ps(dst.add(k), _mm256_loadu_ps(src.as_ptr().add(k)));
            k += 8;
        }
        while k < len {
            *dst.add(k) = src[k];
            k += 1;
        }
    }
}
