//! The index's cache-tree extension (`TREE`): for each directory git has written as a tree
//! since the entries under it last changed, that tree's id and how many entries it covers.
//! A directory whose entries changed is kept but marked invalid (entry count -1, no id). This
//! module only parses; what a valid directory allows a caller to skip is the caller's call.

use super::OID_LEN;
use std::collections::HashMap;

/// Deeper nesting than this is refused (a crafted file must not exhaust the stack).
const MAX_DEPTH: usize = 4096;

/// One directory's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    /// How many index entries lie under the directory; `None` when it is invalid.
    pub entries: Option<u32>,
    /// The tree the entries under the directory make, when valid.
    pub oid: Option<[u8; OID_LEN]>,
}

/// Every directory of the cache-tree, by path with a trailing `/` (the root is `""`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheTree {
    nodes: HashMap<Vec<u8>, Node>,
}

impl CacheTree {
    /// Parses the extension's data; `None` when it is malformed.
    pub fn parse(data: &[u8]) -> Option<CacheTree> {
        let mut tree = CacheTree::default();
        let mut at = 0;
        let mut dir = Vec::new();
        tree.read_node(data, &mut at, &mut dir, 0)?;
        (at == data.len()).then_some(tree)
    }

    /// The record of the directory `dir` (`""` or a path ending in `/`), if git kept one.
    pub fn get(&self, dir: &[u8]) -> Option<&Node> {
        self.nodes.get(dir)
    }

    /// The tree id git recorded for `dir`, when that record is valid and covers `entries`
    /// index entries (a mismatch means the record does not describe this index).
    pub fn valid_oid(&self, dir: &[u8], entries: usize) -> Option<&[u8; OID_LEN]> {
        let node = self.get(dir)?;
        (node.entries? as usize == entries)
            .then_some(node.oid.as_ref())
            .flatten()
    }

    /// One record, then its subdirectories' records (depth first); `dir` is the parent's path
    /// on entry and is restored on return.
    fn read_node(
        &mut self,
        data: &[u8],
        at: &mut usize,
        dir: &mut Vec<u8>,
        depth: usize,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        let name_len = memchr::memchr(0, data.get(*at..)?)?;
        let parent_len = dir.len();
        if depth > 0 {
            dir.extend_from_slice(&data[*at..*at + name_len]);
            dir.push(b'/');
        }
        *at += name_len + 1;
        let count = number(data, at, b' ')?;
        let subtrees = number(data, at, b'\n')?;
        let subtrees = u32::try_from(subtrees).ok()?;
        let node = if count >= 0 {
            let oid: [u8; OID_LEN] = data.get(*at..*at + OID_LEN)?.try_into().ok()?;
            *at += OID_LEN;
            Node {
                entries: Some(u32::try_from(count).ok()?),
                oid: Some(oid),
            }
        } else {
            Node {
                entries: None,
                oid: None,
            }
        };
        self.nodes.insert(dir.clone(), node);
        for _ in 0..subtrees {
            self.read_node(data, at, dir, depth + 1)?;
        }
        dir.truncate(parent_len);
        Some(())
    }
}

/// An ASCII decimal number (maybe negative) ending with `end`, which is consumed.
fn number(data: &[u8], at: &mut usize, end: u8) -> Option<i64> {
    let rest = data.get(*at..)?;
    let len = memchr::memchr(end, rest)?;
    let text = std::str::from_utf8(&rest[..len]).ok()?;
    let value = text.parse::<i64>().ok()?;
    *at += len + 1;
    Some(value)
}
