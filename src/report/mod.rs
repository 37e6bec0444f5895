//! Everything derived from a finished run: the speedup table in four formats, and the texts of
//! the benchmark, its history and gate, and the scaling sweep.
//!
//! One [`Results`] value, one [`Export`] trait, one file per format. Writers go to any
//! `impl Write`; [`write_atomic`] puts a file in place only once it is complete.

pub mod bench;
pub mod charts;
pub mod class;
mod csv;
pub mod gate;
pub mod history;
pub mod html;
mod json;
mod markdown;
pub mod scale;
mod table;

use std::fmt::Write as _;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

pub use self::csv::Csv;
pub use json::{Json, SCHEMA_VERSION};
pub use markdown::{Markdown, merge_notes};
pub use table::Table;

use crate::machine::MachineInfo;
use crate::run::RunReport;
use crate::workload::Workload;

/// Kept here too: the writers and their callers reach it through the report module.
pub use crate::fsio::write_atomic;

/// The workload as reports describe it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkloadMeta {
    pub n: usize,
    pub d: usize,
    pub seed: u64,
    /// `normal`, `clustered`, or the input file's path.
    pub source: String,
    pub zero_rows: usize,
}

impl WorkloadMeta {
    /// Where the vectors came from: `normal, seed 3`, or the file (a seed means nothing there).
    #[must_use]
    pub fn origin(&self) -> String {
        if matches!(self.source.as_str(), "normal" | "clustered") {
            format!("{}, seed {}", self.source, self.seed)
        } else {
            self.source.clone()
        }
    }
}

impl From<&Workload> for WorkloadMeta {
    fn from(w: &Workload) -> Self {
        Self {
            n: w.n(),
            d: w.d(),
            seed: w.seed,
            source: w.source.to_string(),
            zero_rows: w.zero_rows.len(),
        }
    }
}

/// A whole run: what ran, where, and how it went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub workload: WorkloadMeta,
    pub machine: MachineInfo,
    pub budget_s: f64,
    pub threads: usize,
    pub rungs: Vec<RunReport>,
    /// Whose run this is (`--name`), so `ladder class` puts a student's files together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learner: Option<String>,
}

/// An output format.
pub trait Export {
    fn write(&self, results: &Results, out: &mut dyn Write) -> io::Result<()>;

    /// The whole export as a string.
    fn render(&self, results: &Results) -> String {
        let mut buf = Vec::new();
        self.write(results, &mut buf)
            .expect("writing to memory cannot fail");
        String::from_utf8(buf).expect("exports are UTF-8")
    }
}

/// The export for a format name: `table`, `json`, `csv` or `markdown`.
#[must_use]
pub fn exporter(format: &str) -> Option<Box<dyn Export>> {
    match format {
        "table" => Some(Box::new(Table)),
        "json" => Some(Box::new(Json)),
        "csv" => Some(Box::new(Csv)),
        "markdown" | "md" => Some(Box::new(Markdown::default())),
        _ => None,
    }
}

/// The speedup chart's file, beside the Markdown table that shows it.
pub const CHART_FILE: &str = "speedup.svg";

/// The chart beside a Markdown output `path`: `speedup.svg` beside NOTES.md (as the app's `m`
/// writes it), else named for the output (`a.md` → `a-speedup.svg`), so two outputs in one
/// folder keep their own charts.
#[must_use]
pub fn chart_file_for(path: &std::path::Path) -> String {
    match path.file_stem().map(|s| s.to_string_lossy().into_owned()) {
        Some(stem) if !stem.eq_ignore_ascii_case("notes") => format!("{stem}-{CHART_FILE}"),
        _ => CHART_FILE.to_string(),
    }
}

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

