//! `--format junit` through the real binary, parsed with roxmltree: one test suite, one failing
//! test case per finding, a passing test case for a clean run, hostile paths escaped.

use crate::harness::{github_pat, json, Project};

fn junit(p: &Project, extra: &[&str]) -> (Option<i32>, String) {
    let out = p
        .keyward()
        .args(["scan", "--format", "junit"])
        .args(extra)
        .output()
        .unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap())
}

#[test]
fn one_failing_test_case_per_finding() {
    let p = Project::new();
    p.write(
        "a.py",
        format!("A = '{}'\nB = '{}'\n", github_pat(1), github_pat(2)),
    );
    p.write("cfg/c.yaml", format!("token: {}\n", github_pat(3)));
    let (code, xml) = junit(&p, &[]);
    assert_eq!(code, Some(1));
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let suites: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 1);
    let suite = suites[0];
    assert_eq!(suite.attribute("tests"), Some("3"));
    assert_eq!(suite.attribute("failures"), Some("3"));
    let cases: Vec<_> = suite
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 3);
    let report = json(
        &p.keyward()
            .args(["scan", "--format", "json"])
            .output()
            .unwrap()
            .stdout,
    );
    for (case, f) in cases.iter().zip(report["findings"].as_array().unwrap()) {
        assert_eq!(case.attribute("file"), f["path"].as_str());
        assert_eq!(case.attribute("line"), Some(f["line"].to_string().as_str()));
        let failure = case
            .children()
            .find(|n| n.has_tag_name("failure"))
            .expect("each finding is a failure");
        assert_eq!(failure.attribute("type"), f["rule"].as_str());
        let message = failure.attribute("message").unwrap();
        assert!(message.contains(f["secret"].as_str().unwrap()), "{message}");
        let body = failure.text().unwrap();
        assert!(body.contains(f["fingerprint"].as_str().unwrap()));
        assert!(body.contains("fix: "));
    }
}

#[test]
fn a_clean_run_is_one_passing_test_case() {
    let p = Project::new();
    p.write("clean.py", "x = 1\n");
    let (code, xml) = junit(&p, &[]);
    assert_eq!(code, Some(0));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 1);
    assert!(cases[0].children().all(|n| !n.is_element()));
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(suite.attribute("failures"), Some("0"));
}

#[cfg(unix)]
#[test]
fn hostile_paths_and_markup_stay_well_formed() {
    let p = Project::new();
    let name = "x<&\"'>\x1b[31m.py";
    p.write(name, format!("T = '{}'\n", github_pat(4)));
    let (code, xml) = junit(&p, &[]);
    assert_eq!(code, Some(1));
    assert!(!xml.contains('\x1b'), "raw ESC in the XML");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let case = doc
        .descendants()
        .find(|n| n.has_tag_name("testcase"))
        .unwrap();
    assert_eq!(case.attribute("file"), Some("x<&\"'>\\u{1b}[31m.py"));
}
