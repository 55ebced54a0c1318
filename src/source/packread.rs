//! Blob contents read straight from the repository's packs (`objects/pack/*.pack`, format in
//! git's `gitformat-pack`), family by family: a delta family is a base object and every
//! object stored as a delta against it, directly or down a chain. Each family is resolved
//! depth first, so every object in it is inflated once and each delta is applied to its
//! base while the base is still in memory, with no cache to miss and no memory beyond one
//! chain per worker thread. Families are independent, so the worker threads resolve them in
//! parallel and scan what they resolve. Objects the packs cannot give (loose ones, a base in
//! another pack, a damaged entry) are left to the caller, which reads them another way.
//! Nothing here scans or prints.

use super::git::OidMap;
use super::gitpack;
use super::Content;
use flate2::{Decompress, FlushDecompress, Status};
use git2::Oid;
use rayon::iter::{IntoParallelRefIterator, ParallelIterator};
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Object types in a pack entry's header.
const COMMIT: u8 = 1;
const TREE: u8 = 2;
const BLOB: u8 = 3;
const TAG: u8 = 4;
const OFS_DELTA: u8 = 6;
const REF_DELTA: u8 = 7;

/// No base: the entry is a whole object (or its base is not in this pack).
const NONE: u32 = u32::MAX;

/// One entry of a pack, in offset order.
#[derive(Clone, Copy)]
struct Entry {
    /// Where the zlib stream starts.
    data: u64,
    /// Where the next entry (or the trailing checksum) starts.
    end: u64,
    kind: u8,
    /// Inflated size of the entry's data (for a delta, of the delta itself).
    size: u64,
    /// Index of the base entry of a delta; `NONE` otherwise or when unresolvable here.
    base: u32,
    /// Index into the caller's object list when the caller wants this object.
    wanted: u32,
}

/// Reads the wanted objects found in the packs under `common_dir/objects/pack` (all but those
/// in `damaged`), calling `visit` on the current rayon pool's threads with per-thread state
/// from `init`, the object's index in `oids` and its content. Blobs over `max_size` are
/// resolved (a delta may need them) but given as `Content::TooLarge`. Returns the indexes of
/// the objects not given (not in a readable pack, or an entry that failed to resolve), for the
/// caller to read another way.
pub fn for_each<S, I, V>(
    common_dir: &Path,
    oids: &[Oid],
    max_size: u64,
    init: I,
    visit: V,
) -> Vec<usize>
where
    S: Send,
    I: Fn() -> S + Sync + Send,
    V: Fn(&mut S, usize, io::Result<Content>) + Sync + Send,
{
    let mut wanted: OidMap<u32> = oids
        .iter()
        .enumerate()
        .map(|(i, &o)| (o, i as u32))
        .collect();
    let given: Vec<AtomicBool> = oids.iter().map(|_| AtomicBool::new(false)).collect();
    let damaged: Vec<_> = gitpack::damaged_packs(common_dir)
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    for idx in gitpack::idx_files(&common_dir.join("objects").join("pack")) {
        let pack_path = idx.with_extension("pack");
        if wanted.is_empty() || damaged.contains(&pack_path) {
            continue;
        }
        let Some(pack) = Pack::open(&idx, &pack_path, &mut wanted) else {
            continue;
        };
        // A wanted delta whose chain leads out of this pack is in no family: it is not given,
        // and stays with the caller, like the wanted objects of a damaged entry's subtree.
        pack.roots().par_iter().for_each_init(
            || (init(), Inflater::new()),
            |(state, inflater), &root| {
                pack.family(root, inflater, max_size, &mut |i, content| {
                    given[i as usize].store(true, Ordering::Relaxed);
                    visit(state, i as usize, Ok(content))
                });
            },
        );
    }
    (0..oids.len())
        .filter(|&i| !given[i].load(Ordering::Relaxed))
        .collect()
}