/// The line under a CPU flamegraph's title: what was sampled, and the kernel's time. One
/// line of inferno's small type: kept under about 150 characters, so it fits the picture.
#[must_use]
pub fn flame_subtitle(
    profile: &crate::profile::Profile,
    report: Option<&crate::run::RunReport>,
) -> String {
    // A Python peer's stacks are its whole process's (py-spy's), start-up and imports included.
    let python = profile.is_python();
    let mut s = format!(
        "{} {}samples, {} · whole {}",
        profile.total_samples(),
        if python { "py-spy " } else { "" },
        profile.rate_words(),
        if python { "process" } else { "run" }
    );
    // A Python process's picture is the whole process: how much of it is start-up.
    if let Some(imports) = profile.import_words() {
        s.push_str(" · ");
        s.push_str(&imports);
    }
    if let Some(r) = report {
        s.push_str(" · kernel ");
        s.push_str(&time_cell(r));
        // A picture travels without the table that explains its marks.
        if r.under_load() && r.has_time() {
            s.push_str(" (!: under load)");
        }
        if r.rung == "jit" {
            s.push_str(" · bare jit-thread frames are JIT code");
        }
    }
    // At a small n a fast rung's check against float64 can outweigh its kernel: said, so the
    // picture is not read as the kernel's.
    let checking: u64 = profile
        .stacks
        .iter()
        .filter(|(frames, _)| frames.iter().any(|f| f.contains("reference::verify_")))
        .map(|(_, c)| c)
        .sum();
    let total = profile.total_samples();
    if total > 0 && checking * 10 >= total * 3 {
        let _ = std::fmt::Write::write_fmt(
            &mut s,
            format_args!(
                " · {:.0}% verification: a larger --n shows the kernel",
                100.0 * checking as f64 / total as f64
            ),
        );
    }
    s
}

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

/// What generating the rung's code cost, for a note under a table: None for rungs that
/// generate none.
#[must_use]
pub fn compile_note(x: &RunReport) -> Option<String> {
    let c = x.compile?;
    if let Some(p) = &x.peer {
        return Some(format!(
            "{}: {} compiling at its first call{} (part of set-up)",
            x.rung,
            human_seconds(c.seconds),
            if p.calls > 1 {
                format!(", summed over its {} processes", p.calls)
            } else {
                String::new()
            }
        ));
    }
    Some(if c.cached {
        format!(
            "{}: code generated by an earlier run, reused (no compile time)",
            x.rung
        )
    } else {
        format!(
            "{}: code generated and compiled in {} (part of set-up); later runs reuse it",
            x.rung,
            human_seconds(c.seconds)
        )
    })
}

