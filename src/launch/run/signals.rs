//! Signal forwarding under `--mask` (Unix): SIGINT, SIGTERM, SIGHUP and SIGQUIT are blocked in
//! every launcher thread and taken by one thread with `sigwait`, which sends them on to the
//! child. The child is reaped only after the forwarder has been told it exited, so a signal can
//! never reach another process that reused its pid.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};

const FORWARDED: [libc::c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The forwarded signals, blocked in the calling thread and every thread it starts later.
pub struct Blocked(libc::sigset_t);

/// Blocks the forwarded signals in the launcher, but not in the program `command` starts.
pub fn block_for(command: &mut Command) -> Blocked {
    unblock_in_child(command);
    block()
}

fn block() -> Blocked {
    // SAFETY: the set is initialised by sigemptyset before any other use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in FORWARDED {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        Blocked(set)
    }
}

/// The child would inherit the blocked mask (`Command` keeps it): clear it between fork and
/// exec, so the program receives these signals as usual.
fn unblock_in_child(command: &mut Command) {
    // SAFETY: the closure only calls sigemptyset and pthread_sigmask, which are
    // async-signal-safe, on a set local to the forked child.
    unsafe {
        command.pre_exec(|| {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            Ok(())
        });
    }
}

/// Waits for the child, forwarding signals meanwhile, and reaps it.
pub fn wait_forwarding(child: &mut Child, blocked: Blocked) -> io::Result<ExitStatus> {
    let pid = child.id() as libc::pid_t;
    let exited = Arc::new(Mutex::new(false));
    let flag = Arc::clone(&exited);
    std::thread::spawn(move || forward(blocked, pid, &flag));
    wait_without_reaping(pid)?;
    *exited.lock().unwrap_or_else(|poison| poison.into_inner()) = true;
    child.wait()
}

fn forward(blocked: Blocked, pid: libc::pid_t, exited: &Mutex<bool>) {
    loop {
        let Some(signal) = next_signal(&blocked.0) else {
            continue;
        };
        let exited = exited.lock().unwrap_or_else(|poison| poison.into_inner());
        if *exited {
            return;
        }
        // SAFETY: kill has no memory preconditions; the pid is our unreaped child.
        unsafe { libc::kill(pid, signal) };
    }
}

/// The next forwarded signal worth passing on. On Linux, a signal the kernel raised for the
/// terminal (Ctrl-C, Ctrl-\, hangup) went to the whole foreground process group, child
/// included, so it is not sent a second time; signals from `kill` and supervisors are.
#[cfg(target_os = "linux")]
fn next_signal(set: &libc::sigset_t) -> Option<libc::c_int> {
    // SAFETY: info is plain data that sigwaitinfo fills in.
    let (signal, info) = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        (libc::sigwaitinfo(set, &mut info), info)
    };
    (signal > 0 && info.si_code != libc::SI_KERNEL).then_some(signal)
}

#[cfg(not(target_os = "linux"))]
fn next_signal(set: &libc::sigset_t) -> Option<libc::c_int> {
    let mut signal = 0;
    // SAFETY: both pointers are to live values.
    let ok = unsafe { libc::sigwait(set, &mut signal) } == 0;
    ok.then_some(signal)
}

/// Blocks until the child has exited, leaving it a zombie (its pid stays reserved).
fn wait_without_reaping(pid: libc::pid_t) -> io::Result<()> {
    loop {
        // SAFETY: info is plain data that waitid fills in.
        let result = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if result == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}
