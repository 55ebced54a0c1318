//! Signals and exit status: without `--mask` the program is exec'd, so a signal to the
//! launcher's pid is a signal to the program; with `--mask` the launcher forwards SIGINT,
//! SIGTERM, SIGHUP and SIGQUIT and exits with the program's code, or 128+N for signal N.

use super::{launcher, launcher_std, text};
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

/// A python3 program that exits 7 on SIGTERM (and 8 on SIGHUP) once it has said "ready".
const TRAPS_SIGTERM: &str = "import signal, sys, time\n\
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))\n\
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(8))\n\
    print('ready', flush=True)\ntime.sleep(30)\nsys.exit(3)";

/// Starts the launcher with `args` and waits until its program printed "ready".
fn start_ready(args: &[&str]) -> Child {
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
