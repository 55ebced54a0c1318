//! Baselines through the real binary: accept today's findings, block a new one, expiry, stale
//! entries reported and pruned, a moved line still hidden, a rewritten commit still hidden
//! (fingerprints, not lines or commits), and a strict file format.

use crate::gitrepo::git;
use crate::harness::{found, json, random_text, Project};
use predicates::prelude::*;
use predicates::str::contains;
use serde_json::Value;

const FILE: &str = ".keyward-baseline.json";

fn github_pat(seed: u64) -> String {
    format!("ghp_{}", random_text(seed, 36))
}

fn scan(p: &Project, extra: &[&str]) -> (Option<i32>, Value, String) {
    let out = p
        .keyward()
        .args(["scan", "--format", "json", "--baseline", FILE])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code(), json(&out.stdout), stderr)
}

fn record(p: &Project, extra: &[&str]) {
    p.keyward()
        .args(["baseline", "-o", FILE])
        .args(extra)
        .assert()
        .code(0)
        .stderr(contains("baseline entries to"));
}

fn read_baseline(p: &Project) -> Value {
    json(&std::fs::read(p.join(FILE)).unwrap())
}

fn write_baseline(p: &Project, v: &Value) {
    p.write(FILE, serde_json::to_string_pretty(v).unwrap());
}

/// Two accepted secrets in two files.
fn accepted() -> Project {
    let p = Project::new();
    p.write("app/a.py", format!("A = '{}'\n", github_pat(1)));
    p.write("app/b.py", format!("B = '{}'\n", github_pat(2)));
    record(&p, &[]);
    p
}

