//! Peers, programs outside the process: the protocol with tiny peers written for the test
//! (correct, wrong, crashing, hanging, printing garbage, missing a module), and the shipped
//! peer files. Needs `python3` on PATH (CI has it).

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use ladder::peers::{Peer, load_dir, parse_peer, shipped};
use ladder::run::{CancelToken, RunStatus, Runner};
use ladder::rungs::Rung;
use ladder::workload::Distribution;

/// A peer in pure Python that follows the protocol, or breaks it as MODE says.
const TEST_PEER: &str = r#"
import json, math, os, struct, subprocess, sys, time, array
args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
mode = args["--mode"]
start, end = (int(v) for v in args["--rows"].split(":"))
data = open(args["--input"], "rb").read()
hl = struct.unpack("<H", data[8:10])[0]
shape = data[10:10 + hl].decode().split("'shape': (")[1].split(")")[0]
n, d = (int(v) for v in shape.split(",") if v.strip())
flat = array.array("f"); flat.frombytes(data[10 + hl:])
X = [flat[i * d:(i + 1) * d].tolist() for i in range(n)]
def unit(u):
    s = math.sqrt(sum(v * v for v in u))
    return [v / s for v in u] if s else [0.0] * len(u)
U = [unit(x) for x in X]
def save(path, code, descr, rows, cols, vals):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }" % (descr, rows, cols)
    h += " " * ((-(10 + len(h) + 1)) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h.encode())
        f.write(array.array(code, vals).tobytes())
# Names this test's leftover child: one folder a test, so parallel tests never see each other's.
MARKER = "ladder-test-hang-" + os.path.basename(os.path.dirname(os.path.abspath(__file__)))
# A child that lives, with the marker on its command line (`sleep 300 MARKER` would refuse the
# marker as an interval and exit at once).
LEFTOVER = [sys.executable, "-c", "import time; time.sleep(300)", MARKER]
def leave_a_child():
    subprocess.Popen(LEFTOVER)
    # Tells the test the child is there, so a check that it was killed is not vacuous.
    open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "leftover-started"), "w").close()
if mode == "crash":
    sys.stderr.write("Traceback (most recent call last):\nValueError: the test peer gave up\n")
    sys.exit(3)
if mode == "hang-setup":
    leave_a_child()
    time.sleep(300)
if mode == "slow-setup":
    time.sleep(6)  # a first-use compile on a busy machine
if mode == "env":
    names = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "env.txt"), "w") as f:
        f.write(" ".join("%s=%s" % (v, os.environ.get(v)) for v in names))
if os.environ.get("LADDER_KERNEL_MARK"):
    open(os.environ["LADDER_KERNEL_MARK"], "w").close()
if mode == "hang":
    leave_a_child()
    time.sleep(300)
t = time.perf_counter()
if mode == "slow":
    time.sleep(0.05 * (end - start))
if "--k" in args and int(args["--k"]) > 0:
    k = int(args["--k"])
    idx, sims = [], []
    for i in range(start, end):
        s = sorted(((sum(a * b for a, b in zip(U[i], U[j])), j) for j in range(n) if j != i),
                   key=lambda p: (-p[0], p[1]))[:k]
        idx += [j for _, j in s]; sims += [v for v, _ in s]
    save(args["--output"], "q", "<i8", end - start, k, idx)
    save(args["--sims"], "f", "<f4", end - start, k, sims)
else:
    out = []
    for i in range(start, end):
        out += [0.0 if mode == "wrong" else sum(a * b for a, b in zip(U[i], U[j])) for j in range(n)]
    save(args["--output"], "f", "<f4", end - start, n, out)
if mode == "garbage":
    print("done, I think")
else:
    print(json.dumps({"setup_s": 0.01, "kernel_s": time.perf_counter() - t}))
"#;

fn peer_file(dir: &Path, id: &str, mode: &str, extra: &str) -> Peer {
    std::fs::write(dir.join("peer.py"), TEST_PEER).unwrap();
    let output = if extra.contains("topk") {
        "topk"
    } else {
        "full"
    };
    let text = format!(
        r#"format_version = 1
id = "{id}"
title = "test peer ({mode})"
step = "baseline"
output = "{output}"
command = ["{{python}}", "{{dir}}/peer.py", "--mode", "{mode}", "--input", "{{input}}",
           "--rows", "{{row_start}}:{{row_end}}", "--k", "{{k}}", "--output", "{{output}}",
           "--sims", "{{sims}}"]
what_changed = "a test"
why = "a test"
install = "pip install nothing"
{}
"#,
        extra.replace("topk", "")
    );
    let file = dir.join(format!("{id}.toml"));
    std::fs::write(&file, &text).unwrap();
    Peer::new(parse_peer(&text, &file).unwrap())
}

