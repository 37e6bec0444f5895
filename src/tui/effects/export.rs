//! The files the app writes: NOTES.md with its chart and flamegraphs, a flamegraph, a
//! difference, the HTML report. Each returns what the app is told.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::write_into;
use crate::profile::{Profile, StackView};
use crate::report::html::{HtmlReport, RungProfile};
use crate::report::{Export, Markdown, Results, write_atomic};

type Written = Result<PathBuf, String>;

fn written(path: PathBuf, r: std::io::Result<()>) -> Written {
    match r {
        Ok(()) => Ok(path),
        Err(e) => Err(format!("could not write {}: {e}", path.display())),
    }
}

/// The folder of `path`, "." for a bare file name.
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// NOTES.md (`m`): the speedup chart and each rung's flamegraph SVG beside it, linked by
/// relative paths.
pub(super) fn notes(
    path: PathBuf,
    mut results: Results,
    flames: &[(String, Arc<Profile>)],
) -> Written {
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
    let before = crate::report::existing_notes(&path)?;
    let text = crate::report::merge_notes(before.as_deref(), &Markdown { chart }.render(&results));
    let r = write_atomic(&path, text.as_bytes());
    written(path, r)
}

/// The HTML report (`w`).
pub(super) fn report(
    path: PathBuf,
    results: Results,
    flames: Vec<(String, Arc<Profile>, bool)>,
) -> Written {
    let report = HtmlReport {
        profiles: flames
            .into_iter()
            .map(|(rung, profile, python)| RungProfile {
                rung,
                profile: Arc::unwrap_or_clone(profile),
                python,
            })
            .collect(),
        results,
        scale: None,
        sections: Vec::new(),
        sources: Vec::new(),
        warnings: Vec::new(),
        notes: Vec::new(),
    };
    let r = write_into(&path, report.render().as_bytes());
    written(path, r)
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
    let r = profile
        .write_svg_counting(title, &subtitle, unit, StackView::Slide, &mut svg)
        .and_then(|()| write_into(&path, &svg));
    written(path, r)
}

/// The difference between two rungs' profiles (`d`).
pub(super) fn diff(
    path: PathBuf,
    before: (&Profile, &str),
    after: &Profile,
    title: &str,
) -> Written {
    let mut svg = Vec::new();
    let r = Profile::write_diff_svg(
        before.0,
        after,
        title,
        &crate::report::diff_subtitle(before.0, after, before.1),
        StackView::Slide,
        &mut svg,
    )
    .and_then(|()| write_into(&path, &svg));
    written(path, r)
}
