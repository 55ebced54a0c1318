//! Where a YAML hygiene finding stands, decided after the rule engine: findings in test code,
//! in development-only modules (`settings/dev.py`) and inside development or testing config
//! classes (`class DevelopmentConfig:`) are dropped, because `DEBUG = True` or
//! `WTF_CSRF_ENABLED = False` is their purpose there. A `hardcoded-secret-key` finding on a
//! line where a secret rule already fired is dropped too: one line, one alarm.

use super::paths::{is_dev_module, is_python, is_test_path, names_dev_variant};
use crate::detect::lineindex::LineIndex;
use crate::finding::{Finding, Kind};

/// Hygiene rules that a secret finding on the same line makes redundant.
const SHADOWED_BY_SECRETS: &[&str] = &["hardcoded-secret-key"];

/// Hygiene rules whose match in a `def` line is a parameter default (`verify=False`), not a
/// call that turns the protection off.
const NOT_IN_SIGNATURES: &[&str] = &["tls-verify-disabled"];

/// Drops the YAML hygiene findings that the context of `path` and `data` makes moot.
pub fn refine(path: &str, data: &[u8], findings: &mut Vec<Finding>) {
    if !findings.iter().any(|f| f.kind == Kind::Hygiene) {
        return;
    }
    let dev_file = is_test_path(path) || is_dev_module(path);
    let secret_lines: Vec<u32> = findings
        .iter()
        .filter(|f| f.kind == Kind::Secret)
        .map(|f| f.line)
        .collect();
    let python = is_python(path) && !path.ends_with(".ipynb");
    let index = python.then(|| LineIndex::new(data));
    findings.retain(|f| {
        if f.kind != Kind::Hygiene {
            return true;
        }
        if SHADOWED_BY_SECRETS.contains(&f.rule.as_str()) && secret_lines.contains(&f.line) {
            return false;
        }
        !dev_file && !index.as_ref().is_some_and(|i| moot_in_python(f, data, i))
    });
}

/// A Python finding inside a development class, or a parameter default in a `def` line.
fn moot_in_python(f: &Finding, data: &[u8], index: &LineIndex) -> bool {
    in_dev_class(data, index, f.line)
        || (NOT_IN_SIGNATURES.contains(&f.rule.as_str()) && is_def_line(data, index, f.line))
}

fn is_def_line(data: &[u8], index: &LineIndex, line: u32) -> bool {
    let (s, e) = index.line_range(data, line);
    let text = data[s..e].trim_ascii_start();
    text.starts_with(b"def ") || text.starts_with(b"async def ")
}

/// Whether 1-based `line` sits inside a class whose name marks it as development-only.
fn in_dev_class(data: &[u8], index: &LineIndex, line: u32) -> bool {
    let text = |n: u32| {
        let (s, e) = index.line_range(data, n);
        String::from_utf8_lossy(&data[s..e]).into_owned()
    };
    let mut depth = indent(&text(line));
    for n in (1..line).rev() {
        let candidate = text(n);
        let trimmed = candidate.trim_start();
        if depth == 0 {
            return false;
        }
        if trimmed.is_empty() || trimmed.starts_with('#') || indent(&candidate) >= depth {
            continue;
        }
        depth = indent(&candidate);
        if let Some(rest) = trimmed.strip_prefix("class ") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if names_dev_variant(&name) {
                return true;
            }
        }
    }
    false
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn finding(rule: &str, kind: Kind, line: u32) -> Finding {
        Finding {
            rule: rule.into(),
            title: String::new(),
            kind,
            severity: crate::finding::Severity::High,
            path: String::new(),
            line,
            column: 1,
            commit: None,
            secret: Secret::new(b"x"),
            fingerprint: String::new(),
            remediation: String::new(),
        }
    }

    fn kept(path: &str, data: &str, findings: Vec<Finding>) -> Vec<(String, u32)> {
        let mut findings = findings;
        refine(path, data.as_bytes(), &mut findings);
        findings.into_iter().map(|f| (f.rule, f.line)).collect()
    }

    const CONFIG: &str = "class Config:\n    DEBUG = True\n\n\nclass DevelopmentConfig(Config):\n    DEBUG = True\n\n    def x(self):\n        debug = True\n\nclass TestingConfig(Config):\n    WTF_CSRF_ENABLED = False\n";

    #[test]
    fn development_and_testing_classes_are_dropped() {
        let all = vec![
            finding("flask-debug", Kind::Hygiene, 2),
            finding("flask-debug", Kind::Hygiene, 6),
            finding("flask-debug", Kind::Hygiene, 9),
            finding("csrf-disabled", Kind::Hygiene, 12),
        ];
        assert_eq!(
            kept("app/config.py", CONFIG, all),
            vec![("flask-debug".into(), 2)]
        );
    }

    #[test]
    fn tests_and_dev_modules_are_dropped_but_secrets_stay() {
        let all = || {
            vec![
                finding("django-debug", Kind::Hygiene, 1),
                finding("github-pat", Kind::Secret, 1),
            ]
        };
        assert_eq!(kept("settings/dev.py", "DEBUG = True\n", all()).len(), 1);
        assert_eq!(kept("tests/conftest.py", "DEBUG = True\n", all()).len(), 1);
        assert_eq!(kept("proj/settings.py", "DEBUG = True\n", all()).len(), 2);
    }

    #[test]
    fn parameter_defaults_are_not_calls() {
        let text = "def fetch(url, verify=False):\n    return requests.get(url, verify=False)\n";
        let all = vec![
            finding("tls-verify-disabled", Kind::Hygiene, 1),
            finding("tls-verify-disabled", Kind::Hygiene, 2),
        ];
        assert_eq!(
            kept("app/http.py", text, all),
            vec![("tls-verify-disabled".into(), 2)]
        );
    }

    #[test]
    fn a_secret_on_the_line_shadows_the_secret_key_check() {
        let all = vec![
            finding("hardcoded-secret-key", Kind::Hygiene, 1),
            finding("django-secret-key", Kind::Secret, 1),
            finding("hardcoded-secret-key", Kind::Hygiene, 2),
            finding("django-debug", Kind::Hygiene, 1),
        ];
        let text = "SECRET_KEY = 'x'\nSECRET_KEY = 'dev'\n";
        let rules: Vec<(String, u32)> = kept("settings.py", text, all);
        assert!(!rules.contains(&("hardcoded-secret-key".into(), 1)));
        assert!(rules.contains(&("hardcoded-secret-key".into(), 2)));
        assert!(rules.contains(&("django-debug".into(), 1)));
    }
}
