//! Gathering the hand-ins: every file read, the broken and foreign ones skipped with the
//! reason, and each student's files found and merged, by file name or recorded name.

use std::path::PathBuf;

use super::{
    Class, Input, LabSummary, LessonsSummary, NOTHING_READABLE, RunSummary, Skip, Skipped, Student,
    file_key, machine_line, read,
};

impl Class {
    /// Reads every file, skipping those that are not ladder outputs, and merges each
    /// student's: files belong together when their names say the same student
    /// ([`file_key`]) or they record the same learner (case aside).
    #[must_use]
    pub fn gather(paths: &[PathBuf]) -> Self {
        let mut class = Self::default();
        // Per student: the keys that name them, the names their files record, their files.
        let mut groups: Vec<Group> = Vec::new();
        // Files that could not be read, with whose their names say they are.
        let mut unread: Vec<(String, String)> = Vec::new();
        // Each content read, by its first file; and the files that repeat one (file, first).
        let mut contents: Vec<(u64, String)> = Vec::new();
        let mut copies: Vec<(String, String)> = Vec::new();
        // Each run's timings, by the first file that held them.
        let mut timings_seen: Vec<(u64, String)> = Vec::new();
        for (order, path) in paths.iter().enumerate() {
            let shown = path.display().to_string();
            let (input, hash) = match read(path) {
                Ok(read) => read,
                Err(why) => {
                    // A broken hand-in is someone's, and so is any JSON named as one
                    // ("carol-lab.json" holding something else); a path that is not there, or a
                    // file not named for anyone (a package.json), is no one's.
                    let key = file_key(path);
                    let named = path
                        .file_stem()
                        .is_some_and(|stem| stem.to_string_lossy() != key);
                    if named
                        && matches!(
                            why,
                            Skip::NotJson(_)
                                | Skip::Foreign
                                | Skip::Empty
                                | Skip::Malformed { .. }
                                | Skip::TooLarge(_)
                        )
                    {
                        unread.push((key, shown.clone()));
                    }
                    class.skipped.push(Skipped { file: shown, why });
                    continue;
                }
            };
            // The same bytes under two names: a result handed in twice, or copied. A run's
            // times to the nanosecond are as telling when only its name was changed.
            let timings = match &input {
                Input::Run(r) => r
                    .rungs
                    .iter()
                    .filter(|x| x.has_time())
                    .map(|x| x.kernel_s.to_bits())
                    .collect::<Vec<u64>>(),
                _ => Vec::new(),
            };
            let measured = (!timings.is_empty())
                .then(|| crate::fsio::fnv1a(timings.iter().flat_map(|t| t.to_le_bytes())));
            if let Some((_, first)) = contents.iter().find(|(h, _)| *h == hash) {
                copies.push((shown.clone(), first.clone()));
            } else if let Some((_, first)) =
                measured.and_then(|m| timings_seen.iter().find(|(t, _)| *t == m))
            {
                copies.push((shown.clone(), first.clone()));
                contents.push((hash, shown.clone()));
            } else {
                contents.push((hash, shown.clone()));
            }
            if let Some(m) = measured {
                timings_seen.push((m, shown.clone()));
            }
            let key = file_key(path);
            let name = input.learner().map(str::to_lowercase);
            let mut keys = vec![key.to_lowercase()];
            keys.extend(name.clone());
            let file = File {
                order,
                modified: std::fs::metadata(path).and_then(|m| m.modified()).ok(),
                shown,
                key,
                input,
            };
            // Joins every group that shares a key with it, unless the names they record say
            // they are someone else's (two students' `run.json` named Ada and Grace).
            let mut joined = Group {
                keys,
                names: name.into_iter().collect(),
                files: vec![file],
            };
            let mut i = 0;
            while i < groups.len() {
                let g = &groups[i];
                let shares = g.keys.iter().any(|k| joined.keys.contains(k));
                let agrees = g.names.is_empty()
                    || joined.names.is_empty()
                    || g.names.iter().any(|n| joined.names.contains(n));
                if shares && agrees {
                    let g = groups.remove(i);
                    joined.keys.extend(g.keys);
                    joined.names.extend(g.names);
                    joined.files.extend(g.files);
                } else {
                    i += 1;
                }
            }
            groups.push(joined);
        }
        // A student none of whose files could be read still has a row: the instructor must
        // see who handed in nothing usable, not find them only among the skipped files.
        let mut nothing: Vec<Student> = Vec::new();
        for (key, shown) in unread {
            let lower = key.to_lowercase();
            if groups.iter().any(|g| g.keys.contains(&lower)) {
                continue;
            }
            match nothing.iter_mut().find(|s| s.name.to_lowercase() == lower) {
                Some(s) => s.files.push(shown),
                None => nothing.push(Student {
                    name: key,
                    files: vec![shown],
                    notes: vec![NOTHING_READABLE.into()],
                    ..Student::default()
                }),
            }
        }
        class.students = groups
            .into_iter()
            .map(|mut g| {
                g.files.sort_by_key(|f| f.order);
                student(g.files)
            })
            .chain(nothing)
            .collect();
        for (copy, first) in &copies {
            let note = format!(
                "{copy} holds the same measurements as {first} (byte for byte, or every time to \
                 the nanosecond): one result handed in twice, or copied"
            );
            for st in &mut class.students {
                if st.files.iter().any(|f| f == copy || f == first) && !st.notes.contains(&note) {
                    st.notes.push(note.clone());
                }
            }
        }
        // A register's order, whatever order the files came in.
        class
            .students
            .sort_by_cached_key(|s| (s.name.to_lowercase(), s.name.clone()));
        class
    }
}

