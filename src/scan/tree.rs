//! The tree scan driver (files on disk and stdin): wires the source to the detector across worker threads, gathers
//! findings and counters into a `Summary`, and decides the exit code. It neither matches nor
//! prints.

use super::treefacts;
use crate::config::Config;
use crate::detect::hygiene::{self, Scope};
use crate::detect::{Detector, Scratch};
use crate::finding::{sort_findings, Finding};
use crate::messages;
use crate::report::Summary;
use crate::rules::RuleSet;
use crate::source::{self, tree, Content};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The `--known-secrets` files, recognised by name first so that only a file with the same name
/// costs a `canonicalize`.
struct KnownSources {
    names: Vec<std::ffi::OsString>,
    paths: Vec<PathBuf>,
}

impl KnownSources {
    fn new(files: &[PathBuf]) -> Self {
        let paths: Vec<PathBuf> = files.iter().filter_map(|f| f.canonicalize().ok()).collect();
        let names = paths
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_os_string()))
            .collect();
        KnownSources { names, paths }
    }

    fn is_source(&self, path: &Path) -> bool {
        path.file_name()
            .is_some_and(|n| self.names.iter().any(|k| k == n))
            && path
                .canonicalize()
                .is_ok_and(|canonical| self.paths.contains(&canonical))
    }
}

#[derive(Default)]
pub struct Counters {
    files: AtomicU64,
    bytes: AtomicU64,
    /// (path, rule, findings past the cap per file and rule).
    capped: Mutex<Vec<(String, String, u64)>>,
}

impl Counters {
    /// Records the findings the detector counted but did not list for the buffer at `path`.
    pub fn note_capped(&self, path: &str, scratch: &mut Scratch) {
        let capped = scratch.take_capped();
        if !capped.is_empty() {
            let mut all = self.capped.lock().unwrap();
            all.extend(capped.into_iter().map(|(r, n)| (path.to_string(), r, n)));
        }
    }

    /// Moves the "and N more" records into `summary`.
    pub fn move_capped_to(&self, summary: &mut Summary) {
        summary.capped = std::mem::take(&mut *self.capped.lock().unwrap());
    }
}

/// Scans files on disk (and `-`, stdin) and returns the finished summary.
pub fn scan_paths(cfg: &Config, rules: &RuleSet, paths: &[PathBuf], no_ignore: bool) -> Summary {
    let started = Instant::now();
    let detector = Detector::new(rules, cfg.prefilter)
        .with_cap(cfg.findings_cap)
        .with_known(cfg.known.as_deref());
    // The env files the known values come from hold them, trivially: not reported there.
    let plain = Detector::new(rules, cfg.prefilter).with_cap(cfg.findings_cap);
    let sources = KnownSources::new(&cfg.known_files);
    let found = Mutex::new(Vec::new());
    let counters = Counters::default();
    let opts = tree::TreeOptions {
        no_ignore,
        threads: cfg.threads,
    };
    let several = paths.len() > 1;
    for root in paths {
        if root.as_os_str() == "-" {
            scan_stdin(&detector, &found, &counters);
            continue;
        }
        if let Err(err) = root.symlink_metadata() {
            messages::file_error(&root.display().to_string(), err);
            continue;
        }
        // A FIFO, socket or device named on the command line: said, never silently skipped
        // (and never opened: a FIFO would block).
        if root.metadata().is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            messages::file_error(
                &root.display().to_string(),
                "not a regular file or a directory (a FIFO, socket or device); not read",
            );
            continue;
        }
        let prefix = tree::report_prefix(root, several);
        let env_files = Mutex::new(Vec::new());
        tree::walk(root, &opts, Worker::default, |worker, entry| {
            if hygiene::is_env_file(&entry.rel) {
                env_files.lock().unwrap().push(entry.rel.clone());
            }
            let rel = tree::report_path(&prefix, entry.rel);
            let detector = match sources.is_source(&entry.abs) {
                true => &plain,
                false => &detector,
            };
            scan_file(
                detector,
                &entry.abs,
                &rel,
                cfg.max_file_size,
                worker,
                &found,
                &counters,
            );
        });
        let env_files = env_files.into_inner().unwrap();
        found
            .lock()
            .unwrap()
            .extend(tree_hygiene(root, &prefix, &env_files));
    }
    let mut summary = Summary {
        findings: found.into_inner().unwrap(),
        ..Summary::default()
    };
    counters.move_capped_to(&mut summary);
    summary.stats.files = counters.files.into_inner();
    summary.stats.bytes = counters.bytes.into_inner();
    finish(&mut summary, rules, started);
    summary
}

