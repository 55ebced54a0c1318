//! The history source: which commits a `keyward history` run covers (every ref, a range, a
//! branch), and the unique blobs those commits introduced, each with the earliest commit and
//! path that holds it. Trees and commits are read through git2; blob contents are read by
//! `gitblob`. Nothing here scans or prints findings.

use super::git::{OidMap, OidSet};
use crate::messages;
use anyhow::{bail, Context, Result};
use git2::{ObjectType, Oid, Repository, Sort};
use std::collections::HashMap;

/// Which commits to walk (from `--range`, `--since-commit`, `--branch`).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub range: Option<String>,
    pub since_commit: Option<String>,
    pub branch: Option<String>,
    /// The commits themselves, chosen by the caller (`--since-state`), parents first.
    pub commits: Option<Vec<Oid>>,
}

/// One unique blob: where it first appeared (indexes into `HistoryPlan::paths` and
/// `HistoryPlan::commits`).
#[derive(Debug, Clone, Copy)]
pub struct BlobRef {
    pub oid: Oid,
    pub path: u32,
    pub commit: u32,
}

/// What a history scan reads: commits oldest first, and the blobs they introduced in that
/// order, so a lower blob index always means an earlier (or the same) commit.
#[derive(Debug, Default)]
pub struct HistoryPlan {
    pub commits: Vec<Oid>,
    pub paths: Vec<String>,
    pub blobs: Vec<BlobRef>,
    /// Paths of submodule entries (gitlinks); their commits live in other repositories.
    pub submodules: Vec<String>,
    /// The parents of selected commits that are not selected themselves (a range's base):
    /// what the range started from. Empty when every ref is walked.
    pub boundary: Vec<Oid>,
}

const SYMLINK_MODE: i32 = 0o120000;

/// The commits selected, parents before children (topological, then commit time).
pub fn select_commits(repo: &Repository, sel: &Selection) -> Result<Vec<Oid>> {
    if let Some(commits) = &sel.commits {
        return Ok(commits.clone());
    }
    if sel.range.is_some() && (sel.branch.is_some() || sel.since_commit.is_some()) {
        bail!("--range cannot be combined with --branch or --since-commit");
    }
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME | Sort::REVERSE)?;
    if let Some(range) = &sel.range {
        walk.push_range(range)
            .with_context(|| format!("failed to resolve --range {range}"))?;
    } else if let Some(branch) = &sel.branch {
        walk.push(peel(repo, branch, "--branch")?)?;
    } else {
        push_every_ref(repo, &mut walk)?;
    }
    if let Some(since) = &sel.since_commit {
        walk.hide(peel(repo, since, "--since-commit")?)?;
    }
    walk.collect::<Result<Vec<_>, _>>()
        .context("failed to walk the commit graph")
}

fn peel(repo: &Repository, rev: &str, flag: &str) -> Result<Oid> {
    let object = repo
        .revparse_single(rev)
        .with_context(|| format!("failed to resolve {flag} {rev}"))?;
    let commit = object
        .peel_to_commit()
        .with_context(|| format!("{flag} {rev} does not name a commit"))?;
    Ok(commit.id())
}

/// Branches, tags, remote-tracking refs, notes, the stash and every older stash entry, and a
/// detached HEAD. Refs that do not lead to a commit (a tag of a blob) are skipped.
fn push_every_ref(repo: &Repository, walk: &mut git2::Revwalk) -> Result<()> {
    for reference in repo.references().context("failed to list refs")? {
        if let Ok(commit) = reference.and_then(|r| r.peel_to_commit()) {
            walk.push(commit.id())?;
        }
    }
    if let Ok(head) = repo.head().and_then(|h| h.peel_to_commit()) {
        walk.push(head.id())?;
    }
    if let Ok(reflog) = repo.reflog("refs/stash") {
        for entry in reflog.iter() {
            if repo.find_commit(entry.id_new()).is_ok() {
                walk.push(entry.id_new())?;
            }
        }
    }
    Ok(())
}

