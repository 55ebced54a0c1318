//! Blob contents for the history scan, each read once and handed to worker threads. Where
//! `git` is installed the blobs stream out of one `git cat-file --batch` process, asked for
//! in pack order so its delta-base cache hits (several times faster than libgit2's object
//! reads); otherwise, or when that process fails, git2 reads them with one `Repository` per
//! worker thread. Nothing here scans or prints findings.

use super::git::OidMap;
use super::{looks_binary, Content};
use git2::{Oid, Repository};
use rayon::iter::{IndexedParallelIterator, IntoParallelRefIterator};
use rayon::iter::{ParallelBridge, ParallelIterator};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

/// Forces the libgit2 reader (`libgit2`) instead of `git cat-file`: a testing and
/// troubleshooting aid, both readers give the same bytes.
pub const READER_ENV: &str = "KEYWARD_BLOB_READER";

/// Reads every blob of `oids` (in whatever order is fastest) and calls `visit` on the current
/// rayon pool's threads with per-thread state from `init`, the blob's index in `oids` and its
/// content. Blobs over `max_size` are not read into memory. `git_dir` is the repository's
/// git directory, `common_dir` the one holding `objects/` (they differ in a linked worktree).
pub fn for_each<S, I, V>(
    (git_dir, common_dir): (&Path, &Path),
    oids: &[Oid],
    max_size: u64,
    init: I,
    visit: V,
) where
    S: Send,
    I: Fn() -> S + Sync + Send,
    V: Fn(&mut S, usize, io::Result<Content>) + Sync + Send,
{
    let forced = std::env::var(READER_ENV).is_ok_and(|v| v == "libgit2");
    let stream = if forced {
        None
    } else {
        CatFile::spawn(git_dir, oids, pack_order(common_dir, oids)).ok()
    };
    match stream {
        Some(cat) => {
            let items = Stream {
                cat,
                oids,
                pos: 0,
                max_size,
                git_dir: git_dir.to_path_buf(),
                fallback: None,
            };
            items
                .par_bridge()
                .for_each_init(&init, |s, (i, content)| visit(s, i, content));
        }
        None => oids.par_iter().enumerate().for_each_init(
            || (init(), Repository::open(git_dir).ok()),
            |(s, repo), (i, &oid)| visit(s, i, read_git2(repo.as_ref(), oid, max_size)),
        ),
    }
}

