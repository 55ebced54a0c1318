//! What Rust's runtime start does that the launcher relies on, done by hand: `keyward-run`
//! starts at C's `main` (`#![no_main]`), because the runtime's start also reads and parses
//! `/proc/self/maps` and sets up a signal stack to report stack overflows: about 100 000
//! instructions and 17 system calls, a tenth of what the launcher's start cost before
//! (`docs/keyward-run.md`, "Start-up"). A stack overflow is then a plain SIGSEGV. Kept: standard
//! descriptors that are closed are opened on `/dev/null` (so a file the launcher opens never
//! becomes the program's stdout), and `SIGPIPE` is ignored (a closed pipe is an error to
//! report, not a silent death; `run::environ` and `Command` give the program the default back).
//! A panic still ends the process with the runtime's exit code, 101.

/// The exit code of a panic, as Rust's runtime reports it.
pub const PANIC: u8 = 101;

/// Call first thing in `main`.
pub fn prepare_process() {
    #[cfg(unix)]
    // SAFETY: `poll` is given a live array of three `pollfd`; `open` a C string literal;
    // `signal` the standard handler constant.
    unsafe {
        let mut fds = [0, 1, 2].map(|fd| libc::pollfd {
            fd,
            events: 0,
            revents: 0,
        });
        let closed = if libc::poll(fds.as_mut_ptr(), 3, 0) >= 0 {
            fds.map(|fd| fd.revents & libc::POLLNVAL != 0)
        } else {
            [0, 1, 2].map(|fd| {
                libc::fcntl(fd, libc::F_GETFD) == -1
                    && std::io::Error::last_os_error().raw_os_error() == Some(libc::EBADF)
            })
        };
        // `open` takes the lowest free descriptor: the closed ones, in order.
        for _ in closed.into_iter().filter(|&closed| closed) {
            if libc::open(c"/dev/null".as_ptr(), libc::O_RDWR, 0) == -1 {
                libc::abort();
            }
        }
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}
