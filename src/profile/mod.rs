//! CPU profiles: captured with pprof-rs around a rung's run, kept as folded stacks, and turned
//! into flamegraph SVGs (inferno), differential SVGs, `.folded` text and pprof protobuf.
//!
//! A [`Profile`] is plain data: stacks (root first; the thread's name is the root frame) with
//! sample counts. Every export writes to any `impl Write`.

pub mod alloc;
mod cpu;
mod functions;
mod pprof_proto;
mod svg;
mod symbols;
mod view;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

pub use cpu::{CpuProfiler, DEFAULT_FREQUENCY};
pub use functions::{distinct_short_names, short_name};
pub use view::{SLIDE_MIN_SHARE, StackView};

/// What every frame of the float64 check's stacks holds (`verify_rows`, `verify_row_range`,
/// `verify_topk`): see [`Profile::without_check`].
pub const CHECK_FRAMES: &str = "workload::reference::verify_";

/// The frame the jit rung's generated code is drawn as: it has no symbols, and a sample in it
/// has no frame of its own under its thread.
pub const JIT_CODE: &str = "ladder::rungs::jit::generated code (Cranelift)";

/// What a frame of ladder's own measuring holds: see [`Profile::without_instruments`].
const INSTRUMENT_FRAMES: &str = "ladder::monitor::";

/// What a frame of the memory profiler's bookkeeping holds: see
/// [`Profile::without_instruments`].
const ALLOC_FRAMES: &str = "ladder::profile::alloc::";

/// Why a profile could not be captured or read.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("could not start the CPU profiler: {0}")]
    Start(String),
    #[error("could not build the profile: {0}")]
    Report(String),
    #[error("line {line} of the folded stacks is malformed: {reason}")]
    Folded { line: usize, reason: String },
    #[error(transparent)]
    Io(#[from] io::Error),
    /// Nothing ran to be sampled (cancelled, or the run failed).
    #[error("{0}")]
    NoRun(String),
}

/// Where a frame comes from, so views can tell the kernel from the machinery around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FrameKind {
    /// A rung's kernel or its set-up (`ladder::rungs`).
    Kernel,
    /// The runner, verification, monitoring (the rest of `ladder`).
    Runner,
    /// Libraries the rungs call (ndarray, matrixmultiply, rayon…).
    Library,
    /// The standard library, the C library, the kernel, thread roots.
    System,
}

/// Whether a stack's root is one of ladder's own threads (`ladder-runner`, `ladder-worker-0`):
/// they are named so, and code of ours is `ladder::…`.
#[must_use]
pub fn is_our_thread(root: &str) -> bool {
    root.starts_with("ladder-")
}

/// Whether a stack's root is one of the jit rung's threads, which run generated code.
#[must_use]
pub fn is_jit_thread(root: &str) -> bool {
    root.starts_with("ladder-jit")
}

/// Classifies a frame by its (demangled) name.
#[must_use]
pub fn frame_kind(name: &str) -> FrameKind {
    let name = name.trim_start_matches('<');
    // The jit's generated code is named as ours (`JIT_CODE`).
    if name.starts_with("ladder::rungs") {
        FrameKind::Kernel
    } else if is_our_thread(name) {
        // Our threads' roots (`ladder-worker-0`, `ladder-jit-1`, the runner's): a thread is
        // where the work ran, not code of ours, and is drawn as the pool's threads are.
        FrameKind::System
    } else if name.starts_with("ladder") {
        FrameKind::Runner
    } else if [
        "ndarray",
        "matrixmultiply",
        "gemm", // gemm, gemm_common, gemm_f32: the library rung's
        "pulp",
        "dyn_stack",
        "rayon",
        "crossbeam",
    ]
    .iter()
    .any(|p| name.starts_with(p))
    {
        FrameKind::Library
    } else {
        FrameKind::System
    }
}

/// Sampled call stacks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    /// Requested sampling rate, Hz.
    pub frequency: u32,
    /// Stacks, root first, with how many samples ended in each.
    pub stacks: Vec<(Vec<String>, u64)>,
    /// The rate the timer really gave, Hz of the process's CPU time (an in-process profile's;
    /// a shared host's timer can give a quarter of what was asked).
    pub measured_hz: Option<f64>,
    /// How many runs of the rung it sampled: a fast rung is run again until the profile holds
    /// enough samples to read (0 or 1: one run).
    pub runs: u32,
    /// Samples of the float64 check, left out of `stacks` (see [`Profile::without_check`]).
    pub check_samples: u64,
}