/// Indexes into `oids` sorted by (pack, offset in pack); objects in no pack (loose) last.
fn pack_order(common_dir: &Path, oids: &[Oid]) -> Vec<usize> {
    let wanted: OidMap<usize> = oids.iter().enumerate().map(|(i, &o)| (o, i)).collect();
    let mut keys: Vec<(u32, u64)> = vec![(u32::MAX, 0); oids.len()];
    let pack_dir = common_dir.join("objects").join("pack");
    let mut idx_files: Vec<PathBuf> = std::fs::read_dir(&pack_dir)
        .map(|dir| dir.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    idx_files.retain(|p| p.extension().is_some_and(|e| e == "idx"));
    idx_files.sort();
    for (pack, path) in idx_files.iter().enumerate() {
        if let Ok(data) = std::fs::read(path) {
            index_offsets(&data, pack as u32, &wanted, &mut keys);
        }
    }
    let mut order: Vec<usize> = (0..oids.len()).collect();
    order.sort_by_key(|&i| (keys[i], i));
    order
}

/// Fills `keys` with (pack, offset) for the wanted objects listed in a version-2 pack index.
fn index_offsets(data: &[u8], pack: u32, wanted: &OidMap<usize>, keys: &mut [(u32, u64)]) {
    let be32 = |at: usize| u32::from_be_bytes(data[at..at + 4].try_into().unwrap());
    if data.len() < 8 + 1024 || data[..8] != [0xff, b't', b'O', b'c', 0, 0, 0, 2] {
        return;
    }
    let n = be32(8 + 255 * 4) as usize;
    let (names, offsets) = (8 + 1024, 8 + 1024 + 24 * n);
    let large = offsets + 4 * n;
    if data.len() < large {
        return;
    }
    for i in 0..n {
        let Ok(oid) = Oid::from_bytes(&data[names + 20 * i..names + 20 * i + 20]) else {
            continue;
        };
        let Some(&k) = wanted.get(&oid) else { continue };
        if keys[k].0 != u32::MAX {
            continue;
        }
        let small = be32(offsets + 4 * i);
        let offset = if small & 0x8000_0000 == 0 {
            u64::from(small)
        } else {
            let at = large + 8 * (small & 0x7fff_ffff) as usize;
            data.get(at..at + 8)
                .map_or(0, |b| u64::from_be_bytes(b.try_into().unwrap()))
        };
        keys[k] = (pack, offset);
    }
}

/// One `git cat-file --batch` process, fed the object ids by a writer thread.
struct CatFile {
    child: Child,
    out: BufReader<ChildStdout>,
    order: Vec<usize>,
}

impl CatFile {
    fn spawn(git_dir: &Path, oids: &[Oid], order: Vec<usize>) -> io::Result<CatFile> {
        let mut child = Command::new("git")
            .arg("--git-dir")
            .arg(git_dir)
            .args(["cat-file", "--batch", "--buffer"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let mut stdin = child.stdin.take().expect("piped stdin");
        let mut request = Vec::with_capacity(order.len() * 41);
        for &i in &order {
            writeln!(request, "{}", oids[i])?;
        }
        std::thread::spawn(move || stdin.write_all(&request));
        let out = BufReader::with_capacity(1 << 20, child.stdout.take().expect("piped stdout"));
        Ok(CatFile { child, out, order })
    }

    /// The next object's content; an error of kind `BrokenPipe` means the process failed.
    fn read(&mut self, oid: Oid, max_size: u64) -> io::Result<Content> {
        let mut header = String::new();
        if self.out.read_line(&mut header)? == 0 {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let mut fields = header.split_ascii_whitespace();
        let (name, kind, size) = (fields.next(), fields.next(), fields.next());
        if name != Some(&oid.to_string()) {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        let size: u64 = match (kind, size.map(str::parse)) {
            (Some("blob"), Some(Ok(size))) => size,
            (Some("missing"), _) => return Err(io::Error::other("object is missing")),
            _ => return Err(io::Error::other(format!("not a blob: {}", header.trim()))),
        };
        if size > max_size {
            io::copy(&mut (&mut self.out).take(size + 1), &mut io::sink())?;
            return Ok(Content::TooLarge(size));
        }
        let mut data = vec![0; size as usize + 1];
        self.out.read_exact(&mut data)?;
        data.pop();
        Ok(classify(data))
    }
}

impl Drop for CatFile {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The blobs in pack order, read from `git cat-file`; when the process fails (killed, or
/// refusing the repository) the rest are read through git2.
struct Stream<'a> {
    cat: CatFile,
    oids: &'a [Oid],
    pos: usize,
    max_size: u64,
    git_dir: PathBuf,
    fallback: Option<Option<Repository>>,
}

impl Iterator for Stream<'_> {
    type Item = (usize, io::Result<Content>);

    fn next(&mut self) -> Option<Self::Item> {
        let &i = self.cat.order.get(self.pos)?;
        self.pos += 1;
        let oid = self.oids[i];
        if self.fallback.is_none() {
            match self.cat.read(oid, self.max_size) {
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe || is_eof(&e) => {
                    crate::messages::note("git cat-file failed; reading the rest through libgit2");
                    self.fallback = Some(Repository::open(&self.git_dir).ok());
                }
                other => return Some((i, other)),
            }
        }
        let repo = self.fallback.as_ref().and_then(Option::as_ref);
        Some((i, read_git2(repo, oid, self.max_size)))
    }
}

fn is_eof(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::UnexpectedEof
}

fn read_git2(repo: Option<&Repository>, oid: Oid, max_size: u64) -> io::Result<Content> {
    let repo = repo.ok_or_else(|| io::Error::other("cannot open the repository"))?;
    let odb = repo.odb().map_err(io::Error::other)?;
    let (size, _) = odb.read_header(oid).map_err(io::Error::other)?;
    if size as u64 > max_size {
        return Ok(Content::TooLarge(size as u64));
    }
    let blob = repo.find_blob(oid).map_err(io::Error::other)?;
    Ok(classify(blob.content().to_vec()))
}

fn classify(data: Vec<u8>) -> Content {
    if looks_binary(&data) {
        Content::Binary
    } else {
        Content::Text(data)
    }
}