/// One pack: its entries in offset order and, for each, the deltas made against it.
struct Pack {
    file: File,
    entries: Vec<Entry>,
    /// `children[child_at[e]..child_at[e + 1]]` are the deltas whose base is entry `e`.
    child_at: Vec<u32>,
    children: Vec<u32>,
    /// Entries on the way to a wanted object.
    needed: Vec<bool>,
}

impl Pack {
    /// Reads the index and the entry headers of one pack and claims the wanted objects it
    /// holds (removing them from `wanted`). `None` when the pack cannot be read in this way
    /// (an index version other than 2, a read error): its objects are left to the caller.
    fn open(idx: &Path, pack_path: &Path, wanted: &mut OidMap<u32>) -> Option<Pack> {
        let index = gitpack::index_entries(&std::fs::read(idx).ok()?)?;
        let file = File::open(pack_path).ok()?;
        let len = file.metadata().ok()?.len();
        let by_offset = by_offset(index);
        let mut entries = Vec::with_capacity(by_offset.len());
        let mut headers = HeaderReader::new(&file);
        let mut ref_bases: Vec<(u32, Oid)> = Vec::new();
        for (i, &(offset, oid)) in by_offset.iter().enumerate() {
            let end = by_offset.get(i + 1).map_or(len.saturating_sub(20), |n| n.0);
            let head = headers.at(offset, end)?;
            let (kind, size, mut at) = parse_type_size(head)?;
            let mut base = NONE;
            match kind {
                OFS_DELTA => {
                    let (back, n) = parse_ofs(&head[at..])?;
                    at += n;
                    let base_offset = offset.checked_sub(back)?;
                    if let Ok(b) = by_offset.binary_search_by_key(&base_offset, |e| e.0) {
                        base = b as u32;
                    }
                }
                REF_DELTA => {
                    let id = Oid::from_bytes(head.get(at..at + 20)?).ok()?;
                    at += 20;
                    ref_bases.push((i as u32, id));
                }
                COMMIT | TREE | BLOB | TAG => {}
                _ => return None,
            }
            let wanted = wanted.remove(&oid).unwrap_or(NONE);
            entries.push(Entry {
                data: offset + at as u64,
                end,
                kind,
                size,
                base,
                wanted,
            });
        }
        if !ref_bases.is_empty() {
            let position: OidMap<u32> = by_offset
                .iter()
                .enumerate()
                .map(|(i, &(_, o))| (o, i as u32))
                .collect();
            for (i, id) in ref_bases {
                if let Some(&b) = position.get(&id) {
                    entries[i as usize].base = b;
                }
            }
        }
        let mut pack = Pack {
            file,
            entries,
            child_at: Vec::new(),
            children: Vec::new(),
            needed: Vec::new(),
        };
        pack.link();
        Some(pack)
    }

