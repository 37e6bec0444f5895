//! The leak lesson's claim, measured as the app measures it: after each run, with what the run
//! freed handed back, `leaky` leaves its cache behind and `leak-fixed` leaves nothing. A test
//! binary of its own: other tests' allocations would move this process's memory.

#[path = "common/mod.rs"]
mod common;

use ladder::run::CancelToken;

/// The growth of resident memory per run, after the first (the median of three runs' steps).
fn growth_per_run(id: &str) -> f64 {
    let runner = common::runner_on(
        ladder::workload::Distribution::Normal,
        2000,
        256,
        0,
        std::time::Duration::from_secs(10),
    );
    let rung = ladder::rungs::extras()
        .into_iter()
        .find(|r| r.info().id == id)
        .unwrap();
    // Each run on a thread of its own, as the app runs them (glibc gives each its own arena).
    let after: Vec<f64> = (0..5)
        .map(|i| {
            let r = std::thread::scope(|s| {
                s.spawn(|| {
                    runner.run_once(
                        i,
                        rung.as_ref(),
                        &|_| {},
                        &CancelToken::new(),
                        runner.budget(),
                    )
                })
                .join()
                .unwrap()
            });
            assert!(r.verified(), "{id}: {:?}", r.status);
            r.rss_after_bytes as f64
        })
        .collect();
    let mut steps: Vec<f64> = after.windows(2).skip(1).map(|w| w[1] - w[0]).collect();
    steps.sort_by(f64::total_cmp);
    steps[steps.len() / 2]
}

#[test]
fn leaky_leaves_its_cache_behind_and_leak_fixed_leaves_nothing() {
    // 2000 normalised rows of 256 floats: 2 MB a run.
    let cache = 2000.0 * 256.0 * 4.0;
    let leaky = growth_per_run("leaky");
    assert!(leaky > 0.75 * cache, "leaky grew {leaky} bytes a run");
    let fixed = growth_per_run("leak-fixed");
    assert!(fixed < 0.25 * cache, "leak-fixed grew {fixed} bytes a run");
}
