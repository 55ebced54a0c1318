//! A commit range reports what it introduces (`keyward history --since-commit BASE --branch
//! HEAD`, the pull-request mode of the Action): secrets already at the same path in BASE are
//! not blamed on the pull request's commit that merely touched their file.

use crate::harness::{github_pat, json, Project};

#[test]
fn a_range_does_not_blame_old_secrets_on_the_commit_that_touched_their_file() {
    // regression: flask's 5 old secrets were reported as introduced by one new commit
    let p = Project::new();
    p.git_init();
    let old = format!("A = '{}'\nB = '{}'\n", github_pat(1), github_pat(2));
    p.write("app/config.py", &old);
    let base = p.commit("base");
    p.write("app/config.py", format!("{old}DEBUG = False\n"));
    p.commit("touch the file");
    let new = github_pat(3);
    p.write(
        "app/config.py",
        format!("{old}DEBUG = False\nC = '{new}'\n"),
    );
    p.write("app/moved.py", format!("B = '{}'\n", github_pat(2)));
    let adds = p.commit("add a secret, copy an old one to a new file");
    let out = p
        .keyward()
        .args([
            "history",
            "--format",
            "json",
            "--branch",
            "HEAD",
            "--since-commit",
        ])
        .arg(base.to_string())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out.stdout);
    let found: Vec<(String, u64, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let at = (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            );
            (at.0, at.1, f["commit"]["id"].as_str().unwrap().to_string())
        })
        .collect();
    // the new secret, and the old one at a path where BASE did not have it
    assert_eq!(
        found,
        [
            ("app/config.py".to_string(), 4, adds.to_string()),
            ("app/moved.py".to_string(), 1, adds.to_string()),
        ]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("2 finding(s) already in the range's base"),
        "{stderr}"
    );
    // the whole history still reports the old ones, at the base commit
    let out = p
        .keyward()
        .args(["history", "--format", "json"])
        .output()
        .unwrap();
    let report = json(&out.stdout);
    let at_base = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["commit"]["id"] == base.to_string())
        .count();
    assert_eq!(at_base, 2);
    // so does a range starting before the base
    let out = p
        .keyward()
        .args(["history", "--format", "json", "--range"])
        .arg(format!("{base}..HEAD"))
        .output()
        .unwrap();
    assert_eq!(json(&out.stdout)["findings"].as_array().unwrap().len(), 2);
}
