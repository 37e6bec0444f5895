//! The student's NOTES.md: their speedup table, our rungs beside it when they ran, and the
//! course's rough claims checked against their own numbers on their machine.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::StepResult;
use super::grade::{Verdict, measured, times};
use crate::machine::MachineInfo;
use crate::profile::{Profile, StackView};
use crate::report::{WorkloadMeta, human_speedup, time_cell};
use crate::run::RunReport;

/// One of the course's rules of thumb: step `faster` is about `claimed` times faster than step
/// `than` (the best of several steps, when `faster` names more than one).
struct Claim {
    says: &'static str,
    faster: &'static [&'static str],
    than: &'static str,
    claimed: f64,
    /// Why it may not hold on a student's machine, said when it did not.
    caveat: &'static str,
}

const CLAIMS: &[Claim] = &[
    Claim {
        says: "vectorizing wins ~100x",
        faster: &["numpy"],
        than: "algorithmic",
        claimed: 100.0,
        caveat: "",
    },
    Claim {
        says: "native code or a JIT wins ~2x more",
        faster: &["cython", "numba"],
        than: "numpy",
        claimed: 2.0,
        caveat: " (expected of a plain compiled loop: NumPy's product runs a tuned SIMD BLAS \
                 kernel, which is why lab.toml judges Cython and Numba against step 2, not \
                 NumPy; the claim holds for loops NumPy cannot express as one call)",
    },
    Claim {
        says: "the right library wins ~1000x",
        faster: &["library"],
        than: "naive",
        claimed: 1000.0,
        caveat: "",
    },
];

/// How a measured ratio stands against a claimed one: within a factor of 2 it held (and a
/// "win" that is slower never holds).
fn judge(measured: f64, claimed: f64) -> String {
    let by = measured / claimed;
    if (0.5..=2.0).contains(&by) && measured > 1.0 {
        let off = if (0.95..1.05).contains(&by) {
            "about the claim".to_string()
        } else if by >= 1.0 {
            format!("{} the claim", times(by))
        } else {
            format!("{} short of it", times(1.0 / by))
        };
        format!(
            "held, within a factor of 2 ({} measured, {off})",
            times(measured)
        )
    } else if by > 2.0 {
        format!(
            "held and then some: {} measured, {} the claim",
            times(measured),
            times(by)
        )
    } else {
        format!(
            "did not hold: {} measured, {} short of the claim",
            times(measured),
            times(1.0 / by)
        )
    }
}

/// Writes NOTES.md at `path` (the app's `m` and `ladder lab notes` alike), each step's
/// profile in `flames` as `flamegraphs/STEP.svg` beside it, linked from the table.
///
/// # Errors
/// The notes could not be written (a flamegraph that cannot be is left unlinked).
pub fn write(
    path: &Path,
    lab: LabOf<'_>,
    meta: &WorkloadMeta,
    machine: &MachineInfo,
    mut results: Vec<StepResult>,
    ours: &[RunReport],
    flames: &[(String, &Profile)],
) -> Result<PathBuf, String> {
    // Notes that cannot be read stop the export before any of its files is written.
    let before = crate::report::existing_notes(path)?;
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    for (id, profile) in flames {
        let Some(r) = results.iter_mut().find(|r| &r.id == id) else {
            continue;
        };
        let rel = format!("flamegraphs/{id}.svg");
        let title = crate::report::flame_title(&format!("step {id} ({})", r.file), meta, machine);
        let mut svg = Vec::new();
        let written = profile
            .write_svg(
                &title,
                "py-spy's samples, from the step's own function up",
                StackView::Slide,
                &mut svg,
            )
            .and_then(|()| write_into(&folder.join(&rel), &svg));
        if let (Ok(()), Some(report)) = (written, r.report.as_mut()) {
            report.flamegraph = Some(rel);
        }
    }
    let text = crate::report::merge_notes(
        before.as_deref(),
        &markdown(lab, meta, machine, &results, ours),
    );
    write_into(path, text.as_bytes())
        .map(|()| path.to_path_buf())
        .map_err(|e| format!("could not write {}: {e}", path.display()))
}