fn runner(n: usize, budget: Duration) -> Runner {
    common::runner_on(Distribution::Normal, n, 12, 3, budget)
}

fn run(peer: &Peer, r: &Runner) -> ladder::run::RunReport {
    r.run_one(0, peer as &dyn Rung, &|_| {}, &CancelToken::new())
}

fn have_python() -> bool {
    ladder::peers::python().is_some()
}

#[test]
fn a_correct_peer_is_verified_and_timed_like_a_rung() {
    assert!(have_python(), "these tests need python3 on PATH");
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(dir.path(), "good", "ok", "");
    let rep = run(&peer, &runner(40, Duration::from_secs(30)));
    assert_eq!(rep.status, RunStatus::Completed, "{:?}", rep.status);
    assert!(rep.verified(), "{:?}", rep.verification);
    assert_eq!(rep.rows_done, 40);
    let stats = rep.peer.expect("peer stats");
    assert!(stats.calls >= 1 && stats.wall_s > 0.0 && stats.peak_rss_bytes > 0);
    // The interpreter's start is set-up, not kernel.
    assert!(rep.setup_s > 0.0);
    assert!(rep.kernel_s < stats.wall_s);
}

#[test]
fn a_top_k_peer_is_checked_against_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(dir.path(), "good-topk", "ok", "topk");
    let rep = run(&peer, &runner(30, Duration::from_secs(30)));
    assert_eq!(rep.status, RunStatus::Completed, "{:?}", rep.status);
    assert!(rep.verified(), "{:?}", rep.verification);
}

#[test]
fn a_wrong_answer_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(dir.path(), "wrong", "wrong", "");
    let rep = run(&peer, &runner(20, Duration::from_secs(30)));
    assert!(
        rep.is_failure() && !rep.verified(),
        "{:?}",
        rep.verification
    );
}

