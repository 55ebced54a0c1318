//! Signals and exit status: without `--mask` the program is exec'd, so a signal to the
//! launcher's pid is a signal to the program; with `--mask` the launcher forwards what process
//! managers and gunicorn send (job control included), exits with the program's code, or 128+N
//! for signal N, and never leaves the program running without it.

use super::{launcher, launcher_std, text};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

/// A python3 program that exits 7 on SIGTERM (and 8 on SIGHUP) once it has said "ready".
const TRAPS_SIGTERM: &str = "import signal, sys, time\n\
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))\n\
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(8))\n\
    print('ready', flush=True)\ntime.sleep(30)\nsys.exit(3)";

/// Starts the launcher with `args` and waits until its program printed "ready".
fn start_ready(args: &[&str]) -> Child {
    let (child, line) = start_ready_pid(args);
    assert_eq!(line, "ready\n");
    child
}

fn send(child: &Child, signal: libc::c_int) {
    // SAFETY: kill has no memory preconditions.
    assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
}

#[test]
fn exec_mode_sigterm_reaches_the_program() {
    let mut child = start_ready(&["--", "python3", "-c", TRAPS_SIGTERM]);
    send(&child, libc::SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(7));
}

#[test]
fn mask_mode_forwards_sigterm_and_passes_the_exit_code() {
    let mut child = start_ready(&["--mask", "--", "python3", "-c", TRAPS_SIGTERM]);
    send(&child, libc::SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(7));
}

#[test]
fn mask_mode_forwards_sighup() {
    let mut child = start_ready(&["--mask", "--", "python3", "-c", TRAPS_SIGTERM]);
    send(&child, libc::SIGHUP);
    assert_eq!(child.wait().unwrap().code(), Some(8));
}

#[test]
fn mask_mode_forwarded_signal_that_kills_gives_128_plus_n() {
    let program = "import time\nprint('ready', flush=True)\ntime.sleep(30)";
    for (signal, code) in [
        (libc::SIGTERM, 143),
        (libc::SIGINT, 130),
        (libc::SIGQUIT, 131),
    ] {
        let mut child = start_ready(&[
            "--mask",
            "--",
            "python3",
            "-c",
            &format!("import signal\nsignal.signal({signal}, signal.SIG_DFL)\n{program}"),
        ]);
        send(&child, signal);
        assert_eq!(child.wait().unwrap().code(), Some(code), "signal {signal}");
    }
}

#[test]
fn mask_mode_program_killed_by_a_signal_gives_128_plus_n() {
    let dir = tempfile::tempdir().unwrap();
    for (signal, code) in [("KILL", 137), ("SEGV", 139), ("TERM", 143)] {
        let output = launcher(dir.path())
            .args([
                "--mask",
                "--",
                "sh",
                "-c",
                &format!("echo before; kill -{signal} $$"),
            ])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(code), "SIG{signal}");
        assert_eq!(text(&output.stdout), "before\n");
    }
    launcher(dir.path())
        .args(["--mask", "--", "sh", "-c", "exit 42"])
        .assert()
        .code(42);
}

/// A python3 program that prints the name of each signal it gets, and exits 0 on SIGTERM: what
/// gunicorn's master does with USR1, USR2, TTIN, TTOU and WINCH. It writes with `os.write`:
/// `print` in a handler that interrupts another `print` fails ("reentrant call").
const RECORDS_SIGNALS: &str = "import os, signal, sys, time\n\
    names = ['HUP','USR1','USR2','TTIN','TTOU','WINCH','ALRM','CONT','TSTP']\n\
    def note(n, _):\n    os.write(1, (signal.Signals(n).name + '\\n').encode())\n\
    for name in names:\n    signal.signal(getattr(signal, 'SIG' + name), note)\n\
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n\
    os.write(1, b'ready\\n')\nwhile True: time.sleep(0.05)";

/// Sends `signal` to the launcher and reads the child's next line.
fn expect_recorded(child: &Child, lines: &Receiver<String>, signal: libc::c_int, name: &str) {
    send(child, signal);
    let line = lines
        .recv_timeout(LINE_WAIT)
        .unwrap_or_else(|_| panic!("the program did not record {name} within {LINE_WAIT:?}"));
    assert_eq!(line, name, "after sending {name}");
}

