//! Reports: the only module that writes to stdout (or to `-o FILE`). Reporters turn a finished,
//! sorted `Summary` into bytes; they never scan. A broken pipe ends output quietly.

// The home of stdout (clippy.toml disallows the print macros elsewhere).
#![allow(clippy::disallowed_macros)]

pub(crate) mod human;
pub(crate) mod json;
pub(crate) mod junit;
pub(crate) mod merge;
pub(crate) mod rules;
pub(crate) mod sarif;

use crate::finding::Finding;
use crate::rules::RuleSet;
use serde::Serialize;
use std::io::{self, Write};
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Sarif,
    Junit,
}

#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct Stats {
    pub files: u64,
    pub blobs: u64,
    pub commits: u64,
    pub bytes: u64,
    pub elapsed_ms: u64,
    pub errors: u64,
    /// Findings dropped by the project configuration (`.keyward.yaml`).
    pub allowed: u64,
    /// Findings hidden by the baseline.
    pub baselined: u64,
    /// Files (or blob versions) over `--max-file-size`, not scanned.
    #[serde(default)]
    pub skipped: u64,
    /// Findings beyond the cap per file and rule (`CAP_PER_FILE_RULE`), counted, not listed.
    #[serde(default)]
    pub capped: u64,
}

/// An input the run could not see: an unreadable file, object, ref or tree (an error), or a
/// file over `--max-file-size` (skipped; an error unless `--skip-large-files`).
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub path: String,
    pub message: String,
    #[serde(skip)]
    pub skipped: bool,
    /// Whether it counts as an error (exit code 2).
    pub error: bool,
}

/// Everything a reporter needs: findings in report order and the run's counters.
#[derive(Debug, Default)]
pub struct Summary {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// Lines for the human report's footer (e.g. "history is cut: shallow clone").
    pub notes: Vec<String>,
    /// Baseline entries that matched no finding of this run.
    pub stale_baseline: Vec<crate::finding::BaselineEntry>,
    /// What the run could not see (first 10,000), in the order met.
    pub problems: Vec<Problem>,
    /// "and N more" lines: (path, rule, how many findings past the cap).
    pub capped: Vec<(String, String, u64)>,
}

pub struct ReportOptions {
    pub format: Format,
    pub show_secrets: bool,
    pub color: bool,
    pub output: Option<PathBuf>,
    pub quiet: bool,
    pub verbose: bool,
}

/// The secret as a report shows it: redacted unless the user opted in, or unless it is a
/// code check's public evidence (a path, a file mode).
pub fn shown_secret(finding: &Finding, show: bool) -> String {
    if show || crate::detect::catalog::evidence_is_public(&finding.rule) {
        String::from_utf8_lossy(finding.secret.expose()).into_owned()
    } else {
        finding.secret.redacted()
    }
}

/// Writes the report to stdout or the output file.
pub fn write(summary: &Summary, rules: &RuleSet, opts: &ReportOptions) -> anyhow::Result<()> {
    use anyhow::Context;
    let result = match &opts.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("failed to create report file {}", path.display()))?;
            let mut out = io::BufWriter::new(file);
            render(&mut out, summary, rules, opts).and_then(|_| out.flush())
        }
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            render(&mut out, summary, rules, opts).and_then(|_| out.flush())
        }
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("failed to write the report"),
    }
}

fn render(
    out: &mut dyn Write,
    summary: &Summary,
    rules: &RuleSet,
    opts: &ReportOptions,
) -> io::Result<()> {
    match opts.format {
        Format::Human => human::render(out, summary, opts),
        Format::Json => json::render(out, summary, opts),
        Format::Jsonl => json::render_lines(out, summary, opts),
        Format::Sarif => sarif::render(out, summary, rules, opts),
        Format::Junit => junit::render(out, summary, opts),
    }
}

/// Text to stdout for commands other than scans (`rules list`, `hook install`).
pub fn print_text(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