/// Collects the unique blobs of `commits` (oldest first). Trees and blobs of the parents
/// outside the selection are marked seen first, so a range scans only what it introduced.
pub fn plan(repo: &Repository, commits: Vec<Oid>, mut tick: impl FnMut()) -> HistoryPlan {
    let mut walker = TreeWalker {
        repo,
        seen: OidSet::default(),
        path_ids: HashMap::new(),
        plan: HistoryPlan::default(),
    };
    walker.mark_boundary(&commits);
    for (i, &id) in commits.iter().enumerate() {
        match repo.find_commit(id) {
            Ok(commit) => walker.walk(commit.tree_id(), Some(i as u32)),
            Err(err) => messages::file_error(&format!("commit {id}"), err),
        }
        tick();
    }
    walker.plan.commits = commits;
    walker.plan
}

struct TreeWalker<'r> {
    repo: &'r Repository,
    /// Trees and blobs already visited (object ids never collide across types).
    seen: OidSet,
    path_ids: HashMap<String, u32>,
    plan: HistoryPlan,
}

impl TreeWalker<'_> {
    fn mark_boundary(&mut self, commits: &[Oid]) {
        let selected: OidMap<()> = commits.iter().map(|&c| (c, ())).collect();
        for &id in commits {
            let Ok(commit) = self.repo.find_commit(id) else {
                continue;
            };
            // A parent missing from the object store is a shallow clone's cut: nothing to mark.
            for parent in commit.parents() {
                if !selected.contains_key(&parent.id()) {
                    self.walk(parent.tree_id(), None);
                    if !self.plan.boundary.contains(&parent.id()) {
                        self.plan.boundary.push(parent.id());
                    }
                }
            }
        }
    }

    /// Visits every tree and blob under `root` not seen before; records new blobs against
    /// `commit` (or only marks them when `commit` is `None`).
    fn walk(&mut self, root: Oid, commit: Option<u32>) {
        let mut stack = vec![(root, String::new())];
        while let Some((oid, prefix)) = stack.pop() {
            if !self.seen.insert(oid) {
                continue;
            }
            let tree = match self.repo.find_tree(oid) {
                Ok(tree) => tree,
                Err(err) => {
                    messages::file_error(&format!("{prefix}/ (tree {oid})"), err);
                    continue;
                }
            };
            for entry in tree.iter().rev() {
                let name = String::from_utf8_lossy(entry.name_bytes());
                let path = if prefix.is_empty() {
                    name.into_owned()
                } else {
                    format!("{prefix}/{name}")
                };
                self.entry(&entry, path, commit, &mut stack);
            }
        }
    }

    fn entry(
        &mut self,
        entry: &git2::TreeEntry,
        path: String,
        commit: Option<u32>,
        stack: &mut Vec<(Oid, String)>,
    ) {
        let id = entry.id();
        match entry.kind() {
            Some(ObjectType::Tree) if !self.seen.contains(&id) => stack.push((id, path)),
            Some(ObjectType::Blob) if entry.filemode() != SYMLINK_MODE => {
                if let (true, Some(commit)) = (self.seen.insert(id), commit) {
                    self.record(id, path, commit);
                }
            }
            Some(ObjectType::Commit)
                if commit.is_some() && !self.plan.submodules.contains(&path) =>
            {
                self.plan.submodules.push(path);
            }
            _ => {}
        }
    }

    fn record(&mut self, oid: Oid, path: String, commit: u32) {
        let path = match self.path_ids.get(&path) {
            Some(&id) => id,
            None => {
                let id = self.plan.paths.len() as u32;
                self.plan.paths.push(path.clone());
                self.path_ids.insert(path, id);
                id
            }
        };
        self.plan.blobs.push(BlobRef { oid, path, commit });
    }
}
