//! The words on a flamegraph: its title (what, on which workload and machine) and the line
//! under it (what was sampled, at what rate, and what the picture holds besides the kernel).

use super::{MachineInfo, WorkloadMeta, time_cell};

/// The title of a flamegraph: what it shows, on which workload, on which machine. Short
/// enough not to run under inferno's Search button in a 1024-pixel window: its text keeps
/// its size when the picture narrows.
#[must_use]
pub fn flame_title(what: &str, workload: &WorkloadMeta, machine: &MachineInfo) -> String {
    format!(
        "ladder · {what} · {} × {} {} seed {} · {} ({} cores, {})",
        workload.n,
        workload.d,
        workload.source,
        workload.seed,
        short_cpu(&machine.cpu),
        machine.logical_cores,
        machine.kernel_isa
    )
}

/// Below this many samples a flamegraph's proportions are not to be read.
pub const FEW_SAMPLES: u64 = 20;

/// The line under a differential flamegraph's title: how to read it, what is gone (drawn in
/// the later rung's shape, a removed frame is absent: the lesson of a step is often what it
/// removed), and a warning when either side has too few samples to compare. With `speedup`
/// (the earlier rung's time over the later's), how much faster the later rung is, first: the
/// colours are shares of each run, and a faster step's kernel grows red.
#[must_use]
pub fn diff_subtitle(
    before: &crate::profile::Profile,
    after: &crate::profile::Profile,
    before_name: &str,
    speedup: Option<f64>,
) -> String {
    use crate::profile::{Profile, StackView};
    let (b, a) = (before.view(StackView::Slide), after.view(StackView::Slide));
    // Each part in full and short, fitted to the picture's width as a CPU picture's is: the
    // legend (red, blue) is shortened, never cut.
    let mut parts: Vec<(String, Option<String>)> = Vec::new();
    if let Some(x) = speedup.filter(|x| x.is_finite() && *x > 0.0) {
        let said = if x >= 1.0 {
            format!("{} faster", crate::report::human_speedup(Some(x)))
        } else {
            format!("{} slower", crate::report::human_speedup(Some(1.0 / x)))
        };
        parts.push((said.clone(), Some(said)));
    }
    parts.push((
        "red grew, blue shrank as shares of each run".to_string(),
        Some("red grew, blue shrank".to_string()),
    ));
    // A function as the terminal names it (naive::norm, AlgorithmicKernel::rows), so the
    // line fits one line of type.
    let short = |name: &str| crate::profile::short_name(name).into_owned();
    let gone: Vec<String> = Profile::vanished(&b, &a, 0.05)
        .iter()
        .take(2)
        .map(|(name, share)| format!("{} {:.0}%", short(name), share * 100.0))
        .collect();
    if let Some(first) = gone.first() {
        parts.push((
            format!("gone since {before_name}: {}", gone.join(", ")),
            Some(format!("gone: {first}")),
        ));
    }
    // As a single picture says: the check, left out, held much of a side's samples.
    if let Some(share) = [b.check_share(), a.check_share()]
        .into_iter()
        .reduce(f64::max)
        .filter(|&s| (s * 100.0).round() >= 30.0)
    {
        parts.push((
            format!(
                "the float64 check ({:.0}% of the samples) left out",
                share * 100.0
            ),
            Some("check left out".into()),
        ));
    }
    let few = before.total_samples().min(after.total_samples());
    if few < FEW_SAMPLES {
        parts.push((
            format!(
                "only {few} sample{} on a side: too few to compare",
                if few == 1 { "" } else { "s" }
            ),
            Some("too few samples".into()),
        ));
    }
    fit_line(&parts, SUBTITLE_MAX)
}

