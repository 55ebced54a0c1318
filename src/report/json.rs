//! `--format json` (one document, the DESIGN contract) and `--format jsonl` (one finding per
//! line, then one line per input that could not be read: `{"kind": "error", "path",
//! "message"}`).

use super::{shown_secret, Problem, ReportOptions, Summary};
use crate::finding::Finding;
use serde_json::{json, Value};
use std::io::{self, Write};

pub fn finding_value(f: &Finding, show_secrets: bool) -> Value {
    json!({
        "rule": f.rule,
        "title": f.title,
        "kind": f.kind.as_str(),
        "severity": f.severity.as_str(),
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "commit": f.commit,
        "secret": shown_secret(f, show_secrets),
        "fingerprint": f.fingerprint,
        "remediation": f.remediation,
    })
}

/// The document is written finding by finding (never built whole in memory), with the
/// inputs the run could not see: `errors` (each counted in `stats.errors`), `skipped` (files
/// over `--max-file-size`) and `capped` (findings past the cap per file and rule).
pub fn render(out: &mut dyn Write, summary: &Summary, opts: &ReportOptions) -> io::Result<()> {
    let tool = json!({"name": "keyward", "version": env!("CARGO_PKG_VERSION")});
    write!(out, "{{\n  \"tool\": {tool},\n  \"findings\": [")?;
    for (i, f) in summary.findings.iter().enumerate() {
        let sep = if i == 0 { "\n    " } else { ",\n    " };
        write!(out, "{sep}")?;
        serde_json::to_writer(&mut *out, &finding_value(f, opts.show_secrets))?;
    }
    let close = if summary.findings.is_empty() {
        "]"
    } else {
        "\n  ]"
    };
    write!(out, "{close},\n  \"stats\": ")?;
    serde_json::to_writer(&mut *out, &summary.stats)?;
    let errors: Vec<&Problem> = summary.problems.iter().filter(|p| p.error).collect();
    let skipped: Vec<&Problem> = summary.problems.iter().filter(|p| p.skipped).collect();
    let capped: Vec<Value> = summary
        .capped
        .iter()
        .map(|(path, rule, more)| json!({"path": path, "rule": rule, "more": more}))
        .collect();
    write!(out, ",\n  \"errors\": ")?;
    serde_json::to_writer(&mut *out, &errors)?;
    write!(out, ",\n  \"skipped\": ")?;
    serde_json::to_writer(&mut *out, &skipped)?;
    write!(out, ",\n  \"capped\": ")?;
    serde_json::to_writer(&mut *out, &capped)?;
    write!(out, ",\n  \"stale_baseline\": ")?;
    serde_json::to_writer(&mut *out, &summary.stale_baseline)?;
    writeln!(out, "\n}}")
}

pub fn render_lines(
    out: &mut dyn Write,
    summary: &Summary,
    opts: &ReportOptions,
) -> io::Result<()> {
    for f in &summary.findings {
        serde_json::to_writer(&mut *out, &finding_value(f, opts.show_secrets))?;
        writeln!(out)?;
    }
    // What could not be read is part of the result: a consumer that reads only the findings
    // must not take a partial scan for a clean one.
    for p in summary.problems.iter().filter(|p| p.error) {
        let line = json!({"kind": "error", "path": p.path, "message": p.message});
        serde_json::to_writer(&mut *out, &line)?;
        writeln!(out)?;
    }
    Ok(())
}
