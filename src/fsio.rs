//! Files written so that a crash never leaves half of one: the bottom layer, used by every
//! module that saves something a user made or needs (exports, progress, baselines, peers).

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// Whether files can be made in the folder `dir`: probed with the kind of file an atomic write
/// makes there, made and removed at once, so a read-only folder is found before the work
/// that would write into it, not after.
pub fn probe_writable(dir: &Path) -> io::Result<()> {
    tempfile::Builder::new()
        .prefix(".ladder-probe")
        .tempfile_in(dir)
        .map(drop)
}

/// Writes `bytes` to `path` atomically: a temporary file of a unique, unpredictable name in the
/// same folder, flushed to disk, then renamed over the target, so a crash never leaves a
/// half-written file and two writers never share a temporary file. A file that is replaced
/// keeps its permissions; a new one gets the usual ones (0666 less the umask).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    let existing = std::fs::metadata(path).ok().map(|m| m.permissions());
    let prefix = format!(".{}.", name.to_string_lossy());
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    // Removed by its own drop if anything below fails.
    // Said of the folder, not of the temporary file's name the error would show.
    let mut tmp = builder.tempfile_in(dir).map_err(|e| {
        if !matches!(
            e.kind(),
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem
        ) {
            return io::Error::new(e.kind(), format!("{} ({})", e.kind(), dir.display()));
        }
        let folder = if dir == Path::new(".") {
            "this folder".to_string()
        } else {
            format!("the folder {}", dir.display())
        };
        io::Error::new(
            e.kind(),
            format!("{folder} cannot be written in ({})", e.kind()),
        )
    })?;
    tmp.write_all(bytes)?;
    if let Some(perms) = existing {
        tmp.as_file().set_permissions(perms)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The private temporary folders alive now: a way out that skips destructors (an exit from a
/// signal's or a panic's handler) removes them with [`remove_temp_dirs`].
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn live() -> MutexGuard<'static, Vec<PathBuf>> {
    LIVE.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A private temporary folder (see [`private_temp_dir`]), removed with what is in it when
/// dropped, or by [`remove_temp_dirs`] on the way out.
#[derive(Debug)]
pub struct PrivateTempDir(tempfile::TempDir);

impl PrivateTempDir {
    #[must_use]
    pub fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for PrivateTempDir {
    fn drop(&mut self) {
        // The folder itself goes with the field, just after.
        let mut live = live();
        if let Some(i) = live.iter().position(|p| p == self.0.path()) {
            live.swap_remove(i);
        }
    }
}

/// A new folder in the temporary folder that only this user can use (0700), with an
/// unpredictable name starting `prefix`; removed, with what is in it, when dropped.
pub fn private_temp_dir(prefix: &str) -> io::Result<PrivateTempDir> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o700));
    }
    // Made and registered under the lock, so that none is made unregistered while
    // `remove_temp_dirs` runs.
    let mut live = live();
    let dir = builder.tempdir()?;
    live.push(dir.path().to_path_buf());
    Ok(PrivateTempDir(dir))
}

/// Removes every private temporary folder still alive, for a way out that skips destructors
/// (call it just before such an exit). No new one can be made afterwards: a thread that
/// tries waits until the process ends.
pub fn remove_temp_dirs() {
    // A panic inside `private_temp_dir` holds the lock on this very thread: a few tries, not
    // a wait that would never end.
    for _ in 0..100 {
        let mut live = match LIVE.try_lock() {
            Ok(g) => g,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => {
                std::thread::sleep(std::time::Duration::from_millis(1));
                continue;
            }
        };
        for dir in live.drain(..) {
            let _ = std::fs::remove_dir_all(dir);
        }
        // Held until the process ends.
        std::mem::forget(live);
        return;
    }
}

/// The files in `dir` whose extension is `ext`, in file-name order (peer and lesson folders
/// are numbered in the course's order).
pub fn files_with_extension(dir: &Path, ext: &str) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    Ok(files)
}

