//! The dependency rules of the design, checked: the lower parts stand alone, and the rooms of
//! every folder import each other without a circle.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The files of the library (the binary's `main.rs` and `cli/` are not part of it).
fn library_files() -> Vec<(PathBuf, String)> {
    let root = src();
    let mut files = Vec::new();
    sources(&root, &mut files);
    files.retain(|(p, _)| {
        let rel = p.strip_prefix(&root).unwrap();
        rel != Path::new("main.rs") && !rel.starts_with("cli")
    });
    files
}

/// The text without line comments (doc links name paths that are not dependencies).
fn code(text: &str) -> String {
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module path of a file: `src/tui/app.rs` is `["tui", "app"]`, `src/tui/mod.rs` `["tui"]`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// `a::{b, c::{d, e}}` as `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_string()];
    };
    let mut depth = 0;
    let mut close = tree.len();
    for (i, c) in tree.char_indices().skip(open) {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let (head, inner) = (&tree[..open], &tree[open + 1..close]);
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    items
        .into_iter()
        .filter(|i| !i.trim().is_empty())
        .flat_map(|i| expand(i).into_iter().map(move |e| format!("{head}{e}")))
        .collect()
}

/// Every crate-internal path a file names (`use` trees expanded, `crate::`/`super::`/`self::`
/// paths in code), made absolute: `super::app::App` in `tui/ui.rs` is `["tui", "app", "App"]`.
fn paths_named(module: &[String], text: &str) -> Vec<Vec<String>> {
    let code = code(text);
    let mut raw: Vec<String> = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("use ") {
        let before = rest[..at].chars().last();
        let tail = &rest[at + 4..];
        rest = tail;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(end) = tail.find(';') {
            for p in expand(&tail[..end]) {
                raw.push(p.split(" as ").next().unwrap_or("").trim().to_string());
            }
        }
    }
    for prefix in ["crate::", "super::", "self::"] {
        for (at, _) in code.match_indices(prefix) {
            if code[..at]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            {
                continue;
            }
            let path: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            raw.push(path);
        }
    }
    let mut out = Vec::new();
    for p in raw {
        let segs: Vec<&str> = p.split("::").filter(|s| !s.is_empty()).collect();
        let mut abs: Vec<String> = match segs.first() {
            Some(&"crate") => Vec::new(),
            Some(&("super" | "self")) => module.to_vec(),
            _ => continue,
        };
        let mut i = usize::from(segs[0] == "crate");
        while let Some(&s) = segs.get(i) {
            match s {
                "super" => {
                    abs.pop();
                }
                "self" => {}
                _ => break,
            }
            i += 1;
        }
        abs.extend(segs[i..].iter().map(|s| (*s).to_string()));
        out.push(abs);
    }
    out
}

/// Whether the folder of module `parent` has a room (file or folder) named `name`.
fn is_room(parent: &[String], name: &str) -> bool {
    let dir = parent.iter().fold(src(), |d, p| d.join(p));
    dir.join(format!("{name}.rs")).is_file() || dir.join(name).is_dir()
}

