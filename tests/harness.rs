//! Test helpers: a temp project dir, file writing, git repositories and commits (the `git`
//! command, see `gitrepo`), and the keyward binary through assert_cmd.

#![allow(dead_code)]

use crate::gitrepo::git;
use assert_cmd::Command;
use std::path::{Path, PathBuf};

pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        Project {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes `content` to `rel`, creating parent directories.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Self {
        let path = self.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, content).unwrap();
        self
    }

    /// `keyward ARGS…` run in the project directory.
    pub fn keyward(&self) -> Command {
        let mut cmd = Command::cargo_bin("keyward").unwrap();
        cmd.current_dir(self.path()).env("NO_COLOR", "1");
        cmd
    }

    /// Initialises a git repository on branch `main` with the `git` command, isolated from the
    /// machine's configuration (`gitrepo::git`): the one way tests build repositories. The
    /// returned handle is for tests that inspect or move refs.
    pub fn git_init(&self) -> git2::Repository {
        git(self.path(), &["init", "-q", "-b", "main"]);
        git(self.path(), &["config", "commit.gpgsign", "false"]);
        git(self.path(), &["config", "user.name", "Test Author"]);
        git(
            self.path(),
            &["config", "user.email", "author@example.test"],
        );
        git2::Repository::open(self.path()).unwrap()
    }

    /// Stages every file (ignored ones too, and removals) and commits with `message` on
    /// whatever HEAD is, without hooks; returns the commit id.
    pub fn commit(&self, message: &str) -> git2::Oid {
        git(self.path(), &["add", "-A", "-f"]);
        let args = [
            "commit",
            "-q",
            "--no-verify",
            "--allow-empty",
            "-m",
            message,
        ];
        git(self.path(), &args);
        git2::Oid::from_str(&git(self.path(), &["rev-parse", "HEAD"])).unwrap()
    }
}

/// Runs a `--format json` keyward command that must not fail (exit 0 or 1); its exit code and
/// report.
pub fn run_json(cmd: &mut Command) -> (Option<i32>, serde_json::Value) {
    let out = cmd.output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), json(&out.stdout))
}

/// Parses `--format json` output.
pub fn json(output: &[u8]) -> serde_json::Value {
    serde_json::from_slice(output)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(output)))
}

/// (path, line, rule) of each finding in a JSON report.
pub fn found(report: &serde_json::Value) -> Vec<(String, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["rule"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Random-looking alphanumeric text of length `n`, deterministic per `seed` (no `rand` crate).
pub fn random_text(seed: u64, n: usize) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHA[(x % ALPHA.len() as u64) as usize] as char
        })
        .collect()
}

/// A GitHub-format token: `prefix` (e.g. `ghp_`), a 30-character body and the six base62
/// characters of the body's CRC-32 that GitHub's format ends with, so the checksum check
/// accepts it. `body` must be 30 characters. The checksum is the recall generator's, written
/// apart from the scanner's own (a shared mistake would pass both).
pub fn with_github_checksum(prefix: &str, body: &str) -> String {
    use crate::recall::gen::{base62_6, crc32};
    assert_eq!(body.len(), 30, "a GitHub token body is 30 characters");
    format!("{prefix}{body}{}", base62_6(crc32(body.as_bytes())))
}

/// A random-looking GitHub personal access token with a valid checksum, deterministic per seed.
pub fn github_pat(seed: u64) -> String {
    with_github_checksum("ghp_", &random_text(seed, 30))
}
