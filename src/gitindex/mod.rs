//! The git index file (`.git/index`, or `GIT_INDEX_FILE`) read directly, versions 2 to 4:
//! its entries (path, mode, object id, stage and flags), its extensions, and the cache-tree
//! (`cachetree`). It reads bytes it is given and answers `None` for a form it does not read
//! (another version, a truncated or unsorted file, a mandatory extension such as a split
//! index's `link` or a sparse index's `sdir`) so that the caller can fall back to git or
//! libgit2. It neither opens repositories nor knows what a scan is: the launcher and the
//! staged source both use it.
//!
//! Like git itself outside `git fsck`, it does not verify the trailing checksum: hashing the
//! whole file costs more than the rest of the read, and every offset is bounds-checked.

pub mod cachetree;

pub use cachetree::CacheTree;

/// Length of an object id: SHA-1 (a SHA-256 index does not parse as one of these).
pub const OID_LEN: usize = 20;
/// Length of the trailing checksum.
const CHECKSUM_LEN: usize = 20;
/// Fixed part of an entry: ten 32-bit stat fields, the object id and 16 bits of flags.
const FIXED: usize = 40 + OID_LEN + 2;

/// The mode of a sparse index's directory entry.
pub const MODE_TREE: u32 = 0o040000;

/// One entry's fields besides its path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    pub mode: u32,
    /// The file's size when it was staged (truncated to 32 bits; 0 when git did not record
    /// it).
    pub size: u32,
    pub oid: [u8; OID_LEN],
    /// 0 for a normal entry; 1 to 3 for the sides of a conflict.
    pub stage: u8,
    /// Added with `git add -N`: git does not write it into trees.
    pub intent_to_add: bool,
    pub skip_worktree: bool,
}

/// Reads the entries one at a time (early exit is cheap: nothing is collected).
pub struct Entries<'a> {
    data: &'a [u8],
    at: usize,
    version: u32,
    left: u32,
    path: Vec<u8>,
}

impl<'a> Entries<'a> {
    /// `None` unless `data` starts with an index header of version 2, 3 or 4.
    pub fn new(data: &'a [u8]) -> Option<Self> {
        if data.get(..4)? != b"DIRC" {
            return None;
        }
        let version = be32(data, 4)?;
        if !(2..=4).contains(&version) {
            return None;
        }
        Some(Entries {
            data,
            at: 12,
            version,
            left: be32(data, 8)?,
            path: Vec::new(),
        })
    }

    /// The number of entries not read yet.
    pub fn left(&self) -> u32 {
        self.left
    }

    /// The next entry's fields (its path is `path()` until the next call); `None` when there
    /// is none left or the entry is malformed (tell them apart with `left()`).
    pub fn next_entry(&mut self) -> Option<Fields> {
        if self.left == 0 {
            return None;
        }
        let start = self.at;
        let fixed = self.data.get(start..start + FIXED)?;
        let flags = u16::from_be_bytes([fixed[60], fixed[61]]);
        let extended = flags & 0x4000 != 0;
        if extended && self.version < 3 {
            return None;
        }
        let extra = if extended {
            u16::from_be_bytes(
                self.data
                    .get(start + FIXED..start + FIXED + 2)?
                    .try_into()
                    .ok()?,
            )
        } else {
            0
        };
        let name_at = start + FIXED + if extended { 2 } else { 0 };
        let name_len = if self.version == 4 {
            self.prefix_compressed(name_at)?
        } else {
            self.padded(start, name_at)?
        };
        let short_len = usize::from(flags & 0x0fff);
        if short_len < 0x0fff && short_len != name_len {
            return None;
        }
        self.left -= 1;
        Some(Fields {
            mode: be32(fixed, 24)?,
            size: be32(fixed, 36)?,
            oid: fixed[40..60].try_into().ok()?,
            stage: ((flags >> 12) & 3) as u8,
            intent_to_add: extra & 0x2000 != 0,
            skip_worktree: extra & 0x4000 != 0,
        })
    }

    /// The path of the entry `next_entry` returned last.
    pub fn path(&self) -> &[u8] {
        &self.path
    }

    /// Where the extensions start, once every entry is read.
    pub fn end(&self) -> Option<usize> {
        (self.left == 0).then_some(self.at)
    }

