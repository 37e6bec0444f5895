//! The terminal app in a real terminal (a pseudo-terminal made by util-linux `script`): a
//! signal from outside ends it by the quit path, so the terminal's modes are restored.
#![cfg(target_os = "linux")]

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The process whose command line contains `marker`, read from /proc.
fn pid_with(marker: &str) -> Option<i32> {
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(Result::ok)
        .find_map(|p| {
            let cmdline = std::fs::read(p.path().join("cmdline")).ok()?;
            let args: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
            let is_ladder = args.first()?.ends_with(b"ladder");
            let has = args.contains(&marker.as_bytes());
            (is_ladder && has)
                .then(|| p.file_name().to_str()?.parse().ok())
                .flatten()
        })
}

/// The terminal modes of process `pid`'s standard input, as `stty -a` says them.
fn modes_of(pid: i32) -> Option<String> {
    let tty = std::fs::read_link(format!("/proc/{pid}/fd/0")).ok()?;
    let out = Command::new("stty")
        .arg("-a")
        .arg("-F")
        .arg(&tty)
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn raw(modes: &str) -> bool {
    modes.split_whitespace().any(|w| w == "-icanon")
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_mins(1),
            "gave up waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whatever happens, the terminal does not outlive the test (it holds the test's stderr).
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ends_by_the_quit_path_on(signal: i32, dir: &Path) {
    let marker = dir.join(format!("notes-{signal}.md"));
    let status = dir.join(format!("status-{signal}"));
    let after = dir.join(format!("after-{signal}"));
    // The shell in the terminal runs the app, then says how it ended and the modes it left.
    let inner = format!(
        "stty cols 100 rows 30; '{}' --n 200 --d 16 --notes '{}'; echo $? > '{}'; stty -a > '{}'",
        env!("CARGO_BIN_EXE_ladder"),
        marker.display(),
        status.display(),
        after.display()
    );
    let mut script = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("this test needs util-linux `script` for a terminal");
    // The terminal's side: what the app draws, and the one answer it waits for (where the
    // cursor is); the keyboard stays open and untouched.
    let mut keys = script.stdin.take().unwrap();
    let mut screen = script.stdout.take().unwrap();
    let mut script = Kill(script);
    let terminal = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(got @ 1..) = screen.read(&mut buf) {
            seen.extend_from_slice(&buf[..got]);
            while let Some(at) = seen.windows(4).position(|w| w == b"\x1b[6n") {
                seen.drain(..at + 4);
                let _ = keys.write_all(b"\x1b[1;1R");
                let _ = keys.flush();
            }
            let keep = seen.len().saturating_sub(3);
            seen.drain(..keep);
        }
    });
    let marker = marker.display().to_string();
    let mut pid = None;
    wait_until("the app to start", || {
        pid = pid_with(&marker);
        pid.is_some()
    });
    let pid = pid.unwrap();
    wait_until("the app to take the terminal", || {
        modes_of(pid).is_some_and(|m| raw(&m))
    });
    // SAFETY: kill(2) on the app this test started; it touches no memory of ours.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0);
    wait_until("the app and its shell to end", || {
        script.0.try_wait().unwrap().is_some()
    });
    terminal.join().unwrap();
    let code = std::fs::read_to_string(&status).expect("the shell went on after the app");
    assert_eq!(code.trim(), (128 + signal).to_string(), "signal {signal}");
    let modes = std::fs::read_to_string(&after).unwrap();
    assert!(
        !raw(&modes),
        "signal {signal} left the terminal raw: {modes}"
    );
    for mode in ["icanon", "echo", "isig"] {
        assert!(
            modes.split_whitespace().any(|w| w == mode),
            "signal {signal}: {mode} not restored: {modes}"
        );
    }
}

#[test]
fn sigterm_and_sighup_end_the_app_with_the_terminal_restored() {
    let dir = tempfile::tempdir().unwrap();
    ends_by_the_quit_path_on(libc::SIGTERM, dir.path());
    ends_by_the_quit_path_on(libc::SIGHUP, dir.path());
}
