//! A commit range reports what it introduces. A finding of a range (`--since-commit BASE`,
//! `--range A..B`) whose secret is already at the same path in a commit the range started
//! from (a parent outside the range) is inherited, not new: a pull request that edits a file
//! holding old secrets does not get them attributed to it. Reads those base versions through
//! git2 and scans them with the run's detector; prints only a note.

use crate::config::Config;
use crate::detect::hygiene::Scope;
use crate::detect::{Detector, Scratch};
use crate::finding::Finding;
use crate::messages;
use crate::source::history::HistoryPlan;
use crate::source::looks_binary;
use git2::{Oid, Repository};
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// `found` without the findings whose (path, rule, fingerprint) a boundary commit of `plan`
/// already has; a note counts them.
pub fn drop_inherited(
    repo: &Repository,
    plan: &HistoryPlan,
    detector: &Detector,
    cfg: &Config,
    mut found: Vec<Finding>,
) -> Vec<Finding> {
    if plan.boundary.is_empty() || found.is_empty() {
        return found;
    }
    let paths: BTreeSet<&str> = found.iter().map(|f| f.path.as_str()).collect();
    let mut before = HashSet::new();
    let mut scratch = Scratch::default();
    for &commit in &plan.boundary {
        for path in &paths {
            let Some(data) = version_at(repo, commit, path, cfg.max_file_size) else {
                continue;
            };
            let findings = if looks_binary(&data) {
                detector.binary_blob(path, Some(&data))
            } else {
                detector.text_blob(path, &data, &mut scratch, Scope::CommittedFiles)
            };
            before.extend(
                findings
                    .into_iter()
                    .map(|f| (f.path, f.rule, f.fingerprint)),
            );
        }
    }
    let total = found.len();
    found.retain(|f| !before.contains(&(f.path.clone(), f.rule.clone(), f.fingerprint.clone())));
    let inherited = total - found.len();
    if inherited > 0 {
        messages::note(format!(
            "{inherited} finding(s) already in the range's base at the same path are not \
             reported (`keyward history` without a range reports them)"
        ));
    }
    found
}

/// The bytes of `path` in `commit`'s tree, if it has a readable blob there within `max` bytes.
fn version_at(repo: &Repository, commit: Oid, path: &str, max: u64) -> Option<Vec<u8>> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).ok()?;
    (blob.size() as u64 <= max).then(|| blob.content().to_vec())
}
