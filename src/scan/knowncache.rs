//! The cache of `keyward history --known-secrets-only --cache` (what `keyward-run
//! --check-history` runs at every start): the known-secret findings of the last check, kept in
//! `GIT_DIR/keyward/known-history.json` under a key that changes when any ref moves, any value
//! changes or keyward changes. The key is a SHA-256 over the refs, the values' fingerprints and
//! the version; the file holds that key and findings that name variables, never values.

use crate::detect::knownsecrets::KnownSecrets;
use crate::finding::{CommitInfo, Finding, Kind, Severity};
use crate::secret::{hex, Secret};
use anyhow::{Context, Result};
use git2::Repository;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

const FILE: &str = "known-history.json";

#[derive(Serialize, Deserialize)]
struct CacheFile {
    key: String,
    findings: Vec<Cached>,
    stats: crate::report::Stats,
}

/// A finding as the cache keeps it: `secret` is the variable's label, never a value.
#[derive(Serialize, Deserialize)]
struct Cached {
    rule: String,
    title: String,
    severity: Severity,
    path: String,
    line: u32,
    column: u32,
    commit: Option<CommitInfo>,
    label: String,
    fingerprint: String,
    remediation: String,
}

/// The key of a check of every ref of `repo` for `known`.
pub fn key(repo: &Repository, known: &KnownSecrets) -> Result<String> {
    let mut refs = Vec::new();
    for reference in repo.references().context("failed to list refs")? {
        let reference = reference.context("failed to read a ref")?;
        let name = reference.name_bytes().to_vec();
        let target = reference
            .resolve()
            .ok()
            .and_then(|r| r.target())
            .map(|oid| oid.to_string())
            .unwrap_or_default();
        refs.push((name, target));
    }
    if let Ok(head) = repo.head() {
        let target = head.target().map(|oid| oid.to_string()).unwrap_or_default();
        refs.push((b"HEAD".to_vec(), target));
    }
    // Older stash entries live only in the stash's reflog, and history scans them too.
    if let Ok(reflog) = repo.reflog("refs/stash") {
        for (i, entry) in reflog.iter().enumerate() {
            refs.push((
                format!("stash@{{{i}}}").into_bytes(),
                entry.id_new().to_string(),
            ));
        }
    }
    refs.sort();
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
    hasher.update([0]);
    for (name, target) in &refs {
        hasher.update(name);
        hasher.update([0]);
        hasher.update(target.as_bytes());
        hasher.update([0]);
    }
    hasher.update(known.digest().as_bytes());
    Ok(hex(&hasher.finalize()))
}

fn path(repo: &Repository) -> PathBuf {
    repo.path().join("keyward").join(FILE)
}

/// The findings and counters stored under `key`, if the cache holds them.
pub fn load(repo: &Repository, key: &str) -> Option<(Vec<Finding>, crate::report::Stats)> {
    let text = std::fs::read(path(repo)).ok()?;
    let file: CacheFile = serde_json::from_slice(&text).ok()?;
    if file.key != key {
        return None;
    }
    let findings = file
        .findings
        .into_iter()
        .map(Cached::into_finding)
        .collect();
    Some((findings, file.stats))
}

/// Replaces the cache with these findings under `key`. A cache that cannot be written is
/// only a slower next run, so the error is for the caller to note, not to fail on.
pub fn store(
    repo: &Repository,
    key: &str,
    findings: &[Finding],
    stats: &crate::report::Stats,
) -> Result<()> {
    if findings
        .iter()
        .any(|f| f.rule != crate::detect::catalog::KNOWN_SECRET)
    {
        return Ok(());
    }
    let file = CacheFile {
        key: key.to_string(),
        findings: findings.iter().map(Cached::from_finding).collect(),
        stats: stats.clone(),
    };
    let path = path(repo);
    let dir = path.parent().expect("the cache file is in a directory");
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(&file)?)
        .with_context(|| format!("failed to write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("failed to write {}", path.display()))
}

impl Cached {
    fn from_finding(f: &Finding) -> Cached {
        Cached {
            rule: f.rule.clone(),
            title: f.title.clone(),
            severity: f.severity,
            path: f.path.clone(),
            line: f.line,
            column: f.column,
            commit: f.commit.clone(),
            label: String::from_utf8_lossy(f.secret.expose()).into_owned(),
            fingerprint: f.fingerprint.clone(),
            remediation: f.remediation.clone(),
        }
    }

    fn into_finding(self) -> Finding {
        Finding {
            rule: self.rule,
            title: self.title,
            kind: Kind::Secret,
            severity: self.severity,
            path: self.path,
            line: self.line,
            column: self.column,
            commit: self.commit,
            secret: Secret::withheld(&self.label),
            fingerprint: self.fingerprint,
            remediation: self.remediation,
        }
    }
}
