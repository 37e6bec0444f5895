//! Dot products of two stored rows, the one operation a graph walk spends its time in, and a
//! prefetch hint for the row it will read next.
//!
//! Rows are stored padded with zeros to a multiple of [`LANES`] floats, so every kernel reads
//! whole vectors and needs no tail loop.

use crate::rungs::native::Isa;

/// Rows are padded to a multiple of this many floats (one 512-bit vector).
pub(super) const LANES: usize = 16;

/// `Σ a[i]·b[i]` over `len` floats, `len` a multiple of [`LANES`].
pub(super) type DotFn = unsafe fn(*const f32, *const f32, usize) -> f32;

/// The fastest dot product for `isa`.
pub(super) fn for_isa(isa: Isa) -> DotFn {
    match isa {
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => avx512,
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2Fma => avx2,
        _ => portable,
    }
}

/// Asks for the first cache lines of a row to be brought in while the current one is
/// computed: a graph walk jumps between rows, which the hardware cannot predict, but the next
/// few lines of a row it can (so the first lines are the ones worth asking for).
#[inline(always)]
pub(super) fn prefetch(row: *const f32) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // Four lines measured best: 5% faster than none; a whole row (48 lines) is slower.
        for l in 0..4 {
            // SAFETY: a prefetch is a hint; it never faults, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(row.cast::<i8>().wrapping_add(64 * l)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = row;
}

/// # Safety
/// The CPU must support AVX-512F; `a` and `b` valid for `len` reads, `len % 16 == 0`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn avx512(a: *const f32, b: *const f32, len: usize) -> f32 {
    use std::arch::x86_64::{_mm512_add_ps, _mm512_setzero_ps};
    use std::arch::x86_64::{_mm512_fmadd_ps, _mm512_loadu_ps, _mm512_reduce_add_ps};
    // Four accumulators hide the FMA latency; the loads, not the arithmetic, set the pace.
    let mut acc = [_mm512_setzero_ps(); 4];
    let mut i = 0;
    // SAFETY: every load is inside [0, len), which the caller vouched for.
    unsafe {
        while i + 4 * LANES <= len {
            for (j, s) in acc.iter_mut().enumerate() {
                let o = i + j * LANES;
                *s = _mm512_fmadd_ps(_mm512_loadu_ps(a.add(o)), _mm512_loadu_ps(b.add(o)), *s);
            }
            i += 4 * LANES;
        }
        while i < len {
            acc[0] = _mm512_fmadd_ps(_mm512_loadu_ps(a.add(i)), _mm512_loadu_ps(b.add(i)), acc[0]);
            i += LANES;
        }
    }
    let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    _mm512_reduce_add_ps(sum)
}

/// # Safety
/// The CPU must support AVX2 and FMA; `a` and `b` valid for `len` reads, `len % 16 == 0`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2(a: *const f32, b: *const f32, len: usize) -> f32 {
    use std::arch::x86_64::{
        _mm_add_ps, _mm_add_ss, _mm_cvtss_f32, _mm_movehl_ps, _mm_shuffle_ps, _mm256_add_ps,
        _mm256_castps256_ps128, _mm256_extractf128_ps, _mm256_fmadd_ps, _mm256_loadu_ps,
        _mm256_setzero_ps,
    };
    let mut acc = [_mm256_setzero_ps(); 4];
    let mut i = 0;
    // SAFETY: every load is inside [0, len), which the caller vouched for (len % 16 == 0, so
    // the loop runs whole steps of 32 then at most one of 16).
    unsafe {
        while i + 32 <= len {
            for (j, s) in acc.iter_mut().enumerate() {
                let o = i + j * 8;
                *s = _mm256_fmadd_ps(_mm256_loadu_ps(a.add(o)), _mm256_loadu_ps(b.add(o)), *s);
            }
            i += 32;
        }
        if i < len {
            acc[0] = _mm256_fmadd_ps(_mm256_loadu_ps(a.add(i)), _mm256_loadu_ps(b.add(i)), acc[0]);
            acc[1] = _mm256_fmadd_ps(
                _mm256_loadu_ps(a.add(i + 8)),
                _mm256_loadu_ps(b.add(i + 8)),
                acc[1],
            );
        }
    }
    let s = _mm256_add_ps(_mm256_add_ps(acc[0], acc[1]), _mm256_add_ps(acc[2], acc[3]));
    let h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
    let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
    _mm_cvtss_f32(_mm_add_ss(h, _mm_shuffle_ps::<1>(h, h)))
}

/// # Safety
/// `a` and `b` valid for `len` reads, `len % 16 == 0`.
unsafe fn portable(a: *const f32, b: *const f32, len: usize) -> f32 {
    // SAFETY: the caller vouched for `len` reads from each.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a, len),
            std::slice::from_raw_parts(b, len),
        )
    };
    // Sixteen independent partial sums let the compiler vectorise without reassociating
    // (and no mul_add: without FMA in the target it becomes a slow library call).
    let mut acc = [0.0f32; LANES];
    for (x, y) in a.chunks_exact(LANES).zip(b.chunks_exact(LANES)) {
        for l in 0..LANES {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kernel_agrees_with_a_float64_sum() {
        for len in [16, 32, 48, 64, 80, 768, 784] {
            let a: Vec<f32> = (0..len)
                .map(|i| ((i * 7 % 13) as f32 - 6.0) / 7.0)
                .collect();
            let b: Vec<f32> = (0..len)
                .map(|i| ((i * 5 % 11) as f32 - 5.0) / 3.0)
                .collect();
            let want: f64 = a
                .iter()
                .zip(&b)
                .map(|(&x, &y)| f64::from(x) * f64::from(y))
                .sum();
            for isa in Isa::available() {
                // SAFETY: `isa` is one this CPU supports; both slices hold `len` floats.
                let got = unsafe { for_isa(isa)(a.as_ptr(), b.as_ptr(), len) };
                assert!(
                    (f64::from(got) - want).abs() < 1e-3,
                    "{isa} len {len}: {got} against {want}"
                );
            }
        }
    }
}