    /// Versions 2 and 3: a NUL-terminated path, then NULs up to a multiple of eight bytes.
    fn padded(&mut self, start: usize, name_at: usize) -> Option<usize> {
        let len = memchr::memchr(0, self.data.get(name_at..)?)?;
        self.path.clear();
        self.path
            .extend_from_slice(&self.data[name_at..name_at + len]);
        self.at = start + (name_at - start + len + 8) / 8 * 8;
        (self.at <= self.data.len()).then_some(len)
    }

    /// Version 4: strip N bytes from the previous path, then append a NUL-terminated suffix.
    fn prefix_compressed(&mut self, mut at: usize) -> Option<usize> {
        let mut byte = *self.data.get(at)?;
        let mut strip = usize::from(byte & 0x7f);
        while byte & 0x80 != 0 {
            at += 1;
            byte = *self.data.get(at)?;
            strip = strip.checked_add(1)?.checked_mul(128)? | usize::from(byte & 0x7f);
        }
        at += 1;
        let len = memchr::memchr(0, self.data.get(at..)?)?;
        let keep = self.path.len().checked_sub(strip)?;
        self.path.truncate(keep);
        self.path.extend_from_slice(&self.data[at..at + len]);
        self.at = at + len + 1;
        Some(self.path.len())
    }
}

/// The extensions after the entries, from `at` (see `Entries::end`): each signature and its
/// data, or `None` when they do not fill the space before the checksum exactly.
pub fn extensions(data: &[u8], mut at: usize) -> Option<Vec<([u8; 4], &[u8])>> {
    let end = data.len().checked_sub(CHECKSUM_LEN)?;
    let mut found = Vec::new();
    while at < end {
        let signature: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        let size = be32(data, at + 4)? as usize;
        let body = at.checked_add(8)?;
        let next = body.checked_add(size).filter(|&n| n <= end)?;
        found.push((signature, &data[body..next]));
        at = next;
    }
    (at == end).then_some(found)
}

/// An extension whose signature does not start with an upper-case letter changes what the
/// entries mean (a split index's `link`, a sparse index's `sdir`): a reader that does not
/// know it must not use the file.
pub fn is_mandatory(signature: &[u8; 4]) -> bool {
    !signature[0].is_ascii_uppercase()
}

/// A whole index: every entry (in the file's order, which is by path then stage) and the
/// cache-tree.
#[derive(Debug, Default)]
pub struct Index {
    entries: Vec<(u32, u32, Fields)>,
    paths: Vec<u8>,
    pub cache_tree: CacheTree,
}

impl Index {
    /// `None` when the file is in a form this reader does not handle (see the module doc), or
    /// its entries are not sorted by path and stage.
    pub fn parse(data: &[u8]) -> Option<Index> {
        let mut reader = Entries::new(data)?;
        // The header's count is only trusted as far as the bytes go: every entry takes at
        // least `FIXED` bytes (a damaged count must not reserve gigabytes).
        let entries = (reader.left() as usize).min(data.len() / FIXED);
        let mut index = Index {
            entries: Vec::with_capacity(entries),
            paths: Vec::with_capacity(entries * 32),
            cache_tree: CacheTree::default(),
        };
        let mut previous: Option<(u32, u32, u8)> = None;
        while reader.left() > 0 {
            let fields = reader.next_entry()?;
            let at = index.paths.len() as u32;
            index.paths.extend_from_slice(reader.path());
            let len = reader.path().len() as u32;
            if let Some((p_at, p_len, p_stage)) = previous {
                let before = &index.paths[p_at as usize..(p_at + p_len) as usize];
                let order = before.cmp(reader.path()).then(p_stage.cmp(&fields.stage));
                if order != std::cmp::Ordering::Less {
                    return None;
                }
            }
            previous = Some((at, len, fields.stage));
            index.entries.push((at, len, fields));
        }
        for (signature, body) in extensions(data, reader.end()?)? {
            if &signature == b"TREE" {
                index.cache_tree = CacheTree::parse(body)?;
            } else if is_mandatory(&signature) {
                return None;
            }
        }
        Some(index)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn path(&self, i: usize) -> &[u8] {
        let (at, len, _) = self.entries[i];
        &self.paths[at as usize..(at + len) as usize]
    }

    pub fn fields(&self, i: usize) -> &Fields {
        &self.entries[i].2
    }
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests;
