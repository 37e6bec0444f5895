//! `ladder class`: students' saved runs, labs and lessons merged into one view per student,
//! for the instructor.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;

use ladder::report::class::Class;

#[derive(Args, Clone)]
pub struct ClassArgs {
    /// Students' files: `ladder run --format json`, `ladder lab check --format json` and
    /// `ladder learn --export` outputs, or folders of them (their .json files). A student's
    /// files become one row: those whose names differ only by a kind word (`ada-run.json`,
    /// `ada-lab.json`, `ada-lessons.json`), or in a folder of their own (`ada/run.json`), or
    /// whose lessons exports carry the same name. A file that is none of these is named and
    /// skipped.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Write the view to FILE (atomically): `.html` for one self-contained page, with every
    /// prediction and the explanations to read, or `.md` for Markdown. Without it, the
    /// summary prints here.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

enum Format {
    Html,
    Markdown,
}

pub fn exec(args: &ClassArgs) -> Result<ExitCode> {
    // Refused before any reading: a typo must not cost a class's worth of work.
    let format = match &args.output {
        None => None,
        Some(out) => Some(format_of(out)?),
    };
    let files = expand(&args.files)?;
    if let Some(out) = &args.output {
        let inputs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
        super::common::check_output(out, &inputs, None)?;
    }
    let class = Class::gather(&files);
    for k in &class.skipped {
        sayln!("skipped {}: {}", k.file, k.why);
    }
    // Said here too, not only in the page: the terminal's table compares the same rows.
    for c in class.cautions() {
        sayln!("Compare with care: {c}");
    }
    if !class
        .students
        .iter()
        .any(ladder::report::class::Student::read_anything)
    {
        bail!(
            "{}: give outputs of `ladder run --format json -o NAME-run.json`, `ladder lab check \
             --format json -o NAME-lab.json` or `ladder learn --export NAME-lessons.json`",
            match files.as_slice() {
                [] => "no file to read".to_string(),
                [one] if missing(one) => format!("{} does not exist", one.display()),
                [one] => format!("{} could not be read as a student's", one.display()),
                _ if files.iter().all(|f| missing(f)) => {
                    format!("none of the {} paths exists", files.len())
                }
                _ => format!(
                    "none of the {} files could be read as a student's",
                    files.len()
                ),
            }
        );
    }
    let (Some(out), Some(format)) = (&args.output, format) else {
        out!("{}", class.text());
        return Ok(ExitCode::SUCCESS);
    };
    let text = match format {
        Format::Html => class.html(),
        Format::Markdown => class.markdown(),
    };
    ladder::report::write_atomic(out, text.as_bytes())
        .with_context(|| format!("could not write {}", out.display()))?;
    sayln!(
        "wrote {}: {} student{}{}",
        out.display(),
        class.students.len(),
        if class.students.len() == 1 { "" } else { "s" },
        if class.skipped.is_empty() {
            String::new()
        } else {
            format!(
                ", {} skipped (named above)",
                if class.skipped.len() == 1 {
                    "1 file".to_string()
                } else {
                    format!("{} files", class.skipped.len())
                }
            )
        }
    );
    Ok(ExitCode::SUCCESS)
}

fn format_of(out: &Path) -> Result<Format> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" => Ok(Format::Html),
        "md" | "markdown" => Ok(Format::Markdown),
        _ => bail!(
            "{}: -o writes .html (one page to open or hand out) or .md (Markdown); leave -o out \
             to print the table here",
            out.display()
        ),
    }
}

/// The files given, each folder replaced by its .json files and those of its subfolders (a
/// folder per student), in name order; a file given twice (itself and in its folder) is read
/// once, and said to be.
/// A path that is not there (not one a permission hides).
fn missing(p: &Path) -> bool {
    matches!(p.try_exists(), Ok(false))
}

fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut seen = std::collections::HashSet::new();
    Ok(listed(paths)?
        .into_iter()
        .filter(|p| {
            let first = seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
            if !first {
                sayln!("read once: {} was given twice", p.display());
            }
            first
        })
        .collect())
}

fn listed(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if !p.exists() {
            // Named with the others that could not be read; never fatal.
            files.push(p.clone());
            continue;
        }
        if !p.is_dir() {
            files.push(p.clone());
            continue;
        }
        let list = |dir: &Path| {
            ladder::fsio::files_with_extension(dir, "json")
                .with_context(|| format!("could not list {}", dir.display()))
        };
        let mut found = list(p)?;
        let mut subs: Vec<PathBuf> = std::fs::read_dir(p)
            .with_context(|| format!("could not list {}", p.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|s| s.is_dir())
            .collect();
        subs.sort();
        for s in subs {
            found.extend(list(&s)?);
        }
        if found.is_empty() {
            sayln!("skipped {}: a folder with no .json file in it", p.display());
        }
        files.extend(found);
    }
    Ok(files)
}