fn write_into(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    crate::fsio::write_atomic(path, bytes)
}

/// A verdict as the notes say it: away from the app, "Enter runs it" means nothing.
fn verdict_cell(r: &StepResult) -> String {
    match &r.verdict {
        Verdict::Counts => "✓".to_string(),
        v => {
            let line = v.line();
            // A template still raising its TODO is a step to write, not a failure.
            let untouched = line.contains("NotImplementedError: TODO");
            if r.optional && (untouched || line.starts_with(super::NOT_RUN)) {
                return "optional, not tried".to_string();
            }
            if untouched {
                return "to write".to_string();
            }
            let line = if line.starts_with(super::NOT_RUN) {
                "not run yet".to_string()
            } else {
                line
            };
            format!("✗ {}", line.replace('|', "\\|"))
        }
    }
}

/// Which lab the notes are of: its folder, and the size its floors are set for (`lab.toml`).
#[derive(Clone, Copy, Debug)]
pub struct LabOf<'a> {
    pub dir: &'a str,
    pub floors_for: (usize, usize),
}

/// NOTES.md for a lab: `ours` are our rungs' reports on the same workload (may be empty).
#[must_use]
pub fn markdown(
    lab: LabOf<'_>,
    meta: &WorkloadMeta,
    machine: &MachineInfo,
    results: &[StepResult],
    ours: &[RunReport],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# My ladder\n");
    // The folder's name: the notes travel with it (a repository), its full path does not.
    let dir = lab.dir;
    let full = std::fs::canonicalize(dir).unwrap_or_else(|_| PathBuf::from(dir));
    let dir = full
        .file_name()
        .map_or_else(|| dir.to_string(), |n| n.to_string_lossy().into_owned());
    let _ = writeln!(
        s,
        "Lab `{dir}` · {} × {} {} seed {} · {} ({} cores, {})\n",
        meta.n,
        meta.d,
        meta.source,
        meta.seed,
        machine.cpu,
        machine.logical_cores,
        machine.kernel_isa
    );
    let (fn_, fd) = lab.floors_for;
    if (meta.n, meta.d) != (fn_, fd) {
        let _ = writeln!(
            s,
            "**Not the lab's size:** the floors are set for {fn_} × {fd} (`lab.toml`); at {} × \
             {} fixed costs weigh differently, and a step may count or not where it would not \
             there. `ladder lab notes` without `--n`/`--d` climbs at the lab's size.\n",
            meta.n, meta.d
        );
    }
    let first = results.first().map_or("step 1", |r| r.id.as_str());
    let _ = writeln!(
        s,
        "| step | file | time | vs {first} | vs previous | floor | counts |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---|---|");
    let marks = crate::lab::render::topk_marks(results);
    for (i, r) in results.iter().enumerate() {
        let rep = r.report.as_ref().filter(|x| x.has_time() && x.verified());
        let floor = r.floor.as_ref().map_or_else(
            || "-".to_string(),
            |f| {
                let got = f
                    .measured
                    .map_or_else(String::new, |m| format!(" (measured {})", measured(m)));
                format!("{} over `{}`{got}", times(f.floor.at_least), f.floor.over)
            },
        );
        let counts = verdict_cell(r);
        let _ = writeln!(
            s,
            "| `{}` | `{}` | {} | {} | {} | {floor} | {counts} |",
            r.id,
            r.file,
            rep.map_or_else(|| "-".into(), time_cell),
            rep.map_or_else(|| "-".into(), |x| star(x.speedup_vs_baseline, marks[i][0])),
            rep.map_or_else(|| "-".into(), |x| star(x.speedup_vs_previous, marks[i][1])),
        );
    }
    if marks.iter().flatten().any(|m| *m) {
        let _ = writeln!(s, "\n\\{}", crate::lab::render::TOPK_NOTE);
    }
    // The flamegraphs written beside the notes: of the steps py-spy profiled in the app.
    let flames: Vec<String> = results
        .iter()
        .filter_map(|r| {
            let svg = r.report.as_ref()?.flamegraph.as_ref()?;
            Some(format!("[`{}`]({svg})", r.id))
        })
        .collect();
    if results
        .iter()
        .filter_map(|r| r.report.as_ref())
        .any(|x| x.has_time() && x.verified() && x.under_load())
    {
        let _ = writeln!(
            s,
            "\n`!`: measured while other programs kept the cores busy; that time may be long. \
             Measure again on an idle machine before you trust it."
        );
    }
    if !flames.is_empty() {
        let _ = writeln!(
            s,
            "\nWhere each step's time goes (py-spy's flamegraphs, from the step's own function \
             up): {}",
            flames.join(" · ")
        );
    }
    let base = results.first().and_then(StepResult::seconds);
    let ours: Vec<&RunReport> = ours
        .iter()
        .filter(|r| r.has_time() && r.verified())
        .collect();
    let _ = writeln!(s, "\n## Our rungs on the same workload\n");
    if ours.is_empty() {
        let _ = writeln!(
            s,
            "Not run beside these steps: `ladder lab notes` climbs your steps and ours on this \
             workload and writes them here (in `ladder lab`, `o` lists ours beside your steps)."
        );
    } else {
        let _ = writeln!(
            s,
            "ladder's own implementations of each step, in Rust, timed the same way on this \
             machine. `topk` and `ann` answer a different question (each row's nearest \
             neighbours, not the whole matrix), as your library step does.\n"
        );
        let _ = writeln!(s, "| rung | time | vs my {first} |");
        let _ = writeln!(s, "|---|---:|---:|");
        for r in ours {
            let _ = writeln!(
                s,
                "| `{}` | {} | {} |",
                r.rung,
                time_cell(r),
                human_speedup(base.map(|b| b / r.estimated_s))
            );
        }
    }
    let _ = writeln!(s, "\n## The course's claims, on my numbers\n");
    // Only steps that count: a locked step's time, or one of a file changed since, is not
    // this climb's number.
    let seconds = |id: &str| {
        results
            .iter()
            .find(|r| r.id == id && r.verdict.counts())
            .and_then(StepResult::seconds)
    };
    for c in CLAIMS {
        let best = c
            .faster
            .iter()
            .filter_map(|id| seconds(id).map(|t| (*id, t)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let line = match (best, seconds(c.than)) {
            (Some((id, t)), Some(than)) => {
                let said = judge(than / t, c.claimed);
                let caveat = if said.starts_with("did not hold") {
                    c.caveat
                } else {
                    ""
                };
                format!("`{id}` over `{}`: {said}{caveat}", c.than)
            }
            _ => format!(
                "not measured yet: needs `{}` and `{}` to count",
                c.faster.join("` or `"),
                c.than
            ),
        };
        let _ = writeln!(s, "- \"{}\": {line}", c.says);
    }
    s
}

/// A speedup cell, its top-k mark escaped for Markdown.
fn star(speedup: Option<f64>, mark: bool) -> String {
    crate::lab::render::marked(speedup, mark).replace('*', "\\*")
}

#[cfg(test)]
mod tests {
    use super::judge;

    #[test]
    fn a_claim_holds_within_a_factor_of_three() {
        assert!(judge(100.0, 100.0).starts_with("held, within"));
        assert!(judge(60.0, 100.0).contains("1.7x short of it"));
        assert!(judge(999.0, 1000.0).contains("(999x measured, about the claim)"));
        assert!(judge(650.0, 100.0).contains("6.5x the claim"));
        assert!(judge(0.8, 2.0).contains("did not hold") && judge(0.8, 2.0).contains("2.5x short"));
        assert!(judge(30.0, 100.0).contains("did not hold"));
    }
}
