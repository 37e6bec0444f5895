//! The peers shipped in the binary, written out to a cache folder named by their content, so
//! the binary needs nothing beside it and a first-use build (Cython's) is paid once.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::spec::{PeerError, PeerSpec, load_dir};

/// The peers shipped with the app: (file name, contents), written to a temporary folder when
/// used, so the binary needs nothing beside it.
const SHIPPED: &[(&str, &str)] = &[
    (
        "_harness.py",
        include_str!("../../assets/peers/_harness.py"),
    ),
    (
        "10_python_naive.toml",
        include_str!("../../assets/peers/10_python_naive.toml"),
    ),
    (
        "20_python_algorithm.toml",
        include_str!("../../assets/peers/20_python_algorithm.toml"),
    ),
    (
        "30_python_builtins.toml",
        include_str!("../../assets/peers/30_python_builtins.toml"),
    ),
    (
        "pure_python.py",
        include_str!("../../assets/peers/pure_python.py"),
    ),
    (
        "40_numpy.toml",
        include_str!("../../assets/peers/40_numpy.toml"),
    ),
    (
        "numpy_peer.py",
        include_str!("../../assets/peers/numpy_peer.py"),
    ),
    (
        "55_cython.toml",
        include_str!("../../assets/peers/55_cython.toml"),
    ),
    (
        "cython_peer.py",
        include_str!("../../assets/peers/cython_peer.py"),
    ),
    (
        "cython_kernel.pyx",
        include_str!("../../assets/peers/cython_kernel.pyx"),
    ),
    (
        "60_numba.toml",
        include_str!("../../assets/peers/60_numba.toml"),
    ),
    (
        "numba_peer.py",
        include_str!("../../assets/peers/numba_peer.py"),
    ),
    (
        "70_pyo3.toml",
        include_str!("../../assets/peers/70_pyo3.toml"),
    ),
    (
        "pyo3_peer.py",
        include_str!("../../assets/peers/pyo3_peer.py"),
    ),
    (
        "80_faiss_flat.toml",
        include_str!("../../assets/peers/80_faiss_flat.toml"),
    ),
    (
        "85_faiss_hnsw.toml",
        include_str!("../../assets/peers/85_faiss_hnsw.toml"),
    ),
    (
        "faiss_peer.py",
        include_str!("../../assets/peers/faiss_peer.py"),
    ),
    (
        "90_hnswlib.toml",
        include_str!("../../assets/peers/90_hnswlib.toml"),
    ),
    (
        "hnswlib_peer.py",
        include_str!("../../assets/peers/hnswlib_peer.py"),
    ),
];

/// Where files shipped in the binary may be written, best first: ladder's cache folder
/// ([`crate::fsio::cache_dir`]), then a private folder of this user's in the temporary
/// folder; in each, a folder named `KIND-HASH` by their content. Runs of the same version share
/// it, so a first-use build (Cython's) is paid once, not by every process. Each comes with the
/// folder that must be private before anything is written or imported from it (the shared
/// temporary folder's).
fn unpack_dirs(kind: &str, files: &[(&str, &str)]) -> Vec<(PathBuf, Option<PathBuf>)> {
    let h = crate::fsio::fnv1a(
        files
            .iter()
            .flat_map(|(name, text)| name.bytes().chain([0]).chain(text.bytes()).chain([0])),
    );
    let leaf = format!("{kind}-{h:016x}");
    let mut dirs: Vec<(PathBuf, Option<PathBuf>)> = crate::fsio::cache_dir()
        .into_iter()
        .map(|base| (base.join(&leaf), None))
        .collect();
    let private = std::env::temp_dir().join(format!("ladder-{}", user_tag()));
    dirs.push((private.join(&leaf), Some(private)));
    dirs
}

/// Names this user's folder in the shared temporary folder.
fn user_tag() -> String {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        uid.to_string()
    }
    #[cfg(not(target_os = "linux"))]
    std::env::var("USER").unwrap_or_else(|_| "user".into())
}

/// Writes `files` into `dir`, only those that differ.
fn write_files(dir: &Path, files: &[(&str, &str)]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in files {
        let file = dir.join(name);
        // Another ladder may be reading it: replace it whole, and only when it differs.
        if std::fs::read_to_string(&file).ok().as_deref() != Some(*text) {
            crate::fsio::write_atomic(&file, text.as_bytes())?;
        }
    }
    Ok(())
}

/// Writes files shipped in the binary (`(name, text)` pairs) to a cache folder of their own
/// (see [`unpack_dirs`]) and returns it. For programs the binary runs: the peers, the lab's
/// harness.
pub fn unpack(kind: &str, files: &[(&str, &str)]) -> Result<PathBuf, PeerError> {
    let mut last = None;
    for (path, private) in unpack_dirs(kind, files) {
        let written = match &private {
            Some(p) => crate::fsio::private_dir(p).and_then(|()| write_files(&path, files)),
            None => write_files(&path, files),
        };
        match written {
            Ok(()) => return Ok(path),
            Err(error) => last = Some(PeerError::Io { path, error }),
        }
    }
    Err(last.expect("at least the temporary folder was tried"))
}

/// The shipped peers, written out once per process (see [`unpack`]).
pub fn shipped() -> Result<Vec<PeerSpec>, PeerError> {
    static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut dir = DIR
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if dir.is_none() {
        *dir = Some(unpack("peers", SHIPPED)?);
    }
    load_dir(dir.as_ref().expect("set above"))
}