#[test]
fn a_crash_fails_with_the_end_of_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(dir.path(), "crash", "crash", "");
    let rep = run(&peer, &runner(20, Duration::from_secs(30)));
    match &rep.status {
        RunStatus::Failed(why) => {
            assert!(why.contains("exit status 3"), "{why}");
            assert!(why.contains("the test peer gave up"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert!(rep.is_failure());
}

#[test]
fn a_crash_under_py_spy_is_a_failure_with_its_own_words() {
    // py-spy ends with status 0 whatever the program's was, and says things of its own.
    let Some(exe) = ladder::peers::which("py-spy") else {
        eprintln!("skipped: py-spy is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let spied = tempfile::tempdir().unwrap();
    let mut peer = peer_file(dir.path(), "crash", "crash", "");
    peer.spy = Some(ladder::peers::Spy {
        exe,
        rate: 100,
        dir: spied.path().to_path_buf(),
    });
    let rep = run(&peer, &runner(20, Duration::from_secs(30)));
    match &rep.status {
        RunStatus::Failed(why) => {
            assert!(why.contains("the test peer gave up"), "{why}");
            assert!(!why.contains("py-spy>"), "{why}");
            assert!(!why.contains("without printing its result"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn garbage_instead_of_the_json_line_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(dir.path(), "garbage", "garbage", "");
    let rep = run(&peer, &runner(20, Duration::from_secs(30)));
    match &rep.status {
        RunStatus::Failed(why) => {
            assert!(
                why.contains("JSON") && why.contains("done, I think"),
                "{why}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// Whether the child a hanging test peer started in `dir` is still alive (a zombie is dead),
/// read from /proc: no tool that may be missing, and no test sees another's child.
fn marker_running(dir: &Path) -> bool {
    let marker = format!(
        "ladder-test-hang-{}",
        dir.file_name().unwrap().to_string_lossy()
    );
    let procs = std::fs::read_dir("/proc").expect("these tests read /proc (Linux)");
    procs.filter_map(Result::ok).any(|p| {
        let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'));
        !zombie && String::from_utf8_lossy(&cmdline).contains(&marker)
    })
}

#[test]
fn a_hung_peer_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(dir.path(), "hang", "hang", "");
    let t = Instant::now();
    let rep = run(&peer, &runner(20, Duration::from_millis(100)));
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    match &rep.status {
        RunStatus::Failed(why) => assert!(
            why.contains("its call was still running") && why.contains("killed"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
    assert!(dir.path().join("leftover-started").exists());
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !marker_running(dir.path()),
        "the peer's child is still running"
    );
}

#[test]
fn a_slow_set_up_is_not_taken_for_a_hung_kernel() {
    // Six seconds of set-up (a first compile) against a kernel limit of about five.
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(dir.path(), "slow-setup", "slow-setup", "");
    let rep = run(&peer, &runner(20, Duration::from_millis(100)));
    assert!(rep.verified(), "{:?}", rep.status);
}

#[test]
fn cancelling_kills_the_peer_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(dir.path(), "hang-cancel", "hang-setup", "");
    let r = runner(20, Duration::from_mins(1));
    let cancel = CancelToken::new();
    let c2 = cancel.clone();
    let t = Instant::now();
    // Cancelled once the peer has left its child running, in its set-up.
    let started = dir.path().join("leftover-started");
    let handle = std::thread::spawn(move || {
        let waited = Instant::now();
        while !started.exists() && waited.elapsed() < Duration::from_mins(1) {
            std::thread::sleep(Duration::from_millis(10));
        }
        c2.cancel();
    });
    let rep = r.run_one(0, &peer as &dyn Rung, &|_| {}, &cancel);
    handle.join().unwrap();
    assert!(dir.path().join("leftover-started").exists());
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    // Cancelled by the user: said as such, never as a failure of the peer.
    assert_eq!(rep.status, RunStatus::Cancelled, "{:?}", rep.status);
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        !marker_running(dir.path()),
        "the peer's child is still running"
    );
}

#[test]
fn a_slow_peer_runs_a_prefix_within_its_budget_and_is_extrapolated() {
    let dir = tempfile::tempdir().unwrap();
    // 50 ms a row: 200 rows would take 10 s; the budget allows about one.
    let peer = peer_file(dir.path(), "slow", "slow", "");
    let rep = run(&peer, &runner(200, Duration::from_secs(1)));
    assert_eq!(rep.status, RunStatus::Extrapolated, "{:?}", rep.status);
    assert!(rep.extrapolated && rep.rows_done < 200 && rep.rows_done >= 1);
    assert!(rep.verified(), "{:?}", rep.verification);
    assert!(rep.estimated_s > rep.kernel_s);
}

#[test]
fn a_missing_module_makes_the_peer_unavailable_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let peer = peer_file(
        dir.path(),
        "needs",
        "ok",
        "[needs]\nmodules = [\"no_such_module_for_ladder\"]",
    );
    let why = peer.spec.availability().0.expect("unavailable");
    assert!(
        why.contains("no_such_module_for_ladder") && why.contains("pip install nothing"),
        "{why}"
    );
    let rep = run(&peer, &runner(10, Duration::from_secs(30)));
    assert!(
        matches!(rep.status, RunStatus::Unavailable(_)),
        "{:?}",
        rep.status
    );
    assert!(!rep.is_failure());
}

#[test]
fn bad_peer_files_name_the_file_and_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    let base = r#"format_version = 1
id = "x"
title = "t"
step = "baseline"
output = "full"
what_changed = "w"
why = "y"
"#;
    let cases = [
        (
            format!("{base}command = [\"{{python}}\", \"{{nope}}\"]"),
            "{nope}",
        ),
        (format!("{base}command = []"), "command is empty"),
        (
            base.replace("baseline", "warp") + "command = [\"a\"]",
            "step 'warp'",
        ),
        (
            base.replace("format_version = 1", "format_version = 7") + "command = [\"a\"]",
            "format_version 7",
        ),
        (format!("{base}command = [\"a\"]\ncolour = 3"), "colour"),
        ("id = ".to_string(), "bad.toml"),
        (
            base.replace("id = \"x\"", "id = \"native\"") + "command = [\"a\"]",
            "ladder's own rungs",
        ),
        (
            format!(
                "{base}command = [\"a\"]\n[needs]\nmodules = [\"numpy\", \"os; os.system('x')\"]"
            ),
            "not a Python module name",
        ),
    ];
    for (text, want) in cases {
        let e = parse_peer(&text, &f).unwrap_err().to_string();
        assert!(
            e.contains("bad.toml") && e.contains(want),
            "{e} (want {want})"
        );
    }
    // Two files with one id.
    let one = format!("{base}command = [\"a\"]");
    std::fs::write(dir.path().join("a.toml"), &one).unwrap();
    std::fs::write(dir.path().join("b.toml"), &one).unwrap();
    let e = load_dir(dir.path()).unwrap_err().to_string();
    assert!(e.contains("already used"), "{e}");
}

/// Listing peers (which checks their modules) must run nothing a peer file says but an
/// import of a module name.
#[test]
fn listing_a_peer_folder_runs_no_code_from_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let witness = dir.path().join("ran");
    let text = format!(
        r#"format_version = 1
id = "sneaky"
title = "t"
step = "baseline"
output = "full"
what_changed = "w"
why = "y"
command = ["{{python}}", "x.py"]
[needs]
modules = ['os; open("{}", "w")']
"#,
        witness.display()
    );
    std::fs::write(dir.path().join("p.toml"), text).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ladder"))
        .args(["peers", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a Python module name"), "{err}");
    assert!(!witness.exists(), "listing ran code from a peer file");
}

mod shipped_peers;
