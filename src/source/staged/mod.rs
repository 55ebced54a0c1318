//! The staged source: what `git commit` would record, read from the index (not the working
//! tree) and compared with HEAD (or with nothing before the first commit). For each added,
//! modified or renamed file it gives the staged blob and the line numbers that the change adds.
//! The cost follows the change, not the repository: the index file is read directly and only
//! the trees of HEAD above a change are read (`fromindex`, `indexdiff`), then only the changed
//! blobs; libgit2's tree-to-index diff (`by_libgit2`) is the reference and the way for what
//! that does not handle. Nothing here scans or prints.

mod fromindex;
pub mod indexdiff;

pub use fromindex::from_index;

use anyhow::{Context, Result};
use git2::{Delta, DiffFindOptions, DiffOptions, FileMode, Oid, Repository};
use std::path::{Path, PathBuf};

/// Which lines of a staged file are new.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The file is new: every line, and file-level findings too.
    All,
    /// 1-based line numbers in the staged file, ascending.
    Lines(Vec<u32>),
}

/// One file of the staged change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StagedFile {
    /// `/`-separated, relative to the repository root.
    pub path: String,
    pub oid: Oid,
    pub added: Added,
    /// The version in HEAD (its path differs when renamed).
    pub old: Option<(String, Oid)>,
}

/// The index `git commit` is about to record: `GIT_INDEX_FILE` when git set it for a hook
/// (`git commit -a`, `git commit FILE` use a temporary index), else (`None`) the repository's.
pub fn index_file() -> Option<PathBuf> {
    std::env::var_os("GIT_INDEX_FILE").map(PathBuf::from)
}

/// The staged change of `repo`: added, modified, renamed and type-changed files, binary or
/// not (the caller sniffs the content); deletions and submodules are left out. Read from the
/// index file directly when `from_index` can; else through libgit2's diff.
pub fn changes(repo: &Repository) -> Result<Vec<StagedFile>> {
    let file = index_file();
    match from_index(repo, file.as_deref())? {
        Some(files) => Ok(files),
        None => by_libgit2(repo, file.as_deref()),
    }
}

/// The options of every staged diff and patch.
fn diff_options() -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.context_lines(0)
        .include_typechange(true)
        .ignore_submodules(true);
    opts
}

/// The staged change through libgit2's tree-to-index diff with rename detection: the
/// reference that `from_index` must agree with, and the way for what it does not handle.
pub fn by_libgit2(repo: &Repository, file: Option<&Path>) -> Result<Vec<StagedFile>> {
    let index = match file {
        Some(file) => git2::Index::open(file)
            .with_context(|| format!("failed to read the index {}", file.display()))?,
        None => repo.index().context("failed to read the index")?,
    };
    let head = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().context("failed to read HEAD's tree")?),
        Err(_) => None,
    };
    let mut diff = repo
        .diff_tree_to_index(head.as_ref(), Some(&index), Some(&mut diff_options()))
        .context("failed to compare the index with HEAD")?;
    diff.find_similar(Some(DiffFindOptions::new().renames(true)))
        .context("failed to detect renames")?;
    let mut files = Vec::new();
    for (i, delta) in diff.deltas().enumerate() {
        let new = delta.new_file();
        if !matches!(new.mode(), FileMode::Blob | FileMode::BlobExecutable) {
            continue;
        }
        let path = path_of(new.path_bytes());
        let added = match delta.status() {
            Delta::Added | Delta::Copied | Delta::Typechange => Added::All,
            Delta::Modified | Delta::Renamed => added_lines(&diff, i)?,
            _ => continue,
        };
        let old = delta.old_file();
        let old = (added != Added::All && !old.id().is_zero())
            .then(|| (path_of(old.path_bytes()), old.id()));
        files.push(StagedFile {
            path,
            oid: new.id(),
            added,
            old,
        });
    }
    Ok(files)
}

fn path_of(bytes: Option<&[u8]>) -> String {
    String::from_utf8_lossy(bytes.unwrap_or_default()).replace('\\', "/")
}

/// The staged file's line numbers that the patch of delta `i` adds.
fn added_lines(diff: &git2::Diff, i: usize) -> Result<Added> {
    let mut lines = Vec::new();
    if let Some(patch) = git2::Patch::from_diff(diff, i).context("failed to diff a staged file")? {
        for hunk in 0..patch.num_hunks() {
            for l in 0..patch.num_lines_in_hunk(hunk)? {
                let line = patch.line_in_hunk(hunk, l)?;
                if line.origin() == '+' {
                    lines.extend(line.new_lineno());
                }
            }
        }
    }
    lines.sort_unstable();
    Ok(Added::Lines(lines))
}
