//! `.keyward.yaml` through the real binary: each key (rules, disable, allow.paths/values/rules,
//! stopwords, fail_on), `--config FILE`, the repository-root lookup, and strictness (an
//! unknown key or rule id is exit 2 naming the file and the key).

use crate::harness::{
    found, github_pat, json, random_text, run_json, with_github_checksum, Project,
};
use predicates::prelude::*;
use predicates::str::contains;

/// Rules (sorted) found by `keyward scan --format json ARGS` in `p`, and the exit code.
fn rules_found(p: &Project, args: &[&str]) -> (Option<i32>, Vec<String>) {
    let mut cmd = p.keyward();
    cmd.args(["scan", "--format", "json"]).args(args);
    let (code, report) = run_json(&mut cmd);
    let mut rules: Vec<String> = found(&report).into_iter().map(|f| f.2).collect();
    rules.sort();
    (code, rules)
}

const ACME_RULE: &str = r#"rules:
  - id: acme-token
    title: Acme API token
    kind: secret
    severity: critical
    keywords: [acme_]
    pattern: '\b(?P<secret>acme_[A-Za-z0-9]{24})\b'
    remediation: Rotate it in the Acme console.
    examples: ["key = 'acme_0123456789abcdefABCDEFgh'"]
"#;

#[test]
fn extra_rules_run() {
    let p = Project::new();
    p.write("a.py", format!("key = 'acme_{}'\n", random_text(1, 24)));
    assert_eq!(rules_found(&p, &[]).1, Vec::<String>::new());
    p.write(".keyward.yaml", ACME_RULE);
    assert_eq!(rules_found(&p, &[]), (Some(1), vec!["acme-token".into()]));
}

#[test]
fn disable_removes_a_rule() {
    let p = Project::new();
    p.write("a.py", format!("T = '{}'\n", github_pat(2)));
    p.write(".keyward.yaml", "disable: [github-pat]\n");
    assert_eq!(rules_found(&p, &[]), (Some(0), vec![]));
}

