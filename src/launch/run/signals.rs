//! Signal forwarding under `--mask` (Unix), where the launcher stays the program's parent: every
//! signal a process manager or gunicorn sends (HUP INT QUIT TERM USR1 USR2 TTIN TTOU WINCH
//! CONT ALRM, and TSTP) is blocked in every launcher thread and taken by one thread with
//! `sigwait`, which sends it on to the child. Job control: on SIGTSTP the child is told, then
//! the launcher stops itself (SIGSTOP); the SIGCONT that wakes it is passed on, so the child
//! goes on too. SIGTTIN and SIGTTOU never stop the launcher (they are forwarded: gunicorn adds
//! and removes workers on them). The child is reaped only after the forwarder has been told it
//! exited, so a signal can never reach another process that reused its pid; and on Linux the
//! child gets SIGKILL if the launcher dies (`PR_SET_PDEATHSIG`), so it is never left orphaned
//! with nobody reading its output.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus};
use std::sync::{Arc, Mutex};

const FORWARDED: [libc::c_int; 12] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGWINCH,
    libc::SIGCONT,
    libc::SIGALRM,
    libc::SIGTSTP,
];

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
/// On Linux the child also asks for SIGKILL when the launcher dies, and kills itself at once
/// if the launcher is already gone (its parent is no longer the launcher).
fn unblock_in_child(command: &mut Command) {
    // SAFETY: getpid has no preconditions.
    let launcher = unsafe { libc::getpid() };
    // SAFETY: the closure only calls sigemptyset, pthread_sigmask, prctl, getppid and raise,
    // which are async-signal-safe, on a set local to the forked child.
    unsafe {
        command.pre_exec(move || {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            #[cfg(target_os = "linux")]
            {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                if libc::getppid() != launcher {
                    libc::raise(libc::SIGKILL);
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = launcher;
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
        let Some((signal, from_terminal)) = next_signal(&blocked.0) else {
            continue;
        };
        let exited = exited.lock().unwrap_or_else(|poison| poison.into_inner());
        if *exited {
            return;
        }
        if !from_terminal {
            // SAFETY: kill has no memory preconditions; the pid is our unreaped child.
            unsafe { libc::kill(pid, signal) };
        }
        drop(exited);
        if signal == libc::SIGTSTP {
            // The child has been told (by us, or by the terminal); now the launcher stops
            // too, as a shell expects of a job. SIGCONT wakes it and is passed on.
            // SAFETY: raise has no memory preconditions.
            unsafe { libc::raise(libc::SIGSTOP) };
        }
    }
}

/// The next forwarded signal, and whether the terminal raised it. On Linux, a signal the
/// kernel raised for the terminal (Ctrl-C, Ctrl-\, Ctrl-Z, hangup) went to the whole
/// foreground process group, child included, so it is not sent a second time; signals from
/// `kill` and supervisors are.
#[cfg(target_os = "linux")]
fn next_signal(set: &libc::sigset_t) -> Option<(libc::c_int, bool)> {
    // SAFETY: info is plain data that sigwaitinfo fills in.
    let (signal, info) = unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        (libc::sigwaitinfo(set, &mut info), info)
    };
    (signal > 0).then_some((signal, info.si_code == libc::SI_KERNEL))
}

#[cfg(not(target_os = "linux"))]
fn next_signal(set: &libc::sigset_t) -> Option<(libc::c_int, bool)> {
    let mut signal = 0;
    // SAFETY: both pointers are to live values.
    let ok = unsafe { libc::sigwait(set, &mut signal) } == 0;
    ok.then_some((signal, false))
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
