//! The files the app writes: NOTES.md with its chart and flamegraphs, a flamegraph, a
//! difference, the HTML report. Each returns what the app is told.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::write_into;
use crate::profile::{Profile, StackView};
use crate::report::html::{HtmlReport, RungProfile};
use crate::report::{Export, Markdown, Results, write_atomic};
use crate::tui::message::Wrote;

type Written = Result<Wrote, String>;

/// Writes one file, saying so when it replaced one that was there.
fn write_one(path: PathBuf, bytes: &[u8]) -> Written {
    let there = path.exists();
    match write_into(&path, bytes) {
        Ok(()) => Ok(Wrote {
            path,
            also: if there {
                " (it replaced the file there)".to_string()
            } else {
                String::new()
            },
        }),
        Err(e) => Err(format!("could not write {}: {e}", path.display())),
    }
}

/// Where a report meant for `path` (once [`writable`]) goes: where this app wrote it before
/// (`ours`: meant for, went to), else `path`, unless a file is there from before (another
/// session's, `ladder report`'s), which is the user's and is kept. Then the first free
/// `NAME-2.EXT`, `NAME-3.EXT`…, with what the notice says of the one kept.
pub(super) fn beside_older(path: &Path, ours: &[(PathBuf, PathBuf)]) -> (PathBuf, String) {
    if let Some((_, went)) = ours.iter().find(|(a, _)| a == path) {
        return (went.clone(), String::new());
    }
    let path = path.to_path_buf();
    if !path.exists() {
        return (path, String::new());
    }
    let (Some(stem), Some(name)) = (
        path.file_stem().map(|s| s.to_string_lossy().into_owned()),
        path.file_name().map(|s| s.to_string_lossy().into_owned()),
    ) else {
        return (path, String::new());
    };
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (2..1000)
        .map(|i| path.with_file_name(format!("{stem}-{i}{ext}")))
        .find(|p| !p.exists())
        .map_or((path, String::new()), |p| {
            (p, format!(" ({name}, from before, is kept)"))
        })
}

/// Where an export goes: `path`, or, when its folder cannot be written in (a read-only USB
/// stick, a folder of another user), the same name under `ladder-exports` in the home folder
/// (else the temporary folder), with what the notice says of the move. Nothing made is lost
/// for want of a place to put it.
pub(super) fn writable(path: PathBuf) -> (PathBuf, String) {
    let Err(why) = can_write_in(folder(&path)) else {
        return (path, String::new());
    };
    let fallback = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join("ladder-exports"))
        .filter(|d| can_write_in(d).is_ok())
        .unwrap_or_else(|| {
            // In the shared temporary folder, a folder of this user's own that no one else
            // can have made first.
            let dir = std::env::temp_dir().join(format!("ladder-exports-{}", user_tag()));
            let _ = crate::fsio::private_dir(&dir);
            dir
        });
    // A relative path keeps its shape there (flamegraphs/naive.svg), its plain names only (no
    // `..` out of it); an absolute one, its name.
    let moved = if path.is_relative() {
        fallback.join(
            path.components()
                .filter(|c| matches!(c, std::path::Component::Normal(_)))
                .collect::<PathBuf>(),
        )
    } else {
        fallback.join(path.file_name().unwrap_or_default())
    };
    let from = folder(&path);
    let from = if from == Path::new(".") {
        "the current folder".to_string()
    } else {
        from.display().to_string()
    };
    let note = format!(" ({from} cannot be written in: {why}; ladder-exports is the fallback)");
    (moved, note)
}

/// Who the temporary fallback folder is for: the user's name, else "user".
fn user_tag() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| {
            !u.is_empty()
                && u.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
        .unwrap_or_else(|| "user".into())
}

/// Whether a file can be made in `dir`, or in its nearest folder that exists (the export
/// makes the rest), probed with the kind of file an atomic write makes there.
fn can_write_in(dir: &Path) -> Result<(), std::io::ErrorKind> {
    let mut at = dir;
    while !at.exists() {
        match at.parent() {
            Some(p) if !p.as_os_str().is_empty() => at = p,
            _ => {
                at = Path::new(".");
                break;
            }
        }
    }
    if !at.is_dir() {
        // A file where a folder of the path should be: nothing can be made under it.
        return Err(std::io::ErrorKind::NotADirectory);
    }
    crate::fsio::probe_writable(at).map_err(|e| e.kind())
}

