//! The staged change worked out from the index file and HEAD's trees, without libgit2's
//! tree-to-index diff (which reads every tree of HEAD). A directory whose cache-tree record
//! (`gitindex::cachetree`) names the same tree as HEAD has nothing staged and is skipped whole;
//! the others are compared entry by entry, descending only where both sides have a directory.
//!
//! It answers what that libgit2 diff answers (with type changes, without submodule changes),
//! and `None` where it would not answer exactly that: a conflict, a sparse directory entry, a
//! malformed tree, or a change with both a possible rename source (a deleted blob or
//! directory, a blob turned into something else) and a possible rename target (an added blob,
//! something turned into a blob), which libgit2's rename detection might pair. Nothing here
//! reads blobs, scans or prints.

use crate::gitindex::{Index, MODE_TREE};
use git2::{ObjectType, Oid, Repository};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::io::Write;
use std::ops::Range;

const TYPE_MASK: u32 = 0o170000;
const REGULAR: u32 = 0o100000;
/// Paths nest no deeper than this here (the walk recurses once per level).
const MAX_DEPTH: usize = 1024;

/// What happened to a path, as libgit2 names it (the values order deltas as libgit2 does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Added = 1,
    Modified = 3,
    Typechange = 8,
}

/// One staged path: its index entry, and HEAD's blob when it was modified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: Vec<u8>,
    pub mode: u32,
    /// The index's record of the file's size (see `gitindex::Fields`).
    pub size: u32,
    pub oid: Oid,
    pub status: Status,
    pub old: Option<Oid>,
}

/// The staged changes in path order, and how many trees of HEAD were read to find them.
#[derive(Debug, Default)]
pub struct Outcome {
    pub changes: Vec<Change>,
    pub trees_read: usize,
}

/// Compares `index` with HEAD's tree (`None`: no commit yet); `None` when the answer might
/// differ from libgit2's (see the module doc).
pub fn changes(repo: &Repository, index: &Index, head: Option<Oid>) -> Option<Outcome> {
    let handled = (0..index.len()).all(|i| {
        let fields = index.fields(i);
        fields.stage == 0 && fields.mode != MODE_TREE
    });
    if !handled {
        return None;
    }
    let mut walk = Walk {
        repo,
        index,
        intent_to_add: intent_to_add_counts(index),
        hashed: HashMap::new(),
        outcome: Outcome::default(),
        rename_source: false,
        rename_target: false,
    };
    walk.dir(&mut Vec::new(), head, 0..index.len(), 0)?;
    (!(walk.rename_source && walk.rename_target)).then_some(walk.outcome)
}

/// `counts[i]`: how many of the first `i` entries were added with `git add -N` (empty when
/// none was, the usual case).
fn intent_to_add_counts(index: &Index) -> Vec<u32> {
    if !(0..index.len()).any(|i| index.fields(i).intent_to_add) {
        return Vec::new();
    }
    let mut counts = vec![0];
    for i in 0..index.len() {
        counts.push(counts[i] + u32::from(index.fields(i).intent_to_add));
    }
    counts
}

struct Walk<'a> {
    repo: &'a Repository,
    index: &'a Index,
    intent_to_add: Vec<u32>,
    /// Trees hashed so far, by (length of the directory's path, its first entry).
    hashed: HashMap<(usize, usize), Oid>,
    outcome: Outcome,
    rename_source: bool,
    rename_target: bool,
}

/// An entry of one directory level: an index file, or the index entries of a subdirectory.
struct Group<'a> {
    name: &'a [u8],
    is_dir: bool,
    entries: Range<usize>,
}

