//! py-spy around a Python program: each call runs under `py-spy record`, which writes its
//! folded stacks to a folder; [`spy_folded`] merges them for the flamegraph.

use std::path::{Path, PathBuf};

/// Profiling a Python peer with py-spy.
#[derive(Clone, Debug)]
pub struct Spy {
    pub exe: PathBuf,
    /// Samples per second.
    pub rate: u32,
    pub dir: PathBuf,
}

impl Spy {
    /// `args` run under py-spy, its stacks written to `dir` as `NAME.folded`.
    #[must_use]
    pub fn wrap(&self, name: &str, mut args: Vec<String>) -> Vec<String> {
        let out = self.dir.join(format!("{name}.folded"));
        let mut wrapped = vec![
            self.exe.display().to_string(),
            "record".into(),
            "--format".into(),
            "raw".into(),
            "--rate".into(),
            self.rate.to_string(),
            // Not --nonblocking: read while the program runs, a stack tears (`dot` under the
            // line that calls `norm`, `dot` under `dot`), and a profile that lies about which
            // function takes the time is no profile. Pausing it costs a few percent.
            "-o".into(),
            out.display().to_string(),
            "--".into(),
        ];
        wrapped.append(&mut args);
        wrapped
    }
}

/// Every folded-stack file py-spy wrote into `dir`, merged into one text.
pub fn spy_folded(dir: &Path) -> std::io::Result<String> {
    let files = crate::fsio::files_with_extension(dir, "folded")?;
    let mut text = String::new();
    for f in files {
        // Samples taken outside any Python frame come with an empty stack: nothing to draw.
        for line in std::fs::read_to_string(f)?.lines() {
            if line
                .rsplit_once(' ')
                .is_some_and(|(stack, _)| !stack.trim().is_empty())
            {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    Ok(text)
}

/// A program's own last line of output: a profiler wrapping it (py-spy) may print after it.
#[must_use]
pub fn last_own_line(stdout: &str) -> Option<&str> {
    stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("py-spy>"))
}
