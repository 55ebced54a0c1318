//! `keyward staged` through the real binary: only what `git commit` would record (the index,
//! not the working tree), added lines at their real line numbers, whole new files (with
//! file-level findings), renames, partially staged files, and the first commit.

use crate::gitrepo::{commit_all, findings, git, github_pat, repo, token_line};
use crate::harness::{json, Project};

fn staged(p: &Project) -> (Option<i32>, serde_json::Value) {
    let out = p
        .keyward()
        .args(["staged", "--format", "json"])
        .output()
        .unwrap();
    (out.status.code(), json(&out.stdout))
}

fn lines(report: &serde_json::Value) -> Vec<(String, u64, String)> {
    findings(report)
        .into_iter()
        .map(|f| (f.0, f.1, f.2))
        .collect()
}

/// Ten harmless lines of Python.
fn filler() -> String {
    (1..=10).map(|i| format!("value_{i} = {i}\n")).collect()
}

#[test]
fn only_added_lines_are_reported_at_their_line_in_the_staged_file() {
    let p = repo();
    p.write("app.py", format!("{}{}", token_line(20), filler()));
    commit_all(&p, "Initial commit with an old token");
    let mut text: Vec<String> = format!("{}{}", token_line(20), filler())
        .lines()
        .map(String::from)
        .collect();
    text.insert(6, token_line(21).trim_end().to_string());
    p.write("app.py", text.join("\n") + "\n");
    git(p.path(), &["add", "app.py"]);
    let (code, report) = staged(&p);
    assert_eq!(code, Some(1));
    assert_eq!(lines(&report), [("app.py".into(), 7, "github-pat".into())]);
    let commit = &report["findings"][0]["commit"];
    assert_eq!(commit["id"], "0000000000000000000000000000000000000000");
    assert_eq!(commit["author"], "Test Author");
}

#[test]
fn the_index_is_scanned_not_the_working_tree() {
    let p = repo();
    p.write("app.py", filler());
    commit_all(&p, "Initial commit");
    p.write("app.py", format!("{}{}", filler(), token_line(22)));
    git(p.path(), &["add", "app.py"]);
    // Now unstaged: the token is removed and another added in the working tree only.
    p.write("app.py", format!("{}x = 0\n{}", filler(), token_line(23)));
    let (code, report) = staged(&p);
    assert_eq!(code, Some(1));
    let found = findings(&report);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1, 11);
    assert_eq!(
        found[0].3,
        keyward::secret::fingerprint("github-pat", github_pat(22).as_bytes())
    );
}

#[test]
fn new_files_before_the_first_commit_are_scanned_whole() {
    let p = repo();
    p.write("app.py", format!("{}{}", filler(), token_line(24)));
    p.write(".env", "DEBUG=1\nDATABASE_HOST=localhost\n");
    git(p.path(), &["add", "app.py", ".env"]);
    let (code, report) = staged(&p);
    assert_eq!(code, Some(1));
    let found = lines(&report);
    assert!(
        found.contains(&("app.py".into(), 11, "github-pat".into())),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.0 == ".env" && f.2 == "env-file-committed"),
        "a newly added .env is a finding even with harmless values: {found:?}"
    );
}

#[test]
fn a_renamed_file_reports_only_its_added_lines() {
    let p = repo();
    p.write("old_name.py", format!("{}{}", token_line(25), filler()));
    commit_all(&p, "Initial commit");
    git(p.path(), &["mv", "old_name.py", "new_name.py"]);
    p.write(
        "new_name.py",
        format!("{}{}{}", token_line(25), filler(), token_line(26)),
    );
    git(p.path(), &["add", "new_name.py"]);
    let (_, report) = staged(&p);
    assert_eq!(
        lines(&report),
        [("new_name.py".into(), 12, "github-pat".into())]
    );
}

#[test]
fn a_clean_change_exits_0_and_deletions_are_ignored() {
    let p = repo();
    p.write("app.py", token_line(27));
    p.write("other.py", filler());
    commit_all(&p, "Initial commit");
    git(p.path(), &["rm", "-q", "app.py"]);
    p.write("other.py", format!("{}more = 1\n", filler()));
    git(p.path(), &["add", "other.py"]);
    let (code, report) = staged(&p);
    assert_eq!(code, Some(0));
    assert!(findings(&report).is_empty());
    assert_eq!(report["stats"]["files"], 1);
}

#[test]
fn staged_outside_a_repository_exits_2() {
    let p = Project::new();
    p.keyward()
        .args(["staged"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("is it a git repository?"));
}