/// How long a recorded line may take: generous, so a loaded machine does not fail the test,
/// and bounded, so a lost signal fails it instead of hanging the suite.
const LINE_WAIT: Duration = Duration::from_secs(20);

/// The program's output lines, read on a thread so that waiting for one can time out.
fn line_channel(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

// regression: under --mask, SIGUSR1/SIGUSR2 killed the launcher (138/140) and orphaned the
// program, and SIGTTIN/SIGTTOU/SIGTSTP stopped the launcher for good.
#[test]
fn mask_mode_forwards_what_gunicorn_and_process_managers_send() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = launcher_std(dir.path())
        .args(["--mask", "--", "python3", "-c", RECORDS_SIGNALS])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = line_channel(&mut child);
    assert_eq!(lines.recv_timeout(LINE_WAIT).unwrap(), "ready");
    for (signal, name) in [
        (libc::SIGUSR1, "SIGUSR1"),
        (libc::SIGUSR2, "SIGUSR2"),
        (libc::SIGTTIN, "SIGTTIN"),
        (libc::SIGTTOU, "SIGTTOU"),
        (libc::SIGWINCH, "SIGWINCH"),
        (libc::SIGALRM, "SIGALRM"),
        (libc::SIGHUP, "SIGHUP"),
        (libc::SIGCONT, "SIGCONT"),
    ] {
        expect_recorded(&child, &lines, signal, name);
    }
    // Job control: the program is told, then the launcher stops itself (maybe before it
    // relayed what the program printed)...
    send(&child, libc::SIGTSTP);
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: status is a live int; the launcher is this test's child.
    let waited = unsafe { libc::waitpid(pid, &mut status, libc::WUNTRACED) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFSTOPPED(status),
        "the launcher did not stop: {status:#x}"
    );
    // ... and SIGCONT wakes it and reaches the program. The kernel discards a stop signal still
    // pending when SIGCONT arrives (signal(7)), so the test waits until the program has taken
    // the forwarded SIGTSTP before it sends SIGCONT: on a loaded machine the program may not
    // have run yet, and the TSTP would be lost by design, not by the launcher.
    let program = only_child(pid);
    wait_until_taken(program, libc::SIGTSTP);
    send(&child, libc::SIGCONT);
    // Python runs pending handlers in signal-number order (CONT 18 before TSTP 20).
    let mut got = Vec::new();
    while got.len() < 2 {
        match lines.recv_timeout(LINE_WAIT) {
            Ok(line) => got.push(line),
            Err(_) => panic!("after the stop the program recorded only {got:?}"),
        }
    }
    got.sort();
    assert_eq!(got, ["SIGCONT", "SIGTSTP"]);
    send(&child, libc::SIGTERM);
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// The one child process of `pid` (the program the launcher started).
fn only_child(pid: libc::pid_t) -> libc::pid_t {
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    let mut ids = children.split_whitespace().map(|c| c.parse().unwrap());
    let first = ids.next().expect("the launcher has started its program");
    assert!(ids.next().is_none(), "one program: {children}");
    first
}

/// Waits (bounded) until `signal` is no longer pending for process `pid`: its handler has
/// taken it.
fn wait_until_taken(pid: libc::pid_t, signal: libc::c_int) {
    let bit = 1u64 << (signal - 1);
    let pending = || {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status
            .lines()
            .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
            .any(|l| u64::from_str_radix(l[7..].trim(), 16).unwrap_or(0) & bit != 0)
    };
    let start = std::time::Instant::now();
    while pending() {
        assert!(
            start.elapsed() < LINE_WAIT,
            "signal {signal} stayed pending"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether `pid` is gone (or a zombie nobody reaped yet).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
    }
}

// regression: a launcher that died left its program running with nobody reading its output.
#[cfg(target_os = "linux")]
#[test]
fn mask_mode_program_does_not_outlive_a_killed_launcher() {
    let program = "import os, time\nprint(os.getpid(), flush=True)\ntime.sleep(60)";
    let mut child = start_ready_pid(&["--mask", "--", "python3", "-c", program]);
    let pid = child.1.trim().to_string();
    assert!(!gone(&pid), "the program is not running");
    send(&child.0, libc::SIGKILL);
    child.0.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !gone(&pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(gone(&pid), "the program outlived the launcher");
}

/// Starts the launcher and gives it with the first line its program printed.
fn start_ready_pid(args: &[&str]) -> (Child, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = launcher_std(dir.path())
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line)
}