#[test]
fn allow_paths_are_globs_from_the_repository_root() {
    let p = Project::new();
    p.git_init();
    p.write("tests/fixtures/t.py", format!("T = '{}'\n", github_pat(3)));
    p.write("app/t.py", format!("T = '{}'\n", github_pat(4)));
    p.write("app/demo.ipynb.py", format!("T = '{}'\n", github_pat(5)));
    p.write(
        ".keyward.yaml",
        "allow:\n  paths: ['tests/**', '*.ipynb.py']\n",
    );
    let out = p
        .keyward()
        .args(["scan", "--format", "json"])
        .output()
        .unwrap();
    let paths: Vec<String> = found(&json(&out.stdout)).into_iter().map(|f| f.0).collect();
    assert_eq!(paths, ["app/t.py"]);
    // scanning a subdirectory: the root's .keyward.yaml applies, globs stay root-relative
    let out = p
        .keyward()
        .args(["scan", "tests", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = p
        .keyward()
        .args(["scan", "tests/fixtures", "--format", "json"])
        .output();
    assert_eq!(out.unwrap().status.code(), Some(0));
}

#[test]
fn allow_values_and_rules_and_stopwords() {
    let p = Project::new();
    let ok = with_github_checksum("ghp_", &format!("TESTONLY{}", random_text(6, 22)));
    let demo = with_github_checksum(
        "ghp_",
        &format!("{}DemoKey{}", random_text(7, 10), random_text(8, 13)),
    );
    p.write(
        "a.py",
        format!("A = '{ok}'\nB = '{demo}'\nC = '{}'\n", github_pat(9)),
    );
    p.write(
        "b.yaml",
        format!("password: \"{}9x\"\n", random_text(10, 18)),
    );
    let (_, all) = rules_found(&p, &[]);
    assert_eq!(all.len(), 4, "{all:?}");
    p.write(".keyward.yaml", "allow:\n  values: ['^ghp_TESTONLY']\n");
    assert_eq!(rules_found(&p, &[]).1.len(), 3);
    p.write(".keyward.yaml", "stopwords: [demokey]\n");
    assert_eq!(rules_found(&p, &[]).1.len(), 3);
    p.write(".keyward.yaml", "allow:\n  rules: [github-pat]\n");
    let (_, rest) = rules_found(&p, &[]);
    assert!(
        rest.iter().all(|r| r != "github-pat") && rest.len() == 1,
        "{rest:?}"
    );
    let report = json(
        &p.keyward()
            .args(["scan", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    assert_eq!(report["stats"]["allowed"], 3);
}

#[test]
fn fail_on_from_the_file_and_the_command_line_wins() {
    let p = Project::new();
    p.write("a.py", format!("T = '{}'\n", github_pat(11))); // high
    p.write(".keyward.yaml", "fail_on: critical\n");
    assert_eq!(rules_found(&p, &[]).0, Some(0));
    assert_eq!(rules_found(&p, &["--fail-on", "high"]).0, Some(1));
    p.write(".keyward.yaml", "fail_on: high\n");
    assert_eq!(rules_found(&p, &[]).0, Some(1));
}

#[test]
fn unknown_keys_are_errors_naming_file_and_key() {
    let p = Project::new();
    p.write("a.py", "x = 1\n");
    p.write(".keyward.yaml", "fail_on: high\nallowlist:\n  paths: [x]\n");
    p.keyward()
        .args(["scan"])
        .assert()
        .code(2)
        .stderr(contains(".keyward.yaml").and(contains("allowlist")));
    p.write(".keyward.yaml", "allow:\n  path: [x]\n");
    p.keyward()
        .args(["scan"])
        .assert()
        .code(2)
        .stderr(contains(".keyward.yaml").and(contains("`path`")));
    p.write(".keyward.yaml", "rules:\n  - id: x\n    titel: y\n");
    p.keyward()
        .args(["scan"])
        .assert()
        .code(2)
        .stderr(contains("titel"));
}

#[test]
fn unknown_rule_ids_and_bad_patterns_are_errors() {
    let p = Project::new();
    p.write("a.py", "x = 1\n");
    p.write(".keyward.yaml", "disable: [github-pta]\n");
    p.keyward().args(["scan"]).assert().code(2).stderr(contains(
        ".keyward.yaml: disable: no rule with id `github-pta`",
    ));
    p.write(".keyward.yaml", "allow:\n  values: ['(unclosed']\n");
    p.keyward()
        .args(["scan"])
        .assert()
        .code(2)
        .stderr(contains("allow.values"));
    p.write(".keyward.yaml", ACME_RULE.replace("{24}", "{24"));
    p.keyward()
        .args(["scan"])
        .assert()
        .code(2)
        .stderr(contains("acme-token"));
}

#[test]
fn config_flag_names_another_file() {
    let p = Project::new();
    p.write("a.py", format!("T = '{}'\n", github_pat(12)));
    p.write("ci/keyward.yaml", "disable: [github-pat]\n");
    p.write(".keyward.yaml", "fail_on: low\n");
    assert_eq!(rules_found(&p, &["--config", "ci/keyward.yaml"]).0, Some(0));
    assert_eq!(rules_found(&p, &[]).0, Some(1));
    p.keyward()
        .args(["scan", "--config", "missing.yaml"])
        .assert()
        .code(2)
        .stderr(contains("missing.yaml"));
}

#[test]
fn the_root_config_applies_when_scanning_from_elsewhere() {
    let p = Project::new();
    p.git_init();
    p.write("src/a.py", format!("T = '{}'\n", github_pat(13)));
    p.write(".keyward.yaml", "disable: [github-pat]\n");
    let out = p
        .keyward()
        .arg("scan")
        .arg(p.join("src"))
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The `.keyward.yaml` example in docs/ci.md, which users copy.
fn documented_example() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/ci.md")).unwrap();
    let section = &doc[doc.find("### Project configuration").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_string()
}

#[test]
fn the_documented_example_loads_and_works() {
    let p = Project::new();
    p.write(".keyward.yaml", documented_example());
    p.write(
        "app/a.py",
        format!("key = 'acme_{}'\n", random_text(14, 32)),
    );
    p.write("tests/fixtures/b.py", format!("T = '{}'\n", github_pat(15)));
    let (code, rules) = rules_found(&p, &["--fail-on", "low"]);
    assert_eq!((code, rules), (Some(1), vec!["acme-token".to_string()]));
    // the documented stopword drops it; without the stopword it is found
    let local = format!(
        "key = 'acme_{}LocalDev{}'\n",
        random_text(16, 12),
        random_text(17, 12)
    );
    p.write("app/a.py", &local);
    assert_eq!(rules_found(&p, &[]).0, Some(0));
    let example = documented_example().replace("stopwords: [localdev]", "stopwords: []");
    p.write(".keyward.yaml", example);
    assert_eq!(rules_found(&p, &[]).0, Some(1));
}
