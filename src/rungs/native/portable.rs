//! The portable micro-kernel: plain Rust over fixed-size arrays, which the compiler vectorises
//! for whatever the baseline target offers.

const MR: usize = super::tuning::PORTABLE.mr;
const NR: usize = super::tuning::PORTABLE.nr;

/// Same contract as the SIMD kernels.
///
/// # Safety
/// `a` valid for `kc * MR` reads; `b` valid for `kc * NR` reads; `c` valid for MR rows of NR
/// floats, `ldc` apart.
pub(super) unsafe fn tile(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    accumulate: bool,
) {
    // SAFETY: lengths as the caller vouched.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a, kc * MR),
            std::slice::from_raw_parts(b, kc * NR),
        )
    };
    let mut acc = [[0f32; NR]; MR];
    for (ak, bk) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        for (acc_r, &ar) in acc.iter_mut().zip(ak) {
            for (v, &bv) in acc_r.iter_mut().zip(bk) {
                *v += ar * bv;
            }
        }
    }
    for (r, acc_r) in acc.iter().enumerate() {
        // SAFETY: row r of c holds NR floats.
        let row = unsafe { std::slice::from_raw_parts_mut(c.add(r * ldc), NR) };
        for (dst, &v) in row.iter_mut().zip(acc_r) {
            *dst = if accumulate { *dst + v } else { v };
        }
    }
}

/// Independent multiply-add chains of `L` lanes in portable code; returns the operations
/// performed.
pub(super) fn peak_loop<const L: usize>(iterations: u64) -> f64 {
    let x = std::hint::black_box([0f32; L]);
    let y = std::hint::black_box([0f32; L]);
    let mut acc = [[0f32; L]; 12];
    for _ in 0..iterations {
        for a in &mut acc {
            for l in 0..L {
                a[l] += x[l] * y[l];
            }
        }
    }
    std::hint::black_box(acc);
    iterations as f64 * 12.0 * L as f64 * 2.0
}
