//! Keeps secrets out of crash artefacts: no core dump of the launcher while it holds secrets
//! (Linux: `PR_SET_DUMPABLE`, which also bars same-user ptrace; every Unix: `RLIMIT_CORE`),
//! with the program's own core limit given back to it.

/// The core-file limit the launcher found, to hand back to the program it starts.
pub struct CoreLimit {
    #[cfg(unix)]
    saved: Option<libc::rlimit>,
}

/// Turns core dumps off for this process; returns what to restore for the child.
pub fn disable_core_dumps() -> CoreLimit {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_DUMPABLE takes a plain integer argument.
    unsafe {
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    CoreLimit::disable()
}

#[cfg(unix)]
impl CoreLimit {
    fn disable() -> CoreLimit {
        let mut saved = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: both calls get a pointer to a live rlimit.
        let saved = unsafe {
            if libc::getrlimit(libc::RLIMIT_CORE, &mut saved) != 0 {
                return CoreLimit { saved: None };
            }
            let off = libc::rlimit {
                rlim_cur: 0,
                rlim_max: saved.rlim_max,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &off);
            saved
        };
        CoreLimit { saved: Some(saved) }
    }

    /// Gives the original limit back (the child inherits it), right before exec or spawn.
    pub fn restore(&self) {
        if let Some(saved) = &self.saved {
            // SAFETY: a pointer to a live rlimit.
            unsafe { libc::setrlimit(libc::RLIMIT_CORE, saved) };
        }
    }

    /// Gives the original limit to the child only, in the forked child before exec, so the
    /// launcher that keeps running (`--mask`) never holds secrets with core dumps on, not even
    /// while it spawns.
    pub fn restore_in_child(&self, command: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        let Some(saved) = self.saved else { return };
        // SAFETY: the closure only calls setrlimit, which is async-signal-safe, with a copy of
        // a plain struct.
        unsafe {
            command.pre_exec(move || {
                libc::setrlimit(libc::RLIMIT_CORE, &saved);
                Ok(())
            });
        }
    }
}

#[cfg(not(unix))]
impl CoreLimit {
    fn disable() -> CoreLimit {
        CoreLimit {}
    }
    pub fn restore(&self) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn core_limit_is_off_then_restored() {
        let limit = CoreLimit::disable();
        let mut now = libc::rlimit {
            rlim_cur: 1,
            rlim_max: 1,
        };
        unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut now) };
        assert_eq!(now.rlim_cur, 0);
        limit.restore();
        unsafe { libc::getrlimit(libc::RLIMIT_CORE, &mut now) };
        assert_eq!(now.rlim_cur, limit.saved.unwrap().rlim_cur);
    }
}