impl<'a> Walk<'a> {
    /// Compares the index entries `range` (all under `prefix`, a path ending in `/` or empty)
    /// with HEAD's tree `head` for that directory.
    fn dir(
        &mut self,
        prefix: &mut Vec<u8>,
        head: Option<Oid>,
        range: Range<usize>,
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        if let Some(tree) = head {
            if self.index_tree(prefix, range.clone(), depth) == Some(tree) {
                return Some(());
            }
        }
        let theirs = match head {
            Some(tree) => self.head_entries(tree)?,
            None => Vec::new(),
        };
        let mut theirs = theirs.into_iter().peekable();
        let mut next = range.start;
        loop {
            let ours = match next < range.end {
                true => Some(self.group(prefix, next, range.end)?),
                false => None,
            };
            let order = match (&ours, theirs.peek()) {
                (None, None) => return Some(()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (Some(g), Some(t)) => tree_order(g.name, g.is_dir, &t.name, t.is_tree()),
            };
            match (order, ours) {
                (Ordering::Less, Some(g)) => {
                    next = g.entries.end;
                    g.entries.for_each(|i| self.added(i, Status::Added));
                }
                (Ordering::Equal, Some(g)) => {
                    next = g.entries.end;
                    let t = theirs.next()?;
                    self.matched(prefix, g, &t, depth)?;
                }
                _ => self.deleted(&theirs.next()?),
            }
        }
    }

    /// The entries of HEAD's tree `tree`; `None` when it cannot be read or is not in git's
    /// order (unsorted, or a name twice), which the merge with the index relies on.
    fn head_entries(&mut self, tree: Oid) -> Option<Vec<HeadEntry>> {
        self.outcome.trees_read += 1;
        let tree = self.repo.find_tree(tree).ok()?;
        let entries: Vec<HeadEntry> = tree
            .iter()
            .map(|e| HeadEntry {
                name: e.name_bytes().to_vec(),
                mode: e.filemode_raw() as u32,
                oid: e.id(),
            })
            .collect();
        let sorted = entries.windows(2).all(|w| {
            tree_order(&w[0].name, w[0].is_tree(), &w[1].name, w[1].is_tree()) == Ordering::Less
        });
        sorted.then_some(entries)
    }

    /// The group of index entries at `i`: a file of this directory or a whole subdirectory.
    fn group(&self, prefix: &[u8], i: usize, end: usize) -> Option<Group<'a>> {
        let index = self.index;
        let path = index.path(i);
        let rest = &path[prefix.len()..];
        let Some(slash) = memchr::memchr(b'/', rest) else {
            let entries = i..i + 1;
            return (!rest.is_empty()).then_some(Group {
                name: rest,
                is_dir: false,
                entries,
            });
        };
        if slash == 0 {
            return None;
        }
        let dir = &path[..prefix.len() + slash + 1];
        // Sorted by path, so the entries under `dir` are contiguous from `i`.
        let (mut lo, mut hi) = (i + 1, end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if index.path(mid).starts_with(dir) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Some(Group {
            name: &rest[..slash],
            is_dir: true,
            entries: i..lo,
        })
    }

    /// The id of the tree that the index entries `range` under `prefix` make: git's
    /// cache-tree record when it is valid for them, else hashed here (as `git write-tree`
    /// would, entries added with `git add -N` included, so that an equal id means equal
    /// entries).
    fn index_tree(
        &mut self,
        prefix: &mut Vec<u8>,
        range: Range<usize>,
        depth: usize,
    ) -> Option<Oid> {
        if let Some(oid) = self.recorded(prefix, &range) {
            return Some(oid);
        }
        let key = (prefix.len(), range.start);
        if let Some(&oid) = self.hashed.get(&key) {
            return Some(oid);
        }
        if depth > MAX_DEPTH {
            return None;
        }
        let mut body = Vec::with_capacity(range.len() * 48);
        let mut next = range.start;
        while next < range.end {
            let group = self.group(prefix, next, range.end)?;
            next = group.entries.end;
            let (mode, oid) = if group.is_dir {
                let before = prefix.len();
                prefix.extend_from_slice(group.name);
                prefix.push(b'/');
                let oid = self.index_tree(prefix, group.entries, depth + 1);
                prefix.truncate(before);
                (MODE_TREE, oid?)
            } else {
                let fields = self.index.fields(group.entries.start);
                (fields.mode, Oid::from_bytes(&fields.oid).ok()?)
            };
            let _ = write!(body, "{mode:o} ");
            body.extend_from_slice(group.name);
            body.push(0);
            body.extend_from_slice(oid.as_bytes());
        }
        let oid = Oid::hash_object(ObjectType::Tree, &body).ok()?;
        self.hashed.insert(key, oid);
        Some(oid)
    }

    /// Git's cache-tree record for `prefix`, when it is valid and covers the entries `range`
    /// (git leaves entries added with `git add -N` out of its trees: not then).
    fn recorded(&self, prefix: &[u8], range: &Range<usize>) -> Option<Oid> {
        let oid = self.index.cache_tree.valid_oid(prefix, range.len())?;
        let no_intent_to_add = self.intent_to_add.is_empty()
            || self.intent_to_add[range.end] == self.intent_to_add[range.start];
        no_intent_to_add
            .then(|| Oid::from_bytes(oid).ok())
            .flatten()
    }

    /// A name in both HEAD's directory and the index.
    fn matched(
        &mut self,
        prefix: &mut Vec<u8>,
        group: Group<'a>,
        theirs: &HeadEntry,
        depth: usize,
    ) -> Option<()> {
        if group.is_dir {
            let before = prefix.len();
            prefix.extend_from_slice(group.name);
            prefix.push(b'/');
            self.dir(prefix, Some(theirs.oid), group.entries, depth + 1)?;
            prefix.truncate(before);
            return Some(());
        }
        let i = group.entries.start;
        let fields = self.index.fields(i);
        let (old_mode, new_mode) = (theirs.mode, fields.mode);
        let oid = Oid::from_bytes(&fields.oid).ok()?;
        if old_mode & TYPE_MASK != new_mode & TYPE_MASK {
            self.rename_source |= old_mode & TYPE_MASK == REGULAR;
            self.added(i, Status::Typechange);
        } else if oid != theirs.oid || old_mode != new_mode || oid.is_zero() {
            self.push(i, Status::Modified, Some(theirs.oid))?;
        }
        Some(())
    }

    /// A name only in HEAD's directory: a deletion, which libgit2 may pair with an addition.
    fn deleted(&mut self, theirs: &HeadEntry) {
        self.rename_source |= theirs.is_tree() || theirs.mode & TYPE_MASK == REGULAR;
    }

    /// Index entry `i` is new at its path (or changed its type).
    fn added(&mut self, i: usize, status: Status) {
        self.rename_target |= self.index.fields(i).mode & TYPE_MASK == REGULAR;
        // An id that is not 20 bytes cannot come out of `Index::parse`.
        let _ = self.push(i, status, None);
    }

    fn push(&mut self, i: usize, status: Status, old: Option<Oid>) -> Option<()> {
        let fields = self.index.fields(i);
        self.outcome.changes.push(Change {
            path: self.index.path(i).to_vec(),
            mode: fields.mode,
            size: fields.size,
            oid: Oid::from_bytes(&fields.oid).ok()?,
            status,
            old,
        });
        Some(())
    }
}

/// An entry of one of HEAD's trees.
struct HeadEntry {
    name: Vec<u8>,
    mode: u32,
    oid: Oid,
}

impl HeadEntry {
    fn is_tree(&self) -> bool {
        self.mode == MODE_TREE
    }
}

/// Git's order of names in a tree: a directory sorts as if its name ended with `/`.
fn tree_order(a: &[u8], a_dir: bool, b: &[u8], b_dir: bool) -> Ordering {
    let slash = |dir: bool| if dir { &b"/"[..] } else { &b""[..] };
    a.iter()
        .chain(slash(a_dir))
        .cmp(b.iter().chain(slash(b_dir)))
}

#[cfg(test)]
mod tests {
    use super::tree_order;
    use std::cmp::Ordering::*;

    #[test]
    fn directories_sort_as_if_they_ended_with_a_slash() {
        assert_eq!(tree_order(b"a.txt", false, b"a", true), Less);
        assert_eq!(tree_order(b"a0", false, b"a", true), Greater);
        assert_eq!(tree_order(b"a", false, b"a", true), Less);
        assert_eq!(tree_order(b"a", true, b"a", true), Equal);
        assert_eq!(tree_order(b"b", false, b"a", false), Greater);
    }
}
