//! Rules as data: every built-in rule's examples and negative examples, strict loading errors
//! that name the file, and `keyward rules list|show|check`.

use crate::harness::Project;
use keyward::detect::rulecheck::check_rule;
use keyward::finding::Kind;
use keyward::rules::automaton::KeywordDfa;
use keyward::rules::builtin::{BUILTIN_DFA, BUILTIN_KEYWORDS, BUILTIN_RULES};
use keyward::rules::{builtin_rules, builtin_syntax, parse_file, RuleSet, Text};
use predicates::str::contains;
use std::path::{Path, PathBuf};

#[test]
fn every_builtin_rule_passes_its_examples() {
    let rules = builtin_rules().expect("built-in rules load");
    let failures: Vec<String> = rules
        .iter()
        .flat_map(|r| {
            check_rule(r)
                .into_iter()
                .map(move |p| format!("{}: {}: {p}", r.source, r.id))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "rule problems:\n{}",
        failures.join("\n")
    );
}

#[test]
fn builtin_rules_build_one_set_with_unique_ids() {
    let rules = builtin_rules().unwrap();
    let secrets = rules.iter().filter(|r| r.kind == Kind::Secret).count();
    assert!(secrets >= 100, "only {secrets} secret rules");
    RuleSet::new(rules).expect("no duplicate ids");
}

#[test]
fn every_builtin_rule_cites_a_reference() {
    for r in builtin_rules().unwrap() {
        assert!(
            r.references.iter().any(|u| u.starts_with("https://")),
            "{} has no https reference",
            r.id
        );
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn the_embedded_rules_are_what_the_strict_yaml_loader_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    yaml_files(&root.join("patterns"), &mut files);
    files.sort();
    let mut from_yaml = Vec::new();
    for file in files {
        let rel = file
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        for raw in parse_file(&rel, &text).unwrap() {
            from_yaml.push((rel.clone(), raw));
        }
    }
    let embedded: Vec<_> = BUILTIN_RULES
        .iter()
        .map(|r| (r.file.to_string(), builtin_syntax(r)))
        .collect();
    assert!(embedded.len() > 100);
    assert_eq!(embedded, from_yaml);
}

#[test]
fn the_automaton_built_with_the_binary_is_the_one_built_at_run_time() {
    let set = RuleSet::new(builtin_rules().unwrap()).unwrap();
    assert_eq!(set.keywords(), BUILTIN_KEYWORDS);
    assert_eq!(automaton_of(set.keywords()).parts(), BUILTIN_DFA);
    assert_eq!(set.automaton().parts(), BUILTIN_DFA);
}

/// The automaton built at run time over `keywords`.
fn automaton_of(keywords: &[Text]) -> KeywordDfa {
    let bytes: Vec<&[u8]> = keywords.iter().map(|k| k.as_bytes()).collect();
    KeywordDfa::new(&bytes)
}

/// The built-in rules plus the user rule `yaml`.
fn with_user_rule(yaml: &str) -> RuleSet {
    let file = std::env::temp_dir().join(format!("keyward-user-{}.yaml", std::process::id()));
    std::fs::write(&file, yaml).unwrap();
    let mut rules = builtin_rules().unwrap();
    rules.extend(keyward::rules::load_user_file(&file).unwrap());
    std::fs::remove_file(&file).unwrap();
    RuleSet::new(rules).unwrap()
}

#[test]
fn a_new_keyword_gets_its_own_automaton_and_known_ones_share_the_built_one() {
    let set = with_user_rule(GOOD_RULE);
    assert_ne!(set.keywords(), BUILTIN_KEYWORDS);
    assert_ne!(set.automaton().parts(), BUILTIN_DFA);
    assert_eq!(
        set.automaton().parts(),
        automaton_of(set.keywords()).parts()
    );

    let set = with_user_rule(&GOOD_RULE.replace("[acme_]", "[ghp_]"));
    assert_eq!(set.keywords(), BUILTIN_KEYWORDS);
    assert_eq!(set.automaton().parts(), BUILTIN_DFA);
}

const GOOD_RULE: &str = r#"rules:
  - id: acme-token
    title: Acme token
    kind: secret
    severity: high
    keywords: [acme_]
    pattern: '\b(?P<secret>acme_[A-Za-z0-9]{20})\b'
    remediation: Revoke it.
    references: ["https://acme.test/docs/tokens"]
    examples: ["t = 'acme_Q4rT8vX2mZ6nB1kL9pW3'"]
    negative_examples: ["acme_short"]
"#;

#[test]
fn rules_check_accepts_a_sound_user_rule() {
    let p = Project::new();
    p.write("acme.yaml", GOOD_RULE);
    p.keyward()
        .args(["rules", "check", "acme.yaml"])
        .assert()
        .success()
        .stdout(contains("1 rules checked, 0 with problems"));
}

#[test]
fn rules_check_reports_a_failing_example() {
    let p = Project::new();
    p.write(
        "acme.yaml",
        GOOD_RULE.replace("acme_Q4rT8vX2mZ6nB1kL9pW3", "acme_tooshort"),
    );
    p.keyward()
        .args(["rules", "check", "acme.yaml"])
        .assert()
        .code(1)
        .stdout(contains(
            "acme.yaml: rule `acme-token`: example 1 does not match",
        ));
}

fn assert_load_error(rule_text: &str, expected: &str) {
    let p = Project::new();
    p.write("bad.yaml", rule_text);
    p.keyward()
        .args(["rules", "check", "bad.yaml"])
        .assert()
        .code(2)
        .stderr(contains("bad.yaml"))
        .stderr(contains(expected));
}

#[test]
fn unknown_key_is_an_error_naming_the_file() {
    assert_load_error(
        &GOOD_RULE.replace("    remediation:", "    severty: high\n    remediation:"),
        "unknown field `severty`",
    );
}

#[test]
fn missing_secret_group_is_an_error() {
    assert_load_error(&GOOD_RULE.replace("(?P<secret>", "("), "no `(?P<secret>");
}

#[test]
fn bad_regex_is_an_error() {
    assert_load_error(&GOOD_RULE.replace("{20}", "{20"), "does not compile");
}

#[test]
fn duplicate_id_is_an_error() {
    let body = GOOD_RULE.trim_start_matches("rules:\n");
    assert_load_error(
        &format!("rules:\n{body}{body}"),
        "duplicate rule id `acme-token`",
    );
}

#[test]
fn user_rules_join_the_scan() {
    let p = Project::new();
    p.write("acme.yaml", GOOD_RULE);
    p.write("src/app.py", "TOKEN = 'acme_Q4rT8vX2mZ6nB1kL9pW3'\n");
    p.keyward()
        .args(["scan", "src", "--rules", "acme.yaml", "--format", "jsonl"])
        .assert()
        .code(1)
        .stdout(contains("\"rule\":\"acme-token\""));
}

#[test]
fn rules_list_and_show() {
    let p = Project::new();
    p.keyward()
        .args(["rules", "list"])
        .assert()
        .success()
        .stdout(contains("generic-password"));
    p.keyward()
        .args(["rules", "show", "generic-password"])
        .assert()
        .success()
        .stdout(contains("remediation:"));
    p.keyward()
        .args(["rules", "show", "no-such-rule"])
        .assert()
        .code(2)
        .stderr(contains("no rule with id `no-such-rule`"));
}

#[test]
fn rules_check_reports_every_bad_rule_and_clashes_with_built_in_ids() {
    // regression: a clash with a built-in id passed (and the scan then failed), and the check
    // stopped at the first bad rule of a file
    let body = GOOD_RULE.trim_start_matches("rules:\n");
    let clash = body.replace("id: acme-token", "id: github-pat");
    let check = body.replace("id: acme-token", "id: env-file-committed");
    let bad_regex = body
        .replace("id: acme-token", "id: acme-two")
        .replace("{20}", "{20");
    let bad_both = body
        .replace("id: acme-token", "id: Acme_Three")
        .replace("(?P<secret>", "(");
    let p = Project::new();
    p.write(
        "many.yaml",
        format!("rules:\n{clash}{bad_regex}{body}{bad_both}{check}"),
    );
    let out = p
        .keyward()
        .args(["rules", "check", "many.yaml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for expected in [
        "duplicate rule id `github-pat` (already a built-in rule)",
        "duplicate rule id `env-file-committed` (already a built-in check)",
        "rule `acme-two`: pattern does not compile",
        "rule `Acme_Three`: id must be non-empty",
        "no `(?P<secret>",
    ] {
        assert!(stderr.contains(expected), "{expected}: {stderr}");
    }
    // the sound rule was still checked, and the count says how many had problems
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("5 rules checked, 4 with problems"),
        "{stdout}"
    );
}
