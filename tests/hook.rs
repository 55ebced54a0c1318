//! `keyward hook install|uninstall` with real `git commit`s: a staged secret refuses the
//! commit and a clean change goes through; an existing hook is chained (and its failure
//! refuses the commit) and restored; install is idempotent; `core.hooksPath` is honoured;
//! `git commit -a` is checked against the index git is about to commit.

use crate::gitrepo::{git, git_command, repo, token_line};
use crate::harness::Project;
use predicates::str::contains;
use std::path::Path;

fn install(p: &Project) {
    p.keyward()
        .args(["hook", "install"])
        .assert()
        .success()
        .stdout(contains("installed"));
}

/// `git commit -m MESSAGE` with hooks enabled; returns (succeeded, stdout + stderr).
fn commit(p: &Project, args: &[&str]) -> (bool, String) {
    let out = git_command(p.path())
        .arg("commit")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
    (out.status.success(), text)
}

fn write_hook(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn the_hook_refuses_a_staged_secret_and_lets_a_clean_commit_through() {
    let p = repo();
    install(&p);
    p.write("app.py", token_line(30));
    git(p.path(), &["add", "app.py"]);
    let (ok, text) = commit(&p, &["-q", "-m", "leak"]);
    assert!(!ok, "the commit went through: {text}");
    assert!(
        text.contains("github-pat") && text.contains("app.py"),
        "{text}"
    );
    p.write("app.py", "import os\nTOKEN = os.environ['GITHUB_TOKEN']\n");
    git(p.path(), &["add", "app.py"]);
    let (ok, text) = commit(&p, &["-q", "-m", "clean"]);
    assert!(ok, "a clean commit was refused: {text}");
}

#[test]
fn commit_all_is_checked_against_the_index_git_commits() {
    let p = repo();
    p.write("app.py", "x = 1\n");
    git(p.path(), &["add", "app.py"]);
    git(p.path(), &["commit", "-q", "-m", "Initial commit"]);
    install(&p);
    // Modified in the working tree only: `git commit -a` stages it into a temporary index.
    p.write("app.py", format!("x = 1\n{}", token_line(31)));
    let (ok, text) = commit(&p, &["-q", "-a", "-m", "leak"]);
    assert!(!ok, "git commit -a let the secret through: {text}");
}

#[test]
fn an_existing_hook_is_chained_and_restored() {
    let p = repo();
    let hook = p.join(".git/hooks/pre-commit");
    write_hook(
        &hook,
        "touch \"$(git rev-parse --git-dir)/chained-ran\"\nexit \"${FAIL:-0}\"",
    );
    let original = std::fs::read(&hook).unwrap();
    install(&p);
    assert!(p.join(".git/hooks/pre-commit.keyward-chained").is_file());
    p.write("app.py", "x = 1\n");
    git(p.path(), &["add", "app.py"]);
    let (ok, text) = commit(&p, &["-q", "-m", "clean"]);
    assert!(ok, "{text}");
    assert!(
        p.join(".git/chained-ran").is_file(),
        "the chained hook did not run"
    );
    p.write("app.py", "x = 2\n");
    git(p.path(), &["add", "app.py"]);
    let out = git_command(p.path())
        .args(["commit", "-q", "-m", "refused by the old hook"])
        .env("FAIL", "1")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "a failing chained hook must refuse the commit"
    );
    p.keyward()
        .args(["hook", "uninstall"])
        .assert()
        .success()
        .stdout(contains("restored"));
    assert_eq!(std::fs::read(&hook).unwrap(), original);
    assert!(!p.join(".git/hooks/pre-commit.keyward-chained").exists());
}

#[test]
fn install_is_idempotent_and_uninstall_leaves_no_hook() {
    let p = repo();
    install(&p);
    let first = std::fs::read_to_string(p.join(".git/hooks/pre-commit")).unwrap();
    install(&p);
    let second = std::fs::read_to_string(p.join(".git/hooks/pre-commit")).unwrap();
    assert_eq!(first, second);
    assert!(second.contains("staged"));
    assert!(!p.join(".git/hooks/pre-commit.keyward-chained").exists());
    p.keyward().args(["hook", "uninstall"]).assert().success();
    assert!(!p.join(".git/hooks/pre-commit").exists());
    p.keyward()
        .args(["hook", "uninstall"])
        .assert()
        .success()
        .stdout(contains("nothing to do"));
}

#[test]
fn core_hooks_path_is_honoured() {
    let p = repo();
    git(p.path(), &["config", "core.hooksPath", ".githooks"]);
    install(&p);
    assert!(p.join(".githooks/pre-commit").is_file());
    assert!(!p.join(".git/hooks/pre-commit").exists());
    p.write("app.py", token_line(32));
    git(p.path(), &["add", "app.py"]);
    let (ok, _) = commit(&p, &["-q", "-m", "leak"]);
    assert!(!ok);
}

#[test]
fn the_pre_commit_framework_manifest_runs_keyward_pre_commit_with_the_files() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml");
    let text = std::fs::read_to_string(manifest).unwrap();
    for line in [
        "- id: keyward",
        "entry: keyward pre-commit",
        "language: rust",
        "pass_filenames: true",
    ] {
        assert!(text.contains(line), "missing `{line}`");
    }
}