#[test]
fn accept_then_scan_is_clean() {
    let p = accepted();
    let bl = read_baseline(&p);
    assert_eq!(bl["version"], 1);
    let entries = bl["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["rule"], "github-pat");
    assert_eq!(entries[0]["path"], "app/a.py");
    assert_eq!(
        entries[0]["fingerprint"],
        keyward::secret::fingerprint("github-pat", github_pat(1).as_bytes())
    );
    assert!(entries[0].get("commit").is_none());
    let (code, report, stderr) = scan(&p, &[]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(found(&report).is_empty());
    assert_eq!(report["stats"]["baselined"], 2);
    // without --baseline the findings are there
    p.keyward().args(["scan"]).assert().code(1);
}

#[test]
fn a_new_finding_is_blocked_and_only_it_is_reported() {
    let p = accepted();
    p.write("app/c.py", format!("C = '{}'\n", github_pat(3)));
    let (code, report, _) = scan(&p, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        found(&report),
        [("app/c.py".to_string(), 1, "github-pat".to_string())]
    );
    // the same accepted secret pasted into a new file is still the accepted secret
    p.write("app/d.py", format!("D = '{}'\n", github_pat(1)));
    let (_, report, _) = scan(&p, &[]);
    assert_eq!(found(&report).len(), 1);
}

#[test]
fn an_expired_entry_no_longer_hides() {
    let p = accepted();
    let mut bl = read_baseline(&p);
    bl["entries"][0]["expires"] = "2000-01-01".into();
    bl["entries"][0]["reason"] = "test fixture, rotated".into();
    bl["entries"][1]["expires"] = "2999-12-31".into();
    write_baseline(&p, &bl);
    let (code, report, stderr) = scan(&p, &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        found(&report),
        [("app/a.py".to_string(), 1, "github-pat".to_string())]
    );
    assert!(stderr.contains("expired on 2000-01-01"), "{stderr}");
    // regenerating keeps the people-written reason and expiry date
    record(&p, &[]);
    let bl = read_baseline(&p);
    assert_eq!(bl["entries"][0]["reason"], "test fixture, rotated");
    assert_eq!(bl["entries"][0]["expires"], "2000-01-01");
    assert_eq!(bl["entries"][1]["expires"], "2999-12-31");
}

#[test]
fn stale_entries_are_reported_and_pruned() {
    let p = accepted();
    let mut bl = read_baseline(&p);
    bl["entries"][1]["reason"] = "kept".into();
    write_baseline(&p, &bl);
    p.write("app/a.py", "A = os.environ['A']\n"); // the secret was removed
    let (code, report, stderr) = scan(&p, &[]);
    assert_eq!(code, Some(0));
    let stale = report["stale_baseline"].as_array().unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["path"], "app/a.py");
    assert!(stderr.contains("1 entries match no finding"), "{stderr}");
    // a partial scan cannot tell what is stale, so it does not say
    let (_, report, _) = scan(&p, &["app/b.py"]);
    assert!(report["stale_baseline"].as_array().unwrap().is_empty());
    p.keyward()
        .args(["baseline", "--prune", "-o", FILE])
        .assert()
        .code(0)
        .stderr(contains("pruned: github-pat at app/a.py"));
    let bl = read_baseline(&p);
    let entries = bl["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["path"], "app/b.py");
    assert_eq!(entries[0]["reason"], "kept");
    let (code, report, stderr) = scan(&p, &[]);
    assert_eq!(code, Some(0));
    assert!(report["stale_baseline"].as_array().unwrap().is_empty());
    assert!(!stderr.contains("stale"), "{stderr}");
}

#[test]
fn prune_adds_no_new_finding() {
    let p = accepted();
    p.write("app/c.py", format!("C = '{}'\n", github_pat(4)));
    p.keyward()
        .args(["baseline", "--prune", "-o", FILE])
        .assert()
        .code(0);
    assert_eq!(read_baseline(&p)["entries"].as_array().unwrap().len(), 2);
    assert_eq!(scan(&p, &[]).0, Some(1));
}

#[test]
fn a_moved_line_is_still_hidden() {
    let p = accepted();
    let token = github_pat(1);
    p.write(
        "app/a.py",
        format!("import os\n\n\ndef f():\n    return 1\n\nA = '{token}'\n"),
    );
    std::fs::remove_file(p.join("app/b.py")).unwrap();
    p.write(
        "lib/moved.py",
        format!("# moved\nB = \"{}\"\n", github_pat(2)),
    );
    let (code, report, stderr) = scan(&p, &[]);
    assert_eq!(code, Some(0), "{report}");
    assert_eq!(report["stats"]["baselined"], 2);
    assert!(!stderr.contains("stale"), "{stderr}");
}

/// `keyward ARGS --format json` in `p`: exit code and report.
fn run_json(p: &Project, args: &[&str]) -> (Option<i32>, Value) {
    let out = p
        .keyward()
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    (out.status.code(), json(&out.stdout))
}

/// Moves the current branch to `to` (what a rebase or squash leaves behind: the old commits
/// are no longer reachable from any ref).
fn move_branch(repo: &git2::Repository, branch: &str, to: git2::Oid) {
    repo.reference(branch, to, true, "rewrite").unwrap();
    repo.set_head(branch).unwrap();
}

#[test]
fn a_rebased_commit_is_still_hidden() {
    let p = Project::new();
    let outside = tempfile::tempdir().unwrap();
    let bl = outside.path().join("baseline.json");
    let bl = bl.to_str().unwrap();
    let repo = p.git_init();
    p.write("README.md", "base\n");
    let base = p.commit("base");
    let branch = repo.head().unwrap().name().unwrap().to_string();
    let content = format!("A = '{}'\n", github_pat(5));
    p.write("app/a.py", &content);
    let original = p.commit("add a");
    p.keyward()
        .args(["baseline", "--history", "-o", bl])
        .assert()
        .code(0);
    // rebase `add a` onto a new commit on top of `base`
    repo.set_head_detached(base).unwrap();
    std::fs::remove_file(p.join("app/a.py")).unwrap();
    p.write("other.txt", "upstream work\n");
    p.commit("upstream");
    p.write("app/a.py", &content);
    let rebased = p.commit("add a");
    move_branch(&repo, &branch, rebased);
    let (code, report) = run_json(&p, &["history"]);
    assert_eq!(code, Some(1));
    assert_eq!(report["findings"][0]["commit"]["id"], rebased.to_string());
    let recorded = json(&std::fs::read(bl).unwrap());
    assert_eq!(recorded["entries"][0]["commit"], original.to_string());
    let (code, report) = run_json(&p, &["history", "--baseline", bl]);
    assert_eq!(code, Some(0), "{report}");
    assert!(report["stale_baseline"].as_array().unwrap().is_empty());
}

#[test]
fn a_squashed_history_is_still_hidden() {
    let p = Project::new();
    let outside = tempfile::tempdir().unwrap();
    let bl = outside.path().join("baseline.json");
    let bl = bl.to_str().unwrap();
    let repo = p.git_init();
    p.write("README.md", "base\n");
    let base = p.commit("base");
    let branch = repo.head().unwrap().name().unwrap().to_string();
    p.write("a.py", format!("A = '{}'\n", github_pat(6)));
    p.commit("one");
    p.write("b.py", format!("B = '{}'\n", github_pat(7)));
    p.commit("two");
    p.keyward()
        .args(["baseline", "--history", "-o", bl])
        .assert()
        .code(0);
    repo.set_head_detached(base).unwrap();
    let squashed = p.commit("one and two");
    move_branch(&repo, &branch, squashed);
    let (code, report) = run_json(&p, &["history"]);
    assert_eq!((code, found(&report).len()), (Some(1), 2));
    assert_eq!(run_json(&p, &["history", "--baseline", bl]).0, Some(0));
}

#[test]
fn a_tree_scan_neither_reports_nor_prunes_history_entries() {
    // regression: a tree scan called a history entry stale once the secret left the tree, and
    // pruning it broke the history gate
    let p = Project::new();
    let repo = p.git_init();
    p.write("a.py", format!("A = '{}'\n", github_pat(9)));
    let added = p.commit("add");
    record(&p, &["--history"]);
    p.write("a.py", "A = os.environ['A']\n");
    p.commit("remove");
    let (code, report, stderr) = scan(&p, &[]);
    assert_eq!(code, Some(0));
    assert!(
        report["stale_baseline"].as_array().unwrap().is_empty(),
        "{stderr}"
    );
    record(&p, &["--prune"]);
    let entries = read_baseline(&p)["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["commit"], added.to_string());
    assert_eq!(run_json(&p, &["history", "--baseline", FILE]).0, Some(0));
    // once history no longer holds it, a history scan calls it stale and prunes it
    let branch = repo.head().unwrap().name().unwrap().to_string();
    git(p.path(), &["add", "a.py"]);
    let tree = git(p.path(), &["write-tree"]);
    let clean = git(p.path(), &["commit-tree", &tree, "-m", "rewritten"]);
    let clean = git2::Oid::from_str(&clean).unwrap();
    move_branch(&repo, &branch, clean);
    let (code, report) = run_json(&p, &["history", "--baseline", FILE]);
    assert_eq!(code, Some(0));
    assert_eq!(report["stale_baseline"][0]["commit"], added.to_string());
    record(&p, &["--history", "--prune"]);
    assert!(read_baseline(&p)["entries"].as_array().unwrap().is_empty());
}

#[test]
fn staged_baselines_and_partial_scans_do_not_prune() {
    let p = Project::new();
    let repo = p.git_init();
    p.write("README.md", "base\n");
    p.commit("base");
    p.write("a.py", format!("A = '{}'\n", github_pat(8)));
    let mut index = repo.index().unwrap();
    index.add_path(std::path::Path::new("a.py")).unwrap();
    index.write().unwrap();
    record(&p, &["--staged"]);
    let entries = read_baseline(&p)["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1);
    assert!(
        entries[0].get("commit").is_none(),
        "no commit for a staged entry"
    );
    assert_eq!(run_json(&p, &["staged", "--baseline", FILE]).0, Some(0));
    for partial in [&["--staged"][..], &["--history", "--since-commit", "HEAD"]] {
        p.keyward()
            .args(["baseline", "--prune", "-o", FILE])
            .args(partial)
            .assert()
            .code(2)
            .stderr(contains("--prune needs a scan of the whole repository"));
    }
}

#[test]
fn a_bad_baseline_file_is_an_error_naming_it() {
    let p = accepted();
    let mut bl = read_baseline(&p);
    bl["entries"][0]["expire"] = "2000-01-01".into();
    write_baseline(&p, &bl);
    p.keyward()
        .args(["scan", "--baseline", FILE])
        .assert()
        .code(2)
        .stderr(contains(FILE).and(contains("expire")));
    let mut bl = read_baseline(&p);
    bl["entries"][0].as_object_mut().unwrap().remove("expire");
    bl["entries"][0]["expires"] = "next week".into();
    write_baseline(&p, &bl);
    p.keyward()
        .args(["scan", "--baseline", FILE])
        .assert()
        .code(2)
        .stderr(contains("YYYY-MM-DD"));
    p.keyward()
        .args(["scan", "--baseline", "missing.json"])
        .assert()
        .code(2)
        .stderr(contains("missing.json"));
}
