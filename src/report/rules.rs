//! Output of `keyward rules list|show|check`.

use crate::detect::catalog::CodeCheck;
use crate::rules::Rule;
use serde_json::json;
use std::fmt::Write;

pub fn list(rules: &[Rule], checks: &[CodeCheck], as_json: bool) -> String {
    if as_json {
        let mut items: Vec<_> = rules
            .iter()
            .map(|r| json!({"id": r.id, "title": r.title, "kind": r.kind.as_str(), "severity": r.severity.as_str(), "source": r.source}))
            .collect();
        items.extend(checks.iter().map(|c| {
            json!({"id": c.id, "title": c.title, "kind": c.kind.as_str(), "severity": c.severity.as_str(), "source": "code"})
        }));
        return serde_json::to_string_pretty(&items).unwrap_or_default() + "\n";
    }
    let mut out = String::new();
    for r in rules {
        let _ = writeln!(
            out,
            "{:<36} {:<8} {:<8} {}",
            r.id,
            r.kind.as_str(),
            r.severity.as_str(),
            r.title
        );
    }
    for c in checks {
        let _ = writeln!(
            out,
            "{:<36} {:<8} {:<8} {} (code)",
            c.id,
            c.kind.as_str(),
            c.severity.as_str(),
            c.title
        );
    }
    let _ = writeln!(out, "{} rules, {} code checks", rules.len(), checks.len());
    out
}

pub fn show_rule(r: &Rule) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "id:          {}", r.id);
    let _ = writeln!(out, "title:       {}", r.title);
    let _ = writeln!(out, "kind:        {}", r.kind.as_str());
    let _ = writeln!(out, "severity:    {}", r.severity.as_str());
    let _ = writeln!(out, "source:      {}", r.source);
    let _ = writeln!(out, "keywords:    {}", r.keywords.join(", "));
    let _ = writeln!(out, "pattern:     {}", r.pattern);
    if let Some(e) = r.min_entropy {
        let _ = writeln!(out, "min_entropy: {e}");
    }
    if !r.path_globs.is_empty() {
        let _ = writeln!(out, "paths:       {}", r.path_globs.join(", "));
    }
    let _ = writeln!(out, "remediation: {}", r.remediation);
    for reference in &r.references {
        let _ = writeln!(out, "reference:   {reference}");
    }
    out
}

pub fn show_check(c: &CodeCheck) -> String {
    format!(
        "id:          {}\ntitle:       {}\nkind:        {}\nseverity:    {}\nsource:      code\nremediation: {}\n",
        c.id,
        c.title,
        c.kind.as_str(),
        c.severity.as_str(),
        c.remediation
    )
}

/// One line per problem (`file: rule `id`: problem`) and a closing count.
/// `unloadable`: rules that did not load (reported on stderr), counted with the problems.
pub fn check_results(
    results: &[(String, String, Vec<String>)],
    total: usize,
    unloadable: usize,
) -> String {
    let mut out = String::new();
    let mut bad = unloadable;
    for (file, id, problems) in results {
        if !problems.is_empty() {
            bad += 1;
        }
        for p in problems {
            let _ = writeln!(out, "{file}: rule `{id}`: {p}");
        }
    }
    let _ = writeln!(out, "{total} rules checked, {bad} with problems");
    out
}
