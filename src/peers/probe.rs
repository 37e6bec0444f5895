//! What a program needs, looked for here: the Python interpreter, its modules, programs on
//! PATH. Looking runs nothing the user wrote but `import MODULE`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

/// Why a peer cannot run here, with what would fix it; None when it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Availability(pub Option<String>);

/// The Python interpreter peers run with: `$LADDER_PYTHON`, else the virtual environment's own
/// when ladder was pip-installed into one (its packages are where the student put numpy, even
/// when the environment is not activated), else `python3`, else `python` on PATH.
#[must_use]
pub fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LADDER_PYTHON") {
        return Some(PathBuf::from(p));
    }
    own_env_bin()
        .and_then(|bin| venv_python(&bin))
        .or_else(|| ["python3", "python"].iter().find_map(|p| which(p)))
}

/// The scripts folder of the virtual environment ladder was installed into, if it was.
fn own_env_bin() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let bin = exe.parent()?;
    bin.parent()?
        .join("pyvenv.cfg")
        .is_file()
        .then(|| bin.to_path_buf())
}

/// The interpreter of the virtual environment whose scripts folder is `bin`, if it is one
/// (a `pyvenv.cfg` one level up, as `python -m venv`, virtualenv and uv write).
fn venv_python(bin: &Path) -> Option<PathBuf> {
    if !bin.parent()?.join("pyvenv.cfg").is_file() {
        return None;
    }
    ["python3", "python"]
        .iter()
        .map(|p| bin.join(p))
        .find(|p| p.is_file())
}

/// The full path of `program`: in the virtual environment ladder was installed into (py-spy,
/// ruff installed beside it, the environment not activated), else on PATH.
#[must_use]
pub fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Path::new(program).is_file().then(|| PathBuf::from(program));
    }
    let path = std::env::var_os("PATH");
    own_env_bin()
        .into_iter()
        .chain(path.iter().flat_map(std::env::split_paths))
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Whether `python` imports `module` (cached per process).
pub fn imports(python: &Path, module: &str) -> bool {
    static CACHE: Mutex<Option<HashMap<(PathBuf, String), bool>>> = Mutex::new(None);
    let key = (python.to_path_buf(), module.to_string());
    if let Some(&v) = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .get(&key)
    {
        return v;
    }
    let ok = Command::new(python)
        .args(["-c", &format!("import {module}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(key, ok);
    ok
}

/// A dotted Python module name: identifiers (ASCII letters, digits, `_`; not starting with a
/// digit) joined by dots. Only such a name is ever given to `import`.
#[must_use]
pub fn is_module_name(name: &str) -> bool {
    !name.is_empty()
        && name.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_virtual_environment_s_own_python_is_found_beside_ladder_and_nothing_else_is() {
        let tmp = tempfile::tempdir().unwrap();
        let bin = tmp.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        std::fs::write(bin.join("python3"), "").unwrap();
        // A folder with a python3 in it is not an environment without its pyvenv.cfg.
        assert_eq!(venv_python(&bin), None);
        std::fs::write(tmp.path().join("pyvenv.cfg"), "home = /usr/bin\n").unwrap();
        assert_eq!(venv_python(&bin), Some(bin.join("python3")));
        std::fs::remove_file(bin.join("python3")).unwrap();
        std::fs::write(bin.join("python"), "").unwrap();
        assert_eq!(venv_python(&bin), Some(bin.join("python")));
    }
}
