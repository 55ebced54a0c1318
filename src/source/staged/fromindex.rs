//! The fast way to the staged change: the index file read here (`crate::gitindex`), compared
//! with HEAD where the cache-tree or a tree hash cannot tell them equal (`indexdiff`), and
//! libgit2's diff run over the modified files only, for their patches. It gives exactly what
//! `by_libgit2` gives, or says it cannot (`Ok(None)`) before it has changed anything, so that
//! the caller can ask libgit2.

use super::indexdiff::{self, Change};
use super::{added_lines, diff_options, path_of, Added, StagedFile};
use crate::gitindex::Index;
use anyhow::Result;
use git2::{Delta, Oid, Repository};
use std::collections::HashMap;
use std::path::Path;

const BLOB: u32 = 0o100644;
const BLOB_EXECUTABLE: u32 = 0o100755;

/// The staged change of `repo` against the index `file` (`None`: the repository's own), or
/// `Ok(None)` when this way might not give what `by_libgit2` gives: an index form the reader
/// does not handle, a possible rename, a conflict, a tree that cannot be read, a bare
/// repository. An error is one that `by_libgit2` meets too: a patch that fails (a missing
/// blob, an unreadable `.gitattributes`), with the same message.
pub fn from_index(repo: &Repository, file: Option<&Path>) -> Result<Option<Vec<StagedFile>>> {
    let Some((changes, index, head)) = staged_changes(repo, file) else {
        return Ok(None);
    };
    let modified: Vec<&Change> = changes.iter().filter(|c| c.old.is_some()).collect();
    let patches = match (head, modified.is_empty()) {
        (Some(head), false) => match modified_diff(repo, head, &modified) {
            Some(diff) => Some(diff),
            None => return Ok(None),
        },
        _ => None,
    };
    if patches.is_some() {
        lend_attributes(repo, file.is_none().then_some(&index));
    }
    let mut files = Vec::with_capacity(changes.len());
    for change in &changes {
        let path = path_of(Some(&change.path));
        let (added, old) = match (change.old, &patches) {
            (Some(old), Some((diff, at))) => {
                let added = added_lines(diff, at[change.path.as_slice()])?;
                (added, (!old.is_zero()).then(|| (path.clone(), old)))
            }
            _ => (Added::All, None),
        };
        files.push(StagedFile {
            path,
            oid: change.oid,
            added,
            old,
        });
    }
    Ok(Some(files))
}

/// Where each modified path's delta is in a diff.
type Deltas<'c> = HashMap<&'c [u8], usize>;

/// A libgit2 diff of just the modified paths: HEAD's tree against an in-memory index of their
/// staged entries, with the full diff's options, so that the patches are the ones it would
/// make and share its attribute lookups (only the trees above those paths are read). `None`
/// when it does not list exactly those paths as modified.
fn modified_diff<'r, 'c>(
    repo: &'r Repository,
    head: Oid,
    modified: &[&'c Change],
) -> Option<(git2::Diff<'r>, Deltas<'c>)> {
    let mut staged = git2::Index::new().ok()?;
    let mut opts = diff_options();
    opts.disable_pathspec_match(true);
    for change in modified {
        staged
            .add(&entry(&change.path, change.mode, change.size, change.oid))
            .ok()?;
        opts.pathspec(change.path.as_slice());
    }
    let head = repo.find_tree(head).ok()?;
    let diff = repo
        .diff_tree_to_index(Some(&head), Some(&staged), Some(&mut opts))
        .ok()?;
    let old: HashMap<&[u8], Option<Oid>> = modified
        .iter()
        .map(|c| (c.path.as_slice(), c.old))
        .collect();
    let mut at = Deltas::with_capacity(modified.len());
    for (i, delta) in diff.deltas().enumerate() {
        let (&path, &old) = old.get_key_value(delta.new_file().path_bytes()?)?;
        let same = delta.status() == Delta::Modified && Some(delta.old_file().id()) == old;
        if !same || at.insert(path, i).is_some() {
            return None;
        }
    }
    (at.len() == modified.len()).then_some((diff, at))
}

/// The changes of regular files, in the order libgit2 lists them, the index read and HEAD's
/// tree; `None` as `from_index`.
fn staged_changes(
    repo: &Repository,
    file: Option<&Path>,
) -> Option<(Vec<Change>, Index, Option<Oid>)> {
    if file.is_none() && repo.is_bare() {
        return None;
    }
    let index = read_index(&file.map_or_else(|| repo.path().join("index"), Path::to_path_buf))?;
    let head = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().ok()?.id()),
        Err(_) => None,
    };
    let mut changes = indexdiff::changes(repo, &index, head)?.changes;
    if file.is_none() && ignores_case(repo) {
        // libgit2 then lists the changes case-insensitively (which decides only the order).
        changes.sort_by_cached_key(|c| (c.path.to_ascii_lowercase(), c.status));
    }
    changes.retain(|c| matches!(c.mode, BLOB | BLOB_EXECUTABLE));
    Some((changes, index, head))
}

/// The index at `path` (libgit2 reads a missing file as an empty index); `None` when it cannot
/// be read or is in a form the reader does not handle.
fn read_index(path: &Path) -> Option<Index> {
    match std::fs::read(path) {
        Ok(data) => Index::parse(&data),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Some(Index::default()),
        Err(_) => None,
    }
}

/// `core.ignorecase`, which libgit2 applies to the repository's own index.
fn ignores_case(repo: &Repository) -> bool {
    repo.config()
        .and_then(|c| c.get_bool("core.ignorecase"))
        .unwrap_or(false)
}

/// A patch asks for the `diff` attribute (is the file binary?), which libgit2 reads from the
/// work tree and from the `.gitattributes` entries of the repository's own index (whatever
/// `GIT_INDEX_FILE` says), loading and hashing that whole file to find them. It is lent an
/// in-memory index holding only those entries (`own` is that index when already read).
/// Nothing is lent when it cannot be read here, or with `core.ignorecase` (names are then
/// looked up case-insensitively): libgit2 then loads the file itself.
fn lend_attributes(repo: &Repository, own: Option<&Index>) {
    if repo.is_bare() || ignores_case(repo) {
        return;
    }
    let read;
    let own = match own {
        Some(own) => own,
        None => match read_index(&repo.path().join("index")) {
            Some(index) => {
                read = index;
                &read
            }
            None => return,
        },
    };
    let Ok(mut lent) = git2::Index::new() else {
        return;
    };
    for i in 0..own.len() {
        let path = own.path(i);
        let named = path == b".gitattributes" || path.ends_with(b"/.gitattributes");
        if !named || own.fields(i).stage != 0 {
            continue;
        }
        let fields = own.fields(i);
        let Ok(oid) = Oid::from_bytes(&fields.oid) else {
            return;
        };
        if lent
            .add(&entry(path, fields.mode, fields.size, oid))
            .is_err()
        {
            return;
        }
    }
    let _ = repo.set_index(&mut lent);
}

/// An index entry for an in-memory index. Only the size of the stat data is kept: a patch
/// takes it as the blob's size when it is not 0 (as it does from the real index), and reads
/// the object's header when it is.
fn entry(path: &[u8], mode: u32, file_size: u32, id: Oid) -> git2::IndexEntry {
    let never = git2::IndexTime::new(0, 0);
    git2::IndexEntry {
        ctime: never,
        mtime: never,
        dev: 0,
        ino: 0,
        mode,
        uid: 0,
        gid: 0,
        file_size,
        id,
        flags: 0,
        flags_extended: 0,
        path: path.to_vec(),
    }
}
