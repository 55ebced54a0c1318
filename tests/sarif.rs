//! `--format sarif` through the real binary: validated against the official SARIF 2.1.0 schema
//! (tests/schemas, from OASIS), the fields GitHub code scanning reads, and the guarantee that
//! no CI-facing output (SARIF, JUnit, baseline file) carries a secret unless asked.

use crate::harness::{json, random_text, Project};
use serde_json::Value;

fn github_pat(seed: u64) -> String {
    format!("ghp_{}", random_text(seed, 36))
}

fn password(seed: u64) -> String {
    format!("{}9x", random_text(seed, 18))
}

fn schema_validator() -> jsonschema::Validator {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/schemas/sarif-schema-2.1.0.json"
    );
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// Panics with every schema violation when `doc` is not valid SARIF 2.1.0.
pub fn assert_valid_sarif(doc: &Value) {
    let validator = schema_validator();
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

fn run(p: &Project, format: &str) -> std::process::Output {
    p.keyward()
        .args(["scan", "--format", format])
        .output()
        .unwrap()
}

fn planted() -> Project {
    let p = Project::new();
    p.write(
        "app/settings.py",
        format!("import os\n\nGITHUB_TOKEN = \"{}\"\n", github_pat(1)),
    );
    p.write(
        "config/db.yaml",
        format!("db:\n  password: \"{}\"\n", password(2)),
    );
    // a path that needs percent-encoding to be a URI reference
    p.write(
        "my notes/ünïcode #1.py",
        format!("T = '{}'\n", github_pat(3)),
    );
    p
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let p = planted();
    let out = run(&p, "sarif");
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    assert_valid_sarif(&doc);
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(doc["runs"].as_array().unwrap().len(), 1);
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 3);
}

#[test]
fn the_validator_rejects_broken_sarif() {
    // guards the test above: a schema check that accepts anything proves nothing
    let p = planted();
    let mut doc = json(&run(&p, "sarif").stdout);
    doc["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!schema_validator().is_valid(&doc));
    let mut doc = json(&run(&p, "sarif").stdout);
    doc["runs"][0]["tool"]["driver"]["informationUri"] = "not a uri".into();
    assert!(!schema_validator().is_valid(&doc));
}

#[test]
fn results_carry_what_github_code_scanning_reads() {
    let p = planted();
    let sarif = json(&run(&p, "sarif").stdout);
    let report = json(&run(&p, "json").stdout);
    let run0 = &sarif["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run0["results"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (r, f) in results.iter().zip(findings) {
        let rule = &rules[r["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], r["ruleId"]);
        assert_eq!(r["ruleId"], f["rule"]);
        assert_eq!(r["partialFingerprints"]["keyward/v1"], f["fingerprint"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(loc["region"]["startLine"], f["line"]);
        assert_eq!(loc["region"]["startColumn"], f["column"]);
        let expected_level = match f["severity"].as_str().unwrap() {
            "critical" | "high" => "error",
            "medium" => "warning",
            _ => "note",
        };
        assert_eq!(r["level"], expected_level);
        assert!(r["message"]["text"]
            .as_str()
            .unwrap()
            .contains(f["secret"].as_str().unwrap()));
    }
    let uris: Vec<&str> = results
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        [
            "app/settings.py",
            "config/db.yaml",
            "my%20notes/%C3%BCn%C3%AFcode%20%231.py"
        ]
    );
}

#[test]
fn driver_lists_each_fired_rule_once_with_help_and_severity() {
    let p = planted();
    let sarif = json(&run(&p, "sarif").stdout);
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "keyward");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    // optional; present only when Cargo.toml names a repository
    assert!(driver["informationUri"]
        .as_str()
        .is_none_or(|uri| uri.starts_with("https://")));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2, "{ids:?}");
    assert!(ids.contains(&"github-pat"));
    for rule in rules {
        assert!(!rule["name"].as_str().unwrap().is_empty());
        assert!(!rule["shortDescription"]["text"]
            .as_str()
            .unwrap()
            .is_empty());
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        let help = rule["help"]["markdown"].as_str().unwrap();
        assert!(help.contains(rule["help"]["text"].as_str().unwrap()));
        let props = &rule["properties"];
        let score: f64 = props["security-severity"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((0.0..=10.0).contains(&score));
        assert!(props["tags"]
            .as_array()
            .unwrap()
            .contains(&"security".into()));
        assert!(
            ["very-high", "high", "medium", "low"].contains(&props["precision"].as_str().unwrap())
        );
    }
    let pat = rules.iter().find(|r| r["id"] == "github-pat").unwrap();
    assert_eq!(pat["properties"]["security-severity"], "8.0");
}

#[test]
fn a_clean_run_is_valid_sarif_with_no_results() {
    let p = Project::new();
    p.write("clean.py", "x = 1\n");
    let out = run(&p, "sarif");
    assert_eq!(out.status.code(), Some(0));
    let doc = json(&out.stdout);
    assert_valid_sarif(&doc);
    assert!(doc["runs"][0]["results"].as_array().unwrap().is_empty());
    assert!(doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn sarif_goes_to_the_output_file() {
    let p = planted();
    p.keyward()
        .args(["scan", "--format", "sarif", "-o", "out/keyward.sarif"])
        .arg(p.path())
        .current_dir(p.path())
        .assert()
        .code(2); // the output directory does not exist: an error, exit 2
    std::fs::create_dir(p.join("out")).unwrap();
    p.keyward()
        .args([
            "scan",
            "app",
            "--format",
            "sarif",
            "-o",
            "out/keyward.sarif",
        ])
        .assert()
        .code(1)
        .stdout("");
    let doc = json(&std::fs::read(p.join("out/keyward.sarif")).unwrap());
    assert_valid_sarif(&doc);
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 1);
}

#[test]
fn no_ci_output_prints_a_secret_unless_asked() {
    let p = Project::new();
    let token = github_pat(4);
    let pw = password(5);
    p.write("a.py", format!("TOKEN = '{token}'\n"));
    p.write("b.yaml", format!("db:\n  password: \"{pw}\"\n"));
    let leaks =
        |text: &str| text.contains(&token) || text.contains(&pw) || text.contains(&token[4..20]);
    for format in ["sarif", "junit", "json", "jsonl", "human"] {
        let out = p
            .keyward()
            .args(["scan", "--format", format, "-v"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}");
        let all = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
        assert!(!leaks(&all), "{format} leaked a secret");
    }
    let out = p
        .keyward()
        .args(["baseline", "-o", "bl.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let file = std::fs::read_to_string(p.join("bl.json")).unwrap();
    assert!(!leaks(&file) && !leaks(&String::from_utf8_lossy(&out.stderr)));
    for format in ["sarif", "junit"] {
        let out = p
            .keyward()
            .args(["scan", "--format", format, "--show-secrets"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains(&token) && text.contains(&pw), "{format}");
    }
}

#[test]
fn history_findings_are_valid_sarif_with_their_commit() {
    let p = Project::new();
    p.git_init();
    p.write("app/a.py", format!("A = '{}'\n", github_pat(6)));
    let added = p.commit("add a <script>\u{1b}[2J");
    std::fs::remove_file(p.join("app/a.py")).unwrap();
    p.commit("remove a");
    let out = p
        .keyward()
        .args(["history", "--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out.stdout);
    assert_valid_sarif(&doc);
    let result = &doc["runs"][0]["results"][0];
    let commit = &result["properties"]["commit"];
    assert_eq!(commit["id"], added.to_string());
    assert_eq!(commit["author"], "Test Author");
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains(&added.to_string()[..12]));
    let uri = &result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(uri, "app/a.py");
}
