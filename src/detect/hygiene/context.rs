//! Where a YAML hygiene finding stands, decided after the rule engine. Dropped, because a team
//! would not act on them:
//! - findings in test code, docs, tutorials, examples, vendored code and CI files, and in
//!   development-only modules (`settings/dev.py`) or config classes (`class DevelopmentConfig:`);
//! - in Python, text inside a string, docstring or comment (`DEBUG = True` in a docstring);
//! - a framework's own defaults: inside an assignment named `default…` (`default_config = {…}`);
//! - for `tls-verify-disabled`, code that honours a caller's choice rather than making one: a
//!   parameter default in a `def` line, a class attribute default (`verify = False` in a class
//!   body), a branch of an `if` about verification (`elif verify is False:`), or a function
//!   named for it (`def _make_insecure_ssl_ctx():`, `def resolve_verify_ssl(args):`).
//!
//! A `hardcoded-secret-key` finding on a line where a secret rule already fired is dropped too:
//! one line, one alarm.

use super::paths::{is_dev_module, is_not_deployed, is_python, names_dev_variant};
use super::pycode::{chain_conditions, openers, place_of, Place};
use crate::detect::lineindex::LineIndex;
use crate::finding::{Finding, Kind};

/// Hygiene rules that a secret finding on the same line makes redundant.
const SHADOWED_BY_SECRETS: &[&str] = &["hardcoded-secret-key"];

/// Hygiene rules about an option that library code implements (see the module doc).
const OPTION_RULES: &[&str] = &["tls-verify-disabled"];

/// Words of an `if` condition or function name about certificate verification.
const VERIFY_WORDS: &[&str] = &["verif", "ssl", "cert", "insecure", "tls"];

/// Drops the YAML hygiene findings that the context of `path` and `data` makes moot.
pub fn refine(path: &str, data: &[u8], findings: &mut Vec<Finding>) {
    if !findings.iter().any(|f| f.kind == Kind::Hygiene) {
        return;
    }
    let out_of_scope = is_not_deployed(path) || is_dev_module(path);
    let secret_lines: Vec<u32> = findings
        .iter()
        .filter(|f| f.kind == Kind::Secret)
        .map(|f| f.line)
        .collect();
    let python = is_python(path) && !path.ends_with(".ipynb");
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let index = LineIndex::new(data);
    findings.retain(|f| {
        if f.kind != Kind::Hygiene {
            return true;
        }
        if SHADOWED_BY_SECRETS.contains(&f.rule.as_str()) && secret_lines.contains(&f.line) {
            return false;
        }
        !(out_of_scope || (python && moot_in_python(f, data, &index, &lines)))
    });
}

fn moot_in_python(f: &Finding, data: &[u8], index: &LineIndex, lines: &[&str]) -> bool {
    let (start, end) = index.line_range(data, f.line);
    let line = &data[start..end];
    let first = start + (line.len() - line.trim_ascii_start().len());
    let at = (start + f.column.saturating_sub(1) as usize).min(end);
    // Only a line that starts inside a string is text: many rules match from a quoted key
    // (`app.config["WTF_CSRF_ENABLED"] = False`).
    if place_of(data, first) != Place::Code || place_of(data, at) == Place::Comment {
        return true;
    }
    let above = openers(lines, f.line as usize);
    let dev_class = above.iter().any(|o| {
        o.strip_prefix("class ").is_some_and(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names_dev_variant(&name)
        })
    });
    let defaults = above.iter().any(|o| names_defaults(o));
    dev_class
        || defaults
        || (OPTION_RULES.contains(&f.rule.as_str()) && implements_option(f, line, &above, lines))
}

/// `default_config = ImmutableDict(`, `DEFAULTS = {`: a framework's table of defaults.
fn names_defaults(opener: &str) -> bool {
    opener.split_once('=').is_some_and(|(name, _)| {
        let name = name.trim();
        !name.contains(['(', '[', ' '])
            && name.to_ascii_lowercase().contains("default")
            && !opener.contains("==")
    })
}