/// The folder of `path`, "." for a bare file name.
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Which version of a file is there: files are written atomically, by renaming a new file over
/// the old, so a rewritten file has a new inode even within the clock's resolution.
type Version = (std::time::SystemTime, u64);

/// A file a NOTES.md export may write beside it, and its version (None: not there), taken
/// before writing.
pub(super) type Beside = Vec<(PathBuf, Option<Version>)>;

fn changed(p: &Path) -> Option<Version> {
    let meta = std::fs::metadata(p).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.modified().ok()?, inode))
}

/// The flamegraphs (and, with `chart`, the speedup chart) a NOTES.md export at `path` may
/// write, as they are before it writes.
pub(super) fn beside(path: &Path, ids: &[&str], chart: bool) -> Beside {
    let dir = folder(path);
    let chart = chart.then(|| dir.join(crate::report::CHART_FILE));
    ids.iter()
        .map(|id| dir.join(format!("flamegraphs/{id}.svg")))
        .chain(chart)
        .map(|p| {
            let when = changed(&p);
            (p, when)
        })
        .collect()
}

/// What the notice says beside NOTES.md: the chart and flamegraphs written with it (files
/// changed since `before`), and which of them replaced files that were there.
pub(super) fn also_wrote(before: &Beside) -> String {
    let is_chart = |p: &Path| p.ends_with(crate::report::CHART_FILE);
    let written: Vec<_> = before
        .iter()
        .filter(|(p, when)| changed(p).is_some_and(|now| Some(now) != *when))
        .collect();
    // The chart, and the count of flamegraphs, among `files`.
    let words = |files: &[&(PathBuf, Option<Version>)]| {
        let chart = files.iter().any(|(p, _)| is_chart(p));
        let flames = files.len() - usize::from(chart);
        let mut parts = Vec::new();
        if chart {
            parts.push(crate::report::CHART_FILE.to_string());
        }
        match flames {
            0 => {}
            1 => parts.push("1 flamegraph".to_string()),
            k => parts.push(format!("{k} flamegraphs")),
        }
        parts.join(" and ")
    };
    if written.is_empty() {
        return String::new();
    }
    let replaced: Vec<_> = written
        .iter()
        .copied()
        .filter(|(_, when)| when.is_some())
        .collect();
    let over = if replaced.is_empty() {
        String::new()
    } else if replaced.len() == written.len() {
        if written.len() == 1 {
            " (replacing the old one there)".to_string()
        } else {
            " (replacing the old ones there)".to_string()
        }
    } else {
        format!(" (replacing the old {} there)", words(&replaced))
    };
    format!(" with {} beside it{over}", words(&written))
}

