//! `keyward report merge`: one report from the per-repository reports of a sweep. Reads
//! keyward's own `--format jsonl` (or `json`) output, keeps one finding per fingerprint (the
//! first by repository, path, line, column and rule; the others are listed with it), and
//! writes JSON, JSON lines or SARIF. Secrets appear exactly as the inputs show them: this
//! never reveals more than the reports it reads. It scans nothing.

use super::{json::finding_value, sarif, Format, ReportOptions, Stats, Summary};
use crate::finding::{CommitInfo, Finding, Kind, Severity};
use crate::rules::RuleSet;
use crate::secret::Secret;
use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One finding as keyward's JSON reports write it (unknown fields are ignored, so a merged
/// report can be merged again).
#[derive(Deserialize)]
struct Record {
    rule: String,
    title: String,
    kind: Kind,
    severity: Severity,
    path: String,
    line: u32,
    column: u32,
    commit: Option<CommitInfo>,
    secret: String,
    fingerprint: String,
    remediation: String,
}

/// An input a report says it could not read (`errors` in JSON, `"kind": "error"` lines in
/// JSON lines).
#[derive(Deserialize)]
struct ErrorRecord {
    path: String,
    message: String,
}

/// A finding of one repository.
struct Located {
    repository: String,
    finding: Finding,
}

/// One merged finding: the first occurrence and every other place with its fingerprint.
struct Merged {
    first: Located,
    others: Vec<Located>,
}

/// The merged report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeFormat {
    Json,
    Jsonl,
    Sarif,
}

/// Reads the reports `files`, merges them and writes the result to `output` (stdout when
/// `None`); `rules` supplies the SARIF rule references. Exit 0 without findings, 1 with.
pub fn run(
    files: &[PathBuf],
    format: MergeFormat,
    output: Option<&Path>,
    rules: &RuleSet,
    name_error: &dyn Fn(&str, &str),
) -> Result<ExitCode> {
    let mut all = Vec::new();
    let mut errors: Vec<(String, ErrorRecord)> = Vec::new();
    for file in files {
        let repository = repository_name(file);
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("failed to read the report {}", file.display()))?;
        let (findings, unread) = parse(&text, file)?;
        for finding in findings {
            all.push(Located {
                repository: repository.clone(),
                finding,
            });
        }
        errors.extend(unread.into_iter().map(|e| (repository.clone(), e)));
    }
    for (repository, e) in &errors {
        name_error(&format!("{repository}: {}", e.path), &e.message);
    }
    let read = all.len();
    let merged = merge(all);
    let stats = json!({
        "reports": files.len(),
        "findings_read": read,
        "findings": merged.len(),
        "duplicates": read - merged.len(),
        "errors": errors.len(),
    });
    let doc = render(&merged, &errors, format, rules, stats);
    write(&doc, output)?;
    Ok(if !errors.is_empty() {
        ExitCode::from(2)
    } else if merged.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `reports/pallets__flask.jsonl` → `pallets__flask`.
fn repository_name(file: &Path) -> String {
    let stem = file.file_stem().unwrap_or(file.as_os_str());
    stem.to_string_lossy().into_owned()
}

/// The findings of one report and what it could not read: a JSON document with `findings`
/// (and `errors`), or one finding per line (and error lines).
fn parse(text: &str, file: &Path) -> Result<(Vec<Finding>, Vec<ErrorRecord>)> {
    let hint = "merge reads keyward's --format jsonl or --format json output";
    if let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(text) {
        if let Some(findings) = doc.get("findings") {
            let records: Vec<Record> =
                serde_json::from_value(findings.clone()).with_context(|| {
                    format!("failed to read the findings of {}; {hint}", file.display())
                })?;
            let errors: Vec<ErrorRecord> = match doc.get("errors") {
                Some(errors) => serde_json::from_value(errors.clone()).with_context(|| {
                    format!("failed to read the errors of {}; {hint}", file.display())
                })?,
                None => Vec::new(),
            };
            return Ok((records.into_iter().map(finding).collect(), errors));
        }
    }
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let context = || {
            format!(
                "failed to read line {} of {}; {hint}",
                i + 1,
                file.display()
            )
        };
        let value: Value = serde_json::from_str(line).with_context(context)?;
        if value.get("kind").and_then(Value::as_str) == Some("error") {
            errors.push(serde_json::from_value(value).with_context(context)?);
        } else {
            out.push(finding(
                serde_json::from_value(value).with_context(context)?,
            ));
        }
    }
    Ok((out, errors))
}

