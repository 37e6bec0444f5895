//! Memory profiles: a global-allocator wrapper that counts live and peak bytes and samples
//! allocations with their call stacks, so a flamegraph of the bytes still live points at the
//! code that allocated them (the leak lesson).
//!
//! Install it in a binary with `#[global_allocator] static A: TrackingAllocator =
//! TrackingAllocator;`. Until [`enable`] is called it costs one relaxed atomic load per
//! allocation. Once enabled (for the rest of the process) it keeps exact totals and samples
//! about one allocation per [`SAMPLE_INTERVAL`] bytes allocated (any larger allocation is always
//! sampled), capturing an unresolved backtrace; symbols are resolved only when a profile is
//! asked for.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use super::Profile;

/// Average bytes allocated between two sampled allocations.
pub const SAMPLE_INTERVAL: usize = 256 * 1024;

static ENABLED: AtomicBool = AtomicBool::new(false);
static INSTALLED: AtomicBool = AtomicBool::new(false);
static LIVE: AtomicU64 = AtomicU64::new(0);
static PEAK: AtomicU64 = AtomicU64::new(0);
static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static SAMPLED_LIVE: AtomicUsize = AtomicUsize::new(0);
/// Bumped by [`mark`]: each sample remembers the epoch it was taken in, so a profile can keep
/// only what was allocated after a mark (memray's `--leaks`: what the runs left behind, not
/// the whole process).
static EPOCH: AtomicU64 = AtomicU64::new(0);

struct Sampled {
    /// Estimated bytes this sample stands for.
    weight: u64,
    /// The epoch it was allocated in.
    epoch: u64,
    trace: backtrace::Backtrace,
}

static SAMPLES: Mutex<Option<HashMap<usize, Sampled>>> = Mutex::new(None);

thread_local! {
    /// (inside the tracker, bytes left before the next sample). Const-initialised and without
    /// a destructor, so it is safe to touch from inside the allocator.
    static STATE: Cell<(bool, usize)> = const { Cell::new((false, SAMPLE_INTERVAL)) };
}

/// The global allocator wrapper (over the system allocator).
pub struct TrackingAllocator;

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping around it never
// touches the memory it hands out and guards against re-entering itself.
unsafe impl GlobalAlloc for TrackingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        mark_installed();
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() && ENABLED.load(Ordering::Relaxed) {
            on_alloc(p, layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        mark_installed();
        // SAFETY: forwarded with the caller's layout.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() && ENABLED.load(Ordering::Relaxed) {
            on_alloc(p, layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ENABLED.load(Ordering::Relaxed) {
            on_dealloc(ptr, layout.size());
        }
        // SAFETY: forwarded; `ptr` came from this allocator with `layout`.
        unsafe { System.dealloc(ptr, layout) };
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's arguments.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && ENABLED.load(Ordering::Relaxed) {
            on_dealloc(ptr, layout.size());
            on_alloc(p, new_size);
        }
        p
    }
}

/// Notes that the wrapper is in use; a load first, so cores do not fight over the line.
#[inline]
fn mark_installed() {
    if !INSTALLED.load(Ordering::Relaxed) {
        INSTALLED.store(true, Ordering::Relaxed);
    }
}

fn on_alloc(p: *mut u8, size: usize) {
    let live = LIVE.fetch_add(size as u64, Ordering::Relaxed) + size as u64;
    PEAK.fetch_max(live, Ordering::Relaxed);
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    let _ = STATE.try_with(|s| {
        let (inside, left) = s.get();
        if inside {
            return;
        }
        if size < left {
            s.set((false, left - size));
            return;
        }
        s.set((true, SAMPLE_INTERVAL));
        let trace = backtrace::Backtrace::new_unresolved();
        if let Ok(mut map) = SAMPLES.lock() {
            map.get_or_insert_with(HashMap::new).insert(
                p as usize,
                Sampled {
                    weight: size.max(SAMPLE_INTERVAL) as u64,
                    epoch: EPOCH.load(Ordering::Relaxed),
                    trace,
                },
            );
            SAMPLED_LIVE.fetch_add(1, Ordering::Relaxed);
        }
        s.set((false, SAMPLE_INTERVAL));
    });
}

fn on_dealloc(p: *mut u8, size: usize) {
    // Saturating: memory allocated before tracking began may be freed after.
    let _ = LIVE.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
        Some(v.saturating_sub(size as u64))
    });
    if SAMPLED_LIVE.load(Ordering::Relaxed) == 0 {
        return;
    }
    let _ = STATE.try_with(|s| {
        let (inside, left) = s.get();
        if inside {
            // The tracker freeing its own memory (never sampled), possibly under the lock.
            return;
        }
        s.set((true, left));
        if let Ok(mut map) = SAMPLES.lock()
            && map.as_mut().and_then(|m| m.remove(&(p as usize))).is_some()
        {
            SAMPLED_LIVE.fetch_sub(1, Ordering::Relaxed);
        }
        s.set((inside, left));
    });
}

