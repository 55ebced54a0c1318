//! Diagnostics on stderr: per-file problems (`path: error`), notes, and the error chain of a
//! failed run. Counts the per-file errors so the run can end with exit code 2.
//! Never writes to stdout and never receives secret values.

// The home of diagnostics (clippy.toml disallows the print macros elsewhere).
#![allow(clippy::disallowed_macros)]

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static ERRORS: AtomicU64 = AtomicU64::new(0);
static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A problem with one input (unreadable file, bad blob): reported, counted, the scan goes on.
pub fn file_error(path: &str, err: impl std::fmt::Display) {
    ERRORS.fetch_add(1, Ordering::Relaxed);
    let _ = writeln!(
        std::io::stderr().lock(),
        "{}: {}",
        crate::sanitize::escape(path),
        err
    );
}

/// Something the user should know that is not an error (a skipped large file, a shallow
/// clone). Silenced by `-q`.
pub fn note(msg: impl std::fmt::Display) {
    if !QUIET.load(Ordering::Relaxed) {
        let _ = writeln!(std::io::stderr().lock(), "keyward: {msg}");
    }
}

pub fn error_count() -> u64 {
    ERRORS.load(Ordering::Relaxed)
}

pub fn error_chain(err: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "keyward: error: {err}");
    for cause in err.chain().skip(1) {
        let _ = write!(stderr, ": {cause}");
    }
    let _ = writeln!(stderr);
}
