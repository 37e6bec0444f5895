//! The allocation tracker: attribution to the call site, live bytes back to baseline after a
//! run that does not leak, and not after one that does.

mod common;

use std::time::Duration;

use ladder::profile::alloc::{self, TrackingAllocator};
use ladder::run::{CancelToken, Runner};
use ladder::rungs;
use ladder::workload::Distribution;

#[global_allocator]
static ALLOCATOR: TrackingAllocator = TrackingAllocator;

#[inline(never)]
fn allocate_for_the_test() -> Vec<u8> {
    vec![7u8; 4 << 20]
}

/// Each leaky run keeps n·d·4 = 512 KiB: above the sampling interval, so always sampled.
fn runner() -> Runner {
    common::runner_on(Distribution::Normal, 2000, 64, 3, Duration::from_mins(1))
}

// One test: the tracker's counters are process-wide.
#[test]
fn attributes_allocations_and_tells_a_leak_from_a_fix() {
    assert!(
        alloc::enable(),
        "the tracking allocator is installed in this test"
    );
    let runner = runner();
    let cancel = CancelToken::new();
    let quiet = |_| {};

    // A known allocation is attributed to its call site, and freed again.
    let base = alloc::stats().live_bytes;
    let kept = allocate_for_the_test();
    assert!(alloc::stats().live_bytes >= base + (4 << 20));
    let p = alloc::live_profile();
    let at_site = p.matching_samples("allocate_for_the_test");
    assert!(
        at_site >= 4 << 20,
        "{at_site} bytes attributed:\n{}",
        p.to_folded()
    );
    drop(kept);
    assert!(alloc::live_profile().matching_samples("allocate_for_the_test") == 0);

    // The fixed rung: live bytes come back to where they were.
    let fixed = rungs::find("leak-fixed").unwrap();
    let _ = runner.run_one(0, fixed.as_ref(), &quiet, &cancel); // warm caches
    let before = alloc::stats().live_bytes;
    for _ in 0..3 {
        let r = runner.run_one(0, fixed.as_ref(), &quiet, &cancel);
        assert!(r.verified());
    }
    let after = alloc::stats().live_bytes;
    assert!(
        after.abs_diff(before) < 256 << 10,
        "fixed: live went from {before} to {after}"
    );

    // The leaky rung: every run leaves n·d·4 bytes behind, and the profile names the culprit.
    let leaky = rungs::find("leaky").unwrap();
    let before = alloc::stats().live_bytes;
    for _ in 0..3 {
        let r = runner.run_one(0, leaky.as_ref(), &quiet, &cancel);
        assert!(r.verified(), "a leak is not a wrong answer");
    }
    let grew = alloc::stats().live_bytes - before;
    let per_run: u64 = 2000 * 64 * 4;
    assert!(grew >= 3 * per_run, "leaky grew only {grew} bytes");
    let p = alloc::live_profile();
    assert!(
        p.matching_samples("remember_normalised") >= 3 * per_run,
        "{}",
        p.to_folded()
    );
    assert!(rungs::leaky::cached_bytes() as u64 >= 3 * per_run);

    // Since a mark (the app takes one as the first run on a workload starts): only what the
    // runs after it allocated and left live, not what was live before (the workload, the
    // earlier runs' leftovers), as memray's --leaks shows.
    let before_mark = allocate_for_the_test();
    let mark = alloc::mark();
    for _ in 0..2 {
        let r = runner.run_one(0, leaky.as_ref(), &quiet, &cancel);
        assert!(r.verified());
    }
    let since = alloc::live_profile_since(Some(&mark));
    let leaked = since.matching_samples("remember_normalised");
    assert!(
        (2 * per_run..3 * per_run).contains(&leaked),
        "two runs since the mark, {leaked} bytes:\n{}",
        since.to_folded()
    );
    assert_eq!(since.matching_samples("allocate_for_the_test"), 0);
    let whole = alloc::live_profile();
    assert!(whole.matching_samples("allocate_for_the_test") >= 4 << 20);
    assert!(whole.matching_samples("remember_normalised") >= 5 * per_run);
    // The exact count agrees: two runs' leftovers, not the 4 MiB from before the mark.
    let gained = alloc::stats_since(Some(&mark)).since_mark.unwrap();
    assert!(
        (2 * per_run.cast_signed()..2 * per_run.cast_signed() + (1 << 20)).contains(&gained),
        "{gained}"
    );
    assert_eq!(alloc::stats().since_mark, None);
    drop(before_mark);
}
