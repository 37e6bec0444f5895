//! Large buffers aligned to 2 MiB and, on Linux, advised into transparent huge pages.
//!
//! The similarity matrix is 400 MB at the default size and the packed inputs 30 MB each. With
//! 4 KiB pages every mirrored store lands on a different page and the TLB thrashes; with 2 MiB
//! pages the same buffers need a few hundred TLB entries, and pre-faulting S costs 200 faults
//! instead of 100,000.

const HUGE: usize = 2 << 20;

/// A zero-initialised buffer of `len` values whose start is 2 MiB aligned (asserted when it is
/// made: the packed panels' aligned loads depend on it).
pub(crate) struct HugeBuf<T> {
    data: Vec<T>,
    offset: usize,
    len: usize,
}

impl<T: Copy + Default> HugeBuf<T> {
    pub(crate) fn zeroed(len: usize) -> Self {
        let size = std::mem::size_of::<T>().max(1);
        let slack = HUGE / size;
        let data = vec![T::default(); len + slack];
        let offset = data.as_ptr().align_offset(HUGE);
        // The kernels' aligned loads rely on this start: a buffer that could not be aligned
        // must stop here, not be handed out unaligned.
        assert!(
            HUGE.is_multiple_of(size) && offset <= slack,
            "a {size}-byte element cannot start a 2 MiB-aligned buffer"
        );
        let buf = Self { data, offset, len };
        buf.advise();
        buf
    }

    fn advise(&self) {
        #[cfg(target_os = "linux")]
        {
            let bytes = self.len * std::mem::size_of::<T>();
            if bytes >= HUGE {
                let ptr = self.as_slice().as_ptr().cast::<libc::c_void>().cast_mut();
                // SAFETY: the range is inside our allocation; MADV_HUGEPAGE only changes how
                // the kernel backs it, never its contents. Failure (no THP) is harmless.
                unsafe {
                    libc::madvise(ptr, bytes / HUGE * HUGE, libc::MADV_HUGEPAGE);
                }
            }
        }
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        &self.data[self.offset..self.offset + self.len]
    }

    pub(crate) fn as_mut_slice(&mut self) -> &mut [T] {
        &mut self.data[self.offset..self.offset + self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::{HUGE, HugeBuf};

    #[test]
    fn a_buffer_starts_2_mib_aligned_or_is_not_made() {
        for len in [0, 1, 1000, HUGE] {
            let b = HugeBuf::<f32>::zeroed(len);
            assert_eq!(b.as_slice().as_ptr() as usize % HUGE, 0, "len {len}");
            assert_eq!(b.as_slice().len(), len);
        }
        // An element that cannot tile 2 MiB cannot be aligned so: refused, not handed out.
        assert!(std::panic::catch_unwind(|| HugeBuf::<[u8; 3]>::zeroed(10)).is_err());
    }
}
