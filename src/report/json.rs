//! `--format json` (one document, the DESIGN contract) and `--format jsonl` (one finding per
//! line).

use super::{shown_secret, ReportOptions, Summary};
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

pub fn render(out: &mut dyn Write, summary: &Summary, opts: &ReportOptions) -> io::Result<()> {
    let findings: Vec<Value> = summary
        .findings
        .iter()
        .map(|f| finding_value(f, opts.show_secrets))
        .collect();
    let doc = json!({
        "tool": {"name": "keyward", "version": env!("CARGO_PKG_VERSION")},
        "findings": findings,
        "stats": summary.stats,
        "stale_baseline": summary.stale_baseline,
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
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
    Ok(())
}
