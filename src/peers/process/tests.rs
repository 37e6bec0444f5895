use super::*;

/// `sh -c script` with a minute for each limit.
fn sh<'a>(script: impl Into<String>, mark: &'a Path, cancel: Option<&'a AtomicBool>) -> Call<'a> {
    Call {
        args: vec!["sh".into(), "-c".into(), script.into()],
        env: vec![],
        limits: Limits {
            kernel: Duration::from_mins(1),
            setup: Duration::from_mins(1),
            mark,
            memory: None,
        },
        cancel,
        lines: None,
    }
}

#[test]
fn the_hang_limit_counts_from_the_kernel_s_start() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("kernel-started");
    let limits = Limits {
        kernel: Duration::from_secs(7),
        setup: Duration::from_mins(2),
        mark: &mark,
        memory: None,
    };
    let s = Duration::from_secs;
    let mut seen = None;
    // No mark yet: set-up and kernel together.
    assert_eq!(limits.deadline(&mut seen, s(30)), s(127));
    std::fs::write(&mark, "").unwrap();
    // Seen at 40 s: seven seconds from there, however long the set-up was.
    assert_eq!(limits.deadline(&mut seen, s(40)), s(47));
    assert_eq!(limits.deadline(&mut seen, s(45)), s(47));
    assert_eq!(seen, Some(s(40)));
}

/// A program runs in a session of its own: no controlling terminal, so nothing it runs can
/// write over the app's screen through /dev/tty.
#[cfg(target_os = "linux")]
#[test]
fn a_program_has_no_terminal_of_ours() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    // Its session is its own process (the sixth field of /proc/PID/stat); /dev/tty cannot be
    // opened.
    let call = sh(
        "cut -d' ' -f6 /proc/$$/stat; echo $$; (: > /dev/tty) 2>/dev/null && echo tty || echo no-tty",
        &mark,
        None,
    );
    let f = run(&call).unwrap();
    let lines: Vec<&str> = f.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", f.stdout);
    assert_eq!(lines[0], lines[1], "the session is its own: {}", f.stdout);
    assert_eq!(lines[2], "no-tty");
}

#[cfg(unix)]
#[test]
fn a_failing_program_ends_with_its_code_and_its_last_words() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let call = sh("echo out; echo one >&2; echo two >&2; exit 3", &mark, None);
    let f = run(&call).unwrap();
    assert!(!f.ended.success);
    assert_eq!(f.ended.code, "exit status 3");
    assert_eq!(f.stdout, "out\n");
    assert_eq!(f.stderr_tail(3), "one / two");
}

#[cfg(unix)]
#[test]
fn a_program_printing_megabytes_is_kept_to_its_ends_and_bad_bytes_do_not_lose_it() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let call = sh(
        "printf 'start\\377\\n'; head -c 5000000 /dev/zero | tr '\\0' x; printf '\\nlast line\\n'",
        &mark,
        None,
    );
    let f = run(&call).unwrap();
    assert!(
        f.stdout.starts_with("start\u{fffd}\n"),
        "{:?}",
        &f.stdout[..20]
    );
    assert!(f.stdout.ends_with("\nlast line\n"));
    assert!(f.stdout.contains("bytes not kept"));
    assert!(f.stdout.len() < 3 * KEEP, "{}", f.stdout.len());
}

/// Whether process `pid` lives (a zombie is dead), from /proc.
#[cfg(target_os = "linux")]
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{}/stat", pid.trim()))
        .ok()
        .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
        .unwrap_or(false)
}

/// Waits up to five seconds for `pid` to die (a kill is delivered, not instant).
#[cfg(target_os = "linux")]
fn dies(pid: &str) -> bool {
    let waited = Instant::now();
    while alive(pid) && waited.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    !alive(pid)
}

#[cfg(target_os = "linux")]
#[test]
fn what_a_program_leaves_running_neither_outlives_it_nor_holds_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let pid_file = dir.path().join("left");
    // The background sleep keeps standard output open after sh exits.
    let script = format!("sleep 30 & echo $! > {}; echo hi", pid_file.display());
    let f = run(&sh(script, &mark, None)).unwrap();
    assert!(f.ended.success);
    assert_eq!(f.stdout, "hi\n");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(dies(&pid), "the leftover {} outlived the call", pid.trim());
}

/// A leftover that left the program's process group (so the group's kill misses it) and
/// holds its output open: the call ends without waiting for it.
#[cfg(target_os = "linux")]
#[test]
fn a_leftover_outside_the_group_holding_the_output_does_not_hold_the_call() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let pid_file = dir.path().join("left");
    // The leftover writes its pid only once it has left the group (setsid done), and the
    // program waits for that: else, on a busy machine, the group's kill could reach it
    // before it left, and the test would check nothing.
    let script = format!(
        "setsid sh -c 'echo $$ > {p}.tmp; mv {p}.tmp {p}; exec sleep 300' & \
         while [ ! -s {p} ]; do sleep 0.01; done; echo hi",
        p = pid_file.display()
    );
    let f = run(&sh(script, &mark, None)).unwrap();
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    // Still running, so its pipe was still open: the call did not wait for its end.
    let held = alive(&pid);
    if let Ok(p) = pid.trim().parse::<i32>() {
        // SAFETY: kill(2) on the leftover this test made.
        unsafe {
            libc::kill(p, libc::SIGKILL);
        }
    }
    assert!(held, "the leftover {} never ran or ended early", pid.trim());
    assert!(f.ended.success);
    assert_eq!(f.stdout, "hi\n");
}