/// NOTES.md (`m`): the speedup chart and each rung's flamegraph SVG beside it, linked by
/// relative paths, merged with the notes at `merge_from` (the path asked for).
pub(super) fn notes(
    path: PathBuf,
    merge_from: &Path,
    mut results: Results,
    flames: &[(String, Arc<Profile>)],
) -> Written {
    // The student's own notes around ladder's part are kept: those of the file asked for, also
    // when the export had to go elsewhere (`merge_from`). Read first: notes that cannot be read
    // stop the export before any file of it is written.
    let notes = crate::report::existing_notes(merge_from)?;
    // A handful of samples is noise, not a picture to hand out: a fast rung at a small n is
    // left out and said (`ladder flame` runs it again until its picture holds enough).
    let (flames, thin): (Vec<_>, Vec<_>) = flames
        .iter()
        .partition(|(_, p)| p.total_samples() >= crate::report::FEW_SAMPLES);
    let ids: Vec<&str> = flames.iter().map(|(id, _)| id.as_str()).collect();
    let before = beside(&path, &ids, true);
    let dir = folder(&path);
    for (rung, profile) in flames {
        let rel = format!("flamegraphs/{rung}.svg");
        let title = crate::report::flame_title(rung, &results.workload, &results.machine);
        let subtitle =
            crate::report::flame_subtitle(profile, results.rungs.iter().find(|r| &r.rung == rung));
        let mut svg = Vec::new();
        let done = profile
            .write_svg(&title, &subtitle, StackView::Slide, &mut svg)
            .and_then(|()| write_into(&dir.join(&rel), &svg));
        if let (Ok(()), Some(r)) = (done, results.rungs.iter_mut().find(|r| &r.rung == rung)) {
            r.flamegraph = Some(rel);
        }
    }
    let chart = crate::report::charts::speedup_svg(&results).and_then(|svg| {
        write_into(&dir.join(crate::report::CHART_FILE), svg.as_bytes())
            .ok()
            .map(|()| crate::report::CHART_FILE.to_string())
    });
    let text = crate::report::merge_notes(notes.as_deref(), &Markdown { chart }.render(&results));
    let thin = match thin.as_slice() {
        [] => String::new(),
        few => format!(
            "; no flamegraph of {}: too few samples at this n (`ladder flame --rung {}` runs \
             a fast rung again for more)",
            few.iter()
                .map(|(id, _)| id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            few[0].0
        ),
    };
    match write_atomic(&path, text.as_bytes()) {
        Ok(()) => Ok(Wrote {
            also: format!("{}{thin}", also_wrote(&before)),
            path,
        }),
        Err(e) => Err(format!("could not write {}: {e}", path.display())),
    }
}

/// The HTML report (`w`).
pub(super) fn report(
    path: PathBuf,
    results: Results,
    flames: Vec<(String, Arc<Profile>, bool)>,
) -> Written {
    // Rungs of ours whose picture is thin: said, with the key that samples one again.
    let thin: Vec<String> = flames
        .iter()
        .filter(|(_, p, python)| {
            !python && p.runs <= 1 && p.total_samples() < crate::tui::model::THIN_PROFILE
        })
        .map(|(rung, _, _)| rung.clone())
        .collect();
    let report = HtmlReport {
        profiles: flames
            .into_iter()
            .map(|(rung, profile, python)| RungProfile {
                rung,
                profile: Arc::unwrap_or_clone(profile),
                python,
            })
            .collect(),
        results: Some(results),
        tables_by: None,
        scale: None,
        sections: Vec::new(),
        sources: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
    };
    write_one(path, report.render().as_bytes()).map(|w| {
        if thin.is_empty() {
            w
        } else {
            // Named, all of them: rung ids are short, and "4 thin" says not which.
            let which = format!("thin flamegraphs: {}", thin.join(", "));
            w.and(&format!(
                "; {which} (f on a rung runs it again for more samples, then w)"
            ))
        }
    })
}

/// A rung's flamegraph (`e` on the flamegraph screen; `unit`: samples or bytes).
pub(super) fn flame(path: PathBuf, profile: &Profile, title: &str, unit: &str) -> Written {
    let subtitle = if unit == "bytes" {
        "bytes still live, by the stack that allocated them (sampled)".to_string()
    } else if unit == "bytes leaked" {
        "allocated after the first request and never freed, by the Python stack that allocated \
         them (every allocation traced)"
            .to_string()
    } else {
        crate::report::flame_subtitle(profile, None)
    };
    let mut svg = Vec::new();
    match profile.write_svg_counting(title, &subtitle, unit, StackView::Slide, &mut svg) {
        Ok(()) => write_one(path, &svg),
        Err(e) => Err(format!("could not write {}: {e}", path.display())),
    }
}

/// The difference between two rungs' profiles (`d`).
pub(super) fn diff(
    path: PathBuf,
    before: (&Profile, &str),
    after: &Profile,
    title: &str,
    speedup: Option<f64>,
) -> Written {
    let mut svg = Vec::new();
    match Profile::write_diff_svg(
        before.0,
        after,
        title,
        &crate::report::diff_subtitle(before.0, after, before.1, speedup),
        StackView::Slide,
        &mut svg,
    ) {
        Ok(()) => write_one(path, &svg),
        Err(e) => Err(format!("could not write {}: {e}", path.display())),
    }
}
