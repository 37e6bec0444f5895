//! The n×n float32 output matrix, shared safely with kernels that write it from many threads.

use super::hugepages::HugeBuf;

/// The similarity matrix S, row-major.
pub struct SimMatrix {
    n: usize,
    data: HugeBuf<f32>,
}

impl SimMatrix {
    /// Allocates an n×n matrix and touches every page, so that page faults are paid here
    /// (set-up) and not inside the first kernel block.
    #[must_use]
    pub fn new(n: usize) -> Self {
        // Zeroed memory is mapped lazily; writing makes it resident now.
        let mut data = HugeBuf::zeroed(n * n);
        for page in data.as_mut_slice().chunks_mut(1024) {
            page[0] = 0.0;
            std::hint::black_box(&mut page[0]);
        }
        Self { n, data }
    }

    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    #[must_use]
    pub fn as_slice(&self) -> &[f32] {
        self.data.as_slice()
    }

    pub fn as_mut_slice(&mut self) -> &mut [f32] {
        self.data.as_mut_slice()
    }

    #[must_use]
    pub fn get(&self, i: usize, j: usize) -> f32 {
        self.data.as_slice()[i * self.n + j]
    }

    pub fn row_mut(&mut self, i: usize) -> &mut [f32] {
        &mut self.data.as_mut_slice()[i * self.n..(i + 1) * self.n]
    }

    /// A raw handle for kernels whose threads write disjoint entries.
    pub(crate) fn raw(&mut self) -> RawOut {
        RawOut {
            ptr: self.data.as_mut_slice().as_mut_ptr(),
            n: self.n,
        }
    }
}

/// Each row's k most similar other rows, most similar first.
#[derive(Clone, Debug, PartialEq)]
pub struct Neighbours {
    n: usize,
    k: usize,
    /// Row i's neighbours at `i * k..(i + 1) * k`.
    idx: Vec<u32>,
    sim: Vec<f32>,
}

impl Neighbours {
    /// Room for `k` neighbours of each of `n` rows (k is capped at n − 1: nobody is their own
    /// neighbour).
    #[must_use]
    pub fn new(n: usize, k: usize) -> Self {
        let k = k.min(n.saturating_sub(1));
        Self {
            n,
            k,
            idx: vec![0; n * k],
            sim: vec![f32::NAN; n * k],
        }
    }

    #[must_use]
    pub fn n(&self) -> usize {
        self.n
    }

    #[must_use]
    pub fn k(&self) -> usize {
        self.k
    }

    /// Row i's neighbours: (index, similarity), most similar first.
    #[must_use]
    pub fn row(&self, i: usize) -> Vec<(usize, f32)> {
        (i * self.k..(i + 1) * self.k)
            .map(|t| (self.idx[t] as usize, self.sim[t]))
            .collect()
    }

    /// The index and similarity buffers of rows `rows`, for a kernel to fill.
    pub fn rows_mut(&mut self, rows: std::ops::Range<usize>) -> (&mut [u32], &mut [f32]) {
        let r = rows.start * self.k..rows.end * self.k;
        (&mut self.idx[r.clone()], &mut self.sim[r])
    }
}

/// What a kernel writes: the full matrix S, or each row's top k.
pub enum Output {
    Full(SimMatrix),
    TopK(Neighbours),
}

impl Output {
    /// The full matrix. Panics on a top-k output: the runner allocates what the rung asks for.
    pub fn full_mut(&mut self) -> &mut SimMatrix {
        match self {
            Output::Full(s) => s,
            Output::TopK(_) => panic!("a full-matrix kernel was given a top-k output"),
        }
    }

    /// The neighbour lists. Panics on a full output.
    pub fn topk_mut(&mut self) -> &mut Neighbours {
        match self {
            Output::TopK(t) => t,
            Output::Full(_) => panic!("a top-k kernel was given a full-matrix output"),
        }
    }
}

/// A pointer to the output that may cross threads. Writers must write disjoint entries and
/// must not outlive the `&mut SimMatrix` it came from.
#[derive(Clone, Copy)]
pub(crate) struct RawOut {
    ptr: *mut f32,
    n: usize,
}

// SAFETY: RawOut is only a pointer; the kernels that share it write disjoint entries (each
// (i, j) with j ≥ i belongs to exactly one task, and so does its mirror (j, i)), and the scope
// that uses it ends before the `&mut SimMatrix` it borrows from.
unsafe impl Send for RawOut {}
// SAFETY: as for Send: shared copies write disjoint entries, within the same scope.
unsafe impl Sync for RawOut {}

impl RawOut {
    #[must_use]
    pub(crate) fn n(self) -> usize {
        self.n
    }

    /// Pointer to S\[i\]\[j\].
    ///
    /// # Safety
    /// `i < n`, `j <= n`.
    #[inline]
    pub(crate) unsafe fn at(self, i: usize, j: usize) -> *mut f32 {
        debug_assert!(i < self.n && j <= self.n);
        // SAFETY: inside the allocation by the caller's contract.
        unsafe { self.ptr.add(i * self.n + j) }
    }
}
