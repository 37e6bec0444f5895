//! What a flamegraph shows: every frame sampled, or the view the terminal shows by default and
//! exports draw for a slide (the standard library's scaffolding folded away, stacks too rare
//! to see cut short). One home for both the terminal and the files.

use std::collections::HashMap;

use super::{FrameKind, Profile, frame_kind};

/// Which frames a profile keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StackView {
    /// Scaffolding folded, rare stacks cut: what the terminal shows, readable on a slide.
    #[default]
    Slide,
    /// Every frame sampled, as captured.
    Full,
}

/// A stack's tail is cut where its frames hold less than this share of all samples (about
/// what a terminal column holds, and 12 pixels of a 1200-pixel flamegraph).
pub const SLIDE_MIN_SHARE: f64 = 0.01;

impl StackView {
    /// One line saying what the stacks hold, for the header of an export.
    #[must_use]
    pub fn describe(self) -> String {
        match self {
            StackView::Slide => format!(
                "slide view: the scaffolding between our frames (the standard library's, rayon's, the runner's) folded away, \
                 stacks cut where they hold under {:.0}% of the samples or a single one (--full-stacks keeps every frame)",
                SLIDE_MIN_SHARE * 100.0
            ),
            StackView::Full => "full stacks: every frame sampled, as captured".into(),
        }
    }
}

impl StackView {
    /// `subtitle` with a few words saying which stacks are drawn.
    #[must_use]
    pub fn subtitled(self, subtitle: &str) -> String {
        let what = match self {
            StackView::Slide => "scaffolding folded",
            StackView::Full => "full stacks",
        };
        if subtitle.is_empty() {
            what.to_string()
        } else {
            format!("{subtitle} · {what}")
        }
    }
}

impl Profile {
    /// The stacks as `view` shows them.
    #[must_use]
    pub fn view(&self, view: StackView) -> Profile {
        match view {
            StackView::Full => self.clone(),
            StackView::Slide => self.without_scaffolding().without_rare(SLIDE_MIN_SHARE),
        }
    }

    /// Two rungs' stacks as a differential flamegraph of `view` draws them: lined up
    /// ([`Profile::aligned`]) before rare stacks are cut, so work spread over many threads is
    /// not cut to its bare thread roots first.
    #[must_use]
    pub fn view_aligned(&self, view: StackView) -> Profile {
        match view {
            StackView::Full => self.aligned(),
            StackView::Slide => self
                .without_scaffolding()
                .aligned()
                .without_rare(SLIDE_MIN_SHARE),
        }
    }

    /// Thread roots, then only the frames from our code and libraries, with the scaffolding
    /// between them left out: the standard library's (thread start, closures, unwinding
    /// guards), the thread pool's (rayon's work-stealing recursion, a dozen frames per
    /// split) and our runner's calls down to set-up, kernel and check. Frames at the leaves,
    /// where the time is spent (a memory copy, a page fault, a worker spinning), stay. A stack
    /// with none of our frames stays whole, but for Python's import machinery between two
    /// modules (a Python peer's), or the standard library's frames on one of our threads (an
    /// idle worker's: the pool's frames say it waits).
    #[must_use]
    pub fn without_scaffolding(&self) -> Profile {
        let stacks = self
            .stacks
            .iter()
            .map(|(stack, count)| {
                // Our plumbing (the runner's calls) counts as ours here, though folded: a
                // sample in the runner itself (a clock read, a matrix dropped) keeps its leaf
                // under the thread, not the standard library's thread start above it.
                let last_ours = stack
                    .iter()
                    .enumerate()
                    .skip(1)
                    .filter(|(_, f)| !is_scaffolding(f) || is_our_plumbing(f))
                    .map(|(i, _)| i)
                    .next_back();
                let leaf = stack.len().saturating_sub(1);
                let kept: Vec<String> = stack
                    .iter()
                    .enumerate()
                    .filter(|(i, f)| {
                        // Python's import machinery repeats five frames per nested import:
                        // folded, an import tower reads module by module.
                        if last_ours.is_none() {
                            // One of our threads with none of our code on it (a pool's idle
                            // worker): the pool's frames say it waits; the standard library's
                            // thread start and unwind guards under them say nothing.
                            if super::is_our_thread(&stack[0]) {
                                return *i == 0 || *i == leaf || frame_kind(f) != FrameKind::System;
                            }
                            return *i == 0 || *i == leaf || !f.contains("(<frozen importlib.");
                        }
                        // Below our last frame: where the time is, but for the inlined loop
                        // and indexing code of our own loops, whose samples are our frame's.
                        *i == 0
                            || last_ours.is_none_or(|l| *i > l && !is_inlined_plumbing(f))
                            || !is_scaffolding(f)
                    })
                    .map(|(_, f)| f.clone())
                    .collect();
                (kept, *count)
            })
            .collect();
        merged(self, stacks)
    }

