//! Watching the process from beside it: resident memory, sampled on a thread of its own.
//!
//! Produces plain numbers; the runner and the (later) gauges read them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use sysinfo::{MemoryRefreshKind, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

/// Reads this process's resident set size.
pub struct RssProbe {
    sys: System,
    pid: Option<Pid>,
}

impl RssProbe {
    #[must_use]
    pub fn new() -> Option<Self> {
        let sys = System::new().ok()?;
        let pid = sysinfo::get_current_pid().ok();
        Some(Self { sys, pid })
    }

    /// Current resident bytes, or 0 where the platform does not tell.
    pub fn rss(&mut self) -> u64 {
        let Some(pid) = self.pid else { return 0 };
        self.sys.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            false,
            ProcessRefreshKind::nothing().with_memory(),
        );
        self.sys.process(pid).map_or(0, sysinfo::Process::memory)
    }
}

/// Bytes of memory available to new allocations, if the platform says.
#[must_use]
pub fn available_memory() -> Option<u64> {
    let mut sys = System::new().ok()?;
    sys.refresh_memory_specifics(MemoryRefreshKind::nothing().with_ram());
    let avail = sys.available_memory();
    (avail > 0).then_some(avail)
}

/// Samples RSS every `period` on its own thread until stopped; reports the peak.
pub struct PeakRss {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<u64>>,
}

impl PeakRss {
    #[must_use]
    pub fn start(period: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("ladder-rss".into())
            .spawn(move || {
                let Some(mut probe) = RssProbe::new() else {
                    return 0;
                };
                let mut peak = probe.rss();
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(period);
                    peak = peak.max(probe.rss());
                }
                peak.max(probe.rss())
            })
            .ok();
        Self { stop, handle }
    }

    /// Stops sampling and returns the peak seen (0 if sampling was impossible).
    #[must_use]
    pub fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().and_then(|h| h.join().ok()).unwrap_or(0)
    }
}

impl Drop for PeakRss {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}