/// Library code that honours a verification option (see the module doc).
fn implements_option(f: &Finding, line: &[u8], above: &[String], lines: &[&str]) -> bool {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_start();
    let about_verify = |s: &str| {
        let lower = s.to_ascii_lowercase();
        VERIFY_WORDS.iter().any(|w| lower.contains(w))
    };
    if text.starts_with("def ") || text.starts_with("async def ") {
        return true;
    }
    let class_default =
        text.starts_with("verify") && above.first().is_some_and(|o| o.starts_with("class "));
    let named_function = above.iter().any(|o| {
        (o.starts_with("def ") || o.starts_with("async def "))
            && o.split('(').next().is_some_and(|name| {
                let lower = name.to_ascii_lowercase();
                ["insecure", "unverified", "verify"]
                    .iter()
                    .any(|w| lower.contains(w))
            })
    });
    let branch = above.iter().enumerate().any(|(depth, o)| {
        if o.starts_with("if ") {
            return about_verify(o);
        }
        if !(o.starts_with("elif ") || o.starts_with("else")) {
            return false;
        }
        opener_line(lines, f.line as usize, depth)
            .is_some_and(|n| chain_conditions(lines, n).iter().any(|c| about_verify(c)))
    });
    class_default || named_function || branch
}

/// The 1-based line number of the `depth`-th opener above `line` (as `openers` lists them).
fn opener_line(lines: &[&str], line: usize, depth: usize) -> Option<usize> {
    let mut seen = 0;
    let mut level = lines
        .get(line - 1)
        .map(|l| l.len() - l.trim_start().len())?;
    for n in (1..line).rev() {
        let candidate = lines[n - 1];
        let trimmed = candidate.trim_start();
        let ind = candidate.len() - trimmed.len();
        if trimmed.is_empty() || trimmed.starts_with('#') || ind >= level {
            continue;
        }
        level = ind;
        if seen == depth {
            return Some(n);
        }
        seen += 1;
    }
    None
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

    #[test]
    fn text_in_strings_docstrings_and_comments_is_dropped() {
        let text = "class Config:\n    \"\"\"Example::\n\n        DEBUG = True\n    \"\"\"\n    x = 1  # requests.get(u, verify=False)\n    DEBUG = True\nSECRET_KEY = 'dev'\n";
        let all = vec![
            finding("flask-debug", Kind::Hygiene, 4),
            finding("tls-verify-disabled", Kind::Hygiene, 6),
            finding("flask-debug", Kind::Hygiene, 7),
            finding("hardcoded-secret-key", Kind::Hygiene, 8),
        ];
        let mut all = all;
        all[1].column = 23;
        all[3].column = 15;
        assert_eq!(
            kept("app/config.py", text, all),
            vec![
                ("flask-debug".into(), 7),
                ("hardcoded-secret-key".into(), 8)
            ]
        );
    }

    #[test]
    fn a_frameworks_default_table_is_dropped() {
        let text = "class Flask:\n    default_config = ImmutableDict(\n        {\n            \"SESSION_COOKIE_SECURE\": False,\n        }\n    )\nAPP_CONFIG = {\n    \"SESSION_COOKIE_SECURE\": False,\n}\n";
        let all = vec![
            finding("insecure-cookie", Kind::Hygiene, 4),
            finding("insecure-cookie", Kind::Hygiene, 8),
        ];
        assert_eq!(
            kept("src/flask/app.py", text, all),
            vec![("insecure-cookie".into(), 8)]
        );
    }

    #[test]
    fn library_code_honouring_a_verify_option_is_dropped() {
        let text = "class Backend:\n    verify = False\n\ndef make_ctx(verify):\n    if verify is True:\n        ctx = ssl.create_default_context()\n    elif verify is False:\n        ctx.check_hostname = False\n    else:\n        ctx.verify_mode = ssl.CERT_NONE\n\ndef _make_insecure_ssl_ctx():\n    ctx.check_hostname = False\n\ndef resolve_verify_ssl(args):\n    if not args.flag:\n        verify = False\n\ndef run(self):\n    conn = pinotdb.connect(\n        verify_ssl=False,\n    )\n    if user.is_admin:\n        requests.get(u, verify=False)\nctx.check_hostname = False\n";
        let all: Vec<Finding> = [2, 8, 10, 13, 17, 21, 24, 25]
            .into_iter()
            .map(|l| finding("tls-verify-disabled", Kind::Hygiene, l))
            .collect();
        let lines: Vec<u32> = kept("lib/http.py", text, all)
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        assert_eq!(lines, vec![21, 24, 25]);
    }

    #[test]
    fn docs_examples_and_vendored_code_are_dropped() {
        for path in [
            "examples/tutorial/flaskr/__init__.py",
            "docs_src/app.py",
            "src/pip/_vendor/requests/adapters.py",
            "t/integration/django_settings.py",
        ] {
            let all = vec![finding("django-debug", Kind::Hygiene, 1)];
            assert!(kept(path, "DEBUG = True\n", all).is_empty(), "{path}");
        }
    }
}