/// Holds 200 MB while its child, the size of `sleep`, runs half a second.
#[cfg(target_os = "linux")]
const BIG_PARENT: &str =
    "b = b'x' * (200 << 20); import subprocess; subprocess.run(['sleep', '0.5'])";

#[cfg(target_os = "linux")]
#[test]
fn a_program_s_memory_counts_its_children_and_a_wrapper_s_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let python = |wrapped: bool| {
        let call = Call {
            args: vec!["python3".into(), "-c".into(), BIG_PARENT.into()],
            ..sh("", &mark, None)
        };
        let f = if wrapped {
            run_wrapped(&call)
        } else {
            run(&call)
        }
        .unwrap();
        assert!(f.ended.success, "{}", f.stderr);
        f.ended.peak_rss
    };
    // The program: its own 200 MB.
    assert!(python(false) >= 200 << 20);
    // A wrapper (as py-spy around a peer): only the program it started, here `sleep`.
    let under = python(true);
    assert!(
        under > 0 && under < 100 << 20,
        "the wrapper was counted: {under}"
    );
    // A program whose memory is in a child (sh running python): the child counts.
    let f = run(&sh(
        format!("python3 -c \"{BIG_PARENT}\"; true"),
        &mark,
        None,
    ))
    .unwrap();
    assert!(f.ended.success, "{}", f.stderr);
    assert!(f.ended.peak_rss >= 200 << 20, "{}", f.ended.peak_rss);
}

#[cfg(target_os = "linux")]
#[test]
fn a_cancelled_program_is_killed_with_its_children() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let pid_file = dir.path().join("child");
    let cancel = AtomicBool::new(false);
    let script = format!("sleep 30 & echo $! > {}; wait", pid_file.display());
    let call = Call {
        args: vec!["sh".into(), "-c".into(), script],
        env: vec![],
        limits: Limits {
            kernel: Duration::from_mins(1),
            setup: Duration::from_mins(1),
            mark: &mark,
            memory: None,
        },
        cancel: Some(&cancel),
        lines: None,
    };
    let result = std::thread::scope(|s| {
        let running = s.spawn(|| run(&call));
        // Cancel once the child has started its own child.
        let waited = Instant::now();
        while !pid_file.exists() && waited.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        cancel.store(true, Ordering::Relaxed);
        running.join().unwrap()
    });
    assert_eq!(result.unwrap_err(), "cancelled");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    // Killed with its group: gone, or a zombie until whoever adopted it reaps it.
    assert!(dies(&pid), "the grandchild {} survived", pid.trim());
}

#[cfg(target_os = "linux")]
#[test]
fn each_line_is_told_as_it_comes_with_the_memory_at_that_moment() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = Arc::clone(&seen);
    // 100 MiB touched between the two lines: the second line's memory is that much higher.
    let script = "import sys, time\nprint('one', flush=True); time.sleep(0.2)\n\
                  b = bytearray(100 << 20)\nprint('two', flush=True); time.sleep(0.2)";
    let call = Call {
        args: vec!["python3".into(), "-c".into(), script.into()],
        lines: Some(LineSink(Arc::new(move |l: &str, rss| {
            into.lock().unwrap().push((l.to_string(), rss));
        }))),
        ..sh("", &mark, None)
    };
    let f = run(&call).unwrap();
    assert!(f.ended.success, "{}", f.stderr);
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["one", "two"]
    );
    assert!(seen[1].1 > seen[0].1 + (90 << 20), "{seen:?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_program_that_takes_more_memory_than_it_may_is_killed_and_told() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let mut call = sh(
        "python3 -c 'x = bytearray(400 << 20); import time; time.sleep(60)'",
        &mark,
        None,
    );
    call.limits.memory = Some(100 << 20);
    let started = Instant::now();
    let why = run(&call).unwrap_err();
    assert!(why.contains("more than the 100.0 MiB it may"), "{why}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "killed at once, not at the hang limit"
    );
}

#[test]
fn a_program_s_escape_codes_are_kept_visible_never_sent_to_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().join("mark");
    let call = sh(
        r"printf 'debug \033[2J\033[31mRED\033[0m\r\n10%%\r20%%\n\ttab\n' >&2",
        &mark,
        None,
    );
    let f = run(&call).unwrap();
    assert_eq!(f.stderr, "debug ^[[2J^[[31mRED^[[0m\n10%\n20%\n\ttab\n");
}
