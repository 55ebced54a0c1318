//! `--format sarif`: one SARIF 2.1.0 run in the shape GitHub code scanning accepts. The driver
//! lists every rule that fired (with help, tags, precision and a numeric
//! `security-severity`); each result carries a redacted message, a relative location under
//! `%SRCROOT%` and the finding fingerprint as a partial fingerprint. History and staged
//! findings carry their commit in `properties`.

use super::{shown_secret, ReportOptions, Summary};
use crate::finding::{Finding, Kind, Severity};
use crate::rules::{RuleSet, Text};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

pub fn render(
    out: &mut dyn Write,
    summary: &Summary,
    rules: &RuleSet,
    opts: &ReportOptions,
) -> io::Result<()> {
    // The log is written result by result: a million findings never sit in memory as JSON
    // values. The results array is a placeholder in the skeleton, replaced as it is written.
    let mut skeleton = document_without_results(summary, rules);
    skeleton["runs"][0]["results"] = json!(RESULTS_MARK);
    let text = serde_json::to_string_pretty(&skeleton)?;
    let quoted = format!("\"{RESULTS_MARK}\"");
    let (head, tail) = text
        .split_once(&quoted)
        .expect("the mark is in the skeleton");
    out.write_all(head.as_bytes())?;
    write!(out, "[")?;
    let index = rule_index(&summary.findings);
    for (i, f) in summary.findings.iter().enumerate() {
        write!(out, "{}", if i == 0 { "\n" } else { ",\n" })?;
        let value = result(f, index[f.rule.as_str()].0, opts.show_secrets);
        serde_json::to_writer(&mut *out, &value)?;
    }
    write!(out, "]")?;
    out.write_all(tail.as_bytes())?;
    writeln!(out)
}

const RESULTS_MARK: &str = "@@keyward-results@@";

/// The whole SARIF log as one value, for callers that edit results before writing (`report
/// merge`); a scan's report is streamed by `render` instead.
pub fn document(summary: &Summary, rules: &RuleSet, opts: &ReportOptions) -> Value {
    let mut doc = document_without_results(summary, rules);
    let index = rule_index(&summary.findings);
    let results: Vec<Value> = summary
        .findings
        .iter()
        .map(|f| result(f, index[f.rule.as_str()].0, opts.show_secrets))
        .collect();
    doc["runs"][0]["results"] = Value::Array(results);
    doc
}

/// The SARIF log without its results (the rules, the invocation and its notifications).
fn document_without_results(summary: &Summary, rules: &RuleSet) -> Value {
    let index = rule_index(&summary.findings);
    let descriptors: Vec<Value> = index.values().map(|&(_, f)| descriptor(f, rules)).collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver(descriptors)},
            "columnKind": "unicodeCodePoints",
            "results": [],
            "invocations": [invocation(summary)],
        }],
    })
}

/// Whether the run saw everything, and what it could not see: each unreadable input or
/// skipped file, and each "and N more" past the cap, as a `toolExecutionNotification`.
fn invocation(summary: &Summary) -> Value {
    let mut notes: Vec<Value> = summary
        .problems
        .iter()
        .map(|p| {
            json!({
                "level": if p.error { "error" } else { "warning" },
                "message": {"text": format!("{}: {}", p.path, p.message)},
                "descriptor": {"id": if p.skipped { "skipped-file" } else { "unreadable-input" }},
            })
        })
        .collect();
    notes.extend(summary.capped.iter().map(|(path, rule, more)| {
        json!({
            "level": "note",
            "message": {"text": format!("{path}: {rule}: and {more} more findings not listed")},
            "descriptor": {"id": "findings-capped"},
        })
    }));
    json!({
        "executionSuccessful": summary.stats.errors == 0,
        "toolExecutionNotifications": notes,
    })
}

/// Each fired rule id → (its index in `driver.rules`, the first finding of that rule), in id
/// order so the output does not depend on finding order.
fn rule_index(findings: &[Finding]) -> BTreeMap<&str, (usize, &Finding)> {
    let mut map: BTreeMap<&str, (usize, &Finding)> = BTreeMap::new();
    for f in findings {
        map.entry(f.rule.as_str()).or_insert((0, f));
    }
    for (i, slot) in map.values_mut().enumerate() {
        slot.0 = i;
    }
    map
}