/// Runs `f` without sampling its allocations on this thread (they still count in the
/// totals): for the profilers' own buffers and symbol caches, which are not the program's.
pub fn untracked<R>(f: impl FnOnce() -> R) -> R {
    let previous = STATE.try_with(|s| {
        let (inside, left) = s.get();
        s.set((true, left));
        inside
    });
    let result = f();
    if let Ok(inside) = previous {
        let _ = STATE.try_with(|s| s.set((inside, s.get().1)));
    }
    result
}

/// Whether the running binary installed [`TrackingAllocator`] (known once it allocated).
#[must_use]
pub fn installed() -> bool {
    INSTALLED.load(Ordering::Relaxed)
}

/// Starts tracking for the rest of the process. Returns false when the tracking allocator is
/// not the global allocator (nothing would be seen).
pub fn enable() -> bool {
    // An allocation here proves (or disproves) that the wrapper is installed.
    drop(std::hint::black_box(Box::new(0u8)));
    if !installed() {
        return false;
    }
    ENABLED.store(true, Ordering::Relaxed);
    true
}

/// Exact totals since tracking began.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Bytes allocated while tracking and not yet freed.
    pub live_bytes: u64,
    /// The most that were live at once since tracking began (or the last [`reset_peak`]).
    pub peak_bytes: u64,
    pub allocations: u64,
    /// Live bytes now less those live at the mark these stats were taken since (see
    /// [`stats_since`]): what was allocated after it and is still live, less what it freed of
    /// what was there before. None: since tracking began.
    pub since_mark: Option<i64>,
}

#[must_use]
pub fn stats() -> AllocStats {
    AllocStats {
        live_bytes: LIVE.load(Ordering::Relaxed),
        peak_bytes: PEAK.load(Ordering::Relaxed),
        allocations: ALLOCATIONS.load(Ordering::Relaxed),
        since_mark: None,
    }
}

/// A point in the tracking: allocations after it can be told from those before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    epoch: u64,
    live_bytes: u64,
}

/// Marks now: samples taken from here on belong to the new epoch.
#[must_use]
pub fn mark() -> Mark {
    let epoch = EPOCH.fetch_add(1, Ordering::Relaxed) + 1;
    Mark {
        epoch,
        live_bytes: LIVE.load(Ordering::Relaxed),
    }
}

/// The totals, with the live bytes gained since `mark`.
#[must_use]
pub fn stats_since(mark: Option<&Mark>) -> AllocStats {
    let mut s = stats();
    s.since_mark = mark.map(|m| s.live_bytes.cast_signed() - m.live_bytes.cast_signed());
    s
}

/// Restarts the peak from the current live bytes.
pub fn reset_peak() {
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
}

/// Frames of the tracker itself and of the allocation machinery, dropped from the leaf end.
fn is_machinery(name: &str) -> bool {
    // The standard library's allocation plumbing (Vec growth, to_vec, Global::alloc) too:
    // the leaf that matters is the code that asked for the memory.
    const PREFIXES: [&str; 12] = [
        "backtrace::",
        "ladder::profile::alloc::",
        "<ladder::profile::alloc::",
        "__rust",
        "__rdl",
        "alloc::",
        "<alloc::",
        "<T as alloc::",
        "std::alloc::",
        "<std::alloc::",
        "std::thread::local::",
        "<std::thread::local::",
    ];
    PREFIXES.iter().any(|p| name.starts_with(p)) || name.starts_with("std::sys::thread_local")
}

/// The sampled allocations still live, as a profile whose counts are estimated bytes.
#[must_use]
pub fn live_profile() -> Profile {
    live_profile_since(None)
}

/// The sampled allocations made after `mark` (all, without one) and still live.
#[must_use]
pub fn live_profile_since(mark: Option<&Mark>) -> Profile {
    let from = mark.map_or(0, |m| m.epoch);
    // Resolving symbols allocates: keep those allocations out of the samples.
    let _ = STATE.try_with(|s| s.set((true, s.get().1)));
    let traces: Vec<(u64, backtrace::Backtrace)> = SAMPLES
        .lock()
        .map(|m| {
            m.as_ref()
                .map(|m| {
                    m.values()
                        .filter(|s| s.epoch >= from)
                        .map(|s| (s.weight, s.trace.clone()))
                        .collect()
                })
                .unwrap_or_default()
        })
        .unwrap_or_default();
    let mut merged: HashMap<Vec<String>, u64> = HashMap::new();
    for (weight, mut trace) in traces {
        trace.resolve();
        // Leaf first, as captured.
        let mut names: Vec<String> = trace
            .frames()
            .iter()
            .flat_map(|f| f.symbols().iter())
            .map(|sym| {
                super::symbols::clean(&sym.name().map_or_else(|| "?".into(), |n| n.to_string()))
            })
            .collect();
        let first_real = names.iter().position(|n| !is_machinery(n)).unwrap_or(0);
        names.drain(..first_real);
        names.reverse();
        names.insert(0, "live".into());
        *merged.entry(names).or_default() += weight;
    }
    let _ = STATE.try_with(|s| s.set((false, s.get().1)));
    let mut stacks: Vec<_> = merged.into_iter().collect();
    stacks.sort();
    Profile {
        frequency: 0,
        stacks,
        measured_hz: None,
        runs: 0,
        check_samples: 0,
    }
}