/// Files that belong to one student: the keys that name them (file names, recorded names)
/// and the names they record.
struct Group {
    keys: Vec<String>,
    names: Vec<String>,
    files: Vec<File>,
}

/// A file read, with its place among those given and whose its name says it is.
struct File {
    order: usize,
    /// When the file was last written: of two files of one kind, the later is shown.
    modified: Option<std::time::SystemTime>,
    shown: String,
    key: String,
    input: Input,
}

impl Input {
    /// The name the student recorded in this file (`--name`, or the app's prompt for lessons).
    fn learner(&self) -> Option<&str> {
        let name = match self {
            Self::Run(r) => r.learner.as_deref(),
            Self::Lab(l) => l.learner.as_deref(),
            Self::Lessons(l) => Some(l.learner.as_str()),
        };
        name.map(str::trim).filter(|n| !n.is_empty())
    }
}

/// One student from their files, in the order given: named by the first name a file records
/// (a lessons export's learner, or `--name` on a run or a lab check), else by the first file's
/// name.
fn student(files: Vec<File>) -> Student {
    let mut s = Student::default();
    let machine = |s: &mut Student, m: String| {
        if !m.is_empty() && !s.machines.contains(&m) {
            s.machines.push(m);
        }
    };
    let by_name = files.first().map(|f| f.key.clone()).unwrap_or_default();
    // A file whose name is no other file's here joined them by the name it records: said, so
    // that bob-run.json put with Ada's files is seen.
    let keys: Vec<String> = files.iter().map(|f| f.key.to_lowercase()).collect();
    let strays: Vec<Option<String>> = files
        .iter()
        .map(|f| {
            let key = f.key.to_lowercase();
            let recorded = f.input.learner()?;
            // Only a file named as a hand-in ("bob-run.json", "bob/run.json") names anyone.
            let stem = std::path::Path::new(&f.shown)
                .file_stem()
                .map(|s| s.to_string_lossy().to_lowercase());
            if stem.as_deref() == Some(key.as_str()) {
                return None;
            }
            let alone = keys.iter().filter(|k| **k == key).count() == 1;
            // "ada" for Ada Lovelace is hers: only a name with nothing of the file's is said.
            let letters = |t: &str| -> String {
                t.chars()
                    .filter(|c| c.is_alphanumeric())
                    .flat_map(char::to_lowercase)
                    .collect()
            };
            let (file, name) = (letters(&key), letters(recorded));
            let someone_else = !(name.contains(&file) || file.contains(&name));
            (keys.len() > 1 && alone && someone_else).then(|| {
                format!(
                    "{}, named for {}, records the name {recorded}: it is put with that \
                     name's files",
                    f.shown, f.key
                )
            })
        })
        .collect();
    s.notes.extend(strays.into_iter().flatten());
    // Of two files of one kind, the one written later is the student's latest: it is shown
    // whatever the order of their names ("ada_lab.json" sorts after "ada-lab2.json").
    let mut held: [Option<(Option<std::time::SystemTime>, String)>; 3] = Default::default();
    for f in files {
        if s.name.is_empty()
            && let Some(name) = f.input.learner()
        {
            s.name = name.to_string();
        }
        let (slot, kind) = match f.input {
            Input::Run(_) => (0, "run"),
            Input::Lab(_) => (1, "lab"),
            Input::Lessons(_) => (2, "lessons"),
        };
        if let Some((Some(then), before)) = &held[slot]
            && f.modified.is_some_and(|now| now < *then)
        {
            s.notes.push(format!(
                "a second {kind} file, {}: older than {before}, which is shown",
                f.shown
            ));
            s.files.push(f.shown);
            continue;
        }
        let replaced = held[slot].replace((f.modified, f.shown.clone()));
        match f.input {
            Input::Run(r) => {
                machine(&mut s, machine_line(&r.machine));
                s.run = Some(RunSummary::of(&r));
            }
            Input::Lab(l) => {
                if let Some(m) = &l.machine {
                    machine(&mut s, machine_line(m));
                }
                let summary = LabSummary::of(&l);
                // What the replaced lab file said goes with it: said once, of the lab shown.
                if let Some(old) = &s.lab {
                    let old = lab_notes(old);
                    s.notes.retain(|n| !old.contains(n));
                }
                s.notes.extend(lab_notes(&summary));
                s.lab = Some(summary);
            }
            Input::Lessons(l) => {
                machine(&mut s, l.machine.clone());
                s.lessons = Some(LessonsSummary::of(&l));
            }
        }
        if let Some((then, before)) = replaced {
            // Unzipped hand-ins often share one time: then the order given decides, and says so.
            let why = match (then, f.modified) {
                (Some(then), Some(now)) if now > then => "written after",
                _ => "of the same time as (or no time known) and given after",
            };
            s.notes.push(format!(
                "a second {kind} file, {}: {why} {before}, it is shown in its place",
                f.shown
            ));
        }
        s.files.push(f.shown);
    }
    if s.name.is_empty() {
        s.name = by_name;
    }
    s
}

/// What a student's lab says of itself: steps that count or not by a hair, a lab.toml that
/// asks less than the lab as shipped, a climb at another size.
fn lab_notes(summary: &LabSummary) -> Vec<String> {
    let mut notes = summary.near_floor.clone();
    if !summary.loosened.is_empty() {
        notes.push(format!(
            "its lab.toml asks less than the lab as shipped: {}",
            summary.loosened.join("; ")
        ));
    }
    notes.extend(summary.off_size.iter().cloned());
    notes
}