/// The record as a `Finding` whose secret is the text the report showed (already redacted
/// unless the report was written with --show-secrets), printed as it is.
fn finding(r: Record) -> Finding {
    Finding {
        rule: r.rule,
        title: r.title,
        kind: r.kind,
        severity: r.severity,
        path: r.path,
        line: r.line,
        column: r.column,
        commit: r.commit,
        secret: Secret::withheld(&r.secret),
        fingerprint: r.fingerprint,
        remediation: r.remediation,
    }
}

/// One entry per fingerprint, in report order (repository, path, line, column, rule); which
/// occurrence comes first does not depend on the order of the inputs.
fn merge(mut all: Vec<Located>) -> Vec<Merged> {
    all.sort_by(|a, b| {
        (&a.repository, a.finding.sort_key()).cmp(&(&b.repository, b.finding.sort_key()))
    });
    let mut merged: Vec<Merged> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for located in all {
        match index.get(&located.finding.fingerprint) {
            Some(&i) => merged[i].others.push(located),
            None => {
                index.insert(located.finding.fingerprint.clone(), merged.len());
                merged.push(Merged {
                    first: located,
                    others: Vec::new(),
                });
            }
        }
    }
    merged
}

/// Where else a fingerprint occurred.
fn occurrences(m: &Merged) -> Vec<Value> {
    (m.others.iter())
        .map(|o| {
            json!({
                "repository": o.repository,
                "path": o.finding.path,
                "line": o.finding.line,
                "column": o.finding.column,
                "commit": o.finding.commit.as_ref().map(|c| &c.id),
            })
        })
        .collect()
}

fn entry(m: &Merged) -> Value {
    let mut value = finding_value(&m.first.finding, false);
    value["repository"] = json!(m.first.repository);
    value["also_in"] = Value::Array(occurrences(m));
    value
}

/// The merged report as bytes: JSON lines, a JSON document, or a SARIF log with the
/// repository and the other occurrences of each result in its `properties`.
fn render(
    merged: &[Merged],
    errors: &[(String, ErrorRecord)],
    format: MergeFormat,
    rules: &RuleSet,
    stats: Value,
) -> Vec<u8> {
    let mut out = Vec::new();
    let error_values = errors.iter().map(|(repository, e)| {
        json!({"kind": "error", "repository": repository, "path": e.path, "message": e.message})
    });
    match format {
        MergeFormat::Jsonl => {
            for m in merged {
                out.extend(serde_json::to_vec(&entry(m)).expect("json"));
                out.push(b'\n');
            }
            for e in error_values {
                out.extend(serde_json::to_vec(&e).expect("json"));
                out.push(b'\n');
            }
        }
        MergeFormat::Json => {
            let findings: Vec<Value> = merged.iter().map(entry).collect();
            let doc = json!({
                "tool": {"name": "keyward", "version": env!("CARGO_PKG_VERSION")},
                "findings": findings,
                "errors": error_values.collect::<Vec<_>>(),
                "stats": stats,
            });
            out = serde_json::to_vec_pretty(&doc).expect("json");
            out.push(b'\n');
        }
        MergeFormat::Sarif => {
            let doc = sarif_document(merged, errors, rules);
            out = serde_json::to_vec_pretty(&doc).expect("json");
            out.push(b'\n');
        }
    }
    out
}

fn sarif_document(merged: &[Merged], errors: &[(String, ErrorRecord)], rules: &RuleSet) -> Value {
    let summary = Summary {
        findings: merged.iter().map(|m| m.first.finding.clone()).collect(),
        problems: (errors.iter())
            .map(|(repository, e)| super::Problem {
                path: format!("{repository}: {}", e.path),
                message: e.message.clone(),
                skipped: false,
                error: true,
            })
            .collect(),
        stats: Stats::default(),
        ..Summary::default()
    };
    let opts = ReportOptions {
        format: Format::Sarif,
        show_secrets: false,
        color: false,
        output: None,
        quiet: true,
        verbose: false,
    };
    let mut doc = sarif::document(&summary, rules, &opts);
    if let Some(results) = doc["runs"][0]["results"].as_array_mut() {
        for (result, m) in results.iter_mut().zip(merged) {
            result["properties"]["repository"] = json!(m.first.repository);
            result["properties"]["alsoIn"] = Value::Array(occurrences(m));
        }
    }
    doc
}

/// To `-o FILE` or stdout; a closed stdout pipe ends quietly.
fn write(bytes: &[u8], output: Option<&Path>) -> Result<()> {
    let result = match output {
        Some(path) => {
            return std::fs::write(path, bytes)
                .with_context(|| format!("failed to write the merged report {}", path.display()))
        }
        None => {
            let mut out = io::stdout().lock();
            out.write_all(bytes).and_then(|_| out.flush())
        }
    };
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("failed to write the merged report"),
    }
}