fn driver(rules: Vec<Value>) -> Value {
    let mut driver = json!({
        "name": "keyward",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // Where the tool is documented: `repository` in Cargo.toml, once the project publishes one
    // (the property is optional; no address is invented meanwhile).
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !repository.is_empty() {
        driver["informationUri"] = repository.into();
    }
    driver
}

/// A `reportingDescriptor` built from the finding (which carries the rule's title, kind,
/// severity and remediation) and, when the rule is a YAML rule, its references.
fn descriptor(f: &Finding, rules: &RuleSet) -> Value {
    let rule = rules.get(&f.rule);
    let references: &[Text] = rule.map_or(&[], |r| &r.references);
    let precision = if rule.is_some_and(|r| r.is_generic()) {
        "medium"
    } else {
        "high"
    };
    let mut value = json!({
        "id": f.rule,
        "name": pascal_case(&f.rule),
        "shortDescription": {"text": f.title},
        "fullDescription": {"text": full_description(f)},
        "defaultConfiguration": {"level": level(f.severity)},
        "help": {"text": f.remediation, "markdown": help_markdown(f, references)},
        "properties": {
            "tags": tags(f.kind),
            "precision": precision,
            "problem.severity": problem_severity(f.severity),
            "security-severity": security_severity(f.severity),
        },
    });
    if let Some(uri) = references.first() {
        value["helpUri"] = json!(uri);
    }
    value
}

fn full_description(f: &Finding) -> String {
    match f.kind {
        Kind::Secret => format!(
            "{}: a credential committed to the repository ({} severity).",
            f.title, f.severity
        ),
        Kind::Hygiene => format!(
            "{}: insecure configuration ({} severity).",
            f.title, f.severity
        ),
    }
}

fn help_markdown(f: &Finding, references: &[Text]) -> String {
    let mut text = format!("**{}**\n\n{}\n", f.title, f.remediation);
    if !references.is_empty() {
        text.push_str("\nReferences:\n");
        for r in references {
            text.push_str(&format!("- <{r}>\n"));
        }
    }
    text
}

fn tags(kind: Kind) -> Vec<&'static str> {
    match kind {
        Kind::Secret => vec!["security", "secret", "external/cwe/cwe-798"],
        Kind::Hygiene => vec!["security", "hygiene"],
    }
}

fn result(f: &Finding, rule_index: usize, show_secrets: bool) -> Value {
    let mut value = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": message(f, show_secrets)},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": uri_path(&f.path), "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": f.line.max(1), "startColumn": f.column.max(1)},
            },
        }],
        "partialFingerprints": {"keyward/v1": f.fingerprint},
        "properties": {"severity": f.severity.as_str(), "kind": f.kind.as_str()},
    });
    if let Some(commit) = &f.commit {
        value["properties"]["commit"] = json!(commit);
    }
    value
}

fn message(f: &Finding, show_secrets: bool) -> String {
    let secret = shown_secret(f, show_secrets);
    match &f.commit {
        Some(c) => format!(
            "{} `{secret}` (introduced in commit {})",
            f.title,
            &c.id[..12.min(c.id.len())]
        ),
        None => format!("{} `{secret}`", f.title),
    }
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "recommendation",
    }
}

/// GitHub reads `security-severity` as a number in a string: ≥ 9.0 critical, ≥ 7.0 high,
/// ≥ 4.0 medium, else low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
    }
}

/// `github-pat` → `GithubPat`.
fn pascal_case(id: &str) -> String {
    id.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |c| {
                c.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// A relative path as a URI reference: every byte outside the unreserved set and `/` is
/// percent-encoded (spaces, `%`, `#`, `?`, control characters, non-ASCII).
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri_path("app/settings.py"), "app/settings.py");
        assert_eq!(uri_path("my dir/a#b%.py"), "my%20dir/a%23b%25.py");
        assert_eq!(uri_path("café.py"), "caf%C3%A9.py");
    }

    #[test]
    fn rule_names_and_severities() {
        assert_eq!(pascal_case("github-pat"), "GithubPat");
        assert_eq!(pascal_case("aws-access-key-id"), "AwsAccessKeyId");
        let scores: Vec<f64> = [
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .map(|s| security_severity(s).parse().unwrap())
        .to_vec();
        assert_eq!(scores, [3.0, 5.5, 8.0, 9.5]);
    }
}
