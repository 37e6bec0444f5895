//! The AVX2+FMA micro-kernel: a 6 × 16 register tile.

use std::arch::x86_64::{
    __m256, _mm256_add_ps, _mm256_broadcast_ss, _mm256_fmadd_ps, _mm256_load_ps, _mm256_loadu_ps,
    _mm256_permute2f128_ps, _mm256_setzero_ps, _mm256_shuffle_ps, _mm256_storeu_ps,
    _mm256_stream_ps, _mm256_unpackhi_ps, _mm256_unpacklo_ps,
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

/// The same chains with 128-bit vectors (the widest Cranelift emits on x86).
///
/// # Safety
/// The CPU must support FMA.
#[target_feature(enable = "fma")]
pub(super) unsafe fn peak_loop_128(iterations: u64) -> f64 {
    use std::arch::x86_64::{__m128, _mm_fmadd_ps, _mm_setzero_ps};
    let x = std::hint::black_box(_mm_setzero_ps());
    let y = std::hint::black_box(_mm_setzero_ps());
    let mut acc: [__m128; 12] = [_mm_setzero_ps(); 12];
    for _ in 0..iterations {
        for a in &mut acc {
            *a = _mm_fmadd_ps(x, y, *a);
        }
    }
    std::hint::black_box(acc);
    iterations as f64 * 12.0 * 4.0 * 2.0
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

/// Transposes one 8 × 8 block: `dst[j * ld_dst + i] = src[i * ld_src + j]` for i, j < 8.
///
/// # Safety
/// The CPU must support AVX; `src` valid for 8 rows of 8 floats `ld_src` apart, `dst` for 8
/// rows of 8 floats `ld_dst` apart, not overlapping.
#[target_feature(enable = "avx")]
pub(super) unsafe fn transpose8x8(src: *const f32, ld_src: usize, dst: *mut f32, ld_dst: usize) {
    // SAFETY: all loads and stores are inside the 8 × 8 blocks the caller vouched for.
    unsafe {
        let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(src.add(i * ld_src)));
        // Interleave pairs of rows, then pairs of pairs, then swap 128-bit halves.
        let t0 = _mm256_unpacklo_ps(r[0], r[1]);
        let t1 = _mm256_unpackhi_ps(r[0], r[1]);
        let t2 = _mm256_unpacklo_ps(r[2], r[3]);
        let t3 = _mm256_unpackhi_ps(r[2], r[3]);
        let t4 = _mm256_unpacklo_ps(r[4], r[5]);
        let t5 = _mm256_unpackhi_ps(r[4], r[5]);
        let t6 = _mm256_unpacklo_ps(r[6], r[7]);
        let t7 = _mm256_unpackhi_ps(r[6], r[7]);
        let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
        let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
        let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
        let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
        let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
        let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
        let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
        let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
        let out = [
            _mm256_permute2f128_ps::<0x20>(u0, u4),
            _mm256_permute2f128_ps::<0x20>(u1, u5),
            _mm256_permute2f128_ps::<0x20>(u2, u6),
            _mm256_permute2f128_ps::<0x20>(u3, u7),
            _mm256_permute2f128_ps::<0x31>(u0, u4),
            _mm256_permute2f128_ps::<0x31>(u1, u5),
            _mm256_permute2f128_ps::<0x31>(u2, u6),
            _mm256_permute2f128_ps::<0x31>(u3, u7),
        ];
        for (j, v) in out.into_iter().enumerate() {
            _mm256_storeu_ps(dst.add(j * ld_dst), v);
        }
    }
}
