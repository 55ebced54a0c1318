//! Loose objects (`objects/xx/yyyy…`), read with flate2 instead of libgit2: libgit2 (up to at
//! least 1.9.7, the newest the `git2` crate links) loops forever inflating a truncated loose
//! object, so keyward never hands it one it has not checked. Lists the loose objects once,
//! reads a loose blob with a bounded inflate (its header gives the size; a short or damaged
//! stream is an error), and finds the damaged loose commits, trees and tags, which libgit2
//! would hang on while walking. Nothing here scans or prints.

use super::git::OidSet;
use flate2::read::ZlibDecoder;
use git2::Oid;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// The loose objects of one object directory.
pub struct Loose {
    dir: PathBuf,
    ids: OidSet,
}

/// A loose object's header: its type and size.
#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    pub kind: String,
    pub size: u64,
}

impl Loose {
    /// Lists `objects_dir`'s loose objects (256 directory reads).
    pub fn list(objects_dir: &Path) -> Loose {
        let mut ids = OidSet::default();
        for fan in 0..=255u8 {
            let sub = format!("{fan:02x}");
            let Ok(entries) = std::fs::read_dir(objects_dir.join(&sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let name = entry.file_name();
                let Some(rest) = name.to_str() else { continue };
                if rest.len() == 38 {
                    if let Ok(oid) = Oid::from_str(&format!("{sub}{rest}")) {
                        ids.insert(oid);
                    }
                }
            }
        }
        Loose {
            dir: objects_dir.to_path_buf(),
            ids,
        }
    }

    pub fn contains(&self, oid: Oid) -> bool {
        self.ids.contains(&oid)
    }

    pub fn path(&self, oid: Oid) -> PathBuf {
        let hex = oid.to_string();
        self.dir.join(&hex[..2]).join(&hex[2..])
    }

    /// The loose object `oid`: its header, and its content unless over `max_size`. A short,
    /// damaged or over-long stream is an error.
    pub fn read(&self, oid: Oid, max_size: u64) -> io::Result<(Header, Option<Vec<u8>>)> {
        let file = std::fs::File::open(self.path(oid))?;
        read_object(file, max_size)
    }

    /// The loose commits, trees and tags that cannot be read whole, with the reason. Blobs
    /// are checked when they are read.
    pub fn damaged_non_blobs(&self) -> Vec<(Oid, String)> {
        let mut damaged = Vec::new();
        let mut ids: Vec<Oid> = self.ids.iter().copied().collect();
        ids.sort();
        for oid in ids {
            let Ok(file) = std::fs::File::open(self.path(oid)) else {
                continue; // removed since the listing (a concurrent gc): libgit2 will say
            };
            let mut z = ZlibDecoder::new(file);
            match read_header(&mut z) {
                Ok(h) if h.kind == "blob" => {}
                Ok(h) => {
                    if let Err(err) = read_body(&mut z, &h, u64::MAX) {
                        damaged.push((oid, err.to_string()));
                    }
                }
                Err(err) => damaged.push((oid, err.to_string())),
            }
        }
        damaged
    }
}

/// The object `oid` from `objects_dir` when it is loose there (`None` when it is not: it is
/// packed, and libgit2 reads it safely).
pub fn read_if_loose(
    objects_dir: &Path,
    oid: Oid,
    max_size: u64,
) -> Option<io::Result<(Header, Option<Vec<u8>>)>> {
    let hex = oid.to_string();
    let file = std::fs::File::open(objects_dir.join(&hex[..2]).join(&hex[2..])).ok()?;
    Some(read_object(file, max_size))
}

/// Reads one loose object stream: `<kind> <size>\0<content>`.
pub fn read_object(input: impl Read, max_size: u64) -> io::Result<(Header, Option<Vec<u8>>)> {
    let mut z = ZlibDecoder::new(input);
    let header = read_header(&mut z)?;
    let body = read_body(&mut z, &header, max_size)?;
    Ok((header, body))
}

fn damaged(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("damaged loose object: {what} (`git fsck` tells more; restore it from a clone)"),
    )
}

fn read_header(z: &mut impl Read) -> io::Result<Header> {
    let mut header = Vec::with_capacity(32);
    let mut byte = [0u8; 1];
    loop {
        if z.read(&mut byte).map_err(|e| damaged(&e.to_string()))? == 0 {
            return Err(damaged("it ends inside its header"));
        }
        if byte[0] == 0 {
            break;
        }
        header.push(byte[0]);
        if header.len() > 32 {
            return Err(damaged("its header is too long"));
        }
    }
    let text = std::str::from_utf8(&header).map_err(|_| damaged("its header is not text"))?;
    let (kind, size) = text
        .split_once(' ')
        .ok_or_else(|| damaged("its header has no size"))?;
    let size = size
        .parse()
        .map_err(|_| damaged("its header has no size"))?;
    if !matches!(kind, "blob" | "tree" | "commit" | "tag") {
        return Err(damaged("unknown object type"));
    }
    Ok(Header {
        kind: kind.to_string(),
        size,
    })
}

fn read_body(z: &mut impl Read, header: &Header, max_size: u64) -> io::Result<Option<Vec<u8>>> {
    if header.size > max_size {
        return Ok(None);
    }
    // The header's size is only trusted as far as the stream goes: read in steps, never
    // allocating more than what has arrived (plus one step).
    let mut data = Vec::new();
    let got = z
        .by_ref()
        .take(header.size)
        .read_to_end(&mut data)
        .map_err(|e| damaged(&e.to_string()))?;
    if (got as u64) < header.size {
        return Err(damaged(&format!(
            "{got} of {} bytes (truncated)",
            header.size
        )));
    }
    let mut extra = [0u8; 1];
    match z.read(&mut extra) {
        Ok(0) => Ok(Some(data)),
        Ok(_) => Err(damaged("longer than its header says")),
        Err(e) => Err(damaged(&e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    fn loose(body: &[u8]) -> Vec<u8> {
        let mut z = ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        write!(z, "blob {}\0", body.len()).unwrap();
        z.write_all(body).unwrap();
        z.finish().unwrap()
    }

    #[test]
    fn reads_a_whole_object_and_refuses_every_truncation() {
        let body: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
        let stream = loose(&body);
        let (h, data) = read_object(&stream[..], u64::MAX).unwrap();
        assert_eq!((h.kind.as_str(), h.size), ("blob", 5000));
        assert_eq!(data.unwrap(), body);
        for cut in 0..stream.len() - 4 {
            assert!(
                read_object(&stream[..cut], u64::MAX).is_err(),
                "cut at {cut}"
            );
        }
        assert_eq!(read_object(&stream[..], 10).unwrap().1, None);
    }
}
