//! The history source: which commits a `keyward history` run covers (every ref, a range, a
//! branch), and the unique blobs those commits introduced, each with the earliest commit and
//! path that holds it. Trees and commits are read through git2; blob contents are read by
//! `gitblob`. Nothing here scans or prints findings.

use super::git::OidMap;
use crate::messages;
use anyhow::{bail, Context, Result};
use git2::{ObjectType, Oid, Repository, Sort};
use std::collections::{HashMap, HashSet};

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

/// A blob already in `Plan::blobs` met again at another path (renamed or copied): its
/// content is scanned once, its path-based checks run for this path too.
#[derive(Debug, Clone, Copy)]
pub struct Copy {
    /// Index into `Plan::blobs`.
    pub blob: u32,
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
    /// Every other path each blob had in the selected commits.
    pub copies: Vec<Copy>,
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
/// detached HEAD. Refs that do not lead to a commit (a tag of a blob) are skipped; a ref whose
/// object cannot be read (a missing tip, a damaged pack) is an error naming it, and the walk
/// goes on with the others.
fn push_every_ref(repo: &Repository, walk: &mut git2::Revwalk) -> Result<()> {
    for reference in repo.references().context("failed to list refs")? {
        let reference = match reference {
            Ok(r) => r,
            Err(err) => {
                messages::file_error("a ref", format!("failed to read it: {}", err.message()));
                continue;
            }
        };
        let name = String::from_utf8_lossy(reference.name_bytes()).into_owned();
        let Ok(target) = reference.resolve() else {
            continue; // a symbolic ref to a ref that does not exist (an unborn branch)
        };
        let id = target.target();
        match target.peel(ObjectType::Any) {
            Ok(object) => {
                if let Ok(commit) = object.peel_to_commit() {
                    walk.push(commit.id())?;
                }
            }
            Err(err) => messages::file_error(
                &format!("ref {name}"),
                format!(
                    "failed to read its object {}: {}",
                    id.map_or_else(|| "?".to_string(), |o| o.to_string()),
                    err.message()
                ),
            ),
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

/// From this many commits, and with two threads or more, the trees of the later half of the
/// commits are walked on a second thread while the first half is walked here.
const SPLIT_FROM_COMMITS: usize = 200;

/// Collects the unique blobs of `commits` (oldest first). Trees and blobs of the parents
/// outside the selection are marked seen first, so a range scans only what it introduced.
/// `tick` is called once per commit, from either thread.
pub fn plan(
    repo: &Repository,
    commits: Vec<Oid>,
    threads: usize,
    tick: impl Fn() + Sync,
) -> HistoryPlan {
    let mut walker = TreeWalker::new(repo);
    // Each commit is read once: its tree, and its parents' ids (a parent is read only when
    // it lies outside the selection, for the boundary).
    let read: Vec<Option<(Oid, Vec<Oid>)>> = commits
        .iter()
        .map(|&id| match repo.find_commit(id) {
            Ok(commit) => Some((commit.tree_id(), commit.parent_ids().collect())),
            Err(err) => {
                messages::file_error(&format!("commit {id}"), err);
                None
            }
        })
        .collect();
    walker.mark_boundary(&commits, &read);
    let split = if threads >= 2 && read.len() >= SPLIT_FROM_COMMITS {
        read.len() / 2
    } else {
        read.len()
    };
    let walk_range = |walker: &mut TreeWalker, from: usize, to: usize| {
        for (i, commit) in read.iter().enumerate().take(to).skip(from) {
            if let Some((tree, _)) = commit {
                walker.walk(*tree, Some(i as u32));
            }
            tick();
        }
    };
    let git_dir = repo.path().to_path_buf();
    let later = std::thread::scope(|scope| {
        let later = (split < read.len()).then(|| {
            scope.spawn(|| {
                // Its own repository handle: libgit2's are not shared between threads.
                let repo = Repository::open(&git_dir).ok()?;
                let mut later = TreeWalker::new(&repo);
                later.log = Some(Vec::new());
                walk_range(&mut later, split, read.len());
                Some(later.into_sightings())
            })
        });
        walk_range(&mut walker, 0, split);
        later.map(|h| h.join().expect("the tree walk does not panic"))
    });
    match later {
        Some(Some(sightings)) => walker.replay(sightings),
        // The second handle could not be opened: the later half is walked here.
        Some(None) => walk_range(&mut walker, split, read.len()),
        None => {}
    }
    walker.report_errors();
    walker.plan.commits = commits;
    walker.plan
}

/// What a walk of later commits met for the first time, in order, for `TreeWalker::replay`.
struct Sightings {
    /// (blob, path, commit).
    blobs: Vec<(Oid, String, u32)>,
    submodules: Vec<String>,
    errors: Vec<(Oid, String, String)>,
}

struct TreeWalker<'r> {
    repo: &'r Repository,
    /// Trees already visited at a directory (index in `dirs`): a tree met under a new
    /// directory name (a renamed folder) is walked again so its blobs get their new paths.
    seen_trees: HashSet<(Oid, u32)>,
    /// Every directory met, the root first; looked up by name under their parent, so a path
    /// string is built only for a name met for the first time.
    dirs: Vec<Dir>,
    /// Blobs met so far: their index in `plan.blobs`, `None` when only marked (outside the
    /// selection).
    blob_index: OidMap<Option<u32>>,
    /// (blob, path) pairs met so far.
    seen_at: HashSet<(Oid, u32)>,
    path_ids: HashMap<String, u32>,
    plan: HistoryPlan,
    /// On the second thread: every (blob, path id, commit) met for the first time, in order,
    /// instead of the plan's blobs and copies.
    log: Option<Vec<(Oid, u32, u32)>>,
    /// Trees that could not be read: (tree, where, error), reported once each at the end.
    errors: Vec<(Oid, String, String)>,
}

/// One directory path: its text, and the ids of the names met in it.
#[derive(Default)]
struct Dir {
    path: String,
    subdirs: HashMap<Box<[u8]>, u32>,
    /// Files: their path ids (into `plan.paths`).
    files: HashMap<Box<[u8]>, u32>,
}

impl<'r> TreeWalker<'r> {
    fn new(repo: &'r Repository) -> Self {
        TreeWalker {
            repo,
            seen_trees: HashSet::new(),
            dirs: vec![Dir::default()],
            blob_index: OidMap::default(),
            seen_at: HashSet::new(),
            path_ids: HashMap::new(),
            plan: HistoryPlan::default(),
            log: None,
            errors: Vec::new(),
        }
    }

    fn into_sightings(self) -> Sightings {
        let paths = &self.plan.paths;
        Sightings {
            blobs: (self.log.unwrap_or_default().into_iter())
                .map(|(id, path, commit)| (id, paths[path as usize].clone(), commit))
                .collect(),
            submodules: self.plan.submodules,
            errors: self.errors,
        }
    }

    /// Takes in what a walk of the later commits met, as if this walker had walked them: a
    /// (blob, path) pair already met here is dropped, the others are recorded in order. (The
    /// later walk also went through trees met here, and so met their pairs again: those are
    /// the ones dropped.)
    fn replay(&mut self, later: Sightings) {
        for (id, path, commit) in later.blobs {
            let path = self.path_id(path);
            self.record(id, path, Some(commit));
        }
        for path in later.submodules {
            if !self.plan.submodules.contains(&path) {
                self.plan.submodules.push(path);
            }
        }
        self.errors.extend(later.errors);
    }

    fn report_errors(&mut self) {
        let mut reported = OidMap::default();
        for (tree, at, err) in self.errors.drain(..) {
            if reported.insert(tree, ()).is_none() {
                messages::file_error(&format!("{at}/ (tree {tree})"), err);
            }
        }
    }

    fn mark_boundary(&mut self, commits: &[Oid], read: &[Option<(Oid, Vec<Oid>)>]) {
        let selected: OidMap<()> = commits.iter().map(|&c| (c, ())).collect();
        for (_, parents) in read.iter().flatten() {
            for &parent in parents {
                if selected.contains_key(&parent) || self.plan.boundary.contains(&parent) {
                    continue;
                }
                // A parent missing from the object store is a shallow clone's cut: nothing
                // to mark.
                let Ok(commit) = self.repo.find_commit(parent) else {
                    continue;
                };
                self.walk(commit.tree_id(), None);
                self.plan.boundary.push(parent);
            }
        }
    }

    /// Visits every tree and blob under `root` not seen before; records new blobs against
    /// `commit` (or only marks them when `commit` is `None`).
    fn walk(&mut self, root: Oid, commit: Option<u32>) {
        let mut stack = vec![(root, 0u32)];
        while let Some((oid, dir)) = stack.pop() {
            if !self.seen_trees.insert((oid, dir)) {
                continue;
            }
            let tree = match self.repo.find_tree(oid) {
                Ok(tree) => tree,
                Err(err) => {
                    let prefix = self.dirs[dir as usize].path.clone();
                    self.errors.push((oid, prefix, err.to_string()));
                    continue;
                }
            };
            for entry in tree.iter().rev() {
                self.entry(&entry, dir, commit, &mut stack);
            }
        }
    }

    fn entry(
        &mut self,
        entry: &git2::TreeEntry,
        dir: u32,
        commit: Option<u32>,
        stack: &mut Vec<(Oid, u32)>,
    ) {
        let id = entry.id();
        match entry.kind() {
            Some(ObjectType::Tree) => {
                let sub = self.subdir(dir, entry.name_bytes());
                stack.push((id, sub));
            }
            Some(ObjectType::Blob) if entry.filemode() != SYMLINK_MODE => {
                let path = self.file(dir, entry.name_bytes());
                self.record(id, path, commit);
            }
            Some(ObjectType::Commit) if commit.is_some() => {
                let path = self.join(dir, entry.name_bytes());
                if !self.plan.submodules.contains(&path) {
                    self.plan.submodules.push(path);
                }
            }
            _ => {}
        }
    }

    /// Blob `id` met at `path` in `commit` (`None`: outside the selection).
    fn record(&mut self, id: Oid, path: u32, commit: Option<u32>) {
        if !self.seen_at.insert((id, path)) {
            return;
        }
        if let (Some(log), Some(commit)) = (self.log.as_mut(), commit) {
            log.push((id, path, commit));
            return;
        }
        match (self.blob_index.get(&id).copied(), commit) {
            (None, None) => {
                self.blob_index.insert(id, None);
            }
            // New content, or content only outside the selection met at a new path.
            (None | Some(None), Some(commit)) => {
                let index = self.plan.blobs.len() as u32;
                self.blob_index.insert(id, Some(index));
                self.plan.blobs.push(BlobRef {
                    oid: id,
                    path,
                    commit,
                });
            }
            (Some(Some(blob)), Some(commit)) => {
                self.plan.copies.push(Copy { blob, path, commit });
            }
            (Some(_), None) => {}
        }
    }

    /// The path of `name` in directory `dir`.
    fn join(&self, dir: u32, name: &[u8]) -> String {
        let name = String::from_utf8_lossy(name);
        match self.dirs[dir as usize].path.as_str() {
            "" => name.into_owned(),
            prefix => format!("{prefix}/{name}"),
        }
    }

    /// The id of directory `name` in `dir`.
    fn subdir(&mut self, dir: u32, name: &[u8]) -> u32 {
        if let Some(&id) = self.dirs[dir as usize].subdirs.get(name) {
            return id;
        }
        let id = self.dirs.len() as u32;
        let path = self.join(dir, name);
        self.dirs.push(Dir {
            path,
            ..Dir::default()
        });
        self.dirs[dir as usize].subdirs.insert(name.into(), id);
        id
    }

    /// The path id of file `name` in `dir`. Names that differ only in bytes that are not
    /// UTF-8 share the path they are shown as.
    fn file(&mut self, dir: u32, name: &[u8]) -> u32 {
        if let Some(&id) = self.dirs[dir as usize].files.get(name) {
            return id;
        }
        let id = self.path_id(self.join(dir, name));
        self.dirs[dir as usize].files.insert(name.into(), id);
        id
    }

    fn path_id(&mut self, path: String) -> u32 {
        match self.path_ids.get(&path) {
            Some(&id) => id,
            None => {
                let id = self.plan.paths.len() as u32;
                self.plan.paths.push(path.clone());
                self.path_ids.insert(path, id);
                id
            }
        }
    }
}