    /// Each stack cut at the first frame whose path from the root holds less than `share` of
    /// all samples, or a single sample: its samples count for the frame above, so widths stay
    /// true, and a deep one-sample tower no longer sets the picture's height (at 100 samples,
    /// 1% is one sample, and a rayon split's fifty frames drew a page of it).
    #[must_use]
    pub fn without_rare(&self, share: f64) -> Profile {
        let min = (self.total_samples() as f64 * share).max(2.0);
        let mut prefix: HashMap<&[String], u64> = HashMap::new();
        for (stack, count) in &self.stacks {
            for depth in 1..=stack.len() {
                *prefix.entry(&stack[..depth]).or_default() += count;
            }
        }
        let stacks = self
            .stacks
            .iter()
            .map(|(stack, count)| {
                let keep = (1..=stack.len())
                    .find(|&d| (prefix[&stack[..d]] as f64) < min)
                    .map_or(stack.len(), |d| (d - 1).max(1));
                (stack[..keep].to_vec(), *count)
            })
            .collect();
        merged(self, stacks)
    }
}

/// A frame that only carries the work to our code: the standard library's, or the thread
/// pool's plumbing (which the palette still colours as a library where it is drawn).
fn is_scaffolding(frame: &str) -> bool {
    let name = frame.trim_start_matches('<');
    frame_kind(frame) == FrameKind::System
        || name.starts_with("rayon")
        || name.starts_with("crossbeam")
        || is_our_plumbing(name)
}

/// Our own frames that only carry a run to the rung (the thread that runs it, the runner's
/// calls from a profile down to set-up, kernel and check): the same for every rung, and their
/// paths differ between a profile's first run and its repeats, which would split one picture
/// into two towers.
fn is_our_plumbing(name: &str) -> bool {
    let name = name.trim_start_matches('<');
    name.starts_with("ladder::run::runner::Runner::")
        // The command line's runner thread (`run_rungs`), named without its module's path.
        || (name.starts_with("ladder::") && name.contains("::common::run_rungs"))
        || name.starts_with("ladder::tui::effects::runs::")
}

/// The standard library's code that a loop of ours is made of once inlined (a range's next,
/// a comparison, indexing a slice or a Vec): debug info names it as frames of its own, so a
/// kernel's loop would read as `usize::lt` at the top of its stack. The SIMD intrinsics too
/// (`_mm512_set1_ps`, `Simd::splat`): inlined into one loop body, which of them a sample lands
/// on is the debug info's guess, and a broadcast drawn as 70% of the kernel reads as its
/// bottleneck. Not a float's methods (`sqrt`) or the C library's calls (`memcpy`), which are
/// work of their own.
fn is_inlined_plumbing(frame: &str) -> bool {
    let name = frame.trim_start_matches('<');
    [
        "core::iter",
        "core::ops::range",
        "core::ops::index",
        "core::cmp",
        "core::slice",
        "core::ptr",
        "core::option",
        "core::result",
        "core::mem",
        "core::num",
        "alloc::vec",
        "alloc::raw_vec",
        "core::core_arch",
        "core::arch",
        "std::arch",
        "core::simd",
        "std::simd",
    ]
    .iter()
    .any(|p| name.starts_with(p))
        || [
            " as core::cmp::",
            " as core::iter::",
            " as core::ops::",
            " as core::slice::",
        ]
        .iter()
        .any(|t| name.contains(t))
        // An integer's methods (`<usize>::unchecked_add`): a loop's counter and index sums.
        || frame.split_once(">::").is_some_and(|(ty, _)| {
            [
                "<usize", "<isize", "<u8", "<u16", "<u32", "<u64", "<i8", "<i16", "<i32", "<i64",
            ]
            .contains(&ty)
        })
}

