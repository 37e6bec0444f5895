//! The dependency rules of the design, checked: the workload and the rungs stand alone.

use std::fs;
use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn workload_and_rungs_depend_on_nothing_above_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let forbidden_crates = ["ratatui", "crossterm", "sysinfo", "pprof"];
    for (module, allowed) in [
        ("fsio.rs", &[][..]),
        ("workload", &["workload", "fsio"][..]),
        ("rungs", &["rungs", "workload", "fsio"][..]),
    ] {
        let mut files = Vec::new();
        let at = root.join(module);
        if at.is_file() {
            files.push((at.display().to_string(), fs::read_to_string(&at).unwrap()));
        } else {
            sources(&at, &mut files);
        }
        assert!(!files.is_empty());
        for (path, text) in files {
            for krate in forbidden_crates {
                assert!(
                    !text.contains(&format!("{krate}::")),
                    "{path} uses {krate}: {module} must stay free of UI and monitoring crates"
                );
            }
            for (at, _) in text.match_indices("crate::") {
                let rest = &text[at + "crate::".len()..];
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    allowed.contains(&name.as_str()),
                    "{path} reaches crate::{name}; {module} may only use {allowed:?}"
                );
            }
        }
    }
}

#[test]
fn report_reaches_neither_the_app_nor_the_lessons() {
    // The gate and the history are rendered by report for the command line and the app alike.
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report"),
        &mut files,
    );
    assert!(!files.is_empty());
    for (path, text) in files {
        for above in ["crate::tui", "crate::lessons", "ratatui::", "crossterm::"] {
            assert!(!text.contains(above), "{path} uses {above}");
        }
    }
}
