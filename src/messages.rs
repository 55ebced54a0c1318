//! Diagnostics on stderr: per-file problems (`path: error`), notes, and the error chain of a
//! failed run. Counts the per-file errors so the run can end with exit code 2.
//! Never writes to stdout and never receives secret values.

// The home of diagnostics (clippy.toml disallows the print macros elsewhere).
#![allow(clippy::disallowed_macros)]

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

static ERRORS: AtomicU64 = AtomicU64::new(0);
static SKIPPED: AtomicU64 = AtomicU64::new(0);
static QUIET: AtomicBool = AtomicBool::new(false);
/// `--skip-large-files`: a file over `--max-file-size` is a note, not an error.
static SKIP_LARGE_OK: AtomicBool = AtomicBool::new(false);
static RECORDED: Mutex<Vec<Recorded>> = Mutex::new(Vec::new());
/// How many problems are kept for the report (all are counted): a tree of a million
/// unreadable files must not hold a million messages.
const KEEP: usize = 10_000;

/// One input the run could not see, kept for the report (`stats.errors`, SARIF
/// `toolExecutionNotifications`, JUnit errors).
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The file, object, ref or tree, as the report names it.
    pub path: String,
    pub message: String,
    /// Skipped for its size (`--max-file-size`), not unreadable.
    pub skipped: bool,
    /// Counted as an error (exit 2): every unreadable input; a skipped file unless
    /// `--skip-large-files`.
    pub error: bool,
}

pub fn set_skip_large_files(ok: bool) {
    SKIP_LARGE_OK.store(ok, Ordering::Relaxed);
}

fn record(path: &str, message: String, skipped: bool, error: bool) {
    let mut all = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
    if all.len() < KEEP {
        all.push(Recorded {
            path: path.to_string(),
            message,
            skipped,
            error,
        });
    }
}

/// The problems recorded so far (up to 10,000), emptied.
pub fn take_recorded() -> Vec<Recorded> {
    std::mem::take(&mut *RECORDED.lock().unwrap_or_else(|e| e.into_inner()))
}

/// A file (or a blob's path) over `--max-file-size`: not scanned. An error (exit 2) unless
/// `--skip-large-files`, when it is a note that `-q` silences; in the report either way.
pub fn skipped_large(path: &str, size: u64) {
    let ok = SKIP_LARGE_OK.load(Ordering::Relaxed);
    SKIPPED.fetch_add(1, Ordering::Relaxed);
    let message = format!("skipped: {size} bytes is over --max-file-size");
    record(path, message.clone(), true, !ok);
    if ok {
        note(format!("{}: {message}", crate::sanitize::escape(path)));
    } else {
        ERRORS.fetch_add(1, Ordering::Relaxed);
        let _ = writeln!(
            std::io::stderr().lock(),
            "{}: {message} (raise --max-file-size, or pass --skip-large-files to accept)",
            crate::sanitize::escape(path)
        );
    }
}

pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A problem with one input (unreadable file, bad blob): reported, counted, the scan goes on.
pub fn file_error(path: &str, err: impl std::fmt::Display) {
    ERRORS.fetch_add(1, Ordering::Relaxed);
    record(path, err.to_string(), false, true);
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

pub fn skipped_count() -> u64 {
    SKIPPED.load(Ordering::Relaxed)
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
