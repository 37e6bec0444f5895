//! The AVX-512 micro-kernel: a 12 × 32 register tile.

use std::arch::x86_64::{
    __m512, _mm512_add_ps, _mm512_fmadd_ps, _mm512_load_ps, _mm512_loadu_ps, _mm512_set1_ps,
    _mm512_setzero_ps, _mm512_storeu_ps,
};

const MR: usize = super::tuning::AVX512.mr;
const NR: usize = super::tuning::AVX512.nr;

/// `c[r][col] (+)= Σ_k a[k·MR + r] · b[k·NR + col]`, k < kc; rows of `c` are `ldc` apart.
///
/// # Safety
/// The CPU must support AVX-512F; `a` valid for `kc * MR` reads; `b` valid for `kc * NR`
/// reads and 64-byte aligned; `c` valid for MR rows of NR floats, `ldc` apart.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn tile(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    for k in 0..kc {
        // SAFETY: k < kc, so both loads and all MR broadcasts stay inside the panels the
        // caller vouched for; b + NR·k is 64-byte aligned (NR·4 = 128 bytes a step).
        unsafe {
            let b0 = _mm512_load_ps(b.add(k * NR));
            let b1 = _mm512_load_ps(b.add(k * NR + 16));
            let ak = a.add(k * MR);
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let ar = _mm512_set1_ps(*ak.add(r));
                acc_r[0] = _mm512_fmadd_ps(ar, b0, acc_r[0]);
                acc_r[1] = _mm512_fmadd_ps(ar, b1, acc_r[1]);
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        // SAFETY: row r of c holds NR = 32 floats (two 16-lane vectors).
        unsafe {
            let row = c.add(r * ldc);
            let (mut v0, mut v1) = (acc_r[0], acc_r[1]);
            if accumulate {
                v0 = _mm512_add_ps(v0, _mm512_loadu_ps(row));
                v1 = _mm512_add_ps(v1, _mm512_loadu_ps(row.add(16)));
            }
            _mm512_storeu_ps(row, v0);
            _mm512_storeu_ps(row.add(16), v1);
        }
    }
}

/// Runs `iterations` rounds of 16 independent 16-lane FMAs and returns the floating-point
/// operations performed.
///
/// # Safety
/// The CPU must support AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn peak_loop(iterations: u64) -> f64 {
    let x = std::hint::black_box(_mm512_setzero_ps());
    let y = std::hint::black_box(_mm512_setzero_ps());
    let mut acc: [__m512; 16] = [_mm512_setzero_ps(); 16];
    for _ in 0..iterations {
        for a in &mut acc {
            *a = _mm512_fmadd_ps(x, y, *a);
        }
    }
    std::hint::black_box(acc);
    iterations as f64 * 16.0 * 16.0 * 2.0
}
