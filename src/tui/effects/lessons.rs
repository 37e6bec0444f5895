//! The lessons' measurements that run Python, each on a thread of its own: the concurrency
//! workloads and the profilers side by side. They send their progress and their result as
//! messages, and nothing else.

use super::{Effects, Event, Msg};

/// The concurrency workloads every way, and the Rust side beside them.
pub(super) fn measure_concurrency(e: &Effects) {
    let tx = e.tx.clone();
    let _ = e.spawn(
        "ladder-python",
        move || {
            let r = crate::lessons::python::concurrency(false)
                .map_err(|e| e.to_string())
                .map(|mut c| {
                    // The Rust side: the kernel on threads and on worker processes (this
                    // binary's hidden `worker` command).
                    let exe = std::env::current_exe().ok();
                    let workers = std::thread::available_parallelism().map_or(1, usize::from);
                    c.rust = Some(crate::lessons::rust_side::measure(
                        4000,
                        768,
                        workers,
                        exe.as_deref(),
                    ));
                    c
                });
            let _ = tx.send(Event::App(Msg::ConcurrencyMeasured(r)));
        },
        |why| Msg::ConcurrencyMeasured(Err(why)),
    );
}

/// The profilers on `n` vectors, each run told as it starts.
pub(super) fn measure_profilers(e: &Effects, n: usize, rounds: usize) {
    let tx = e.tx.clone();
    let _ = e.spawn(
        "ladder-profilers",
        move || {
            let progress = tx.clone();
            let r = crate::lessons::profilers::compare_with(n, rounds, &mut |r| {
                let _ = progress.send(Event::App(Msg::ProfilersProgress(r.clone())));
            })
            .map(Box::new);
            let _ = tx.send(Event::App(Msg::ProfilersMeasured(r)));
        },
        |why| Msg::ProfilersMeasured(Err(why)),
    );
}