/// One function's share of the samples.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionCost {
    pub name: String,
    /// Samples in which it was the leaf.
    pub self_samples: u64,
    /// Samples in which it was anywhere on the stack.
    pub total_samples: u64,
}

impl Profile {
    /// The sampling rate in words: the rate asked, and what the timer gave where that was
    /// measured and fell short (a shared host's can give a quarter of the asked).
    #[must_use]
    pub fn rate_words(&self) -> String {
        match self.measured_hz {
            Some(hz) if hz < f64::from(self.frequency) * 0.9 => {
                format!("{} Hz asked, ~{hz:.0} Hz given", self.frequency)
            }
            Some(_) => format!("{} Hz", self.frequency),
            None => format!("{} Hz asked; the timer may give fewer", self.frequency),
        }
    }

    /// Whether these are a Python process's stacks (py-spy's frames name `file.py:line`).
    #[must_use]
    pub fn is_python(&self) -> bool {
        self.stacks.iter().any(|(frames, _)| {
            frames
                .iter()
                // `.py,` and `.pyx`: a lab step's own frames as its focus names them.
                .any(|f| {
                    f.contains(".py:")
                        || f.contains("(<frozen")
                        || f.contains(".py,")
                        || f.contains(".pyx")
                })
        })
    }

    /// For a Python process's stacks (py-spy's): the share of samples spent importing
    /// modules, in words ("imports 14%"), so a picture of a whole process says how much of it
    /// is start-up. `None` for stacks with no Python import machinery.
    #[must_use]
    pub fn import_words(&self) -> Option<String> {
        let total = self.total_samples();
        let importing = self.matching_samples("importlib._bootstrap");
        (total > 0 && importing > 0)
            .then(|| format!("imports {:.0}%", 100.0 * importing as f64 / total as f64))
    }

    /// The same without the float64 check's stacks, counted in `check_samples`: the check is
    /// ladder's instrument, not the rung's work, and is not in its time. At a small n it
    /// looks at every entry and can hold most of a fast rung's samples.
    #[must_use]
    pub fn without_check(self) -> Self {
        let (check, stacks): (Vec<_>, Vec<_>) = self
            .stacks
            .into_iter()
            .partition(|(frames, _)| frames.iter().any(|f| f.contains(CHECK_FRAMES)));
        Self {
            check_samples: self.check_samples + check.iter().map(|(_, c)| c).sum::<u64>(),
            stacks,
            ..self
        }
    }

    /// The same without the stacks in ladder's own measuring on the threads that run a rung
    /// (its load, CPU time and memory read before and after, the freed memory handed back):
    /// as the instruments' own threads are left out, so is their work on the rung's thread.
    /// The memory profiler's bookkeeping inside an allocation is cut off the stack: the
    /// sample stays with the code that allocated.
    #[must_use]
    pub fn without_instruments(mut self) -> Self {
        let stacks = std::mem::take(&mut self.stacks)
            .into_iter()
            .filter(|(frames, _)| !frames.iter().any(|f| f.contains(INSTRUMENT_FRAMES)))
            .map(|(mut frames, count)| {
                if let Some(at) = frames.iter().position(|f| f.contains(ALLOC_FRAMES)) {
                    frames.truncate(at.max(1));
                }
                (frames, count)
            })
            .collect();
        view::merged(&self, stacks)
    }

    /// The float64 check's share of all the samples taken, the ones left out included.
    #[must_use]
    pub fn check_share(&self) -> f64 {
        let all = self.total_samples() + self.check_samples;
        if all == 0 {
            0.0
        } else {
            self.check_samples as f64 / all as f64
        }
    }

    #[must_use]
    pub fn total_samples(&self) -> u64 {
        self.stacks.iter().map(|(_, c)| c).sum()
    }

    /// Folded stacks, one `frame;frame;frame count` line each, sorted (stable output).
    #[must_use]
    pub fn to_folded(&self) -> String {
        let mut lines: Vec<String> = self
            .stacks
            .iter()
            .map(|(frames, count)| format!("{} {count}", frames.join(";")))
            .collect();
        lines.sort();
        lines.iter().fold(String::new(), |mut acc, l| {
            acc.push_str(l);
            acc.push('\n');
            acc
        })
    }