/// The line under a CPU flamegraph's title: what was sampled, and the kernel's time. One
/// line of inferno's small type: kept under about 150 characters, so it fits the picture.
#[must_use]
pub fn flame_subtitle(
    profile: &crate::profile::Profile,
    report: Option<&crate::run::RunReport>,
) -> String {
    // Each part in full and short; the shortest are dropped first, the count never.
    let mut parts: Vec<(String, Option<String>)> = Vec::new();
    // A Python peer's stacks are its whole process's (py-spy's), start-up and imports included.
    let python = profile.is_python();
    let total = profile.total_samples();
    let samples = format!(
        "{total} {}sample{}",
        if python { "py-spy " } else { "" },
        if total == 1 { "" } else { "s" }
    );
    parts.push((
        format!("{samples}, {}", profile.rate_words()),
        Some(samples),
    ));
    if profile.runs > 1 {
        // A fast rung was run again until the picture held enough samples to read.
        parts.push((
            format!("{} runs (a fast rung run again for samples)", profile.runs),
            Some(format!("{} runs", profile.runs)),
        ));
    } else {
        parts.push((
            format!("whole {}", if python { "process" } else { "run" }),
            python.then(|| "whole process".to_string()),
        ));
    }
    // A Python process's picture is the whole process: how much of it is start-up.
    if let Some(imports) = profile.import_words() {
        parts.push((imports.clone(), Some(imports)));
    }
    if let Some(r) = report {
        let mut kernel = format!("kernel {}", time_cell(r));
        // A picture travels without the table that explains its marks.
        if r.under_load() && r.has_time() {
            kernel.push_str(" (!: under load)");
        }
        // A set-up that weighs beside the kernel is in the picture too: said, so its frames
        // (packing, norms) are not read as the kernel's.
        if r.has_time() && r.setup_s >= 0.2 * r.kernel_s && r.setup_s >= 1e-4 {
            kernel = format!("set-up {} + {kernel}", super::human_seconds(r.setup_s));
        }
        parts.push((kernel.clone(), Some(kernel)));
    }
    // The generated code has no symbols: its samples are one bar, said to be so.
    let jit_threads = profile
        .stacks
        .iter()
        .any(|(s, _)| s.first().is_some_and(|t| crate::profile::is_jit_thread(t)));
    if report.is_some_and(|r| r.rung == "jit") || jit_threads {
        parts.push((
            "the generated code has no names of its own: one bar, jit::generated code".into(),
            Some("generated code: one bar".into()),
        ));
    }
    // The colours are the terminal's, by kind (see profile::kind_palette): said on the
    // picture, which travels without the app's legend.
    if !python {
        parts.push((
            "green: kernel, blue: libraries, amber: runner".into(),
            Some("green: kernel".into()),
        ));
    }
    // At a small n the check against float64, which looks at every entry, can outweigh a
    // fast rung's kernel: it is left out of the picture, and said when it weighed.
    let share = profile.check_share();
    if (share * 100.0).round() >= 30.0 {
        parts.push((
            format!(
                "the float64 check ({:.0}% of the samples) left out",
                share * 100.0
            ),
            Some("check left out".into()),
        ));
    }
    // A picture of a handful of samples travels without the page that says so.
    if total < FEW_SAMPLES {
        parts.push((
            "too few samples to read (a larger --n gives more)".into(),
            Some("too few to read".into()),
        ));
    }
    fit_line(&parts, SUBTITLE_MAX)
}

/// The parts joined by " · " within `max` characters: in full if they fit, else shortened one
/// at a time from the first (a part without a short form dropped) until they fit, else the
/// short forms from the first while they fit.
fn fit_line(parts: &[(String, Option<String>)], max: usize) -> String {
    let mut now: Vec<Option<&str>> = parts.iter().map(|(f, _)| Some(f.as_str())).collect();
    let line = |v: &[Option<&str>]| v.iter().flatten().copied().collect::<Vec<_>>().join(" · ");
    for (i, (_, short)) in parts.iter().enumerate() {
        if line(&now).chars().count() <= max {
            return line(&now);
        }
        now[i] = short.as_deref();
    }
    let mut kept: Vec<Option<&str>> = Vec::new();
    for p in now.into_iter().flatten() {
        kept.push(Some(p));
        if line(&kept).chars().count() > max && kept.len() > 1 {
            kept.pop();
            break;
        }
    }
    line(&kept)
}

/// The most characters under a title that fit a 1200-pixel picture, with room for " ·
/// scaffolding folded" after them.
const SUBTITLE_MAX: usize = 120;