#[test]
fn the_rooms_of_every_folder_import_each_other_without_a_circle() {
    // For each folder, the edges between its rooms (child files and child folders): room A
    // names something in room B. The folder's own mod.rs (its front door) is not a room.
    let mut edges: BTreeMap<String, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    for (file, text) in library_files() {
        let module = module_of(&file);
        for target in paths_named(&module, &text) {
            for depth in 0..module.len() {
                let (parent, from) = (&module[..depth], &module[depth]);
                if target.len() <= depth || target[..depth] != *parent {
                    continue;
                }
                let to = &target[depth];
                if to != from && is_room(parent, to) {
                    edges
                        .entry(parent.join("/"))
                        .or_default()
                        .entry(from.clone())
                        .or_default()
                        .entry(to.clone())
                        .or_insert_with(|| file.display().to_string());
                }
            }
        }
    }
    let mut circles = Vec::new();
    for (folder, graph) in &edges {
        // Depth-first search; a grey node met again closes a circle.
        fn visit(
            node: &str,
            graph: &BTreeMap<String, BTreeMap<String, String>>,
            state: &mut BTreeMap<String, u8>,
            stack: &mut Vec<String>,
            found: &mut Vec<String>,
        ) {
            state.insert(node.to_string(), 1);
            stack.push(node.to_string());
            for (next, via) in graph.get(node).into_iter().flatten() {
                match state.get(next.as_str()) {
                    Some(1) => {
                        let at = stack.iter().position(|s| s == next).unwrap();
                        found.push(format!(
                            "{} -> {next} (the last step in {via})",
                            stack[at..].join(" -> ")
                        ));
                    }
                    Some(_) => {}
                    None => visit(next, graph, state, stack, found),
                }
            }
            stack.pop();
            state.insert(node.to_string(), 2);
        }
        let mut state = BTreeMap::new();
        let mut found = Vec::new();
        for node in graph.keys() {
            if !state.contains_key(node.as_str()) {
                visit(node, graph, &mut state, &mut Vec::new(), &mut found);
            }
        }
        let folder = if folder.is_empty() { "src" } else { folder };
        circles.extend(found.into_iter().map(|c| format!("in {folder}: {c}")));
    }
    assert!(
        circles.is_empty(),
        "import circles between rooms (move what both need into a room below them):\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_circle_check_sees_use_trees_and_relative_paths() {
    let m = |s: &str| s.split('/').map(String::from).collect::<Vec<_>>();
    let named = paths_named(
        &m("tui/ui"),
        "use super::{app::{App, Msg}, theme::Theme};\n// use super::help;\nlet x = crate::run::Phase::Setup;",
    );
    let named: BTreeSet<String> = named.iter().map(|p| p.join("::")).collect();
    assert!(named.contains("tui::app::App") && named.contains("tui::app::Msg"));
    assert!(named.contains("tui::theme::Theme"));
    assert!(named.contains("run::Phase::Setup"));
    assert!(!named.iter().any(|p| p.contains("help")), "{named:?}");
}

/// What each lower part may use of the crate, and which outside crates it must not touch.
#[test]
fn the_lower_parts_depend_on_nothing_above_them() {
    let root = src();
    let ui_and_monitoring = ["ratatui::", "crossterm::", "sysinfo::", "pprof::"];
    let rules: [(&str, &[&str], &[&str]); 8] = [
        ("fsio.rs", &[], &ui_and_monitoring),
        ("workload", &["workload", "fsio"], &ui_and_monitoring),
        ("rungs", &["rungs", "workload", "fsio"], &ui_and_monitoring),
        // Programs outside the process: a second client (the lab) builds on them.
        (
            "peers",
            &["peers", "rungs", "workload", "fsio"],
            &ui_and_monitoring,
        ),
        // Plain data out; nothing of the views, the exports or the lessons.
        (
            "run",
            &[
                "run", "rungs", "workload", "machine", "monitor", "profile", "peers", "fsio",
            ],
            &["ratatui::", "crossterm::"],
        ),
        ("profile", &["profile"], &["ratatui::", "crossterm::"]),
        // The student's ladder: built on the peers, graded from the runner's reports.
        (
            "lab",
            &[
                "lab", "peers", "run", "report", "profile", "rungs", "workload", "machine",
                "monitor", "fsio",
            ],
            &["ratatui::", "crossterm::"],
        ),
        // The exports and the gate serve the command line and the app alike.
        (
            "report",
            &[
                "report", "run", "rungs", "workload", "machine", "profile", "monitor", "peers",
                "fsio",
            ],
            &["ratatui::", "crossterm::"],
        ),
    ];
    for (part, allowed, crates) in rules {
        let mut files = Vec::new();
        let at = root.join(part);
        if at.is_file() {
            files.push((at.clone(), fs::read_to_string(&at).unwrap()));
        } else {
            sources(&at, &mut files);
        }
        assert!(!files.is_empty(), "{part} is missing");
        for (path, text) in files {
            let text = code(&text);
            for krate in crates {
                assert!(
                    !text.contains(krate),
                    "{} uses {krate}: {part} must stay free of it",
                    path.display()
                );
            }
            for target in paths_named(&module_of(&path), &text) {
                // `use super::*` in a test module of mod.rs names the crate root itself.
                let Some(top) = target.first().filter(|t| is_room(&[], t)) else {
                    continue;
                };
                assert!(
                    allowed.contains(&top.as_str()),
                    "{} reaches crate::{top}; {part} may only use {allowed:?}",
                    path.display()
                );
            }
        }
    }
}

/// The command line is the binary's: no part of the library reaches into it.
#[test]
fn nothing_in_the_library_imports_the_command_line() {
    for (path, text) in library_files() {
        assert!(
            !code(&text).contains("cli::"),
            "{} names cli::, which only main.rs may use",
            path.display()
        );
    }
}