/// The root every thread of ours becomes in [`Profile::aligned`].
const OUR_THREADS: &str = "ladder's threads";

/// Every rung's `Kernel::rows` in [`Profile::aligned`].
const ROWS: &str = "ladder::rungs::Kernel::rows (each rung's)";

impl Profile {
    /// The stacks as a differential flamegraph lines two rungs up: where a step changed the
    /// work and not merely its path. Every thread of ours is one root (native's kernel runs on
    /// the runner's thread, threads' on the pool's), each rung's `Kernel::rows` (and its
    /// closures) and `Rung::prepare` is one frame, and the jit's generated code, which has no
    /// frames, sits under its rows. Otherwise native's `avx512::tile` and threads' would be
    /// two towers, one all gone and one all new, where the work only moved.
    #[must_use]
    pub fn aligned(&self) -> Profile {
        let stacks = self
            .stacks
            .iter()
            .map(|(stack, count)| {
                let mut out: Vec<String> = Vec::with_capacity(stack.len() + 2);
                for (i, frame) in stack.iter().enumerate() {
                    let frame = if i == 0 && super::is_our_thread(frame) {
                        OUR_THREADS
                    } else if frame.contains(" as ladder::rungs::Kernel>::rows") {
                        ROWS
                    } else if frame.contains(" as ladder::rungs::Rung>::prepare") {
                        "ladder::rungs::Rung::prepare (each rung's)"
                    } else {
                        frame
                    };
                    // The jit's code is its rows' work, though on threads of its own.
                    if frame == super::JIT_CODE && out.len() == 1 {
                        out.push(ROWS.into());
                    }
                    // A closure of rows is rows (recursion elsewhere stays as sampled).
                    if frame != ROWS || out.last().is_none_or(|last| last != frame) {
                        out.push(frame.to_string());
                    }
                }
                // A profile saved before the generated code was named: its thread alone.
                if let [thread] = stack.as_slice()
                    && super::is_jit_thread(thread)
                {
                    out.push(ROWS.into());
                    out.push(super::JIT_CODE.into());
                }
                (out, *count)
            })
            .collect();
        merged(self, stacks)
    }
}