/// A CPU's name without its marks and filler words: "Intel(R) Xeon(R) Processor" is
/// "Intel Xeon", "AMD Ryzen 9 9950X 16-Core Processor" is "AMD Ryzen 9 9950X 16-Core".
fn short_cpu(cpu: &str) -> String {
    let unmarked = cpu
        .replace("(R)", "")
        .replace("(r)", "")
        .replace("(TM)", "")
        .replace("(tm)", "");
    let words: Vec<&str> = unmarked
        .split_whitespace()
        .take_while(|w| *w != "@")
        .filter(|w| !matches!(*w, "Processor" | "CPU"))
        .collect();
    if words.is_empty() {
        cpu.trim().to_string()
    } else {
        words.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::{diff_subtitle, flame_subtitle, short_cpu};
    use crate::profile::Profile;

    #[test]
    fn a_flamegraph_names_the_cpu_without_its_marks() {
        assert_eq!(short_cpu("Intel(R) Xeon(R) Processor"), "Intel Xeon");
        assert_eq!(
            short_cpu("AMD Ryzen 9 9950X 16-Core Processor"),
            "AMD Ryzen 9 9950X 16-Core"
        );
        assert_eq!(
            short_cpu("Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"),
            "Intel Core i7-8650U"
        );
        assert_eq!(short_cpu("Processor"), "Processor", "never empty");
    }

    #[test]
    fn a_profile_mostly_the_check_leaves_it_out_and_says_so() {
        let p = Profile::from_folded(
            "ladder-runner;run_and_verify;ladder::workload::reference::verify_rows;ladder::workload::reference::Reference::cosine 6\n\
             ladder-runner;run_and_verify;native::kernel 4\n",
            997,
        )
        .unwrap()
        .without_check();
        assert_eq!((p.total_samples(), p.check_samples), (4, 6));
        assert_eq!(p.matching_samples("Reference::cosine"), 0, "not drawn");
        let s = flame_subtitle(&p, None);
        assert!(s.contains("check left out"), "{s}");
        // Its file says so in its header, for `ladder report` to say it again.
        let file = p.to_folded_file(crate::profile::StackView::Slide);
        assert_eq!(Profile::folded_check_samples(&file), 6);
        let kernel = Profile::from_folded("ladder-runner;native::kernel 10\n", 997).unwrap();
        assert!(!flame_subtitle(&kernel, None).contains("left out"));
    }

    #[test]
    fn a_set_up_that_weighs_beside_the_kernel_is_said_and_jit_threads_are_explained() {
        let p = Profile::from_folded(
            "ladder-runner;ladder::rungs::native::Native::prepare 30\nladder-jit-0 70\n",
            997,
        )
        .unwrap();
        let info = crate::rungs::find("native").unwrap().info();
        let mut r = crate::run::RunReport::new(&info, 2, 800);
        r.status = crate::run::RunStatus::Completed;
        r.rows_done = 800;
        r.estimated_s = 0.0022;
        r.kernel_s = 0.0022;
        r.setup_s = 0.006;
        let s = flame_subtitle(&p, Some(&r));
        assert!(s.contains("set-up 6.0 ms + kernel 2.2 ms"), "{s}");
        // Without a report (the app's e), the generated code's threads still say what they are.
        assert!(flame_subtitle(&p, None).contains("generated code"));
        r.setup_s = 0.0001;
        assert!(!flame_subtitle(&p, Some(&r)).contains("set-up"));
    }

    #[test]
    fn a_difference_names_what_is_gone_and_too_few_samples() {
        let naive = Profile::from_folded(
            "ladder-runner;run_once;ladder::rungs::naive::norm 60
\
             ladder-runner;run_once;ladder::rungs::naive::dot 30
\
             ladder-runner;run_once;alloc 10
",
            997,
        )
        .unwrap();
        let algorithmic = Profile::from_folded(
            "ladder-runner;run_once;ladder::rungs::algorithmic::rows 8\nladder-runner;run_once;alloc 2\n",
            997,
        )
        .unwrap();
        let s = diff_subtitle(&naive, &algorithmic, "naive", None);
        // All of it would not fit one line of the picture: the legend and what is gone are
        // shortened first, the warning kept whole.
        assert_eq!(
            s,
            "red grew, blue shrank · gone: naive::norm 60% · only 10 samples on a side: too few \
             to compare"
        );
        // Alike, and sampled enough: nothing gone, nothing to warn of.
        let s = diff_subtitle(&naive, &naive, "naive", Some(0.5));
        assert_eq!(
            s,
            "2.00x slower · red grew, blue shrank as shares of each run"
        );
        // Long names gone: the line still fits the picture, its legend first and whole.
        let long = Profile::from_folded(
            "ladder-runner;run_once;<ladder::rungs::vectorized::VectorizedKernel as \
             ladder::rungs::Kernel>::rows;matrixmultiply::threading::RangeChunkParallel<G>::for_each 60\n\
             ladder-runner;run_once;ndarray::linalg::impl_linalg::general_mat_mul_with_a_long_name 30\n",
            997,
        )
        .unwrap();
        let s = diff_subtitle(
            &long,
            &algorithmic,
            "vectorized-with-a-long-rung-name",
            Some(5.8),
        );
        assert!(s.starts_with("5.80x faster · "), "{s}");
        assert!(s.chars().count() <= super::SUBTITLE_MAX, "{s}");
        assert!(s.contains(" · red grew, blue shrank"), "{s}");
        assert!(s.contains("gone"), "{s}");
    }

    #[test]
    fn a_subtitle_fits_one_line_of_the_picture() {
        let p = Profile::from_folded(
            "ladder-runner;run_and_verify;ladder::workload::reference::verify_rows 6\n\
             ladder-jit-0;x 4\n",
            997,
        )
        .unwrap()
        .without_check();
        let info = crate::rungs::find("jit").unwrap().info();
        let mut r = crate::run::RunReport::new(&info, 2, 600);
        r.status = crate::run::RunStatus::Completed;
        r.estimated_s = 0.0043;
        r.load_elsewhere = Some(1.0);
        let s = flame_subtitle(&p, Some(&r));
        assert!(s.chars().count() <= super::SUBTITLE_MAX, "{} {s}", s.len());
        assert!(
            s.contains("check left out") && s.contains("generated code"),
            "{s}"
        );
        assert!(s.contains("too few"), "10 samples are said to be few: {s}");
    }
}
