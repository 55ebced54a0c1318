//! `keyward history --since-state FILE`: a first run scans every ref and records each ref's
//! tip; later runs scan only what each ref gained; a force-pushed ref is scanned in full and
//! said so; the file holds ref names and commit ids only.

use crate::gitrepo::{commit_all, findings, git, repo, token_line};
use crate::harness::{json, Project};
use serde_json::Value;

/// `history --since-state state.json --format json`: (exit code, report, stderr).
fn sweep(p: &Project, state: &std::path::Path) -> (i32, Value, String) {
    let out = p
        .keyward()
        .args(["history", "--format", "json", "--since-state"])
        .arg(state)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{stderr}");
    (out.status.code().unwrap(), json(&out.stdout), stderr)
}

fn summaries(report: &Value) -> Vec<String> {
    findings(report).into_iter().map(|f| f.4).collect()
}

/// The state file as ref name → commit id, checking it holds nothing else.
fn state_refs(state: &std::path::Path) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_slice(&std::fs::read(state).unwrap()).unwrap();
    let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["refs", "version"], "{doc}");
    let refs = doc["refs"].as_object().unwrap();
    refs.iter()
        .map(|(name, id)| {
            let id = id.as_str().unwrap().to_string();
            assert!(name == "HEAD" || name.starts_with("refs/"), "{name}");
            assert!(
                id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit()),
                "{id}"
            );
            (name.clone(), id)
        })
        .collect()
}

#[test]
fn later_runs_scan_only_the_new_commits_of_each_ref() {
    let p = repo();
    let state_dir = tempfile::tempdir().unwrap();
    let state = state_dir.path().join("state.json");
    p.write("a.py", token_line(1));
    let first = commit_all(&p, "first");

    let (code, report, stderr) = sweep(&p, &state);
    assert_eq!(code, 1);
    assert_eq!(summaries(&report), ["first"]);
    assert!(stderr.contains("every ref is scanned in full"), "{stderr}");
    assert_eq!(
        state_refs(&state),
        [("refs/heads/main".into(), first.clone())]
    );
    let text = std::fs::read_to_string(&state).unwrap();
    assert!(!text.contains("ghp_") && !text.contains("a.py"), "{text}");

    // nothing new: nothing scanned, nothing reported
    let (code, report, _) = sweep(&p, &state);
    assert_eq!((code, report["stats"]["commits"].as_u64()), (0, Some(0)));

    p.write("b.py", token_line(2));
    let second = commit_all(&p, "second");
    let (code, report, _) = sweep(&p, &state);
    assert_eq!(code, 1);
    assert_eq!(summaries(&report), ["second"]);
    assert_eq!(report["stats"]["commits"], 1);
    assert_eq!(
        state_refs(&state),
        [("refs/heads/main".into(), second.clone())]
    );

    // a new branch: only its own commit
    git(p.path(), &["checkout", "-q", "-b", "feature"]);
    p.write("c.py", token_line(3));
    let feature = commit_all(&p, "on feature");
    let (_, report, _) = sweep(&p, &state);
    assert_eq!(summaries(&report), ["on feature"]);
    let mut expected = vec![
        ("refs/heads/feature".to_string(), feature),
        ("refs/heads/main".to_string(), second),
    ];
    expected.sort();
    assert_eq!(state_refs(&state), expected);

    // a deleted branch leaves the state
    git(p.path(), &["checkout", "-q", "main"]);
    git(p.path(), &["branch", "-q", "-D", "feature"]);
    let (code, _, _) = sweep(&p, &state);
    assert_eq!(code, 0);
    assert_eq!(state_refs(&state).len(), 1);
}

#[test]
fn a_force_pushed_ref_is_scanned_in_full_and_said_so() {
    let p = repo();
    let state_dir = tempfile::tempdir().unwrap();
    let state = state_dir.path().join("state.json");
    p.write("a.py", token_line(1));
    let base = commit_all(&p, "base");
    p.write("b.py", token_line(2));
    let old_tip = commit_all(&p, "to be rewritten");
    let (_, report, _) = sweep(&p, &state);
    assert_eq!(summaries(&report), ["base", "to be rewritten"]);

    // main is rewritten: it no longer contains the commit last scanned
    git(p.path(), &["reset", "-q", "--hard", &base]);
    p.write("c.py", token_line(3));
    let new_tip = commit_all(&p, "rewritten");
    let (code, report, stderr) = sweep(&p, &state);
    assert_eq!(code, 1);
    let note = format!("refs/heads/main no longer contains {}", &old_tip[..12]);
    assert!(
        stderr.contains(&note) && stderr.contains("scanned in full"),
        "{stderr}"
    );
    // scanned in full: the base commit's secret is reported again, with the new one
    assert_eq!(summaries(&report), ["base", "rewritten"]);
    assert_eq!(report["stats"]["commits"], 2);
    assert_eq!(state_refs(&state), [("refs/heads/main".into(), new_tip)]);

    // from then on, incremental again
    let (code, report, stderr) = sweep(&p, &state);
    assert_eq!((code, report["stats"]["commits"].as_u64()), (0, Some(0)));
    assert!(!stderr.contains("no longer contains"), "{stderr}");
}

#[test]
fn a_fast_forward_with_a_merge_scans_only_the_merged_branch_commits() {
    let p = repo();
    let state_dir = tempfile::tempdir().unwrap();
    let state = state_dir.path().join("state.json");
    p.write("README.md", "base\n");
    commit_all(&p, "base");
    sweep(&p, &state);
    git(p.path(), &["checkout", "-q", "-b", "topic"]);
    p.write("t.py", token_line(4));
    commit_all(&p, "topic work");
    git(p.path(), &["checkout", "-q", "main"]);
    p.write("m.py", "x = 1\n");
    commit_all(&p, "main work");
    git(p.path(), &["merge", "-q", "--no-edit", "topic"]);
    git(p.path(), &["branch", "-q", "-D", "topic"]);
    let (code, report, stderr) = sweep(&p, &state);
    assert_eq!(code, 1);
    assert_eq!(summaries(&report), ["topic work"]);
    assert_eq!(
        report["stats"]["commits"], 3,
        "topic, main work and the merge"
    );
    assert!(!stderr.contains("no longer contains"), "{stderr}");
}

#[test]
fn a_damaged_state_file_is_an_error_that_names_it() {
    let p = repo();
    p.write("a.py", "x = 1\n");
    commit_all(&p, "first");
    p.write(
        "state.json",
        "{\"version\": 1, \"refs\": {\"refs/heads/main\": \"not a commit\"}}",
    );
    let out = p
        .keyward()
        .args(["history", "--since-state", "state.json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr.contains("state.json") && stderr.contains("delete it"),
        "{stderr}"
    );
    let out = p
        .keyward()
        .args([
            "history",
            "--since-state",
            "s.json",
            "--since-commit",
            "HEAD",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "--since-state replaces --since-commit"
    );
}