/// Seconds for people: "1.23 s", "45.6 ms", "2 min 5 s".
#[must_use]
pub fn human_seconds(s: f64) -> String {
    if !s.is_finite() {
        return "-".into();
    }
    if s >= 120.0 {
        // Whole seconds first, so 179.6 s reads "3 min 0 s", never "2 min 60 s".
        let total = s.round();
        let m = (total / 60.0).floor();
        format!("{m:.0} min {:.0} s", total - m * 60.0)
    } else if s >= 10.0 {
        format!("{s:.1} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// A speedup for people: "1.0x", "6.2x", "1530x".
#[must_use]
pub fn human_speedup(x: Option<f64>) -> String {
    match x {
        None => "-".into(),
        Some(v) if v >= 100.0 => format!("{v:.0}x"),
        Some(v) if v >= 10.0 => format!("{v:.1}x"),
        Some(v) if v >= 0.01 || v <= 0.0 => format!("{v:.2}x"),
        // Two figures, never "0.00x": a step 900 times slower is not nothing.
        Some(v) => {
            let digits = (-v.log10().floor()) as usize + 1;
            format!("{v:.digits$}x")
        }
    }
}

/// The time column: measured, or "~" and a note when extrapolated.
#[must_use]
pub fn time_cell(r: &RunReport) -> String {
    if !r.has_time() {
        return "-".into();
    }
    // "!": measured under load (see `load_note`).
    let mark = if r.under_load() { " !" } else { "" };
    if r.extrapolated {
        format!("~{} (est.){mark}", human_seconds(r.estimated_s))
    } else {
        format!("{}{mark}", human_seconds(r.estimated_s))
    }
}

/// A range of seconds in one unit, the larger's: "0.98–1.10 s", "212.3–230.1 ms", "1.7–2.1 min".
#[must_use]
pub fn human_range(min: f64, max: f64) -> String {
    if !(min.is_finite() && max.is_finite()) {
        return "-".into();
    }
    let (scale, unit, places) = if max >= 120.0 {
        (1.0 / 60.0, "min", 1)
    } else if max >= 10.0 {
        (1.0, "s", 1)
    } else if max >= 1.0 {
        (1.0, "s", 2)
    } else if max >= 1e-3 {
        (1e3, "ms", 1)
    } else {
        (1e6, "µs", 0)
    };
    format!("{:.places$}–{:.places$} {unit}", min * scale, max * scale)
}

/// The min–max column of a rung run more than once: the fastest and slowest of its runs
/// ("-" for one run, or none).
#[must_use]
pub fn range_cell(r: &RunReport) -> String {
    match &r.repeat {
        Some(rep) if r.has_time() => {
            let mut s = human_range(rep.min_s, rep.max_s);
            if rep.cancelled || r.runs() < rep.asked {
                let _ = write!(s, " ({}/{} runs)", r.runs(), rep.asked);
            }
            s
        }
        _ => "-".into(),
    }
}

/// A speedup, with `±` when the two rungs' ranges of times overlap: within the noise.
#[must_use]
pub fn speedup_cell(x: Option<f64>, overlaps: bool) -> String {
    let s = human_speedup(x);
    if overlaps && x.is_some() {
        format!("{s} ±")
    } else {
        s
    }
}

/// The "vs baseline" column.
#[must_use]
pub fn vs_baseline_cell(r: &RunReport) -> String {
    speedup_cell(r.speedup_vs_baseline, r.speedup_vs_baseline_overlaps)
}

/// The "vs previous" column.
#[must_use]
pub fn vs_previous_cell(r: &RunReport) -> String {
    speedup_cell(r.speedup_vs_previous, r.speedup_vs_previous_overlaps)
}

/// Whether any rung ran more than once (the tables then show the min–max column).
#[must_use]
pub fn any_repeated(rungs: &[RunReport]) -> bool {
    rungs.iter().any(|r| r.repeat.is_some())
}

/// What the spread columns mean, for under a table where a rung ran more than once.
#[must_use]
pub fn spread_note(rungs: &[RunReport]) -> Option<String> {
    let asked = rungs
        .iter()
        .filter_map(|r| r.repeat.as_ref())
        .map(|r| r.asked)
        .max()?;
    let overlap = rungs
        .iter()
        .any(|r| r.speedup_vs_baseline_overlaps || r.speedup_vs_previous_overlaps);
    Some(format!(
        "time: the median of {asked} runs, min–max beside it; speedups are of medians{}",
        if overlap {
            "; ± marks one whose two rungs' ranges of times overlap: within the noise, \
             not a difference to explain"
        } else {
            ""
        }
    ))
}

/// What happened to a repeated rung's runs that the median does not say: the budget shared
/// by the later runs of one it stopped, fewer runs than asked (a cancel).
#[must_use]
pub fn repeat_note(x: &RunReport) -> Option<String> {
    let rep = x.repeat.as_ref()?;
    let mut said = Vec::new();
    if let Some(each) = rep.shared_budget_s.filter(|_| rep.runs.len() > 1) {
        said.push(format!(
            "the budget stopped its first run, so its later runs shared one more budget ({} each)",
            human_seconds(each)
        ));
    }
    if rep.cancelled && x.has_time() {
        said.push(format!(
            "cancelled after {} of {} runs: the figures are theirs",
            x.runs(),
            rep.asked
        ));
    }
    (!said.is_empty()).then(|| format!("{}: {}", x.rung, said.join("; ")))
}

/// "threads: measured under load: 0.4 of a core busy elsewhere ...", for a rung whose time
/// other processes spoiled.
#[must_use]
pub fn load_note(x: &RunReport) -> Option<String> {
    let l = x
        .load_elsewhere
        .filter(|_| x.under_load() && x.has_time())?;
    Some(format!(
        "{} !: measured under load: {:.0}% of a core busy elsewhere; its time may be long, and \
         its % of peak low, by up to that much (run again on an idle machine)",
        x.rung,
        l * 100.0
    ))
}

/// The effective GFLOP/s column.
#[must_use]
pub fn gflops_cell(r: &RunReport) -> String {
    if r.has_time() {
        format!("{:.1}", r.gflops_effective)
    } else {
        "-".into()
    }
}

/// The % of peak column.
#[must_use]
pub fn peak_cell(r: &RunReport) -> String {
    let approximate = r.verification.as_ref().is_some_and(|v| v.recall.is_some());
    if r.has_time() && !approximate {
        format!("{:.0}%", r.peak_pct)
    } else {
        "-".into()
    }
}

/// The status column: "ok", "FAILED: ...", "cancelled"...
#[must_use]
pub fn verified_cell(r: &RunReport) -> String {
    match (&r.status, &r.verification) {
        (crate::run::RunStatus::Failed(why), _) => format!("failed: {why}"),
        (crate::run::RunStatus::Unavailable(why), _) => format!("unavailable: {why}"),
        (crate::run::RunStatus::Cancelled, None) => "cancelled".into(),
        (_, Some(v)) if v.passed && v.recall.is_some() => {
            format!("✓ (recall {:.2})", v.recall.unwrap_or_default())
        }
        (_, Some(v)) if v.passed => format!("✓ (err {:.1e})", v.max_abs_err),
        (_, Some(v))
            if v.recall
                .is_some_and(|r| r < crate::workload::reference::RECALL_FLOOR) =>
        {
            format!(
                "✗ (recall {:.2} < {:.2})",
                v.recall.unwrap_or_default(),
                crate::workload::reference::RECALL_FLOOR
            )
        }
        (_, Some(v)) if v.non_finite => "✗ NaN/inf".to_string(),
        (_, Some(v)) => format!("✗ (err {:.1e} > {:.0e})", v.max_abs_err, v.tolerance),
        (_, None) => "-".into(),
    }
}

/// A machine with round figures, for tests of what reports print.
#[cfg(test)]
pub(crate) fn test_machine(cpu: &str) -> MachineInfo {
    MachineInfo {
        cpu: cpu.into(),
        model: None,
        arch: "x86_64".into(),
        logical_cores: 2,
        physical_cores: Some(2),
        simd: vec![],
        kernel_isa: "avx2+fma".into(),
        peak_gflops_core: 100.0,
        peak_gflops_all: 200.0,
        peak_gflops_core_128: 50.0,
        peak_gflops_all_128: 100.0,
        mem_read_gbs: None,
        peak_origin: crate::machine::PeakOrigin::default(),
    }
}

/// How far either side of a lab step's floor a measurement is close enough for a machine's
/// noise to change its grade (the lab measures a step this near once more; the class view
/// says which grades stood this near).
pub const FLOOR_NOISE_MARGIN: f64 = 1.5;

/// The notes file at `path` as it stands, to keep what the student wrote in it (`None`: there
/// is none yet).
///
/// # Errors
/// A file that cannot be read as text is not written over: the message says so.
pub fn existing_notes(path: &std::path::Path) -> Result<Option<String>, String> {
    match crate::fsio::read_text_limited(path, 16 << 20) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "{} could not be read ({e}), so it was not written over: move it away or choose \
             another file",
            path.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{human_seconds, load_note, short_cpu, time_cell};

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
    fn a_tiny_speedup_keeps_two_figures() {
        use super::human_speedup;
        assert_eq!(human_speedup(Some(0.0011)), "0.0011x");
        assert_eq!(human_speedup(Some(0.05)), "0.05x");
        assert_eq!(human_speedup(Some(0.0099)), "0.0099x");
        assert_eq!(human_speedup(Some(250.0)), "250x");
    }

    #[test]
    fn a_time_taken_under_load_is_marked_and_explained() {
        let info = crate::rungs::find("naive").unwrap().info();
        let mut r = crate::run::RunReport::new(&info, 1, 10);
        r.rows_done = 10;
        r.estimated_s = 2.5;
        assert_eq!(time_cell(&r), "2.50 s");
        r.load_elsewhere = Some(0.1);
        assert_eq!(time_cell(&r), "2.50 s", "a little noise is not load");
        assert_eq!(load_note(&r), None);
        r.load_elsewhere = Some(0.4);
        assert_eq!(time_cell(&r), "2.50 s !");
        let note = load_note(&r).unwrap();
        assert!(
            note.starts_with("naive !: measured under load: 40% of a core busy elsewhere"),
            "{note}"
        );
        // Records older than the figure read without it.
        let mut json = serde_json::to_value(&r).unwrap();
        json.as_object_mut().unwrap().remove("load_elsewhere");
        let old: crate::run::RunReport = serde_json::from_value(json).unwrap();
        assert_eq!(old.load_elsewhere, None);
    }

    /// A run of `naive` then `native`, each timed; `native` under `load` cores elsewhere.
    fn loaded_results(load: Option<f64>) -> super::Results {
        let report = |id: &str, secs: f64| {
            let info = crate::rungs::find(id).unwrap().info();
            let mut r = crate::run::RunReport::new(&info, 1, 10);
            r.rows_done = 10;
            r.estimated_s = secs;
            r.kernel_s = secs;
            r
        };
        let mut rungs = vec![report("naive", 2.0), report("native", 0.5)];
        rungs[1].load_elsewhere = load;
        crate::run::fill_speedups(&mut rungs);
        super::Results {
            workload: super::WorkloadMeta {
                n: 10,
                d: 4,
                seed: 0,
                source: "normal".into(),
                zero_rows: 0,
            },
            machine: super::test_machine("cpu-a"),
            budget_s: 8.0,
            threads: 2,
            rungs,
            learner: None,
        }
    }

    #[test]
    fn the_load_is_a_column_of_the_csv_and_a_field_of_each_rung_in_the_json() {
        use super::Export;
        let csv = super::Csv.render(&loaded_results(Some(0.4)));
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let at = header.iter().position(|h| *h == "load_elsewhere").unwrap();
        let cells: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(cells[0][at], "", "too short to tell: empty");
        assert_eq!(cells[1][at], "0.4");
        let json: serde_json::Value =
            serde_json::from_str(&super::Json.render(&loaded_results(Some(0.4)))).unwrap();
        assert_eq!(json["rungs"][1]["load_elsewhere"], 0.4);
        assert!(json["rungs"][0]["load_elsewhere"].is_null());
        // The table and NOTES.md mark it and say why.
        for text in [
            super::Table.render(&loaded_results(Some(0.4))),
            super::Markdown { chart: None }.render(&loaded_results(Some(0.4))),
        ] {
            assert!(text.contains("500.0 ms !"), "{text}");
            assert!(
                text.contains("native !: measured under load: 40% of a core busy elsewhere"),
                "{text}"
            );
        }
        let idle = super::Table.render(&loaded_results(Some(0.1)));
        assert!(
            !idle.contains(" !") && !idle.contains("under load"),
            "{idle}"
        );
    }

    #[test]
    fn a_speedup_within_the_spread_is_marked_and_ranges_read_in_one_unit() {
        use super::{human_range, speedup_cell};
        assert_eq!(speedup_cell(Some(1.05), true), "1.05x ±");
        assert_eq!(speedup_cell(Some(1.05), false), "1.05x");
        assert_eq!(speedup_cell(None, true), "-");
        assert_eq!(human_range(0.98, 1.1), "0.98–1.10 s");
        assert_eq!(human_range(0.2123, 0.2301), "212.3–230.1 ms");
        assert_eq!(human_range(11.0, 12.34), "11.0–12.3 s");
        assert_eq!(human_range(100.0, 126.0), "1.7–2.1 min");
    }

    #[test]
    fn seconds_read_as_people_say_them() {
        assert_eq!(human_seconds(179.6), "3 min 0 s");
        assert_eq!(human_seconds(142.4), "2 min 22 s");
        assert_eq!(human_seconds(59.94), "59.9 s");
        assert_eq!(human_seconds(2.5), "2.50 s");
        assert_eq!(human_seconds(0.0312), "31.2 ms");
        assert_eq!(human_seconds(f64::NAN), "-");
    }
}

#[cfg(test)]
mod subtitle_tests {
    use super::flame_subtitle;
    use crate::profile::Profile;

    #[test]
    fn a_profile_mostly_verification_says_so() {
        let p = Profile::from_folded(
            "ladder-runner;run_and_verify;ladder::workload::reference::verify_rows 6\n\
             ladder-runner;run_and_verify;native::kernel 4\n",
            997,
        )
        .unwrap();
        assert!(flame_subtitle(&p, None).contains("60% verification"));
        let kernel = Profile::from_folded("ladder-runner;native::kernel 10\n", 997).unwrap();
        assert!(!flame_subtitle(&kernel, None).contains("verification:"));
    }
}