/// Stacks made equal by folding or cutting, summed.
pub(super) fn merged(from: &Profile, stacks: Vec<(Vec<String>, u64)>) -> Profile {
    let mut sums: HashMap<Vec<String>, u64> = HashMap::new();
    for (stack, count) in stacks {
        *sums.entry(stack).or_default() += count;
    }
    let mut stacks: Vec<_> = sums.into_iter().collect();
    stacks.sort();
    Profile {
        frequency: from.frequency,
        stacks,
        measured_hz: from.measured_hz,
        runs: from.runs,
        check_samples: from.check_samples,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaffolded() -> Profile {
        Profile::from_folded(
            "t;clone3;std::rt::x;ladder::run::go;core::iter::y;ladder::rungs::k;memcpy 195\n\
             t;clone3;std::rt::x;ladder::run::go;std::panicking::try;ladder::rungs::k 4\n\
             t;clone3;std::rt::x;ladder::run::go;a;b;c;d;e;f;g 1\n\
             w;rayon_core::registry::main_loop;<rayon::iter::plumbing::bridge>::helper;rayon_core::join::join_context;ladder::rungs::t;core::arch::fma 50\n\
             w;rayon_core::registry::main_loop;rayon_core::sleep::Sleep::sleep;syscall 10\n",
            1000,
        )
        .unwrap()
    }

    #[test]
    fn the_slide_view_folds_scaffolding_and_cuts_rare_towers() {
        let slide = scaffolded().view(StackView::Slide);
        assert_eq!(slide.total_samples(), 260, "no sample is lost");
        let folded = slide.to_folded();
        assert!(
            folded.contains("t;ladder::run::go;ladder::rungs::k;memcpy 195\n"),
            "{folded}"
        );
        assert!(folded.contains("t;ladder::run::go;ladder::rungs::k 4\n"));
        assert!(!folded.contains("clone3") && !folded.contains("panicking"));
        // The one-sample tower (under 1%) is cut to the frame above it; 4 samples (over 1%) stay.
        assert!(folded.contains("t;ladder::run::go 1\n"), "{folded}");
        assert!(!folded.contains(";g"));
        // The thread pool's plumbing under a kernel folds away; an idle worker keeps the
        // pool's frames (it waits), and one of ours loses the standard library's under them.
        let idle = Profile::from_folded(
            "ladder-worker-0;std::sys::thread::start;std::panic::catch_unwind;\
             rayon_core::registry::main_loop;rayon_core::sleep::Sleep::sleep;syscall 10\n",
            997,
        )
        .unwrap()
        .view(StackView::Slide)
        .to_folded();
        assert!(
            idle.contains("ladder-worker-0;rayon_core::registry::main_loop;rayon_core::sleep::Sleep::sleep;syscall 10\n"),
            "{idle}"
        );
        assert!(folded.contains("w;ladder::rungs::t 50\n"), "{folded}");
        assert!(folded.contains(
            "w;rayon_core::registry::main_loop;rayon_core::sleep::Sleep::sleep;syscall 10\n"
        ));
    }

    #[test]
    fn a_lone_sample_is_never_a_tower_even_where_one_is_a_whole_percent() {
        let deep: Vec<String> = (0..50).map(|i| format!("rayon::join_{i}")).collect();
        let p = Profile::from_folded(
            &format!(
                "w;ladder::rungs::t 98\nw;ladder::rungs::t;{} 1\nw;ladder::rungs::t;kernel 1\n",
                deep.join(";")
            ),
            1000,
        )
        .unwrap()
        .without_rare(0.01);
        assert_eq!(p.total_samples(), 100, "no sample is lost");
        assert!(p.stacks.iter().all(|(s, _)| s.len() <= 2), "{:?}", p.stacks);
    }

    #[test]
    fn the_runner_s_calls_fold_so_a_profile_s_first_run_and_its_repeats_are_one_tower() {
        let p = Profile::from_folded(
            "r;clone3;std::rt::x;ladder::tui::effects::runs::go::{{closure}};\
             ladder::run::runner::Runner::run_one;ladder::run::runner::Runner::run_and_verify;\
             ladder::rungs::k 10\n\
             r;clone3;std::rt::x;ladder::tui::effects::runs::go::{{closure}};\
             ladder::run::runner::Runner::profile_again;ladder::run::runner::Runner::run_and_verify;\
             ladder::rungs::k 30\n\
             r;clone3;std::rt::x;ladder::run::runner::Runner::run_once;\
             core::ptr::drop_in_place;munmap 5\n",
            1000,
        )
        .unwrap();
        let folded = p.without_scaffolding().to_folded();
        assert!(folded.contains("r;ladder::rungs::k 40\n"), "{folded}");
        // A sample in the runner itself keeps its leaf (a matrix unmapped as it is dropped),
        // without the thread start above it.
        assert!(folded.contains("r;munmap 5\n"), "{folded}");
        assert!(!folded.contains("clone3"), "{folded}");
    }

    #[test]
    fn a_kernel_s_inlined_loop_code_counts_as_the_kernel_s_own_time() {
        let p = Profile::from_folded(
            "t;ladder::run::go;ladder::rungs::alg::rows;\
             <core::ops::range::Range<usize> as core::iter::range::RangeIteratorImpl>::spec_next;\
             <usize as core::cmp::PartialOrd>::lt 90\n\
             t;ladder::run::go;ladder::rungs::alg::rows;<alloc::vec::Vec as core::ops::deref::Deref>::deref;\
             alloc::raw_vec::RawVecInner::ptr 5\n\
             t;ladder::run::go;ladder::rungs::naive::norm;core::f32::<impl f32>::sqrt 3\n\
             t;ladder::run::go;ladder::rungs::k;core::slice::copy_from_slice;memcpy 2\n\
             t;ladder::run::go;ladder::rungs::native::avx512::tile;\
             core::core_arch::x86::avx512f::_mm512_set1_ps;core::core_arch::simd::Simd::splat 7\n\
             t;ladder::run::go;ladder::rungs::naive::dot;<usize>::unchecked_add 4\n",
            1000,
        )
        .unwrap()
        .without_scaffolding()
        .to_folded();
        assert!(
            p.contains("t;ladder::run::go;ladder::rungs::alg::rows 95\n"),
            "{p}"
        );
        // A loop counter's sum is its loop's.
        assert!(
            p.contains("t;ladder::run::go;ladder::rungs::naive::dot 4\n"),
            "{p}"
        );
        // A float's method and the C library's copy are work of their own: they stay.
        assert!(
            p.contains("ladder::rungs::naive::norm;core::f32::<impl f32>::sqrt 3\n"),
            "{p}"
        );
        assert!(p.contains("ladder::rungs::k;memcpy 2\n"), "{p}");
        // An inlined intrinsic's samples are its loop's: the kernel's own time.
        assert!(
            p.contains("t;ladder::run::go;ladder::rungs::native::avx512::tile 7\n"),
            "{p}"
        );
    }

    #[test]
    fn a_diff_lines_up_the_same_work_on_another_thread_and_kernel() {
        let native = Profile::from_folded(
            "ladder-runner;<ladder::rungs::native::NativeKernel as ladder::rungs::Kernel>::rows;\
             ladder::rungs::native::Packed::compute_task;ladder::rungs::native::avx512::tile 90\n\
             ladder-runner;<ladder::rungs::native::Native as ladder::rungs::Rung>::prepare;\
             ladder::rungs::native::Packed::new 10\n",
            997,
        )
        .unwrap()
        .aligned();
        let threads = Profile::from_folded(
            "ladder-worker-0;<ladder::rungs::threads::ThreadsKernel as ladder::rungs::Kernel>::rows::{{closure}};\
             <ladder::rungs::threads::ThreadsKernel as ladder::rungs::Kernel>::rows::{{closure}}::{{closure}};\
             ladder::rungs::native::Packed::compute_task;ladder::rungs::native::avx512::tile 40\n\
             ladder-worker-1;<ladder::rungs::threads::ThreadsKernel as ladder::rungs::Kernel>::rows::{{closure}};\
             ladder::rungs::native::Packed::compute_task;ladder::rungs::native::avx512::tile 45\n\
             ladder-jit-0 5\n",
            997,
        )
        .unwrap()
        .aligned();
        let tile = |p: &Profile| {
            p.stacks
                .iter()
                .filter(|(s, _)| s.last().is_some_and(|f| f.ends_with("avx512::tile")))
                .map(|(s, c)| (s.clone(), *c))
                .collect::<Vec<_>>()
        };
        // One tower on each side, on one path: the kernel's work moved threads, no more.
        let (n, t) = (tile(&native), tile(&threads));
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(n[0].0, t[0].0);
        assert_eq!(t[0].1, 85);
        assert_eq!(
            n[0].0[..2],
            [OUR_THREADS, "ladder::rungs::Kernel::rows (each rung's)"]
        );
        // Set-up lines up too, and the jit's frameless code sits under its rows.
        assert!(
            native
                .stacks
                .iter()
                .any(|(s, _)| s[1] == "ladder::rungs::Rung::prepare (each rung's)")
        );
        assert!(
            threads
                .stacks
                .iter()
                .any(|(s, c)| { *c == 5 && s.last().is_some_and(|f| f == super::super::JIT_CODE) })
        );
    }

    #[test]
    fn the_full_view_keeps_every_frame_and_python_stacks_stay_whole() {
        let p = scaffolded();
        assert_eq!(p.view(StackView::Full), p);
        let py = Profile::from_folded("MainThread;<module>;run;dot 5\n", 100).unwrap();
        assert_eq!(py.without_scaffolding(), py);
        // An import's machinery folds between the modules; a sample inside it stays.
        let import = Profile::from_folded(
            "<module> (p.py:3);_find_and_load (<frozen importlib._bootstrap>:1176);\
             _load_unlocked (<frozen importlib._bootstrap>:690);<module> (numpy/__init__.py:9) 5\n\
             <module> (p.py:3);_find_and_load (<frozen importlib._bootstrap>:1176) 1\n",
            100,
        )
        .unwrap()
        .without_scaffolding()
        .to_folded();
        assert!(
            import.contains("<module> (p.py:3);<module> (numpy/__init__.py:9) 5\n"),
            "{import}"
        );
        assert!(
            import.contains(
                "<module> (p.py:3);_find_and_load (<frozen importlib._bootstrap>:1176) 1\n"
            )
        );
    }
}
