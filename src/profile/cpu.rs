//! Sampling CPU profiles with pprof-rs (SIGPROF timer, stacks of every thread, rayon workers
//! included).

use std::collections::HashMap;

use super::{Profile, ProfileError};

/// Default sampling rate, Hz: about a thousand samples a second of CPU time (a prime, so the
/// timer does not beat in step with periodic work). The kernel timer may deliver fewer.
pub const DEFAULT_FREQUENCY: u32 = 997;

/// A running CPU profile. Only one can run in a process at a time.
pub struct CpuProfiler {
    guard: pprof::ProfilerGuard<'static>,
    frequency: u32,
}

impl CpuProfiler {
    /// Starts sampling every thread of the process at `frequency` Hz.
    pub fn start(frequency: u32) -> Result<Self, ProfileError> {
        let frequency = frequency.clamp(1, 10_000);
        // The profiler's buffers are not the program's: keep them out of memory profiles.
        let guard = super::alloc::untracked(|| {
            pprof::ProfilerGuardBuilder::default()
                .frequency(i32::try_from(frequency).unwrap_or(10_000))
                .blocklist(&["libc", "libgcc", "pthread", "vdso"])
                .build()
        })
        .map_err(|e| ProfileError::Start(e.to_string()))?;
        Ok(Self { guard, frequency })
    }

    /// Stops sampling and returns the stacks.
    pub fn finish(self) -> Result<Profile, ProfileError> {
        super::alloc::untracked(|| self.finish_inner())
    }

    fn finish_inner(self) -> Result<Profile, ProfileError> {
        let report = self
            .guard
            .report()
            .build()
            .map_err(|e| ProfileError::Report(e.to_string()))?;
        let mut merged: HashMap<Vec<String>, u64> = HashMap::new();
        for (frames, count) in &report.data {
            let mut stack = vec![clean(&frames.thread_name_or_id())];
            for frame in frames.frames.iter().rev() {
                for symbol in frame.iter().rev() {
                    stack.push(clean(&symbol.name()));
                }
            }
            *merged.entry(stack).or_default() += u64::try_from(*count).unwrap_or(0);
        }
        let mut stacks: Vec<_> = merged.into_iter().filter(|(_, c)| *c > 0).collect();
        stacks.sort();
        Ok(Profile {
            frequency: self.frequency,
            stacks,
        })
    }
}

/// Drops generic arguments (`call_once<…>` → `call_once`) but keeps qualified paths
/// (`<Box as FnOnce>::call_once`): monomorphised names run to hundreds of characters and
/// say little a learner needs.
fn simplify(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut skip_depth = 0usize;
    let mut prev = ' ';
    for c in name.chars() {
        if skip_depth > 0 {
            match c {
                '<' => skip_depth += 1,
                '>' => skip_depth -= 1,
                _ => {}
            }
            continue;
        }
        if c == '<' && (prev.is_alphanumeric() || matches!(prev, '_' | '}' | '>')) {
            skip_depth = 1;
            continue;
        }
        // A turbofish, `f::<T>`: drop it with its `::`.
        if c == '<' && out.ends_with("::") {
            out.truncate(out.len() - 2);
            skip_depth = 1;
            continue;
        }

        out.push(c);
        prev = c;
    }
    strip_disambiguators(&out)
}

/// Drops v0-mangling crate disambiguators: `std[e28293b1aa0f68bd]::rt` → `std::rt`.
fn strip_disambiguators(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find('[') {
        let close = rest[at..].find(']').map(|c| at + c);
        match close {
            Some(end)
                if end > at + 1
                    && rest[at + 1..end].chars().all(|c| c.is_ascii_hexdigit())
                    && rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') =>
            {
                out.push_str(&rest[..at]);
                rest = &rest[end + 1..];
            }
            _ => {
                out.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A frame name fit for folded stacks: no `;` (the separator), no trailing symbol hash, no
/// generic arguments.
pub(super) fn clean(name: &str) -> String {
    let name = match name.rfind("::h") {
        Some(at)
            if name.len() - at == 19 && name[at + 3..].chars().all(|c| c.is_ascii_hexdigit()) =>
        {
            &name[..at]
        }
        _ => name,
    };
    simplify(name).replace(';', ":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_hashes_and_separators() {
        assert_eq!(
            clean("ladder::run::Runner::run_one::h0123456789abcdef"),
            "ladder::run::Runner::run_one"
        );
        assert_eq!(clean("a;b"), "a:b");
        assert_eq!(clean("std::rt::lang_start"), "std::rt::lang_start");
        assert_eq!(
            clean(
                "<alloc::boxed::Box<dyn core::ops::FnOnce<()>> as core::ops::FnOnce<()>>::call_once"
            ),
            "<alloc::boxed::Box as core::ops::FnOnce>::call_once"
        );
        assert_eq!(
            clean("{closure#1}<ladder::x::{closure_env#1}, ()>"),
            "{closure#1}"
        );
        assert_eq!(clean("call_once<F, ()>"), "call_once");
        assert_eq!(
            clean("std[e28293b1aa0f68bd]::panicking::catch_unwind::<isize, std[e2]::x>"),
            "std::panicking::catch_unwind"
        );
        assert_eq!(clean("<[T]>::to_vec"), "<[T]>::to_vec");
    }
}
