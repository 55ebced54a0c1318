//! Git helpers for the history, staged and hook tests: the real `git` command with a fixed
//! identity and no user or system configuration, and secrets the built-in rules detect.

#![allow(dead_code)]

use crate::harness::{random_text, Project};
use std::path::Path;
use std::process::{Command, Output};

/// `git ARGS…` in `dir`, isolated from the machine's git configuration; panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// `git ARGS…` in `dir`, whatever its exit status.
pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    git_command(dir).args(args).output().expect("git runs")
}

pub fn git_command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.test")
        .env("GIT_COMMITTER_NAME", "Test Author")
        .env("GIT_COMMITTER_EMAIL", "author@example.test")
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE");
    cmd
}

/// A new project with a repository on branch `main` (`Project::git_init`).
pub fn repo() -> Project {
    let p = Project::new();
    p.git_init();
    p
}

/// Stages everything and commits (`Project::commit`); returns the new commit id.
pub fn commit_all(p: &Project, message: &str) -> String {
    p.commit(message).to_string()
}

pub fn github_pat(seed: u64) -> String {
    format!("ghp_{}", random_text(seed, 36))
}

/// A line of Python that the built-in rules report as a GitHub token.
pub fn token_line(seed: u64) -> String {
    format!("GITHUB_TOKEN = \"{}\"\n", github_pat(seed))
}

/// (path, line, rule, fingerprint, commit summary) of each finding in a JSON report.
pub fn findings(report: &serde_json::Value) -> Vec<(String, u64, String, String, String)> {
    let mut out: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
                f["fingerprint"].as_str().unwrap().to_string(),
                f["commit"]["summary"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}