/// Makes `dir` a folder only this user can use (mode 0700), or checks that it already is one:
/// a real folder, not a link, owned by this user, closed to everyone else. For caches kept in a
/// shared place such as the temporary folder, where someone else could plant files first.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let meta = std::fs::symlink_metadata(dir)?;
        #[cfg(target_os = "linux")]
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        #[cfg(not(target_os = "linux"))]
        let me = meta.uid();
        let open = meta.permissions().mode() & 0o077;
        if !meta.is_dir() || meta.uid() != me || open != 0 {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                format!(
                    "{} is not a private folder of this user (a link, another owner, or open to \
                     others): remove it, or set XDG_CACHE_HOME",
                    dir.display()
                ),
            ));
        }
        Ok(())
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// ladder's cache folder, if this user has one: `$LADDER_CACHE_DIR`, else
/// `$XDG_CACHE_HOME/ladder`, else `~/.cache/ladder` (absolute paths only: a relative one would
/// change with the working folder).
#[must_use]
pub fn cache_dir() -> Option<PathBuf> {
    let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    std::env::var_os("LADDER_CACHE_DIR")
        .and_then(absolute)
        .or_else(|| {
            std::env::var_os("XDG_CACHE_HOME")
                .and_then(absolute)
                .map(|p| p.join("ladder"))
        })
        .or_else(|| {
            std::env::var_os("HOME")
                .and_then(absolute)
                .map(|h| h.join(".cache").join("ladder"))
        })
}

/// The text of the regular file at `path`, refused when it is not one (a device such as
/// `/dev/zero`, a fifo: they may never end) or holds more than `max` bytes.
pub fn read_text_limited(path: &Path, max: u64) -> io::Result<String> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    let mut text = String::new();
    file.take(max + 1)
        .read_to_string(&mut text)
        .map_err(|e| match e.kind() {
            // std's words ("stream did not contain valid UTF-8") name no file a person knows.
            io::ErrorKind::InvalidData => io::Error::new(
                io::ErrorKind::InvalidData,
                "not a text file (it holds binary data)",
            ),
            _ => e,
        })?;
    if text.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("more than {max} bytes"),
        ));
    }
    Ok(text)
}

/// FNV-1a (64 bits) of `bytes`: the same on every build and platform, unlike std's hasher, so
/// the file names and keys made from it stay the same from one run to the next.
#[must_use]
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_private_folder_is_made_closed_and_an_open_or_linked_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let mine = base.path().join("mine");
        private_dir(&mine).unwrap();
        let mode = std::fs::metadata(&mine).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        // Made again: still fine.
        private_dir(&mine).unwrap();

        let open = base.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = private_dir(&open).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("not a private folder"), "{e}");

        let link = base.path().join("link");
        std::os::unix::fs::symlink(&mine, &link).unwrap();
        assert!(private_dir(&link).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn an_atomic_write_keeps_the_file_s_permissions_and_leaves_no_temporary_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("notes.md");
        write_atomic(&f, b"one").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&f, b"two").unwrap();
        assert_eq!(std::fs::read(&f).unwrap(), b"two");
        let mode = std::fs::metadata(&f).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "{left:?}");
        // A folder that is not there: an error, nothing written.
        assert!(write_atomic(&dir.path().join("no/such.md"), b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_private_temporary_folder_is_closed_to_others_and_removed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = private_temp_dir("ladder-test-").unwrap();
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let path = dir.path().to_path_buf();
        drop(dir);
        assert!(!path.exists());
    }

    #[test]
    fn files_are_listed_by_extension_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b.toml", "a.toml", "c.txt"] {
            write_atomic(&dir.path().join(f), b"x").unwrap();
        }
        let got = files_with_extension(dir.path(), "toml").unwrap();
        let names: Vec<_> = got.iter().map(|p| p.file_name().unwrap()).collect();
        assert_eq!(names, ["a.toml", "b.toml"]);
    }
}
