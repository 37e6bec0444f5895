//! Everything derived from a finished run: the speedup table in four formats.
//!
//! One [`Results`] value, one [`Export`] trait, one file per format. Writers go to any
//! `impl Write`; [`write_atomic`] puts a file in place only once it is complete.

mod csv;
pub mod gate;
pub mod history;
mod json;
mod markdown;
mod table;

use std::io::{self, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use self::csv::Csv;
pub use json::{Json, SCHEMA_VERSION};
pub use markdown::Markdown;
pub use table::Table;

use crate::machine::MachineInfo;
use crate::run::RunReport;
use crate::workload::Workload;

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
        "markdown" | "md" => Some(Box::new(Markdown)),
        _ => None,
    }
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder, flushed to disk,
/// then renamed over the target, so a crash never leaves a half-written file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The title of a flamegraph: what it shows, on which workload, on which machine.
#[must_use]
pub fn flame_title(what: &str, workload: &WorkloadMeta, machine: &MachineInfo) -> String {
    format!(
        "ladder · {what} · {} × {} {} seed {} · {} ({} cores, {})",
        workload.n,
        workload.d,
        workload.source,
        workload.seed,
        machine.cpu,
        machine.logical_cores,
        machine.kernel_isa
    )
}

/// Seconds for people: "1.23 s", "45.6 ms", "2 min 5 s".
#[must_use]
pub fn human_seconds(s: f64) -> String {
    if s >= 120.0 {
        let m = (s / 60.0).floor();
        format!("{m:.0} min {:.0} s", s - m * 60.0)
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
        Some(v) => format!("{v:.2}x"),
    }
}

/// The time column: measured, or "~" and a note when extrapolated.
#[must_use]
pub fn time_cell(r: &RunReport) -> String {
    if !r.has_time() {
        return "-".into();
    }
    if r.extrapolated {
        format!("~{} (est.)", human_seconds(r.estimated_s))
    } else {
        human_seconds(r.estimated_s)
    }
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
    if r.has_time() {
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
