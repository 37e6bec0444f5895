//! Bad arguments, sizes, inputs and outputs: exit 2 with a reason, before any work.

use predicates::prelude::*;
use tempfile::TempDir;

use super::ladder;

#[test]
fn a_repeat_out_of_range_is_refused_with_the_range() {
    for bad in ["0", "101", "-3", "two"] {
        ladder()
            .args(["run", "--repeat", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "repeat must be a whole number from 1 to 100",
            ));
    }
}

#[test]
fn bad_arguments_exit_2_with_a_reason() {
    // The lab's app climbs at lab.toml's size: a size for it is sent where sizes go.
    ladder()
        .args(["lab", "--n", "400"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ladder lab check --n N --d D"));
    ladder()
        .args(["run", "--frequency", "0", "--profile"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "frequency (Hz) must be a whole number from 1 to 1000, not '0'",
        ));
    ladder()
        .args(["run", "--rungs", "naive,turbo"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown rung 'turbo'"))
        .stderr(predicate::str::contains("naive, algorithmic"));
    ladder()
        .args(["run", "--format", "xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "invalid value 'xml' for '--format",
        ))
        .stderr(predicate::str::contains(
            "possible values: table, json, csv, markdown",
        ));
    ladder()
        .args(["run", "--n", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "n must be a whole number from 1 to",
        ));
    ladder()
        .args(["run", "--budget", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "the budget must be seconds, more than 0 and at most 3600",
        ));
    ladder()
        .args(["run", "--data", "uniform"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "possible values: normal, clustered",
        ));
}

/// One bad invocation of each class: exit 2 and one line that says what is wrong, never a
/// panic, an abort or a hang.
#[test]
fn every_class_of_bad_argument_exits_2_with_one_line() {
    let cases: &[(&[&str], &str)] = &[
        (&["run", "--budget", "nan"], "more than 0 and at most 3600"),
        (&["run", "--budget", "-1"], "more than 0 and at most 3600"),
        (&["run", "--budget", "1e20"], "more than 0 and at most 3600"),
        (
            &["flame", "--rung", "naive", "--budget", "inf"],
            "more than 0 and at most 3600",
        ),
        (&["bench", "--budget", "0"], "more than 0 and at most 3600"),
        (
            &["run", "--threads", "0"],
            "threads must be a whole number from 1",
        ),
        (
            &["run", "--threads", "100000"],
            "threads must be a whole number from 1",
        ),
        (&["run", "--k", "0"], "k must be a whole number from 1"),
        (
            &["run", "--d", "99999999999"],
            "d must be a whole number from 1",
        ),
        (&["bench", "--rungs", "none"], "name at least one rung"),
        (&["flame", "--rung", "none"], "name at least one rung"),
        (&["scale", "--n", "0"], "is not a size from 1"),
        (
            &["run", "--rungs", "topk", "--n", "90000000", "--d", "100000"],
            "vectors of dimension 100000 need",
        ),
        (
            &["worker", "--n", "1000", "--d", "8", "--rows", "3:50"],
            "on multiples of",
        ),
        (
            &["lab", "check", ".", "--budget", "nan"],
            "more than 0 and at most 3600",
        ),
        (&["--budget", "nan"], "more than 0 and at most 3600"),
        (
            &["run", "--threads", "1e9"],
            "threads must be a whole number from 1",
        ),
        (
            &["flame", "--rung", "naive", "--k", "0"],
            "k must be a whole number from 1",
        ),
        (&["scale", "--rungs", "none"], "name at least one rung"),
        (
            &["run", "--rungs", "ann", "--n", "90000000", "--d", "100000"],
            "vectors of dimension 100000 need",
        ),
        (
            &[
                "flame", "--rung", "topk", "--n", "90000000", "--d", "100000",
            ],
            "vectors of dimension 100000 need",
        ),
        (&["scale", "--n", "200000000"], "is not a size from 1"),
        (
            &["scale", "--d", "99999999999"],
            "d must be a whole number from 1",
        ),
        (
            &[
                "scale", "--rungs", "topk", "--n", "90000000", "--d", "100000",
            ],
            "vectors of dimension 100000 need",
        ),
        (
            &["run", "--format", "xml"],
            "invalid value 'xml' for '--format",
        ),
        (
            &["bench", "--format", "csv"],
            "invalid value 'csv' for '--format",
        ),
        (
            &["flame", "--rung", "naive", "--format", "png"],
            "invalid value 'png' for '--format",
        ),
        (
            &["run", "--data", "uniform"],
            "invalid value 'uniform' for '--data",
        ),
        (&["--theme", "neon"], "invalid value 'neon' for '--theme"),
        (
            &["run", "--repeat", "0"],
            "repeat must be a whole number from 1 to 100",
        ),
        (
            &["bench", "--repeat", "1000"],
            "repeat must be a whole number from 1 to 100",
        ),
        (
            &["--repeat", "0"],
            "repeat must be a whole number from 1 to 100",
        ),
        (&["run", "--name", "  "], "1 to 40 printable characters"),
        (
            &["lab", "check", "--name", ""],
            "1 to 40 printable characters",
        ),
        (&["learn", "--name", "a\tb"], "1 to 40 printable characters"),
        (&["learn", "--show", "bytecode/99"], "its steps are intro, "),
        (
            &["learn", "--show", "bytecode/0"],
            "(or their numbers, 1 to ",
        ),
        (&["learn", "--show", "99/1"], "(or their numbers, 1 to "),
        (
            &["learn", "--show", "nope/1"],
            "the lessons are profile-first, ",
        ),
        (&["run", "--rungs", "nope"], "leak-fixed, ann (or all"),
        // An option that would be ignored is refused, not dropped.
        (
            &["run", "--frequency", "5000", "--profile"],
            "frequency (Hz) must be a whole number from 1 to 1000, not '5000'",
        ),
        (
            &["run", "--frequency", "500"],
            "--frequency sets the profiler's rate",
        ),
        (
            &["flame", "--rung", "naive", "--runs", "5"],
            "required arguments were not provided",
        ),
        (
            &["flame", "--rung", "leaky", "--memory", "--frequency", "99"],
            "cannot be used with",
        ),
        (
            &["flame", "--peer", "numpy", "--memory"],
            "cannot be used with",
        ),
        (
            &["flame", "--peer", "numpy", "--format", "pprof"],
            "written as SVG or folded stacks",
        ),
        (&["flame", "--rung", "all"], "--rung takes one rung"),
        (
            &["flame", "--diff", "naive,naive"],
            "--diff compares two different rungs",
        ),
        (
            &["lab", "notes", ".", "--format", "json"],
            "lab notes writes Markdown only",
        ),
        (
            &["lab", "notes", ".", "--record"],
            "belong to `ladder lab check`",
        ),
        (
            &["run", "--input", "vectors.npy", "--data", "clustered"],
            "--data applies to generated data only",
        ),
        (
            &["run", "--input", "vectors.npy", "--seed", "3"],
            "--seed applies to generated data only",
        ),
        (&["scale", "--n", "100,50,100"], "--n names 100 twice"),
        (
            &["class", ".", "-o", "no-such-folder/class.html"],
            "the folder no-such-folder does not exist",
        ),
        (
            &["class", ".", "-o", "Cargo.toml/class.html"],
            "Cargo.toml is a file, not a folder",
        ),
    ];
    // A peer file whose module name is code, not a name.
    let peers = TempDir::new().unwrap();
    std::fs::write(
        peers.path().join("p.toml"),
        "format_version = 1\nid = \"p\"\ntitle = \"t\"\nstep = \"baseline\"\n\
         output = \"full\"\nwhat_changed = \"w\"\nwhy = \"y\"\ncommand = [\"x\"]\n\
         [needs]\nmodules = [\"os; os.system('x')\"]\n",
    )
    .unwrap();
    let peer_dir = peers.path().to_str().unwrap();
    let with_peers: &[(&[&str], &str)] = &[
        (&["peers", "--dir", peer_dir], "not a Python module name"),
        (
            &["run", "--rungs", "none", "--peers", peer_dir],
            "not a Python module name",
        ),
    ];
    for (args, want) in cases.iter().chain(with_peers) {
        let out = ladder().args(*args).write_stdin("").output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        // What is wrong is said once, on one line (progress may come before it, and clap
        // adds its hints below).
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{args:?}: {err}");
        assert!(errors[0].contains(want), "{args:?}: {err} (want {want})");
    }
}

#[test]
fn a_size_that_cannot_fit_is_refused_before_any_work() {
    ladder()
        .args(["run", "--n", "10000000"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("n = 10000000 needs"))
        .stderr(predicate::str::contains("smaller --n"));
}

#[test]
fn a_bad_input_file_is_named_with_its_problem() {
    let dir = TempDir::new().unwrap();
    let bad = dir.path().join("vectors.npy");
    std::fs::write(&bad, b"\x93NUMPY\x01\x00\x10\x00{'descr': '<i4',").unwrap();
    ladder()
        .args(["run", "--input"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("vectors.npy"))
        .stderr(predicate::str::contains("error:"))
        .stderr(predicate::str::contains("panicked").not());
    // A file that is not there is said once.
    let out = ladder()
        .args(["run", "--input"])
        .arg(dir.path().join("nope.npy"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.matches("no such file").count(), 1, "{err}");
}

#[test]
fn zero_vectors_in_a_file_warn_and_still_verify() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("z.fvecs");
    let mut bytes = Vec::new();
    for i in 0..20 {
        bytes.extend(4i32.to_le_bytes());
        for k in 0..4 {
            let v = if i == 3 {
                0.0f32
            } else {
                (i * 4 + k) as f32 - 30.0
            };
            bytes.extend(v.to_le_bytes());
        }
    }
    std::fs::write(&path, bytes).unwrap();
    ladder()
        .args(["run", "--format", "json", "--input"])
        .arg(&path)
        .assert()
        .success()
        .stderr(predicate::str::contains("1 zero vector(s) (rows 3)"))
        .stdout(predicate::str::contains("\"zero_rows\": 1"));
}

#[test]
fn an_output_that_would_replace_an_input_or_cannot_be_written_is_refused_before_any_work() {
    let dir = TempDir::new().unwrap();
    let run = dir.path().join("run.json");
    ladder()
        .args([
            "run", "--n", "40", "--d", "8", "--budget", "1", "--rungs", "naive",
        ])
        .args(["--format", "json", "-o"])
        .arg(&run)
        .assert()
        .success();
    let before = std::fs::read_to_string(&run).unwrap();
    ladder()
        .arg("report")
        .arg(&run)
        .arg("-o")
        .arg(&run)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("would replace it"));
    assert_eq!(std::fs::read_to_string(&run).unwrap(), before);
    let same = dir.path().join("same.html");
    for (args, want) in [
        (
            vec![
                "--format",
                "json",
                "-o",
                same.to_str().unwrap(),
                "--report",
                same.to_str().unwrap(),
            ],
            "is also read or written by this command",
        ),
        (vec!["--report", "no-such-folder/r.html"], "does not exist"),
        (vec!["--report", "r.pdf"], "must end in .html"),
        (vec!["-o", dir.path().to_str().unwrap()], "is a folder"),
    ] {
        ladder()
            .current_dir(dir.path())
            .args(["run", "--n", "40", "--d", "8", "--budget", "1"])
            .args(&args)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(predicate::str::contains(want));
    }
    assert!(!same.exists());

    // The other commands that write files check them first too: a name that says what it
    // holds, a folder that exists, two outputs that are two files, never a student's own file.
    let lab_toml = dir.path().join("lab.toml");
    std::fs::write(&lab_toml, "format_version = 1\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["flame", "--rung", "naive", "-o", "x.png"],
            ".png is no format of a flamegraph's: .svg (the picture), .folded or .txt",
        ),
        (
            &[
                "flame", "--rung", "naive", "--format", "pprof", "-o", "x.svg",
            ],
            "must end in .pb or .pprof",
        ),
        (
            &["flame", "--rung", "naive", "-o", "nodir/x.svg"],
            "does not exist",
        ),
        (&["flame", "--rung", "naive", "-o", "."], "is a folder"),
        (
            &["scale", "--n", "100,200", "-o", "s.svg", "--plot", "s.svg"],
            "is also read or written by this command",
        ),
        (
            &["scale", "--n", "100,200", "--plot", "s.png"],
            "must end in .svg",
        ),
        (&["learn", "--export", "lab.toml"], "must end in .json"),
        (
            &["run", "--rungs", "naive", "-o", "r.json"],
            "add --format json",
        ),
        (
            &["run", "--format", "csv", "-o", "r.md"],
            "add --format markdown",
        ),
        (&["learn", "--export", "."], "is a folder"),
    ];
    for (args, want) in cases {
        ladder()
            .current_dir(dir.path())
            .env("LADDER_PROGRESS", dir.path().join("progress.json"))
            .args(*args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(*want));
    }
    assert_eq!(
        std::fs::read_to_string(&lab_toml).unwrap(),
        "format_version = 1\n"
    );
    for f in [
        "x.png",
        "x.svg",
        "s.svg",
        "s.png",
        "progress.json",
        "r.json",
        "r.md",
    ] {
        assert!(!dir.path().join(f).exists(), "{f} was written");
    }
}

#[test]
fn an_n_larger_than_the_input_file_is_refused_not_cut() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("three.npy");
    // Three float32 vectors of dimension 2.
    let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }";
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    let pad = 64 - (10 + header.len() + 1) % 64;
    let len = (header.len() + pad + 1) as u16;
    bytes.extend_from_slice(&len.to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend(std::iter::repeat_n(b' ', pad));
    bytes.push(b'\n');
    for v in [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0] {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(&file, bytes).unwrap();
    ladder()
        .args(["run", "--rungs", "naive", "--n", "5", "--input"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--n 5:"))
        .stderr(predicate::str::contains("holds only 3 vectors"));
    // Fewer rows than the file holds are the first n, as --help says.
    ladder()
        .args(["run", "--rungs", "naive", "--n", "2", "--input"])
        .arg(&file)
        .assert()
        .success();
}

#[test]
fn a_closed_pipe_never_makes_a_panic() {
    // `ladder ... 2>&1 | head -1`: the reader goes before the writing is done. A run's
    // progress goes to standard error, a listing to standard output; neither may panic (the
    // exit status 101 and no message at all).
    let bin = assert_cmd::cargo::cargo_bin("ladder");
    for (args, err_closed) in [
        (&["learn", "--list"][..], false),
        (
            &["run", "--rungs", "naive,algorithmic", "--n", "300"][..],
            true,
        ),
    ] {
        let mut child = std::process::Command::new(&bin)
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Both ends closed at once: whichever the command writes to is a closed pipe.
        drop(child.stdout.take());
        if err_closed {
            drop(child.stderr.take());
        }
        let status = child.wait().unwrap();
        assert_ne!(status.code(), Some(101), "{args:?} panicked");
    }
}
