//! The roofline: the float32 FMA throughput of one core with independent accumulator chains,
//! measured with each instruction set's own loop.

#[cfg(target_arch = "x86_64")]
use super::avx2;
#[cfg(target_arch = "x86_64")]
use super::avx512;
use super::{Isa, portable};

/// Measures the float32 FMA throughput of one core with independent accumulator chains at
/// `isa` (the roofline every kernel is shown against). Returns FLOP/s. An `isa` this CPU does
/// not have is measured with the portable loop instead.
#[must_use]
pub fn fma_peak_probe(isa: Isa, iterations: u64) -> f64 {
    let start = std::time::Instant::now();
    let flops = fma_peak_flops(isa, iterations);
    flops / start.elapsed().as_secs_f64()
}

/// Runs the loop of [`fma_peak_probe`] untimed and returns the FLOPs it performed (so a caller
/// can divide by a clock of its own: the thread's CPU time, say).
#[must_use]
pub fn fma_peak_flops(isa: Isa, iterations: u64) -> f64 {
    let isa = if Isa::available().contains(&isa) {
        isa
    } else {
        Isa::Portable
    };
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX-512F was detected on this CPU just above.
        Isa::Avx512 => unsafe { avx512::peak_loop(iterations) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX2 and FMA were detected on this CPU just above.
        Isa::Avx2Fma => unsafe { avx2::peak_loop(iterations) },
        _ => portable::peak_loop::<8>(iterations),
    }
}

/// Like [`fma_peak_probe`], with 128-bit vectors: the ceiling of a kernel limited to them.
#[must_use]
pub fn fma_peak_probe_128(iterations: u64) -> f64 {
    let start = std::time::Instant::now();
    let flops = fma_peak_flops_128(iterations);
    flops / start.elapsed().as_secs_f64()
}

/// Runs the loop of [`fma_peak_probe_128`] untimed and returns the FLOPs it performed.
#[must_use]
pub fn fma_peak_flops_128(iterations: u64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    let flops = if std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: FMA was just detected.
        unsafe { avx2::peak_loop_128(iterations) }
    } else {
        portable::peak_loop::<4>(iterations)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let flops = portable::peak_loop::<4>(iterations);
    flops
}
