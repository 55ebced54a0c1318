//! Where objects sit in the repository's packs, read from the `.idx` files: the (pack,
//! offset) order in which `git cat-file` reads them fastest, since a delta's base then comes
//! just before it and stays in git's delta-base cache (sorted by id, the same reads take four
//! times longer). A hint only: an object in no pack (loose, alternates, a pack in another
//! format) is read last. It never reads contents.

use super::git::OidMap;
use git2::Oid;
use std::path::{Path, PathBuf};

/// Positions of the wanted objects in the packs of one repository.
pub struct Layout {
    /// (pack number, offset) per object; `(u32::MAX, 0)` when not in a pack.
    at: Vec<(u32, u64)>,
}

const NOWHERE: (u32, u64) = (u32::MAX, 0);

impl Layout {
    /// Reads the pack indexes under `common_dir/objects/pack` for `oids`.
    pub fn read(common_dir: &Path, oids: &[Oid]) -> Layout {
        let wanted: OidMap<usize> = oids.iter().enumerate().map(|(i, &o)| (o, i)).collect();
        let mut at = vec![NOWHERE; oids.len()];
        let packs = idx_files(&common_dir.join("objects").join("pack"));
        for (pack, idx) in packs.iter().enumerate() {
            let entries = std::fs::read(idx).ok().and_then(|d| index_entries(&d));
            for (offset, oid) in entries.unwrap_or_default() {
                if let Some(&k) = wanted.get(&oid) {
                    if at[k] == NOWHERE {
                        at[k] = (pack as u32, offset);
                    }
                }
            }
        }
        Layout { at }
    }

    /// Indexes of the objects in pack order; those in no pack last.
    pub fn order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.at.len()).collect();
        order.sort_by_key(|&i| (self.at[i], i));
        order
    }
}

/// The packs under `common_dir/objects/pack` that cannot be read whole: a pack whose trailing
/// checksum is not the one its index records (truncated, or overwritten), or one that is
/// missing or unreadable next to its index. Each with the reason. Cheap: reads 20 bytes of
/// each pack and the end of each index.
pub fn damaged_packs(common_dir: &Path) -> Vec<(PathBuf, String)> {
    let mut damaged = Vec::new();
    for idx in idx_files(&common_dir.join("objects").join("pack")) {
        let pack = idx.with_extension("pack");
        if let Err(reason) = check_pack(&idx, &pack) {
            damaged.push((pack, reason));
        }
    }
    damaged
}

fn check_pack(idx: &Path, pack: &Path) -> Result<(), String> {
    use std::io::{Read, Seek, SeekFrom};
    let tail = |path: &Path, back: u64| -> std::io::Result<[u8; 20]> {
        let mut file = std::fs::File::open(path)?;
        let len = file.metadata()?.len();
        if len < back + 12 {
            return Err(std::io::Error::other(format!("only {len} bytes")));
        }
        file.seek(SeekFrom::Start(len - back))?;
        let mut sum = [0u8; 20];
        file.read_exact(&mut sum)?;
        Ok(sum)
    };
    // A version-2 index ends with the pack's checksum, then its own.
    let recorded = tail(idx, 40).map_err(|e| format!("failed to read its index: {e}"))?;
    let actual = tail(pack, 20).map_err(|e| format!("failed to read the pack: {e}"))?;
    if recorded != actual {
        return Err("the pack is truncated or damaged: its checksum does not match its index (`git fsck` tells more; restore it from a clone)".into());
    }
    Ok(())
}

pub(crate) fn idx_files(pack_dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(pack_dir)
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "idx"));
    files.sort();
    files
}

/// Every object a version-2 pack index lists, with its offset in the pack; `None` for an
/// index in another version or cut short.
pub(crate) fn index_entries(data: &[u8]) -> Option<Vec<(u64, Oid)>> {
    let be32 = |i: usize| u32::from_be_bytes(data[i..i + 4].try_into().unwrap());
    if data.len() < 8 + 1024 || data[..8] != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
        return None;
    }
    let n = be32(8 + 255 * 4) as usize;
    let (names, offsets) = (8 + 1024, 8 + 1024 + 24 * n);
    let large = offsets + 4 * n;
    if data.len() < large {
        return None;
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let oid = Oid::from_bytes(&data[names + 20 * i..names + 20 * i + 20]).ok()?;
        let small = be32(offsets + 4 * i);
        let offset = if small & 0x8000_0000 == 0 {
            u64::from(small)
        } else {
            let i = large + 8 * (small & 0x7fff_ffff) as usize;
            u64::from_be_bytes(data.get(i..i + 8)?.try_into().unwrap())
        };
        out.push((offset, oid));
    }
    Some(out)
}
