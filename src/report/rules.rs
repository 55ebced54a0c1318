//! Output of `keyward rules list|show|check`.

use crate::detect::catalog::CodeCheck;
use crate::rules::Rule;
use serde_json::json;
use std::fmt::Write;

pub fn list(rules: &[Rule], checks: &[CodeCheck], as_json: bool) -> String {
    if as_json {
        let mut items: Vec<_> = rules
            .iter()
            .map(|r| json!({"id": r.id, "title": r.title, "kind": r.kind.as_str(), "severity": r.severity.as_str(), "category": category(&r.source), "source": r.source}))
            .collect();
        items.extend(checks.iter().map(|c| {
            json!({"id": c.id, "title": c.title, "kind": c.kind.as_str(), "severity": c.severity.as_str(), "category": "code checks", "source": "code"})
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
    let _ = writeln!(out, "by category: {}", per_category(rules, checks));
    out
}

/// What a user looks for, from where the rule lives: the folder under `patterns/` (or the
/// file's stem for a file at its top, `generic`); `user` for rules from the user's own files.
fn category(source: &str) -> &str {
    let Some(rest) = source.strip_prefix("patterns/") else {
        return "user";
    };
    match rest.split_once('/') {
        Some((folder, _)) => folder,
        None => rest.strip_suffix(".yaml").unwrap_or(rest),
    }
}

/// `ai 49, cloud 73, …, code checks 8`: rule counts per category, in name order.
fn per_category(rules: &[Rule], checks: &[CodeCheck]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for r in rules {
        *counts.entry(category(&r.source)).or_insert(0usize) += 1;
    }
    let mut parts: Vec<String> = counts.iter().map(|(c, n)| format!("{c} {n}")).collect();
    parts.push(format!("code checks {}", checks.len()));
    parts.join(", ")
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
    for reference in r.references.iter() {
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

#[cfg(test)]
mod tests {
    use super::category;

    #[test]
    fn a_rule_s_category_is_its_folder_under_patterns() {
        assert_eq!(category("patterns/ai/groq.yaml"), "ai");
        assert_eq!(category("patterns/generic.yaml"), "generic");
        assert_eq!(category("my-rules.yaml"), "user");
    }
}
