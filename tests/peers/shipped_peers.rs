//! The shipped peers: their files, their answers at any scale, their profiles, their
//! processes and threads.

use super::*;

#[test]
fn every_shipped_peer_file_loads_with_a_unique_id() {
    let peers = shipped().expect("shipped peers load");
    let ids: Vec<&str> = peers.iter().map(|p| p.id.as_str()).collect();
    for want in [
        "py-naive",
        "py-algorithm",
        "py-builtins",
        "numpy",
        "numba",
        "faiss-flat",
    ] {
        assert!(ids.contains(&want), "{ids:?}");
    }
    // The pure-Python peers need nothing installed, so they run wherever Python does.
    let r = runner(24, Duration::from_secs(30));
    for p in peers.iter().filter(|p| p.id.starts_with("py-")) {
        let peer = Peer::new(p.clone());
        assert!(p.availability().0.is_none(), "{}", p.id);
        let rep = run(&peer, &r);
        assert!(
            rep.verified(),
            "{}: {:?} {:?}",
            p.id,
            rep.status,
            rep.verification
        );
    }
}

/// Rows whose float32 norm under- or overflows, by scale; a peer must normalise them as well
/// as rows of scale 1.
fn awkward_scale_runner(scale: &dyn Fn(usize) -> f32) -> Runner {
    use std::sync::Arc;
    let base = ladder::workload::generate(Distribution::Normal, 30, 24, 8).unwrap();
    let rows: Vec<Vec<f32>> = (0..base.n())
        .map(|i| base.row(i).iter().map(|&v| v * scale(i)).collect())
        .collect();
    let w = ladder::workload::Workload::from_matrix(
        ladder::workload::Source::Generated(Distribution::Normal),
        8,
        ladder::workload::Matrix::from_rows(&rows).unwrap(),
    );
    Runner::new(
        Arc::new(w),
        Arc::new(common::machine()),
        ladder::run::RunConfig {
            budget: Duration::from_mins(1),
            threads: 2,
            ..ladder::run::RunConfig::default()
        },
    )
}

#[test]
fn shipped_peers_that_normalise_are_right_at_any_finite_scale() {
    let scales: [(&str, &dyn Fn(usize) -> f32); 4] = [
        ("1e-40", &|_| 1e-40),
        ("1e-30", &|_| 1e-30),
        ("3e19", &|_| 3e19),
        ("1e-25 and 1e15", &|i| if i % 2 == 0 { 1e-25 } else { 1e15 }),
    ];
    let peers: Vec<Peer> = shipped()
        .unwrap()
        .into_iter()
        .filter(|p| ["py-algorithm", "numpy", "faiss-flat"].contains(&p.id.as_str()))
        .filter(|p| p.availability().0.is_none())
        .map(Peer::new)
        .collect();
    assert!(
        !peers.is_empty(),
        "the pure-Python peers run wherever Python does"
    );
    for (what, scale) in scales {
        let r = awkward_scale_runner(scale);
        for peer in &peers {
            let rep = run(peer, &r);
            assert!(
                rep.verified(),
                "{} on rows of scale {what}: {:?} {:?}",
                peer.info().id,
                rep.status,
                rep.verification
            );
        }
    }
}

#[test]
fn python_peers_get_flamegraphs_through_py_spy_when_it_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("py.svg");
    let run = assert_cmd::Command::cargo_bin("ladder")
        .unwrap()
        .args([
            "flame",
            "--peer",
            "py-builtins",
            "--n",
            "400",
            "--d",
            "32",
            "-o",
        ])
        .arg(&out)
        .output()
        .unwrap();
    if ladder::peers::which("py-spy").is_some() {
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(
            svg.contains("pure_python.py") && svg.contains("py-spy"),
            "no Python frames"
        );
    } else {
        assert!(!run.status.success());
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(err.contains("pip install py-spy"), "{err}");
    }
    // A peer that is not a Python program is refused with the reason.
    let e = assert_cmd::Command::cargo_bin("ladder")
        .unwrap()
        .args(["flame", "--peer", "nosuch"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&e.stderr).contains("unknown peer 'nosuch'"));
}

#[test]
fn a_peers_texts_are_made_static_once_however_often_they_are_asked_for() {
    let spec = shipped().unwrap().remove(0);
    let (a, b) = (Peer::new(spec.clone()).info(), Peer::new(spec).info());
    assert!(std::ptr::eq(a.id, b.id) && std::ptr::eq(a.why, b.why));
}

/// Ctrl-C in the middle of a headless run: the exit skips destructors, yet the peer's group is
/// killed and the run's temporary folders are removed.
#[cfg(target_os = "linux")]
#[test]
fn an_interrupted_run_leaves_no_peer_and_no_temporary_folder() {
    let dir = tempfile::tempdir().unwrap();
    let _ = peer_file(dir.path(), "hang-int", "hang", "");
    let tmp = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args([
            "run", "--rungs", "none", "--n", "20", "--d", "12", "--peers",
        ])
        .arg(dir.path())
        .env("TMPDIR", tmp.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Mid-run: the peer's kernel has started its child.
    let waited = Instant::now();
    while !marker_running(dir.path()) {
        assert!(
            waited.elapsed() < Duration::from_mins(1),
            "the peer never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let folders = || -> Vec<_> {
        std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect()
    };
    assert!(!folders().is_empty(), "the run made no temporary folder");
    // SAFETY: kill(2) on the child this test started; it touches no memory of ours.
    let sent = unsafe { libc::kill(child.id().cast_signed(), libc::SIGINT) };
    assert_eq!(sent, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + libc::SIGINT), "{status}");
    // The group was sent SIGKILL; on a loaded machine its end shows a moment later.
    let killed = Instant::now();
    while marker_running(dir.path()) && killed.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !marker_running(dir.path()),
        "the peer's child is still running"
    );
    assert_eq!(folders(), Vec::<std::ffi::OsString>::new());
}

/// --threads holds for every numerical library a peer may use, whatever the user's
/// environment says.
#[test]
fn a_peer_s_thread_variables_follow_threads_not_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let _ = peer_file(dir.path(), "env", "env", "");
    let mut run = assert_cmd::Command::cargo_bin("ladder").unwrap();
    run.args([
        "run",
        "--rungs",
        "none",
        "--n",
        "20",
        "--d",
        "12",
        "--threads",
        "3",
    ])
    .arg("--peers")
    .arg(dir.path());
    for v in [
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "MKL_NUM_THREADS",
        "NUMBA_NUM_THREADS",
    ] {
        run.env(v, "7");
    }
    run.assert().success();
    let seen = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    assert_eq!(
        seen,
        "OMP_NUM_THREADS=3 OPENBLAS_NUM_THREADS=3 MKL_NUM_THREADS=3 NUMBA_NUM_THREADS=3"
    );
}