/// The checks on the tree as a whole (env file permissions, `.gitignore` coverage), once per
/// directory root; paths are prefixed like the root's other findings.
fn tree_hygiene(root: &Path, prefix: &tree::Prefix, env_files: &[String]) -> Vec<Finding> {
    if !root.is_dir() {
        return Vec::new();
    }
    let facts = treefacts::gather(root, env_files, hygiene::is_env_file);
    let mut findings = hygiene::check_tree(&facts);
    for f in &mut findings {
        let path = tree::report_path(prefix, f.path.clone());
        if path != f.path {
            hygiene::relocate(f, path);
        }
    }
    findings
}

/// A tree-walk thread's reusable state: the detector's scratch and the file buffer.
#[derive(Default)]
struct Worker {
    scratch: Scratch,
    buf: Vec<u8>,
}

fn scan_file(
    detector: &Detector,
    abs: &Path,
    rel: &str,
    max: u64,
    worker: &mut Worker,
    found: &Mutex<Vec<Finding>>,
    counters: &Counters,
) {
    match tree::read(abs, max, std::mem::take(&mut worker.buf)) {
        Ok(Content::Text(data)) => {
            counters.files.fetch_add(1, Ordering::Relaxed);
            counters
                .bytes
                .fetch_add(data.len() as u64, Ordering::Relaxed);
            let findings = detector.text_blob(rel, &data, &mut worker.scratch, Scope::All);
            counters.note_capped(rel, &mut worker.scratch);
            if !findings.is_empty() {
                found.lock().unwrap().extend(findings);
            }
            worker.buf = data;
        }
        Ok(Content::Binary(data)) => {
            let findings = detector.binary_blob(rel, Some(&data));
            if !findings.is_empty() {
                found.lock().unwrap().extend(findings);
            }
            worker.buf = data;
        }
        Ok(Content::TooLarge(len)) => messages::skipped_large(rel, len),
        Err(err) => messages::file_error(rel, err),
    }
}

fn scan_stdin(detector: &Detector, found: &Mutex<Vec<Finding>>, counters: &Counters) {
    match source::stdin::read_all() {
        Ok(data) => {
            counters.files.fetch_add(1, Ordering::Relaxed);
            counters
                .bytes
                .fetch_add(data.len() as u64, Ordering::Relaxed);
            let mut scratch = Scratch::default();
            let findings = detector.text_blob("-", &data, &mut scratch, Scope::All);
            counters.note_capped("-", &mut scratch);
            found.lock().unwrap().extend(findings);
        }
        Err(err) => messages::file_error("-", err),
    }
}

/// Sorts the findings, reports the rules whose regex failed (each counts as an error), and
/// records the counters.
pub fn finish(summary: &mut Summary, rules: &RuleSet, started: Instant) {
    for err in rules.regex_errors() {
        messages::file_error(&err.file, &err.message);
    }
    sort_findings(&mut summary.findings);
    summary.capped.sort();
    summary.stats.capped = summary.capped.iter().map(|c| c.2).sum();
    summary.stats.elapsed_ms = started.elapsed().as_millis() as u64;
    summary.stats.errors = messages::error_count();
    summary.stats.skipped = messages::skipped_count();
    summary.problems = messages::take_recorded()
        .into_iter()
        .map(|r| crate::report::Problem {
            path: r.path,
            message: r.message,
            skipped: r.skipped,
            error: r.error,
        })
        .collect();
}

/// 2 if any input could not be read, else 1 if a finding is at or above `--fail-on`, else 0.
pub fn exit_code(summary: &Summary, cfg: &Config) -> ExitCode {
    if summary.stats.errors > 0 {
        ExitCode::from(2)
    } else if summary.findings.iter().any(|f| f.severity >= cfg.fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
