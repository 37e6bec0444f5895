//! The dependency rules of the design, checked: the workload and the rungs stand alone, and
//! in no folder do rooms import each other round a circle.

use std::collections::{BTreeMap, BTreeSet};
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

/// A module path, like `["tui", "screens", "flame"]`.
type ModPath = Vec<String>;

/// The paths named after `crate::`, `super::` or `self::` in `s` (just after that prefix),
/// with `{a, b::{c, d}}` groups expanded.
fn path_tree(s: &str) -> Vec<Vec<String>> {
    let s = s.trim_start();
    if let Some(inner) = s.strip_prefix('{') {
        let mut depth = 0;
        let mut parts = Vec::new();
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    parts.push(&inner[start..i]);
                    break;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    parts.push(&inner[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        return parts.into_iter().flat_map(path_tree).collect();
    }
    let ident: String = s
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if ident.is_empty() {
        return vec![vec![]];
    }
    match s[ident.len()..].trim_start().strip_prefix("::") {
        Some(rest) => path_tree(rest)
            .into_iter()
            .map(|mut p| {
                p.insert(0, ident.clone());
                p
            })
            .collect(),
        None => vec![vec![ident]],
    }
}

/// The module a path names, walking down from `base` while the segments are modules (files or
/// folders under `src`); an item of a module (say, of a `mod.rs`) stops the walk.
fn resolve(src: &Path, base: &[String], segments: &[String]) -> ModPath {
    let mut at: ModPath = base.to_vec();
    for seg in segments {
        let dir = at.iter().fold(src.to_path_buf(), |p, s| p.join(s));
        if seg == "super" {
            at.pop();
        } else if dir.join(format!("{seg}.rs")).is_file() || dir.join(seg).is_dir() {
            at.push(seg.clone());
        } else {
            break;
        }
    }
    at
}

/// Rooms and their edges: from → to → a file that made the edge.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// A circle through `room`, if the search from it meets a room again on its own path (depth
/// first; `done` holds the rooms already searched from).
fn circle_from(
    room: &str,
    graph: &Graph,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(i) = path.iter().position(|r| r == room) {
        let mut circle = path[i..].to_vec();
        circle.push(room.to_string());
        return Some(circle);
    }
    if !done.insert(room.to_string()) {
        return None;
    }
    path.push(room.to_string());
    for next in graph.get(room).into_iter().flat_map(BTreeMap::keys) {
        if let Some(c) = circle_from(next, graph, path, done) {
            return Some(c);
        }
    }
    path.pop();
    None
}

/// Edges between rooms known before this test, to be removed (folder, from, to): the allocation
/// tracker borrows the CPU profiler's frame-name cleaning while the CPU profiler keeps its own
/// buffers out of the tracker. Moving `clean` below both would end it.
const KNOWN_EDGES: &[(&str, &str, &str)] = &[("profile", "alloc", "cpu")];

/// The design's rule of rooms: in every folder under `src`, the child files (but `mod.rs`) and
/// the child folders (each one unit) are rooms, and no two rooms import each other, directly or
/// round a circle. A file of room A that names sibling room B (`super::b`, `crate::x::b`,
/// `self::b`) makes an edge A→B; naming the folder's own `mod.rs` items makes none.
#[test]
fn no_folder_has_rooms_that_import_each_other_round_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    // Per folder (a module path), the edges between its rooms, with a file that made each.
    let mut edges: BTreeMap<ModPath, BTreeMap<String, BTreeMap<String, String>>> = BTreeMap::new();
    for (path, text) in &files {
        let rel = Path::new(path).strip_prefix(&src).unwrap();
        let mut module: ModPath = rel
            .with_extension("")
            .iter()
            .map(|s| s.to_string_lossy().into_owned())
            .collect();
        match module.last().map(String::as_str) {
            Some("main") => continue, // the binary: a crate of its own
            Some("mod" | "lib") => {
                module.pop();
            }
            _ => {}
        }
        // Inside a `mod tests`, `super` is the file itself: leave the tests out.
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        for prefix in ["crate::", "super::", "self::"] {
            for (at, _) in text.match_indices(prefix) {
                let before = text[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let base: ModPath = match prefix {
                    "crate::" => vec![],
                    "super::" => module[..module.len().saturating_sub(1)].to_vec(),
                    _ => module.clone(),
                };
                for segments in path_tree(&text[at + prefix.len()..]) {
                    let target = resolve(&src, &base, &segments);
                    let common = module
                        .iter()
                        .zip(&target)
                        .take_while(|(a, b)| a == b)
                        .count();
                    if common < module.len() && common < target.len() {
                        let (folder, from, to) =
                            (&module[..common], &module[common], &target[common]);
                        if KNOWN_EDGES.contains(&(folder.join("/").as_str(), from, to)) {
                            continue;
                        }
                        edges
                            .entry(folder.to_vec())
                            .or_default()
                            .entry(from.clone())
                            .or_default()
                            .entry(to.clone())
                            .or_insert_with(|| path.clone());
                    }
                }
            }
        }
    }
    let mut circles = Vec::new();
    for (folder, graph) in &edges {
        let mut done = BTreeSet::new();
        for room in graph.keys() {
            if let Some(circle) = circle_from(room, graph, &mut Vec::new(), &mut done) {
                let by: Vec<String> = circle
                    .windows(2)
                    .map(|w| format!("{} → {} ({})", w[0], w[1], graph[&w[0]][&w[1]]))
                    .collect();
                circles.push(format!("src/{}: {}", folder.join("/"), by.join(", ")));
                break;
            }
        }
    }
    assert!(
        circles.is_empty(),
        "rooms that import each other (move what both need into a room below them):\n{}",
        circles.join("\n")
    );
}
