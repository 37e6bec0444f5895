//! A program's memory, read from outside: its processes' resident bytes now and their
//! high-water marks, and the memory free for it, from `/proc`.

use super::Measure;

/// The memory free for new allocations (the kernel's MemAvailable), bytes.
#[cfg(target_os = "linux")]
pub(super) fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The memory of the processes `measure` names under `root`: the resident bytes of them all
/// now, and a lower bound of their peak together: the larger of that sum and the highest
/// high-water mark (`VmHWM`) of any one of them, which sampling cannot miss.
#[cfg(target_os = "linux")]
pub(super) fn memory(root: u32, measure: Measure) -> (u64, u64) {
    let mut members = Vec::new();
    descendants(root, &mut members);
    if measure == Measure::Tree {
        members.push(root);
    } else {
        // Between fork and exec a child is still a copy of the wrapper, its memory and all:
        // it is not the program yet.
        let exe = |pid: u32| std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        let wrapper = exe(root);
        members.retain(|&pid| wrapper.is_none() || exe(pid) != wrapper);
    }
    let (mut now, mut peak) = (0, 0);
    for pid in members {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue; // it just ended
        };
        let field = |name: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
                .map_or(0, |kb| kb * 1024)
        };
        now += field("VmRSS:");
        peak = peak.max(field("VmHWM:"));
    }
    (now, peak.max(now))
}

/// The resident bytes of the processes `measure` names under `root` now (0 off Linux).
pub(super) fn rss_now(root: u32, measure: Measure) -> u64 {
    #[cfg(target_os = "linux")]
    return memory(root, measure).0;
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (root, measure);
        0
    }
}

/// Every process started by `pid` and by those, from each thread's `children` list (one
/// small read per thread, cheap enough to repeat every few milliseconds).
#[cfg(target_os = "linux")]
fn descendants(pid: u32, out: &mut Vec<u32>) {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return;
    };
    for task in tasks.filter_map(Result::ok) {
        let Ok(list) = std::fs::read_to_string(task.path().join("children")) else {
            continue;
        };
        for child in list.split_whitespace().filter_map(|c| c.parse().ok()) {
            // A list read while processes come and go may repeat one; a cycle is impossible.
            if !out.contains(&child) {
                out.push(child);
                descendants(child, out);
            }
        }
    }
}
