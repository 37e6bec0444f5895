//! The portable micro-kernel: plain Rust over fixed-size arrays, which the compiler vectorises
//! for whatever the baseline target offers.

use super::{Line, MR, NR};

/// Same contract as the AVX2 kernel, on slices.
pub(super) fn tile(a: &[f32], b: &[Line], d: usize, tile: &mut [[f32; NR]; MR]) {
    let mut acc = [[0f32; NR]; MR];
    for (ak, bk) in a.chunks_exact(MR).zip(b).take(d) {
        for (acc_r, &ar) in acc.iter_mut().zip(ak) {
            for (c, &bv) in acc_r.iter_mut().zip(&bk.0) {
                *c += ar * bv;
            }
        }
    }
    *tile = acc;
}

/// Independent multiply-add chains in portable code; returns the operations performed.
pub(super) fn peak_loop(iterations: u64) -> f64 {
    let x = std::hint::black_box([0f32; 8]);
    let y = std::hint::black_box([0f32; 8]);
    let mut acc = [[0f32; 8]; 12];
    for _ in 0..iterations {
        for a in &mut acc {
            for l in 0..8 {
                a[l] += x[l] * y[l];
            }
        }
    }
    std::hint::black_box(acc);
    iterations as f64 * 12.0 * 8.0 * 2.0
}