    /// Fills the child lists with the deltas on the way to a wanted object: an entry nothing
    /// wanted depends on is never resolved.
    fn link(&mut self) {
        let n = self.entries.len();
        let mut needed = vec![false; n];
        for i in 0..n {
            let mut at = i;
            if self.entries[at].wanted == NONE {
                continue;
            }
            while !needed[at] {
                needed[at] = true;
                match self.entries[at].base {
                    NONE => break,
                    b => at = b as usize,
                }
            }
        }
        let mut count = vec![0u32; n + 1];
        for (i, e) in self.entries.iter().enumerate() {
            if needed[i] && e.base != NONE {
                count[e.base as usize] += 1;
            }
        }
        let mut at = 0;
        self.child_at = count
            .iter()
            .map(|&c| {
                let start = at;
                at += c;
                start
            })
            .collect();
        let mut fill = self.child_at.clone();
        self.children = vec![0; at as usize];
        for (i, e) in self.entries.iter().enumerate() {
            if needed[i] && e.base != NONE {
                let slot = &mut fill[e.base as usize];
                self.children[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        self.needed = needed;
    }

    fn roots(&self) -> Vec<u32> {
        (0..self.entries.len() as u32)
            .filter(|&i| self.needed[i as usize] && !is_delta(self.entries[i as usize].kind))
            .collect()
    }

    fn kids(&self, e: u32) -> &[u32] {
        let (from, to) = (self.child_at[e as usize], self.child_at[e as usize + 1]);
        &self.children[from as usize..to as usize]
    }

    /// Resolves the family under `root` depth first and gives each wanted object to `give`
    /// (an object after all the deltas made against it, so its bytes are moved, not copied).
    /// A damaged entry's subtree, and an object that is not a blob, are not given.
    fn family(
        &self,
        root: u32,
        inflater: &mut Inflater,
        max_size: u64,
        give: &mut dyn FnMut(u32, Content),
    ) {
        let root_entry = self.entries[root as usize];
        if root_entry.kind != BLOB {
            return;
        }
        let Ok(data) = self.inflate(root_entry, inflater) else {
            return;
        };
        // (entry, content, next child to resolve)
        let mut stack: Vec<(u32, Vec<u8>, usize)> = vec![(root, data, 0)];
        while let Some(top) = stack.last_mut() {
            let (entry, _, next) = *top;
            let kids = self.kids(entry);
            if let Some(&child) = kids.get(next) {
                top.2 += 1;
                let resolved = self
                    .inflate(self.entries[child as usize], inflater)
                    .and_then(|delta| apply_delta(&top.1, &delta));
                if let Ok(content) = resolved {
                    stack.push((child, content, 0));
                }
                continue;
            }
            let (entry, content, _) = stack.pop().expect("a top");
            let wanted = self.entries[entry as usize].wanted;
            if wanted == NONE {
                continue;
            }
            if content.len() as u64 > max_size {
                give(wanted, Content::TooLarge(content.len() as u64));
            } else {
                give(wanted, super::classify(content));
            }
        }
    }

    /// The entry's data (the object, or the delta), inflated.
    fn inflate(&self, e: Entry, inflater: &mut Inflater) -> io::Result<Vec<u8>> {
        let len = usize::try_from(e.end.saturating_sub(e.data)).map_err(io::Error::other)?;
        inflater.input.resize(len, 0);
        read_exact_at(&self.file, &mut inflater.input, e.data)?;
        let size = usize::try_from(e.size).map_err(io::Error::other)?;
        let mut out = Vec::with_capacity(size);
        inflater.zlib.reset(true);
        match inflater
            .zlib
            .decompress_vec(&inflater.input, &mut out, FlushDecompress::Finish)
        {
            Ok(Status::StreamEnd) if out.len() == size => Ok(out),
            Ok(_) => Err(io::Error::other("the object's data is truncated")),
            Err(err) => Err(io::Error::other(err)),
        }
    }
}

/// The index's entries in pack order. Sorted as plain numbers (offset above, position in the
/// index below), which is several times cheaper than sorting the pairs.
fn by_offset(index: Vec<(u64, Oid)>) -> Vec<(u64, Oid)> {
    const POSITION_BITS: u32 = 24;
    if index.len() >= 1 << POSITION_BITS || index.iter().any(|e| e.0 >> (64 - POSITION_BITS) != 0) {
        let mut index = index;
        index.sort_unstable_by_key(|&(offset, _)| offset);
        return index;
    }
    let mut keys: Vec<u64> = (index.iter().enumerate())
        .map(|(i, &(offset, _))| offset << POSITION_BITS | i as u64)
        .collect();
    keys.sort_unstable();
    let mask = (1u64 << POSITION_BITS) - 1;
    keys.iter().map(|k| index[(k & mask) as usize]).collect()
}

fn is_delta(kind: u8) -> bool {
    kind == OFS_DELTA || kind == REF_DELTA
}

/// A worker's inflate state and input buffer, reused for every entry.
struct Inflater {
    zlib: Decompress,
    input: Vec<u8>,
}

impl Inflater {
    fn new() -> Self {
        Inflater {
            zlib: Decompress::new(true),
            input: Vec::new(),
        }
    }
}

/// Reads entry headers in offset order through a window of the pack, a few megabytes at a
/// time, rather than one read per entry.
struct HeaderReader<'f> {
    file: &'f File,
    window: Vec<u8>,
    start: u64,
}

/// The longest entry header: type and a 64-bit size (10 bytes), then a base offset (10) or
/// a base id (20).
const MAX_HEADER: u64 = 32;
const WINDOW: usize = 4 << 20;

impl<'f> HeaderReader<'f> {
    fn new(file: &'f File) -> Self {
        HeaderReader {
            file,
            window: Vec::new(),
            start: 0,
        }
    }

    /// The header bytes of the entry at `offset` (up to `end`).
    fn at(&mut self, offset: u64, end: u64) -> Option<&[u8]> {
        let want = (end.checked_sub(offset)?).min(MAX_HEADER) as usize;
        let inside =
            offset >= self.start && offset + want as u64 <= self.start + self.window.len() as u64;
        if !inside {
            self.window.resize(WINDOW, 0);
            let got = read_at_most(self.file, &mut self.window, offset).ok()?;
            self.window.truncate(got);
            self.start = offset;
            if got < want {
                return None;
            }
        }
        let from = (offset - self.start) as usize;
        Some(&self.window[from..from + want])
    }
}

/// Type and inflated size from the first bytes of an entry; and how many bytes they took.
fn parse_type_size(head: &[u8]) -> Option<(u8, u64, usize)> {
    let first = *head.first()?;
    let kind = (first >> 4) & 7;
    let mut size = u64::from(first & 15);
    let mut shift = 4;
    let mut at = 1;
    let mut byte = first;
    while byte & 0x80 != 0 {
        byte = *head.get(at)?;
        at += 1;
        if shift > 57 {
            return None;
        }
        size |= u64::from(byte & 0x7f) << shift;
        shift += 7;
    }
    Some((kind, size, at))
}

/// An offset delta's distance back to its base (git's "offset encoding"), and its length.
fn parse_ofs(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut byte = *bytes.first()?;
    let mut value = u64::from(byte & 0x7f);
    let mut at = 1;
    while byte & 0x80 != 0 {
        byte = *bytes.get(at)?;
        at += 1;
        value = (value.checked_add(1)?).checked_mul(128)? | u64::from(byte & 0x7f);
    }
    Some((value, at))
}

/// A size at the start of a delta (little-endian, seven bits a byte), and its length.
fn parse_delta_size(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

/// Rebuilds an object from its base and a delta (copy and insert instructions).
pub(crate) fn apply_delta(base: &[u8], delta: &[u8]) -> io::Result<Vec<u8>> {
    let bad = |what: &str| io::Error::other(format!("damaged delta: {what}"));
    let (source, n) = parse_delta_size(delta).ok_or_else(|| bad("no base size"))?;
    if source != base.len() as u64 {
        return Err(bad("its base has another size"));
    }
    let (target, m) = parse_delta_size(&delta[n..]).ok_or_else(|| bad("no result size"))?;
    let target = usize::try_from(target).map_err(|_| bad("result too large"))?;
    let mut out = Vec::with_capacity(target);
    let mut at = n + m;
    while at < delta.len() {
        let op = delta[at];
        at += 1;
        if op & 0x80 != 0 {
            let mut field = |bits: u8, bytes: usize| -> io::Result<usize> {
                let mut value = 0usize;
                for i in 0..bytes {
                    if op & (bits << i) != 0 {
                        let byte = *delta.get(at).ok_or_else(|| bad("cut short"))?;
                        at += 1;
                        value |= usize::from(byte) << (8 * i);
                    }
                }
                Ok(value)
            };
            let offset = field(0x01, 4)?;
            let size = match field(0x10, 3)? {
                0 => 0x10000,
                size => size,
            };
            let piece = offset
                .checked_add(size)
                .and_then(|end| base.get(offset..end))
                .ok_or_else(|| bad("copies past its base"))?;
            out.extend_from_slice(piece);
        } else if op != 0 {
            let piece = delta
                .get(at..at + usize::from(op))
                .ok_or_else(|| bad("cut short"))?;
            out.extend_from_slice(piece);
            at += usize::from(op);
        } else {
            return Err(bad("reserved instruction"));
        }
        if out.len() > target {
            return Err(bad("longer than it says"));
        }
    }
    if out.len() != target {
        return Err(bad("shorter than it says"));
    }
    Ok(out)
}

/// Reads from `offset` until `buf` is full or the file ends; how many bytes it read.
fn read_at_most(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match read_at(file, &mut buf[got..], offset + got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// One positioned read (it leaves the file's own position alone, so threads share the file).
#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    if read_at_most(file, buf, offset)? == buf.len() {
        Ok(())
    } else {
        Err(io::ErrorKind::UnexpectedEof.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A delta from `base` (sizes, then the instructions) as git writes it.
    fn delta(base: usize, target: usize, ops: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for mut n in [base, target] {
            loop {
                let byte = (n & 0x7f) as u8;
                n >>= 7;
                out.push(if n == 0 { byte } else { byte | 0x80 });
                if n == 0 {
                    break;
                }
            }
        }
        out.extend_from_slice(ops);
        out
    }

    #[test]
    fn a_delta_copies_from_its_base_and_inserts_new_bytes() {
        let base = b"token = os.environ['TOKEN']\n";
        // copy 8 bytes from offset 0, insert "'ghp_x'", copy the final newline (offset 27).
        let ops = [&[0x90, 8][..], &[7], b"'ghp_x'", &[0x91, 27, 1]].concat();
        let out = apply_delta(base, &delta(base.len(), 16, &ops)).unwrap();
        assert_eq!(out, b"token = 'ghp_x'\n");
    }

    #[test]
    fn a_copy_of_size_zero_means_64_kib() {
        let base = vec![b'a'; 0x10000 + 5];
        let out = apply_delta(&base, &delta(base.len(), 0x10000, &[0x80])).unwrap();
        assert_eq!(out.len(), 0x10000);
    }

    #[test]
    fn a_damaged_delta_is_an_error_not_a_panic() {
        let base = b"0123456789";
        let cases: [(&str, Vec<u8>); 6] = [
            ("base size differs", delta(9, 3, &[0x90, 3])),
            ("copy past the base", delta(10, 4, &[0x91, 8, 4])),
            ("insert cut short", delta(10, 4, &[4, b'a'])),
            ("reserved op", delta(10, 1, &[0])),
            ("longer than said", delta(10, 2, &[0x90, 3])),
            ("shorter than said", delta(10, 5, &[0x90, 3])),
        ];
        for (what, d) in cases {
            assert!(apply_delta(base, &d).is_err(), "{what}");
        }
        assert!(apply_delta(base, &[0x80]).is_err(), "no sizes");
    }

    #[test]
    fn entry_headers_and_base_offsets_decode() {
        // blob (3), size 0x2a5: low nibble 5, then 0x2a.
        assert_eq!(parse_type_size(&[0xb5, 0x2a]), Some((BLOB, 0x2a5, 2)));
        assert_eq!(parse_type_size(&[0x6f]), Some((OFS_DELTA, 15, 1)));
        assert_eq!(parse_type_size(&[0xb5]), None, "cut short");
        // One byte: the value itself; two bytes: ((first & 0x7f) + 1) * 128 + second.
        assert_eq!(parse_ofs(&[0x05]), Some((5, 1)));
        assert_eq!(parse_ofs(&[0x81, 0x00]), Some((256, 2)));
        assert_eq!(parse_ofs(&[0x80, 0x7f]), Some((255, 2)));
        assert_eq!(parse_ofs(&[0x80]), None);
    }

    #[test]
    fn pack_order_sorts_by_offset() {
        let oid = |b: u8| Oid::from_bytes(&[b; 20]).unwrap();
        let index = vec![(300, oid(1)), (12, oid(2)), (4000, oid(3)), (150, oid(4))];
        let sorted: Vec<u64> = by_offset(index).iter().map(|e| e.0).collect();
        assert_eq!(sorted, [12, 150, 300, 4000]);
    }
}