    /// Folded stacks for a file: a `#` header saying which stacks they hold (`view`) and the
    /// sampling rate, then [`Profile::to_folded`] of `self` as `view` shows it.
    #[must_use]
    pub fn to_folded_file(&self, view: StackView) -> String {
        let mut runs = if self.runs > 1 {
            format!("# sampled over {} runs\n", self.runs)
        } else {
            String::new()
        };
        if self.check_samples > 0 {
            let _ = writeln!(
                runs,
                "# float64 check left out: {} samples",
                self.check_samples
            );
        }
        format!(
            "# ladder folded stacks, {}\n# sampled at {} Hz\n{runs}{}",
            view.describe(),
            self.frequency,
            self.view(view).to_folded()
        )
    }

    /// The runs a file from [`Profile::to_folded_file`] says it sampled (0: one, or unsaid).
    #[must_use]
    pub fn folded_runs(text: &str) -> u32 {
        text.lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| {
                l.strip_prefix("# sampled over ")?
                    .strip_suffix(" runs")?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }

    /// The check's samples a file from [`Profile::to_folded_file`] says it left out.
    #[must_use]
    pub fn folded_check_samples(text: &str) -> u64 {
        text.lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| {
                l.strip_prefix("# float64 check left out: ")?
                    .strip_suffix(" samples")?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }

    /// The sampling rate a file from [`Profile::to_folded_file`] states, if it does.
    #[must_use]
    pub fn folded_frequency(text: &str) -> Option<u32> {
        text.lines()
            .take_while(|l| l.starts_with('#'))
            .find_map(|l| {
                l.strip_prefix("# sampled at ")?
                    .strip_suffix(" Hz")?
                    .parse()
                    .ok()
            })
    }

    /// Parses folded stacks (the inverse of [`Profile::to_folded`]).
    pub fn from_folded(text: &str, frequency: u32) -> Result<Self, ProfileError> {
        let mut merged: HashMap<Vec<String>, u64> = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end();
            // `#` lines are the header of an exported file (see `to_folded_file`).
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |reason: &str| ProfileError::Folded {
                line: i + 1,
                reason: reason.to_string(),
            };
            let (stack, count) = line
                .rsplit_once(' ')
                .ok_or_else(|| bad("no sample count after the stack"))?;
            let count: u64 = count
                .parse()
                .map_err(|_| bad("the sample count is not a whole number"))?;
            if stack.is_empty() {
                return Err(bad("empty stack"));
            }
            let frames = stack.split(';').map(str::to_string).collect();
            *merged.entry(frames).or_default() += count;
        }
        let mut stacks: Vec<_> = merged.into_iter().collect();
        stacks.sort();
        Ok(Self {
            frequency,
            stacks,
            measured_hz: None,
            runs: 0,
            check_samples: 0,
        })
    }

    /// Samples whose stack contains a frame matching `needle` (case-insensitive substring).
    #[must_use]
    pub fn matching_samples(&self, needle: &str) -> u64 {
        let needle = needle.to_lowercase();
        self.stacks
            .iter()
            .filter(|(frames, _)| frames.iter().any(|f| f.to_lowercase().contains(&needle)))
            .map(|(_, c)| c)
            .sum()
    }

    /// The profile as `view` shows it in pprof's protobuf format (for `go tool pprof` and
    /// speedscope), its comment saying which stacks it holds.
    #[must_use]
    pub fn to_pprof(&self, duration_nanos: i64, view: StackView) -> Vec<u8> {
        let comment = format!("ladder {}", view.describe());
        pprof_proto::encode(&self.view(view), duration_nanos, &comment)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn profile() -> Profile {
        Profile::from_folded(
            "ladder-runner;main;ladder::rungs::naive::kernel;dot 70\n\
             ladder-runner;main;ladder::rungs::naive::kernel 10\n\
             ladder-runner;main;ladder::run::verify 20\n",
            1000,
        )
        .unwrap()
    }

    #[test]
    fn ladder_s_own_measuring_on_the_rung_s_thread_is_not_the_rung_s_work() {
        let p = Profile::from_folded(
            "ladder-runner;ladder::run::runner::Runner::run_and_verify;ladder::monitor::OtherLoad::start;procfs::process::parse_stat_file 3\n\
             ladder-runner;ladder::run::runner::Runner::run_and_verify;ladder::rungs::naive::dot 97\n",
            997,
        )
        .unwrap()
        .without_instruments();
        assert_eq!(p.total_samples(), 97);
        assert_eq!(p.matching_samples("parse_stat_file"), 0);
        // An allocation's bookkeeping is cut; its sample stays with the kernel that allocated.
        let p = Profile::from_folded(
            "ladder-runner;ladder::rungs::native::rows;<ladder::profile::alloc::TrackingAllocator \
             as core::alloc::global::GlobalAlloc>::alloc_zeroed;ladder::profile::alloc::on_alloc 2\n\
             ladder-runner;ladder::rungs::native::rows 8\n",
            997,
        )
        .unwrap()
        .without_instruments();
        assert_eq!(
            p.to_folded(),
            "ladder-runner;ladder::rungs::native::rows 10\n"
        );
    }

    #[test]
    fn a_python_picture_says_how_much_of_it_is_importing() {
        assert_eq!(profile().import_words(), None, "our stacks import nothing");
        let py = Profile::from_folded(
            "<module> (p.py:7);_find_and_load (<frozen importlib._bootstrap>:1176) 14\n\
             <module> (p.py:15) 86\n",
            100,
        )
        .unwrap();
        assert_eq!(py.import_words().as_deref(), Some("imports 14%"));
    }

    #[test]
    fn the_search_button_and_the_root_s_name_show_without_hovering() {
        let p = Profile::from_folded("main;work 10\n", 100).unwrap();
        let mut svg = Vec::new();
        p.write_svg("t", "", StackView::Full, &mut svg).unwrap();
        // The root bar says what it is on a slide, not only when hovered.
        assert!(
            String::from_utf8_lossy(&svg).contains(">all (10 samples)</text>"),
            "{}",
            String::from_utf8_lossy(&svg)
        );
        let svg = String::from_utf8(svg).unwrap();
        assert!(
            svg.contains("#search { text-anchor:end; opacity:0.85;"),
            "{svg}"
        );
    }

    #[test]
    fn a_difference_with_a_run_too_short_to_sample_says_so_instead_of_failing() {
        for (before, after) in [
            (Profile::default(), profile()),
            (profile(), Profile::default()),
        ] {
            let mut svg = Vec::new();
            Profile::write_diff_svg(&before, &after, "t", "s", StackView::default(), &mut svg)
                .unwrap();
            assert!(String::from_utf8(svg).unwrap().contains("No samples"));
        }
    }

    #[test]
    fn folded_round_trips_and_merges_duplicates() {
        let p = profile();
        assert_eq!(p.total_samples(), 100);
        assert_eq!(Profile::from_folded(&p.to_folded(), 1000).unwrap(), p);
        let doubled = Profile::from_folded("a;b 1\na;b 2\n", 1).unwrap();
        assert_eq!(doubled.stacks, vec![(vec!["a".into(), "b".into()], 3)]);
    }

    #[test]
    fn malformed_folded_lines_are_located() {
        let e = Profile::from_folded("a;b 1\na;b x\n", 1).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(Profile::from_folded("nocount\n", 1).is_err());
    }

    #[test]
    fn top_functions_count_self_and_total() {
        let top = profile().top_functions(10);
        assert_eq!(top[0].name, "dot");
        let main = top.iter().find(|f| f.name == "main").unwrap();
        assert_eq!((main.self_samples, main.total_samples), (0, 100));
        let kernel = top
            .iter()
            .find(|f| f.name.ends_with("naive::kernel"))
            .unwrap();
        assert_eq!((kernel.self_samples, kernel.total_samples), (10, 80));
        let dot = top.iter().find(|f| f.name == "dot").unwrap();
        assert_eq!((dot.self_samples, dot.total_samples), (70, 70));
    }

    #[test]
    fn diff_of_functions_ranks_the_biggest_change_first() {
        let before = profile();
        let after = Profile::from_folded(
            "ladder-runner;main;dot 50\nladder-runner;main;fast 50\n",
            1000,
        )
        .unwrap();
        let d = Profile::diff_functions(&before, &after, 10);
        assert_eq!(d[0].0, "fast");
        assert!((d[0].2 - 0.5).abs() < 1e-9 && d[0].1 == 0.0);
        let same = Profile::diff_functions(&before, &before, 10);
        assert!(same.iter().all(|(_, b, a)| (b - a).abs() < 1e-12));
    }

    #[test]
    fn an_exported_picture_colours_the_kernel_the_check_and_libraries_apart() {
        let p = Profile::from_folded(
            "t;ladder::rungs::v::rows;ndarray::dot 60\nt;ladder::workload::reference::verify_rows 40\n",
            100,
        )
        .unwrap();
        let mut svg = Vec::new();
        p.write_svg("t", "", StackView::Full, &mut svg).unwrap();
        let svg = String::from_utf8(svg).unwrap();
        // The fill of the frame whose hover title starts with `name`, as (r, g, b).
        let fill = |name: &str| -> (i32, i32, i32) {
            let at = svg.find(&format!("<title>{name} (")).expect(name);
            let rgb = &svg[at..];
            let rgb = &rgb[rgb.find("fill=\"rgb(").unwrap() + 10..];
            let v: Vec<i32> = rgb[..rgb.find(')').unwrap()]
                .split(',')
                .map(|x| x.trim().parse().unwrap())
                .collect();
            (v[0], v[1], v[2])
        };
        let (kernel, check, library) = (
            fill("ladder::rungs::v::rows"),
            fill("ladder::workload::reference::verify_rows"),
            fill("ndarray::dot"),
        );
        assert!(
            kernel.1 > kernel.0 && kernel.1 > kernel.2,
            "green: {kernel:?}"
        );
        assert!(check.0 > check.2 && check.1 > check.2, "amber: {check:?}");
        assert!(library.2 > library.0, "blue: {library:?}");
    }

    #[test]
    fn a_slide_names_frames_as_the_terminal_does_and_full_stacks_keep_them_whole() {
        let p = Profile::from_folded(
            "t;<ladder::rungs::native::NativeKernel as ladder::rungs::Kernel>::rows 90\n\
             t;std::collections::hash::map::HashMap<K,V,S>::remove 5\n\
             t;hashbrown::map::HashMap<K,V,S,A>::remove 5\n",
            100,
        )
        .unwrap();
        let svg = |view| {
            let mut out = Vec::new();
            p.write_svg("t", "", view, &mut out).unwrap();
            String::from_utf8(out).unwrap()
        };
        let slide = svg(StackView::Slide);
        assert!(
            slide.contains("<title>NativeKernel::rows (90 samples"),
            "{slide}"
        );
        // Two functions of one short name stay two.
        assert!(slide.contains("<title>HashMap::remove (std) (5 samples"));
        assert!(slide.contains("<title>HashMap::remove (hashbrown) (5 samples"));
        let full = svg(StackView::Full);
        assert!(full.contains(
            "&lt;ladder::rungs::native::NativeKernel as ladder::rungs::Kernel&gt;::rows (90"
        ));
    }

    #[test]
    fn search_counts_matching_samples() {
        assert_eq!(profile().matching_samples("NAIVE"), 80);
        assert_eq!(profile().matching_samples("verify"), 20);
        assert_eq!(profile().matching_samples("absent"), 0);
    }

    #[test]
    fn frames_are_told_apart() {
        assert_eq!(
            frame_kind("ladder::rungs::native::Packed::compute_task"),
            FrameKind::Kernel
        );
        assert_eq!(
            frame_kind("<ladder::rungs::naive::NaiveKernel as ladder::rungs::Kernel>::rows"),
            FrameKind::Kernel
        );
        assert_eq!(
            frame_kind("ladder::run::Runner::run_one"),
            FrameKind::Runner
        );
        assert_eq!(
            frame_kind("matrixmultiply::gemm::sgemm"),
            FrameKind::Library
        );
        assert_eq!(frame_kind("std::thread::spawn"), FrameKind::System);
        // Thread roots only carry work; the jit's generated code is a frame of its own.
        assert_eq!(frame_kind("ladder-jit-0"), FrameKind::System);
        assert_eq!(frame_kind(JIT_CODE), FrameKind::Kernel);
        assert_eq!(frame_kind("ladder-worker-1"), FrameKind::System);
        assert_eq!(frame_kind("ladder-gemm-0"), FrameKind::System);
        assert_eq!(frame_kind("ladder-runner"), FrameKind::System);
    }
}
