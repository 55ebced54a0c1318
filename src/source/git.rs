//! Git plumbing shared by the history and staged sources: opening a repository with an error
//! that names it, commit provenance (`CommitInfo`), and a cheap hash set of object ids.
//! Nothing here scans or prints.

use crate::finding::CommitInfo;
use anyhow::{Context, Result};
use git2::{Oid, Repository};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::Path;

/// Opens the repository at (or above) `path`; bare repositories work too.
pub fn open_repo(path: &Path) -> Result<Repository> {
    kept_or_open(None, path)
}

/// `kept`, the repository already discovered from `path` in this run, set up as `open_repo`
/// sets one up (libgit2 reads that setting when it reads an object, not when it opens a
/// repository); without one, `open_repo(path)`.
pub fn kept_or_open(kept: Option<Repository>, path: &Path) -> Result<Repository> {
    // keyward only reads objects: re-hashing every object libgit2 inflates (its default) cost
    // a tenth of a history scan's time. Integrity is `git fsck`'s job.
    git2::opts::strict_hash_verification(false);
    if let Some(repo) = kept {
        return Ok(repo);
    }
    Repository::discover(path).with_context(|| {
        format!(
            "failed to open repository {}; is it a git repository?",
            path.display()
        )
    })
}

/// Object ids are already uniformly random: the first eight bytes are the hash.
#[derive(Default)]
pub struct OidHasher(u64);

impl Hasher for OidHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        if bytes.len() >= 8 {
            let mut head = [0u8; 8];
            head.copy_from_slice(&bytes[..8]);
            self.0 ^= u64::from_le_bytes(head);
        }
    }

    fn write_usize(&mut self, _: usize) {}
}

pub type OidSet = HashSet<Oid, BuildHasherDefault<OidHasher>>;
pub type OidMap<V> = std::collections::HashMap<Oid, V, BuildHasherDefault<OidHasher>>;

/// Who wrote `commit`, when, and why: the provenance a history or staged finding carries.
pub fn commit_info(commit: &git2::Commit) -> CommitInfo {
    let author = commit.author();
    CommitInfo {
        id: commit.id().to_string(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        date: rfc3339(author.when()),
        summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
    }
}

/// `2024-01-09T10:15:00+01:00`: the commit's own time and offset.
pub fn rfc3339(time: git2::Time) -> String {
    let offset = i64::from(time.offset_minutes());
    let local = time.seconds() + offset * 60;
    let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (y, m, d) = crate::dates::civil_from_days(days);
    let sign = if offset < 0 { '-' } else { '+' };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        offset.abs() / 60,
        offset.abs() % 60
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn formats_commit_times() {
        let t = git2::Time::new(1_704_795_300, 0);
        assert_eq!(rfc3339(t), "2024-01-09T10:15:00+00:00");
        let t = git2::Time::new(1_704_795_300, -330);
        assert_eq!(rfc3339(t), "2024-01-09T04:45:00-05:30");
        assert_eq!(
            rfc3339(git2::Time::new(951_782_400, 60)),
            "2000-02-29T01:00:00+01:00"
        );
    }
}
